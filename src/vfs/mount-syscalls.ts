/**
 * mount(2), umount2(2), unshare(CLONE_NEWNS), setns(2) and /proc/self/mountinfo: the syscall
 * side of fs/namespace.c (path_mount and its do_* branches, path_umount, copy_mnt_ns,
 * mntns_install, show_mountinfo).
 *
 * The dispatch order of path_mount decides which operation a flag combination means:
 * remount+bind, then remount, bind, propagation change, move, and otherwise a new mount.
 */
import { Cap } from './creds.js';
import { errno } from './errno.js';
import { isDir, isLnk, major, minor, SB_DIRSYNC, SB_LAZYTIME, SB_MANDLOCK, SB_RDONLY, SB_SILENT, SB_SYNCHRONOUS } from './inode.js';
import {
  MNT_ATIME_MASK,
  MNT_NOATIME,
  MNT_NODEV,
  MNT_NODIRATIME,
  MNT_NOEXEC,
  MNT_NOSUID,
  MNT_NOSYMFOLLOW,
  MNT_READONLY,
  MNT_RELATIME,
  MNT_USER_SETTABLE_MASK,
  type Mount,
  type Path,
} from './mount.js';
import { subtree, type MountNamespace } from './mount-namespace.js';
import type { Process } from './process.js';
import { dominatingId, type PropagationType } from './propagation.js';
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

function mayMount(p: Process): void {
  if (!p.creds.capable(Cap.SYS_ADMIN)) throw errno('EPERM');
}

/** check_mnt(): the mount belongs to the caller's namespace. */
function checkMnt(p: Process, m: Mount): boolean {
  return m.ns === p.ns;
}

/** path_mounted(): the path is the root of its mount. */
function pathMounted(path: Path): boolean {
  return path.dentry === path.mnt.root;
}

/** Cuts a data string to the kernel's one page, counting UTF-8 bytes. */
function truncateData(data: string): string {
  if (data.length <= DATA_MAX / 3) return data;
  const bytes = new TextEncoder().encode(data);
  if (bytes.length <= DATA_MAX) return data;
  return new TextDecoder().decode(bytes.subarray(0, DATA_MAX));
}

/** path_mount(). */
export function mount(p: Process, source: string | null, target: string, fstype: string | null, flags: number, data: string | null): void {
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
  return newMount(p, path, fstype, sbFlags, mntFlags, source, d);
}

/** set_mount_attributes(): the user-settable flags are replaced, the rest kept. */
function setMountAttributes(m: Mount, mntFlags: number): void {
  m.flags = (mntFlags & MNT_USER_SETTABLE_MASK) | (m.flags & ~MNT_USER_SETTABLE_MASK);
}

/** do_reconfigure_mnt(): MS_REMOUNT|MS_BIND changes only this mount's flags. */
function reconfigureMount(p: Process, path: Path, mntFlags: number): void {
  const m = path.mnt;
  if (!checkMnt(p, m) || !pathMounted(path)) throw errno('EINVAL');
  const wantRo = (mntFlags & MNT_READONLY) !== 0;
  const isRo = m.readonly || (m.sb.flags & SB_RDONLY) !== 0;
  // mnt_make_readonly(): not while a file is open for writing through this mount.
  if (wantRo && !isRo && m.writers > 0) throw errno('EBUSY');
  setMountAttributes(m, mntFlags);
}

/** do_remount(): the superblock's options and flags, then this mount's flags. */
function remount(p: Process, path: Path, sbFlags: number, mntFlags: number, data: string): void {
  const m = path.mnt;
  if (!checkMnt(p, m) || !pathMounted(path)) throw errno('EINVAL');
  const sb = m.sb;
  const newSbFlags = (sb.flags & ~MS_RMT_MASK) | (sbFlags & MS_RMT_MASK);
  if (newSbFlags & SB_RDONLY && !(sb.flags & SB_RDONLY)) {
    // sb_prepare_remount_readonly(): no mount of the superblock may have a writer.
    for (const ns of p.kernel.namespaces) for (const x of ns.mounts) if (x.sb === sb && x.writers > 0) throw errno('EBUSY');
  }
  sb.reconfigure(data, newSbFlags);
  setMountAttributes(m, mntFlags);
}

