/**
 * The 9P2000.L client (src/p9/client.ts) against the in-process server and against scripted
 * servers: version negotiation, tags and fids, walks past MAXWELEM, reads and writes cut to
 * msize, readdir cookies, extended attributes, Rlerror's errnos, and a connection that goes away.
 */
import { describe, expect, it } from 'vitest';
import { createSandbox } from '../../src/index.js';
import {
  decodeMessage,
  encodeMessage,
  MAXWELEM,
  NOTAG,
  P9_DOTL_AT_REMOVEDIR,
  P9_DOTL_CREATE,
  P9_DOTL_DIRECTORY,
  P9_DOTL_RDONLY,
  P9_DOTL_RDWR,
  P9_DOTL_WRONLY,
  P9_IOHDRSZ,
  P9_NONUNAME,
  P9_XATTR_CREATE,
  P9Client,
  P9Server,
  TreeExport,
  type P9Message,
  type P9Reply,
} from '../../src/p9/index.js';
import { errno } from '../../src/vfs/errno.js';
import type { Process } from '../../src/vfs/process.js';
import { errOf, writeFile } from './helpers.js';
import { dec, enc, SpyTransport } from './gofer-helpers.js';

type ReplyBody = P9Reply extends infer R ? (R extends P9Reply ? Omit<R, 'tag'> : never) : never;

function hostWith(build?: (p: Process) => void): { host: Process; server: P9Server } {
  const host = createSandbox().process;
  host.mkdir('/srv');
  build?.(host);
  return { host, server: new P9Server({ '': new TreeExport(host, '/srv') }, { maxMsize: 8192 }) };
}

function connected(server: P9Server, msize = 65536): { c: P9Client; t: SpyTransport; root: number } {
  const t = new SpyTransport(server.connect());
  const c = new P9Client(t);
  c.version(msize);
  return { c, t, root: c.attach('nobody', '').fid };
}

/** A server that answers each request with what `answer` says (its tag copied in). */
function scripted(answer: (m: P9Message) => ReplyBody | Uint8Array): { c: P9Client; calls: P9Message[] } {
  const calls: P9Message[] = [];
  const c = new P9Client({
    roundTrip(frame) {
      const m = decodeMessage(frame);
      calls.push(m);
      const r = answer(m);
      return r instanceof Uint8Array ? r : encodeMessage({ ...r, tag: m.tag } as P9Message);
    },
  });
  return { c, calls };
}

/** mkdir -p /srv/<names joined>. */
function mkdirs(h: Process, names: readonly string[]): void {
  names.forEach((_, i) => h.mkdir(`/srv/${names.slice(0, i + 1).join('/')}`));
}

const rversion = (msize = 8192, version = '9P2000.L'): ReplyBody => ({ msg: 'Rversion', msize, version });

describe('version negotiation', () => {
  it('settles on the smaller msize of the two sides, with Tversion tagged NOTAG', () => {
    const { server } = hostWith();
    const big = connected(server, 65536);
    expect(big.c.msize).toBe(8192);
    expect(big.t.sent[0]).toMatchObject({ msg: 'Tversion', tag: NOTAG, msize: 65536, version: '9P2000.L' });
    const small = connected(server, 5000);
    expect(small.c.msize).toBe(5000);
  });

  it('a server that answers "unknown" is EREMOTEIO (p9_client_version)', () => {
    const { server } = hostWith();
    const c = new P9Client(new SpyTransport(server.connect()));
    expect(errOf(() => c.version(8192, '9P2000.u'))).toBe('EREMOTEIO');
  });

  it('an msize under 4096 from the server is EREMOTEIO; a larger one than asked is not taken', () => {
    expect(errOf(() => scripted(() => rversion(2048)).c.version(8192))).toBe('EREMOTEIO');
    const { c } = scripted(() => rversion(1 << 20));
    expect(c.version(8192)).toBe('9P2000.L');
    expect(c.msize).toBe(8192);
  });

  it('names the dialect the server settled on', () => {
    expect(scripted(() => rversion(8192, '9P2000.u')).c.version(8192)).toBe('9P2000.u');
    expect(scripted(() => rversion(8192, '9P2000')).c.version(8192)).toBe('9P2000');
  });
});

describe('tags and fids', () => {
  it('tags count up from 0 after Tversion', () => {
    const { server } = hostWith();
    const { c, t, root } = connected(server);
    c.getattr(root);
    c.clunk(c.clone(root));
    expect(t.sent.map((m) => m.tag)).toEqual([NOTAG, 0, 1, 2, 3]);
  });

  it('fids are the lowest free numbers, reused once clunked', () => {
    const { server } = hostWith((h) => h.mkdir('/srv/a'));
    const { c, root } = connected(server);
    expect(root).toBe(0);
    const a = c.walk(root, ['a']).fid;
    const b = c.clone(root);
    expect([a, b]).toEqual([1, 2]);
    c.clunk(a);
    expect(c.clone(root)).toBe(1);
    expect(c.fidsInUse).toBe(3);
  });

  it('a clunk frees the fid even when the server refuses it', () => {
    const { c } = scripted((m) => (m.msg === 'Tversion' ? rversion() : m.msg === 'Tattach' ? { msg: 'Rattach', qid: { type: 0x80, version: 0, path: 1n } } : { msg: 'Rlerror', ecode: 9 }));
    c.version(8192);
    const { fid } = c.attach('nobody', '');
    expect(errOf(() => c.clunk(fid))).toBe('EBADF');
    expect(c.fidsInUse).toBe(0);
  });

  it('Tattach carries uname, aname and n_uname INVALID_UID', () => {
    const { server } = hostWith();
    const { t } = connected(server);
    expect(t.sent[1]).toMatchObject({ msg: 'Tattach', fid: 0, uname: 'nobody', aname: '', nUname: P9_NONUNAME });
  });
});

