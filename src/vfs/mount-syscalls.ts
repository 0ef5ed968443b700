/**
 * mount(2), umount2(2), unshare(CLONE_NEWNS), setns(2) and /proc/self/mountinfo: the syscall
 * side of fs/namespace.c (path_mount and its do_* branches, path_umount, copy_mnt_ns,
 * mntns_install, show_mountinfo).
 *
 * The dispatch order of path_mount decides which operation a flag combination means:
 * remount+bind, then remount, bind, propagation change, move, and otherwise a new mount.
 *
 * Every tree that gets attached — a new mount, a bind, an rbind, a moved tree — goes through
 * attach_recursive_mnt(), which has it propagated to the receivers of its new parent; every
 * umount goes through umount_tree(), which takes the receivers' copies out with it. The
 * propagation rules themselves are in propagation.ts.
 *
 * User namespaces: the privilege is CAP_SYS_ADMIN over the user namespace that owns the caller's
 * mount namespace (may_mount()); a new superblock also needs mount_capable() (fs-flags.ts) and
 * belongs to the user namespace its type names. A copy of the tree made for a less privileged
 * mount namespace is locked (lock_mnt_tree()): flags a lock covers cannot be cleared (EPERM,
 * can_change_locked_flags()), a MNT_LOCKED mount cannot be unmounted or moved (EINVAL), and a
 * bind without MS_REC of a place with locked mounts below is EINVAL (it would reveal what they cover).
 */
import { Cap } from './creds.js';
import { FS_HAS_SUBTYPE, fsContextUserNs, fsFlags, mountCapable } from './fs-flags.js';
import { sbUserNs, setSbUserNs } from './idmapping.js';
import { errno } from './errno.js';
import { isDir, isLnk, major, minor, SB_DIRSYNC, SB_LAZYTIME, SB_MANDLOCK, SB_RDONLY, SB_SILENT, SB_SYNCHRONOUS, type FileSystemType, type FsContext, type SuperBlock } from './inode.js';
import {
  MNT_ATIME_MASK,
  MNT_LOCK_ATIME,
  MNT_LOCK_NODEV,
  MNT_LOCK_NOEXEC,
  MNT_LOCK_NOSUID,
  MNT_LOCK_READONLY,
  MNT_LOCKED,
  MNT_NOATIME,
  MNT_NODEV,
  MNT_NODIRATIME,
  MNT_NOEXEC,
  MNT_NOSUID,
  MNT_NOSYMFOLLOW,
  MNT_READONLY,
  MNT_RELATIME,
  MNT_USER_SETTABLE_MASK,
  subtree,
  type Mount,
  type Path,
} from './mount.js';
import type { Dentry } from './dentry.js';
import type { Kernel } from './kernel.js';
import { attachMnt, changeMountpoint, commitTree, mountsOn, setMountpoint, topmostOvermount, umountMnt, type MountNamespace } from './mount-namespace.js';
import type { Process } from './process.js';
import { taskFsContext } from './mount-dir.js';
import { CL_COPY_UNBINDABLE, CL_EXPIRE, CL_SHARED_TO_SLAVE, dominatingId, type PropagationType } from './propagation.js';
import { followMounts, pathFrom } from './resolve.js';

export const MS_RDONLY = 1;
export const MS_NOSUID = 2;
export const MS_NODEV = 4;
export const MS_NOEXEC = 8;
export const MS_SYNCHRONOUS = 16;
export const MS_REMOUNT = 32;
export const MS_MANDLOCK = 64;
export const MS_DIRSYNC = 128;
export const MS_NOSYMFOLLOW = 256;
export const MS_NOATIME = 1024;
export const MS_NODIRATIME = 2048;
export const MS_BIND = 4096;
export const MS_MOVE = 8192;
export const MS_REC = 16384;
export const MS_SILENT = 32768;
export const MS_POSIXACL = 1 << 16;
export const MS_UNBINDABLE = 1 << 17;
export const MS_PRIVATE = 1 << 18;
export const MS_SLAVE = 1 << 19;
export const MS_SHARED = 1 << 20;
export const MS_RELATIME = 1 << 21;
export const MS_KERNMOUNT = 1 << 22;
export const MS_I_VERSION = 1 << 23;
export const MS_STRICTATIME = 1 << 24;
export const MS_LAZYTIME = 1 << 25;
export const MS_NOUSER = 2 ** 31;
const MS_MGC_VAL = 0xc0ed0000;
const MS_MGC_MSK = 0xffff0000;
/** Superblock flags a remount replaces (MS_RMT_MASK). */
const MS_RMT_MASK = MS_RDONLY | MS_SYNCHRONOUS | MS_MANDLOCK | MS_I_VERSION | MS_LAZYTIME;

