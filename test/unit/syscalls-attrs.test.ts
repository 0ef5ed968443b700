/**
 * Attributes and extended attributes: chmod/fchmod/fchmodat, chown/lchown/fchown, the setuid and
 * setgid rules (cleared by chown and by writes/truncates of a task without CAP_FSETID, S_ISGID
 * dropped by chmod for non-members, setgid directory inheritance), umask, sticky directories,
 * access/faccessat and tmpfs xattrs (user., trusted., security.; others EOPNOTSUPP). Expected
 * values are the kernel's on tmpfs, recorded by test/kernel/record-facts.py (group
 * syscalls-attrs, test/kernel/recorders/syscalls_attrs.py) with the same files and identities.
 */
import { describe, expect, it } from 'vitest';
import {
  AT_EACCESS,
  AT_FDCWD,
  AT_SYMLINK_NOFOLLOW,
  Credentials,
  createSandbox,
  F_OK,
  O_CREAT,
  O_DIRECTORY,
  O_NOFOLLOW,
  O_PATH,
  O_RDONLY,
  O_RDWR,
  O_WRONLY,
  R_OK,
  S_IFIFO,
  W_OK,
  X_OK,
} from '../../src/index.js';
import type { Process } from '../../src/vfs/process.js';
import { itChecksEveryAnswer, kernelFacts } from '../kernel/facts.js';
import { errOf } from './helpers.js';

const K = kernelFacts('syscalls-attrs');

const enc = new TextEncoder();
const XATTR_CREATE = 1;
const XATTR_REPLACE = 2;


const USER = new Credentials(1000, 1000, [2000], 0n);
const OTHER = new Credentials(1001, 1001, [], 0n);

/** A root task with umask 0 and a file maker. */
function root(): Process {
  return createSandbox().process;
}

function mk(p: Process, path: string, mode: number, uid = 0, gid = 0): void {
  p.close(p.open(path, O_CREAT | O_WRONLY, 0o644));
  p.chown(path, uid, gid);
  p.chmod(path, mode);
}

function asCreds(p: Process, c: Credentials): Process {
  const q = p.fork();
  q.creds = c;
  return q;
}

const perm = (p: Process, path: string): number => p.lstat(path).mode & 0o7777;

describe('chmod, fchmod, fchmodat', () => {
  it.each(K.cases<(p: Process) => unknown>('chmod, fchmod, fchmodat', {
    'owner chmods own file': (p) => asCreds(p, USER).chmod('/mine', 0o600),
    'non-owner chmod': (p) => asCreds(p, USER).chmod('/theirs', 0o600),
    'non-owner chmod with CAP_FOWNER': (p) => asCreds(p, new Credentials(1000, 1000, [], Credentials.capsOf(['FOWNER']))).chmod('/theirs', 0o600),
    'non-owner chmod with CAP_DAC_OVERRIDE': (p) => asCreds(p, new Credentials(1000, 1000, [], Credentials.capsOf(['DAC_OVERRIDE']))).chmod('/theirs', 0o600),
    'chmod of a missing name': (p) => p.chmod('/missing', 0o600),
    'fchmod of a bad descriptor': (p) => p.fchmod(55, 0o600),
    'fchmod of a read-only descriptor': (p) => p.fchmod(p.open('/mine', O_RDONLY), 0o600),
    'fchmodat AT_SYMLINK_NOFOLLOW of a symlink': (p) => p.fchmodat(AT_FDCWD, '/link', 0o600, AT_SYMLINK_NOFOLLOW),
    'fchmodat AT_SYMLINK_NOFOLLOW of a file': (p) => p.fchmodat(AT_FDCWD, '/mine', 0o600, AT_SYMLINK_NOFOLLOW),
    'fchmodat with an unknown flag': (p) => p.fchmodat(AT_FDCWD, '/mine', 0o600, 0x1),
    'fchmodat relative to a directory descriptor': (p) => p.fchmodat(p.open('/', O_DIRECTORY), 'mine', 0o600),
  }))('%s -> %s', (_n, expected, op) => {
    const p = root();
    mk(p, '/mine', 0o644, 1000, 1000);
    mk(p, '/theirs', 0o666, 0, 0);
    p.symlink('mine', '/link');
    expect(errOf(() => op(p))).toBe(expected);
  });

  it('chmod through a symlink changes the target; the link stays 0777', () => {
    const p = root();
    mk(p, '/f', 0o644);
    p.symlink('f', '/l');
    p.chmod('/l', 0o600);
    expect({ '/f': perm(p, '/f'), '/l': perm(p, '/l') }).toEqual(K.get('chmod results', 'through a symlink'));
  });

  it('chmod keeps the file type and takes only the 07777 bits', () => {
    const p = root();
    mk(p, '/f', 0o644);
    p.chmod('/f', 0o177777);
    expect(p.stat('/f').mode).toBe(K.get('chmod results', 'mode 0o177777'));
  });

  it.each(K.cases<[Credentials, number]>('chmod 02755', {
    'an owner outside the file group loses S_ISGID': [USER, 3000],
    'an owner in the file group (supplementary) keeps it': [USER, 2000],
    'an owner in the file group (primary) keeps it': [USER, 1000],
    'CAP_FSETID keeps it': [new Credentials(1000, 1000, [], Credentials.capsOf(['FSETID'])), 3000],
  }))('chmod 02755: %s -> %s', (_n, expected, [creds, gid]) => {
    const p = root();
    mk(p, '/g', 0o644, 1000, gid);
    asCreds(p, creds).chmod('/g', 0o2755);
    expect(perm(p, '/g')).toBe(expected);
  });
});

