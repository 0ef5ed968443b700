/**
 * What tmpfs does for an overlay's upper layer, as Linux 6.18's shmem does it: RENAME_WHITEOUT
 * (a whiteout, char 0/0 with mode 0, owned like a new node, at the old name), whiteouts and other
 * major-0 devices refusing to open (ENXIO), and the order getdents lists names in — newest first,
 * a renamed name counting as new — which decides the order overlayfs cleans a work directory in.
 */
import { describe, expect, it } from 'vitest';
import { createSandbox, Credentials, makedev, O_DIRECTORY, O_RDONLY, RENAME_EXCHANGE, S_IFCHR, S_IFMT } from '../../src/index.js';
import { errOf, writeFile } from './helpers.js';

const RENAME_WHITEOUT = 4;

function names(p: ReturnType<typeof createSandbox>['process'], dir: string): string[] {
  return p
    .getdents(p.open(dir, O_RDONLY | O_DIRECTORY))
    .map((e) => e.name)
    .slice(2);
}

describe('tmpfs for overlayfs', () => {
  it('RENAME_WHITEOUT leaves a whiteout owned as mknod would own it (setgid directory: its group)', () => {
    const p = createSandbox().process;
    p.mkdir('/d', 0o777);
    p.chmod('/d', 0o2777);
    p.chown('/d', 0, 1234);
    writeFile(p, '/d/f', 'x');
    p.creds = new Credentials(0, 1000, [], p.creds.caps);
    p.renameat2(-100, '/d/f', -100, '/d/g', RENAME_WHITEOUT);
    const st = p.lstat('/d/f');
    expect([st.mode & S_IFMT, st.mode & 0o7777, st.uid, st.gid, st.rdev]).toEqual([S_IFCHR, 0, 0, 1234, 0]);
    // The moved name is the newer of the two.
    expect(names(p, '/d')).toEqual(['g', 'f']);
  });

  it('RENAME_WHITEOUT needs CAP_MKNOD and cannot go with RENAME_EXCHANGE', () => {
    const p = createSandbox().process;
    writeFile(p, '/f', 'x');
    expect(errOf(() => p.renameat2(-100, '/f', -100, '/g', RENAME_WHITEOUT | RENAME_EXCHANGE))).toBe('EINVAL');
    p.capset(p.creds.caps & ~(1n << 27n), p.creds.caps & ~(1n << 27n));
    expect(errOf(() => p.renameat2(-100, '/f', -100, '/g', RENAME_WHITEOUT))).toBe('EPERM');
  });

  it('a whiteout (any device of major 0) opens as ENXIO, after the permission check', () => {
    const p = createSandbox().process;
    p.mknod('/wo', S_IFCHR, 0);
    p.mknod('/c99', S_IFCHR | 0o666, makedev(0, 99));
    expect(errOf(() => p.open('/wo', O_RDONLY))).toBe('ENXIO');
    expect(errOf(() => p.open('/c99', O_RDONLY))).toBe('ENXIO');
    p.creds = new Credentials(1000, 1000);
    expect(errOf(() => p.open('/wo', O_RDONLY))).toBe('EACCES');
  });

  it('lists names newest first; rename and exchange make names anew', () => {
    const p = createSandbox().process;
    p.mkdir('/d', 0o755);
    for (const n of ['a', 'b', 'c']) writeFile(p, `/d/${n}`, n);
    expect(names(p, '/d')).toEqual(['c', 'b', 'a']);
    p.rename('/d/a', '/d/z');
    expect(names(p, '/d')).toEqual(['z', 'c', 'b']);
    p.renameat2(-100, '/d/b', -100, '/d/z', RENAME_EXCHANGE);
    expect(names(p, '/d')).toEqual(['z', 'b', 'c']);
  });
});
