/**
 * Hostile plans against the native backend (docs/native-sandbox.md is the threat model): every
 * attack the model names, each asserting what must never happen — a sentinel file on the host
 * read or changed, anything on the host created or changed (files, the node binary's mode, the
 * hostname, the mount table, the cgroup trees), the result channel believed after a forgery,
 * Node's memory growing with what a plan reads, the event loop stopped while a run waits — and,
 * where the emulator can say the same, that both backends agree.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runNative, runNativeSync } from '../../src/host/native.js';
import { compareOutcomes } from '../../src/plan/compare.js';
import { runEmulated } from '../../src/plan/emulated.js';
import type { OpResult } from '../../src/plan/outcome.js';
import { MAX_OP_BYTES } from '../../src/plan/policy.js';
import type { Plan, PlanOp } from '../../src/plan/plan.js';
import { itHasTheBackend, noPrivilege, warnIfSkipped } from './helpers.js';

warnIfSkipped('test/native/hostile');

const SECRET = `vfsemu-sentinel-${process.pid}-${Date.now()}`;
let sentinelDir = '';
let sentinel = '';

/** Everything on the host a plan must not change: compared before and after each attack. */
function hostState(): Record<string, unknown> {
  const cgroupDirs = (root: string): string[] => {
    const out: string[] = [];
    const walk = (d: string, depth: number): void => {
      if (depth > 3) return;
      let names: string[] = [];
      try {
        names = readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
      } catch {
        return;
      }
      for (const n of names) {
        out.push(`${d}/${n}`);
        walk(`${d}/${n}`, depth + 1);
      }
    };
    walk(root, 0);
    return out.sort();
  };
  const st = statSync(sentinel);
  return {
    mountinfo: readFileSync('/proc/self/mountinfo', 'utf8'),
    hostname: hostname(),
    kernelHostname: readFileSync('/proc/sys/kernel/hostname', 'utf8'),
    sentinel: [readFileSync(sentinel, 'utf8'), st.mode, st.uid, st.gid, st.size, st.mtimeMs, st.ctimeMs],
    sentinelDir: readdirSync(sentinelDir).sort(),
    nodeBinary: [statSync(process.execPath).mode, statSync(process.execPath).uid, statSync(process.execPath).ctimeMs],
    tmp: readdirSync('/tmp').filter((n) => n.startsWith('vfsemu-hostile')).sort(),
    cgroups: cgroupDirs('/sys/fs/cgroup'),
  };
}

/** No result of a run carries the sentinel's content. */
function leaks(results: readonly OpResult[]): boolean {
  return JSON.stringify(results).includes(SECRET);
}

/** Runs `ops` natively and checks the host is untouched and no result carries the secret. */
function attack(ops: PlanOp[]): OpResult[] {
  const before = hostState();
  const o = runNativeSync({ version: 1, ops });
  expect(leaks(o.results), 'a result carries the host sentinel').toBe(false);
  expect(hostState()).toEqual(before);
  return o.results;
}

const errnoOf = (r: OpResult | undefined): string => (r && !r.ok && 'errno' in r ? String(r.errno) : r && 'refused' in r ? `refused:${r.refused}` : JSON.stringify(r));

const PROC: PlanOp[] = [
  { op: 'mkdir', path: '/p' },
  { op: 'mount', source: 'proc', target: '/p', fstype: 'proc', flags: [] },
];

