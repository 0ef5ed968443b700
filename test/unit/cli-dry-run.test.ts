/**
 * `vfsemu dry-run`: every example bundle (exit 0, or 1 with runc's reason for must-fail), the
 * formats, invalid specs (exit 2 naming the JSON path), `--native` (the kernel's run of the same
 * plan and the differences, or exit 3 with one line), and the command itself as a process.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatTree, runDryRunCommand } from '../../src/cli/dry-run.js';
import { nativeUnavailableReason } from '../../src/host/native.js';
import { noPrivilege, warnIfSkipped } from '../native/helpers.js';

function run(arg: string | undefined, opts: Partial<{ format: string; native: boolean; host: boolean; hostFacts: string }> = {}) {
  let out = '';
  let err = '';
  const code = runDryRunCommand(arg, { format: 'tree', native: false, host: false, ...opts }, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
}

/** A bundle on the host: config.json (from `spec`) and an empty rootfs with the given dirs. */
function withBundle(spec: unknown, dirs: string[], fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'vfsemu-dry-'));
  try {
    mkdirSync(join(dir, 'rootfs'));
    for (const d of dirs) mkdirSync(join(dir, 'rootfs', d), { recursive: true });
    writeFileSync(join(dir, 'config.json'), typeof spec === 'string' ? spec : JSON.stringify(spec));
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true });
  }
}

const EXAMPLES = 'examples/bundles';
const examples = readdirSync(EXAMPLES)
  .filter((n) => existsSync(join(EXAMPLES, n, 'bundle.json')))
  .sort();

