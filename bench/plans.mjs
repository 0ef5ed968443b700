#!/usr/bin/env node
/**
 * Plans per second on each backend, over the kernel fixtures (test/kernel/fixtures, overlay ones
 * left out: the kernel's overlay setup and teardown take tens of ms and say nothing of the
 * runners), in the same run: the emulator against the native backend (fork, namespace, tmpfs,
 * one syscall an op, mountinfo). Read the ratio; the machines are noisy.
 *
 *   npm run build && node bench/plans.mjs [--rounds 20]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { runEmulated } from '../dist/plan/emulated.js';
import { hostMachine } from '../dist/host/parity.js';
import { nativeUnavailableReason, runNativeSync } from '../dist/host/native.js';

const i = process.argv.indexOf('--rounds');
const rounds = i >= 0 ? Number(process.argv[i + 1]) : 20;
const dir = join(dirname(fileURLToPath(import.meta.url)), '../test/kernel/fixtures');
const plans = readdirSync(dir)
  .filter((n) => n.endsWith('.json') && !n.startsWith('overlay-'))
  .map((n) => JSON.parse(readFileSync(join(dir, n), 'utf8')).plan);
const machine = hostMachine();

function rate(run) {
  for (const p of plans) run(p); // warm-up
  const t = performance.now();
  for (let r = 0; r < rounds; r++) for (const p of plans) run(p);
  return (rounds * plans.length * 1000) / (performance.now() - t);
}

const emu = rate((p) => runEmulated(p, machine));
const why = nativeUnavailableReason();
const nat = why ? NaN : rate((p) => runNativeSync(p));
if (why) console.error(`native column skipped: ${why}`);
console.log('backend   plans/s  ms/plan');
console.log(`emulated  ${emu.toFixed(0).padStart(7)}  ${(1000 / emu).toFixed(2).padStart(7)}`);
if (!why) console.log(`native    ${nat.toFixed(0).padStart(7)}  ${(1000 / nat).toFixed(2).padStart(7)}`);
if (!why) console.log(`emulated/native speed: ${(emu / nat).toFixed(1)}x (${plans.length} fixtures x ${rounds} rounds)`);
