/**
 * Syscalls as mounts shape them: EROFS on every write path of a read-only mount (FIFOs and
 * devices exempt), remount read-only with a writer open (EBUSY), umount of a busy mount vs
 * MNT_DETACH, statfs f_flags, `..` across mount roots, mount points that cannot be removed or
 * renamed (EBUSY), links and renames across mounts (EXDEV, bind mounts of one filesystem
 * included) and ENOSPC on a size-limited tmpfs. Expected values are the kernel's, recorded by
 * test/kernel/record-facts.py (group syscalls-mounts, test/kernel/recorders/syscalls_mounts.py)
 * with the same mounts.
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
  W_OK,
} from '../../src/index.js';
import type { Process } from '../../src/vfs/process.js';
import { itChecksEveryAnswer, kernelFacts } from '../kernel/facts.js';
import { errOf } from './helpers.js';

const K = kernelFacts('syscalls-mounts');

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

const WRITE_PATHS: Record<string, (p: Process) => unknown> = {
  'open O_RDONLY': (p) => p.open('f', O_RDONLY),
  'open O_WRONLY': (p) => p.open('f', O_WRONLY),
  'open O_RDWR': (p) => p.open('f', O_RDWR),
  'open O_RDONLY|O_TRUNC': (p) => p.open('f', O_RDONLY | O_TRUNC),
  'open O_CREAT of a new name': (p) => p.open('new', O_CREAT | O_RDONLY),
  'open O_CREAT of an existing file, read-only': (p) => p.open('f', O_CREAT | O_RDONLY),
  'open O_CREAT|O_EXCL of an existing file': (p) => p.open('f', O_CREAT | O_EXCL | O_RDONLY),
  'open a FIFO O_RDWR': (p) => p.open('fifo', O_RDWR),
  'open a device O_WRONLY|O_TRUNC': (p) => p.open('null', O_WRONLY | O_TRUNC),
  'open a directory O_RDONLY|O_TRUNC': (p) => p.open('d', O_RDONLY | O_TRUNC),
  'mkdir': (p) => p.mkdir('nd'),
  'mkdir of an existing name': (p) => p.mkdir('d'),
  'mknod a FIFO': (p) => p.mknod('nf', S_IFIFO | 0o644),
  'symlink': (p) => p.symlink('x', 'ns'),
  'link': (p) => p.link('f', 'nl'),
  'unlink': (p) => p.unlink('f'),
  'unlink of a missing name': (p) => p.unlink('missing'),
  'rmdir': (p) => p.rmdir('e'),
  'rmdir of a missing name': (p) => p.rmdir('missing'),
  'rename': (p) => p.rename('f', 'g'),
  'rename of a missing name': (p) => p.rename('missing', 'g'),
  'chmod': (p) => p.chmod('f', 0o600),
  'chmod of a FIFO': (p) => p.chmod('fifo', 0o600),
  'chown': (p) => p.chown('f', 1, 1),
  'lchown of a link': (p) => p.lchown('l', 1, 1),
  'truncate': (p) => p.truncate('f', 0),
  'utimensat': (p) => p.utimensat(AT_FDCWD, 'f', null),
  'setxattr': (p) => p.setxattr('f', 'user.b', enc.encode('1')),
  'removexattr': (p) => p.removexattr('f', 'user.a'),
  'getxattr': (p) => p.getxattr('f', 'user.a'),
  'access W_OK of a file': (p) => p.access('f', W_OK),
  'access W_OK of a directory': (p) => p.access('d', W_OK),
  'access W_OK of a FIFO': (p) => p.access('fifo', W_OK),
  'access W_OK of a device': (p) => p.access('null', W_OK),
  'access R_OK': (p) => p.access('f', R_OK),
  'access W_OK of a missing name': (p) => p.access('missing', W_OK),
}

describe.each(['remount', 'bind-remount', 'mount-ro'] as const)('a read-only mount (%s)', (how) => {
  it.each(K.cases(`a read-only mount (${how})`, WRITE_PATHS))('%s -> %s', (_n, expected, op) => {
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
    expect({
      'create /a/f': errOf(() => p.close(p.open('/a/f', O_CREAT | O_WRONLY))),
      'open /b/f O_WRONLY': errOf(() => p.open('/b/f', O_WRONLY)),
      'one inode': p.stat('/b/f').ino === p.stat('/a/f').ino,
    }).toEqual(K.get('a read-only bind of a writable directory', '/b a read-only bind of /a'));
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

  it.each(K.cases<[number, string, number]>('remount read-only with a writer open', {
    'O_WRONLY, superblock remount': [O_WRONLY, '/m/f', MS_REMOUNT | MS_RDONLY],
    'O_RDWR, superblock remount': [O_RDWR, '/m/f', MS_REMOUNT | MS_RDONLY],
    'O_WRONLY, bind remount': [O_WRONLY, '/m/f', MS_REMOUNT | MS_BIND | MS_RDONLY],
    'O_RDONLY': [O_RDONLY, '/m/f', MS_REMOUNT | MS_RDONLY],
    'a FIFO open O_RDWR': [O_RDWR, '/m/fifo', MS_REMOUNT | MS_RDONLY],
  }))('%s -> %s', (_n, expected, [flags, path, mflags]) => {
    const { p } = withWriter(flags, path);
    expect(errOf(() => p.mount(null, '/m', null, mflags, null))).toBe(expected);
  });

  it('succeeds once the writer is closed', () => {
    const { p, fd } = withWriter(O_WRONLY);
    p.close(fd);
    expect([
      errOf(() => p.mount(null, '/m', null, MS_REMOUNT | MS_RDONLY, null)),
      errOf(() => p.open('/m/f', O_WRONLY)),
      errOf(() => p.mount(null, '/m', null, MS_REMOUNT, null)),
      errOf(() => p.close(p.open('/m/f', O_WRONLY))),
    ]).toEqual(K.get('remount results', 'remount ro, open O_WRONLY, remount rw, open O_WRONLY after the writer closed'));
  });

  it('a writer through another bind of the superblock also blocks a superblock remount', () => {
    const { p } = withWriter(O_RDONLY);
    p.mkdir('/b');
    p.mount('/m', '/b', null, MS_BIND, null);
    p.open('/b/f', O_WRONLY);
    // A bind remount of /m alone is fine (the second answer): the writer holds the other mount.
    expect([
      errOf(() => p.mount(null, '/m', null, MS_REMOUNT | MS_RDONLY, null)),
      errOf(() => p.mount(null, '/m', null, MS_REMOUNT | MS_BIND | MS_RDONLY, null)),
    ]).toEqual(K.get('remount results', 'superblock remount ro, then bind remount ro, with a writer through another bind'));
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

  it.each(K.cases<[(p: Process) => void, number]>('umount2 of a busy mount', {
    'idle': [() => {}, 0],
    'an open file': [(p) => void p.open('/m/f', O_RDONLY), 0],
    'an open directory': [(p) => void p.open('/m', O_DIRECTORY), 0],
    'the cwd inside': [(p) => p.chdir('/m/sub'), 0],
    'the cwd of another task': [(p) => p.fork().chdir('/m'), 0],
    'a child mount': [(p) => p.mount('none', '/m/sub', 'tmpfs', 0, null), 0],
    'an open file, MNT_DETACH': [(p) => void p.open('/m/f', O_RDONLY), MNT_DETACH],
    'a child mount, MNT_DETACH': [(p) => p.mount('none', '/m/sub', 'tmpfs', 0, null), MNT_DETACH],
    'the cwd inside, MNT_DETACH': [(p) => p.chdir('/m/sub'), MNT_DETACH],
  }))('with %s -> %s', (_n, expected, [pin, flags]) => {
    const p = mounted();
    pin(p);
    expect(errOf(() => p.umount2('/m', flags))).toBe(expected);
  });

  it('a closed file no longer pins the mount', () => {
    const p = mounted();
    p.close(p.open('/m/f', O_RDONLY));
    expect([errOf(() => p.umount2('/m')), errOf(() => p.stat('/m/f'))]).toEqual(K.get('umount results', 'umount after the file is closed, then stat /m/f'));
  });

  it('after MNT_DETACH an open descriptor still works and the name is gone', () => {
    const p = mounted();
    const fd = p.open('/m/f', O_RDWR);
    p.umount2('/m', MNT_DETACH);
    expect({ write: p.write(fd, enc.encode('still')), 'fstat size': p.fstat(fd).size, 'stat /m/f': errOf(() => p.stat('/m/f')) }).toEqual(
      K.get('umount results', 'a descriptor after MNT_DETACH'),
    );
  });

  it.each(K.cases<(p: Process) => unknown>('umount2 errors', {
    'umount of a directory that is no mount point': (p) => p.umount2('/m/sub'),
    'umount with an unknown flag': (p) => p.umount2('/m', 0x100),
    'umount of a missing path': (p) => p.umount2('/missing'),
    'umount by a task without CAP_SYS_ADMIN': (p) => ((p.creds = new Credentials(0, 0, [], 0n)), p.umount2('/m')),
  }))('%s -> %s', (_n, expected, op) => {
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
    const seen: Record<string, unknown> = {
      sub: names('sub'),
      'mount on other': errOf(() => p.mount('none', 'other', 'tmpfs', 0, null)),
      'bind on other': errOf(() => p.mount('/', 'other', null, MS_BIND, null)),
    };
    p.close(p.open('still-writable', O_CREAT | O_WRONLY));
    seen['.'] = names('.');
    expect(seen).toEqual(K.get('umount results', 'a lazily unmounted tree seen from a cwd inside'));
  });
});

describe('propagation flags take no companions but MS_REC and MS_SILENT', () => {
  it.each(K.cases<number>('propagation flags', {
    'private': MS_PRIVATE,
    'private|rec|silent': MS_PRIVATE | MS_REC | MS_SILENT,
    'shared|nosuid': MS_SHARED | MS_NOSUID,
    'private|noexec': MS_PRIVATE | MS_NOEXEC,
    'private|nodev': MS_PRIVATE | MS_NODEV,
    'private|rdonly': MS_PRIVATE | MS_RDONLY,
    'shared|private': MS_SHARED | MS_PRIVATE,
    'private|move': MS_PRIVATE | MS_MOVE,
    'remount|private|nosuid (remount wins)': MS_REMOUNT | MS_PRIVATE | MS_NOSUID,
  }))('%s -> %s', (_n, expected, flags) => {
    const p = createSandbox().process;
    p.mkdir('/t');
    p.mount('t', '/t', 'tmpfs', 0, null);
    expect(errOf(() => p.mount(null, '/t', null, flags, null))).toBe(expected);
  });
});

describe('statfs f_flags and figures', () => {
  it.each(K.cases<[number, string | null]>('statfs f_flags of a tmpfs mounted with', {
    'defaults': [0, null],
    'nosuid': [MS_NOSUID, null],
    'nodev': [MS_NODEV, null],
    'noexec': [MS_NOEXEC, null],
    'ro,nosuid,nodev,noexec': [MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, null],
    'ro from the data string': [0, 'ro'],
  }))('%s -> [statfs, fstatfs] %j', (_n, expected, [flags, data]) => {
    const p = createSandbox().process;
    p.mkdir('/m');
    p.mount('none', '/m', 'tmpfs', flags, data);
    expect([p.statfs('/m').flags, p.fstatfs(p.open('/m', O_DIRECTORY)).flags]).toEqual(expected);
  });

  it('a bind mount has its own flags; the root mount has the defaults', () => {
    const p = createSandbox().process;
    p.mkdir('/a');
    p.mkdir('/b');
    p.mount('/a', '/b', null, MS_BIND, null);
    p.mount(null, '/b', null, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOEXEC, null);
    expect({ '/b': p.statfs('/b').flags, '/a': p.statfs('/a').flags }).toEqual(K.get('statfs results', 'a read-only noexec bind /b of /a'));
  });

  it('tmpfs figures: TMPFS_MAGIC, NAME_MAX, 4k blocks, a size limit in blocks', () => {
    const p = createSandbox().process;
    p.mkdir('/m');
    p.mount('none', '/m', 'tmpfs', 0, 'size=64k');
    const kernel = K.get('statfs results', 'tmpfs figures') as Record<string, object>;
    expect(p.statfs('/m')).toMatchObject(kernel['size=64k']!);
    const fd = p.open('/m/f', O_CREAT | O_WRONLY);
    p.write(fd, new Uint8Array(5000));
    expect(p.statfs('/m')).toMatchObject(kernel['after writing 5000 bytes']!);
  });

  it.each(K.answers('statfs errors', ['/missing', '/f/']))('statfs(%j) -> %s', (path, expected) => {
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
    const same = (x: string, y: string) => p.stat(x).ino === p.stat(y).ino && p.stat(x).dev === p.stat(y).dev;
    const seen: Record<string, unknown> = {
      '/a/m is another device': p.stat('/a/m').dev !== p.stat('/a').dev,
      '/a/m/.. is /a': same('/a/m/..', '/a'),
      '/a/m/x/../.. is /a': same('/a/m/x/../..', '/a'),
    };
    p.chdir('/a/m/x');
    expect(p.getcwd()).toBe('/a/m/x');
    p.chdir('../..');
    seen['cwd after chdir /a/m/x, ../..'] = p.getcwd();
    expect(seen).toEqual(K.get('`..` across mounts', 'at a mount root'));
  });

  it('stops at the process root even when that is a mount root', () => {
    const p = createSandbox().process;
    p.mkdir('/c');
    p.mount('none', '/c', 'tmpfs', 0, null);
    p.mkdir('/c/in');
    p.chroot('/c');
    p.chdir('/');
    const same = (x: string, y: string) => p.stat(x).ino === p.stat(y).ino && p.stat(x).dev === p.stat(y).dev;
    expect({ '/.. is /': same('/..', '/'), '/in/../../.. is /': same('/in/../../..', '/') }).toEqual(
      K.get('`..` across mounts', 'at the process root, a mount root'),
    );
  });

  it('lands on the topmost mount stacked over the parent directory', () => {
    const p = createSandbox().process;
    p.mkdir('/a');
    p.mkdir('/a/m');
    p.mount('none', '/a/m', 'tmpfs', 0, null);
    p.mkdir('/a/m/x');
    p.mount('none', '/a/m/x', 'tmpfs', 0, null);
    const top = p.stat('/a/m');
    const up = p.stat('/a/m/x/..');
    expect(up.ino === top.ino && up.dev === top.dev).toBe(K.get('`..` across mounts', '/a/m/x/.. with mounts on /a/m and /a/m/x is the top /a/m'));
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

  it.each(K.cases<(p: Process) => unknown>('mount points', {
    'rmdir of a mount point': (p) => p.rmdir('/mp'),
    'rename of a mount point': (p) => p.rename('/mp', '/mp2'),
    'rename onto a mount point': (p) => p.rename('/other', '/mp'),
    'unlink of a directory mount point': (p) => p.unlink('/mp'),
    'unlink of a file bind-mount target': (p) => p.unlink('/bt'),
    'rename onto a file bind-mount target': (p) => p.rename('/bf', '/bt'),
    'unlink of a bind source': (p) => p.unlink('/bf'),
    'rmdir of the mount root from inside': (p) => p.rmdir('/mp/.'),
    'rmdir of a mount point once unmounted': (p) => (p.umount2('/mp'), p.rmdir('/mp')),
  }))('%s -> %s', (_n, expected, op) => {
    expect(errOf(() => op(withMounts()))).toBe(expected);
  });

  it('a mount point in another namespace does not block rmdir here', () => {
    const p = createSandbox().process;
    p.mkdir('/mp');
    const q = p.fork();
    q.unshareMountNs();
    q.mount('none', '/mp', 'tmpfs', 0, null);
    expect(errOf(() => p.rmdir('/mp'))).toBe(K.get('mount point results', 'rmdir of a directory that is a mount point in another namespace'));
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

  it.each(K.cases<(p: Process) => unknown>('EXDEV', {
    'link from a mount to its parent': (p) => p.link('/a/m/f', '/a/g'),
    'rename from a mount to its parent': (p) => p.rename('/a/m/f', '/a/g'),
    'rename of a directory across mounts': (p) => p.rename('/a/m/dir', '/a/dir'),
    'link between two binds of one tmpfs': (p) => p.link('/b1/f', '/b2/g'),
    'rename between two binds of one tmpfs': (p) => p.rename('/b1/f', '/b2/g'),
    'link between the original and a bind': (p) => p.link('/a/m/f', '/b1/g'),
    'link within one bind': (p) => p.link('/b1/f', '/b1/g'),
    'rename within one bind': (p) => p.rename('/b1/f', '/b1/dir/g'),
    'RENAME_EXCHANGE across binds': (p) => p.renameat2(AT_FDCWD, '/b1/f', AT_FDCWD, '/b2/dir', 2),
    'EXDEV comes before ENOENT': (p) => p.rename('/b1/missing', '/b2/g'),
  }))('%s -> %s', (_n, expected, op) => {
    expect(errOf(() => op(twoMounts()))).toBe(expected);
  });

  it('a recursive bind carries the submount; the parts are still separate mounts', () => {
    const p = twoMounts();
    p.mkdir('/r');
    p.mount('/a', '/r', null, MS_BIND | MS_REC, null);
    const [rf, af] = [p.stat('/r/m/f'), p.stat('/a/m/f')];
    expect({ '/r/m/f is /a/m/f': rf.ino === af.ino && rf.dev === af.dev, 'link /r/m/f /r/g': errOf(() => p.link('/r/m/f', '/r/g')) }).toEqual(
      K.get('EXDEV results', 'a recursive bind of /a at /r'),
    );
  });
});

describe('ENOSPC on a size-limited tmpfs', () => {
  const ENOSPC = 'ENOSPC on a size-limited tmpfs';
  function sizeLimited(data: string): Process {
    const p = createSandbox().process;
    p.mkdir('/s');
    p.mount('none', '/s', 'tmpfs', 0, data);
    return p;
  }

  it('a write that does not fit is short first, then ENOSPC', () => {
    const p = sizeLimited('size=8k');
    const fd = p.open('/s/f', O_CREAT | O_WRONLY);
    expect({
      'write 12288': p.write(fd, new Uint8Array(12288).fill(120)),
      'write 1': errOf(() => p.write(fd, enc.encode('y'))),
      'fstat size': p.fstat(fd).size,
      bfree: p.statfs('/s').bfree,
    }).toEqual(K.get(ENOSPC, 'size=8k: a write of 12288 bytes, then 1'));
  });

  it('space comes back when the file is truncated', () => {
    const p = sizeLimited('size=8k');
    const fd = p.open('/s/f', O_CREAT | O_RDWR);
    p.write(fd, new Uint8Array(8192));
    p.ftruncate(fd, 0);
    expect(p.pwrite(fd, new Uint8Array(4096), 0)).toBe(K.get(ENOSPC, 'size=8k: 8192 bytes truncated to 0, then pwrite 4096'));
  });

  it('a write into an already allocated page still succeeds when full', () => {
    const p = sizeLimited('size=4k');
    const fd = p.open('/s/f', O_CREAT | O_RDWR);
    expect({
      'write 10': p.write(fd, new Uint8Array(10)),
      'pwrite 100 at 50': p.pwrite(fd, new Uint8Array(100), 50),
      'pwrite 1 at 4096': errOf(() => p.pwrite(fd, new Uint8Array(1), 4096)),
    }).toEqual(K.get(ENOSPC, 'size=4k: writes into the allocated page, then past it'));
  });

  it('nr_inodes limits new inodes with ENOSPC', () => {
    const p = sizeLimited('nr_inodes=3');
    p.mkdir('/s/a');
    p.mkdir('/s/b');
    expect({ 'mkdir c': errOf(() => p.mkdir('/s/c')), 'open c O_CREAT': errOf(() => p.open('/s/c', O_CREAT | O_WRONLY)) }).toEqual(
      K.get(ENOSPC, 'nr_inodes=3: mkdir a, b, then c'),
    );
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

  it.each(K.cases<(p: Process) => unknown>('nodev and noexec', {
    'open of a device on nodev': (p) => p.open('/n/null', O_RDWR),
    'open of a FIFO on nodev': (p) => p.open('/n/fifo', O_RDWR),
    'mknod of a device on nodev': (p) => p.mknod('/n/c2', S_IFCHR | 0o666, makedev(1, 3)),
    'access X_OK of an executable file on noexec': (p) => p.access('/n/x', 1),
    'access X_OK of a directory on noexec': (p) => p.access('/n/d', 1),
    'a walk through a directory on noexec': (p) => p.stat('/n/d/.'),
  }))('%s -> %s', (_n, expected, op) => {
    expect(errOf(() => op(nodevNoexec()))).toBe(expected);
  });
});

describe('EACCES or EROFS: the order of checks on a read-only bind', () => {
  it.each(K.cases<(p: Process) => unknown>('EACCES or EROFS on a read-only bind as uid 1000', {
    'O_WRONLY without write permission: may_open comes first': (p) => p.open('/b/f', O_WRONLY),
    'O_RDONLY|O_TRUNC without write permission: mnt_want_write comes first': (p) => p.open('/b/f', O_RDONLY | O_TRUNC),
    'access W_OK without write permission': (p) => p.access('/b/f', W_OK),
  }))('%s -> %s', (_n, expected, op) => {
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

itChecksEveryAnswer(K);
