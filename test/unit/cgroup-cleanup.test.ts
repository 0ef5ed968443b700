/**
 * dry-run --native's cgroup journal (src/host/cgroup-cleanup.ts): the directories a run may make
 * are removed after it, whatever it did, and a journal left by a killed process is acted on by
 * the next run — only the directories it names, only when empty, never a live process's.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanLeftovers, withCgroupJournal } from '../../src/host/cgroup-cleanup.js';

let root = '';
let journals = '';
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'vfsemu-cgclean-'));
  journals = join(root, 'journals');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** A pid that no process has any more: a child that has exited and been reaped. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

describe('the cgroup journal of dry-run --native', () => {
  it('removes the directories a run made, deepest first, after it returns or throws', () => {
    const a = join(root, 'cg', 'a');
    const ab = join(a, 'b');
    const r = withCgroupJournal([a, ab], () => {
      mkdirSync(ab, { recursive: true });
      expect(readdirSync(journals)).toEqual([`${process.pid}.json`]);
      return 42;
    }, journals);
    expect([r, existsSync(a), readdirSync(journals)]).toEqual([42, false, []]);
    expect(() => withCgroupJournal([a], () => {
      mkdirSync(a, { recursive: true });
      throw new Error('the run failed');
    }, journals)).toThrow('the run failed');
    expect(existsSync(a)).toBe(false);
  });

  it('removes what a killed run left, by its journal, and leaves a live process\'s and non-empty directories', () => {
    mkdirSync(journals, { recursive: true });
    const left = join(root, 'cg', 'left');
    const busy = join(root, 'cg', 'busy');
    const live = join(root, 'cg', 'live');
    for (const d of [left, busy, live]) mkdirSync(d, { recursive: true });
    writeFileSync(join(busy, 'task'), '');
    const dead = deadPid();
    writeFileSync(join(journals, `${dead}.json`), JSON.stringify([left, busy]));
    writeFileSync(join(journals, `${process.pid}.json`), JSON.stringify([live]));
    expect(cleanLeftovers(journals)).toEqual([left, busy]);
    expect([existsSync(left), existsSync(busy), existsSync(live)]).toEqual([false, true, true]);
    expect(readdirSync(journals)).toEqual([`${process.pid}.json`]);
  });
});
