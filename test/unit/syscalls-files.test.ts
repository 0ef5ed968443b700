/**
 * open/openat, read, write, pread, pwrite, lseek, close, dup, stat family, getdents, truncate,
 * ftruncate and utimensat: results and errno as Linux gives them on tmpfs. The kernel's answers
 * (every errno, the SEEK_DATA/SEEK_HOLE offsets, stat values, the getdents order, modes and
 * sizes after open) are recorded by test/kernel/record-facts.py (group syscalls-files,
 * test/kernel/recorders/syscalls_files.py) on a fresh tmpfs with this file's world(); what is
 * still typed here is plain read/write/offset arithmetic (POSIX) and descriptor numbering.
 */
import { describe, expect, it } from 'vitest';
import {
  AT_EMPTY_PATH,
  AT_FDCWD,
  AT_SYMLINK_NOFOLLOW,
  createSandbox,
  makedev,
  O_APPEND,
  O_CREAT,
  O_DIRECTORY,
  O_EXCL,
  O_NOFOLLOW,
  O_PATH,
  O_RDONLY,
  O_RDWR,
  O_TRUNC,
  O_WRONLY,
  S_IFCHR,
  S_IFDIR,
  S_IFIFO,
  S_IFLNK,
  S_IFREG,
  SEEK_CUR,
  SEEK_DATA,
  SEEK_HOLE,
  SEEK_END,
  SEEK_SET,
  UTIME_NOW,
  UTIME_OMIT,
} from '../../src/index.js';
import type { Process } from '../../src/vfs/process.js';
import { itChecksEveryAnswer, kernelFacts } from '../kernel/facts.js';
import { errOf, writeFile } from './helpers.js';

const K = kernelFacts('syscalls-files');

const enc = new TextEncoder();
const dec = new TextDecoder();

/** The errno code a call fails with, or 'OK'. */

/**
 * / (755) with d/ (755), e/ (empty), f ("hello"), lf -> f, ld -> d, ldang -> nope,
 * fifo (FIFO) and null (char 1:3).
 */
function world(): Process {
  const p = createSandbox().process;
  p.mkdir('/d', 0o755);
  p.mkdir('/e', 0o755);
  writeFile(p, '/f', 'hello', 0o644);
  p.symlink('f', '/lf');
  p.symlink('d', '/ld');
  p.symlink('nope', '/ldang');
  p.mknod('/fifo', S_IFIFO | 0o666);
  p.mknod('/null', S_IFCHR | 0o666, makedev(1, 3));
  return p;
}

const OPEN_FLAGS: Record<string, number> = { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_DIRECTORY, O_NOFOLLOW, O_PATH };

/** `O_RDONLY|O_CREAT` as a number. */
function openFlags(names: string): number {
  return names.split('|').reduce((bits, n) => bits | OPEN_FLAGS[n]!, 0);
}

function readAll(p: Process, path: string): string {
  const fd = p.open(path, O_RDONLY);
  const buf = new Uint8Array(65536);
  const n = p.read(fd, buf);
  p.close(fd);
  return dec.decode(buf.subarray(0, n));
}

