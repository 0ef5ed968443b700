/**
 * Permission checks: inode_permission(), generic_permission() and the rules that build on them
 * (may_create, may_delete with the sticky bit, owner-or-capable, protected hardlinks).
 *
 * The class rule is the kernel's acl_permission_check(): the *first* class that matches decides
 * (owner, else group including supplementary groups, else other), so an owner with fewer rights
 * than "other" is denied. Capabilities then override as generic_permission() allows:
 * CAP_DAC_READ_SEARCH for reading files and reading/searching directories, CAP_DAC_OVERRIDE for
 * everything except executing a file that has no x bit at all.
 */
import { Cap, type Credentials } from './creds.js';
import type { Dentry } from './dentry.js';
import { errno } from './errno.js';
import { isDir, isLnk, isReg, S_ISGID, S_ISUID, S_ISVTX, SB_RDONLY, type Inode } from './inode.js';

export const MAY_EXEC = 1;
export const MAY_WRITE = 2;
export const MAY_READ = 4;
export const MAY_APPEND = 8;

const S_IXUGO = 0o111;

/** generic_permission(): EACCES unless the mode bits or a capability allow `mask`. */
export function genericPermission(creds: Credentials, inode: Inode, mask: number): void {
  let mode = inode.mode;
  if (creds.uid === inode.uid) mode >>= 6;
  else if (creds.inGroup(inode.gid)) mode >>= 3;
  mask &= MAY_READ | MAY_WRITE | MAY_EXEC;
  if ((mask & ~mode & 7) === 0) return;

  if (isDir(inode.mode)) {
    if (!(mask & MAY_WRITE) && creds.capable(Cap.DAC_READ_SEARCH)) return;
    if (creds.capable(Cap.DAC_OVERRIDE)) return;
    throw errno('EACCES');
  }
  if (mask === MAY_READ && creds.capable(Cap.DAC_READ_SEARCH)) return;
  // An exec is overridable only when some x bit is set (generic_permission).
  if ((!(mask & MAY_EXEC) || inode.mode & S_IXUGO) && creds.capable(Cap.DAC_OVERRIDE)) return;
  throw errno('EACCES');
}

/**
 * inode_permission(): a write to a read-only *superblock* is EROFS for files, directories and
 * links before any mode check (sb_permission()); read-only *mounts* are the caller's business
 * (mnt_want_write()), because their errno comes at a different point of each syscall.
 */
export function inodePermission(creds: Credentials, inode: Inode, mask: number): void {
  if (mask & MAY_WRITE && inode.sb.flags & SB_RDONLY && (isReg(inode.mode) || isDir(inode.mode) || isLnk(inode.mode))) {
    throw errno('EROFS');
  }
  genericPermission(creds, inode, mask);
}

/** inode_owner_or_capable(): the owner, or CAP_FOWNER. */
export function ownerOrCapable(creds: Credentials, inode: Inode): boolean {
  return creds.uid === inode.uid || creds.capable(Cap.FOWNER);
}

/** may_create(): EEXIST for a positive target, then write+search on the directory. */
export function mayCreate(creds: Credentials, dir: Dentry, existing: Dentry | undefined): void {
  if (existing) throw errno('EEXIST');
  if (dir.unlinked) throw errno('ENOENT');
  inodePermission(creds, dir.inode, MAY_WRITE | MAY_EXEC);
}

/**
 * may_delete(): write+search on the directory, the sticky-bit rule, then the type match
 * (`isdir` says the caller removes a directory: rmdir, or rename of a directory).
 */
export function mayDelete(creds: Credentials, dir: Dentry, victim: Dentry, isdir: boolean): void {
  inodePermission(creds, dir.inode, MAY_WRITE | MAY_EXEC);
  // check_sticky(): in a sticky directory only the file's owner, the directory's owner or
  // CAP_FOWNER may remove or rename an entry.
  if (dir.inode.mode & S_ISVTX && creds.uid !== victim.inode.uid && creds.uid !== dir.inode.uid && !creds.capable(Cap.FOWNER)) {
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
export function mayLink(creds: Credentials, inode: Inode): void {
  if (ownerOrCapable(creds, inode)) return;
  if (isReg(inode.mode) && !(inode.mode & S_ISUID) && (inode.mode & (S_ISGID | 0o010)) !== (S_ISGID | 0o010)) {
    try {
      inodePermission(creds, inode, MAY_READ | MAY_WRITE);
      return;
    } catch {
      // falls through to EPERM
    }
  }
  throw errno('EPERM');
}
