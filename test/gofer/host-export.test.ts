/**
 * The host-directory export (src/host/host-export.ts over native/hostfs.cc) behind a P9Server, in
 * process: what a client lists, reads and writes is what is on disk; symlinks are returned, never
 * followed; `..` stays at the root; names no entry can have are EINVAL; devices neither open nor
 * get made; a name swapped behind the server's back is ESTALE, not the other file; descriptors are
 * bounded and released with their fids. Every failure asserts its errno.
 */
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, readFileSync, readlinkSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HostExport } from '../../src/host/host-export.js';
import { hostfsUnavailableReason } from '../../src/host/hostfs.js';
import {
  P9_DOTL_AT_REMOVEDIR,
  P9_DOTL_RDONLY,
  P9_DOTL_RDWR,
  P9_DOTL_TRUNC,
  P9_DOTL_WRONLY,
  P9_GETATTR_ALL,
  P9_SETATTR_MODE,
  P9_SETATTR_MTIME,
  P9_SETATTR_MTIME_SET,
  P9_SETATTR_SIZE,
  P9_SETATTR_UID,
  P9Server,
  QTDIR,
  QTFILE,
  QTSYMLINK,
  SessionTransport,
} from '../../src/p9/index.js';
import { errOf } from '../unit/helpers.js';
import { hostTree, outsideSnapshot, RawClient, type HostTree, itNeeds } from './helpers.js';

const enc = new TextEncoder();
const why = hostfsUnavailableReason();

let tree: HostTree;
let exp: HostExport;
let roExp: HostExport;
let c: RawClient;
let transport: SessionTransport;
let before: string[];
let umask: number;

beforeAll(() => {
  // The client sends modes it has masked already; the server applies them as they are (diod too).
  umask = process.umask(0);
});
afterAll(() => void process.umask(umask));

beforeEach(() => {
  if (why) return;
  tree = hostTree();
  before = outsideSnapshot(tree);
  exp = new HostExport(tree.srv, { maxHostFds: 64 });
  roExp = new HostExport(tree.srv, { readOnly: true });
  transport = new SessionTransport(new P9Server({ '': exp, ro: roExp }).connect());
  c = new RawClient(transport);
  c.start();
});

afterEach(() => {
  if (why) return;
  transport.close();
  expect(exp.hostFds).toBe(0);
  exp.dispose();
  roExp.dispose();
  expect(outsideSnapshot(tree)).toEqual(before);
  tree.cleanup();
});

itNeeds('the host export (the native addon, npm run build:native)', why);

