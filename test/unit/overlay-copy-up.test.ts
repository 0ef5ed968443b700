/**
 * Copy-up: every trigger the kernel has, and what each leaves in the upper layer — data, mode
 * (setuid kept), owner, extended attributes, the origin mark, the impure mark on the parent, the
 * parent chain — as Linux 6.18 does it on tmpfs layers (test/kernel/fixtures/overlay-copy-up.json
 * is the recording behind the stat-level facts; origin is 33 bytes, uuid 16, marks "y", measured
 * with getfattr on the same kernel).
 */
import { describe, expect, it } from 'vitest';
import { O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY, UTIME_NOW } from '../../src/index.js';
import { errOf } from './helpers.js';
import { overlay, read, tree } from './overlay-helpers.js';

const LOWER = { '/l1/f': 'hello', '/l1/d/': '', '/l1/d/g': 'deep', '/l2/h': 'two' };
const enc = new TextEncoder();

describe('copy-up triggers', () => {
  it.each([
    ['open O_WRONLY', O_WRONLY],
    ['open O_RDWR', O_RDWR],
  ])('%s copies the file up with its data', (_n, flags) => {
    const p = overlay(LOWER);
    p.close(p.open('/m/f', flags));
    expect(tree(p, '/u')).toEqual(['f f 644 0:0 1 5 "hello" {origin[33]}']);
  });

  it('open O_RDONLY|O_TRUNC copies up, then truncates', () => {
    const p = overlay(LOWER);
    p.close(p.open('/m/f', O_RDONLY | O_TRUNC));
    expect(tree(p, '/u')).toEqual(['f f 644 0:0 1 0 "" {origin[33]}']);
  });

  it('reading, stat, readdir and readlink copy nothing up', () => {
    const p = overlay({ ...LOWER, '/l1/s@': 'f' });
    p.close(p.open('/m/f', O_RDONLY));
    p.stat('/m/d/g');
    p.readlink('/m/s');
    p.getdents(p.open('/m/d', O_RDONLY));
    expect(tree(p, '/u')).toEqual([]);
  });

  it('truncate copies up with the data, then changes the size', () => {
    const p = overlay(LOWER);
    p.truncate('/m/f', 2);
    expect(tree(p, '/u')).toEqual(['f f 644 0:0 1 2 "he" {origin[33]}']);
  });

  it('chmod copies up and keeps setuid through the copy', () => {
    const p = overlay(LOWER);
    p.chmod('/l1/f', 0o4755);
    p.chmod('/m/f', 0o6755);
    expect(tree(p, '/u')).toEqual(['f f 6755 0:0 1 5 "hello" {origin[33]}']);
    const q = overlay(LOWER);
    q.chmod('/l1/f', 0o4755);
    q.truncate('/m/f', 5);
    expect(tree(q, '/u')).toEqual(['f f 4755 0:0 1 5 "hello" {origin[33]}']);
  });

  it('chown copies up the owner it changes, a symlink too (lchown)', () => {
    const p = overlay({ ...LOWER, '/l1/s@': 'f' });
    p.chown('/l1/f', 1000, 2000);
    p.chown('/m/f', -1, 3000);
    p.lchown('/m/s', 4, 4);
    expect(tree(p, '/u')).toEqual(['f f 644 1000:3000 1 5 "hello" {origin[33]}', 's l 777 4:4 1 1 -> f {origin[33]}']);
  });

  it('utimensat copies up', () => {
    const p = overlay(LOWER);
    p.utimensat(-100, '/m/h', [{ sec: 0, nsec: UTIME_NOW }, { sec: 7, nsec: 0 }]);
    expect(tree(p, '/u')).toEqual(['h f 644 0:0 1 3 "two" {origin[33]}']);
  });

  it('setxattr copies up, with the lower attributes; removexattr of a missing one does not', () => {
    const p = overlay(LOWER);
    p.setxattr('/l1/f', 'user.a', enc.encode('1'));
    expect(errOf(() => p.removexattr('/m/f', 'user.none'))).toBe('ENODATA');
    expect(tree(p, '/u')).toEqual([]);
    p.setxattr('/m/f', 'user.b', enc.encode('2'));
    expect(tree(p, '/u')).toEqual(['f f 644 0:0 1 5 "hello" {origin[33],user.a,user.b}']);
    p.removexattr('/m/f', 'user.a');
    expect(tree(p, '/u')).toEqual(['f f 644 0:0 1 5 "hello" {origin[33],user.b}']);
  });

  it("overlayfs's own attributes are neither shown nor settable through the overlay", () => {
    const p = overlay(LOWER);
    p.truncate('/m/f', 5);
    expect(p.listxattr('/m/f')).toEqual([]);
    expect(errOf(() => p.setxattr('/m/f', 'trusted.overlay.opaque', enc.encode('y')))).toBe('EOPNOTSUPP');
  });

  it('link copies the source up and links it in the upper layer', () => {
    const p = overlay(LOWER);
    p.link('/m/f', '/m/f2');
    expect(tree(p, '/u')).toEqual(['f f 644 0:0 2 5 "hello" {origin[33]}', 'f2 f 644 0:0 2 5 "hello" {origin[33]}']);
    expect(p.stat('/m/f2').nlink).toBe(2);
  });

  it('a lower hard link is broken by copy-up, and gets no origin', () => {
    const p = overlay(LOWER);
    p.link('/l1/f', '/l1/f2');
    p.truncate('/m/f', 1);
    expect(tree(p, '/u')).toEqual(['f f 644 0:0 1 1 "h"']);
    expect(p.stat('/m/f2').nlink).toBe(2);
  });

  it('rename copies up and whiteouts the old name (a fresh whiteout, RENAME_WHITEOUT)', () => {
    const p = overlay(LOWER);
    p.rename('/m/h', '/m/h2');
    expect(tree(p, '/u')).toEqual(['h c 0 0:0 1 0 whiteout', 'h2 f 644 0:0 1 3 "two" {origin[33]}']);
  });

  it('creating in a lower directory copies the parent chain up, modes and owners kept; the root turns impure', () => {
    const p = overlay({ '/l2/a/': '', '/l2/a/b/': '', '/l2/a/b/c/': '' });
    p.chmod('/l2/a', 0o750);
    p.chown('/l2/a/b', 5, 6);
    p.mkdir('/m/a/b/c/n', 0o700);
    expect(tree(p, '/u')).toEqual([
      'a d 750 0:0 3 60 {impure=y,origin[33]}',
      'a/b d 755 5:6 3 60 {impure=y,origin[33]}',
      // A name made in a copied-up directory is no copy: no impure mark for it.
      'a/b/c d 755 0:0 3 60 {origin[33]}',
      'a/b/c/n d 700 0:0 2 40',
    ]);
    expect(p.llistxattr('/u').sort()).toEqual(['trusted.overlay.impure', 'trusted.overlay.uuid']);
  });

  it('removing in a lower directory copies it up and leaves a whiteout', () => {
    const p = overlay(LOWER);
    p.unlink('/m/d/g');
    expect(tree(p, '/u')).toEqual(['d d 755 0:0 2 60 {origin[33]}', 'd/g c 0 0:0 2 0 whiteout']);
  });

  it('copies data past holes as the kernel does, and the merged view reads the upper file', () => {
    const p = overlay(LOWER);
    p.truncate('/l1/f', 9000);
    p.truncate('/m/f', 9001);
    expect(p.stat('/u/f').size).toBe(9001);
    expect(read(p, '/m/f').slice(0, 5)).toBe('hello');
  });

  it('copy-up needs space in the upper layer (ENOSPC) and leaves nothing behind', () => {
    const p = overlay({});
    p.mkdir('/t', 0o755);
    p.mount('t', '/t', 'tmpfs', 0, 'size=8k');
    p.mkdir('/t/u', 0o755);
    p.mkdir('/t/w', 0o755);
    const big = 'z'.repeat(9000);
    const fd = p.open('/l1/big', O_WRONLY | 0o100, 0o644);
    p.write(fd, enc.encode(big));
    p.close(fd);
    p.mkdir('/m2', 0o755);
    p.mount('ov', '/m2', 'overlay', 0, 'lowerdir=/l1,upperdir=/t/u,workdir=/t/w');
    expect(errOf(() => p.truncate('/m2/big', 1))).toBe('ENOSPC');
    expect(tree(p, '/t/u')).toEqual([]);
    expect(p.stat('/t/w/work').size).toBe(40);
  });
});
