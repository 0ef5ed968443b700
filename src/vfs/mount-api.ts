/**
 * The new mount API's tree calls: open_tree(2), mount_setattr(2) and move_mount(2)
 * (fs/namespace.c), with idmapped mounts (MOUNT_ATTR_IDMAP; Documentation/filesystems/
 * idmappings.rst).
 *
 * open_tree(OPEN_TREE_CLONE) makes a detached copy of a mount (AT_RECURSIVE: of the tree below
 * it) in an anonymous mount namespace of its own and returns an O_PATH descriptor of its root;
 * when that descriptor's last reference goes while the tree is still detached, the tree is
 * unmounted (dissolve_on_fput()). mount_setattr(2) changes per-mount flags, propagation and the
 * idmapping of a mount or a tree; move_mount(2) attaches a detached tree (or moves an attached
 * mount) onto a path.
 *
 * Invariants: only a mount of an anonymous namespace — one never visible in any task's tree —
 * can be given an idmapping, and only once (can_idmap_mount()); a detached tree's namespace is
 * empty once move_mount() attached it.
 *
 * @example
 * ```ts
 * // containerd's idmapped rootfs: /src shown at /dst with on-disk 0..999 as 10000..10999.
 * const c = p.fork();
 * c.unshare(CLONE_NEWUSER);
 * p.writeUidMap(c.userNs, '0 10000 1000');
 * p.writeGidMap(c.userNs, '0 10000 1000');
 * const fd = p.openTree(AT_FDCWD, '/src', OPEN_TREE_CLONE);
 * p.mountSetattr(fd, '', AT_EMPTY_PATH, { attrSet: MOUNT_ATTR_IDMAP, attrClr: 0, userns: c.userNs });
 * p.moveMount(fd, '', AT_FDCWD, '/dst', MOVE_MOUNT_F_EMPTY_PATH);
 * ```
 */
import { Cap } from './creds.js';
import { errno } from './errno.js';
import { AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW } from './file-syscalls.js';
import { FileDescription, O_CLOEXEC, O_PATH } from './file.js';
import { FS_ALLOW_IDMAP, fsFlags } from './fs-flags.js';
import { idmapOf, sbUserNs, type MntIdmap } from './idmapping.js';
import { isDir } from './inode.js';
import {
  MNT_NOATIME,
  MNT_NODEV,
  MNT_NODIRATIME,
  MNT_NOEXEC,
  MNT_NOSUID,
  MNT_NOSYMFOLLOW,
  MNT_READONLY,
  MNT_RELATIME,
  subtree,
  type Mount,
  type Path,
} from './mount.js';
import { MountNamespace } from './mount-namespace.js';
import { attachRecursive, canChangeLockedFlags, checkMnt, doLoopback, doMoveMount, lockMount, mayMount, pathMounted, umountTree } from './mount-syscalls.js';
import type { Process } from './process.js';
import type { PropagationType } from './propagation.js';
import { INIT_USER_NS, type UserNamespace } from './user-namespace.js';

export const OPEN_TREE_CLONE = 1;
export const OPEN_TREE_CLOEXEC = O_CLOEXEC;
export const AT_NO_AUTOMOUNT = 0x800;
export const AT_RECURSIVE = 0x8000;

export const MOUNT_ATTR_RDONLY = 0x1;
export const MOUNT_ATTR_NOSUID = 0x2;
export const MOUNT_ATTR_NODEV = 0x4;
export const MOUNT_ATTR_NOEXEC = 0x8;
export const MOUNT_ATTR__ATIME = 0x70;
export const MOUNT_ATTR_RELATIME = 0x0;
export const MOUNT_ATTR_NOATIME = 0x10;
export const MOUNT_ATTR_STRICTATIME = 0x20;
export const MOUNT_ATTR_NODIRATIME = 0x80;
export const MOUNT_ATTR_IDMAP = 0x100000;
export const MOUNT_ATTR_NOSYMFOLLOW = 0x200000;
const MOUNT_SETATTR_VALID_FLAGS =
  MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC | MOUNT_ATTR__ATIME | MOUNT_ATTR_NODIRATIME | MOUNT_ATTR_IDMAP | MOUNT_ATTR_NOSYMFOLLOW;

