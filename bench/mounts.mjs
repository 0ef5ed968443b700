#!/usr/bin/env node
/**
 * Mount and umount cost in a namespace of 1k, 10k and ~100k mounts, emulator against the host
 * kernel (through the native backend), in the same run. Enough pairs (default 5,000) that their
 * kernel time stands well above the noise of forking and building the namespace. Prints a table with per-op times and
 * the emulator/kernel ratio; the machines are noisy, so read ratios, not absolute numbers.
 *
 *   npm run build && node bench/mounts.mjs [--sizes 1000,10000,99000] [--peers 10,100] [--reps 5000]
 *
 * Emulator: a Process builds N tmpfs mounts, then times `reps` mount+umount pairs of one more.
 * Kernel: the same as plans in the native backend's throw-away namespace; the time of a plan
 * with the pairs minus the time of the same plan without them, so that fork, setup and the N
 * mounts cancel out. fs.mount-max is 100,000 and the child's namespace holds a copy of the
 * host's mounts too, so the largest size stays a little under it.
 */
import { performance } from 'node:perf_hooks';
import { createSandbox } from '../dist/index.js';
import { nativeUnavailableReason, runNativeSync } from '../dist/host/native.js';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const sizes = opt('sizes', '1000,10000,99000').split(',').map(Number);
const peerCounts = opt('peers', '10,100').split(',').map(Number);
const reps = Number(opt('reps', '5000'));

/** `peers` binds of a shared tmpfs at /s, whose x/ the pairs mount on: each event has `peers` copies. */
function sharedSetup(peers) {
  if (!peers) return [{ op: 'mkdir', path: '/x' }];
  const ops = [
    { op: 'mkdir', path: '/s' },
    { op: 'mount', source: 's', target: '/s', fstype: 'tmpfs', flags: [] },
    { op: 'mount', source: '', target: '/s', fstype: '', flags: ['shared'] },
    { op: 'mkdir', path: '/s/x' },
  ];
  for (let i = 0; i < peers; i++) ops.push({ op: 'mkdir', path: `/b${i}` }, { op: 'mount', source: '/s', target: `/b${i}`, fstype: '', flags: ['bind'] });
  return ops;
}

const MOUNT_FLAGS = { shared: 1 << 20, bind: 4096 };

function emulator(n, peers = 0) {
  const p = createSandbox().process;
  for (let i = 0; i < n; i++) {
    p.mkdir(`/m${i}`);
    p.mount('t', `/m${i}`, 'tmpfs', 0, null);
  }
  for (const o of sharedSetup(peers)) {
    if (o.op === 'mkdir') p.mkdir(o.path);
    else p.mount(o.source, o.target, o.fstype || null, o.flags.reduce((a, f) => a | MOUNT_FLAGS[f], 0), null);
  }
  const x = peers ? '/s/x' : '/x';
  const t0 = performance.now();
  for (let r = 0; r < reps; r++) {
    p.mount('x', x, 'tmpfs', 0, null);
    p.umount2(x, 0);
  }
  return ((performance.now() - t0) * 1000) / (2 * reps); // µs an op
}

function kernelPlan(n, pairs, peers = 0) {
  const ops = [];
  for (let i = 0; i < n; i++) ops.push({ op: 'mkdir', path: `/m${i}` }, { op: 'mount', source: 't', target: `/m${i}`, fstype: 'tmpfs', flags: [] });
  ops.push(...sharedSetup(peers));
  const x = peers ? '/s/x' : '/x';
  for (let r = 0; r < pairs; r++) ops.push({ op: 'mount', source: 'x', target: x, fstype: 'tmpfs', flags: [] }, { op: 'umount', target: x, flags: [] });
  return { version: 1, ops };
}

function timeNative(plan) {
  const t0 = performance.now();
  const o = runNativeSync(plan, { timeoutMs: 600_000 });
  const ms = performance.now() - t0;
  const failed = o.results.filter((r) => !r.ok).length;
  if (failed) throw new Error(`${failed} ops failed in the kernel run`);
  return ms;
}

function kernel(n, peers = 0) {
  // Best of three for each plan: noise only ever adds time.
  const best = (plan) => Math.min(timeNative(plan), timeNative(plan), timeNative(plan));
  const base = best(kernelPlan(n, 0, peers));
  const withPairs = best(kernelPlan(n, reps, peers));
  return ((withPairs - base) * 1000) / (2 * reps);
}

// Warm the JIT up before the first measured row.
emulator(100);
const why = nativeUnavailableReason();
if (why) console.error(`kernel column skipped: ${why}`);
const rows = [['mounts', 'peers', 'emulator µs/op', 'kernel µs/op', 'emulator/kernel']];
const row = (n, peers) => {
  const e = emulator(n, peers);
  const k = why ? NaN : kernel(n, peers);
  rows.push([String(n), String(peers), e.toFixed(2), why ? '-' : k.toFixed(2), why ? '-' : (e / k).toFixed(2)]);
};
for (const n of sizes) row(n, 0);
// Propagation: the cost follows the copies an event makes, not the size of the namespace.
for (const peers of peerCounts) row(sizes[0], peers);
const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
for (const r of rows) console.log(r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  '));
console.log(`(${reps} mount+umount pairs of one tmpfs in a namespace of N tmpfs mounts; with peers, under a shared mount with that many bind peers, so each event makes that many copies)`);
