/**
 * Pids: struct pid and the PID namespace's allocator (kernel/pid.c: alloc_pid(), free_pid(),
 * find_pid_ns(); kernel/pid_namespace.c: pid_ns_ctl_handler() for ns_last_pid).
 *
 * A `Pid` is the kernel object, not the number: a task holds one from clone to release, and a
 * pidfd or a /proc/PID inode holds the same object for as long as it lives. Once the task is
 * reaped (release_task() → free_pid()) the object has no task any more (pid_task() is NULL) and
 * its number goes back to the namespace, which may hand it to another task — a new object. So
 * what is bound to a `Pid` can never reach the task that reused its number; what keeps only the
 * number can.
 *
 * The emulator has one PID namespace, init_pid_ns, held by the `Kernel`; every task is in it
 * (no CLONE_NEWPID). Allocation is idr_alloc_cyclic() from a cursor: the lowest free number at
 * or above the one after the last allocated, up to pid_max - 1; past pid_max it wraps to
 * RESERVED_PIDS (300; only the very first allocations start at 1) and takes the lowest free
 * number from there (measured on 6.18: test/kernel/facts/pidfd-userns.json, "pid allocation").
 * A number is free once its task is reaped, never while it is a zombie.
 *
 * Invariants: `pids` holds exactly the numbers allocated and not freed, each mapped to its
 * object; `cursor` (idr_next) is in 0..pidMax.
 */
import { errno } from './errno.js';
import type { Process } from './process.js';

/** RESERVED_PIDS (kernel/pid.c): where a wrapped allocation restarts. */
export const RESERVED_PIDS = 300;
/** PID_MAX_DEFAULT (include/linux/threads.h): pid_max of a machine with few CPUs. */
export const PID_MAX_DEFAULT = 0x8000;
/** PID_MAX_LIMIT on 64-bit: the largest pid_max (4 Mi). */
export const PID_MAX_LIMIT = 4 * 1024 * 1024;

/** struct pid: one number in one namespace, and the task attached to it until release. */
export class Pid {
  /** pid_task(pid, PIDTYPE_PID): the task, running or zombie; null once it is reaped. */
  task: Process | null = null;

  constructor(
    readonly nr: number,
    readonly ns: PidNamespace,
  ) {}
}

/** struct pid_namespace, as far as allocation goes: the idr of numbers, its cursor, pid_max. */
export class PidNamespace {
  private readonly pids = new Map<number, Pid>();
  /** idr_next: where the next search starts (ns_last_pid + 1). */
  private cursor = 0;
  private max: number;

  constructor(pidMax = PID_MAX_DEFAULT) {
    this.max = pidMax;
  }

  /** /proc/sys/kernel/pid_max. */
  get pidMax(): number {
    return this.max;
  }

  /**
   * A write to /proc/sys/kernel/pid_max: within pid_max_min (RESERVED_PIDS + 1) and
   * PID_MAX_LIMIT, EINVAL otherwise (proc_dointvec_minmax()). Numbers already given out stay.
   */
  setPidMax(n: number): void {
    if (!Number.isInteger(n) || n < RESERVED_PIDS + 1 || n > PID_MAX_LIMIT) throw errno('EINVAL');
    this.max = n;
  }

  /** /proc/sys/kernel/ns_last_pid: the number allocated last (idr cursor - 1). */
  get lastPid(): number {
    return this.cursor - 1;
  }

  /**
   * A write to ns_last_pid (pid_ns_ctl_handler()): the next allocation searches from `n + 1`;
   * 0..pid_max, EINVAL otherwise. The privilege (CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE over
   * the namespace's owner) is the caller's to check.
   */
  setLastPid(n: number): void {
    if (!Number.isInteger(n) || n < 0 || n > this.max) throw errno('EINVAL');
    this.cursor = n + 1;
  }

  /**
   * alloc_pid() in one namespace: idr_alloc_cyclic() from the cursor to pid_max - 1, then once
   * more from the minimum (1, or RESERVED_PIDS once the cursor has passed it). EAGAIN when every
   * number is taken (alloc_pid() turns the idr's ENOSPC into EAGAIN).
   */
  alloc(): Pid {
    const min = this.cursor > RESERVED_PIDS ? RESERVED_PIDS : 1;
    const end = this.max - 1;
    let nr = this.lowestFree(Math.max(this.cursor, min), end);
    if (nr < 0 && this.cursor > min) nr = this.lowestFree(min, end);
    if (nr < 0) throw errno('EAGAIN');
    const pid = new Pid(nr, this);
    this.pids.set(nr, pid);
    this.cursor = nr + 1;
    return pid;
  }

  /** free_pid(): the number is free again; the object stays with whoever holds it, task-less. */
  free(pid: Pid): void {
    if (this.pids.get(pid.nr) === pid) this.pids.delete(pid.nr);
    pid.task = null;
  }

  /**
   * Undoes the allocation of `pid` by a clone that failed after alloc_pid() would have run in
   * the kernel's order (copy_process() allocates the pid after the namespaces): the number and
   * the cursor are as before, as if it had never been taken.
   */
  unalloc(pid: Pid, cursorBefore: number): void {
    this.free(pid);
    this.cursor = cursorBefore;
  }

  /** The cursor, for `unalloc`. */
  get mark(): number {
    return this.cursor;
  }

  /** find_pid_ns(): the object of a number in use (a zombie's too), or undefined. */
  find(nr: number): Pid | undefined {
    return this.pids.get(nr);
  }

  /** The numbers in use, ascending (what /proc lists). */
  numbers(): number[] {
    return [...this.pids.keys()].sort((a, b) => a - b);
  }

  private lowestFree(from: number, to: number): number {
    for (let nr = from; nr <= to; nr++) if (!this.pids.has(nr)) return nr;
    return -1;
  }
}