describe('open(2) flag and path combinations', () => {
  /** `path flags`: open(path, flags, 0o644) on a fresh world(). */
  const OPEN = [
    '/f O_RDONLY',
    '/f O_WRONLY',
    '/f O_RDWR',
    '/f/ O_RDONLY',
    '/f/ O_RDONLY|O_CREAT',
    '/new/ O_RDONLY|O_CREAT',
    '/f/x O_RDONLY',
    '/missing O_RDONLY',
    '/missing/x O_WRONLY|O_CREAT',
    '/d O_RDONLY',
    '/d O_RDONLY|O_TRUNC',
    '/d O_WRONLY',
    '/d O_RDWR',
    '/d O_RDONLY|O_CREAT',
    '/d O_DIRECTORY',
    '/ O_RDONLY|O_CREAT',
    '/d/. O_WRONLY|O_CREAT',
    '/f O_DIRECTORY',
    '/f O_CREAT|O_DIRECTORY',
    '/f O_CREAT|O_EXCL|O_WRONLY',
    '/lf O_RDONLY',
    '/lf O_NOFOLLOW',
    '/lf O_NOFOLLOW|O_PATH',
    '/lf/ O_RDONLY',
    '/ld/ O_DIRECTORY',
    '/ld O_NOFOLLOW|O_DIRECTORY',
    '/lf O_NOFOLLOW|O_DIRECTORY',
    '/ldang O_RDONLY',
    '/ldang O_CREAT|O_EXCL|O_WRONLY',
    '/ld/ O_RDONLY|O_CREAT',
    '/fifo O_RDWR',
    '/null O_WRONLY|O_TRUNC',
  ];
  it.each(K.answers('open', OPEN))('open %s -> %s', (key, expected) => {
    const [path, names] = key.split(' ') as [string, string];
    expect(errOf(() => world().open(path, openFlags(names), 0o644))).toBe(expected);
  });

  it('O_CREAT through a dangling symlink creates the link target', () => {
    const p = world();
    p.close(p.open('/ldang', O_WRONLY | O_CREAT, 0o600));
    expect({ '/nope': p.lstat('/nope').mode, '/ldang': p.lstat('/ldang').mode }).toEqual(K.get('open results', 'O_CREAT through a dangling symlink'));
  });

  it('O_CREAT of an existing file neither truncates nor changes its mode', () => {
    const p = world();
    p.close(p.open('/f', O_RDWR | O_CREAT, 0o600));
    expect(p.stat('/f')).toMatchObject(K.get('open results', 'O_CREAT of an existing file, mode 0600') as object);
  });

  it('O_TRUNC empties the file, O_RDONLY|O_TRUNC included', () => {
    const p = world();
    p.close(p.open('/f', O_RDONLY | O_TRUNC));
    expect(p.stat('/f').size).toBe(K.get('open results', 'O_RDONLY|O_TRUNC: the size after'));
  });

  it('O_CREAT mode is masked by the umask', () => {
    const p = world();
    p.umaskSet(0o027);
    p.close(p.open('/m', O_WRONLY | O_CREAT, 0o666));
    expect(p.stat('/m').mode).toBe(K.get('open results', 'O_CREAT 0666 under umask 027'));
  });

  it('openat resolves a relative name from the directory descriptor, an absolute one from the root', () => {
    const p = world();
    p.close(p.open('/d/inner', O_WRONLY | O_CREAT, 0o644));
    const dfd = p.open('/d', O_DIRECTORY);
    const ffd = p.open('/f', O_RDONLY);
    const at = (fd: number, path: string) => errOf(() => p.openat(fd, path, O_RDONLY));
    expect({
      'inner from /d': at(dfd, 'inner'),
      '/f from /d': at(dfd, '/f'),
      'f from /d': at(dfd, 'f'),
      'x from a file': at(ffd, 'x'),
      'x from descriptor 99': at(99, 'x'),
      '/f from descriptor 99': at(99, '/f'),
    }).toEqual(K.get('open results', 'openat'));
  });

  it('descriptors are the lowest free numbers', () => {
    const p = world();
    const a = p.open('/f', O_RDONLY);
    const b = p.open('/f', O_RDONLY);
    expect(b).toBe(a + 1);
    p.close(a);
    expect(p.open('/d', O_RDONLY)).toBe(a);
  });
});

