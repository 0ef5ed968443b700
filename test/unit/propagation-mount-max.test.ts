/**
 * fs.mount-max against the kernel: test/kernel/fixtures-slow/propagation-mount-max.json, recorded
 * from test/kernel/plans-slow/ like the other fixtures (`record.py PLAN -o
 * test/kernel/fixtures-slow`), replayed through the emulator the same way. Plan and recording
 * live apart because reaching the limit takes some 200,000 mounts — about two seconds in the
 * kernel, too slow for the loops that replay every fixture many times (the native backend's
 * speed test).
 *
 * The plan: ns 1 holds 65,536 mounts of its own; binds in ns 0 double a peer group with members
 * in both namespaces until a copy would take ns 1 past 100,000 (ENOSPC, though ns 0 has room);
 * nothing of the failed bind is left, and a later event fails the same way.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compareOutcomes } from '../../src/plan/compare.js';
import { runEmulated } from '../../src/plan/emulated.js';
import type { Outcome } from '../../src/plan/outcome.js';
import { validatePlan } from '../../src/plan/plan.js';

const file = join(dirname(fileURLToPath(import.meta.url)), '..', 'kernel', 'fixtures-slow', 'propagation-mount-max.json');
const doc = JSON.parse(readFileSync(file, 'utf8')) as { plan: unknown; kernel: Omit<Outcome, 'backend'>; kernelOptions: { totalRamPages: number; caps?: string } };

describe('fs.mount-max in a receiving namespace (kernel recording)', () => {
  it('gives the recorded results (ENOSPC included) and mount tables', () => {
    const plan = validatePlan(doc.plan);
    const { totalRamPages, caps } = doc.kernelOptions;
    const emulated = runEmulated(plan, { totalRamPages, ...(caps ? { caps: BigInt(caps) } : {}) });
    expect(emulated.results.filter((r) => !r.ok && 'errno' in r && r.errno === 'ENOSPC')).toHaveLength(2);
    expect(compareOutcomes(plan, { backend: 'kernel', ...doc.kernel }, emulated).diff).toBe('');
  });
});
