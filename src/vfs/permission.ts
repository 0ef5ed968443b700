/**
 * Permission checks: inode_permission(), generic_permission() and the rules that build on them
 * (may_create, may_delete with the sticky bit, owner-or-capable, protected hardlinks).
 *
 * The class rule is the kernel's acl_permission_check(): the *first* class that matches decides
 * (owner, else group including supplementary groups, else other), so an owner with fewer rights
 * than "other" is denied. Capabilities then override as generic_permission() allows:
 * CAP_DAC_READ_SEARCH for reading files and reading/searching directories, CAP_DAC_OVERRIDE for
 * everything except executing a file that has no x bit at all.
 *
 * User namespaces and idmapped mounts (Documentation/filesystems/idmappings.rst): the owner and
 * group compared are the inode's vfsuid/vfsgid through the mount's idmapping (`idmap`, the
 * nop idmapping when a caller passes none), and a capability overrides only where the task's
 * user namespace holds it *and* maps both the inode's vfsuid and vfsgid
 * (capable_wrt_inode_uidgid()): root of a user namespace has no power over a file whose owner
 * its namespace cannot name.
 */
import { Cap, type Credentials } from './creds.js';
import type { Dentry } from './dentry.js';
import { errno } from './errno.js';
import { fsuidgidHasMapping, makeVfsgid, makeVfsuid, NOP_IDMAP, type MntIdmap } from './idmapping.js';
import { INVALID_ID } from './user-namespace.js';
import { isDir, isLnk, isReg, S_ISGID, S_ISUID, S_ISVTX, SB_RDONLY, type Inode } from './inode.js';

export const MAY_EXEC = 1;
export const MAY_WRITE = 2;
export const MAY_READ = 4;
export const MAY_APPEND = 8;

const S_IXUGO = 0o111;

/** i_uid_into_vfsuid(): the inode's owner as seen through `idmap`. */
export function inodeVfsuid(idmap: MntIdmap, inode: Inode): number {
  return idmap.isNop ? inode.uid : makeVfsuid(idmap, inode.sb, inode.uid);
}

/** i_gid_into_vfsgid(). */
export function inodeVfsgid(idmap: MntIdmap, inode: Inode): number {
  return idmap.isNop ? inode.gid : makeVfsgid(idmap, inode.sb, inode.gid);
}

/**
 * capable_wrt_inode_uidgid(): `cap` in the task's own user namespace, which must map the
 * inode's vfsuid and vfsgid (privileged_wrt_inode_uidgid()).
 */
export function capableWrtInodeUidgid(creds: Credentials, inode: Inode, cap: number, idmap: MntIdmap = NOP_IDMAP): boolean {
  const ns = creds.userNs;
  if (!creds.nsCapable(ns, cap)) return false;
  return ns.fromKuid(inodeVfsuid(idmap, inode)) !== INVALID_ID && ns.fromKgid(inodeVfsgid(idmap, inode)) !== INVALID_ID;
}

/** generic_permission(): EACCES unless the mode bits or a capability allow `mask`. */
export function genericPermission(creds: Credentials, inode: Inode, mask: number, idmap: MntIdmap = NOP_IDMAP): void {
  let mode = inode.mode;
  if (creds.uid === inodeVfsuid(idmap, inode)) mode >>= 6;
  else if (creds.inGroup(inodeVfsgid(idmap, inode))) mode >>= 3;
  mask &= MAY_READ | MAY_WRITE | MAY_EXEC;
  if ((mask & ~mode & 7) === 0) return;

  // No closure over the arguments here: V8 would allocate its context on every call, the
  // cheap return above included.
  if (isDir(inode.mode)) {
    if (!(mask & MAY_WRITE) && capableWrtInodeUidgid(creds, inode, Cap.DAC_READ_SEARCH, idmap)) return;
    if (capableWrtInodeUidgid(creds, inode, Cap.DAC_OVERRIDE, idmap)) return;
    throw errno('EACCES');
  }
  if (mask === MAY_READ && capableWrtInodeUidgid(creds, inode, Cap.DAC_READ_SEARCH, idmap)) return;
  // An exec is overridable only when some x bit is set (generic_permission).
  if ((!(mask & MAY_EXEC) || inode.mode & S_IXUGO) && capableWrtInodeUidgid(creds, inode, Cap.DAC_OVERRIDE, idmap)) return;
  throw errno('EACCES');
}

/**
 * inode_permission(): a write to a read-only *superblock* is EROFS for files, directories and
 * links before any mode check (sb_permission()); read-only *mounts* are the caller's business
 * (mnt_want_write()), because their errno comes at a different point of each syscall.
 */
