/**
 * Identity changes: setgroups(2), setresgid(2), setresuid(2) and capset(2), each setting the
 * real, effective, saved and filesystem ids to one value, with PR_SET_KEEPCAPS set, so that
 * leaving uid 0 keeps the permitted set (capabilities(7), "Effect of user ID changes on
 * capabilities"). Each returns the new credentials or throws the kernel's errno; the caller
 * commits them, one call at a time, as commit_creds() does.
 *
 * Ids are given as the task's user namespace names them and stored as kernel ids (make_kuid());
 * one the namespace does not map is EINVAL. The privilege is CAP_SETUID/CAP_SETGID in the task's
 * own namespace (ns_capable_setid()); setgroups(2) in a user namespace also needs its gid_map
 * written and /proc/PID/setgroups not "deny" (userns_may_setgroups()).
 */
import { Cap, type Credentials } from './creds.js';
import { errno } from './errno.js';
import { INVALID_ID } from './user-namespace.js';

/** NGROUPS_MAX: the longest supplementary group list (setgroups(2): EINVAL beyond). */
export const NGROUPS_MAX = 65536;

/** An id argument of -1 ((uid_t)-1) leaves the id unchanged. */
const UNCHANGED = [-1, 0xffffffff];

/** setgroups(2): always needs CAP_SETGID (EPERM), whatever the list. */
export function setgroups(c: Credentials, groups: readonly number[]): Credentials {
  // The privilege comes first (may_setgroups()), then the list's length and ids.
  const ns = c.userNs;
  const mayInNs = ns.parent === null || (ns.setgroupsAllowed && ns.gidMap.extents.length > 0);
  if (!c.nsCapable(ns, Cap.SETGID) || !mayInNs) throw errno('EPERM');
  if (groups.length > NGROUPS_MAX) throw errno('EINVAL');
  const kgids = groups.map((g) => (UNCHANGED.includes(g) ? INVALID_ID : ns.makeKgid(g)));
  if (kgids.includes(INVALID_ID)) throw errno('EINVAL');
  // groups_sort(): the kernel keeps the list sorted (duplicates stay).
  return c.with({ groups: kgids.sort((a, b) => a - b) });
}

/** setresgid(gid, gid, gid): another gid than the task's own needs CAP_SETGID (EPERM). */
export function setresgid(c: Credentials, gid: number): Credentials {
  if (UNCHANGED.includes(gid)) return c;
  const kgid = c.userNs.makeKgid(gid);
  if (kgid === INVALID_ID) throw errno('EINVAL');
  if (kgid === c.gid && kgid === c.rgid && kgid === c.egid && kgid === c.sgid) return c;
  if (!c.nsCapable(c.userNs, Cap.SETGID)) throw errno('EPERM');
  return c.with({ gid: kgid, ids: { rgid: kgid, egid: kgid, sgid: kgid } });
}

/**
 * setresuid(uid, uid, uid): another uid than the task's own needs CAP_SETUID (EPERM). Then
 * cap_emulate_setxuid(): leaving euid 0 clears the effective set, reaching euid 0 from another
 * uid raises it to the permitted set; the permitted set stays (keep-caps).
 */
export function setresuid(c: Credentials, uid: number): Credentials {
  if (UNCHANGED.includes(uid)) return c;
  const kuid = c.userNs.makeKuid(uid);
  if (kuid === INVALID_ID) throw errno('EINVAL');
  if (kuid === c.uid && kuid === c.ruid && kuid === c.euid && kuid === c.suid) return c;
  if (!c.nsCapable(c.userNs, Cap.SETUID)) throw errno('EPERM');
  // Root is the namespace's uid 0 (cap_emulate_setxuid() compares with root_uid of the namespace).
  const root = c.userNs.makeKuid(0);
  let caps = c.caps;
  if (c.euid === root && kuid !== root) caps = 0n;
  else if (c.euid !== root && kuid === root) caps = c.permitted;
  return c.with({ uid: kuid, caps, ids: { ruid: kuid, euid: kuid, suid: kuid } });
}

/** capset(2) with an empty inheritable set: permitted may only shrink, effective lies within it. */
export function capset(c: Credentials, effective: bigint, permitted: bigint): Credentials {
  if (permitted & ~c.permitted) throw errno('EPERM');
  if (effective & ~permitted) throw errno('EPERM');
  return c.with({ caps: effective, permitted });
}
