/**
 * unshare(2) of the namespaces the emulator models, CLONE_NEWNS and CLONE_NEWNET — kernel/fork.c's
 * ksys_unshare() and kernel/nsproxy.c's unshare_nsproxy_namespaces() and create_new_namespaces().
 * The mount namespace's copy is copy_mnt_ns() (mount-syscalls.ts unshareMountNs); setns(2) into
 * a mount namespace is mntns_install(), there too.
 *
 * Invariant: a failed unshare changes nothing — CAP_SYS_ADMIN is checked once for all flags
 * (EPERM), and the mount namespace, the only copy that can fail, is made before the network one.
 */
import { Cap } from './creds.js';
import { errno } from './errno.js';
import { unshareMountNs } from './mount-syscalls.js';
import { CLONE_NEWNET, CLONE_NEWNS } from './net-namespace.js';
import type { Process } from './process.js';

/**
 * unshare(2): any flag but CLONE_NEWNS and CLONE_NEWNET is EINVAL here; unshare(0) does nothing.
 *
 * @example
 * ```ts
 * unshare(p, CLONE_NEWNS | CLONE_NEWNET); // p now has a mount and a network namespace of its own
 * ```
 */
export function unshare(p: Process, flags: number): void {
  if (flags & ~(CLONE_NEWNS | CLONE_NEWNET)) throw errno('EINVAL');
  if (flags !== 0 && !p.creds.capable(Cap.SYS_ADMIN)) throw errno('EPERM');
  if (flags & CLONE_NEWNS) unshareMountNs(p);
  if (flags & CLONE_NEWNET) p.netns = p.kernel.newNetNamespace();
}
