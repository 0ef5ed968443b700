/**
 * The kernel half of test/unit/userns-idmap-propagation.test.ts: the same calls as plans, whose
 * results and mountinfo (ids, devices and peer groups as tokens) the host kernel gave on Linux
 * 6.18 through the native backend. Each plan is held against the kernel again where this process
 * may run it, and against the emulator everywhere. The rule: need_secondary() (fs/pnode.c) gives
 * no copy to a receiver in an anonymous namespace, while propagate_mnt()'s walk still goes
 * through it to its slaves; a copy keeps the original's idmapping (clone_mnt()).
 */
import { describe, expect, it } from 'vitest';
import { runNativeSync } from '../../src/host/native.js';
import { hostMachine } from '../../src/host/parity.js';
import { normaliseMountinfo } from '../../src/plan/compare.js';
import { runEmulated } from '../../src/plan/emulated.js';
import type { OpResult, Outcome } from '../../src/plan/outcome.js';
import type { Plan, PlanOp } from '../../src/plan/plan.js';
import { itHasTheBackend, noPrivilege, warnIfSkipped } from './helpers.js';

warnIfSkipped('test/native/userns-idmap-propagation (the kernel half; the emulator half runs)');

const OK: OpResult = { ok: true };
const stat = (type: 'file' | 'dir', mode: number, uid: number, gid: number, size: number, nlink: number): OpResult => ({ ok: true, stat: { type, mode, uid, gid, size, nlink } });
const names = (...n: string[]): OpResult => ({ ok: true, names: n });

interface Case {
  name: string;
  ops: PlanOp[];
  results: OpResult[];
  /** The final mountinfo, normalised (src/plan/compare.ts). */
  table: string[];
}

