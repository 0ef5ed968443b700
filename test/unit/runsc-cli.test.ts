/**
 * `vfsemu dry-run --runtime runsc|runc,runsc` with `--overlay2` and `--file-access`: the three
 * formats, runsc's failures and exit codes, the side-by-side comparison and its reasons, the
 * refusals (exit 2), and runc's output left as it was without --runtime.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runDryRunCommand, type DryRunOptions } from '../../src/cli/dry-run.js';

function run(arg: string | undefined, opts: Partial<DryRunOptions> = {}) {
  let out = '';
  let err = '';
  const code = runDryRunCommand(arg, { format: 'tree', native: false, host: false, ...opts }, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
}

const NESTED = 'examples/bundles/runsc-readonly-nested';

describe('vfsemu dry-run --runtime runsc', () => {
  it('prints the Sentry\'s table as a tree, with what runsc did and would write on the host', () => {
    const r = run(NESTED, { runtime: 'runsc' });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^\/ +none +9p +ro,trans=fd,rfdno=3,/m);
    expect(r.out).toMatch(/│ └─\/data\/cache +none +tmpfs +rw,nosuid,size=1024k$/m);
    expect(r.err).toMatch(/^every mount would succeed$/m);
    expect(r.err).toContain('note: read-write while the submounts were set up, read-only again at the end: /sys/fs/cgroup, /data, /sys, /\n');
    expect(r.err).toContain("note: synthetic mount points (in the Sentry's memory only, never on the host): /data/cache\n");
    expect(r.err).toContain('note: runsc would create the directory /bundle/vol/logs on the host (the dry-run does not)');
  });

  it('prints mountinfo lines, or one JSON document with the host plan, the Sentry\'s calls and the table', () => {
    const mi = run(NESTED, { runtime: 'runsc', format: 'mountinfo' }).out.trim().split('\n');
    expect(mi[0]).toMatch(/^16 15 0:18 \/ \/ ro - 9p none ro,/);
    const j = JSON.parse(run(NESTED, { runtime: 'runsc', format: 'json' }).out) as { runtime: string; gvisor: string; mountinfo: string[]; plan: { ops: unknown[] }; sentry: { call: string }[]; failure: unknown };
    expect([j.runtime, j.gvisor, j.failure]).toEqual(['runsc', '3c5eee17dc45659fb86843531074f38e78e0cc35', null]);
    expect(j.mountinfo).toEqual(mi);
    expect(j.sentry.map((s) => s.call)).toContain('SetMountReadOnly');
  });

  it('takes runsc\'s --overlay2 and --file-access, and refuses what runsc refuses', () => {
    expect(run('examples/bundles/runsc-tmp-empty', { runtime: 'runsc', format: 'mountinfo', overlay2: 'none' }).out.split('\n')[0]).toMatch(/ - 9p none rw,.*cache=fscache/);
    const shared = run('examples/bundles/runsc-tmp-empty', { runtime: 'runsc', fileAccess: 'shared' });
    expect([shared.code, shared.out]).toEqual([1, '']);
    expect(shared.err).toContain('runsc would refuse the spec or its flags:\n  overlay flag is incompatible with shared file access for rootfs\n');
    const bad = run(undefined, { runtime: 'runsc', overlay2: 'root:floppy' });
    expect([bad.code, bad.err]).toEqual([2, 'vfsemu: runsc would refuse its flags: unexpected medium: "floppy"\n']);
  });

  it('exits 1 with runsc\'s words when runsc would fail', () => {
    const r = run('examples/bundles/missing-rootfs', { runtime: 'runsc' });
    expect(r.code).toBe(1);
    expect(r.err).toContain('runsc\'s gofer would fail before the sandbox mounts anything with ENOENT:\n  self-bind-mounting rootfs "/bundle/rootfs": no such file or directory\n');
  });
});

describe('vfsemu dry-run --runtime runc,runsc', () => {
  it('puts the two tables side by side and says what differs and why', () => {
    const r = run(NESTED, { runtime: 'runc,runsc' });
    expect(r.code).toBe(1);
    expect(r.out.split('\n')[0]).toMatch(/^runc +│ runsc$/);
    expect(r.out).toContain('what differs and why:\n  /data/cache: runc fails with EROFS; runsc tmpfs, read-write\n    runc fails with EROFS (it remounts /data read-only at once, then cannot make the mount point under it); runsc switches /data read-write while it mounts what is below and read-only again at the end (vfs.go:mountSubmounts), making the mount point synthetic');
    expect(r.out).toContain('  /dev/mqueue: runc mqueue, read-write; runsc nothing mounted\n    runsc skips type "mqueue"');
    expect(r.err).toMatch(/^runc: runc would fail at mounts\[8\] \(\/data\/cache\) with EROFS:$/m);
    expect(r.err).toMatch(/^runsc: every mount would succeed$/m);
  });

  it('says why the root and /tmp differ when both succeed, and prints both in mountinfo and JSON', () => {
    const r = run('examples/bundles/runsc-tmp-empty', { runtime: 'runc,runsc', format: 'mountinfo' });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^== runc ==\n/);
    expect(r.out).toContain('\n== runsc ==\n');
    expect(r.out).toContain("  /tmp: runc nothing mounted; runsc tmpfs, read-write\n    runsc mounts a tmpfs on /tmp when the spec has no /tmp mount and the image's /tmp is missing or empty (vfs.go:mountTmp)\n");
    expect(r.out).toContain('  /: runc tmpfs of /bundle/rootfs, read-write; runsc overlay, read-write\n    runsc serves the rootfs through its gofer (9p) under an overlay');
    const j = JSON.parse(run('examples/bundles/runsc-tmp-empty', { runtime: 'runc,runsc', format: 'json' }).out) as { runc: { mountinfo: string[] }; runsc: { mountinfo: string[] }; differences: { path: string }[] };
    expect(j.differences.map((d) => d.path)).toContain('/tmp');
  });
});

describe('what stays as it was', () => {
  it('runc is the default, its output the same with --runtime runc', () => {
    for (const format of ['tree', 'mountinfo', 'json']) expect(run(NESTED, { format, runtime: 'runc' })).toEqual(run(NESTED, { format }));
  });

  it('refuses an unknown runtime, runsc flags without runsc, and --native with runsc (exit 2)', () => {
    expect(run(undefined, { runtime: 'crun' })).toEqual({ code: 2, out: '', err: 'vfsemu: unknown --runtime "crun"; expected runc, runsc or runc,runsc\n' });
    expect(run(undefined, { overlay2: 'none' }).code).toBe(2);
    expect(run(undefined, { runtime: 'runsc', native: true }).code).toBe(2);
  });

  it('takes the flags on the command line', () => {
    expect(existsSync('dist/cli/main.js'), 'dist/cli/main.js is missing: run `npm run build` first').toBe(true);
    const r = spawnSync(process.execPath, ['bin/vfsemu.js', 'dry-run', NESTED, '--runtime', 'runsc', '--overlay2', 'root:memory', '--file-access', 'exclusive', '--format', 'mountinfo'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^16 15 0:18 \/ \/ ro - 9p none /);
  });
});
