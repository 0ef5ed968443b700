/**
 * Unmodified npm packages running inside a sandbox (src/node/patch.ts): tar, fs-extra and
 * fast-glob are copied with their dependencies into the sandbox's /app/node_modules, loaded from
 * there by `require()` while node:fs and require point into the sandbox, and their results are
 * checked through the sandbox's Process API. The work directory they use exists on the host too,
 * empty, and must stay so: nothing they do reaches the host.
 *
 * Every patch is undone in a `finally` (runInSandbox), so the rest of the vitest worker keeps the
 * real node:fs; the last test checks that.
 */
import * as realFs from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, O_RDONLY } from '../../src/index.js';
import { copyTree, createFs, patchNodeFs, runInSandbox, type SandboxFs } from '../../src/node/index.js';
import type { Process } from '../../src/vfs/process.js';
import * as esmReader from './fixtures/esm-reader.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const hostModules = join(here, '..', '..', 'node_modules');
const saved = { readFileSync: realFs.readFileSync, promisesReadFile: realFs.promises.readFile, writeFileSync: realFs.writeFileSync };

/** The host directory of `name` as seen from package directory `from` (Node's node_modules walk). */
function hostPackageDir(name: string, from: string): string {
  for (let d = from; ; d = dirname(d)) {
    const candidate = join(d, 'node_modules', name);
    if (realFs.existsSync(join(candidate, 'package.json'))) return candidate;
    if (d === dirname(d)) throw new Error(`${name} not found from ${from}`);
  }
}

