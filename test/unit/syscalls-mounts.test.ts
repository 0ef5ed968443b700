/**
 * Syscalls as mounts shape them: EROFS on every write path of a read-only mount (FIFOs and
 * devices exempt), remount read-only with a writer open (EBUSY), umount of a busy mount vs
 * MNT_DETACH, statfs f_flags, `..` across mount roots, mount points that cannot be removed or
 * renamed (EBUSY), links and renames across mounts (EXDEV, bind mounts of one filesystem
 * included) and ENOSPC on a size-limited tmpfs. Expected values were checked on Linux 6.18.
 */
import { describe, expect, it } from 'vitest';
import {
  AT_FDCWD,
  createSandbox,
  Credentials,
  makedev,
  MNT_DETACH,
  MS_BIND,
  MS_MOVE,
  MS_PRIVATE,
  MS_SHARED,
  MS_SILENT,
  MS_NODEV,
  MS_NOEXEC,
  MS_NOSUID,
  MS_RDONLY,
  MS_REC,
  MS_REMOUNT,
  O_CREAT,
  O_DIRECTORY,
  O_EXCL,
  O_RDONLY,
  O_RDWR,
  O_TRUNC,
  O_WRONLY,
  R_OK,
  S_IFCHR,
  S_IFIFO,
  SysError,
  W_OK,
} from '../../src/index.js';
import type { Process } from '../../src/vfs/process.js';
import { errOf } from './helpers.js';

const enc = new TextEncoder();


/** A tmpfs at /ro holding d/, e/, f (with user.a), fifo, null (1:3) and l -> f, then made read-only. */
function readOnly(how: 'remount' | 'bind-remount' | 'mount-ro'): Process {
  const p = createSandbox().process;
  p.mkdir('/ro');
  p.mount('none', '/ro', 'tmpfs', 0, null);
  p.mkdir('/ro/d');
  p.mkdir('/ro/e');
  p.close(p.open('/ro/f', O_CREAT | O_WRONLY, 0o644));
  p.setxattr('/ro/f', 'user.a', enc.encode('1'));
  p.mknod('/ro/fifo', S_IFIFO | 0o666);
  p.mknod('/ro/null', S_IFCHR | 0o666, makedev(1, 3));
  p.symlink('f', '/ro/l');
  if (how === 'remount') p.mount(null, '/ro', null, MS_REMOUNT | MS_RDONLY, null);
  else if (how === 'bind-remount') p.mount(null, '/ro', null, MS_REMOUNT | MS_BIND | MS_RDONLY, null);
  else {
    p.mkdir('/rw');
    p.mount('/ro', '/rw', null, MS_BIND, null);
    p.umount2('/ro');
    p.mount('/rw', '/ro', null, MS_BIND, null);
    p.mount(null, '/ro', null, MS_REMOUNT | MS_BIND | MS_RDONLY, null);
  }
  p.chdir('/ro');
  return p;
}