describe('read, write, pread, pwrite, lseek', () => {
  it('read advances the offset and returns 0 at the end', () => {
    const p = world();
    const fd = p.open('/f', O_RDONLY);
    const buf = new Uint8Array(3);
    expect(p.read(fd, buf)).toBe(3);
    expect(dec.decode(buf)).toBe('hel');
    expect(p.read(fd, buf)).toBe(2);
    expect(dec.decode(buf.subarray(0, 2))).toBe('lo');
    expect(p.read(fd, buf)).toBe(0);
  });

  it('write past the end leaves a hole of zeros', () => {
    const p = world();
    const fd = p.open('/f', O_RDWR);
    expect(p.lseek(fd, 10, SEEK_SET)).toBe(10);
    expect(p.write(fd, enc.encode('Z'))).toBe(1);
    expect(p.fstat(fd).size).toBe(11);
    const buf = new Uint8Array(11);
    expect(p.pread(fd, buf, 0)).toBe(11);
    expect([...buf]).toEqual([...enc.encode('hello'), 0, 0, 0, 0, 0, ...enc.encode('Z')]);
  });

  it('O_APPEND writes at the end whatever the offset, pwrite included', () => {
    const p = world();
    const fd = p.open('/f', O_WRONLY | O_APPEND);
    p.lseek(fd, 0, SEEK_SET);
    expect(p.write(fd, enc.encode('AB'))).toBe(2);
    expect(p.pwrite(fd, enc.encode('XY'), 0)).toBe(2);
    expect(readAll(p, '/f')).toBe('helloABXY');
  });

  it('pread and pwrite leave the offset alone', () => {
    const p = world();
    const fd = p.open('/f', O_RDWR);
    const buf = new Uint8Array(2);
    expect(p.pread(fd, buf, 3)).toBe(2);
    expect(dec.decode(buf)).toBe('lo');
    expect(p.pwrite(fd, enc.encode('J'), 0)).toBe(1);
    expect(p.lseek(fd, 0, SEEK_CUR)).toBe(0);
    expect(readAll(p, '/f')).toBe('Jello');
  });

  it.each(K.cases<[string, number, (p: Process, fd: number) => unknown]>('descriptor ops', {
    'read of O_WRONLY': ['/f', O_WRONLY, (p, fd) => p.read(fd, new Uint8Array(1))],
    'write of O_RDONLY': ['/f', O_RDONLY, (p, fd) => p.write(fd, enc.encode('x'))],
    'read of a directory': ['/d', O_RDONLY, (p, fd) => p.read(fd, new Uint8Array(1))],
    'pread of a directory': ['/d', O_RDONLY, (p, fd) => p.pread(fd, new Uint8Array(1), 0)],
    'pread at -1': ['/f', O_RDONLY, (p, fd) => p.pread(fd, new Uint8Array(1), -1)],
    'pwrite at -1': ['/f', O_WRONLY, (p, fd) => p.pwrite(fd, enc.encode('x'), -1)],
    'pread of a FIFO': ['/fifo', O_RDWR, (p, fd) => p.pread(fd, new Uint8Array(1), 0)],
    'lseek of a FIFO': ['/fifo', O_RDWR, (p, fd) => p.lseek(fd, 0, SEEK_SET)],
    'lseek to -1': ['/f', O_RDONLY, (p, fd) => p.lseek(fd, -1, SEEK_SET)],
    'lseek SEEK_CUR below 0': ['/f', O_RDONLY, (p, fd) => p.lseek(fd, -1, SEEK_CUR)],
    'lseek whence 9': ['/f', O_RDONLY, (p, fd) => p.lseek(fd, 0, 9)],
    'lseek of a directory': ['/d', O_RDONLY, (p, fd) => p.lseek(fd, 0, SEEK_SET)],
    'lseek SEEK_END of a directory': ['/d', O_RDONLY, (p, fd) => p.lseek(fd, 0, SEEK_END)],
    'lseek SEEK_DATA of a directory': ['/d', O_RDONLY, (p, fd) => p.lseek(fd, 0, SEEK_DATA)],
    'lseek SEEK_DATA at the end': ['/f', O_RDONLY, (p, fd) => p.lseek(fd, 5, SEEK_DATA)],
    'lseek SEEK_HOLE at the end': ['/f', O_RDONLY, (p, fd) => p.lseek(fd, 5, SEEK_HOLE)],
    'lseek SEEK_HOLE at -1': ['/f', O_RDONLY, (p, fd) => p.lseek(fd, -1, SEEK_HOLE)],
    'read of O_PATH': ['/f', O_PATH, (p, fd) => p.read(fd, new Uint8Array(1))],
    'write of O_PATH': ['/f', O_PATH | O_WRONLY, (p, fd) => p.write(fd, enc.encode('x'))],
    'lseek of O_PATH': ['/f', O_PATH, (p, fd) => p.lseek(fd, 0, SEEK_SET)],
    'fstat of O_PATH': ['/f', O_PATH, (p, fd) => p.fstat(fd)],
    'fchmod of O_PATH': ['/f', O_PATH, (p, fd) => p.fchmod(fd, 0o600)],
    'fchown of O_PATH': ['/f', O_PATH, (p, fd) => p.fchown(fd, 0, 0)],
    'ftruncate of O_PATH': ['/f', O_PATH, (p, fd) => p.ftruncate(fd, 0)],
    'fgetxattr of O_PATH': ['/f', O_PATH, (p, fd) => p.fgetxattr(fd, 'user.x')],
    'dup of O_PATH': ['/f', O_PATH, (p, fd) => p.dup(fd)],
    'fchdir to O_PATH directory': ['/d', O_PATH, (p, fd) => p.fchdir(fd)],
    'fchdir to a file': ['/f', O_RDONLY, (p, fd) => p.fchdir(fd)],
    'ftruncate of O_RDONLY': ['/f', O_RDONLY, (p, fd) => p.ftruncate(fd, 0)],
    'ftruncate of a FIFO': ['/fifo', O_RDWR, (p, fd) => p.ftruncate(fd, 0)],
    'ftruncate to -1': ['/f', O_WRONLY, (p, fd) => p.ftruncate(fd, -1)],
    'getdents of a file': ['/f', O_RDONLY, (p, fd) => p.getdents(fd)],
  }))('%s -> %s', (_name, expected, [path, flags, op]) => {
    const p = world();
    const fd = p.open(path, flags);
    expect(errOf(() => op(p, fd))).toBe(expected);
  });

  it('lseek SEEK_END and SEEK_CUR compute from size and offset; beyond the end is allowed', () => {
    const p = world();
    const fd = p.open('/f', O_RDONLY);
    expect({ 'SEEK_END +2': p.lseek(fd, 2, SEEK_END), 'SEEK_CUR -3': p.lseek(fd, -3, SEEK_CUR), 'read 8': p.read(fd, new Uint8Array(8)) }).toEqual(
      K.get('descriptor results', 'lseek beyond the end of /f (5 bytes)'),
    );
  });

  /** Data at page 0, page 3 and page 5 (zeros written): [offset, length, byte] each; 7 pages + 100 long. */
  const SPARSE = { writes: [[0, 1, 0x61], [3 * 4096 + 5, 1, 0x62], [5 * 4096, 10, 0]], size: 7 * 4096 + 100 };

  it('the sparse file is the one the kernel was asked about', () => {
    expect(K.table('sparse file')).toEqual(SPARSE);
  });

  it.each(K.answers('SEEK_DATA and SEEK_HOLE', ['0', '4095', '4096', '8000', '12294', '16384', '20481', '24576', '28771', '28772']))(
    'SEEK_DATA and SEEK_HOLE from %s on a sparse tmpfs file -> %j',
    (from, expected) => {
      const p = world();
      const fd = p.open('/sparse', O_CREAT | O_RDWR, 0o644);
      for (const [at, length, byte] of SPARSE.writes) p.pwrite(fd, new Uint8Array(length!).fill(byte!), at!);
      p.ftruncate(fd, SPARSE.size);
      const seek = (whence: number): number | string => {
        let at: number | string = 0;
        const err = errOf(() => (at = p.lseek(fd, Number(from), whence)));
        return err === 'OK' ? at : err;
      };
      expect([seek(SEEK_DATA), seek(SEEK_HOLE)]).toEqual(expected);
    },
  );

  it('write of nothing returns 0 without growing the file', () => {
    const p = world();
    const fd = p.open('/f', O_WRONLY);
    p.lseek(fd, 100, SEEK_SET);
    expect({ 'write of 0 bytes at 100': p.write(fd, new Uint8Array(0)), size: p.stat('/f').size }).toEqual(K.get('descriptor results', 'an empty write past the end'));
  });
});

