/**
 * The library's surface (issue 14, "Library surface"): what each entry loads and what it offers.
 * The main entry, `vfsemu/node` and `vfsemu/host` load none of the CLI's packages (commander,
 * cli-progress), nor ajv (only `vfsemu/oci` validates specs), fast-check (optional: loaded when a
 * parity run starts) or fs-monkey (optional: loaded when patching starts) — checked by loading the
 * built entries in a fresh node: NODE_DEBUG=esm names every ES module it links, require.cache
 * every CommonJS one.
 * Then the exported functions, as an embedder calls them, and the sandbox's default limits.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compareOutcomes, createSandbox, DEFAULT_SANDBOX_LIMITS, O_CREAT, O_WRONLY, predictRunc, runPlan } from '../../src/index.js';
import { parseSpec } from '../../src/boot/oci.js';
import { runPlan as runPlanOn } from '../../src/host/index.js';

const CLI_PACKAGES = ['commander', 'cli-progress', 'ajv', 'ajv-errors', 'fast-check', 'fs-monkey', 'memfs'];

/** The packages under node_modules that loading `entry` (built, in dist/) loads. */
function packagesLoadedBy(entry: string): string[] {
  const script = `
    import { createRequire } from 'node:module';
    const seen = new Set();
    await import(${JSON.stringify(entry)});
    const req = createRequire(import.meta.url);
    for (const f of Object.keys(req.cache)) seen.add(f);
    process.stdout.write(JSON.stringify([...seen]));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, NODE_DEBUG: 'esm' } });
  expect(r.status, r.stderr).toBe(0);
  // NODE_DEBUG=esm logs every ESM module the loader links; require.cache has the CommonJS ones.
  const files = [...(JSON.parse(r.stdout) as string[]), ...r.stderr.split('\n')];
  const pkgs = new Set<string>();
  for (const f of files) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(f);
    if (m) pkgs.add(m[1]!);
  }
  return [...pkgs].sort();
}

describe('what the entries load', () => {
  it.each(['./dist/index.js', './dist/node/index.js', './dist/host/index.js'])('%s loads no CLI package, no ajv, no fast-check, no fs-monkey', (entry) => {
    const loaded = packagesLoadedBy(entry);
    expect(loaded.filter((p) => CLI_PACKAGES.includes(p))).toEqual([]);
  });

  it('sees what is loaded: the oci entry loads ajv (CommonJS), the arbitraries fast-check (ESM)', () => {
    expect(packagesLoadedBy('./dist/boot/oci.js')).toContain('ajv');
    expect(packagesLoadedBy('./dist/plan/arbitrary.js')).toContain('fast-check');
  });

  it('package.json: fast-check and fs-monkey are optional, the examples are packed, each entry is exported', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as Record<string, Record<string, unknown> & string[]>;
    expect(Object.keys(pkg.optionalDependencies!).sort()).toEqual(['fast-check', 'fs-monkey']);
    expect(Object.keys(pkg.dependencies!)).not.toContain('fast-check');
    expect(pkg.files).toContain('examples');
    expect(Object.keys(pkg.exports!)).toEqual(['.', './node', './host', './container', './oci', './package.json']);
  });
});

describe('the exported functions', () => {
  const plan = { version: 1 as const, ops: [{ op: 'mkdir' as const, path: '/a' }, { op: 'readdir' as const, path: '/' }] };

  it('runPlan runs a plan on the emulator; vfsemu/host runPlan on either backend', async () => {
    const o = runPlan(plan);
    expect(o.results).toEqual([{ ok: true }, { ok: true, names: ['a'] }]);
    const again = await runPlanOn(plan, { backend: 'emulated' });
    expect(compareOutcomes(plan, o, again)).toEqual({ equal: true, diff: '' });
  });

  it('predictRunc predicts runc for a spec parsed by vfsemu/oci', () => {
    const spec = parseSpec(readFileSync('examples/bundles/must-fail/config.json', 'utf8'));
    const p = predictRunc(spec);
    expect(p.failure?.errno).toBe('EINVAL');
  });

  it('a sandbox is bounded by default (256 MiB, 65,536 inodes in its root), and embedders set other limits', () => {
    expect(DEFAULT_SANDBOX_LIMITS).toEqual({ size: 256 * 1024 * 1024, inodes: 65536 });
    expect(createSandbox().process.mountinfo()).toMatch(/ \/ \/ rw,relatime - tmpfs none rw,size=262144k,nr_inodes=65536,mode=755\n$/);
    const p = createSandbox({ size: 8192, inodes: 3 }).process;
    const fd = p.open('/f', O_WRONLY | O_CREAT, 0o644);
    // A write past the size is short, the next one ENOSPC (as on a full tmpfs).
    expect(p.write(fd, new Uint8Array(12288))).toBe(8192);
    expect(() => p.write(fd, new Uint8Array(1))).toThrow(/ENOSPC/);
    p.mkdir('/d');
    expect(() => p.mkdir('/e')).toThrow(/ENOSPC/);
  });
});
