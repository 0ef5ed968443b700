/**
 * Mount propagation (fs/pnode.c; Documentation/filesystems/sharedsubtree.rst): peer groups,
 * master/slave links and unbindable mounts, their make-shared/-slave/-private/-unbindable
 * transitions, and the events that travel along them — a mount attached under a mount that has
 * peers or slaves is copied into each of them (propagate_mnt), an umount takes out the matching
 * copies (propagate_umount) unless one of them is busy (propagate_mount_busy).
 *
 * The graph is the kernel's (see Mount): a circular list of peers, an hlist of slaves under each
 * master, a group id and a shared bit. The walks follow the kernel's traversal order exactly —
 * next_group() over peer groups depth first, propagation_next() over single mounts — because the
 * order decides which copy is made first, and mountinfo lists a namespace's mounts in the order
 * they were made. Every walk costs the part of the graph it visits: nothing here looks at all the
 * mounts of a namespace. `visits` counts the receivers the event walks reach, for tests that check
 * an event costs what it propagates.
 */
import type { Dentry } from './dentry.js';
import { errno } from './errno.js';
import type { IdAllocator } from './ids.js';
import type { Kernel } from './kernel.js';
import { subtree, type Mount } from './mount.js';
import { changeMountpoint, setMountpoint, type MountNamespace } from './mount-namespace.js';

/** clone_mnt() flags (fs/pnode.h). */
export const CL_EXPIRE = 0x01;
export const CL_SLAVE = 0x02;
export const CL_COPY_UNBINDABLE = 0x04;
export const CL_MAKE_SHARED = 0x08;
export const CL_PRIVATE = 0x10;
/** A shared original's clone becomes its slave (copy_mnt_ns() into a less privileged namespace). */
export const CL_SHARED_TO_SLAVE = 0x20;

export type PropagationType = 'shared' | 'slave' | 'private' | 'unbindable';

/** peers(): both in the same (non-zero) peer group. */
export function peers(a: Mount, b: Mount): boolean {
  return a.groupId !== 0 && a.groupId === b.groupId;
}

/**
 * IS_MNT_NEW(): not in a namespace yet (a copy being made) — its slaves are not walked. A mount
 * of an anonymous namespace (a detached tree, the one being attached included) is not new: the
 * walks go on through it to its slaves (fs/pnode.h on 6.18).
 */
function isNew(m: Mount): boolean {
  return m.ns === null;
}

/**
 * need_secondary() (fs/pnode.c, 6.18): whether receiver `m` gets a copy of a tree attached at
 * `mp` — not one made by this propagation, not one that cannot see `mp`, and not a mount of an
 * anonymous namespace: a detached tree that is a peer (or slave) of the destination receives
 * nothing, though the walk still passes through it to its slaves.
 */
function needSecondary(m: Mount, mp: Dentry): boolean {
  if (isNew(m)) return false;
  if (!mp.isSubdirOf(m.root)) return false;
  return !m.ns!.anon;
}

// ----------------------------------------------------------------------- lists of the graph

/** list_add(&m->mnt_share, &after->mnt_share): `m` joins the ring right after `after`. */
function ringInsertAfter(m: Mount, after: Mount): void {
  m.peerPrev = after;
  m.peerNext = after.peerNext;
  after.peerNext.peerPrev = m;
  after.peerNext = m;
}

/** list_del_init(&m->mnt_share). */
function ringRemove(m: Mount): void {
  m.peerPrev.peerNext = m.peerNext;
  m.peerNext.peerPrev = m.peerPrev;
  m.peerNext = m;
  m.peerPrev = m;
}

/**
 * Links `m` into the slave list of `list` right after `prev` (hlist_add_behind), or at its head
 * when `prev` is null (hlist_add_head).
 */
function slaveInsert(m: Mount, list: Mount, prev: Mount | null): void {
  const next = prev ? prev.slaveNext : list.slaveFirst;
  m.slavePrev = prev;
  m.slaveNext = next;
  if (next) next.slavePrev = m;
  if (prev) prev.slaveNext = m;
  else list.slaveFirst = m;
  m.slaveList = list;
}

