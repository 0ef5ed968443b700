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
 *
 * Through an idmapped mount (`idmap`; idmappings.rst) `SetAttr.uid`/`gid` are vfsuids, the ids as
 * seen through the mount: notify_change() is EOVERFLOW when one cannot be written down on the
 * filesystem, or when the inode's own owner cannot be named and is not being changed; the
 * owner checks compare vfsuids; what is stored is from_vfsuid()'s kernel id.
 */
import { Cap, type Credentials } from './creds.js';
import { errno } from './errno.js';
import { fromVfsgid, fromVfsuid, NOP_IDMAP, sbUserNs, type MntIdmap } from './idmapping.js';
import { isDir, isLnk, isReg, S_IFDIR, S_IFMT, S_ISGID, S_ISUID, type Inode } from './inode.js';
import { capableWrtInodeUidgid, inodeVfsgid, inodeVfsuid, MAY_WRITE, inodePermission, ownerOrCapable } from './permission.js';
import { INVALID_ID, type UserNamespace } from './user-namespace.js';
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

/** in_group_or_capable(): in the group `vfsgid`, or CAP_FSETID over the inode's owner. */
function inGroupOrCapable(creds: Credentials, inode: Inode, vfsgid: number, idmap: MntIdmap): boolean {
  return creds.inGroup(vfsgid) || capableWrtInodeUidgid(creds, inode, Cap.FSETID, idmap);
}

/**
 * chown_ok()'s capability half: CAP_CHOWN over the inode's owner, or, for an owner `id` nobody
 * can name, over the filesystem's namespace `fsNs`. (A function, not a closure in
 * notifyChange(): V8 would allocate the closure's context on every call, truncates included.)
 */
function chownCapable(creds: Credentials, inode: Inode, id: number, idmap: MntIdmap, fsNs: UserNamespace): boolean {
  return capableWrtInodeUidgid(creds, inode, Cap.CHOWN, idmap) || (id === INVALID_ID && creds.nsCapable(fsNs, Cap.CHOWN));
}

/** notify_change(): checks and applies `a` to `inode`, stamping ctime. */
export function notifyChange(creds: Credentials, inode: Inode, a: SetAttr, now: Timespec, idmap: MntIdmap = NOP_IDMAP): void {
  let mode = a.mode;
  if (mode !== undefined && isLnk(inode.mode)) throw errno('EOPNOTSUPP');
  const touch = a.atime === 'now' && a.mtime === 'now';
  if (touch && !a.force && !ownerOrCapable(creds, inode, idmap)) inodePermission(creds, inode, MAY_WRITE, idmap);

  const vfsuid = inodeVfsuid(idmap, inode);
  const vfsgid = inodeVfsgid(idmap, inode);
  // ATTR_KILL_SUID / ATTR_KILL_SGID turn into a mode change before the checks.
  if (a.killSuid) {
    if (inode.mode & S_ISUID) mode = inode.mode & ~S_ISUID & 0o7777;
    if (inode.mode & S_ISGID) {
      const drop = inode.mode & 0o010 ? true : !inGroupOrCapable(creds, inode, vfsgid, idmap);
      if (drop) mode = (mode ?? inode.mode & 0o7777) & ~S_ISGID;
    }
  }

  // The new owner must be nameable on the filesystem (vfsuid_has_fsmapping()), and an owner
  // that cannot be named must be the one changing.
  const fsNs = sbUserNs(inode.sb);
  const kuid = a.uid === undefined ? undefined : fromVfsuid(idmap, inode.sb, a.uid);
  const kgid = a.gid === undefined ? undefined : fromVfsgid(idmap, inode.sb, a.gid);
  if (kuid !== undefined && (kuid === INVALID_ID || fsNs.fromKuid(kuid) === INVALID_ID)) throw errno('EOVERFLOW');
  if (kgid !== undefined && (kgid === INVALID_ID || fsNs.fromKgid(kgid) === INVALID_ID)) throw errno('EOVERFLOW');
  if (a.uid === undefined && vfsuid === INVALID_ID) throw errno('EOVERFLOW');
  if (a.gid === undefined && vfsgid === INVALID_ID) throw errno('EOVERFLOW');

  if (!a.force) {
    // setattr_prepare(): chown_ok(), chgrp_ok(); an owner nobody can name may be given away by
    // CAP_CHOWN over the filesystem's namespace.
    if (a.uid !== undefined && !(creds.uid === vfsuid && a.uid === vfsuid) && !chownCapable(creds, inode, vfsuid, idmap, fsNs)) throw errno('EPERM');
    if (a.gid !== undefined) {
      const ok = (creds.uid === vfsuid && (a.gid === vfsgid || creds.inGroup(a.gid))) || chownCapable(creds, inode, vfsgid, idmap, fsNs);
      if (!ok) throw errno('EPERM');
    }
    if (mode !== undefined) {
      if (!ownerOrCapable(creds, inode, idmap)) throw errno('EPERM');
      if (!inGroupOrCapable(creds, inode, a.gid ?? vfsgid, idmap)) mode &= ~S_ISGID;
    }
    const explicitTimes = (a.atime !== undefined && a.atime !== 'now') || (a.mtime !== undefined && a.mtime !== 'now');
    if (explicitTimes && !ownerOrCapable(creds, inode, idmap)) throw errno('EPERM');
  }

  inode.setattr({
    mode,
    uid: kuid,
    gid: kgid,
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
export function shouldRemoveSuid(creds: Credentials, inode: Inode, idmap: MntIdmap = NOP_IDMAP): boolean {
  // setattr_should_drop_suidgid(): capable(CAP_FSETID), in init_user_ns: root of a user
  // namespace loses the bits too (measured on 6.18).
  // The mode first: it rules out nearly every write, and the capability test costs BigInts.
  if (!isReg(inode.mode)) return false;
  if ((inode.mode & S_ISUID) === 0 && (inode.mode & (S_ISGID | 0o010)) !== (S_ISGID | 0o010)) return false;
  return !creds.capable(Cap.FSETID);
}

/**
 * vfs_prepare_mode() + inode_init_owner(): the mode, uid and gid of a new inode of type `type`
 * made in `dir` with the requested `mode`.
 */
export function newInodeOwner(creds: Credentials, dir: Inode, mode: number, type: number, umask: number, idmap: MntIdmap = NOP_IDMAP): { mode: number; uid: number; gid: number } {
  // mode_strip_sgid(): a setgid, group-executable file in a setgid directory keeps S_ISGID only
  // for members of the directory's group or holders of CAP_FSETID.
  if ((mode & (S_ISGID | 0o010)) === (S_ISGID | 0o010) && type !== S_IFDIR && dir.mode & S_ISGID && !inGroupOrCapable(creds, dir, inodeVfsgid(idmap, dir), idmap)) {
    mode &= ~S_ISGID;
  }
  mode &= ~umask;
  mode = (mode & 0o7777) | (type & S_IFMT);
  // inode_fsgid_set(): the creator's fsgid written down through the mount (mapped_fsgid()); a
  // setgid directory's own group is copied as stored.
  let gid = fromVfsgid(idmap, dir.sb, creds.gid);
  if (dir.mode & S_ISGID) {
    gid = dir.gid;
    if (isDir(mode)) mode |= S_ISGID;
  }
  return { mode, uid: fromVfsuid(idmap, dir.sb, creds.uid), gid };
}