export const MNT_FORCE = 1;
export const MNT_DETACH = 2;
export const MNT_EXPIRE = 4;
export const UMOUNT_NOFOLLOW = 8;

/** The kernel's page-sized copy of mount(2)'s data: anything past 4095 bytes is cut. */
const DATA_MAX = 4095;

/** may_mount(): CAP_SYS_ADMIN over the user namespace owning the caller's mount namespace. */
export function mayMount(p: Process): void {
  if (!p.creds.nsCapable(p.ns.userNs, Cap.SYS_ADMIN)) throw errno('EPERM');
}

/** check_mnt(): the mount belongs to the caller's namespace. */
export function checkMnt(p: Process, m: Mount): boolean {
  return m.ns === p.ns;
}

/** path_mounted(): the path is the root of its mount. */
export function pathMounted(path: Path): boolean {
  return path.dentry === path.mnt.root;
}

/**
 * can_change_locked_flags(): `mntFlags`, the flags the mount would have, keep every flag a lock
 * covers, and the atime setting when it is locked.
 */
export function canChangeLockedFlags(m: Mount, mntFlags: number): boolean {
  const f = m.flags;
  if (f & MNT_LOCK_READONLY && !(mntFlags & MNT_READONLY)) return false;
  if (f & MNT_LOCK_NODEV && !(mntFlags & MNT_NODEV)) return false;
  if (f & MNT_LOCK_NOSUID && !(mntFlags & MNT_NOSUID)) return false;
  if (f & MNT_LOCK_NOEXEC && !(mntFlags & MNT_NOEXEC)) return false;
  if (f & MNT_LOCK_ATIME && (f & MNT_ATIME_MASK) !== (mntFlags & MNT_ATIME_MASK)) return false;
  return true;
}

/** lock_mnt_tree(): what a copy into a less privileged mount namespace may not undo. */
function lockMntTree(root: Mount): void {
  for (const m of subtree(root)) {
    let f = m.flags | MNT_LOCK_ATIME;
    if (f & MNT_READONLY) f |= MNT_LOCK_READONLY;
    if (f & MNT_NODEV) f |= MNT_LOCK_NODEV;
    if (f & MNT_NOSUID) f |= MNT_LOCK_NOSUID;
    if (f & MNT_NOEXEC) f |= MNT_LOCK_NOEXEC;
    // Not the root: nothing is under it to reveal.
    if (m !== root) f |= MNT_LOCKED;
    m.flags = f;
  }
}

/** has_locked_children(): a MNT_LOCKED mount hangs at or below `d` on `m`. */
function hasLockedChildren(m: Mount, d: Dentry): boolean {
  for (const c of m.children) if (c.flags & MNT_LOCKED && c.mountpoint!.isSubdirOf(d)) return true;
  return false;
}

/**
 * __do_loopback(): a clone of `old` (with `recurse` of the tree below it) for a bind or
 * open_tree(OPEN_TREE_CLONE); EINVAL for an unbindable source, one of another namespace, or,
 * without `recurse`, one that would reveal locked mounts. The copy's root is never locked.
 */
export function doLoopback(p: Process, old: Path, recurse: boolean): Mount {
  if (old.mnt.unbindable) throw errno('EINVAL');
  if (!checkMnt(p, old.mnt)) throw errno('EINVAL');
  if (!recurse && hasLockedChildren(old.mnt, old.dentry)) throw errno('EINVAL');
  const tree = recurse ? p.kernel.copyTree(old.mnt, old.dentry, 0) : p.kernel.cloneMount(old.mnt, old.dentry, 0);
  tree.flags &= ~MNT_LOCKED;
  return tree;
}

/** Cuts a data string to the kernel's one page, counting UTF-8 bytes. */
function truncateData(data: string): string {
  if (data.length <= DATA_MAX / 3) return data;
  const bytes = new TextEncoder().encode(data);
  if (bytes.length <= DATA_MAX) return data;
  return new TextDecoder().decode(bytes.subarray(0, DATA_MAX));
}

