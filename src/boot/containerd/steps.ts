/**
 * The record of a containerd replay: each system call (or helper program) containerd would make,
 * in order, with the kernel's answer — what a dry-run prints step by step.
 */
import { SysError, type Errno } from '../../vfs/errno.js';

export interface ContainerdStep {
  /** The call as C (or a command line for a helper), e.g. `mount("overlay", "/r", "overlay", 0, "…")`. */
  call: string;
  /** 'OK', the errno, or 'unmodelled' for a helper vfsemu cannot run. */
  result: 'OK' | Errno | 'unmodelled';
  /** A returned value (a loop device number, a descriptor). */
  value?: number;
  /** How many times the call was made (containerd's EBUSY retries), when more than once. */
  attempts?: number;
  /** What the step means or why it is as it is. */
  note?: string;
  /** The upstream function making the call (file:function). */
  by: string;
}

/** A failure that stops the replay, as the Go error containerd returns. */
export class ContainerdError extends Error {
  constructor(
    message: string,
    readonly errno?: Errno,
  ) {
    super(message);
    this.name = 'ContainerdError';
  }
}

/** Collects the steps of one replay. */
export class StepLog {
  readonly steps: ContainerdStep[] = [];

  /**
   * Runs `fn` as the call `call`; records its answer and returns its value, or rethrows its
   * SysError after recording the errno.
   */
  run<T>(by: string, call: string, fn: () => T, note?: string): T {
    try {
      const v = fn();
      this.steps.push({ call, result: 'OK', ...(typeof v === 'number' ? { value: v } : {}), ...(note ? { note } : {}), by });
      return v;
    } catch (e) {
      if (e instanceof SysError) this.steps.push({ call, result: e.code, ...(note ? { note } : {}), by });
      throw e;
    }
  }

  push(step: ContainerdStep): void {
    this.steps.push(step);
  }
}

/** A C string literal of `s` for a step's call. */
export const q = (s: string | null): string => (s === null ? 'NULL' : JSON.stringify(s));
