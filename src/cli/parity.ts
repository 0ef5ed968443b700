/**
 * `vfsemu parity [--runs N] [--seed S] [--max-ops K] [--profile default|propagation|overlay|userns]`: the parity
 * harness outside vitest. A
 * progress bar (cli-progress: a maintained bar that handles TTY widths and non-TTY output, less
 * code than a hand-drawn one) while plans run; then plans/s for each backend and the shrunk plan
 * with its diff on a divergence. Exit 0 with no divergence, 1 with one, 3 when the native backend
 * cannot run here.
 */
import { SingleBar } from 'cli-progress';
import { nativeUnavailableReason } from '../host/native.js';
import { FastCheckMissing, runParity, type ParityProfile, type ParityReport } from '../host/parity.js';
import type { CliIo } from './plan-run.js';

export interface ParityCliOptions {
  runs: number;
  /** Which plans (src/host/parity.ts ParityProfile). */
  profile?: ParityProfile;
  seed: number;
  maxOps: number;
  failuresDir: string;
  progress: boolean;
}

/** Parses a non-negative integer option, or names the option at fault. */
export function intOption(name: string, text: string, min: number): number | string {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min) return `${name}: expected an integer >= ${min}, got ${JSON.stringify(text)}`;
  return n;
}

const rate = (t: { plans: number; ms: number }): string => (t.ms > 0 ? ((t.plans * 1000) / t.ms).toFixed(0) : '-');

/** The summary table: plans and plans/s a backend, then the verdict. */
export function formatReport(r: ParityReport, runs: number): string {
  const rows = [
    ['backend', 'plans', 'plans/s'],
    ['emulated', String(r.emulated.plans), rate(r.emulated)],
    ['native', String(r.native.plans), rate(r.native)],
  ];
  const w = [0, 1, 2].map((i) => Math.max(...rows.map((row) => row[i]!.length)));
  let s = rows.map((row) => row.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ')).join('\n') + '\n';
  if (!r.divergence) {
    s += `${runs} random plans compared (seed ${r.seed}): 0 divergences\n`;
    return s;
  }
  s += `divergence after ${r.passed} equal plans (seed ${r.seed}); shrunk plan:\n`;
  s += JSON.stringify(r.divergence.plan, null, 1).replace(/\n\s*/g, ' ') + '\n';
  s += r.divergence.diff + '\n';
  if (r.divergence.file) s += `written to ${r.divergence.file}: move it under test/parity/corpus/ once fixed or documented\n`;
  return s;
}

export async function runParityCommand(opts: ParityCliOptions, io: CliIo): Promise<number> {
  const reason = nativeUnavailableReason();
  if (reason) {
    io.err(`vfsemu: backend native cannot run here: ${reason}\n`);
    return 3;
  }
  io.out(`parity: ${opts.runs} ${opts.profile ?? 'default'} plans, seed ${opts.seed}, up to ${opts.maxOps} random ops each\n`);
  const bar = opts.progress ? new SingleBar({ format: 'parity [{bar}] {value}/{total} plans | {compared} compared | {eta_formatted}', hideCursor: true }) : null;
  bar?.start(opts.runs, 0, { compared: 0 });
  let report: ParityReport;
  try {
    report = await runParity({
      runs: opts.runs,
      seed: opts.seed,
      maxOps: opts.maxOps,
      profile: opts.profile,
      failuresDir: opts.failuresDir,
      onPlan: (s) => bar?.update(Math.min(s.compared, opts.runs), { compared: s.compared }),
    });
  } catch (e) {
    if (!(e instanceof FastCheckMissing)) throw e;
    bar?.stop();
    io.err(`vfsemu: ${e.message}\n`);
    return 3;
  } finally {
    bar?.stop();
  }
  io.out(formatReport(report, opts.runs));
  return report.divergence ? 1 : 0;
}
