/**
 * Whiteouts, opaque directories, merged listings and renames through an overlay, each with the
 * upper layer's exact contents afterwards, as Linux 6.18 leaves them on tmpfs layers (recordings:
 * test/kernel/fixtures/overlay-whiteouts.json, overlay-rename-link.json, overlay-redirect.json;
 * the marks were read with getfattr on the same kernel).
 */
import { describe, expect, it } from 'vitest';
import { RENAME_EXCHANGE, RENAME_NOREPLACE } from '../../src/index.js';
import { errOf } from './helpers.js';
import { list, overlay, tree } from './overlay-helpers.js';

const RENAME_WHITEOUT = 4;

describe('whiteouts', () => {
  it('unlink of a lower file leaves a whiteout, a link of the one shared whiteout kept in work', () => {
    const p = overlay({ '/l1/f': '1', '/l2/g': '2' });
    p.unlink('/m/f');
    expect(tree(p, '/u')).toEqual(['f c 0 0:0 2 0 whiteout']);
    expect(p.stat('/w/work').size).toBe(60); // the shared whiteout
    p.unlink('/m/g');
    expect(tree(p, '/u')).toEqual(['f c 0 0:0 3 0 whiteout', 'g c 0 0:0 3 0 whiteout']);
    expect(list(p, '/m')).toEqual([]);
  });

  it('unlink of an upper-only file leaves nothing; of an upper file over a lower one, a whiteout', () => {
    const p = overlay({ '/l1/f': 'lower' });
    p.symlink('x', '/m/new');
    p.unlink('/m/new');
    expect(tree(p, '/u')).toEqual([]);
    p.truncate('/m/f', 0);
    p.unlink('/m/f');
    expect(tree(p, '/u')).toEqual(['f c 0 0:0 2 0 whiteout']);
  });

  it('a whiteout hides the name in every lower layer; the merged listing leaves it out', () => {
    const p = overlay({ '/l1/d/': '', '/l1/d/x': '1', '/l2/d/': '', '/l2/d/x': '2', '/l2/d/y': '3' });
    p.unlink('/m/d/x');
    expect(list(p, '/m/d')).toEqual(['y']);
    expect(errOf(() => p.stat('/m/d/x'))).toBe('ENOENT');
    expect(tree(p, '/u')).toEqual(['d d 755 0:0 2 60 {origin[33]}', 'd/x c 0 0:0 2 0 whiteout']);
  });

  it('rmdir of a merged directory: ENOTEMPTY while lower entries show, then it and its whiteouts go', () => {
    const p = overlay({ '/l1/d/': '', '/l1/d/x': '1', '/l2/d/': '', '/l2/d/y': '2' });
    expect(errOf(() => p.rmdir('/m/d'))).toBe('ENOTEMPTY');
    expect(tree(p, '/u')).toEqual([]);
    p.unlink('/m/d/x');
    p.unlink('/m/d/y');
    expect(tree(p, '/u')).toEqual(['d d 755 0:0 2 80 {origin[33]}', 'd/x c 0 0:0 3 0 whiteout', 'd/y c 0 0:0 3 0 whiteout']);
    p.rmdir('/m/d');
    expect(tree(p, '/u')).toEqual(['d c 0 0:0 2 0 whiteout']);
    expect(list(p, '/m')).toEqual([]);
  });

  it('rmdir of an empty lower-only directory whiteouts it', () => {
    const p = overlay({ '/l2/e/': '' });
    p.rmdir('/m/e');
    expect(tree(p, '/u')).toEqual(['e c 0 0:0 2 0 whiteout']);
  });

  it('RENAME_WHITEOUT is refused on the overlay (EINVAL), done by tmpfs', () => {
    const p = overlay({ '/l1/f': '1' });
    expect(errOf(() => p.renameat2(-100, '/m/f', -100, '/m/g', RENAME_WHITEOUT))).toBe('EINVAL');
    p.renameat2(-100, '/l1/f', -100, '/l1/g', RENAME_WHITEOUT);
    expect(tree(p, '/l1')).toEqual(['f c 0 0:0 1 0 whiteout', 'g f 644 0:0 1 1 "1"']);
  });
});