const writePaths: [string, (p: Process) => unknown, string][] = [
  ['open O_RDONLY', (p) => p.open('f', O_RDONLY), 'OK'],
  ['open O_WRONLY', (p) => p.open('f', O_WRONLY), 'EROFS'],
  ['open O_RDWR', (p) => p.open('f', O_RDWR), 'EROFS'],
  ['open O_RDONLY|O_TRUNC', (p) => p.open('f', O_RDONLY | O_TRUNC), 'EROFS'],
  ['open O_CREAT of a new name', (p) => p.open('new', O_CREAT | O_RDONLY), 'EROFS'],
  ['open O_CREAT of an existing file, read-only', (p) => p.open('f', O_CREAT | O_RDONLY), 'OK'],
  ['open O_CREAT|O_EXCL of an existing file', (p) => p.open('f', O_CREAT | O_EXCL | O_RDONLY), 'EEXIST'],
  ['open a FIFO O_RDWR', (p) => p.open('fifo', O_RDWR), 'OK'],
  ['open a device O_WRONLY|O_TRUNC', (p) => p.open('null', O_WRONLY | O_TRUNC), 'OK'],
  ['open a directory O_RDONLY|O_TRUNC', (p) => p.open('d', O_RDONLY | O_TRUNC), 'EISDIR'],
  ['mkdir', (p) => p.mkdir('nd'), 'EROFS'],
  ['mkdir of an existing name', (p) => p.mkdir('d'), 'EEXIST'],
  ['mknod a FIFO', (p) => p.mknod('nf', S_IFIFO | 0o644), 'EROFS'],
  ['symlink', (p) => p.symlink('x', 'ns'), 'EROFS'],
  ['link', (p) => p.link('f', 'nl'), 'EROFS'],
  ['unlink', (p) => p.unlink('f'), 'EROFS'],
  ['unlink of a missing name', (p) => p.unlink('missing'), 'EROFS'],
  ['rmdir', (p) => p.rmdir('e'), 'EROFS'],
  ['rmdir of a missing name', (p) => p.rmdir('missing'), 'EROFS'],
  ['rename', (p) => p.rename('f', 'g'), 'EROFS'],
  ['rename of a missing name', (p) => p.rename('missing', 'g'), 'EROFS'],
  ['chmod', (p) => p.chmod('f', 0o600), 'EROFS'],
  ['chmod of a FIFO', (p) => p.chmod('fifo', 0o600), 'EROFS'],
  ['chown', (p) => p.chown('f', 1, 1), 'EROFS'],
  ['lchown of a link', (p) => p.lchown('l', 1, 1), 'EROFS'],
  ['truncate', (p) => p.truncate('f', 0), 'EROFS'],
  ['utimensat', (p) => p.utimensat(AT_FDCWD, 'f', null), 'EROFS'],
  ['setxattr', (p) => p.setxattr('f', 'user.b', enc.encode('1')), 'EROFS'],
  ['removexattr', (p) => p.removexattr('f', 'user.a'), 'EROFS'],
  ['getxattr', (p) => p.getxattr('f', 'user.a'), 'OK'],
  ['access W_OK of a file', (p) => p.access('f', W_OK), 'EROFS'],
  ['access W_OK of a directory', (p) => p.access('d', W_OK), 'EROFS'],
  ['access W_OK of a FIFO', (p) => p.access('fifo', W_OK), 'OK'],
  ['access W_OK of a device', (p) => p.access('null', W_OK), 'OK'],
  ['access R_OK', (p) => p.access('f', R_OK), 'OK'],
  ['access W_OK of a missing name', (p) => p.access('missing', W_OK), 'ENOENT'],
];

describe.each(['remount', 'bind-remount', 'mount-ro'] as const)('a read-only mount (%s)', (how) => {
  it.each(writePaths)('%s -> %s', (_n, op, expected) => {
    expect(errOf(() => op(readOnly(how)))).toBe(expected);
  });
});

describe('a read-only bind leaves the other mount writable', () => {
  it('writes through the rw mount, EROFS through the ro bind, one superblock', () => {
    const p = createSandbox().process;
    p.mkdir('/a');
    p.mkdir('/b');
    p.mount('/a', '/b', null, MS_BIND, null);
    p.mount(null, '/b', null, MS_REMOUNT | MS_BIND | MS_RDONLY, null);
    expect(errOf(() => p.close(p.open('/a/f', O_CREAT | O_WRONLY)))).toBe('OK');
    expect(errOf(() => p.open('/b/f', O_WRONLY))).toBe('EROFS');
    expect(p.stat('/b/f').ino).toBe(p.stat('/a/f').ino);
  });
});