/** path_mount(); `params`, for a new mount only, are fsconfig(2)'s (then `data` is empty). */
export function mount(p: Process, source: string | null, target: string, fstype: string | null, flags: number, data: string | null, params?: FsContext['params']): void {
  const path = p.resolve(target, true);
  if ((flags & MS_MGC_MSK) >>> 0 === MS_MGC_VAL) flags = flags & ~MS_MGC_MSK & 0xffff;
  if (flags >= MS_NOUSER) throw errno('EINVAL');
  mayMount(p);
  const d = data === null ? '' : truncateData(data);
  // Measured on 6.18: a propagation change tolerates only MS_REC and MS_SILENT beside its one
  // type, judged on the caller's flags before the per-mount flags are taken out below.
  const asked = flags;

  let mntFlags = 0;
  if (!(flags & MS_NOATIME)) mntFlags |= MNT_RELATIME;
  if (flags & MS_NOSUID) mntFlags |= MNT_NOSUID;
  if (flags & MS_NODEV) mntFlags |= MNT_NODEV;
  if (flags & MS_NOEXEC) mntFlags |= MNT_NOEXEC;
  if (flags & MS_NOATIME) mntFlags |= MNT_NOATIME;
  if (flags & MS_NODIRATIME) mntFlags |= MNT_NODIRATIME;
  if (flags & MS_STRICTATIME) mntFlags &= ~(MNT_RELATIME | MNT_NOATIME);
  if (flags & MS_RDONLY) mntFlags |= MNT_READONLY;
  if (flags & MS_NOSYMFOLLOW) mntFlags |= MNT_NOSYMFOLLOW;
  // The default atime for remount is preservation.
  if (flags & MS_REMOUNT && !(flags & (MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME))) {
    mntFlags = (mntFlags & ~MNT_ATIME_MASK) | (path.mnt.flags & MNT_ATIME_MASK);
  }
  flags &= ~(MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_KERNMOUNT | MS_STRICTATIME | MS_NOSYMFOLLOW);
  const sbFlags = flags & (SB_RDONLY | SB_SYNCHRONOUS | SB_MANDLOCK | SB_DIRSYNC | SB_SILENT | MS_POSIXACL | SB_LAZYTIME | MS_I_VERSION);

  if ((flags & (MS_REMOUNT | MS_BIND)) === (MS_REMOUNT | MS_BIND)) return reconfigureMount(p, path, mntFlags);
  if (flags & MS_REMOUNT) return remount(p, path, sbFlags, mntFlags, d);
  if (flags & MS_BIND) return loopback(p, path, source, (flags & MS_REC) !== 0);
  if (flags & (MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE)) return changeType(p, path, asked);
  if (flags & MS_MOVE) return moveMount(p, path, source);
  return newMount(p, path, fstype, sbFlags, mntFlags, source, d, params);
}

/** set_mount_attributes(): the user-settable flags are replaced, the rest kept. */
function setMountAttributes(m: Mount, mntFlags: number): void {
  m.flags = (mntFlags & MNT_USER_SETTABLE_MASK) | (m.flags & ~MNT_USER_SETTABLE_MASK);
}

/** do_reconfigure_mnt(): MS_REMOUNT|MS_BIND changes only this mount's flags. */
function reconfigureMount(p: Process, path: Path, mntFlags: number): void {
  const m = path.mnt;
  if (!checkMnt(p, m) || !pathMounted(path)) throw errno('EINVAL');
  if (!canChangeLockedFlags(m, mntFlags)) throw errno('EPERM');
  const wantRo = (mntFlags & MNT_READONLY) !== 0;
  const isRo = m.readonly || (m.sb.flags & SB_RDONLY) !== 0;
  // mnt_make_readonly(): not while a file is open for writing through this mount.
  if (wantRo && !isRo && m.writers > 0) throw errno('EBUSY');
  setMountAttributes(m, mntFlags);
}

/**
 * sb_prepare_remount_readonly(): EBUSY while the superblock has an inode that is unlinked but
 * still in use (s_remove_count) — the emulator sees those that a mount has as its root, a bind of
 * a removed file or directory — or a mount of it has a file open for writing.
 */
function prepareRemountReadonly(kernel: Kernel, sb: SuperBlock): void {
  for (const x of kernel.mountsOf(sb)) if (x.root.inode.nlink === 0 || x.writers > 0) throw errno('EBUSY');
}

/** do_remount(): the superblock's options and flags, then this mount's flags. */
function remount(p: Process, path: Path, sbFlags: number, mntFlags: number, data: string): void {
  const m = path.mnt;
  if (!checkMnt(p, m) || !pathMounted(path)) throw errno('EINVAL');
  if (!canChangeLockedFlags(m, mntFlags)) throw errno('EPERM');
  const sb = m.sb;
  // do_remount(): the options are parsed first (EINVAL), then reconfigure_super() is the
  // superblock owner's: CAP_SYS_ADMIN over its user namespace.
  sb.parseReconfigure?.(data, sbFlags);
  if (!p.creds.nsCapable(sbUserNs(sb), Cap.SYS_ADMIN)) throw errno('EPERM');
  const newSbFlags = (sb.flags & ~MS_RMT_MASK) | (sbFlags & MS_RMT_MASK);
  if (newSbFlags & SB_RDONLY && !(sb.flags & SB_RDONLY)) {
    prepareRemountReadonly(p.kernel, sb);
  }
  sb.reconfigure(data, newSbFlags);
  setMountAttributes(m, mntFlags);
}

