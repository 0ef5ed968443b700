/**
 * The user-space side of a FUSE mount as an embedder supplies it: an object with one method a
 * FUSE opcode (include/uapi/linux/fuse.h), taking node ids as the kernel sends them (1 is the
 * root, FUSE_ROOT_ID) and answering with the reply's fields, or throwing a `SysError` (src/vfs/
 * errno.ts `errno('ENOENT')`) for the negative error a daemon writes in fuse_out_header. A
 * method left out is a daemon that answers -ENOSYS, and the caller gets ENOSYS, as the kernel
 * passes a daemon's ENOSYS on (test/kernel/facts/loop-fuse.json: mkdir); FUSE_OPEN,
 * FUSE_OPENDIR, their releases, FUSE_FORGET, FUSE_FLUSH and FUSE_STATFS have the defaults libfuse
 * gives a filesystem without them (an open succeeds with no handle; statfs reports nothing used).
 *
 * A thrown value that is not a SysError is the daemon's bug: it leaves through the syscall, as a
 * crash would end a real daemon's connection, rather than being turned into an errno.
 */
import type { Timespec } from '../../vfs/time.js';

/** FUSE_ROOT_ID: the node id of the mount's root. */
export const FUSE_ROOT_ID = 1;

/** struct fuse_attr, the fields modelled. Times default to 0. */
export interface FuseAttr {
  ino: number;
  /** S_IFMT type and permission bits. */
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  size: number;
  /** 512-byte blocks; default ceil(size / 512). */
  blocks?: number;
  rdev?: number;
  atime?: Timespec;
  mtime?: Timespec;
  ctime?: Timespec;
}

/** struct fuse_entry_out: the node a name leads to and its attributes. */
export interface FuseEntry {
  nodeid: number;
  generation?: number;
  attr: FuseAttr;
}

/** struct fuse_dirent: a name, its inode number and its type (S_IFMT bits). */
export interface FuseDirent {
  name: string;
  ino: number;
  type: number;
}

/** struct fuse_setattr_in's valid fields. */
export interface FuseSetattr {
  mode?: number;
  uid?: number;
  gid?: number;
  size?: number;
  atime?: Timespec;
  mtime?: Timespec;
  ctime?: Timespec;
}

/** fuse_in_header's caller: the credentials the request runs for. */
export interface FuseCaller {
  uid: number;
  gid: number;
}

/** statfs as FUSE_STATFS answers (struct fuse_kstatfs). */
export interface FuseStatfs {
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
  bsize: number;
  namelen: number;
  frsize: number;
}

/**
 * A FUSE daemon. Only lookup and getattr are required: every filesystem answers them.
 *
 * @example
 * ```ts
 * const hello: FuseDaemon = {
 *   lookup: (parent, name) => { if (parent === 1 && name === 'hello') return { nodeid: 2, attr: file }; throw errno('ENOENT'); },
 *   getattr: (node) => (node === 1 ? root : file),
 *   readdir: () => [{ name: 'hello', ino: 2, type: S_IFREG }],
 *   read: (_node, _fh, off, size) => HELLO.subarray(off, off + size),
 * };
 * ```
 */
export interface FuseDaemon {
  /** FUSE_INIT; absent: accepted as is. */
  init?(): void;
  /** FUSE_DESTROY, at the unmount of the last mount. */
  destroy?(): void;
  /** FUSE_LOOKUP. */
  lookup(parent: number, name: string, caller: FuseCaller): FuseEntry;
  /** FUSE_FORGET: the kernel drops `nlookup` references to a node. */
  forget?(nodeid: number, nlookup: number): void;
  /** FUSE_GETATTR. */
  getattr(nodeid: number, caller: FuseCaller): FuseAttr;
  /** FUSE_SETATTR: chmod, chown, truncate, utimensat. */
  setattr?(nodeid: number, change: FuseSetattr, caller: FuseCaller): FuseAttr;
  /** FUSE_READLINK. */
  readlink?(nodeid: number, caller: FuseCaller): string;
  /** FUSE_SYMLINK. */
  symlink?(parent: number, name: string, target: string, caller: FuseCaller): FuseEntry;
  /** FUSE_MKNOD: FIFOs, sockets, devices (and regular files when there is no create). */
  mknod?(parent: number, name: string, mode: number, rdev: number, caller: FuseCaller): FuseEntry;
  /** FUSE_MKDIR. */
  mkdir?(parent: number, name: string, mode: number, caller: FuseCaller): FuseEntry;
  /** FUSE_UNLINK. */
  unlink?(parent: number, name: string, caller: FuseCaller): void;
  /** FUSE_RMDIR. */
  rmdir?(parent: number, name: string, caller: FuseCaller): void;
  /** FUSE_RENAME2 (`flags`: RENAME_NOREPLACE, RENAME_EXCHANGE). */
  rename?(parent: number, name: string, newParent: number, newName: string, flags: number, caller: FuseCaller): void;
  /** FUSE_LINK. */
  link?(nodeid: number, newParent: number, newName: string, caller: FuseCaller): FuseEntry;
  /** FUSE_OPEN: a file handle for later reads and writes. */
  open?(nodeid: number, flags: number, caller: FuseCaller): { fh?: number } | void;
  /** FUSE_READ: at most `size` bytes from `offset`; fewer at the end of the file. */
  read?(nodeid: number, fh: number, offset: number, size: number, caller: FuseCaller): Uint8Array;
  /** FUSE_WRITE: the count written. */
  write?(nodeid: number, fh: number, offset: number, data: Uint8Array, caller: FuseCaller): number;
  /** FUSE_RELEASE, at the last close of an open file. */
  release?(nodeid: number, fh: number): void;
  /** FUSE_OPENDIR. */
  opendir?(nodeid: number, flags: number, caller: FuseCaller): { fh?: number } | void;
  /** FUSE_READDIR: the entries besides `.` and `..` (the VFS adds those). */
  readdir?(nodeid: number, fh: number, caller: FuseCaller): FuseDirent[];
  /** FUSE_RELEASEDIR. */
  releasedir?(nodeid: number, fh: number): void;
  /** FUSE_CREATE: make and open a regular file. */
  create?(parent: number, name: string, mode: number, flags: number, caller: FuseCaller): FuseEntry & { fh?: number };
  /** FUSE_STATFS. */
  statfs?(nodeid: number): FuseStatfs;
}