describe('host export: reading', () => {
  it('lists and reads what is on disk, qids carrying the host inode numbers', () => {
    expect(c.ls(1)).toEqual(['d', 'f', 'root-link', 'up']);
    expect(c.ls(1, 'd')).toEqual(['esc', 'sub']);
    expect(c.cat(1, 'f')).toBe('hello');
    expect(c.cat(1, 'd', 'sub', 'g')).toBe('g');
    const w = c.walk(0, 1, 'd', 'sub', 'g');
    expect(w.wqids.map((q) => q.type)).toEqual([QTDIR, QTDIR, QTFILE]);
    expect(w.wqids[2]!.path).toBe(BigInt(lstatSync(join(tree.srv, 'd', 'sub', 'g')).ino));
    const a = c.ok('Rgetattr', { msg: 'Tgetattr', fid: 1, requestMask: P9_GETATTR_ALL });
    const st = lstatSync(join(tree.srv, 'd', 'sub', 'g'), { bigint: true });
    expect(a).toMatchObject({ mode: Number(st.mode), size: st.size, nlink: st.nlink, mtimeSec: st.mtimeNs / 1_000_000_000n, mtimeNsec: st.mtimeNs % 1_000_000_000n });
  });

  it('returns symlinks as themselves and never walks through them', () => {
    const w = c.walk(0, 1, 'root-link');
    expect(w.wqids[0]!.type).toBe(QTSYMLINK);
    expect(c.ok('Rreadlink', { msg: 'Treadlink', fid: 1 }).target).toBe('/');
    expect(c.err({ msg: 'Tlopen', fid: 1, flags: P9_DOTL_RDONLY })).toBe('ELOOP');
    // A walk through a link stops at it: the qids walked so far, the new fid not made.
    expect(c.walk(0, 2, 'root-link', 'etc').wqids).toHaveLength(1);
    expect(c.walk(0, 2, 'up', 'outside', 'secret').wqids).toHaveLength(1);
    expect(c.walk(0, 2, 'd', 'esc', 'secret').wqids).toHaveLength(2);
    expect(c.err({ msg: 'Twalk', fid: 1, newfid: 2, wnames: ['x'] })).toBe('ENOTDIR');
    expect(c.err({ msg: 'Treadlink', fid: 0 })).toBe('EINVAL');
  });

  it('keeps .. at the export root', () => {
    const root = c.ok('Rgetattr', { msg: 'Tgetattr', fid: 0, requestMask: P9_GETATTR_ALL }).qid;
    expect(c.walk(0, 1, '..', '..').wqids).toEqual([root, root]);
    expect(c.walk(0, 2, 'd', '..', '..', 'd', 'sub', '..', '..', '..', 'f').wqids.at(-1)!.type).toBe(QTFILE);
    expect(c.cat(3, '..', '..', 'f')).toBe('hello');
    expect(c.ls(3, '..')).toEqual(['d', 'f', 'root-link', 'up']);
    // The root's own `..` entry shows the root, not what lies above it.
    c.walk(0, 3);
    c.ok('Rlopen', { msg: 'Tlopen', fid: 3, flags: 0 });
    const dotdot = c.ok('Rreaddir', { msg: 'Treaddir', fid: 3, offset: 0n, count: 8192 }).entries.find((e) => e.name === '..');
    expect(dotdot?.qid.path).toBe(root.path);
  });

  it('refuses names no entry can have, on both sides of the export interface', () => {
    c.walk(0, 1);
    for (const name of ['', '.', 'a/b', '../srv', 'x\0y']) expect(c.err({ msg: 'Twalk', fid: 0, newfid: 2, wnames: [name] })).toBe('EINVAL');
    for (const name of ['..', '.', 'a/b', '']) expect(c.err({ msg: 'Tmkdir', dfid: 0, name, mode: 0o755, gid: 0 })).toBe('EINVAL');
    const root = exp.attach();
    try {
      for (const name of ['..', '.', 'a/b', '', 'x\0y']) expect(errOf(() => exp.mkdir(root, name, 0o755))).toBe('EINVAL');
      for (const name of ['.', 'a/b', '', 'x\0y']) expect(errOf(() => exp.lookup(root, name))).toBe('EINVAL');
      expect(errOf(() => exp.unlinkat(root, 'f', 0x100))).toBe('EINVAL');
    } finally {
      exp.release(root);
    }
    expect(c.err({ msg: 'Twalk', fid: 0, newfid: 2, wnames: ['n'.repeat(256)] })).toBe('ENAMETOOLONG');
    expect(c.err({ msg: 'Tmkdir', dfid: 0, name: 'n'.repeat(256), mode: 0o755, gid: 0 })).toBe('ENAMETOOLONG');
  });

  it('reads a large directory in pages, each entry once, and resumes from any cookie given', () => {
    mkdirSync(join(tree.srv, 'many'));
    const names = Array.from({ length: 300 }, (_, i) => `file-${i}-${'x'.repeat(i % 40)}`);
    for (const n of names) writeFileSync(join(tree.srv, 'many', n), '');
    c.walk(0, 1, 'many');
    c.ok('Rlopen', { msg: 'Tlopen', fid: 1, flags: 0 });
    const seen: string[] = [];
    const cookies: bigint[] = [];
    for (let off = 0n; ; ) {
      const { entries } = c.ok('Rreaddir', { msg: 'Treaddir', fid: 1, offset: off, count: 700 });
      if (entries.length === 0) break;
      for (const e of entries) {
        seen.push(e.name);
        cookies.push(e.offset);
      }
      off = entries.at(-1)!.offset;
    }
    expect(seen.filter((n) => n !== '.' && n !== '..').sort()).toEqual(names.sort());
    expect(new Set(seen).size).toBe(seen.length);
    // Resuming after entry 150 gives exactly the rest, in the same order.
    const rest = c.ok('Rreaddir', { msg: 'Treaddir', fid: 1, offset: cookies[150]!, count: 65000 }).entries.map((e) => e.name);
    expect(rest).toEqual(seen.slice(151, 151 + rest.length));
    // A position never handed out is the end.
    expect(c.ok('Rreaddir', { msg: 'Treaddir', fid: 1, offset: 1n << 40n, count: 8192 }).entries).toEqual([]);
  });

  it('answers Tstatfs with the host filesystem', () => {
    const s = c.ok('Rstatfs', { msg: 'Tstatfs', fid: 0 });
    const df = spawnSync('stat', ['-f', '-c', '%t %s %l', tree.srv], { encoding: 'utf8' }).stdout.trim().split(' ');
    expect([s.type.toString(16), String(s.bsize), String(s.namelen)]).toEqual(df);
  });

  it('serves read-only exports read-only', () => {
    const ro = new RawClient(new SessionTransport(new P9Server({ ro: roExp }).connect()));
    ro.start('ro');
    expect(ro.cat(1, 'f')).toBe('hello');
    ro.walk(0, 1, 'f');
    expect(ro.err({ msg: 'Tlopen', fid: 1, flags: P9_DOTL_WRONLY })).toBe('EROFS');
    expect(ro.err({ msg: 'Tlcreate', fid: 0, name: 'n', flags: P9_DOTL_RDWR, mode: 0o644, gid: 0 })).toBe('EROFS');
    expect(ro.err({ msg: 'Tunlinkat', dirfid: 0, name: 'f', flags: 0 })).toBe('EROFS');
    expect(readFileSync(join(tree.srv, 'f'), 'utf8')).toBe('hello');
  });
});

