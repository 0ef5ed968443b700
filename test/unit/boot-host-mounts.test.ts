/**
 * The host mounts behind a bundle (issue 18): the mount table parsed and cut to the mounts the
 * rootfs and the bind sources live on, the stand-in for filesystems the emulator has no model of,
 * the host part of the plan making them again, and what runc then does with them — flags
 * inherited by binds, runc 1.1's bind remount dropping them, read-only sources, a shared host
 * root turning into master: after runc's rslave. The live runc oracle (test/boot) holds the same
 * against the kernel for host tmpfs mounts; these cover what it cannot make (ext4, xfs, roots
 * below a filesystem's, slaves).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ASSUMED_HOST, HostFactsError, hostFactsFromDocument, mountsBehind, parseMountinfo, type HostFacts } from '../../src/boot/host-facts.js';
import { forNativeKernel, mountFlagsOf, reproducedType } from '../../src/boot/host-mounts.js';
import { predictRunc } from '../../src/boot/runc-profile.js';
import { examplesDir, loadExample } from '../../src/cli/dry-run.js';
import { hostStandinType } from '../../src/fs/tmpfs/host-standin.js';
import { newKernel } from '../../src/plan/machine.js';
import { Sandbox } from '../../src/vfs/sandbox.js';

const TABLE = `27 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw,discard,errors=remount-ro
40 27 0:50 /vols /srv/b/vol rw,nosuid,nodev,noexec,relatime master:7 - xfs /dev/sdb rw,attr2
41 27 0:51 / /srv/b/ro ro,noatime - tmpfs hostro ro,size=2048k,mode=755
42 27 0:52 / /var/log\\040x rw,relatime - tmpfs logs rw
43 41 0:53 / /srv/b/ro/sub/deep rw,nosuid - tmpfs deep rw,inode64`;

const host = (mountinfo: string): HostFacts => ({ ...ASSUMED_HOST, source: 'host', mounts: parseMountinfo(mountinfo) });

/** The container's line for a mount point, ids and devices left out. */
function line(view: readonly string[], mountpoint: string): string {
  const l = view.find((x) => x.split(' ')[4] === mountpoint);
  if (!l) throw new Error(`no line for ${mountpoint}:\n${view.join('\n')}`);
  return l.split(' ').slice(3).join(' ');
}

describe('the host mount table', () => {
  it('parses mountinfo lines, unmangled, with their optional fields', () => {
    const [root, vol, , logs] = parseMountinfo(TABLE);
    expect(root).toEqual({ id: 27, parent: 1, dev: '254:0', root: '/', mountpoint: '/', options: 'rw,relatime', optional: 'shared:1', fstype: 'ext4', source: '/dev/vda', superOptions: 'rw,discard,errors=remount-ro' });
    expect(vol!.optional).toBe('master:7');
    expect(logs!.mountpoint).toBe('/var/log x');
  });

  it('cuts it to the mounts paths live on (the deepest, the last of a stack) and the mounts below them', () => {
    const m = parseMountinfo(TABLE);
    expect(mountsBehind(m, ['/srv/b/rootfs']).map((x) => x.id)).toEqual([27]);
    expect(mountsBehind(m, ['/srv/b/vol/data']).map((x) => x.id)).toEqual([40]);
    expect(mountsBehind(m, ['/srv/b/ro']).map((x) => x.id)).toEqual([41, 43]);
    expect(mountsBehind(m, ['/srv/b/rootfs', '/srv/b/ro/sub']).map((x) => x.id)).toEqual([27, 41, 43]);
    const stacked = parseMountinfo(`${TABLE}\n50 40 0:60 / /srv/b/vol rw - tmpfs over rw`);
    expect(mountsBehind(stacked, ['/srv/b/vol/data']).map((x) => x.id)).toEqual([50]);
  });

  it('maps per-mount options to plan flags: no atime word is strictatime', () => {
    expect(mountFlagsOf('ro,nosuid,nodev,noexec,noatime')).toEqual(['rdonly', 'nosuid', 'nodev', 'noexec', 'noatime']);
    expect(mountFlagsOf('rw,nodiratime,relatime')).toEqual(['nodiratime', 'relatime']);
    expect(mountFlagsOf('rw,nosuid')).toEqual(['nosuid', 'strictatime']);
  });

  it('makes tmpfs again as tmpfs when the emulator takes its options, anything else as a stand-in', () => {
    const [root, vol, ro, , deep] = parseMountinfo(TABLE);
    expect([root, vol, ro, deep].map((m) => reproducedType(m!))).toEqual(['hostfs:ext4', 'hostfs:xfs', 'tmpfs', 'hostfs:tmpfs']);
  });
});

