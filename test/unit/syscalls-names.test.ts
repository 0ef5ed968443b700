/**
 * Creating, removing and renaming names: mkdir(at), mknod(at), symlink(at), readlink(at),
 * link(at), unlink(at), rmdir, rename/renameat2; path-walk limits (40 links, NAME_MAX,
 * PATH_MAX), trailing slashes, `..`, chdir/fchdir/getcwd and chroot. Every expected errno was
 * checked on Linux 6.18 (tmpfs in `unshare -m`).
 */
import { describe, expect, it } from 'vitest';
import {
  AT_EMPTY_PATH,
  AT_FDCWD,
  AT_REMOVEDIR,
  AT_SYMLINK_FOLLOW,
  Credentials,
  createSandbox,
  makedev,
  O_CREAT,
  O_DIRECTORY,
  O_EXCL,
  O_NOFOLLOW,
  O_PATH,
  O_RDONLY,
  O_WRONLY,
  RENAME_EXCHANGE,
  RENAME_NOREPLACE,
  S_IFBLK,
  S_IFCHR,
  S_IFDIR,
  S_IFIFO,
  S_IFLNK,
  S_IFREG,
  S_IFSOCK,
  SysError,
} from '../../src/index.js';
import type { Process } from '../../src/vfs/process.js';
import { errOf, writeFile } from './helpers.js';

const enc = new TextEncoder();


/** / with d/ (holding sub/x), e/ (empty), f, lf -> f, ld -> d, ldang -> nope. */
function world(): Process {
  const p = createSandbox().process;
  p.mkdir('/d', 0o755);
  p.mkdir('/d/sub', 0o755);
  p.close(p.open('/d/sub/x', O_CREAT | O_WRONLY, 0o644));
  p.mkdir('/e', 0o755);
  writeFile(p, '/f', 'abc', 0o644);
  p.symlink('f', '/lf');
  p.symlink('d', '/ld');
  p.symlink('nope', '/ldang');
  return p;
}

const exists = (p: Process, path: string): boolean => errOf(() => p.lstat(path)) === 'OK';

describe('trailing slashes', () => {
  it.each<[string, (p: Process) => unknown, string]>([
    ['mkdir new/', (p) => p.mkdir('/nd/'), 'OK'],
    ['mkdir f (exists)', (p) => p.mkdir('/f'), 'EEXIST'],
    ['mkdir over a dangling link', (p) => p.mkdir('/ldang'), 'EEXIST'],
    ['mkdir .', (p) => p.mkdir('/d/.'), 'EEXIST'],
    ['mkdir /', (p) => p.mkdir('/'), 'EEXIST'],
    ['mknod new/', (p) => p.mknod('/nn/', S_IFIFO | 0o644), 'ENOENT'],
    ['symlink to new/', (p) => p.symlink('x', '/ns/'), 'ENOENT'],
    ['link to new/', (p) => p.link('/f', '/nl/'), 'ENOENT'],
    ['unlink f/', (p) => p.unlink('/f/'), 'ENOTDIR'],
    ['unlink d/', (p) => p.unlink('/e/'), 'EISDIR'],
    ['unlink missing/', (p) => p.unlink('/missing/'), 'ENOENT'],
    ['unlink a directory', (p) => p.unlink('/e'), 'EISDIR'],
    ['unlink lf (the link)', (p) => p.unlink('/lf'), 'OK'],
    ['rmdir f', (p) => p.rmdir('/f'), 'ENOTDIR'],
    ['rmdir f/', (p) => p.rmdir('/f/'), 'ENOTDIR'],
    ['rmdir e/', (p) => p.rmdir('/e/'), 'OK'],
    ['rmdir a link to a directory', (p) => p.rmdir('/ld'), 'ENOTDIR'],
    ['rmdir a link to a directory with slash', (p) => p.rmdir('/ld/'), 'ENOTDIR'],
    ['rmdir .', (p) => p.rmdir('/e/.'), 'EINVAL'],
    ['rmdir ..', (p) => p.rmdir('/d/sub/..'), 'ENOTEMPTY'],
    ['rmdir /', (p) => p.rmdir('/'), 'EBUSY'],
    ['rmdir a non-empty directory', (p) => p.rmdir('/d'), 'ENOTEMPTY'],
    ['rmdir missing', (p) => p.rmdir('/missing'), 'ENOENT'],
    ['rename f to new/', (p) => p.rename('/f', '/n/'), 'ENOTDIR'],
    ['rename f/ to x', (p) => p.rename('/f/', '/x'), 'ENOTDIR'],
    ['rename e to new/', (p) => p.rename('/e', '/n/'), 'OK'],
    ['rename e/ to new/', (p) => p.rename('/e/', '/n/'), 'OK'],
    ['rename a link to a dir to new/', (p) => p.rename('/ld', '/n/'), 'ENOTDIR'],
    ['readlink of ld/ (follows)', (p) => p.readlink('/ld/'), 'EINVAL'],
    ['stat of ld/ (follows)', (p) => p.stat('/ld/'), 'OK'],
    ['lstat of lf/', (p) => p.lstat('/lf/'), 'ENOTDIR'],
    ['lstat of ldang/', (p) => p.lstat('/ldang/'), 'ENOENT'],
    ['open of f/.', (p) => p.open('/f/.', O_RDONLY), 'ENOTDIR'],
    ['chdir to f/', (p) => p.chdir('/f/'), 'ENOTDIR'],
  ])('%s -> %s', (_n, op, expected) => {
    expect(errOf(() => op(world()))).toBe(expected);
  });
});