/** graft_tree(): a new or cloned tree goes on `at`; a directory only on a directory (ENOTDIR). */
export function graftTree(p: Process, tree: Mount, at: Path): void {
  if (isDir(at.dentry.inode.mode) !== isDir(tree.root.inode.mode)) throw errno('ENOTDIR');
  attachRecursive(p.kernel, tree, at.mnt, at.dentry, false);
}

/**
 * attach_recursive_mnt(): hangs `source` (a new tree, a detached tree still in its anonymous
 * namespace, or with `moving` one taken from elsewhere in the namespace) at `mp` on `dest`. Under
 * a shared `dest` every mount of the tree becomes shared and a copy goes to each receiver of
 * `dest` (propagate_mnt). ENOSPC when the tree (not counted when moving) or a copy would take a
 * namespace past fs.mount-max; then nothing is attached.
 *
 * A copy hung where a receiver already has a mount goes beneath it: the mount that was there
 * moves on top of the copy's topmost overmount. That spot is made a mount point first, whether
 * needed or not (get_mountpoint()): ENOENT when its dentry was removed, as it is for a bind or a
 * move of a mount whose root (or the root of what is stacked on it) is gone.
 */
export function attachRecursive(kernel: Kernel, source: Mount, dest: Mount, mp: Dentry, moving: boolean): void {
  const prop = kernel.propagation;
  const ns = dest.ns!;
  const top = topmostOvermount(source);
  // d_set_mounted(): the dentry and every directory above it must still be there.
  for (let d: Dentry | null = top.root; d; d = d.parent) if (d.unlinked) throw errno('ENOENT');
  const tree = subtree(source);
  const copies: Mount[] = [];
  if (!moving) {
    try {
      prop.countMounts(ns, source);
    } catch (e) {
      ns.pending = 0;
      throw e;
    }
  }
  if (dest.shared) {
    prop.inventGroupIds(tree);
    try {
      prop.propagateMnt(dest, mp, source, copies);
    } catch (e) {
      for (let i = copies.length - 1; i >= 0; i--) {
        const c = copies[i]!;
        c.parent!.ns!.pending = 0;
        umountTree(kernel, c, false);
      }
      prop.cleanupGroupIds(tree);
      ns.pending = 0;
      throw e;
    }
    for (const m of tree) prop.setShared(m);
  }
  if (moving) {
    umountMnt(source);
  } else if (source.ns) {
    // A detached tree leaves its anonymous namespace only now ("move from anon - the caller will
    // destroy"): during propagate_mnt() it was still there, so its peers and slaves were walked
    // through and, being in an anonymous namespace, got no copy (need_secondary()).
    const anon = source.ns;
    for (const m of tree) {
      anon.mounts.delete(m);
      m.ns = null;
    }
  }
  setMountpoint(dest, mp, source);
  // The original first, then the copies, the last made first (the kernel's tree_list order).
  for (let i = copies.length; i >= 0; i--) {
    const child = i === copies.length ? source : copies[i]!;
    const under = child.parent!.childAt.get(child.mountpoint!);
    commitTree(child);
    if (under) changeMountpoint(topmostOvermount(child), top.root, under);
  }
}

/**
 * lock_mount(): the walk already went to the top of the stack; the mount point must still exist
 * and its mount must still be in a namespace (a lazily unmounted tree takes no new mounts).
 */
export function lockMount(at: Path): Path {
  const top = followMounts(at);
  if (top.dentry.unlinked || !top.mnt.ns) throw errno('ENOENT');
  return top;
}

/**
 * mount_too_revealing(): in a mount namespace of a user namespace, a new proc or sysfs
 * (SB_I_USERNS_VISIBLE) would show what the more privileged namespace may have hidden, unless a
 * mount of the same type is already fully visible there (mnt_already_visible()): its root is the
 * filesystem's root, its locked read-only and atime settings are no stricter than the new
 * mount's, and no locked mount among its children covers anything but a permanently empty
 * directory (is_empty_dir_inode(): /sys/fs/cgroup under a host's cgroup tmpfs is fine, a tmpfs
 * over /proc/sys is not). Returns the MNT_LOCK_READONLY and MNT_LOCK_ATIME the new mount takes
 * over from the visible one ("Preserve the locked attributes"), or null when it is too revealing.
 */
function mountTooRevealing(ns: MountNamespace, type: FileSystemType, mntFlags: number): number | null {
  if (ns.userNs.parent === null) return 0;
  if (type.name !== 'proc' && type.name !== 'sysfs') return 0;
  for (const m of ns.mounts) {
    if (m.sb.type !== type || m.root !== ns.kernel.sbRoot(m.sb)) continue;
    let f = m.flags;
    if (m.sb.flags & SB_RDONLY) f |= MNT_LOCK_READONLY;
    if (f & MNT_LOCK_READONLY && !(mntFlags & MNT_READONLY)) continue;
    if (f & MNT_LOCK_ATIME && (f & MNT_ATIME_MASK) !== (mntFlags & MNT_ATIME_MASK)) continue;
    if ([...m.children].some((c) => c.flags & MNT_LOCKED && !c.mountpoint?.inode.permanentlyEmpty)) continue;
    return f & (MNT_LOCK_READONLY | MNT_LOCK_ATIME);
  }
  return null;
}