export function inodePermission(creds: Credentials, inode: Inode, mask: number, idmap: MntIdmap = NOP_IDMAP): void {
  if (mask & MAY_WRITE && inode.sb.flags & SB_RDONLY && (isReg(inode.mode) || isDir(inode.mode) || isLnk(inode.mode))) {
    throw errno('EROFS');
  }
  // HAS_UNMAPPED_ID(): writing to an inode whose owner the idmapping cannot name is EACCES.
  if (mask & MAY_WRITE && !idmap.isNop && (inodeVfsuid(idmap, inode) === INVALID_ID || inodeVfsgid(idmap, inode) === INVALID_ID)) {
    throw errno('EACCES');
  }
  genericPermission(creds, inode, mask, idmap);
}

/**
 * inode_owner_or_capable(): the owner seen through `idmap`, or CAP_FOWNER in the task's user
 * namespace when that namespace maps the owner.
 */
export function ownerOrCapable(creds: Credentials, inode: Inode, idmap: MntIdmap = NOP_IDMAP): boolean {
  const vfsuid = inodeVfsuid(idmap, inode);
  if (creds.uid === vfsuid) return true;
  return creds.userNs.fromKuid(vfsuid) !== INVALID_ID && creds.nsCapable(creds.userNs, Cap.FOWNER);
}

/**
 * may_create(): EEXIST for a positive target, ENOENT in a removed directory, EOVERFLOW when the
 * task's fsuid or fsgid cannot be written down as an owner through the mount
 * (fsuidgid_has_mapping()), then write+search on the directory.
 */
export function mayCreate(creds: Credentials, dir: Dentry, existing: Dentry | undefined, idmap: MntIdmap = NOP_IDMAP): void {
  if (existing) throw errno('EEXIST');
  if (dir.unlinked) throw errno('ENOENT');
  if (!fsuidgidHasMapping(creds, idmap, dir.inode.sb)) throw errno('EOVERFLOW');
  inodePermission(creds, dir.inode, MAY_WRITE | MAY_EXEC, idmap);
}

/**
 * may_delete(): EOVERFLOW for a victim whose owner the mount cannot name, write+search on the
 * directory, the sticky-bit rule, then the type match (`isdir` says the caller removes a
 * directory: rmdir, or rename of a directory).
 */
export function mayDelete(creds: Credentials, dir: Dentry, victim: Dentry, isdir: boolean, idmap: MntIdmap = NOP_IDMAP): void {
  // Inode writeback is not safe when the uid or gid cannot be named (may_delete()).
  if (inodeVfsuid(idmap, victim.inode) === INVALID_ID || inodeVfsgid(idmap, victim.inode) === INVALID_ID) throw errno('EOVERFLOW');
  inodePermission(creds, dir.inode, MAY_WRITE | MAY_EXEC, idmap);
  // check_sticky(): in a sticky directory only the file's owner, the directory's owner or
  // CAP_FOWNER may remove or rename an entry.
  if (
    dir.inode.mode & S_ISVTX &&
    creds.uid !== inodeVfsuid(idmap, victim.inode) &&
    creds.uid !== inodeVfsuid(idmap, dir.inode) &&
    !capableWrtInodeUidgid(creds, victim.inode, Cap.FOWNER, idmap)
  ) {
    throw errno('EPERM');
  }
  if (isdir) {
    if (!isDir(victim.inode.mode)) throw errno('ENOTDIR');
    if (!victim.parent) throw errno('EBUSY');
  } else if (isDir(victim.inode.mode)) {
    throw errno('EISDIR');
  }
  if (dir.unlinked) throw errno('ENOENT');
}

/**
 * may_linkat() with fs.protected_hardlinks=1 (this kernel's setting): someone who neither owns
 * the source nor has CAP_FOWNER may link only a "safe" source, a regular file without
 * setuid/setgid-exec that they can read and write. EPERM otherwise.
 */
export function mayLink(creds: Credentials, inode: Inode, idmap: MntIdmap = NOP_IDMAP): void {
  // Inode writeback is not safe when the uid or gid cannot be named (may_linkat()).
  if (inodeVfsuid(idmap, inode) === INVALID_ID || inodeVfsgid(idmap, inode) === INVALID_ID) throw errno('EOVERFLOW');
  if (ownerOrCapable(creds, inode, idmap)) return;
  if (isReg(inode.mode) && !(inode.mode & S_ISUID) && (inode.mode & (S_ISGID | 0o010)) !== (S_ISGID | 0o010)) {
    try {
      inodePermission(creds, inode, MAY_READ | MAY_WRITE, idmap);
      return;
    } catch {
      // falls through to EPERM
    }
  }
  throw errno('EPERM');
}
