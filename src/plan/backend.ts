/**
 * Backend: what executes a plan — the emulator in process, or the host kernel through the
 * native addon — and returns the same outcome shape (DESIGN.md decision 4).
 */
import type { Outcome } from './outcome.js';
import type { Plan } from './plan.js';

export interface Backend {
  readonly name: string;
  /** Runs a validated plan; throws BackendUnavailable when it cannot run here. */
  run(plan: Plan): Outcome;
}
