/**
 * Open files: open(2)/openat(2), close(2), dup(2), read(2), write(2), pread(2), pwrite(2),
 * lseek(2), getdents64(2) and ioctl(TIOCGPTN) — the syscall side of fs/open.c (do_sys_openat2
 * with path_openat's open_last_lookups() and do_open(), may_open(), do_truncate()),
 * fs/read_write.c and fs/readdir.c. A FIFO's reads and writes go to its pipe (pipe.ts).
 *
 * Also what every family shares: the AT_* flags of the *at() calls, mnt_want_write() (EROFS),
 * which each call that changes a filesystem asks of the mount first, and fdget().
 *
 * Invariants: a description that fails after it was made is released before the error leaves
 * (its mount pin, its write access and its FIFO count go with it); an O_PATH descriptor reaches
 * no read, write, seek or attribute change (EBADF from fdget()).
 */
import { notifyChange, newInodeOwner, shouldRemoveSuid } from './attr.js';
import type { MntIdmap } from './idmapping.js';
import { errno } from './errno.js';
import {
  FileDescription,
  O_ACCMODE,
  O_APPEND,
  O_CLOEXEC,
  O_CREAT,
  O_DIRECTORY,
  O_EXCL,
  O_NOATIME,
  O_NOCTTY,
  O_NOFOLLOW,
  O_PATH,
  O_RDONLY,
  O_RDWR,
  O_TRUNC,
  O_WRONLY,
} from './file.js';
import { isDir, isLnk, isReg, isSpecial, major, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK, SB_RDONLY, type DirEntry, type Inode } from './inode.js';
import { MNT_NODEV, MNT_NOEXEC, type Mount, type Path } from './mount.js';
import { MAY_APPEND, MAY_EXEC, MAY_READ, MAY_WRITE, inodePermission, mayCreate, ownerOrCapable } from './permission.js';
import { fifoOpen, pipeRead, pipeWrite } from './pipe.js';
import type { Process } from './process.js';
import { followMounts, lookupLast, Nameidata, type ParentWalk } from './resolve.js';

export const AT_FDCWD = -100;
export const AT_SYMLINK_NOFOLLOW = 0x100;
export const AT_REMOVEDIR = 0x200;
export const AT_SYMLINK_FOLLOW = 0x400;
export const AT_EACCESS = 0x200;
export const AT_EMPTY_PATH = 0x1000;

export const SEEK_SET = 0;
export const SEEK_CUR = 1;
export const SEEK_END = 2;
export const SEEK_DATA = 3;
export const SEEK_HOLE = 4;

/** MAX_LFS_FILESIZE, capped at what a JavaScript number holds exactly. */
const MAX_FILESIZE = Number.MAX_SAFE_INTEGER;

const isFifo = (mode: number): boolean => (mode & S_IFMT) === S_IFIFO;

/** mnt_want_write(): EROFS on a read-only mount or superblock. */
export function mntWantWrite(mnt: Mount): void {
  if (mnt.readonly || mnt.sb.flags & SB_RDONLY) throw errno('EROFS');
}

/** fdget(): the description behind `fd` for I/O; an O_PATH one is EBADF (only fdget_raw() users take it). */
export function fdget(p: Process, fd: number): FileDescription {
  const f = p.fds.get(fd);
  if (f.isPath) throw errno('EBADF');
  return f;
}

/**
 * do_truncate(): the size change, EFBIG past the largest file, dropping setuid/setgid as a write
 * does — with the owners as the mount shows them (`idmap`: the mount's, idmapping.ts).
 */
export function doTruncate(p: Process, inode: Inode, length: number, idmap?: MntIdmap): void {
  if (length > MAX_FILESIZE) throw errno('EFBIG');
  notifyChange(p.creds, inode, { size: length, mtime: 'now', killSuid: shouldRemoveSuid(p.creds, inode, idmap), force: true }, p.kernel.clock.now(), idmap);
}

/**
 * do_sys_openat2(): build_open_flags(), path_openat(), do_open(), vfs_open(); the new descriptor.
 *
 * @example
 * ```ts
 * const fd = openat(p, AT_FDCWD, '/a/f', O_WRONLY | O_CREAT, 0o644);
 * ```
 */
