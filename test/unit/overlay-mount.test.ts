/**
 * Mounting an overlay: option parsing and its errno, the super options mountinfo shows, the
 * work directory, read-only overlays, remount, statfs, stacking and the layer limits — as
 * Linux 6.18 gives them (recordings: test/kernel/fixtures/overlay-mount-errors.json,
 * overlay-options*.json, overlay-traps.json, overlay-workdir.json, overlay-readonly.json,
 * overlay-many-lowers.json).
 */
import { describe, expect, it } from 'vitest';
import { createSandbox, MS_RDONLY, MS_REMOUNT } from '../../src/index.js';
import { OVERLAYFS_SUPER_MAGIC } from '../../src/fs/overlay/super.js';
import { splitLowerdirs, splitOptions } from '../../src/fs/overlay/params.js';
import type { Process } from '../../src/vfs/process.js';
import { errOf, writeFile } from './helpers.js';
import { list, tree } from './overlay-helpers.js';

function world(): Process {
  const p = createSandbox({ totalRamPages: 1 << 20 }).process;
  for (const d of ['/l1', '/l2', '/u', '/u/sub', '/w', '/w2', '/m', '/l1/d']) p.mkdir(d, 0o755);
  writeFile(p, '/f', 'x');
  return p;
}

const mnt = (p: Process, data: string, flags = 0): string => errOf(() => p.mount('ov', '/m', 'overlay', flags, data));

/** The overlay's line of mountinfo, from the fstype on. */
function line(p: Process): string {
  const l = p.mountinfo().split('\n').find((x) => x.includes(' - overlay '))!;
  return l.slice(l.indexOf(' - ') + 3);
}

