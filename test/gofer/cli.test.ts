/**
 * `vfsemu gofer serve` as a user runs it (node bin/vfsemu.js, from dist/): it logs each attach on
 * one line, serves read-only with --ro and by the aname given with --aname, stops cleanly on SIGINT
 * and SIGTERM (exit 0, its unix socket gone), and turns user mistakes — a missing directory, a bad
 * or busy address — into one line and a non-zero exit, never a stack trace.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialP9 } from '../../src/host/p9-dial.js';
import { P9_DOTL_RDWR, P9_DOTL_WRONLY } from '../../src/p9/index.js';
import { cliMissing, hostTree, RawClient, ROOT, serveCli, type HostTree, itNeeds } from './helpers.js';

const missing = cliMissing();

let tree: HostTree;
beforeAll(() => {
  if (!missing) tree = hostTree();
});
afterAll(() => tree?.cleanup());

/** Runs the CLI to completion (10 s at most): its exit status and stderr. */
function run(...args: string[]): { status: number | null; stderr: string } {
  // A bound, not a measure: a loaded machine may take seconds to start node (the CLI exits at once).
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'vfsemu.js'), 'gofer', 'serve', ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stderr: r.stderr };
}

function port(address: string): number {
  return Number(address.split(':').at(-1));
}

itNeeds('the built CLI and addon (npm run build, npm run build:native)', missing);

describe('vfsemu gofer serve', () => {
  it('serves, logs each attach on one line, and stops on SIGINT with exit 0', async () => {
    const s = await serveCli([tree.srv, '--listen', '127.0.0.1:0']);
    const t = dialP9({ trans: 'tcp', source: '127.0.0.1', port: port(s.address) });
    const c = new RawClient(t);
    c.start(tree.srv);
    expect(c.cat(1, 'f')).toBe('hello');
    expect(c.err({ msg: 'Tattach', fid: 9, afid: 0xffffffff, uname: 'someone', aname: '/elsewhere', nUname: 42 })).toBe('ENOENT');
    t.close();
    expect(await s.stop('SIGINT')).toBe(0);
    const lines = s.stderr().split('\n');
    expect(lines).toContain(`vfsemu gofer: serving ${tree.srv} as aname "" and ${JSON.stringify(tree.srv)}`);
    expect(lines.filter((l) => l.includes('attach from 127.0.0.1:'))).toEqual([
      expect.stringMatching(new RegExp(`aname=${JSON.stringify(tree.srv)} uname="root" n_uname=0: ok$`)),
      expect.stringMatching(/aname="\/elsewhere" uname="someone" n_uname=42: ENOENT$/),
    ]);
    expect(lines).toContain('vfsemu gofer: SIGINT: stopping');
  });

  it('serves read-only with --ro, by the one aname --aname gives, and unlinks its unix socket on SIGTERM', async () => {
    const sock = join(tree.base, 'cli.sock');
    const s = await serveCli([tree.srv, '--listen', `unix:${sock}`, '--ro', '--aname', 'share']);
    expect(s.address).toBe(`unix:${sock}`);
    const c = new RawClient(dialP9({ trans: 'unix', source: sock }));
    c.ok('Rversion', { msg: 'Tversion', msize: 8192, version: '9P2000.L' });
    expect(c.err({ msg: 'Tattach', fid: 0, afid: 0xffffffff, uname: 'u', aname: '', nUname: 0 })).toBe('ENOENT');
    c.ok('Rattach', { msg: 'Tattach', fid: 0, afid: 0xffffffff, uname: 'u', aname: 'share', nUname: 0 });
    c.walk(0, 1, 'f');
    expect(c.err({ msg: 'Tlopen', fid: 1, flags: P9_DOTL_WRONLY })).toBe('EROFS');
    expect(c.err({ msg: 'Tlcreate', fid: 0, name: 'x', flags: P9_DOTL_RDWR, mode: 0o644, gid: 0 })).toBe('EROFS');
    expect(await s.stop('SIGTERM')).toBe(0);
    expect(existsSync(sock)).toBe(false);
  });

  it('refuses a missing directory or a file with exit 2 and one line', () => {
    for (const dir of [join(tree.base, 'missing'), join(tree.srv, 'f')]) {
      const r = run(dir, '--listen', '127.0.0.1:0');
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/^vfsemu: gofer serve: cannot export .*: (ENOENT: no such file or directory|ENOTDIR: not a directory)\n$/);
    }
  });

  it('refuses a malformed --listen with exit 2, a missing one too', () => {
    for (const listen of ['127.0.0.1', 'host:99999', 'unix:', '[::1:5']) {
      const r = run(tree.srv, '--listen', listen);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/^vfsemu: gofer serve: --listen .*\n$/);
    }
    const r = run(tree.srv);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/required option '--listen <address>'/);
  });

  it('refuses an address in use with exit 1 and one line', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    try {
      const p = (busy.address() as { port: number }).port;
      // spawnSync would block this process's event loop, and with it the busy server: fine, the kernel answers bind().
      const r = run(tree.srv, '--listen', `127.0.0.1:${p}`);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(`vfsemu: gofer serve: cannot listen on 127.0.0.1:${p}: EADDRINUSE (address already in use)\n`);
    } finally {
      busy.close();
    }
    const r = run(tree.srv, '--listen', `unix:${join(tree.srv, 'f')}`);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/EADDRINUSE \(address already in use\)\n$/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