/** graft_tree() + attach_recursive_mnt() for a new or cloned tree. */
function graft(p: Process, tree: Mount, at: Path): void {
  if (isDir(at.dentry.inode.mode) !== isDir(tree.root.inode.mode)) throw errno('ENOTDIR');
  const count = subtree(tree).length;
  if (p.ns.mounts.size + count > p.kernel.mountMax) throw errno('ENOSPC');
  if (at.mnt.peers) {
    // Mounted under a shared parent, the new mounts become shared too (set_mnt_shared).
    // Propagating copies to the parent's peers and slaves is not modelled yet.
    for (const m of subtree(tree)) p.kernel.propagation.makeShared(m);
  }
  p.ns.attach(tree, at.mnt, at.dentry);
}

/**
 * lock_mount(): the walk already went to the top of the stack; the mount point must still exist
 * and its mount must still be in a namespace (a lazily unmounted tree takes no new mounts).
 */
function lockMount(at: Path): Path {
  const top = followMounts(at);
  if (top.dentry.unlinked || !top.mnt.ns) throw errno('ENOENT');
  return top;
}

/** do_new_mount(). */
function newMount(p: Process, path: Path, fstype: string | null, sbFlags: number, mntFlags: number, source: string | null, data: string): void {
  // A NULL type is EINVAL; an empty string is a type name no filesystem has (ENODEV).
  if (fstype === null) throw errno('EINVAL');
  if (!p.kernel.filesystems.has(fstype)) throw errno('ENODEV');
  const m = p.kernel.newMount(p.creds, fstype, source ?? 'none', sbFlags, data, mntFlags);
  try {
    const at = lockMount(path);
    // do_add_mount()
    if (!checkMnt(p, at.mnt)) throw errno('EINVAL');
    if (at.mnt.sb === m.sb && pathMounted(at)) throw errno('EBUSY');
    if (isLnk(m.root.inode.mode)) throw errno('EINVAL');
    graft(p, m, at);
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
  // __do_loopback()
  if (old.mnt.unbindable) throw errno('EINVAL');
  if (!checkMnt(p, old.mnt)) throw errno('EINVAL');
  const tree = recurse ? p.kernel.copyTree(old.mnt, old.dentry, false) : p.kernel.cloneMount(old.mnt, old.dentry, 'same');
  try {
    graft(p, tree, at);
  } catch (e) {
    for (const m of subtree(tree)) {
      if (m.mountpoint) m.mountpoint.mountCount--;
      p.kernel.propagation.forget(m);
      p.kernel.maybeRelease(m);
    }
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
  for (const m of targets) p.kernel.propagation.change(m, type);
}

/**
 * do_move_mount() for MS_MOVE, in 6.18's order: the source must be a mount root and agree with
 * the target on being a directory (EINVAL) before the target is locked (ENOENT).
 */
function moveMount(p: Process, path: Path, source: string | null): void {
  if (!source) throw errno('EINVAL');
  const oldPath = p.resolve(source, true);
  if (!pathMounted(oldPath)) throw errno('EINVAL');
  if (isDir(path.dentry.inode.mode) !== isDir(oldPath.dentry.inode.mode)) throw errno('EINVAL');
  const at = lockMount(path);
  const old = oldPath.mnt;
  const parent = old.parent;
  // The source must be in our namespace, detachable from its parent, which is not shared.
  if (!checkMnt(p, old) || !parent) throw errno('EINVAL');
  if (parent.peers) throw errno('EINVAL');
  if (!checkMnt(p, at.mnt)) throw errno('EINVAL');
  if (isDir(at.dentry.inode.mode) !== isDir(oldPath.dentry.inode.mode)) throw errno('EINVAL');
  if (at.mnt.peers && subtree(old).some((m) => m.unbindable)) throw errno('EINVAL');
  for (let x: Mount | null = at.mnt; x && x.parent; x = x.parent) if (x === old) throw errno('ELOOP');
  p.ns.unhang(old);
  if (at.mnt.peers) for (const m of subtree(old)) p.kernel.propagation.makeShared(m);
  p.ns.attach(old, at.mnt, at.dentry);
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
  const isRoot = m === p.root.mnt;
  if (flags & MNT_EXPIRE) {
    if (isRoot || flags & (MNT_FORCE | MNT_DETACH)) throw errno('EINVAL');
    if (m.children.length > 0 || m.refs > 0) throw errno('EBUSY');
    if (!m.expiryMark) {
      m.expiryMark = true;
      throw errno('EAGAIN');
    }
  }
  if (isRoot && !(flags & MNT_DETACH)) {
    // do_umount_root(): "unmounting" the task's root remounts its superblock read-only.
    if (!(m.sb.flags & SB_RDONLY)) {
      for (const ns of p.kernel.namespaces) for (const x of ns.mounts) if (x.sb === m.sb && x.writers > 0) throw errno('EBUSY');
      m.sb.reconfigure('', m.sb.flags | SB_RDONLY);
    }
    return;
  }
  if (!(flags & MNT_DETACH) && (m.children.length > 0 || m.refs > 0)) throw errno('EBUSY');
  umountTree(p, m);
}

/**
 * umount_tree(): the mount and everything below it leave the namespace. disconnect_mount() also
 * takes each mount off its parent, MNT_DETACH included: a lazily unmounted tree that something
 * still pins is reachable only mount by mount, with empty mount points beneath.
 */
function umountTree(p: Process, m: Mount): void {
  const ns = m.ns!;
  const all = subtree(m);
  ns.forget(m);
  for (let i = all.length - 1; i >= 0; i--) ns.unhang(all[i]!);
  for (const x of all) {
    p.kernel.propagation.forget(x);
    p.kernel.maybeRelease(x);
  }
}

/** unshare(CLONE_NEWNS): copy_mnt_ns(), then root and cwd move to their copies. */
export function unshareMountNs(p: Process): void {
  mayMount(p);
  const old = p.ns;
  const ns = p.kernel.newNamespace();
  const copy = p.kernel.copyTree(old.root, old.root.root, true);
  ns.setRoot(copy);
  const copies = new Map<Mount, Mount>();
  const a = subtree(old.root);
  const b = subtree(copy);
  a.forEach((m, i) => copies.set(m, b[i]!));
  for (const m of b) {
    m.ns = ns;
    ns.mounts.add(m);
  }
  const root = copies.get(p.root.mnt);
  const cwd = copies.get(p.cwd.mnt);
  if (root) p.setRoot({ mnt: root, dentry: p.root.dentry });
  if (cwd) p.setCwd({ mnt: cwd, dentry: p.cwd.dentry });
  p.ns = ns;
}

/** mntns_install(): root and cwd become the new namespace's root, followed down its stack. */
export function setns(p: Process, ns: MountNamespace): void {
  if (!p.creds.capable(Cap.SYS_ADMIN) || !p.creds.capable(Cap.SYS_CHROOT)) throw errno('EPERM');
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
    if (m.peers) opt += ` shared:${m.peers.id}`;
    if (m.master) {
      const master = m.master.peers?.id ?? 0;
      opt += ` master:${master}`;
      const dom = dominatingId(m, reachable);
      if (dom && dom !== master) opt += ` propagate_from:${dom}`;
    }
    if (m.unbindable) opt += ' unbindable';
    out += `${m.id} ${parentId} ${major(m.sb.dev)}:${minor(m.sb.dev)} ${mangle(mroot)} ${mangle(mp)} ${mountOptions(m)}${opt} - ${m.sb.type.name} ${mangle(m.devname)} ${superOptions(m)}\n`;
  }
  return out;
}
