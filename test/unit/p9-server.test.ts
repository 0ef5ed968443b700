/**
 * The gofer server over a vfsemu-tree export: version negotiation, attach by aname, walk
 * semantics, open/read/write/create, names the server refuses, symlinks it never follows, fid
 * misuse, msize clamping, read-only exports and readdir cookies. Every failure asserts its errno.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { createSandbox, O_APPEND, O_CREAT, O_DIRECTORY, O_EXCL, O_NOATIME, O_NOFOLLOW, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY } from '../../src/index.js';
import {
  decodeMessage,
  encodeMessage,
  MAXWELEM,
  NOFID,
  NOTAG,
  P9_DOTL_APPEND,
  P9_DOTL_AT_REMOVEDIR,
  P9_DOTL_CREATE,
  P9_DOTL_DIRECTORY,
  P9_DOTL_EXCL,
  P9_DOTL_NOATIME,
  P9_DOTL_NOFOLLOW,
  P9_DOTL_RDONLY,
  P9_DOTL_RDWR,
  P9_DOTL_TRUNC,
  P9_DOTL_WRONLY,
  P9_GETATTR_ALL,
  P9_IOHDRSZ,
  P9_LOCK_SUCCESS,
  P9_LOCK_TYPE_UNLCK,
  P9_SETATTR_ATIME,
  P9_SETATTR_ATIME_SET,
  P9_SETATTR_MODE,
  P9_SETATTR_MTIME,
  P9_SETATTR_MTIME_SET,
  P9_SETATTR_SIZE,
  P9_XATTR_REPLACE,
  P9Server,
  QTDIR,
  SessionTransport,
  QTFILE,
  QTSYMLINK,
  TreeExport,
  type P9Message,
  type P9Reply,
  type P9Request,
  type P9Session,
} from '../../src/p9/index.js';
import { buildFuzzTree } from '../../src/p9/fuzz.js';
import { errnoName } from '../../src/vfs/errno.js';
import type { Process } from '../../src/vfs/process.js';
import { writeFile } from './helpers.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

type Body<M> = M extends P9Message ? Omit<M, 'tag'> : never;
type RequestBody = Body<P9Request>;

/** A test client: sends one request, decodes the reply, checks the tag came back. */
class Client {
  private tag = 1;
  constructor(readonly session: P9Session) {}

  rpc(body: RequestBody): P9Reply {
    const tag = body.msg === 'Tversion' ? NOTAG : this.tag++ & 0x7fff;
    const out = this.session.handle(encodeMessage({ ...body, tag } as P9Message));
    if (out.kind !== 'reply') throw new Error(`connection closed: ${out.reason}`);
    const reply = decodeMessage(out.frame) as P9Reply;
    expect(reply.tag).toBe(tag);
    expect(out.frame.length).toBeLessThanOrEqual(this.session.messageSize);
    return reply;
  }

  /** The reply of a request that must succeed, narrowed to the expected R-message. */
  ok<N extends P9Reply['msg']>(name: N, body: RequestBody): Extract<P9Reply, { msg: N }> {
    const r = this.rpc(body);
    if (r.msg !== name) throw new Error(`${body.msg}: expected ${name}, got ${r.msg === 'Rlerror' ? errnoName(r.ecode) : r.msg}`);
    return r as Extract<P9Reply, { msg: N }>;
  }

  /** The errno name a request fails with, or 'OK'. */
  err(body: RequestBody): string {
    const r = this.rpc(body);
    return r.msg === 'Rlerror' ? (errnoName(r.ecode) ?? String(r.ecode)) : 'OK';
  }

  version(msize = 65536): void {
    this.ok('Rversion', { msg: 'Tversion', msize, version: '9P2000.L' });
  }

  attach(fid: number, aname = ''): void {
    this.ok('Rattach', { msg: 'Tattach', fid, afid: NOFID, uname: 'root', aname, nUname: 0 });
  }

  walk(fid: number, newfid: number, ...wnames: string[]): P9Message<'Rwalk'> {
    return this.ok('Rwalk', { msg: 'Twalk', fid, newfid, wnames });
  }

  read(fid: number, offset = 0n, count = 65536): string {
    return dec.decode(this.ok('Rread', { msg: 'Tread', fid, offset, count }).data);
  }
}

/** The fuzz tree (src/p9/fuzz.ts): /outside/secret, and /srv with f, d/sub/g and links out of it. */
function setup(): { p: Process; server: P9Server } {
  const p = createSandbox().process;
  buildFuzzTree(p);
  const server = new P9Server({ '': new TreeExport(p, '/srv'), ro: new TreeExport(p, '/srv', { readOnly: true }) }, { maxFids: 64 });
  return { p, server };
}

let p: Process;
let server: P9Server;
let c: Client;

beforeEach(() => {
  ({ p, server } = setup());
  c = new Client(server.connect());
});

/** A negotiated connection with fid 0 on the export root. */
function attached(): void {
  c.version();
  c.attach(0);
}

/** A Twalk frame built by hand, for what the encoder refuses (more than MAXWELEM names). */
function rawTwalk(tag: number, fid: number, newfid: number, names: string[]): Uint8Array {
  const bodies = names.map((n) => enc.encode(n));
  const size = 7 + 4 + 4 + 2 + bodies.reduce((a, b) => a + 2 + b.length, 0);
  const f = new Uint8Array(size);
  const v = new DataView(f.buffer);
  v.setUint32(0, size, true);
  v.setUint8(4, 110);
  v.setUint16(5, tag, true);
  v.setUint32(7, fid, true);
  v.setUint32(11, newfid, true);
  v.setUint16(15, names.length, true);
  let at = 17;
  for (const b of bodies) {
    v.setUint16(at, b.length, true);
    f.set(b, at + 2);
    at += 2 + b.length;
  }
  return f;
}

