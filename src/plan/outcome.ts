/**
 * The outcome document of a plan run (shared/plan-format.md "Outcome document"): one result a
 * op, and the mountinfo of the namespace the plan ended in and of every namespace it made.
 */
import type { Errno } from '../vfs/errno.js';

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
 * One op's result. `notRun` marks an op the backend never executed (its child was killed, or an
 * earlier op crashed it): never read as success, and never equal to any other result.
 */
export type OpResult =
  | { ok: true; stat?: StatResult; data?: string; names?: string[] }
  | { ok: false; errno: Errno | string }
  | { ok: false; notRun: true; reason: string };

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