describe('symlink limits: 40 links a resolution (ELOOP)', () => {
  /** l0 -> f, l1 -> l0, ..., l44 -> l43 */
  function chain(): Process {
    const p = world();
    p.symlink('f', '/l0');
    for (let i = 1; i < 45; i++) p.symlink(`l${i - 1}`, `/l${i}`);
    p.symlink('lb', '/la');
    p.symlink('la', '/lb');
    p.symlink('self', '/self');
    return p;
  }

  it.each<[string, (p: Process) => unknown, string]>([
    ['stat l39 (40 links)', (p) => p.stat('/l39'), 'OK'],
    ['stat l40 (41 links)', (p) => p.stat('/l40'), 'ELOOP'],
    ['lstat l44', (p) => p.lstat('/l44'), 'OK'],
    ['open l39', (p) => p.open('/l39', O_RDONLY), 'OK'],
    ['open l40', (p) => p.open('/l40', O_RDONLY), 'ELOOP'],
    ['a two-link loop', (p) => p.stat('/la'), 'ELOOP'],
    ['a self loop', (p) => p.stat('/self'), 'ELOOP'],
    ['lstat of a loop', (p) => p.lstat('/la'), 'OK'],
    ['open O_CREAT through a loop', (p) => p.open('/la', O_CREAT | O_WRONLY), 'ELOOP'],
    ['open O_NOFOLLOW of a loop', (p) => p.open('/la', O_NOFOLLOW), 'ELOOP'],
    ['open O_NOFOLLOW|O_PATH of a loop', (p) => p.open('/la', O_NOFOLLOW | O_PATH), 'OK'],
    ['a loop in the middle of a path', (p) => p.stat('/la/x'), 'ELOOP'],
    ['readlink of a loop', (p) => p.readlink('/la'), 'OK'],
  ])('%s -> %s', (_n, op, expected) => {
    expect(errOf(() => op(chain()))).toBe(expected);
  });

  it('links in the middle and at the end share one budget', () => {
    const p = world();
    p.mkdir('/t');
    // m0 -> t, m1 -> m0 ... m19 -> m18: 20 links to reach /t
    p.symlink('t', '/m0');
    for (let i = 1; i < 20; i++) p.symlink(`m${i - 1}`, `/m${i}`);
    p.symlink('/f', '/t/k0');
    for (let i = 1; i < 21; i++) p.symlink(`k${i - 1}`, `/t/k${i}`);
    expect(errOf(() => p.stat('/m19/k19'))).toBe('OK'); // 20 + 20 links
    expect(errOf(() => p.stat('/m19/k20'))).toBe('ELOOP'); // 20 + 21
  });

  // Recorded on Linux 6.18: 30 directory links, then a dangling chain that O_CREAT follows.
  it.each<[number, string]>([
    [10, 'OK'],
    [11, 'ELOOP'],
  ])('O_CREAT through 30 links then a dangling chain of %i -> %s', (m, expected) => {
    const p = world();
    p.mkdir('/real');
    for (let i = 1; i <= 30; i++) p.symlink(i < 30 ? `d${i + 1}` : 'real', `/d${i}`);
    for (let j = 1; j <= m; j++) p.symlink(j < m ? `f${j + 1}` : 'new', `/real/f${j}`);
    expect(errOf(() => p.open('/d1/f1', O_CREAT | O_WRONLY, 0o644))).toBe(expected);
    expect(errOf(() => p.stat('/real/new'))).toBe(expected === 'OK' ? 'OK' : 'ENOENT');
  });
});

