/**
 * docs/embedding.md's first example, run as written (with its printed values as assertions), so
 * that the page stays true.
 */
import { createRequire } from 'node:module';
import { expect, it } from 'vitest';
import { createSandbox, Credentials, MS_BIND, MS_RDONLY, MS_REMOUNT } from '../../src/index.js';
import { createFs, runInSandbox } from '../../src/node/index.js';

const require = createRequire(import.meta.url);

it('runs the embedding guide’s example', async () => {
  const sandbox = createSandbox();
  const p = sandbox.process;
  p.umask = 0o022;
  const fs = createFs(p);

  fs.mkdirSync('/app/data', { recursive: true });
  fs.writeFileSync('/app/data/hello.txt', 'hi\n');
  expect(fs.readFileSync('/app/data/hello.txt', 'utf8')).toBe('hi\n');
  expect((await fs.promises.readdir('/app', { withFileTypes: true })).map((d) => [d.name, d.isDirectory(), d.parentPath])).toEqual([['data', true, '/app']]);

  fs.mkdirSync('/ro');
  p.mount('/app', '/ro', null, MS_BIND);
  p.mount(null, '/ro', null, MS_REMOUNT | MS_BIND | MS_RDONLY);
  expect(() => fs.writeFileSync('/ro/data/x', 'no')).toThrow("EROFS: read-only file system, open '/ro/data/x'");

  p.creds = new Credentials(1000, 1000, [], 0n);
  expect(() => fs.mkdirSync('/etc')).toThrow(expect.objectContaining({ code: 'EACCES', syscall: 'mkdir', errno: -13 }));

  p.creds = Credentials.root();
  fs.writeFileSync('/app/main.js', "module.exports = require('fs').readdirSync(__dirname);");
  expect(await runInSandbox(fs, () => require('/app/main.js'))).toEqual(['data', 'main.js']);
});
