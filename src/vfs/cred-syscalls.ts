/**
 * Identity changes: setgroups(2), setresgid(2), setresuid(2) and capset(2) on a task whose real,
 * effective, saved and filesystem ids are one value (see creds.ts), with PR_SET_KEEPCAPS set, so
 * that leaving uid 0 keeps the permitted set (capabilities(7), "Effect of user ID changes on
 * capabilities"). Each returns the new credentials or throws the kernel's errno; the caller
 * commits them, one call at a time, as commit_creds() does.
 */
import { Cap, Credentials } from './creds.js';
import { errno } from './errno.js';

/** NGROUPS_MAX: the longest supplementary group list (setgroups(2): EINVAL beyond). */
export const NGROUPS_MAX = 65536;

/** An id argument of -1 ((uid_t)-1) leaves the id unchanged. */
const UNCHANGED = [-1, 0xffffffff];

/** setgroups(2): always needs CAP_SETGID (EPERM), whatever the list. */
export function setgroups(c: Credentials, groups: readonly number[]): Credentials {
  // The privilege comes first (may_setgroups()), then the list's length and ids.
  if (!c.capable(Cap.SETGID)) throw errno('EPERM');
  if (groups.length > NGROUPS_MAX) throw errno('EINVAL');
  if (groups.some((g) => UNCHANGED.includes(g))) throw errno('EINVAL');
  // groups_sort(): the kernel keeps the list sorted (duplicates stay).
  const sorted = [...groups].sort((a, b) => a - b);
  return new Credentials(c.uid, c.gid, sorted, c.caps, c.permitted);
}

/** setresgid(gid, gid, gid): another gid than the task's own needs CAP_SETGID (EPERM). */
export function setresgid(c: Credentials, gid: number): Credentials {
  if (UNCHANGED.includes(gid) || gid === c.gid) return c;
  if (!c.capable(Cap.SETGID)) throw errno('EPERM');
  return new Credentials(c.uid, gid, c.groups, c.caps, c.permitted);
}

/**
 * setresuid(uid, uid, uid): another uid than the task's own needs CAP_SETUID (EPERM). Then
 * cap_emulate_setxuid(): leaving euid 0 clears the effective set, reaching euid 0 from another
 * uid raises it to the permitted set; the permitted set stays (keep-caps).
 */
export function setresuid(c: Credentials, uid: number): Credentials {
  if (UNCHANGED.includes(uid) || uid === c.uid) return c;
  if (!c.capable(Cap.SETUID)) throw errno('EPERM');
  let caps = c.caps;
  if (c.uid === 0) caps = 0n;
  else if (uid === 0) caps = c.permitted;
  return new Credentials(uid, c.gid, c.groups, caps, c.permitted);
}

/** capset(2) with an empty inheritable set: permitted may only shrink, effective lies within it. */
export function capset(c: Credentials, effective: bigint, permitted: bigint): Credentials {
  if (permitted & ~c.permitted) throw errno('EPERM');
  if (effective & ~permitted) throw errno('EPERM');
  return new Credentials(c.uid, c.gid, c.groups, effective, permitted);
}
