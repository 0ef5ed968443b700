/**
 * Kata's volume path and the kubelet's volume kinds over an emulated machine: Kata's bind (with
 * its quirks), its checks of system mounts and host devices, fsGroup as the kubelet and Kata's
 * agent apply it, and what an emptyDir, a configMap and a hostPath become in the container.
 * Mount tables and modes are the emulator's outcomes of the replayed calls.
 */
import { describe, expect, it } from 'vitest';
import { createSandbox, S_IFCHR } from '../../src/index.js';
import { bindMount } from '../../src/boot/kata/bind-mount.js';
import { agentSetOwnership, setVolumeOwnership } from '../../src/boot/kata/fs-group.js';
import { checkHostPath } from '../../src/boot/kata/host-path.js';
import { classifyMount, isHostDevice, isSystemMount } from '../../src/boot/kata/mount-checks.js';
import { validatePath } from '../../src/boot/kata/atomic-writer.js';
import { kataMount, kubeletSetUp, ociMount } from '../../src/boot/kata/pod-volume.js';
import { mkdirAll, readDirNames, readFile, writeFile } from '../../src/boot/tar/task-fs.js';
import { makedev } from '../../src/vfs/inode.js';
import type { Process } from '../../src/vfs/process.js';

const node = (): Process => {
  const p = createSandbox({ size: null, inodes: null }).process;
  p.umaskSet(0o022);
  return p;
};
const lines = (p: Process): string[] => p.mountinfo().trimEnd().split('\n');
const modeOf = (p: Process, path: string): string => p.lstat(path).mode.toString(8);

describe("Kata's bindMount", () => {
  it('binds, makes the propagation, then remounts read-only', () => {
    const p = node();
    mkdirAll(p, '/src/sub', 0o755);
    bindMount(p, '/src', '/shared/c1-vol', true, 'private');
    expect(lines(p)).toEqual(['2 1 0:17 / / rw,relatime - tmpfs none rw,mode=755', '3 2 0:17 /src /shared/c1-vol ro,relatime - tmpfs none rw,mode=755']);
    expect(modeOf(p, '/shared')).toBe('40755');
  });

  it('leaves the bind in place when the propagation type is not one of its four words', () => {
    const p = node();
    mkdirAll(p, '/src', 0o755);
    expect(() => bindMount(p, '/src', '/dst', false, 'rshared')).toThrow('Wrong propagation type rshared');
    expect(lines(p)).toHaveLength(2);
  });

  it('makes an empty file to bind a file on, and says why a missing source fails', () => {
    const p = node();
    writeFile(p, '/f', new TextEncoder().encode('x'), 0o600);
    bindMount(p, '/f', '/d/f', false, 'slave');
    expect(readFile(p, '/d/f')).toEqual(new TextEncoder().encode('x'));
    expect(() => bindMount(p, '/missing', '/d/m', false, 'private')).toThrow('Could not resolve symlink for source /missing');
  });
});

describe("Kata's checks", () => {
  it('skips system mounts, host devices and /dev/shm, shares the rest', () => {
    const p = node();
    mkdirAll(p, '/dev', 0o755);
    p.mknod('/dev/null', S_IFCHR | 0o666, makedev(1, 3));
    writeFile(p, '/dev/regular', new Uint8Array(0), 0o644);
    expect(['/proc', '/proc/sys', '/sys/fs/cgroup', '/procfoo', '/sysx'].map(isSystemMount)).toEqual([true, true, true, false, false]);
    expect(isHostDevice(p, '/dev')).toEqual([true, null]);
    expect(isHostDevice(p, '/dev/null')).toEqual([true, null]);
    expect(isHostDevice(p, '/dev/regular')).toEqual([false, null]);
    expect(isHostDevice(p, '/dev/missing')[1]?.code).toBe('ENOENT');
    const bind = (source: string, destination = '/x') => classifyMount(p, { source, destination, type: 'bind' });
    expect(bind('/sys/fs/cgroup')).toEqual({ kind: 'skip', reason: 'system mount' });
    expect(bind('/dev/null')).toEqual({ kind: 'skip', reason: 'host device' });
    expect(bind('/dev/missing')).toEqual({ kind: 'skip', reason: 'host device path cannot be stat-ed' });
    expect(bind('/dev/regular')).toEqual({ kind: 'share', watchable: false });
    expect(bind('/dev/regular', '/dev/shm')).toEqual({ kind: 'skip', reason: '/dev/shm is made in the guest' });
    expect(classifyMount(p, { source: 'proc', destination: '/proc', type: 'proc' })).toEqual({ kind: 'skip', reason: 'not a bind mount' });
  });

  it('watches a configMap of up to 8 files, not one of 9', () => {
    const p = node();
    const dir = '/var/lib/kubelet/pods/u/volumes/kubernetes.io~configmap/c';
    mkdirAll(p, dir, 0o755);
    for (let i = 0; i < 8; i++) writeFile(p, `${dir}/k${i}`, new Uint8Array(0), 0o644);
    expect(classifyMount(p, { source: dir, destination: '/etc/c', type: 'bind' })).toEqual({ kind: 'share', watchable: true });
    writeFile(p, `${dir}/k8`, new Uint8Array(0), 0o644);
    expect(classifyMount(p, { source: dir, destination: '/etc/c', type: 'bind' })).toEqual({ kind: 'share', watchable: false });
  });
});

