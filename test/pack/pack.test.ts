/**
 * The npm package as a user gets it: `npm pack`, then `npm install` of the tarball into an empty
 * project (dependencies from the registry, the native addon built by the install script), then
 * the README's first command through the installed bin (`npx vfsemu dry-run`, which needs the
 * packed examples) and the library's entries imported by name.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve('.');
const work = mkdtempSync(join(tmpdir(), 'vfsemu-pack-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the packed package, installed elsewhere', () => {
  it('installs from its tarball and runs `npx vfsemu dry-run` and the library entries', { timeout: 300_000 }, () => {
    // dist/ is built by `npm test` before vitest runs; prepare would only build it again.
    execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', work], { cwd: root, stdio: 'pipe' });
    const tarball = readdirSync(work).find((n) => n.endsWith('.tgz'))!;
    const app = join(work, 'app');
    execFileSync('mkdir', [app]);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, type: 'module' }));
    const install = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(work, tarball)], { cwd: app, encoding: 'utf8' });
    expect(install.status, install.stderr).toBe(0);

    const dry = spawnSync('npx', ['vfsemu', 'dry-run'], { cwd: app, encoding: 'utf8' });
    expect(dry.status, dry.stderr).toBe(0);
    expect(dry.stdout.split('\n')[0]).toMatch(/^TARGET +SOURCE +FSTYPE +OPTIONS$/);
    expect(dry.stderr).toMatch(/^every mount would succeed$/m);

    const lib = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { runPlan } from 'vfsemu';
         import { createFs } from 'vfsemu/node';
         import { createSandbox } from 'vfsemu';
         import { parseSpec } from 'vfsemu/oci';
         import { nativeUnavailableReason } from 'vfsemu/host';
         const fs = createFs(createSandbox().process);
         fs.writeFileSync('/hello', 'hi');
         console.log(JSON.stringify([runPlan({ version: 1, ops: [{ op: 'mkdir', path: '/a' }] }).results, fs.readFileSync('/hello', 'utf8'), typeof parseSpec, typeof nativeUnavailableReason]));`,
      ],
      { cwd: app, encoding: 'utf8' },
    );
    expect(lib.stderr).toBe('');
    expect(JSON.parse(lib.stdout)).toEqual([[{ ok: true }], 'hi', 'function', 'function']);
  });
});
