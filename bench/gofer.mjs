#!/usr/bin/env node
/**
 * The gofer's round trips, in the same run: a stat (Twalk + Tgetattr + Tclunk, what a 9P client
 * sends for stat(2) of a name it has not cached), a bare Tgetattr, and an open-read-close of 4 KiB
 * (Twalk + Tlopen + Tread + Tclunk), each
 *
 *   - in process: the host export behind a P9Server, through SessionTransport (no socket);
 *   - over a unix socket and TCP (127.0.0.1), to `vfsemu gofer serve` and to diod serving the same
 *     directory (when diod is installed), from vfsemu's synchronous socket transport;
 *   - against node:fs on the directory directly (statSync; openSync + readSync + closeSync).
 *
 * Read the ratios; the machines are noisy, and a socket round trip here crosses three threads (the
 * caller, its transport's worker, the server) on however few cores there are. Each cell is the
 * median of `--rounds` runs of `--ms` / rounds, the columns interleaved round by round, so that a
 * load that comes and goes weighs on all of them alike.
 *
 *   npm run build && npm run build:native && node bench/gofer.mjs [--ms 1000] [--rounds 5]
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { HostExport } from '../dist/host/host-export.js';
import { hostfsUnavailableReason } from '../dist/host/hostfs.js';
import { dialP9 } from '../dist/host/p9-dial.js';
import { decodeMessage, encodeMessage, NOFID, NOTAG, P9Server, SessionTransport } from '../dist/p9/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
function arg(name, fallback) {
  const at = process.argv.indexOf(name);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}
const budgetMs = arg('--ms', 1000);
const rounds = arg('--rounds', 5);
const why = hostfsUnavailableReason();
if (why) {
  console.error(`bench/gofer: ${why}`);
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), 'vfsemu-bench-gofer-'));
const FILES = 100;
for (let k = 0; k < FILES; k++) writeFileSync(join(dir, `f${k}`), Buffer.alloc(4096, k));
const children = [];
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** A raw client over a transport: the few requests the bench sends, each checked. */
function client(t, aname) {
  let tag = 1;
  const rpc = (m) => {
    const r = decodeMessage(t.roundTrip(encodeMessage({ ...m, tag: m.msg === 'Tversion' ? NOTAG : tag++ & 0x7fff })));
    if (r.msg === 'Rlerror') throw new Error(`${m.msg}: errno ${r.ecode}`);
    return r;
  };
  rpc({ msg: 'Tversion', msize: 65536, version: '9P2000.L' });
  rpc({ msg: 'Tattach', fid: 0, afid: NOFID, uname: 'root', aname, nUname: 0 });
  rpc({ msg: 'Twalk', fid: 0, newfid: 1, wnames: ['f0'] });
  let k = 0;
  const next = () => `f${k++ % FILES}`;
  return {
    stat: () => {
      rpc({ msg: 'Twalk', fid: 0, newfid: 2, wnames: [next()] });
      rpc({ msg: 'Tgetattr', fid: 2, requestMask: 0x7ffn });
      rpc({ msg: 'Tclunk', fid: 2 });
    },
    getattr: () => void rpc({ msg: 'Tgetattr', fid: 1, requestMask: 0x7ffn }),
    openReadClose: () => {
      rpc({ msg: 'Twalk', fid: 0, newfid: 2, wnames: [next()] });
      rpc({ msg: 'Tlopen', fid: 2, flags: 0 });
      if (rpc({ msg: 'Tread', fid: 2, offset: 0n, count: 4096 }).data.length !== 4096) throw new Error('short read');
      rpc({ msg: 'Tclunk', fid: 2 });
    },
    close: () => t.close?.(),
  };
}

/** node:fs on the directory: the same three operations. */
function nodeFs() {
  let k = 0;
  const buf = Buffer.alloc(4096);
  const next = () => join(dir, `f${k++ % FILES}`);
  const f0 = join(dir, 'f0');
  return {
    stat: () => void statSync(next()),
    getattr: () => void statSync(f0),
    openReadClose: () => {
      const fd = openSync(next(), 'r');
      readSync(fd, buf, 0, 4096, 0);
      closeSync(fd);
    },
    close: () => undefined,
  };
}

/** ns per call of `fn`, after a warm-up, over about `ms`. */
function nsPerOp(fn, ms) {
  for (let k = 0; k < 50; k++) fn();
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    for (let k = 0; k < 100; k++) fn();
    n += 100;
    t = performance.now();
  }
  return ((t - t0) * 1e6) / n;
}

