/**
 * UserNamespace: a user namespace (struct user_namespace, kernel/user_namespace.c) — its parent,
 * its owner, and the uid and gid maps that translate the ids its tasks see to the kernel's ids
 * (kuid_t/kgid_t), plus the rules of writing /proc/PID/{uid_map,gid_map,setgroups}
 * (map_write(), new_idmap_permitted(), proc_setgroups_write()).
 *
 * Ids: everything the VFS stores and compares — an inode's owner, a task's credentials — is a
 * kernel id, which is the id as init_user_ns sees it (its maps are the identity on 0..2^32-2).
 * A namespace's map translates down from its own ids to kernel ids (make_kuid(): map_id_down()),
 * and up again (from_kuid(): map_id_up()); an id no extent covers is invalid (-1 here, the
 * kernel's (uid_t)-1), and what a task would be shown of it is the overflow id 65534
 * (from_kuid_munged(), /proc/sys/kernel/overflowuid).
 *
 * Invariants: a map is written once (a second write is EPERM) and then never changes; it has at
 * most UID_GID_MAP_MAX_EXTENTS (340) extents, none of count 0, none overlapping another in either
 * column; its lower ids are kernel ids (map_write() translated them through the parent's map).
 * `level` is the parent's level + 1, at most 33 (ENOSPC beyond, measured on 6.18). init_user_ns has no parent and
 * is shared by every Kernel (as the kernel's is a static object).
 */
import { errno } from './errno.js';

/** One line of a uid_map or gid_map: `count` ids from `first` map to `lowerFirst` on. */
export interface IdExtent {
  readonly first: number;
  readonly lowerFirst: number;
  readonly count: number;
}

/** UID_GID_MAP_MAX_EXTENTS (include/linux/user_namespace.h). */
export const UID_GID_MAP_MAX_EXTENTS = 340;
/** (uid_t)-1: no id (INVALID_UID, INVALID_GID). */
export const INVALID_ID = -1;
/** overflowuid / overflowgid: what an unmapped id shows as (the sysctl defaults). */
export const OVERFLOW_ID = 65534;
/** The deepest parent create_user_ns() takes (ENOSPC beyond): 33 namespaces below init_user_ns. */
const MAX_PARENT_LEVEL = 32;

/** struct uid_gid_map. */
export class IdMap {
  constructor(readonly extents: readonly IdExtent[] = []) {}

  /** map_id_range_down(): the kernel id of `id` (and of the `count - 1` after it), or -1. */
  down(id: number, count = 1): number {
    const last = id + count - 1;
    for (const e of this.extents) {
      if (id >= e.first && last <= e.first + e.count - 1) return id - e.first + e.lowerFirst;
    }
    return INVALID_ID;
  }

  /** map_id_up(): the id in this map's namespace of kernel id `id`, or -1. */
  up(id: number): number {
    for (const e of this.extents) {
      if (id >= e.lowerFirst && id <= e.lowerFirst + e.count - 1) return id - e.lowerFirst + e.first;
    }
    return INVALID_ID;
  }

  /** The map as /proc/PID/uid_map shows it: `%10u %10u %10u` a line. */
  toString(): string {
    return this.extents.map((e) => `${String(e.first).padStart(10)} ${String(e.lowerFirst).padStart(10)} ${String(e.count).padStart(10)}\n`).join('');
  }
}

export class UserNamespace {
  uidMap = new IdMap();
  gidMap = new IdMap();
  /** USERNS_SETGROUPS_ALLOWED: /proc/PID/setgroups says "allow" (until "deny" is written). */
  setgroupsAllowed = true;
  /** ns->parent_could_setfcap: the creator held CAP_SETFCAP (verify_root_map()). */
  parentCouldSetfcap = false;
  readonly level: number;

  constructor(
    readonly parent: UserNamespace | null,
    /** The creator's euid, a kernel id (ns->owner): it holds every capability over the namespace. */
    readonly owner: number,
    /** The creator's egid (ns->group). */
    readonly group: number,
  ) {
    this.level = parent ? parent.level + 1 : 0;
  }

