/**
 * pivot_root(2) as the plan op `pivot_root`: each errno in the kernel's order of checks and the
 * mount table afterwards, as Linux 6.18 printed them for the same steps (recorded with a ctypes
 * script in a throw-away namespace whose root is a tmpfs, like the native backend's sandbox).
 */
import { describe, expect, it } from 'vitest';
import { normaliseMountinfo } from '../../src/plan/compare.js';
import { runEmulated } from '../../src/plan/emulated.js';
import type { PlanOp } from '../../src/plan/plan.js';

const newRoot: PlanOp[] = [
  { op: 'mkdir', path: '/new' },
  { op: 'mount', source: '/new', target: '/new', fstype: '', flags: ['bind'] },
  { op: 'mkdir', path: '/new/old' },
  { op: 'mkdir', path: '/other' },
];

function run(ops: PlanOp[]) {
  const o = runEmulated({ version: 1, ops });
  return { results: o.results, mountinfo: normaliseMountinfo(o).mountinfo };
}

const norm = (lines: string[]) => normaliseMountinfo({ mountinfo: lines, namespaces: [] }).mountinfo;
const pivot = (new_root: string, put_old: string): PlanOp => ({ op: 'pivot_root', new_root, put_old });

describe('pivot_root errors, in the kernel order', () => {
  it.each<[string, PlanOp[], string]>([
    // /n lies on the root mount itself: "new_mnt == root_mnt" comes before "not a mount point".
    ['a new root on the root mount', [{ op: 'mkdir', path: '/n' }, { op: 'mkdir', path: '/n/o' }, pivot('/n', '/n/o')], 'EBUSY'],
    ['the root itself', [{ op: 'mkdir', path: '/o' }, pivot('/', '/o')], 'EBUSY'],
    ['put_old on the root mount', [...newRoot, pivot('/new', '/other')], 'EBUSY'],
    ['put_old a file', [...newRoot, { op: 'write', path: '/new/f', data: '' }, pivot('/new', '/new/f')], 'ENOTDIR'],
    ['new_root a file', [{ op: 'write', path: '/f', data: '' }, pivot('/f', '/')], 'ENOTDIR'],
    ['new_root missing', [pivot('/nope', '/')], 'ENOENT'],
    ['without CAP_SYS_ADMIN', [...newRoot, { op: 'setcred', uid: 0, gid: 0, caps: ['sys_chroot'] }, pivot('/new', '/new/old')], 'EPERM'],
    ['put_old on a shared mount', [...newRoot, { op: 'mount', source: 'x', target: '/new/old', fstype: 'tmpfs', flags: [] }, { op: 'mount', source: '', target: '/new/old', fstype: '', flags: ['shared'] }, pivot('/new', '/new/old')], 'EINVAL'],
    ["the new root's parent shared", [...newRoot, { op: 'mount', source: '', target: '/', fstype: '', flags: ['shared'] }, pivot('/new', '/new/old')], 'EINVAL'],
  ])('%s -> %s', (_n, ops, expected) => {
    const last = run(ops).results.at(-1)!;
    expect(last.ok ? 'OK' : 'errno' in last ? last.errno : 'notRun').toBe(expected);
  });
});

describe('pivot_root moves the mounts as the kernel does', () => {
  it('puts the new root at / and the old one at put_old, and moves the task root', () => {
    const r = run([...newRoot, { op: 'write', path: '/new/inside', data: '' }, pivot('/new', '/new/old'), { op: 'readdir', path: '/' }, { op: 'readdir', path: '/old' }]);
    expect(r.results.slice(-3)).toEqual([{ ok: true }, { ok: true, names: ['inside', 'old'] }, { ok: true, names: ['new', 'other'] }]);
    expect(r.mountinfo).toEqual(norm(['63 64 0:39 / /old rw,relatime - tmpfs none rw,mode=755', '64 43 0:39 /new / rw,relatime - tmpfs none rw,mode=755']));
  });

  it("runc's pivot_root(new, new) stacks the old root on the new one, reached by /..", () => {
    const r = run([...newRoot, pivot('/new', '/new'), { op: 'readdir', path: '/' }, { op: 'readdir', path: '/..' }]);
    expect(r.results.slice(-3)).toEqual([{ ok: true }, { ok: true, names: ['old'] }, { ok: true, names: ['new', 'other'] }]);
    expect(r.mountinfo).toEqual(norm(['63 64 0:39 / / rw,relatime - tmpfs none rw,mode=755', '64 43 0:39 /new / rw,relatime - tmpfs none rw,mode=755']));
  });

  it('takes a new root mounted below another mount', () => {
    const r = run([...newRoot, { op: 'mount', source: 'x', target: '/new/old', fstype: 'tmpfs', flags: [] }, pivot('/new/old', '/new/old')]);
    expect(r.results.at(-1)).toEqual({ ok: true });
    expect(r.mountinfo).toEqual(
      norm(['63 65 0:39 / / rw,relatime - tmpfs none rw,mode=755', '64 63 0:39 /new /new rw,relatime - tmpfs none rw,mode=755', '65 43 0:40 / / rw,relatime - tmpfs x rw']),
    );
  });
});