/**
 * get_fs_type() and do_new_mount()'s subtype: a name with a dot (`fuse.sshfs`) names the type
 * before the dot when that type has FS_HAS_SUBTYPE (ENODEV when it has not: `tmpfs.x`), and the
 * part after it reaches the filesystem as its first parameter, `subtype=` (EINVAL when empty:
 * `fuse.`). A registered name is taken whole first: the kernel has no type with a dot in its
 * name, an embedder's emulated type may.
 */
function fsTypeByName(p: Process, fstype: string): { type: FileSystemType; subtype: string | null } {
  const whole = p.kernel.filesystems.get(fstype);
  if (whole) return { type: whole, subtype: null };
  const dot = fstype.indexOf('.');
  const type = dot < 0 ? undefined : p.kernel.filesystems.get(fstype.slice(0, dot));
  if (!type || !(fsFlags(type) & FS_HAS_SUBTYPE)) throw errno('ENODEV');
  const subtype = fstype.slice(dot + 1);
  if (subtype === '') throw errno('EINVAL');
  return { type, subtype };
}

/** do_new_mount(). */
function newMount(p: Process, path: Path, fstype: string | null, sbFlags: number, mntFlags: number, source: string | null, data: string, params: FsContext['params']): void {
  // A NULL type is EINVAL; an empty string is a type name no filesystem has (ENODEV).
  if (fstype === null) throw errno('EINVAL');
  const { type, subtype } = fsTypeByName(p, fstype);
  // vfs_parse_fs_string(fc, "subtype", …) before the data's words (mount(2) only: fsopen(2)
  // looks the type up the same way but passes no subtype, and fsconfig's `params` are its own).
  if (subtype !== null && params === undefined) data = data === '' ? `subtype=${subtype}` : `subtype=${subtype},${data}`;
  if (!mountCapable(type, p, Cap.SYS_ADMIN)) throw errno('EPERM');
  // Judged before the superblock is made (the kernel makes it, then drops it): a sysfs
  // superblock is the network namespace's, and a refused mount must not leave one behind.
  const locked = mountTooRevealing(p.ns, type, mntFlags);
  if (locked === null) throw errno('EPERM');
  // vfs_kern_mount() with the task's context (mount-dir.ts): overlayfs resolves its layers as `p`.
  const sb = type.mount(taskFsContext(p, params), source ?? 'none', sbFlags, data);
  setSbUserNs(sb, fsContextUserNs(type, p));
  const m = p.kernel.mountOf(sb, p.kernel.sbRoot(sb), source ?? 'none', mntFlags | locked);
  try {
    const at = lockMount(path);
    // do_add_mount()
    if (!checkMnt(p, at.mnt)) throw errno('EINVAL');
    if (at.mnt.sb === m.sb && pathMounted(at)) throw errno('EBUSY');
    if (isLnk(m.root.inode.mode)) throw errno('EINVAL');
    graftTree(p, m, at);
  } catch (e) {
    p.kernel.maybeRelease(m);
    throw e;
  }
}

/** do_loopback(): MS_BIND, with MS_REC a copy of the whole tree below the source. */
function loopback(p: Process, path: Path, source: string | null, recurse: boolean): void {
  if (!source) throw errno('EINVAL');
  const old = p.resolve(source, true);
  const at = lockMount(path);
  if (!checkMnt(p, at.mnt)) throw errno('EINVAL');
  const tree = doLoopback(p, old, recurse);
  try {
    graftTree(p, tree, at);
  } catch (e) {
    umountTree(p.kernel, tree, false);
    throw e;
  }
}

/** flags_to_propagation_type(): exactly one of the four, besides MS_REC and MS_SILENT. */
function propagationType(flags: number): PropagationType | null {
  const type = flags & ~(MS_REC | MS_SILENT);
  switch (type) {
    case MS_SHARED:
      return 'shared';
    case MS_PRIVATE:
      return 'private';
    case MS_SLAVE:
      return 'slave';
    case MS_UNBINDABLE:
      return 'unbindable';
    default:
      return null;
  }
}

/** do_change_type(). */
function changeType(p: Process, path: Path, flags: number): void {
  if (!pathMounted(path)) throw errno('EINVAL');
  const type = propagationType(flags);
  if (!type) throw errno('EINVAL');
  if (!checkMnt(p, path.mnt)) throw errno('EINVAL');
  const targets = flags & MS_REC ? subtree(path.mnt) : [path.mnt];
  if (type === 'shared') p.kernel.propagation.inventGroupIds(targets);
  for (const m of targets) p.kernel.propagation.change(m, type);
}

