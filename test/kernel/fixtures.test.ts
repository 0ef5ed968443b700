/**
 * Kernel fixtures: plans whose outcome was recorded on a real kernel (test/kernel/record.py, run
 * as root in `unshare -m --propagation private`), replayed through the emulated backend.
 *
 * Each fixture test/kernel/fixtures/NAME.json is `{ plan, kernel, kernelOptions, recorded }`:
 * `kernel` is the outcome document of docs/plan-format.md without `backend`, `kernelOptions`
 * what the emulator must know about the recording machine (its RAM, for tmpfs `size=N%`).
 * To add one, write test/kernel/plans/NAME.json and run record.py on it.
 *
 * Results must match exactly. mountinfo lines must match exactly once mount ids, device numbers
 * and peer-group numbers are replaced by tokens that keep only their structure (see
 * `normaliseMountinfo`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runEmulated } from '../../src/plan/emulated.js';
import { normaliseMountinfo } from '../../src/plan/compare.js';
import type { OpResult } from '../../src/plan/outcome.js';
import { validatePlan, type Plan } from '../../src/plan/plan.js';

interface Fixture {
  plan: Plan;
  kernel: { results: OpResult[]; mountinfo: string[]; namespaces: string[][] };
  /** The recording machine: RAM pages, and (recorded since setcred) the capabilities as hex. */
  kernelOptions: { totalRamPages: number; caps?: string };
  recorded: string;
}

/** Results with the op each belongs to, so that a diff names the op. */
function annotated(plan: Plan, results: OpResult[]): string[] {
  return results.map((r, i) => `${i} ${JSON.stringify(plan.ops[i])} => ${JSON.stringify(r)}`);
}

const dir = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const fixtures = readdirSync(dir)
  .filter((n) => n.endsWith('.json'))
  .sort()
  .map((n) => ({ name: n.replace(/\.json$/, ''), fixture: JSON.parse(readFileSync(join(dir, n), 'utf8')) as Fixture }));

describe('normaliseMountinfo', () => {
  it('numbers ids, devices and peer groups by first appearance, across namespaces', () => {
    const out = normaliseMountinfo({
      mountinfo: ['109 89 0:39 / / rw - tmpfs none rw', '110 109 0:40 / /s rw master:7 - tmpfs x rw'],
      namespaces: [
        ['84 64 0:39 / / rw - tmpfs none rw', '85 84 0:40 / /s rw shared:7 - tmpfs x rw'],
        ['109 89 0:39 / / rw - tmpfs none rw', '110 109 0:40 / /s rw master:7 - tmpfs x rw'],
      ],
    });
    expect(out.namespaces).toEqual([
      ['M1 ^ D1 / / rw - tmpfs none rw', 'M2 M1 D2 / /s rw shared:P1 - tmpfs x rw'],
      ['M3 ^ D1 / / rw - tmpfs none rw', 'M4 M3 D2 / /s rw master:P1 - tmpfs x rw'],
    ]);
    expect(out.mountinfo).toEqual(out.namespaces[1]);
  });

  it('leaves an empty source field alone', () => {
    expect(normaliseMountinfo({ mountinfo: ['5 4 0:9 / /e rw - tmpfs  rw'], namespaces: [] }).mountinfo).toEqual(['M1 ^ D1 / /e rw - tmpfs  rw']);
  });
});

describe('emulated backend against kernel recordings', () => {
  it('has fixtures', () => {
    expect(fixtures.length).toBeGreaterThan(0);
  });

  describe.each(fixtures)('$name', ({ fixture }) => {
    const plan = validatePlan(fixture.plan);
    const { totalRamPages, caps } = fixture.kernelOptions;
    // The recordings are of the bare kernel (record.py has no sandbox policy): replay without it.
    const run = () => runEmulated(plan, { totalRamPages, policy: false, ...(caps ? { caps: BigInt(caps) } : {}) });

    it('gives each op the kernel result', () => {
      expect(annotated(plan, run().results)).toEqual(annotated(plan, fixture.kernel.results));
    });

    it('ends with the kernel mountinfo in every namespace', () => {
      const emu = normaliseMountinfo(run());
      const kernel = normaliseMountinfo(fixture.kernel);
      expect(emu.namespaces).toEqual(kernel.namespaces);
      expect(emu.mountinfo).toEqual(kernel.mountinfo);
    });
  });
});