export function openat(p: Process, dirfd: number, path: string, flags: number, mode: number): number {
  if (flags & O_PATH) flags &= O_DIRECTORY | O_NOFOLLOW | O_PATH | O_CLOEXEC;
  // O_CREAT|O_DIRECTORY has been EINVAL since Linux 6.4.
  if ((flags & (O_CREAT | O_DIRECTORY)) === (O_CREAT | O_DIRECTORY)) throw errno('EINVAL');
  if (flags & O_EXCL && flags & O_CREAT) flags |= O_NOFOLLOW;
  const acc = flags & O_ACCMODE;
  let accMode = flags & O_PATH ? 0 : acc === O_RDONLY ? MAY_READ : acc === O_WRONLY ? MAY_WRITE : MAY_READ | MAY_WRITE;
  if (flags & O_TRUNC) accMode |= MAY_WRITE;
  if (flags & O_APPEND) accMode |= MAY_APPEND;

  let target: Path;
  let created = false;
  if (!(flags & O_CREAT)) {
    target = p.lookup(dirfd, path, !(flags & O_NOFOLLOW));
    if (flags & O_DIRECTORY && !isDir(target.dentry.inode.mode)) throw errno('ENOTDIR');
  } else {
    const r = openCreate(p, dirfd, path, flags, mode);
    target = r.path;
    created = r.created;
  }
  const inode = target.dentry.inode;

  if (flags & O_PATH) return p.fds.install(new FileDescription(target, inode, flags, false, false, false));

  let truncate = false;
  if (created) {
    // A file this call created is opened without permission checks and is not truncated.
    accMode = 0;
  } else if (isReg(inode.mode) && flags & O_TRUNC) {
    mntWantWrite(target.mnt);
    truncate = true;
  }
  if (!created) mayOpen(p, target, accMode, flags);
  // do_dentry_open(): a socket inode's open is no_open(), whatever the permission.
  if ((inode.mode & S_IFMT) === S_IFSOCK) throw errno('ENXIO');
  // chrdev_open()/blkdev_open(): no driver has major 0 — a whiteout (0/0) opens as ENXIO.
  if (((inode.mode & S_IFMT) === S_IFCHR || (inode.mode & S_IFMT) === S_IFBLK) && major(inode.rdev) === 0) throw errno('ENXIO');

  const writable = acc === O_WRONLY || acc === O_RDWR;
  const writer = writable && !isSpecial(inode.mode);
  if (writer) mntWantWrite(target.mnt);
  const file = new FileDescription(target, inode, flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY), acc === O_RDONLY || acc === O_RDWR, writable, writer);
  try {
    // vfs_open(): a FIFO's open is fifo_open() (pipefifo_fops), anything else's the filesystem's
    // own, before handle_truncate() (overlayfs copies up here).
    if (isFifo(inode.mode)) file.state = fifoOpen(file);
    else if (!created) file.state = inode.open?.(flags, p.creds) ?? undefined;
    if (truncate && inode.size !== 0) doTruncate(p, inode, 0, target.mnt.idmap);
    else if (truncate) notifyChange(p.creds, inode, { mtime: 'now', force: true }, p.kernel.clock.now(), target.mnt.idmap);
    return p.fds.install(file);
  } catch (e) {
    file.release();
    throw e;
  }
}

/**
 * The O_CREAT half of path_openat(): open_last_lookups() and lookup_open(). A trailing link is
 * followed here, from the directory holding it, on the same link budget as the walk; a dangling
 * link makes O_CREAT create its target.
 */
function openCreate(p: Process, dirfd: number, path: string, flags: number, mode: number): { path: Path; created: boolean } {
  const nd = new Nameidata(p);
  let pw = nd.parent(p.base(dirfd, path), path);
  for (;;) {
    // `.`, `..`, `/` or a trailing slash: an existing directory, so O_CREAT makes it EISDIR (do_open()).
    if (pw.type !== 'norm' || pw.trailing) throw errno('EISDIR');
    const existing = lookupLast(pw);
    if (!existing) return { path: createFile(p, pw, mode), created: true };
    if (flags & O_EXCL) throw errno('EEXIST');
    const found = followMounts({ mnt: pw.parent.mnt, dentry: existing });
    if (!isLnk(found.dentry.inode.mode)) {
      if (isDir(found.dentry.inode.mode)) throw errno('EISDIR');
      return { path: found, created: false };
    }
    if (flags & O_NOFOLLOW) throw errno('ELOOP');
    pw = nd.parent(pw.parent, nd.pickLink(found));
  }
}

