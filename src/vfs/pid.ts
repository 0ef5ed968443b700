/**
 * Pids and PID namespaces: struct pid and struct pid_namespace with its allocator (kernel/pid.c:
 * alloc_pid(), free_pid(), find_pid_ns(), pid_nr_ns(); kernel/pid_namespace.c:
 * create_pid_namespace(), pid_ns_ctl_handler() for ns_last_pid, disable_pid_allocation()).
 *
 * A `Pid` is the kernel object, not the number: a task holds one from clone to release, and a
 * pidfd or a /proc/PID inode holds the same object for as long as it lives. Once the task is
 * reaped (release_task() → free_pid()) the object has no task any more (pid_task() is NULL) and
 * its numbers go back to their namespaces, which may hand them to another task — a new object.
 * So what is bound to a `Pid` can never reach the task that reused its number; what keeps only
 * the number can.
 *
 * PID namespaces nest (pid_namespaces(7)): init_pid_ns, held by the `Kernel`, is level 0, and a
 * namespace made by unshare(CLONE_NEWPID) or clone(CLONE_NEWPID) is a child of the creator's
 * active one, owned by the creator's (new) user namespace. A pid has one number in the namespace
 * it was allocated in and one in each ancestor (struct pid->numbers[], one per level): a task is
 * seen by its namespace and every ancestor, each with its own number, and by no other namespace
 * (pid_nr_ns() is 0 there). The first number of a new namespace is 1, its init (child_reaper).
 *
 * Allocation in each namespace is idr_alloc_cyclic() from that namespace's cursor: the lowest
 * free number at or above the one after the last allocated, up to its pid_max - 1; past pid_max
 * it wraps to RESERVED_PIDS (300; only the very first allocations start at 1) and takes the
 * lowest free number from there (measured on 6.18: test/kernel/facts/pidfd-userns.json, "pid
 * allocation"). A number is free once its task is reaped, never while it is a zombie. Once a
 * namespace's init has exited (zap_pid_ns_processes() → disable_pid_allocation()), allocation
 * in it is ENOMEM, reaped init or not (measured: test/kernel/facts/pid-ipc-ns.json, "pids").
 *
 * Invariants: each namespace's `pids` holds exactly the numbers allocated there and not freed,
 * each mapped to its object; a `Pid`'s numbers run from level 0 to its namespace's level, each
 * in the namespace of that level on the chain of parents; `cursor` (idr_next) is in 0..pidMax.
 */
import { errno } from './errno.js';
import type { Process } from './process.js';
import { INIT_USER_NS, type UserNamespace } from './user-namespace.js';

/** unshare(2)/clone(2)'s CLONE_NEWPID. */
export const CLONE_NEWPID = 0x20000000;
/** RESERVED_PIDS (kernel/pid.c): where a wrapped allocation restarts. */
export const RESERVED_PIDS = 300;
/** PID_MAX_DEFAULT (include/linux/threads.h): pid_max of a machine with few CPUs. */
export const PID_MAX_DEFAULT = 0x8000;
/** PID_MAX_LIMIT on 64-bit: the largest pid_max (4 Mi). */
export const PID_MAX_LIMIT = 4 * 1024 * 1024;
/** MAX_PID_NS_LEVEL (kernel/pid_namespace.c): the deepest namespace's level. */
export const MAX_PID_NS_LEVEL = 32;

/** struct upid: one number of a pid, in one namespace. */
export interface Upid {
  readonly nr: number;
  readonly ns: PidNamespace;
}

/** struct pid: a number in its namespace and in each ancestor, and the task until release. */
export class Pid {
  /** pid_task(pid, PIDTYPE_PID): the task, running or zombie; null once it is reaped. */
  task: Process | null = null;

  /**
   * @param numbers numbers[i] is the number in the namespace of level i (struct pid->numbers).
   * @param marks each level's cursor before this allocation, for `unallocPid`.
   */
  constructor(
    readonly numbers: readonly Upid[],
    readonly marks: readonly number[],
  ) {}

  /** pid->level: its namespace's level. */
  get level(): number {
    return this.numbers.length - 1;
  }

  /** The number in its own namespace (what the task's getpid() says). */
  get nr(): number {
    return this.numbers[this.level]!.nr;
  }

  /** ns_of_pid(): the namespace it was allocated in (the task's active one). */
  get ns(): PidNamespace {
    return this.numbers[this.level]!.ns;
  }

  /** pid_nr_ns(): the number `ns` sees, 0 when `ns` is neither its namespace nor an ancestor. */
  nrIn(ns: PidNamespace): number {
    const u = this.numbers[ns.level];
    return u !== undefined && u.ns === ns ? u.nr : 0;
  }
}

