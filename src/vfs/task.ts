/**
 * Task lifetime: clone(2) (kernel/fork.c copy_process()), exit (kernel/exit.c do_exit(),
 * exit_notify(), forget_original_parent()), reaping (release_task()), and signals as far as they
 * end a task (kernel/signal.c: kill_pid_info(), check_kill_permission(), the default actions of
 * signal(7)).
 *
 * States: a task runs from clone until `exit()` or a fatal signal; then it is a zombie — its
 * files, fs root and cwd and namespaces (nsproxy) are gone, its credentials and its pid stay —
 * until its parent waits for it (wait.ts), when it is released and its pid numbers go back to
 * their namespaces (pid.ts). A task whose parent has exited, or that never had one (a `Sandbox`'s
 * first task), is released at exit at once: the emulator's child reaper (init) reaps without
 * delay. Zombie children of an exiting task are released the same way.
 *
 * When the init (pid 1) of a PID namespace other than init_pid_ns exits, every other task of
 * the namespace and of the namespaces below it is killed with SIGKILL and no task can join it
 * any more (zap_pid_ns_processes(), measured on 6.18: test/kernel/facts/pid-ipc-ns.json,
 * "pids"); the killed tasks whose parent is outside stay zombies for it, and until they are
 * reaped the init is not yet waitable (the kernel's init sleeps in zap_pid_ns_processes() until
 * its namespace holds no other pid; here it is a zombie that wait.ts passes over meanwhile).
 *
 * Not modelled: threads (every task is a thread-group leader), signal handlers and masks (every
 * signal takes its default action: terminate, or ignore for SIGCHLD, SIGCONT, SIGURG and
 * SIGWINCH; the stop signals do nothing, job control is not modelled), process groups, core
 * dumps (a signal that would dump reports CLD_KILLED), PR_SET_PDEATHSIG, and CLONE_FS (sharing
 * fs_struct: EINVAL here).
 */
import { Cap, type Credentials } from './creds.js';
import { errno, type Errno } from './errno.js';
import type { FdTable } from './file.js';
import { CLONE_NEWIPC } from './ipc-namespace.js';
import { CLONE_NEWNET, CLONE_NEWNS } from './net-namespace.js';
import { CLONE_NEWUSER, unshare } from './nsproxy-syscalls.js';
import { CLONE_NEWPID, freePid, unallocPid } from './pid.js';
import type { Process } from './process.js';

export const CLONE_VM = 0x100;
export const CLONE_FS = 0x200;
export const CLONE_FILES = 0x400;
export const CLONE_SIGHAND = 0x800;
export const CLONE_PIDFD = 0x1000;
export const CLONE_THREAD = 0x10000;

export const SIGHUP = 1;
export const SIGINT = 2;
export const SIGKILL = 9;
export const SIGTERM = 15;
export const SIGCHLD = 17;
/** _NSIG: signals are 1..64 (valid_signal()). */
export const NSIG = 64;

/** siginfo si_code of a child's end (CLD_*). */
export const CLD_EXITED = 1;
export const CLD_KILLED = 2;

/** Signals whose default action is to ignore them (signal(7)); the stop signals do nothing here. */
const IGNORED = new Set([17, 18, 23, 28]);
const STOPS = new Set([19, 20, 21, 22]);

/** The namespace flags clone(2) takes to unshare(2)'s rules. */
const NS_FLAGS = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWPID;
/** The clone flags the emulator models. */
const MODELLED = CLONE_FILES | CLONE_PIDFD | NS_FLAGS;

/**
 * ESRCH and ECHILD are not in errno.ts's table yet; until they are, a `SysError` of either
 * cannot be built (reported to the lead).
 */
export const taskErrno = (code: 'ESRCH' | 'ECHILD'): Error => errno(code as Errno);

/** How many tasks share each descriptor table (files_struct->count, for CLONE_FILES). */
const filesUsers = new WeakMap<FdTable, number>();

/** The wait status a zombie reports: `(code & 0xff) << 8` for an exit, the signal for a kill. */
export interface ExitInfo {
  /** CLD_EXITED or CLD_KILLED. */
  code: number;
  /** The exit code or the signal. */
  status: number;
}

/**
 * copy_process() for the flags the emulator models: a child of `parent` with a copy of its
 * credentials, root, cwd, umask and namespaces, and a copy of its descriptor table (shared with
 * CLONE_FILES), its pid from the parent's `pidNsForChildren` (EAGAIN, ENOMEM: pid.ts);
 * CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWNET, CLONE_NEWIPC and CLONE_NEWPID give the child new
 * namespaces with unshare(2)'s rules (nsproxy-syscalls.ts), judged against the parent's active
 * PID namespace (EINVAL for CLONE_NEWPID once the parent has unshared one, measured), and with
 * CLONE_NEWPID the child is pid 1 of its new namespace. A flag not modelled is EINVAL, as are
 * the kernel's own bad combinations (CLONE_NEWUSER or CLONE_NEWNS with CLONE_FS). A failed
 * clone leaves nothing behind, the pid allocation cursors included (the kernel allocates the
 * pid after the namespaces). CLONE_PIDFD's descriptor is made by the caller (pidfd.ts).
 */
