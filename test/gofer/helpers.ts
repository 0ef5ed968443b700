/**
 * Helpers of the gofer suites: a raw 9P client over any P9Transport (each request one frame, each
 * reply checked for its tag), the host tree the suites serve (the fuzz tree of src/p9/fuzz.ts on
 * the real filesystem, beside a sentinel file), a snapshot of everything outside the export, free
 * ports, the diod oracle, and the `vfsemu gofer serve` CLI as a child process.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, constants, existsSync, lstatSync, openSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { P9FrameSplitter } from '../../src/host/p9-frames.js';
import type { P9Address } from '../../src/host/p9-address.js';
import { decodeMessage, encodeMessage, NOFID, NOTAG, type P9Message, type P9Reply, type P9Request, type P9Transport } from '../../src/p9/index.js';
import { errnoName, SysError } from '../../src/vfs/errno.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dec = new TextDecoder();

type Body<M> = M extends P9Message ? Omit<M, 'tag'> : never;
export type RequestBody = Body<P9Request>;

/** `r` as the R-message `name`; an Error naming the request and what came instead otherwise. */
function expectReply<N extends P9Reply['msg']>(r: P9Reply, name: N, request: string): Extract<P9Reply, { msg: N }> {
  if (r.msg === name) return r as Extract<P9Reply, { msg: N }>;
  throw new Error(`${request}: expected ${name}, got ${r.msg === 'Rlerror' ? errnoName(r.ecode) : r.msg}`);
}

/** A raw 9P client: one request, its reply decoded and its tag checked. */
export class RawClient {
  private tag = 1;
  constructor(readonly t: P9Transport) {}

  rpc(body: RequestBody): P9Reply {
    const tag = body.msg === 'Tversion' ? NOTAG : this.tag++ & 0x7fff;
    const reply = decodeMessage(this.t.roundTrip(encodeMessage({ ...body, tag } as P9Message))) as P9Reply;
    expect(reply.tag).toBe(tag);
    return reply;
  }

  /** The reply of a request that must succeed, narrowed to the expected R-message. */
  ok<N extends P9Reply['msg']>(name: N, body: RequestBody): Extract<P9Reply, { msg: N }> {
    return expectReply(this.rpc(body), name, body.msg);
  }

  /** The errno name a request fails with, 'OK', or 'EIO(transport)' when the connection failed. */
  err(body: RequestBody): string {
    let r: P9Reply;
    try {
      r = this.rpc(body);
    } catch (e) {
      if (e instanceof SysError) return `${e.code}(transport)`;
      throw e;
    }
    return r.msg === 'Rlerror' ? (errnoName(r.ecode) ?? String(r.ecode)) : 'OK';
  }

  /** Tversion then Tattach of fid 0. */
  start(aname = '', msize = 65536): void {
    this.ok('Rversion', { msg: 'Tversion', msize, version: '9P2000.L' });
    this.ok('Rattach', { msg: 'Tattach', fid: 0, afid: NOFID, uname: 'root', aname, nUname: 0 });
  }

  walk(fid: number, newfid: number, ...wnames: string[]): P9Message<'Rwalk'> {
    return this.ok('Rwalk', { msg: 'Twalk', fid, newfid, wnames });
  }

  /** A file's whole content, read through a fresh fid (walked from 0, opened, read, clunked). */
  cat(fid: number, ...path: string[]): string {
    this.walk(0, fid, ...path);
    this.ok('Rlopen', { msg: 'Tlopen', fid, flags: 0 });
    let text = '';
    for (let off = 0n; ; ) {
      const { data } = this.ok('Rread', { msg: 'Tread', fid, offset: off, count: 8192 });
      if (data.length === 0) break;
      text += dec.decode(data);
      off += BigInt(data.length);
    }
    this.ok('Rclunk', { msg: 'Tclunk', fid });
    return text;
  }

  /** A directory's names, sorted, without . and .. (walked from 0, opened, read, clunked). */
  ls(fid: number, ...path: string[]): string[] {
    this.walk(0, fid, ...path);
    this.ok('Rlopen', { msg: 'Tlopen', fid, flags: 0 });
    const names: string[] = [];
    for (let off = 0n; ; ) {
      const { entries } = this.ok('Rreaddir', { msg: 'Treaddir', fid, offset: off, count: 8192 });
      if (entries.length === 0) break;
      for (const e of entries) if (e.name !== '.' && e.name !== '..') names.push(e.name);
      off = entries[entries.length - 1]!.offset;
    }
    this.ok('Rclunk', { msg: 'Tclunk', fid });
    return names.sort();
  }
}

