/**
 * Kernel fixtures: plans whose outcome was recorded on a real kernel (test/kernel/record.py, run
 * as root in `unshare -m --propagation private`), replayed through the emulated backend.
 *
 * Each fixture test/kernel/fixtures/NAME.json is `{ plan, kernel, kernelOptions, recorded }`:
 * `kernel` is the outcome document of shared/plan-format.md without `backend`, `kernelOptions`
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
import type { OpResult } from '../../src/plan/outcome.js';
import { validatePlan, type Plan } from '../../src/plan/plan.js';

interface Fixture {
  plan: Plan;
  kernel: { results: OpResult[]; mountinfo: string[]; namespaces: string[][] };
  kernelOptions: { totalRamPages: number };
  recorded: string;
}

interface MountTables {
  mountinfo: string[];
  namespaces: string[][];
}

/** Numbers each distinct value in order of first appearance: `M1`, `M2`, … */
class Tokens {
  private readonly seen = new Map<string, string>();
  constructor(private readonly prefix: string) {}
  of(value: string): string {
    let t = this.seen.get(value);
    if (t === undefined) {
      t = `${this.prefix}${this.seen.size + 1}`;
      this.seen.set(value, t);
    }
    return t;
  }
}

/**
 * Replaces what may differ between backends (plan-format.md "Outcome document") by structure:
 * mount ids and parent ids share one numbering, MAJ:MIN another, peer groups (`shared:N`,
 * `master:N`, `propagate_from:N`) a third. The numbering runs over every namespace's table in
 * order and then the final table, so the same mount, superblock or peer group gets the same
 * token wherever it appears (all three are global in the kernel). A parent id that is no mount of
 * the same table — the sandbox root's parent, which lies outside the sandbox — becomes `^`.
 *
 * @example
 * normaliseMountinfo({ mountinfo: [], namespaces: [['84 64 0:39 / / rw - tmpfs none rw',
 *   '85 84 0:40 / /s rw shared:7 - tmpfs x rw']] })
 * // namespaces: [['M1 ^ D1 / / rw - tmpfs none rw', 'M2 M1 D2 / /s rw shared:P1 - tmpfs x rw']]
 */
export function normaliseMountinfo(tables: MountTables): MountTables {
  const ids = new Tokens('M');
  const devs = new Tokens('D');
  const groups = new Tokens('P');
  const table = (lines: string[]): string[] => {
    const own = new Set(lines.map((l) => l.split(' ')[0]));
    return lines.map((line) => {
      const f = line.split(' ');
      const sep = f.indexOf('-', 6);
      // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS
      f[0] = ids.of(f[0]!);
      f[1] = own.has(f[1]!) ? ids.of(f[1]!) : '^';
      f[2] = devs.of(f[2]!);
      for (let i = 6; i < (sep < 0 ? f.length : sep); i++) {
        f[i] = f[i]!.replace(/^(shared|master|propagate_from):(\d+)$/, (_, kind: string, n: string) => `${kind}:${groups.of(n)}`);
      }
      return f.join(' ');
    });
  };
  const namespaces = tables.namespaces.map(table);
  return { namespaces, mountinfo: table(tables.mountinfo) };
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
    const run = () => runEmulated(plan, { totalRamPages: fixture.kernelOptions.totalRamPages });

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