describe('host export: writing', () => {
  it('creates, writes, renames and removes exactly what is on disk', () => {
    c.walk(0, 1);
    c.ok('Rlcreate', { msg: 'Tlcreate', fid: 1, name: 'new', flags: P9_DOTL_RDWR, mode: 0o640, gid: 0 });
    expect(c.ok('Rwrite', { msg: 'Twrite', fid: 1, offset: 0n, data: enc.encode('data') }).count).toBe(4);
    expect(readFileSync(join(tree.srv, 'new'), 'utf8')).toBe('data');
    expect(lstatSync(join(tree.srv, 'new')).mode).toBe(0o100640);
    c.ok('Rmkdir', { msg: 'Tmkdir', dfid: 0, name: 'dir', mode: 0o750, gid: 0 });
    expect(lstatSync(join(tree.srv, 'dir')).mode).toBe(0o40750);
    c.ok('Rsymlink', { msg: 'Tsymlink', fid: 0, name: 'ln', symtgt: '../../outside/secret', gid: 0 });
    expect(readlinkSync(join(tree.srv, 'ln'))).toBe('../../outside/secret');
    c.walk(0, 2, 'f');
    c.walk(0, 3, 'dir');
    c.ok('Rlink', { msg: 'Tlink', dfid: 3, fid: 2, name: 'hard' });
    expect(lstatSync(join(tree.srv, 'dir', 'hard')).ino).toBe(lstatSync(join(tree.srv, 'f')).ino);
    // Trename moves the fid's file; the fid follows it.
    c.ok('Rrename', { msg: 'Trename', fid: 2, dfid: 3, name: 'moved' });
    expect(c.ok('Rlopen', { msg: 'Tlopen', fid: 2, flags: P9_DOTL_RDONLY }).qid.type).toBe(QTFILE);
    expect(readFileSync(join(tree.srv, 'dir', 'moved'), 'utf8')).toBe('hello');
    c.ok('Rrenameat', { msg: 'Trenameat', olddirfid: 0, oldname: 'new', newdirfid: 3, newname: 'renamed' });
    c.ok('Runlinkat', { msg: 'Tunlinkat', dirfid: 3, name: 'hard', flags: 0 });
    c.walk(0, 4, 'd', 'sub');
    expect(c.err({ msg: 'Tunlinkat', dirfid: 0, name: 'd', flags: P9_DOTL_AT_REMOVEDIR })).toBe('ENOTEMPTY');
    c.ok('Runlinkat', { msg: 'Tunlinkat', dirfid: 4, name: 'g', flags: 0 });
    c.ok('Rremove', { msg: 'Tremove', fid: 4 });
    c.ok('Runlinkat', { msg: 'Tunlinkat', dirfid: 0, name: 'ln', flags: 0 });
    expect(c.ls(5)).toEqual(['d', 'dir', 'root-link', 'up']);
    expect(c.ls(5, 'dir')).toEqual(['moved', 'renamed']);
    expect(c.ls(5, 'd')).toEqual(['esc']);
    expect(lstatSync(join(tree.srv, 'd', 'sub'), { throwIfNoEntry: false })).toBeUndefined();
  });

  it('sets attributes on the file itself: owner, mode, size, times', () => {
    c.walk(0, 1, 'f');
    c.ok('Rsetattr', { msg: 'Tsetattr', fid: 1, valid: P9_SETATTR_UID | P9_SETATTR_MODE, mode: 0o600, uid: 1234, gid: 0, size: 0n, atimeSec: 0n, atimeNsec: 0n, mtimeSec: 0n, mtimeNsec: 0n });
    c.ok('Rsetattr', { msg: 'Tsetattr', fid: 1, valid: P9_SETATTR_SIZE | P9_SETATTR_MTIME | P9_SETATTR_MTIME_SET, mode: 0, uid: 0, gid: 0, size: 2n, atimeSec: 0n, atimeNsec: 0n, mtimeSec: 1_000_000n, mtimeNsec: 5n });
    const st = lstatSync(join(tree.srv, 'f'), { bigint: true });
    expect([st.uid, st.mode, st.size, st.mtimeNs]).toEqual([1234n, 0o100600n, 2n, 1_000_000_000_000_005n]);
    c.walk(0, 2, 'root-link');
    expect(c.err({ msg: 'Tsetattr', fid: 2, valid: P9_SETATTR_MODE, mode: 0o600, uid: 0, gid: 0, size: 0n, atimeSec: 0n, atimeNsec: 0n, mtimeSec: 0n, mtimeNsec: 0n })).toBe('EOPNOTSUPP');
    c.walk(0, 3, 'd');
    expect(c.err({ msg: 'Tsetattr', fid: 3, valid: P9_SETATTR_SIZE, mode: 0, uid: 0, gid: 0, size: 0n, atimeSec: 0n, atimeNsec: 0n, mtimeSec: 0n, mtimeNsec: 0n })).toBe('EISDIR');
    // The target of the link is untouched: the link itself was asked about.
    expect(lstatSync('/').mode & 0o777).not.toBe(0o600);
  });

  it('sets, reads, lists and removes extended attributes', () => {
    c.walk(0, 1, 'f');
    c.ok('Rxattrcreate', { msg: 'Txattrcreate', fid: 1, name: 'user.k', attrSize: 3n, flags: 0 });
    c.ok('Rwrite', { msg: 'Twrite', fid: 1, offset: 0n, data: enc.encode('v!v') });
    c.ok('Rclunk', { msg: 'Tclunk', fid: 1 });
    c.walk(0, 1, 'f');
    expect(c.ok('Rxattrwalk', { msg: 'Txattrwalk', fid: 1, newfid: 2, name: 'user.k' }).size).toBe(3n);
    expect(new TextDecoder().decode(c.ok('Rread', { msg: 'Tread', fid: 2, offset: 0n, count: 100 }).data)).toBe('v!v');
    c.ok('Rclunk', { msg: 'Tclunk', fid: 2 });
    c.ok('Rxattrwalk', { msg: 'Txattrwalk', fid: 1, newfid: 2, name: '' });
    expect(new TextDecoder().decode(c.ok('Rread', { msg: 'Tread', fid: 2, offset: 0n, count: 100 }).data)).toContain('user.k\0');
    c.ok('Rclunk', { msg: 'Tclunk', fid: 2 });
    expect(c.err({ msg: 'Txattrwalk', fid: 1, newfid: 2, name: 'user.none' })).toBe('ENODATA');
    c.walk(0, 3, 'd');
    expect(c.err({ msg: 'Txattrwalk', fid: 3, newfid: 2, name: 'user.k' })).toBe('ENODATA');
  });

  it('opens O_TRUNC read-only opens by truncating through a checked second open', () => {
    c.walk(0, 1, 'f');
    c.ok('Rlopen', { msg: 'Tlopen', fid: 1, flags: P9_DOTL_RDONLY | P9_DOTL_TRUNC });
    expect(lstatSync(join(tree.srv, 'f')).size).toBe(0);
  });
});