describe('NAME_MAX 255 and PATH_MAX 4096 (ENAMETOOLONG)', () => {
  it.each<[string, (p: Process) => unknown, string]>([
    ['mkdir of a 255-byte name', (p) => p.mkdir('/' + 'a'.repeat(255)), 'OK'],
    ['mkdir of a 256-byte name', (p) => p.mkdir('/' + 'a'.repeat(256)), 'ENAMETOOLONG'],
    ['a 256-byte name counts UTF-8 bytes (128 two-byte chars)', (p) => p.mkdir('/' + 'é'.repeat(128)), 'ENAMETOOLONG'],
    ['127 two-byte chars fit', (p) => p.mkdir('/' + 'é'.repeat(127)), 'OK'],
    ['stat of a 256-byte name', (p) => p.stat('/' + 'b'.repeat(256)), 'ENAMETOOLONG'],
    ['a missing directory comes before a long name', (p) => p.stat('/missing/' + 'b'.repeat(256)), 'ENOENT'],
    ['open O_CREAT of a 256-byte name', (p) => p.open('/' + 'c'.repeat(256), O_CREAT | O_WRONLY), 'ENAMETOOLONG'],
    ['a path of 4095 bytes', (p) => p.stat('./'.repeat(2047) + 'f'), 'OK'],
    ['a path of 4096 bytes', (p) => p.stat('./'.repeat(2047) + 'ff'), 'ENAMETOOLONG'],
    ['symlink with a 4095-byte target', (p) => p.symlink('a'.repeat(4095), '/s'), 'OK'],
    ['symlink with a 4096-byte target', (p) => p.symlink('a'.repeat(4096), '/s'), 'ENAMETOOLONG'],
    ['symlink with an empty target', (p) => p.symlink('', '/s'), 'ENOENT'],
  ])('%s -> %s', (_n, op, expected) => {
    expect(errOf(() => op(world()))).toBe(expected);
  });
});