describe('Tversion', () => {
  it('answers min(client msize, server maximum) and "9P2000.L"', () => {
    expect(c.ok('Rversion', { msg: 'Tversion', msize: 8192, version: '9P2000.L' })).toMatchObject({ msize: 8192, version: '9P2000.L' });
    expect(c.ok('Rversion', { msg: 'Tversion', msize: 0xffffffff, version: '9P2000.L' })).toMatchObject({ msize: 1 << 20, version: '9P2000.L' });
    expect(c.session.messageSize).toBe(1 << 20);
  });

  it('answers an msize under 4096 (0 included) EINVAL, and the session stays unnegotiated', () => {
    expect(c.err({ msg: 'Tversion', msize: 0, version: '9P2000.L' })).toBe('EINVAL');
    expect(c.err({ msg: 'Tversion', msize: 4095, version: '9P2000.L' })).toBe('EINVAL');
    expect(c.err({ msg: 'Tattach', fid: 0, afid: NOFID, uname: '', aname: '', nUname: 0 })).toBe('EINVAL');
    expect(c.ok('Rversion', { msg: 'Tversion', msize: 4096, version: '9P2000.L' }).msize).toBe(4096);
  });

  it('answers any other version "unknown" (version(5))', () => {
    expect(c.ok('Rversion', { msg: 'Tversion', msize: 8192, version: '9P2000.u' }).version).toBe('unknown');
    expect(c.ok('Rversion', { msg: 'Tversion', msize: 8192, version: '9P2000' }).version).toBe('unknown');
    expect(c.err({ msg: 'Tattach', fid: 0, afid: NOFID, uname: '', aname: '', nUname: 0 })).toBe('EINVAL');
  });

  it('refuses everything before it with EINVAL, and clunks every fid when it comes again', () => {
    expect(c.err({ msg: 'Tclunk', fid: 0 })).toBe('EINVAL');
    c.version();
    c.attach(0);
    c.walk(0, 1, 'f');
    c.ok('Rlopen', { msg: 'Tlopen', fid: 1, flags: O_RDONLY });
    expect(c.session.fidCount).toBe(2);
    c.version();
    expect(c.session.fidCount).toBe(0);
    expect(c.err({ msg: 'Tclunk', fid: 0 })).toBe('EBADF');
  });
});

describe('Tattach, Tauth, Tflush', () => {
  beforeEach(() => c.version());

  it('attaches by aname; an unknown aname is ENOENT', () => {
    const root = c.ok('Rattach', { msg: 'Tattach', fid: 0, afid: NOFID, uname: 'root', aname: '', nUname: 0 });
    expect(root.qid).toEqual({ type: QTDIR, version: 0, path: BigInt(p.lstat('/srv').ino) });
    c.attach(1, 'ro');
    expect(c.err({ msg: 'Tattach', fid: 2, afid: NOFID, uname: 'root', aname: '/srv', nUname: 0 })).toBe('ENOENT');
  });

  it('needs no authentication: Tauth ENOENT (as diod without auth), an afid EINVAL', () => {
    expect(c.err({ msg: 'Tauth', afid: 5, uname: 'root', aname: '', nUname: 0 })).toBe('ENOENT');
    expect(c.err({ msg: 'Tattach', fid: 0, afid: 5, uname: 'root', aname: '', nUname: 0 })).toBe('EINVAL');
  });

  it('answers Tflush with Rflush and echoes every tag', () => {
    const out = c.session.handle(encodeMessage({ msg: 'Tflush', tag: 0x4321, oldtag: 1 }));
    expect(out.kind === 'reply' && decodeMessage(out.frame)).toEqual({ msg: 'Rflush', tag: 0x4321 });
  });
});