describe('chown, lchown, fchown', () => {
  it.each(K.cases<[Credentials, number, number]>('chown', {
    'an owner gives the file away': [USER, 1001, -1],
    'an owner "chowns" to itself': [USER, 1000, -1],
    'an owner chgrps to a supplementary group': [USER, -1, 2000],
    'an owner chgrps to a foreign group': [USER, -1, 3000],
    'a non-owner chgrps to its own group': [OTHER, -1, 1001],
    'CAP_CHOWN gives the file away': [new Credentials(1000, 1000, [], Credentials.capsOf(['CHOWN'])), 5, 5],
    'root without capabilities gives its file away': [new Credentials(0, 0, [], 0n), 5, -1],
    'root without capabilities chgrps to its own group': [new Credentials(0, 0, [], 0n), -1, 0],
    'a no-op chown (-1, -1) by a non-owner': [OTHER, -1, -1],
  }))('%s -> %s', (_n, expected, [creds, uid, gid]) => {
    const p = root();
    mk(p, '/f', 0o644, 1000, 1000);
    expect(errOf(() => asCreds(p, creds).chown('/f', uid, gid))).toBe(expected);
  });

  it('root without capabilities may chgrp its own file to its group', () => {
    const p = root();
    mk(p, '/f', 0o007, 0, 5);
    expect(errOf(() => asCreds(p, new Credentials(0, 0, [], 0n)).chown('/f', -1, 0))).toBe(
      K.get('chown results', 'root without capabilities chgrps its own file to its group'),
    );
  });

  it('lchown changes the link; chown the target', () => {
    const p = root();
    mk(p, '/f', 0o644);
    p.symlink('f', '/l');
    p.lchown('/l', 7, 8);
    const ids = (st: { uid: number; gid: number }) => [st.uid, st.gid];
    const seen: Record<string, number[]> = { 'lstat /l': ids(p.lstat('/l')), 'stat /l': ids(p.stat('/l')) };
    p.chown('/l', 9, 10);
    seen['stat /f after chown /l 9 10'] = ids(p.stat('/f'));
    expect(seen).toEqual(K.get('chown results', 'lchown changes the link; chown the target'));
  });

  it.each(K.cases<(p: Process) => unknown>('fchown, fchownat', {
    'fchown of a bad descriptor': (p) => p.fchown(99, 1, 1),
    'fchown of a read-only descriptor': (p) => p.fchown(p.open('/f', O_RDONLY), 1, 1),
    'fchownat AT_SYMLINK_NOFOLLOW': (p) => p.fchownat(AT_FDCWD, '/l', 1, 1, AT_SYMLINK_NOFOLLOW),
    'fchownat with an unknown flag': (p) => p.fchownat(AT_FDCWD, '/f', 1, 1, 0x1),
    'chown of a missing name': (p) => p.chown('/missing', 1, 1),
  }))('%s -> %s', (_n, expected, op) => {
    const p = root();
    mk(p, '/f', 0o644);
    p.symlink('f', '/l');
    expect(errOf(() => op(p))).toBe(expected);
  });
});