describe('mkdir and mknod', () => {
  it.each<[string, number, number, string, number | null]>([
    ['a FIFO', S_IFIFO | 0o644, 0, 'OK', S_IFIFO | 0o644],
    ['a char device', S_IFCHR | 0o600, makedev(4, 5), 'OK', S_IFCHR | 0o600],
    ['a block device', S_IFBLK | 0o600, makedev(8, 1), 'OK', S_IFBLK | 0o600],
    ['a regular file (S_IFREG)', S_IFREG | 0o640, 0, 'OK', S_IFREG | 0o640],
    ['a regular file (type 0)', 0o640, 0, 'OK', S_IFREG | 0o640],
    ['a socket', S_IFSOCK | 0o755, 0, 'OK', S_IFSOCK | 0o755],
    ['a directory', S_IFDIR | 0o755, 0, 'EPERM', null],
    ['a bad type', 0o150000 | 0o644, 0, 'EINVAL', null],
  ])('mknod of %s -> %s', (_n, mode, dev, expected, statMode) => {
    const p = world();
    expect(errOf(() => p.mknod('/n', mode, dev))).toBe(expected);
    if (statMode !== null) {
      expect(p.stat('/n').mode).toBe(statMode);
      expect(p.stat('/n').rdev).toBe(dev);
    }
  });

  it('a socket node opens only as O_PATH (no_open(): ENXIO)', () => {
    const p = world();
    p.mknod('/sock', S_IFSOCK | 0o666);
    expect(errOf(() => p.open('/sock', O_RDONLY))).toBe('ENXIO');
    expect(errOf(() => p.open('/sock', O_WRONLY | O_CREAT, 0o644))).toBe('ENXIO');
    expect(errOf(() => p.open('/sock', O_PATH))).toBe('OK');
  });

  it.each<[string, (p: Process) => unknown, string]>([
    ['mknod over an existing name', (p) => p.mknod('/f', S_IFIFO | 0o644), 'EEXIST'],
    ['mknod in a missing directory', (p) => p.mknod('/missing/n', S_IFIFO | 0o644), 'ENOENT'],
    ['mknod under a file', (p) => p.mknod('/f/n', S_IFIFO | 0o644), 'ENOTDIR'],
    ['mkdir in a missing directory', (p) => p.mkdir('/missing/n'), 'ENOENT'],
    ['mkdir under a file', (p) => p.mkdir('/f/n'), 'ENOTDIR'],
    ['mkdir through a link to a directory', (p) => p.mkdir('/ld/n'), 'OK'],
    ['mkdirat relative to a file descriptor', (p) => p.mkdirat(p.open('/f', O_RDONLY), 'n'), 'ENOTDIR'],
    ['mkdirat relative to a directory descriptor', (p) => p.mkdirat(p.open('/d', O_DIRECTORY), 'n'), 'OK'],
    ['mknodat relative to a directory descriptor', (p) => p.mknodat(p.open('/d', O_DIRECTORY), 'n', S_IFIFO | 0o600), 'OK'],
  ])('%s -> %s', (_n, op, expected) => {
    expect(errOf(() => op(world()))).toBe(expected);
  });

  it('mkdir applies the umask; mknod too; a symlink is always 0777', () => {
    const p = world();
    p.umaskSet(0o022);
    p.mkdir('/m', 0o777);
    p.mknod('/n', S_IFIFO | 0o666);
    p.symlink('x', '/s');
    expect(p.stat('/m').mode).toBe(S_IFDIR | 0o755);
    expect(p.stat('/n').mode).toBe(S_IFIFO | 0o644);
    expect(p.lstat('/s').mode).toBe(S_IFLNK | 0o777);
    expect(p.umaskSet(0)).toBe(0o022);
  });

  it('mkdir keeps the sticky bit but not setuid', () => {
    const p = world();
    p.mkdir('/t', 0o7777);
    expect(p.stat('/t').mode).toBe(S_IFDIR | 0o1777);
  });

  it('a subdirectory adds one to its parent nlink; rmdir takes it away', () => {
    const p = world();
    expect(p.stat('/e').nlink).toBe(2);
    p.mkdir('/e/s');
    expect(p.stat('/e').nlink).toBe(3);
    p.rmdir('/e/s');
    expect(p.stat('/e').nlink).toBe(2);
  });
});

describe('symlink, readlink', () => {
  it.each<[string, (p: Process) => unknown, unknown]>([
    ['readlink returns the target verbatim', (p) => p.readlink('/lf'), 'f'],
    ['readlink of a dangling link', (p) => p.readlink('/ldang'), 'nope'],
    ['readlink of a file', (p) => errOf(() => p.readlink('/f')), 'EINVAL'],
    ['readlink of a missing name', (p) => errOf(() => p.readlink('/missing')), 'ENOENT'],
    ['readlinkat with AT_FDCWD', (p) => p.readlinkat(AT_FDCWD, '/ld'), 'd'],
    ['readlinkat of "" on an O_PATH|O_NOFOLLOW link descriptor', (p) => p.readlinkat(p.open('/lf', O_PATH | O_NOFOLLOW), ''), 'f'],
    ['readlinkat relative to a directory descriptor', (p) => p.readlinkat(p.open('/', O_DIRECTORY), 'ld'), 'd'],
    ['symlink over an existing name', (p) => errOf(() => p.symlink('x', '/f')), 'EEXIST'],
    ['symlink over a dangling link', (p) => errOf(() => p.symlink('x', '/ldang')), 'EEXIST'],
    ['symlinkat relative to a directory descriptor', (p) => errOf(() => p.symlinkat('../f', p.open('/d', O_DIRECTORY), 'l')), 'OK'],
    ['an absolute target is resolved from the task root', (p) => (p.symlink('/f', '/d/abs'), p.stat('/d/abs').size), 3],
    ['a relative target is resolved from the link directory', (p) => (p.symlink('../f', '/d/rel'), p.stat('/d/rel').size), 3],
  ])('%s', (_n, op, expected) => {
    expect(op(world())).toEqual(expected);
  });
});

