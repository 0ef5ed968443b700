/**
 * The native backend against the kernel recordings of test/kernel/fixtures (made by
 * test/kernel/record.py, which the addon reimplements): every fixture replayed through runNativeSync
 * gives exactly the recorded results, and the recorded mount tables once ids, device numbers and
 * peer groups are normalised (src/plan/compare.ts). Speed is measured by bench/plans.mjs, not here.
 *
 * A recording is of one machine, whose facts it keeps (`kernelOptions`: RAM pages, capabilities).
 * Where an outcome depends on a fact this machine does not share (tmpfs `size=10%` is a tenth of
 * the RAM), the expectation here is derived: the emulator under the recorded facts must give the
 * recording exactly, and the kernel must then give what the emulator gives under this machine's
 * facts. Every other fixture is compared with the recording itself.
 *
 * The recordings are of the bare kernel (record.py); the native backend runs plans under the
 * sandbox policy (src/plan/policy.ts). An op the policy refuses is expected as `refused` where the
 * recording has it failing — a failed op changed nothing, so the rest of the recording holds as
 * it is. A recording in which a refused op succeeded would make no sound expectation: the test
 * says so instead of guessing.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runNativeSync } from '../../src/host/native.js';
import { hostMachine } from '../../src/host/parity.js';
import { compareOutcomes } from '../../src/plan/compare.js';
import { runEmulated, type EmulatedOptions } from '../../src/plan/emulated.js';
import type { Outcome } from '../../src/plan/outcome.js';
import { validatePlan, type Plan } from '../../src/plan/plan.js';
import { itHasTheBackend, noPrivilege, warnIfSkipped } from './helpers.js';

warnIfSkipped('test/native/fixtures');

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'kernel', 'fixtures');
const fixtures = readdirSync(dir)
  .filter((n) => n.endsWith('.json'))
  .sort()
  .map((n) => {
    const doc = JSON.parse(readFileSync(join(dir, n), 'utf8')) as {
      plan: unknown;
      kernel: Omit<Outcome, 'backend'>;
      kernelOptions: { totalRamPages: number; caps?: string };
    };
    const { totalRamPages, caps } = doc.kernelOptions;
    const recordedOn: EmulatedOptions = { totalRamPages, ...(caps ? { caps: BigInt(caps) } : {}) };
    return { name: n.replace(/\.json$/, ''), plan: validatePlan(doc.plan), kernel: { backend: 'kernel', ...doc.kernel } as Outcome, recordedOn };
  });

/**
 * What the kernel must give here: the recording, unless the outcome depends on a recorded fact
 * that differs on this machine; then the emulator's outcome for this machine, once the emulator
 * has been shown to give the recording for the recording machine.
 */
function expectedHere(plan: Plan, kernel: Outcome, recordedOn: EmulatedOptions): Outcome {
  return underPolicy(plan, forThisMachine(plan, kernel, recordedOn), recordedOn);
}

function forThisMachine(plan: Plan, kernel: Outcome, recordedOn: EmulatedOptions): Outcome {
  const bare = { ...recordedOn, policy: false };
  const here = { ...bare, totalRamPages: hostMachine().totalRamPages };
  if (here.totalRamPages === recordedOn.totalRamPages) return kernel;
  const there = runEmulated(plan, bare);
  const derived = runEmulated(plan, here);
  if (compareOutcomes(plan, there, derived).diff === '') return kernel;
  expect(compareOutcomes(plan, kernel, there).diff, 'the emulator reproduces the recording for the recording machine').toBe('');
  return { ...derived, backend: 'kernel' };
}

/** The bare kernel's outcome with the ops the policy refuses (by the emulator's verdict) as `refused`. */
function underPolicy(plan: Plan, kernel: Outcome, recordedOn: EmulatedOptions): Outcome {
  const policed = runEmulated(plan, recordedOn);
  const results = kernel.results.map((r, i) => {
    const p = policed.results[i]!;
    if (!('refused' in p)) return r;
    expect(r.ok, `op ${i} ${JSON.stringify(plan.ops[i])} is refused by the policy but succeeded when recorded`).toBe(false);
    return p;
  });
  return { ...kernel, results };
}

describe.skipIf(noPrivilege)('native backend against kernel recordings', () => {
  itHasTheBackend();

  it('has fixtures', () => {
    expect(fixtures.length).toBeGreaterThan(0);
  });

  describe.each(fixtures)('$name', ({ plan, kernel, recordedOn }) => {
    it('gives the recorded results and mount tables (derived for this machine where it differs)', () => {
      const expected = expectedHere(plan, kernel, recordedOn);
      const native = runNativeSync(plan);
      expect(native.backend).toBe('native');
      expect(compareOutcomes(plan, expected, native).diff).toBe('');
    });
  });
});
