/**
 * struct stat and struct statfs as the VFS fills them (vfs_getattr, vfs_statfs): the inode's
 * attributes with st_dev from the superblock, and the filesystem's statfs with f_flags computed
 * from the mount's and superblock's flags (calculate_f_flags()).
 *
 * st_uid/st_gid are what the caller sees (generic_fillattr() then cp_new_stat()): the inode's
 * owner through the mount's idmapping (i_uid_into_vfsuid()), then named in the caller's user
 * namespace, the overflow id 65534 where it has no name (from_kuid_munged()).
 */
import { makeVfsgid, makeVfsuid, NOP_IDMAP, type MntIdmap } from './idmapping.js';
import { type FsStats, type Inode, SB_MANDLOCK, SB_RDONLY, SB_SYNCHRONOUS } from './inode.js';
import { INIT_USER_NS, type UserNamespace } from './user-namespace.js';
import { MNT_NOATIME, MNT_NODEV, MNT_NODIRATIME, MNT_NOEXEC, MNT_NOSUID, MNT_NOSYMFOLLOW, MNT_READONLY, MNT_RELATIME, type Mount } from './mount.js';
import type { Timespec } from './time.js';

export interface Stat {
  dev: number;
  ino: number;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: number;
  size: number;
  blksize: number;
  blocks: number;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;
  birthtime: Timespec;
}

/** vfs_getattr() as a task of user namespace `ns` sees `inode` through a mount with `idmap`. */
export function statOf(inode: Inode, idmap: MntIdmap = NOP_IDMAP, ns: UserNamespace = INIT_USER_NS): Stat {
  return {
    dev: inode.sb.dev,
    ino: inode.ino,
    mode: inode.mode,
    nlink: inode.nlink,
    uid: ns.fromKuidMunged(makeVfsuid(idmap, inode.sb, inode.uid)),
    gid: ns.fromKgidMunged(makeVfsgid(idmap, inode.sb, inode.gid)),
    rdev: inode.rdev,
    size: inode.size,
    blksize: 4096,
    blocks: inode.blocks,
    atime: inode.atime,
    mtime: inode.mtime,
    ctime: inode.ctime,
    birthtime: inode.btime,
  };
}

/** ST_* bits of statfs f_flags (statvfs(3)). */
export const ST_RDONLY = 0x0001;
export const ST_NOSUID = 0x0002;
export const ST_NODEV = 0x0004;
export const ST_NOEXEC = 0x0008;
export const ST_SYNCHRONOUS = 0x0010;
export const ST_VALID = 0x0020;
export const ST_MANDLOCK = 0x0040;
export const ST_NOATIME = 0x0400;
export const ST_NODIRATIME = 0x0800;
export const ST_RELATIME = 0x1000;
export const ST_NOSYMFOLLOW = 0x2000;

/** statfs(2): the filesystem's figures plus the VFS's fsid and f_flags. */
export interface StatFs extends FsStats {
  /** Two 32-bit words, like __kernel_fsid_t. */
  fsid: [number, number];
  flags: number;
}

/** calculate_f_flags(): ST_VALID plus what the mount and the superblock say. */
export function statfsFlags(mnt: Mount): number {
  let f = ST_VALID;
  const m = mnt.flags;
  if (m & MNT_READONLY) f |= ST_RDONLY;
  if (m & MNT_NOSUID) f |= ST_NOSUID;
  if (m & MNT_NODEV) f |= ST_NODEV;
  if (m & MNT_NOEXEC) f |= ST_NOEXEC;
  if (m & MNT_NOATIME) f |= ST_NOATIME;
  if (m & MNT_NODIRATIME) f |= ST_NODIRATIME;
  if (m & MNT_RELATIME) f |= ST_RELATIME;
  if (m & MNT_NOSYMFOLLOW) f |= ST_NOSYMFOLLOW;
  const s = mnt.sb.flags;
  if (s & SB_SYNCHRONOUS) f |= ST_SYNCHRONOUS;
  if (s & SB_MANDLOCK) f |= ST_MANDLOCK;
  if (s & SB_RDONLY) f |= ST_RDONLY;
  return f;
}

export function statfsOf(mnt: Mount): StatFs {
  const s = mnt.sb.statfs();
  return { ...s, fsid: [mnt.sb.dev, 0], flags: statfsFlags(mnt) };
}