describe('host export: behind the server’s back', () => {
  it('answers ESTALE when a fid’s name now holds another file, and never opens that one', () => {
    c.walk(0, 1, 'f');
    const ino = BigInt(lstatSync(join(tree.srv, 'f')).ino);
    renameSync(join(tree.srv, 'f'), join(tree.srv, 'f.old'));
    writeFileSync(join(tree.srv, 'f'), 'impostor');
    expect(c.err({ msg: 'Tlopen', fid: 1, flags: P9_DOTL_RDONLY })).toBe('ESTALE');
    expect(c.err({ msg: 'Tremove', fid: 1 })).toBe('ESTALE');
    expect(readFileSync(join(tree.srv, 'f'), 'utf8')).toBe('impostor');
    // The fid's descriptor still names its own file: metadata reaches it, as an open descriptor would.
    c.walk(0, 2, 'f.old');
    expect(c.ok('Rgetattr', { msg: 'Tgetattr', fid: 2, requestMask: P9_GETATTR_ALL }).qid.path).toBe(ino);
  });

  it('does not open a symlink swapped in for a file after the walk', () => {
    c.walk(0, 1, 'f');
    renameSync(join(tree.srv, 'f'), join(tree.srv, 'f.old'));
    symlinkSync('../outside/secret', join(tree.srv, 'f'));
    expect(c.err({ msg: 'Tlopen', fid: 1, flags: P9_DOTL_RDWR })).toBe('ELOOP');
    c.walk(0, 2, 'd');
    renameSync(join(tree.srv, 'd'), join(tree.srv, 'd.old'));
    symlinkSync('..', join(tree.srv, 'd'));
    // A walk from the directory's own descriptor still lists the directory, not the link's target.
    c.walk(2, 3);
    c.ok('Rlopen', { msg: 'Tlopen', fid: 3, flags: 0 });
    const names = c.ok('Rreaddir', { msg: 'Treaddir', fid: 3, offset: 0n, count: 8192 }).entries.map((e) => e.name).sort();
    expect(names).toEqual(['.', '..', 'esc', 'sub']);
    // `..` goes by name below the root: the name is a symlink now, so the walk stops there.
    expect(c.walk(2, 4, 'sub', '..', '..').wqids).toHaveLength(1);
  });

  it('neither makes nor opens devices, and does not block on FIFOs', () => {
    expect(c.err({ msg: 'Tmknod', dfid: 0, name: 'mem', mode: 0o20600, major: 1, minor: 1, gid: 0 })).toBe('EPERM');
    expect(c.err({ msg: 'Tmknod', dfid: 0, name: 'disk', mode: 0o60600, major: 8, minor: 0, gid: 0 })).toBe('EPERM');
    c.ok('Rmknod', { msg: 'Tmknod', dfid: 0, name: 'fifo', mode: 0o10600, major: 0, minor: 0, gid: 0 });
    expect(lstatSync(join(tree.srv, 'fifo')).isFIFO()).toBe(true);
    expect(spawnSync('mknod', [join(tree.srv, 'null'), 'c', '1', '3']).status).toBe(0);
    c.walk(0, 1, 'null');
    expect(c.err({ msg: 'Tlopen', fid: 1, flags: P9_DOTL_RDWR })).toBe('EACCES');
    expect(c.err({ msg: 'Tlcreate', fid: 1, name: 'x', flags: P9_DOTL_RDWR, mode: 0o600, gid: 0 })).toBe('ENOTDIR');
    c.walk(0, 2);
    expect(c.err({ msg: 'Tlcreate', fid: 2, name: 'null', flags: P9_DOTL_RDWR, mode: 0o600, gid: 0 })).toBe('EACCES');
    c.walk(0, 3, 'fifo');
    // No writer: the open returns at once and a read finds nothing yet.
    c.ok('Rlopen', { msg: 'Tlopen', fid: 3, flags: P9_DOTL_RDONLY });
    expect(['OK', 'EAGAIN']).toContain(c.err({ msg: 'Tread', fid: 3, offset: 0n, count: 10 }));
    c.walk(0, 4, 'fifo');
    expect(c.err({ msg: 'Tlopen', fid: 4, flags: P9_DOTL_WRONLY })).toBe('OK');
  });
});

