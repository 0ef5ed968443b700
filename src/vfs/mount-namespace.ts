/**
 * MountNamespace: one tree of mounts (struct mnt_namespace), and the primitives that hang mounts
 * on the tree and take them off it (mnt_set_mountpoint, make_visible, attach_mnt, umount_mnt,
 * mnt_change_mountpoint, commit_tree). What the syscalls do with them lives in mount-syscalls.ts;
 * copying trees in kernel.ts; propagation in propagation.ts.
 *
 * Invariants: every mount reachable from `root` through `children` has `ns === this` and is in
 * `mounts`; `mounts` holds them in creation order (the order /proc/self/mountinfo lists them in
 * since Linux 6.8, which keeps a namespace's mounts sorted by their unique id). `mounts.size` is
 * nr_mounts; `pending` is pending_mounts, the copies count_mounts() has admitted and commit_tree()
 * has not added yet. A mount umount_tree() is taking out leaves `mounts` at once (move_from_ns)
 * and keeps `ns` until the end of the umount, as the kernel keeps mnt_ns.
 *
 * A namespace is owned by a user namespace (mnt_ns->user_ns): mounting in it takes CAP_SYS_ADMIN
 * there (may_mount()), and a copy made for a task of another user namespace has its mounts
 * locked (lock_mnt_tree(), mount.ts's MNT_LOCK_*). An anonymous namespace (`anon`, index -1) holds
 * a detached tree open_tree(OPEN_TREE_CLONE) made; it is no task's and the plan does not count it.
 *
 * Stacks: the mounts linked by `overmount` (each on the root of the one below) form a chain, and
 * makeVisible() and umountMnt(), the only two places that set `overmount`, keep every mount's
 * `stackBottom` and the bottom's `stackTop` exact (checkStacks() says what exact means). So the
 * top of a stack is two loads, where the kernel's topmost_overmount() and __follow_mount_rcu()
 * take one hash lookup a mount: a bind on a place with 2000 mounts stacked on it no longer walks
 * all 2000. Joining or splitting a chain relabels the part above the joint only: O(1) for a mount
 * pushed on or popped off the top; a umount, move or propagation that cuts a stack in its middle
 * pays for the mounts above the cut.
 */
import type { Dentry } from './dentry.js';
import type { Kernel } from './kernel.js';
import { subtree, type Mount } from './mount.js';
import { INIT_USER_NS, type UserNamespace } from './user-namespace.js';

export class MountNamespace {
  readonly mounts = new Set<Mount>();
  root!: Mount;
  /** pending_mounts. */
  pending = 0;

  constructor(
    readonly kernel: Kernel,
    /** Creation index: 0 for the first namespace, as the plan's `setns` counts them; -1 anonymous. */
    readonly index: number,
    /** The owning user namespace (mnt_ns->user_ns). */
    readonly userNs: UserNamespace = INIT_USER_NS,
  ) {}

  /** is_anon_ns(): a namespace open_tree() made for a detached tree. */
  get anon(): boolean {
    return this.index < 0;
  }

  /** Adds a parentless mount as this namespace's root. */
  setRoot(m: Mount): void {
    this.root = m;
    this.add(m);
  }

  /** mnt_add_to_ns(). */
  add(m: Mount): void {
    m.ns = this;
    this.mounts.add(m);
  }

  /** attach_mnt() of a whole tree at once, then every mount of it joins this namespace. */
  attach(m: Mount, parent: Mount, mp: Dentry): void {
    attachMnt(m, parent, mp);
    for (const x of subtree(m)) this.add(x);
  }

  /** The mounts in mountinfo order. */
  ordered(): Mount[] {
    return [...this.mounts].sort((a, b) => a.seq - b.seq);
  }
}

/** The mounts whose mount point is `d`, in any namespace, the last hung there first. */
export function mountsOn(d: Dentry): Mount[] {
  return d.mounts ? [...d.mounts].reverse() : [];
}

/** is_local_mountpoint(): something is mounted on `d` in `ns`; costs the mounts on `d` only. */
export function isLocalMountpoint(ns: MountNamespace, d: Dentry): boolean {
  if (d.mounts === null) return false;
  for (const m of d.mounts) if (m.ns === ns) return true;
  return false;
}

/** mnt_set_mountpoint(): `child` will hang at `mp` on `parent`, not yet visible to lookups. */
export function setMountpoint(parent: Mount, mp: Dentry, child: Mount): void {
  child.parent = parent;
  child.mountpoint = mp;
  (mp.mounts ??= new Set()).add(child);
}