describe('close and dup', () => {
  it('close of a closed or never-opened descriptor is EBADF', () => {
    const p = world();
    const fd = p.open('/f', O_RDONLY);
    p.close(fd);
    expect({
      'close of a closed one': errOf(() => p.close(fd)),
      'close 99': errOf(() => p.close(99)),
      'close -1': errOf(() => p.close(-1)),
      'dup 99': errOf(() => p.dup(99)),
      'read of a closed one': errOf(() => p.read(fd, new Uint8Array(1))),
    }).toEqual(K.get('descriptor results', 'closed and never-opened descriptors'));
  });

  it('dup shares the offset and survives the close of the original', () => {
    const p = world();
    const fd = p.open('/f', O_RDONLY);
    const fd2 = p.dup(fd);
    expect(fd2).toBe(fd + 1);
    p.read(fd, new Uint8Array(2));
    expect(p.lseek(fd2, 0, SEEK_CUR)).toBe(2);
    p.close(fd);
    const buf = new Uint8Array(3);
    expect(p.read(fd2, buf)).toBe(3);
    expect(dec.decode(buf)).toBe('llo');
  });

  it('a forked task shares the open file description (offset)', () => {
    const p = world();
    const fd = p.open('/f', O_RDONLY);
    const c = p.fork();
    c.read(fd, new Uint8Array(4));
    expect(p.lseek(fd, 0, SEEK_CUR)).toBe(4);
  });

  it('an unlinked file stays readable through an open descriptor', () => {
    const p = world();
    const fd = p.open('/f', O_RDONLY);
    p.unlink('/f');
    const nlink = p.fstat(fd).nlink;
    const buf = new Uint8Array(5);
    expect({ nlink, read: dec.decode(buf.subarray(0, p.read(fd, buf))) }).toEqual(K.get('descriptor results', 'an unlinked file read through an open descriptor'));
  });
});

