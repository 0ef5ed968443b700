/**
 * Tar out and tar in as moby's go-archive does them, over an emulated task: the entries and their
 * modes, owners and links; escapes refused with the member named and nothing made for it.
 */
import { describe, expect, it } from 'vitest';
import { createSandbox, S_IFCHR } from '../../src/index.js';
import { tarball, tarResourceRebaseOpts } from '../../src/boot/moby/tarballer.js';
import { unpack } from '../../src/boot/moby/unpack.js';
import type { TarEntry } from '../../src/boot/tar/entry.js';
import { readTar } from '../../src/boot/tar/reader.js';
import { writeTar } from '../../src/boot/tar/writer.js';
import { lstatOrNull, mkdirAll, readDirNames, readFile, writeFile } from '../../src/boot/tar/task-fs.js';
import { makedev } from '../../src/vfs/inode.js';
import type { Process } from '../../src/vfs/process.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const task = (): Process => {
  const p = createSandbox({ size: null, inodes: null }).process;
  p.umaskSet(0o022);
  mkdirAll(p, '/dst', 0o755);
  return p;
};
const file = (name: string, over: Partial<TarEntry> = {}): TarEntry => ({ name, type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: 1000, data: enc(name), ...over });
const summary = (p: Process, path: string) => {
  const st = p.lstat(path);
  return { mode: st.mode.toString(8), uid: st.uid, gid: st.gid, mtime: st.mtime.sec, nlink: st.nlink };
};

describe('tar in', () => {
  it('makes each member with its mode, owner and times, set-id bits and all', () => {
    const p = task();
    unpack(p, writeTar([
      { name: 'd/', type: 'dir', mode: 0o2750, uid: 5, gid: 6, mtime: 100 },
      file('d/suid', { mode: 0o4755, uid: 1000, gid: 1000, mtime: 200 }),
      { name: 'd/hard', type: 'hardlink', mode: 0o4755, uid: 1000, gid: 1000, mtime: 200, linkname: 'd/suid' },
      { name: 'd/link', type: 'symlink', mode: 0o777, uid: 7, gid: 8, mtime: 300, linkname: '/etc/outside' },
      { name: 'd/null', type: 'char', mode: 0o666, uid: 0, gid: 0, mtime: 400, devmajor: 1, devminor: 3 },
      { name: 'd/fifo', type: 'fifo', mode: 0o600, uid: 0, gid: 0, mtime: 500 },
    ]), '/dst');
    expect(summary(p, '/dst/d')).toEqual({ mode: '42750', uid: 5, gid: 6, mtime: 100, nlink: 2 });
    expect(summary(p, '/dst/d/suid')).toEqual({ mode: '104755', uid: 1000, gid: 1000, mtime: 200, nlink: 2 });
    expect(p.lstat('/dst/d/hard').ino).toBe(p.lstat('/dst/d/suid').ino);
    expect(summary(p, '/dst/d/link')).toEqual({ mode: '120777', uid: 7, gid: 8, mtime: 300, nlink: 1 });
    expect(p.readlink('/dst/d/link')).toBe('/etc/outside');
    expect(p.lstat('/dst/d/null').rdev).toBe(makedev(1, 3));
    expect(p.lstat('/dst/d/null').mode).toBe(S_IFCHR | 0o666);
    expect(summary(p, '/dst/d/fifo').mode).toBe('10600');
    expect(readFile(p, '/dst/d/suid')).toEqual(enc('d/suid'));
  });

  it('makes missing parents 0755 whatever the umask, and replaces a file where a member goes', () => {
    const p = task();
    p.umaskSet(0o077);
    writeFile(p, '/dst/old', enc('old'), 0o600);
    unpack(p, writeTar([file('a/b/c'), file('old', { mode: 0o640 })]), '/dst');
    expect(summary(p, '/dst/a').mode).toBe('40755');
    expect(summary(p, '/dst/a/b').mode).toBe('40755');
    expect(readFile(p, '/dst/old')).toEqual(enc('old'));
    expect(summary(p, '/dst/old').mode).toBe('100640');
  });

  it('refuses to put a file over a directory when told to (docker cp)', () => {
    const p = task();
    mkdirAll(p, '/dst/x', 0o755);
    expect(() => unpack(p, writeTar([file('x')]), '/dst', { noOverwriteDirNonDir: true })).toThrow('cannot overwrite directory "x" with non-directory "/dst"');
  });

  const escapes: [string, TarEntry[], string][] = [
    ['an absolute name', [file('/etc/passwd')], 'refusing archive member "/etc/passwd": absolute name'],
    ['a name that climbs out', [file('a/../../escaped')], 'refusing archive member "a/../../escaped": name leaves the destination through ".."'],
    ['a hard link to a file outside', [{ name: 'h', type: 'hardlink', mode: 0o644, uid: 0, gid: 0, mtime: 0, linkname: '../secret' }], 'refusing archive member "../secret": hard link target leaves the destination through ".."'],
    [
      'a member under a symlink to an absolute path',
      [{ name: 'l', type: 'symlink', mode: 0o777, uid: 0, gid: 0, mtime: 0, linkname: '/etc' }, file('l/passwd')],
      'refusing archive member "l/passwd": "l" is a symlink to the absolute path "/etc", outside the destination',
    ],
    [
      'a member under a relative symlink that climbs out',
      [{ name: 'up', type: 'symlink', mode: 0o777, uid: 0, gid: 0, mtime: 0, linkname: '../..' }, file('up/escaped')],
      'refusing archive member "up/escaped": a symlink on its path leads out of the destination',
    ],
  ];
  for (const [what, entries, message] of escapes) {
    it(`refuses ${what}, making nothing outside the destination`, () => {
      const p = task();
      mkdirAll(p, '/etc', 0o755);
      expect(() => unpack(p, writeTar(entries), '/dst')).toThrow(message);
      expect(readDirNames(p, '/etc')).toEqual([]);
      expect(lstatOrNull(p, '/escaped')).toBeNull();
    });
  }

  it('follows a relative symlink that stays inside', () => {
    const p = task();
    unpack(p, writeTar([{ name: 'real/', type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: 0 }, { name: 'in', type: 'symlink', mode: 0o777, uid: 0, gid: 0, mtime: 0, linkname: 'real' }, file('in/f')]), '/dst');
    expect(readDirNames(p, '/dst/real')).toEqual(['f']);
  });
});