describe('setuid and setgid bits', () => {
  it.each(K.cases<[number, 'file' | 'dir']>('chown clears', {
    'chown by root drops S_ISUID and group-exec S_ISGID': [0o6755, 'file'],
    'chown by root keeps S_ISGID without group exec': [0o2644, 'file'],
    'chown of a directory keeps both': [0o6755, 'dir'],
  }))('%s -> %s', (_n, expected, [mode, kind]) => {
    const p = root();
    if (kind === 'file') mk(p, '/x', mode);
    else {
      p.mkdir('/x');
      p.chmod('/x', mode);
    }
    p.chown('/x', 5, 5);
    expect(perm(p, '/x')).toBe(expected);
  });

  it('even chown(-1, -1) drops S_ISUID', () => {
    const p = root();
    mk(p, '/x', 0o4755);
    p.chown('/x', -1, -1);
    expect(perm(p, '/x')).toBe(K.get('setuid results', 'chown(-1, -1) of a 04755 file'));
  });

  it.each(K.cases<[Credentials, number]>('writes clear', {
    'a write by the owner (no CAP_FSETID) drops S_ISUID and S_ISGID': [USER, 0o6755],
    'a write by another user drops S_ISUID': [OTHER, 0o4777],
    'a write keeps S_ISGID without group exec': [USER, 0o2664],
    'a write by root (CAP_FSETID) keeps them': [Credentials.root(), 0o6755],
    'a write with CAP_FSETID alone keeps them': [new Credentials(1000, 1000, [], Credentials.capsOf(['FSETID'])), 0o6777],
  }))('%s -> [written, mode] %j', (_n, expected, [creds, mode]) => {
    const p = root();
    mk(p, '/x', mode, 1000, 1000);
    const q = asCreds(p, creds);
    const fd = q.open('/x', O_WRONLY);
    expect([q.write(fd, enc.encode('z')), perm(p, '/x')]).toEqual(expected);
  });

  it('truncate and ftruncate by a task without CAP_FSETID drop S_ISUID', () => {
    const p = root();
    mk(p, '/x', 0o4755, 1000, 1000);
    mk(p, '/y', 0o4755, 1000, 1000);
    const q = asCreds(p, USER);
    q.truncate('/x', 0);
    q.ftruncate(q.open('/y', O_RDWR), 3);
    expect({ truncate: perm(p, '/x'), ftruncate: perm(p, '/y') }).toEqual(K.get('setuid results', 'truncate and ftruncate of 04755 files by the owner'));
  });

  it('an empty write changes nothing', () => {
    const p = root();
    mk(p, '/x', 0o4755, 1000, 1000);
    const q = asCreds(p, USER);
    q.write(q.open('/x', O_WRONLY), new Uint8Array(0));
    expect(perm(p, '/x')).toBe(K.get('setuid results', 'an empty write to a 04755 file by the owner'));
  });
});