describe('walk', () => {
  const deep = Array.from({ length: MAXWELEM + 4 }, (_, i) => `d${i}`);

  it('walks more than MAXWELEM names in groups, the later ones on the new fid', () => {
    const { server } = hostWith((h) => mkdirs(h, deep));
    const { c, t, root } = connected(server);
    const w = c.walk(root, deep);
    expect(w.qids).toHaveLength(deep.length);
    const walks = t.sent.filter((m): m is P9Message<'Twalk'> => m.msg === 'Twalk');
    expect(walks.map((m) => [m.fid, m.newfid, m.wnames.length])).toEqual([
      [root, w.fid, MAXWELEM],
      [w.fid, w.fid, 4],
    ]);
  });

  it('a walk that stops short is ENOENT and leaves no fid behind, on either side', () => {
    const { server } = hostWith((h) => mkdirs(h, deep.slice(0, 18)));
    const t = new SpyTransport(server.connect());
    const c = new P9Client(t);
    c.version(8192);
    const root = c.attach('nobody', '').fid;
    expect(errOf(() => c.walk(root, deep))).toBe('ENOENT');
    expect(errOf(() => c.walk(root, ['nope', 'x']))).toBe('ENOENT');
    expect(c.fidsInUse).toBe(1);
    expect(t.peer.fidCount).toBe(1);
  });
});

describe('reads and writes', () => {
  it('cuts writes and reads to msize - P9_IOHDRSZ, and reads until an empty Rread', () => {
    const { server, host } = hostWith((h) => writeFile(h, '/srv/f', ''));
    const { c, t, root } = connected(server, 4096);
    const { fid } = c.walk(root, ['f']);
    c.lopen(fid, P9_DOTL_RDWR);
    const data = new Uint8Array(10_000).map((_, i) => i & 0xff);
    expect(c.write(fid, 0, data)).toBe(10_000);
    const writes = t.sent.filter((m): m is P9Message<'Twrite'> => m.msg === 'Twrite');
    expect(writes.map((m) => m.data.length)).toEqual([4096 - P9_IOHDRSZ, 4096 - P9_IOHDRSZ, 10_000 - 2 * (4096 - P9_IOHDRSZ)]);
    expect(host.stat('/srv/f').size).toBe(10_000);
    const back = new Uint8Array(12_000);
    expect(c.read(fid, 0, back)).toBe(10_000);
    expect(back.subarray(0, 10_000)).toEqual(data);
    // 3 full-or-short reads, then the empty one that ends the loop.
    expect(t.count('Tread')).toBe(4);
  });

  it('a fid opened write-only takes writes and refuses reads (the server keeps O_WRONLY)', () => {
    const { server, host } = hostWith((h) => writeFile(h, '/srv/f', 'abc'));
    const { c, root } = connected(server);
    const { fid } = c.walk(root, ['f']);
    c.lopen(fid, P9_DOTL_WRONLY);
    expect(c.write(fid, 3, enc.encode('def'))).toBe(3);
    expect(errOf(() => c.read(fid, 0, new Uint8Array(3)))).toBe('EBADF');
    expect(host.stat('/srv/f').size).toBe(6);
  });

  it('a server that writes nothing ends the write instead of looping', () => {
    const { c } = scripted((m) => (m.msg === 'Tversion' ? rversion() : { msg: 'Rwrite', count: 0 }));
    c.version(8192);
    expect(c.write(0, 0, new Uint8Array(100))).toBe(0);
  });
});

