/**
 * Propagation state of mounts: peer groups, master/slave links and unbindable mounts, and the
 * make-shared/-slave/-private/-unbindable transitions of Documentation/filesystems/sharedsubtree.rst.
 *
 * This file owns the *state* and its transitions (change_mnt_propagation, do_make_slave, the
 * sharing a clone inherits in clone_mnt). Propagating mount and umount *events* to peers and
 * slaves is not modelled yet: a mount event changes only the namespace it happens in.
 */
import type { IdAllocator } from './ids.js';
import type { Mount } from './mount.js';

/** A peer group: mounts that propagate events to each other, with the id mountinfo prints. */
export class PeerGroup {
  readonly members = new Set<Mount>();
  constructor(readonly id: number) {}
}

export type PropagationType = 'shared' | 'slave' | 'private' | 'unbindable';

export class Propagation {
  constructor(private readonly groupIds: IdAllocator) {}

  /** Puts `m` into `group` (set_mnt_shared on a peer). */
  join(m: Mount, group: PeerGroup): void {
    m.peers = group;
    group.members.add(m);
    m.unbindable = false;
  }

  /** Makes `m` shared in a new group unless it already has one (invent_group_ids + set_mnt_shared). */
  makeShared(m: Mount): void {
    if (m.peers) return;
    this.join(m, new PeerGroup(this.groupIds.alloc()));
  }

  /** Leaves the peer group, releasing its id when `m` was the last member (mnt_release_group_id). */
  leaveGroup(m: Mount): void {
    const g = m.peers;
    if (!g) return;
    g.members.delete(m);
    m.peers = null;
    if (g.members.size === 0) this.groupIds.free(g.id);
  }

  /** do_make_slave(): slave `m` to a peer (preferring one with the same root) or keep its master. */
  private makeSlave(m: Mount): void {
    let master: Mount | null;
    if (!m.peers || m.peers.members.size === 1) {
      this.leaveGroup(m);
      master = m.master;
      if (!master) {
        for (const s of m.slaves) s.master = null;
        m.slaves.clear();
        return;
      }
    } else {
      master = null;
      for (const p of m.peers.members) {
        if (p === m) continue;
        master ??= p;
        if (p.root === m.root) {
          master = p;
          break;
        }
      }
      this.leaveGroup(m);
    }
    const newMaster = master!;
    for (const s of m.slaves) {
      s.master = newMaster;
      newMaster.slaves.add(s);
    }
    m.slaves.clear();
    if (m.master) m.master.slaves.delete(m);
    m.master = newMaster;
    newMaster.slaves.add(m);
  }

  /** change_mnt_propagation() for one mount. */
  change(m: Mount, type: PropagationType): void {
    if (type === 'shared') {
      this.makeShared(m);
      return;
    }
    this.makeSlave(m);
    if (type !== 'slave') {
      if (m.master) m.master.slaves.delete(m);
      m.master = null;
      m.unbindable = type === 'unbindable';
    }
  }

  /**
   * The sharing a clone gets from its source (clone_mnt): with `toSlave` the clone becomes a
   * slave of the source; with `private` it is private; otherwise it joins the source's peer group
   * and has the same master.
   */
  inherit(clone: Mount, source: Mount, mode: 'same' | 'slave' | 'private'): void {
    if (mode === 'slave') {
      clone.master = source;
      source.slaves.add(clone);
    } else if (mode === 'same') {
      if (source.peers) this.join(clone, source.peers);
      // Measured on 6.18: a copy is never unbindable, not even unshare's copy of an unbindable
      // mount (the only clone of one: bind refuses it, rbind leaves it out).
      if (source.master) {
        clone.master = source.master;
        source.master.slaves.add(clone);
      }
    }
  }

  /** Drops every propagation link of a mount going away (umount_tree's change to private). */
  forget(m: Mount): void {
    this.change(m, 'private');
  }
}

/**
 * get_dominating_id(): for a slave, the id of the nearest peer group up its master chain that has
 * a member in `ns` reachable from the reader's root; mountinfo prints it as propagate_from when it
 * differs from the master's own group.
 */
export function dominatingId(m: Mount, reachable: (p: Mount) => boolean): number {
  for (let master = m.master; master; master = master.master) {
    const group = master.peers ? [...master.peers.members] : [master];
    for (const p of group) if (p.ns === m.ns && reachable(p)) return p.peers?.id ?? 0;
  }
  return 0;
}