describe('setgid directories and umask', () => {
  function sgidDir(): Process {
    const p = root();
    p.mkdir('/sg', 0o777);
    p.chown('/sg', 0, 3000);
    p.chmod('/sg', 0o2777);
    return p;
  }

  it.each(K.cases<[Credentials, (q: Process) => void, string]>('setgid directories', {
    'mkdir inherits the group and S_ISGID': [USER, (q) => q.mkdir('/sg/d', 0o777), '/sg/d'],
    'a file inherits the group, not S_ISGID': [USER, (q) => q.close(q.open('/sg/f', O_CREAT | O_WRONLY, 0o666)), '/sg/f'],
    'a non-member loses a requested S_ISGID on a group-exec file': [USER, (q) => q.close(q.open('/sg/f', O_CREAT | O_WRONLY, 0o2775)), '/sg/f'],
    'a member keeps it': [new Credentials(1000, 1000, [3000], 0n), (q) => q.close(q.open('/sg/f', O_CREAT | O_WRONLY, 0o2775)), '/sg/f'],
    'CAP_FSETID keeps it': [new Credentials(1000, 1000, [], Credentials.capsOf(['FSETID'])), (q) => q.close(q.open('/sg/f', O_CREAT | O_WRONLY, 0o2775)), '/sg/f'],
    'mknod of a FIFO inherits the group': [USER, (q) => q.mknod('/sg/p', S_IFIFO | 0o666), '/sg/p'],
    'a symlink inherits the group': [USER, (q) => q.symlink('x', '/sg/l'), '/sg/l'],
  }))('%s -> %j', (_n, expected, [creds, op, path]) => {
    const p = sgidDir();
    const q = asCreds(p, creds);
    q.umaskSet(0o022);
    op(q);
    expect(p.lstat(path)).toMatchObject(expected as object);
  });

  it('outside a setgid directory a new inode takes the task ids', () => {
    const p = root();
    p.mkdir('/pub', 0o777);
    const q = asCreds(p, USER);
    q.mkdir('/pub/d');
    expect(p.stat('/pub/d')).toMatchObject(K.get('setgid results', 'outside a setgid directory') as object);
  });

  /** `umask mode` in octal: open(O_CREAT, mode) under that umask. */
  it.each(K.answers('umask', ['022 666', '077 666', '027 777', '000 1777', '777 666']))('umask, open(O_CREAT) mode %s -> %s', (key, expected) => {
    const [umask, mode] = key.split(' ').map((o) => parseInt(o, 8)) as [number, number];
    const p = root();
    p.umaskSet(umask);
    p.close(p.open('/f', O_CREAT | O_WRONLY, mode));
    expect(perm(p, '/f')).toBe(expected);
  });

  it('umaskSet keeps only the permission bits and returns the old mask', () => {
    const p = root();
    expect([p.umaskSet(0o7777), p.umaskSet(0o022)]).toEqual(K.get('umask results', 'umask(07777) then umask(022) return'));
  });
});

describe('sticky directories', () => {
  function sticky(dirOwner: number): Process {
    const p = root();
    p.mkdir('/t', 0o777);
    p.chown('/t', dirOwner, dirOwner);
    p.chmod('/t', 0o1777);
    mk(p, '/t/mine', 0o666, 1000, 1000);
    mk(p, '/t/other', 0o666, 1001, 1001);
    p.mkdir('/t/odir');
    p.chown('/t/odir', 1001, 1001);
    p.mkdir('/pub', 0o777);
    return p;
  }

  it.each(K.cases<[number, Credentials, (q: Process) => unknown]>('sticky directories', {
    'unlink own file': [0, USER, (q) => q.unlink('/t/mine')],
    "unlink another's file": [0, USER, (q) => q.unlink('/t/other')],
    "rename another's file out": [0, USER, (q) => q.rename('/t/other', '/pub/x')],
    "rename own file over another's": [0, USER, (q) => q.rename('/t/mine', '/t/other')],
    "rmdir another's directory": [0, USER, (q) => q.rmdir('/t/odir')],
    "the directory owner unlinks another's file": [1000, USER, (q) => q.unlink('/t/other')],
    'CAP_FOWNER unlinks': [0, new Credentials(1000, 1000, [], Credentials.capsOf(['FOWNER'])), (q) => q.unlink('/t/other')],
    'CAP_DAC_OVERRIDE does not': [0, new Credentials(1000, 1000, [], Credentials.capsOf(['DAC_OVERRIDE'])), (q) => q.unlink('/t/other')],
    'creating in a sticky directory is fine': [0, USER, (q) => q.mkdir('/t/new')],
    "a missing name is ENOENT before the sticky rule": [0, USER, (q) => q.unlink('/t/missing')],
  }))('%s -> %s', (_n, expected, [owner, creds, op]) => {
    const p = sticky(owner);
    expect(errOf(() => op(asCreds(p, creds)))).toBe(expected);
  });
});

