/**
 * Mount: one place in a mount tree where a superblock's subtree (from `root`) is attached, with
 * the per-mount flags (MNT_*) apart from the superblock's own options.
 *
 * Invariants: `parent`/`mountpoint` are both null for a namespace's root mount and for a detached
 * mount; `mountpoint` is a dentry of `parent`'s superblock; `children` lists child mounts in
 * attach order (mnt_mounts), which is the order copy_tree() walks; `childAt` maps a mount point
 * dentry to the one mount attached there on this parent (a later mount on the same spot stacks on
 * that child's root instead). `refs` counts what pins the mount besides the tree (open files, a
 * task's cwd or root): umount2 without MNT_DETACH is EBUSY while it is non-zero. `writers` counts
 * files open for writing (mnt_want_write held), which makes a switch to read-only EBUSY.
 */
import type { Dentry } from './dentry.js';
import type { SuperBlock } from './inode.js';
import type { MountNamespace } from './mount-namespace.js';
import type { PeerGroup } from './propagation.js';

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

export class Mount {
  parent: Mount | null = null;
  mountpoint: Dentry | null = null;
  readonly children: Mount[] = [];
  readonly childAt = new Map<Dentry, Mount>();
  ns: MountNamespace | null = null;
  refs = 0;
  writers = 0;
  /** Peer group when shared (IS_MNT_SHARED), else null. */
  peers: PeerGroup | null = null;
  /** The mount this one receives propagation from (mnt_master), when a slave. */
  master: Mount | null = null;
  readonly slaves = new Set<Mount>();
  unbindable = false;
  /** The mount id went back to the allocator (the mount is gone for good). */
  released = false;
  /** Set by a first umount2(MNT_EXPIRE); a second one unmounts. */
  expiryMark = false;

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

/** A location in the mount tree: what a path walk yields (struct path). */
export interface Path {
  readonly mnt: Mount;
  readonly dentry: Dentry;
}

export function pathEqual(a: Path, b: Path): boolean {
  return a.mnt === b.mnt && a.dentry === b.dentry;
}
