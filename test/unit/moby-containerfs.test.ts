/**
 * moby's containerFSView against the bug it fixed (moby PR #44210; moby#38995, moby#43390): with
 * the daemon root shared (as systemd leaves "/") and bound into container A as a volume, mounting
 * another container's volumes under its rootfs in the daemon's namespace — the pre-#44210
 * mountVolumes — is a mount event A receives under its volume; when the bound source contains the
 * destination, the copies multiply with each `docker cp`. Doing it in a private namespace leaves
 * every other table as it was. The outcomes follow from the emulator's propagation model
 * (src/vfs/propagation.ts), which test/unit/propagation.test.ts holds to recordings of Linux 6.18.
 */
import { describe, expect, it } from 'vitest';
import { createSandbox, MS_BIND, MS_REC, MS_SHARED, MS_SLAVE } from '../../src/index.js';
import { containerArchivePath, containerExtractToDir, containerStatPath } from '../../src/boot/moby/archive.js';
import { openContainerFS, switchRoot } from '../../src/boot/moby/container-fs-view.js';
import { validateBindDaemonRoot, type MobyContainer, type MobyMount } from '../../src/boot/moby/container.js';
import { detachAndUnmount, mountVolumesInDaemonNs } from '../../src/boot/moby/legacy-mount-volumes.js';
import { writeTar } from '../../src/boot/tar/writer.js';
import { mkdirAll, readFile, writeFile } from '../../src/boot/tar/task-fs.js';
import type { Process } from '../../src/vfs/process.js';
import { CLONE_NEWNS } from '../../src/vfs/net-namespace.js';

const DAEMON_ROOT = '/var/lib/docker';
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const lines = (p: Process): string[] => p.mountinfo().trimEnd().split('\n');

/** dockerd on a host whose "/" is shared and /var/lib/docker a filesystem of its own. */
function dockerHost(): Process {
  const host = createSandbox({ size: null, inodes: null }).process;
  host.umaskSet(0o022);
  mkdirAll(host, DAEMON_ROOT, 0o755);
  host.mount('docker', DAEMON_ROOT, 'tmpfs', 0, '');
  host.mount(null, '/', null, MS_SHARED | MS_REC, null);
  mkdirAll(host, '/srv/volB', 0o755);
  writeFile(host, '/srv/volB/hello', enc('hi\n'), 0o644);
  return host;
}

function container(host: Process, id: string, mounts: MobyMount[]): MobyContainer {
  const baseFS = `${DAEMON_ROOT}/containers/${id}/rootfs`;
  mkdirAll(host, `${baseFS}/etc`, 0o755);
  mkdirAll(host, `${baseFS}/tmp`, 0o1777);
  return { id, baseFS, mounts };
}

/**
 * The container's init as runc leaves it: its own namespace with "/" rslave, each bind made with
 * the propagation the daemon gives it (rslave for a source that contains or is inside the daemon
 * root, validateBindDaemonRoot; rprivate otherwise), then pivoted into the rootfs.
 */
function start(host: Process, ctr: MobyContainer): Process {
  const init = host.fork();
  init.unshare(CLONE_NEWNS);
  init.mount(null, '/', null, MS_SLAVE | MS_REC, null);
  for (const m of ctr.mounts) {
    const dest = `${ctr.baseFS}${m.destination}`;
    mkdirAll(init, dest, 0o755);
    init.mount(m.source, dest, null, MS_BIND | MS_REC, null);
    const slave = validateBindDaemonRoot(DAEMON_ROOT, m.source, m.propagation);
    init.mount(null, dest, null, (slave ? MS_SLAVE : 1 << 18) | MS_REC, null);
  }
  switchRoot(init, ctr.baseFS);
  return init;
}

describe('a container with the daemon root as a volume', () => {
  function setup() {
    const host = dockerHost();
    const a = container(host, 'A', [{ source: DAEMON_ROOT, destination: '/hostdocker', writable: true }]);
    const b = container(host, 'B', [{ source: '/srv/volB', destination: '/data', writable: true }]);
    const initA = start(host, a);
    return { host, a, b, initA };
  }

  const A_TABLE = ['8 4 0:18 /containers/A/rootfs / rw,relatime master:2 - tmpfs docker rw', '9 8 0:18 / /hostdocker rw,relatime master:2 - tmpfs docker rw'];

  it('sees the volumes of B mounted under its volume while the old mountVolumes holds them', () => {
    const { host, b, initA } = setup();
    expect(lines(initA)).toEqual(A_TABLE);
    mountVolumesInDaemonNs(host, b);
    expect(lines(initA)).toEqual([...A_TABLE, '6 9 0:17 /srv/volB /hostdocker/containers/B/rootfs/data rw,relatime master:1 - tmpfs none rw,mode=755']);
    expect(detachAndUnmount(host, b)).toEqual([]);
    expect(lines(initA)).toEqual(A_TABLE);
  });

  it('sees nothing of a view of B, before, during or after', () => {
    const { host, b, initA } = setup();
    const hostTable = lines(host);
    const view = openContainerFS(host, b);
    expect(lines(view.task)).toEqual(['11 5 0:18 /containers/B/rootfs / rw,relatime master:2 - tmpfs docker rw', '12 11 0:17 /srv/volB /data rw,relatime - tmpfs none rw,mode=755']);
    expect(lines(initA)).toEqual(A_TABLE);
    expect(lines(host)).toEqual(hostTable);
    view.close();
    expect(view.ns.mounts.size).toBe(0);
    expect(lines(initA)).toEqual(A_TABLE);
    expect(lines(host)).toEqual(hostTable);
  });
});