/** lookup_open()'s create: EROFS or EACCES (may_o_create), then the filesystem's create. */
function createFile(p: Process, pw: ParentWalk, mode: number): Path {
  mntWantWrite(pw.parent.mnt);
  // may_o_create() and the new inode's owner go through the mount's idmapping (idmappings.rst).
  const idmap = pw.parent.mnt.idmap;
  mayCreate(p.creds, pw.parent.dentry, undefined, idmap);
  const dir = pw.parent.dentry;
  const o = newInodeOwner(p.creds, dir.inode, mode & 0o7777, S_IFREG, p.umask, idmap);
  const inode = dir.inode.create(pw.last, o.mode, 0, o.uid, o.gid);
  return { mnt: pw.parent.mnt, dentry: dir.instantiate(pw.last, inode) };
}

/** may_open(): the file type's rule, then the mount's (nodev, noexec), then permission. */
function mayOpen(p: Process, target: Path, accMode: number, flags: number): void {
  const inode = target.dentry.inode;
  switch (inode.mode & S_IFMT) {
    case S_IFLNK:
      throw errno('ELOOP');
    case S_IFDIR:
      if (accMode & MAY_WRITE) throw errno('EISDIR');
      if (accMode & MAY_EXEC) throw errno('EACCES');
      break;
    case S_IFBLK:
    case S_IFCHR:
      if (target.mnt.flags & MNT_NODEV) throw errno('EACCES');
      if (accMode & MAY_EXEC) throw errno('EACCES');
      break;
    case S_IFIFO:
    case S_IFSOCK:
      if (accMode & MAY_EXEC) throw errno('EACCES');
      break;
    case S_IFREG:
      if (accMode & MAY_EXEC && target.mnt.flags & MNT_NOEXEC) throw errno('EACCES');
      break;
  }
  inodePermission(p.creds, inode, accMode, target.mnt.idmap);
  if (flags & O_NOATIME && !ownerOrCapable(p.creds, inode, target.mnt.idmap)) throw errno('EPERM');
}

/** close_fd(): the last descriptor of a description releases it, and perhaps a detached mount. */
export function close(p: Process, fd: number): void {
  const f = p.fds.close(fd);
  if (f) p.kernel.maybeRelease(f.path.mnt);
}

/** dup(2): the lowest free descriptor, sharing the description (O_PATH ones too). */
export function dup(p: Process, fd: number): number {
  return p.fds.install(p.fds.get(fd));
}

/** ioctl(fd, TIOCGPTN): the number of the pseudo-terminal a ptmx descriptor made; ENOTTY otherwise. */
export function ptyNumber(p: Process, fd: number): number {
  const n = fdget(p, fd).state?.ptyIndex;
  if (n === undefined) throw errno('ENOTTY');
  return n;
}

/** read(2): from the file position, which advances by what was read. */
export function read(p: Process, fd: number, into: Uint8Array): number {
  const f = fdget(p, fd);
  const n = readAt(f, f.pos, into);
  f.pos += n;
  return n;
}

/** pread(2): at `pos`, leaving the file position alone; ESPIPE on what cannot seek. */
export function pread(p: Process, fd: number, into: Uint8Array, pos: number): number {
  const f = fdget(p, fd);
  if (pos < 0) throw errno('EINVAL');
  if (!isReg(f.inode.mode) && !isDir(f.inode.mode)) throw errno('ESPIPE');
  return readAt(f, pos, into);
}

/** vfs_read(): EBADF without read access, then the file type's read. */
function readAt(f: FileDescription, pos: number, into: Uint8Array): number {
  if (!f.readable) throw errno('EBADF');
  if (isDir(f.inode.mode)) throw errno('EISDIR');
  if (isFifo(f.inode.mode)) return pipeRead(f, into);
  if (!isReg(f.inode.mode)) throw errno('EINVAL');
  return f.inode.read(pos, into);
}

