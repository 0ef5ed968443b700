/**
 * Outcome comparison (src/plan/compare.ts) and the identity calls behind the plan op `setcred`
 * (src/vfs/cred-syscalls.ts): capabilities(7) "Effect of user ID changes on capabilities" with
 * keep-caps, setgroups(2)/setresuid(2)/capset(2) permission rules.
 */
import { describe, expect, it } from 'vitest';
import { compareOutcomes, lineDiff } from '../../src/plan/compare.js';
import { runEmulated } from '../../src/plan/emulated.js';
import type { Outcome } from '../../src/plan/outcome.js';
import { validatePlan, type Plan } from '../../src/plan/plan.js';
import { ALL_CAPS, Cap, Credentials } from '../../src/index.js';
import { capset, setgroups, setresgid, setresuid } from '../../src/vfs/cred-syscalls.js';
import { errOf } from './helpers.js';

const plan: Plan = { version: 1, ops: [{ op: 'mkdir', path: '/a' }, { op: 'readdir', path: '/' }] };
const outcome = (backend: string, over: Partial<Outcome> = {}): Outcome => ({
  backend,
  results: [{ ok: true }, { ok: true, names: ['a'] }],
  mountinfo: ['84 64 0:39 / / rw,relatime - tmpfs none rw,mode=755'],
  namespaces: [['84 64 0:39 / / rw,relatime - tmpfs none rw,mode=755']],
  ...over,
});

describe('compareOutcomes', () => {
  it('treats ids, devices and the outside parent as structure only', () => {
    const b = outcome('native', { mountinfo: ['300 12 0:77 / / rw,relatime - tmpfs none rw,mode=755'], namespaces: [['300 12 0:77 / / rw,relatime - tmpfs none rw,mode=755']] });
    expect(compareOutcomes(plan, outcome('emulated'), b)).toEqual({ equal: true, diff: '' });
  });

  it('names the op whose result differs', () => {
    const b = outcome('native', { results: [{ ok: false, errno: 'EEXIST' }, { ok: true, names: ['a'] }] });
    const c = compareOutcomes(plan, outcome('emulated'), b);
    expect(c.equal).toBe(false);
    expect(c.diff.split('\n')).toEqual(['op 0 {"op":"mkdir","path":"/a"}', '  emulated: {"ok":true}', '  native: {"ok":false,"errno":"EEXIST"}']);
  });

  it('never equates an op that did not run, even with another that did not', () => {
    const notRun = { ok: false as const, notRun: true as const, reason: 'killed' };
    const a = outcome('a', { results: [{ ok: true }, notRun] });
    const b = outcome('b', { results: [{ ok: true }, notRun] });
    expect(compareOutcomes(plan, a, b).equal).toBe(false);
  });

  it('shows a differing mount table as a line diff', () => {
    const extra = '85 84 0:40 / /a rw,nosuid,relatime - tmpfs x rw';
    const b = outcome('native', { namespaces: [[...outcome('x').namespaces[0]!, extra]] });
    expect(compareOutcomes(plan, outcome('emulated'), b).diff.split('\n')).toEqual([
      'namespace 0 (- emulated, + native; ids normalised):',
      '    M1 ^ D1 / / rw,relatime - tmpfs none rw,mode=755',
      '  + M2 M1 D2 / /a rw,nosuid,relatime - tmpfs x rw',
    ]);
  });

  it('lineDiff keeps common lines and marks the rest', () => {
    expect(lineDiff(['a', 'b', 'c'], ['a', 'c', 'd'])).toEqual(['  a', '- b', '  c', '+ d']);
  });
});

describe('identity calls (keep-caps)', () => {
  const root = Credentials.root();
  const capsOf = (...n: (keyof typeof Cap)[]) => Credentials.capsOf(n);

  it('leaving uid 0 empties the effective set and keeps the permitted one', () => {
    const c = setresuid(root, 1000);
    expect([c.uid, c.caps, c.permitted]).toEqual([1000, 0n, ALL_CAPS]);
  });

  it('coming back to uid 0 refills the effective set from the permitted one', () => {
    const c = setresuid(capset(setresuid(root, 1000), capsOf('SETUID'), capsOf('SETUID', 'CHOWN')), 0);
    expect([c.uid, c.caps]).toEqual([0, capsOf('SETUID', 'CHOWN')]);
  });

  it.each<[string, () => unknown, string]>([
    ['setresuid to another uid without CAP_SETUID', () => setresuid(new Credentials(1000, 1000), 0), 'EPERM'],
    ['setresuid to the same uid without CAP_SETUID', () => setresuid(new Credentials(1000, 1000), 1000), 'OK'],
    ['setresuid(-1) leaves the uid', () => setresuid(new Credentials(1000, 1000), -1), 'OK'],
    ['setresgid to another gid without CAP_SETGID', () => setresgid(new Credentials(1000, 1000), 0), 'EPERM'],
    ['setgroups without CAP_SETGID, even to the same list', () => setgroups(new Credentials(1000, 1000), []), 'EPERM'],
    ['setgroups with -1 in the list', () => setgroups(root, [-1]), 'EINVAL'],
    ['setgroups with -1 in the list, without CAP_SETGID (privilege first)', () => setgroups(new Credentials(1000, 1000), [-1]), 'EPERM'],
    ['setgroups of 65537 groups', () => setgroups(root, new Array<number>(65537).fill(1)), 'EINVAL'],
    ['capset raising the permitted set', () => capset(new Credentials(0, 0, [], 0n, capsOf('CHOWN')), capsOf('CHOWN', 'FOWNER'), capsOf('CHOWN', 'FOWNER')), 'EPERM'],
    ['capset with effective beyond permitted', () => capset(root, capsOf('CHOWN'), 0n), 'EPERM'],
    ['capset dropping everything', () => capset(root, 0n, 0n), 'OK'],
  ])('%s -> %s', (_n, call, expected) => {
    expect(errOf(call)).toBe(expected);
  });

  it('the plan op stops at the first failing call, keeping the earlier ones', () => {
    const p = validatePlan({
      version: 1,
      ops: [
        { op: 'write', path: '/secret', data: 'x', mode: 0o600 },
        { op: 'setcred', uid: 1000, gid: 1000, groups: [2000], caps: ['setuid'] },
        { op: 'read', path: '/secret' },
        // setgroups needs CAP_SETGID: fails first, so the uid stays 1000.
        { op: 'setcred', uid: 0, gid: 0, groups: [], caps: ['dac_override'] },
        { op: 'read', path: '/secret' },
        // No groups: setresgid(0) fails the same way (no CAP_SETGID).
        { op: 'setcred', uid: 0, gid: 1000, caps: ['dac_override'] },
        { op: 'read', path: '/secret' },
        { op: 'stat', path: '/secret' },
      ],
    });
    expect(runEmulated(p).results).toEqual([
      { ok: true },
      { ok: true },
      { ok: false, errno: 'EACCES' },
      { ok: false, errno: 'EPERM' },
      { ok: false, errno: 'EACCES' },
      // setresuid(0) with CAP_SETUID works; capset asks for dac_override, which the permitted
      // set ({setuid}) lacks: EPERM, leaving uid 0 with the effective set refilled ({setuid}).
      { ok: false, errno: 'EPERM' },
      // uid 0 owns the file now.
      { ok: true, data: 'x' },
      { ok: true, stat: { type: 'file', mode: 0o600, uid: 0, gid: 0, size: 1, nlink: 1 } },
    ]);
  });
});
