#!/usr/bin/env node
/**
 * The 9P decoder and gofer server under random input: `count` messages (default 10^6), half of
 * them hostile frames for the decoder alone (random bytes, random bodies under good headers,
 * mutated valid frames), half of them steps of random request scripts run through sessions of a
 * server exporting /srv of a sandbox (src/p9/fuzz.ts has the arbitraries and the judge,
 * `exchange`). Prints a table: answered (for the decoder: decoded to a message; for the server: a
 * decodable request got its reply), rejected (a decode error — answered Rlerror by the server —
 * or a closed connection), crashed (any other exception, or a reply that breaks the protocol),
 * which must be 0; and whether anything outside the export changed in any sandbox. Exits 1 if
 * anything crashed or escaped.
 *
 *   npm run build && node bench/p9-fuzz.mjs [count] [--seed N]
 */
import fc from 'fast-check';
import { performance } from 'node:perf_hooks';
import { createSandbox } from '../dist/index.js';
import { decodeMessage, P9DecodeError } from '../dist/p9/index.js';
import { buildFuzzTree, FUZZ_ROOT, fuzzServer, hostileFrameArbitrary, runScript, scriptArbitrary, treeSnapshot } from '../dist/p9/fuzz.js';

const args = process.argv.slice(2);
const seedAt = args.indexOf('--seed');
const seed = seedAt >= 0 ? Number(args[seedAt + 1]) : 0x9e2000;
const positional = args.filter((a, i) => !a.startsWith('--') && !(seedAt >= 0 && i === seedAt + 1));
const count = Number(positional[0] ?? 1_000_000);
if (!Number.isSafeInteger(count) || count < 2) throw new Error(`count: ${count} is not a number of messages`);

/** Scripts share a sandbox this many at a time: enough for the tree to grow, not so many that it is all the fuzz sees. */
const SCRIPTS_PER_SANDBOX = 50;
const SCRIPT_STEPS = 40;
const BATCH = 2000;

const crashes = [];
function crashed(where, e) {
  if (crashes.length < 5) crashes.push(`${where}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
}

function decoderRow(n) {
  const row = { messages: 0, answered: 0, decodeErrors: 0, closes: 0, crashed: 0 };
  const t0 = performance.now();
  for (let batch = 0; row.messages < n; batch++) {
    for (const frame of fc.sample(hostileFrameArbitrary, { numRuns: Math.min(BATCH, n - row.messages), seed: seed + batch })) {
      row.messages++;
      try {
        decodeMessage(frame);
        row.answered++;
      } catch (e) {
        if (e instanceof P9DecodeError) row.decodeErrors++;
        else {
          row.crashed++;
          crashed('decoder', e);
        }
      }
    }
  }
  return { ...row, us: ((performance.now() - t0) * 1000) / row.messages };
}

function serverRow(n) {
  const seen = { answered: 0, rejected: 0, closed: 0 };
  const row = { crashed: 0, sandboxes: 0, escaped: 0 };
  let messages = 0;
  let generation = 0;
  const t0 = performance.now();
  while (messages < n) {
    const p = createSandbox().process;
    buildFuzzTree(p);
    const before = treeSnapshot(p, FUZZ_ROOT).join('\n');
    const server = fuzzServer(p);
    const scripts = fc.sample(scriptArbitrary(SCRIPT_STEPS), { numRuns: SCRIPTS_PER_SANDBOX, seed: seed + 1_000_000 + generation++ });
    for (const script of scripts) {
      if (messages >= n) break;
      const steps = script.slice(0, n - messages);
      messages += steps.length;
      try {
        runScript(server, steps, seen);
      } catch (e) {
        row.crashed++;
        crashed('server', e);
      }
    }
    row.sandboxes++;
    if (treeSnapshot(p, FUZZ_ROOT).join('\n') !== before) row.escaped++;
  }
  const us = ((performance.now() - t0) * 1000) / messages;
  return { messages, answered: seen.answered, decodeErrors: seen.rejected, closes: seen.closed, crashed: row.crashed, us, sandboxes: row.sandboxes, escaped: row.escaped };
}

const decoder = decoderRow(Math.floor(count / 2));
const server = serverRow(count - Math.floor(count / 2));

const fmt = (n) => n.toLocaleString('en-US');
const rows = [
  ['', 'messages', 'answered', 'rejected: decode error', 'rejected: close', 'crashed', 'µs a message'],
  ['decoder (hostile frames)', fmt(decoder.messages), fmt(decoder.answered), fmt(decoder.decodeErrors), '-', fmt(decoder.crashed), decoder.us.toFixed(2)],
  ['server (request scripts)', fmt(server.messages), fmt(server.answered), fmt(server.decodeErrors), fmt(server.closes), fmt(server.crashed), server.us.toFixed(2)],
];
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
for (const r of rows) console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
console.log(`\nseed ${seed}; outside the export root: changed in ${server.escaped} of ${server.sandboxes} sandboxes`);
for (const c of crashes) console.log(`\n${c}`);
process.exitCode = decoder.crashed + server.crashed + server.escaped === 0 ? 0 : 1;