describe('remount read-only while a file is open for writing', () => {
  function withWriter(flags: number, path = '/m/f'): { p: Process; fd: number } {
    const p = createSandbox().process;
    p.mkdir('/m');
    p.mount('none', '/m', 'tmpfs', 0, null);
    p.close(p.open('/m/f', O_CREAT | O_WRONLY));
    p.mknod('/m/fifo', S_IFIFO | 0o666);
    return { p, fd: p.open(path, flags) };
  }

  it.each<[string, number, string, number, string]>([
    ['O_WRONLY, superblock remount', O_WRONLY, '/m/f', MS_REMOUNT | MS_RDONLY, 'EBUSY'],
    ['O_RDWR, superblock remount', O_RDWR, '/m/f', MS_REMOUNT | MS_RDONLY, 'EBUSY'],
    ['O_WRONLY, bind remount', O_WRONLY, '/m/f', MS_REMOUNT | MS_BIND | MS_RDONLY, 'EBUSY'],
    ['O_RDONLY', O_RDONLY, '/m/f', MS_REMOUNT | MS_RDONLY, 'OK'],
    ['a FIFO open O_RDWR', O_RDWR, '/m/fifo', MS_REMOUNT | MS_RDONLY, 'OK'],
  ])('%s -> %s', (_n, flags, path, mflags, expected) => {
    const { p } = withWriter(flags, path);
    expect(errOf(() => p.mount(null, '/m', null, mflags, null))).toBe(expected);
  });

  it('succeeds once the writer is closed', () => {
    const { p, fd } = withWriter(O_WRONLY);
    p.close(fd);
    expect(errOf(() => p.mount(null, '/m', null, MS_REMOUNT | MS_RDONLY, null))).toBe('OK');
    expect(errOf(() => p.open('/m/f', O_WRONLY))).toBe('EROFS');
    expect(errOf(() => p.mount(null, '/m', null, MS_REMOUNT, null))).toBe('OK');
    expect(errOf(() => p.close(p.open('/m/f', O_WRONLY)))).toBe('OK');
  });

  it('a writer through another bind of the superblock also blocks a superblock remount', () => {
    const { p } = withWriter(O_RDONLY);
    p.mkdir('/b');
    p.mount('/m', '/b', null, MS_BIND, null);
    p.open('/b/f', O_WRONLY);
    expect(errOf(() => p.mount(null, '/m', null, MS_REMOUNT | MS_RDONLY, null))).toBe('EBUSY');
    // A bind remount of /m alone is fine: the writer holds the other mount.
    expect(errOf(() => p.mount(null, '/m', null, MS_REMOUNT | MS_BIND | MS_RDONLY, null))).toBe('OK');
  });
});

describe('umount2 of a busy mount', () => {
  function mounted(): Process {
    const p = createSandbox().process;
    p.mkdir('/m');
    p.mount('none', '/m', 'tmpfs', 0, null);
    p.mkdir('/m/sub');
    p.close(p.open('/m/f', O_CREAT | O_WRONLY));
    return p;
  }

  it.each<[string, (p: Process) => void, number, string]>([
    ['idle', () => {}, 0, 'OK'],
    ['an open file', (p) => void p.open('/m/f', O_RDONLY), 0, 'EBUSY'],
    ['an open directory', (p) => void p.open('/m', O_DIRECTORY), 0, 'EBUSY'],
    ['the cwd inside', (p) => p.chdir('/m/sub'), 0, 'EBUSY'],
    ['the cwd of another task', (p) => p.fork().chdir('/m'), 0, 'EBUSY'],
    ['a child mount', (p) => p.mount('none', '/m/sub', 'tmpfs', 0, null), 0, 'EBUSY'],
    ['an open file, MNT_DETACH', (p) => void p.open('/m/f', O_RDONLY), MNT_DETACH, 'OK'],
    ['a child mount, MNT_DETACH', (p) => p.mount('none', '/m/sub', 'tmpfs', 0, null), MNT_DETACH, 'OK'],
    ['the cwd inside, MNT_DETACH', (p) => p.chdir('/m/sub'), MNT_DETACH, 'OK'],
  ])('with %s -> %s', (_n, pin, flags, expected) => {
    const p = mounted();
    pin(p);
    expect(errOf(() => p.umount2('/m', flags))).toBe(expected);
  });

  it('a closed file no longer pins the mount', () => {
    const p = mounted();
    p.close(p.open('/m/f', O_RDONLY));
    expect(errOf(() => p.umount2('/m'))).toBe('OK');
    expect(errOf(() => p.stat('/m/f'))).toBe('ENOENT');
  });

  it('after MNT_DETACH an open descriptor still works and the name is gone', () => {
    const p = mounted();
    const fd = p.open('/m/f', O_RDWR);
    p.umount2('/m', MNT_DETACH);
    expect(p.write(fd, enc.encode('still'))).toBe(5);
    expect(p.fstat(fd).size).toBe(5);
    expect(errOf(() => p.stat('/m/f'))).toBe('ENOENT');
  });

  it.each<[string, (p: Process) => unknown, string]>([
    ['umount of a directory that is no mount point', (p) => p.umount2('/m/sub'), 'EINVAL'],
    ['umount with an unknown flag', (p) => p.umount2('/m', 0x100), 'EINVAL'],
    ['umount of a missing path', (p) => p.umount2('/missing'), 'ENOENT'],
    ['umount by a task without CAP_SYS_ADMIN', (p) => ((p.creds = new Credentials(0, 0, [], 0n)), p.umount2('/m')), 'EPERM'],
  ])('%s -> %s', (_n, op, expected) => {
    expect(errOf(() => op(mounted()))).toBe(expected);
  });
});

