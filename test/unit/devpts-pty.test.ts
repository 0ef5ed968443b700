/**
 * devpts pseudo-terminals, as far as runc's console needs them: opening ptmx makes /dev/pts/N,
 * closing its last descriptor removes it, and the plan op `openpty` keeps one open. The numbers
 * below were measured on Linux 6.18 (a devpts mounted with
 * `newinstance,ptmxmode=0666,mode=0620,gid=5,max=2`, opened as root): ptys 0 and 1, node 0 is
 * char 136:0 mode 0620 uid 0 gid 5, a third open is ENOSPC, after closing 0 the directory holds
 * `1` and `ptmx` and the next open is 0 again; TIOCGPTN on /dev/null is ENOTTY.
 */
import { describe, expect, it } from 'vitest';
import { createSandbox, O_NOCTTY, O_RDONLY, O_RDWR } from '../../src/index.js';
import { runEmulated } from '../../src/plan/emulated.js';
import { validatePlan } from '../../src/plan/plan.js';
import { readdirNames } from './helpers.js';

describe('devpts pseudo-terminals', () => {
  it('are made by opening ptmx and go with the last close, numbered lowest first up to max', () => {
    const p = createSandbox().process;
    p.mkdir('/pts');
    p.mount('devpts', '/pts', 'devpts', 0, 'newinstance,ptmxmode=0666,mode=0620,gid=5,max=2');
    const a = p.open('/pts/ptmx', O_RDWR | O_NOCTTY);
    const b = p.open('/pts/ptmx', O_RDWR | O_NOCTTY);
    expect([p.ptyNumber(a), p.ptyNumber(b)]).toEqual([0, 1]);
    expect(readdirNames(p, '/pts')).toEqual(['0', '1', 'ptmx']);
    const st = p.stat('/pts/0');
    expect([st.mode.toString(8), st.rdev, st.uid, st.gid]).toEqual(['20620', (136 << 8) | 0, 0, 5]);
    expect(() => p.open('/pts/ptmx', O_RDWR | O_NOCTTY)).toThrow(/ENOSPC/);
    const dup = p.dup(a);
    p.close(a);
    expect(readdirNames(p, '/pts')).toEqual(['0', '1', 'ptmx']);
    p.close(dup);
    expect(readdirNames(p, '/pts')).toEqual(['1', 'ptmx']);
    expect(() => p.stat('/pts/0')).toThrow(/ENOENT/);
    expect(p.ptyNumber(p.open('/pts/ptmx', O_RDWR | O_NOCTTY))).toBe(0);
    expect(() => p.ptyNumber(p.open('/pts', O_RDONLY))).toThrow(/ENOTTY/);
  });

  it('are owned by the opener unless uid= or gid= say otherwise', () => {
    const p = createSandbox().process;
    p.mkdir('/pts');
    p.mount('devpts', '/pts', 'devpts', 0, 'ptmxmode=0666');
    p.setresgid(7);
    p.setresuid(1000);
    p.open('/pts/ptmx', O_RDWR | O_NOCTTY);
    const st = p.stat('/pts/0');
    expect([st.mode & 0o7777, st.uid, st.gid]).toEqual([0o600, 1000, 7]);
  });

  it('back the plan op openpty: the number as data, the descriptor kept to the plan\'s end', () => {
    const plan = validatePlan({
      version: 1,
      ops: [
        { op: 'mkdir', path: '/dev' },
        { op: 'mkdir', path: '/dev/pts' },
        { op: 'mount', source: 'devpts', target: '/dev/pts', fstype: 'devpts', flags: [], data: 'newinstance,ptmxmode=0666' },
        { op: 'symlink', target: 'pts/ptmx', path: '/dev/ptmx' },
        { op: 'openpty', path: '/dev/ptmx' },
        { op: 'openpty', path: '/dev/ptmx' },
        { op: 'write', path: '/dev/console', data: '', mode: 0o666 },
        { op: 'mount', source: '/dev/pts/1', target: '/dev/console', fstype: 'bind', flags: ['bind'], data: '' },
        { op: 'openpty', path: '/dev/console' },
        { op: 'umount', target: '/dev/pts' },
      ],
    });
    const o = runEmulated(plan);
    expect(o.results.slice(4)).toEqual([{ ok: true, data: '0' }, { ok: true, data: '1' }, { ok: true }, { ok: true }, { ok: false, errno: 'ENOTTY' }, { ok: false, errno: 'EBUSY' }]);
    expect(o.mountinfo[2]).toMatch(/^\d+ \d+ \d+:\d+ \/1 \/dev\/console rw,relatime - devpts devpts rw,mode=600,ptmxmode=666$/);
  });
});
