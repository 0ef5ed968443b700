/**
 * Outcome comparison across backends (docs/plan-format.md "Outcome document"): results must be
 * equal exactly; mountinfo tables are equal once the numbers a backend may choose freely — mount
 * ids, parent ids, device numbers, peer-group ids — are replaced by tokens that keep only their
 * structure (which lines share them). One function for tests, the parity harness and the CLI.
 */
import type { OpResult, Outcome } from './outcome.js';
import type { Plan } from './plan.js';

export interface MountTables {
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
 * Replaces what may differ between backends by structure: mount ids and parent ids share one
 * numbering, MAJ:MIN another, peer groups (`shared:N`, `master:N`, `propagate_from:N`) a third.
 * The numbering runs over every namespace's table in order and then the final table, so the same
 * mount, superblock or peer group gets the same token wherever it appears (all three are global
 * in the kernel). A parent id that is no mount of the same table — the sandbox root's parent,
 * which lies outside the sandbox — becomes `^`.
 *
 * @example
 * ```ts
 * normaliseMountinfo({ mountinfo: [], namespaces: [['84 64 0:39 / / rw - tmpfs none rw',
 *   '85 84 0:40 / /s rw shared:7 - tmpfs x rw']] });
 * // namespaces: [['M1 ^ D1 / / rw - tmpfs none rw', 'M2 M1 D2 / /s rw shared:P1 - tmpfs x rw']]
 * ```
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

export interface Comparison {
  equal: boolean;
  /** Empty when equal; otherwise a readable report naming each differing op and table line. */
  diff: string;
}

function sameResult(a: OpResult, b: OpResult): boolean {
  // An op that never ran equals nothing, not even another op that never ran, unless both plans
  // stopped deliberately at the same op.
  if ('notRun' in a || 'notRun' in b) return 'stoppedAt' in a && 'stoppedAt' in b && a.stoppedAt !== undefined && a.stoppedAt === b.stoppedAt;
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A line diff (longest common subsequence): `  ` both, `- ` only in a, `+ ` only in b. */
export function lineDiff(a: readonly string[], b: readonly string[]): string[] {
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      out.push(`  ${a[i++]}`);
      j++;
    } else if (j >= m || (i < n && lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) out.push(`- ${a[i++]}`);
    else out.push(`+ ${b[j++]}`);
  }
  return out;
}

/**
 * Compares two outcomes of the same plan.
 *
 * @example
 * ```ts
 * const c = compareOutcomes(plan, runEmulated(plan), runNativeSync(plan));
 * if (!c.equal) console.log(c.diff);
 * ```
 */
export function compareOutcomes(plan: Plan, a: Outcome, b: Outcome): Comparison {
  const out: string[] = [];
  const count = Math.max(a.results.length, b.results.length, plan.ops.length);
  for (let i = 0; i < count; i++) {
    const ra = a.results[i];
    const rb = b.results[i];
    if (ra && rb && sameResult(ra, rb)) continue;
    out.push(`op ${i} ${JSON.stringify(plan.ops[i] ?? null)}`);
    out.push(`  ${a.backend}: ${JSON.stringify(ra ?? null)}`);
    out.push(`  ${b.backend}: ${JSON.stringify(rb ?? null)}`);
  }
  const na = normaliseMountinfo(a);
  const nb = normaliseMountinfo(b);
  const tables: [string, string[], string[]][] = [];
  const nsCount = Math.max(na.namespaces.length, nb.namespaces.length);
  for (let k = 0; k < nsCount; k++) tables.push([`namespace ${k}`, na.namespaces[k] ?? [], nb.namespaces[k] ?? []]);
  tables.push(['mountinfo (the namespace the plan ended in)', na.mountinfo, nb.mountinfo]);
  if (na.namespaces.length !== nb.namespaces.length) out.push(`namespaces: ${a.backend} made ${na.namespaces.length}, ${b.backend} made ${nb.namespaces.length}`);
  for (const [name, ta, tb] of tables) {
    if (ta.length === tb.length && ta.every((l, i) => l === tb[i])) continue;
    out.push(`${name} (- ${a.backend}, + ${b.backend}; ids normalised):`);
    for (const l of lineDiff(ta, tb)) out.push(`  ${l}`);
  }
  return { equal: out.length === 0, diff: out.join('\n') };
}
