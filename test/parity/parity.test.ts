/**
 * Parity against the host kernel: every corpus plan (test/parity/corpus/, shrunk counterexamples
 * of divergences since fixed) replays equal on both backends, and random runs of PARITY_RUNS
 * default plans (500 unless set) and half as many propagation plans, with a printed seed
 * (PARITY_SEED to replay another), find no divergence.
 * Needs CAP_SYS_ADMIN; without it the suite is skipped with the reason printed. With it, a missing
 * addon is a failure, not a skip.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { comparePlan, runParity } from '../../src/host/parity.js';
import { parsePlan } from '../../src/plan/plan.js';
import { itHasTheBackend, noPrivilege, warnIfSkipped } from '../native/helpers.js';

warnIfSkipped('test/parity');

const RUNS = Number(process.env.PARITY_RUNS ?? 500);
const SEED = Number(process.env.PARITY_SEED ?? 0x5eed_0005);
const corpusDir = join(dirname(fileURLToPath(import.meta.url)), 'corpus');
const corpus = readdirSync(corpusDir)
  .filter((n) => n.endsWith('.json'))
  .sort();

describe.skipIf(noPrivilege)('parity with the host kernel', () => {
  itHasTheBackend();

  describe.each(corpus)('corpus %s', (name) => {
    it('replays equal on both backends', () => {
      const plan = parsePlan(readFileSync(join(corpusDir, name), 'utf8'));
      const { diff } = comparePlan(plan);
      expect(diff).toBe('');
    });
  });

  it.each([
    ['default', RUNS],
    ['propagation', Math.ceil(RUNS / 2)],
  ] as const)('finds no divergence in random %s plans (seed printed)', async (profile, runs) => {
    const r = await runParity({ runs, seed: SEED, maxOps: profile === 'propagation' ? 40 : 25, profile });
    const rate = (t: { plans: number; ms: number }) => ((t.plans * 1000) / t.ms).toFixed(0);
    console.log(`parity (${profile}): seed ${SEED}, ${r.compared} plans compared; emulated ${rate(r.emulated)} plans/s, native ${rate(r.native)} plans/s`);
    expect(r.divergence ? `${JSON.stringify(r.divergence.plan)}\n${r.divergence.diff}` : '').toBe('');
  }, 600_000);
});
