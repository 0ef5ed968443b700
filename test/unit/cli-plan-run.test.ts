import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPlanCommand } from '../../src/cli/plan-run.js';

function run(plan: unknown, opts: { backend?: string; json?: boolean; allow9p?: string[] } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'vfsemu-cli-'));
  const file = join(dir, 'plan.json');
  writeFileSync(file, typeof plan === 'string' ? plan : JSON.stringify(plan));
  let out = '';
  let err = '';
  try {
    const code = runPlanCommand(file, { backend: opts.backend ?? 'emulated', json: opts.json ?? false, allow9p: opts.allow9p }, { out: (s) => (out += s), err: (s) => (err += s) });
    return { code, out, err };
  } finally {
    rmSync(dir, { recursive: true });
  }
}

describe('vfsemu plan run', () => {
  const plan = {
    version: 1,
    ops: [
      { op: 'mkdir', path: '/a' },
      { op: 'mount', source: 'none', target: '/a', fstype: 'tmpfs', flags: ['noexec'], data: 'mode=700' },
      { op: 'rmdir', path: '/a' },
      { op: 'readdir', path: '/' },
    ],
  };

  it('prints the outcome document with --json and exits 0 even when ops fail', () => {
    const r = run(plan, { json: true });
    expect(r.code).toBe(0);
    const o = JSON.parse(r.out);
    expect(o.backend).toBe('emulated');
    expect(o.results).toEqual([{ ok: true }, { ok: true }, { ok: false, errno: 'EBUSY' }, { ok: true, names: ['a'] }]);
    expect(o.mountinfo.map((l: string) => l.replace(/^\d+ \d+ \d+:\d+ /, ''))).toEqual([
      '/ / rw,relatime - tmpfs none rw,mode=755',
      '/ /a rw,noexec,relatime - tmpfs none rw,mode=700',
    ]);
    expect(o.namespaces).toEqual([o.mountinfo]);
  });

  it('prints one line an op without --json', () => {
    const r = run(plan);
    expect(r.out).toContain('[2] rmdir {"path":"/a"} -> EBUSY\n');
    expect(r.out).toContain('[3] readdir {"path":"/"} -> ok ["a"]\n');
  });

  it('exits 2 naming the op index and field of a malformed plan', () => {
    const r = run({ version: 1, ops: [{ op: 'mkdir', path: '/a' }, { op: 'chown', path: '/a', uid: 'root', gid: 0 }] });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/malformed plan .*plan\.json: ops\[1\]\.uid: expected an integer id/);
    expect(r.out).toBe('');
  });

  it('exits 2 for text that is not JSON, without a stack trace', () => {
    const r = run('{ nope');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/not valid JSON/);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('shows long data cut, with its length, and whole with --json', () => {
    const data = 'x'.repeat(5000);
    const long = { version: 1, ops: [{ op: 'write', path: '/f', data }, { op: 'read', path: '/f' }] };
    const r = run(long);
    const cut = `"${'x'.repeat(64)}… (5000 chars)"`;
    expect(r.out).toContain(`[0] write {"path":"/f","data":${cut}} -> ok\n`);
    expect(r.out).toContain(`[1] read {"path":"/f"} -> ok ${cut}\n`);
    expect(r.out.length).toBeLessThan(1000);
    expect(JSON.parse(run(long, { json: true }).out).results[1].data).toBe(data);
  });

  it('refuses a plan over 64 MiB, or a file that never ends, after reading 64 MiB and 1 byte', () => {
    let err = '';
    const code = runPlanCommand('/dev/zero', { backend: 'emulated', json: false }, { out: () => {}, err: (s) => (err += s) });
    expect(code).toBe(2);
    expect(err).toBe('vfsemu: malformed plan /dev/zero: (plan): too large: more than 67108864 bytes (64 MiB), the most a plan may hold\n');
  });

  it('says what is missing in a plan without a version', () => {
    const r = run({ ops: [] });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/: version: missing: a plan says which format it follows, "version": 1 \(docs\/plan-format\.md\)\n$/);
  });

  it('lets a 9p mount reach no server the user did not name (--allow-9p), and names a bad address', () => {
    const mount = (port: number) => ({ op: 'mount', source: '127.0.0.1', target: '/m', fstype: '9p', flags: [], data: `trans=tcp,port=${port}` });
    const plan9 = { version: 1, ops: [{ op: 'mkdir', path: '/m' }, mount(1), { op: 'mount', source: '/run/x.sock', target: '/m', fstype: '9p', flags: [], data: 'trans=unix' }] };
    const r = run(plan9, { json: true, allow9p: ['127.0.0.1:2'] });
    expect(JSON.parse(r.out).results.slice(1)).toEqual([{ ok: false, errno: 'ECONNREFUSED' }, { ok: false, errno: 'ECONNREFUSED' }]);
    const bad = run(plan9, { allow9p: ['nonsense'] });
    expect(bad.code).toBe(2);
    expect(bad.err).toBe('vfsemu: --allow-9p: "nonsense": expected HOST:PORT, [IPV6]:PORT or unix:PATH\n');
  });

  it('exits 2 for a missing file', () => {
    let err = '';
    const code = runPlanCommand('/nonexistent/plan.json', { backend: 'emulated', json: false }, { out: () => {}, err: (s) => (err += s) });
    expect(code).toBe(2);
    expect(err).toBe('vfsemu: cannot read plan /nonexistent/plan.json: ENOENT\n');
  });
});