async function reachable(where) {
  return new Promise((resolve) => {
    const s = where.startsWith('/') ? connect(where) : connect(Number(where.split(':')[1]), '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

async function freePort() {
  const { createServer } = await import('node:net');
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const port = s.address().port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Starts a server process and waits (10 s at most) until `where` accepts connections. */
async function serve(cmd, args, where) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let err = '';
  child.stderr.on('data', (c) => (err += c));
  const deadline = Date.now() + 10_000;
  while (!(await reachable(where))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${cmd} did not listen on ${where}: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const diod = existsSync('/usr/sbin/diod') ? '/usr/sbin/diod' : null;
const columns = [];
columns.push({ name: 'node:fs', make: nodeFs });
const exp = new HostExport(dir);
columns.push({ name: 'in-process', make: () => client(new SessionTransport(new P9Server({ '': exp }).connect()), '') });
const cli = [join(root, 'bin', 'vfsemu.js'), 'gofer', 'serve', dir];
for (const trans of ['unix', 'tcp']) {
  const vPort = await freePort();
  const vWhere = trans === 'unix' ? join(dir, 'vfsemu.sock') : `127.0.0.1:${vPort}`;
  await serve(process.execPath, [...cli, '--listen', trans === 'unix' ? `unix:${vWhere}` : vWhere], vWhere);
  const vDial = trans === 'unix' ? { trans, source: vWhere } : { trans, source: '127.0.0.1', port: vPort };
  columns.push({ name: `vfsemu ${trans}`, make: () => client(dialP9(vDial), dir) });
  if (diod) {
    const dPort = await freePort();
    const dWhere = trans === 'unix' ? join(dir, 'diod.sock') : `127.0.0.1:${dPort}`;
    await serve(diod, ['-f', '-n', '-e', dir, '-l', dWhere], dWhere);
    const dDial = trans === 'unix' ? { trans, source: dWhere } : { trans, source: '127.0.0.1', port: dPort };
    columns.push({ name: `diod ${trans}`, make: () => client(dialP9(dDial), dir) });
  }
}
if (!diod) console.error('bench/gofer: diod is not installed (apt-get install diod): its columns are left out');

const ops = [
  ['stat (walk+getattr+clunk)', 'stat'],
  ['getattr (1 round trip)', 'getattr'],
  ['open-read-close 4 KiB', 'openReadClose'],
];
const clients = columns.map((col) => col.make());
const samples = columns.map(() => Object.fromEntries(ops.map(([, key]) => [key, []])));
for (let r = 0; r < rounds; r++) {
  columns.forEach((_, k) => {
    for (const [, key] of ops) samples[k][key].push(nsPerOp(clients[k][key], budgetMs / rounds));
  });
}
for (const c of clients) c.close();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = Object.fromEntries(columns.map((col, k) => [col.name, Object.fromEntries(ops.map(([, key]) => [key, median(samples[k][key])]))]));

const kernel = spawnSync('uname', ['-r'], { encoding: 'utf8' }).stdout.trim();
console.log(`gofer round trips, ns/op: median of ${rounds} interleaved rounds, ${budgetMs} ms a cell (${cpus().length} CPUs, Linux ${kernel}, Node ${process.version})`);
console.log("anchor: gVisor's stat-heavy benchmark (its gofer, in its sandbox): lisafs 853 ns/op, 9P 1,551 ns/op");
const w = 28;
const cw = 12;
console.log('op'.padEnd(w) + columns.map((c) => c.name.padStart(cw)).join(''));
for (const [label, key] of ops) console.log(label.padEnd(w) + columns.map((c) => Math.round(results[c.name][key]).toLocaleString('en').padStart(cw)).join(''));
console.log('\nratios');
for (const [label, key] of ops) {
  const r = results;
  const parts = [`in-process/node:fs ${(r['in-process'][key] / r['node:fs'][key]).toFixed(1)}x`];
  for (const trans of ['unix', 'tcp']) {
    const v = r[`vfsemu ${trans}`]?.[key];
    const d = r[`diod ${trans}`]?.[key];
    if (v !== undefined) parts.push(`vfsemu ${trans}/node:fs ${(v / r['node:fs'][key]).toFixed(0)}x`);
    if (v !== undefined && d !== undefined) parts.push(`vfsemu/diod ${trans} ${(v / d).toFixed(2)}x`);
  }
  console.log(`${label.padEnd(w)}${parts.join(', ')}`);
}
exp.dispose();
process.exit(0);