describe('directories and names', () => {
  it('readdir continues from the last cookie until an empty Rreaddir', () => {
    const names = Array.from({ length: 300 }, (_, i) => `entry-with-a-long-name-${i}`);
    const { server } = hostWith((h) => names.forEach((n) => writeFile(h, `/srv/${n}`, '')));
    const { c, t, root } = connected(server, 4096);
    const d = c.clone(root);
    c.lopen(d, P9_DOTL_RDONLY | P9_DOTL_DIRECTORY);
    const all = c.readdirAll(d);
    expect(all.map((e) => e.name).filter((n) => n !== '.' && n !== '..').sort()).toEqual([...names].sort());
    const reads = t.sent.filter((m): m is P9Message<'Treaddir'> => m.msg === 'Treaddir');
    expect(reads.length).toBeGreaterThan(2);
    expect(reads[0]!.offset).toBe(0n);
    expect(reads[1]!.offset).toBeGreaterThan(0n);
  });

  it('creates, links, renames and removes through the server', () => {
    const { server, host } = hostWith();
    const { c, root } = connected(server);
    const dir = c.clone(root);
    c.mkdir(root, 'd', 0o750, 0);
    c.symlink(root, 'l', '/target', 0);
    c.mknod(root, 'p', 0o010644, 0, 0, 0);
    c.lcreate(dir, 'f', P9_DOTL_RDWR | P9_DOTL_CREATE, 0o640, 0);
    c.clunk(dir);
    const f = c.walk(root, ['f']).fid;
    c.link(root, f, 'f2');
    c.renameat(root, 'f2', root, 'f3');
    expect(c.readlink(c.walk(root, ['l']).fid)).toBe('/target');
    expect(host.stat('/srv/d').mode & 0o7777).toBe(0o750);
    expect(host.stat('/srv/f3').nlink).toBe(2);
    expect(host.lstat('/srv/p').mode & 0o170000).toBe(0o010000);
    c.unlinkat(root, 'f3', 0);
    c.unlinkat(root, 'd', P9_DOTL_AT_REMOVEDIR);
    expect(errOf(() => host.stat('/srv/d'))).toBe('ENOENT');
    expect(errOf(() => c.unlinkat(root, 'f', P9_DOTL_AT_REMOVEDIR))).toBe('ENOTDIR');
    expect(c.statfs(root).namelen).toBe(255);
    c.lopen(f, P9_DOTL_RDONLY);
    c.fsync(f);
  });

  it('sets, gets, lists and removes extended attributes through xattr fids', () => {
    const { server, host } = hostWith((h) => writeFile(h, '/srv/f', ''));
    const { c, root } = connected(server);
    const { fid } = c.walk(root, ['f']);
    c.setxattr(fid, 'user.a', enc.encode('one'), P9_XATTR_CREATE);
    c.setxattr(fid, 'user.b', new Uint8Array(0), 0);
    expect(dec.decode(c.getxattr(fid, 'user.a'))).toBe('one');
    expect(c.listxattr(fid).sort()).toEqual(['user.a', 'user.b']);
    expect(errOf(() => c.setxattr(fid, 'user.a', enc.encode('x'), P9_XATTR_CREATE))).toBe('EEXIST');
    c.removexattr(fid, 'user.a');
    expect(errOf(() => c.getxattr(fid, 'user.a'))).toBe('ENODATA');
    expect(errOf(() => c.removexattr(fid, 'user.a'))).toBe('ENODATA');
    expect(host.listxattr('/srv/f')).toEqual(['user.b']);
    expect(c.fidsInUse).toBe(2);
  });
});

describe('errors and a connection that goes away', () => {
  it('an Rlerror is its errno; past MAX_ERRNO EPROTO; unknown or 0 EIO', () => {
    for (const [ecode, name] of [
      [2, 'ENOENT'],
      [13, 'EACCES'],
      [5000, 'EPROTO'],
      [200, 'EIO'],
      [0, 'EIO'],
    ] as const) {
      const { c } = scripted((m) => (m.msg === 'Tversion' ? rversion() : { msg: 'Rlerror', ecode }));
      c.version(8192);
      expect(errOf(() => c.getattr(0))).toBe(name);
      expect(c.isDisconnected).toBe(false);
    }
  });

  it('a transport failure is EIO, and every later request EIO without reaching the transport', () => {
    let calls = 0;
    const c = new P9Client({
      roundTrip(frame) {
        calls++;
        if (calls > 1) throw errno('ECONNREFUSED');
        const m = decodeMessage(frame);
        return encodeMessage({ ...rversion(), tag: m.tag } as P9Message);
      },
    });
    c.version(8192);
    expect(errOf(() => c.getattr(0))).toBe('EIO');
    expect(errOf(() => c.getattr(0))).toBe('EIO');
    expect(calls).toBe(2);
    expect(c.isDisconnected).toBe(true);
  });

  it('a reply with another tag, another type or bad bytes disconnects (EIO)', () => {
    const bad: ((m: P9Message) => ReplyBody | Uint8Array)[] = [
      (m) => encodeMessage({ msg: 'Rclunk', tag: (m.tag + 1) & 0xffff }),
      () => ({ msg: 'Rclunk' }),
      () => new Uint8Array([7, 0, 0, 0, 99, 0, 0]),
    ];
    for (const answer of bad) {
      const { c } = scripted((m) => (m.msg === 'Tversion' ? rversion() : answer(m)));
      c.version(8192);
      expect(errOf(() => c.getattr(0))).toBe('EIO');
      expect(c.isDisconnected).toBe(true);
    }
  });

  it('a server session that closes makes the client EIO at its next request', () => {
    const { server } = hostWith();
    const { c, t, root } = connected(server);
    t.peer.close();
    expect(errOf(() => c.getattr(root))).toBe('EIO');
    expect(errOf(() => c.clone(root))).toBe('EIO');
  });
});
