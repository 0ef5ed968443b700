/**
 * Copy-up: every trigger the kernel has, and what each leaves in the upper layer — data, mode
 * (setuid kept), owner, extended attributes, the origin mark, the impure mark on the parent, the
 * parent chain — as Linux does it on tmpfs layers. Every expected layer listing and answer is the
 * kernel's, recorded by test/kernel/record-facts.py (group overlay-copy-up,
 * test/kernel/recorders/overlay_copy_up.py, which lists a layer as ./overlay-helpers.ts tree()
 * does); test/kernel/fixtures/overlay-copy-up.json is the plan-level recording of the same.
 */
import { describe, expect, it } from 'vitest';
import { O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY, UTIME_NOW } from '../../src/index.js';
import { itChecksEveryAnswer, kernelFacts } from '../kernel/facts.js';
import { errOf } from './helpers.js';
import { overlay, read, tree } from './overlay-helpers.js';

const LOWER = { '/l1/f': 'hello', '/l1/d/': '', '/l1/d/g': 'deep', '/l2/h': 'two' };
const enc = new TextEncoder();
const K = kernelFacts('overlay-copy-up');
/** What the kernel left for the case `name` of the recording. */
const kernel = (name: string): unknown => K.get('copy-up', name);

describe('copy-up triggers', () => {
  it.each([
    ['open O_WRONLY', O_WRONLY],
    ['open O_RDWR', O_RDWR],
  ])('%s copies the file up with its data', (name, flags) => {
    const p = overlay(LOWER);
    p.close(p.open('/m/f', flags));
    expect(tree(p, '/u')).toEqual(kernel(name));
  });

  it('open O_RDONLY|O_TRUNC copies up, then truncates', () => {
    const p = overlay(LOWER);
    p.close(p.open('/m/f', O_RDONLY | O_TRUNC));
    expect(tree(p, '/u')).toEqual(kernel('open O_RDONLY|O_TRUNC'));
  });

  it('reading, stat, readdir and readlink copy nothing up', () => {
    const p = overlay({ ...LOWER, '/l1/s@': 'f' });
    p.close(p.open('/m/f', O_RDONLY));
    p.stat('/m/d/g');
    p.readlink('/m/s');
    p.getdents(p.open('/m/d', O_RDONLY));
    expect(tree(p, '/u')).toEqual(kernel('open O_RDONLY, stat, readlink, readdir'));
  });

  it('truncate copies up with the data, then changes the size', () => {
    const p = overlay(LOWER);
    p.truncate('/m/f', 2);
    expect(tree(p, '/u')).toEqual(kernel('truncate to 2'));
  });

  it('chmod copies up and keeps setuid through the copy', () => {
    const p = overlay(LOWER);
    p.chmod('/l1/f', 0o4755);
    p.chmod('/m/f', 0o6755);
    expect(tree(p, '/u')).toEqual(kernel('chmod 06755 of a 04755 lower file'));
    const q = overlay(LOWER);
    q.chmod('/l1/f', 0o4755);
    q.truncate('/m/f', 5);
    expect(tree(q, '/u')).toEqual(kernel('truncate of a 04755 lower file'));
  });

  it('chown copies up the owner it changes, a symlink too (lchown)', () => {
    const p = overlay({ ...LOWER, '/l1/s@': 'f' });
    p.chown('/l1/f', 1000, 2000);
    p.chown('/m/f', -1, 3000);
    p.lchown('/m/s', 4, 4);
    expect(tree(p, '/u')).toEqual(kernel('chown -1:3000 of a 1000:2000 file, lchown 4:4 of a symlink'));
  });

  it('utimensat copies up', () => {
    const p = overlay(LOWER);
    p.utimensat(-100, '/m/h', [{ sec: 0, nsec: UTIME_NOW }, { sec: 7, nsec: 0 }]);
    expect(tree(p, '/u')).toEqual(kernel('utimensat'));
  });

  it('setxattr copies up, with the lower attributes; removexattr of a missing one does not', () => {
    const p = overlay(LOWER);
    p.setxattr('/l1/f', 'user.a', enc.encode('1'));
    const seen: Record<string, unknown> = { 'removexattr of a missing one': errOf(() => p.removexattr('/m/f', 'user.none')), then: tree(p, '/u') };
    p.setxattr('/m/f', 'user.b', enc.encode('2'));
    seen['after setxattr user.b'] = tree(p, '/u');
    p.removexattr('/m/f', 'user.a');
    seen['after removexattr user.a'] = tree(p, '/u');
    expect(seen).toEqual(kernel('setxattr and removexattr'));
  });

  const OWN = "overlayfs's own attributes through the overlay";
  const ownAttributes = () => {
    const p = overlay(LOWER);
    p.truncate('/m/f', 5);
    return { listxattr: p.listxattr('/m/f'), 'setxattr trusted.overlay.opaque': errOf(() => p.setxattr('/m/f', 'trusted.overlay.opaque', enc.encode('y'))) };
  };

  it("overlayfs's own attributes are not shown through the overlay", () => {
    expect(ownAttributes().listxattr).toEqual((kernel(OWN) as Record<string, unknown>).listxattr);
  });

  // Since Linux 6.7 an overlay escapes its own names (ovl_own_xattr_set(): trusted.overlay.opaque
  // set through the overlay is stored as trusted.overlay.overlay.opaque in the upper layer and
  // read back unescaped).
  it("overlayfs's own attributes can be set through the overlay, escaped", () => {
    expect(ownAttributes()['setxattr trusted.overlay.opaque']).toBe((kernel(OWN) as Record<string, unknown>)['setxattr trusted.overlay.opaque']);
    const p = overlay(LOWER);
    p.setxattr('/m/f', 'trusted.overlay.opaque', enc.encode('y'));
    expect(p.listxattr('/m/f')).toContain('trusted.overlay.opaque');
    expect(p.listxattr('/u/f')).toContain('trusted.overlay.overlay.opaque');
    expect(p.listxattr('/u/f')).not.toContain('trusted.overlay.opaque');
    expect(new TextDecoder().decode(p.getxattr('/m/f', 'trusted.overlay.opaque'))).toBe('y');
  });

  it('link copies the source up and links it in the upper layer', () => {
    const p = overlay(LOWER);
    p.link('/m/f', '/m/f2');
    expect({ tree: tree(p, '/u'), 'nlink of /m/f2': p.stat('/m/f2').nlink }).toEqual(kernel('link'));
  });

  it('a lower hard link is broken by copy-up, and gets no origin', () => {
    const p = overlay(LOWER);
    p.link('/l1/f', '/l1/f2');
    p.truncate('/m/f', 1);
    expect({ tree: tree(p, '/u'), 'nlink of /m/f2': p.stat('/m/f2').nlink }).toEqual(kernel('truncate of a file with a lower hard link'));
  });

  it('rename copies up and whiteouts the old name (a fresh whiteout, RENAME_WHITEOUT)', () => {
    const p = overlay(LOWER);
    p.rename('/m/h', '/m/h2');
    expect(tree(p, '/u')).toEqual(kernel('rename'));
  });

  it('creating in a lower directory copies the parent chain up, modes and owners kept; the root turns impure', () => {
    const p = overlay({ '/l2/a/': '', '/l2/a/b/': '', '/l2/a/b/c/': '' });
    p.chmod('/l2/a', 0o750);
    p.chown('/l2/a/b', 5, 6);
    p.mkdir('/m/a/b/c/n', 0o700);
    // a and a/b are impure (they hold copies); a/b/c is not: n, made in it, is no copy.
    expect({ tree: tree(p, '/u'), 'llistxattr of the upper root': p.llistxattr('/u').sort() }).toEqual(
      kernel('mkdir under a lower chain a (0750), a/b (5:6), a/b/c'),
    );
  });

  it('removing in a lower directory copies it up and leaves a whiteout', () => {
    const p = overlay(LOWER);
    p.unlink('/m/d/g');
    expect(tree(p, '/u')).toEqual(kernel('unlink in a lower directory'));
  });

  it('copies data past holes as the kernel does, and the merged view reads the upper file', () => {
    const p = overlay(LOWER);
    p.truncate('/l1/f', 9000);
    p.truncate('/m/f', 9001);
    expect({ 'size of /u/f': p.stat('/u/f').size, 'first bytes of /m/f': read(p, '/m/f').slice(0, 5) }).toEqual(
      kernel('truncate 9001 of a 9000-byte sparse lower file'),
    );
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
    expect({ 'truncate /m2/big 1': errOf(() => p.truncate('/m2/big', 1)), upper: tree(p, '/t/u'), 'size of /t/w/work': p.stat('/t/w/work').size }).toEqual(
      kernel('truncate of a 9000-byte file with an upper of size=8k'),
    );
  });
});

itChecksEveryAnswer(K);
