/**
 * Names: mkdir(2), mknod(2), symlink(2), link(2), unlink(2)/rmdir(2) and rename(2)/renameat2(2),
 * each in its *at() form — the syscall side of fs/namei.c (filename_create(), do_mkdirat(),
 * do_mknodat(), do_symlinkat(), do_linkat(), do_unlinkat(), do_rmdir(), do_renameat2() and the
 * vfs_* calls they make).
 *
 * Each follows fs/namei.c's order of checks, because that order decides which errno a caller sees
 * when several rules fail at once: mkdir of an existing name on a read-only mount is EEXIST (the
 * lookup comes before mnt_want_write()), unlink on a read-only mount is EROFS even for a missing
 * name (mnt_want_write() comes before the lookup). A name something is mounted on in the caller's
 * namespace is EBUSY to remove or rename over; in another namespace its mounts are detached
 * (__detach_mounts()).
 */
import { newInodeOwner } from './attr.js';
import { Cap } from './creds.js';
import type { Dentry } from './dentry.js';
import { errno } from './errno.js';
import { AT_EMPTY_PATH, AT_REMOVEDIR, AT_SYMLINK_FOLLOW, mntWantWrite } from './file-syscalls.js';
import { isDir, RENAME_EXCHANGE, RENAME_NOREPLACE, RENAME_WHITEOUT, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK } from './inode.js';
import { isLocalMountpoint } from './mount-namespace.js';
import { detachMounts } from './mount-syscalls.js';
import { MAY_WRITE, inodePermission, mayCreate, mayDelete, mayLink } from './permission.js';
import type { Path } from './mount.js';
import type { Process } from './process.js';
import { lookupLast, type ParentWalk } from './resolve.js';

/** WHITEOUT_DEV (include/linux/fs.h): a whiteout is a character device numbered 0:0. */
const WHITEOUT_DEV = 0;

/**
 * filename_create(): the parent walk, then EEXIST for `.`/`..`/`/` or an existing name, ENOENT
 * for a trailing slash on a non-directory create, then the deferred EROFS.
 */
function filenameCreate(p: Process, dirfd: number, path: string, isDirectory: boolean): ParentWalk {
  const pw = p.parent(dirfd, path);
  if (pw.type !== 'norm') throw errno('EEXIST');
  const existing = lookupLast(pw);
  if (existing) throw errno('EEXIST');
  if (pw.trailing && !isDirectory) throw errno('ENOENT');
  mntWantWrite(pw.parent.mnt);
  return pw;
}

/** do_mkdirat(): the mode less the umask, S_ISVTX kept. */
export function mkdirat(p: Process, dirfd: number, path: string, mode: number): void {
  const pw = filenameCreate(p, dirfd, path, true);
  const dir = pw.parent.dentry;
  const idmap = pw.parent.mnt.idmap;
  mayCreate(p.creds, dir, undefined, idmap);
  const o = newInodeOwner(p.creds, dir.inode, mode & 0o1777, S_IFDIR, p.umask, idmap);
  dir.instantiate(pw.last, dir.inode.mkdir(pw.last, o.mode, o.uid, o.gid));
}

/**
 * do_mknodat(): may_mknod() first — no type is a regular file, a directory is EPERM, an unknown
 * type EINVAL — then the name, then CAP_MKNOD over init_user_ns for devices (EPERM), except a
 * whiteout (character device 0:0, WHITEOUT_DEV), which anyone may make (vfs_mknod(), since
 * Linux 5.8).
 */
export function mknodat(p: Process, dirfd: number, path: string, mode: number, dev: number): void {
  let type = mode & S_IFMT;
  if (type === 0) type = S_IFREG;
  else if (type === S_IFDIR) throw errno('EPERM');
  else if (type !== S_IFREG && type !== S_IFCHR && type !== S_IFBLK && type !== S_IFIFO && type !== S_IFSOCK) throw errno('EINVAL');
  const pw = filenameCreate(p, dirfd, path, false);
  const dir = pw.parent.dentry;
  const idmap = pw.parent.mnt.idmap;
  mayCreate(p.creds, dir, undefined, idmap);
  const whiteout = type === S_IFCHR && dev === WHITEOUT_DEV;
  if ((type === S_IFCHR || type === S_IFBLK) && !whiteout && !p.creds.capable(Cap.MKNOD)) throw errno('EPERM');
  const o = newInodeOwner(p.creds, dir.inode, mode & 0o7777, type, p.umask, idmap);
  const rdev = type === S_IFCHR || type === S_IFBLK ? dev : 0;
  dir.instantiate(pw.last, dir.inode.create(pw.last, o.mode, rdev, o.uid, o.gid));
}

