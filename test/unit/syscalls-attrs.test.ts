/**
 * Attributes and extended attributes: chmod/fchmod/fchmodat, chown/lchown/fchown, the setuid and
 * setgid rules (cleared by chown and by writes/truncates of a task without CAP_FSETID, S_ISGID
 * dropped by chmod for non-members, setgid directory inheritance), umask, sticky directories,
 * access/faccessat and tmpfs xattrs (user., trusted., security.; others EOPNOTSUPP). Expected
 * values were observed on Linux 6.18 on tmpfs.
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
  S_IFDIR,
  S_IFIFO,
  S_IFLNK,
  S_IFREG,
  SysError,
  W_OK,
  X_OK,
} from '../../src/index.js';
import type { Process } from '../../src/vfs/process.js';
import { errOf } from './helpers.js';

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
  it.each<[string, (p: Process) => unknown, string]>([
    ['owner chmods own file', (p) => asCreds(p, USER).chmod('/mine', 0o600), 'OK'],
    ['non-owner chmod', (p) => asCreds(p, USER).chmod('/theirs', 0o600), 'EPERM'],
    ['non-owner chmod with CAP_FOWNER', (p) => asCreds(p, new Credentials(1000, 1000, [], Credentials.capsOf(['FOWNER']))).chmod('/theirs', 0o600), 'OK'],
    ['non-owner chmod with CAP_DAC_OVERRIDE', (p) => asCreds(p, new Credentials(1000, 1000, [], Credentials.capsOf(['DAC_OVERRIDE']))).chmod('/theirs', 0o600), 'EPERM'],
    ['chmod of a missing name', (p) => p.chmod('/missing', 0o600), 'ENOENT'],
    ['fchmod of a bad descriptor', (p) => p.fchmod(55, 0o600), 'EBADF'],
    ['fchmod of a read-only descriptor', (p) => p.fchmod(p.open('/mine', O_RDONLY), 0o600), 'OK'],
    ['fchmodat AT_SYMLINK_NOFOLLOW of a symlink', (p) => p.fchmodat(AT_FDCWD, '/link', 0o600, AT_SYMLINK_NOFOLLOW), 'EOPNOTSUPP'],
    ['fchmodat AT_SYMLINK_NOFOLLOW of a file', (p) => p.fchmodat(AT_FDCWD, '/mine', 0o600, AT_SYMLINK_NOFOLLOW), 'OK'],
    ['fchmodat with an unknown flag', (p) => p.fchmodat(AT_FDCWD, '/mine', 0o600, 0x1), 'EINVAL'],
    ['fchmodat relative to a directory descriptor', (p) => p.fchmodat(p.open('/', O_DIRECTORY), 'mine', 0o600), 'OK'],
  ])('%s -> %s', (_n, op, expected) => {
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
    expect(perm(p, '/f')).toBe(0o600);
    expect(perm(p, '/l')).toBe(0o777);
  });

  it('chmod keeps the file type and takes only the 07777 bits', () => {
    const p = root();
    mk(p, '/f', 0o644);
    p.chmod('/f', 0o177777);
    expect(p.stat('/f').mode).toBe(S_IFREG | 0o7777);
  });

  it.each<[string, Credentials, number, number]>([
    ['an owner outside the file group loses S_ISGID', USER, 3000, 0o755],
    ['an owner in the file group (supplementary) keeps it', USER, 2000, 0o2755],
    ['an owner in the file group (primary) keeps it', USER, 1000, 0o2755],
    ['CAP_FSETID keeps it', new Credentials(1000, 1000, [], Credentials.capsOf(['FSETID'])), 3000, 0o2755],
  ])('chmod 02755: %s', (_n, creds, gid, expected) => {
    const p = root();
    mk(p, '/g', 0o644, 1000, gid);
    asCreds(p, creds).chmod('/g', 0o2755);
    expect(perm(p, '/g')).toBe(expected);
  });
});

describe('chown, lchown, fchown', () => {
  it.each<[string, Credentials, number, number, string]>([
    ['an owner gives the file away', USER, 1001, -1, 'EPERM'],
    ['an owner "chowns" to itself', USER, 1000, -1, 'OK'],
    ['an owner chgrps to a supplementary group', USER, -1, 2000, 'OK'],
    ['an owner chgrps to a foreign group', USER, -1, 3000, 'EPERM'],
    ['a non-owner chgrps to its own group', OTHER, -1, 1001, 'EPERM'],
    ['CAP_CHOWN gives the file away', new Credentials(1000, 1000, [], Credentials.capsOf(['CHOWN'])), 5, 5, 'OK'],
    ['root without capabilities gives its file away', new Credentials(0, 0, [], 0n), 5, -1, 'EPERM'],
    ['root without capabilities chgrps to its own group', new Credentials(0, 0, [], 0n), -1, 0, 'EPERM'],
    ['a no-op chown (-1, -1) by a non-owner', OTHER, -1, -1, 'OK'],
  ])('%s -> %s', (_n, creds, uid, gid, expected) => {
    const p = root();
    mk(p, '/f', 0o644, 1000, 1000);
    expect(errOf(() => asCreds(p, creds).chown('/f', uid, gid))).toBe(expected);
  });

  it('root without capabilities may chgrp its own file to its group', () => {
    const p = root();
    mk(p, '/f', 0o007, 0, 5);
    expect(errOf(() => asCreds(p, new Credentials(0, 0, [], 0n)).chown('/f', -1, 0))).toBe('OK');
  });

  it('lchown changes the link; chown the target', () => {
    const p = root();
    mk(p, '/f', 0o644);
    p.symlink('f', '/l');
    p.lchown('/l', 7, 8);
    expect(p.lstat('/l')).toMatchObject({ uid: 7, gid: 8 });
    expect(p.stat('/l')).toMatchObject({ uid: 0, gid: 0 });
    p.chown('/l', 9, 10);
    expect(p.stat('/f')).toMatchObject({ uid: 9, gid: 10 });
  });

  it.each<[string, (p: Process) => unknown, string]>([
    ['fchown of a bad descriptor', (p) => p.fchown(99, 1, 1), 'EBADF'],
    ['fchown of a read-only descriptor', (p) => p.fchown(p.open('/f', O_RDONLY), 1, 1), 'OK'],
    ['fchownat AT_SYMLINK_NOFOLLOW', (p) => p.fchownat(AT_FDCWD, '/l', 1, 1, AT_SYMLINK_NOFOLLOW), 'OK'],
    ['fchownat with an unknown flag', (p) => p.fchownat(AT_FDCWD, '/f', 1, 1, 0x1), 'EINVAL'],
    ['chown of a missing name', (p) => p.chown('/missing', 1, 1), 'ENOENT'],
  ])('%s -> %s', (_n, op, expected) => {
    const p = root();
    mk(p, '/f', 0o644);
    p.symlink('f', '/l');
    expect(errOf(() => op(p))).toBe(expected);
  });
});

describe('setuid and setgid bits', () => {
  it.each<[string, number, 'file' | 'dir', number]>([
    ['chown by root drops S_ISUID and group-exec S_ISGID', 0o6755, 'file', 0o755],
    ['chown by root keeps S_ISGID without group exec', 0o2644, 'file', 0o2644],
    ['chown of a directory keeps both', 0o6755, 'dir', 0o6755],
  ])('%s', (_n, mode, kind, expected) => {
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
    expect(perm(p, '/x')).toBe(0o755);
  });

  it.each<[string, Credentials, number, number]>([
    ['a write by the owner (no CAP_FSETID) drops S_ISUID and S_ISGID', USER, 0o6755, 0o755],
    ['a write by another user drops S_ISUID', OTHER, 0o4777, 0o777],
    ['a write keeps S_ISGID without group exec', USER, 0o2664, 0o2664],
    ['a write by root (CAP_FSETID) keeps them', Credentials.root(), 0o6755, 0o6755],
    ['a write with CAP_FSETID alone keeps them', new Credentials(1000, 1000, [], Credentials.capsOf(['FSETID'])), 0o6777, 0o6777],
  ])('%s', (_n, creds, mode, expected) => {
    const p = root();
    mk(p, '/x', mode, 1000, 1000);
    const q = asCreds(p, creds);
    const fd = q.open('/x', O_WRONLY);
    expect(q.write(fd, enc.encode('z'))).toBe(1);
    expect(perm(p, '/x')).toBe(expected);
  });

  it('truncate and ftruncate by a task without CAP_FSETID drop S_ISUID', () => {
    const p = root();
    mk(p, '/x', 0o4755, 1000, 1000);
    mk(p, '/y', 0o4755, 1000, 1000);
    const q = asCreds(p, USER);
    q.truncate('/x', 0);
    q.ftruncate(q.open('/y', O_RDWR), 3);
    expect(perm(p, '/x')).toBe(0o755);
    expect(perm(p, '/y')).toBe(0o755);
  });

  it('an empty write changes nothing', () => {
    const p = root();
    mk(p, '/x', 0o4755, 1000, 1000);
    const q = asCreds(p, USER);
    q.write(q.open('/x', O_WRONLY), new Uint8Array(0));
    expect(perm(p, '/x')).toBe(0o4755);
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

  it.each<[string, Credentials, (q: Process) => void, string, number, number]>([
    ['mkdir inherits the group and S_ISGID', USER, (q) => q.mkdir('/sg/d', 0o777), '/sg/d', S_IFDIR | 0o2755, 3000],
    ['a file inherits the group, not S_ISGID', USER, (q) => q.close(q.open('/sg/f', O_CREAT | O_WRONLY, 0o666)), '/sg/f', S_IFREG | 0o644, 3000],
    ['a non-member loses a requested S_ISGID on a group-exec file', USER, (q) => q.close(q.open('/sg/f', O_CREAT | O_WRONLY, 0o2775)), '/sg/f', S_IFREG | 0o755, 3000],
    ['a member keeps it', new Credentials(1000, 1000, [3000], 0n), (q) => q.close(q.open('/sg/f', O_CREAT | O_WRONLY, 0o2775)), '/sg/f', S_IFREG | 0o2755, 3000],
    ['CAP_FSETID keeps it', new Credentials(1000, 1000, [], Credentials.capsOf(['FSETID'])), (q) => q.close(q.open('/sg/f', O_CREAT | O_WRONLY, 0o2775)), '/sg/f', S_IFREG | 0o2755, 3000],
    ['mknod of a FIFO inherits the group', USER, (q) => q.mknod('/sg/p', S_IFIFO | 0o666), '/sg/p', S_IFIFO | 0o644, 3000],
    ['a symlink inherits the group', USER, (q) => q.symlink('x', '/sg/l'), '/sg/l', S_IFLNK | 0o777, 3000],
  ])('%s', (_n, creds, op, path, mode, gid) => {
    const p = sgidDir();
    const q = asCreds(p, creds);
    q.umaskSet(0o022);
    op(q);
    expect(p.lstat(path)).toMatchObject({ mode, gid, uid: 1000 });
  });

  it('outside a setgid directory a new inode takes the task ids', () => {
    const p = root();
    p.mkdir('/pub', 0o777);
    const q = asCreds(p, USER);
    q.mkdir('/pub/d');
    expect(p.stat('/pub/d')).toMatchObject({ uid: 1000, gid: 1000, mode: S_IFDIR | 0o777 });
  });

  it.each<[number, number, number]>([
    [0o022, 0o666, 0o644],
    [0o077, 0o666, 0o600],
    [0o027, 0o777, 0o750],
    [0o000, 0o1777, 0o1777],
    [0o777, 0o666, 0o000],
  ])('umask %o on open(O_CREAT, %o) -> %o', (umask, mode, expected) => {
    const p = root();
    p.umaskSet(umask);
    p.close(p.open('/f', O_CREAT | O_WRONLY, mode));
    expect(perm(p, '/f')).toBe(expected);
  });

  it('umaskSet keeps only the permission bits and returns the old mask', () => {
    const p = root();
    expect(p.umaskSet(0o7777)).toBe(0);
    expect(p.umaskSet(0o022)).toBe(0o777);
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

  it.each<[string, number, Credentials, (q: Process) => unknown, string]>([
    ['unlink own file', 0, USER, (q) => q.unlink('/t/mine'), 'OK'],
    ["unlink another's file", 0, USER, (q) => q.unlink('/t/other'), 'EPERM'],
    ["rename another's file out", 0, USER, (q) => q.rename('/t/other', '/pub/x'), 'EPERM'],
    ["rename own file over another's", 0, USER, (q) => q.rename('/t/mine', '/t/other'), 'EPERM'],
    ["rmdir another's directory", 0, USER, (q) => q.rmdir('/t/odir'), 'EPERM'],
    ["the directory owner unlinks another's file", 1000, USER, (q) => q.unlink('/t/other'), 'OK'],
    ['CAP_FOWNER unlinks', 0, new Credentials(1000, 1000, [], Credentials.capsOf(['FOWNER'])), (q) => q.unlink('/t/other'), 'OK'],
    ['CAP_DAC_OVERRIDE does not', 0, new Credentials(1000, 1000, [], Credentials.capsOf(['DAC_OVERRIDE'])), (q) => q.unlink('/t/other'), 'EPERM'],
    ['creating in a sticky directory is fine', 0, USER, (q) => q.mkdir('/t/new'), 'OK'],
    ["a missing name is ENOENT before the sticky rule", 0, USER, (q) => q.unlink('/t/missing'), 'ENOENT'],
  ])('%s -> %s', (_n, owner, creds, op, expected) => {
    const p = sticky(owner);
    expect(errOf(() => op(asCreds(p, creds)))).toBe(expected);
  });
});

describe('access and faccessat', () => {
  it.each<[string, (p: Process) => unknown, string]>([
    ['F_OK of an existing file', (p) => p.access('/f', F_OK), 'OK'],
    ['F_OK of a missing file', (p) => p.access('/missing', F_OK), 'ENOENT'],
    ['a mode with bit 8', (p) => p.access('/f', 8), 'EINVAL'],
    ['faccessat with an unknown flag', (p) => p.faccessat(AT_FDCWD, '/f', R_OK, 0x1), 'EINVAL'],
    ['X_OK of a 0644 file by root', (p) => p.access('/f', X_OK), 'EACCES'],
    ['X_OK of a 0744 file by root', (p) => (p.chmod('/f', 0o744), p.access('/f', X_OK)), 'OK'],
    ['X_OK of a directory without x bits by root', (p) => (p.mkdir('/d', 0o600), p.access('/d', X_OK)), 'OK'],
    ['faccessat AT_SYMLINK_NOFOLLOW of a dangling link', (p) => (p.symlink('nope', '/l'), p.faccessat(AT_FDCWD, '/l', F_OK, AT_SYMLINK_NOFOLLOW)), 'OK'],
    ['access of a dangling link', (p) => (p.symlink('nope', '/l'), p.access('/l', F_OK)), 'ENOENT'],
    ['R_OK|W_OK of a 0400 file by the owner', (p) => (p.chown('/f', 1000, 1000), p.chmod('/f', 0o400), asCreds(p, USER).access('/f', R_OK | W_OK)), 'EACCES'],
    ['R_OK of a 0400 file by the owner', (p) => (p.chown('/f', 1000, 1000), p.chmod('/f', 0o400), asCreds(p, USER).access('/f', R_OK)), 'OK'],
  ])('%s -> %s', (_n, op, expected) => {
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

  it.each<[string, (p: Process) => unknown, string]>([
    ['user.* on a file', (p) => p.setxattr('/f', 'user.a', v('1')), 'OK'],
    ['user.* on a directory', (p) => p.setxattr('/d', 'user.a', v('1')), 'OK'],
    ['user.* on a symlink itself', (p) => p.lsetxattr('/l', 'user.a', v('1')), 'EPERM'],
    ['user.* through a symlink', (p) => p.setxattr('/l', 'user.a', v('1')), 'OK'],
    ['user.* on a FIFO', (p) => p.setxattr('/p', 'user.a', v('1')), 'EPERM'],
    ['lgetxattr user.* of a symlink', (p) => p.lgetxattr('/l', 'user.a'), 'ENODATA'],
    ['trusted.* on a symlink (root)', (p) => p.lsetxattr('/l', 'trusted.a', v('1')), 'OK'],
    ['security.* (root)', (p) => p.setxattr('/f', 'security.a', v('1')), 'OK'],
    ['system.foo', (p) => p.setxattr('/f', 'system.foo', v('1')), 'EOPNOTSUPP'],
    ['foo.bar', (p) => p.setxattr('/f', 'foo.bar', v('1')), 'EOPNOTSUPP'],
    ['a name without a namespace', (p) => p.setxattr('/f', 'plain', v('1')), 'EOPNOTSUPP'],
    ['"user." alone', (p) => p.setxattr('/f', 'user.', v('1')), 'EINVAL'],
    ['"security." alone', (p) => p.setxattr('/f', 'security.', v('1')), 'EINVAL'],
    ['"trusted." alone', (p) => p.setxattr('/f', 'trusted.', v('1')), 'EINVAL'],
    ['a 255-byte name', (p) => p.setxattr('/f', 'user.' + 'a'.repeat(250), v('1')), 'OK'],
    ['a 256-byte name', (p) => p.setxattr('/f', 'user.' + 'a'.repeat(251), v('1')), 'ERANGE'],
    ['an empty name', (p) => p.setxattr('/f', '', v('1')), 'ERANGE'],
    ['a 65536-byte value', (p) => p.setxattr('/f', 'user.big', new Uint8Array(65536)), 'OK'],
    ['a 65537-byte value', (p) => p.setxattr('/f', 'user.big', new Uint8Array(65537)), 'E2BIG'],
    ['an empty value', (p) => p.setxattr('/f', 'user.e', new Uint8Array(0)), 'OK'],
    ['XATTR_CREATE of an existing name', (p) => (p.setxattr('/f', 'user.a', v('1')), p.setxattr('/f', 'user.a', v('2'), XATTR_CREATE)), 'EEXIST'],
    ['XATTR_REPLACE of a missing name', (p) => p.setxattr('/f', 'user.a', v('1'), XATTR_REPLACE), 'ENODATA'],
    ['an unknown flag', (p) => p.setxattr('/f', 'user.a', v('1'), 4), 'EINVAL'],
    ['getxattr of a missing name', (p) => p.getxattr('/f', 'user.nope'), 'ENODATA'],
    ['removexattr of a missing name', (p) => p.removexattr('/f', 'user.nope'), 'ENODATA'],
    ['getxattr of a missing file', (p) => p.getxattr('/missing', 'user.a'), 'ENOENT'],
    ['fsetxattr of an O_PATH descriptor', (p) => p.fsetxattr(p.open('/f', O_PATH), 'user.a', v('1')), 'EBADF'],
    ['fsetxattr of a read-only descriptor', (p) => p.fsetxattr(p.open('/f', O_RDONLY), 'user.a', v('1')), 'OK'],
  ])('%s -> %s', (_n, op, expected) => {
    expect(errOf(() => op(xworld()))).toBe(expected);
  });

  it('set, get, list, replace and remove round-trip', () => {
    const p = xworld();
    p.setxattr('/f', 'user.a', v('one'));
    p.setxattr('/f', 'trusted.t', v('two'));
    p.setxattr('/f', 'security.s', v('three'));
    p.setxattr('/f', 'user.a', v('uno'), XATTR_REPLACE);
    expect(new TextDecoder().decode(p.getxattr('/f', 'user.a'))).toBe('uno');
    expect(p.listxattr('/f').sort()).toEqual(['security.s', 'trusted.t', 'user.a']);
    p.removexattr('/f', 'user.a');
    expect(errOf(() => p.getxattr('/f', 'user.a'))).toBe('ENODATA');
    expect(p.listxattr('/f').sort()).toEqual(['security.s', 'trusted.t']);
    expect(p.llistxattr('/l')).toEqual([]);
  });

  it.each<[string, (q: Process) => unknown, unknown]>([
    ['trusted.* set without CAP_SYS_ADMIN', (q) => errOf(() => q.setxattr('/mine', 'trusted.x', v('1'))), 'EPERM'],
    ['trusted.* read without CAP_SYS_ADMIN', (q) => errOf(() => q.getxattr('/mine', 'trusted.t')), 'ENODATA'],
    ['trusted.* names are hidden from listxattr', (q) => q.listxattr('/mine').sort(), ['security.s', 'user.u']],
    ['security.* set without CAP_SYS_ADMIN', (q) => errOf(() => q.setxattr('/mine', 'security.x', v('1'))), 'EPERM'],
    ['security.* removed without CAP_SYS_ADMIN', (q) => errOf(() => q.removexattr('/mine', 'security.s')), 'EPERM'],
    ['security.* read without read permission', (q) => errOf(() => q.getxattr('/root000', 'security.s')), 'OK'],
    ['user.* read without read permission', (q) => errOf(() => q.getxattr('/root000', 'user.u')), 'EACCES'],
    ['user.* set on own 0000 file', (q) => errOf(() => q.setxattr('/mine000', 'user.x', v('1'))), 'EACCES'],
    ['user.* set on a writable file of another', (q) => errOf(() => q.setxattr('/rw', 'user.x', v('1'))), 'OK'],
    ['user.* set on a root 0644 file', (q) => errOf(() => q.setxattr('/root644', 'user.x', v('1'))), 'EACCES'],
    ["user.* set on another's sticky directory", (q) => errOf(() => q.setxattr('/sticky', 'user.x', v('1'))), 'EPERM'],
    ['user.* set on own sticky directory', (q) => errOf(() => q.setxattr('/mysticky', 'user.x', v('1'))), 'OK'],
  ])('as uid 1000: %s', (_n, op, expected) => {
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
    expect([...p.getxattr('/g', 'user.a')]).toEqual([49]);
    expect(errOf(() => p.getxattr('/d/f', 'user.a'))).toBe('OK');
  });

  it('an O_NOFOLLOW|O_PATH descriptor of a link cannot carry xattrs', () => {
    const p = xworld();
    const fd = p.open('/l', O_PATH | O_NOFOLLOW);
    expect(errOf(() => p.fgetxattr(fd, 'user.a'))).toBe('EBADF');
  });
});

describe('utimensat permissions', () => {
  it.each<[string, string, boolean, string]>([
    ['explicit times on a writable file of another', '/rw', true, 'EPERM'],
    ['"now" on a writable file of another', '/rw', false, 'OK'],
    ['"now" on an unwritable file of another', '/ro', false, 'EACCES'],
    ['explicit times on own file', '/mine', true, 'OK'],
    ['"now" on own 0000 file', '/mine000', false, 'OK'],
  ])('%s -> %s', (_n, path, explicit, expected) => {
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
    expect(errOf(() => q.faccessat(AT_FDCWD, '/secret', R_OK | W_OK, AT_EACCESS))).toBe('OK');
    expect(errOf(() => q.access('/secret', R_OK))).toBe('EACCES');
    expect(errOf(() => q.open('/secret', O_RDWR))).toBe('OK');
  });
});
