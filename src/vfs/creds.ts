/**
 * Credentials of a task: the ids permission checks use and the capability set.
 *
 * vfsemu keeps one uid and one gid per task: they serve as real, effective and filesystem ids at
 * once (a task that needs them apart is not modelled yet). Capabilities are the effective set,
 * with the Linux bit numbers of include/uapi/linux/capability.h, and the permitted set they may be
 * raised back to (capset(2)) and that access(2) uses for uid 0. Credentials are immutable: a
 * change of identity makes a new object, as commit_creds(2) does in the kernel.
 */

/** Capability bit numbers (capabilities(7), include/uapi/linux/capability.h). */
export const Cap = {
  CHOWN: 0,
  DAC_OVERRIDE: 1,
  DAC_READ_SEARCH: 2,
  FOWNER: 3,
  FSETID: 4,
  KILL: 5,
  SETGID: 6,
  SETUID: 7,
  SETPCAP: 8,
  LINUX_IMMUTABLE: 9,
  NET_BIND_SERVICE: 10,
  NET_BROADCAST: 11,
  NET_ADMIN: 12,
  NET_RAW: 13,
  IPC_LOCK: 14,
  IPC_OWNER: 15,
  SYS_MODULE: 16,
  SYS_RAWIO: 17,
  SYS_CHROOT: 18,
  SYS_PTRACE: 19,
  SYS_PACCT: 20,
  SYS_ADMIN: 21,
  SYS_BOOT: 22,
  SYS_NICE: 23,
  SYS_RESOURCE: 24,
  SYS_TIME: 25,
  SYS_TTY_CONFIG: 26,
  MKNOD: 27,
  LEASE: 28,
  AUDIT_WRITE: 29,
  AUDIT_CONTROL: 30,
  SETFCAP: 31,
  MAC_OVERRIDE: 32,
  MAC_ADMIN: 33,
  SYSLOG: 34,
  WAKE_ALARM: 35,
  BLOCK_SUSPEND: 36,
  AUDIT_READ: 37,
  PERFMON: 38,
  BPF: 39,
  CHECKPOINT_RESTORE: 40,
} as const;
export type CapName = keyof typeof Cap;

/** Every capability (CAP_LAST_CAP is 40), as a bit set: what root starts with. */
export const ALL_CAPS: bigint = Object.values(Cap).reduce((s, b) => s | (1n << BigInt(b)), 0n);

export class Credentials {
  /**
   * @param uid user id (real = effective = filesystem)
   * @param gid group id
   * @param groups supplementary group ids
   * @param caps effective capabilities, a bit set indexed by `Cap`
   * @param permitted permitted capabilities, a superset of `caps` (by default equal to it)
   */
  constructor(
    readonly uid: number,
    readonly gid: number,
    readonly groups: readonly number[] = [],
    readonly caps: bigint = 0n,
    readonly permitted: bigint = caps,
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