describe('docker cp into a container whose volume contains the daemon root (moby#38995)', () => {
  function setup() {
    const host = dockerHost();
    const a = container(host, 'A', [{ source: '/var/lib', destination: '/hostlib', writable: true }]);
    const initA = start(host, a);
    return { host, a, initA };
  }

  it('multiplies the mounts of the container with every operation the old way', () => {
    const { host, a, initA } = setup();
    const counts = [lines(initA).length];
    for (let i = 0; i < 5; i++) {
      mountVolumesInDaemonNs(host, a);
      detachAndUnmount(host, a);
      counts.push(lines(initA).length);
    }
    expect(counts).toEqual([3, 7, 15, 31, 63, 127]);
    expect(lines(host)).toHaveLength(2);
  });

  it('leaves every mount table and superblock as it was over 100 operations in a view', () => {
    const { host, a, initA } = setup();
    const hostTable = lines(host);
    const aTable = lines(initA);
    const kernel = host.kernel;
    const dockerSb = host.resolve(DAEMON_ROOT, true).mnt.sb;
    const sbMounts = kernel.mountsOf(dockerSb).size;
    for (let i = 0; i < 50; i++) {
      containerExtractToDir(host, a, '/tmp', writeTar([{ name: `f${i}`, type: 'file', mode: 0o600, uid: 0, gid: 0, mtime: i, data: enc(String(i)) }]));
      expect(containerArchivePath(host, a, `/tmp/f${i}`).entries.map((e) => e.name)).toEqual([`f${i}`]);
    }
    expect(lines(host)).toEqual(hostTable);
    expect(lines(initA)).toEqual(aTable);
    expect(kernel.mountsOf(dockerSb).size).toBe(sbMounts);
    // Every view's namespace was emptied when it closed.
    expect(kernel.namespaces.filter((ns) => ns.mounts.size > 0)).toHaveLength(2);
    expect(readFile(host, `${a.baseFS}/tmp/f49`)).toEqual(enc('49'));
  });
});

describe('a view of a container', () => {
  it('binds read-only volumes read-only throughout, and refuses to extract into them', () => {
    const host = dockerHost();
    mkdirAll(host, '/srv/ro/sub', 0o755);
    host.mount('inner', '/srv/ro/sub', 'tmpfs', 0, '');
    const c = container(host, 'C', [{ source: '/srv/ro', destination: '/ro', writable: false }]);
    const view = openContainerFS(host, c);
    expect(lines(view.task)).toEqual([
      '11 5 0:18 /containers/C/rootfs / rw,relatime master:2 - tmpfs docker rw',
      '12 11 0:17 /srv/ro /ro ro,relatime - tmpfs none rw,mode=755',
      '13 12 0:19 / /ro/sub ro,relatime - tmpfs inner rw',
    ]);
    view.close();
    expect(() => containerExtractToDir(host, c, '/ro', writeTar([]))).toThrow('mounted volume is marked read-only');
  });

  it('stats and archives a path through a symlink inside the container', () => {
    const host = dockerHost();
    const c = container(host, 'D', [{ source: '/srv/volB', destination: '/data', writable: true }]);
    host.symlink('/data', `${c.baseFS}/link`);
    expect(containerStatPath(host, c, '/link')).toMatchObject({ name: 'link', linkTarget: '/data' });
    const out = containerArchivePath(host, c, '/data');
    expect(out.entries.map((e) => [e.name, e.type, e.mode.toString(8)])).toEqual([
      ['data/', 'dir', '755'],
      ['data/hello', 'file', '644'],
    ]);
  });

  it('names what failed when a volume source is missing, and leaves no namespace behind', () => {
    const host = dockerHost();
    const c = container(host, 'E', [{ source: '/srv/missing', destination: '/m', writable: true }]);
    const before = host.kernel.namespaces.filter((ns) => ns.mounts.size > 0).length;
    expect(() => openContainerFS(host, c)).toThrow("stat /srv/missing: ENOENT: no such file or directory, stat '/srv/missing'");
    expect(host.kernel.namespaces.filter((ns) => ns.mounts.size > 0)).toHaveLength(before);
  });
});
