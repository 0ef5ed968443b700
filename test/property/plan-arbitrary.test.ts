/**
 * The parity arbitraries reach what they must: every plan-format op (but mknod and openpty, see
 * below), every mount, umount and rename flag (`shared` and `slave` in the propagation profile),
 * every capability name, and — run on the emulator — each errno the parity issue asks plans to
 * provoke.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planArbitrary, PREFIX, SUFFIX } from '../../src/plan/arbitrary.js';
import { USERNS_OPS, usernsPlanArbitrary } from '../../src/plan/arbitrary-userns.js';
import { runEmulated } from '../../src/plan/emulated.js';
import { CAP_NAMES, MOUNT_ATTR_NAMES, MOUNT_FLAG_NAMES, MOUNT_SETATTR_FLAG_NAMES, OP_FIELDS, OPEN_TREE_FLAG_NAMES, PROPAGATION_NAMES, RENAME_FLAG_NAMES, SETGROUPS_NAMES, UMOUNT_FLAG_NAMES, UNSHARE_FLAG_NAMES, validatePlan, type Plan } from '../../src/plan/plan.js';
import { runsFor, seedFor } from './helpers.js';

const SEED = seedFor(0x5eed_0004);
const plans: Plan[] = fc.sample(planArbitrary({ maxOps: 25 }), { numRuns: runsFor(3000), seed: SEED });

function seen(pick: (op: Plan['ops'][number]) => readonly string[], from: Plan[] = plans): Set<string> {
  const out = new Set<string>();
  for (const p of from) for (const op of p.ops.slice(PREFIX.length, p.ops.length - SUFFIX.length)) for (const x of pick(op)) out.add(x);
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
    // The user-namespace and mount-API ops are the `userns` profile's (below).
    const generated = Object.keys(OP_FIELDS).filter((op) => op !== 'mknod' && op !== 'openpty' && !(USERNS_OPS as readonly string[]).includes(op));
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

const USERNS_SEED = seedFor(0x5eed_0015);
const usernsPlans: Plan[] = fc.sample(usernsPlanArbitrary({ maxOps: 25 }), { numRuns: runsFor(2000), seed: USERNS_SEED });

describe(`userns plan arbitraries (seed ${USERNS_SEED}, ${usernsPlans.length} plans)`, () => {
  const inU = (pick: (op: Plan['ops'][number]) => readonly string[]) => seen(pick, usernsPlans);

  it('are valid plans', () => {
    for (const p of usernsPlans) expect(validatePlan(JSON.parse(JSON.stringify(p)))).toEqual(p);
  });

  it('reach every op but mknod and openpty, the new ones among them', () => {
    const generated = Object.keys(OP_FIELDS).filter((op) => op !== 'mknod' && op !== 'openpty');
    expect([...inU((o) => [o.op])].sort()).toEqual(generated.sort());
  });

  it('reach every unshare namespace, setgroups word and open_tree, mount_setattr and propagation name', () => {
    expect([...inU((o) => (o.op === 'unshare' ? o.flags ?? [] : []))].sort()).toEqual([...UNSHARE_FLAG_NAMES].sort());
    expect([...inU((o) => ((o.op === 'unshare' || o.op === 'userns') && o.setgroups ? [o.setgroups] : []))].sort()).toEqual([...SETGROUPS_NAMES].sort());
    expect([...inU((o) => (o.op === 'open_tree' ? o.flags ?? [] : []))].sort()).toEqual([...OPEN_TREE_FLAG_NAMES].sort());
    expect([...inU((o) => (o.op === 'mount_setattr' ? o.flags ?? [] : []))].sort()).toEqual([...MOUNT_SETATTR_FLAG_NAMES].sort());
    expect([...inU((o) => (o.op === 'mount_setattr' ? [...(o.attrSet ?? []), ...(o.attrClr ?? [])] : []))].sort()).toEqual([...MOUNT_ATTR_NAMES].sort());
    expect([...inU((o) => (o.op === 'mount_setattr' ? o.propagation ?? [] : []))].sort()).toEqual([...PROPAGATION_NAMES].sort());
  });

  it('act on trees by index and by path, and name user namespaces 0 and later ones', () => {
    expect(inU((o) => (o.op === 'mount_setattr' || o.op === 'move_mount' ? [o.tree !== undefined ? 'tree' : 'path'] : []))).toEqual(new Set(['tree', 'path']));
    const userns = inU((o) => (o.op === 'mount_setattr' && o.userns !== undefined ? [o.userns === 0 ? '0' : 'later'] : []));
    expect(userns).toEqual(new Set(['0', 'later']));
  });

  it('provoke the map and idmapped-mount failures, on the emulator', () => {
    const errnos = new Map<string, Set<string>>();
    for (const p of usernsPlans.slice(0, 800)) {
      runEmulated(p, { totalRamPages: 6171021 }).results.forEach((r, i) => {
        const op = p.ops[i]!.op;
        if (!r.ok && 'errno' in r) errnos.set(op, (errnos.get(op) ?? new Set()).add(r.errno));
      });
    }
    // Refused maps and namespaces (map_write(), new_idmap_permitted()); idmaps and trees.
    for (const e of ['EINVAL', 'EPERM']) expect(errnos.get('userns'), `userns ${e}`).toContain(e);
    for (const e of ['EINVAL', 'EPERM']) expect(errnos.get('unshare'), `unshare ${e}`).toContain(e);
    for (const e of ['EINVAL', 'EPERM', 'EBADF']) expect(errnos.get('mount_setattr'), `mount_setattr ${e}`).toContain(e);
    for (const e of ['EINVAL', 'ENOENT']) expect(errnos.get('open_tree'), `open_tree ${e}`).toContain(e);
    for (const e of ['EINVAL', 'EBADF']) expect(errnos.get('move_mount'), `move_mount ${e}`).toContain(e);
  });
});
