/**
 * The runc profile's plans for user-namespaced containers: on the emulator, the idmapped bind
 * that `idmappedMounts` (runc 1.2's mountFd()) makes; on the host kernel through the native
 * backend, the prediction for each userns example, which the kernel must run as the emulator
 * did, op for op and line for line (`vfsemu dry-run --native`, on this host's facts). runc 1.1 itself holds the rest of the model
 * (test/boot/runc-oracle.test.ts); this holds what no installed runc can: the
 * open_tree/MOUNT_ATTR_IDMAP/move_mount of an idmapped bind inside the container's namespaces.
 *
 * The kernel half needs CAP_SYS_ADMIN (the native backend); it is skipped with the reason
 * printed otherwise.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ASSUMED_HOST } from '../../src/boot/host-facts.js';
import { predictRunc, type RuncPrediction } from '../../src/boot/runc-profile.js';
import { examplesDir, loadExample, runDryRunCommand } from '../../src/cli/dry-run.js';
import { runEmulated } from '../../src/plan/emulated.js';
import type { OpResult } from '../../src/plan/outcome.js';
import { itHasTheBackend, noPrivilege, warnIfSkipped } from './helpers.js';

warnIfSkipped('test/native/runc-userns (the kernel half of the runc user-namespace model)');

/** The example's prediction on the assumed host, without the console (no terminal to bind). */
function predict(name: string, idmappedMounts: boolean): RuncPrediction {
  const { spec, image } = loadExample(join(examplesDir(), name));
  return predictRunc({ ...spec, process: { ...spec.process!, terminal: false } }, { image, host: ASSUMED_HOST, idmappedMounts });
}

/** The owner of the volume's file as the container's init sees it once the prediction has run. */
function ownerSeenInside(idmappedMounts: boolean): [number, number] {
  const p = predict('userns-idmap-mount', idmappedMounts);
  const o = runEmulated({ version: 1, ops: [...p.plan.ops, { op: 'stat', path: '/data/owned-by-host-root' }] }, { policy: false });
  const r = o.results.at(-1) as Extract<OpResult, { ok: true }>;
  return [r.stat!.uid, r.stat!.gid];
}

describe('the runc profile in a user namespace, on the emulator', () => {
  it("makes runc 1.2's idmapped bind when asked: the /data line is idmapped", () => {
    const p = predict('userns-idmap-mount', true);
    expect(p.failure).toBeNull();
    const data = p.view.filter((l) => l.split(' ')[4] === '/data').map((l) => l.split(' ').slice(3).join(' '));
    expect(data).toEqual(['/bundle/vol /data rw,relatime,idmapped - tmpfs none rw,mode=755']);
    expect(p.plan.ops.filter((o) => o.op === 'userns' || o.op === 'open_tree' || o.op === 'mount_setattr' || o.op === 'move_mount').map((o) => o.op)).toEqual(['userns', 'open_tree', 'mount_setattr', 'move_mount']);
  });

  it("shows the host root's file as the container root's through the idmapped bind, as unmapped without it", () => {
    // make_vfsuid(): kuid 0 through the mount's 0:100000 map is kuid 100000, the container's
    // root; runc 1.1's plain bind leaves kuid 0, which the container's namespace does not map.
    expect(ownerSeenInside(true)).toEqual([0, 0]);
    expect(ownerSeenInside(false)).toEqual([65534, 65534]);
  });
});

/** `vfsemu dry-run EXAMPLE --native` (which reads this host, as --native implies --host): exit code and stderr. */
function dryRunNative(name: string, idmappedMounts: boolean): { code: number; err: string } {
  let err = '';
  const code = runDryRunCommand(join(examplesDir(), name), { format: 'mountinfo', native: true, host: false, idmappedMounts }, { out: () => {}, err: (t) => void (err += t) });
  return { code, err };
}

describe.skipIf(noPrivilege)('the runc profile in a user namespace, on the host kernel', () => {
  itHasTheBackend();
  it.each([
    { name: 'userns-default', idmappedMounts: false, code: 0 },
    // The example alone, without its host mounts (host-mounts.json is the recorder's to make):
    // nothing locked nosuid/nodev/noexec, so it runs through; the oracle test holds the EPERM.
    { name: 'userns-locked', idmappedMounts: false, code: 0 },
    { name: 'userns-idmap-mount', idmappedMounts: false, code: 0 },
    { name: 'userns-idmap-mount', idmappedMounts: true, code: 0 },
  ])('$name (idmappedMounts: $idmappedMounts): the kernel runs the predicted plan as the emulator did', ({ name, idmappedMounts, code }) => {
    const r = dryRunNative(name, idmappedMounts);
    expect(r.err).toMatch(/^native: the kernel agrees, op for op and line for line$/m);
    expect(r.code).toBe(code);
  });
});
