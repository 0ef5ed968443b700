/**
 * The parity arbitraries reach what they must: every plan-format op (but mknod and openpty, see
 * below), every mount, umount and rename flag (`shared` and `slave` in the propagation profile),
 * every capability name, and — run on the emulator — each errno the parity issue asks plans to
 * provoke.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planArbitrary, PREFIX, SUFFIX } from '../../src/plan/arbitrary.js';
import { runEmulated } from '../../src/plan/emulated.js';
import { CAP_NAMES, MOUNT_FLAG_NAMES, OP_FIELDS, RENAME_FLAG_NAMES, UMOUNT_FLAG_NAMES, validatePlan, type Plan } from '../../src/plan/plan.js';
import { runsFor, seedFor } from './helpers.js';

const SEED = seedFor(0x5eed_0004);
const plans: Plan[] = fc.sample(planArbitrary({ maxOps: 25 }), { numRuns: runsFor(3000), seed: SEED });

function seen(pick: (op: Plan['ops'][number]) => readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const p of plans) for (const op of p.ops.slice(PREFIX.length, p.ops.length - SUFFIX.length)) for (const x of pick(op)) out.add(x);
  return out;
}

describe(`plan arbitraries (seed ${SEED}, ${plans.length} plans)`, () => {
  it('are valid plans', () => {
    for (const p of plans) expect(validatePlan(JSON.parse(JSON.stringify(p)))).toEqual(p);
  });

  it('reach every op', () => {
    // mknod is not generated: device nodes would be read by later `read` ops, which on the kernel
    // reach real drivers (a block device of the host, /dev/zero without end) while the emulator's
    // devices carry no data. openpty needs a devpts instance; corpus plans cover it.
    const generated = Object.keys(OP_FIELDS).filter((op) => op !== 'mknod' && op !== 'openpty');
    expect([...seen((o) => [o.op])].sort()).toEqual(generated.sort());
  });

  it('reach every mount flag but shared and slave (the propagation profile has those)', () => {
    const flags = seen((o) => (o.op === 'mount' ? o.flags : []));
    expect([...flags].sort()).toEqual(MOUNT_FLAG_NAMES.filter((f) => f !== 'shared' && f !== 'slave').sort());
  });

  it('reach every umount and rename flag and every capability', () => {
    expect([...seen((o) => (o.op === 'umount' ? o.flags ?? [] : []))].sort()).toEqual([...UMOUNT_FLAG_NAMES].sort());
    expect([...seen((o) => (o.op === 'rename' ? o.flags ?? [] : []))].sort()).toEqual([...RENAME_FLAG_NAMES].sort());
    expect([...seen((o) => (o.op === 'setcred' ? o.caps ?? [] : []))].sort()).toEqual([...CAP_NAMES].sort());
  });

  it('provoke the failures that matter, on the emulator', () => {
    const errnos = new Set<string>();
    for (const p of plans.slice(0, 1500)) {
      for (const r of runEmulated(p, { totalRamPages: 6171021 }).results) if (!r.ok && 'errno' in r) errnos.add(r.errno);
    }
    for (const e of ['EBUSY', 'EROFS', 'EXDEV', 'ENOTEMPTY', 'ELOOP', 'ENOTDIR', 'EINVAL', 'EACCES', 'EPERM', 'EEXIST', 'ENOENT', 'ENOSPC', 'EISDIR']) {
      expect(errnos, e).toContain(e);
    }
  });
});
