/**
 * Overlay parity against the host kernel: OVERLAY_PARITY_RUNS random overlay plans (default 300;
 * src/plan/arbitrary-overlay.ts — layers on tmpfs, an overlay mounted with random options, ops
 * through it, then the merged view and every layer read back) with a printed seed
 * (OVERLAY_PARITY_SEED to replay another) find no divergence. The corpus of shrunk overlay
 * divergences (test/parity/corpus/overlay-*.json) is replayed by test/parity/parity.test.ts with
 * the rest. Needs CAP_SYS_ADMIN; without it the suite is skipped with the reason printed.
 */
import { describe, expect, it } from 'vitest';
import { runParity } from '../../src/host/parity.js';
import { itHasTheBackend, noPrivilege, warnIfSkipped } from '../native/helpers.js';

warnIfSkipped('test/parity/overlay');

const RUNS = Number(process.env.OVERLAY_PARITY_RUNS ?? 300);
const SEED = Number(process.env.OVERLAY_PARITY_SEED ?? 0x0ae1_0006);

describe.skipIf(noPrivilege)('overlay parity with the host kernel', () => {
  itHasTheBackend();

  it(`finds no divergence in ${RUNS} random overlay plans (seed ${SEED})`, async () => {
    const r = await runParity({ runs: RUNS, seed: SEED, maxOps: 25, profile: 'overlay' });
    const rate = (t: { plans: number; ms: number }) => ((t.plans * 1000) / t.ms).toFixed(0);
    console.log(`overlay parity: seed ${SEED}, ${r.compared} plans compared; emulated ${rate(r.emulated)} plans/s, native ${rate(r.native)} plans/s`);
    expect(r.divergence ? `${JSON.stringify(r.divergence.plan)}\n${r.divergence.diff}` : '').toBe('');
  }, 600_000);
});