describe('a lazily unmounted tree', () => {
  it('loses its child mounts and takes no new ones (ENOENT); a cwd inside keeps working', () => {
    const p = createSandbox().process;
    p.mkdir('/m');
    p.mount('none', '/m', 'tmpfs', 0, null);
    p.mkdir('/m/sub');
    p.mkdir('/m/other');
    p.mount('none', '/m/sub', 'tmpfs', 0, null);
    p.close(p.open('/m/sub/deep', O_CREAT | O_WRONLY));
    p.chdir('/m');
    p.umount2('/m', MNT_DETACH);
    // disconnect_mount(): the child left its parent, so sub/ is the bare directory again.
    const names = (dir: string) => p.getdents(p.open(dir, O_DIRECTORY)).map((e) => e.name).filter((n) => n !== '.' && n !== '..').sort();
    expect(names('sub')).toEqual([]);
    expect(errOf(() => p.mount('none', 'other', 'tmpfs', 0, null))).toBe('ENOENT');
    expect(errOf(() => p.mount('/', 'other', null, MS_BIND, null))).toBe('ENOENT');
    p.close(p.open('still-writable', O_CREAT | O_WRONLY));
    expect(names('.')).toEqual(['other', 'still-writable', 'sub']);
  });
});

describe('propagation flags take no companions but MS_REC and MS_SILENT', () => {
  it.each<[string, number, string]>([
    ['private', MS_PRIVATE, 'OK'],
    ['private|rec|silent', MS_PRIVATE | MS_REC | MS_SILENT, 'OK'],
    ['shared|nosuid', MS_SHARED | MS_NOSUID, 'EINVAL'],
    ['private|noexec', MS_PRIVATE | MS_NOEXEC, 'EINVAL'],
    ['private|nodev', MS_PRIVATE | MS_NODEV, 'EINVAL'],
    ['private|rdonly', MS_PRIVATE | MS_RDONLY, 'EINVAL'],
    ['shared|private', MS_SHARED | MS_PRIVATE, 'EINVAL'],
    ['private|move', MS_PRIVATE | MS_MOVE, 'EINVAL'],
    ['remount|private|nosuid (remount wins)', MS_REMOUNT | MS_PRIVATE | MS_NOSUID, 'OK'],
  ])('%s -> %s', (_n, flags, expected) => {
    const p = createSandbox().process;
    p.mkdir('/t');
    p.mount('t', '/t', 'tmpfs', 0, null);
    expect(errOf(() => p.mount(null, '/t', null, flags, null))).toBe(expected);
  });
});