/**
 * do_move_mount() for MS_MOVE, in 6.18's order: the source must be a mount root and agree with
 * the target on being a directory (EINVAL) before the target is locked (ENOENT).
 */
function moveMount(p: Process, path: Path, source: string | null): void {
  if (!source) throw errno('EINVAL');
  const oldPath = p.resolve(source, true);
  doMoveMount(p, oldPath, path);
}

/** do_move_mount() of a mount attached in the caller's namespace (move_mount(2) and MS_MOVE). */
export function doMoveMount(p: Process, oldPath: Path, path: Path): void {
  if (!pathMounted(oldPath)) throw errno('EINVAL');
  if (isDir(path.dentry.inode.mode) !== isDir(oldPath.dentry.inode.mode)) throw errno('EINVAL');
  const at = lockMount(path);
  const old = oldPath.mnt;
  const parent = old.parent;
  // The source must be in our namespace, detachable from its parent (not locked to it), which
  // is not shared.
  if (!checkMnt(p, old) || !parent || old.flags & MNT_LOCKED) throw errno('EINVAL');
  if (parent.shared) throw errno('EINVAL');
  if (!checkMnt(p, at.mnt)) throw errno('EINVAL');
  if (isDir(at.dentry.inode.mode) !== isDir(oldPath.dentry.inode.mode)) throw errno('EINVAL');
  // Unbindable mounts must not be copied to the receivers of a shared destination.
  if (at.mnt.shared && subtree(old).some((m) => m.unbindable)) throw errno('EINVAL');
  for (let x: Mount | null = at.mnt; x; x = x.parent) if (x === old) throw errno('ELOOP');
  attachRecursive(p.kernel, old, at.mnt, at.dentry, true);
}

/** path_umount() and do_umount(). */
export function umount(p: Process, target: string, flags: number): void {
  if (flags & ~(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW)) throw errno('EINVAL');
  // ksys_umount() looks the path up first; can_umount() checks the privilege after (EPERM).
  // LOOKUP_MOUNTPOINT: the walk ends on the top of a stack even where it stops on a mounted-on
  // dentry without stepping onto it ("/", "."), so `umount /` takes off what is stacked on root.
  const path = followMounts(p.resolve(target, !(flags & UMOUNT_NOFOLLOW)));
  const m = path.mnt;
  mayMount(p);
  if (!pathMounted(path)) throw errno('EINVAL');
  if (!checkMnt(p, m)) throw errno('EINVAL');
  // can_umount(): a locked mount stays over what it covers.
  if (m.flags & MNT_LOCKED) throw errno('EINVAL');
  // MNT_FORCE needs CAP_SYS_ADMIN over the filesystem's user namespace (sb->s_user_ns): root of
  // a user namespace may force a tmpfs it mounted there (measured on 6.18).
  if (flags & MNT_FORCE && !p.creds.nsCapable(sbUserNs(m.sb), Cap.SYS_ADMIN)) throw errno('EPERM');
  const isRoot = m === p.root.mnt;
  if (flags & MNT_EXPIRE) {
    if (isRoot || flags & (MNT_FORCE | MNT_DETACH)) throw errno('EINVAL');
    if (m.children.size > 0 || m.refs > 0) throw errno('EBUSY');
    if (!m.expiryMark) {
      m.expiryMark = true;
      throw errno('EAGAIN');
    }
  }
  if (isRoot && !(flags & MNT_DETACH)) {
    // do_umount_root(): "unmounting" the task's root remounts its superblock read-only.
    if (!(m.sb.flags & SB_RDONLY)) {
      prepareRemountReadonly(p.kernel, m.sb);
      m.sb.reconfigure('', m.sb.flags | SB_RDONLY);
    }
    return;
  }
  // propagate_mount_busy(): the mount or a copy the umount would take out elsewhere is in use.
  if (!(flags & MNT_DETACH) && p.kernel.propagation.propagateMountBusy(m)) throw errno('EBUSY');
  umountTree(p.kernel, m, true);
}

/**
 * umount_tree(): the mount and everything below it leave the namespace — with `propagate`, so do
 * the copies in the receivers of its parent that can go (propagate_umount) — and become private.
 * disconnect_mount() also takes each mount off its parent, MNT_DETACH included: a lazily
 * unmounted tree that something still pins is reachable only mount by mount, with empty mount
 * points beneath. Also the undoing of a tree that failed to attach (not in a namespace).
 * `connected` is UMOUNT_CONNECTED (see detachMounts).
 */