describe.skipIf(noPrivilege)('hostile plans on the native backend', () => {
  itHasTheBackend();

  beforeAll(() => {
    sentinelDir = mkdtempSync(join(tmpdir(), 'vfsemu-hostile-'));
    sentinel = join(sentinelDir, 'secret');
    writeFileSync(sentinel, SECRET, { mode: 0o644 });
  });
  afterAll(() => {
    if (sentinelDir) rmSync(sentinelDir, { recursive: true, force: true });
  });

  it('reaches no host file through proc magic links: fd, root, cwd, exe, map_files of self and of pid 1 are ELOOP', () => {
    const paths: string[] = [];
    for (let fd = 0; fd < 16; fd++) paths.push(`/p/self/fd/${fd}/..${sentinelDir}/secret`, `/p/self/fd/${fd}`, `/p/1/fd/${fd}`);
    paths.push(`/p/self/root${sentinel}`, `/p/1/root${sentinel}`, `/p/self/cwd${sentinel}`, `/p/self/exe`, `/p/1/exe`, '/p/self/root/etc/hostname', '/p/thread-self/root/etc/hostname');
    const ops: PlanOp[] = [...PROC, ...paths.flatMap((path): PlanOp[] => [{ op: 'read', path }, { op: 'stat', path }])];
    const results = attack(ops);
    for (const [i, r] of results.entries()) {
      if (i < PROC.length) continue;
      // What exists behind a magic link is ELOOP; what does not is ENOENT before the link is met.
      expect(['ELOOP', 'ENOENT'], `${JSON.stringify(ops[i])} → ${errnoOf(r)}`).toContain(errnoOf(r));
    }
    expect(results.slice(PROC.length).filter((r) => errnoOf(r) === 'ELOOP').length).toBeGreaterThan(20);
  });

  it('changes no host file through a magic link: chmod, truncate, write and a bind of /proc/self/exe are ELOOP, lchown of the link is refused', () => {
    const results = attack([
      ...PROC,
      { op: 'chmod', path: '/p/self/exe', mode: 0o777 },
      { op: 'chown', path: '/p/self/exe', uid: 1234, gid: 1234 },
      { op: 'truncate', path: '/p/self/exe', length: 0 },
      { op: 'write', path: '/p/self/exe', data: 'x' },
      { op: 'mkdir', path: '/x' },
      { op: 'write', path: '/x/f', data: '' },
      { op: 'mount', source: '/p/self/exe', target: '/x/f', fstype: '', flags: ['bind'] },
      { op: 'chmod', path: '/x/f', mode: 0o777 },
      { op: 'mount', source: '/p/1/root', target: '/x', fstype: '', flags: ['bind'] },
    ]);
    const ok = errnoOf({ ok: true });
    // chown is lchown(2): the link itself, which lies on proc.
    expect(results.slice(2).map(errnoOf)).toEqual(['ELOOP', 'refused:pseudo-write', 'ELOOP', 'ELOOP', ok, ok, 'ELOOP', ok, 'ELOOP']);
  });

  it('cannot escape with .. or absolute paths: the sandbox root is the root', () => {
    const depth = '/..'.repeat(20);
    const results = attack([
      { op: 'read', path: `${depth}${sentinel}` },
      { op: 'stat', path: sentinel },
      { op: 'mkdir', path: '/m' },
      { op: 'mount', source: `${depth}${sentinelDir}`, target: '/m', fstype: '', flags: ['bind'] },
      { op: 'readdir', path: '/' },
    ]);
    expect(results.slice(0, 2).map(errnoOf)).toEqual(['ENOENT', 'ENOENT']);
    expect(errnoOf(results[3])).toBe('ENOENT');
    expect(results[4]).toEqual({ ok: true, names: ['m'] });
  });

  it('changes no host kernel state through proc or sysfs: writes, truncates, chmods and names there are refused', () => {
    const results = attack([
      ...PROC,
      { op: 'write', path: '/p/sys/kernel/hostname', data: 'pwned' },
      { op: 'truncate', path: '/p/sys/kernel/hostname', length: 0 },
      { op: 'write', path: '/p/sys/vm/drop_caches', data: '3' },
      { op: 'write', path: '/p/sysrq-trigger', data: 'h' },
      { op: 'chmod', path: '/p/sys/kernel/hostname', mode: 0o666 },
      { op: 'symlink', target: '/x', path: '/p/sys/kernel/x' },
      { op: 'mkdir', path: '/s' },
      { op: 'mount', source: 'sysfs', target: '/s', fstype: 'sysfs', flags: [] },
      { op: 'write', path: '/s/kernel/uevent_helper', data: '/evil' },
      { op: 'mkdir', path: '/s/kernel/x' },
    ]);
    expect(results.map(errnoOf)).toEqual([
      errnoOf({ ok: true }), errnoOf({ ok: true }),
      'refused:pseudo-write', 'refused:pseudo-write', 'refused:pseudo-write', 'refused:pseudo-write', 'refused:pseudo-write', 'refused:pseudo-write',
      errnoOf({ ok: true }), errnoOf({ ok: true }),
      'refused:pseudo-write', 'refused:pseudo-write',
    ]);
  });

  it('makes no cgroup on the host and changes no hierarchy: cgroup dirs, files and global options are refused', () => {
    const results = attack([
      { op: 'mkdir', path: '/c' },
      { op: 'mount', source: 'cgroup2', target: '/c', fstype: 'cgroup2', flags: [] },
      { op: 'mkdir', path: '/c/vfsemu-hostile' },
      { op: 'write', path: '/c/cgroup.subtree_control', data: '+pids' },
      { op: 'mkdir', path: '/d' },
      { op: 'mount', source: 'cgroup2', target: '/d', fstype: 'cgroup2', flags: [], data: 'memory_recursiveprot' },
      { op: 'mount', source: '', target: '/c', fstype: '', flags: ['remount'], data: 'nsdelegate' },
      { op: 'mkdir', path: '/e' },
      { op: 'mount', source: 'cgroup', target: '/e', fstype: 'cgroup', flags: [], data: 'none,name=vfsemu-hostile,release_agent=/evil' },
    ]);
    expect(results.map(errnoOf).slice(2)).toEqual([
      'refused:pseudo-write', 'refused:pseudo-write', errnoOf({ ok: true }), 'refused:cgroup-options', 'refused:cgroup-options', errnoOf({ ok: true }), 'refused:cgroup-options',
    ]);
  });

  it('reaches no host device: devtmpfs and other filesystem types, block devices and unlisted character devices are refused', () => {
    const results = attack([
      { op: 'mkdir', path: '/d' },
      { op: 'mount', source: 'devtmpfs', target: '/d', fstype: 'devtmpfs', flags: [] },
      { op: 'mount', source: 'debugfs', target: '/d', fstype: 'debugfs', flags: [] },
      { op: 'mount', source: 'b', target: '/d', fstype: 'binfmt_misc', flags: [] },
      { op: 'mount', source: '/dev/sda', target: '/d', fstype: 'ext4', flags: [] },
      { op: 'mount', source: 'x', target: '/d', fstype: 'vfsemu-no-such-type', flags: [] },
      { op: 'mknod', path: '/sda', type: 'block', major: 8, minor: 0 },
      { op: 'mknod', path: '/mem', type: 'char', major: 1, minor: 1 },
      { op: 'mknod', path: '/loop-control', type: 'char', major: 10, minor: 237 },
      { op: 'mknod', path: '/null', type: 'char', major: 1, minor: 3 },
      { op: 'mknod', path: '/pts0', type: 'char', major: 136, minor: 0 },
      { op: 'readdir', path: '/d' },
    ]);
    expect(results.map(errnoOf).slice(1, 11)).toEqual([
      'refused:fstype', 'refused:fstype', 'refused:fstype', 'refused:fstype', 'refused:fstype',
      'refused:device', 'refused:device', 'refused:device', errnoOf({ ok: true }), errnoOf({ ok: true }),
    ]);
    expect(results[11]).toEqual({ ok: true, names: [] });
  });

  it('gives the same refusals on the emulator, op for op', () => {
    const plan: Plan = {
      version: 1,
      ops: [
        ...PROC,
        { op: 'write', path: '/p/sys/kernel/hostname', data: 'x' },
        { op: 'mkdir', path: '/d' },
        { op: 'mount', source: 'devtmpfs', target: '/d', fstype: 'devtmpfs', flags: [] },
        { op: 'mknod', path: '/sda', type: 'block', major: 8, minor: 0 },
        { op: 'mknod', path: '/null', type: 'char', major: 1, minor: 3 },
        { op: 'mount', source: 'cgroup2', target: '/d', fstype: 'cgroup2', flags: [], data: 'nsdelegate' },
        { op: 'write', path: '/big', data: 'y'.repeat(1000) },
        { op: 'truncate', path: '/big', length: MAX_OP_BYTES + 1 },
        { op: 'read', path: '/big' },
      ],
    };
    const native = runNativeSync(plan);
    expect(compareOutcomes(plan, runEmulated(plan), native).diff).toBe('');
    expect(native.results.slice(2).map(errnoOf)).toEqual([
      'refused:pseudo-write', errnoOf({ ok: true }), 'refused:fstype', 'refused:device', errnoOf({ ok: true }), 'refused:cgroup-options', errnoOf({ ok: true }), errnoOf({ ok: true }), 'refused:output-limit',
    ]);
  });

  it('keeps Node bounded when a plan reads a device that never ends, and stops a run at 64 MiB', () => {
    const ops: PlanOp[] = [{ op: 'mknod', path: '/zero', type: 'char', major: 1, minor: 5 }];
    for (let i = 0; i < 8; i++) ops.push({ op: 'read', path: '/zero' });
    global.gc?.();
    const before = process.memoryUsage();
    const results = attack(ops);
    const after = process.memoryUsage();
    // Four reads fill the run's 64 MiB at 16 MiB each; the rest are not run at all.
    expect(results.slice(1).map(errnoOf)).toEqual([...Array(4).fill('refused:output-limit'), ...Array(4).fill('refused:run-limit')]);
    // The parent drops a refused op's data: nothing near the 64 MiB read stays in Node.
    expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(32 * 1024 * 1024);
  });

  it('believes no record a plan could forge: bytes on the pipe without the key cut the run there', () => {
    const plan: Plan = { version: 1, ops: [{ op: 'mkdir', path: '/a' }, { op: 'mkdir', path: '/b' }, { op: 'readdir', path: '/' }] };
    const o = runNativeSync(plan, { garbageAfterOp: 0 });
    expect(o.results[0]).toEqual({ ok: true });
    for (const r of o.results.slice(1)) {
      expect(r).toMatchObject({ ok: false, notRun: true });
      expect((r as { reason: string }).reason).toMatch(/failed its check \(forged or corrupted/);
    }
    expect(o.mountinfo).toEqual([]);
  });

  it('keeps the event loop running while a run waits (runNative is asynchronous), and times out a child stuck on a FIFO', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const o = await runNative(
      {
        version: 1,
        ops: [
          { op: 'mknod', path: '/fifo', type: 'fifo' },
          // open(O_RDONLY) of a FIFO without a writer sleeps until the deadline.
          { op: 'read', path: '/fifo' },
        ],
      },
      { timeoutMs: 500 },
    );
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(20);
    expect(o.results[0]).toEqual({ ok: true });
    expect((o.results[1] as { reason: string }).reason).toMatch(/timed out after 500 ms/);
  });

  it('answers a 9p mount as not available on this kernel (no 9p module), and runs what follows', () => {
    const results = attack([
      { op: 'mkdir', path: '/m' },
      { op: 'mount', source: '127.0.0.1', target: '/m', fstype: '9p', flags: [], data: 'trans=tcp,port=564' },
      { op: 'readdir', path: '/m' },
    ]);
    expect(results[1]).toEqual({ ok: false, notRun: true, reason: 'mount -t 9p is not available on the native backend: this kernel has no 9p module (the emulated backend mounts 9p)' });
    expect(results[2]).toEqual({ ok: true, names: [] });
  });

  it('leaves the new UTS, IPC and PID namespaces to the child: the plan sees itself as pid 1, the host keeps its name', () => {
    const results = attack([...PROC, { op: 'stat', path: '/p/self', nofollow: true }, { op: 'readdir', path: '/p' }]);
    const names = (results[3] as { names: string[] }).names;
    // Only the child's own process directory: no host process is visible.
    expect(names.filter((n) => /^\d+$/.test(n))).toEqual(['1']);
  });
});
