/**
 * The node:fs conformance suite: every scenario of conformance/scenarios.mjs runs on
 * `createFs(sandbox.process)` and on real node:fs over a tmpfs directory (/dev/shm), the latter in
 * a spawned `node` (as root, or as uid/gid 1000 for the scenarios that name it), and the two
 * records — values, and errors with class, code, errno, syscall, path, dest and message — must be
 * equal. The sandbox runs each scenario at the same absolute path, with the same umask (022) and,
 * for uid 1000, credentials 1000:1000 without capabilities.
 *
 * Needs root (to run the real side as another user); skipped with the reason printed otherwise.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createSandbox } from '../../src/index.js';
import { createFs } from '../../src/node/index.js';
import { Credentials } from '../../src/vfs/creds.js';
// @ts-expect-error plain JavaScript shared with the spawned real side
import { recorder } from './conformance/record.mjs';
// @ts-expect-error plain JavaScript shared with the spawned real side
import { scenarioDir, scenarios } from './conformance/scenarios.mjs';

interface Scenario {
  name: string;
  uid?: number;
  setup(fs: unknown, dir: string): void;
  run(fs: unknown, r: unknown, dir: string): Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));
const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('conformance: skipped, the real side needs root to run as uid 1000');

/**
 * Runs the real side once for every scenario: setup and root runs as root, then the uid 1000 runs.
 * The scripts are copied under the temporary root first, where uid 1000 can read them wherever
 * the checkout is.
 */
function realRecords(root: string): Record<string, unknown[]> {
  const scripts = join(root, '.runner');
  mkdirSync(scripts, { mode: 0o755 });
  for (const f of ['run-real.mjs', 'record.mjs', 'scenarios.mjs']) copyFileSync(join(here, 'conformance', f), join(scripts, f));
  const runner = join(scripts, 'run-real.mjs');
  const run = (phase: string, uid?: number) => {
    const r = spawnSync(process.execPath, [runner, root, phase], { encoding: 'utf8', uid, gid: uid, maxBuffer: 64 << 20, cwd: root });
    if (r.status !== 0) throw new Error(`real side (${phase}) failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as Record<string, unknown[]>;
  };
  return { ...run('setup'), ...run('user', 1000) };
}

/** The same scenario on a fresh sandbox, at the same path. */
async function sandboxRecord(root: string, s: Scenario): Promise<unknown[]> {
  const sandbox = createSandbox();
  const p = sandbox.process;
  p.umask = 0o022;
  const fs = createFs(p);
  const dir = scenarioDir(root, s) as string;
  fs.mkdirSync(root, { recursive: true });
  fs.chmodSync('/dev/shm', 0o1777);
  fs.chmodSync(root, 0o755);
  fs.mkdirSync(dir);
  fs.chmodSync(dir, 0o777);
  s.setup(fs, dir);
  if (s.uid !== undefined) p.creds = new Credentials(s.uid, s.uid, [], 0n);
  p.chdir(dir);
  const r = recorder(fs, dir) as { out: unknown[] };
  await s.run(fs, r, dir);
  return r.out;
}

describe.skipIf(!isRoot)('node:fs conformance (sandbox vs real tmpfs)', () => {
  const root = isRoot ? mkdtempSync('/dev/shm/vfsemu-conf-') : '';
  if (isRoot) chmodSync(root, 0o755);
  let real: Record<string, unknown[]> | Error | undefined;
  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it.each((scenarios as Scenario[]).map((s) => [s.name, s] as const))('%s', async (_name, s) => {
    if (real === undefined) {
      try {
        real = realRecords(root);
      } catch (e) {
        real = e as Error;
      }
    }
    if (real instanceof Error) throw real;
    const mine = await sandboxRecord(root, s);
    const theirs = real[s.name]!;
    // Every step that differs, named: [label, sandbox's record, node:fs's record].
    const labels = (theirs as [string, unknown][]).map(([l]) => l);
    expect((mine as [string, unknown][]).map(([l]) => l)).toEqual(labels);
    const differ = labels.flatMap((l, i) => {
      const a = (mine[i] as unknown[])[1];
      const b = (theirs[i] as unknown[])[1];
      return JSON.stringify(a) === JSON.stringify(b) ? [] : [[l, a, b]];
    });
    if (process.env.CONFORMANCE_DUMP) writeFileSync(`${process.env.CONFORMANCE_DUMP}/${s.name}.json`, JSON.stringify(differ));
    expect(differ).toEqual([]);
  });
});
