/**
 * A hostile client against the gofer server with the host export (src/host/host-export.ts): links
 * out of the export (absolute, ../.., chains), a link and a directory swapped under the client's
 * walks by another thread, `..` at the root, names with '/' or NUL, names past 255 bytes, walks
 * past MAXWELEM, fid reuse, clunks of unknown fids, offsets and counts past every limit, msize 0 and
 * 4 GiB, truncated frames and random bytes on the socket, and a fast-check fuzz of a few thousand
 * valid-ish requests. Each case gets its errno or a closed connection; nothing outside the export
 * (a sentinel file and a directory beside it: bytes, mode, owner, atime, mtime, ctime) is read or
 * written; the server never throws, and answers a fresh client afterwards. Nothing is mounted.
 */
import fc from 'fast-check';
import { chmodSync, chownSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HostExport } from '../../src/host/host-export.js';
import { hostfsUnavailableReason } from '../../src/host/hostfs.js';
import type { P9Address } from '../../src/host/p9-address.js';
import { P9SocketServer } from '../../src/host/p9-socket-server.js';
import { openingFrames, runScript, scriptArbitrary, type ExchangeResult } from '../../src/p9/fuzz.js';
import {
  encodeMessage,
  MAXWELEM,
  NOFID,
  NOTAG,
  P9_DOTL_RDONLY,
  P9_DOTL_RDWR,
  P9_GETATTR_ALL,
  P9_SETATTR_GID,
  P9_SETATTR_MODE,
  P9_SETATTR_UID,
  P9Server,
  QTDIR,
  QTSYMLINK,
  SessionTransport,
} from '../../src/p9/index.js';
import { runsFor, seedFor } from '../property/helpers.js';
import { hostTree, outsideSnapshot, Peer, RawClient, type HostTree, itNeeds } from './helpers.js';

const why = hostfsUnavailableReason();
const enc = new TextEncoder();
const dec = new TextDecoder();

let tree: HostTree;
let exp: HostExport;
let roExp: HostExport;
let server: P9Server;
let before: string[];

beforeEach(() => {
  if (why) return;
  tree = hostTree();
  // A chain of links out: chain1 -> chain2 -> ../../outside; and a name outside that a followed
  // link would find, with bytes that must never be read.
  symlinkSync('chain2', join(tree.srv, 'chain1'));
  symlinkSync('../../outside', join(tree.srv, 'chain2'));
  symlinkSync(join(tree.base, 'sentinel'), join(tree.srv, 'abs-sentinel'));
  writeFileSync(join(tree.base, 'outside', 'inner'), 'OUTSIDE');
  before = outsideSnapshot(tree);
  exp = new HostExport(tree.srv);
  roExp = new HostExport(tree.srv, { readOnly: true });
  server = new P9Server({ '': exp, ro: roExp }, { maxFids: 64 });
});

afterEach(() => {
  if (why) return;
  expect(exp.hostFds).toBe(0);
  exp.dispose();
  roExp.dispose();
  expect(outsideSnapshot(tree)).toEqual(before);
  tree.cleanup();
});

/** A client on a fresh session, attached (fid 0); `run` gets it and the session is closed after. */
function withClient(run: (c: RawClient) => void, msize = 65536): void {
  const t = new SessionTransport(server.connect());
  try {
    const c = new RawClient(t);
    c.start('', msize);
    run(c);
  } finally {
    t.close();
  }
}

const setattr = { mode: 0, uid: 0, gid: 0, size: 0n, atimeSec: 0n, atimeNsec: 0n, mtimeSec: 0n, mtimeNsec: 0n };

itNeeds('the host export (the native addon, npm run build:native)', why);

