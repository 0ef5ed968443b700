/**
 * sysfs superblocks by network namespace: the plans of test/boot/record-sysfs-netns.py, recorded
 * on Linux 6.18 (test/boot/sysfs-netns.json), replayed on the emulator — results exactly, mount
 * tables once ids and device numbers are structural tokens. They are why runc's read-only /sys
 * in a container with its own network namespace shows `- sysfs sysfs ro`. Also: `unshare`'s
 * `flags` extension (validation, EPERM without CAP_SYS_ADMIN) and the native backend's refusal
 * of a network namespace until its addon has CLONE_NEWNET.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createSandbox, CLONE_NEWNET, CLONE_NEWNS, MS_RDONLY } from '../../src/index.js';
import { normaliseMountinfo } from '../../src/plan/compare.js';
import { runEmulated } from '../../src/plan/emulated.js';
import { BackendUnavailable, type OpResult } from '../../src/plan/outcome.js';
import { PlanError, validatePlan, type Plan } from '../../src/plan/plan.js';
import { nativeUnavailableReason, runNative } from '../../src/host/native.js';

interface Recorded {
  plan: Plan;
  kernel: { results: OpResult[]; mountinfo: string[]; namespaces: string[][] };
  recorded: string;
}

const doc = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'sysfs-netns.json'), 'utf8')) as Record<string, Recorded>;

describe('sysfs superblocks follow the network namespace (recorded on the kernel)', () => {
  it.each(Object.keys(doc))('%s', (name) => {
    const { plan, kernel } = doc[name]!;
    const o = runEmulated(validatePlan(plan));
    expect(o.results).toEqual(kernel.results);
    expect(normaliseMountinfo(o)).toEqual(normaliseMountinfo(kernel));
  });

  it('shows what runc relies on: a ro first mount in a new namespace makes an ro superblock', () => {
    expect(doc['sysfs-new-netns']!.kernel.mountinfo.slice(1).map((l) => l.split(' - ')[1])).toEqual(['sysfs sysfs rw', 'sysfs sysfs ro', 'sysfs sysfs ro']);
  });
});

describe('unshare(2) of a network namespace', () => {
  it('needs CAP_SYS_ADMIN, as every namespace unshare does (and unshare(0) does nothing)', () => {
    const o = runEmulated({
      version: 1,
      ops: [
        { op: 'setcred', uid: 0, gid: 0, caps: ['sys_chroot'] },
        { op: 'unshare', flags: ['net'] },
        { op: 'unshare', flags: ['mnt', 'net'] },
        { op: 'unshare', flags: [] },
      ],
    });
    expect(o.results.slice(1)).toEqual([{ ok: false, errno: 'EPERM' }, { ok: false, errno: 'EPERM' }, { ok: true }]);
    expect(o.namespaces.length).toBe(1);
  });

  it('is a Process call too; flags the emulator does not model are EINVAL', () => {
    const p = createSandbox().process;
    p.mkdir('/s');
    p.unshare(CLONE_NEWNS | CLONE_NEWNET);
    expect(p.netns.index).toBe(1);
    expect(p.ns.index).toBe(1);
    p.mount('sysfs', '/s', 'sysfs', MS_RDONLY, null);
    expect(p.mountinfo()).toMatch(/ \/s ro,relatime - sysfs sysfs ro$/m);
    expect(p.fork().netns).toBe(p.netns);
    expect(() => p.unshare(0x08000000)).toThrow(/EINVAL/);
  });

  it('is validated by name: mnt and net', () => {
    expect(validatePlan({ version: 1, ops: [{ op: 'unshare', flags: ['net', 'mnt'] }] }).ops[0]).toEqual({ op: 'unshare', flags: ['net', 'mnt'] });
    expect(() => validatePlan({ version: 1, ops: [{ op: 'unshare', flags: ['pid'] }] })).toThrow(new PlanError('ops[0].flags[0]', 'unknown flag "pid"; expected one of mnt, net'));
  });

  it.skipIf(nativeUnavailableReason() !== null)('is refused by the native backend before anything runs (no CLONE_NEWNET in the addon yet)', () => {
    expect(() => runNative({ version: 1, ops: [{ op: 'mkdir', path: '/a' }, { op: 'unshare', flags: ['mnt', 'net'] }] })).toThrow(BackendUnavailable);
    expect(() => runNative({ version: 1, ops: [{ op: 'unshare', flags: ['net'] }] })).toThrow('the native addon cannot run unshare of a network namespace (CLONE_NEWNET, ops[0]) yet');
    expect(() => runNative({ version: 1, ops: [{ op: 'mkdir', path: '/a' }, { op: 'unshare', flags: [] }] })).toThrow('cannot run unshare(0) (ops[1]) yet');
    // A plain unshare, or flags ["mnt"], is the contract's CLONE_NEWNS and runs.
    expect(runNative({ version: 1, ops: [{ op: 'unshare', flags: ['mnt'] }, { op: 'unshare' }] }).results).toEqual([{ ok: true }, { ok: true }]);
  });
});
