/**
 * The filesystem-type flags that user namespaces and idmapped mounts depend on
 * (file_system_type.fs_flags): FS_USERNS_MOUNT, a type root of a user namespace may mount, and
 * FS_ALLOW_IDMAP, a type whose mounts may be idmapped (MOUNT_ATTR_IDMAP) — and which user
 * namespace a new superblock of each type belongs to (fc->user_ns, which mount_capable() checks
 * CAP_SYS_ADMIN in and which becomes sb->s_user_ns).
 *
 * A type declares its flags (`FileSystemType.fsFlags`); for the types that do not yet, the table
 * below gives the kernel's (6.18): tmpfs both (idmapped since 6.3), overlay, devpts, proc, sysfs
 * and cgroup2 FS_USERNS_MOUNT only, everything else (cgroup v1, 9p, the emulator's memfs) neither.
 */
import type { Credentials } from './creds.js';
import type { FileSystemType } from './inode.js';
import type { NetNamespace } from './net-namespace.js';
import { INIT_USER_NS, type UserNamespace } from './user-namespace.js';

/** FS_HAS_SUBTYPE: a type that takes `TYPE.SUBTYPE` names in mount(2) (fuse), get_fs_type()'s dot rule. */
export const FS_HAS_SUBTYPE = 4;
export const FS_USERNS_MOUNT = 8;
export const FS_ALLOW_IDMAP = 32;

const KERNEL_FS_FLAGS: Readonly<Record<string, number>> = {
  tmpfs: FS_USERNS_MOUNT | FS_ALLOW_IDMAP,
  overlay: FS_USERNS_MOUNT,
  devpts: FS_USERNS_MOUNT,
  proc: FS_USERNS_MOUNT,
  sysfs: FS_USERNS_MOUNT,
  cgroup2: FS_USERNS_MOUNT,
};

/** fs_flags of `type`. */
export function fsFlags(type: FileSystemType): number {
  return type.fsFlags ?? KERNEL_FS_FLAGS[type.name] ?? 0;
}

/** The user namespace that owns each network namespace (net->user_ns); init_net's is init_user_ns. */
const netOwners = new WeakMap<NetNamespace, UserNamespace>();

export function setNetNsOwner(net: NetNamespace, ns: UserNamespace): void {
  netOwners.set(net, ns);
}

/**
 * fc->user_ns of a new superblock of `type` made by `creds` in `net`: proc's is its pid
 * namespace's owner and cgroup2's its cgroup namespace's, which are the machine's here (pid and
 * cgroup namespaces are not modelled); sysfs's is the network namespace's owner
 * (kobj_ns_current_may_mount()); every other type's the mounting task's.
 */
export function fsContextUserNs(type: FileSystemType, creds: Credentials, net: NetNamespace): UserNamespace {
  if (type.name === 'proc' || type.name === 'cgroup2') return INIT_USER_NS;
  if (type.name === 'sysfs') return netOwners.get(net) ?? INIT_USER_NS;
  return creds.userNs;
}

/**
 * mount_capable(): CAP_SYS_ADMIN over the new superblock's user namespace for a FS_USERNS_MOUNT
 * type, over the whole machine for any other.
 */
export function mountCapable(type: FileSystemType, creds: Credentials, net: NetNamespace, cap: number): boolean {
  if (!(fsFlags(type) & FS_USERNS_MOUNT)) return creds.capable(cap);
  return creds.nsCapable(fsContextUserNs(type, creds, net), cap);
}