describe('adversarial: links out of the export', () => {
  it('never follows a link, absolute, ../.. or chained, whatever the request', () => {
    withClient((c) => {
      for (const link of ['root-link', 'up', 'chain1', 'chain2', 'abs-sentinel']) {
        expect(c.walk(0, 1, link).wqids[0]!.type).toBe(QTSYMLINK);
        // Through it: the walk stops at the link.
        expect(c.walk(0, 2, link, 'secret').wqids).toHaveLength(1);
        expect(c.err({ msg: 'Twalk', fid: 1, newfid: 2, wnames: ['outside'] })).toBe('ENOTDIR');
        expect(c.err({ msg: 'Tlopen', fid: 1, flags: P9_DOTL_RDONLY })).toBe('ELOOP');
        expect(c.err({ msg: 'Tlopen', fid: 1, flags: P9_DOTL_RDWR })).toBe('ELOOP');
        // As a directory to make things in.
        expect(c.err({ msg: 'Tlcreate', fid: 1, name: 'pwn', flags: P9_DOTL_RDWR, mode: 0o644, gid: 0 })).toBe('ENOTDIR');
        expect(c.err({ msg: 'Tmkdir', dfid: 1, name: 'pwn', mode: 0o755, gid: 0 })).toBe('ENOTDIR');
        expect(c.err({ msg: 'Tsymlink', fid: 1, name: 'pwn', symtgt: '/', gid: 0 })).toBe('ENOTDIR');
        expect(c.err({ msg: 'Tmknod', dfid: 1, name: 'pwn', mode: 0o100644, major: 0, minor: 0, gid: 0 })).toBe('ENOTDIR');
        expect(c.err({ msg: 'Trenameat', olddirfid: 0, oldname: 'f', newdirfid: 1, newname: 'pwn' })).toBe('ENOTDIR');
        expect(c.err({ msg: 'Tunlinkat', dirfid: 1, name: 'secret', flags: 0 })).toBe('ENOTDIR');
        c.walk(0, 3, 'f');
        expect(c.err({ msg: 'Tlink', dfid: 1, fid: 3, name: 'pwn' })).toBe('ENOTDIR');
        // On the link itself: its own attributes, never the target's.
        expect(c.ok('Rgetattr', { msg: 'Tgetattr', fid: 1, requestMask: P9_GETATTR_ALL }).mode & 0o170000).toBe(0o120000);
        expect(c.err({ msg: 'Tsetattr', fid: 1, valid: P9_SETATTR_MODE, ...setattr, mode: 0o777 })).toBe('EOPNOTSUPP');
        c.ok('Rsetattr', { msg: 'Tsetattr', fid: 1, valid: P9_SETATTR_UID | P9_SETATTR_GID, ...setattr, uid: 4321, gid: 4321 });
        expect(lstatSync(join(tree.srv, link)).uid).toBe(4321);
        expect(c.err({ msg: 'Txattrwalk', fid: 1, newfid: 4, name: 'user.x' })).toBe('ENODATA');
        expect(c.err({ msg: 'Txattrcreate', fid: 1, name: 'user.x', attrSize: 1n, flags: 0 })).toBe('OK');
        c.ok('Rwrite', { msg: 'Twrite', fid: 1, offset: 0n, data: Uint8Array.of(1) });
        // user.* xattrs are for files and directories only (xattr(7)): the link refuses, nothing else is asked.
        expect(c.err({ msg: 'Tclunk', fid: 1 })).toBe('EPERM');
        c.ok('Rclunk', { msg: 'Tclunk', fid: 3 });
      }
      // Removing or renaming a link acts on the link.
      c.walk(0, 1, 'root-link');
      c.ok('Rrename', { msg: 'Trename', fid: 1, dfid: 0, name: 'renamed-link' });
      c.ok('Rremove', { msg: 'Tremove', fid: 1 });
      expect(lstatSync(join(tree.srv, 'renamed-link'), { throwIfNoEntry: false })).toBeUndefined();
    });
  });

  it('keeps .. at the root, however many and wherever', () => {
    withClient((c) => {
      const root = c.ok('Rgetattr', { msg: 'Tgetattr', fid: 0, requestMask: P9_GETATTR_ALL }).qid;
      expect(c.walk(0, 1, ...Array<string>(MAXWELEM).fill('..')).wqids).toEqual(Array(MAXWELEM).fill(root));
      for (let i = 0; i < 4; i++) c.walk(1, 1, ...Array<string>(MAXWELEM).fill('..'));
      expect(c.ok('Rgetattr', { msg: 'Tgetattr', fid: 1, requestMask: P9_GETATTR_ALL }).qid).toEqual(root);
      expect(c.walk(0, 2, 'd', 'sub', '..', '..', '..', '..', 'f').wqids.at(-1)!.type).toBe(0);
      expect(c.ls(3, 'd', '..', '..')).not.toContain('outside');
      expect(c.walk(0, 4, '..', 'outside').wqids).toEqual([root]);
    });
  });

  it('keeps a directory and a link swapped under it by another thread from leading out', async () => {
    // srv/x flips between a directory (holding inner = 'inside') and a link to ../outside (holding
    // inner = 'OUTSIDE' and secret) as fast as another thread can rename.
    mkdirSync(join(tree.srv, 'x.dir'));
    writeFileSync(join(tree.srv, 'x.dir', 'inner'), 'inside');
    mkdirSync(join(tree.srv, 'x.dir', 'sub'));
    symlinkSync('../outside', join(tree.srv, 'x.link'));
    renameSync(join(tree.srv, 'x.dir'), join(tree.srv, 'x'));
    const stop = new Int32Array(new SharedArrayBuffer(8));
    const swapper = new Worker(
      `const { workerData: { srv, stop } } = require('node:worker_threads');
       const { renameSync } = require('node:fs');
       const p = (n) => srv + '/' + n;
       let swaps = 0;
       while (Atomics.load(stop, 0) === 0) {
         renameSync(p('x'), p('x.dir')); renameSync(p('x.link'), p('x'));
         renameSync(p('x'), p('x.link')); renameSync(p('x.dir'), p('x'));
         swaps++;
       }
       Atomics.store(stop, 1, swaps);`,
      { eval: true, workerData: { srv: tree.srv, stop } },
    );
    const seen = { inside: 0, walks: 0, stopped: 0, created: 0, listed: 0 };
    try {
      withClient((c) => {
        const until = Date.now() + 1500;
        while (Date.now() < until) {
          seen.walks++;
          // Walk x/inner and read it: only ever the inside file.
          const w = c.rpc({ msg: 'Twalk', fid: 0, newfid: 1, wnames: ['x', 'inner'] });
          if (w.msg === 'Rwalk' && w.wqids.length === 2) {
            const r = c.rpc({ msg: 'Tlopen', fid: 1, flags: P9_DOTL_RDONLY });
            if (r.msg === 'Rlopen') {
              const d = c.ok('Rread', { msg: 'Tread', fid: 1, offset: 0n, count: 100 });
              expect(dec.decode(d.data)).toBe('inside');
              seen.inside++;
            }
            c.ok('Rclunk', { msg: 'Tclunk', fid: 1 });
          } else {
            seen.stopped++;
          }
          // Make a file in x: it lands inside or nowhere.
          const x = c.rpc({ msg: 'Twalk', fid: 0, newfid: 2, wnames: ['x'] });
          if (x.msg === 'Rwalk' && x.wqids.length === 1) {
            const made = c.rpc({ msg: 'Tlcreate', fid: 2, name: `n${seen.walks}`, flags: P9_DOTL_RDWR, mode: 0o644, gid: 0 });
            if (made.msg === 'Rlcreate') seen.created++;
            c.ok('Rclunk', { msg: 'Tclunk', fid: 2 });
          }
          // List x: never the outside directory's names.
          const y = c.rpc({ msg: 'Twalk', fid: 0, newfid: 3, wnames: ['x'] });
          if (y.msg === 'Rwalk' && y.wqids.length === 1) {
            if (c.rpc({ msg: 'Tlopen', fid: 3, flags: 0 }).msg === 'Rlopen') {
              const names = c.ok('Rreaddir', { msg: 'Treaddir', fid: 3, offset: 0n, count: 65000 }).entries.map((e) => e.name);
              expect(names).not.toContain('secret');
              seen.listed++;
            }
            c.ok('Rclunk', { msg: 'Tclunk', fid: 3 });
          }
          // Climb from x/sub: `..` goes by name below the root, never by the kernel's `..`.
          const z = c.rpc({ msg: 'Twalk', fid: 0, newfid: 4, wnames: ['x', 'sub', '..', '..', 'outside'] });
          expect(z.msg === 'Rwalk' ? z.wqids.length : 0).toBeLessThan(5);
          if (z.msg === 'Rwalk' && z.wqids.length === 5) c.ok('Rclunk', { msg: 'Tclunk', fid: 4 });
        }
      });
    } finally {
      Atomics.store(stop, 0, 1);
      await new Promise((resolve) => swapper.once('exit', resolve));
    }
    expect(Atomics.load(stop, 1)).toBeGreaterThan(50);
    expect(seen.walks).toBeGreaterThan(50);
    // Both sides of the race were met.
    expect(seen.inside).toBeGreaterThan(0);
    expect(seen.stopped).toBeGreaterThan(0);
  }, 20_000);
});

