/**
 * Reading vfsemu's image format from a block device's bytes: the JSON tree of
 * src/boot/rootfs-image.ts (memfs's snapshot nodes, `[0, meta, entries]` a directory,
 * `[1, meta, content]` a file, `[2, { target }]` a symlink), checked as untrusted input and
 * written into the fresh tree of the storage the type is given (a tmpfs: src/plan/machine.ts). What a kernel filesystem does with a superblock it cannot
 * read is EINVAL ("can't find ext4 filesystem"); so is an image that is not this format.
 *
 * This reader cannot import src/boot (DESIGN.md: src/fs sits below it); it checks the same
 * shape as rootfs-image.ts's parseImage.
 */
import { errno } from '../../vfs/errno.js';
import { S_IFREG, type Inode } from '../../vfs/inode.js';

type Meta = { mode?: number; uid?: number; gid?: number };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function meta(m: unknown, max: number): Meta {
  if (!isObj(m)) throw errno('EINVAL');
  for (const k of ['mode', 'uid', 'gid'] as const) {
    const v = m[k];
    if (v !== undefined && (!Number.isInteger(v) || (v as number) < 0 || (v as number) > (k === 'mode' ? max : 0xfffffffe))) throw errno('EINVAL');
  }
  return m as Meta;
}

const DATA_URI = /^data:[^,]*;base64,/;

/** A file's content: UTF-8 text, or bytes as a base64 data URI (as memfs writes them). */
function bytesOf(content: string): Uint8Array {
  const m = DATA_URI.exec(content);
  if (!m) return new TextEncoder().encode(content);
  return base64(content.slice(m[0].length));
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** RFC 4648 base64 (no Node Buffer, no DOM atob in the core); EINVAL for anything else. */
function base64(text: string): Uint8Array {
  const s = text.replace(/=+$/, '');
  if (s.length % 4 === 1) throw errno('EINVAL');
  const out = new Uint8Array(Math.floor((s.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let n = 0;
  for (const c of s) {
    const v = B64.indexOf(c);
    if (v < 0) throw errno('EINVAL');
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (acc >> bits) & 0xff;
    }
  }
  return out.subarray(0, n);
}

/** The image's root node from the device's bytes; EINVAL when they are not an image. */
export function readImage(bytes: Uint8Array): unknown[] {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw errno('EINVAL');
  }
  if (!Array.isArray(doc) || doc[0] !== 0) throw errno('EINVAL');
  return doc;
}

/**
 * Fills the directory `dir` with the entries of the image directory `node`, depth first; the
 * owners and modes of the image (defaults 0755 for a directory, 0644 for a file).
 */
export function fillTree(dir: Inode, node: unknown[], depth = 0): void {
  if (depth > 256) throw errno('EINVAL');
  const entries = node[2];
  if (!isObj(entries)) throw errno('EINVAL');
  for (const [name, child] of Object.entries(entries)) {
    if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0') || !Array.isArray(child)) throw errno('EINVAL');
    const [type, m, body] = child as unknown[];
    if (type === 0) {
      const o = meta(m, 0o7777);
      const d = dir.mkdir(name, o.mode ?? 0o755, o.uid ?? 0, o.gid ?? 0);
      fillTree(d, child as unknown[], depth + 1);
    } else if (type === 1) {
      const o = meta(m, 0o7777);
      if (typeof body !== 'string') throw errno('EINVAL');
      const f = dir.create(name, S_IFREG | (o.mode ?? 0o644), 0, o.uid ?? 0, o.gid ?? 0);
      const data = bytesOf(body);
      if (data.length) f.write(0, data);
    } else if (type === 2) {
      if (!isObj(m) || typeof m.target !== 'string' || m.target === '') throw errno('EINVAL');
      const o = meta({ uid: m.uid, gid: m.gid }, 0);
      dir.symlink(name, m.target, o.uid ?? 0, o.gid ?? 0);
    } else throw errno('EINVAL');
  }
}

/** The root directory's mode and owner from the image's root meta. */
export function rootMeta(node: unknown[]): Meta {
  return meta(node[1], 0o7777);
}