describe('Twalk', () => {
  beforeEach(attached);

  it('clones the fid with no names', () => {
    expect(c.walk(0, 1).wqids).toEqual([]);
    expect(c.walk(1, 2, 'd').wqids).toHaveLength(1);
    expect(c.walk(0, 0).wqids).toEqual([]);
  });

  it('gives a qid per name', () => {
    const r = c.walk(0, 1, 'd', 'sub');
    expect(r.wqids.map((q) => q.type)).toEqual([QTDIR, QTDIR]);
    expect(r.wqids[1]!.path).toBe(BigInt(p.lstat('/srv/d/sub').ino));
    expect(c.walk(0, 2, 'f').wqids[0]).toEqual({ type: QTFILE, version: 0, path: BigInt(p.lstat('/srv/f').ino) });
  });

  it('failing at the first name is Rlerror; later, the qids so far, and newfid is not made', () => {
    expect(c.err({ msg: 'Twalk', fid: 0, newfid: 1, wnames: ['nope', 'x'] })).toBe('ENOENT');
    expect(c.walk(0, 1, 'd', 'nope', 'x').wqids).toHaveLength(1);
    expect(c.err({ msg: 'Tclunk', fid: 1 })).toBe('EBADF');
    // Walking past a file: ENOTDIR at the second name, so one qid.
    expect(c.walk(0, 1, 'f', 'x').wqids).toHaveLength(1);
    // newfid == fid: a partial walk leaves the fid where it was.
    expect(c.walk(0, 0, 'd', 'nope').wqids).toHaveLength(1);
    expect(c.walk(0, 1, 'f').wqids).toHaveLength(1);
  });

  it('accepts MAXWELEM names and refuses MAXWELEM + 1 with EINVAL', () => {
    expect(c.walk(0, 1, ...Array<string>(MAXWELEM).fill('..')).wqids).toHaveLength(MAXWELEM);
    const out = c.session.handle(rawTwalk(77, 0, 2, Array<string>(MAXWELEM + 1).fill('..')));
    expect(out.kind === 'reply' && decodeMessage(out.frame)).toEqual({ msg: 'Rlerror', tag: 77, ecode: 22 });
  });

  it('stays at the export root on ..', () => {
    const root = BigInt(p.lstat('/srv').ino);
    expect(c.walk(0, 1, '..').wqids[0]!.path).toBe(root);
    expect(c.walk(0, 2, '..', '..', 'd', '..', '..', 'f').wqids.map((q) => q.path)).toEqual([root, root, BigInt(p.lstat('/srv/d').ino), root, root, BigInt(p.lstat('/srv/f').ino)]);
    // /outside is a sibling of the root, not reachable from it: the walk stops after `..`.
    expect(c.walk(0, 3, '..', 'outside').wqids).toHaveLength(1);
    expect(c.err({ msg: 'Tclunk', fid: 3 })).toBe('EBADF');
  });

  it('refuses names with /, NUL, empty or . (EINVAL) before walking any', () => {
    for (const bad of ['d/sub', '../outside', '', '.', 'a\0b', '/']) expect(c.err({ msg: 'Twalk', fid: 0, newfid: 1, wnames: ['d', bad] }), bad).toBe('EINVAL');
  });

  it('never follows a symlink: walking onto one gives the link, walking through one stops', () => {
    for (const name of ['root-link', 'up']) {
      expect(c.walk(0, 1, name).wqids[0]).toEqual({ type: QTSYMLINK, version: 0, path: BigInt(p.lstat(`/srv/${name}`).ino) });
      c.ok('Rclunk', { msg: 'Tclunk', fid: 1 });
    }
    expect(c.walk(0, 1, 'root-link', 'outside').wqids).toHaveLength(1);
    expect(c.walk(0, 1, 'up', 'outside', 'secret').wqids).toHaveLength(1);
    expect(c.walk(0, 1, 'd', 'esc', 'secret').wqids.map((q) => q.type)).toEqual([QTDIR, QTSYMLINK]);
    c.walk(0, 2, 'root-link');
    expect(c.ok('Rreadlink', { msg: 'Treadlink', fid: 2 }).target).toBe('/');
    c.walk(0, 3, 'up');
    expect(c.ok('Rreadlink', { msg: 'Treadlink', fid: 3 }).target).toBe('../..');
    expect(c.err({ msg: 'Tlopen', fid: 2, flags: O_RDONLY })).toBe('ELOOP');
    expect(c.err({ msg: 'Treadlink', fid: 0 })).toBe('EINVAL');
  });

  it('finds a 256-byte name ENAMETOOLONG (the VFS)', () => {
    expect(c.err({ msg: 'Twalk', fid: 0, newfid: 1, wnames: ['n'.repeat(256)] })).toBe('ENAMETOOLONG');
    expect(c.err({ msg: 'Twalk', fid: 0, newfid: 1, wnames: ['n'.repeat(255)] })).toBe('ENOENT');
  });

  it('cannot start from an open fid (EBUSY)', () => {
    c.walk(0, 1, 'd');
    c.ok('Rlopen', { msg: 'Tlopen', fid: 1, flags: O_RDONLY });
    expect(c.err({ msg: 'Twalk', fid: 1, newfid: 2, wnames: ['sub'] })).toBe('EBUSY');
    expect(c.err({ msg: 'Twalk', fid: 1, newfid: 2, wnames: [] })).toBe('EBUSY');
  });
});