describe('link and linkat', () => {
  it.each<[string, (p: Process) => unknown, string]>([
    ['a hard link to a directory', (p) => p.link('/e', '/el'), 'EPERM'],
    ['a hard link over an existing name', (p) => p.link('/f', '/lf'), 'EEXIST'],
    ['a hard link from a missing name', (p) => p.link('/missing', '/x'), 'ENOENT'],
    ['a hard link into a missing directory', (p) => p.link('/f', '/missing/x'), 'ENOENT'],
    ['link does not follow the source link', (p) => p.link('/ldang', '/x'), 'OK'],
    ['linkat AT_SYMLINK_FOLLOW of a dangling link', (p) => p.linkat(AT_FDCWD, '/ldang', AT_FDCWD, '/x', AT_SYMLINK_FOLLOW), 'ENOENT'],
    ['linkat AT_SYMLINK_FOLLOW to a directory', (p) => p.linkat(AT_FDCWD, '/ld', AT_FDCWD, '/x', AT_SYMLINK_FOLLOW), 'EPERM'],
    ['linkat with an unknown flag', (p) => p.linkat(AT_FDCWD, '/f', AT_FDCWD, '/x', 0x1), 'EINVAL'],
    ['linkat AT_EMPTY_PATH of an open file', (p) => p.linkat(p.open('/f', O_RDONLY), '', AT_FDCWD, '/x', AT_EMPTY_PATH), 'OK'],
  ])('%s -> %s', (_n, op, expected) => {
    expect(errOf(() => op(world()))).toBe(expected);
  });

  it('link of a symlink without AT_SYMLINK_FOLLOW links the symlink itself', () => {
    const p = world();
    p.link('/lf', '/hl');
    expect(p.lstat('/hl').mode).toBe(S_IFLNK | 0o777);
    expect(p.lstat('/hl').ino).toBe(p.lstat('/lf').ino);
    p.linkat(AT_FDCWD, '/lf', AT_FDCWD, '/hf', AT_SYMLINK_FOLLOW);
    expect(p.lstat('/hf').ino).toBe(p.stat('/f').ino);
    expect(p.stat('/f').nlink).toBe(2);
  });

  it('an unlinked open file cannot be linked back (ENOENT)', () => {
    const p = world();
    const fd = p.open('/f', O_RDONLY);
    p.unlink('/f');
    expect(errOf(() => p.linkat(fd, '', AT_FDCWD, '/back', AT_EMPTY_PATH))).toBe('ENOENT');
  });
});

describe('unlink, unlinkat, rmdir', () => {
  it.each<[string, (p: Process) => unknown, string]>([
    ['unlinkat AT_REMOVEDIR of an empty directory', (p) => p.unlinkat(AT_FDCWD, '/e', AT_REMOVEDIR), 'OK'],
    ['unlinkat AT_REMOVEDIR of a file', (p) => p.unlinkat(AT_FDCWD, '/f', AT_REMOVEDIR), 'ENOTDIR'],
    ['unlinkat of a directory', (p) => p.unlinkat(AT_FDCWD, '/e', 0), 'EISDIR'],
    ['unlinkat with an unknown flag', (p) => p.unlinkat(AT_FDCWD, '/f', 0x1), 'EINVAL'],
    ['unlinkat relative to a directory descriptor', (p) => p.unlinkat(p.open('/d/sub', O_DIRECTORY), 'x'), 'OK'],
    ['unlink of a missing name', (p) => p.unlink('/missing'), 'ENOENT'],
    ['unlink of `.`', (p) => p.unlink('/d/.'), 'EISDIR'],
    ['unlink of `/`', (p) => p.unlink('/'), 'EISDIR'],
  ])('%s -> %s', (_n, op, expected) => {
    expect(errOf(() => op(world()))).toBe(expected);
  });

  it('unlink drops nlink and the name; the other name still works', () => {
    const p = world();
    p.link('/f', '/g');
    p.unlink('/f');
    expect(exists(p, '/f')).toBe(false);
    expect(p.stat('/g').nlink).toBe(1);
  });
});

