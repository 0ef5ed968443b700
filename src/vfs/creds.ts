/**
 * Credentials of a task: the ids permission checks use and the capability set.
 *
 * vfsemu keeps one uid and one gid per task: they serve as real, effective and filesystem ids at
 * once (a task that needs them apart is not modelled yet). Capabilities are the effective set,
 * with the Linux bit numbers of include/uapi/linux/capability.h. Credentials are immutable: a
 * change of identity makes a new object, as commit_creds(2) does in the kernel.
 */

/** Capability bit numbers (capabilities(7)). */
export const Cap = {
  CHOWN: 0,
  DAC_OVERRIDE: 1,
  DAC_READ_SEARCH: 2,
  FOWNER: 3,
  FSETID: 4,
  KILL: 5,
  SETGID: 6,
  SETUID: 7,
  LINUX_IMMUTABLE: 9,
  SYS_CHROOT: 18,
  SYS_ADMIN: 21,
  MKNOD: 27,
} as const;
export type CapName = keyof typeof Cap;

/** Every capability this VFS consults, as a bit set. */
export const ALL_CAPS: bigint = Object.values(Cap).reduce((s, b) => s | (1n << BigInt(b)), 0n);

export class Credentials {
  /**
   * @param uid user id (real = effective = filesystem)
   * @param gid group id
   * @param groups supplementary group ids
   * @param caps effective capabilities, a bit set indexed by `Cap`
   */
  constructor(
    readonly uid: number,
    readonly gid: number,
    readonly groups: readonly number[] = [],
    readonly caps: bigint = 0n,
  ) {}

  /** uid 0 with every capability: the plan's starting identity. */
  static root(): Credentials {
    return new Credentials(0, 0, [], ALL_CAPS);
  }

  /** capable(9): whether the task holds `cap`. */
  capable(cap: number): boolean {
    return (this.caps & (1n << BigInt(cap))) !== 0n;
  }

  /** in_group_p(9): the gid is the task's own or a supplementary one. */
  inGroup(gid: number): boolean {
    return gid === this.gid || this.groups.includes(gid);
  }

  /** A capability set from names. */
  static capsOf(names: readonly CapName[]): bigint {
    return names.reduce((s, n) => s | (1n << BigInt(Cap[n])), 0n);
  }
}
