/**
 * Credentials of a task (struct cred): real, effective, saved and filesystem uids and gids,
 * supplementary groups, the capability sets and the user namespace they live in.
 *
 * Every id here is a kernel id (kuid_t/kgid_t: the id as init_user_ns sees it, see
 * user-namespace.ts); what a task is shown of it goes through its namespace's maps. `uid` and
 * `gid` are the *filesystem* ids (fsuid/fsgid), the ones every VFS check and every new inode's
 * owner use; `ruid`/`euid`/`suid` and their gid twins are the others (equal to the fs ids unless
 * given). Capabilities are the effective set, with the Linux bit numbers of
 * include/uapi/linux/capability.h, and the permitted set they may be raised back to (capset(2))
 * and that access(2) uses for uid 0; they hold over `userNs` and every namespace below it
 * (cap_capable()). Credentials are immutable: a change of identity makes a new object, as
 * commit_creds() does in the kernel.
 */
import { INIT_USER_NS, type UserNamespace } from './user-namespace.js';

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

/** The ids besides the filesystem ones; each defaults to the filesystem id. */
export interface TaskIds {
  ruid?: number;
  euid?: number;
  suid?: number;
  rgid?: number;
  egid?: number;
  sgid?: number;
}

export class Credentials {
  readonly ruid: number;
  readonly euid: number;
  readonly suid: number;
  readonly rgid: number;
  readonly egid: number;
  readonly sgid: number;

  /**
   * @param uid filesystem uid (and real, effective and saved unless `ids` says otherwise)
   * @param gid filesystem gid (likewise)
   * @param groups supplementary group ids
   * @param caps effective capabilities, a bit set indexed by `Cap`
   * @param permitted permitted capabilities, a superset of `caps` (by default equal to it)
   * @param userNs the user namespace the capabilities hold in (cred->user_ns)
   * @param ids real, effective and saved ids where they differ from the filesystem ones
   */
  constructor(
    readonly uid: number,
    readonly gid: number,
    readonly groups: readonly number[] = [],
    readonly caps: bigint = 0n,
    readonly permitted: bigint = caps,
    readonly userNs: UserNamespace = INIT_USER_NS,
    ids: TaskIds = {},
  ) {
    this.ruid = ids.ruid ?? uid;
    this.euid = ids.euid ?? uid;
    this.suid = ids.suid ?? uid;
    this.rgid = ids.rgid ?? gid;
    this.egid = ids.egid ?? gid;
    this.sgid = ids.sgid ?? gid;
  }

  /** uid 0 with every capability: the plan's starting identity. */
  static root(): Credentials {
    return new Credentials(0, 0, [], ALL_CAPS);
  }

  /** A copy with some fields replaced (prepare_creds() + the change). */
  with(c: { uid?: number; gid?: number; groups?: readonly number[]; caps?: bigint; permitted?: bigint; userNs?: UserNamespace; ids?: TaskIds }): Credentials {
    const ids: TaskIds = { ruid: this.ruid, euid: this.euid, suid: this.suid, rgid: this.rgid, egid: this.egid, sgid: this.sgid, ...c.ids };
    return new Credentials(c.uid ?? this.uid, c.gid ?? this.gid, c.groups ?? this.groups, c.caps ?? this.caps, c.permitted ?? this.permitted, c.userNs ?? this.userNs, ids);
  }

  /** capable(): `cap` over init_user_ns, the whole machine. */
  capable(cap: number): boolean {
    return this.nsCapable(INIT_USER_NS, cap);
  }

  /**
   * ns_capable() / cap_capable(): the task holds `cap` in its own namespace and `ns` is it or
   * below it; or the task's namespace is the parent of one of `ns`'s ancestors (or of `ns`) and
   * the task's euid owns that one, which gives every capability over it.
   */
  nsCapable(ns: UserNamespace, cap: number): boolean {
    for (let n: UserNamespace | null = ns; n; n = n.parent) {
      if (n === this.userNs) return (this.caps & (1n << BigInt(cap))) !== 0n;
      // A namespace no deeper than the task's, not the task's: the task has no power over it.
      if (n.level <= this.userNs.level) return false;
      if (n.parent === this.userNs && n.owner === this.euid) return true;
    }
    return false;
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