export const MOVE_MOUNT_F_SYMLINKS = 0x1;
export const MOVE_MOUNT_F_AUTOMOUNTS = 0x2;
export const MOVE_MOUNT_F_EMPTY_PATH = 0x4;
export const MOVE_MOUNT_T_SYMLINKS = 0x10;
export const MOVE_MOUNT_T_AUTOMOUNTS = 0x20;
export const MOVE_MOUNT_T_EMPTY_PATH = 0x40;
const MOVE_MOUNT_SET_GROUP = 0x100;
const MOVE_MOUNT_BENEATH = 0x200;
const MOVE_MOUNT__MASK = 0x377;

/** MS_* propagation values mount_attr.propagation takes (one at most). */
const MS_UNBINDABLE = 1 << 17;
const MS_PRIVATE = 1 << 18;
const MS_SLAVE = 1 << 19;
const MS_SHARED = 1 << 20;
const PROPAGATION: Readonly<Record<number, PropagationType>> = { [MS_UNBINDABLE]: 'unbindable', [MS_PRIVATE]: 'private', [MS_SLAVE]: 'slave', [MS_SHARED]: 'shared' };

/**
 * struct mount_attr. `userns` stands for userns_fd: the user namespace a descriptor of
 * /proc/PID/ns/user would name, or `null` for a descriptor that is not open (EBADF) and
 * `'not-userns'` for an open one that is no user namespace (EINVAL).
 */
export interface MountAttr {
  attrSet: number;
  attrClr: number;
  propagation?: number;
  userns?: UserNamespace | null | 'not-userns';
}

/** The mount flags of the MOUNT_ATTR_* bits (attr_flags_to_mnt_flags()). */
function attrToMntFlags(attr: number): number {
  let f = 0;
  if (attr & MOUNT_ATTR_RDONLY) f |= MNT_READONLY;
  if (attr & MOUNT_ATTR_NOSUID) f |= MNT_NOSUID;
  if (attr & MOUNT_ATTR_NODEV) f |= MNT_NODEV;
  if (attr & MOUNT_ATTR_NOEXEC) f |= MNT_NOEXEC;
  if (attr & MOUNT_ATTR_NODIRATIME) f |= MNT_NODIRATIME;
  if (attr & MOUNT_ATTR_NOSYMFOLLOW) f |= MNT_NOSYMFOLLOW;
  return f;
}

/** anon_ns_root(): `m` is the root of an anonymous namespace's tree. */
function anonNsRoot(m: Mount): boolean {
  return m.ns !== null && m.ns.anon && m.ns.root === m;
}

/**
 * open_tree(2). Without OPEN_TREE_CLONE an O_PATH descriptor of the path; with it, of a detached
 * copy (AT_RECURSIVE: of the whole tree), which needs CAP_SYS_ADMIN over the caller's mount
 * namespace's owner (EPERM). AT_RECURSIVE alone, or an unknown flag, is EINVAL.
 */
export function openTree(p: Process, dirfd: number, path: string, flags: number): number {
  if (flags & ~(AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_RECURSIVE | AT_SYMLINK_NOFOLLOW | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)) throw errno('EINVAL');
  if ((flags & (AT_RECURSIVE | OPEN_TREE_CLONE)) === AT_RECURSIVE) throw errno('EINVAL');
  if (flags & OPEN_TREE_CLONE) mayMount(p);
  const at = p.lookup(dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW), (flags & AT_EMPTY_PATH) !== 0);
  if (!(flags & OPEN_TREE_CLONE)) return p.fds.install(new FileDescription(at, at.dentry.inode, O_PATH, false, false, false));
  const tree = doLoopback(p, at, (flags & AT_RECURSIVE) !== 0);
  // The copy lives in an anonymous namespace owned by the caller's mount namespace's owner.
  const anon = new MountNamespace(p.kernel, -1, p.ns.userNs);
  anon.setRoot(tree);
  for (const m of subtree(tree)) anon.add(m);
  const file = new FileDescription({ mnt: tree, dentry: tree.root }, tree.root.inode, O_PATH, false, false, false);
  // dissolve_on_fput(): a tree nobody attached goes with its last descriptor.
  file.state = {
    release: () => {
      if (tree.ns === anon) umountTree(p.kernel, tree, false);
    },
  };
  return p.fds.install(file);
}