describe('mount options', () => {
  it.each([
    ['lowerdir=/l1', 'EINVAL'], // one lower layer needs an upper
    ['upperdir=/u,workdir=/w', 'EINVAL'], // no lower layer
    ['lowerdir=/l1,upperdir=/u', 'EINVAL'], // no workdir
    ['lowerdir=/nope:/l2', 'ENOENT'],
    ['lowerdir=/f:/l2', 'EINVAL'], // not a directory
    ['lowerdir=/l1,upperdir=/u,workdir=/u', 'EINVAL'],
    ['lowerdir=/l1,upperdir=/u,workdir=/u/sub', 'EINVAL'], // not separate subtrees
    ['lowerdir=/u,upperdir=/u,workdir=/w', 'ELOOP'], // conflicting layers
    ['lowerdir=/u/sub,upperdir=/u,workdir=/w', 'ELOOP'], // overlapping layers
    ['lowerdir=/l1:/l1/d', 'ELOOP'],
    ['lowerdir=/w,upperdir=/u,workdir=/w', 'ELOOP'],
    ['lowerdir=,upperdir=/u,workdir=/w', 'EINVAL'],
    ['lowerdir=:/l1', 'EINVAL'],
    ['lowerdir=/l1:', 'EINVAL'],
    ['lowerdir=/l1:::/l2', 'EINVAL'],
    ['bogus,lowerdir=/l1:/l2', 'EINVAL'],
    ['lowerdir=/l1:/l2,userxattr=1', 'EINVAL'],
    ['lowerdir=/l1,upperdir=/u,workdir=/w,userxattr,redirect_dir=on', 'EINVAL'],
    ['lowerdir=/l1,upperdir=/u,workdir=/w,metacopy=on,redirect_dir=nofollow', 'EINVAL'],
    ['lowerdir=/l1,lowerdir+=/l2', 'EINVAL'], // lowerdir+ cannot follow lowerdir
    ['upperdir=/nope,lowerdir=/l1', 'ENOENT'], // paths are resolved as they are parsed
    ['lowerdir=/', 'EINVAL'],
    ['lowerdir=/,upperdir=/u,workdir=/w', 'OK'], // the work directory may be inside a lower layer
    ['lowerdir=/l1,upperdir=/l1/d,workdir=/w', 'OK'], // so may the upper
    ['lowerdir=/l1::/l2', 'OK'], // a data-only layer
  ])('%s -> %s', (data, expected) => {
    expect(mnt(world(), data)).toBe(expected);
  });

  it.each([
    ['lowerdir=/l1:/l2', 'overlay ov ro,lowerdir=/l1:/l2,redirect_dir=on'],
    ['lowerdir=/l1,upperdir=/u,workdir=/w', 'overlay ov rw,lowerdir=/l1,upperdir=/u,workdir=/w,uuid=on'],
    ['lowerdir=/l1,upperdir=/u,workdir=/w,userxattr', 'overlay ov rw,lowerdir=/l1,upperdir=/u,workdir=/w,redirect_dir=nofollow,uuid=on,userxattr'],
    ['lowerdir=/l1,upperdir=/u,workdir=/w,redirect_dir=off', 'overlay ov rw,lowerdir=/l1,upperdir=/u,workdir=/w,uuid=on'],
    ['lowerdir=/l1,upperdir=/u,workdir=/w,volatile', 'overlay ov rw,lowerdir=/l1,upperdir=/u,workdir=/w,uuid=on,fsync=volatile'],
    ['lowerdir=/l1,upperdir=/u,workdir=/w,metacopy=on', 'overlay ov rw,lowerdir=/l1,upperdir=/u,workdir=/w,redirect_dir=on,uuid=on,metacopy=on'],
    ['lowerdir=/l1,upperdir=/u,workdir=/w,uuid=off,xino=on', 'overlay ov rw,lowerdir=/l1,upperdir=/u,workdir=/w,uuid=off'],
    ['lowerdir=/l1:/l2,uuid=on', 'overlay ov ro,lowerdir=/l1:/l2,redirect_dir=on,uuid=null'],
    ['lowerdir+=/l1,lowerdir+=/l2', 'overlay ov ro,lowerdir+=/l1,lowerdir+=/l2,redirect_dir=on'],
    ['lowerdir=/l\\,1:/l2', null],
    ['lowerdir=/l1,upperdir=/u,workdir=/w,lazytime,sync', 'overlay ov rw,sync,lazytime,lowerdir=/l1,upperdir=/u,workdir=/w,uuid=on'],
  ])('%s shows %s', (data, shown) => {
    const p = world();
    p.mkdir('/l,1', 0o755);
    expect(mnt(p, data)).toBe('OK');
    // seq_show_option() escapes commas, spaces and backslashes in the paths as octal.
    expect(line(p)).toBe(shown ?? 'overlay ov ro,lowerdir=/l\\134\\0541:/l2,redirect_dir=on');
  });

  it('a second mount of the same upper keeps its uuid (auto, not shown)', () => {
    const p = world();
    mnt(p, 'lowerdir=/l1,upperdir=/u,workdir=/w');
    p.umount2('/m');
    mnt(p, 'lowerdir=/l1,upperdir=/u,workdir=/w');
    expect(line(p)).toBe('overlay ov rw,lowerdir=/l1,upperdir=/u,workdir=/w');
  });

  it('splits options and lower layers at unescaped separators', () => {
    expect(splitOptions('lowerdir=/a\\,b:/c,userxattr')).toEqual(['lowerdir=/a\\,b:/c', 'userxattr']);
    expect(splitLowerdirs('/l1:/l\\:2::/d')).toEqual([
      { name: '/l1', data: false },
      { name: '/l\\:2', data: false },
      { name: '/d', data: true },
    ]);
  });

  it('takes 500 lower layers, not 501, and sees the data string cut at 4095 bytes as mount(2) does', () => {
    const p = world();
    p.mkdir('/l', 0o755);
    for (let i = 1; i <= 501; i++) p.mkdir(`/l/${i}`, 0o755);
    const layers = (n: number) => Array.from({ length: n }, (_, i) => `/l/${i + 1}`).join(':');
    expect(mnt(p, `lowerdir=${layers(501)}`)).toBe('EINVAL');
    expect(mnt(p, `lowerdir=${layers(500)}`)).toBe('OK');
    p.umount2('/m');
    // Past the page the string is cut: the last layer named is /l/./3, not /l/./39.
    const long = 'lowerdir=' + Array.from({ length: 499 }, (_, i) => `/l/./${499 - i}`).join(':');
    expect(mnt(p, long)).toBe('OK');
    expect(line(p).endsWith(':/l/./40:/l/./3,redirect_dir=on')).toBe(true);
  });
});