describe('adversarial: names, fids and limits', () => {
  it('refuses names with / or NUL, and names past 255 bytes', () => {
    withClient((c) => {
      for (const name of ['a/b', '../outside', '/etc', 'x\0y', '\0', '.', '']) {
        expect(c.err({ msg: 'Twalk', fid: 0, newfid: 1, wnames: [name] })).toBe('EINVAL');
        expect(c.err({ msg: 'Tlcreate', fid: 0, name, flags: P9_DOTL_RDWR, mode: 0o644, gid: 0 })).toBe('EINVAL');
        expect(c.err({ msg: 'Tsymlink', fid: 0, name, symtgt: 'f', gid: 0 })).toBe('EINVAL');
        expect(c.err({ msg: 'Trenameat', olddirfid: 0, oldname: 'f', newdirfid: 0, newname: name })).toBe('EINVAL');
        expect(c.err({ msg: 'Trenameat', olddirfid: 0, oldname: name, newdirfid: 0, newname: 'g' })).toBe('EINVAL');
      }
      expect(c.err({ msg: 'Tunlinkat', dirfid: 0, name: '..', flags: 0x200 })).toBe('EINVAL');
      expect(c.err({ msg: 'Tsymlink', fid: 0, name: 'ok', symtgt: 'a\0b', gid: 0 })).toBe('EINVAL');
      expect(c.err({ msg: 'Txattrwalk', fid: 0, newfid: 1, name: 'user.\0' })).toBe('EINVAL');
      const n255 = 'n'.repeat(255);
      c.ok('Rmkdir', { msg: 'Tmkdir', dfid: 0, name: n255, mode: 0o755, gid: 0 });
      expect(c.walk(0, 1, n255).wqids[0]!.type).toBe(QTDIR);
      for (const long of ['n'.repeat(256), 'é'.repeat(128), 'x'.repeat(4096), 'y'.repeat(60_000)]) {
        expect(c.err({ msg: 'Twalk', fid: 0, newfid: 2, wnames: [long] })).toBe('ENAMETOOLONG');
        expect(c.err({ msg: 'Tmkdir', dfid: 0, name: long, mode: 0o755, gid: 0 })).toBe('ENAMETOOLONG');
      }
      // A path past PATH_MAX, made one name at a time, still resolves (the component walk).
      let fid = 1;
      for (let depth = 0; depth < 20; depth++) {
        c.ok('Rmkdir', { msg: 'Tmkdir', dfid: fid, name: n255, mode: 0o755, gid: 0 });
        c.walk(fid, fid, n255);
      }
      c.ok('Rlcreate', { msg: 'Tlcreate', fid, name: 'deep', flags: P9_DOTL_RDWR, mode: 0o644, gid: 0 });
      c.ok('Rwrite', { msg: 'Twrite', fid, offset: 0n, data: enc.encode('deep') });
      c.ok('Rclunk', { msg: 'Tclunk', fid });
      const path = Array<string>(21).fill(n255);
      c.walk(0, 3, ...path.slice(0, 16));
      c.walk(3, 3, ...path.slice(16), 'deep');
      c.ok('Rlopen', { msg: 'Tlopen', fid: 3, flags: P9_DOTL_RDONLY });
      expect(dec.decode(c.ok('Rread', { msg: 'Tread', fid: 3, offset: 0n, count: 10 }).data)).toBe('deep');
      c.walk(0, 4, ...path.slice(0, 16));
      c.walk(4, 4, ...path.slice(16), '..', '..');
      expect(c.ok('Rgetattr', { msg: 'Tgetattr', fid: 4, requestMask: P9_GETATTR_ALL }).qid.type).toBe(QTDIR);
    });
  });

  it('refuses walks past MAXWELEM names, fid reuse and unknown fids', () => {
    withClient((c) => {
      // 17 names: the encoder refuses to make such a frame, so it is built by hand.
      const names = Array<string>(MAXWELEM + 1).fill('d');
      const body = names.map((n) => [n.length, 0, ...enc.encode(n)]).flat();
      const size = 7 + 4 + 4 + 2 + body.length;
      const f = Uint8Array.from([size & 0xff, size >> 8, 0, 0, 110, 9, 0, 0, 0, 0, 0, 1, 0, 0, 0, names.length, 0, ...body]);
      const r = c.t.roundTrip(f);
      expect([r[4], r[7]]).toEqual([7, 22]); // Rlerror EINVAL
      c.walk(0, 1, 'f');
      expect(c.err({ msg: 'Twalk', fid: 0, newfid: 1, wnames: ['d'] })).toBe('EBADF');
      expect(c.err({ msg: 'Tattach', fid: 1, afid: NOFID, uname: 'u', aname: '', nUname: 0 })).toBe('EBADF');
      expect(c.err({ msg: 'Txattrwalk', fid: 0, newfid: 1, name: '' })).toBe('EBADF');
      c.ok('Rlopen', { msg: 'Tlopen', fid: 1, flags: P9_DOTL_RDONLY });
      expect(c.err({ msg: 'Tlopen', fid: 1, flags: P9_DOTL_RDONLY })).toBe('EINVAL');
      expect(c.err({ msg: 'Tlcreate', fid: 1, name: 'x', flags: P9_DOTL_RDWR, mode: 0o644, gid: 0 })).toBe('EINVAL');
      expect(c.err({ msg: 'Twalk', fid: 1, newfid: 2, wnames: [] })).toBe('EBUSY');
      c.ok('Rclunk', { msg: 'Tclunk', fid: 1 });
      for (const fid of [1, 7, NOFID, 0x7fffffff]) {
        expect(c.err({ msg: 'Tclunk', fid })).toBe('EBADF');
        expect(c.err({ msg: 'Tremove', fid })).toBe('EBADF');
        expect(c.err({ msg: 'Tread', fid, offset: 0n, count: 1 })).toBe('EBADF');
        expect(c.err({ msg: 'Tgetattr', fid, requestMask: P9_GETATTR_ALL })).toBe('EBADF');
      }
      // Fids up to the session's bound, then EMFILE; the host descriptors are the export's to bound.
      for (let fid = 1; fid < 64; fid++) c.walk(0, fid, 'd');
      expect(c.err({ msg: 'Twalk', fid: 0, newfid: 64, wnames: ['d'] })).toBe('EMFILE');
    });
  });

  it('refuses reads and writes past the limits', () => {
    withClient((c) => {
      c.walk(0, 1, 'f');
      expect(c.err({ msg: 'Tread', fid: 1, offset: 0n, count: 10 })).toBe('EBADF');
      c.ok('Rlopen', { msg: 'Tlopen', fid: 1, flags: P9_DOTL_RDONLY });
      expect(c.err({ msg: 'Twrite', fid: 1, offset: 0n, data: Uint8Array.of(1) })).toBe('EBADF');
      // count 2^32 - 1 is cut to what fits msize.
      expect(c.ok('Rread', { msg: 'Tread', fid: 1, offset: 0n, count: 0xffffffff }).data.length).toBe(5);
      expect(c.err({ msg: 'Tread', fid: 1, offset: 1n << 63n, count: 10 })).toBe('EINVAL');
      expect(c.err({ msg: 'Tread', fid: 1, offset: (1n << 64n) - 1n, count: 10 })).toBe('EINVAL');
      expect(c.ok('Rread', { msg: 'Tread', fid: 1, offset: 1n << 53n, count: 10 }).data.length).toBe(0);
      c.walk(0, 2, 'f');
      c.ok('Rlopen', { msg: 'Tlopen', fid: 2, flags: P9_DOTL_RDWR });
      expect(c.err({ msg: 'Twrite', fid: 2, offset: 1n << 53n, data: Uint8Array.of(1) })).toBe('EFBIG');
      expect(c.err({ msg: 'Twrite', fid: 2, offset: 1n << 63n, data: Uint8Array.of(1) })).toBe('EINVAL');
      // Past what ext4 holds (16 TiB): the kernel's own EFBIG.
      expect(c.err({ msg: 'Twrite', fid: 2, offset: 1n << 50n, data: Uint8Array.of(1) })).toBe('EFBIG');
      expect(c.err({ msg: 'Tsetattr', fid: 2, valid: 8, ...setattr, size: 1n << 62n })).toBe('EFBIG');
      // A write frame over msize closes the connection: the stream's boundaries cannot be trusted.
      const big = encodeMessage({ msg: 'Twrite', tag: 5, fid: 2, offset: 0n, data: new Uint8Array(65536) });
      expect(() => c.t.roundTrip(big)).toThrow(/EIO/);
    });
    expect(lstatSync(join(tree.srv, 'f')).size).toBe(5);
  });

  it('negotiates msize 0 and 4 GiB safely', () => {
    const t = new SessionTransport(server.connect());
    const c = new RawClient(t);
    expect(c.err({ msg: 'Tversion', msize: 0, version: '9P2000.L' })).toBe('EINVAL');
    expect(c.err({ msg: 'Tattach', fid: 0, afid: NOFID, uname: 'u', aname: '', nUname: 0 })).toBe('EINVAL');
    expect(c.ok('Rversion', { msg: 'Tversion', msize: 0xffffffff, version: '9P2000.L' }).msize).toBe(1 << 20);
    c.ok('Rattach', { msg: 'Tattach', fid: 0, afid: NOFID, uname: 'u', aname: '', nUname: 0 });
    expect(c.cat(1, 'f')).toBe('hello');
    t.close();
  });
});