/** hlist_del_init(&m->mnt_slave): out of whatever slave list holds it; `master` is untouched. */
function slaveDel(m: Mount): void {
  const list = m.slaveList;
  if (!list) return;
  if (m.slavePrev) m.slavePrev.slaveNext = m.slaveNext;
  else list.slaveFirst = m.slaveNext;
  if (m.slaveNext) m.slaveNext.slavePrev = m.slavePrev;
  m.slaveNext = null;
  m.slavePrev = null;
  m.slaveList = null;
}

/** The slaves of `m`, in list order. */
export function slavesOf(m: Mount): Mount[] {
  const out: Mount[] = [];
  for (let s = m.slaveFirst; s; s = s.slaveNext) out.push(s);
  return out;
}

/** The peer group of `m` (itself included), from `m` round the ring. */
export function peersOf(m: Mount): Mount[] {
  const out = [m];
  for (let p = m.peerNext; p !== m; p = p.peerNext) out.push(p);
  return out;
}

export class Propagation {
  /** Receivers the event walks (propagate_mnt, propagate_umount, propagate_mount_busy) reached. */
  visits = 0;

  constructor(
    private readonly kernel: Kernel,
    /** mnt_group_ida: the smallest free id from 1. */
    private readonly groupIds: IdAllocator,
  ) {}

  // --------------------------------------------------------------------- state transitions

  /** mnt_alloc_group_id(). */
  private allocGroup(m: Mount): void {
    m.groupId = this.groupIds.alloc();
  }

  /** mnt_release_group_id(). */
  private releaseGroup(m: Mount): void {
    this.groupIds.free(m.groupId);
    m.groupId = 0;
  }

  /** set_mnt_shared(): a shared mount is never unbindable. */
  setShared(m: Mount): void {
    m.unbindable = false;
    m.shared = true;
  }

  /** invent_group_ids(): a group id for each mount (of `list`) that has none yet. */
  inventGroupIds(list: readonly Mount[]): void {
    for (const m of list) if (!m.groupId) this.allocGroup(m);
  }

  /** cleanup_group_ids(): gives back the ids invent_group_ids() made that never got shared. */
  cleanupGroupIds(list: readonly Mount[]): void {
    for (const m of list) if (m.groupId && !m.shared) this.releaseGroup(m);
  }

  /**
   * transfer_propagation(): the slaves of `m` get `to` as their master, moving in their order to
   * the head of its slave list; with no `to` they are free.
   */
  private transferPropagation(m: Mount, to: Mount | null): void {
    let last: Mount | null = null;
    for (let s = m.slaveFirst, next: Mount | null; s; s = next) {
      next = s.slaveNext;
      s.master = to;
      if (!to) slaveDel(s);
      else {
        s.slaveList = to;
        last = s;
      }
    }
    if (!last || !to) return;
    const first = m.slaveFirst!;
    last.slaveNext = to.slaveFirst;
    if (to.slaveFirst) to.slaveFirst.slavePrev = last;
    to.slaveFirst = first;
    first.slavePrev = null;
    m.slaveFirst = null;
  }

  /**
   * change_mnt_propagation() for one mount (MS_SHARED expects its group id invented). A shared
   * mount leaving its group hands its slaves to the next peer, or with no peer to its own master
   * (so make-slave of a lone shared mount without a master leaves it private); becoming a slave,
   * it goes to the head of that mount's slave list.
   */
  change(mnt: Mount, type: PropagationType): void {
    let m = mnt.master;
    if (type === 'shared') {
      this.setShared(mnt);
      return;
    }
    if (mnt.shared) {
      if (mnt.peerNext === mnt) this.releaseGroup(mnt);
      else {
        m = mnt.peerNext;
        ringRemove(mnt);
        mnt.groupId = 0;
      }
      mnt.shared = false;
      this.transferPropagation(mnt, m);
    }
    slaveDel(mnt);
    if (type === 'slave') {
      mnt.master = m;
      if (m) slaveInsert(mnt, m, null);
    } else {
      mnt.master = null;
      mnt.unbindable = type === 'unbindable';
    }
  }