describe('access and faccessat', () => {
  it.each(K.cases<(p: Process) => unknown>('access and faccessat', {
    'F_OK of an existing file': (p) => p.access('/f', F_OK),
    'F_OK of a missing file': (p) => p.access('/missing', F_OK),
    'a mode with bit 8': (p) => p.access('/f', 8),
    'faccessat with an unknown flag': (p) => p.faccessat(AT_FDCWD, '/f', R_OK, 0x1),
    'X_OK of a 0644 file by root': (p) => p.access('/f', X_OK),
    'X_OK of a 0744 file by root': (p) => (p.chmod('/f', 0o744), p.access('/f', X_OK)),
    'X_OK of a directory without x bits by root': (p) => (p.mkdir('/d', 0o600), p.access('/d', X_OK)),
    'faccessat AT_SYMLINK_NOFOLLOW of a dangling link': (p) => (p.symlink('nope', '/l'), p.faccessat(AT_FDCWD, '/l', F_OK, AT_SYMLINK_NOFOLLOW)),
    'access of a dangling link': (p) => (p.symlink('nope', '/l'), p.access('/l', F_OK)),
    'R_OK|W_OK of a 0400 file by the owner': (p) => (p.chown('/f', 1000, 1000), p.chmod('/f', 0o400), asCreds(p, USER).access('/f', R_OK | W_OK)),
    'R_OK of a 0400 file by the owner': (p) => (p.chown('/f', 1000, 1000), p.chmod('/f', 0o400), asCreds(p, USER).access('/f', R_OK)),
  }))('%s -> %s', (_n, expected, op) => {
    const p = root();
    mk(p, '/f', 0o644);
    expect(errOf(() => op(p))).toBe(expected);
  });
});