/** build_mount_idmapped(): the idmapping MOUNT_ATTR_IDMAP asks for, or undefined. */
function buildMountIdmapped(p: Process, attr: MountAttr): MntIdmap | undefined {
  if (!((attr.attrSet | attr.attrClr) & MOUNT_ATTR_IDMAP)) return undefined;
  // Only open_tree_attr() may take an idmapping away, from a mount never exposed.
  if (attr.attrClr & MOUNT_ATTR_IDMAP) throw errno('EINVAL');
  const ns = attr.userns;
  if (ns === null || ns === undefined) throw errno('EBADF');
  if (ns === 'not-userns') throw errno('EINVAL');
  // The initial idmapping stands for "not idmapped"; an identity map is the way to say that.
  if (ns === INIT_USER_NS) throw errno('EPERM');
  if (!p.creds.nsCapable(ns, Cap.SYS_ADMIN)) throw errno('EPERM');
  return idmapOf(ns);
}

/** can_idmap_mount(). */
function canIdmapMount(p: Process, idmap: MntIdmap, m: Mount): void {
  // No idmapping without maps (EINVAL): checked per mount, after the lookup (a closed tree
  // descriptor is EBADF first, measured on 6.18).
  if (idmap.uidMap.extents.length === 0 || idmap.gidMap.extents.length === 0) throw errno('EINVAL');
  // An idmapping equal to the filesystem's own makes no sense.
  if (idmap.owner === sbUserNs(m.sb)) throw errno('EINVAL');
  if (!m.idmap.isNop) throw errno('EPERM');
  if (!(fsFlags(m.sb.type) & FS_ALLOW_IDMAP)) throw errno('EINVAL');
  if (!p.creds.nsCapable(sbUserNs(m.sb), Cap.SYS_ADMIN)) throw errno('EPERM');
  // Visible in some tree already: its owners may not change under the eyes of its users.
  if (!m.ns?.anon) throw errno('EINVAL');
}

/**
 * mount_setattr(2): `attrClr` then `attrSet` on the mount at `path` (AT_RECURSIVE: every mount
 * of its tree), all or none. EINVAL for an unknown flag, more than one propagation type, an atime
 * setting without MOUNT_ATTR__ATIME cleared, or a mount that is neither in the caller's namespace
 * nor a detached tree's root; EPERM where a locked flag would go (can_change_locked_flags()); EBUSY
 * making read-only a mount with writers; an idmapping's own errnos (buildMountIdmapped(),
 * canIdmapMount()). Nothing to do is success before any lookup.
 */
export function mountSetattr(p: Process, dirfd: number, path: string, flags: number, attr: MountAttr): void {
  if (flags & ~(AT_EMPTY_PATH | AT_RECURSIVE | AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT)) throw errno('EINVAL');
  mayMount(p);
  const propagation = attr.propagation ?? 0;
  if (attr.attrSet === 0 && attr.attrClr === 0 && propagation === 0) return;
  // build_mount_kattr()
  if (propagation & ~(MS_UNBINDABLE | MS_PRIVATE | MS_SLAVE | MS_SHARED)) throw errno('EINVAL');
  if (propagation && !PROPAGATION[propagation]) throw errno('EINVAL');
  if ((attr.attrSet | attr.attrClr) & ~MOUNT_SETATTR_VALID_FLAGS) throw errno('EINVAL');
  let set = attrToMntFlags(attr.attrSet);
  let clr = attrToMntFlags(attr.attrClr);
  // The atime values are an enum: changing it takes all of MOUNT_ATTR__ATIME in attr_clr.
  if (attr.attrClr & MOUNT_ATTR__ATIME) {
    if ((attr.attrClr & MOUNT_ATTR__ATIME) !== MOUNT_ATTR__ATIME) throw errno('EINVAL');
    clr |= MNT_RELATIME | MNT_NOATIME;
    const atime = attr.attrSet & MOUNT_ATTR__ATIME;
    if (atime === MOUNT_ATTR_RELATIME) set |= MNT_RELATIME;
    else if (atime === MOUNT_ATTR_NOATIME) set |= MNT_NOATIME;
    else if (atime !== MOUNT_ATTR_STRICTATIME) throw errno('EINVAL');
  } else if (attr.attrSet & MOUNT_ATTR__ATIME) {
    throw errno('EINVAL');
  }
  const idmap = buildMountIdmapped(p, attr);
  const target = p.lookup(dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW), (flags & AT_EMPTY_PATH) !== 0);
  doMountSetattr(p, target, (flags & AT_RECURSIVE) !== 0, set, clr, propagation, idmap);
}

