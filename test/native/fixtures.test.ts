/**
 * The native backend against the kernel recordings of test/kernel/fixtures (made by
 * test/kernel/record.py, which the addon reimplements): every fixture replayed through runNative
 * gives exactly the recorded results, and the recorded mount tables once ids, device numbers and
 * peer groups are normalised (src/plan/compare.ts). Speed is measured by bench/plans.mjs, not here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runNative } from '../../src/host/native.js';
import { compareOutcomes } from '../../src/plan/compare.js';
import type { Outcome } from '../../src/plan/outcome.js';
import { validatePlan, type Plan } from '../../src/plan/plan.js';
import { itHasTheBackend, noPrivilege, warnIfSkipped } from './helpers.js';

warnIfSkipped('test/native/fixtures');

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'kernel', 'fixtures');
const fixtures = readdirSync(dir)
  .filter((n) => n.endsWith('.json'))
  .sort()
  .map((n) => {
    const doc = JSON.parse(readFileSync(join(dir, n), 'utf8')) as { plan: unknown; kernel: Omit<Outcome, 'backend'> };
    return { name: n.replace(/\.json$/, ''), plan: validatePlan(doc.plan), kernel: { backend: 'kernel', ...doc.kernel } as Outcome };
  });

describe.skipIf(noPrivilege)('native backend against kernel recordings', () => {
  itHasTheBackend();

  it('has fixtures', () => {
    expect(fixtures.length).toBeGreaterThan(0);
  });

  describe.each(fixtures)('$name', ({ plan, kernel }) => {
    it('gives the recorded results and mount tables', () => {
      const native = runNative(plan);
      expect(native.backend).toBe('native');
      expect(compareOutcomes(plan, kernel, native).diff).toBe('');
    });
  });
});
