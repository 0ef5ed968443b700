/**
 * The outcome document of a plan run (docs/plan-format.md "Outcome document"): one result a
 * op, and the mountinfo of the namespace the plan ended in and of every namespace it made.
 */
import type { Errno } from '../vfs/errno.js';
import type { RefusalRule } from './policy.js';

export type FileType = 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo' | 'socket';

export interface StatResult {
  type: FileType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  nlink: number;
}

/**
 * One op's result. `notRun` marks an op the backend never executed: never read as success. When
 * the run was cut short (child killed, crashed, timed out) it equals no other result; when the
 * plan itself stopped (`stoppedAt`: a `setns` that could not re-enter the sandbox root), it
 * equals the same stop on another backend.
 */
export type OpResult =
  | { ok: true; stat?: StatResult; data?: string; names?: string[] }
  | { ok: false; errno: Errno | string }
  | { ok: false; notRun: true; reason: string; stoppedAt?: number }
  /** Refused by the sandbox policy (src/plan/policy.ts): the op did not run, or its output was dropped. */
  | { ok: false; refused: RefusalRule; reason: string };

/** The result of every op after a plan stopped at op `at` (both backends say the same). */
export function stoppedResult(at: number): OpResult {
  return {
    ok: false,
    notRun: true,
    reason: `op ${at} (setns) could not re-enter the sandbox root; the plan stopped there rather than act outside the sandbox`,
    stoppedAt: at,
  };
}

export interface Outcome {
  backend: string;
  results: OpResult[];
  mountinfo: string[];
  namespaces: string[][];
}

/** Where a backend cannot run here (exit 3 of `vfsemu plan run`). */
export class BackendUnavailable extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'BackendUnavailable';
  }
}
