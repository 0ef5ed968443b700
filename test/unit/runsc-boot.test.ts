/**
 * The boot API (bootRunsc): a Sandbox whose process is the container's init inside the predicted
 * namespace — reads go through the gofer to the bundle's files, writes under the overlaid root
 * land in the overlay's upper tmpfs and never reach the host, writes to a writable volume do
 * (its gofer is writable), a read-only root refuses them. The first test is docs/runsc.md's
 * example.
 */
import { describe, expect, it } from 'vitest';
import { bootRunsc, RunscBootError } from '../../src/boot/runsc/profile.js';
import { O_CREAT, O_RDONLY, O_TRUNC, O_WRONLY, Sandbox } from '../../src/index.js';
import type { Process } from '../../src/vfs/process.js';
import { errOf, readdirNames, writeFile } from './helpers.js';
import { runscImage, runscSpec, withGofer } from './runsc-helpers.js';

function readFile(p: Process, path: string): string {
  const fd = p.open(path, O_RDONLY);
  try {
    const buf = new Uint8Array(4096);
    const n = p.read(fd, buf);
    return new TextDecoder().decode(buf.subarray(0, n));
  } finally {
    p.close(fd);
  }
}

describe('bootRunsc', () => {
  it('runs the docs/runsc.md example: a write through the overlay root stays in the sandbox', () => {
    const spec = runscSpec([{ destination: '/data', type: 'bind', source: 'vol', options: ['rbind'] }]);
    const image = runscImage({ etc: [0, {}, { motd: [1, {}, 'from the bundle\n'] }] }, { vol: [0, {}, {}] });
    const sb = bootRunsc(spec, withGofer({ image }));
    const p = sb.process;
    expect(readFile(p, '/etc/motd')).toBe('from the bundle\n');
    const fd = p.open('/etc/motd', O_WRONLY | O_TRUNC);
    p.write(fd, new TextEncoder().encode('written in the sandbox\n'));
    p.close(fd);
    writeFile(p, '/new-file', 'only in the upper layer\n');
    writeFile(p, '/data/out.txt', 'through a writable gofer\n');
    expect(readFile(p, '/etc/motd')).toBe('written in the sandbox\n');
    // The host: the bundle's files are as they were; the volume has what was written to it.
    const host = sb.hostProcess;
    expect(readFile(host, '/bundle/rootfs/etc/motd')).toBe('from the bundle\n');
    expect(readdirNames(host, '/bundle/rootfs')).not.toContain('new-file');
    expect(readFile(host, '/bundle/vol/out.txt')).toBe('through a writable gofer\n');
  });

  it('is structurally a Sandbox, its task in the container\'s namespace with the spec\'s credentials, umask and cwd', () => {
    const spec = runscSpec([]);
    spec.process = { args: ['sh'], cwd: '/home/app', user: { uid: 1000, gid: 1000, umask: 0o027 } };
    const runsc = bootRunsc(spec, withGofer({ image: runscImage({ home: [0, {}, { app: [0, { uid: 1000, gid: 1000 }, {}] }] }) }));
    const sb: Sandbox = runsc;
    const p = sb.process;
    expect([p.creds.uid, p.creds.gid, p.creds.caps, p.umask, p.getcwd()]).toEqual([1000, 1000, 0n, 0o027, '/home/app']);
    // No capabilities (none in the spec): the overlay's upper root is the lower's (root-owned, 0755).
    expect(errOf(() => writeFile(p, '/x', ''))).toBe('EACCES');
    writeFile(p, 'mine', 'ok');
    // /proc/self/mountinfo as the Sentry renders it for this task.
    expect(runsc.mountinfo()[0]).toBe('18 17 0:20 / / rw - overlay none rw');
  });

  it('refuses writes under a read-only root (EROFS), and throws runsc\'s failure when runsc would fail', () => {
    const sb = bootRunsc(runscSpec([], { readonly: true }), withGofer({ image: runscImage() }));
    expect(errOf(() => sb.process.open('/f', O_WRONLY | O_CREAT, 0o644))).toBe('EROFS');
    // /tmp is runsc's own tmpfs: writable.
    writeFile(sb.process, '/tmp/scratch', 'ok');
    expect(() => bootRunsc(runscSpec([{ destination: '/etc/hostname', type: 'tmpfs', source: 'tmpfs' }]), withGofer({ image: runscImage() }))).toThrow(RunscBootError);
  });
});