describe('statfs f_flags and figures', () => {
  const ST_RDONLY = 0x1;
  const ST_NOSUID = 0x2;
  const ST_NODEV = 0x4;
  const ST_NOEXEC = 0x8;
  const ST_VALID = 0x20;
  const ST_RELATIME = 0x1000;

  it.each<[string, number, string | null, number]>([
    ['defaults', 0, null, ST_VALID | ST_RELATIME],
    ['nosuid', MS_NOSUID, null, ST_VALID | ST_RELATIME | ST_NOSUID],
    ['nodev', MS_NODEV, null, ST_VALID | ST_RELATIME | ST_NODEV],
    ['noexec', MS_NOEXEC, null, ST_VALID | ST_RELATIME | ST_NOEXEC],
    ['ro,nosuid,nodev,noexec', MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, null, 0x102f],
    ['ro from the data string', 0, 'ro', ST_VALID | ST_RELATIME | ST_RDONLY],
  ])('%s', (_n, flags, data, expected) => {
    const p = createSandbox().process;
    p.mkdir('/m');
    p.mount('none', '/m', 'tmpfs', flags, data);
    expect(p.statfs('/m').flags).toBe(expected);
    expect(p.fstatfs(p.open('/m', O_DIRECTORY)).flags).toBe(expected);
  });

  it('a bind mount has its own flags; the root mount has the defaults', () => {
    const p = createSandbox().process;
    p.mkdir('/a');
    p.mkdir('/b');
    p.mount('/a', '/b', null, MS_BIND, null);
    p.mount(null, '/b', null, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOEXEC, null);
    expect(p.statfs('/b').flags).toBe(ST_VALID | ST_RELATIME | ST_RDONLY | ST_NOEXEC);
    expect(p.statfs('/a').flags).toBe(ST_VALID | ST_RELATIME);
  });

  it('tmpfs figures: TMPFS_MAGIC, NAME_MAX, 4k blocks, a size limit in blocks', () => {
    const p = createSandbox().process;
    p.mkdir('/m');
    p.mount('none', '/m', 'tmpfs', 0, 'size=64k');
    expect(p.statfs('/m')).toMatchObject({ type: 0x01021994, namelen: 255, bsize: 4096, blocks: 16, bfree: 16, bavail: 16 });
    const fd = p.open('/m/f', O_CREAT | O_WRONLY);
    p.write(fd, new Uint8Array(5000));
    expect(p.statfs('/m')).toMatchObject({ blocks: 16, bfree: 14 });
  });

  it.each<[string, string]>([
    ['/missing', 'ENOENT'],
    ['/f/', 'ENOTDIR'],
  ])('statfs(%j) -> %s', (path, expected) => {
    const p = createSandbox().process;
    p.close(p.open('/f', O_CREAT | O_WRONLY));
    expect(errOf(() => p.statfs(path))).toBe(expected);
  });
});

describe('`..` across mounts', () => {
  it('at a mount root continues in the parent mount', () => {
    const p = createSandbox().process;
    p.mkdir('/a');
    p.mkdir('/a/m');
    p.mount('none', '/a/m', 'tmpfs', 0, null);
    p.mkdir('/a/m/x');
    const a = p.stat('/a');
    expect(p.stat('/a/m').dev).not.toBe(a.dev);
    expect(p.stat('/a/m/..')).toMatchObject({ ino: a.ino, dev: a.dev });
    expect(p.stat('/a/m/x/../..')).toMatchObject({ ino: a.ino, dev: a.dev });
    p.chdir('/a/m/x');
    expect(p.getcwd()).toBe('/a/m/x');
    p.chdir('../..');
    expect(p.getcwd()).toBe('/a');
  });

  it('stops at the process root even when that is a mount root', () => {
    const p = createSandbox().process;
    p.mkdir('/c');
    p.mount('none', '/c', 'tmpfs', 0, null);
    p.mkdir('/c/in');
    p.chroot('/c');
    p.chdir('/');
    const root = p.stat('/');
    expect(p.stat('/..')).toMatchObject({ ino: root.ino, dev: root.dev });
    expect(p.stat('/in/../../..')).toMatchObject({ ino: root.ino, dev: root.dev });
  });

  it('lands on the topmost mount stacked over the parent directory', () => {
    const p = createSandbox().process;
    p.mkdir('/a');
    p.mkdir('/a/m');
    p.mount('none', '/a/m', 'tmpfs', 0, null);
    p.mkdir('/a/m/x');
    p.mount('none', '/a/m/x', 'tmpfs', 0, null);
    const top = p.stat('/a/m');
    expect(p.stat('/a/m/x/..')).toMatchObject({ ino: top.ino, dev: top.dev });
  });
});