describe('fids', () => {
  beforeEach(attached);

  it('refuses a fid in use as attach fid, walk newfid or xattrwalk newfid (EBADF)', () => {
    c.walk(0, 1, 'f');
    expect(c.err({ msg: 'Tattach', fid: 1, afid: NOFID, uname: '', aname: '', nUname: 0 })).toBe('EBADF');
    expect(c.err({ msg: 'Twalk', fid: 0, newfid: 1, wnames: ['d'] })).toBe('EBADF');
    expect(c.err({ msg: 'Txattrwalk', fid: 0, newfid: 1, name: '' })).toBe('EBADF');
    // The fid in use is untouched: still the file.
    c.ok('Rlopen', { msg: 'Tlopen', fid: 1, flags: O_RDONLY });
    expect(c.read(1)).toBe('hello');
  });

  it('answers EBADF for a fid it does not know', () => {
    expect(c.err({ msg: 'Tclunk', fid: 9 })).toBe('EBADF');
    expect(c.err({ msg: 'Tgetattr', fid: 9, requestMask: P9_GETATTR_ALL })).toBe('EBADF');
    expect(c.err({ msg: 'Twalk', fid: 9, newfid: 10, wnames: [] })).toBe('EBADF');
    expect(c.err({ msg: 'Tremove', fid: 9 })).toBe('EBADF');
    c.ok('Rclunk', { msg: 'Tclunk', fid: 0 });
    expect(c.err({ msg: 'Tclunk', fid: 0 })).toBe('EBADF');
  });

  it('holds at most maxFids fids a connection; past it EMFILE', () => {
    for (let fid = 1; fid < 64; fid++) c.walk(0, fid);
    expect(c.err({ msg: 'Twalk', fid: 0, newfid: 64, wnames: [] })).toBe('EMFILE');
    expect(c.err({ msg: 'Tattach', fid: 64, afid: NOFID, uname: '', aname: '', nUname: 0 })).toBe('EMFILE');
    c.ok('Rclunk', { msg: 'Tclunk', fid: 5 });
    c.walk(0, 64);
  });

  it('does I/O only on an open fid (EBADF otherwise) and opens a fid once (EINVAL)', () => {
    c.walk(0, 1, 'f');
    expect(c.err({ msg: 'Tread', fid: 1, offset: 0n, count: 10 })).toBe('EBADF');
    expect(c.err({ msg: 'Twrite', fid: 1, offset: 0n, data: enc.encode('x') })).toBe('EBADF');
    expect(c.err({ msg: 'Treaddir', fid: 0, offset: 0n, count: 1000 })).toBe('EBADF');
    expect(c.err({ msg: 'Tfsync', fid: 1, datasync: 0 })).toBe('EBADF');
    c.ok('Rlopen', { msg: 'Tlopen', fid: 1, flags: O_RDONLY });
    expect(c.err({ msg: 'Tlopen', fid: 1, flags: O_RDONLY })).toBe('EINVAL');
    expect(c.err({ msg: 'Twrite', fid: 1, offset: 0n, data: enc.encode('x') })).toBe('EBADF');
  });
});

