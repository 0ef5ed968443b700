#!/usr/bin/env node
/**
 * Mount and umount cost in a namespace of 1k, 10k and ~100k mounts, emulator against the host
 * kernel (through the native backend), in the same run. Enough pairs (default 5,000) that their
 * kernel time stands well above the noise of forking and building the namespace. Prints a table with per-op times and
 * the emulator/kernel ratio; the machines are noisy, so read ratios, not absolute numbers.
 *
 *   npm run build && node bench/mounts.mjs [--sizes 1000,10000,99000] [--reps 5000]
 *
 * Emulator: a Process builds N tmpfs mounts, then times `reps` mount+umount pairs of one more.
 * Kernel: the same as plans in the native backend's throw-away namespace; the time of a plan
 * with the pairs minus the time of the same plan without them, so that fork, setup and the N
 * mounts cancel out. fs.mount-max is 100,000 and the child's namespace holds a copy of the
 * host's mounts too, so the largest size stays a little under it.
 */
import { performance } from 'node:perf_hooks';
import { createSandbox } from '../dist/index.js';
import { nativeUnavailableReason, runNative } from '../dist/host/native.js';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const sizes = opt('sizes', '1000,10000,99000').split(',').map(Number);
const reps = Number(opt('reps', '5000'));

function emulator(n) {
  const p = createSandbox().process;
  for (let i = 0; i < n; i++) {
    p.mkdir(`/m${i}`);
    p.mount('t', `/m${i}`, 'tmpfs', 0, null);
  }
  p.mkdir('/x');
  const t0 = performance.now();
  for (let r = 0; r < reps; r++) {
    p.mount('x', '/x', 'tmpfs', 0, null);
    p.umount2('/x', 0);
  }
  return ((performance.now() - t0) * 1000) / (2 * reps); // µs an op
}

function kernelPlan(n, pairs) {
  const ops = [];
  for (let i = 0; i < n; i++) ops.push({ op: 'mkdir', path: `/m${i}` }, { op: 'mount', source: 't', target: `/m${i}`, fstype: 'tmpfs', flags: [] });
  ops.push({ op: 'mkdir', path: '/x' });
  for (let r = 0; r < pairs; r++) ops.push({ op: 'mount', source: 'x', target: '/x', fstype: 'tmpfs', flags: [] }, { op: 'umount', target: '/x', flags: [] });
  return { version: 1, ops };
}

function timeNative(plan) {
  const t0 = performance.now();
  const o = runNative(plan, { timeoutMs: 600_000 });
  const ms = performance.now() - t0;
  const failed = o.results.filter((r) => !r.ok).length;
  if (failed) throw new Error(`${failed} ops failed in the kernel run`);
  return ms;
}

function kernel(n) {
  // Best of three for each plan: noise only ever adds time.
  const best = (plan) => Math.min(timeNative(plan), timeNative(plan), timeNative(plan));
  const base = best(kernelPlan(n, 0));
  const withPairs = best(kernelPlan(n, reps));
  return ((withPairs - base) * 1000) / (2 * reps);
}

// Warm the JIT up before the first measured row.
emulator(100);
const why = nativeUnavailableReason();
if (why) console.error(`kernel column skipped: ${why}`);
const rows = [['mounts', 'emulator µs/op', 'kernel µs/op', 'emulator/kernel']];
for (const n of sizes) {
  const e = emulator(n);
  const k = why ? NaN : kernel(n);
  rows.push([String(n), e.toFixed(2), why ? '-' : k.toFixed(2), why ? '-' : (e / k).toFixed(2)]);
}
const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
for (const r of rows) console.log(r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  '));
console.log(`(${reps} mount+umount pairs of one tmpfs in a private namespace of N tmpfs mounts)`);
