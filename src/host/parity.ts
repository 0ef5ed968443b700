/**
 * The parity harness: random plans (src/plan/arbitrary.ts) run on the emulator and on the host
 * kernel through the native backend, their outcomes compared (src/plan/compare.ts). On the first
 * divergence fast-check shrinks the plan; the harness reports the shrunk plan with its diff and
 * writes it to a file ready to go under test/parity/corpus/.
 *
 * Used by `vfsemu parity` and by the parity tests, so both measure the same thing. fast-check is an
 * optional dependency of the package: it and the arbitraries are loaded when a parity run starts,
 * so that the library's other functions need neither (`FastCheckMissing` says what to install).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { compareOutcomes } from '../plan/compare.js';
import { runEmulated, type EmulatedOptions } from '../plan/emulated.js';
import type { Outcome } from '../plan/outcome.js';
import type { Plan } from '../plan/plan.js';
import { processCapabilities } from './caps.js';
import { runNative, runNativeSync } from './native.js';

export interface ParityOptions {
  /** Random plans to compare. */
  runs: number;
  /** fast-check seed; print it so a run can be replayed. */
  seed: number;
  /** Random ops a plan holds at most, besides the fixed prefix and suffix. */
  maxOps: number;
  /**
   * Which plans: `default` (src/plan/arbitrary.ts, every op over a small tree and tmpfs
   * mounts), `propagation` (the same ops, weighted to build shared trees, slaves and peer groups
   * across two to four namespaces), `overlay` (src/plan/arbitrary-overlay.ts, layers, an
   * overlay and ops through it) or `userns` (src/plan/arbitrary-userns.ts: user namespaces with
   * maps, open_tree, mount_setattr with idmaps, move_mount, among the default ops).
   */
  profile?: ParityProfile;
  /** Where a shrunk counterexample is written (created when needed); none when absent. */
  failuresDir?: string;
  /** Called after every plan compared, shrinking steps included. */
  onPlan?: (stats: ParityStats) => void;
}

export type ParityProfile = 'default' | 'propagation' | 'overlay' | 'userns';
export const PARITY_PROFILES: readonly ParityProfile[] = ['default', 'propagation', 'overlay', 'userns'];

export interface BackendTiming {
  plans: number;
  ms: number;
}

export interface ParityStats {
  /** Plans compared, shrinking steps included. */
  compared: number;
  emulated: BackendTiming;
  native: BackendTiming;
}

export interface Divergence {
  plan: Plan;
  diff: string;
  /** The counterexample file, when `failuresDir` was given. */
  file?: string;
}

export interface ParityReport extends ParityStats {
  seed: number;
  /** Random plans that passed before the first divergence (all of them when none). */
  passed: number;
  divergence?: Divergence;
}

/**
 * What the emulator must know of this machine to stand for it: its RAM in pages (tmpfs
 * `size=N%`), and the capabilities the native backend's task starts with (the host's).
 */
export function hostMachine(): EmulatedOptions {
  const caps = processCapabilities();
  return { totalRamPages: Math.floor(totalmem() / 4096), ...(caps ? { caps: caps.permitted & caps.effective } : {}) };
}

/** A plan as a corpus file: the plan document, two-space JSON, one op a line. */
export function corpusText(plan: Plan): string {
  return `{"version": 1, "ops": [\n${plan.ops.map((o) => '  ' + JSON.stringify(o)).join(',\n')}\n]}\n`;
}

type Compared = { equal: boolean; diff: string; emulated: Outcome; native: Outcome };

/** Both outcomes compared, with the time each backend took added to `stats`. */
function compared(plan: Plan, emulated: Outcome, tEmu: number, native: Outcome, tNat: number, stats?: ParityStats): Compared {
  if (stats) {
    stats.compared++;
    stats.emulated.plans++;
    stats.emulated.ms += tEmu;
    stats.native.plans++;
    stats.native.ms += tNat;
  }
  return { ...compareOutcomes(plan, emulated, native), emulated, native };
}

