/**
 * `vfsemu plan run --backend native` (docs/plan-format.md "Running a plan"): runs the plan on
 * the host kernel with --json, and exits 3 with a one-line reason for a user who may not make
 * mount namespaces.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runPlanCommand } from '../../src/cli/plan-run.js';
import { itHasTheBackend, noPrivilege, warnIfSkipped } from './helpers.js';

warnIfSkipped('test/native/cli');

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const demo = join(root, 'examples', 'plans', 'demo.json');

describe.skipIf(noPrivilege)('vfsemu plan run --backend native', () => {
  itHasTheBackend();

  it('prints the native outcome document with --json', () => {
    let out = '';
    let err = '';
    const code = runPlanCommand(demo, { backend: 'native', json: true }, { out: (s) => (out += s), err: (s) => (err += s) });
    expect(err).toBe('');
    expect(code).toBe(0);
    const o = JSON.parse(out);
    expect(o.backend).toBe('native');
    expect(o.results[6]).toEqual({ ok: false, errno: 'EROFS' });
    expect(o.results[7]).toEqual({ ok: true, data: 'hello\n' });
    expect(o.mountinfo.map((l: string) => l.replace(/^\d+ \d+ \d+:\d+ /, ''))).toEqual([
      '/ / rw,relatime - tmpfs none rw,mode=755',
      '/ /data rw,nosuid,nodev,relatime - tmpfs none rw,size=1024k,mode=750',
    ]);
    expect(o.namespaces).toHaveLength(2);
  });

  // uid 0 with an empty bounding set: no capability at all after exec, yet the checkout stays
  // readable wherever it is (a clone in a 0700 directory is not readable by nobody).
  it('exits 3 with a one-line reason without CAP_SYS_ADMIN (root without capabilities, through setpriv)', () => {
    expect(existsSync('/usr/bin/setpriv') || spawnSync('setpriv', ['--version']).status === 0, 'util-linux setpriv is needed').toBe(true);
    expect(existsSync(join(root, 'dist', 'cli', 'main.js')), 'dist/ is missing: run `npm run build` (npm test does)').toBe(true);
    const r = spawnSync(
      'setpriv',
      ['--inh-caps=-all', '--bounding-set=-all', process.execPath, 'bin/vfsemu.js', 'plan', 'run', '--backend', 'native', demo],
      { cwd: root, encoding: 'utf8' },
    );
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^vfsemu: backend native cannot run here: no CAP_SYS_ADMIN[^\n]*\n$/);
    expect(r.status).toBe(3);
  });
});
