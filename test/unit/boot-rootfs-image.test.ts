/** Bundle images: checking, plan ops, and compatibility with memfs's JSON snapshots. */
import { describe, expect, it } from 'vitest';
import { hostCopies, imageLookup, imageOps, ImageError, parseImage, type ImageNode } from '../../src/boot/rootfs-image.js';
import { runEmulated } from '../../src/plan/emulated.js';

const image: ImageNode = [0, {}, {
  bin: [0, {}, { busybox: [1, { mode: 0o755, hostCopy: '/bin/busybox' }, ''], sh: [2, { target: 'busybox' }] }],
  tmp: [0, { mode: 0o1777 }, {}],
  etc: [0, {}, { hostname: [1, {}, 'box\n'], shadow: [1, { mode: 0o640, gid: 42 }, 'x'] }],
  blob: [1, {}, 'data:application/octet-stream;base64,AAEC'],
}];

describe('bundle images', () => {
  it('become plan ops that rebuild the tree with its modes and owners', () => {
    const ops = imageOps(image, '/b');
    const plan = { version: 1 as const, ops: [...ops, { op: 'stat' as const, path: '/b/tmp' }, { op: 'stat' as const, path: '/b/etc/shadow' }, { op: 'read' as const, path: '/b/etc/hostname' }, { op: 'stat' as const, path: '/b/bin/sh', nofollow: true }] };
    const o = runEmulated(plan);
    expect(o.results.slice(0, ops.length).every((r) => r.ok)).toBe(true);
    const tail = o.results.slice(ops.length);
    expect(tail[0]).toMatchObject({ stat: { type: 'dir', mode: 0o1777 } });
    expect(tail[1]).toMatchObject({ stat: { type: 'file', mode: 0o640, gid: 42 } });
    expect(tail[2]).toEqual({ ok: true, data: 'box\n' });
    expect(tail[3]).toMatchObject({ stat: { type: 'symlink' } });
    expect(ops.find((op) => op.op === 'write' && op.path === '/b/blob')).toEqual({ op: 'write', path: '/b/blob', data: '', mode: 0o644 });
  });

  it('load a memfs JSON snapshot as it is (empty meta objects: default modes)', () => {
    const memfs = [0, {}, { a: [1, {}, 'x'], d: [0, {}, {}], l: [2, { target: '/a' }] }];
    expect(imageOps(parseImage(memfs), '/m')).toEqual([
      { op: 'mkdir', path: '/m', mode: 0o755 },
      { op: 'write', path: '/m/a', data: 'x', mode: 0o644 },
      { op: 'mkdir', path: '/m/d', mode: 0o755 },
      { op: 'symlink', target: '/a', path: '/m/l' },
    ]);
  });

  it('name what test tooling copies from the host, and find nodes', () => {
    expect([...hostCopies(image, '/b')]).toEqual([['/b/bin/busybox', '/bin/busybox']]);
    expect(imageLookup(image, '/etc/hostname')).toEqual([1, {}, 'box\n']);
    expect(imageLookup(image, '/etc/hostname/x')).toBeUndefined();
  });

  it('refuse malformed nodes, naming where', () => {
    expect(() => parseImage([0, {}, { etc: [0, {}, { 'a/b': [1, {}, ''] }] }])).toThrow(new ImageError('/etc', 'bad entry name "a/b"'));
    expect(() => parseImage([0, {}, { l: [2, {}] }])).toThrow(/\/l: a symlink needs a non-empty target/);
    expect(() => parseImage([3, {}])).toThrow(/unknown node type 3/);
    expect(() => parseImage([1, { mode: 0o17777 }, ''])).toThrow(/mode: expected an integer/);
  });
});
