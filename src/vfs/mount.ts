/**
 * Mount: one place in a mount tree where a superblock's subtree (from `root`) is attached, with
 * the per-mount flags (MNT_*) apart from the superblock's own options, and the links that make
 * it a member of the propagation graph (struct mount's mnt_share, mnt_slave_list, mnt_slave,
 * mnt_master, mnt_group_id).
 *
 * Invariants: `parent`/`mountpoint` are both null for a namespace's root mount and for a detached
 * mount (a copy that propagate_mnt() made has them set before it is committed to the tree, as
 * mnt_set_mountpoint() does); `mountpoint` is a dentry of `parent`'s superblock; `children` lists
 * child mounts in attach order (mnt_mounts), which is the order copy_tree() walks; `childAt`
 * maps a mount point dentry to the one mount attached there on this parent (the mount hash: a
 * later mount on the same spot stacks on that child's root instead, and one propagated under an
 * existing child takes its place, the child moving on top). `overmount` is the child on this
 * mount's own root dentry. `refs` counts what pins the mount besides the tree (open files, a
 * task's cwd or root): umount2 without MNT_DETACH is EBUSY while it is non-zero. `writers` counts
 * files open for writing (mnt_want_write held), which makes a switch to read-only EBUSY.
 * `flags` also carries the MNT_LOCK_* bits a copy into a less privileged mount namespace gets
 * (never shown in mountinfo), and `idmap` the mount's idmapping (idmapping.ts), which a clone
 * inherits and which changes only on a mount of an anonymous namespace (mount-api.ts).
 *
 * Propagation: `groupId` is mnt_group_id (0: none); `shared` is IS_MNT_SHARED (a mount can hold a
 * group id before it is shared, between invent_group_ids() and set_mnt_shared()); the peers of a
 * group form a circular list through `peerNext`/`peerPrev` (a lone mount points at itself); a
 * master's slaves form a list from `slaveFirst` through `slaveNext`/`slavePrev` (an hlist: new
 * slaves go to its head, a clone of a slave right behind it). src/vfs/propagation.ts owns them.
 */
import type { Dentry } from './dentry.js';
import { HoleMap } from './hole-map.js';
import { NOP_IDMAP, type MntIdmap } from './idmapping.js';
import type { SuperBlock } from './inode.js';
import type { MountNamespace } from './mount-namespace.js';

export const MNT_NOSUID = 0x01;
export const MNT_NODEV = 0x02;
export const MNT_NOEXEC = 0x04;
export const MNT_NOATIME = 0x08;
export const MNT_NODIRATIME = 0x10;
export const MNT_RELATIME = 0x20;
export const MNT_READONLY = 0x40;
export const MNT_NOSYMFOLLOW = 0x80;
export const MNT_ATIME_MASK = MNT_NOATIME | MNT_NODIRATIME | MNT_RELATIME;
/** MNT_USER_SETTABLE_MASK: what mount(2) flags replace on a remount. */
export const MNT_USER_SETTABLE_MASK =
  MNT_NOSUID | MNT_NODEV | MNT_NOEXEC | MNT_ATIME_MASK | MNT_READONLY | MNT_NOSYMFOLLOW;
/**
 * Locks a copy into a less privileged mount namespace gets (lock_mnt_tree()): the flag they name
 * may not be cleared (EPERM), the atime setting not changed at all, and a MNT_LOCKED mount not
 * taken off what it covers (umount, move: EINVAL), since that would reveal what the more
 * privileged namespace hid under it.
 */
export const MNT_LOCK_ATIME = 0x040000;
export const MNT_LOCK_NOEXEC = 0x080000;
export const MNT_LOCK_NOSUID = 0x100000;
export const MNT_LOCK_NODEV = 0x200000;
export const MNT_LOCK_READONLY = 0x400000;
export const MNT_LOCKED = 0x800000;