/** do_symlinkat(): an empty target is ENOENT, one of PATH_MAX bytes or more ENAMETOOLONG. */
export function symlinkat(p: Process, target: string, dirfd: number, path: string): void {
  if (target === '') throw errno('ENOENT');
  if (target.length >= 4096 / 3 && new TextEncoder().encode(target).length >= 4096) throw errno('ENAMETOOLONG');
  const pw = filenameCreate(p, dirfd, path, false);
  const dir = pw.parent.dentry;
  const idmap = pw.parent.mnt.idmap;
  mayCreate(p.creds, dir, undefined, idmap);
  const o = newInodeOwner(p.creds, dir.inode, 0o777, S_IFLNK, 0, idmap);
  dir.instantiate(pw.last, dir.inode.symlink(pw.last, target, o.uid, o.gid));
}

/** do_linkat() and vfs_link(): EXDEV across mounts, EPERM for a directory, ENOENT for an unlinked inode. */
export function linkat(p: Process, olddirfd: number, oldpath: string, newdirfd: number, newpath: string, flags: number): void {
  if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) throw errno('EINVAL');
  const old = p.lookup(olddirfd, oldpath, (flags & AT_SYMLINK_FOLLOW) !== 0, (flags & AT_EMPTY_PATH) !== 0);
  const pw = filenameCreate(p, newdirfd, newpath, false);
  if (old.mnt !== pw.parent.mnt) throw errno('EXDEV');
  const idmap = pw.parent.mnt.idmap;
  mayLink(p.creds, old.dentry.inode, idmap);
  // vfs_link()
  const dir = pw.parent.dentry;
  mayCreate(p.creds, dir, undefined, idmap);
  const inode = old.dentry.inode;
  if (inode.sb !== dir.inode.sb) throw errno('EXDEV');
  if (isDir(inode.mode)) throw errno('EPERM');
  if (inode.nlink === 0) throw errno('ENOENT');
  dir.inode.link(pw.last, inode);
  dir.instantiate(pw.last, inode);
}

/** unlinkat(2): do_rmdir() with AT_REMOVEDIR, do_unlinkat() without; any other flag is EINVAL. */
export function unlinkat(p: Process, dirfd: number, path: string, flags: number): void {
  if (flags & ~AT_REMOVEDIR) throw errno('EINVAL');
  if (flags & AT_REMOVEDIR) rmdirat(p, dirfd, path);
  else unlinkName(p, dirfd, path);
}

/** do_unlinkat(): a trailing slash makes the name a directory's (EISDIR) or nothing's (ENOTDIR). */
function unlinkName(p: Process, dirfd: number, path: string): void {
  const pw = p.parent(dirfd, path);
  if (pw.type !== 'norm') throw errno('EISDIR');
  mntWantWrite(pw.parent.mnt);
  const victim = lookupLast(pw);
  if (!victim) throw errno('ENOENT');
  if (pw.trailing) throw errno(isDir(victim.inode.mode) ? 'EISDIR' : 'ENOTDIR');
  removeName(p, pw.parent, victim, false);
}

/** do_rmdir(): `..` is ENOTEMPTY, `.` EINVAL, `/` EBUSY, before anything else. */
function rmdirat(p: Process, dirfd: number, path: string): void {
  const pw = p.parent(dirfd, path);
  if (pw.type === 'dotdot') throw errno('ENOTEMPTY');
  if (pw.type === 'dot') throw errno('EINVAL');
  if (pw.type === 'root') throw errno('EBUSY');
  mntWantWrite(pw.parent.mnt);
  const victim = lookupLast(pw);
  if (!victim) throw errno('ENOENT');
  removeName(p, pw.parent, victim, true);
}

/**
 * vfs_unlink() / vfs_rmdir(): may_delete(), EBUSY for a mount point of the caller's namespace,
 * the filesystem's removal, then the dentry goes, and with it the mounts other namespaces have on
 * it (__detach_mounts()).
 */
function removeName(p: Process, at: Path, victim: Dentry, isdir: boolean): void {
  const dir = at.dentry;
  mayDelete(p.creds, dir, victim, isdir, at.mnt.idmap);
  if (isLocalMountpoint(p.ns, victim)) throw errno('EBUSY');
  if (isdir) dir.inode.rmdir(victim.name, victim.inode);
  else dir.inode.unlink(victim.name, victim.inode);
  victim.drop();
  detachMounts(p.kernel, victim);
}

