/**
 * The cgroups a `dry-run --native` makes on the host, removed again whatever happens: after the
 * run in the same process, and — when that process was killed before it could — by the next run.
 *
 * A cgroup made in a host hierarchy outlives the sandbox's namespaces (cgroups are not in a mount
 * namespace). Before the plan runs, the directories it may make are written to a journal file,
 * one per process (`<journal dir>/<pid>.json`); after the run they are removed deepest first and
 * the journal is deleted. A journal whose process is gone is the leftover of a killed run: its
 * directories are removed and the journal with them. Only directories the journal names are ever
 * removed, and only with rmdir(2), which cannot remove a cgroup that has processes or children.
 */
import { mkdirSync, readdirSync, readFileSync, rmdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where journals live: /run/vfsemu as root (a tmpfs, gone at reboot with the cgroups), else tmpdir. */
export function journalDir(): string {
  return process.getuid?.() === 0 ? '/run/vfsemu/cgroups' : join(tmpdir(), 'vfsemu-cgroups');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** rmdir(2) each directory, the deepest first; one that is missing or busy stays as it is. */
function removeAll(dirs: readonly string[]): void {
  for (const d of [...dirs].sort((a, b) => b.length - a.length)) {
    try {
      rmdirSync(d);
    } catch {
      // Never made (the run stopped before), already gone, or holding tasks: not ours to force.
    }
  }
}

/** Removes what killed runs left: the directories of every journal whose process is gone. */
export function cleanLeftovers(dir = journalDir()): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const cleaned: string[] = [];
  for (const name of names) {
    const m = /^(\d+)\.json$/.exec(name);
    if (!m || alive(Number(m[1]))) continue;
    const file = join(dir, name);
    try {
      const dirs = JSON.parse(readFileSync(file, 'utf8')) as unknown;
      if (Array.isArray(dirs)) {
        const paths = dirs.filter((d): d is string => typeof d === 'string' && d.startsWith('/'));
        removeAll(paths);
        cleaned.push(...paths);
      }
      unlinkSync(file);
    } catch {
      // A journal being written by a process that just started with a recycled pid: next time.
    }
  }
  return cleaned;
}

/**
 * Runs `fn` with the cgroup directories `dirs` journaled, and removes them afterwards.
 *
 * @example
 * ```ts
 * const outcome = withCgroupJournal(['/sys/fs/cgroup/cpu/vfsemu'], () => runNativeSync(plan));
 * ```
 */
export function withCgroupJournal<T>(dirs: readonly string[], fn: () => T, dir = journalDir()): T {
  cleanLeftovers(dir);
  if (dirs.length === 0) return fn();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, `${process.pid}.json`);
  writeFileSync(file, JSON.stringify(dirs));
  try {
    return fn();
  } finally {
    removeAll(dirs);
    unlinkSync(file);
  }
}