describe('rename and renameat2', () => {
  it.each<[string, string, string, number, string]>([
    ['file over file', '/f', '/g', 0, 'OK'],
    ['a missing source', '/missing', '/g', 0, 'ENOENT'],
    ['into a missing directory', '/f', '/missing/g', 0, 'ENOENT'],
    ['`.`', '/d/.', '/x', 0, 'EBUSY'],
    ['onto `.`', '/f', '/d/.', 0, 'EBUSY'],
    ['onto `.` with RENAME_NOREPLACE', '/f', '/d/.', RENAME_NOREPLACE, 'EEXIST'],
    ['`/`', '/', '/x', 0, 'EBUSY'],
    ['a directory into its own subdirectory', '/d', '/d/sub/z', 0, 'EINVAL'],
    ['a directory onto its ancestor', '/d/sub', '/d', 0, 'ENOTEMPTY'],
    ['a directory onto a non-empty directory', '/e', '/d', 0, 'ENOTEMPTY'],
    ['a directory onto an empty directory', '/d', '/e', 0, 'OK'],
    ['a directory onto a file', '/e', '/f', 0, 'ENOTDIR'],
    ['a file onto a directory', '/f', '/e', 0, 'EISDIR'],
    ['RENAME_NOREPLACE onto an existing name', '/f', '/lf', RENAME_NOREPLACE, 'EEXIST'],
    ['RENAME_NOREPLACE onto a dangling link', '/f', '/ldang', RENAME_NOREPLACE, 'EEXIST'],
    ['RENAME_NOREPLACE to a new name', '/f', '/g', RENAME_NOREPLACE, 'OK'],
    ['RENAME_EXCHANGE with a missing target', '/f', '/missing', RENAME_EXCHANGE, 'ENOENT'],
    ['RENAME_EXCHANGE of a file and a directory', '/f', '/d', RENAME_EXCHANGE, 'OK'],
    ['RENAME_EXCHANGE of a directory and its descendant', '/d', '/d/sub', RENAME_EXCHANGE, 'EINVAL'],
    ['RENAME_NOREPLACE|RENAME_EXCHANGE', '/f', '/lf', RENAME_NOREPLACE | RENAME_EXCHANGE, 'EINVAL'],
    ['an unknown flag', '/f', '/lf', 8, 'EINVAL'],
  ])('rename %s -> %s', (_n, from, to, flags, expected) => {
    expect(errOf(() => world().renameat2(AT_FDCWD, from, AT_FDCWD, to, flags))).toBe(expected);
  });

  it('RENAME_EXCHANGE swaps the two names and fixes directory link counts', () => {
    const p = world();
    const fIno = p.stat('/f').ino;
    const subIno = p.stat('/d/sub').ino;
    p.renameat2(AT_FDCWD, '/f', AT_FDCWD, '/d/sub', RENAME_EXCHANGE);
    expect(p.stat('/d/sub').ino).toBe(fIno);
    expect(p.stat('/f').ino).toBe(subIno);
    expect(p.stat('/f/x').mode).toBe(S_IFREG | 0o644);
    expect(p.stat('/d').nlink).toBe(2);
    expect(p.stat('/').nlink).toBe(5); // 2 + the directories d, e and f (now a directory)
  });

  it('rename between two hard links of one inode does nothing', () => {
    const p = world();
    p.link('/f', '/f2');
    p.rename('/f', '/f2');
    expect(exists(p, '/f')).toBe(true);
    expect(exists(p, '/f2')).toBe(true);
    expect(p.stat('/f').nlink).toBe(2);
  });

  it('rename replaces the target and moves the inode; a moved directory keeps its contents', () => {
    const p = world();
    const ino = p.stat('/f').ino;
    p.rename('/f', '/lf');
    expect(p.lstat('/lf')).toMatchObject({ ino, mode: S_IFREG | 0o644 });
    p.rename('/d', '/e/d2');
    expect(p.stat('/e/d2/sub/x').size).toBe(0);
    expect(p.stat('/e').nlink).toBe(3);
  });
});