describe('vfsemu dry-run on the example bundles', () => {
  it('runs the bundled runc-default example with no argument: a findmnt-style tree, exit 0', () => {
    const r = run(undefined);
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toMatch(/^TARGET +SOURCE +FSTYPE +OPTIONS$/);
    expect(r.out).toMatch(/^\/ +none\[\/bundle\/rootfs\] +tmpfs +ro,relatime,mode=755$/m);
    expect(r.out).toMatch(/├─\/proc +proc +proc +rw,relatime/);
    expect(r.out).toMatch(/│ ├─\/proc\/bus +proc\[\/bus\] +proc +ro,relatime/);
    expect(r.out).toMatch(/└─\/sys +sysfs +sysfs +ro,nosuid,nodev,noexec,relatime/);
    expect(r.err).toMatch(/^every mount would succeed$/m);
    expect(r.err).toMatch(/^note: host not read/m);
  });

  it.each(examples)('%s: exit 0 when every mount succeeds, 1 with runc\'s reason when expected.json says one fails', (name) => {
    const dir = join(EXAMPLES, name);
    const r = run(dir, { format: 'mountinfo' });
    const expected = existsSync(join(dir, 'expected.json')) ? (JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as { fails: { mount?: number; destination?: string; errno: string; reason: string } }) : null;
    if (!expected) {
      expect(r.code).toBe(0);
      expect(r.err).toMatch(/^every mount would succeed$/m);
      // The container's own table: its root first, every line in the kernel's format.
      expect(r.out.split('\n')[0]).toMatch(/^\d+ \d+ 0:\d+ \/bundle\/rootfs \/ r[ow],relatime - tmpfs none rw,mode=755$/);
      for (const l of r.out.trim().split('\n')) expect(l).toMatch(/^\d+ \d+ \d+:\d+ \S+ \S+ \S+ (\S+ )*- \S+ \S+ \S+$/);
      return;
    }
    expect(r.code).toBe(1);
    const runcSays = /runc says "(.*)"$/.exec(expected.fails.reason)![1]!.replace(/\\"/g, '"');
    const where = expected.fails.mount === undefined ? 'before it creates the container' : `at mounts[${expected.fails.mount}] (${expected.fails.destination})`;
    expect(r.err).toContain(`runc would fail ${where} with ${expected.fails.errno}:\n  ${runcSays}\n`);
    // No container: no table, rather than an empty or a host one.
    if (expected.fails.mount === undefined) expect(r.out).toBe('');
  });

  it('fails a host bundle whose rootfs is missing, a symlink or a file, in runc 1.1.5\'s words', () => {
    const spec = JSON.parse(readFileSync(join(EXAMPLES, 'runc-default', 'config.json'), 'utf8')) as { process: { terminal: boolean } };
    withBundle(spec, [], (dir) => {
      rmSync(join(dir, 'rootfs'), { recursive: true });
      const missing = run(dir);
      expect([missing.code, missing.out]).toEqual([1, '']);
      expect(missing.err).toContain(`runc would fail before it creates the container with ENOENT:\n  invalid rootfs: stat ${dir}/rootfs: no such file or directory\n`);
      mkdirSync(join(dir, 'real'));
      symlinkSync('real', join(dir, 'rootfs'));
      const link = run(dir);
      expect(link.code).toBe(1);
      expect(link.err).toContain('runc would fail before it creates the container:\n  invalid rootfs: not an absolute path, or a symlink\n');
      rmSync(join(dir, 'rootfs'));
      writeFileSync(join(dir, 'rootfs'), '');
      const file = run(dir);
      expect(file.code).toBe(1);
      expect(file.err).toContain('with ENOTDIR:\n  unable to start container process: unable to start init: fork/exec /proc/self/exe: not a directory\n');
    });
  });

  it('exits 1 naming the mount, errno and runc\'s words for must-fail', () => {
    const r = run('examples/bundles/must-fail');
    expect(r.code).toBe(1);
    expect(r.err).toContain('runc would fail at mounts[7] (/tmp) with EINVAL:\n  error mounting "tmpfs" to rootfs at "/tmp": mount tmpfs:/tmp (via /proc/self/fd/N), flags: 0x2, data: defaults: invalid argument');
  });

  it('prints the exact mountinfo, or JSON with the plan, outcome, the container\'s table and warnings', () => {
    const mi = run(undefined, { format: 'mountinfo' }).out.trim().split('\n');
    expect(mi[0]).toMatch(/^\d+ \d+ 0:\d+ \/bundle\/rootfs \/ ro,relatime - tmpfs none rw,mode=755$/);
    expect(mi).toContainEqual(expect.stringMatching(/^\d+ \d+ 0:\d+ \/ \/sys ro,nosuid,nodev,noexec,relatime - sysfs sysfs ro$/));
    const j = JSON.parse(run(undefined, { format: 'json' }).out) as { plan: { ops: { op: string; flags?: string[] }[] }; outcome: { results: unknown[] }; mountinfo: string[]; warnings: string[]; failure: unknown };
    expect(j.plan.ops.length).toBe(j.outcome.results.length);
    expect(j.plan.ops).toContainEqual({ op: 'unshare', flags: ['mnt', 'net', 'ipc', 'pid'] });
    expect(j.mountinfo).toEqual(mi);
    expect(j.failure).toBeNull();
    expect(j.warnings[0]).toMatch(/^host not read/);
  });

  it('reads this host with --host', () => {
    const r = run(undefined, { host: true });
    expect(r.code).toBe(0);
    expect(r.err).toMatch(process.platform === 'linux' ? /^note: host read: cgroup v[12]/m : /^note: could not read this host/m);
  });

  it('says without --host which lines depend on the host', () => {
    expect(run(undefined).err).toMatch(/^note: host not read .*every host path on one tmpfs \(none, mode=755\); cgroup lines, \/dev\/core, and the lines of the rootfs and every bind mount .* depend on the host$/m);
  });
});

describe('vfsemu dry-run --host: the host mounts behind the rootfs and the bind sources', () => {
  /** host-volumes' bundle, with facts that put it on an ext4 root and its volume on a host tmpfs. */
  const facts = (dir: string) => ({
    bundle: dir,
    host: {
      source: 'host', cgroupUnified: true, cgroupV1: [], cgroup2Flags: [], cgroupControllers: ['cpu'], selfCgroup: {}, kcore: false, procEntries: [],
      mounts: [
        { id: 27, parent: 1, dev: '254:0', root: '/', mountpoint: '/', options: 'rw,relatime', optional: 'shared:1', fstype: 'ext4', source: '/dev/vda', superOptions: 'rw,discard' },
        { id: 40, parent: 27, dev: '0:50', root: '/', mountpoint: join(dir, 'vol'), options: 'rw,nosuid,nodev,noexec,relatime', optional: '', fstype: 'tmpfs', source: 'hostvol', superOptions: 'rw,size=1024k,mode=750' },
      ],
    },
  });

  it('replays facts recorded elsewhere (--host-facts), records the mounts it used in --format json, and refuses --host with them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vfsemu-facts-'));
    try {
      const bundle = join(dir, 'b');
      mkdirSync(join(bundle, 'rootfs'), { recursive: true });
      mkdirSync(join(bundle, 'vol', 'data'), { recursive: true });
      writeFileSync(join(bundle, 'config.json'), JSON.stringify({ ociVersion: '1.0.2', root: { path: 'rootfs' }, mounts: [{ destination: '/data', type: 'bind', source: 'vol/data', options: ['bind'] }], linux: { namespaces: [{ type: 'mount' }] } }));
      const file = join(dir, 'facts.json');
      writeFileSync(file, JSON.stringify(facts(bundle)));
      const r = run(bundle, { format: 'mountinfo', hostFacts: file });
      expect(r.code).toBe(0);
      expect(r.out).toMatch(new RegExp(`^\\d+ \\d+ \\d+:\\d+ ${bundle}/rootfs / rw,relatime master:\\d+ - ext4 /dev/vda rw,discard$`, 'm'));
      expect(r.out).toMatch(/^\d+ \d+ \d+:\d+ \/data \/data rw,nosuid,nodev,noexec,relatime - tmpfs hostvol rw,size=1024k,mode=750$/m);
      expect(r.err).toMatch(/^note: host facts from .*facts.json: cgroup v2, \/proc\/kcore absent; the rootfs and bind sources live on ext4 \/dev\/vda on \/ \(rw,relatime shared:1\), tmpfs hostvol on /m);
      const j = JSON.parse(run(bundle, { format: 'json', hostFacts: file }).out) as { host: { source: string; mounts: unknown[] } };
      expect(j.host.source).toBe('file');
      expect(j.host.mounts).toEqual(facts(bundle).host.mounts);
      // The document itself is a facts file: the same prediction again.
      writeFileSync(file, JSON.stringify(j));
      expect(run(bundle, { format: 'mountinfo', hostFacts: file }).out).toBe(r.out);
      expect(run(bundle, { hostFacts: file, host: true })).toMatchObject({ code: 2, err: expect.stringMatching(/--host-facts replays facts recorded elsewhere/) });
      writeFileSync(file, JSON.stringify({ host: { ...facts(bundle).host, mounts: 'none' } }));
      expect(run(bundle, { hostFacts: file })).toMatchObject({ code: 2, err: expect.stringMatching(/^vfsemu: invalid host facts .*: host\.mounts: not a list/) });
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});

describe('vfsemu dry-run on invalid input', () => {
  it.each([
    ['a relative mount destination', { ociVersion: '1.0.2', root: { path: 'rootfs' }, mounts: [{ destination: 'proc', type: 'proc' }] }, 'mounts[0].destination: must be an absolute path'],
    ['no ociVersion', { root: { path: 'rootfs' } }, 'ociVersion: missing (required)'],
    ['options not strings', { ociVersion: '1.0.2', root: { path: 'rootfs' }, mounts: [{ destination: '/x', type: 'tmpfs', options: [3] }] }, 'mounts[0].options[0]: must be string'],
    ['an unknown rootfsPropagation', { ociVersion: '1.0.2', root: { path: 'rootfs' }, linux: { rootfsPropagation: 'sideways' } }, 'linux.rootfsPropagation:'],
    ['not JSON', '{"ociVersion": ', '(config): not valid JSON'],
  ])('exits 2 naming the JSON path: %s', (_what, spec, message) => {
    withBundle(spec, [], (dir) => {
      const r = run(dir);
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.err).toMatch(/^vfsemu: invalid spec /);
      expect(r.err).toContain(message);
    });
  });

  it('exits 2 for a bundle it cannot read, and for an unknown format', () => {
    expect(run('/nonexistent/bundle').code).toBe(2);
    expect(run('/nonexistent/bundle').err).toBe('vfsemu: cannot read bundle /nonexistent/bundle: ENOENT\n');
    expect(run(undefined, { format: 'yaml' }).code).toBe(2);
  });

  it('reads a host bundle directory or its config.json', () => {
    const spec = { ociVersion: '1.0.2', root: { path: 'rootfs' }, mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }], linux: { namespaces: [{ type: 'mount' }] } };
    withBundle(spec, ['proc'], (dir) => {
      const good = run(join(dir, 'config.json'), { format: 'mountinfo' });
      expect(good.code).toBe(0);
      expect(good.out).toMatch(new RegExp(`^\\d+ \\d+ 0:\\d+ ${dir}/rootfs / rw,relatime - tmpfs none rw,mode=755\n\\d+ \\d+ 0:\\d+ / /proc rw,relatime - proc proc rw\n`));
    });
  });
});