describe('files', () => {
  beforeEach(attached);

  it('passes Tlopen flags to the VFS as they are: P9_DOTL_* are its O_* values', () => {
    const dotl = [P9_DOTL_RDONLY, P9_DOTL_WRONLY, P9_DOTL_RDWR, P9_DOTL_CREATE, P9_DOTL_EXCL, P9_DOTL_TRUNC, P9_DOTL_APPEND, P9_DOTL_DIRECTORY, P9_DOTL_NOFOLLOW, P9_DOTL_NOATIME];
    expect(dotl).toEqual([O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_DIRECTORY, O_NOFOLLOW, O_NOATIME]);
  });

  it('opens, reads, writes and clunks', () => {
    c.walk(0, 1, 'f');
    const open = c.ok('Rlopen', { msg: 'Tlopen', fid: 1, flags: P9_DOTL_RDWR });
    expect(open.qid.type).toBe(QTFILE);
    expect(open.iounit).toBe(65536 - P9_IOHDRSZ);
    expect(c.read(1)).toBe('hello');
    expect(c.read(1, 1n, 3)).toBe('ell');
    expect(c.ok('Rwrite', { msg: 'Twrite', fid: 1, offset: 5n, data: enc.encode(' world') }).count).toBe(6);
    expect(c.read(1)).toBe('hello world');
    expect(c.read(1, 100n)).toBe('');
    c.ok('Rclunk', { msg: 'Tclunk', fid: 1 });
    const fd = p.open('/srv/f', O_RDONLY);
    const buf = new Uint8Array(64);
    expect(dec.decode(buf.subarray(0, p.read(fd, buf)))).toBe('hello world');
  });

  it('truncates on Tlopen with O_TRUNC', () => {
    c.walk(0, 1, 'f');
    c.ok('Rlopen', { msg: 'Tlopen', fid: 1, flags: P9_DOTL_WRONLY | P9_DOTL_TRUNC });
    expect(p.lstat('/srv/f').size).toBe(0);
  });

  it('creates with Tlcreate: the fid becomes the new file, open, with the mode as sent (umask 0)', () => {
    c.walk(0, 1);
    const r = c.ok('Rlcreate', { msg: 'Tlcreate', fid: 1, name: 'new', flags: P9_DOTL_RDWR, mode: 0o640, gid: 0 });
    expect(r.qid).toEqual({ type: QTFILE, version: 0, path: BigInt(p.lstat('/srv/new').ino) });
    c.ok('Rwrite', { msg: 'Twrite', fid: 1, offset: 0n, data: enc.encode('data') });
    expect(c.read(1)).toBe('data');
    expect(c.ok('Rgetattr', { msg: 'Tgetattr', fid: 1, requestMask: P9_GETATTR_ALL })).toMatchObject({ mode: 0o100640, size: 4n });
    expect(p.lstat('/srv/new').mode).toBe(0o100640);
    c.walk(0, 2);
    expect(c.err({ msg: 'Tlcreate', fid: 2, name: 'new', flags: P9_DOTL_RDWR | P9_DOTL_EXCL, mode: 0o600, gid: 0 })).toBe('EEXIST');
    expect(c.err({ msg: 'Tlcreate', fid: 2, name: 'root-link', flags: P9_DOTL_RDWR, mode: 0o600, gid: 0 })).toBe('ELOOP');
    expect(c.err({ msg: 'Tlcreate', fid: 2, name: 'n'.repeat(256), flags: P9_DOTL_RDWR, mode: 0o600, gid: 0 })).toBe('ENAMETOOLONG');
    c.walk(0, 3, 'f');
    expect(c.err({ msg: 'Tlcreate', fid: 3, name: 'x', flags: P9_DOTL_RDWR, mode: 0o600, gid: 0 })).toBe('ENOTDIR');
  });

  it('makes directories, symlinks and nodes', () => {
    expect(c.ok('Rmkdir', { msg: 'Tmkdir', dfid: 0, name: 'dir2', mode: 0o750, gid: 0 }).qid.type).toBe(QTDIR);
    expect(p.lstat('/srv/dir2').mode).toBe(0o40750);
    expect(c.err({ msg: 'Tmkdir', dfid: 0, name: 'dir2', mode: 0o750, gid: 0 })).toBe('EEXIST');
    expect(c.err({ msg: 'Tmkdir', dfid: 0, name: 'm'.repeat(256), mode: 0o750, gid: 0 })).toBe('ENAMETOOLONG');
    expect(c.ok('Rsymlink', { msg: 'Tsymlink', fid: 0, name: 'ln', symtgt: '/outside/secret', gid: 0 }).qid.type).toBe(QTSYMLINK);
    expect(p.readlink('/srv/ln')).toBe('/outside/secret');
    expect(c.ok('Rmknod', { msg: 'Tmknod', dfid: 0, name: 'fifo', mode: 0o10644, major: 0, minor: 0, gid: 0 }).qid.type).toBe(QTFILE);
    expect(p.lstat('/srv/fifo').mode).toBe(0o10644);
  });

  it('refuses names with /, NUL, . or .. where a name is created, linked, renamed or removed (EINVAL)', () => {
    c.walk(0, 1, 'f');
    c.walk(0, 2);
    for (const bad of ['a/b', '../x', 'a\0b', '.', '..', '']) {
      const ops: RequestBody[] = [
        { msg: 'Tlcreate', fid: 2, name: bad, flags: P9_DOTL_RDWR, mode: 0o600, gid: 0 },
        { msg: 'Tmkdir', dfid: 0, name: bad, mode: 0o755, gid: 0 },
        { msg: 'Tsymlink', fid: 0, name: bad, symtgt: 'f', gid: 0 },
        { msg: 'Tmknod', dfid: 0, name: bad, mode: 0o10644, major: 0, minor: 0, gid: 0 },
        { msg: 'Tlink', dfid: 0, fid: 1, name: bad },
        { msg: 'Trename', fid: 1, dfid: 0, name: bad },
        { msg: 'Trenameat', olddirfid: 0, oldname: bad, newdirfid: 0, newname: 'g' },
        { msg: 'Trenameat', olddirfid: 0, oldname: 'f', newdirfid: 0, newname: bad },
        { msg: 'Tunlinkat', dirfid: 0, name: bad, flags: 0 },
      ];
      for (const op of ops) expect(c.err(op), `${op.msg} ${JSON.stringify(bad)}`).toBe('EINVAL');
    }
    expect(c.err({ msg: 'Tsymlink', fid: 0, name: 'ok', symtgt: 'a\0b', gid: 0 })).toBe('EINVAL');
    expect(c.err({ msg: 'Txattrwalk', fid: 1, newfid: 3, name: 'user.a\0b' })).toBe('EINVAL');
    expect(p.lstat('/srv/f').size).toBe(5);
  });

  it('links, renames and unlinks; a renamed fid follows its file', () => {
    c.walk(0, 1, 'd');
    c.walk(0, 2, 'f');
    c.ok('Rlink', { msg: 'Tlink', dfid: 1, fid: 2, name: 'hard' });
    expect(p.lstat('/srv/d/hard').ino).toBe(p.lstat('/srv/f').ino);
    c.walk(0, 3, 'd', 'sub');
    c.ok('Rrename', { msg: 'Trename', fid: 1, dfid: 0, name: 'e' });
    expect(p.lstat('/srv/e/hard').nlink).toBe(2);
    // Fid 1 is now e, fid 3 e/sub: both follow the move.
    expect(c.walk(1, 4, 'hard').wqids).toHaveLength(1);
    expect(c.ok('Rgetattr', { msg: 'Tgetattr', fid: 3, requestMask: P9_GETATTR_ALL }).qid.path).toBe(BigInt(p.lstat('/srv/e/sub').ino));
    c.ok('Rrenameat', { msg: 'Trenameat', olddirfid: 0, oldname: 'e', newdirfid: 0, newname: 'g' });
    expect(c.ok('Rgetattr', { msg: 'Tgetattr', fid: 3, requestMask: P9_GETATTR_ALL }).qid.path).toBe(BigInt(p.lstat('/srv/g/sub').ino));
    c.ok('Runlinkat', { msg: 'Tunlinkat', dirfid: 1, name: 'hard', flags: 0 });
    expect(c.err({ msg: 'Tunlinkat', dirfid: 1, name: 'sub', flags: 0 })).toBe('EISDIR');
    expect(c.err({ msg: 'Tunlinkat', dirfid: 1, name: 'sub', flags: P9_DOTL_AT_REMOVEDIR })).toBe('ENOTEMPTY');
    c.ok('Runlinkat', { msg: 'Tunlinkat', dirfid: 3, name: 'g', flags: 0 });
    c.ok('Runlinkat', { msg: 'Tunlinkat', dirfid: 1, name: 'sub', flags: P9_DOTL_AT_REMOVEDIR });
    expect(c.err({ msg: 'Tunlinkat', dirfid: 1, name: 'sub', flags: P9_DOTL_AT_REMOVEDIR })).toBe('ENOENT');
    expect(c.err({ msg: 'Trename', fid: 0, dfid: 1, name: 'x' })).toBe('EBUSY');
  });

  it('removes with Tremove, clunking the fid even when the remove fails', () => {
    c.walk(0, 1, 'f');
    c.ok('Rremove', { msg: 'Tremove', fid: 1 });
    expect(() => p.lstat('/srv/f')).toThrow('ENOENT');
    expect(c.err({ msg: 'Tclunk', fid: 1 })).toBe('EBADF');
    c.walk(0, 2, 'd');
    expect(c.err({ msg: 'Tremove', fid: 2 })).toBe('ENOTEMPTY');
    expect(c.err({ msg: 'Tclunk', fid: 2 })).toBe('EBADF');
    c.walk(0, 3);
    expect(c.err({ msg: 'Tremove', fid: 3 })).toBe('EBUSY');
  });

  it('sets attributes: mode, size, times', () => {
    c.walk(0, 1, 'f');
    const set = { msg: 'Tsetattr', fid: 1, valid: 0, mode: 0, uid: 0, gid: 0, size: 0n, atimeSec: 0n, atimeNsec: 0n, mtimeSec: 0n, mtimeNsec: 0n } as const;
    c.ok('Rsetattr', { ...set, valid: P9_SETATTR_MODE | P9_SETATTR_SIZE, mode: 0o100600, size: 2n });
    expect(p.lstat('/srv/f')).toMatchObject({ mode: 0o100600, size: 2 });
    c.ok('Rsetattr', { ...set, valid: P9_SETATTR_ATIME | P9_SETATTR_ATIME_SET | P9_SETATTR_MTIME | P9_SETATTR_MTIME_SET, atimeSec: 1000n, atimeNsec: 5n, mtimeSec: 2000n, mtimeNsec: 6n });
    const a = c.ok('Rgetattr', { msg: 'Tgetattr', fid: 1, requestMask: P9_GETATTR_ALL });
    expect([a.atimeSec, a.atimeNsec, a.mtimeSec, a.mtimeNsec, a.size]).toEqual([1000n, 5n, 2000n, 6n, 2n]);
    expect(c.err({ ...set, valid: P9_SETATTR_MTIME | P9_SETATTR_MTIME_SET, mtimeNsec: 1_000_000_000n })).toBe('EINVAL');
    expect(c.err({ ...set, fid: 0, valid: P9_SETATTR_SIZE, size: 1n })).toBe('EISDIR');
    c.walk(0, 2, 'up');
    expect(c.err({ ...set, fid: 2, valid: P9_SETATTR_MODE, mode: 0o777 })).toBe('EOPNOTSUPP');
  });

  it('cuts Tread and Treaddir to msize - 11 and answers statfs', () => {
    c.version(4096);
    c.attach(0);
    writeFile(p, '/srv/big', 'x'.repeat(10_000));
    for (let i = 0; i < 300; i++) writeFile(p, `/srv/d/file-with-a-long-name-${i}`, '');
    c.walk(0, 1, 'big');
    c.ok('Rlopen', { msg: 'Tlopen', fid: 1, flags: O_RDONLY });
    expect(c.ok('Rread', { msg: 'Tread', fid: 1, offset: 0n, count: 0xffffffff }).data.length).toBe(4096 - 11);
    c.walk(0, 2, 'd');
    c.ok('Rlopen', { msg: 'Tlopen', fid: 2, flags: O_RDONLY });
    const r = c.ok('Rreaddir', { msg: 'Treaddir', fid: 2, offset: 0n, count: 0xffffffff });
    expect(r.entries.length).toBeGreaterThan(10);
    expect(r.entries.length).toBeLessThan(303);
    expect(c.err({ msg: 'Treaddir', fid: 2, offset: 0n, count: 10 })).toBe('EINVAL');
    expect(c.ok('Rstatfs', { msg: 'Tstatfs', fid: 0 }).namelen).toBe(255);
  });

  it('answers a reply that would not fit msize with ERANGE', () => {
    c.version(4096);
    c.attach(0);
    p.symlink('t'.repeat(4095), '/srv/long');
    c.walk(0, 1, 'long');
    expect(c.err({ msg: 'Treadlink', fid: 1 })).toBe('ERANGE');
    c.version(8192);
    c.attach(0);
    c.walk(0, 1, 'long');
    expect(c.ok('Rreadlink', { msg: 'Treadlink', fid: 1 }).target).toHaveLength(4095);
  });

  it('grants every lock and reports every range unlocked', () => {
    c.walk(0, 1, 'f');
    expect(c.err({ msg: 'Tlock', fid: 1, type: 1, flags: 0, start: 0n, length: 0n, procId: 1, clientId: 'c' })).toBe('EBADF');
    c.ok('Rlopen', { msg: 'Tlopen', fid: 1, flags: P9_DOTL_RDWR });
    expect(c.ok('Rlock', { msg: 'Tlock', fid: 1, type: 1, flags: 0, start: 0n, length: 0n, procId: 1, clientId: 'c' }).status).toBe(P9_LOCK_SUCCESS);
    expect(c.ok('Rgetlock', { msg: 'Tgetlock', fid: 1, type: 1, start: 3n, length: 4n, procId: 1, clientId: 'c' })).toMatchObject({ type: P9_LOCK_TYPE_UNLCK, start: 3n, length: 4n });
    expect(c.err({ msg: 'Tlock', fid: 1, type: 3, flags: 0, start: 0n, length: 0n, procId: 1, clientId: 'c' })).toBe('EINVAL');
  });

  it('reads, lists, sets and removes extended attributes', () => {
    c.walk(0, 1, 'f');
    c.ok('Rxattrcreate', { msg: 'Txattrcreate', fid: 1, name: 'user.k', attrSize: 3n, flags: 0 });
    expect(c.ok('Rwrite', { msg: 'Twrite', fid: 1, offset: 0n, data: enc.encode('abcdef') }).count).toBe(3);
    c.ok('Rclunk', { msg: 'Tclunk', fid: 1 });
    expect(dec.decode(p.getxattr('/srv/f', 'user.k'))).toBe('abc');
    c.walk(0, 2, 'f');
    expect(c.ok('Rxattrwalk', { msg: 'Txattrwalk', fid: 2, newfid: 3, name: 'user.k' }).size).toBe(3n);
    expect(c.read(3)).toBe('abc');
    expect(c.ok('Rxattrwalk', { msg: 'Txattrwalk', fid: 2, newfid: 4, name: '' }).size).toBe(7n);
    expect(c.read(4)).toBe('user.k\0');
    expect(c.err({ msg: 'Txattrwalk', fid: 2, newfid: 5, name: 'user.none' })).toBe('ENODATA');
    c.walk(0, 6, 'f');
    c.ok('Rxattrcreate', { msg: 'Txattrcreate', fid: 6, name: 'user.k', attrSize: 0n, flags: P9_XATTR_REPLACE });
    c.ok('Rclunk', { msg: 'Tclunk', fid: 6 });
    expect(p.listxattr('/srv/f')).toEqual([]);
    c.walk(0, 7, 'f');
    c.ok('Rxattrcreate', { msg: 'Txattrcreate', fid: 7, name: 'user.k', attrSize: 2n, flags: 0 });
    expect(c.err({ msg: 'Tclunk', fid: 7 })).toBe('EINVAL');
    expect(c.err({ msg: 'Txattrcreate', fid: 2, name: 'user.k', attrSize: 65537n, flags: 0 })).toBe('E2BIG');
  });
});