  /**
   * The sharing clone_mnt() gives a clone of `old`: CL_SLAVE or CL_PRIVATE leave the group,
   * CL_MAKE_SHARED makes a group if there is none; a peer of `old` joins the ring right after it;
   * with CL_SLAVE (and a group to hang from) it heads `old`'s slave list, else a clone of a slave
   * goes right behind `old` in its master's list. Measured on 6.18: a copy is never unbindable,
   * not even unshare's copy of an unbindable mount (the only clone of one: bind refuses it, rbind
   * leaves it out).
   */
  cloneSharing(mnt: Mount, old: Mount, flag: number): void {
    mnt.groupId = flag & (CL_SLAVE | CL_PRIVATE | CL_SHARED_TO_SLAVE) ? 0 : old.groupId;
    if (flag & CL_MAKE_SHARED && !mnt.groupId) this.allocGroup(mnt);
    if (mnt.groupId) this.setShared(mnt);
    if (flag & CL_PRIVATE) return;
    if (peers(mnt, old)) ringInsertAfter(mnt, old);
    if ((flag & CL_SLAVE || (flag & CL_SHARED_TO_SLAVE && old.shared)) && old.groupId) {
      slaveInsert(mnt, old, null);
      mnt.master = old;
    } else if (old.master) {
      slaveInsert(mnt, old.slaveList!, old);
      mnt.master = old.master;
    }
  }

  /**
   * trace_transfers(): `m` leaves the graph and its master field points where its slaves should
   * go — a peer, or its master — following that way through mounts that are going too.
   */
  private traceTransfers(m: Mount): Mount | null {
    for (;;) {
      let next: Mount | null = m.peerNext;
      if (next !== m) {
        ringRemove(m);
        m.groupId = 0;
        m.master = next;
      } else {
        if (m.shared) this.releaseGroup(m);
        next = m.master;
      }
      slaveDel(m);
      m.shared = false;
      m.marked = true;
      if (!next || !next.umounting) return next;
      if (next.marked) return next.master;
      m = next;
    }
  }

  /**
   * bulk_make_private(): every mount of an umount set becomes private at once; the slaves of each
   * go to the nearest mount that stays (set_destinations), or are freed.
   */
  bulkMakePrivate(set: readonly Mount[]): void {
    for (const m of set) {
      if (m.marked) continue;
      const master = this.traceTransfers(m);
      for (let x = m, next = x.master; next !== master; x = next!, next = x.master) x.master = master;
    }
    for (const m of set) {
      this.transferPropagation(m, m.master);
      m.master = null;
      m.marked = false;
    }
  }

  // ------------------------------------------------------------------------------ walks

  /** next_group(): the next peer group receiving from `origin`'s, depth first; null at the end. */
  private nextGroup(m: Mount, origin: Mount): Mount | null {
    for (;;) {
      for (;;) {
        if (!isNew(m) && m.slaveFirst) return m.slaveFirst;
        const next = m.peerNext;
        if (m.groupId === origin.groupId) {
          if (next === origin) return null;
        } else if (m.slaveNext !== next) break;
        m = next;
      }
      // m is the last peer of its group among its master's slaves.
      for (;;) {
        const master = m.master!;
        if (m.slaveNext) return m.slaveNext;
        m = master.peerNext;
        if (master.groupId === origin.groupId) break;
        if (master.slaveNext === m) break;
        m = master;
      }
      if (m === origin) return null;
    }
  }

  /** __propagation_next(): the next mount after `m`'s own slaves. */
  private nextSkippingSlaves(m: Mount, origin: Mount): Mount | null {
    for (;;) {
      const master = m.master;
      if (master === origin.master) {
        const next = m.peerNext;
        return next === origin ? null : next;
      }
      if (m.slaveNext) return m.slaveNext;
      m = master!;
    }
  }

  /** propagation_next(): the next mount receiving from `origin`, depth first; null at the end. */
  private propagationNext(m: Mount, origin: Mount): Mount | null {
    const next = !isNew(m) && m.slaveFirst ? m.slaveFirst : this.nextSkippingSlaves(m, origin);
    if (next) this.visits++;
    return next;
  }

  /** skip_propagation_subtree(): past everything that receives from `m` or its peers. */
  private skipPropagationSubtree(m: Mount, origin: Mount): Mount | null {
    let p = this.nextSkippingSlaves(m, origin);
    while (p && peers(m, p)) p = this.nextSkippingSlaves(p, origin);
    return p;
  }

  // ---------------------------------------------------------------------- mount events

