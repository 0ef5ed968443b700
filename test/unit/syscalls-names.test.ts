/**
 * Creating, removing and renaming names: mkdir(at), mknod(at), symlink(at), readlink(at),
 * link(at), unlink(at), rmdir, rename/renameat2; path-walk limits (40 links, NAME_MAX,
 * PATH_MAX), trailing slashes, `..`, chdir/fchdir/getcwd and chroot. Every expected errno and
 * value is the kernel's, recorded by test/kernel/record-facts.py (group syscalls-names,
 * test/kernel/recorders/syscalls_names.py) on a fresh tmpfs with this file's world().
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
  S_IFREG,
  S_IFSOCK,
} from '../../src/index.js';
import type { Process } from '../../src/vfs/process.js';
import { itChecksEveryAnswer, kernelFacts } from '../kernel/facts.js';
import { errOf, writeFile } from './helpers.js';

const K = kernelFacts('syscalls-names');

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
  it.each(K.cases<(p: Process) => unknown>('trailing slashes', {
    'mkdir new/': (p) => p.mkdir('/nd/'),
    'mkdir f (exists)': (p) => p.mkdir('/f'),
    'mkdir over a dangling link': (p) => p.mkdir('/ldang'),
    'mkdir .': (p) => p.mkdir('/d/.'),
    'mkdir /': (p) => p.mkdir('/'),
    'mknod new/': (p) => p.mknod('/nn/', S_IFIFO | 0o644),
    'symlink to new/': (p) => p.symlink('x', '/ns/'),
    'link to new/': (p) => p.link('/f', '/nl/'),
    'unlink f/': (p) => p.unlink('/f/'),
    'unlink d/': (p) => p.unlink('/e/'),
    'unlink missing/': (p) => p.unlink('/missing/'),
    'unlink a directory': (p) => p.unlink('/e'),
    'unlink lf (the link)': (p) => p.unlink('/lf'),
    'rmdir f': (p) => p.rmdir('/f'),
    'rmdir f/': (p) => p.rmdir('/f/'),
    'rmdir e/': (p) => p.rmdir('/e/'),
    'rmdir a link to a directory': (p) => p.rmdir('/ld'),
    'rmdir a link to a directory with slash': (p) => p.rmdir('/ld/'),
    'rmdir .': (p) => p.rmdir('/e/.'),
    'rmdir ..': (p) => p.rmdir('/d/sub/..'),
    'rmdir /': (p) => p.rmdir('/'),
    'rmdir a non-empty directory': (p) => p.rmdir('/d'),
    'rmdir missing': (p) => p.rmdir('/missing'),
    'rename f to new/': (p) => p.rename('/f', '/n/'),
    'rename f/ to x': (p) => p.rename('/f/', '/x'),
    'rename e to new/': (p) => p.rename('/e', '/n/'),
    'rename e/ to new/': (p) => p.rename('/e/', '/n/'),
    'rename a link to a dir to new/': (p) => p.rename('/ld', '/n/'),
    'readlink of ld/ (follows)': (p) => p.readlink('/ld/'),
    'stat of ld/ (follows)': (p) => p.stat('/ld/'),
    'lstat of lf/': (p) => p.lstat('/lf/'),
    'lstat of ldang/': (p) => p.lstat('/ldang/'),
    'open of f/.': (p) => p.open('/f/.', O_RDONLY),
    'chdir to f/': (p) => p.chdir('/f/'),
  }))('%s -> %s', (_n, expected, op) => {
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

  it.each(K.cases<(p: Process) => unknown>('ELOOP', {
    'stat l39 (40 links)': (p) => p.stat('/l39'),
    'stat l40 (41 links)': (p) => p.stat('/l40'),
    'lstat l44': (p) => p.lstat('/l44'),
    'open l39': (p) => p.open('/l39', O_RDONLY),
    'open l40': (p) => p.open('/l40', O_RDONLY),
    'a two-link loop': (p) => p.stat('/la'),
    'a self loop': (p) => p.stat('/self'),
    'lstat of a loop': (p) => p.lstat('/la'),
    'open O_CREAT through a loop': (p) => p.open('/la', O_CREAT | O_WRONLY),
    'open O_NOFOLLOW of a loop': (p) => p.open('/la', O_NOFOLLOW),
    'open O_NOFOLLOW|O_PATH of a loop': (p) => p.open('/la', O_NOFOLLOW | O_PATH),
    'a loop in the middle of a path': (p) => p.stat('/la/x'),
    'readlink of a loop': (p) => p.readlink('/la'),
  }))('%s -> %s', (_n, expected, op) => {
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
    const budget = 'links in the middle and at the end share one budget';
    expect(errOf(() => p.stat('/m19/k19'))).toBe(K.get(budget, '20 + 20 links'));
    expect(errOf(() => p.stat('/m19/k20'))).toBe(K.get(budget, '20 + 21 links'));
  });

  it.each(K.answers('O_CREAT through 30 directory links then a dangling chain', ['30 then 10', '30 then 11']))(
    'O_CREAT through %s links (the last dangling) -> [open, stat of the target] %j',
    (key, expected) => {
      const [dirLinks, fileLinks] = key.split(' then ').map(Number) as [number, number];
      const p = world();
      p.mkdir('/real');
      for (let i = 1; i <= dirLinks; i++) p.symlink(i < dirLinks ? `d${i + 1}` : 'real', `/d${i}`);
      for (let j = 1; j <= fileLinks; j++) p.symlink(j < fileLinks ? `f${j + 1}` : 'new', `/real/f${j}`);
      expect([errOf(() => p.open('/d1/f1', O_CREAT | O_WRONLY, 0o644)), errOf(() => p.stat('/real/new'))]).toEqual(expected);
    },
  );
});

describe('NAME_MAX 255 and PATH_MAX 4096 (ENAMETOOLONG)', () => {
  it.each(K.cases<(p: Process) => unknown>('NAME_MAX and PATH_MAX', {
    'mkdir of a 255-byte name': (p) => p.mkdir('/' + 'a'.repeat(255)),
    'mkdir of a 256-byte name': (p) => p.mkdir('/' + 'a'.repeat(256)),
    'a 256-byte name counts UTF-8 bytes (128 two-byte chars)': (p) => p.mkdir('/' + 'é'.repeat(128)),
    '127 two-byte chars fit': (p) => p.mkdir('/' + 'é'.repeat(127)),
    'stat of a 256-byte name': (p) => p.stat('/' + 'b'.repeat(256)),
    'a missing directory comes before a long name': (p) => p.stat('/missing/' + 'b'.repeat(256)),
    'open O_CREAT of a 256-byte name': (p) => p.open('/' + 'c'.repeat(256), O_CREAT | O_WRONLY),
    'a path of 4095 bytes': (p) => p.stat('./'.repeat(2047) + 'f'),
    'a path of 4096 bytes': (p) => p.stat('./'.repeat(2047) + 'ff'),
    'symlink with a 4095-byte target': (p) => p.symlink('a'.repeat(4095), '/s'),
    'symlink with a 4096-byte target': (p) => p.symlink('a'.repeat(4096), '/s'),
    'symlink with an empty target': (p) => p.symlink('', '/s'),
  }))('%s -> %s', (_n, expected, op) => {
    expect(errOf(() => op(world()))).toBe(expected);
  });
});

describe('mkdir and mknod', () => {
  it.each(K.cases<[number, number]>('mknod', {
    'a FIFO': [S_IFIFO | 0o644, 0],
    'a char device': [S_IFCHR | 0o600, makedev(4, 5)],
    'a block device': [S_IFBLK | 0o600, makedev(8, 1)],
    'a regular file (S_IFREG)': [S_IFREG | 0o640, 0],
    'a regular file (type 0)': [0o640, 0],
    'a socket': [S_IFSOCK | 0o755, 0],
    'a directory': [S_IFDIR | 0o755, 0],
    'a bad type': [0o150000 | 0o644, 0],
  }))('mknod of %s -> [errno, st_mode, st_rdev] %j', (_n, expected, [mode, dev]) => {
    const p = world();
    const err = errOf(() => p.mknod('/n', mode, dev));
    expect(err === 'OK' ? [err, p.stat('/n').mode, p.stat('/n').rdev] : [err, null, null]).toEqual(expected);
  });

  it('a socket node opens only as O_PATH (no_open(): ENXIO)', () => {
    const p = world();
    p.mknod('/sock', S_IFSOCK | 0o666);
    expect({
      O_RDONLY: errOf(() => p.open('/sock', O_RDONLY)),
      'O_WRONLY|O_CREAT': errOf(() => p.open('/sock', O_WRONLY | O_CREAT, 0o644)),
      O_PATH: errOf(() => p.open('/sock', O_PATH)),
    }).toEqual(K.table('a socket node opens only as O_PATH'));
  });

  it.each(K.cases<(p: Process) => unknown>('mkdir and mknod', {
    'mknod over an existing name': (p) => p.mknod('/f', S_IFIFO | 0o644),
    'mknod in a missing directory': (p) => p.mknod('/missing/n', S_IFIFO | 0o644),
    'mknod under a file': (p) => p.mknod('/f/n', S_IFIFO | 0o644),
    'mkdir in a missing directory': (p) => p.mkdir('/missing/n'),
    'mkdir under a file': (p) => p.mkdir('/f/n'),
    'mkdir through a link to a directory': (p) => p.mkdir('/ld/n'),
    'mkdirat relative to a file descriptor': (p) => p.mkdirat(p.open('/f', O_RDONLY), 'n'),
    'mkdirat relative to a directory descriptor': (p) => p.mkdirat(p.open('/d', O_DIRECTORY), 'n'),
    'mknodat relative to a directory descriptor': (p) => p.mknodat(p.open('/d', O_DIRECTORY), 'n', S_IFIFO | 0o600),
  }))('%s -> %s', (_n, expected, op) => {
    expect(errOf(() => op(world()))).toBe(expected);
  });

  it('mkdir applies the umask; mknod too; a symlink is always 0777', () => {
    const p = world();
    p.umaskSet(0o022);
    p.mkdir('/m', 0o777);
    p.mknod('/n', S_IFIFO | 0o666);
    p.symlink('x', '/s');
    expect({ 'mkdir 0777': p.stat('/m').mode, 'mknod 0666': p.stat('/n').mode, symlink: p.lstat('/s').mode, 'the old mask': p.umaskSet(0) }).toEqual(
      K.get('mode bits', 'umask 022'),
    );
  });

  it('mkdir keeps the sticky bit but not setuid', () => {
    const p = world();
    p.mkdir('/t', 0o7777);
    expect(p.stat('/t').mode).toBe(K.get('mode bits', 'mkdir 07777'));
  });

  it('a subdirectory adds one to its parent nlink; rmdir takes it away', () => {
    const p = world();
    const nlinks = [p.stat('/e').nlink];
    p.mkdir('/e/s');
    nlinks.push(p.stat('/e').nlink);
    p.rmdir('/e/s');
    nlinks.push(p.stat('/e').nlink);
    expect(nlinks).toEqual(K.get('mode bits', 'nlink of /e, after mkdir /e/s, after rmdir'));
  });
});

describe('symlink, readlink', () => {
  it.each(K.cases<(p: Process) => unknown>('symlink, readlink', {
    'readlink returns the target verbatim': (p) => p.readlink('/lf'),
    'readlink of a dangling link': (p) => p.readlink('/ldang'),
    'readlink of a file': (p) => errOf(() => p.readlink('/f')),
    'readlink of a missing name': (p) => errOf(() => p.readlink('/missing')),
    'readlinkat with AT_FDCWD': (p) => p.readlinkat(AT_FDCWD, '/ld'),
    'readlinkat of "" on an O_PATH|O_NOFOLLOW link descriptor': (p) => p.readlinkat(p.open('/lf', O_PATH | O_NOFOLLOW), ''),
    'readlinkat relative to a directory descriptor': (p) => p.readlinkat(p.open('/', O_DIRECTORY), 'ld'),
    'symlink over an existing name': (p) => errOf(() => p.symlink('x', '/f')),
    'symlink over a dangling link': (p) => errOf(() => p.symlink('x', '/ldang')),
    'symlinkat relative to a directory descriptor': (p) => errOf(() => p.symlinkat('../f', p.open('/d', O_DIRECTORY), 'l')),
    'an absolute target is resolved from the task root': (p) => (p.symlink('/f', '/d/abs'), p.stat('/d/abs').size),
    'a relative target is resolved from the link directory': (p) => (p.symlink('../f', '/d/rel'), p.stat('/d/rel').size),
  }))('%s', (_n, expected, op) => {
    expect(op(world())).toEqual(expected);
  });
});

describe('link and linkat', () => {
  it.each(K.cases<(p: Process) => unknown>('link and linkat', {
    'a hard link to a directory': (p) => p.link('/e', '/el'),
    'a hard link over an existing name': (p) => p.link('/f', '/lf'),
    'a hard link from a missing name': (p) => p.link('/missing', '/x'),
    'a hard link into a missing directory': (p) => p.link('/f', '/missing/x'),
    'link does not follow the source link': (p) => p.link('/ldang', '/x'),
    'linkat AT_SYMLINK_FOLLOW of a dangling link': (p) => p.linkat(AT_FDCWD, '/ldang', AT_FDCWD, '/x', AT_SYMLINK_FOLLOW),
    'linkat AT_SYMLINK_FOLLOW to a directory': (p) => p.linkat(AT_FDCWD, '/ld', AT_FDCWD, '/x', AT_SYMLINK_FOLLOW),
    'linkat with an unknown flag': (p) => p.linkat(AT_FDCWD, '/f', AT_FDCWD, '/x', 0x1),
    'linkat AT_EMPTY_PATH of an open file': (p) => p.linkat(p.open('/f', O_RDONLY), '', AT_FDCWD, '/x', AT_EMPTY_PATH),
  }))('%s -> %s', (_n, expected, op) => {
    expect(errOf(() => op(world()))).toBe(expected);
  });

  it('link of a symlink without AT_SYMLINK_FOLLOW links the symlink itself', () => {
    const p = world();
    p.link('/lf', '/hl');
    p.linkat(AT_FDCWD, '/lf', AT_FDCWD, '/hf', AT_SYMLINK_FOLLOW);
    expect({
      'the new name is a symlink': p.lstat('/hl').mode,
      'the same inode as the link': p.lstat('/hl').ino === p.lstat('/lf').ino,
      'AT_SYMLINK_FOLLOW links the target': p.lstat('/hf').ino === p.stat('/f').ino,
      'the target nlink': p.stat('/f').nlink,
    }).toEqual(K.get('links to symlinks and unlinked files', 'link of a symlink'));
  });

  it('an unlinked open file cannot be linked back (ENOENT)', () => {
    const p = world();
    const fd = p.open('/f', O_RDONLY);
    p.unlink('/f');
    expect(errOf(() => p.linkat(fd, '', AT_FDCWD, '/back', AT_EMPTY_PATH))).toBe(
      K.get('links to symlinks and unlinked files', 'linkat AT_EMPTY_PATH of an unlinked open file'),
    );
  });
});

describe('unlink, unlinkat, rmdir', () => {
  it.each(K.cases<(p: Process) => unknown>('unlink, unlinkat, rmdir', {
    'unlinkat AT_REMOVEDIR of an empty directory': (p) => p.unlinkat(AT_FDCWD, '/e', AT_REMOVEDIR),
    'unlinkat AT_REMOVEDIR of a file': (p) => p.unlinkat(AT_FDCWD, '/f', AT_REMOVEDIR),
    'unlinkat of a directory': (p) => p.unlinkat(AT_FDCWD, '/e', 0),
    'unlinkat with an unknown flag': (p) => p.unlinkat(AT_FDCWD, '/f', 0x1),
    'unlinkat relative to a directory descriptor': (p) => p.unlinkat(p.open('/d/sub', O_DIRECTORY), 'x'),
    'unlink of a missing name': (p) => p.unlink('/missing'),
    'unlink of `.`': (p) => p.unlink('/d/.'),
    'unlink of `/`': (p) => p.unlink('/'),
  }))('%s -> %s', (_n, expected, op) => {
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
  it.each(K.cases<[string, string, number]>('rename', {
    'file over file': ['/f', '/g', 0],
    'a missing source': ['/missing', '/g', 0],
    'into a missing directory': ['/f', '/missing/g', 0],
    '`.`': ['/d/.', '/x', 0],
    'onto `.`': ['/f', '/d/.', 0],
    'onto `.` with RENAME_NOREPLACE': ['/f', '/d/.', RENAME_NOREPLACE],
    '`/`': ['/', '/x', 0],
    'a directory into its own subdirectory': ['/d', '/d/sub/z', 0],
    'a directory onto its ancestor': ['/d/sub', '/d', 0],
    'a directory onto a non-empty directory': ['/e', '/d', 0],
    'a directory onto an empty directory': ['/d', '/e', 0],
    'a directory onto a file': ['/e', '/f', 0],
    'a file onto a directory': ['/f', '/e', 0],
    'RENAME_NOREPLACE onto an existing name': ['/f', '/lf', RENAME_NOREPLACE],
    'RENAME_NOREPLACE onto a dangling link': ['/f', '/ldang', RENAME_NOREPLACE],
    'RENAME_NOREPLACE to a new name': ['/f', '/g', RENAME_NOREPLACE],
    'RENAME_EXCHANGE with a missing target': ['/f', '/missing', RENAME_EXCHANGE],
    'RENAME_EXCHANGE of a file and a directory': ['/f', '/d', RENAME_EXCHANGE],
    'RENAME_EXCHANGE of a directory and its descendant': ['/d', '/d/sub', RENAME_EXCHANGE],
    'RENAME_NOREPLACE|RENAME_EXCHANGE': ['/f', '/lf', RENAME_NOREPLACE | RENAME_EXCHANGE],
    'an unknown flag': ['/f', '/lf', 8],
  }))('rename %s -> %s', (_n, expected, [from, to, flags]) => {
    expect(errOf(() => world().renameat2(AT_FDCWD, from, AT_FDCWD, to, flags))).toBe(expected);
  });

  it('RENAME_EXCHANGE swaps the two names and fixes directory link counts', () => {
    const p = world();
    const fIno = p.stat('/f').ino;
    const subIno = p.stat('/d/sub').ino;
    p.renameat2(AT_FDCWD, '/f', AT_FDCWD, '/d/sub', RENAME_EXCHANGE);
    expect(p.stat('/d/sub').ino).toBe(fIno);
    expect(p.stat('/f').ino).toBe(subIno);
    // `/ nlink`: 2 + the directories d, e and f (now a directory)
    expect({ '/f/x': p.stat('/f/x').mode, '/d nlink': p.stat('/d').nlink, '/ nlink': p.stat('/').nlink }).toEqual(
      K.get('rename results', 'RENAME_EXCHANGE of /f and /d/sub'),
    );
  });

  it('rename between two hard links of one inode does nothing', () => {
    const p = world();
    p.link('/f', '/f2');
    p.rename('/f', '/f2');
    expect({ '/f': errOf(() => p.lstat('/f')), '/f2': errOf(() => p.lstat('/f2')), nlink: p.stat('/f').nlink }).toEqual(
      K.get('rename results', 'rename between two hard links'),
    );
  });

  it('rename replaces the target and moves the inode; a moved directory keeps its contents', () => {
    const p = world();
    const ino = p.stat('/f').ino;
    p.rename('/f', '/lf');
    expect(p.lstat('/lf').ino).toBe(ino);
    const mode = p.lstat('/lf').mode;
    p.rename('/d', '/e/d2');
    expect({ '/lf': mode, '/e/d2/sub/x size': p.stat('/e/d2/sub/x').size, '/e nlink': p.stat('/e').nlink }).toEqual(
      K.get('rename results', 'rename /f onto /lf, then /d to /e/d2'),
    );
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
    const cwds: string[] = [];
    p.chdir('/d/sub');
    cwds.push(p.getcwd());
    expect(p.stat('x').size).toBe(0);
    p.chdir('../..');
    cwds.push(p.getcwd());
    p.chdir('ld');
    cwds.push(p.getcwd());
    p.fchdir(p.open('/e', O_DIRECTORY));
    cwds.push(p.getcwd());
    expect(cwds).toEqual(K.get('cwd and chroot', 'getcwd after chdir /d/sub, ../.., ld, fchdir /e'));
  });

  it('getcwd of a removed directory is ENOENT; creating there is ENOENT', () => {
    const p = world();
    p.chdir('/e');
    p.rmdir('/e');
    expect({ getcwd: errOf(() => p.getcwd()), 'mkdir x': errOf(() => p.mkdir('x')), 'open .': errOf(() => p.open('.', O_RDONLY)) }).toEqual(
      K.get('cwd and chroot', 'in a removed cwd'),
    );
  });

  it.each(K.cases<(p: Process) => unknown>('cwd and chroot errors', {
    'chdir to a missing name': (p) => p.chdir('/missing'),
    'chdir to a file': (p) => p.chdir('/f'),
    'fchdir of a bad descriptor': (p) => p.fchdir(77),
    'chroot to a file': (p) => p.chroot('/f'),
    'chroot to a missing name': (p) => p.chroot('/missing'),
    'chroot by a task without CAP_SYS_CHROOT': (p) => ((p.creds = new Credentials(0, 0, [], 0n)), p.chroot('/d')),
  }))('%s -> %s', (_n, expected, op) => {
    expect(errOf(() => op(world()))).toBe(expected);
  });

  it('after chroot, `..` stops at the new root and absolute names start there', () => {
    const p = world();
    p.chroot('/d');
    p.chdir('/');
    expect({
      getcwd: p.getcwd(),
      '/f': errOf(() => p.stat('/f')),
      '/sub/x size': p.stat('/sub/x').size,
      '/.. is /sub/..': p.stat('/..').ino === p.stat('/sub/..').ino,
      '/sub/../.. is /': p.stat('/sub/../..').ino === p.stat('/').ino,
    }).toEqual(K.get('cwd and chroot', 'after chroot /d'));
  });

  it('a cwd left outside the new root reads as "(unreachable)" and can still walk up', () => {
    const p = world();
    p.chdir('/e');
    p.chroot('/d');
    expect({ getcwd: p.getcwd(), '../f size': p.stat('../f').size }).toEqual(K.get('cwd and chroot', 'a cwd left outside the new root'));
  });

  it('an absolute symlink target resolves from the chroot', () => {
    const p = world();
    p.symlink('/sub/x', '/d/abs');
    p.chroot('/d');
    expect(p.stat('/abs').size).toBe(K.get('cwd and chroot', 'an absolute symlink after chroot'));
  });
});

describe('O_CREAT|O_EXCL never follows a final link', () => {
  it('even a link to an existing file is EEXIST', () => {
    const p = world();
    expect(errOf(() => p.open('/lf', O_CREAT | O_EXCL | O_WRONLY))).toBe(K.get('cwd and chroot', 'O_CREAT|O_EXCL of a link to an existing file'));
  });
});

itChecksEveryAnswer(K);