describe('Treaddir', () => {
  beforeEach(() => {
    c.version();
    c.attach(0);
    for (let i = 0; i < 20; i++) writeFile(p, `/srv/d/f${i}`, '');
  });

  /** Every entry of fid's directory, `count` bytes a Treaddir, resuming at the last entry's offset. */
  function listAll(fid: number, count: number, from = 0n): { names: string[]; calls: number } {
    const names: string[] = [];
    let offset = from;
    let calls = 0;
    for (;;) {
      const r = c.ok('Rreaddir', { msg: 'Treaddir', fid, offset, count });
      calls++;
      if (r.entries.length === 0) return { names, calls };
      names.push(...r.entries.map((e) => e.name));
      offset = r.entries[r.entries.length - 1]!.offset;
    }
  }

  it('resumes at an entry offset, whatever the count, and lists . and ..', () => {
    c.walk(0, 1, 'd');
    c.ok('Rlopen', { msg: 'Tlopen', fid: 1, flags: O_RDONLY });
    const whole = listAll(1, 65536);
    expect(whole.calls).toBe(2);
    expect(whole.names.slice(0, 2)).toEqual(['.', '..']);
    expect([...whole.names].sort()).toEqual(['.', '..', 'sub', 'esc', ...Array.from({ length: 20 }, (_, i) => `f${i}`)].sort());
    const small = listAll(1, 60);
    expect(small.names).toEqual(whole.names);
    expect(small.calls).toBeGreaterThan(10);
    expect(listAll(1, 65536, 5n).names).toEqual(whole.names.slice(5));
    const r = c.ok('Rreaddir', { msg: 'Treaddir', fid: 1, offset: 0n, count: 65536 });
    expect(r.entries.find((e) => e.name === 'sub')).toMatchObject({ type: 4, qid: { type: QTDIR, path: BigInt(p.lstat('/srv/d/sub').ino) } });
    expect(r.entries.find((e) => e.name === 'esc')).toMatchObject({ type: 10, qid: { type: QTSYMLINK } });
  });

  it('shows the export root as its own .. (nothing above it)', () => {
    c.walk(0, 1);
    c.ok('Rlopen', { msg: 'Tlopen', fid: 1, flags: O_RDONLY });
    const r = c.ok('Rreaddir', { msg: 'Treaddir', fid: 1, offset: 0n, count: 65536 });
    const root = BigInt(p.lstat('/srv').ino);
    expect(r.entries.slice(0, 2).map((e) => [e.name, e.qid.path])).toEqual([
      ['.', root],
      ['..', root],
    ]);
  });
});