describe('tmpfs extended attributes', () => {
  function xworld(): Process {
    const p = root();
    mk(p, '/f', 0o644);
    p.mkdir('/d');
    p.symlink('f', '/l');
    p.mknod('/p', S_IFIFO | 0o666);
    return p;
  }
  const v = (s: string): Uint8Array => enc.encode(s);

  it.each(K.cases<(p: Process) => unknown>('tmpfs extended attributes', {
    'user.* on a file': (p) => p.setxattr('/f', 'user.a', v('1')),
    'user.* on a directory': (p) => p.setxattr('/d', 'user.a', v('1')),
    'user.* on a symlink itself': (p) => p.lsetxattr('/l', 'user.a', v('1')),
    'user.* through a symlink': (p) => p.setxattr('/l', 'user.a', v('1')),
    'user.* on a FIFO': (p) => p.setxattr('/p', 'user.a', v('1')),
    'lgetxattr user.* of a symlink': (p) => p.lgetxattr('/l', 'user.a'),
    'trusted.* on a symlink (root)': (p) => p.lsetxattr('/l', 'trusted.a', v('1')),
    'security.* (root)': (p) => p.setxattr('/f', 'security.a', v('1')),
    'system.foo': (p) => p.setxattr('/f', 'system.foo', v('1')),
    'foo.bar': (p) => p.setxattr('/f', 'foo.bar', v('1')),
    'a name without a namespace': (p) => p.setxattr('/f', 'plain', v('1')),
    '"user." alone': (p) => p.setxattr('/f', 'user.', v('1')),
    '"security." alone': (p) => p.setxattr('/f', 'security.', v('1')),
    '"trusted." alone': (p) => p.setxattr('/f', 'trusted.', v('1')),
    'a 255-byte name': (p) => p.setxattr('/f', 'user.' + 'a'.repeat(250), v('1')),
    'a 256-byte name': (p) => p.setxattr('/f', 'user.' + 'a'.repeat(251), v('1')),
    'an empty name': (p) => p.setxattr('/f', '', v('1')),
    'a 65536-byte value': (p) => p.setxattr('/f', 'user.big', new Uint8Array(65536)),
    'a 65537-byte value': (p) => p.setxattr('/f', 'user.big', new Uint8Array(65537)),
    'an empty value': (p) => p.setxattr('/f', 'user.e', new Uint8Array(0)),
    'XATTR_CREATE of an existing name': (p) => (p.setxattr('/f', 'user.a', v('1')), p.setxattr('/f', 'user.a', v('2'), XATTR_CREATE)),
    'XATTR_REPLACE of a missing name': (p) => p.setxattr('/f', 'user.a', v('1'), XATTR_REPLACE),
    'an unknown flag': (p) => p.setxattr('/f', 'user.a', v('1'), 4),
    'getxattr of a missing name': (p) => p.getxattr('/f', 'user.nope'),
    'removexattr of a missing name': (p) => p.removexattr('/f', 'user.nope'),
    'getxattr of a missing file': (p) => p.getxattr('/missing', 'user.a'),
    'fsetxattr of an O_PATH descriptor': (p) => p.fsetxattr(p.open('/f', O_PATH), 'user.a', v('1')),
    'fsetxattr of a read-only descriptor': (p) => p.fsetxattr(p.open('/f', O_RDONLY), 'user.a', v('1')),
  }))('%s -> %s', (_n, expected, op) => {
    expect(errOf(() => op(xworld()))).toBe(expected);
  });

  it('set, get, list, replace and remove round-trip', () => {
    const p = xworld();
    p.setxattr('/f', 'user.a', v('one'));
    p.setxattr('/f', 'trusted.t', v('two'));
    p.setxattr('/f', 'security.s', v('three'));
    p.setxattr('/f', 'user.a', v('uno'), XATTR_REPLACE);
    const seen: Record<string, unknown> = { 'user.a': new TextDecoder().decode(p.getxattr('/f', 'user.a')), listxattr: p.listxattr('/f').sort() };
    p.removexattr('/f', 'user.a');
    seen['getxattr after removexattr'] = errOf(() => p.getxattr('/f', 'user.a'));
    seen['listxattr after removexattr'] = p.listxattr('/f').sort();
    seen['llistxattr of the link'] = p.llistxattr('/l');
    expect(seen).toEqual(K.get('xattr results', 'set, get, list, replace and remove'));
  });

  it.each(K.cases<(q: Process) => unknown>('xattrs as uid 1000', {
    'trusted.* set without CAP_SYS_ADMIN': (q) => errOf(() => q.setxattr('/mine', 'trusted.x', v('1'))),
    'trusted.* read without CAP_SYS_ADMIN': (q) => errOf(() => q.getxattr('/mine', 'trusted.t')),
    'trusted.* names are hidden from listxattr': (q) => q.listxattr('/mine').sort(),
    'security.* set without CAP_SYS_ADMIN': (q) => errOf(() => q.setxattr('/mine', 'security.x', v('1'))),
    'security.* removed without CAP_SYS_ADMIN': (q) => errOf(() => q.removexattr('/mine', 'security.s')),
    'security.* read without read permission': (q) => errOf(() => q.getxattr('/root000', 'security.s')),
    'user.* read without read permission': (q) => errOf(() => q.getxattr('/root000', 'user.u')),
    'user.* set on own 0000 file': (q) => errOf(() => q.setxattr('/mine000', 'user.x', v('1'))),
    'user.* set on a writable file of another': (q) => errOf(() => q.setxattr('/rw', 'user.x', v('1'))),
    'user.* set on a root 0644 file': (q) => errOf(() => q.setxattr('/root644', 'user.x', v('1'))),
    "user.* set on another's sticky directory": (q) => errOf(() => q.setxattr('/sticky', 'user.x', v('1'))),
    'user.* set on own sticky directory': (q) => errOf(() => q.setxattr('/mysticky', 'user.x', v('1'))),
  }))('as uid 1000: %s', (_n, expected, op) => {
    const p = xworld();
    mk(p, '/mine', 0o644, 1000, 1000);
    mk(p, '/root000', 0o000);
    for (const f of ['/mine', '/root000']) {
      p.setxattr(f, 'trusted.t', v('1'));
      p.setxattr(f, 'security.s', v('1'));
      p.setxattr(f, 'user.u', v('1'));
    }
    mk(p, '/mine000', 0o000, 1000, 1000);
    mk(p, '/rw', 0o666);
    mk(p, '/root644', 0o644);
    p.mkdir('/sticky', 0o1777);
    p.mkdir('/mysticky', 0o1777);
    p.chown('/mysticky', 1000, 1000);
    expect(op(asCreds(p, USER))).toEqual(expected);
  });

  it('xattrs follow the inode across hard links and survive rename', () => {
    const p = xworld();
    p.setxattr('/f', 'user.a', v('1'));
    p.link('/f', '/g');
    p.rename('/f', '/d/f');
    expect({ '/g': [...p.getxattr('/g', 'user.a')], '/d/f': errOf(() => p.getxattr('/d/f', 'user.a')) }).toEqual(
      K.get('xattr results', 'across a hard link and a rename'),
    );
  });

  it('an O_NOFOLLOW|O_PATH descriptor of a link cannot carry xattrs', () => {
    const p = xworld();
    const fd = p.open('/l', O_PATH | O_NOFOLLOW);
    expect(errOf(() => p.fgetxattr(fd, 'user.a'))).toBe(K.get('xattr results', 'fgetxattr of an O_NOFOLLOW|O_PATH descriptor of a link'));
  });
});