/** An asynchronous 9P peer on a socket: frames out, frames in, or null once the server closed. */
export class Peer {
  private readonly splitter = new P9FrameSplitter(1 << 24);
  private readonly frames: Uint8Array[] = [];
  private waiter: (() => void) | undefined;
  closed = false;

  constructor(readonly socket: Socket) {
    socket.on('data', (c: Buffer) => {
      this.splitter.push(new Uint8Array(c));
      for (let f = this.splitter.next(); f !== null; f = this.splitter.next()) this.frames.push(f.slice());
      this.waiter?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
    socket.on('error', () => undefined);
  }

  static async open(address: P9Address): Promise<Peer> {
    const s = address.kind === 'tcp' ? connect(address.port, address.host) : connect(address.path);
    await new Promise<void>((resolve, reject) => (s.once('connect', resolve), s.once('error', reject)));
    return new Peer(s);
  }

  send(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** The next reply, or null when the connection closed first (10 s at most). */
  async next(): Promise<P9Reply | null> {
    const deadline = Date.now() + 10_000;
    while (this.frames.length === 0 && !this.closed) {
      if (Date.now() > deadline) throw new Error('no reply within 10 s');
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        setTimeout(resolve, 100);
      });
    }
    const f = this.frames.shift();
    return f ? (decodeMessage(f) as P9Reply) : null;
  }

  async rpc(m: P9Message): Promise<P9Reply | null> {
    this.send(encodeMessage(m));
    return this.next();
  }

  async start(aname = ''): Promise<void> {
    expect((await this.rpc({ msg: 'Tversion', tag: NOTAG, msize: 65536, version: '9P2000.L' }))?.msg).toBe('Rversion');
    expect((await this.rpc({ msg: 'Tattach', tag: 1, fid: 0, afid: NOFID, uname: 'tester', aname, nUname: 1000 }))?.msg).toBe('Rattach');
  }
}

/** The host tree: base/{outside/secret, sentinel, srv/{f, d/sub/g, root-link -> /, up -> ../.., d/esc -> ../../outside}}. */
export interface HostTree {
  base: string;
  srv: string;
  sentinel: string;
  cleanup(): void;
}

/** The sentinel's times: atime older than mtime, so that any read moves atime (relatime). */
const SENTINEL_ATIME = new Date('2000-01-01T00:00:00Z');
const SENTINEL_MTIME = new Date('2001-01-01T00:00:00Z');

export function hostTree(): HostTree {
  const base = mkdtempSync(join(tmpdir(), 'vfsemu-gofer-'));
  const srv = join(base, 'srv');
  mkdirSync(join(base, 'outside'));
  writeFileSync(join(base, 'outside', 'secret'), 'secret');
  const sentinel = join(base, 'sentinel');
  writeFileSync(sentinel, 'do not touch');
  utimesSync(sentinel, SENTINEL_ATIME, SENTINEL_MTIME);
  mkdirSync(join(srv, 'd', 'sub'), { recursive: true });
  writeFileSync(join(srv, 'f'), 'hello');
  writeFileSync(join(srv, 'd', 'sub', 'g'), 'g');
  symlinkSync('/', join(srv, 'root-link'));
  symlinkSync('../..', join(srv, 'up'));
  symlinkSync('../../outside', join(srv, 'd', 'esc'));
  // rm(1), not rmSync: a test may leave a tree deeper than PATH_MAX, which rmSync cannot remove.
  return { base, srv, sentinel, cleanup: () => void spawnSync('rm', ['-rf', base]) };
}

/** A file's bytes, read with O_NOATIME so that the reading leaves its atime as it was. */
function readNoAtime(path: string): Buffer {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOATIME);
  try {
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Every file under `base` but the export, one line each: path, mode, owner, size, links, atime
 * (files: any read by the server would move it, the sentinel's relatime set-up sees to that),
 * mtime, ctime, and a link's target or a file's bytes (read with O_NOATIME).
 */
export function outsideSnapshot(tree: HostTree): string[] {
  const out: string[] = [];
  const visit = (path: string): void => {
    if (path === tree.srv) return;
    const st = lstatSync(path, { bigint: true });
    const what = st.isSymbolicLink() ? readlinkSync(path) : st.isFile() ? readNoAtime(path).toString('hex') : '';
    const atime = st.isFile() ? st.atimeNs : '';
    out.push(`${path} ${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.size} ${st.nlink} ${atime} ${st.mtimeNs} ${st.ctimeNs} ${what}`);
    if (st.isDirectory()) for (const n of readdirSync(path).sort()) visit(join(path, n));
  };
  visit(tree.base);
  return out;
}

/** A TCP port nobody listens on at this moment (bound to 0 and read back). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** Why diod's programs cannot be used here, or null. */
export function diodMissing(): string | null {
  for (const p of ['/usr/sbin/diod', '/usr/sbin/diodls', '/usr/sbin/diodcat', '/usr/sbin/diodload']) if (!existsSync(p)) return `${p} is not installed (apt-get install diod)`;
  return null;
}

/**
 * The first test of a suite that needs the addon's host export or the built CLI: neither is a
 * reason to skip (the export needs no privilege; `npm test` builds dist/ and `npm install` the
 * addon), so their absence is a failure that says what to run.
 */
export function itNeeds(what: string, missing: string | null): void {
  it(`has ${what}`, () => {
    expect(missing).toBeNull();
  });
}

/** Why the CLI in dist/ cannot be spawned, or null (it needs `npm run build`, and the addon). */
export function cliMissing(): string | null {
  if (!existsSync(join(ROOT, 'dist', 'cli', 'gofer.js'))) return 'dist/cli/gofer.js is missing (run `npm run build`)';
  if (!existsSync(join(ROOT, 'build', 'Release', 'vfsemu_native.node'))) return 'the native addon is not built (npm run build:native)';
  return null;
}

/** A `vfsemu gofer serve` child and what it printed. */
export interface Served {
  child: ChildProcess;
  /** Where it listens, as its "listening on" line says. */
  address: string;
  stderr(): string;
  /** SIGTERM, then the exit code (null when killed by a signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Spawns `node bin/vfsemu.js gofer serve ...args` and waits (at most 10 s) for its listening line. */
export async function serveCli(args: string[]): Promise<Served> {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'vfsemu.js'), 'gofer', 'serve', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gofer serve did not listen within 10 s: ${err}`)), 10_000);
    const look = (): void => {
      const m = /listening on (\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stderr!.on('data', look);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`gofer serve exited with ${code}: ${err}`));
    });
  });
  return {
    child,
    address,
    stderr: () => err,
    stop: (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Runs one of diod's programs (bounded to 20 s); its exit status and output. */
export function diodTool(tool: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(`/usr/sbin/${tool}`, args, { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** What fsTree needs of a node:fs-like API (node:fs itself, or src/node's createFs over a sandbox). */
export interface TreeReader {
  readdirSync(path: string): string[];
  lstatSync(path: string): { isDirectory(): boolean; isSymbolicLink(): boolean; size: number | bigint };
  readlinkSync(path: string): string;
  readFileSync(path: string, encoding: 'latin1'): string;
}

/** The tree below `dir`, sorted: `path/` for a directory, `path -> target` for a link, `path size bytes` for a file. */
export function fsTree(fs: TreeReader, dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const name of [...fs.readdirSync(dir)].sort()) {
    const p = `${dir}/${name}`;
    const st = fs.lstatSync(p);
    const path = `${prefix}${name}`;
    if (st.isDirectory()) out.push(`${path}/`, ...fsTree(fs, p, `${path}/`));
    else if (st.isSymbolicLink()) out.push(`${path} -> ${fs.readlinkSync(p)}`);
    else out.push(`${path} ${st.size} ${fs.readFileSync(p, 'latin1')}`);
  }
  return out;
}

/** The names in a host directory, sorted. */
export function hostNames(dir: string): string[] {
  return readdirSync(dir).sort();
}

/** diod serving `dir` in the foreground without authentication, on `listen` (IP:PORT or a unix path). */
export async function startDiod(dir: string, listen: string): Promise<{ child: ChildProcess; stop(): Promise<void> }> {
  const child = spawn('/usr/sbin/diod', ['-f', '-n', '-e', dir, '-l', listen, '-L', 'stderr'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // diod prints nothing when it is ready: wait until its socket answers.
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`diod exited with ${child.exitCode}: ${err}`);
    if (await reachable(listen)) break;
    if (Date.now() > deadline) throw new Error(`diod did not listen within 10 s: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

async function reachable(listen: string): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const i = listen.lastIndexOf(':');
    const s = listen.startsWith('/') ? connect(listen) : connect(Number(listen.slice(i + 1)), listen.slice(0, i));
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}