/** Copies `name` and its dependencies from the host's node_modules into the sandbox's /app/node_modules, keeping the layout. */
function installInSandbox(fs: SandboxFs, names: string[]): void {
  const done = new Set<string>();
  const visit = (name: string, from: string): void => {
    const dir = hostPackageDir(name, from);
    if (done.has(dir)) return;
    done.add(dir);
    const inSandbox = `/app/node_modules/${dir.slice(hostModules.length + '/'.length)}`;
    fs.mkdirSync(dirname(inSandbox), { recursive: true });
    copyTree(realFs as never, dir, fs, inSandbox);
    const pkg = JSON.parse(realFs.readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    for (const dep of Object.keys(pkg.dependencies ?? {})) visit(dep, dir);
  };
  for (const n of names) visit(n, join(hostModules, '..'));
}

/** `require` as code in the sandbox's /app would call it. */
const appRequire = createRequire('/app/index.js');

let sandboxFs: SandboxFs;
let p: Process;
let work: string;
const hostHadApp = realFs.existsSync('/app');

beforeAll(() => {
  const sandbox = createSandbox();
  p = sandbox.process;
  p.umask = 0o022;
  sandboxFs = createFs(p);
  installInSandbox(sandboxFs, ['tar', 'fs-extra', 'fast-glob']);
  // The directory the packages work in exists on the host too, empty: it must stay so.
  work = realFs.mkdtempSync('/tmp/vfsemu-packages-');
  sandboxFs.mkdirSync(work, { recursive: true });
});

afterAll(() => {
  expect(realFs.readdirSync(work)).toEqual([]);
  expect(realFs.existsSync('/app')).toBe(hostHadApp);
  realFs.rmSync(work, { recursive: true });
});

const text = (path: string): string => {
  const fd = p.open(path, O_RDONLY);
  try {
    const buf = new Uint8Array(p.fstat(fd).size);
    p.read(fd, buf);
    return new TextDecoder().decode(buf);
  } finally {
    p.close(fd);
  }
};

describe('npm packages inside a sandbox', () => {
  it('tar creates and extracts archives with modes, owners and symlinks (sync and async)', async () => {
    const src = `${work}/tar-src`;
    sandboxFs.mkdirSync(`${src}/bin`, { recursive: true });
    sandboxFs.writeFileSync(`${src}/a.txt`, 'alpha\n');
    sandboxFs.writeFileSync(`${src}/bin/run.sh`, '#!/bin/sh\necho hi\n', { mode: 0o755 });
    sandboxFs.writeFileSync(`${src}/owned`, 'x');
    sandboxFs.chownSync(`${src}/owned`, 1000, 1000);
    sandboxFs.symlinkSync('a.txt', `${src}/link`);
    sandboxFs.mkdirSync(`${src}/private`, 0o700);
    const listed: string[] = [];
    await runInSandbox(sandboxFs, async () => {
      const tar = appRequire('tar') as typeof import('tar');
      tar.c({ sync: true, file: `${work}/sync.tar`, cwd: src }, ['.']);
      sandboxFs.mkdirSync(`${work}/tar-sync`);
      tar.x({ sync: true, file: `${work}/sync.tar`, cwd: `${work}/tar-sync` });
      await tar.c({ file: `${work}/async.tgz`, gzip: true, cwd: src }, ['.']);
      sandboxFs.mkdirSync(`${work}/tar-async`);
      await tar.x({ file: `${work}/async.tgz`, cwd: `${work}/tar-async` });
      await tar.t({ file: `${work}/async.tgz`, onReadEntry: (e) => void listed.push(`${e.type} ${e.path}`) });
    });
    expect(text(`${work}/sync.tar`).slice(257, 262)).toBe('ustar');
    expect(listed.sort()).toEqual(['Directory ./', 'Directory ./bin/', 'Directory ./private/', 'File ./a.txt', 'File ./bin/run.sh', 'File ./owned', 'SymbolicLink ./link']);
    for (const out of ['tar-sync', 'tar-async']) {
      const d = `${work}/${out}`;
      expect(text(`${d}/a.txt`)).toBe('alpha\n');
      expect(p.stat(`${d}/bin/run.sh`).mode & 0o7777).toBe(0o755);
      expect(p.stat(`${d}/a.txt`).mode & 0o7777).toBe(0o644);
      expect(p.stat(`${d}/private`).mode & 0o7777).toBe(0o700);
      expect(p.readlink(`${d}/link`)).toBe('a.txt');
      expect([p.stat(`${d}/owned`).uid, p.stat(`${d}/owned`).gid]).toEqual([1000, 1000]);
    }
  });

  it('fs-extra copies, moves, removes, ensures directories and outputs files (sync and async)', async () => {
    const base = `${work}/fse`;
    await runInSandbox(sandboxFs, async () => {
      const fse = appRequire('fs-extra') as typeof import('fs-extra');
      fse.ensureDirSync(`${base}/a/b`);
      fse.outputFileSync(`${base}/a/b/c/deep.txt`, 'deep');
      sandboxFs.symlinkSync('b/c/deep.txt', `${base}/a/link`);
      sandboxFs.chmodSync(`${base}/a/b/c/deep.txt`, 0o600);
      fse.copySync(`${base}/a`, `${base}/copy`);
      fse.moveSync(`${base}/copy`, `${base}/moved`);
      await fse.outputJson(`${base}/out/data.json`, { ok: true });
      await fse.copy(`${base}/a`, `${base}/acopy`);
      await fse.move(`${base}/acopy/b`, `${base}/bmoved`);
      fse.removeSync(`${base}/a`);
      await fse.remove(`${base}/acopy`);
      await fse.ensureFile(`${base}/touched`);
    });
    expect(sandboxFs.readdirSync(base)).toEqual(['bmoved', 'moved', 'out', 'touched']);
    expect(text(`${base}/moved/b/c/deep.txt`)).toBe('deep');
    expect(p.stat(`${base}/moved/b/c/deep.txt`).mode & 0o7777).toBe(0o600);
    expect(p.readlink(`${base}/moved/link`)).toBe('b/c/deep.txt');
    expect(JSON.parse(text(`${base}/out/data.json`))).toEqual({ ok: true });
    expect(text(`${base}/bmoved/c/deep.txt`)).toBe('deep');
    expect(p.stat(`${base}/touched`).size).toBe(0);
  });

  it('fast-glob walks the sandbox’s tree (sync and async)', async () => {
    const base = `${work}/glob`;
    for (const f of ['src/a.js', 'src/b.ts', 'src/lib/c.js', 'test/d.js', '.hidden/e.js', 'README.md']) {
      sandboxFs.mkdirSync(dirname(`${base}/${f}`), { recursive: true });
      sandboxFs.writeFileSync(`${base}/${f}`, '');
    }
    sandboxFs.symlinkSync('src', `${base}/srclink`);
    const r = await runInSandbox(sandboxFs, async () => {
      const fg = appRequire('fast-glob') as typeof import('fast-glob');
      return {
        js: fg.sync('**/*.js', { cwd: base }).sort(),
        dot: (await fg('**/*.js', { cwd: base, dot: true, ignore: ['test/**'] })).sort(),
        dirs: (await fg('*', { cwd: base, onlyDirectories: true })).sort(),
        abs: fg.sync('src/*.{js,ts}', { cwd: base, absolute: true }).sort(),
      };
    });
    expect(r.js).toEqual(['src/a.js', 'src/lib/c.js', 'srclink/a.js', 'srclink/lib/c.js', 'test/d.js']);
    expect(r.dot).toEqual(['.hidden/e.js', 'src/a.js', 'src/lib/c.js', 'srclink/a.js', 'srclink/lib/c.js']);
    expect(r.dirs).toEqual(['src', 'srclink', 'test']);
    expect(r.abs).toEqual([`${base}/src/a.js`, `${base}/src/b.ts`]);
  });

  it('require() loads a CommonJS program stored in the sandbox, which sees only the sandbox', async () => {
    sandboxFs.mkdirSync('/app/lib', { recursive: true });
    sandboxFs.mkdirSync('/app/node_modules/greet', { recursive: true });
    sandboxFs.writeFileSync('/app/node_modules/greet/package.json', JSON.stringify({ name: 'greet', main: 'main.js' }));
    sandboxFs.writeFileSync('/app/node_modules/greet/main.js', "module.exports = (n) => `hello, ${n}`;");
    sandboxFs.writeFileSync('/app/lib/util.js', 'exports.twice = (x) => x * 2;');
    sandboxFs.writeFileSync('/app/config.json', '{"name": "sandbox"}');
    sandboxFs.writeFileSync('/app/secret.txt', 'only in the sandbox');
    sandboxFs.writeFileSync(
      '/app/main.js',
      [
        "const fs = require('fs');",
        "const { twice } = require('./lib/util');",
        "const greet = require('greet');",
        "const config = require('./config.json');",
        "fs.writeFileSync(__dirname + '/written-by-app.txt', 'app was here');",
        'module.exports = { greeting: greet(config.name), four: twice(2), secret: fs.readFileSync(__dirname + "/secret.txt", "utf8"), files: fs.readdirSync(__dirname).sort(), file: __filename };',
      ].join('\n'),
    );
    const out = await runInSandbox(sandboxFs, () => appRequire('/app/main.js'));
    expect(out).toEqual({
      greeting: 'hello, sandbox',
      four: 4,
      secret: 'only in the sandbox',
      files: ['config.json', 'lib', 'main.js', 'node_modules', 'secret.txt', 'written-by-app.txt'],
      file: '/app/main.js',
    });
    expect(text('/app/written-by-app.txt')).toBe('app was here');
    // Once undone, the program is neither cached nor loadable.
    expect(() => appRequire('/app/main.js')).toThrow(/Cannot find module '\/app\/main.js'/);
  });

  it('ESM importers of node:fs and node:fs/promises see the sandbox while patched (syncBuiltinESMExports)', async () => {
    sandboxFs.writeFileSync(`${work}/esm.txt`, 'read by an ES module');
    const undo = patchNodeFs(sandboxFs);
    try {
      expect(esmReader.read(`${work}/esm.txt`)).toBe('read by an ES module');
      expect(await esmReader.readAsync(`${work}/esm.txt`)).toBe('read by an ES module');
      expect(esmReader.exists(`${work}/esm.txt`)).toBe(true);
      expect(() => esmReader.watch(work)).toThrow('The feature fs.watch is unavailable on the current platform, which is being used to run Node.js');
    } finally {
      undo();
    }
    expect(esmReader.exists(`${work}/esm.txt`)).toBe(false);
  });

  it('leaves node:fs as it was after every patch', () => {
    expect(realFs.readFileSync).toBe(saved.readFileSync);
    expect(realFs.writeFileSync).toBe(saved.writeFileSync);
    expect(realFs.promises.readFile).toBe(saved.promisesReadFile);
    expect((createRequire(import.meta.url)('node:fs') as typeof realFs).readFileSync).toBe(saved.readFileSync);
    expect((createRequire(import.meta.url)('node:fs/promises') as typeof realFs.promises).readFile).toBe(saved.promisesReadFile);
    expect(typeof realFs.watch).toBe('function');
    expect(esmReader.read(join(here, 'fixtures', 'esm-reader.mjs'))).toContain('export const read');
  });
});
