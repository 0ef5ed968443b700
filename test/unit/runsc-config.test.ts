/**
 * runsc's flags, hints and option tables as the runsc profile reads them, each against the gVisor
 * code at 3c5eee17dc45 it models: runsc/config (flags.go, config.go), runsc/specutils
 * (gofer_conf.go, fs.go, specutils.go), runsc/container/container.go:createGoferConf,
 * runsc/boot/mount_hints.go, runsc/boot/vfs.go (compileMounts, prepareMounts,
 * getMountNameAndOptions, ParseMountOptions, consumeMountOptions, goferMountData) and Go's
 * sort.Slice.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createGoferConf, DEFAULT_CONFIG, formatOverlay2, parseFileAccess, parseOverlay2, validateConfig } from '../../src/boot/runsc/config.js';
import { sortSliceGo } from '../../src/boot/runsc/go-sort.js';
import { checkCompatible, hintFileAccess, HintError, newPodMountHints, newRootfsHint, shouldShareMount } from '../../src/boot/runsc/hints.js';
import { consumeMountOptions, optionsToFlags, parseGvisorMountOptions } from '../../src/boot/runsc/mount-options.js';
import { compileMounts, getMountNameAndOptions, prepareMounts, runscSpecMounts, type RunscMount } from '../../src/boot/runsc/mounts.js';
import { goferOptions } from '../../src/boot/runsc/mounter.js';
import { gvisorTmpfsOptions } from '../../src/boot/runsc/sentry-fs.js';
import { MS } from '../../src/boot/mount-options.js';

const m = (destination: string, type: string, options: string[] = [], source = ''): RunscMount => ({ index: 0, destination, type, source, options });

describe('runsc/config', () => {
  it('defaults to --overlay2=root:self, exclusive root, shared mounts, directfs (flags.go, config.go:defaultOverlay2)', () => {
    expect(formatOverlay2(DEFAULT_CONFIG.overlay2)).toBe('root:self');
    expect([DEFAULT_CONFIG.fileAccess, DEFAULT_CONFIG.fileAccessMounts, DEFAULT_CONFIG.directfs, DEFAULT_CONFIG.hostFifoOpen]).toEqual(['exclusive', 'shared', true, false]);
  });

  it.each([
    ['none', 'none'],
    ['root:memory', 'root:memory'],
    ['all:self', 'all:self'],
    ['root:memory,size=1g', 'root:memory,size=1g'],
    ['all:dir=/var/tmp', 'all:dir=/var/tmp'],
  ])('parses --overlay2=%s as Overlay2.Set does, and prints it back', (v, out) => {
    expect(formatOverlay2(parseOverlay2(v))).toBe(out);
  });

  it.each([
    ['root', 'expected format is --overlay2={mount}:{medium}[,size={size}], got "root"'],
    ['sub:memory', 'unexpected mount specifier for --overlay2: "sub"'],
    ['root:disk', 'unexpected medium: "disk"'],
    ['root:dir=rel', 'overlay host file directory should be an absolute path, got "rel"'],
    ['root:memory,1g', 'expected format is --overlay2={mount}:{medium}[,size={size}], got "root:memory,1g"'],
  ])('refuses --overlay2=%s in runsc\'s words', (v, msg) => {
    expect(() => parseOverlay2(v)).toThrow(msg);
  });

  it('refuses an unknown --file-access and an overlay with a shared root (config.go:Validate)', () => {
    expect(() => parseFileAccess('private')).toThrow('invalid file access type "private"');
    expect(() => validateConfig({ ...DEFAULT_CONFIG, fileAccess: 'shared' })).toThrow('overlay flag is incompatible with shared file access for rootfs');
  });

  it('falls back from self to memory for a file source, with runsc\'s warning (container.go:createGoferConf)', () => {
    const warnings: string[] = [];
    expect(createGoferConf('self', '', 'bind', '/h', () => 'file', (w) => warnings.push(w))).toEqual({ lower: 'lisafs', upper: 'memory', size: '' });
    expect(warnings).toEqual(['self filestore is only supported for directory mounts, but mount "/h" is not a directory, falling back to memory']);
    expect(createGoferConf('', '', 'tmpfs', '/v', () => 'dir', () => {})).toEqual({ lower: 'none', upper: 'none', size: '' });
  });
});

describe('mount_hints.go', () => {
  it('keeps complete hints, warns about invalid fields and incomplete hints, refuses two hints of one source', () => {
    const w: string[] = [];
    const hints = newPodMountHints({ 'dev.gvisor.spec.mount.a.source': '/v', 'dev.gvisor.spec.mount.a.type': 'tmpfs', 'dev.gvisor.spec.mount.a.share': 'pod', 'dev.gvisor.spec.mount.a.share2': 'x', 'dev.gvisor.spec.mount.b.type': 'bind' }, w);
    expect(hints.map((h) => [h.name, h.share, h.mount.source])).toEqual([['a', 'pod', '/v']]);
    expect(w).toEqual(['ignoring invalid mount annotation (name = "a", key = "share2", value = "x"): invalid mount annotation: share2=x', 'ignoring mount annotations for "b" because of missing required field(s)']);
    expect(() => newPodMountHints({ 'dev.gvisor.spec.mount.a.b.c': 'x' }, [])).toThrow(HintError);
    const dup = { 'dev.gvisor.spec.mount.a.source': '/v', 'dev.gvisor.spec.mount.a.type': 'tmpfs', 'dev.gvisor.spec.mount.a.share': 'pod', 'dev.gvisor.spec.mount.b.source': '/v', 'dev.gvisor.spec.mount.b.type': 'bind', 'dev.gvisor.spec.mount.b.share': 'shared' };
    expect(() => newPodMountHints(dup, [])).toThrow('mounts "a" and "b" have the same mount source "/v"');
  });

  it('shares tmpfs volumes of share=container and pod, and gives each share its file access (ShouldShareMount, fileAccessType)', () => {
    const h = (type: string, share: 'container' | 'pod' | 'shared') => ({ name: 'v', share, mount: { source: '/v', type, options: [] }, suppressDirectFS: false });
    expect([shouldShareMount(h('tmpfs', 'pod')), shouldShareMount(h('tmpfs', 'shared')), shouldShareMount(h('bind', 'pod'))]).toEqual([true, false, false]);
    expect([hintFileAccess(h('tmpfs', 'pod')), hintFileAccess(h('bind', 'container')), hintFileAccess(h('bind', 'pod')), hintFileAccess(h('bind', 'shared'))]).toEqual(['exclusive', 'exclusive', 'shared', 'shared']);
    const ro = { ...h('tmpfs', 'pod'), mount: { source: '/v', type: 'tmpfs', options: ['ro', 'noexec'] } };
    expect(checkCompatible(ro, ['ro', 'noexec'], 'M')).toBeNull();
    expect(checkCompatible(ro, ['ro'], 'M')).toBe('cannot mount exec enabled shared mount because master is noexec, mount: M');
  });

  it('refuses an invalid rootfs hint, which mount hints only warn about (NewRootfsHint)', () => {
    expect(() => newRootfsHint({ 'dev.gvisor.spec.rootfs.source': 'rel' })).toThrow('invalid rootfs annotation (key = "source", value = "rel"): source should be an absolute path, got "rel"');
    expect(newRootfsHint({ 'dev.gvisor.spec.rootfs.source': '/img', 'dev.gvisor.spec.rootfs.type': 'bind', 'dev.gvisor.spec.rootfs.overlay': 'memory' })).toMatchObject({ overlay: 'memory' });
  });
});

describe('mount options (vfs.go:ParseMountOptions, consumeMountOptions; specutils/fs.go)', () => {
  it('keeps only ro, noatime, noexec and nosuid, and warns about the rest', () => {
    const w: string[] = [];
    expect(parseGvisorMountOptions(['rbind', 'ro', 'nodev', 'relatime', 'noexec', 'rw', 'nosuid'], (x) => w.push(x))).toEqual({ readOnly: true, noATime: false, noExec: true, noSUID: true });
    expect(w).toEqual(['ignoring unknown mount option "nodev"', 'ignoring unknown mount option "relatime"']);
  });

  it('gives a filesystem the words it consumes, and refuses a word with two "="', () => {
    expect(consumeMountOptions(['nosuid', 'mode=755', 'size=1m', 'nr_inodes=5'], ['mode', 'size', 'uid', 'gid'])).toEqual({ rest: ['nosuid', 'nr_inodes=5'], data: ['mode=755', 'size=1m'] });
    expect(() => consumeMountOptions(['a=b=c'], ['a'])).toThrow('invalid option "a=b=c"');
  });

  it('reads the gofer\'s bind flags with runc\'s table (OptionsToFlags)', () => {
    expect(optionsToFlags(['rbind', 'ro', 'nosuid', 'rw'])).toBe(MS.BIND | MS.REC | MS.NOSUID);
  });
});

describe('compileMounts, prepareMounts, getMountNameAndOptions', () => {
  it('puts the missing mandatory mounts first, in proc, sysfs, dev, devpts order, and retypes /dev and /dev/pts', () => {
    expect(compileMounts([m('/dev', 'tmpfs'), m('/x', 'tmpfs')]).map((x) => `${x.type} ${x.destination}`)).toEqual(['proc /proc', 'sysfs /sys', 'devpts /dev/pts', 'dev /dev', 'tmpfs /x']);
  });

  it('deals gofer configurations in list order and turns a tmpfs-backed one into a tmpfs without bind options', () => {
    const confs = [{ lower: 'lisafs' as const, upper: 'self' as const, size: '' }, { lower: 'none' as const, upper: 'self' as const, size: '' }, { lower: 'lisafs' as const, upper: 'none' as const, size: '' }];
    const infos = prepareMounts([m('/a', 'bind', ['rbind', 'noexec'], '/va'), m('/b', 'none', ['bind'], '/vb')], confs, []);
    expect(infos.map((i) => [i.mount.destination, i.mount.type, i.mount.options, i.goferIndex])).toEqual([
      ['/a', 'tmpfs', ['noexec'], 1],
      ['/b', 'bind', ['bind'], 2],
    ]);
  });

  it('makes a bind `9p` with the gofer\'s data, `none` sysfs, and skips what it does not know', () => {
    const w: string[] = [];
    const bind = getMountNameAndOptions({ mount: m('/a', 'bind', ['rbind', 'dcache=5'], '/v'), goferIndex: 1 }, DEFAULT_CONFIG, () => 4, (x) => w.push(x));
    expect([bind.fsName, bind.data]).toEqual(['9p', ['dcache=5', 'trans=fd', 'rfdno=4', 'wfdno=4', 'cache=remote_revalidating', 'directfs', 'disable_fifo_open']]);
    expect(getMountNameAndOptions({ mount: m('/s', 'none') }, DEFAULT_CONFIG, () => 0, () => {}).fsName).toBe('sysfs');
    expect(getMountNameAndOptions({ mount: m('/q', 'mqueue') }, DEFAULT_CONFIG, () => 0, (x) => w.push(x)).fsName).toBe('');
    expect(w).toEqual(['ignoring unknown filesystem type "mqueue"']);
  });

  it('makes relative bind sources absolute against the bundle (specutils.go:fixSpec)', () => {
    expect(runscSpecMounts([{ destination: '/a', source: 'vol' }, { destination: '/b', source: '/abs' }, { destination: '/c' }], '/bundle').map((x) => x.source)).toEqual(['/bundle/vol', '/abs', '']);
  });
});

describe('the options gVisor prints (MountOptions())', () => {
  it('prints tmpfs\'s size rounded to pages in KiB and mode as given, in tmpfs.go\'s order', () => {
    expect(gvisorTmpfsOptions(['mode=01777', 'size=1000', 'uid=5'], 0).printed).toBe('size=4k,mode=01777,uid=5');
    expect(gvisorTmpfsOptions(['size=65536k'], 0).printed).toBe('size=65536k');
    expect(gvisorTmpfsOptions(['size=50%'], 8 * 1024 * 1024).printed).toBe('size=4096k');
    expect(() => gvisorTmpfsOptions(['mode=9'], 0)).toThrow();
  });

  it('prints the gofer\'s options in gofer/filesystem.go:MountOptions order with its defaults', () => {
    expect(goferOptions(['trans=fd', 'rfdno=3', 'wfdno=3', 'directfs', 'disable_fifo_open', 'overlayfs_stale_read'], DEFAULT_CONFIG)).toBe('trans=fd,rfdno=3,wfdno=3,aname=/,dfltuid=4294967294,dfltgid=4294967294,dcache=1000,cache=fscache,disable_fifo_open,overlayfs_stale_read,directfs');
    expect(goferOptions(['trans=fd', 'rfdno=4', 'wfdno=4', 'cache=remote_revalidating'], { ...DEFAULT_CONFIG, dcache: 50 })).toBe('trans=fd,rfdno=4,wfdno=4,aname=/,dfltuid=4294967294,dfltgid=4294967294,dcache=50-global,cache=remote_revalidating');
  });
});

describe('Go\'s sort.Slice (go-sort.ts)', () => {
  it('sorts, and keeps the order of equal keys up to 12 elements (insertion sort)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 40 }), (xs) => {
        const tagged = xs.map((k, i) => ({ k, i }));
        const out = sortSliceGo([...tagged], (a, b) => a.k < b.k);
        for (let i = 1; i < out.length; i++) expect(out[i - 1]!.k).toBeLessThanOrEqual(out[i]!.k);
        if (xs.length <= 12) expect(out).toEqual([...tagged].sort((a, b) => a.k - b.k || a.i - b.i));
      }),
    );
  });
});