describe('a read-only export', () => {
  beforeEach(() => {
    c.version();
    c.attach(0, 'ro');
    c.walk(0, 1, 'f');
    c.walk(0, 2, 'd');
  });

  it('answers EROFS to every modifying request', () => {
    const set = { msg: 'Tsetattr', fid: 1, valid: P9_SETATTR_MODE, mode: 0o600, uid: 0, gid: 0, size: 0n, atimeSec: 0n, atimeNsec: 0n, mtimeSec: 0n, mtimeNsec: 0n } as const;
    const ops: RequestBody[] = [
      { msg: 'Tlcreate', fid: 2, name: 'n', flags: O_RDONLY, mode: 0o600, gid: 0 },
      { msg: 'Tmkdir', dfid: 0, name: 'n', mode: 0o755, gid: 0 },
      { msg: 'Tsymlink', fid: 0, name: 'n', symtgt: 'f', gid: 0 },
      { msg: 'Tmknod', dfid: 0, name: 'n', mode: 0o10644, major: 0, minor: 0, gid: 0 },
      { msg: 'Tlink', dfid: 2, fid: 1, name: 'n' },
      { msg: 'Trename', fid: 1, dfid: 2, name: 'n' },
      { msg: 'Trenameat', olddirfid: 0, oldname: 'f', newdirfid: 2, newname: 'n' },
      { msg: 'Tunlinkat', dirfid: 0, name: 'f', flags: 0 },
      { msg: 'Tunlinkat', dirfid: 0, name: 'nope', flags: 0 },
      set,
      { ...set, valid: P9_SETATTR_SIZE, size: 0n },
      { msg: 'Txattrcreate', fid: 1, name: 'user.x', attrSize: 1n, flags: 0 },
      { msg: 'Tlopen', fid: 1, flags: P9_DOTL_WRONLY },
      { msg: 'Tlopen', fid: 1, flags: P9_DOTL_RDWR },
      { msg: 'Tlopen', fid: 1, flags: O_RDONLY | P9_DOTL_TRUNC },
    ];
    for (const op of ops) expect(c.err(op), op.msg).toBe('EROFS');
    c.walk(0, 3, 'f');
    expect(c.err({ msg: 'Tremove', fid: 3 })).toBe('EROFS');
    expect(c.err({ msg: 'Tclunk', fid: 3 })).toBe('EBADF');
    expect(p.lstat('/srv/f')).toMatchObject({ mode: 0o100644, size: 5 });
    expect(() => p.lstat('/srv/n')).toThrow('ENOENT');
  });

  it('still reads', () => {
    c.ok('Rlopen', { msg: 'Tlopen', fid: 1, flags: O_RDONLY });
    expect(c.read(1)).toBe('hello');
    expect(c.ok('Rgetattr', { msg: 'Tgetattr', fid: 2, requestMask: P9_GETATTR_ALL }).qid.type).toBe(QTDIR);
  });
});