const CASES: Case[] = [
  {
    name: 'an idmapped tree attached under a shared mount: an idmapped copy in the attached peer, none in the detached one',
    ops: [
      { op: 'mkdir', path: '/a' },
      { op: 'mkdir', path: '/b' },
      { op: 'mkdir', path: '/a/x' },
      { op: 'mkdir', path: '/s' },
      { op: 'mkdir', path: '/t' },
      { op: 'write', path: '/s/f', data: 'x' },
      { op: 'mount_setattr', path: '/', propagation: ['shared'] },
      { op: 'mount', source: '/a', target: '/b', fstype: '', flags: ['bind'] },
      { op: 'open_tree', path: '/', flags: ['clone'] },
      { op: 'userns', uidMap: [[0, 10000, 1000]], gidMap: [[0, 10000, 1000]] },
      { op: 'open_tree', path: '/s', flags: ['clone'] },
      { op: 'mount_setattr', tree: 1, attrSet: ['idmap'], userns: 1 },
      { op: 'move_mount', tree: 1, to: '/a/x' },
      { op: 'move_mount', tree: 0, to: '/t' },
      { op: 'stat', path: '/a/x/f' },
      { op: 'stat', path: '/b/x/f' },
      { op: 'stat', path: '/s/f' },
      { op: 'readdir', path: '/t/a/x' },
    ],
    results: [
      ...Array<OpResult>(14).fill(OK),
      stat('file', 0o644, 10000, 10000, 1, 1),
      stat('file', 0o644, 10000, 10000, 1, 1),
      stat('file', 0o644, 0, 0, 1, 1),
      names(),
    ],
    table: [
      'M1 ^ D1 / / rw,relatime shared:P1 - tmpfs none rw,mode=755',
      'M2 M1 D1 /a /b rw,relatime shared:P1 - tmpfs none rw,mode=755',
      'M3 M1 D1 / /t rw,relatime shared:P1 - tmpfs none rw,mode=755',
      'M4 M1 D1 /s /a/x rw,relatime,idmapped shared:P1 - tmpfs none rw,mode=755',
      'M5 M2 D1 /s /b/x rw,relatime,idmapped shared:P1 - tmpfs none rw,mode=755',
    ],
  },
  {
    name: 'the parity plan, shrunk: trees attached onto peers, copies only in the attached ones',
    ops: [
      { op: 'mkdir', path: '/a' },
      { op: 'mount_setattr', path: '/', propagation: ['shared'] },
      { op: 'open_tree', path: '/', flags: ['clone'] },
      { op: 'move_mount', tree: 0, to: '/a' },
      { op: 'open_tree', path: '/', flags: ['clone'] },
      { op: 'userns', uidMap: [[0, 100000, 65536]], gidMap: [[0, 100000, 65536]] },
      { op: 'open_tree', path: '/', flags: ['clone'] },
      { op: 'mount_setattr', tree: 2, attrSet: ['idmap'], userns: 1 },
      { op: 'move_mount', tree: 2, to: '/a' },
      { op: 'move_mount', tree: 1, to: '/' },
      { op: 'stat', path: '/a' },
      { op: 'stat', path: '/a/a' },
      { op: 'readdir', path: '/a/a' },
    ],
    results: [...Array<OpResult>(10).fill(OK), stat('dir', 0o755, 0, 0, 60, 3), stat('dir', 0o755, 0, 0, 40, 2), names()],
    table: [
      'M1 ^ D1 / / rw,relatime shared:P1 - tmpfs none rw,mode=755',
      'M2 M1 D1 / /a rw,relatime shared:P1 - tmpfs none rw,mode=755',
      'M3 M4 D1 / / rw,relatime shared:P1 - tmpfs none rw,mode=755',
      'M5 M6 D1 / /a rw,relatime,idmapped shared:P1 - tmpfs none rw,mode=755',
      'M4 M7 D1 / / rw,relatime,idmapped shared:P1 - tmpfs none rw,mode=755',
      'M6 M2 D1 / /a rw,relatime shared:P1 - tmpfs none rw,mode=755',
      'M7 M1 D1 / / rw,relatime shared:P1 - tmpfs none rw,mode=755',
      'M8 M5 D1 / /a rw,relatime shared:P1 - tmpfs none rw,mode=755',
    ],
  },
  {
    name: 'a slave of the detached tree being attached gets its copy, through it',
    ops: [
      { op: 'mkdir', path: '/b' },
      { op: 'mkdir', path: '/t' },
      { op: 'mount_setattr', path: '/', propagation: ['shared'] },
      { op: 'open_tree', path: '/', flags: ['clone'] },
      { op: 'mount', source: '/', target: '/b', fstype: '', flags: ['bind'] },
      { op: 'mount', source: '', target: '/b', fstype: '', flags: ['slave'] },
      { op: 'move_mount', tree: 0, to: '/t' },
      { op: 'readdir', path: '/b/t' },
    ],
    results: [...Array<OpResult>(7).fill(OK), names('b', 't')],
    table: [
      'M1 ^ D1 / / rw,relatime shared:P1 - tmpfs none rw,mode=755',
      'M2 M1 D1 / /t rw,relatime shared:P1 - tmpfs none rw,mode=755',
      'M3 M1 D1 / /b rw,relatime master:P1 - tmpfs none rw,mode=755',
      'M4 M3 D1 / /b/t rw,relatime master:P1 - tmpfs none rw,mode=755',
    ],
  },
];

function check(o: Outcome, c: Case): void {
  expect(o.results).toEqual(c.results);
  expect(normaliseMountinfo({ mountinfo: o.mountinfo, namespaces: [] }).mountinfo).toEqual(c.table);
}

const plan = (c: Case): Plan => ({ version: 1, ops: c.ops });

describe('detached trees and propagation on the emulator', () => {
  it.each(CASES)('$name', (c) => check(runEmulated(plan(c), hostMachine()), c));
});

describe.skipIf(noPrivilege)('detached trees and propagation on the host kernel', () => {
  itHasTheBackend();
  it.each(CASES)('$name', (c) => check(runNativeSync(plan(c)), c));
});
