#!/usr/bin/env node
// Overlay lookups through many layers: stat and open+read of files that only the bottom layer
// holds, through 1, 10, 100 and 500 lower layers, on the emulator and on the host kernel's
// overlayfs (the native backend). Each of the K ops names another file, so each is a first lookup
// that goes down every layer (no dentry cache hit). Each figure is the time of a plan with the K
// ops less the same plan with none, divided by K, so that building the layers, mounting and
// (native) forking the sandbox child cancel out; the median of a few rounds. Needs the build (`npx tsc -p .`) and, for
// the kernel column, root and the native addon.
//
//   node bench/overlay.mjs [--ops K] [--rounds R]

import { parseArgs } from 'node:util';
import { runEmulated } from '../dist/plan/emulated.js';
import { nativeUnavailableReason, runNativeSync } from '../dist/host/native.js';

const { values } = parseArgs({ options: { ops: { type: 'string', default: '1000' }, rounds: { type: 'string', default: '5' } } });
const K = Number(values.ops);
const ROUNDS = Number(values.rounds);
const LAYERS = [1, 10, 100, 500];

/** Layers /l/1 … /l/n (K files in /l/n), an empty upper, the overlay on /m, then `k` ops. */
function plan(n, op, k) {
  const ops = [{ op: 'mkdir', path: '/l' }, { op: 'mkdir', path: '/u' }, { op: 'mkdir', path: '/w' }, { op: 'mkdir', path: '/m' }];
  for (let i = 1; i <= n; i++) ops.push({ op: 'mkdir', path: `/l/${i}` });
  for (let i = 0; i < K; i++) ops.push({ op: 'write', path: `/l/${n}/f${i}`, data: 'bottom layer' });
  const lowers = Array.from({ length: n }, (_, i) => `/l/${i + 1}`).join(':');
  ops.push({ op: 'mount', source: 'ov', target: '/m', fstype: 'overlay', flags: [], data: `lowerdir=${lowers},upperdir=/u,workdir=/w` });
  for (let i = 0; i < k; i++) ops.push(op === 'stat' ? { op: 'stat', path: `/m/f${i}` } : { op: 'read', path: `/m/f${i}` });
  return { version: 1, ops };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Microseconds an op: (plan with K ops − plan with none) / K, median of ROUNDS. */
function perOp(run, n, op) {
  const full = plan(n, op, K);
  const empty = plan(n, op, 0);
  const check = run(full).results.at(-1);
  if (!check.ok) throw new Error(`${op} through ${n} layers failed: ${JSON.stringify(check)}`);
  const samples = [];
  for (let r = 0; r < ROUNDS; r++) {
    let t = performance.now();
    run(full);
    const tFull = performance.now() - t;
    t = performance.now();
    run(empty);
    const tEmpty = performance.now() - t;
    samples.push(((tFull - tEmpty) * 1000) / K);
  }
  return Math.max(median(samples), 0);
}

const emulated = (p) => runEmulated(p);
const why = nativeUnavailableReason();
const rows = [['op', 'lowers', 'emulator µs/op', 'kernel µs/op', 'emulator/kernel']];
for (const op of ['stat', 'open+read']) {
  for (const n of LAYERS) {
    const e = perOp(emulated, n, op === 'stat' ? 'stat' : 'read');
    const k = why ? null : perOp(runNativeSync, n, op === 'stat' ? 'stat' : 'read');
    rows.push([op, String(n), e.toFixed(2), k === null ? '-' : k.toFixed(2), k === null || k === 0 ? '-' : (e / k).toFixed(1) + 'x']);
  }
}
const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
console.log(`overlay: ${K} ops a plan, median of ${ROUNDS} rounds${why ? ` (kernel column skipped: ${why})` : ''}`);
for (const r of rows) console.log(r.map((c, i) => (i < 2 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  '));