describe('framing', () => {
  beforeEach(() => {
    c.version(8192);
    c.attach(0);
  });

  it('closes the connection on a frame over msize or a size field that lies, and stays closed', () => {
    c.walk(0, 1, 'f');
    c.ok('Rlopen', { msg: 'Tlopen', fid: 1, flags: P9_DOTL_RDWR });
    const big = encodeMessage({ msg: 'Twrite', tag: 1, fid: 1, offset: 0n, data: new Uint8Array(8192) });
    expect(c.session.handle(big)).toMatchObject({ kind: 'close', reason: 'size 8215 > msize 8192' });
    expect(c.session.fidCount).toBe(0);
    expect(c.session.handle(encodeMessage({ msg: 'Tclunk', tag: 1, fid: 0 }))).toMatchObject({ kind: 'close' });
    const other = server.connect();
    const lie = encodeMessage({ msg: 'Tversion', tag: NOTAG, msize: 8192, version: '9P2000.L' }).subarray(0, 20);
    expect(other.handle(lie)).toMatchObject({ kind: 'close', reason: 'size 21 != frame length 20' });
  });

  it('answers a well-framed but malformed request with Rlerror on its tag', () => {
    const bad = encodeMessage({ msg: 'Tclunk', tag: 9, fid: 0 });
    const short = bad.slice(0, 9);
    new DataView(short.buffer).setUint32(0, 9, true);
    const out = c.session.handle(short);
    expect(out.kind === 'reply' && decodeMessage(out.frame)).toEqual({ msg: 'Rlerror', tag: 9, ecode: 22 });
    const unknown = c.session.handle(new Uint8Array([7, 0, 0, 0, 112, 8, 0]));
    expect(unknown.kind === 'reply' && decodeMessage(unknown.frame)).toEqual({ msg: 'Rlerror', tag: 8, ecode: 38 });
    const reply = c.session.handle(encodeMessage({ msg: 'Rclunk', tag: 7 }));
    expect(reply.kind === 'reply' && decodeMessage(reply.frame)).toEqual({ msg: 'Rlerror', tag: 7, ecode: 22 });
    // The connection goes on.
    expect(c.walk(0, 1, 'f').wqids).toHaveLength(1);
  });
});

describe('SessionTransport', () => {
  it('makes round trips, and fails with EIO once the session closed the connection', () => {
    const t = new SessionTransport(server.connect());
    const reply = decodeMessage(t.roundTrip(encodeMessage({ msg: 'Tversion', tag: NOTAG, msize: 8192, version: '9P2000.L' })));
    expect(reply).toEqual({ msg: 'Rversion', tag: NOTAG, msize: 8192, version: '9P2000.L' });
    expect(() => t.roundTrip(new Uint8Array(3))).toThrow('EIO');
    expect(t.closed).toBe('frame of 3 bytes < 7 header bytes');
    expect(() => t.roundTrip(encodeMessage({ msg: 'Tversion', tag: NOTAG, msize: 8192, version: '9P2000.L' }))).toThrow('EIO');
  });
});

describe('the export task', () => {
  it('does not keep the serving process\'s descriptors open', () => {
    const q = createSandbox().process;
    q.mkdir('/m');
    q.mount('none', '/m', 'tmpfs', 0, null);
    const fd = q.open('/m/x', O_WRONLY | O_CREAT, 0o644);
    q.mkdir('/srv');
    new TreeExport(q, '/srv');
    q.close(fd);
    q.umount2('/m', 0);
  });
});