  /** make_kuid(): the kernel id of this namespace's `uid`, -1 when unmapped. */
  makeKuid(uid: number): number {
    return this.uidMap.down(uid);
  }
  makeKgid(gid: number): number {
    return this.gidMap.down(gid);
  }
  /** from_kuid(): this namespace's id for kernel id `kuid`, -1 when unmapped. */
  fromKuid(kuid: number): number {
    return kuid === INVALID_ID ? INVALID_ID : this.uidMap.up(kuid);
  }
  fromKgid(kgid: number): number {
    return kgid === INVALID_ID ? INVALID_ID : this.gidMap.up(kgid);
  }
  /** from_kuid_munged(): as from_kuid(), the overflow id for an unmapped one. */
  fromKuidMunged(kuid: number): number {
    const id = this.fromKuid(kuid);
    return id === INVALID_ID ? OVERFLOW_ID : id;
  }
  fromKgidMunged(kgid: number): number {
    const id = this.fromKgid(kgid);
    return id === INVALID_ID ? OVERFLOW_ID : id;
  }

  /** `this` is `ns` or one of its ancestors (in_userns()). */
  isAncestorOf(ns: UserNamespace): boolean {
    for (let n: UserNamespace | null = ns; n; n = n.parent) if (n === this) return true;
    return false;
  }

  /**
   * create_user_ns(): a child of `parent` owned by `owner`/`group` (kernel ids). ENOSPC below a
   * parent of level 33; EPERM for a chrooted creator, then for ids the parent cannot name.
   */
  static create(parent: UserNamespace, owner: number, group: number, chrooted = false): UserNamespace {
    if (parent.level > MAX_PARENT_LEVEL) throw errno('ENOSPC');
    if (chrooted) throw errno('EPERM');
    // The creator's ids must mean something in the parent, or the new owner would be unnameable.
    if (parent.fromKuid(owner) === INVALID_ID || parent.fromKgid(group) === INVALID_ID) throw errno('EPERM');
    const ns = new UserNamespace(parent, owner, group);
    // ns->flags = parent_ns->flags: a namespace below one whose setgroups is denied starts denied.
    ns.setgroupsAllowed = parent.setgroupsAllowed;
    return ns;
  }
}

/** init_user_ns: the identity on every id but (u32)-1. */
export const INIT_USER_NS: UserNamespace = (() => {
  const ns = new UserNamespace(null, 0, 0);
  ns.uidMap = new IdMap([{ first: 0, lowerFirst: 0, count: 4294967295 }]);
  ns.gidMap = new IdMap([{ first: 0, lowerFirst: 0, count: 4294967295 }]);
  return ns;
})();

/**
 * Parses what is written to a uid_map/gid_map: lines of three decimal numbers (map_write()).
 * EINVAL for a malformed line, a count of 0, a range that wraps past 2^32, an overlap, no line
 * at all, or more than 340 lines.
 */
export function parseIdMap(text: string): IdExtent[] {
  const out: IdExtent[] = [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (const line of lines) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s*$/.exec(line);
    if (!m) throw errno('EINVAL');
    const [first, lowerFirst, count] = [Number(m[1]), Number(m[2]), Number(m[3])];
    if (first > 0xffffffff || lowerFirst > 0xffffffff || count > 0xffffffff) throw errno('EINVAL');
    // "Verify we have been given valid starting values" and that the ranges do not wrap.
    if (first === 0xffffffff || lowerFirst === 0xffffffff || count === 0) throw errno('EINVAL');
    if (first + count > 0xffffffff || lowerFirst + count > 0xffffffff) throw errno('EINVAL');
    const e = { first, lowerFirst, count };
    // mappings_overlap(): neither column may overlap an earlier extent's.
    for (const o of out) {
      const overlap = (a: number, b: number): boolean => a <= b + o.count - 1 && b <= a + count - 1;
      if (overlap(e.first, o.first) || overlap(e.lowerFirst, o.lowerFirst)) throw errno('EINVAL');
    }
    if (out.length === UID_GID_MAP_MAX_EXTENTS) throw errno('EINVAL');
    out.push(e);
  }
  if (out.length === 0) throw errno('EINVAL');
  return out;
}