  /**
   * find_master(): the copy a copy for receiver `m` should be a slave of — going up from the last
   * copy made to the one made for the group `m` (or a master of it) receives from.
   */
  private findMaster(m: Mount, lastCopy: Mount, original: Mount): Mount {
    let p: Mount | null;
    for (;;) {
      p = m.master;
      if (!p || p.marked) break;
      m = p;
    }
    while (!peers(lastCopy, original)) {
      const parent = lastCopy.parent!;
      if (parent.master === p) {
        if (!peers(parent, m)) lastCopy = lastCopy.master!;
        break;
      }
      lastCopy = lastCopy.master!;
    }
    return lastCopy;
  }

  /**
   * count_mounts(): ENOSPC when `tree` would take `ns` past fs.mount-max, counting the copies
   * already admitted for this event; else they are admitted too.
   */
  countMounts(ns: MountNamespace, tree: Mount): void {
    let room = this.kernel.mountMax;
    if (ns.mounts.size >= room) throw errno('ENOSPC');
    room -= ns.mounts.size;
    if (ns.pending >= room) throw errno('ENOSPC');
    room -= ns.pending;
    const count = subtree(tree).length;
    if (count > room) throw errno('ENOSPC');
    ns.pending += count;
  }

  /**
   * propagate_mnt(): a copy of `source` for every mount that receives from `dest`, sees `mp`
   * (is_subdir of its root) and is in no anonymous namespace (needSecondary()), hung at `mp`
   * there but not visible yet; each goes into `copies` in the order made, even when a later one
   * fails. Peers of `dest` get peers of the source (CL_MAKE_SHARED); every other group gets
   * slaves of the copy made for the group it receives from (CL_SLAVE), shared again when the
   * receiver is shared. ENOSPC from count_mounts().
   */
  propagateMnt(dest: Mount, mp: Dentry, source: Mount, copies: Mount[]): void {
    if (dest.master) dest.master.marked = true;
    try {
      let copy = source;
      for (let m: Mount | null = dest; m; m = this.nextGroup(m, dest)) {
        let type: number;
        let n: Mount;
        if (m === dest) {
          copy = source;
          type = CL_MAKE_SHARED;
          n = m.peerNext;
          if (n === m) continue;
        } else {
          type = CL_SLAVE | (m.shared ? CL_MAKE_SHARED : 0);
          n = m;
        }
        do {
          this.visits++;
          if (!needSecondary(n, mp)) continue;
          if (type & CL_SLAVE) copy = this.findMaster(n, copy, source);
          const made = this.kernel.copyTree(copy, copy.root, type);
          setMountpoint(n, mp, made);
          if (n.master) n.master.marked = true;
          copy = made;
          copies.push(made);
          this.countMounts(n.ns!, made);
          type = CL_MAKE_SHARED;
        } while ((n = n.peerNext) !== m);
      }
    } finally {
      for (const c of copies) {
        const master = c.parent!.master;
        if (master) master.marked = false;
      }
      if (dest.master) dest.master.marked = false;
    }
  }

  // --------------------------------------------------------------------- umount events

  /**
   * propagate_mount_busy(): umount2 without MNT_DETACH must fail (EBUSY) when `mnt` has children
   * or is pinned, or when a copy the umount would take out in a receiver is pinned — a copy with
   * children of its own stays, and so does not count, unless its one child only covers it.
   */
  propagateMountBusy(mnt: Mount): boolean {
    if (mnt.children.size > 0 || mnt.refs > 0) return true;
    const parent = mnt.parent;
    const mp = mnt.mountpoint;
    if (!parent || !mp) return false;
    for (let m = this.propagationNext(parent, parent); m; m = this.propagationNext(m, parent)) {
      const child = m.childAt.get(mp);
      if (!child) continue;
      if (child.children.size > 0 && (child.children.size !== 1 || !child.overmount)) continue;
      if (child.refs > 0) return true;
    }
    return false;
  }

