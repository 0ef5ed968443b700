#!/usr/bin/env node
/**
 * Median time of a dry-run of the runc default spec (examples/bundles/runc-default, as the runc
 * oracle runs it: `cat /proc/self/mountinfo`, but without its terminal, for which runc would want
 * script(1)), with its peers in the same run:
 *
 * - `predictRunc`: the prediction itself — runc's algorithm on the emulator, recording the plan
 *   (what `vfsemu dry-run` spends beyond reading files and printing);
 * - `dry-run command`: runDryRunCommand in process with --host (config.json and bundle.json read
 *   and validated, this host's facts read, the prediction, the tree printed to a sink);
 * - `emulated plan`: the recorded plan replayed on a fresh emulator (runEmulated);
 * - `native plan`: the same plan applied to this kernel by the native backend (fork, namespaces,
 *   tmpfs, one syscall an op, mountinfo; runc's mount and network namespaces); cgroups the plan
 *   makes on a cgroup v1 host are removed after each run;
 * - `runc run`: Debian's runc running the same bundle for real (create, start, cat, delete),
 *   timed around the runc process alone (test/boot/record-runc.mjs), when runc is installed and
 *   this is root;
 * - `node bin/vfsemu.js dry-run`: the command as a user runs it, Node's start included.
 *
 * Predictions are for this host's facts (src/host/host-facts.ts), as the native and runc rows
 * run here. Read ratios; the machines are noisy. No test times anything.
 *
 *   npm run build && node bench/dry-run.mjs [--iterations 300]
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { ASSUMED_HOST } from '../dist/boot/host-facts.js';
import { predictRunc } from '../dist/boot/runc-profile.js';
import { loadExample, runDryRunCommand, runNativeCleaningCgroups } from '../dist/cli/dry-run.js';
import { readHostFacts } from '../dist/host/host-facts.js';
import { nativeUnavailableReason } from '../dist/host/native.js';
import { runEmulated } from '../dist/plan/emulated.js';
import { recordingSpec, runcUnavailable, runExample } from '../test/boot/record-runc.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const i = process.argv.indexOf('--iterations');
const iterations = i >= 0 ? Number(process.argv[i + 1]) : 300;
const bundleDir = join(root, 'examples', 'bundles', 'runc-default');
const { spec: exampleSpec, image } = loadExample(bundleDir);
const spec = recordingSpec(exampleSpec, 'runc-default');
spec.process.terminal = false;
const host = readHostFacts() ?? ASSUMED_HOST;
// The example lives in the sandbox, not on the host: no host mount is behind it (as `dry-run` treats examples).
const predict = () => predictRunc(spec, { image, host: { ...host, mounts: [] } });
const first = predict();
if (first.failure) throw new Error(`the example fails: ${first.failure.message}`);

function median(n, fn) {
  for (let w = 0; w < Math.min(n, 10); w++) fn(); // warm-up (the JIT, the addon, the page cache)
  const times = [];
  for (let k = 0; k < n; k++) {
    const t = performance.now();
    const inner = fn();
    times.push(typeof inner === 'number' ? inner : performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const rows = [];
const sink = { out() {}, err() {} };
rows.push(['predictRunc (profile + emulator)', iterations, median(iterations, predict)]);
// The command reads the example as it is: with its terminal (one more op and one more mount).
rows.push(['dry-run command, in process', iterations, median(iterations, () => void runDryRunCommand(bundleDir, { format: 'tree', native: false, host: true }, sink))]);
rows.push(['emulated plan (runEmulated)', iterations, median(iterations, () => runEmulated(first.plan))]);

const nativeWhy = nativeUnavailableReason();
if (nativeWhy) rows.push(['native plan', 0, NaN, nativeWhy]);
else {
  const n = Math.max(20, Math.floor(iterations / 5));
  rows.push(['native plan', n, median(n, () => runNativeCleaningCgroups(first, host))]);
}

const runcWhy = runcUnavailable();
if (runcWhy) rows.push(['runc run', 0, NaN, runcWhy]);
else {
  const n = Math.max(10, Math.floor(iterations / 15));
  rows.push(['runc run (the runc process only)', n, median(n, () => runExample('runc-default', { terminal: false }).ms)]);
}

const cliN = Math.max(10, Math.floor(iterations / 15));
rows.push(['node bin/vfsemu.js dry-run', cliN, median(cliN, () => void spawnSync(process.execPath, [join(root, 'bin', 'vfsemu.js'), 'dry-run'], { stdio: 'ignore' }))]);

const base = rows[0][2];
console.log(`runc-default: ${first.plan.ops.length} plan ops, ${first.view.length} mounts; host facts: ${host.source}`);
console.log(`${'what'.padEnd(38)} ${'runs'.padStart(5)} ${'median ms'.padStart(10)} ${'x predictRunc'.padStart(14)}`);
for (const [what, n, ms, why] of rows) {
  if (why) console.log(`${what.padEnd(38)} ${'-'.padStart(5)} ${'-'.padStart(10)} ${'-'.padStart(14)}  (${why})`);
  else console.log(`${what.padEnd(38)} ${String(n).padStart(5)} ${ms.toFixed(2).padStart(10)} ${(ms / base).toFixed(1).padStart(14)}`);
}