describe('fsGroup', () => {
  function tree(): Process {
    const p = node();
    mkdirAll(p, '/v/sub', 0o755);
    writeFile(p, '/v/f', new Uint8Array(1), 0o644);
    writeFile(p, '/v/sub/suid', new Uint8Array(1), 0o755);
    p.chown('/v/sub/suid', 1000, 1000);
    p.chmod('/v/sub/suid', 0o4755);
    p.symlink('f', '/v/l');
    return p;
  }
  const owners = (p: Process) => ['/v', '/v/f', '/v/sub', '/v/sub/suid', '/v/l'].map((x) => [x, modeOf(p, x), p.lstat(x).uid, p.lstat(x).gid]);

  it('as the kubelet applies it: group fsGroup, rw for the group, setgid directories, symlinks untouched, set-id bits kept', () => {
    const p = tree();
    expect(setVolumeOwnership(p, '/v', 2000, 'Always', false).changed).toEqual(['/v/f', '/v/sub/suid', '/v/sub', '/v']);
    expect(owners(p)).toEqual([
      ['/v', '42775', 0, 2000],
      ['/v/f', '100664', 0, 2000],
      ['/v/sub', '42775', 0, 2000],
      ['/v/sub/suid', '104775', 1000, 2000],
      ['/v/l', '120777', 0, 0],
    ]);
  });

  it('OnRootMismatch skips a root that already matches, and walks one that does not', () => {
    const p = tree();
    expect(setVolumeOwnership(p, '/v', 2000, 'OnRootMismatch', false).skipped).toBe(false);
    expect(setVolumeOwnership(p, '/v', 2000, 'OnRootMismatch', false)).toEqual({ skipped: true, changed: [], errors: [] });
    p.chmod('/v', 0o755);
    expect(setVolumeOwnership(p, '/v', 2000, 'OnRootMismatch', false).skipped).toBe(false);
    expect(setVolumeOwnership(p, '/v', 3000, 'OnRootMismatch', true).skipped).toBe(false);
    expect(modeOf(p, '/v/f')).toBe('100664');
  });

  it("as Kata's agent applies it: the set-id bit the chown cleared stays cleared", () => {
    const p = tree();
    agentSetOwnership(p, '/v', 2000, 'Always', false);
    expect(owners(p)).toEqual([
      ['/v', '42775', 0, 2000],
      ['/v/f', '100664', 0, 2000],
      ['/v/sub', '42775', 0, 2000],
      ['/v/sub/suid', '100775', 1000, 2000],
      ['/v/l', '120777', 0, 0],
    ]);
  });
});