describe('mount points cannot be removed or renamed (EBUSY)', () => {
  function withMounts(): Process {
    const p = createSandbox().process;
    p.mkdir('/mp');
    p.mount('none', '/mp', 'tmpfs', 0, null);
    p.mkdir('/other');
    p.close(p.open('/bf', O_CREAT | O_WRONLY));
    p.close(p.open('/bt', O_CREAT | O_WRONLY));
    p.mount('/bf', '/bt', null, MS_BIND, null);
    return p;
  }

  it.each<[string, (p: Process) => unknown, string]>([
    ['rmdir of a mount point', (p) => p.rmdir('/mp'), 'EBUSY'],
    ['rename of a mount point', (p) => p.rename('/mp', '/mp2'), 'EBUSY'],
    ['rename onto a mount point', (p) => p.rename('/other', '/mp'), 'EBUSY'],
    ['unlink of a directory mount point', (p) => p.unlink('/mp'), 'EISDIR'],
    ['unlink of a file bind-mount target', (p) => p.unlink('/bt'), 'EBUSY'],
    ['rename onto a file bind-mount target', (p) => p.rename('/bf', '/bt'), 'EBUSY'],
    ['unlink of a bind source', (p) => p.unlink('/bf'), 'OK'],
    ['rmdir of the mount root from inside', (p) => p.rmdir('/mp/.'), 'EINVAL'],
    ['rmdir of a mount point once unmounted', (p) => (p.umount2('/mp'), p.rmdir('/mp')), 'OK'],
  ])('%s -> %s', (_n, op, expected) => {
    expect(errOf(() => op(withMounts()))).toBe(expected);
  });

  it('a mount point in another namespace does not block rmdir here', () => {
    const p = createSandbox().process;
    p.mkdir('/mp');
    const q = p.fork();
    q.unshareMountNs();
    q.mount('none', '/mp', 'tmpfs', 0, null);
    expect(errOf(() => p.rmdir('/mp'))).toBe('OK');
  });
});

describe('links and renames across mounts (EXDEV)', () => {
  function twoMounts(): Process {
    const p = createSandbox().process;
    p.mkdir('/a');
    p.mkdir('/a/m');
    p.mount('none', '/a/m', 'tmpfs', 0, null);
    p.close(p.open('/a/m/f', O_CREAT | O_WRONLY));
    p.mkdir('/a/m/dir');
    p.mkdir('/b1');
    p.mkdir('/b2');
    p.mount('/a/m', '/b1', null, MS_BIND, null);
    p.mount('/a/m', '/b2', null, MS_BIND, null);
    return p;
  }

  it.each<[string, (p: Process) => unknown, string]>([
    ['link from a mount to its parent', (p) => p.link('/a/m/f', '/a/g'), 'EXDEV'],
    ['rename from a mount to its parent', (p) => p.rename('/a/m/f', '/a/g'), 'EXDEV'],
    ['rename of a directory across mounts', (p) => p.rename('/a/m/dir', '/a/dir'), 'EXDEV'],
    ['link between two binds of one tmpfs', (p) => p.link('/b1/f', '/b2/g'), 'EXDEV'],
    ['rename between two binds of one tmpfs', (p) => p.rename('/b1/f', '/b2/g'), 'EXDEV'],
    ['link between the original and a bind', (p) => p.link('/a/m/f', '/b1/g'), 'EXDEV'],
    ['link within one bind', (p) => p.link('/b1/f', '/b1/g'), 'OK'],
    ['rename within one bind', (p) => p.rename('/b1/f', '/b1/dir/g'), 'OK'],
    ['RENAME_EXCHANGE across binds', (p) => p.renameat2(AT_FDCWD, '/b1/f', AT_FDCWD, '/b2/dir', 2), 'EXDEV'],
    ['EXDEV comes before ENOENT', (p) => p.rename('/b1/missing', '/b2/g'), 'EXDEV'],
  ])('%s -> %s', (_n, op, expected) => {
    expect(errOf(() => op(twoMounts()))).toBe(expected);
  });

  it('a recursive bind carries the submount; the parts are still separate mounts', () => {
    const p = twoMounts();
    p.mkdir('/r');
    p.mount('/a', '/r', null, MS_BIND | MS_REC, null);
    expect(p.stat('/r/m/f').ino).toBe(p.stat('/a/m/f').ino);
    expect(errOf(() => p.link('/r/m/f', '/r/g'))).toBe('EXDEV');
  });
});

