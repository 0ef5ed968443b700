/**
 * The socket server (src/host/p9-socket-server.ts), in process, with asynchronous peers: one
 * session a connection, frames however the bytes arrive (split, pipelined), replies in order and
 * through backpressure, bad framing closing that connection only, Tauth answered as diod answers
 * it, attaches reported, connections bounded, and a clean close that unlinks its unix socket.
 */
import { existsSync, lstatSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HostExport } from '../../src/host/host-export.js';
import { hostfsUnavailableReason } from '../../src/host/hostfs.js';
import type { P9Address } from '../../src/host/p9-address.js';
import { P9SocketServer, type P9AttachEvent } from '../../src/host/p9-socket-server.js';
import { encodeMessage, NOFID, NOTAG, P9Server, type P9Reply } from '../../src/p9/index.js';
import { errnoName } from '../../src/vfs/errno.js';
import { hostTree, Peer, type HostTree, itNeeds } from './helpers.js';

const why = hostfsUnavailableReason();

function errnoOf(r: P9Reply | null): string {
  if (r === null) return 'closed';
  return r.msg === 'Rlerror' ? (errnoName(r.ecode) ?? String(r.ecode)) : r.msg;
}

let tree: HostTree;
let exp: HostExport;
let server: P9SocketServer;
let events: P9AttachEvent[];
let where: P9Address;
const peers: Peer[] = [];

async function peer(): Promise<Peer> {
  const p = await Peer.open(where);
  peers.push(p);
  return p;
}

beforeEach(async () => {
  if (why) return;
  tree = hostTree();
  exp = new HostExport(tree.srv);
  events = [];
  server = new P9SocketServer(new P9Server({ '': exp }), { onAttach: (e) => events.push(e), maxConnections: 4 });
  where = await server.listen({ kind: 'tcp', host: '127.0.0.1', port: 0 });
});

afterEach(async () => {
  if (why) return;
  for (const p of peers.splice(0)) p.socket.destroy();
  await server.close();
  exp.dispose();
  tree.cleanup();
});

itNeeds('the host export (the native addon, npm run build:native)', why);

