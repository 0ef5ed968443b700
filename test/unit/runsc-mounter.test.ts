/**
 * The runsc profile's rules, one a test, each named after the gVisor code it comes from (gVisor
 * 3c5eee17dc45, runsc/boot/vfs.go unless said otherwise): the root and its overlay, the order of
 * submounts, read-only switching (the mount state during and after setup), synthetic mount
 * points, /tmp, mount hints, the gofer's host side, the failures in runsc's words.
 */
import { describe, expect, it } from 'vitest';
import { parseOverlay2 } from '../../src/boot/runsc/config.js';
import { predictRunsc, RunscSandbox, type RunscProfileOptions } from '../../src/boot/runsc/profile.js';
import type { SentryStep } from '../../src/boot/runsc/sentry-vfs.js';
import type { ImageNode } from '../../src/boot/rootfs-image.js';
import type { OciSpec } from '../../src/boot/spec.js';
import { lineAt, runscImage, runscSpec, withGofer } from './runsc-helpers.js';
import { readdirNames } from './helpers.js';

const mountsOf = (view: readonly string[]): string[] => view.map((l) => l.split(' ')[4]!);

describe('createMountNamespace and configureOverlay: the root', () => {
  it('is an overlay over the gofer by default (--overlay2=root:self), in gVisor\'s id order: lower 15, upper 16, namespace root 17, overlay 18', () => {
    const p = predictRunsc(runscSpec([]), withGofer({ image: runscImage() }));
    expect(p.view[0]).toBe('18 17 0:20 / / rw - overlay none rw');
    expect(p.sentry.slice(0, 6).map((s) => [s.call, s.id, s.minor])).toEqual([
      ['MountDisconnected', 15, 17],
      ['MountDisconnected', 16, 18],
      ['SetStatAt', undefined, undefined],
      ['NewMountNamespace', 17, 19],
      ['MountDisconnected', 18, 20],
      ['ConnectMountAt', 18, undefined],
    ]);
  });

  it('gives the upper layer\'s root the lower root\'s owner, group and mode (configureOverlay: "for consistency with VFS1")', () => {
    const image: ImageNode = [0, {}, { rootfs: [0, { mode: 0o750, uid: 7, gid: 8 }, { tmp: [0, { mode: 0o1777 }, {}], proc: [0, {}, {}], sys: [0, {}, {}], dev: [0, {}, {}] }] }];
    const sb = RunscSandbox.create(runscSpec([]), withGofer({ image })).sandbox;
    const st = sb.process.stat('/');
    expect([st.mode & 0o7777, st.uid, st.gid]).toEqual([0o750, 7, 8]);
  });

  it('puts the self medium\'s filestore in the rootfs on the host and hides it in the container with a whiteout (container.go:createGoferFilestoreInSelf, configureOverlay)', () => {
    const { sandbox, result } = RunscSandbox.create(runscSpec([]), withGofer({ image: runscImage(), id: 'sb1' }));
    expect(result.hostChanges.map((c) => c.path)).toEqual(['/bundle/rootfs/.gvisor.filestore.sb1']);
    expect(readdirNames(sandbox.hostProcess, '/bundle/rootfs')).toContain('.gvisor.filestore.sb1');
    expect(readdirNames(sandbox.process, '/')).not.toContain('.gvisor.filestore.sb1');
  });

  it('writes no filestore with --overlay2=root:memory, and no overlay at all for a read-only root (container.go:initGoferConfs)', () => {
    const mem = predictRunsc(runscSpec([]), withGofer({ image: runscImage(), config: { overlay2: parseOverlay2('root:memory') } }));
    expect([mem.view[0], mem.hostChanges]).toEqual(['18 17 0:20 / / rw - overlay none rw', []]);
    const ro = predictRunsc(runscSpec([], { readonly: true }), withGofer({ image: runscImage() }));
    expect(ro.view[0]).toBe('16 15 0:18 / / ro - 9p none ro,trans=fd,rfdno=3,wfdno=3,aname=/,dfltuid=4294967294,dfltgid=4294967294,dcache=1000,cache=fscache,disable_fifo_open,overlayfs_stale_read,directfs');
  });

  it('refuses an overlay with --file-access=shared (config.go:Validate)', () => {
    const p = predictRunsc(runscSpec([]), withGofer({ image: runscImage(), config: { fileAccess: 'shared' } }));
    expect(p.failure).toEqual({ phase: 'spec', message: 'overlay flag is incompatible with shared file access for rootfs' });
    const ok = predictRunsc(runscSpec([]), withGofer({ image: runscImage(), config: { fileAccess: 'shared', overlay2: parseOverlay2('none') } }));
    expect(ok.view[0]).toMatch(/ - 9p none rw,.*,cache=remote_revalidating,/);
  });
});

