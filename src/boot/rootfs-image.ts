/**
 * Bundle images: a bundle directory (its rootfs, and whatever else sits beside config.json, such
 * as bind-mount sources given relative to the bundle) as one compact JSON value, and its loading
 * into the emulator as plan ops. No Node API: the examples ship images, src/host makes them from
 * a host directory.
 *
 * The format is memfs's JSON snapshot (memfs/lib/snapshot: `toJsonSnapshotSync`), whose node
 * meta objects memfs leaves empty and vfsemu fills with what mounts depend on:
 *
 *   [0, { mode?, uid?, gid? }, { name: node, … }]    a directory (mode default 0755)
 *   [1, { mode?, uid?, gid?, hostCopy? }, content]   a file (mode default 0644); content is UTF-8
 *                                                    text, or "data:…;base64,…" as memfs writes bytes
 *   [2, { target, uid?, gid? }]                      a symbolic link
 *
 * so memfs's `fromJsonSnapshotSync` reads a vfsemu image (without modes), and a memfs snapshot
 * loads here (with default modes). memfs's other JSON form, `vol.toJSON()` (path → text), has no
 * modes and no symlinks, which the runc profile needs (a tmpfs over an existing directory takes
 * its mode; destinations resolve through symlinks). `hostCopy` names a host file test tooling
 * copies in when it materialises the bundle (the busybox that runs `cat` under real runc); the
 * emulator keeps the file empty.
 */
import type { PlanOp } from '../plan/plan.js';

export type ImageMeta = { mode?: number; uid?: number; gid?: number; hostCopy?: string };
export type ImageNode =
  | [0, ImageMeta, Record<string, ImageNode>]
  | [1, ImageMeta, string]
  | [2, { target: string; uid?: number; gid?: number }];

/** A malformed image: `where` is the path inside it. */
export class ImageError extends Error {
  constructor(
    readonly where: string,
    problem: string,
  ) {
    super(`${where}: ${problem}`);
    this.name = 'ImageError';
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkMeta(where: string, m: unknown): void {
  if (!isObj(m)) throw new ImageError(where, 'expected a meta object');
  for (const k of ['mode', 'uid', 'gid'] as const) {
    const v = m[k];
    if (v !== undefined && (!Number.isInteger(v) || (v as number) < 0 || (v as number) > (k === 'mode' ? 0o7777 : 0xfffffffe))) throw new ImageError(where, `${k}: expected an integer`);
  }
}

/**
 * Checks untrusted JSON as an image and returns it typed.
 *
 * @example
 * ```ts
 * parseImage([0, {}, { etc: [0, {}, { hostname: [1, {}, 'box\n'] }], bin: [0, {}, { sh: [2, { target: 'busybox' }] }] }]);
 * ```
 */
export function parseImage(doc: unknown, where = '/'): ImageNode {
  if (!Array.isArray(doc)) throw new ImageError(where, 'expected a snapshot node [type, meta, …]');
  const [type, meta, body] = doc as unknown[];
  if (type === 0) {
    checkMeta(where, meta);
    if (!isObj(body)) throw new ImageError(where, 'a directory needs an object of entries');
    for (const [name, child] of Object.entries(body)) {
      if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) throw new ImageError(where, `bad entry name ${JSON.stringify(name)}`);
      parseImage(child, where === '/' ? `/${name}` : `${where}/${name}`);
    }
  } else if (type === 1) {
    checkMeta(where, meta);
    if (typeof body !== 'string') throw new ImageError(where, 'a file needs its content as a string');
  } else if (type === 2) {
    if (!isObj(meta) || typeof meta.target !== 'string' || meta.target === '') throw new ImageError(where, 'a symlink needs a non-empty target');
  } else throw new ImageError(where, `unknown node type ${JSON.stringify(type)} (0 directory, 1 file, 2 symlink)`);
  return doc as ImageNode;
}

const DATA_URI = /^data:[^,]*;base64,/;

/** A file's content as the plan's `write` can carry it (text), and whether bytes were left out. */
function textOf(content: string): { text: string; binary: boolean } {
  return DATA_URI.test(content) ? { text: '', binary: true } : { text: content, binary: false };
}

const join = (dir: string, name: string): string => (dir === '/' ? `/${name}` : `${dir}/${name}`);

/**
 * The plan ops that create `node`'s tree at `at` (whose parent exists), in a parent-first walk:
 * mkdir/write/symlink with the image's modes (plans run with umask 0), chown where an owner is
 * not root. A file given as bytes is created empty: plans carry text, and no mount depends on a
 * file's bytes. A directory at `/` is not made, only filled.
 *
 * @example
 * ```ts
 * imageOps([0, {}, { tmp: [0, { mode: 0o1777 }, {}] }], '/bundle/rootfs');
 * // [{ op: 'mkdir', path: '/bundle/rootfs', mode: 0o755 }, { op: 'mkdir', path: '/bundle/rootfs/tmp', mode: 0o1777 }]
 * ```
 */
export function imageOps(node: ImageNode, at: string): PlanOp[] {
  const ops: PlanOp[] = [];
  const owner = (path: string, m: { uid?: number; gid?: number }): void => {
    if (m.uid || m.gid) ops.push({ op: 'chown', path, uid: m.uid ?? 0, gid: m.gid ?? 0 });
  };
  const walk = (n: ImageNode, path: string): void => {
    switch (n[0]) {
      case 0: {
        if (path !== '/') {
          ops.push({ op: 'mkdir', path, mode: n[1].mode ?? 0o755 });
          owner(path, n[1]);
        }
        for (const [name, child] of Object.entries(n[2])) walk(child, join(path, name));
        // mkdir(2) drops setuid/setgid from the mode it is given; chmod puts them back.
        if (path !== '/' && (n[1].mode ?? 0) & 0o6000) ops.push({ op: 'chmod', path, mode: n[1].mode! });
        return;
      }
      case 1:
        ops.push({ op: 'write', path, data: textOf(n[2]).text, mode: n[1].mode ?? 0o644 });
        owner(path, n[1]);
        return;
      case 2:
        ops.push({ op: 'symlink', target: n[1].target, path });
        owner(path, n[1]);
        return;
    }
  };
  walk(node, at);
  return ops;
}

/** The ops that make every missing directory of `path` (mkdir -p with 0755), `path` included. */
export function mkdirAllOps(path: string): PlanOp[] {
  const ops: PlanOp[] = [];
  let cur = '';
  for (const part of path.split('/').filter(Boolean)) {
    cur += `/${part}`;
    ops.push({ op: 'mkdir', path: cur, mode: 0o755 });
  }
  return ops;
}

/** Every file of an image that test tooling copies from the host: image path → host path. */
export function hostCopies(node: ImageNode, at = '/'): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (n: ImageNode, path: string): void => {
    if (n[0] === 0) for (const [name, child] of Object.entries(n[2])) walk(child, join(path, name));
    else if (n[0] === 1 && n[1].hostCopy) out.set(path, n[1].hostCopy);
  };
  walk(node, at);
  return out;
}

/** The node at `path` inside an image (no symlinks followed), or undefined. */
export function imageLookup(node: ImageNode, path: string): ImageNode | undefined {
  let n: ImageNode | undefined = node;
  for (const part of path.split('/').filter(Boolean)) {
    if (!n || n[0] !== 0) return undefined;
    n = n[2][part];
  }
  return n;
}