/** struct pid_namespace: its place in the tree, its owner, the idr of numbers, cursor, pid_max. */
export class PidNamespace {
  readonly level: number;
  private readonly pids = new Map<number, Pid>();
  /** idr_next: where the next search starts (ns_last_pid + 1). */
  private cursor = 0;
  private max: number;
  /** PIDNS_ADDING: cleared once its init has exited (disable_pid_allocation()). */
  private adding = true;

  constructor(
    pidMax = PID_MAX_DEFAULT,
    /** The namespace it was made in; null for init_pid_ns. */
    readonly parent: PidNamespace | null = null,
    /** ns->user_ns: the user namespace of its creator's credentials. */
    readonly owner: UserNamespace = INIT_USER_NS,
  ) {
    this.max = pidMax;
    this.level = parent ? parent.level + 1 : 0;
  }

  /**
   * create_pid_namespace(): a child of `parent` owned by `owner`, with the parent's pid_max.
   * EINVAL when `owner` is not the parent's owner or below it (in_userns()); ENOSPC below level
   * MAX_PID_NS_LEVEL. The privilege (CAP_SYS_ADMIN over `owner`) is the caller's to check.
   */
  static create(parent: PidNamespace, owner: UserNamespace): PidNamespace {
    if (!parent.owner.isAncestorOf(owner)) throw errno('EINVAL');
    if (parent.level + 1 > MAX_PID_NS_LEVEL) throw errno('ENOSPC');
    return new PidNamespace(parent.max, parent, owner);
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
   * alloc_pid(): a number here and in every ancestor, innermost first, each by
   * idr_alloc_cyclic() from that namespace's cursor to its pid_max - 1, then once more from the
   * minimum (1, or RESERVED_PIDS once the cursor has passed it). EAGAIN when a namespace has
   * every number taken (alloc_pid() turns the idr's ENOSPC into EAGAIN); ENOMEM when this
   * namespace's init has exited (checked after the numbers are taken, which are then freed and
   * the cursors left where they went, as the kernel leaves them).
   */
  alloc(): Pid {
    const numbers: Upid[] = [];
    const marks: number[] = [];
    // Each level's number is its own namespace's; none is recorded until all are taken.
    for (let ns: PidNamespace | null = this; ns; ns = ns.parent) {
      marks.unshift(ns.cursor);
      numbers.unshift({ nr: ns.allocNr(), ns });
    }
    const pid = new Pid(numbers, marks);
    for (const u of numbers) u.ns.pids.set(u.nr, pid);
    if (!this.adding) {
      freePid(pid);
      throw errno('ENOMEM');
    }
    return pid;
  }

  /** find_pid_ns(): the object of a number in use here (a zombie's too), or undefined. */
  find(nr: number): Pid | undefined {
    return this.pids.get(nr);
  }

  /** The numbers in use here, ascending (what a proc of this namespace lists). */
  numbers(): number[] {
    return [...this.pids.keys()].sort((a, b) => a - b);
  }

  /** pid_allocated without PIDNS_ADDING: how many numbers are in use here. */
  get allocated(): number {
    return this.pids.size;
  }

  /** Whether its init has exited: no task can join any more. */
  get dead(): boolean {
    return !this.adding;
  }

  /** disable_pid_allocation(): every later alloc_pid() here is ENOMEM. */
  disable(): void {
    this.adding = false;
  }

  /** @internal free_pid()'s part in one namespace. */
  release(pid: Pid, nr: number): void {
    if (this.pids.get(nr) === pid) this.pids.delete(nr);
  }

  /** @internal Puts the cursor back (unallocPid). */
  rewind(cursor: number): void {
    this.cursor = cursor;
  }

  /** One number by idr_alloc_cyclic(); the caller records it. */
  private allocNr(): number {
    const min = this.cursor > RESERVED_PIDS ? RESERVED_PIDS : 1;
    const end = this.max - 1;
    let nr = this.lowestFree(Math.max(this.cursor, min), end);
    if (nr < 0 && this.cursor > min) nr = this.lowestFree(min, end);
    if (nr < 0) throw errno('EAGAIN');
    this.cursor = nr + 1;
    return nr;
  }

  private lowestFree(from: number, to: number): number {
    for (let nr = from; nr <= to; nr++) if (!this.pids.has(nr)) return nr;
    return -1;
  }
}

/** free_pid(): every number is free again; the object stays with whoever holds it, task-less. */
export function freePid(pid: Pid): void {
  for (const u of pid.numbers) u.ns.release(pid, u.nr);
  pid.task = null;
}

/**
 * Undoes the allocation of `pid` by a clone that failed, or that moves its child into a new
 * namespace, after alloc_pid() would have run in the kernel's order (copy_process() allocates
 * the pid after the namespaces): the numbers and the cursors are as before, as if it had never
 * been taken.
 */
export function unallocPid(pid: Pid): void {
  freePid(pid);
  pid.numbers.forEach((u, i) => u.ns.rewind(pid.marks[i]!));
}