describe('opaque directories', () => {
  it('mkdir over a whiteout makes an opaque directory: nothing from below shows', () => {
    const p = overlay({ '/l1/d/': '', '/l1/d/x': '1' });
    p.unlink('/m/d/x');
    p.rmdir('/m/d');
    p.mkdir('/m/d', 0o700);
    expect(list(p, '/m/d')).toEqual([]);
    expect(tree(p, '/u')).toEqual(['d d 700 0:0 2 40 {opaque=y}']);
    expect(p.stat('/w/work').size).toBe(60);
  });

  it('a directory made where no layer has the name is not marked', () => {
    const p = overlay({ '/l1/d/': '' });
    p.mkdir('/m/d/n', 0o755);
    expect(tree(p, '/u')).toEqual(['d d 755 0:0 3 60 {origin[33]}', 'd/n d 755 0:0 2 40']);
  });

  it('with userxattr the marks are user.overlay.*', () => {
    const p = overlay({ '/l1/d/': '', '/l1/d/x': '1' }, 'lowerdir=/l1,upperdir=/u,workdir=/w,userxattr');
    p.unlink('/m/d/x');
    p.rmdir('/m/d');
    p.mkdir('/m/d', 0o755);
    expect(p.llistxattr('/u/d')).toEqual(['user.overlay.opaque']);
    expect(tree(p, '/u')).toEqual(['d d 755 0:0 2 40 {opaque=y}']);
  });

  it('an opaque directory in a lower layer ends the merge below it', () => {
    const p = overlay({ '/l2/d/': '', '/l2/d/x': '1' });
    p.mkdir('/l1/d', 0o755);
    p.setxattr('/l1/d', 'trusted.overlay.opaque', new TextEncoder().encode('y'));
    expect(list(p, '/m/d')).toEqual([]);
  });

  it('a directory moved into a merged one is made opaque there', () => {
    const p = overlay({ '/l1/d/': '', '/l2/d/': '', '/l2/d/e/': '', '/l2/d/e/x': '1' });
    p.mkdir('/m/n', 0o755);
    p.unlink('/m/d/e/x');
    p.rmdir('/m/d/e');
    p.rename('/m/n', '/m/d/e');
    expect(list(p, '/m/d/e')).toEqual([]);
    expect(tree(p, '/u')).toEqual(['d d 755 0:0 3 60 {impure=y,origin[33]}', 'd/e d 755 0:0 2 40 {opaque=y}']);
  });
});

describe('rename', () => {
  it('a directory with a lower part cannot move (redirect_dir is off by default): EXDEV', () => {
    const p = overlay({ '/l1/d/': '', '/l2/e/': '' });
    expect(errOf(() => p.rename('/m/d', '/m/d2'))).toBe('EXDEV');
    p.mkdir('/m/n', 0o755);
    p.rename('/m/n', '/m/n2');
    // The root is merged: the moved directory hides whatever the lower layers have as n2.
    expect(tree(p, '/u')).toEqual(['n2 d 755 0:0 2 40 {opaque=y}']);
  });

  it('with redirect_dir=on it moves and records where its lower part is (a name, then a path from the root)', () => {
    const p = overlay({ '/l1/d/': '', '/l1/d/x': '1', '/l1/s/': '' }, 'lowerdir=/l1:/l2,upperdir=/u,workdir=/w,redirect_dir=on');
    p.rename('/m/d', '/m/d2');
    p.rename('/m/d2', '/m/s/d3');
    expect(list(p, '/m/s/d3')).toEqual(['x']);
    expect(tree(p, '/u')).toEqual(['d c 0 0:0 1 0 whiteout', 's d 755 0:0 3 60 {impure=y,origin[33]}', 's/d3 d 755 0:0 2 40 {origin[33],redirect=/d}']);
  });

  it('a file renamed onto a whiteout takes its place (the whiteouts are exchanged)', () => {
    const p = overlay({ '/l1/f': '1', '/l1/g': '2' });
    p.unlink('/m/g');
    p.rename('/m/f', '/m/g');
    expect(tree(p, '/u')).toEqual(['f c 0 0:0 2 0 whiteout', 'g f 644 0:0 1 1 "1" {origin[33]}']);
  });

  it('a directory renamed onto a whiteout takes its place; the whiteout goes', () => {
    const p = overlay({ '/l1/g': '2' });
    p.unlink('/m/g');
    p.mkdir('/m/n', 0o755);
    p.rename('/m/n', '/m/g');
    expect(tree(p, '/u')).toEqual(['g d 755 0:0 2 40 {opaque=y}']);
  });

  it('exchange copies both up; noreplace onto a whited-out name is allowed', () => {
    const p = overlay({ '/l1/f': '1', '/l2/g': '2', '/l1/h': '3' });
    p.renameat2(-100, '/m/f', -100, '/m/g', RENAME_EXCHANGE);
    expect(tree(p, '/u')).toEqual(['f f 644 0:0 1 1 "2" {origin[33]}', 'g f 644 0:0 1 1 "1" {origin[33]}']);
    p.unlink('/m/h');
    p.renameat2(-100, '/m/f', -100, '/m/h', RENAME_NOREPLACE);
    expect(list(p, '/m')).toEqual(['g', 'h']);
  });

  it('renaming one name of an upper hard link onto the other does nothing', () => {
    const p = overlay({ '/l1/f': '1' });
    p.link('/m/f', '/m/g');
    p.rename('/m/f', '/m/g');
    expect(list(p, '/m')).toEqual(['f', 'g']);
  });
});
