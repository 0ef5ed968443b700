/**
 * What the overlay suites share: a sandbox with layers built on its tmpfs, and a listing of a
 * layer directory — type, mode, owner, link count, size, data and overlayfs's own attributes —
 * so that a test states a layer's exact contents after an operation.
 */
import { createSandbox, O_RDONLY, S_IFMT } from '../../src/index.js';
import type { Process } from '../../src/vfs/process.js';
import { readdirNames, writeFile } from './helpers.js';

export const OVL = 'lowerdir=/l1:/l2,upperdir=/u,workdir=/w';

/** One object of a layer: `path type mode uid:gid nlink size`, data for files, marks after. */
export type Tree = string[];

/**
 * Builds the layers from a spec (`path` → file contents, `path/` → directory, `path@` → symlink
 * target) and mounts `data` on /m. The sandbox's task is root with every capability.
 *
 * @example
 * ```ts
 * const p = overlay({ '/l1/a/': '', '/l1/a/f': 'x', '/l2/g': 'y' });
 * ```
 */
export function overlay(layers: Record<string, string>, data = OVL, flags = 0): Process {
  const p = createSandbox({ totalRamPages: 1 << 20 }).process;
  for (const d of ['/l1', '/l2', '/l3', '/u', '/w', '/m']) p.mkdir(d, 0o755);
  for (const [path, v] of Object.entries(layers)) {
    if (path.endsWith('/')) p.mkdir(path.slice(0, -1), 0o755);
    else if (path.endsWith('@')) p.symlink(v, path.slice(0, -1));
    else writeFile(p, path, v);
  }
  p.mount('ov', '/m', 'overlay', flags, data);
  return p;
}

const TYPE: Record<number, string> = { 0o040000: 'd', 0o100000: 'f', 0o120000: 'l', 0o020000: 'c' };

function marks(p: Process, path: string): string {
  const out: string[] = [];
  for (const x of p.llistxattr(path).sort()) {
    const m = /^(trusted|user)\.overlay\.(.*)$/.exec(x);
    if (!m) {
      out.push(x);
      continue;
    }
    const v = p.lgetxattr(path, x);
    const text = new TextDecoder().decode(v);
    // opaque, impure, redirect show their value; origin and uuid (binary) their length.
    out.push(m[2] === 'origin' || m[2] === 'uuid' || m[2] === 'upper' ? `${m[2]}[${v.length}]` : `${m[2]}=${text}`);
  }
  return out.length ? ' {' + out.join(',') + '}' : '';
}

/**
 * Every object under `root` (not `root` itself), depth first, one line each:
 * `a/f f 644 0:0 1 5 "hello"`, `a/x c 0 0:0 2 0 whiteout`, `a d 755 0:0 2 40 {opaque=y}`.
 */
export function tree(p: Process, root: string): Tree {
  const out: Tree = [];
  const walk = (rel: string): void => {
    for (const n of readdirNames(p, rel ? `${root}/${rel}` : root)) {
      const r = rel ? `${rel}/${n}` : n;
      const path = `${root}/${r}`;
      const st = p.lstat(path);
      const type = TYPE[st.mode & S_IFMT] ?? '?';
      let line = `${r} ${type} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid} ${st.nlink} ${st.size}`;
      if (type === 'f') line += ` ${JSON.stringify(read(p, path))}`;
      if (type === 'l') line += ` -> ${p.readlink(path)}`;
      if (type === 'c' && st.rdev === 0) line += ' whiteout';
      out.push(line + marks(p, path));
      if (type === 'd') walk(r);
    }
  };
  walk('');
  return out;
}

export function read(p: Process, path: string): string {
  const fd = p.open(path, O_RDONLY);
  try {
    const buf = new Uint8Array(1 << 16);
    const n = p.read(fd, buf);
    return new TextDecoder().decode(buf.subarray(0, n));
  } finally {
    p.close(fd);
  }
}

export { readdirNames as list };
