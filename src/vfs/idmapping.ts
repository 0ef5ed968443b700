/**
 * Mount idmappings (struct mnt_idmap, fs/mnt_idmapping.c): how an idmapped mount shows and
 * stores the owners of its inodes, after Documentation/filesystems/idmappings.rst.
 *
 * Three kinds of id meet here. An inode stores kernel ids (kuid_t), which its superblock's user
 * namespace (s_user_ns, init_user_ns for every mount the host makes) translates to the ids the
 * filesystem writes down. An idmapped mount has a copy of a user namespace's maps; an inode's
 * *vfsuid*, the owner as seen through the mount, is its filesystem id mapped *down* those maps
 * (make_vfsuid()), and a vfsuid becomes a stored id by mapping *up* (from_vfsuid()). Without an
 * idmapping (`NOP_IDMAP`, nop_mnt_idmap) a vfsuid is the kernel id itself. Permission checks,
 * stat(2), chown(2) and the owner of a new inode all go through these two functions, with
 * INVALID_ID (-1) for an id the mapping does not cover: such an inode is nobody's, and a new
 * file whose creator's fsuid has no mapping is EOVERFLOW.
 *
 * Invariant: an idmap's maps are copies taken when MOUNT_ATTR_IDMAP attached it (the user
 * namespace's maps are written once, so sharing the objects is the same).
 */
import type { Credentials } from './creds.js';
import type { SuperBlock } from './inode.js';
import { INIT_USER_NS, INVALID_ID, type IdMap, type UserNamespace } from './user-namespace.js';

export class MntIdmap {
  constructor(
    readonly uidMap: IdMap,
    readonly gidMap: IdMap,
    /** The user namespace whose maps these are (what statmount/mountinfo would not show: a fact for tests). */
    readonly owner: UserNamespace | null,
  ) {}

  get isNop(): boolean {
    return this.owner === null;
  }
}

/** nop_mnt_idmap: every mount's idmapping until MOUNT_ATTR_IDMAP gives it another. */
export const NOP_IDMAP = new MntIdmap(INIT_USER_NS.uidMap, INIT_USER_NS.gidMap, null);

/** alloc_mnt_idmap(): an idmapping with `ns`'s maps. */
export function idmapOf(ns: UserNamespace): MntIdmap {
  return new MntIdmap(ns.uidMap, ns.gidMap, ns);
}

/**
 * The user namespace each superblock belongs to (sb->s_user_ns): the mounting task's for a
 * filesystem mounted inside a user namespace, init_user_ns otherwise. Kept beside the
 * superblocks, which the filesystems own, since only the VFS asks.
 */
const superUserNs = new WeakMap<SuperBlock, UserNamespace>();

export function sbUserNs(sb: SuperBlock): UserNamespace {
  return superUserNs.get(sb) ?? INIT_USER_NS;
}

export function setSbUserNs(sb: SuperBlock, ns: UserNamespace): void {
  if (ns !== INIT_USER_NS) superUserNs.set(sb, ns);
}

/** make_vfsuid(): the owner `kuid` of an inode of `sb` as seen through `idmap`. */
export function makeVfsuid(idmap: MntIdmap, sb: SuperBlock, kuid: number): number {
  if (idmap.isNop || kuid === INVALID_ID) return kuid;
  const uid = sbUserNs(sb).fromKuid(kuid);
  return uid === INVALID_ID ? INVALID_ID : idmap.uidMap.down(uid);
}

export function makeVfsgid(idmap: MntIdmap, sb: SuperBlock, kgid: number): number {
  if (idmap.isNop || kgid === INVALID_ID) return kgid;
  const gid = sbUserNs(sb).fromKgid(kgid);
  return gid === INVALID_ID ? INVALID_ID : idmap.gidMap.down(gid);
}

/** from_vfsuid(): the kernel id an inode of `sb` stores for `vfsuid` seen through `idmap`. */
export function fromVfsuid(idmap: MntIdmap, sb: SuperBlock, vfsuid: number): number {
  if (idmap.isNop || vfsuid === INVALID_ID) return vfsuid;
  const uid = idmap.uidMap.up(vfsuid);
  return uid === INVALID_ID ? INVALID_ID : sbUserNs(sb).makeKuid(uid);
}

export function fromVfsgid(idmap: MntIdmap, sb: SuperBlock, vfsgid: number): number {
  if (idmap.isNop || vfsgid === INVALID_ID) return vfsgid;
  const gid = idmap.gidMap.up(vfsgid);
  return gid === INVALID_ID ? INVALID_ID : sbUserNs(sb).makeKgid(gid);
}

/**
 * fsuidgid_has_mapping(): the task's fsuid and fsgid can be written down as an owner on `sb`
 * through `idmap` (may_create() and the O_CREAT path are EOVERFLOW otherwise).
 */
export function fsuidgidHasMapping(creds: Credentials, idmap: MntIdmap, sb: SuperBlock): boolean {
  const ns = sbUserNs(sb);
  const kuid = fromVfsuid(idmap, sb, creds.uid);
  const kgid = fromVfsgid(idmap, sb, creds.gid);
  return kuid !== INVALID_ID && ns.fromKuid(kuid) !== INVALID_ID && kgid !== INVALID_ID && ns.fromKgid(kgid) !== INVALID_ID;
}