describe('adversarial: bytes on the socket', () => {
  let sockets: P9SocketServer;
  let where: P9Address;
  const peers: Peer[] = [];

  beforeEach(async () => {
    sockets = new P9SocketServer(server);
    where = await sockets.listen({ kind: 'tcp', host: '127.0.0.1', port: 0 });
  });

  afterEach(async () => {
    for (const p of peers.splice(0)) p.socket.destroy();
    await sockets.close();
  });

  async function peer(): Promise<Peer> {
    const p = await Peer.open(where);
    peers.push(p);
    return p;
  }

  /** A fresh client still gets served: the server is alive. */
  async function alive(): Promise<void> {
    const p = await peer();
    await p.start();
    const r = await p.rpc({ msg: 'Twalk', tag: 2, fid: 0, newfid: 1, wnames: ['f'] });
    expect(r?.msg).toBe('Rwalk');
  }

  it('survives truncated frames, impossible sizes and a peer that vanishes mid-frame', async () => {
    const full = encodeMessage({ msg: 'Tversion', tag: NOTAG, msize: 65536, version: '9P2000.L' });
    // Half a frame, then the peer goes.
    const a = await peer();
    a.send(full.subarray(0, 9));
    a.socket.end();
    // A frame whose body is cut but whose size says so: Rlerror EINVAL on its tag.
    const b = await peer();
    await b.start();
    const cut = encodeMessage({ msg: 'Twalk', tag: 77, fid: 0, newfid: 1, wnames: ['d'] }).subarray(0, 16);
    new DataView(cut.buffer, cut.byteOffset).setUint32(0, cut.length, true);
    b.send(cut);
    expect(await b.next()).toMatchObject({ msg: 'Rlerror', tag: 77, ecode: 22 });
    // A size field past msize, after negotiation: closed.
    b.send(Uint8Array.of(0x01, 0x00, 0x01, 0x00, 118, 0, 0));
    expect(await b.next()).toBeNull();
    // Zero bytes of size.
    const d = await peer();
    d.send(new Uint8Array(7));
    expect(await d.next()).toBeNull();
    await alive();
  });

  it('survives random bytes', async () => {
    const seed = seedFor(0x9e2100);
    const samples = fc.sample(fc.uint8Array({ minLength: 1, maxLength: 300 }), { seed, numRuns: runsFor(150) });
    for (const bytes of samples) {
      const p = await peer();
      p.send(bytes);
      p.socket.end();
    }
    await alive();
  });
});