describe('host export: descriptors', () => {
  it('bounds the descriptors it holds (ENFILE) and releases them with their fids', () => {
    const small = new HostExport(tree.srv, { maxHostFds: 16 });
    const t = new SessionTransport(new P9Server({ '': small }).connect());
    const s = new RawClient(t);
    s.start();
    for (let fid = 1; fid <= 16; fid++) s.walk(0, fid, 'd');
    expect(small.hostFds).toBe(16);
    expect(s.err({ msg: 'Twalk', fid: 0, newfid: 17, wnames: ['f'] })).toBe('ENFILE');
    // A clone shares its node's descriptor.
    s.walk(1, 17);
    expect(small.hostFds).toBe(16);
    s.ok('Rclunk', { msg: 'Tclunk', fid: 2 });
    s.walk(0, 2, 'f');
    t.close();
    expect(small.hostFds).toBe(0);
    small.dispose();
  });

  it('fails every request with EIO once disposed', () => {
    const other = new HostExport(tree.srv);
    const node = other.attach();
    other.dispose();
    expect(errOf(() => other.stat(node))).toBe('EIO');
    expect(errOf(() => other.lookup(node, 'f'))).toBe('EIO');
  });

  it('refuses a root that is missing or not a directory', () => {
    expect(errOf(() => new HostExport(join(tree.srv, 'nope')))).toBe('ENOENT');
    expect(errOf(() => new HostExport(join(tree.srv, 'f')))).toBe('ENOTDIR');
  });
});