export function copyProcess(parent: Process, flags: number): Process {
  if (flags & CLONE_FS && flags & (CLONE_NEWUSER | CLONE_NEWNS)) throw errno('EINVAL');
  if (flags & ~MODELLED) throw errno('EINVAL');
  const child = parent.spawn();
  if (flags & CLONE_FILES) {
    child.fds = parent.fds;
    filesUsers.set(parent.fds, (filesUsers.get(parent.fds) ?? 1) + 1);
  } else child.fds = parent.fds.clone();
  const nsFlags = flags & NS_FLAGS;
  try {
    if (nsFlags) unshare(child, nsFlags, parent.pidNs);
    if (nsFlags & CLONE_NEWPID) child.movePid(child.pidNsForChildren);
  } catch (e) {
    dropResources(child);
    detachFromParent(child);
    unallocPid(child.pid);
    throw e;
  }
  return child;
}

/** exit_files() + exit_fs() + exit_task_namespaces(): what a task lets go of when it ends. */
function dropResources(t: Process): void {
  t.kernel.removeTask(t);
  const users = filesUsers.get(t.fds) ?? 1;
  if (users > 1) filesUsers.set(t.fds, users - 1);
  else for (const fd of t.fds.open()) t.closeOnExit(fd);
  t.root.mnt.refs--;
  t.cwd.mnt.refs--;
  t.kernel.maybeRelease(t.root.mnt);
  t.kernel.maybeRelease(t.cwd.mnt);
}

function detachFromParent(t: Process): void {
  t.realParent?.children.delete(t);
  t.realParent = null;
}

/**
 * do_exit(): the task lets go of its files, fs and namespaces and becomes a zombie reporting
 * `info` to its parent; its children go to the reaper (zombies are released, the others are
 * orphans released when they exit). Without a parent it is released at once.
 */
export function doExit(t: Process, info: ExitInfo): void {
  if (t.exitState !== 'running') throw errno('EINVAL');
  dropResources(t);
  t.exitInfo = info;
  t.exitState = 'zombie';
  if (isChildReaper(t)) zapPidNsProcesses(t);
  // forget_original_parent(): the reaper takes the children.
  for (const c of [...t.children]) {
    detachFromParent(c);
    if (c.exitState === 'zombie') releaseTask(c);
  }
  if (!t.realParent) releaseTask(t);
}

/** release_task(): the zombie is gone and its pid numbers free (the `Pid` object stays, task-less). */
export function releaseTask(t: Process): void {
  detachFromParent(t);
  t.exitState = 'dead';
  freePid(t.pid);
}

/**
 * Whether `t` is the init of a PID namespace below init_pid_ns (its child_reaper, pid 1). A
 * sandbox's first task is pid 1 of init_pid_ns, whose end the kernel does not survive; it ends
 * alone here.
 */
function isChildReaper(t: Process): boolean {
  return t.pidNs.level > 0 && t.pid.nr === 1;
}

/**
 * zap_pid_ns_processes(): no task may join the namespace any more (disable_pid_allocation()),
 * and every other task in it or below it is killed with SIGKILL (its own children are then
 * released by forget_original_parent(), as the kernel's init reaps them).
 */
function zapPidNsProcesses(init: Process): void {
  const ns = init.pidNs;
  ns.disable();
  for (const nr of ns.numbers()) {
    const task = ns.find(nr)?.task;
    if (task && task !== init && task.exitState === 'running') doExit(task, { code: CLD_KILLED, status: SIGKILL });
  }
}

/**
 * Whether a zombie may be reaped yet: the init of a namespace still holding other pids (killed
 * tasks whose parent is outside, not yet reaped) is still in zap_pid_ns_processes() (measured:
 * a WNOHANG wait for it finds nothing until they are reaped).
 */
export function reapable(t: Process): boolean {
  return t.exitState === 'zombie' && !(isChildReaper(t) && t.pidNs.allocated > 1);
}

/**
 * kill_ok_by_cred(): the sender's real or effective uid is the target's real or saved uid, or
 * the sender has CAP_KILL over the target's user namespace.
 */
function killOk(sender: Credentials, target: Credentials): boolean {
  const ours = [sender.ruid, sender.euid];
  return ours.includes(target.suid) || ours.includes(target.ruid) || sender.nsCapable(target.userNs, Cap.KILL);
}

/**
 * group_send_sig_info() to a task found by pid: EINVAL for a signal outside 0..64, EPERM
 * without the right to signal it (check_kill_permission(), signal 0 included); signal 0 then
 * only says it may. A zombie takes the signal and nothing happens (measured on 6.18: kill and
 * pidfd_send_signal of 0 to a zombie succeed). A task without a handler takes the default
 * action: most signals end it (CLD_KILLED with the signal).
 */
export function sendSignal(sender: Credentials, target: Process, sig: number): void {
  if (!Number.isInteger(sig) || sig < 0 || sig > NSIG) throw errno('EINVAL');
  if (!killOk(sender, target.creds)) throw errno('EPERM');
  if (sig === 0 || target.exitState !== 'running') return;
  if (IGNORED.has(sig) || STOPS.has(sig)) return;
  doExit(target, { code: CLD_KILLED, status: sig });
}

/** The wait status wait4(2) reports: WEXITSTATUS in bits 8..15, or WTERMSIG in 0..6. */
export function waitStatus(info: ExitInfo): number {
  return info.code === CLD_EXITED ? (info.status & 0xff) << 8 : info.status & 0x7f;
}