describe('adversarial: fuzz', () => {
  const seed = seedFor(0x9e2101);

  it(`answers or closes on every frame and changes nothing outside the export (seed ${seed})`, () => {
    const seen: Record<ExchangeResult, number> = { answered: 0, rejected: 0, closed: 0 };
    // The fuzz tree's names (src/p9/fuzz.ts) on the host: the hostTree already has them.
    expect(openingFrames().length).toBeGreaterThan(0);
    fc.assert(
      fc.property(scriptArbitrary(40), (script) => {
        runScript(server, script, seen);
        expect(exp.hostFds).toBe(0);
        expect(outsideSnapshot(tree)).toEqual(before);
        // A fresh export tree for the next script (the root itself stays: the export holds it open).
        chmodSync(tree.srv, 0o755);
        chownSync(tree.srv, 0, 0);
        for (const n of readdirSync(tree.srv)) rmSync(join(tree.srv, n), { recursive: true, force: true });
        mkdirSync(join(tree.srv, 'd', 'sub'), { recursive: true });
        writeFileSync(join(tree.srv, 'f'), 'hello');
        writeFileSync(join(tree.srv, 'd', 'sub', 'g'), 'g');
        symlinkSync('/', join(tree.srv, 'root-link'));
        symlinkSync('../..', join(tree.srv, 'up'));
        symlinkSync('../../outside', join(tree.srv, 'd', 'esc'));
      }),
      { seed, numRuns: runsFor(100) },
    );
    expect(seen.answered + seen.rejected + seen.closed).toBeGreaterThan(2000);
    expect(seen.answered).toBeGreaterThan(5 * (seen.rejected + seen.closed));
  }, 60_000);
});
