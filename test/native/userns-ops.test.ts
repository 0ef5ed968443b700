/**
 * The user-namespace and mount-API plan ops (docs/plan-format.md `unshare` with `user`, `userns`,
 * `open_tree`, `mount_setattr`, `move_mount`) on both backends: each plan's results and the
 * mountinfo line it makes, as the host kernel gave them (observed with the native backend on
 * Linux 6.18), held against the kernel again where this process may run it, and against the
 * emulator everywhere.
 */
import { describe, expect, it } from 'vitest';
import { runNativeSync } from '../../src/host/native.js';
import { hostMachine } from '../../src/host/parity.js';
import { runEmulated } from '../../src/plan/emulated.js';
import type { OpResult, Outcome } from '../../src/plan/outcome.js';
import type { Plan, PlanOp } from '../../src/plan/plan.js';
import { itHasTheBackend, noPrivilege, warnIfSkipped } from './helpers.js';

warnIfSkipped('test/native/userns-ops (the kernel half; the emulator half runs)');

const OK: OpResult = { ok: true };
const err = (errno: string): OpResult => ({ ok: false, errno });
const stat = (type: 'file' | 'dir', mode: number, uid: number, gid: number, size: number, nlink: number): OpResult => ({ ok: true, stat: { type, mode, uid, gid, size, nlink } });

/** A mountinfo line without the numbers a backend chooses (id, parent id, MAJ:MIN). */
const unnumbered = (line: string): string => line.split(' ').slice(3).join(' ');

interface Case {
  name: string;
  ops: PlanOp[];
  results: OpResult[];
  /** The plan's last mountinfo line (the mount it made or changed), unnumbered. */
  line: string;
}

const CASES: Case[] = [
  {
    name: "containerd's idmapped mount: userns, open_tree clone, mount_setattr idmap, move_mount",
    ops: [
      { op: 'mkdir', path: '/src' },
      { op: 'mkdir', path: '/dst' },
      { op: 'write', path: '/src/f', data: 'x' },
      { op: 'userns', uidMap: [[0, 10000, 1000]], gidMap: [[0, 10000, 1000]] },
      { op: 'open_tree', path: '/src', flags: ['clone'] },
      { op: 'mount_setattr', tree: 0, attrSet: ['idmap'], userns: 1 },
      { op: 'move_mount', tree: 0, to: '/dst' },
      { op: 'stat', path: '/dst/f' },
      { op: 'stat', path: '/src/f' },
    ],
    results: [OK, OK, OK, OK, OK, OK, OK, stat('file', 0o644, 10000, 10000, 1, 1), stat('file', 0o644, 0, 0, 1, 1)],
    line: '/src /dst rw,relatime,idmapped - tmpfs none rw,mode=755',
  },
  {
    name: 'unshare of user and mount namespaces with full maps, then a tmpfs mounted inside',
    ops: [
      { op: 'write', path: '/f', data: 'x' },
      { op: 'mkdir', path: '/a' },
      { op: 'unshare', flags: ['user', 'mnt'], setgroups: 'deny', uidMap: [[0, 100000, 65536]], gidMap: [[0, 100000, 65536]] },
      { op: 'stat', path: '/f' },
      { op: 'mount', source: 'u', target: '/a', fstype: 'tmpfs', flags: [] },
      { op: 'stat', path: '/a' },
      // The sandbox root is locked in the less privileged copy (MNT_LOCKED).
      { op: 'umount', target: '/' },
    ],
    results: [OK, OK, OK, stat('file', 0o644, 65534, 65534, 1, 1), OK, stat('dir', 0o1777, 65534, 65534, 40, 2), err('EINVAL')],
    line: '/ /a rw,relatime - tmpfs u rw',
  },
  {
    name: 'mount_setattr by path: flags, an atime change, propagation; its refusals',
    ops: [
      { op: 'mkdir', path: '/a' },
      { op: 'mount', source: 't', target: '/a', fstype: 'tmpfs', flags: [] },
      { op: 'mount_setattr', path: '/a', attrSet: ['rdonly', 'nosuid', 'noatime'], attrClr: ['atime'], propagation: ['shared'] },
      // An atime without MOUNT_ATTR__ATIME cleared; two propagation types.
      { op: 'mount_setattr', path: '/a', attrSet: ['noatime'] },
      { op: 'mount_setattr', path: '/a', propagation: ['shared', 'slave'] },
    ],
    results: [OK, OK, OK, err('EINVAL'), err('EINVAL')],
    line: '/ /a ro,nosuid,noatime shared:1 - tmpfs t rw',
  },
  {
    name: 'tree indices: an open_tree that failed, the initial user namespace, a map the kernel refuses',
    ops: [
      { op: 'mkdir', path: '/a' },
      // AT_RECURSIVE without OPEN_TREE_CLONE: EINVAL, so tree 0 names no descriptor (EBADF).
      { op: 'open_tree', path: '/a', flags: ['recursive'] },
      { op: 'mount_setattr', tree: 0, attrSet: ['rdonly'] },
      { op: 'open_tree', path: '/', flags: ['clone'] },
      // init_user_ns is no idmapping (EPERM); overlapping extents are EINVAL, and their namespace no descriptor.
      { op: 'mount_setattr', tree: 1, attrSet: ['idmap'], userns: 0 },
      { op: 'userns', uidMap: [[0, 1000, 10], [5, 2000, 10]] },
      { op: 'mount_setattr', tree: 1, attrSet: ['idmap'], userns: 1 },
      { op: 'move_mount', tree: 1, to: '/a' },
      { op: 'mount_setattr', tree: 1, attrSet: ['nodev'], flags: ['recursive'] },
    ],
    results: [OK, err('EINVAL'), err('EBADF'), OK, err('EPERM'), err('EINVAL'), err('EBADF'), OK, OK],
    line: '/ /a rw,nodev,relatime - tmpfs none rw,mode=755',
  },
];

function check(o: Outcome, c: Case): void {
  expect(o.results).toEqual(c.results);
  expect(unnumbered(o.mountinfo.at(-1) ?? '')).toBe(c.line);
}

const plan = (c: Case): Plan => ({ version: 1, ops: c.ops });

describe('user-namespace and mount-API ops on the emulator', () => {
  it.each(CASES)('$name', (c) => check(runEmulated(plan(c), hostMachine()), c));
});

describe.skipIf(noPrivilege)('user-namespace and mount-API ops on the host kernel', () => {
  itHasTheBackend();
  it.each(CASES)('$name', (c) => check(runNativeSync(plan(c)), c));
});
