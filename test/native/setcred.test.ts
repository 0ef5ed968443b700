/**
 * `setcred` on the real kernel (docs/plan-format.md): permission checks after giving
 * up uid 0, capabilities kept through capset(2), no way back to root without CAP_SETUID — and
 * the emulator, started with this host's capabilities, gives the same results.
 */
import { describe, expect, it } from 'vitest';
import { hostMachine } from '../../src/host/parity.js';
import { runNativeSync } from '../../src/host/native.js';
import { compareOutcomes } from '../../src/plan/compare.js';
import { runEmulated } from '../../src/plan/emulated.js';
import type { Plan, PlanOp } from '../../src/plan/plan.js';
import { itHasTheBackend, noPrivilege, warnIfSkipped } from './helpers.js';

warnIfSkipped('test/native/setcred');

/** A root-only file and a root-only directory, made as root. */
const rootOnly: PlanOp[] = [
  { op: 'write', path: '/secret', data: 'for root', mode: 0o600 },
  { op: 'mkdir', path: '/private', mode: 0o700 },
  { op: 'write', path: '/private/f', data: 'x' },
];
const plan = (...ops: PlanOp[]): Plan => ({ version: 1, ops: [...rootOnly, ...ops] });
const OK = { ok: true };

describe.skipIf(noPrivilege)('setcred on the host kernel', () => {
  itHasTheBackend();

  it('denies uid 1000 without capabilities what mode bits deny (EACCES)', () => {
    const p = plan({ op: 'setcred', uid: 1000, gid: 1000 }, { op: 'read', path: '/secret' }, { op: 'readdir', path: '/private' }, { op: 'stat', path: '/private/f' });
    const native = runNativeSync(p);
    expect(native.results).toEqual([OK, OK, OK, OK, { ok: false, errno: 'EACCES' }, { ok: false, errno: 'EACCES' }, { ok: false, errno: 'EACCES' }]);
    expect(runEmulated(p, hostMachine()).results).toEqual(native.results);
  });

  it('lets CAP_DAC_OVERRIDE read anyway, and gives no way back to uid 0 without CAP_SETUID (EPERM)', () => {
    const p = plan(
      { op: 'setcred', uid: 1000, gid: 1000, caps: ['dac_override'] },
      { op: 'read', path: '/secret' },
      { op: 'readdir', path: '/private' },
      { op: 'setcred', uid: 0, gid: 0 },
      { op: 'setcred', uid: 0, gid: 1000, caps: ['dac_override'] },
    );
    const native = runNativeSync(p);
    expect(native.results).toEqual([OK, OK, OK, OK, { ok: true, data: 'for root' }, { ok: true, names: ['f'] }, { ok: false, errno: 'EPERM' }, { ok: false, errno: 'EPERM' }]);
    expect(runEmulated(p, hostMachine()).results).toEqual(native.results);
  });

  it('still reports every namespace table after the privilege to read them is gone', () => {
    const p: Plan = { version: 1, ops: [{ op: 'unshare' }, { op: 'setcred', uid: 1000, gid: 1000 }, { op: 'setns', ns: 0 }] };
    const native = runNativeSync(p);
    expect(native.results).toEqual([OK, OK, { ok: false, errno: 'EPERM' }]);
    expect(native.namespaces).toHaveLength(2);
    expect(native.mountinfo).toEqual(native.namespaces[1]);
    expect(native.mountinfo.map((l) => l.split(' - ')[1])).toEqual(['tmpfs none rw,mode=755']);
  });

  it('stops rather than run ops outside the sandbox when setns cannot re-enter its root', () => {
    // fchdir(2) into the saved sandbox root needs search permission, which uid 1000 without DAC
    // capabilities lacks on a 0700 root: the child stands at the host's root and must stop.
    const p: Plan = {
      version: 1,
      ops: [
        { op: 'chmod', path: '/', mode: 0o700 },
        { op: 'unshare' },
        { op: 'setcred', uid: 1000, gid: 1000, caps: ['sys_admin', 'sys_chroot'] },
        { op: 'setns', ns: 0 },
        { op: 'readdir', path: '/' },
        { op: 'mkdir', path: '/vfsemu-must-not-exist' },
      ],
    };
    const native = runNativeSync(p);
    expect(native.results.slice(0, 4)).toEqual([OK, OK, OK, { ok: false, errno: 'EACCES' }]);
    for (const r of native.results.slice(4)) expect(r).toMatchObject({ ok: false, notRun: true, stoppedAt: 3, reason: expect.stringMatching(/could not re-enter the sandbox root/) });
    expect(native.namespaces).toHaveLength(2);
    // The emulator stops at the same op, and its tables agree.
    expect(compareOutcomes(p, runEmulated(p, hostMachine()), native).diff).toBe('');
  });
});
