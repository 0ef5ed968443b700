/**
 * `vfsemu plan run PLAN.json [--backend emulated|native] [--json]` (docs/plan-format.md
 * "Running a plan"): exit 0 when the plan ran (failed ops are outcomes), 2 for a malformed plan,
 * 3 for a backend that cannot run here.
 *
 * The plan file is read through one descriptor and at most MAX_PLAN_BYTES + 1 bytes of it, so a
 * FIFO, /dev/zero or a huge file is refused with a message instead of filling memory. The
 * readable outcome shows long strings (a write's data, a read's bytes) cut, with their length;
 * `--json` has them whole.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { totalmem } from 'node:os';
import { NativeBackend } from '../host/native.js';
import { allowListDialer } from '../host/p9-dial.js';
import { AddressError, parseP9Address, type P9Address } from '../host/p9-address.js';
import { runEmulated } from '../plan/emulated.js';
import { BackendUnavailable, type OpResult, type Outcome } from '../plan/outcome.js';
import { MAX_PLAN_BYTES, parsePlan, PlanError, planTooLarge, type Plan, type PlanOp } from '../plan/plan.js';

export interface PlanRunOptions {
  backend: string;
  json: boolean;
  /** 9P servers a plan's `mount -t 9p` may reach (`--allow-9p`); none by default: plans are untrusted. */
  allow9p?: string[];
}

export interface CliIo {
  out(s: string): void;
  err(s: string): void;
}

/** The machine's RAM in pages, so `size=N%` means what it means to this host's kernel. */
export function hostRamPages(): number {
  return Math.floor(totalmem() / 4096);
}

/** Strings past this many characters are shown cut in the readable outcome. */
const SHOWN_CHARS = 64;

/** JSON of a value with every long string cut to its start, an ellipsis and its length. */
function shortJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'string' && x.length > SHOWN_CHARS ? `${x.slice(0, SHOWN_CHARS)}… (${x.length} chars)` : x));
}

function describe(op: PlanOp): string {
  const { op: name, ...rest } = op;
  return `${name} ${shortJson(rest)}`;
}

function describeResult(r: OpResult): string {
  if (!r.ok) return 'notRun' in r ? `not run (${r.reason})` : 'refused' in r ? `refused (${r.refused}: ${r.reason})` : r.errno;
  if (r.stat) return `ok ${JSON.stringify(r.stat)}`;
  if (r.data !== undefined) return `ok ${shortJson(r.data)}`;
  if (r.names) return `ok ${JSON.stringify(r.names)}`;
  return 'ok';
}

/** The human-readable outcome: one line an op, then the mountinfo. */
export function formatOutcome(plan: Plan, o: Outcome): string {
  const width = String(plan.ops.length - 1).length;
  let s = `backend: ${o.backend}\n`;
  o.results.forEach((r, i) => {
    s += `[${String(i).padStart(width)}] ${describe(plan.ops[i]!)} -> ${describeResult(r)}\n`;
  });
  s += '\nmountinfo:\n';
  for (const l of o.mountinfo) s += `  ${l}\n`;
  return s;
}

/** A file's text, read through one descriptor; more than `max` bytes is a PlanError. */
function readBounded(file: string, max = MAX_PLAN_BYTES): string {
  const fd = openSync(file, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const b = Buffer.allocUnsafe(Math.min(1 << 20, max + 1 - total));
      const n = readSync(fd, b, 0, b.length, null);
      if (n === 0) break;
      chunks.push(b.subarray(0, n));
      total += n;
      if (total > max) throw planTooLarge();
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

export function runPlanCommand(file: string, opts: PlanRunOptions, io: CliIo): number {
  let text: string;
  try {
    text = readBounded(file);
  } catch (e) {
    if (e instanceof PlanError) {
      io.err(`vfsemu: malformed plan ${file}: ${e.message}\n`);
      return 2;
    }
    io.err(`vfsemu: cannot read plan ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
    return 2;
  }
  let plan: Plan;
  try {
    plan = parsePlan(text);
  } catch (e) {
    if (e instanceof PlanError) {
      io.err(`vfsemu: malformed plan ${file}: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  let allowed: P9Address[];
  try {
    allowed = (opts.allow9p ?? []).map(parseP9Address);
  } catch (e) {
    if (!(e instanceof AddressError)) throw e;
    io.err(`vfsemu: --allow-9p: ${e.message}\n`);
    return 2;
  }
  let outcome: Outcome;
  try {
    // A 9p mount in the plan reaches only the servers the user named (--allow-9p): a plan is
    // untrusted input and may not open connections of its choosing from this host.
    if (opts.backend === 'emulated') outcome = runEmulated(plan, { totalRamPages: hostRamPages(), p9Dial: allowListDialer(allowed) });
    else if (opts.backend === 'native') outcome = new NativeBackend().run(plan);
    else {
      io.err(`vfsemu: unknown backend ${JSON.stringify(opts.backend)}; expected emulated or native\n`);
      return 2;
    }
  } catch (e) {
    if (e instanceof BackendUnavailable) {
      io.err(`vfsemu: backend ${opts.backend} cannot run here: ${e.message}\n`);
      return 3;
    }
    throw e;
  }
  io.out(opts.json ? JSON.stringify(outcome, null, 2) + '\n' : formatOutcome(plan, outcome));
  return 0;
}