export function umountTree(kernel: Kernel, m: Mount, propagate: boolean, connected = false): void {
  const set = subtree(m);
  for (const x of set) {
    x.umounting = true;
    x.ns?.mounts.delete(x);
  }
  // Hidden from their parents' children; the mount hash still finds them.
  for (const x of set) x.parent?.children.delete(x);
  if (propagate) kernel.propagation.propagateUmount(set);
  kernel.propagation.bulkMakePrivate(set);
  for (const x of set) {
    x.ns = null;
    // disconnect_mount(): UMOUNT_CONNECTED keeps what hangs on a mount going too where it is.
    if (!connected || !x.parent?.umounting) umountMnt(x);
    else x.parent.children.add(x);
  }
  for (const x of set) kernel.maybeRelease(x);
}

/**
 * __detach_mounts(): `d` is gone (unlink, rmdir, or a rename over it), so every mount on it — in
 * another namespace, since the caller's own mount points are EBUSY to remove — is unmounted
 * lazily, without propagation, its subtree kept together (UMOUNT_CONNECTED).
 */
export function detachMounts(kernel: Kernel, d: Dentry): void {
  if (d.mountCount === 0) return;
  for (const m of mountsOn(d)) {
    // Taken off already, below one that went before it.
    if (m.mountpoint !== d) continue;
    if (!m.umounting) umountTree(kernel, m, false, true);
    else {
      umountMnt(m);
      kernel.maybeRelease(m);
    }
  }
}

/** is_path_reachable(): `dentry` of `mnt` lies at or below `root`, climbing through mount points. */
function isPathReachable(mnt: Mount, dentry: Dentry, root: Path): boolean {
  while (mnt !== root.mnt && mnt.parent && mnt.mountpoint) {
    dentry = mnt.mountpoint;
    mnt = mnt.parent;
  }
  return mnt === root.mnt && dentry.isSubdirOf(root.dentry);
}

/**
 * pivot_root(2): the mount at `newRoot` takes the place of the task's root mount, which moves to
 * `putOld`; tasks whose root or cwd was the old root move to the new one (chroot_fs_refs). The
 * checks and their errnos in the kernel's order.
 */
export function pivotRoot(p: Process, newRoot: string, putOld: string): void {
  mayMount(p);
  const neu = p.resolve(newRoot, true);
  if (!isDir(neu.dentry.inode.mode)) throw errno('ENOTDIR');
  const oldPath = p.resolve(putOld, true);
  if (!isDir(oldPath.dentry.inode.mode)) throw errno('ENOTDIR');
  const root = p.root;
  const old = lockMount(oldPath);
  const newMnt = neu.mnt;
  const rootMnt = root.mnt;
  const oldMnt = old.mnt;
  // Nothing involved may propagate: the move could not be mirrored in the peers.
  if (oldMnt.shared || newMnt.parent?.shared || rootMnt.parent?.shared) throw errno('EINVAL');
  if (!checkMnt(p, rootMnt) || !checkMnt(p, newMnt)) throw errno('EINVAL');
  // A locked new root would be taken off what it covers.
  if (newMnt.flags & MNT_LOCKED) throw errno('EINVAL');
  if (neu.dentry.unlinked) throw errno('ENOENT');
  // The new root and put_old must be other mounts than the current root.
  if (newMnt === rootMnt || oldMnt === rootMnt) throw errno('EBUSY');
  // The root must be a mount root and attached; so must the new root.
  if (!pathMounted(root) || !rootMnt.parent || !rootMnt.mountpoint) throw errno('EINVAL');
  if (!pathMounted(neu) || !newMnt.parent) throw errno('EINVAL');
  // put_old must be at or under the new root, and the new root under the current root.
  if (!isPathReachable(oldMnt, old.dentry, neu)) throw errno('EINVAL');
  if (!isPathReachable(newMnt, neu.dentry, root)) throw errno('EINVAL');
  const rootParent = rootMnt.parent;
  const rootMp = rootMnt.mountpoint;
  umountMnt(newMnt);
  umountMnt(rootMnt);
  // The lock moves with the place: the new root covers what the old one did.
  if (rootMnt.flags & MNT_LOCKED) {
    newMnt.flags |= MNT_LOCKED;
    rootMnt.flags &= ~MNT_LOCKED;
  }
  attachMnt(rootMnt, oldMnt, old.dentry);
  attachMnt(newMnt, rootParent, rootMp);
  // chroot_fs_refs(): every task of the kernel whose root or cwd was the old root.
  const neuRoot: Path = { mnt: newMnt, dentry: neu.dentry };
  for (const t of p.kernel.tasks()) {
    if (t.root.mnt === rootMnt && t.root.dentry === root.dentry) t.setRoot(neuRoot);
    if (t.cwd.mnt === rootMnt && t.cwd.dentry === root.dentry) t.setCwd(neuRoot);
  }
}

