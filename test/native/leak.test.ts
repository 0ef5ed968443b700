/**
 * Nothing leaks (DESIGN.md decision 8): however a native run ends — completed, its child
 * SIGKILLed mid-plan, killed by someone else, or timed out — the host's mount table is exactly what it was, no sandbox
 * path appears in the host's /tmp, no child is left behind, and ops the child never reported are
 * `notRun`, never success.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { runNativeSync } from '../../src/host/native.js';
import type { OpResult } from '../../src/plan/outcome.js';
import type { Plan, PlanOp } from '../../src/plan/plan.js';
import { itHasTheBackend, noPrivilege, warnIfSkipped } from './helpers.js';

warnIfSkipped('test/native/leak');

// Top-level names no other process uses, so that a sandbox escaping onto the host's /tmp shows.
const A = '/vfsemu-leak-probe-a';
const B = '/vfsemu-leak-probe-b';

/** Mounts, binds, remounts, unshares and setns's: every kind of state a kill could strand. */
const plan: Plan = {
  version: 1,
  ops: [
    { op: 'mkdir', path: A },
    { op: 'mount', source: 'leak', target: A, fstype: 'tmpfs', flags: [], data: 'size=1m' },
    { op: 'mkdir', path: `${A}/sub` },
    { op: 'mkdir', path: B },
    { op: 'mount', source: A, target: B, fstype: '', flags: ['bind'] },
    { op: 'mount', source: '', target: B, fstype: '', flags: ['remount', 'bind', 'rdonly'] },
    { op: 'mount', source: 'none', target: '/', fstype: '', flags: ['rec', 'shared'] },
    { op: 'unshare' },
    { op: 'mount', source: 'inner', target: `${A}/sub`, fstype: 'tmpfs', flags: [] },
    { op: 'unshare' },
    { op: 'setns', ns: 1 },
    { op: 'umount', target: A, flags: ['detach'] },
    { op: 'setns', ns: 0 },
    { op: 'write', path: `${A}/f`, data: 'x'.repeat(100_000) },
    { op: 'read', path: `${A}/f` },
    { op: 'readdir', path: '/' },
  ],
};

const hostMountinfo = () => readFileSync('/proc/self/mountinfo', 'utf8');
const hostTmp = () => new Set(readdirSync('/tmp'));
/** This process's children, from every thread's children file (proc(5)). */
function children(): string[] {
  const tasks = readdirSync('/proc/self/task');
  return tasks.flatMap((t) => {
    const f = `/proc/self/task/${t}/children`;
    return existsSync(f) ? readFileSync(f, 'utf8').trim().split(/\s+/).filter(Boolean) : [];
  });
}
const isNotRun = (r: OpResult | undefined) => r !== undefined && 'notRun' in r;

describe.skipIf(noPrivilege)('native runs leave nothing behind', () => {
  itHasTheBackend();

  it('keeps the host mount table and /tmp over 200 runs, half of them SIGKILLed mid-plan', () => {
    const mountsBefore = hostMountinfo();
    const tmpBefore = hostTmp();
    const childrenBefore = children();
    const complete = runNativeSync(plan);
    expect(complete.results.filter(isNotRun)).toEqual([]);
    expect(complete.namespaces).toHaveLength(3);
    let killed = 0;
    for (let i = 0; i < 200; i++) {
      if (i % 2 === 0) {
        const o = runNativeSync(plan);
        expect(o.results).toEqual(complete.results);
        expect(o.namespaces.length).toBe(3);
        continue;
      }
      const k = (i >> 1) % plan.ops.length;
      const o = runNativeSync(plan, { killAfterOp: k });
      killed++;
      // Ops before k reported what a complete run reports; k and after never count as done.
      expect(o.results.slice(0, k)).toEqual(complete.results.slice(0, k));
      for (const r of o.results.slice(k)) {
        expect(r).toMatchObject({ ok: false, notRun: true });
        expect((r as { reason: string }).reason).toMatch(/SIGKILL \(killAfterOp \d+\).*no mountinfo/);
      }
      expect(o.mountinfo).toEqual([]);
      expect(o.namespaces).toEqual([]);
    }
    expect(killed).toBeGreaterThanOrEqual(100);
    expect(hostMountinfo()).toBe(mountsBefore);
    const tmpAfter = hostTmp();
    for (const probe of [A, B]) expect(tmpAfter.has(probe.slice(1))).toBe(false);
    // Other test files may add their own mkdtemp directories meanwhile; none may disappear.
    expect([...tmpBefore].filter((n) => !tmpAfter.has(n) && existsSync('/tmp/' + n))).toEqual([]);
    expect(children()).toEqual(childrenBefore);
  });

  it('kills a child that overruns its deadline and reports every op notRun', () => {
    const mountsBefore = hostMountinfo();
    const o = runNativeSync(plan, { timeoutMs: 0 });
    expect(o.results).toHaveLength(plan.ops.length);
    for (const r of o.results) expect((r as { reason?: string }).reason).toMatch(/timed out after 0 ms/);
    expect(o.mountinfo).toEqual([]);
    expect(hostMountinfo()).toBe(mountsBefore);
  });

  it('survives a child killed by someone else, naming the signal', async () => {
    const mountsBefore = hostMountinfo();
    // A plan long enough to be caught running: 100 MB through the pipe.
    const big: Plan = { version: 1, ops: Array.from({ length: 100 }, (_, i): PlanOp[] => [{ op: 'write', path: `/f${i}`, data: 'z'.repeat(1 << 20) }, { op: 'read', path: `/f${i}` }]).flat() };
    // The main thread is blocked in runNativeSync meanwhile: a worker thread finds the new child of
    // this process (proc(5) children) and SIGKILLs it.
    const go = new Int32Array(new SharedArrayBuffer(4));
    const killer = new Worker(
      `const { workerData: { go, pid, before } } = require('node:worker_threads');
       const fs = require('node:fs');
       Atomics.wait(go, 0, 0);
       const nap = new Int32Array(new SharedArrayBuffer(4));
       for (let i = 0; i < 5000; i++) {
         const kids = fs.readFileSync('/proc/' + pid + '/task/' + pid + '/children', 'utf8').trim().split(/\\s+/).filter((k) => k && !before.includes(k));
         if (kids.length) { for (const k of kids) process.kill(Number(k), 'SIGKILL'); break; }
         Atomics.wait(nap, 0, 0, 1);
       }`,
      { eval: true, workerData: { go, pid: process.pid, before: readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8').trim().split(/\s+/) } },
    );
    await new Promise((resolve) => killer.once('online', resolve));
    Atomics.store(go, 0, 1);
    Atomics.notify(go, 0);
    const o = runNativeSync(big);
    await killer.terminate();
    const notRun = o.results.filter(isNotRun) as { reason: string }[];
    expect(notRun.length).toBeGreaterThan(0);
    expect(notRun[0]!.reason).toMatch(/^the sandbox child was killed by SIGKILL before reporting this op/);
    expect(o.results.slice(o.results.length - notRun.length).every(isNotRun)).toBe(true);
    expect(o.namespaces).toEqual([]);
    expect(hostMountinfo()).toBe(mountsBefore);
  });
});