describe('stat, lstat, fstat, fstatat', () => {
  it.each(K.cases<(p: Process) => unknown>('stat', {
    'stat of a symlink follows it': (p) => p.stat('/lf').mode,
    'lstat of a symlink does not': (p) => p.lstat('/lf').mode,
    'lstat of a symlink: size is the target length': (p) => p.lstat('/lf').size,
    'lstat with a trailing slash follows a link to a directory': (p) => p.lstat('/ld/').mode,
    'a fresh directory has nlink 2': (p) => p.stat('/d').nlink,
    'a FIFO': (p) => p.stat('/fifo').mode,
    'a char device keeps its rdev': (p) => p.stat('/null').rdev,
    'fstatat AT_SYMLINK_NOFOLLOW': (p) => p.fstatat(AT_FDCWD, '/lf', AT_SYMLINK_NOFOLLOW).mode,
    'fstatat AT_EMPTY_PATH on a descriptor': (p) => p.fstatat(p.open('/f', O_RDONLY), '', AT_EMPTY_PATH).size,
    'fstatat relative to a directory descriptor': (p) => p.fstatat(p.open('/', O_DIRECTORY), 'f').size,
    'file size': (p) => p.stat('/f').size,
    'stat of a name with a trailing slash on a file': (p) => errOf(() => p.stat('/f/')),
    'lstat of a file link with a trailing slash': (p) => errOf(() => p.lstat('/lf/')),
    'stat of a dangling link': (p) => errOf(() => p.stat('/ldang')),
    'lstat of a dangling link': (p) => errOf(() => p.lstat('/ldang')),
    'stat of ""': (p) => errOf(() => p.stat('')),
    'fstatat "" without AT_EMPTY_PATH': (p) => errOf(() => p.fstatat(AT_FDCWD, '')),
    'fstatat with an unknown flag': (p) => errOf(() => p.fstatat(AT_FDCWD, '/f', 0x8000_0)),
    'fstat of a bad descriptor': (p) => errOf(() => p.fstat(42)),
  }))('%s', (_name, expected, op) => {
    expect(op(world())).toBe(expected);
  });

  it('a hard link shares the inode and counts in nlink', () => {
    const p = world();
    p.link('/f', '/f2');
    expect(p.stat('/f2').ino).toBe(p.stat('/f').ino);
    expect(p.stat('/f').nlink).toBe(2);
  });
});

describe('getdents', () => {
  it('lists . and .. first, then entries in the kernel\'s order (tmpfs: newest first), then nothing', () => {
    const p = world();
    const fd = p.open('/d', O_DIRECTORY);
    p.mkdir('/d/b');
    p.close(p.open('/d/a', O_CREAT | O_WRONLY));
    p.symlink('x', '/d/c');
    const TYPE: Record<number, string> = { [S_IFDIR]: 'dir', [S_IFREG]: 'file', [S_IFLNK]: 'symlink' };
    const ents = p.getdents(fd);
    const first = ents.map((e) => [e.name, TYPE[e.type]]);
    expect(ents[0]!.ino).toBe(p.stat('/d').ino);
    expect(ents[1]!.ino).toBe(p.stat('/').ino);
    const again = p.getdents(fd);
    p.lseek(fd, 0, SEEK_SET);
    expect({ first, again, 'after rewind': p.getdents(fd).length }).toEqual(K.get('getdents', 'through a descriptor opened before mkdir b, create a, symlink c'));
  });

  it('at the root `..` is the root itself', () => {
    const p = world();
    const ents = p.getdents(p.open('/', O_DIRECTORY));
    expect(ents[1]).toMatchObject({ name: '..', ino: p.stat('/').ino });
  });

  it('a removed directory reads as the kernel says (ENOENT)', () => {
    const p = world();
    const fd = p.open('/e', O_DIRECTORY);
    p.rmdir('/e');
    expect(errOf(() => p.getdents(fd))).toBe(K.get('getdents', 'of a removed directory'));
  });
});

