/** `vfsemu dry-run`: formats and exit codes (0 mounts succeed, 1 one fails, 2 invalid spec). */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatTree, runDryRunCommand } from '../../src/cli/dry-run.js';

function run(arg: string | undefined, opts: Partial<{ format: string; native: boolean; host: boolean }> = {}) {
  let out = '';
  let err = '';
  const code = runDryRunCommand(arg, { format: 'tree', native: false, host: false, ...opts }, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
}

describe('vfsemu dry-run', () => {
  it('runs the bundled runc-default example with no argument: a findmnt-style tree, exit 0', () => {
    const r = run(undefined);
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toMatch(/^TARGET +SOURCE +FSTYPE +OPTIONS$/);
    expect(r.out).toMatch(/^\/ +none\[\/bundle\/rootfs\] +tmpfs +rw,relatime,mode=755$/m);
    expect(r.out).toMatch(/├─\/proc +proc +proc +rw,relatime/);
    expect(r.err).toMatch(/host not read/);
    expect(r.err).toMatch(/pivot_root is not in the emulator yet/);
  });

  it('prints the exact mountinfo, or JSON with the plan, outcome and warnings', () => {
    expect(run(undefined, { format: 'mountinfo' }).out).toMatch(/^\d+ \d+ 0:\d+ \/bundle\/rootfs \/ rw,relatime - tmpfs none rw,mode=755$/m);
    const j = JSON.parse(run(undefined, { format: 'json' }).out) as { plan: { ops: unknown[] }; outcome: { results: unknown[] }; warnings: string[]; failure: unknown };
    expect(j.plan.ops.length).toBe(j.outcome.results.length);
    expect(j.failure).toBeNull();
    expect(j.warnings.length).toBeGreaterThan(0);
  });

  it('exits 1 naming the mount, errno and runc\'s reason when a mount fails', () => {
    const r = run('examples/bundles/must-fail');
    expect(r.code).toBe(1);
    expect(r.err).toContain('runc would fail at mounts[7] (/tmp) with EINVAL:\n  error mounting "tmpfs" to rootfs at "/tmp": mount tmpfs:/tmp (via /proc/self/fd/N), flags: 0x2, data: defaults: invalid argument');
  });

  it('exits 2 with the JSON path for an invalid spec, and reads a host bundle directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vfsemu-dry-'));
    try {
      writeFileSync(join(dir, 'config.json'), JSON.stringify({ ociVersion: '1.0.2', root: { path: 'rootfs' }, mounts: [{ destination: 'proc', type: 'proc' }] }));
      const bad = run(dir);
      expect(bad.code).toBe(2);
      expect(bad.err).toContain('mounts[0].destination: must be an absolute path');
      mkdirSync(join(dir, 'rootfs'));
      writeFileSync(join(dir, 'config.json'), JSON.stringify({ ociVersion: '1.0.2', root: { path: 'rootfs' }, mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }], linux: { namespaces: [{ type: 'mount' }] } }));
      const good = run(join(dir, 'config.json'), { format: 'mountinfo' });
      expect(good.code).toBe(0);
      expect(good.out).toContain(` / /proc rw,relatime - proc proc rw`);
    } finally {
      rmSync(dir, { recursive: true });
    }
    expect(run('/nonexistent/bundle').code).toBe(2);
    expect(run(undefined, { format: 'yaml' }).code).toBe(2);
  });
});

describe('formatTree', () => {
  it('indents children under parents and shows a bind\'s root in the source', () => {
    expect(formatTree(['1 0 0:1 / / rw,relatime - tmpfs none rw', '2 1 0:1 /x /a rw,relatime - tmpfs none rw', '3 1 0:2 / /b ro - proc proc rw'])).toBe(
      ['TARGET SOURCE   FSTYPE OPTIONS', '/      none     tmpfs  rw,relatime', '├─/a   none[/x] tmpfs  rw,relatime', '└─/b   proc     proc   ro', ''].join('\n'),
    );
  });
});