describe('the work directory', () => {
  it('is made with mode 0, owned by the mounter; the upper root gets a uuid', () => {
    const p = world();
    mnt(p, 'lowerdir=/l1,upperdir=/u,workdir=/w');
    expect(tree(p, '/w')).toEqual(['work d 0 0:0 2 40']);
    expect(p.llistxattr('/u')).toEqual(['trusted.overlay.uuid']);
  });

  it('leftovers are cleaned two levels deep; deeper ones make the overlay read-only', () => {
    const p = world();
    p.mkdir('/w/work', 0o755);
    p.mkdir('/w/work/x', 0o755);
    writeFile(p, '/w/work/x/f', 'x');
    expect(mnt(p, 'lowerdir=/l1,upperdir=/u,workdir=/w')).toBe('OK');
    expect(tree(p, '/w')).toEqual(['work d 0 0:0 2 40']);
    p.umount2('/m');
    for (const d of ['/w2/work', '/w2/work/a', '/w2/work/a/b', '/w2/work/a/b/c']) p.mkdir(d, 0o755);
    expect(mnt(p, 'lowerdir=/l1,upperdir=/u,workdir=/w2')).toBe('OK');
    expect(line(p)).toBe('overlay ov ro,lowerdir=/l1,upperdir=/u,workdir=/w2');
  });

  it('a volatile mount leaves work/incompat/volatile/dirty, and the next mount is EINVAL', () => {
    const p = world();
    mnt(p, 'lowerdir=/l1,upperdir=/u,workdir=/w,volatile');
    p.umount2('/m');
    expect(tree(p, '/w/work')).toEqual(['incompat d 0 0:0 3 60', 'incompat/volatile d 0 0:0 2 60', 'incompat/volatile/dirty f 0 0:0 1 0 ""']);
    expect(mnt(p, 'lowerdir=/l1,upperdir=/u,workdir=/w')).toBe('EINVAL');
  });

  it('an exclusive overlay (index=on) refuses an upper in use (EBUSY), a foreign origin (ESTALE)', () => {
    const p = world();
    mnt(p, 'lowerdir=/l1,upperdir=/u,workdir=/w');
    p.mkdir('/m2', 0o755);
    expect(errOf(() => p.mount('ov', '/m2', 'overlay', 0, 'lowerdir=/l2,upperdir=/u,workdir=/w2,index=on'))).toBe('EBUSY');
    p.umount2('/m');
    expect(errOf(() => p.mount('ov', '/m2', 'overlay', 0, 'lowerdir=/l1,upperdir=/u,workdir=/w2,index=on'))).toBe('OK');
    expect(list(p, '/w2')).toEqual(['index', 'work']);
    p.umount2('/m2');
    expect(errOf(() => p.mount('ov', '/m2', 'overlay', 0, 'lowerdir=/l2,upperdir=/u,workdir=/w2,index=on'))).toBe('ESTALE');
  });

  it('a mounter without CAP_DAC_OVERRIDE cannot use the work directory (EACCES)', () => {
    const p = world();
    p.capset(1n << 21n, 1n << 21n); // CAP_SYS_ADMIN alone
    expect(mnt(p, 'lowerdir=/l1,upperdir=/u,workdir=/w')).toBe('EACCES');
  });
});

describe('read-only overlays, remount, statfs, stacking', () => {
  it('an overlay without an upper is read-only (EROFS) and cannot be remounted read-write', () => {
    const p = world();
    writeFile(p, '/l1/x', '1');
    mnt(p, 'lowerdir=/l1:/l2');
    expect(errOf(() => writeFile(p, '/m/x', '2'))).toBe('EROFS');
    expect(errOf(() => p.mkdir('/m/n', 0o755))).toBe('EROFS');
    expect(errOf(() => p.mount(null, '/m', null, MS_REMOUNT, 'bogus'))).toBe('EROFS');
    expect(errOf(() => p.mount(null, '/m', null, MS_REMOUNT | MS_RDONLY, 'bogus'))).toBe('OK');
  });

  it('statfs is the upper filesystem with overlayfs magic', () => {
    const p = world();
    mnt(p, 'lowerdir=/l1,upperdir=/u,workdir=/w');
    const s = p.statfs('/m');
    expect(s.type).toBe(OVERLAYFS_SUPER_MAGIC);
    expect(s.blocks).toBe(p.statfs('/u').blocks);
  });

  it('an overlay may stack on an overlay, not deeper; an overlay cannot be an upper', () => {
    const p = world();
    mnt(p, 'lowerdir=/l1:/l2');
    for (const d of ['/m2', '/m3', '/u2', '/w3']) p.mkdir(d, 0o755);
    expect(errOf(() => p.mount('ov', '/m2', 'overlay', 0, 'lowerdir=/m:/l2'))).toBe('OK');
    expect(errOf(() => p.mount('ov', '/m3', 'overlay', 0, 'lowerdir=/m2:/l1'))).toBe('EINVAL');
    expect(errOf(() => p.mount('ov', '/m3', 'overlay', 0, 'lowerdir=/l2,upperdir=/m,workdir=/w3'))).toBe('EINVAL');
  });
});