describe('ENOSPC on a size-limited tmpfs', () => {
  it('a write that does not fit is short first, then ENOSPC', () => {
    const p = createSandbox().process;
    p.mkdir('/s');
    p.mount('none', '/s', 'tmpfs', 0, 'size=8k');
    const fd = p.open('/s/f', O_CREAT | O_WRONLY);
    expect(p.write(fd, new Uint8Array(12288).fill(120))).toBe(8192);
    expect(errOf(() => p.write(fd, enc.encode('y')))).toBe('ENOSPC');
    expect(p.fstat(fd).size).toBe(8192);
    expect(p.statfs('/s').bfree).toBe(0);
  });

  it('space comes back when the file is truncated', () => {
    const p = createSandbox().process;
    p.mkdir('/s');
    p.mount('none', '/s', 'tmpfs', 0, 'size=8k');
    const fd = p.open('/s/f', O_CREAT | O_RDWR);
    p.write(fd, new Uint8Array(8192));
    p.ftruncate(fd, 0);
    expect(p.pwrite(fd, new Uint8Array(4096), 0)).toBe(4096);
  });

  it('a write into an already allocated page still succeeds when full', () => {
    const p = createSandbox().process;
    p.mkdir('/s');
    p.mount('none', '/s', 'tmpfs', 0, 'size=4k');
    const fd = p.open('/s/f', O_CREAT | O_RDWR);
    expect(p.write(fd, new Uint8Array(10))).toBe(10);
    expect(p.pwrite(fd, new Uint8Array(100), 50)).toBe(100);
    expect(errOf(() => p.pwrite(fd, new Uint8Array(1), 4096))).toBe('ENOSPC');
  });

  it('nr_inodes limits new inodes with ENOSPC', () => {
    const p = createSandbox().process;
    p.mkdir('/s');
    p.mount('none', '/s', 'tmpfs', 0, 'nr_inodes=3');
    p.mkdir('/s/a');
    p.mkdir('/s/b');
    expect(errOf(() => p.mkdir('/s/c'))).toBe('ENOSPC');
    expect(errOf(() => p.open('/s/c', O_CREAT | O_WRONLY))).toBe('ENOSPC');
  });
});

describe('nodev and noexec mounts', () => {
  function nodevNoexec(): Process {
    const p = createSandbox().process;
    p.mkdir('/n');
    p.mount('none', '/n', 'tmpfs', MS_NODEV | MS_NOEXEC, null);
    p.mknod('/n/null', S_IFCHR | 0o666, makedev(1, 3));
    p.mknod('/n/fifo', S_IFIFO | 0o666);
    p.close(p.open('/n/x', O_CREAT | O_WRONLY, 0o755));
    p.mkdir('/n/d');
    return p;
  }

  it.each<[string, (p: Process) => unknown, string]>([
    ['open of a device on nodev', (p) => p.open('/n/null', O_RDWR), 'EACCES'],
    ['open of a FIFO on nodev', (p) => p.open('/n/fifo', O_RDWR), 'OK'],
    ['mknod of a device on nodev', (p) => p.mknod('/n/c2', S_IFCHR | 0o666, makedev(1, 3)), 'OK'],
    ['access X_OK of an executable file on noexec', (p) => p.access('/n/x', 1), 'EACCES'],
    ['access X_OK of a directory on noexec', (p) => p.access('/n/d', 1), 'OK'],
    ['a walk through a directory on noexec', (p) => p.stat('/n/d/.'), 'OK'],
  ])('%s -> %s', (_n, op, expected) => {
    expect(errOf(() => op(nodevNoexec()))).toBe(expected);
  });
});

describe('EACCES or EROFS: the order of checks on a read-only bind', () => {
  it.each<[string, (p: Process) => unknown, string]>([
    ['O_WRONLY without write permission: may_open comes first', (p) => p.open('/b/f', O_WRONLY), 'EACCES'],
    ['O_RDONLY|O_TRUNC without write permission: mnt_want_write comes first', (p) => p.open('/b/f', O_RDONLY | O_TRUNC), 'EROFS'],
    ['access W_OK without write permission', (p) => p.access('/b/f', W_OK), 'EACCES'],
  ])('%s -> %s', (_n, op, expected) => {
    const p = createSandbox().process;
    p.mkdir('/a');
    p.close(p.open('/a/f', O_CREAT | O_WRONLY, 0o644));
    p.mkdir('/b');
    p.mount('/a', '/b', null, MS_BIND, null);
    p.mount(null, '/b', null, MS_REMOUNT | MS_BIND | MS_RDONLY, null);
    const u = p.fork();
    u.creds = new Credentials(1000, 1000, [], 0n);
    expect(errOf(() => op(u))).toBe(expected);
  });
});