/**
 * make_visible(): in the parent's mnt_mounts (at the tail) and the mount hash. On the parent's
 * root it becomes its overmount: its chain joins the parent's on top. A copy propagated under an
 * existing overmount takes that one's place (attachRecursive() then moves it on top): the old
 * overmount's chain is cut off first.
 */
export function makeVisible(m: Mount): void {
  const parent = m.parent!;
  if (m.mountpoint === parent.root) {
    const old = parent.overmount;
    if (old && old !== m) cutStack(parent, old);
    parent.overmount = m;
    const bottom = parent.stackBottom;
    bottom.stackTop = relabelStack(m, bottom);
  }
  parent.childAt.set(m.mountpoint!, m);
  parent.children.add(m);
}

/** Every mount from `from` up its chain gets `bottom`; the chain's top. */
function relabelStack(from: Mount, bottom: Mount): Mount {
  let top = from;
  for (let x: Mount | null = from; x; x = x.overmount) {
    x.stackBottom = bottom;
    top = x;
  }
  return top;
}

/** `over`, the overmount of `below`, and what is stacked on it become a chain of their own. */
function cutStack(below: Mount, over: Mount): void {
  over.stackTop = relabelStack(over, over);
  below.stackBottom.stackTop = below;
}

/** attach_mnt(). */
export function attachMnt(m: Mount, parent: Mount, mp: Dentry): void {
  setMountpoint(parent, mp, m);
  makeVisible(m);
}

/**
 * __umount_mnt(): takes `m` off its parent (its own subtree stays attached to it). The hash entry
 * goes only if it is still `m`'s: a mount slid into the same place (reparent, or a copy propagated
 * under an existing child) may hold it by now.
 */
export function umountMnt(m: Mount): void {
  const parent = m.parent;
  const mp = m.mountpoint;
  if (!parent || !mp) return;
  if (parent.overmount === m) {
    cutStack(parent, m);
    parent.overmount = null;
  }
  parent.children.delete(m);
  if (parent.childAt.get(mp) === m) parent.childAt.delete(mp);
  mp.mounts?.delete(m);
  if (mp.mounts?.size === 0) mp.mounts = null;
  m.parent = null;
  m.mountpoint = null;
}

/** mnt_change_mountpoint(): moves `m` (with its subtree) to `mp` on `parent`. */
export function changeMountpoint(parent: Mount, mp: Dentry, m: Mount): void {
  umountMnt(m);
  attachMnt(m, parent, mp);
}

/** commit_tree(): a tree not in a namespace yet joins its parent's, then becomes visible. */
export function commitTree(m: Mount): void {
  const ns = m.parent!.ns!;
  if (!m.ns) {
    for (const x of subtree(m)) ns.add(x);
    ns.pending = 0;
  }
  makeVisible(m);
}

/** topmost_overmount(): the top of the stack of mounts on `m`'s root (the cached top of its chain). */
export function topmostOvermount(m: Mount): Mount {
  return m.stackBottom.stackTop;
}

/**
 * The stack invariant, for tests (gVisor's checkInvariants): for every mount of `mounts`, its
 * `stackBottom` is what following the mount hash down from it reaches (a mount is an overmount
 * when it hangs on its parent's root), and that bottom's `stackTop` is what following
 * `overmount` up reaches, which is also what the mount hash finds (the kernel's walk). Throws a
 * plain Error (a bug) naming the first mount where the cache is wrong.
 */
export function checkStacks(mounts: Iterable<Mount>): void {
  for (const m of mounts) {
    let bottom = m;
    while (bottom.parent && bottom.parent.overmount === bottom) bottom = bottom.parent;
    let top = m;
    for (let next = top.childAt.get(top.root); next; next = top.childAt.get(top.root)) {
      if (next !== top.overmount) throw new Error(`mount ${top.id}: overmount ${top.overmount?.id} but the hash has ${next.id} on its root`);
      top = next;
    }
    if (top.overmount) throw new Error(`mount ${top.id}: overmount ${top.overmount.id} not in the hash`);
    if (m.stackBottom !== bottom) throw new Error(`mount ${m.id}: stackBottom ${m.stackBottom.id}, walked ${bottom.id}`);
    if (bottom.stackTop !== top) throw new Error(`mount ${m.id}: stackTop ${bottom.stackTop.id}, walked ${top.id}`);
  }
}
