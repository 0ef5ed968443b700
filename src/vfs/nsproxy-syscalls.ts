/**
 * unshare(2) of the namespaces the emulator models, CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWNET,
 * CLONE_NEWIPC and CLONE_NEWPID — kernel/fork.c's ksys_unshare() (unshare_userns() first, then
 * unshare_nsproxy_namespaces()) and kernel/nsproxy.c's create_new_namespaces(). The user
 * namespace is userns-syscalls.ts's create_user_ns(); the mount namespace's copy is
 * copy_mnt_ns() (mount-syscalls.ts unshareMountNs); setns(2) into a mount namespace is
 * mntns_install(), there too; the IPC namespace is create_ipc_ns() (ipc-namespace.ts), the PID
 * namespace copy_pid_ns() (pid.ts). clone(2) with namespace flags comes here too (task.ts).
 *
 * Invariant: a failed unshare changes nothing — the new credentials are committed last; the
 * privilege for the other namespaces is CAP_SYS_ADMIN over the user namespace the task will be
 * in (EPERM), checked once for all flags; the PID namespace's checks (EINVAL, ENOSPC) are made
 * before anything is copied, then the mount namespace, the only copy that can fail after them,
 * is made before the network, IPC and PID ones, which cannot (measured on 6.18: an unshare of
 * CLONE_NEWNS|CLONE_NEWIPC|CLONE_NEWPID refused EINVAL leaves the mount and IPC namespaces as
 * they were, test/kernel/facts/pid-ipc-ns.json). The kernel makes the mount copy before it
 * looks at the PID namespace, so when both would fail it reports the copy's error, here the PID
 * namespace's. Each new namespace is owned by that user namespace.
 */
import { Cap } from './creds.js';
import { errno } from './errno.js';
import { setNetNsOwner } from './fs-flags.js';
import { CLONE_NEWIPC } from './ipc-namespace.js';
import { unshareMountNs } from './mount-syscalls.js';
import { CLONE_NEWNET, CLONE_NEWNS } from './net-namespace.js';
import { CLONE_NEWPID, PidNamespace } from './pid.js';
import type { Process } from './process.js';
import { followMounts } from './resolve.js';
import { unshareUserNs } from './userns-syscalls.js';

/** unshare(2)'s CLONE_NEWUSER. */
export const CLONE_NEWUSER = 0x10000000;

/** The namespaces unshare_nsproxy_namespaces() makes, which need CAP_SYS_ADMIN. */
const NSPROXY_FLAGS = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWPID;

/** current_chrooted(): the task's root is not its mount namespace's root (followed up its stack). */
function chrooted(p: Process): boolean {
  const top = followMounts({ mnt: p.ns.root, dentry: p.ns.root.root });
  return p.root.mnt !== top.mnt || p.root.dentry !== top.dentry;
}

/**
 * unshare(2): any flag but CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWNET, CLONE_NEWIPC and
 * CLONE_NEWPID is EINVAL here; unshare(0) does nothing. CLONE_NEWUSER needs no privilege and
 * gives the task every capability in the new namespace, which then counts for the others.
 * CLONE_NEWPID sets only where the task's children go (`pidNsForChildren`), a child of its
 * active namespace: EINVAL when that is already another one (copy_pid_ns(): a second
 * unshare(CLONE_NEWPID) before or after a fork, measured), ENOSPC past MAX_PID_NS_LEVEL.
 *
 * `activePidNs` is task_active_pid_ns(current): the task's own, but the parent's for clone(2),
 * which calls this on the child it is making (task.ts).
 *
 * @example
 * ```ts
 * unshare(p, CLONE_NEWUSER | CLONE_NEWNS); // p is root-in-namespace over a locked copy of its mounts
 * unshare(p, CLONE_NEWIPC | CLONE_NEWPID); // p.fork() is pid 1 of a new namespace
 * ```
 */
export function unshare(p: Process, flags: number, activePidNs: PidNamespace = p.pidNs): void {
  if (flags & ~(CLONE_NEWUSER | NSPROXY_FLAGS)) throw errno('EINVAL');
  const creds = flags & CLONE_NEWUSER ? unshareUserNs(p.creds, chrooted(p)) : p.creds;
  if (flags & NSPROXY_FLAGS && !creds.nsCapable(creds.userNs, Cap.SYS_ADMIN)) throw errno('EPERM');
  let pidNs: PidNamespace | undefined;
  if (flags & CLONE_NEWPID) {
    // copy_pid_ns(): a task whose children already go elsewhere may not move them again.
    if (p.pidNsForChildren !== activePidNs) throw errno('EINVAL');
    pidNs = PidNamespace.create(activePidNs, creds.userNs);
  }
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
  if (flags & CLONE_NEWIPC) p.ipcNs = p.kernel.newIpcNamespace(creds.userNs);
  if (pidNs) p.pidNsForChildren = pidNs;
}
