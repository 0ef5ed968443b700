/**
 * Looking without changing: stat(2) and its *at/f/l forms, statfs(2)/fstatfs(2), readlink(2)/
 * readlinkat(2) and access(2)/faccessat2(2) — the syscall side of fs/stat.c (vfs_fstatat,
 * vfs_fstat, do_readlinkat), fs/statfs.c and fs/open.c's do_faccessat().
 *
 * None of these needs write access to the mount, and the descriptor forms take O_PATH
 * descriptors (fdget_raw()): fstat(2) of one is how O_PATH is meant to be used.
 */
import { errno } from './errno.js';
import { AT_EACCESS, AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW } from './file-syscalls.js';
import { isLnk, isReg, isSpecial, SB_RDONLY } from './inode.js';
import { MNT_NOEXEC } from './mount.js';
import { inodePermission } from './permission.js';
import type { Process } from './process.js';
import { statfsOf, statOf, type Stat, type StatFs } from './stat.js';

export const F_OK = 0;
export const X_OK = 1;
export const W_OK = 2;
export const R_OK = 4;

/** vfs_fstatat(): stat(2) is flags 0, lstat(2) AT_SYMLINK_NOFOLLOW; any other flag is EINVAL. */
export function fstatat(p: Process, dirfd: number, path: string, flags: number): Stat {
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) throw errno('EINVAL');
  const found = p.lookup(dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW), (flags & AT_EMPTY_PATH) !== 0);
  return statOf(found.dentry.inode, found.mnt.idmap, p.creds.userNs);
}

/** vfs_fstat(). */
export function fstat(p: Process, fd: number): Stat {
  const { path } = p.fds.get(fd);
  return statOf(path.dentry.inode, path.mnt.idmap, p.creds.userNs);
}

/** statfs(2): the filesystem's numbers, with f_flags from the mount the path is on. */
export function statfs(p: Process, path: string): StatFs {
  return statfsOf(p.lookup(AT_FDCWD, path, true).mnt);
}

/** fstatfs(2): statfs(2) of the mount a descriptor is on. */
export function fstatfs(p: Process, fd: number): StatFs {
  return statfsOf(p.fds.get(fd).path.mnt);
}

/** do_readlinkat(): the link itself is looked up (never followed); anything else is EINVAL. */
export function readlinkat(p: Process, dirfd: number, path: string): string {
  const found = p.lookup(dirfd, path, false, true);
  if (!isLnk(found.dentry.inode.mode)) throw errno('EINVAL');
  return found.dentry.inode.readlink();
}

/**
 * do_faccessat(): checks with the real ids, the walk included; without AT_EACCESS a non-root uid
 * checks without capabilities and root with its permitted set (access_override_creds()).
 */
export function faccessat(p: Process, dirfd: number, path: string, mode: number, flags: number): void {
  if (mode & ~7) throw errno('EINVAL');
  if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) throw errno('EINVAL');
  let creds = p.creds;
  // access_override_creds(): the fs ids become the real ones; root (of the task's namespace) keeps
  // its permitted set, anyone else checks without capabilities.
  if (!(flags & AT_EACCESS)) {
    const caps = creds.ruid === creds.userNs.makeKuid(0) ? creds.permitted : 0n;
    creds = creds.with({ uid: creds.ruid, gid: creds.rgid, caps });
  }
  const saved = p.creds;
  p.creds = creds;
  try {
    const found = p.lookup(dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW), (flags & AT_EMPTY_PATH) !== 0);
    const inode = found.dentry.inode;
    if (mode & X_OK && isReg(inode.mode) && found.mnt.flags & MNT_NOEXEC) throw errno('EACCES');
    inodePermission(creds, inode, mode, found.mnt.idmap);
    // SuS v2 requires a read-only filesystem to be reported for W_OK.
    if (mode & W_OK && !isSpecial(inode.mode) && (found.mnt.readonly || found.mnt.sb.flags & SB_RDONLY)) throw errno('EROFS');
  } finally {
    p.creds = saved;
  }
}
