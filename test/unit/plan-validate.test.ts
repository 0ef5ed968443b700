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

  it('reports JSON syntax errors as a malformed plan', () => {
    expect(() => parsePlan('{"version": 1,')).toThrow(/^\(plan\): not valid JSON/);
  });
});
