/**
 * The client transport (src/host/p9-socket-client.ts) and the dialer (p9-dial.ts): synchronous
 * round trips over TCP, a unix socket and inherited descriptors to a `vfsemu gofer serve` in
 * another process; a server that dies or stops answering is EIO within the timeout, never a hang,
 * and stays EIO; the dialer refuses what Linux's 9P client refuses, with its errno.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { constants, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialP9, p9Dialer } from '../../src/host/p9-dial.js';
import { SocketTransport } from '../../src/host/p9-socket-client.js';
import { P9_DOTL_RDWR, P9_IOHDRSZ } from '../../src/p9/index.js';
import { errOf } from '../unit/helpers.js';
import { cliMissing, freePort, hostTree, RawClient, ROOT, serveCli, type HostTree, type Served, itNeeds } from './helpers.js';

const missing = cliMissing();

let tree: HostTree;
let tcp: Served;
let unix: Served;

beforeAll(async () => {
  if (missing) return;
  tree = hostTree();
  writeFileSync(join(tree.srv, 'big'), Buffer.alloc(3 << 20, 7));
  [tcp, unix] = await Promise.all([serveCli([tree.srv, '--listen', '127.0.0.1:0']), serveCli([tree.srv, '--listen', `unix:${join(tree.base, 'sock')}`])]);
}, 30_000);

afterAll(async () => {
  if (missing) return;
  await Promise.all([tcp?.stop(), unix?.stop()]);
  tree?.cleanup();
});

function tcpPort(s: Served): number {
  return Number(s.address.split(':').at(-1));
}

itNeeds('the built CLI and addon (npm run build, npm run build:native)', missing);

describe('socket transport', () => {
  it('makes synchronous round trips over TCP and a unix socket', () => {
    for (const t of [dialP9({ trans: 'tcp', source: '127.0.0.1', port: tcpPort(tcp) }), dialP9({ trans: 'unix', source: join(tree.base, 'sock') })]) {
      const c = new RawClient(t);
      c.start();
      expect(c.ls(1)).toEqual(['big', 'd', 'f', 'root-link', 'up']);
      expect(c.cat(1, 'f')).toBe('hello');
      for (let i = 0; i < 200; i++) c.ok('Rgetattr', { msg: 'Tgetattr', fid: 0, requestMask: 0x7ffn });
      t.close();
      expect(errOf(() => t.roundTrip(new Uint8Array(7)))).toBe('EIO');
    }
  });

  it('carries frames of a whole 1 MiB msize, both ways (on a unix socket, more than it takes at once)', () => {
    const targets = [
      { kind: 'tcp', host: '127.0.0.1', port: tcpPort(tcp) },
      { kind: 'unix', path: join(tree.base, 'sock') },
    ] as const;
    for (const target of targets) {
      const t = new SocketTransport(target);
      const c = new RawClient(t);
      c.start('', 1 << 20);
      c.walk(0, 1, 'big');
      expect(c.ok('Rlopen', { msg: 'Tlopen', fid: 1, flags: 0 }).iounit).toBe((1 << 20) - P9_IOHDRSZ);
      let total = 0;
      for (let off = 0n; ; ) {
        const { data } = c.ok('Rread', { msg: 'Tread', fid: 1, offset: off, count: 1 << 20 });
        if (data.length === 0) break;
        expect(data.every((b) => b === 7)).toBe(true);
        total += data.length;
        off += BigInt(data.length);
      }
      expect(total).toBe(3 << 20);
      // Requests of a whole msize: a unix socket takes a few hundred KiB, the worker writes the rest.
      c.walk(0, 2);
      c.ok('Rlcreate', { msg: 'Tlcreate', fid: 2, name: `written-${target.kind}`, flags: P9_DOTL_RDWR, mode: 0o644, gid: 0 });
      const chunk = (1 << 20) - P9_IOHDRSZ;
      for (let i = 0; i < 4; i++) {
        const data = new Uint8Array(chunk).fill(i + 1);
        expect(c.ok('Rwrite', { msg: 'Twrite', fid: 2, offset: BigInt(i * chunk), data }).count).toBe(chunk);
      }
      const written = readFileSync(join(tree.srv, `written-${target.kind}`));
      expect(written.length).toBe(4 * chunk);
      expect([0, chunk - 1, chunk, 2 * chunk, 4 * chunk - 1].map((at) => written[at])).toEqual([1, 1, 2, 3, 4]);
      t.close();
    }
  });

  it('refuses a request larger than its buffer (EINVAL) without sending it', () => {
    const t = new SocketTransport({ kind: 'tcp', host: '127.0.0.1', port: tcpPort(tcp) }, { maxFrame: 8192 });
    expect(errOf(() => t.roundTrip(new Uint8Array(8193)))).toBe('EINVAL');
    new RawClient(t).start('', 8192);
    t.close();
  });

  it('reports connection failures with connect(2)’s errno', async () => {
    const port = await freePort();
    expect(errOf(() => dialP9({ trans: 'tcp', source: '127.0.0.1', port }))).toBe('ECONNREFUSED');
    expect(errOf(() => dialP9({ trans: 'unix', source: join(tree.base, 'no-such-socket') }))).toBe('ENOENT');
    expect(errOf(() => dialP9({ trans: 'unix', source: join(tree.srv, 'f') }))).toBe('ECONNREFUSED');
  });

  it('refuses what Linux’s 9P client refuses', () => {
    expect(errOf(() => dialP9({ trans: 'tcp', source: 'localhost', port: 564 }))).toBe('EINVAL');
    expect(errOf(() => dialP9({ trans: 'tcp', source: '127.0.0.1', port: 0 }))).toBe('EINVAL');
    expect(errOf(() => dialP9({ trans: 'unix', source: `/tmp/${'x'.repeat(120)}` }))).toBe('ENAMETOOLONG');
    expect(errOf(() => dialP9({ trans: 'fd', source: 'nodev', rfdno: 3 }))).toBe('ENOPROTOOPT');
    expect(errOf(() => dialP9({ trans: 'fd', source: 'nodev', rfdno: -1, wfdno: 4 }))).toBe('EIO');
    expect(errOf(() => dialP9({ trans: 'virtio', source: 'hostshare' }))).toBe('ENOENT');
    const dial = p9Dialer({ timeoutMs: 1000 });
    expect(errOf(() => dial({ trans: 'tcp', source: '::1x' }))).toBe('EINVAL');
  });
});

describe('socket transport: a server that goes away', () => {
  it('is EIO at once when the server dies, and EIO from then on', async () => {
    const s = await serveCli([tree.srv, '--listen', '127.0.0.1:0']);
    const t = dialP9({ trans: 'tcp', source: '127.0.0.1', port: tcpPort(s) }, { timeoutMs: 20_000 });
    const c = new RawClient(t);
    c.start();
    await s.stop('SIGKILL');
    const started = Date.now();
    expect(c.err({ msg: 'Tgetattr', fid: 0, requestMask: 0x7ffn })).toBe('EIO(transport)');
    // "At once": well before the 20 s round-trip timeout, whatever the load on the machine.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(c.err({ msg: 'Tgetattr', fid: 0, requestMask: 0x7ffn })).toBe('EIO(transport)');
    expect(t.closed).toBeDefined();
  });

  it('is EIO after its timeout when the server stops answering', async () => {
    const s = await serveCli([tree.srv, '--listen', '127.0.0.1:0']);
    const t = dialP9({ trans: 'tcp', source: '127.0.0.1', port: tcpPort(s) }, { timeoutMs: 500 });
    const c = new RawClient(t);
    c.start();
    s.child.kill('SIGSTOP');
    try {
      const started = Date.now();
      expect(c.err({ msg: 'Tgetattr', fid: 0, requestMask: 0x7ffn })).toBe('EIO(transport)');
      expect(Date.now() - started).toBeGreaterThanOrEqual(450);
      expect(Date.now() - started).toBeLessThan(3000);
      expect(t.closed).toMatch(/no reply within 500 ms/);
    } finally {
      s.child.kill('SIGCONT');
      await s.stop('SIGKILL');
    }
  });

  it('connects over inherited descriptors (trans=fd): a FIFO pair to a server process', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vfsemu-fd-'));
    const c2s = join(dir, 'c2s');
    const s2c = join(dir, 's2c');
    expect(spawnSync('mkfifo', [c2s, s2c]).status).toBe(0);
    // A server that answers one connection on the FIFOs (P9SocketServer.serve over two streams).
    const script = `
      const { createReadStream, createWriteStream } = await import('node:fs');
      const { P9Server } = await import(${JSON.stringify(join(ROOT, 'dist/p9/server.js'))});
      const { HostExport } = await import(${JSON.stringify(join(ROOT, 'dist/host/host-export.js'))});
      const { P9SocketServer } = await import(${JSON.stringify(join(ROOT, 'dist/host/p9-socket-server.js'))});
      const server = new P9SocketServer(new P9Server({ '': new HostExport(${JSON.stringify(tree.srv)}) }));
      server.serve(createReadStream(${JSON.stringify(c2s)}), createWriteStream(${JSON.stringify(s2c)}), 'fifo');`;
    const child: ChildProcess = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'inherit' });
    try {
      // O_RDWR: a FIFO opened so does not wait for the other end.
      const rfd = openSync(s2c, constants.O_RDWR);
      const wfd = openSync(c2s, constants.O_RDWR);
      const t = dialP9({ trans: 'fd', source: 'nodev', rfdno: rfd, wfdno: wfd }, { timeoutMs: 10_000 });
      const c = new RawClient(t);
      c.start();
      expect(c.cat(1, 'f')).toBe('hello');
      t.close();
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
