/**
 * open/openat, read, write, pread, pwrite, lseek, close, dup, stat family, getdents, truncate,
 * ftruncate and utimensat: results and errno as Linux 6.18 gives them on tmpfs (each expected
 * errno below was checked on this machine's kernel in `unshare -m` on a fresh tmpfs).
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
  S_IFMT,
  S_IFREG,
  SEEK_CUR,
  SEEK_DATA,
  SEEK_HOLE,
  SEEK_END,
  SEEK_SET,
  SysError,
  UTIME_NOW,
  UTIME_OMIT,
} from '../../src/index.js';
import type { Process } from '../../src/vfs/process.js';
import { errOf, writeFile } from './helpers.js';

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

function readAll(p: Process, path: string): string {
  const fd = p.open(path, O_RDONLY);
  const buf = new Uint8Array(65536);
  const n = p.read(fd, buf);
  p.close(fd);
  return dec.decode(buf.subarray(0, n));
}

describe('open(2) flag and path combinations', () => {
  it.each<[string, number, string]>([
    ['/f', O_RDONLY, 'OK'],
    ['/f', O_WRONLY, 'OK'],
    ['/f', O_RDWR, 'OK'],
    ['/f/', O_RDONLY, 'ENOTDIR'],
    ['/f/', O_RDONLY | O_CREAT, 'EISDIR'],
    ['/new/', O_RDONLY | O_CREAT, 'EISDIR'],
    ['/f/x', O_RDONLY, 'ENOTDIR'],
    ['/missing', O_RDONLY, 'ENOENT'],
    ['/missing/x', O_WRONLY | O_CREAT, 'ENOENT'],
    ['/d', O_RDONLY, 'OK'],
    ['/d', O_RDONLY | O_TRUNC, 'EISDIR'],
    ['/d', O_WRONLY, 'EISDIR'],
    ['/d', O_RDWR, 'EISDIR'],
    ['/d', O_RDONLY | O_CREAT, 'EISDIR'],
    ['/d', O_DIRECTORY, 'OK'],
    ['/', O_RDONLY | O_CREAT, 'EISDIR'],
    ['/d/.', O_WRONLY | O_CREAT, 'EISDIR'],
    ['/f', O_DIRECTORY, 'ENOTDIR'],
    ['/f', O_CREAT | O_DIRECTORY, 'EINVAL'],
    ['/f', O_CREAT | O_EXCL | O_WRONLY, 'EEXIST'],
    ['/lf', O_RDONLY, 'OK'],
    ['/lf', O_NOFOLLOW, 'ELOOP'],
    ['/lf', O_NOFOLLOW | O_PATH, 'OK'],
    ['/lf/', O_RDONLY, 'ENOTDIR'],
    ['/ld/', O_DIRECTORY, 'OK'],
    ['/ld', O_NOFOLLOW | O_DIRECTORY, 'ENOTDIR'],
    ['/lf', O_NOFOLLOW | O_DIRECTORY, 'ENOTDIR'],
    ['/ldang', O_RDONLY, 'ENOENT'],
    ['/ldang', O_CREAT | O_EXCL | O_WRONLY, 'EEXIST'],
    ['/ld/', O_RDONLY | O_CREAT, 'EISDIR'],
    ['/fifo', O_RDWR, 'OK'],
    ['/null', O_WRONLY | O_TRUNC, 'OK'],
  ])('open(%j, 0%o) -> %s', (path, flags, expected) => {
    const p = world();
    expect(errOf(() => p.open(path, flags, 0o644))).toBe(expected);
  });

  it('O_CREAT through a dangling symlink creates the link target', () => {
    const p = world();
    p.close(p.open('/ldang', O_WRONLY | O_CREAT, 0o600));
    expect(p.lstat('/nope').mode).toBe(S_IFREG | 0o600);
    expect(p.lstat('/ldang').mode & S_IFMT).toBe(S_IFLNK);
  });

  it('O_CREAT of an existing file neither truncates nor changes its mode', () => {
    const p = world();
    p.close(p.open('/f', O_RDWR | O_CREAT, 0o600));
    expect(p.stat('/f')).toMatchObject({ size: 5, mode: S_IFREG | 0o644 });
  });

  it('O_TRUNC empties the file, O_RDONLY|O_TRUNC included', () => {
    const p = world();
    p.close(p.open('/f', O_RDONLY | O_TRUNC));
    expect(p.stat('/f').size).toBe(0);
  });

  it('O_CREAT mode is masked by the umask', () => {
    const p = world();
    p.umaskSet(0o027);
    p.close(p.open('/m', O_WRONLY | O_CREAT, 0o666));
    expect(p.stat('/m').mode).toBe(S_IFREG | 0o640);
  });

  it('openat resolves a relative name from the directory descriptor, an absolute one from the root', () => {
    const p = world();
    p.close(p.open('/d/inner', O_WRONLY | O_CREAT, 0o644));
    const dfd = p.open('/d', O_DIRECTORY);
    expect(errOf(() => p.openat(dfd, 'inner', O_RDONLY))).toBe('OK');
    expect(errOf(() => p.openat(dfd, '/f', O_RDONLY))).toBe('OK');
    expect(errOf(() => p.openat(dfd, 'f', O_RDONLY))).toBe('ENOENT');
    const ffd = p.open('/f', O_RDONLY);
    expect(errOf(() => p.openat(ffd, 'x', O_RDONLY))).toBe('ENOTDIR');
    expect(errOf(() => p.openat(99, 'x', O_RDONLY))).toBe('EBADF');
    expect(errOf(() => p.openat(99, '/f', O_RDONLY))).toBe('OK');
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

  it.each<[string, string, number, (p: Process, fd: number) => unknown, string]>([
    ['read of O_WRONLY', '/f', O_WRONLY, (p, fd) => p.read(fd, new Uint8Array(1)), 'EBADF'],
    ['write of O_RDONLY', '/f', O_RDONLY, (p, fd) => p.write(fd, enc.encode('x')), 'EBADF'],
    ['read of a directory', '/d', O_RDONLY, (p, fd) => p.read(fd, new Uint8Array(1)), 'EISDIR'],
    ['pread of a directory', '/d', O_RDONLY, (p, fd) => p.pread(fd, new Uint8Array(1), 0), 'EISDIR'],
    ['pread at -1', '/f', O_RDONLY, (p, fd) => p.pread(fd, new Uint8Array(1), -1), 'EINVAL'],
    ['pwrite at -1', '/f', O_WRONLY, (p, fd) => p.pwrite(fd, enc.encode('x'), -1), 'EINVAL'],
    ['pread of a FIFO', '/fifo', O_RDWR, (p, fd) => p.pread(fd, new Uint8Array(1), 0), 'ESPIPE'],
    ['lseek of a FIFO', '/fifo', O_RDWR, (p, fd) => p.lseek(fd, 0, SEEK_SET), 'ESPIPE'],
    ['lseek to -1', '/f', O_RDONLY, (p, fd) => p.lseek(fd, -1, SEEK_SET), 'EINVAL'],
    ['lseek SEEK_CUR below 0', '/f', O_RDONLY, (p, fd) => p.lseek(fd, -1, SEEK_CUR), 'EINVAL'],
    ['lseek whence 9', '/f', O_RDONLY, (p, fd) => p.lseek(fd, 0, 9), 'EINVAL'],
    ['lseek of a directory', '/d', O_RDONLY, (p, fd) => p.lseek(fd, 0, SEEK_SET), 'OK'],
    ['lseek SEEK_END of a directory', '/d', O_RDONLY, (p, fd) => p.lseek(fd, 0, SEEK_END), 'EINVAL'],
    ['lseek SEEK_DATA of a directory', '/d', O_RDONLY, (p, fd) => p.lseek(fd, 0, SEEK_DATA), 'EINVAL'],
    ['lseek SEEK_DATA at the end', '/f', O_RDONLY, (p, fd) => p.lseek(fd, 5, SEEK_DATA), 'ENXIO'],
    ['lseek SEEK_HOLE at the end', '/f', O_RDONLY, (p, fd) => p.lseek(fd, 5, SEEK_HOLE), 'ENXIO'],
    ['lseek SEEK_HOLE at -1', '/f', O_RDONLY, (p, fd) => p.lseek(fd, -1, SEEK_HOLE), 'ENXIO'],
    ['read of O_PATH', '/f', O_PATH, (p, fd) => p.read(fd, new Uint8Array(1)), 'EBADF'],
    ['write of O_PATH', '/f', O_PATH | O_WRONLY, (p, fd) => p.write(fd, enc.encode('x')), 'EBADF'],
    ['lseek of O_PATH', '/f', O_PATH, (p, fd) => p.lseek(fd, 0, SEEK_SET), 'EBADF'],
    ['fstat of O_PATH', '/f', O_PATH, (p, fd) => p.fstat(fd), 'OK'],
    ['fchmod of O_PATH', '/f', O_PATH, (p, fd) => p.fchmod(fd, 0o600), 'EBADF'],
    ['fchown of O_PATH', '/f', O_PATH, (p, fd) => p.fchown(fd, 0, 0), 'EBADF'],
    ['ftruncate of O_PATH', '/f', O_PATH, (p, fd) => p.ftruncate(fd, 0), 'EBADF'],
    ['fgetxattr of O_PATH', '/f', O_PATH, (p, fd) => p.fgetxattr(fd, 'user.x'), 'EBADF'],
    ['dup of O_PATH', '/f', O_PATH, (p, fd) => p.dup(fd), 'OK'],
    ['fchdir to O_PATH directory', '/d', O_PATH, (p, fd) => p.fchdir(fd), 'OK'],
    ['fchdir to a file', '/f', O_RDONLY, (p, fd) => p.fchdir(fd), 'ENOTDIR'],
    ['ftruncate of O_RDONLY', '/f', O_RDONLY, (p, fd) => p.ftruncate(fd, 0), 'EINVAL'],
    ['ftruncate of a FIFO', '/fifo', O_RDWR, (p, fd) => p.ftruncate(fd, 0), 'EINVAL'],
    ['ftruncate to -1', '/f', O_WRONLY, (p, fd) => p.ftruncate(fd, -1), 'EINVAL'],
    ['getdents of a file', '/f', O_RDONLY, (p, fd) => p.getdents(fd), 'ENOTDIR'],
  ])('%s -> %s', (_name, path, flags, op, expected) => {
    const p = world();
    const fd = p.open(path, flags);
    expect(errOf(() => op(p, fd))).toBe(expected);
  });

  it('lseek SEEK_END and SEEK_CUR compute from size and offset; beyond the end is allowed', () => {
    const p = world();
    const fd = p.open('/f', O_RDONLY);
    expect(p.lseek(fd, 2, SEEK_END)).toBe(7);
    expect(p.lseek(fd, -3, SEEK_CUR)).toBe(4);
    expect(p.read(fd, new Uint8Array(8))).toBe(1);
  });

  // Recorded on Linux 6.18 tmpfs: data at page 0, page 3 and page 5 (zeros written), size 7 pages + 100.
  it.each<[number, number | string, number | string]>([
    [0, 0, 4096],
    [4095, 4095, 4096],
    [4096, 12288, 4096],
    [8000, 12288, 8000],
    [12294, 12294, 16384],
    [16384, 20480, 16384],
    [20481, 20481, 24576],
    [24576, 'ENXIO', 24576],
    [28771, 'ENXIO', 28771],
    [28772, 'ENXIO', 'ENXIO'],
  ])('SEEK_DATA and SEEK_HOLE from %i on a sparse tmpfs file -> %s, %s', (from, data, hole) => {
    const p = world();
    const fd = p.open('/sparse', O_CREAT | O_RDWR, 0o644);
    p.pwrite(fd, enc.encode('a'), 0);
    p.pwrite(fd, enc.encode('b'), 3 * 4096 + 5);
    p.pwrite(fd, new Uint8Array(10), 5 * 4096);
    p.ftruncate(fd, 7 * 4096 + 100);
    const seek = (whence: number) => {
      try {
        return p.lseek(fd, from, whence);
      } catch (e) {
        return errOf(() => { throw e; });
      }
    };
    expect([seek(SEEK_DATA), seek(SEEK_HOLE)]).toEqual([data, hole]);
  });

  it('write of nothing returns 0 without growing the file', () => {
    const p = world();
    const fd = p.open('/f', O_WRONLY);
    p.lseek(fd, 100, SEEK_SET);
    expect(p.write(fd, new Uint8Array(0))).toBe(0);
    expect(p.stat('/f').size).toBe(5);
  });
});

describe('close and dup', () => {
  it('close of a closed or never-opened descriptor is EBADF', () => {
    const p = world();
    const fd = p.open('/f', O_RDONLY);
    p.close(fd);
    expect(errOf(() => p.close(fd))).toBe('EBADF');
    expect(errOf(() => p.close(99))).toBe('EBADF');
    expect(errOf(() => p.close(-1))).toBe('EBADF');
    expect(errOf(() => p.dup(99))).toBe('EBADF');
    expect(errOf(() => p.read(fd, new Uint8Array(1)))).toBe('EBADF');
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
    expect(p.fstat(fd).nlink).toBe(0);
    const buf = new Uint8Array(5);
    expect(p.read(fd, buf)).toBe(5);
    expect(dec.decode(buf)).toBe('hello');
  });
});

describe('stat, lstat, fstat, fstatat', () => {
  it.each<[string, (p: Process) => unknown, number | string]>([
    ['stat of a symlink follows it', (p) => p.stat('/lf').mode, S_IFREG | 0o644],
    ['lstat of a symlink does not', (p) => p.lstat('/lf').mode, S_IFLNK | 0o777],
    ['lstat of a symlink: size is the target length', (p) => p.lstat('/lf').size, 1],
    ['lstat with a trailing slash follows a link to a directory', (p) => p.lstat('/ld/').mode, S_IFDIR | 0o755],
    ['a fresh directory has nlink 2', (p) => p.stat('/d').nlink, 2],
    ['a FIFO', (p) => p.stat('/fifo').mode, S_IFIFO | 0o666],
    ['a char device keeps its rdev', (p) => p.stat('/null').rdev, makedev(1, 3)],
    ['fstatat AT_SYMLINK_NOFOLLOW', (p) => p.fstatat(AT_FDCWD, '/lf', AT_SYMLINK_NOFOLLOW).mode, S_IFLNK | 0o777],
    ['fstatat AT_EMPTY_PATH on a descriptor', (p) => p.fstatat(p.open('/f', O_RDONLY), '', AT_EMPTY_PATH).size, 5],
    ['fstatat relative to a directory descriptor', (p) => p.fstatat(p.open('/', O_DIRECTORY), 'f').size, 5],
    ['file size', (p) => p.stat('/f').size, 5],
    ['stat of a name with a trailing slash on a file', (p) => errOf(() => p.stat('/f/')), 'ENOTDIR'],
    ['lstat of a file link with a trailing slash', (p) => errOf(() => p.lstat('/lf/')), 'ENOTDIR'],
    ['stat of a dangling link', (p) => errOf(() => p.stat('/ldang')), 'ENOENT'],
    ['lstat of a dangling link', (p) => errOf(() => p.lstat('/ldang')), 'OK'],
    ['stat of ""', (p) => errOf(() => p.stat('')), 'ENOENT'],
    ['fstatat "" without AT_EMPTY_PATH', (p) => errOf(() => p.fstatat(AT_FDCWD, '')), 'ENOENT'],
    ['fstatat with an unknown flag', (p) => errOf(() => p.fstatat(AT_FDCWD, '/f', 0x8000_0)), 'EINVAL'],
    ['fstat of a bad descriptor', (p) => errOf(() => p.fstat(42)), 'EBADF'],
  ])('%s', (_name, op, expected) => {
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
  it('lists . and .. first, then entries newest first (tmpfs on 6.18), then nothing', () => {
    const p = world();
    const fd = p.open('/d', O_DIRECTORY);
    p.mkdir('/d/b');
    p.close(p.open('/d/a', O_CREAT | O_WRONLY));
    p.symlink('x', '/d/c');
    const ents = p.getdents(fd);
    expect(ents.map((e) => [e.name, e.type])).toEqual([
      ['.', S_IFDIR],
      ['..', S_IFDIR],
      ['c', S_IFLNK],
      ['a', S_IFREG],
      ['b', S_IFDIR],
    ]);
    expect(ents[0]!.ino).toBe(p.stat('/d').ino);
    expect(ents[1]!.ino).toBe(p.stat('/').ino);
    expect(p.getdents(fd)).toEqual([]);
    p.lseek(fd, 0, SEEK_SET);
    expect(p.getdents(fd)).toHaveLength(5);
  });

  it('at the root `..` is the root itself', () => {
    const p = world();
    const ents = p.getdents(p.open('/', O_DIRECTORY));
    expect(ents[1]).toMatchObject({ name: '..', ino: p.stat('/').ino });
  });

  it('a removed directory reads as ENOENT', () => {
    const p = world();
    const fd = p.open('/e', O_DIRECTORY);
    p.rmdir('/e');
    expect(errOf(() => p.getdents(fd))).toBe('ENOENT');
  });
});

describe('truncate and ftruncate', () => {
  it.each<[string, number, string]>([
    ['/f', 2, 'OK'],
    ['/f', -1, 'EINVAL'],
    ['/d', 0, 'EISDIR'],
    ['/fifo', 0, 'EINVAL'],
    ['/missing', 0, 'ENOENT'],
    ['/f/', 0, 'ENOTDIR'],
    ['/lf', 1, 'OK'],
  ])('truncate(%j, %d) -> %s', (path, len, expected) => {
    expect(errOf(() => world().truncate(path, len))).toBe(expected);
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

  it.each<[string, string | null, [number, number] | null, number, string]>([
    ['nsec out of range', '/f', [1_000_000_000, 0], 0, 'EINVAL'],
    ['negative nsec', '/f', [-1, 0], 0, 'EINVAL'],
    ['unknown flag', '/f', null, 0x4, 'EINVAL'],
    ['missing path', '/missing', null, 0, 'ENOENT'],
    // utimensat(2): with both UTIME_OMIT the kernel returns before even looking the path up.
    ['both UTIME_OMIT on a missing path', '/missing', [UTIME_OMIT, UTIME_OMIT], 0, 'OK'],
  ])('%s (%s)', (_n, path, nsecs, flags, expected) => {
    const p = world();
    const times = nsecs ? ([{ sec: 1, nsec: nsecs[0] }, { sec: 1, nsec: nsecs[1] }] as [{ sec: number; nsec: number }, { sec: number; nsec: number }]) : null;
    expect(errOf(() => p.utimensat(AT_FDCWD, path, times, flags))).toBe(expected);
  });
});
