/**
 * Attribute changes: notify_change() and setattr_prepare() — who may chmod, chown, chgrp and
 * set times, and when setuid/setgid bits are dropped — plus vfs_prepare_mode(), which shapes the
 * mode and owner of a new inode (umask, setgid directory inheritance).
 *
 * Rules (fs/attr.c, fs/inode.c): chmod needs the owner or CAP_FOWNER (EPERM), and drops S_ISGID
 * when the caller is neither in the file's group nor holds CAP_FSETID; chown to another uid needs
 * CAP_CHOWN, chgrp needs ownership and membership of the new group, or CAP_CHOWN (EPERM); any
 * chown of a non-directory drops S_ISUID and an effective S_ISGID, even done by root; explicit
 * times need the owner or CAP_FOWNER (EPERM), "now" needs the owner or write access (EACCES);
 * a write or truncate by a task without CAP_FSETID drops S_ISUID and an effective S_ISGID.
 */
import { Cap, type Credentials } from './creds.js';
import { errno } from './errno.js';
import { isDir, isLnk, isReg, S_IFDIR, S_IFMT, S_ISGID, S_ISUID, type Inode } from './inode.js';
import { MAY_WRITE, inodePermission, ownerOrCapable } from './permission.js';
import type { Timespec } from './time.js';

export interface SetAttr {
  mode?: number;
  uid?: number;
  gid?: number;
  size?: number;
  /** Explicit times (ATTR_*TIME_SET); 'now' is ATTR_*TIME without _SET. */
  atime?: Timespec | 'now';
  mtime?: Timespec | 'now';
  /** Drop S_ISUID/S_ISGID as chown does (ATTR_KILL_SUID | ATTR_KILL_SGID). */
  killSuid?: boolean;
  /** Skip permission checks (ATTR_FORCE: the kernel's own changes, e.g. file_remove_privs). */
  force?: boolean;
}

/** in_group_or_capable(): in the group, or CAP_FSETID. */
function inGroupOrCapable(creds: Credentials, gid: number): boolean {
  return creds.inGroup(gid) || creds.capable(Cap.FSETID);
}

/** notify_change(): checks and applies `a` to `inode`, stamping ctime. */
export function notifyChange(creds: Credentials, inode: Inode, a: SetAttr, now: Timespec): void {
  let mode = a.mode;
  if (mode !== undefined && isLnk(inode.mode)) throw errno('EOPNOTSUPP');
  const touch = a.atime === 'now' && a.mtime === 'now';
  if (touch && !a.force && !ownerOrCapable(creds, inode)) inodePermission(creds, inode, MAY_WRITE);

  // ATTR_KILL_SUID / ATTR_KILL_SGID turn into a mode change before the checks.
  if (a.killSuid) {
    if (inode.mode & S_ISUID) mode = inode.mode & ~S_ISUID & 0o7777;
    if (inode.mode & S_ISGID) {
      const drop = inode.mode & 0o010 ? true : !inGroupOrCapable(creds, inode.gid);
      if (drop) mode = (mode ?? inode.mode & 0o7777) & ~S_ISGID;
    }
  }

  if (!a.force) {
    // setattr_prepare()
    if (a.uid !== undefined && !(creds.uid === inode.uid && a.uid === inode.uid) && !creds.capable(Cap.CHOWN)) throw errno('EPERM');
    if (a.gid !== undefined) {
      const ok = (creds.uid === inode.uid && (a.gid === inode.gid || creds.inGroup(a.gid))) || creds.capable(Cap.CHOWN);
      if (!ok) throw errno('EPERM');
    }
    if (mode !== undefined) {
      if (!ownerOrCapable(creds, inode)) throw errno('EPERM');
      if (!inGroupOrCapable(creds, a.gid ?? inode.gid)) mode &= ~S_ISGID;
    }
    const explicitTimes = (a.atime !== undefined && a.atime !== 'now') || (a.mtime !== undefined && a.mtime !== 'now');
    if (explicitTimes && !ownerOrCapable(creds, inode)) throw errno('EPERM');
  }

  inode.setattr({
    mode,
    uid: a.uid,
    gid: a.gid,
    size: a.size,
    atime: a.atime === 'now' ? now : a.atime,
    mtime: a.mtime === 'now' ? now : a.mtime,
    ctime: now,
  });
}

/**
 * should_remove_suid(): the kill flags a write or truncate by `creds` implies for `inode`:
 * S_ISUID, and S_ISGID with group-exec, on regular files, unless the task holds CAP_FSETID.
 */
export function shouldRemoveSuid(creds: Credentials, inode: Inode): boolean {
  if (!isReg(inode.mode) || creds.capable(Cap.FSETID)) return false;
  return (inode.mode & S_ISUID) !== 0 || (inode.mode & (S_ISGID | 0o010)) === (S_ISGID | 0o010);
}

/**
 * vfs_prepare_mode() + inode_init_owner(): the mode, uid and gid of a new inode of type `type`
 * made in `dir` with the requested `mode`.
 */
export function newInodeOwner(creds: Credentials, dir: Inode, mode: number, type: number, umask: number): { mode: number; uid: number; gid: number } {
  // mode_strip_sgid(): a setgid, group-executable file in a setgid directory keeps S_ISGID only
  // for members of the directory's group or holders of CAP_FSETID.
  if ((mode & (S_ISGID | 0o010)) === (S_ISGID | 0o010) && type !== S_IFDIR && dir.mode & S_ISGID && !inGroupOrCapable(creds, dir.gid)) {
    mode &= ~S_ISGID;
  }
  mode &= ~umask;
  mode = (mode & 0o7777) | (type & S_IFMT);
  let gid = creds.gid;
  if (dir.mode & S_ISGID) {
    gid = dir.gid;
    if (isDir(mode)) mode |= S_ISGID;
  }
  return { mode, uid: creds.uid, gid };
}