describe('`..`, chdir, fchdir, getcwd, chroot', () => {
  it('`..` at the root stays at the root', () => {
    const p = world();
    expect(p.stat('/..').ino).toBe(p.stat('/').ino);
    expect(p.stat('/../../d/..').ino).toBe(p.stat('/').ino);
  });

  it('getcwd follows chdir and relative paths start there', () => {
    const p = world();
    p.chdir('/d/sub');
    expect(p.getcwd()).toBe('/d/sub');
    expect(p.stat('x').size).toBe(0);
    p.chdir('../..');
    expect(p.getcwd()).toBe('/');
    p.chdir('ld');
    expect(p.getcwd()).toBe('/d');
    p.fchdir(p.open('/e', O_DIRECTORY));
    expect(p.getcwd()).toBe('/e');
  });

  it('getcwd of a removed directory is ENOENT; creating there is ENOENT', () => {
    const p = world();
    p.chdir('/e');
    p.rmdir('/e');
    expect(errOf(() => p.getcwd())).toBe('ENOENT');
    expect(errOf(() => p.mkdir('x'))).toBe('ENOENT');
    expect(errOf(() => p.open('.', O_RDONLY))).toBe('OK');
  });

  it.each<[string, (p: Process) => unknown, string]>([
    ['chdir to a missing name', (p) => p.chdir('/missing'), 'ENOENT'],
    ['chdir to a file', (p) => p.chdir('/f'), 'ENOTDIR'],
    ['fchdir of a bad descriptor', (p) => p.fchdir(77), 'EBADF'],
    ['chroot to a file', (p) => p.chroot('/f'), 'ENOTDIR'],
    ['chroot to a missing name', (p) => p.chroot('/missing'), 'ENOENT'],
    ['chroot by a task without CAP_SYS_CHROOT', (p) => ((p.creds = new Credentials(0, 0, [], 0n)), p.chroot('/d')), 'EPERM'],
  ])('%s -> %s', (_n, op, expected) => {
    expect(errOf(() => op(world()))).toBe(expected);
  });

  it('after chroot, `..` stops at the new root and absolute names start there', () => {
    const p = world();
    p.chroot('/d');
    p.chdir('/');
    expect(p.getcwd()).toBe('/');
    expect(p.stat('/..').ino).toBe(p.stat('/sub/..').ino);
    expect(p.stat('/sub/../..').ino).toBe(p.stat('/').ino);
    expect(errOf(() => p.stat('/f'))).toBe('ENOENT');
    expect(p.stat('/sub/x').size).toBe(0);
  });

  it('a cwd left outside the new root reads as "(unreachable)" and can still walk up', () => {
    const p = world();
    p.chdir('/e');
    p.chroot('/d');
    expect(p.getcwd()).toBe('(unreachable)/e');
    expect(p.stat('../f').size).toBe(3);
  });

  it('an absolute symlink target resolves from the chroot', () => {
    const p = world();
    p.symlink('/sub/x', '/d/abs');
    p.chroot('/d');
    expect(p.stat('/abs').size).toBe(0);
  });
});

describe('O_CREAT|O_EXCL never follows a final link', () => {
  it('even a link to an existing file is EEXIST', () => {
    const p = world();
    expect(errOf(() => p.open('/lf', O_CREAT | O_EXCL | O_WRONLY))).toBe('EEXIST');
  });
});