/** fast-check is not installed (it is an optional dependency): a parity run cannot generate plans. */
export class FastCheckMissing extends Error {
  constructor(cause: unknown) {
    super(`random plans need fast-check, an optional dependency that is not installed (npm install fast-check): ${(cause as Error).message.split('\n')[0]}`);
    this.name = 'FastCheckMissing';
  }
}

/** fast-check and the plan arbitraries, loaded on first use. */
async function loadArbitraries() {
  try {
    const [fc, { planArbitrary }, { overlayPlanArbitrary }, { usernsPlanArbitrary }] = await Promise.all([
      import('fast-check'),
      import('../plan/arbitrary.js'),
      import('../plan/arbitrary-overlay.js'),
      import('../plan/arbitrary-userns.js'),
    ]);
    return { fc: fc.default, planArbitrary, overlayPlanArbitrary, usernsPlanArbitrary };
  } catch (e) {
    throw new FastCheckMissing(e);
  }
}

/** Runs both backends on one plan and compares; also the corpus replay's one step. */
export function comparePlan(plan: Plan, stats?: ParityStats): Compared {
  let t = performance.now();
  const emulated = runEmulated(plan, hostMachine());
  const tEmu = performance.now() - t;
  t = performance.now();
  const native = runNativeSync(plan);
  return compared(plan, emulated, tEmu, native, performance.now() - t, stats);
}

/** comparePlan with the native run waited for off the main thread (runNative). */
export async function comparePlanAsync(plan: Plan, stats?: ParityStats): Promise<Compared> {
  let t = performance.now();
  const emulated = runEmulated(plan, hostMachine());
  const tEmu = performance.now() - t;
  t = performance.now();
  const native = await runNative(plan);
  return compared(plan, emulated, tEmu, native, performance.now() - t, stats);
}

/**
 * Compares `runs` random plans; stops at the first divergence, shrunk. The native runs are waited
 * for off the main thread, so the event loop (a progress bar, a signal handler) goes on.
 *
 * @example
 * ```ts
 * const r = await runParity({ runs: 500, seed: 42, maxOps: 20, failuresDir: 'parity-failures' });
 * if (r.divergence) console.log(r.divergence.diff);
 * ```
 */
export async function runParity(opts: ParityOptions): Promise<ParityReport> {
  const { fc, planArbitrary, overlayPlanArbitrary, usernsPlanArbitrary } = await loadArbitraries();
  const stats: ParityStats = { compared: 0, emulated: { plans: 0, ms: 0 }, native: { plans: 0, ms: 0 } };
  let passed = 0;
  let shrinking = false;
  let thrown: unknown = null;
  const plans =
    opts.profile === 'overlay'
      ? overlayPlanArbitrary({ maxOps: opts.maxOps })
      : opts.profile === 'userns'
        ? usernsPlanArbitrary({ maxOps: opts.maxOps })
        : planArbitrary({ maxOps: opts.maxOps, propagation: opts.profile === 'propagation' });
  const property = fc.asyncProperty(plans, async (plan) => {
    let equal: boolean;
    try {
      equal = (await comparePlanAsync(plan, stats)).equal;
    } catch (e) {
      thrown ??= e;
      throw e;
    }
    if (equal && !shrinking) passed++;
    if (!equal) shrinking = true;
    opts.onPlan?.(stats);
    return equal;
  });
  const details = await fc.check(property, { numRuns: opts.runs, seed: opts.seed, endOnFailure: false });
  const report: ParityReport = { ...stats, seed: opts.seed, passed };
  // A backend that threw is no divergence but a bug or an unusable backend: let it surface.
  if (thrown !== null) throw thrown;
  if (details.failed && details.counterexample) {
    const plan = details.counterexample[0];
    const { diff } = await comparePlanAsync(plan);
    const divergence: Divergence = { plan, diff };
    if (opts.failuresDir) {
      mkdirSync(opts.failuresDir, { recursive: true });
      const text = corpusText(plan);
      const name = `divergence-${createHash('sha256').update(text).digest('hex').slice(0, 12)}.json`;
      divergence.file = join(opts.failuresDir, name);
      writeFileSync(divergence.file, text);
    }
    report.divergence = divergence;
  }
  return report;
}