const nativeWhy = nativeUnavailableReason();
warnIfSkipped('test/unit/cli-dry-run (--native on the kernel)');

describe('vfsemu dry-run --native', () => {
  it('applies the plan to the kernel and says it agrees, or exits 3 with one line why not', () => {
    const r = run(undefined, { native: true });
    expect(r.out.split('\n')[0]).toMatch(/^TARGET/);
    // Without privilege the command says why in one line; with it, it must run (a missing addon
    // is then a failure, not a reason to skip).
    if (noPrivilege) {
      expect(r.code).toBe(3);
      const last = r.err.trim().split('\n').pop()!;
      expect(last).toBe(`vfsemu: --native cannot run here: ${nativeWhy}`);
    } else {
      expect(r.code).toBe(0);
      expect(r.err).toMatch(/^native: the kernel agrees, op for op and line for line$/m);
    }
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(r.err).toMatch(/^note: host read \(--native implies --host\)/m);
  });

  it('runs a host bundle\'s plan with the host mounts behind it on the kernel, saying what it could not compare', () => {
    withBundle({ ociVersion: '1.0.2', root: { path: 'rootfs' }, mounts: [{ destination: '/data', type: 'bind', source: 'data', options: ['bind', 'ro'] }], linux: { namespaces: [{ type: 'mount' }] } }, [], (dir) => {
      mkdirSync(join(dir, 'data'));
      const r = run(dir, { native: true, format: 'json' });
      if (noPrivilege) return void expect(r.code).toBe(3);
      expect(r.code).toBe(0);
      const j = JSON.parse(r.out) as { host: { mounts: { fstype: string }[] }; nativeDifferences: string[]; nativeStandins: { fstype: string }[] };
      // Wherever tmpdir() lies here, the rootfs lives on a host mount, made again in the plan.
      expect(j.host.mounts.length).toBeGreaterThan(0);
      expect(j.nativeDifferences).toEqual([]);
      expect(j.nativeStandins).toEqual(expect.arrayContaining(j.host.mounts.filter((m) => m.fstype !== 'tmpfs')));
      if (j.nativeStandins.length) expect(run(dir, { native: true }).err).toMatch(/^native: the sandbox mounts no host filesystem \(\S+ \S+ on [^)]*\): the kernel ran the plan with a tmpfs for each/m);
    });
  });

  it.skipIf(noPrivilege)('runs the same plan on the kernel and says where it differs (here: nowhere)', () => {
    const spec = {
      ociVersion: '1.0.2',
      root: { path: 'rootfs', readonly: true },
      mounts: [
        { destination: '/proc', type: 'proc', source: 'proc' },
        { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
        { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
        { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev'] },
      ],
      linux: { namespaces: [{ type: 'mount' }, { type: 'pid' }], maskedPaths: ['/proc/keys', '/proc/acpi'], readonlyPaths: ['/proc/sys'] },
    };
    withBundle(spec, ['proc', 'tmp'], (dir) => {
      const r = run(dir, { native: true, format: 'json' });
      expect(r.code).toBe(0);
      const j = JSON.parse(r.out) as { native: { backend: string }; nativeDifferences: string[] };
      expect(j.native.backend).toBe('native');
      expect(j.nativeDifferences).toEqual([]);
      const t = run(dir, { native: true });
      expect(t.err).toMatch(/^native: the kernel agrees, op for op and line for line$/m);
    });
  });
});

describe('the vfsemu command', () => {
  it('dry-runs the bundled example as `node bin/vfsemu.js dry-run` (the README\'s first command)', () => {
    // npm test builds dist/ before vitest runs.
    expect(existsSync('dist/cli/main.js'), 'dist/cli/main.js is missing: run `npm run build` first').toBe(true);
    const r = spawnSync(process.execPath, ['bin/vfsemu.js', 'dry-run'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^TARGET +SOURCE +FSTYPE +OPTIONS$/);
    const bad = spawnSync(process.execPath, ['bin/vfsemu.js', 'dry-run', 'examples/bundles/must-fail'], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('invalid argument');
  });

  it('prints its version with --version and -V, exit 0', () => {
    const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
    for (const flag of ['--version', '-V']) {
      const r = spawnSync(process.execPath, ['bin/vfsemu.js', flag], { encoding: 'utf8' });
      expect([r.status, r.stdout, r.stderr]).toEqual([0, `${version}\n`, '']);
    }
  });
});

describe('formatTree', () => {
  it('indents children under parents and shows a bind\'s root in the source', () => {
    expect(formatTree(['1 0 0:1 / / rw,relatime - tmpfs none rw', '2 1 0:1 /x /a rw,relatime - tmpfs none rw', '3 1 0:2 / /b ro - proc proc rw'])).toBe(
      ['TARGET SOURCE   FSTYPE OPTIONS', '/      none     tmpfs  rw,relatime', '├─/a   none[/x] tmpfs  rw,relatime', '└─/b   proc     proc   ro', ''].join('\n'),
    );
  });
});
