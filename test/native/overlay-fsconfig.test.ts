/**
 * Overlays whose mount data is longer than a page, on the host kernel: through mount(2) the data
 * is cut at 4095 bytes (the emulator cuts it alike); through the new mount API (a `mount` with
 * `fsconfig`, docs/plan-format.md) every one of 500 long-named lower layers is there,
 * on both backends. Needs CAP_SYS_ADMIN; skipped with the reason printed without it.
 */
import { describe, expect, it } from 'vitest';
import { comparePlan } from '../../src/host/parity.js';
import { runNativeSync } from '../../src/host/native.js';
import { dataFitsMount } from '../../src/plan/overlay-data.js';
import type { Plan, PlanOp } from '../../src/plan/plan.js';
import { itHasTheBackend, noPrivilege, warnIfSkipped } from './helpers.js';

warnIfSkipped('test/native/overlay-fsconfig');

/** 500 lower layers named like containerd snapshots, the bottom one holding a file. */
function plan(fsconfig: boolean): Plan {
  const base = '/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots';
  const ops: PlanOp[] = [];
  let p = '';
  for (const c of base.split('/').slice(1)) ops.push({ op: 'mkdir', path: (p += '/' + c) });
  const layers = Array.from({ length: 500 }, (_, i) => `${base}/${i + 1}/fs`);
  for (let i = 1; i <= 500; i++) ops.push({ op: 'mkdir', path: `${base}/${i}` }, { op: 'mkdir', path: `${base}/${i}/fs` });
  ops.push({ op: 'write', path: `${layers[499]}/bottom`, data: 'from layer 500' }, { op: 'mkdir', path: '/m' });
  const data = 'lowerdir=' + layers.join(':');
  expect(dataFitsMount(data)).toBe(false);
  ops.push({ op: 'mount', source: 'ov', target: '/m', fstype: 'overlay', flags: [], data, ...(fsconfig ? { fsconfig: true } : {}) }, { op: 'read', path: '/m/bottom' });
  return { version: 1, ops };
}

describe.skipIf(noPrivilege)('overlay data past a page', () => {
  itHasTheBackend();

  it('mount(2) cuts it: a path cut in two fails the mount, on both backends', () => {
    const r = comparePlan(plan(false));
    expect(r.diff).toBe('');
    expect(r.native.results.at(-2)).toEqual({ ok: false, errno: 'ENOENT' });
  });

  it('the new mount API takes all 500 layers, on both backends', () => {
    const p = plan(true);
    expect(runNativeSync(p).results.at(-1)).toEqual({ ok: true, data: 'from layer 500' });
    expect(comparePlan(p).diff).toBe('');
  });
});