describe('the host filesystem stand-in', () => {
  it('shows the host type, source and super options, and a remount changes only the SB_* words', () => {
    const k = newKernel();
    k.register(hostStandinType('ext4'));
    const p = new Sandbox(k).process;
    p.mkdir('/h', 0o755);
    p.mount('/dev/vda', '/h', 'hostfs:ext4', 0, 'discard,lazytime,errors=remount-ro');
    p.mkdir('/h/dir', 0o755);
    expect(p.mountinfo()).toMatch(/ \/h rw,relatime - ext4 \/dev\/vda rw,lazytime,discard,errors=remount-ro\n/);
    expect(p.statfs('/h').type).toBe(0xef53);
    p.mount('', '/h', '', 0x20 | 1, 'commit=5');
    expect(p.mountinfo()).toMatch(/ \/h ro,relatime - ext4 \/dev\/vda ro,discard,errors=remount-ro\n/);
    expect(() => p.mkdir('/h/other', 0o755)).toThrow(/EROFS/);
  });

  it('is not a type of the build: a plan mounting ext4 stays ENODEV', () => {
    const p = new Sandbox(newKernel()).process;
    p.mkdir('/h', 0o755);
    expect(() => p.mount('/dev/vda', '/h', 'ext4', 0, '')).toThrow(/ENODEV/);
  });
});

describe('runc on the host mounts behind the bundle', () => {
  const { spec, image } = loadExample(join(examplesDir(), 'host-volumes'));
  const p = predictRunc(spec, { image, bundle: '/srv/b', host: host(TABLE) });

  it('lets runc succeed, and records the host mounts it made again', () => {
    expect(p.failure).toBeNull();
    expect(p.hostMounts.map((m) => m.mountpoint)).toEqual(['/', '/srv/b/vol', '/srv/b/ro', '/srv/b/ro/sub/deep']);
  });

  it('gives the rootfs the host root filesystem, its root within it, and master: from the shared host root', () => {
    expect(line(p.view, '/')).toMatch(/^\/srv\/b\/rootfs \/ rw,relatime master:\d+ - ext4 \/dev\/vda rw,discard,errors=remount-ro$/);
  });

  it('keeps a bind source\'s flags on a plain bind, drops them on runc 1.1\'s remount, keeps the slave', () => {
    expect(line(p.view, '/data')).toMatch(/^\/vols\/data \/data rw,nosuid,nodev,noexec,relatime master:\d+ - xfs \/dev\/sdb rw,attr2$/);
    expect(line(p.view, '/etc/file.txt')).toMatch(/^\/vols\/file.txt \/etc\/file.txt ro,relatime master:\d+ - xfs /);
    expect(line(p.view, '/tools')).toMatch(/^\/vols\/tools \/tools rw,nosuid,relatime master:\d+ - xfs /);
  });

  it('carries a read-only noatime source, and the mounts below it under rbind', () => {
    expect(line(p.view, '/ro')).toBe('/ /ro ro,noatime - tmpfs hostro ro,size=2048k,mode=755');
    expect(line(p.view, '/ro/sub/deep')).toBe('/ /ro/sub/deep rw,nosuid - tmpfs deep rw,inode64');
    expect(line(p.view, '/ro-again')).toBe('/sub /ro-again ro,nodev,noatime - tmpfs hostro ro,size=2048k,mode=755');
  });

  it('predicts what it did before for an assumed host (no mount table)', () => {
    const assumed = predictRunc(spec, { image });
    expect(assumed.hostMounts).toEqual([]);
    expect(line(assumed.view, '/data')).toBe('/bundle/vol/data /data rw,relatime - tmpfs none rw,mode=755');
  });
});

describe('host facts for the native kernel and from a file', () => {
  it('turns stand-ins into tmpfs with the same source, flags, root, read-only superblock and propagation', () => {
    const { host: h, standins } = forNativeKernel(host(TABLE));
    expect(standins.map((m) => m.fstype)).toEqual(['ext4', 'xfs', 'tmpfs']);
    expect(h.mounts[0]).toMatchObject({ fstype: 'tmpfs', source: '/dev/vda', superOptions: 'rw', optional: 'shared:1', options: 'rw,relatime' });
    expect(h.mounts[2]).toEqual(parseMountinfo(TABLE)[2]);
  });

  it('reads the host facts of a --format json document back, and says which field is wrong', () => {
    const facts = { ...host(TABLE), source: 'host' };
    expect(hostFactsFromDocument({ bundle: 'x', host: facts })).toEqual({ ...facts, source: 'file' });
    expect(hostFactsFromDocument({ runc: { host: facts } }).mounts).toHaveLength(5);
    expect(() => hostFactsFromDocument({ host: { ...facts, mounts: [{ id: 1 }] } })).toThrow(HostFactsError);
    expect(() => hostFactsFromDocument({ host: { ...facts, kcore: undefined } })).toThrow('host.kcore: missing');
  });
});
