/**
 * The filesystem-type flags that user namespaces and idmapped mounts depend on
 * (file_system_type.fs_flags): FS_USERNS_MOUNT, a type root of a user namespace may mount, and
 * FS_ALLOW_IDMAP, a type whose mounts may be idmapped (MOUNT_ATTR_IDMAP) — and which user
 * namespace a new superblock of each type belongs to (fc->user_ns, which mount_capable() checks
 * CAP_SYS_ADMIN in and which becomes sb->s_user_ns).
 *
 * A type declares its flags (`FileSystemType.fsFlags`); for the types that do not yet, the table
 * below gives the kernel's (6.18): tmpfs both (idmapped since 6.3), overlay, devpts, proc, sysfs,
 * mqueue and cgroup2 FS_USERNS_MOUNT only, everything else (cgroup v1, 9p, the emulator's memfs)
 * neither.
 */
import type { Credentials } from './creds.js';
import type { FileSystemType } from './inode.js';
import type { NsTask } from './kernel.js';
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
  mqueue: FS_USERNS_MOUNT,
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

/** What of the mounting task decides a new superblock's user namespace: its credentials and namespaces. */
export interface MountingTask extends NsTask {
  readonly creds: Credentials;
  readonly netns: NetNamespace;
}

/**
 * fc->user_ns of a new superblock of `type` made by `task`: proc's is the owner of the task's
 * active PID namespace (proc_init_fs_context()), mqueue's the owner of its IPC namespace
 * (mqueue_init_fs_context()), sysfs's the owner of its network namespace
 * (sysfs_init_fs_context()); cgroup2's is its cgroup namespace's, the machine's here (cgroup
 * namespaces are not modelled); every other type's the user namespace of the task's
 * credentials. So root of a user namespace mounts proc only from a PID namespace that
 * namespace owns, mqueue only from such an IPC namespace, sysfs only from such a network
 * namespace (measured on 6.18: test/kernel/facts/pid-ipc-ns.json).
 */
export function fsContextUserNs(type: FileSystemType, task: MountingTask): UserNamespace {
  switch (type.name) {
    case 'proc':
      return task.pidNs.owner;
    case 'mqueue':
      return task.ipcNs.owner;
    case 'sysfs':
      return netOwners.get(task.netns) ?? INIT_USER_NS;
    case 'cgroup2':
      return INIT_USER_NS;
    default:
      return task.creds.userNs;
  }
}

/**
 * mount_capable(): CAP_SYS_ADMIN (`cap`) over the new superblock's user namespace for a
 * FS_USERNS_MOUNT type, over the whole machine for any other.
 */
export function mountCapable(type: FileSystemType, task: MountingTask, cap: number): boolean {
  if (!(fsFlags(type) & FS_USERNS_MOUNT)) return task.creds.capable(cap);
  return task.creds.nsCapable(fsContextUserNs(type, task), cap);
}
