import { describe, expect, it } from 'vitest';
import { parsePlan, PlanError, validatePlan } from '../../src/plan/plan.js';

function problem(doc: unknown): string {
  try {
    validatePlan(doc);
  } catch (e) {
    expect(e).toBeInstanceOf(PlanError);
    return (e as PlanError).message;
  }
  throw new Error('plan was accepted');
}

describe('plan validation names the op index and field', () => {
  it.each([
    [{ version: 2, ops: [] }, /^version: unsupported plan version 2/],
    [{ ops: [] }, /^version: missing: a plan says which format it follows, "version": 1/],
    [{ version: 1, ops: [{ op: 'truncate', path: '/a', length: 1e300 }] }, /^ops\[0\]\.length: length 1e\+300 out of range: from -9007199254740991 to 9007199254740991$/],
    [{ version: 1, ops: [{ op: 'truncate', path: '/a', length: 2 ** 53 }] }, /^ops\[0\]\.length: length 9007199254740992 out of range/],
    [{ version: 1, ops: [{ op: 'truncate', path: '/a', length: 1.5 }] }, /^ops\[0\]\.length: expected an integer length, got 1\.5$/],
    [{ version: 1 }, /^ops: expected an array/],
    [[], /^\(plan\): expected a JSON object/],
    [{ version: 1, ops: [42] }, /^ops\[0\]: expected an object/],
    [{ version: 1, ops: [{ op: 'frobnicate' }] }, /^ops\[0\]\.op: unknown op "frobnicate"/],
    [{ version: 1, ops: [{ op: 'mkdir', path: '/a' }, { op: 'mkdir' }] }, /^ops\[1\]\.path: missing \(required by mkdir\)/],
    [{ version: 1, ops: [{ op: 'mkdir', path: 'a' }] }, /^ops\[0\]\.path: must be an absolute path/],
    [{ version: 1, ops: [{ op: 'mkdir', path: '/a', mode: '755' }] }, /^ops\[0\]\.mode: expected an integer/],
    [{ version: 1, ops: [{ op: 'chmod', path: '/a', mode: 0o10000 }] }, /^ops\[0\]\.mode: expected an integer permission mode/],
    [{ version: 1, ops: [{ op: 'mount', source: 'none', target: '/a', fstype: 'tmpfs', flags: ['bind', 'rw'] }] }, /^ops\[0\]\.flags\[1\]: unknown flag "rw"/],
    [{ version: 1, ops: [{ op: 'mount', source: 'none', target: '/a', fstype: 'tmpfs' }] }, /^ops\[0\]\.flags: missing/],
    [{ version: 1, ops: [{ op: 'umount', target: '/a', flags: 'detach' }] }, /^ops\[0\]\.flags: expected an array/],
    [{ version: 1, ops: [{ op: 'rename', oldpath: '/a', newpath: '/b', flags: ['whiteout'] }] }, /^ops\[0\]\.flags\[0\]: unknown flag "whiteout"/],
    [{ version: 1, ops: [{ op: 'setns', ns: -1 }] }, /^ops\[0\]\.ns: expected a namespace index/],
    [{ version: 1, ops: [{ op: 'stat', path: '/a', nofollow: 1 }] }, /^ops\[0\]\.nofollow: expected true or false/],
    [{ version: 1, ops: [{ op: 'unlink', path: '/a', extra: 1 }] }, /^ops\[0\]\.extra: unknown field for unlink/],
    [{ version: 1, ops: [{ op: 'write', path: '/a\u0000b', data: '' }] }, /^ops\[0\]\.path: must not contain a NUL byte/],
    [{ version: 1, ops: [{ op: 'unshare', flags: ['mnt'], uidMap: [[0, 0, 1]] }] }, /^ops\[0\]\.uidMap: only with "user" in flags/],
    [{ version: 1, ops: [{ op: 'unshare', uidMap: [[0, 0, 1]] }] }, /^ops\[0\]\.uidMap: only with "user" in flags/],
    [{ version: 1, ops: [{ op: 'userns', uidMap: [[0, 0]] }] }, /^ops\[0\]\.uidMap\[0\]: expected \[inside, outside, count\], three integers from 0 to 4294967295$/],
    [{ version: 1, ops: [{ op: 'userns', gidMap: [[0, -1, 1]] }] }, /^ops\[0\]\.gidMap\[0\]: expected \[inside, outside, count\]/],
    [{ version: 1, ops: [{ op: 'userns', uidMap: Array.from({ length: 341 }, (_, i) => [i, i, 1]) }] }, /^ops\[0\]\.uidMap: 341 extents; a map holds at most 340 \(UID_GID_MAP_MAX_EXTENTS\)$/],
    [{ version: 1, ops: [{ op: 'userns', setgroups: 'maybe' }] }, /^ops\[0\]\.setgroups: expected one of allow, deny$/],
    [{ version: 1, ops: [{ op: 'open_tree', path: '/a', flags: ['rec'] }] }, /^ops\[0\]\.flags\[0\]: unknown flag "rec"; expected one of clone, recursive, nofollow$/],
    [{ version: 1, ops: [{ op: 'mount_setattr', attrSet: ['rdonly'] }] }, /^ops\[0\]\.path: missing \(mount_setattr takes "path" or "tree"\)$/],
    [{ version: 1, ops: [{ op: 'mount_setattr', path: '/a', tree: 0 }] }, /^ops\[0\]\.tree: mount_setattr takes "path" or "tree", not both$/],
    [{ version: 1, ops: [{ op: 'mount_setattr', tree: -1 }] }, /^ops\[0\]\.tree: expected a tree index/],
    [{ version: 1, ops: [{ op: 'mount_setattr', tree: 0, attrSet: ['ro'] }] }, /^ops\[0\]\.attrSet\[0\]: unknown flag "ro"/],
    [{ version: 1, ops: [{ op: 'mount_setattr', tree: 0, propagation: 'shared' }] }, /^ops\[0\]\.propagation: expected an array of flag names$/],
    [{ version: 1, ops: [{ op: 'mount_setattr', tree: 0, userns: 1.5 }] }, /^ops\[0\]\.userns: expected a user namespace index/],
    [{ version: 1, ops: [{ op: 'move_mount', to: '/b' }] }, /^ops\[0\]\.from: missing \(move_mount takes "from" or "tree"\)$/],
    [{ version: 1, ops: [{ op: 'move_mount', from: 'a', to: '/b' }] }, /^ops\[0\]\.from: must be an absolute path/],
  ])('%j', (doc, re) => {
    expect(problem(doc)).toMatch(re);
  });

  it('accepts every op of plan-format v1', () => {
    const plan = validatePlan({
      version: 1,
      ops: [
        { op: 'mkdir', path: '/a', mode: 0o700 },
        { op: 'write', path: '/a/f', data: 'x' },
        { op: 'symlink', target: 'f', path: '/a/l' },
        { op: 'link', oldpath: '/a/f', newpath: '/a/g' },
        { op: 'unlink', path: '/a/g' },
        { op: 'rmdir', path: '/b' },
        { op: 'rename', oldpath: '/a/f', newpath: '/a/h', flags: ['noreplace'] },
        { op: 'chmod', path: '/a', mode: 0o1777 },
        { op: 'chown', path: '/a', uid: 1, gid: -1 },
        { op: 'truncate', path: '/a/h', length: 3 },
        { op: 'mount', source: 'none', target: '/a', fstype: 'tmpfs', flags: [], data: 'size=1m' },
        { op: 'umount', target: '/a', flags: ['detach'] },
        { op: 'unshare' },
        { op: 'setns', ns: 0 },
        { op: 'stat', path: '/a', nofollow: true },
        { op: 'read', path: '/a/h' },
        { op: 'readdir', path: '/' },
      ],
    });
    expect(plan.ops).toHaveLength(17);
  });

  it('accepts the user-namespace and mount-API ops (docs/plan-format.md)', () => {
    const ops = [
      { op: 'unshare', flags: ['user', 'mnt'], setgroups: 'deny', uidMap: [[0, 100000, 65536]], gidMap: [[0, 100000, 65536]] },
      { op: 'userns', uidMap: [[0, 10000, 1000], [1000, 1000, 1]], gidMap: [] },
      { op: 'userns' },
      { op: 'open_tree', path: '/a', flags: ['clone', 'recursive', 'nofollow'] },
      { op: 'mount_setattr', tree: 0, flags: ['recursive'], attrSet: ['idmap', 'noatime'], attrClr: ['atime'], propagation: ['shared', 'slave'], userns: 2 },
      { op: 'mount_setattr', path: '/a', attrSet: ['rdonly', 'nosuid', 'nodev', 'noexec', 'relatime', 'strictatime', 'nodiratime', 'nosymfollow'] },
      { op: 'move_mount', tree: 7, to: '/b' },
      { op: 'move_mount', from: '/a', to: '/b' },
    ];
    expect(validatePlan({ version: 1, ops }).ops).toEqual(ops);
  });

  it('reports JSON syntax errors as a malformed plan', () => {
    expect(() => parsePlan('{"version": 1,')).toThrow(/^\(plan\): not valid JSON/);
  });
});