/** do_mount_setattr(): prepare every mount (mount_setattr_prepare()), then commit them all. */
function doMountSetattr(p: Process, target: Path, recurse: boolean, set: number, clr: number, propagation: number, idmap: MntIdmap | undefined): void {
  const m = target.mnt;
  if (!pathMounted(target)) throw errno('EINVAL');
  if ((m.parent || !m.ns?.anon) && !checkMnt(p, m)) throw errno('EINVAL');
  const mounts = recurse ? subtree(m) : [m];
  const flagsOf = (x: Mount): number => (x.flags & ~clr) | set;
  for (const x of mounts) {
    if (!canChangeLockedFlags(x, flagsOf(x))) throw errno('EPERM');
    if (idmap) canIdmapMount(p, idmap, x);
    // mnt_hold_writers(): no switch to read-only under an open writer.
    if (flagsOf(x) & MNT_READONLY && !x.readonly && x.writers > 0) throw errno('EBUSY');
  }
  const type = propagation ? PROPAGATION[propagation] : undefined;
  if (type === 'shared') p.kernel.propagation.inventGroupIds(mounts);
  for (const x of mounts) {
    x.flags = flagsOf(x);
    if (idmap) x.idmap = idmap;
    if (type) p.kernel.propagation.change(x, type);
  }
}

/**
 * move_mount(2): the mount at the "from" path onto the "to" path. A detached tree (the root of an
 * open_tree() copy) joins the target's namespace; an attached mount moves as MS_MOVE moves it.
 * EINVAL for an unknown flag, a source that is neither, a target in the source's own anonymous
 * namespace, or a source that is not a mount root. MOVE_MOUNT_SET_GROUP and MOVE_MOUNT_BENEATH
 * are not modelled: refused with EINVAL (README, Known differences).
 */
export function moveMount(p: Process, fromDirfd: number, fromPath: string, toDirfd: number, toPath: string, flags: number): void {
  // SYSCALL_DEFINE5(move_mount) on 6.18: may_mount(), the flags, then the target's lookup before
  // the source's (a closed source descriptor and a missing target: ENOENT, measured).
  mayMount(p);
  if (flags & ~MOVE_MOUNT__MASK) throw errno('EINVAL');
  if (flags & (MOVE_MOUNT_SET_GROUP | MOVE_MOUNT_BENEATH)) throw errno('EINVAL');
  const to = p.lookup(toDirfd, toPath, (flags & MOVE_MOUNT_T_SYMLINKS) !== 0, (flags & MOVE_MOUNT_T_EMPTY_PATH) !== 0);
  const from = p.lookup(fromDirfd, fromPath, (flags & MOVE_MOUNT_F_SYMLINKS) !== 0, (flags & MOVE_MOUNT_F_EMPTY_PATH) !== 0);
  const old = from.mnt;
  if (!old.ns?.anon) return doMoveMount(p, from, to);
  // do_move_mount() of a detached tree.
  if (!anonNsRoot(old) || old.ns === to.mnt.ns) throw errno('EINVAL');
  if (!pathMounted(from)) throw errno('EINVAL');
  if (isDir(to.dentry.inode.mode) !== isDir(from.dentry.inode.mode)) throw errno('EINVAL');
  const at = lockMount(to);
  if (!checkMnt(p, at.mnt)) throw errno('EINVAL');
  if (isDir(at.dentry.inode.mode) !== isDir(from.dentry.inode.mode)) throw errno('EINVAL');
  if (at.mnt.shared && subtree(old).some((m) => m.unbindable)) throw errno('EINVAL');
  // attach_recursive_mnt() takes the tree out of its anonymous namespace once the propagation is
  // made (a failure leaves it there) and adds it to the target's.
  attachRecursive(p.kernel, old, at.mnt, at.dentry, false);
}
