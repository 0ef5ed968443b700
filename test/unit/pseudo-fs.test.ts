/**
 * Pseudo filesystems where the kernel recordings cannot go: what depends on the machine's cgroup
 * layout, and cgroup2's root flags, which a mount on a real host would change for the whole host.
 * The rest (options, super options, modes, errnos) is in test/kernel/fixtures/pseudo-*.json.
 */
import { describe, expect, it } from 'vitest';
import { cgroup2Type, cgroupType, V2_ONLY_LAYOUT } from '../../src/fs/cgroup/cgroup.js';
import { runEmulated } from '../../src/plan/emulated.js';
import type { PlanOp } from '../../src/plan/plan.js';

const mount = (target: string, fstype: string, data: string): PlanOp => ({ op: 'mount', source: fstype, target, fstype, flags: [], data });
// The kernel's model, without the sandbox policy (which refuses cgroup2 options: src/plan/policy.ts).
const run = (ops: PlanOp[], fsTypes = [cgroupType(), cgroup2Type()]) =>
  runEmulated({ version: 1, ops: [...['/a', '/b', '/c', '/d'].map((path): PlanOp => ({ op: 'mkdir', path })), ...ops] }, { fsTypes, policy: false });

describe('cgroup v1 hierarchies', () => {
  const hybrid = { ...V2_ONLY_LAYOUT, hierarchies: [{ subsystems: ['cpu'] }, { subsystems: ['cpuacct'] }, { subsystems: [], name: 'systemd' }] };

  it('mount an existing hierarchy again (one superblock), and refuse a controller set that straddles two', () => {
    const o = run([mount('/a', 'cgroup', 'cpu'), mount('/b', 'cgroup', 'cpu'), mount('/c', 'cgroup', 'cpu,cpuacct'), mount('/d', 'cgroup', 'none,name=systemd')], [cgroupType(hybrid)]);
    expect(o.results.slice(4)).toEqual([{ ok: true }, { ok: true }, { ok: false, errno: 'EBUSY' }, { ok: true }]);
    const dev = (l: string) => l.split(' ')[2];
    expect(dev(o.mountinfo[1]!)).toBe(dev(o.mountinfo[2]!));
    expect(o.mountinfo.map((l) => l.split(' - ')[1])).toEqual(['tmpfs none rw,mode=755', 'cgroup cgroup rw,cpu', 'cgroup cgroup rw,cpu', 'cgroup cgroup rw,name=systemd']);
  });

  it('on a v2-only machine: controllers are busy, a named hierarchy is new, a name alone is EINVAL', () => {
    const o = run([mount('/a', 'cgroup', 'memory'), mount('/b', 'cgroup', 'none,name=x'), mount('/c', 'cgroup', 'name=y'), mount('/d', 'cgroup', 'name=x')]);
    expect(o.results.slice(4)).toEqual([{ ok: false, errno: 'EBUSY' }, { ok: true }, { ok: false, errno: 'EINVAL' }, { ok: true }]);
  });
});

describe('cgroup2', () => {
  it('shows the root flags the last mount set, on every mount of the one superblock', () => {
    const o = run([mount('/a', 'cgroup2', 'nsdelegate,memory_recursiveprot'), mount('/b', 'cgroup2', ''), mount('/c', 'cgroup2', 'nsdelegate=1')]);
    expect(o.results.slice(4)).toEqual([{ ok: true }, { ok: true }, { ok: false, errno: 'EINVAL' }]);
    expect(o.mountinfo.slice(1).map((l) => l.split(' - ')[1])).toEqual(['cgroup2 cgroup2 rw', 'cgroup2 cgroup2 rw']);
  });
});
