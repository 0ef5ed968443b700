/**
 * Kernel facts: what the unit tests expect of Linux, as test/kernel/record-facts.py recorded it
 * on a real kernel (test/kernel/facts/GROUP.json), not typed in by hand. A unit test keeps its
 * emulator side — the world it builds, the call it makes — and takes the expected answer from
 * the recording by table and case name; test/kernel/recorded-facts.test.ts reruns the recorder
 * (with CAP_SYS_ADMIN) and checks that the kernel still answers what the files say.
 *
 * @example
 * ```ts
 * const K = kernelFacts('syscalls-names');
 * it.each(K.cases('trailing slashes', { 'mkdir f (exists)': (p: Process) => p.mkdir('/f') }))(
 *   '%s -> %s', (_n, expected, op) => expect(errOf(() => op(world()))).toBe(expected));
 * ```
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

/** One recording: test/kernel/facts/GROUP.json. */
export interface FactsDocument {
  group: string;
  /** What the group holds (the recorder module's first doc line). */
  about: string;
  /** The command that records it again. */
  rerun: string;
  /** `uname -r` and `uname -m` of the recording machine. */
  kernel: string;
  machine: string;
  /** Host settings the answers depend on (fs.protected_hardlinks, tmpfs's default huge=). */
  conditions: Record<string, unknown>;
  /** table name -> case name -> the kernel's answer ('OK', an errno name, or a value). */
  facts: Record<string, Record<string, unknown>>;
}

export const FACTS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'facts');

export function readFacts(group: string, dir = FACTS_DIR): FactsDocument {
  return JSON.parse(readFileSync(join(dir, `${group}.json`), 'utf8')) as FactsDocument;
}

/** The recorded answers of one group, looked up by table and case. */
export class KernelFacts {
  /** `table\0case` of every answer looked up so far. */
  private readonly used = new Set<string>();

  constructor(readonly doc: FactsDocument) {}

  /** One table, every answer of it counted as used; throws when it was not recorded. */
  table(name: string): Record<string, unknown> {
    const t = this.lookup(name);
    for (const key of Object.keys(t)) this.used.add(`${name}\0${key}`);
    return t;
  }

  /** One answer; throws when it was not recorded. */
  get(table: string, key: string): unknown {
    const t = this.lookup(table);
    if (!Object.prototype.hasOwnProperty.call(t, key)) {
      throw new Error(`${this.where()} table ${JSON.stringify(table)} has no case ${JSON.stringify(key)}; record it (${this.doc.rerun})`);
    }
    this.used.add(`${table}\0${key}`);
    return t[key];
  }

  /**
   * `table: case` of each recorded answer no lookup has asked for: a test that ran all its cases
   * expects none, so that a recorded fact cannot stop being checked unnoticed.
   */
  unused(): string[] {
    return Object.entries(this.doc.facts).flatMap(([table, t]) =>
      Object.keys(t)
        .filter((key) => !this.used.has(`${table}\0${key}`))
        .map((key) => `${table}: ${key}`),
    );
  }

  private lookup(name: string): Record<string, unknown> {
    const t = this.doc.facts[name];
    if (t === undefined) throw new Error(`${this.where()} has no table ${JSON.stringify(name)}; record it (${this.doc.rerun})`);
    return t;
  }

  /**
   * `[name, answer]` rows for `it.each`, in the test's order. Throws when the test and the
   * recording do not name the same cases, so that neither can drift from the other.
   */
  answers(table: string, names: readonly string[]): [string, unknown][] {
    const t = this.lookup(table);
    const extra = Object.keys(t).filter((k) => !names.includes(k));
    if (extra.length) throw new Error(`${this.where()} table ${JSON.stringify(table)} has cases the test does not: ${extra.join('; ')}`);
    return names.map((name) => [name, this.get(table, name)]);
  }

  /**
   * `[name, answer, op]` rows for `it.each`: the test's ops by case name, each with the kernel's
   * answer (second, so that a title `'%s -> %s'` shows it).
   */
  cases<T>(table: string, ops: Record<string, T>): [string, unknown, T][] {
    return this.answers(table, Object.keys(ops)).map(([name, answer]) => [name, answer, ops[name]!]);
  }

  private where(): string {
    return `test/kernel/facts/${this.doc.group}.json`;
  }
}

/** The recording of `group` (a file name under test/kernel/facts without .json). */
export function kernelFacts(group: string): KernelFacts {
  return new KernelFacts(readFacts(group));
}

/**
 * The last test of a file that takes its expected values from `facts`: every recorded answer was
 * looked up by one of its tests, so none stops being checked against the emulator unnoticed.
 */
export function itChecksEveryAnswer(facts: KernelFacts): void {
  it(`checks every answer of test/kernel/facts/${facts.doc.group}.json`, () => {
    expect(facts.unused()).toEqual([]);
  });
}