describe('Kubernetes volumes in a Kata container', () => {
  it('a Memory emptyDir: a tmpfs of its sizeLimit on the node, a tmpfs without it in the guest', () => {
    const p = node();
    const vol = kubeletSetUp(p, 'pod1', { name: 'cache', emptyDir: { medium: 'Memory', sizeLimit: 1 << 20 } }, 2000, 'Always');
    expect(modeOf(p, vol.path)).toBe('43777');
    mkdirAll(p, '/run/kata-containers/c1/rootfs', 0o755);
    expect(kataMount(p, 'c1', 'sb', '/run/kata-containers/c1/rootfs', ociMount({ name: 'cache', mountPath: '/cache' }, vol), vol)).toEqual({
      decision: { kind: 'ephemeral' },
      guestSource: '/run/kata-containers/sandbox/ephemeral/cache',
    });
    expect(lines(p).slice(1)).toEqual([
      '3 2 0:18 / /var/lib/kubelet/pods/pod1/volumes/kubernetes.io~empty-dir/cache rw,relatime - tmpfs tmpfs rw,size=1024k',
      '4 2 0:19 / /run/kata-containers/sandbox/ephemeral/cache rw,relatime - tmpfs tmpfs rw',
      '5 2 0:19 / /run/kata-containers/c1/rootfs/cache rw,relatime - tmpfs tmpfs rw',
    ]);
    expect([modeOf(p, '/run/kata-containers/c1/rootfs/cache'), p.stat('/run/kata-containers/c1/rootfs/cache').gid]).toEqual(['43777', 2000]);
  });

  it('a configMap: the atomic writer\'s tree, shared read-only', () => {
    const p = node();
    const vol = kubeletSetUp(p, 'pod1', { name: 'conf', configMap: { items: { 'app.conf': { data: new TextEncoder().encode('x=1\n') }, 'd/key': { data: new Uint8Array(2), mode: 0o600 } } } });
    expect(readDirNames(p, vol.path).map((n) => [n, modeOf(p, `${vol.path}/${n}`), n.startsWith('..2') ? '' : p.readlink(`${vol.path}/${n}`)])).toEqual([
      ['..2026_01_01_00_00_00.0', '40755', ''],
      ['..data', '120777', '..2026_01_01_00_00_00.0'],
      ['app.conf', '120777', '..data/app.conf'],
      ['d', '120777', '..data/d'],
    ]);
    expect(modeOf(p, `${vol.path}/app.conf`.replace('app.conf', '..data/app.conf'))).toBe('100644');
    expect(modeOf(p, `${vol.path}/d/key`)).toBe('100600');
    mkdirAll(p, '/rootfs', 0o755);
    const m = ociMount({ name: 'conf', mountPath: '/etc/conf' }, vol);
    expect(m.options).toEqual(['rbind', 'rprivate', 'ro']);
    expect(kataMount(p, 'c1', 'sb', '/rootfs', m, vol).decision).toEqual({ kind: 'share', watchable: true });
    expect(lines(p).at(-1)).toBe('4 2 0:17 /var/lib/kubelet/pods/pod1/volumes/kubernetes.io~configmap/conf /rootfs/etc/conf ro,relatime - tmpfs none rw,mode=755');
    expect(readFile(p, '/rootfs/etc/conf/app.conf')).toEqual(new TextEncoder().encode('x=1\n'));
  });

  it('refuses payload paths the atomic writer refuses', () => {
    expect(() => validatePath('../x')).toThrow("invalid path: must not contain '..': ../x");
    expect(() => validatePath('..data')).toThrow("invalid path: must not start with '..': ..data");
    expect(() => validatePath('/abs')).toThrow('invalid path: must be relative path: /abs');
  });

  it("a hostPath: the kubelet's type checks and what they create", () => {
    const p = node();
    mkdirAll(p, '/var/log', 0o755);
    writeFile(p, '/var/log/file', new Uint8Array(0), 0o644);
    checkHostPath(p, '/var/log/app/sub', 'DirectoryOrCreate');
    expect(modeOf(p, '/var/log/app/sub')).toBe('40755');
    checkHostPath(p, '/var/log/new.sock', 'FileOrCreate');
    expect(modeOf(p, '/var/log/new.sock')).toBe('100644');
    expect(() => checkHostPath(p, '/var/log/file', 'Directory')).toThrow('hostPath type check failed: /var/log/file is not a directory');
    expect(() => checkHostPath(p, '/var/log', 'File')).toThrow('hostPath type check failed: /var/log is not a file');
    expect(() => checkHostPath(p, '/var/log/file', 'Socket')).toThrow('hostPath type check failed: /var/log/file is not a socket file');
    expect(() => checkHostPath(p, '/var/log/file', 'CharDevice')).toThrow('hostPath type check failed: /var/log/file is not a character device');
    expect(() => checkHostPath(p, '/var/log/file', 'BlockDevice')).toThrow('hostPath type check failed: /var/log/file is not a block device');
    expect(() => checkHostPath(p, '/var/log/missing/f', 'FileOrCreate')).toThrow('open /var/log/missing/f: no such file or directory');
    expect(() => checkHostPath(p, '/var/../etc', '')).toThrow("invalid HostPath `/var/../etc`: must not contain '..'");
  });
});