describe('truncate and ftruncate', () => {
  it.each(K.answers('truncate', ['/f 2', '/f -1', '/d 0', '/fifo 0', '/missing 0', '/f/ 0', '/lf 1']))('truncate %s -> %s', (key, expected) => {
    const [path, length] = key.split(' ') as [string, string];
    expect(errOf(() => world().truncate(path, Number(length)))).toBe(expected);
  });

  it('shrinking drops data; growing reads as zeros', () => {
    const p = world();
    p.truncate('/f', 2);
    expect(readAll(p, '/f')).toBe('he');
    const fd = p.open('/f', O_RDWR);
    p.ftruncate(fd, 4);
    const buf = new Uint8Array(4);
    expect(p.pread(fd, buf, 0)).toBe(4);
    expect([...buf]).toEqual([104, 101, 0, 0]);
  });
});

describe('utimensat', () => {
  it('sets explicit times; UTIME_OMIT keeps one; UTIME_NOW takes the clock', () => {
    const p = world();
    p.utimensat(AT_FDCWD, '/f', [
      { sec: 100, nsec: 5 },
      { sec: 200, nsec: 6 },
    ]);
    expect(p.stat('/f')).toMatchObject({ atime: { sec: 100, nsec: 5 }, mtime: { sec: 200, nsec: 6 } });
    p.utimensat(AT_FDCWD, '/f', [
      { sec: 0, nsec: UTIME_OMIT },
      { sec: 300, nsec: 0 },
    ]);
    expect(p.stat('/f')).toMatchObject({ atime: { sec: 100, nsec: 5 }, mtime: { sec: 300, nsec: 0 } });
    p.utimensat(AT_FDCWD, '/f', [
      { sec: 0, nsec: UTIME_NOW },
      { sec: 0, nsec: UTIME_OMIT },
    ]);
    expect(p.stat('/f').atime).not.toEqual({ sec: 100, nsec: 5 });
    expect(p.stat('/f').mtime).toEqual({ sec: 300, nsec: 0 });
  });

  it('AT_SYMLINK_NOFOLLOW changes the link, not its target', () => {
    const p = world();
    p.utimensat(AT_FDCWD, '/lf', [{ sec: 7, nsec: 0 }, { sec: 8, nsec: 0 }], AT_SYMLINK_NOFOLLOW);
    expect(p.lstat('/lf').mtime).toEqual({ sec: 8, nsec: 0 });
    expect(p.stat('/f').mtime).not.toEqual({ sec: 8, nsec: 0 });
  });

  it.each(K.cases<[string | null, [number, number] | null, number]>('utimensat', {
    'nsec out of range': ['/f', [1_000_000_000, 0], 0],
    'negative nsec': ['/f', [-1, 0], 0],
    'unknown flag': ['/f', null, 0x4],
    'missing path': ['/missing', null, 0],
    // utimensat(2): with both UTIME_OMIT the kernel returns before even looking the path up.
    'both UTIME_OMIT on a missing path': ['/missing', [UTIME_OMIT, UTIME_OMIT], 0],
  }))('%s -> %s', (_n, expected, [path, nsecs, flags]) => {
    const p = world();
    const times = nsecs ? ([{ sec: 1, nsec: nsecs[0] }, { sec: 1, nsec: nsecs[1] }] as [{ sec: number; nsec: number }, { sec: number; nsec: number }]) : null;
    expect(errOf(() => p.utimensat(AT_FDCWD, path, times, flags))).toBe(expected);
  });
});

itChecksEveryAnswer(K);