describe('compileMounts and prepareMounts: what is mounted, in which order', () => {
  it('mounts proc, sysfs, dev and devpts when the spec lacks them, then sorts by destination length, stable up to 12 (Go\'s sort.Slice)', () => {
    const p = predictRunsc(runscSpec([{ destination: '/data', type: 'tmpfs', source: 'tmpfs' }, { destination: '/ab', type: 'tmpfs', source: 'tmpfs' }]), withGofer({ image: runscImage() }));
    // [proc, sysfs, dev, devpts, /data, /ab] by length: /ab(3), /sys(4), /dev(4), /proc(5), /data(5), /dev/pts(8).
    expect(mountsOf(p.view)).toEqual(['/', '/ab', '/sys', '/dev', '/proc', '/data', '/dev/pts', '/tmp']);
  });

  it('makes /dev gVisor\'s dev filesystem whatever the spec says, ignoring the tmpfs options (compileMounts)', () => {
    const p = predictRunsc(runscSpec([{ destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'mode=755', 'size=65536k'] }]), withGofer({ image: runscImage() }));
    expect(lineAt(p.view, '/dev')).toBe('/ /dev rw,nosuid - dev none rw,mode=0755');
    expect(p.warnings).toContain('/dev: ignoring unknown mount options "mode=755", "size=65536k" (runsc\'s ParseMountOptions keeps ro, noatime, noexec, nosuid)');
  });

  it('skips mqueue with runsc\'s warning (getMountNameAndOptions: default case)', () => {
    const p = predictRunsc(runscSpec([{ destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue' }]), withGofer({ image: runscImage() }));
    expect(lineAt(p.view, '/dev/mqueue')).toBeUndefined();
    expect(p.warnings).toContain('/dev/mqueue: ignoring unknown filesystem type "mqueue"');
  });

  it('drops cgroup mounts after the one on /sys/fs/cgroup, which becomes a tmpfs with the Sentry\'s controllers bound below (compileMounts, mountCgroupSubmounts)', () => {
    const p = predictRunsc(runscSpec([{ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro'] }, { destination: '/sys/fs/cgroup/extra', type: 'cgroup', source: 'cgroup' }]), withGofer({ image: runscImage(), id: 'c1' }));
    expect(p.view.filter((l) => l.includes('/sys/fs/cgroup')).map((l) => l.split(' ').slice(3).join(' '))).toEqual([
      '/ /sys/fs/cgroup ro - tmpfs none ro',
      ...['cpu', 'cpuacct', 'cpuset', 'devices', 'job', 'memory', 'pids'].map((c) => `/c1 /sys/fs/cgroup/${c} rw - cgroup none rw,${c}`),
    ]);
  });

  it('serves binds through the gofer with shared file access and descriptors in spec order (goferMountData; sandbox.go donates io-fds from 3)', () => {
    const p = predictRunsc(runscSpec([{ destination: '/b', type: 'bind', source: 'vb', options: ['rbind'] }, { destination: '/a', type: 'none', source: 'va', options: ['bind', 'ro'] }]), withGofer({ image: runscImage({}, { va: [0, {}, {}], vb: [0, {}, {}] }) }));
    expect(lineAt(p.view, '/b')).toBe('/ /b rw - 9p none rw,trans=fd,rfdno=4,wfdno=4,aname=/,dfltuid=4294967294,dfltgid=4294967294,dcache=1000,cache=remote_revalidating,disable_fifo_open,directfs');
    expect(lineAt(p.view, '/a')).toBe('/ /a ro - 9p none ro,trans=fd,rfdno=5,wfdno=5,aname=/,dfltuid=4294967294,dfltgid=4294967294,dcache=1000,cache=remote_revalidating,disable_fifo_open,directfs');
  });
});

describe('read-only switching (mountAll, mountSubmounts)', () => {
  const spec = runscSpec(
    [
      { destination: '/data', type: 'bind', source: 'vol', options: ['rbind', 'ro'] },
      { destination: '/data/cache', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] },
    ],
    { readonly: true },
  );
  const image = runscImage({}, { vol: [0, {}, { README: [1, {}, 'hi\n'] }] });

  it('mounts under a read-only root and a read-only submount while both are writable, and makes them read-only again at the end, the last switched first', () => {
    const seen: Record<string, string> = {};
    const opts: Omit<RunscProfileOptions, 'goferServer'> = {
      image,
      onStep: (s: SentryStep, sb) => {
        if (s.call !== 'ConnectMountAt' || s.what !== '/data/cache') return;
        // The state while /data/cache is attached: / and /data writable.
        const ns = sb.vfs.kernel.namespaces.at(-1)!;
        for (const m of ns.mounts) {
          const g = sb.vfs.gvisorOf(m);
          if (g) seen[String(g.id)] = m.readonly ? 'ro' : 'rw';
        }
      },
    };
    const p = predictRunsc(spec, withGofer(opts));
    expect(p.failure).toBeNull();
    // During: the root (16) and /data (21) are read-write.
    expect([seen['16'], seen['21']]).toEqual(['rw', 'rw']);
    // After: read-only again, /data first (the Go defers run last in, first out), then /.
    expect(p.readOnlySwitched).toEqual(['/data', '/']);
    expect(p.sentry.filter((s) => s.call === 'SetMountReadOnly').map((s) => s.what)).toEqual(['/ read-write', '/data read-write', '/data read-only', '/ read-only']);
    expect(lineAt(p.view, '/')).toMatch(/^\/ \/ ro - 9p none ro,/);
    expect(lineAt(p.view, '/data')).toMatch(/^\/ \/data ro - 9p none ro,/);
    expect(lineAt(p.view, '/data/cache')).toBe('/ /data/cache rw - tmpfs none rw,size=1024k');
  });

  it('makes the mount point under the read-only gofer synthetic: the Sentry sees it, the host never does (gofer/filesystem.go:MkdirAt)', () => {
    const { sandbox, result } = RunscSandbox.create(spec, withGofer({ image }));
    expect(result.synthetic).toEqual(['/data/cache']);
    expect(readdirNames(sandbox.hostProcess, '/bundle/vol')).toEqual(['README']);
    expect(sandbox.process.stat('/data/cache').mode & 0o170000).toBe(0o040000);
  });

  it('restores read-only even when a later submount fails (the defers run on error)', () => {
    const failing = runscSpec([{ destination: '/data', type: 'bind', source: 'vol', options: ['rbind', 'ro'] }, { destination: '/data/README/x', type: 'tmpfs', source: 'tmpfs' }], { readonly: true });
    const p = predictRunsc(failing, withGofer({ image }));
    expect(p.failure?.mount).toBe(1);
    expect(p.readOnlySwitched).toEqual(['/data', '/']);
    expect(p.failure?.message).toBe('failed to setupFS: mounting submounts: mount submount "/data/README/x": creating mount point "/data/README/x": stat failed for "/data/README/x" during mountpoint creation: not a directory');
  });
});

describe('makeMountPoint: the mount point must be of the mounted root\'s kind', () => {
  it('fails on a file where a directory is mounted, with runsc\'s words', () => {
    const p = predictRunsc(runscSpec([{ destination: '/etc/hostname', type: 'tmpfs', source: 'tmpfs' }]), withGofer({ image: runscImage() }));
    expect(p.failure).toEqual({
      phase: 'sentry',
      mount: 0,
      destination: '/etc/hostname',
      errno: undefined,
      message: 'failed to setupFS: mounting submounts: mount submount "/etc/hostname": creating mount point "/etc/hostname": mountpoint "/etc/hostname" isn\'t a directory, got mode S_IFREG|0o644',
    });
  });
});

describe('mountTmp: a tmpfs on /tmp when the spec has none', () => {
  const tmpOf = (rootfs: Record<string, ImageNode>, mounts: OciSpec['mounts'] = [], readonly = false): string | undefined => {
    const image: ImageNode = [0, {}, { rootfs: [0, {}, { proc: [0, {}, {}], sys: [0, {}, {}], dev: [0, {}, {}], ...rootfs }] }];
    return lineAt(predictRunsc(runscSpec(mounts ?? [], { readonly }), withGofer({ image })).view, '/tmp');
  };

  it('over an empty /tmp, with mode=01777 ("Sticky bit is added …")', () => {
    expect(tmpOf({ tmp: [0, {}, {}] })).toBe('/ /tmp rw - tmpfs none rw,mode=01777');
  });

  it('where the image has no /tmp — a synthetic mount point under a read-only root', () => {
    expect(tmpOf({})).toBe('/ /tmp rw - tmpfs none rw,mode=01777');
    const p = predictRunsc(runscSpec([], { readonly: true }), withGofer({ image: [0, {}, { rootfs: [0, {}, { proc: [0, {}, {}], sys: [0, {}, {}], dev: [0, {}, {}] }] }] }));
    expect(p.synthetic).toEqual(['/tmp']);
  });

  it('not over a /tmp that holds anything ("mounting tmpfs would hide existing files")', () => {
    expect(tmpOf({ tmp: [0, {}, { x: [1, {}, ''] }] })).toBeUndefined();
  });

  it('not when /tmp is not a directory ("Not a dir?! Let it be."), nor when the spec mounts /tmp itself', () => {
    expect(tmpOf({ tmp: [1, {}, ''] })).toBeUndefined();
    expect(tmpOf({ tmp: [0, {}, {}] }, [{ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] }])).toBe('/ /tmp rw - tmpfs none rw,size=1024k');
  });
});

describe('mount hints (mount_hints.go, getSharedMount, mountSharedSubmount)', () => {
  const hints = {
    'dev.gvisor.spec.mount.v.source': '/bundle/shared',
    'dev.gvisor.spec.mount.v.type': 'tmpfs',
    'dev.gvisor.spec.mount.v.share': 'pod',
    'dev.gvisor.spec.mount.v.options': 'ro',
  };
  const image = runscImage({}, { shared: [0, {}, {}] });

  it('mounts the master once for the sandbox, a mount of it in each container, and refuses a replica less restrictive than the master (checkCompatible)', () => {
    const spec = runscSpec([{ destination: '/v', type: 'bind', source: 'shared', options: ['rbind', 'ro'] }], { readonly: true }, { annotations: hints });
    const { sandbox, result } = RunscSandbox.create(spec, withGofer({ image }));
    expect(result.failure).toBeNull();
    const second = sandbox.startContainer(spec, { image, id: 'two' });
    expect(sandbox.vfs.steps.filter((s) => s.call === 'mountSharedMaster')).toHaveLength(1);
    const dev = (v: string[]) => v.find((l) => l.split(' ')[4] === '/v')!.split(' ')[2];
    expect(dev(second.view)).toBe(dev(result.view));
    const rw = runscSpec([{ destination: '/v', type: 'bind', source: 'shared', options: ['rbind'] }], { readonly: true }, { annotations: hints });
    const bad = sandbox.startContainer(rw, { image, id: 'three' });
    expect(bad.failure?.message).toMatch(/^failed to setupFS: mounting submounts: mount shared mount "v" to "\/v": cannot mount read-write shared mount because master is read-only, mount: \{Destination:\/v Type:tmpfs Source:\/bundle\/shared Options:\[\] /);
  });

  it('keeps a share=shared bind a gofer mount with shared file access, and ignores an incomplete hint with runsc\'s warning', () => {
    const spec = runscSpec([{ destination: '/v', type: 'bind', source: 'shared', options: ['rbind'] }], {}, { annotations: { 'dev.gvisor.spec.mount.v.source': '/bundle/shared', 'dev.gvisor.spec.mount.v.type': 'bind', 'dev.gvisor.spec.mount.v.share': 'shared', 'dev.gvisor.spec.mount.w.source': '/x' } });
    const p = predictRunsc(spec, withGofer({ image }));
    expect(lineAt(p.view, '/v')).toMatch(/ - 9p none rw,.*,cache=remote_revalidating,/);
    expect(p.warnings).toContain('ignoring mount annotations for "w" because of missing required field(s)');
  });
});

describe('the gofer\'s host side (sandboxsetup.SetupMounts)', () => {
  it('makes bind mount points on the host — in the volume a nested bind goes through — and remounts the binds with their flags only at the end', () => {
    const spec = runscSpec([{ destination: '/data', type: 'bind', source: 'vol', options: ['rbind', 'ro'] }, { destination: '/data/logs', type: 'bind', source: 'logs', options: ['rbind'] }], { readonly: true });
    const { sandbox, result } = RunscSandbox.create(spec, withGofer({ image: runscImage({}, { vol: [0, {}, {}], logs: [0, {}, {}] }) }));
    expect(result.hostChanges.map((c) => c.path)).toEqual(['/bundle/rootfs/data', '/bundle/vol/logs']);
    expect(readdirNames(sandbox.hostProcess, '/bundle/vol')).toEqual(['logs']);
    const remounts = sandbox.host.steps.map((s, i) => [s, sandbox.host.ops[i]!] as const).filter(([s]) => s.endsWith('(deferred remount)'));
    expect(remounts.map(([s]) => s)).toEqual(['gofer: SetupMounts /data/logs (deferred remount)', 'gofer: SetupMounts /data (deferred remount)']);
  });

  it('fails in the gofer when a bind source is missing, in its words', () => {
    const p = predictRunsc(runscSpec([{ destination: '/x', type: 'bind', source: '/nowhere', options: ['bind'] }]), withGofer({ image: runscImage() }));
    expect(p.failure).toEqual({ phase: 'gofer', errno: 'ENOENT', message: 'error setting up FS: mounting {Destination:/x Type:bind Source:/nowhere Options:[bind] UIDMappings:[] GIDMappings:[]}: stat("/nowhere") failed: stat /nowhere: no such file or directory' });
  });

  it('says what the Sentry itself makes on the host through a writable gofer (--overlay2=none: the root\'s gofer is writable)', () => {
    const p = predictRunsc(runscSpec([{ destination: '/new/dir', type: 'tmpfs', source: 'tmpfs' }]), withGofer({ image: runscImage(), config: { overlay2: parseOverlay2('none') } }));
    expect(p.hostChanges.map((c) => [c.path, c.what])).toEqual([
      ['/bundle/rootfs/new', 'directory'],
      ['/bundle/rootfs/new/dir', 'directory'],
    ]);
  });

  it('refuses `shared` on a gofer mount (specutils/fs.go:validateMount)', () => {
    const p = predictRunsc(runscSpec([{ destination: '/x', type: 'bind', source: 'v', options: ['rbind', 'rshared'] }]), withGofer({ image: runscImage({}, { v: [0, {}, {}] }) }));
    expect(p.failure).toEqual({ phase: 'spec', message: 'mount option "rshared" is not supported' });
  });
});

describe('setupContainerVFS after the mounts', () => {
  it('makes the spec\'s devices in /dev with their /dev/char link (dev.go:CreateDeviceFile), and the working directory', () => {
    const spec = runscSpec([], {}, { linux: { namespaces: [{ type: 'mount' }], devices: [{ type: 'c', path: '/dev/kvm', major: 10, minor: 232, fileMode: 0o660, uid: 0, gid: 36 }] } });
    spec.process!.cwd = '/work/dir';
    const sb = RunscSandbox.create(spec, withGofer({ image: runscImage() })).sandbox;
    const st = sb.process.stat('/dev/kvm');
    expect([st.mode, st.gid, st.rdev]).toEqual([0o020660, 36, (10 << 8) | 232]);
    expect(sb.process.readlink('/dev/char/10:232')).toBe('../kvm');
    expect(sb.process.getcwd()).toBe('/work/dir');
  });

  it('fails to make a missing working directory under a read-only root (no synthetic directory here)', () => {
    const spec = runscSpec([], { readonly: true });
    spec.process!.cwd = '/work';
    const p = predictRunsc(spec, withGofer({ image: runscImage() }));
    expect(p.failure).toMatchObject({ phase: 'sentry', errno: 'EROFS', message: 'failed to create process working directory "/work": failed to create directory "/work": read-only file system' });
  });
});
