/**
 * Shared helpers of the property suites: seeds, a SysError-only runner and the mountinfo grammar.
 *
 * Every suite runs with a fixed seed, printed in the test's name; set FC_SEED to replay another
 * one and FC_RUNS to change the number of runs (e.g. `FC_SEED=42 FC_RUNS=2000 npx vitest run test/property`).
 */
import { expect } from 'vitest';
import { SysError } from '../../src/index.js';

/** The seed of a suite: FC_SEED when set, else the suite's fixed one. */
export function seedFor(fixed: number): number {
  const env = process.env.FC_SEED;
  return env !== undefined && env !== '' ? Number(env) : fixed;
}

/** The number of runs of a property: FC_RUNS when set, else `n`. */
export function runsFor(n: number): number {
  const env = process.env.FC_RUNS;
  return env !== undefined && env !== '' ? Number(env) : n;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; code: string };

/** Runs one syscall: a value, or the errno of a SysError; anything else thrown escapes (a bug). */
export function attempt<T>(fn: () => T): Outcome<T> {
  try {
    return { ok: true, value: fn() };
  } catch (e) {
    if (e instanceof SysError) return { ok: false, code: e.code };
    throw e;
  }
}

/** One parsed line of /proc/self/mountinfo (proc(5)). */
export interface MountinfoLine {
  id: number;
  parent: number;
  major: number;
  minor: number;
  root: string;
  mountpoint: string;
  options: string[];
  optional: string[];
  fstype: string;
  source: string;
  superOptions: string[];
}

const LINE = /^(\d+) (\d+) (\d+):(\d+) (\S+) (\S+) (\S+)((?: \S+)*) - (\S+) (\S+) (\S+)$/;
const MNT_OPT = /^(ro|rw|nosuid|nodev|noexec|noatime|nodiratime|relatime|nosymfollow)$/;
const OPTIONAL = /^(shared:\d+|master:\d+|propagate_from:\d+|unbindable)$/;
/** Only the kernel's octal escapes of space, tab, newline and backslash (mangle()). */
const MANGLED = /^(?:[^\s\\]|\\(?:040|011|012|134))+$/;

/**
 * Parses mountinfo text as proc(5) specifies it, asserting the kernel's format on every field:
 * one line per mount ending in '\n', unique mount ids, parents among the listed mounts (except the
 * reader's root, whose parent is not visible), absolute root and mount point,
 * per-mount options led by rw/ro in show_mnt_opts() order, known optional fields then `-`.
 */
export function parseMountinfo(text: string): MountinfoLine[] {
  expect(text === '' || text.endsWith('\n'), 'mountinfo ends with a newline').toBe(true);
  const lines = text === '' ? [] : text.slice(0, -1).split('\n');
  const out: MountinfoLine[] = [];
  for (const l of lines) {
    const m = LINE.exec(l);
    expect(m, `mountinfo line in the kernel's format: ${JSON.stringify(l)}`).not.toBeNull();
    const [, id, parent, major, minor, root, mountpoint, opts, optional, fstype, source, superOpts] = m!;
    const options = opts!.split(',');
    expect(options[0], l).toMatch(/^(ro|rw)$/);
    for (const o of options) expect(o, l).toMatch(MNT_OPT);
    expect(new Set(options).size, `no repeated per-mount option: ${l}`).toBe(options.length);
    const optionalFields = optional!.trim() === '' ? [] : optional!.trim().split(' ');
    for (const o of optionalFields) expect(o, l).toMatch(OPTIONAL);
    const superOptions = superOpts!.split(',');
    expect(superOptions[0], l).toMatch(/^(ro|rw)$/);
    for (const f of [root!, mountpoint!, source!]) expect(f, l).toMatch(MANGLED);
    expect(root!.startsWith('/'), l).toBe(true);
    expect(mountpoint!.startsWith('/'), l).toBe(true);
    out.push({
      id: Number(id),
      parent: Number(parent),
      major: Number(major),
      minor: Number(minor),
      root: root!,
      mountpoint: mountpoint!,
      options,
      optional: optionalFields,
      fstype: fstype!,
      source: source!,
      superOptions,
    });
  }
  const ids = new Set(out.map((x) => x.id));
  expect(ids.size, 'mount ids are unique').toBe(out.length);
  // Only the mount at the reader's root may have a parent that is not listed.
  const orphans = out.filter((x) => !ids.has(x.parent));
  expect(orphans.length, 'at most one mount with an unlisted parent').toBeLessThanOrEqual(1);
  for (const o of orphans) expect(o.mountpoint, 'the orphan is the root').toBe('/');
  return out;
}