describe('socket server', () => {
  it('gives each connection its own session, and reports each attach', async () => {
    const [a, b] = [await peer(), await peer()];
    await a.start();
    await b.start();
    expect(errnoOf(await a.rpc({ msg: 'Twalk', tag: 2, fid: 0, newfid: 1, wnames: ['f'] }))).toBe('Rwalk');
    // fid 1 exists on a's connection only.
    expect(errnoOf(await b.rpc({ msg: 'Tclunk', tag: 2, fid: 1 }))).toBe('EBADF');
    expect(errnoOf(await a.rpc({ msg: 'Tattach', tag: 3, fid: 5, afid: NOFID, uname: 'x', aname: 'nope', nUname: 7 }))).toBe('ENOENT');
    expect(events).toHaveLength(3);
    expect(events[0]).toMatchObject({ aname: '', uname: 'tester', nUname: 1000, result: 'ok' });
    expect(events[0]!.client).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(events[2]).toMatchObject({ aname: 'nope', uname: 'x', result: 'ENOENT' });
  });

  it('answers Tauth with ENOENT, as diod does when no authentication is needed', async () => {
    const a = await peer();
    await a.rpc({ msg: 'Tversion', tag: NOTAG, msize: 65536, version: '9P2000.L' });
    expect(errnoOf(await a.rpc({ msg: 'Tauth', tag: 1, afid: 1, uname: 'u', aname: '', nUname: 0 }))).toBe('ENOENT');
  });

  it('reassembles frames sent a byte at a time, and answers pipelined frames in order', async () => {
    const a = await peer();
    const frames = [
      encodeMessage({ msg: 'Tversion', tag: NOTAG, msize: 65536, version: '9P2000.L' }),
      encodeMessage({ msg: 'Tattach', tag: 1, fid: 0, afid: NOFID, uname: 'u', aname: '', nUname: 0 }),
      ...Array.from({ length: 50 }, (_, i) => encodeMessage({ msg: 'Tgetattr', tag: 10 + i, fid: 0, requestMask: 0x7ffn })),
    ];
    for (const b of frames[0]!) a.send(Uint8Array.of(b));
    a.send(Uint8Array.from(frames.slice(1).flatMap((f) => [...f])));
    const tags: number[] = [];
    for (let i = 0; i < frames.length; i++) tags.push((await a.next())!.tag);
    expect(tags).toEqual([NOTAG, 1, ...Array.from({ length: 50 }, (_, i) => 10 + i)]);
  });

  it('keeps answering in order through backpressure (replies far larger than the socket buffers)', async () => {
    writeFileSync(join(tree.srv, 'big'), Buffer.alloc(60_000, 1));
    const a = await peer();
    await a.start();
    await a.rpc({ msg: 'Twalk', tag: 2, fid: 0, newfid: 1, wnames: ['big'] });
    await a.rpc({ msg: 'Tlopen', tag: 3, fid: 1, flags: 0 });
    a.socket.pause();
    const n = 400;
    for (let i = 0; i < n; i++) a.send(encodeMessage({ msg: 'Tread', tag: i, fid: 1, offset: 0n, count: 60_000 }));
    await new Promise((r) => setTimeout(r, 300));
    a.socket.resume();
    for (let i = 0; i < n; i++) {
      const r = await a.next();
      expect(r?.tag).toBe(i);
      expect(r?.msg === 'Rread' && r.data.length).toBe(60_000);
    }
  });

  it('closes a connection whose frame size is impossible, and only that one', async () => {
    const [a, b, c] = [await peer(), await peer(), await peer()];
    await a.start();
    b.send(Uint8Array.of(3, 0, 0, 0, 100, 0, 0)); // size 3 < the header
    expect(await b.next()).toBeNull();
    c.send(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 100)); // 4 GiB announced
    expect(await c.next()).toBeNull();
    expect(errnoOf(await a.rpc({ msg: 'Tgetattr', tag: 2, fid: 0, requestMask: 0x7ffn }))).toBe('Rgetattr');
  });

  it('ends a connection’s session with it: its fids and their descriptors are released', async () => {
    const a = await peer();
    await a.start();
    for (let i = 1; i <= 5; i++) await a.rpc({ msg: 'Twalk', tag: i, fid: 0, newfid: i, wnames: ['d', 'sub'] });
    expect(exp.hostFds).toBe(5);
    a.socket.destroy();
    for (let i = 0; i < 50 && exp.hostFds > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(exp.hostFds).toBe(0);
  });

  it('serves at most maxConnections connections at once', async () => {
    for (let i = 0; i < 4; i++) await (await peer()).start();
    const extra = await peer();
    expect(await extra.next()).toBeNull();
  });
});

describe('socket server on a unix socket', () => {
  it('unlinks its socket on close, but not a file that replaced it', async () => {
    const path = join(tree.base, 'sock');
    const s = new P9SocketServer(new P9Server({ '': exp }));
    const at = await s.listen({ kind: 'unix', path });
    const a = await Peer.open(at);
    await a.start();
    await s.close();
    expect(await a.next()).toBeNull();
    expect(existsSync(path)).toBe(false);
    const s2 = new P9SocketServer(new P9Server({ '': exp }));
    await s2.listen({ kind: 'unix', path });
    unlinkSync(path);
    writeFileSync(path, 'not a socket');
    await s2.close();
    expect(lstatSync(path).isFile()).toBe(true);
  });

  it('refuses an address in use', async () => {
    const s = new P9SocketServer(new P9Server({ '': exp }));
    await expect(s.listen({ kind: 'tcp', host: '127.0.0.1', port: (where as { port: number }).port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    writeFileSync(join(tree.base, 'file'), '');
    await expect(s.listen({ kind: 'unix', path: join(tree.base, 'file') })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await s.close();
  });
});
