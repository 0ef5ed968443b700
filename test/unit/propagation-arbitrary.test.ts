/**
 * The parity arbitraries in propagation mode (`planArbitrary({ propagation: true })`) make plans
 * that exercise propagation: valid plans, with `shared` and `slave` among their flags, several
 * namespaces, and — run on the emulator — mount tables where most plans have shared mounts and
 * many have slaves and peer groups that span namespaces.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planArbitrary } from '../../src/plan/arbitrary.js';
import { runEmulated } from '../../src/plan/emulated.js';
import { validatePlan } from '../../src/plan/plan.js';

const plans = fc.sample(planArbitrary({ maxOps: 40, propagation: true }), { numRuns: 300, seed: 0x5eed_0005 });

describe('propagation-mode plan arbitraries', () => {
  it('are valid plans of at most maxOps random ops, with shared, slave, unshare and setns', () => {
    const flags = new Set<string>();
    const ops = new Set<string>();
    for (const p of plans) {
      expect(validatePlan(JSON.parse(JSON.stringify(p)))).toEqual(p);
      for (const op of p.ops) {
        ops.add(op.op);
        if (op.op === 'mount') for (const f of op.flags) flags.add(f);
      }
    }
    for (const f of ['shared', 'slave', 'private', 'unbindable', 'bind', 'rec', 'move']) expect(flags, f).toContain(f);
    for (const o of ['unshare', 'setns', 'umount']) expect(ops, o).toContain(o);
  });

  it('build shared trees that reach slaves and other namespaces', () => {
    let shared = 0;
    let slave = 0;
    let acrossNamespaces = 0;
    for (const p of plans.slice(0, 150)) {
      const tables = runEmulated(p, { totalRamPages: 6171021 }).namespaces;
      const all = tables.flat();
      if (all.some((l) => / shared:/.test(l))) shared++;
      if (all.some((l) => / master:/.test(l))) slave++;
      const groups = tables.map((t) => new Set(t.flatMap((l) => [...l.matchAll(/shared:(\d+)/g)].map((m) => m[1]))));
      if (groups.some((g, i) => [...g].some((id) => groups.some((h, j) => j !== i && h.has(id))))) acrossNamespaces++;
    }
    expect(shared).toBeGreaterThan(150 * 0.5);
    expect(slave).toBeGreaterThan(150 * 0.15);
    expect(acrossNamespaces).toBeGreaterThan(150 * 0.15);
  });
});
