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
import { compareOutcomes, normaliseMountinfo } from '../../src/plan/compare.js';
import { hostMachine } from '../../src/host/parity.js';
import { runEmulated } from '../../src/plan/emulated.js';
import type { OpResult } from '../../src/plan/outcome.js';
import { PlanError, UNSHARE_FLAG_NAMES, validatePlan, type Plan } from '../../src/plan/plan.js';
import { runNativeSync } from '../../src/host/native.js';
import { noPrivilege, warnIfSkipped } from '../native/helpers.js';

warnIfSkipped('test/boot/sysfs-netns (native)');

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
    expect(() => p.unshare(0x04000000)).toThrow(/EINVAL/); // CLONE_NEWUTS, not modelled
  });

  it('is validated by name', () => {
    expect(validatePlan({ version: 1, ops: [{ op: 'unshare', flags: ['net', 'mnt'] }] }).ops[0]).toEqual({ op: 'unshare', flags: ['net', 'mnt'] });
    expect(() => validatePlan({ version: 1, ops: [{ op: 'unshare', flags: ['time'] }] })).toThrow(new PlanError('ops[0].flags[0]', `unknown flag "time"; expected one of ${UNSHARE_FLAG_NAMES.join(', ')}`));
  });

  it.skipIf(noPrivilege)('runs the same on the kernel through the native backend (CLONE_NEWNET in the child)', () => {
    const plan = {
      version: 1 as const,
      ops: [
        { op: 'mkdir' as const, path: '/s' },
        { op: 'mkdir' as const, path: '/t' },
        { op: 'unshare' as const, flags: ['mnt' as const, 'net' as const] },
        { op: 'mount' as const, source: 'sysfs', target: '/s', fstype: 'sysfs', flags: ['rdonly' as const] },
        { op: 'mount' as const, source: 'sysfs', target: '/t', fstype: 'sysfs', flags: [] },
        { op: 'unshare' as const, flags: [] },
        { op: 'unshare' as const, flags: ['net' as const] },
      ],
    };
    const native = runNativeSync(plan);
    expect(native.results.every((r) => r.ok)).toBe(true);
    expect(compareOutcomes(plan, runEmulated(plan, hostMachine()), native).diff).toBe('');
  });

});
