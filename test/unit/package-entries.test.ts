/**
 * The package's entries as Node resolves them by name (package.json "exports": the bundles
 * rolldown.config.mjs builds in dist/pkg from tsc's dist/), each checked in a fresh node:
 * - every name the tsc entry exports, the bundled entry exports too, as the same kind of value;
 * - a class is one class across entries: `vfsemu/node` over a Process from `vfsemu` turns the
 *   emulator's SysError into Node's error shape (an instanceof across the two entries), and
 *   `vfsemu/container`'s types reach `vfsemu`'s createKernel;
 * - the main entry links a few modules of its own (the point of the bundle: ~160 before) and no
 *   package;
 * - `require` stays as written (the 9P socket worker's body runs from its source text).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** Runs an ES module script in a fresh node in the checkout (so `vfsemu` is the package itself); its stdout as JSON. */
function run(script: string, env: NodeJS.ProcessEnv = {}): { out: unknown; stderr: string } {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, ...env } });
  expect(r.status, r.stderr).toBe(0);
  return { out: JSON.parse(r.stdout), stderr: r.stderr };
}

const ENTRIES: [string, string][] = [
  ['vfsemu', './dist/index.js'],
  ['vfsemu/node', './dist/node/index.js'],
  ['vfsemu/host', './dist/host/index.js'],
  ['vfsemu/container', './dist/container.js'],
  ['vfsemu/oci', './dist/boot/oci.js'],
];

describe('the package entries (dist/pkg)', () => {
  it.each(ENTRIES)('%s exports every name of %s, each the same kind of value', (name, tscEntry) => {
    const { out } = run(`
      const shape = (m) => Object.fromEntries(Object.keys(m).sort().map((k) => [k, typeof m[k]]));
      const [a, b] = await Promise.all([import(${JSON.stringify(name)}), import(${JSON.stringify(tscEntry)})]);
      console.log(JSON.stringify([shape(a), shape(b)]));
    `);
    const [bundled, tsc] = out as [Record<string, string>, Record<string, string>];
    expect(Object.keys(tsc).length).toBeGreaterThan(0);
    expect(bundled).toEqual(tsc);
  });

  it('shares classes between entries: vfsemu/node maps a SysError thrown by a vfsemu Process', () => {
    const { out } = run(`
      import { createSandbox, createKernel, SysError } from 'vfsemu';
      import { createFs } from 'vfsemu/node';
      import { rootContainer } from 'vfsemu/container';
      const fs = createFs(createSandbox().process);
      let e;
      try { fs.statSync('/nope'); } catch (x) { e = x; }
      let raw;
      try { createSandbox().process.stat('/nope'); } catch (x) { raw = x; }
      const k = createKernel({}, rootContainer.createChildContainer());
      console.log(JSON.stringify([e.code, e.syscall, e.path, e instanceof SysError, raw instanceof SysError, k.filesystems.has('tmpfs')]));
    `);
    expect(out).toEqual(['ENOENT', 'stat', '/nope', false, true, true]);
  });

  it('the main entry links a handful of modules of its own and no package', () => {
    const { stderr } = run(`await import('vfsemu'); console.log('[]');`, { NODE_DEBUG: 'esm' });
    const own = new Set([...stderr.matchAll(/file:\/\/\S*?\/dist\/(\S+?\.js)/g)].map((m) => m[1]));
    expect([...own].every((f) => f.startsWith('pkg/'))).toBe(true);
    expect(own.size).toBeLessThanOrEqual(10);
    expect(stderr).not.toMatch(/node_modules/);
  });

  it('leaves require as written (no bundler shim the socket worker would not have)', () => {
    const files = readdirSync('dist/pkg').filter((f) => f.endsWith('.js'));
    expect(files).toContain('host.js');
    for (const f of files) expect(readFileSync(`dist/pkg/${f}`, 'utf8'), f).not.toMatch(/__require\b/);
    // The 9P socket worker's source hands the worker body the worker's own require.
    expect(readFileSync('dist/pkg/host.js', 'utf8')).toMatch(/\(P9FrameSplitter, require\)/);
  });
});