describe('utimensat permissions', () => {
  it.each(K.cases<[string, boolean]>('utimensat permissions', {
    'explicit times on a writable file of another': ['/rw', true],
    '"now" on a writable file of another': ['/rw', false],
    '"now" on an unwritable file of another': ['/ro', false],
    'explicit times on own file': ['/mine', true],
    '"now" on own 0000 file': ['/mine000', false],
  }))('%s -> %s', (_n, expected, [path, explicit]) => {
    const p = root();
    mk(p, '/rw', 0o666);
    mk(p, '/ro', 0o644);
    mk(p, '/mine', 0o644, 1000, 1000);
    mk(p, '/mine000', 0o000, 1000, 1000);
    const q = asCreds(p, USER);
    const times = explicit ? ([{ sec: 1, nsec: 0 }, { sec: 2, nsec: 0 }] as [{ sec: number; nsec: number }, { sec: number; nsec: number }]) : null;
    expect(errOf(() => q.utimensat(AT_FDCWD, path, times))).toBe(expected);
  });
});

describe('faccessat AT_EACCESS vs access for a non-root user with capabilities', () => {
  it('AT_EACCESS uses the capability; plain access drops it', () => {
    const p = root();
    mk(p, '/secret', 0o600);
    const q = asCreds(p, new Credentials(1000, 1000, [], Credentials.capsOf(['DAC_OVERRIDE'])));
    expect({
      'faccessat AT_EACCESS R_OK|W_OK': errOf(() => q.faccessat(AT_FDCWD, '/secret', R_OK | W_OK, AT_EACCESS)),
      'access R_OK': errOf(() => q.access('/secret', R_OK)),
      'open O_RDWR': errOf(() => q.open('/secret', O_RDWR)),
    }).toEqual(K.table('AT_EACCESS and access with CAP_DAC_OVERRIDE'));
  });
});

itChecksEveryAnswer(K);