  /**
   * propagate_umount(): adds to `set` (mounts umount_tree() is taking out, already hidden from
   * their parents' children) the copies in receivers that can go with them: a candidate stays
   * when it has a child that is no candidate, except a child only covering it; its candidate
   * ancestors stay too, unless they are only covered by it (trim_ancestors). A surviving mount
   * on top of a stack that goes slides down to where the stack was attached (reparent).
   */
  propagateUmount(set: Mount[]): void {
    const candidates = new Set(this.gatherCandidates(set));
    const toUmount: Mount[] = [];
    // Reduce the set until it is non-shifting: only the mount at hand may leave it here.
    for (const m of candidates) this.trimOne(m, candidates, toUmount);
    while (candidates.size > 0) this.handleRest(candidates.values().next().value!, candidates, toUmount);
    for (const m of toUmount) {
      const over = m.overmount;
      if (over && !over.umounting) reparent(over);
    }
    for (const m of toUmount) set.push(m);
  }

  /** gather_candidates(): the mounts at each victim's mount point in its parent's receivers. */
  private gatherCandidates(set: readonly Mount[]): Mount[] {
    const found: Mount[] = [];
    for (const m of set) {
      if (m.candidate) continue;
      m.candidate = true;
      const p = m.parent!;
      const mp = m.mountpoint!;
      let q = this.propagationNext(p, p);
      while (q) {
        const child = q.childAt.get(mp);
        if (child) {
          // Met before on an earlier victim: nothing new below the mounts receiving from q.
          if (child.candidate) {
            q = this.skipPropagationSubtree(q, p);
            continue;
          }
          child.candidate = true;
          if (!child.umounting) found.push(child);
        }
        q = this.propagationNext(q, p);
      }
    }
    for (const m of set) m.candidate = false;
    // The kernel adds each candidate at the head of its list.
    return found.reverse();
  }

  /** trim_one(). */
  private trimOne(m: Mount, candidates: Set<Mount>, toUmount: Mount[]): void {
    if (!m.candidate) {
      dropCandidate(m, candidates);
      return;
    }
    let found = false;
    let remove = false;
    let umount = false;
    for (const n of m.children) {
      if (n.candidate) continue;
      found = true;
      if (n !== m.overmount) {
        remove = true;
        break;
      }
    }
    if (found) trimAncestors(m);
    else if (m.children.size === 0) remove = umount = true;
    if (remove) {
      dropCandidate(m, candidates);
      if (umount) umountOne(m, toUmount);
    }
  }

  /**
   * handle_locked() without locked mounts: what is still a candidate goes, with its candidate
   * ancestors.
   */
  private handleRest(m: Mount, candidates: Set<Mount>, toUmount: Mount[]): void {
    if (!m.candidate) {
      dropCandidate(m, candidates);
      return;
    }
    let p = m;
    for (; p.candidate; p = p.parent!) dropCandidate(p, candidates);
    for (; m !== p; m = m.parent!) umountOne(m, toUmount);
  }
}

/** remove_from_candidate_list(). */
function dropCandidate(m: Mount, candidates: Set<Mount>): void {
  m.marked = false;
  m.candidate = false;
  candidates.delete(m);
}

/** trim_ancestors(): a child that stays keeps each ancestor it does not merely cover. */
function trimAncestors(m: Mount): void {
  for (let p = m.parent!; p.candidate; m = p, p = p.parent!) {
    // Everything beneath is overmounts only: seen already.
    if (m.marked) return;
    m.marked = true;
    if (m !== p.overmount) p.candidate = false;
  }
}

/** umount_one(): committed to going; off its parent's children and its namespace's list. */
function umountOne(m: Mount, toUmount: Mount[]): void {
  m.umounting = true;
  m.parent!.children.delete(m);
  m.ns!.mounts.delete(m);
  toUmount.push(m);
}

/** reparent(): `m` stays; it slides to where the stack of going mounts below it is attached. */
function reparent(m: Mount): void {
  let p = m;
  let mp: Dentry;
  do {
    mp = p.mountpoint!;
    p = p.parent!;
  } while (p.umounting);
  changeMountpoint(p, mp, m);
}

/**
 * get_dominating_id(): for a slave, the id of the nearest peer group up its master chain that has
 * a member in its namespace reachable from the reader's root; mountinfo prints it as
 * propagate_from when it differs from the master's own group.
 */
export function dominatingId(m: Mount, reachable: (p: Mount) => boolean): number {
  for (let master = m.master; master; master = master.master) {
    let p = master;
    do {
      if (p.ns === m.ns && reachable(p)) return p.groupId;
      p = p.peerNext;
    } while (p !== master);
  }
  return 0;
}
