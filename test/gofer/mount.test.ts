/**
 * The whole path: a vfsemu sandbox whose kernel dials with src/host's dialer mounts a real 9P server
 * (`mount -t 9p -o trans=tcp|unix`, src/fs/gofer) — `vfsemu gofer serve` of a host directory, and
 * diod of one — and what it lists, reads, writes, creates, renames and removes through node:fs
 * calls on the sandbox (src/node's createFs) is exactly what is on disk.
 *
 * diod's half needs diod (skipped with the reason without it; a failure under CI=true).
 */
import * as nodeFs from 'node:fs';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox } from '../../src/index.js';
import { p9Dialer } from '../../src/host/p9-dial.js';
import { createFs } from '../../src/node/index.js';
import { itHasTheOracle, oracleSkipped } from '../oracles.js';
import { cliMissing, diodMissing, freePort, fsTree, hostTree, serveCli, startDiod, type HostTree, type Served, itNeeds } from './helpers.js';

const missing = cliMissing();
const diod = diodMissing();
const diodSkip = oracleSkipped('test/gofer/mount (diod half)', diod);

let tree: HostTree;
const stops: (() => Promise<unknown>)[] = [];

beforeAll(() => {
  if (!missing) tree = hostTree();
});
afterAll(async () => {
  await Promise.all(stops.map((s) => s()));
  tree?.cleanup();
});

/** A fresh directory to export, holding a small tree. */
function exportDir(name: string): string {
  const dir = join(tree.base, name);
  mkdirSync(join(dir, 'd', 'sub'), { recursive: true });
  writeFileSync(join(dir, 'f'), 'hello');
  writeFileSync(join(dir, 'd', 'sub', 'g'), 'g');
  nodeFs.symlinkSync('../..', join(dir, 'up'));
  return dir;
}

/** Mounts `source` with `options` at /mnt of a new sandbox; its node:fs. */
function mounted(source: string, options: string): ReturnType<typeof createFs> {
  const { process: p } = createSandbox({ p9Dial: p9Dialer({ timeoutMs: 10_000 }) });
  p.mkdir('/mnt');
  p.mount(source, '/mnt', '9p', 0, options);
  return createFs(p);
}

/** Works the mount and checks the disk after each step. */
function exercise(fs: ReturnType<typeof createFs>, dir: string): void {
  const same = (): void => expect(fsTree(fs, '/mnt')).toEqual(fsTree(nodeFs, dir));
  same();
  expect(fs.readFileSync('/mnt/d/sub/g', 'utf8')).toBe('g');
  fs.writeFileSync('/mnt/new', 'through the mount');
  expect(nodeFs.readFileSync(join(dir, 'new'), 'utf8')).toBe('through the mount');
  fs.appendFileSync('/mnt/new', '!');
  fs.mkdirSync('/mnt/made');
  fs.symlinkSync('../elsewhere', '/mnt/made/link');
  same();
  fs.renameSync('/mnt/new', '/mnt/made/moved');
  expect(nodeFs.readFileSync(join(dir, 'made', 'moved'), 'utf8')).toBe('through the mount!');
  same();
  fs.unlinkSync('/mnt/made/moved');
  fs.unlinkSync('/mnt/made/link');
  fs.rmdirSync('/mnt/made');
  fs.unlinkSync('/mnt/f');
  same();
  expect(nodeFs.existsSync(join(dir, 'f'))).toBe(false);
  // Writes on the host show through the mount.
  writeFileSync(join(dir, 'from-host'), 'host');
  expect(fs.readFileSync('/mnt/from-host', 'utf8')).toBe('host');
}

itNeeds('the built CLI and addon (npm run build, npm run build:native)', missing);

describe('a sandbox mounts vfsemu gofer serve', () => {
  it('over TCP (trans=tcp,port=PORT,aname=DIR)', async () => {
    const dir = exportDir('mount-tcp');
    const s: Served = await serveCli([dir, '--listen', '127.0.0.1:0']);
    stops.push(() => s.stop('SIGKILL'));
    exercise(mounted('127.0.0.1', `trans=tcp,port=${s.address.split(':')[1]},aname=${dir}`), dir);
  });

  it('over a unix socket (trans=unix, the socket path as the source)', async () => {
    const dir = exportDir('mount-unix');
    const sock = join(tree.base, 'mount.sock');
    const s = await serveCli([dir, '--listen', `unix:${sock}`]);
    stops.push(() => s.stop('SIGKILL'));
    exercise(mounted(sock, 'trans=unix'), dir);
  });
});

describe.skipIf(diodSkip)('a sandbox mounts diod', () => {
  itHasTheOracle('diod', diod);

  // diod 1.0.24 answers Tunlinkat and Trenameat with EOPNOTSUPP; the gofer filesystem then falls
  // back to Tremove and Trename, as Linux's v9fs_remove() and v9fs_vfs_rename() do.
  it('over TCP (diod -f -n -e DIR -l 127.0.0.1:PORT)', async () => {
    const dir = exportDir('mount-diod');
    const port = await freePort();
    const d = await startDiod(dir, `127.0.0.1:${port}`);
    stops.push(() => d.stop());
    // diod maps the first attach (n_uname ~0) by uname, "nobody" unless uname= says otherwise, and
    // nobody may not search the 0700 export: mount as root, as one mounts a diod export as root.
    exercise(mounted('127.0.0.1', `trans=tcp,port=${port},aname=${dir},uname=root`), dir);
  });
});