/** write(2): at the file position, or at the end under O_APPEND; the position follows. */
export function write(p: Process, fd: number, data: Uint8Array): number {
  const f = fdget(p, fd);
  const pos = f.flags & O_APPEND ? f.inode.size : f.pos;
  const n = writeAt(p, f, pos, data);
  f.pos = pos + n;
  return n;
}

/** pwrite(2): at `pos`, leaving the file position alone; ESPIPE on what cannot seek. */
export function pwrite(p: Process, fd: number, data: Uint8Array, pos: number): number {
  const f = fdget(p, fd);
  if (pos < 0) throw errno('EINVAL');
  if (!isReg(f.inode.mode) && !isDir(f.inode.mode)) throw errno('ESPIPE');
  // pwrite on an O_APPEND file appends all the same (a Linux bug kept for compatibility).
  return writeAt(p, f, f.flags & O_APPEND ? f.inode.size : pos, data);
}

/** vfs_write(): EBADF without write access, then the file type's write. */
function writeAt(p: Process, f: FileDescription, pos: number, data: Uint8Array): number {
  if (!f.writable) throw errno('EBADF');
  if (isFifo(f.inode.mode)) return pipeWrite(f, data);
  if (!isReg(f.inode.mode)) throw errno('EINVAL');
  if (data.length === 0) return 0;
  if (pos + data.length > MAX_FILESIZE) throw errno('EFBIG');
  // file_remove_privs(): the kernel drops setuid/setgid itself, without permission checks.
  const idmap = f.path.mnt.idmap;
  if (shouldRemoveSuid(p.creds, f.inode, idmap)) notifyChange(p.creds, f.inode, { killSuid: true, force: true }, p.kernel.clock.now(), idmap);
  return f.inode.write(pos, data);
}

/** lseek(2): SEEK_SET/CUR/END, and SEEK_DATA/SEEK_HOLE on regular files; ESPIPE on what cannot seek. */
export function lseek(p: Process, fd: number, offset: number, whence: number): number {
  const f = fdget(p, fd);
  if (!isReg(f.inode.mode) && !isDir(f.inode.mode)) throw errno('ESPIPE');
  let pos: number;
  if (whence === SEEK_SET) pos = offset;
  else if (whence === SEEK_CUR) pos = f.pos + offset;
  // dcache_dir_lseek() takes only SEEK_SET and SEEK_CUR.
  else if (isDir(f.inode.mode)) throw errno('EINVAL');
  else if (whence === SEEK_END) pos = f.inode.size + offset;
  else if (whence === SEEK_DATA || whence === SEEK_HOLE) {
    // lseek(2): ENXIO when the offset is negative or at or past the end of the file.
    if (offset < 0 || offset >= f.inode.size) throw errno('ENXIO');
    const hole = whence === SEEK_HOLE;
    const found = f.inode.seekHoleData ? f.inode.seekHoleData(offset, hole) : hole ? f.inode.size : offset;
    if (found === null) throw errno('ENXIO');
    pos = found;
  } else throw errno('EINVAL');
  if (pos < 0 || !Number.isSafeInteger(pos)) throw errno('EINVAL');
  f.pos = pos;
  if (isDir(f.inode.mode)) f.dirCursor = pos;
  return pos;
}

/**
 * getdents64(2): the entries not yet returned, `.` and `..` first, in the directory's order; an
 * empty list at the end; ENOENT once the directory is removed.
 */
export function getdents(p: Process, fd: number): DirEntry[] {
  const f = fdget(p, fd);
  if (!isDir(f.inode.mode)) throw errno('ENOTDIR');
  if (f.path.dentry.unlinked) throw errno('ENOENT');
  // `..` of a filesystem's root is the root itself.
  const parent = f.path.dentry.parent ? f.path.dentry.parent.inode : f.inode;
  const all: DirEntry[] = [{ name: '.', ino: f.inode.ino, type: S_IFDIR }, { name: '..', ino: parent.ino, type: S_IFDIR }, ...f.inode.readdir()];
  // The whole listing when none of it was returned yet (nearly every getdents): not a second
  // copy of a huge directory's array.
  const out = f.dirCursor === 0 ? all : all.slice(f.dirCursor);
  f.dirCursor = all.length;
  f.pos = all.length;
  return out;
}