export class Mount {
  parent: Mount | null = null;
  mountpoint: Dentry | null = null;
  /** mnt_mounts: a Set keeps attach order and drops a child in O(1), however many siblings. */
  readonly children = new Set<Mount>();
  readonly childAt = new MountHash();
  overmount: Mount | null = null;
  /**
   * The cached top of the stack (mount-namespace.ts keeps it): mounts linked by `overmount` form
   * one chain; `stackBottom` is its lowest mount (one that is no mount's overmount), and the
   * bottom's `stackTop` its highest, so that the top of a stack costs two loads instead of a
   * hash lookup a mount (topmost_overmount(), __follow_mount_rcu()). On any other mount
   * `stackTop` is stale and never read.
   */
  stackBottom: Mount = this;
  stackTop: Mount = this;
  ns: MountNamespace | null = null;
  refs = 0;
  writers = 0;

  /** mnt_group_id: the peer group's id, 0 for none. */
  groupId = 0;
  /** IS_MNT_SHARED (T_SHARED). */
  shared = false;
  /** mnt_share: the circular list of peers. */
  peerNext: Mount = this;
  peerPrev: Mount = this;
  /** The mount this one receives propagation from (mnt_master), when a slave. */
  master: Mount | null = null;
  /** mnt_slave_list.first. */
  slaveFirst: Mount | null = null;
  /** mnt_slave: this mount's place in its master's slave list. */
  slaveNext: Mount | null = null;
  slavePrev: Mount | null = null;
  /**
   * The master whose slave list holds this mount. hlist_del() unlinks through the node alone;
   * this stands in for its pprev, since `master` may already name another mount by then
   * (trace_transfers()).
   */
  slaveList: Mount | null = null;
  /** T_UNBINDABLE. */
  unbindable = false;
  /** T_MARKED: scratch mark of propagate_mnt(), propagate_umount() and bulk_make_private(). */
  marked = false;
  /** T_UMOUNT_CANDIDATE: scratch mark of propagate_umount(). */
  candidate = false;
  /** MNT_UMOUNT: umount_tree() has taken this mount. */
  umounting = false;

  /** The mount id went back to the allocator (the mount is gone for good). */
  released = false;
  /** Set by a first umount2(MNT_EXPIRE); a second one unmounts. */
  expiryMark = false;
  /** mnt_idmap: how owners show through this mount (idmapping.ts); a clone inherits it. */
  idmap: MntIdmap = NOP_IDMAP;

  constructor(
    /** mnt_id as mountinfo shows it. */
    readonly id: number,
    /** Creation order; mountinfo lists a namespace's mounts in this order. */
    readonly seq: number,
    readonly sb: SuperBlock,
    readonly root: Dentry,
    /** mnt_devname: mount(2)'s source, inherited by binds. */
    readonly devname: string,
    public flags: number,
  ) {}

  get readonly(): boolean {
    return (this.flags & MNT_READONLY) !== 0;
  }
}

/**
 * The mount hash of one parent: mount point dentry -> the child attached there (__lookup_mnt).
 * A mount and umount at the same spot of a parent with 100k children deletes and adds one key of
 * a large map again and again, V8's slow path: hence a HoleMap (hole-map.ts says why).
 */
export class MountHash extends HoleMap<Dentry, Mount> {}

/** A location in the mount tree: what a path walk yields (struct path). */
export interface Path {
  readonly mnt: Mount;
  readonly dentry: Dentry;
}

export function pathEqual(a: Path, b: Path): boolean {
  return a.mnt === b.mnt && a.dentry === b.dentry;
}

/**
 * `m` and every mount below it, in the preorder of next_mnt() that copy_tree(), umount_tree() and
 * commit_tree() walk (children in attach order). Costs the size of the subtree, nothing more.
 */
export function subtree(m: Mount): Mount[] {
  const out: Mount[] = [];
  const stack = [m];
  while (stack.length) {
    const x = stack.pop()!;
    out.push(x);
    if (x.children.size === 0) continue;
    const kids = [...x.children];
    for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]!);
  }
  return out;
}
