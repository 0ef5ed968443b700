/**
 * P9Export: what the gofer server (session.ts) needs of a tree it serves, in terms of opaque node
 * handles (`N`, a file by name, as a fid holds it) and open-file handles (`F`, what Tlopen and
 * Tlcreate open). A server holds exports by aname; an export knows nothing of fids, tags or the
 * wire.
 *
 * Contract: every method is synchronous and reports an expected failure by throwing `SysError`
 * with the errno the client should see (DESIGN.md decision 7); anything else thrown is a bug.
 * Names the server passes to `lookup` are one component or `..` — never empty, `.`, or containing
 * `/` or NUL (the server answers those EINVAL first); names passed to the create and remove
 * operations are never `..` either. An export must not follow a symlink on a client's behalf:
 * `lookup` onto a symlink gives the symlink, and only `readlink` reads it. `..` at the export
 * root is the root. Every node returned by `attach`, `lookup` or `clone` (and `create`) is
 * released exactly once with `release`, every file returned by `open` or `create` closed exactly
 * once with `close`.
 *
 * The server enforces `readOnly` itself (EROFS for every modifying request) before calling in;
 * permission checks, ENAMETOOLONG and the like are the export's, as its filesystem decides them.
 * Locks are not the export's: the server grants every Tlock (session.ts says why).
 */
import type { SetAttr } from '../vfs/attr.js';
import { errno } from '../vfs/errno.js';
import type { Stat, StatFs } from '../vfs/stat.js';

/**
 * A Tsetattr as the export applies it: the VFS's own attribute change (notify_change()'s), of the
 * fields 9P can set; absent fields stay as they are, 'now' is a time without P9_SETATTR_*_SET.
 */
export type P9AttrChange = Pick<SetAttr, 'mode' | 'uid' | 'gid' | 'size' | 'atime' | 'mtime'>;

/** One directory entry as an export lists it; `next` is the cookie that resumes after it. */
export interface P9DirEntry {
  name: string;
  ino: number;
  /** S_IFMT bits of the entry's inode. */
  type: number;
  next: number;
}

export interface P9Export<N = unknown, F = unknown> {
  /** Every modifying request is answered EROFS. */
  readonly readOnly: boolean;

  /** A new handle on the export root (Tattach). */
  attach(): N;
  /** The node `name` (one component, or `..`) in directory `dir`, with its attributes (Twalk). */
  lookup(dir: N, name: string): { node: N; stat: Stat };
  /** A second handle on the same node (Twalk with no names). */
  clone(node: N): N;
  /** The handle is no longer used (Tclunk, Tremove, end of session). */
  release(node: N): void;

  /** lstat(2) of the node. */
  stat(node: N): Stat;
  setattr(node: N, change: P9AttrChange): void;
  readlink(node: N): string;
  statfs(node: N): StatFs;

  /** open(2) of the node with these O_* flags (never O_CREAT), not following a symlink. */
  open(node: N, flags: number): F;
  /** open(2) with O_CREAT of `name` in `dir`; the new node and its open file. */
  create(dir: N, name: string, flags: number, mode: number, gid: number): { node: N; file: F };
  /** fstat(2) of an open file: what Tgetattr reports for an open fid, even once unlinked. */
  fstat(file: F): Stat;
  /** Reads at `offset` into `into`; the byte count, 0 at the end. */
  read(file: F, offset: number, into: Uint8Array): number;
  write(file: F, offset: number, data: Uint8Array): number;
  /** The entries of an open directory from cookie `offset` (0: the start) on, `.` and `..` included. */
  readdir(file: F, offset: number): P9DirEntry[];
  fsync(file: F): void;
  close(file: F): void;

  mkdir(dir: N, name: string, mode: number, gid: number): Stat;
  symlink(dir: N, name: string, target: string, gid: number): Stat;
  mknod(dir: N, name: string, mode: number, rdev: number, gid: number): Stat;
  /** A hard link to `target` named `name` in `dir`. */
  link(dir: N, target: N, name: string): void;
  /** Moves `node` to `name` in `newDir` (Trename). */
  rename(node: N, newDir: N, name: string): void;
  renameat(oldDir: N, oldName: string, newDir: N, newName: string): void;
  /** unlink(2), or rmdir(2) with AT_REMOVEDIR in `flags`. */
  unlinkat(dir: N, name: string, flags: number): void;
  /** Removes the node itself, whatever its type (Tremove). */
  remove(node: N): void;

  getxattr(node: N, name: string): Uint8Array;
  listxattr(node: N): string[];
  setxattr(node: N, name: string, value: Uint8Array, flags: number): void;
  removexattr(node: N, name: string): void;
}

/**
 * EINVAL for a name no directory entry can have: empty, with `/` or NUL in it, or `.` — and `..`
 * unless `dotdot` allows it (a walk may go up; nothing can be created or removed as `..`). A name
 * with `/` in it would be resolved as several components, following symlinks between them, so
 * exports check it again on their side of the interface.
 */
export function checkName(name: string, dotdot = false): void {
  if (name === '' || name === '.' || (name === '..' && !dotdot) || name.includes('/') || name.includes('\0')) throw errno('EINVAL');
}
