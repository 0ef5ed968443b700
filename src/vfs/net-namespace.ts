/**
 * NetNamespace: a network namespace as far as the VFS sees one — an identity. sysfs keys its
 * superblocks by the mounting task's network namespace (kernfs's ns tag, kobj_ns_grab_current
 * (KOBJ_NS_TYPE_NET)), so a container with its own network namespace mounts a new sysfs
 * superblock, made with that first mount's flags, where the host's /sys shares the machine's.
 * Devices, addresses and routes are not modelled.
 *
 * Invariant: `index` is the creation order, 0 for the namespace the machine boots with.
 */
export class NetNamespace {
  constructor(
    /** Creation index: 0 for the initial namespace (init_net). */
    readonly index: number,
  ) {}
}

/** unshare(2) flags the emulator models. */
export const CLONE_NEWNS = 0x00020000;
export const CLONE_NEWNET = 0x40000000;
