/**
 * The kernel facts still hold: test/kernel/record-facts.py is run again, into a temporary
 * directory, and each fresh recording must give the answers of the committed one
 * (test/kernel/facts/GROUP.json), which the unit tests take as their expected values. This is
 * what makes a claim of the form "Linux does X" re-checkable: on a new kernel, this test says
 * which answer changed; `python3 test/kernel/record-facts.py` (as root) records them again.
 *
 * It needs root with CAP_SYS_ADMIN (the recorder forks each case into its own mount namespace,
 * mounts tmpfs, overlay and devpts there, and changes credentials); without them it is skipped
 * and says why. `kernel` and `machine` (uname) may differ from the committed files; the answers
 * may not. Where this host's settings differ from the recording's `conditions`
 * (fs.protected_hardlinks, tmpfs's default huge=), that group is skipped with the difference.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasCapSysAdmin } from '../../src/host/caps.js';
import { FACTS_DIR, readFacts } from './facts.js';
import { inCi, itHasTheOracle, oracleSkipped } from '../oracles.js';

const RECORDER = join(dirname(fileURLToPath(import.meta.url)), 'record-facts.py');
const groups = readdirSync(FACTS_DIR)
  .filter((n) => n.endsWith('.json'))
  .map((n) => n.replace(/\.json$/, ''))
  .sort();

const skipReason = !hasCapSysAdmin()
  ? 'no CAP_SYS_ADMIN in the effective set'
  : process.geteuid?.() !== 0
    ? 'not running as uid 0'
    : null;
if (skipReason) {
  console.log(`test/kernel/recorded-facts skipped: ${skipReason}; record-facts.py needs root to ask the kernel again (the committed answers are still used by the unit tests)`);
}

/**
 * Groups whose recorder needs an outside program (test/oracles.ts: a printed skip on a developer's
 * machine without it, a failure under CI=true, where .ci/run installs it).
 */
const NEEDS: Record<string, { program: string; missing: string }> = {
  'loop-fuse': { program: 'mkfs.ext4', missing: 'mkfs.ext4 is not installed (apt-get install e2fsprogs)' },
};
const unavailable = new Map(
  Object.entries(NEEDS)
    .filter(([group, n]) => groups.includes(group) && spawnSync('sh', ['-c', `command -v ${n.program}`]).status !== 0)
    .map(([group, n]) => [group, n.missing]),
);
const skippedGroups = new Set([...unavailable].filter(([group, why]) => oracleSkipped(`test/kernel/recorded-facts (${group})`, why)).map(([group]) => group));

describe.skipIf(skipReason !== null)('kernel facts (test/kernel/facts) recorded again on this kernel', () => {
  let fresh = '';
  const recorded = groups.filter((g) => !skippedGroups.has(g));

  beforeAll(() => {
    fresh = mkdtempSync(join(tmpdir(), 'vfsemu-facts-'));
    execFileSync('python3', ['-B', RECORDER, ...(skippedGroups.size ? recorded : []), '-o', fresh], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 120_000 });
  }, 150_000);

  afterAll(() => {
    if (fresh) rmSync(fresh, { recursive: true, force: true });
  });

  it('records every committed group, and only those', () => {
    expect(readdirSync(fresh).filter((n) => n.endsWith('.json')).map((n) => n.replace(/\.json$/, '')).sort()).toEqual(recorded);
  });

  // Under CI=true a missing program is not skipped: say which, before the group's recording fails.
  for (const [group, why] of unavailable) if (!skippedGroups.has(group)) itHasTheOracle(`what the ${group} recorder runs`, why);

  it.for(recorded)('%s: the kernel gives the committed answers', (group, ctx) => {
    const committed = readFacts(group);
    const now = readFacts(group, fresh);
    const settings = JSON.stringify(now.conditions) !== JSON.stringify(committed.conditions);
    // A host whose settings differ from the recording's (fs.protected_hardlinks, tmpfs huge=)
    // answers other questions: a printed skip on a developer's machine, a failure under CI=true,
    // whose machine the recording must describe.
    if (settings && !inCi) {
      const note = `${group}: this host has ${JSON.stringify(now.conditions)}, the recording ${JSON.stringify(committed.conditions)}`;
      console.log(`test/kernel/recorded-facts skipped ${note}`);
      ctx.skip(note);
    }
    expect(now.conditions).toEqual(committed.conditions);
    expect({ group: now.group, rerun: now.rerun, facts: now.facts }).toEqual({ group: committed.group, rerun: committed.rerun, facts: committed.facts });
  });
});
