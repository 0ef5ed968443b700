/**
 * Attribute changes: chmod(2), chown(2) and their f/l/*at forms, truncate(2)/ftruncate(2),
 * utimensat(2) and umask(2) — the syscall side of fs/open.c (chmod_common(), chown_common(),
 * do_sys_truncate(), do_sys_ftruncate()), fs/utimes.c and kernel/sys.c's umask. Who may make a
 * change, and which setuid/setgid bits it drops, is notify_change()'s (attr.ts).
 *
 * Each takes the mount's write access first (EROFS), except truncate(2), which checks write
 * permission before it, and ftruncate(2), whose descriptor already holds it; a descriptor form
 * refuses O_PATH descriptors (EBADF).
 */
import { notifyChange } from './attr.js';
import { errno } from './errno.js';
import { AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW, doTruncate, fdget, mntWantWrite } from './file-syscalls.js';
import { isDir, isReg } from './inode.js';
import type { Path } from './mount.js';
import { MAY_WRITE, inodePermission } from './permission.js';
import type { Process } from './process.js';
import { UTIME_NOW, UTIME_OMIT, type Timespec } from './time.js';
import { INVALID_ID } from './user-namespace.js';

/** The path an *at() attribute call names: `flags` may hold AT_SYMLINK_NOFOLLOW and AT_EMPTY_PATH, nothing else (EINVAL). */
function atPath(p: Process, dirfd: number, path: string, flags: number): Path {
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) throw errno('EINVAL');
  return p.lookup(dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW), (flags & AT_EMPTY_PATH) !== 0);
}

/**
 * fchmodat2(2); chmod(2) is flags 0, fchmod(2) the descriptor's path. fchmodat2 accepts
 * AT_SYMLINK_NOFOLLOW, but a link's own mode cannot change (EOPNOTSUPP, notify_change()).
 */
export function fchmodat(p: Process, dirfd: number, path: string, mode: number, flags: number): void {
  chmodCommon(p, atPath(p, dirfd, path, flags), mode);
}

export function fchmod(p: Process, fd: number, mode: number): void {
  chmodCommon(p, fdget(p, fd).path, mode);
}

/** chmod_common(). */
function chmodCommon(p: Process, target: Path, mode: number): void {
  mntWantWrite(target.mnt);
  notifyChange(p.creds, target.dentry.inode, { mode: mode & 0o7777 }, p.kernel.clock.now(), target.mnt.idmap);
}

/** fchownat(2); chown(2) is flags 0, lchown(2) AT_SYMLINK_NOFOLLOW. */
export function fchownat(p: Process, dirfd: number, path: string, uid: number, gid: number, flags: number): void {
  chownCommon(p, atPath(p, dirfd, path, flags), uid, gid);
}

export function fchown(p: Process, fd: number, uid: number, gid: number): void {
  chownCommon(p, fdget(p, fd).path, uid, gid);
}

/**
 * chown_common(): -1 leaves an id alone; a non-directory loses setuid and effective setgid. The
 * ids are the caller's user namespace's, EINVAL where it maps none (make_kuid()); they name the
 * owner as seen through the mount (a vfsuid: setattr_vfsuid()), which notify_change() writes down
 * through the mount's idmapping.
 */
function chownCommon(p: Process, target: Path, uid: number, gid: number): void {
  mntWantWrite(target.mnt);
  const ns = p.creds.userNs;
  const keep = (id: number, make: (id: number) => number): number | undefined => {
    if (id === -1 || id === 0xffffffff) return undefined;
    const k = make(id);
    if (k === INVALID_ID) throw errno('EINVAL');
    return k;
  };
  const kuid = keep(uid, (id) => ns.makeKuid(id));
  const kgid = keep(gid, (id) => ns.makeKgid(id));
  const inode = target.dentry.inode;
  notifyChange(p.creds, inode, { uid: kuid, gid: kgid, killSuid: !isDir(inode.mode) }, p.kernel.clock.now(), target.mnt.idmap);
}

/**
 * do_sys_truncate() and vfs_truncate(): EINVAL for a negative length or a non-regular file, EISDIR
 * for a directory, then write permission (inode_permission(), whose sb_permission() makes a
 * read-only superblock EROFS first), then the mount's write access (EROFS for a read-only
 * mount): since Linux 6.13 the permission comes before mnt_want_write(), so a task that may not
 * write the file gets EACCES on a read-only bind mount (measured on 6.18:
 * test/parity/corpus/truncate-eacces-before-erofs.json).
 */
export function truncate(p: Process, path: string, length: number): void {
  if (length < 0) throw errno('EINVAL');
  const target = p.lookup(AT_FDCWD, path, true);
  const inode = target.dentry.inode;
  if (isDir(inode.mode)) throw errno('EISDIR');
  if (!isReg(inode.mode)) throw errno('EINVAL');
  inodePermission(p.creds, inode, MAY_WRITE, target.mnt.idmap);
  mntWantWrite(target.mnt);
  doTruncate(p, inode, length, target.mnt.idmap);
}

/** do_sys_ftruncate(): the descriptor must be a regular file open for writing (EINVAL). */
export function ftruncate(p: Process, fd: number, length: number): void {
  if (length < 0) throw errno('EINVAL');
  const f = fdget(p, fd);
  if (!isReg(f.inode.mode) || !f.writable) throw errno('EINVAL');
  doTruncate(p, f.inode, length, f.path.mnt.idmap);
}

/**
 * utimensat(2): `times` null sets both to now; UTIME_NOW / UTIME_OMIT in `nsec` as in C; `path`
 * null names `dirfd` itself (the C call's NULL pathname, futimens(3)).
 */
export function utimensat(p: Process, dirfd: number, path: string | null, times: [Timespec, Timespec] | null, flags: number): void {
  // sys_utimensat(): both UTIME_OMIT is "nothing to do", checked before the flags and path.
  if (times && times[0].nsec === UTIME_OMIT && times[1].nsec === UTIME_OMIT) return;
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) throw errno('EINVAL');
  if (times) for (const t of times) if (t.nsec !== UTIME_NOW && t.nsec !== UTIME_OMIT && (t.nsec < 0 || t.nsec > 999_999_999)) throw errno('EINVAL');
  const target = path === null ? p.fds.get(dirfd).path : atPath(p, dirfd, path, flags);
  mntWantWrite(target.mnt);
  const pick = (t: Timespec | undefined): Timespec | 'now' | undefined => (!t || t.nsec === UTIME_NOW ? 'now' : t.nsec === UTIME_OMIT ? undefined : t);
  notifyChange(p.creds, target.dentry.inode, { atime: pick(times?.[0]), mtime: pick(times?.[1]) }, p.kernel.clock.now(), target.mnt.idmap);
}

/** umask(2): sets the mask to `mask & 0777` and returns the old one; it cannot fail. */
export function umask(p: Process, mask: number): number {
  const old = p.umask;
  p.umask = mask & 0o777;
  return old;
}
