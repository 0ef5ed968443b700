/**
 * /proc/self/mountinfo as the Sentry renders it (pkg/sentry/vfs/mount.go: GenerateProcMountInfo,
 * superBlockOpts, manglePath; gVisor 3c5eee17dc45), field by field, where it differs from Linux:
 * ids from one kernel-wide counter that disconnected mounts use too, `0:MINOR` of the mount
 * root, per-mount options limited to ro/noatime/noexec/nosuid, source `none`, super options that
 * are the mount's rw/ro and the filesystem's MountOptions().
 */
import { describe, expect, it } from 'vitest';
import { BOOT_BASELINE } from '../../src/boot/runsc/sentry-vfs.js';
import { predictRunsc, RunscSandbox } from '../../src/boot/runsc/profile.js';
import { lineAt, runscImage, runscSpec, withGofer } from './runsc-helpers.js';

describe('GenerateProcMountInfo', () => {
  const spec = runscSpec([
    { destination: '/with space', type: 'tmpfs', source: 'tmpfs', options: ['ro', 'noatime', 'nodev', 'relatime', 'nosuid', 'noexec', 'mode=0700'] },
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid'] },
  ]);
  const p = predictRunsc(spec, withGofer({ image: runscImage() }));

  it('counts the kernel\'s own mounts and minors before the container\'s (kernel.go:Init, loader.go:New, mountCgroupMounts)', () => {
    expect([BOOT_BASELINE.mounts.length, BOOT_BASELINE.minors.length]).toEqual([14, 16]);
    // The overlay root is the 4th mount and 4th filesystem of the container: 15+3, 17+3.
    expect(p.view[0]).toBe('18 17 0:20 / / rw - overlay none rw');
  });

  it('lists the mounts by id, the parent\'s id beside each, the root\'s hidden parent (the namespace\'s read-only tmpfs) never shown', () => {
    const ids = p.view.map((l) => Number(l.split(' ')[0]));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(p.view.some((l) => l.startsWith('17 '))).toBe(false);
    for (const l of p.view.slice(1)) expect(ids).toContain(Number(l.split(' ')[1]));
  });

  it('shows rw/ro, noatime, noexec, nosuid and nothing else, mangles the mount point, and names the source none', () => {
    expect(lineAt(p.view, '/with\\040space')).toBe('/ /with\\040space ro,noatime,noexec,nosuid - tmpfs none ro,mode=0700');
    expect(lineAt(p.view, '/proc')).toBe('/ /proc rw,nosuid - proc none rw,dentry_cache_limit=1000');
  });

  it('takes the super options\' rw/ro from the mount, so two mounts of one filesystem can differ there (superBlockOpts)', () => {
    const hints = { 'dev.gvisor.spec.mount.v.source': '/bundle/v', 'dev.gvisor.spec.mount.v.type': 'tmpfs', 'dev.gvisor.spec.mount.v.share': 'pod' };
    const s = runscSpec([{ destination: '/a', type: 'bind', source: 'v', options: ['rbind'] }, { destination: '/bb', type: 'bind', source: 'v', options: ['rbind', 'ro'] }], {}, { annotations: hints });
    const q = predictRunsc(s, withGofer({ image: runscImage({}, { v: [0, {}, {}] }) }));
    expect([lineAt(q.view, '/a'), lineAt(q.view, '/bb')]).toEqual(['/ /a rw - tmpfs none rw', '/ /bb ro - tmpfs none ro']);
  });

  it('gives a cgroup bind the container\'s cgroup as its root and the controller as its option', () => {
    const q = predictRunsc(runscSpec([{ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup' }]), withGofer({ image: runscImage(), id: 'ctr' }));
    expect(q.view.find((l) => l.includes(' /sys/fs/cgroup/memory '))).toMatch(/^\d+ \d+ 0:15 \/ctr \/sys\/fs\/cgroup\/memory rw - cgroup none rw,memory$/);
  });

  it('is what the container\'s task reads: only what is reachable from its root', () => {
    const spec = runscSpec([]);
    spec.process = { ...spec.process, capabilities: { effective: ['CAP_SYS_CHROOT'] } };
    const { sandbox } = RunscSandbox.create(spec, withGofer({ image: runscImage() }));
    expect(sandbox.mountinfo()).toEqual(sandbox.containers[0]!.view);
    sandbox.process.chroot('/proc');
    expect(sandbox.mountinfo().map((l) => l.split(' ')[4])).toEqual(['/']);
  });
});
