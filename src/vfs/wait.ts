/**
 * Waiting for children: waitid(2) (P_ALL, P_PID, P_PIDFD) and wait4(2) — kernel/exit.c
 * kernel_waitid(), do_wait(), wait_task_zombie(). A zombie child that is waited for without
 * WNOWAIT is released (task.ts releaseTask()) and its pid number may be reused.
 *
 * The emulator's tasks run only when their methods are called, so no wait can sleep: where the
 * kernel would block until a child changes state, the call fails with EAGAIN — the answer the
 * kernel itself gives a PIDFD_NONBLOCK pidfd (measured on 6.18). WNOHANG returns null (the
 * kernel's zeroed siginfo, or wait4's 0). Stopped and continued children are not modelled, so
 * WSTOPPED and WCONTINUED never report anything.
 *
 * Pid numbers are the waiter's: a P_PID or wait4 pid is looked up in its active PID namespace
 * (find_get_pid()), and si_pid is the child's number there (task_pid_nr_ns()) — a child that is
 * the init of a new namespace is pid 1 to itself and its fork value to its parent (measured on
 * 6.18: test/kernel/facts/pid-ipc-ns.json, "pids"). The init of a namespace whose other tasks are
 * not all reaped is not waitable yet (task.ts reapable()).
 */
import { errno } from './errno.js';
import { pidfdPid } from './pidfd.js';
import type { Process } from './process.js';
import { reapable, releaseTask, taskErrno, waitStatus } from './task.js';

export const P_ALL = 0;
export const P_PID = 1;
export const P_PGID = 2;
export const P_PIDFD = 3;

export const WNOHANG = 0x1;
export const WSTOPPED = 0x2;
export const WUNTRACED = WSTOPPED;
export const WEXITED = 0x4;
export const WCONTINUED = 0x8;
export const WNOWAIT = 0x1000000;
const __WNOTHREAD = 0x20000000;
const __WALL = 0x40000000;
const __WCLONE = 0x80000000;

/** What waitid(2) fills in: si_pid, si_uid (as the waiter's namespace names it), si_code, si_status. */
export interface WaitInfo {
  pid: number;
  uid: number;
  /** CLD_EXITED or CLD_KILLED. */
  code: number;
  status: number;
}

/**
 * kernel_waitid(): EINVAL for unknown options or none of WEXITED/WSTOPPED/WCONTINUED, for an
 * unknown idtype, a P_PID id ≤ 0 or a negative P_PIDFD; EBADF for a P_PIDFD that is no pidfd;
 * ECHILD when no child matches; null under WNOHANG when none has exited; EAGAIN where the kernel
 * would sleep (see the file comment).
 *
 * @example
 * ```ts
 * const { child, pidfd } = p.clone(CLONE_PIDFD);
 * child.exit(3);
 * p.waitid(P_PIDFD, pidfd, WEXITED); // { pid: child.pid.nr, code: CLD_EXITED, status: 3, uid: 0 }
 * ```
 */
export function waitid(p: Process, idtype: number, id: number, options: number): WaitInfo | null {
  if (options & ~(WNOHANG | WNOWAIT | WEXITED | WSTOPPED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL)) throw errno('EINVAL');
  if (!(options & (WEXITED | WSTOPPED | WCONTINUED))) throw errno('EINVAL');
  let match: (c: Process) => boolean;
  if (idtype === P_ALL) match = () => true;
  else if (idtype === P_PID) {
    if (id <= 0) throw errno('EINVAL');
    const pid = p.pidNs.find(id);
    match = (c) => c.pid === pid;
  } else if (idtype === P_PIDFD) {
    if (id < 0) throw errno('EINVAL');
    // A PIDFD_NONBLOCK pidfd makes the kernel answer EAGAIN instead of sleeping: so does every wait here.
    const pid = pidfdPid(p, id);
    match = (c) => c.pid === pid;
  } else throw errno('EINVAL');
  return doWait(p, match, options);
}

/**
 * wait4(2) without rusage: `pid` > 0 one child, -1 any; 0 and < -1 (process groups) are not
 * modelled (EINVAL). Returns [pid, wait status], or [0, 0] under WNOHANG when none has exited.
 */
export function wait4(p: Process, pid: number, options: number): [number, number] {
  if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL)) throw errno('EINVAL');
  if (pid === 0 || pid < -1) throw errno('EINVAL');
  const obj = pid === -1 ? undefined : p.pidNs.find(pid);
  const r = doWait(p, pid === -1 ? () => true : (c) => c.pid === obj, options | WEXITED);
  return r === null ? [0, 0] : [r.pid, waitStatus(r)];
}

/** do_wait(): the first matching zombie child, reaped unless WNOWAIT; ECHILD when nothing matches. */
function doWait(p: Process, match: (c: Process) => boolean, options: number): WaitInfo | null {
  const eligible = [...p.children].filter(match);
  if (eligible.length === 0) throw taskErrno('ECHILD');
  const zombie = options & WEXITED ? eligible.find(reapable) : undefined;
  if (!zombie) {
    if (options & WNOHANG) return null;
    throw errno('EAGAIN');
  }
  const info = zombie.exitInfo!;
  const r: WaitInfo = { pid: zombie.pid.nrIn(p.pidNs), uid: p.creds.userNs.fromKuidMunged(zombie.creds.ruid), code: info.code, status: info.status };
  if (!(options & WNOWAIT)) releaseTask(zombie);
  return r;
}