/**
 * unshare(CLONE_NEWNS): copy_mnt_ns() for a task whose user namespace may differ from the one
 * owning its current mount namespace (after CLONE_NEWUSER): then the copy is a less privileged
 * one — shared mounts become slaves of the originals (CL_SHARED_TO_SLAVE) and every mount is
 * locked (lock_mnt_tree()). Root and cwd move to their copies. The caller checked the privilege.
 */
export function unshareMountNs(p: Process): void {
  const old = p.ns;
  const userNs = p.creds.userNs;
  const lessPrivileged = userNs !== old.userNs;
  const ns = p.kernel.newNamespace(userNs);
  const copy = p.kernel.copyTree(old.root, old.root.root, CL_COPY_UNBINDABLE | CL_EXPIRE | (lessPrivileged ? CL_SHARED_TO_SLAVE : 0));
  if (lessPrivileged) lockMntTree(copy);
  ns.setRoot(copy);
  // Nothing is left out, so the two trees walk in step.
  const copies = new Map<Mount, Mount>();
  const a = subtree(old.root);
  const b = subtree(copy);
  a.forEach((m, i) => copies.set(m, b[i]!));
  for (const m of b) ns.add(m);
  const root = copies.get(p.root.mnt);
  const cwd = copies.get(p.cwd.mnt);
  if (root) p.setRoot({ mnt: root, dentry: p.root.dentry });
  if (cwd) p.setCwd({ mnt: cwd, dentry: p.cwd.dentry });
  p.ns = ns;
}

/** mntns_install(): root and cwd become the new namespace's root, followed down its stack. */
export function setns(p: Process, ns: MountNamespace): void {
  const c = p.creds;
  if (!c.nsCapable(ns.userNs, Cap.SYS_ADMIN) || !c.nsCapable(c.userNs, Cap.SYS_CHROOT) || !c.nsCapable(c.userNs, Cap.SYS_ADMIN)) throw errno('EPERM');
  const root = followMounts({ mnt: ns.root, dentry: ns.root.root });
  p.ns = ns;
  p.setRoot(root);
  p.setCwd(root);
}

/** mangle(): mountinfo escapes space, tab, newline and backslash as octal. */
export function mangle(s: string): string {
  return s.replace(/[ \t\n\\]/g, (c) => '\\' + c.charCodeAt(0).toString(8).padStart(3, '0'));
}

/** show_mnt_opts(): per-mount options. */
export function mountOptions(m: Mount): string {
  let s = m.readonly ? 'ro' : 'rw';
  if (m.flags & MNT_NOSUID) s += ',nosuid';
  if (m.flags & MNT_NODEV) s += ',nodev';
  if (m.flags & MNT_NOEXEC) s += ',noexec';
  if (m.flags & MNT_NOATIME) s += ',noatime';
  if (m.flags & MNT_NODIRATIME) s += ',nodiratime';
  if (m.flags & MNT_RELATIME) s += ',relatime';
  if (m.flags & MNT_NOSYMFOLLOW) s += ',nosymfollow';
  if (!m.idmap.isNop) s += ',idmapped';
  return s;
}

/** The super options field: rw/ro, show_sb_opts(), then the filesystem's show_options(). */
export function superOptions(m: Mount): string {
  const f = m.sb.flags;
  let s = f & SB_RDONLY ? 'ro' : 'rw';
  if (f & SB_SYNCHRONOUS) s += ',sync';
  if (f & SB_DIRSYNC) s += ',dirsync';
  if (f & SB_MANDLOCK) s += ',mand';
  if (f & SB_LAZYTIME) s += ',lazytime';
  return s + m.sb.showOptions();
}

/**
 * show_mountinfo() for every mount of `ns` reachable from `root` (the reader's root), in the
 * namespace's order. One string, each line ending in a newline, as read(2) returns it.
 */
export function mountinfo(ns: MountNamespace, root: Path): string {
  let out = '';
  const reachable = (m: Mount): boolean => pathFrom(root, { mnt: m, dentry: m.root }) !== null;
  for (const m of ns.ordered()) {
    const mp = pathFrom(root, { mnt: m, dentry: m.root });
    if (mp === null) continue;
    const parentId = m.parent ? m.parent.id : m.id;
    let mroot = m.root.pathFromRoot();
    if (m.root.unlinked) mroot += '//deleted';
    let opt = '';
    if (m.shared) opt += ` shared:${m.groupId}`;
    if (m.master) {
      const master = m.master.groupId;
      opt += ` master:${master}`;
      const dom = dominatingId(m, reachable);
      if (dom && dom !== master) opt += ` propagate_from:${dom}`;
    }
    if (m.unbindable) opt += ' unbindable';
    out += `${m.id} ${parentId} ${major(m.sb.dev)}:${minor(m.sb.dev)} ${mangle(mroot)} ${mangle(mp)} ${mountOptions(m)}${opt} - ${m.sb.type.name} ${mangle(m.devname)} ${superOptions(m)}\n`;
  }
  return out;
}