/** do_renameat2() and vfs_rename(); `flags` are RENAME_NOREPLACE, RENAME_EXCHANGE, RENAME_WHITEOUT. */
export function renameat2(p: Process, olddirfd: number, oldpath: string, newdirfd: number, newpath: string, flags: number): void {
  if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT)) throw errno('EINVAL');
  if (flags & (RENAME_NOREPLACE | RENAME_WHITEOUT) && flags & RENAME_EXCHANGE) throw errno('EINVAL');
  if (flags & RENAME_WHITEOUT && !p.creds.capable(Cap.MKNOD)) throw errno('EPERM');
  const from = p.parent(olddirfd, oldpath);
  const to = p.parent(newdirfd, newpath);
  if (from.parent.mnt !== to.parent.mnt) throw errno('EXDEV');
  if (from.type !== 'norm') throw errno('EBUSY');
  // do_renameat2(): a `.`/`..`/`/` target exists, so RENAME_NOREPLACE reports EEXIST there.
  if (to.type !== 'norm') throw errno(flags & RENAME_NOREPLACE ? 'EEXIST' : 'EBUSY');
  mntWantWrite(from.parent.mnt);
  const oldDir = from.parent.dentry;
  const newDir = to.parent.dentry;
  const trap = renameTrap(oldDir, newDir);
  const src = lookupLast(from);
  if (!src) throw errno('ENOENT');
  const dst = lookupLast(to);
  if (flags & RENAME_NOREPLACE && dst) throw errno('EEXIST');
  if (flags & RENAME_EXCHANGE) {
    if (!dst) throw errno('ENOENT');
    if (!isDir(dst.inode.mode) && to.trailing) throw errno('ENOTDIR');
  }
  if (!isDir(src.inode.mode)) {
    if (from.trailing) throw errno('ENOTDIR');
    if (!(flags & RENAME_EXCHANGE) && to.trailing) throw errno('ENOTDIR');
  }
  if (src === trap) throw errno('EINVAL');
  if (dst && dst === trap) throw errno(flags & RENAME_EXCHANGE ? 'EINVAL' : 'ENOTEMPTY');

  // vfs_rename()
  if (dst && src.inode === dst.inode) return;
  const isdir = isDir(src.inode.mode);
  // One mount on both sides (EXDEV above), so one idmapping.
  const idmap = from.parent.mnt.idmap;
  mayDelete(p.creds, oldDir, src, isdir, idmap);
  let newIsDir = false;
  if (!dst) mayCreate(p.creds, newDir, undefined, idmap);
  else {
    newIsDir = isDir(dst.inode.mode);
    mayDelete(p.creds, newDir, dst, flags & RENAME_EXCHANGE ? newIsDir : isdir, idmap);
  }
  if (oldDir !== newDir) {
    // Moving a directory rewrites its `..`: write access to it is needed.
    if (isdir) inodePermission(p.creds, src.inode, MAY_WRITE, idmap);
    if (flags & RENAME_EXCHANGE && newIsDir) inodePermission(p.creds, dst!.inode, MAY_WRITE, idmap);
  }
  if (isLocalMountpoint(p.ns, src) || (dst && isLocalMountpoint(p.ns, dst))) throw errno('EBUSY');
  // RENAME_WHITEOUT's whiteout is made as mknod would make it, without the umask.
  const whiteout = flags & RENAME_WHITEOUT ? newInodeOwner(p.creds, oldDir.inode, 0, S_IFCHR, 0, idmap) : undefined;
  oldDir.inode.rename(src.name, newDir.inode, to.last, flags & (RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT), whiteout);
  const oldName = src.name;
  if (flags & RENAME_EXCHANGE) {
    dst!.move(oldDir, oldName);
    src.move(newDir, to.last);
  } else {
    if (dst) {
      dst.drop();
      detachMounts(p.kernel, dst);
    }
    src.move(newDir, to.last);
  }
}

/**
 * lock_rename()'s trap: when one parent is an ancestor of the other, the child of the ancestor on
 * the way to the descendant (a rename must not put a directory inside itself).
 */
function renameTrap(oldDir: Dentry, newDir: Dentry): Dentry | undefined {
  if (oldDir === newDir) return undefined;
  for (let d: Dentry | null = newDir; d && d.parent; d = d.parent) if (d.parent === oldDir) return d;
  for (let d: Dentry | null = oldDir; d && d.parent; d = d.parent) if (d.parent === newDir) return d;
  return undefined;
}