describe('tar out', () => {
  it('names entries after the source, a directory with "/", a second link as a hard link', () => {
    const p = task();
    mkdirAll(p, '/src/data/sub', 0o750);
    writeFile(p, '/src/data/a', enc('A'), 0o640);
    p.link('/src/data/a', '/src/data/sub/b');
    p.symlink('a', '/src/data/s');
    p.chown('/src/data/a', 1000, 100);
    const t = tarball(p, '/src/data', tarResourceRebaseOpts('.', 'data'));
    expect(t.entries.map((e) => [e.name, e.type, e.mode.toString(8), e.uid, e.gid, e.linkname ?? ''])).toEqual([
      ['data/', 'dir', '750', 0, 0, ''],
      ['data/a', 'file', '640', 1000, 100, ''],
      ['data/s', 'symlink', '777', 0, 0, 'a'],
      ['data/sub/', 'dir', '750', 0, 0, ''],
      ['data/sub/b', 'hardlink', '640', 1000, 100, 'data/a'],
    ]);
    expect(readTar(t.archive).map((e) => e.name)).toEqual(t.entries.map((e) => e.name));
  });

  it('round-trips through tar in', () => {
    const p = task();
    mkdirAll(p, '/src/x', 0o700);
    writeFile(p, '/src/x/f', enc('payload'), 0o4711);
    p.chmod('/src/x/f', 0o4711);
    const t = tarball(p, '/src/x', tarResourceRebaseOpts('.', 'y'));
    unpack(p, t.archive, '/dst');
    expect(summary(p, '/dst/y/f').mode).toBe('104711');
    expect(summary(p, '/dst/y').mode).toBe('40700');
    expect(readFile(p, '/dst/y/f')).toEqual(enc('payload'));
  });
});
