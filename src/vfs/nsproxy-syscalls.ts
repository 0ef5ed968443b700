/**
 * unshare(2) of the namespaces the emulator models, CLONE_NEWUSER, CLONE_NEWNS and CLONE_NEWNET —
 * kernel/fork.c's ksys_unshare() (unshare_userns() first, then unshare_nsproxy_namespaces()) and
 * kernel/nsproxy.c's create_new_namespaces(). The user namespace is userns-syscalls.ts's
 * create_user_ns(); the mount namespace's copy is copy_mnt_ns() (mount-syscalls.ts
 * unshareMountNs); setns(2) into a mount namespace is mntns_install(), there too.
 *
 * Invariant: a failed unshare changes nothing — the new credentials are committed last; the
 * privilege for the other namespaces is CAP_SYS_ADMIN over the user namespace the task will be
 * in (EPERM), checked once for all flags, and the mount namespace, the only copy that can fail,
 * is made before the network one. A network namespace is owned by that user namespace too.
 */
import { Cap } from './creds.js';
import { errno } from './errno.js';
import { setNetNsOwner } from './fs-flags.js';
import { unshareMountNs } from './mount-syscalls.js';
import { CLONE_NEWNET, CLONE_NEWNS } from './net-namespace.js';
import type { Process } from './process.js';
import { followMounts } from './resolve.js';
import { unshareUserNs } from './userns-syscalls.js';

/** unshare(2)'s CLONE_NEWUSER. */
export const CLONE_NEWUSER = 0x10000000;

/** current_chrooted(): the task's root is not its mount namespace's root (followed up its stack). */
function chrooted(p: Process): boolean {
  const top = followMounts({ mnt: p.ns.root, dentry: p.ns.root.root });
  return p.root.mnt !== top.mnt || p.root.dentry !== top.dentry;
}

/**
 * unshare(2): any flag but CLONE_NEWUSER, CLONE_NEWNS and CLONE_NEWNET is EINVAL here; unshare(0)
 * does nothing. CLONE_NEWUSER needs no privilege and gives the task every capability in the new
 * namespace, which then counts for the others.
 *
 * @example
 * ```ts
 * unshare(p, CLONE_NEWUSER | CLONE_NEWNS); // p is root-in-namespace over a locked copy of its mounts
 * ```
 */
export function unshare(p: Process, flags: number): void {
  if (flags & ~(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET)) throw errno('EINVAL');
  const creds = flags & CLONE_NEWUSER ? unshareUserNs(p.creds, chrooted(p)) : p.creds;
  if (flags & (CLONE_NEWNS | CLONE_NEWNET) && !creds.nsCapable(creds.userNs, Cap.SYS_ADMIN)) throw errno('EPERM');
  const old = p.creds;
  p.creds = creds;
  try {
    if (flags & CLONE_NEWNS) unshareMountNs(p);
  } catch (e) {
    p.creds = old;
    throw e;
  }
  if (flags & CLONE_NEWNET) {
    p.netns = p.kernel.newNetNamespace();
    setNetNsOwner(p.netns, creds.userNs);
  }
}
