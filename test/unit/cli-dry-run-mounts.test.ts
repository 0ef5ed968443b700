/**
 * `vfsemu dry-run` of a containerd mount list (src/cli/dry-run-mounts.ts): the examples in
 * examples/mounts/ step by step, with the table and the unmount after; how a list is told from a
 * bundle's config.json; a malformed list (exit 2, the JSON path named); a mount that fails
 * (exit 1, containerd's words); the options that do not apply.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDryRunCommand, type DryRunOptions } from '../../src/cli/dry-run.js';

function run(arg: string | undefined, opts: Partial<DryRunOptions> = {}) {
  let out = '';
  let err = '';
  const code = runDryRunCommand(arg, { format: 'tree', native: false, host: false, ...opts }, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
}

const scratch = mkdtempSync(join(tmpdir(), 'vfsemu-mounts-'));
afterAll(() => rmSync(scratch, { recursive: true }));

/** A mount list written to a file of its own. */
function listFile(name: string, doc: unknown): string {
  const f = join(scratch, name);
  writeFileSync(f, typeof doc === 'string' ? doc : JSON.stringify(doc));
  return f;
}

const OV = '/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots';
const LOWER = `${OV}/3/fs:${OV}/2/fs:${OV}/1/fs`;
const BF = '/var/lib/containerd/io.containerd.snapshotter.v1.blockfile/snapshots';

describe('the overlayfs snapshotter\'s mounts for a 3-layer image', () => {
  it('one mount(2) from mountAt, the overlay on /rootfs, then UnmountAll until EINVAL; the stand-ins named', () => {
    const r = run('examples/mounts/overlay-3-layers.json', { format: 'mountinfo' });
    expect(r.code).toBe(0);
    expect(r.out.split('\n')).toEqual([
      'mount.All(mounts, "/rootfs"):',
      '  core/mount/mount_linux.go:mountAt',
      `    mount("overlay", "/rootfs", "overlay", 0, "workdir=${OV}/4/work,upperdir=${OV}/4/fs,lowerdir=${LOWER},index=off") = 0`,
      '',
      `3 2 0:18 / /rootfs rw,relatime - overlay overlay rw,lowerdir=${LOWER},upperdir=${OV}/4/fs,workdir=${OV}/4/work,uuid=on`,
      '',
      'then UnmountAll("/rootfs", 0):',
      '  core/mount/mount_unix.go:unmount',
      '    umount2("/rootfs", 0) = 0',
      '    umount2("/rootfs", 0) = -1 EINVAL',
      '',
    ]);
    expect(r.err.split('\n')).toEqual([
      'every mount would succeed',
      "note: the sources are stand-ins the dry-run made, empty (the calls and the table are what containerd and the kernel would do; the contents are not the snapshot's):",
      `  ${OV}/4/work  directory ($[0] workdir)`,
      `  ${OV}/4/fs    directory ($[0] upperdir)`,
      `  ${OV}/3/fs    directory ($[0] lowerdir)`,
      `  ${OV}/2/fs    directory ($[0] lowerdir)`,
      `  ${OV}/1/fs    directory ($[0] lowerdir)`,
      '',
    ]);
  });

  it('the tree format is findmnt\'s, as for a bundle', () => {
    const r = run('examples/mounts/overlay-3-layers.json');
    expect(r.out).toContain(`\nTARGET  SOURCE  FSTYPE  OPTIONS\n/rootfs overlay overlay rw,relatime,lowerdir=${LOWER},upperdir=${OV}/4/fs,workdir=${OV}/4/work,uuid=on\n`);
  });
});

describe('a loop mount (the blockfile snapshotter\'s view)', () => {
  it('a free device, LOOP_CONFIGURE with autoclear, the mount, the setup descriptor closed after it', () => {
    const r = run('examples/mounts/loop-image.json', { format: 'mountinfo', target: '/run/c1/rootfs' });
    expect(r.code).toBe(0);
    expect(r.out.split('\n')).toEqual([
      'mount.All(mounts, "/run/c1/rootfs"):',
      '  core/mount/losetup_linux.go:getFreeLoopDev',
      '    open("/dev/loop-control", O_RDWR) = 0',
      '    ioctl(0, LOOP_CTL_GET_FREE) = 0',
      '    close(0) = 0',
      '  core/mount/losetup_linux.go:setupLoopDev',
      `    open("${BF}/3", O_RDONLY) = 0`,
      '    open("/dev/loop0", O_RDONLY) = 1',
      `    ioctl(1, LOOP_CONFIGURE, {fd: 0, lo_flags: LO_FLAGS_READ_ONLY|LO_FLAGS_AUTOCLEAR, lo_file_name: "${BF}/3"}) = 0`,
      '    close(0) = 0',
      '  core/mount/mount_linux.go:mountAt',
      '    mount("/dev/loop0", "/run/c1/rootfs", "vfsemu-image", 1, "") = 0',
      '  core/mount/mount_linux.go:Mount.mount',
      '    close(1) = 0',
      "      # the loop device's setup descriptor; with autoclear the device goes at the last close, now the umount",
      '',
      '3 2 0:18 / /run/c1/rootfs ro,relatime - vfsemu-image /dev/loop0 ro',
      '',
      'then UnmountAll("/run/c1/rootfs", 0):',
      '  core/mount/mount_unix.go:unmount',
      '    umount2("/run/c1/rootfs", 0) = 0',
      '    umount2("/run/c1/rootfs", 0) = -1 EINVAL',
      '',
    ]);
    expect(r.err).toContain(`\n  ${BF}/3  loop image: a vfsemu image holding lost+found only ($.mounts[0] loop source)\n`);
  });

  it('--format json: the steps, the failure, the table and the unmount as one document', () => {
    const text = run('examples/mounts/loop-image.json', { format: 'mountinfo' }).out;
    const r = run('examples/mounts/loop-image.json', { format: 'json' });
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    const j = JSON.parse(r.out) as { target: string; mounts: unknown[]; standins: unknown[]; mountAll: { steps: { call: string; result: string; value?: number; by: string }[]; failure: unknown }; mountinfo: string[]; unmount: { call: string; steps: { call: string; result: string }[]; error: unknown } };
    expect(j.target).toBe('/rootfs');
    expect(j.mounts).toEqual([{ type: 'vfsemu-image', source: `${BF}/3`, target: '', options: ['loop', 'ro'] }]);
    expect(j.standins).toEqual([{ path: `${BF}/3`, kind: 'loop image', for: '$.mounts[0] loop source' }]);
    expect(j.mountAll.failure).toBeNull();
    expect(j.mountAll.steps[4]).toEqual({ call: 'open("/dev/loop0", O_RDONLY)', result: 'OK', value: 1, by: 'core/mount/losetup_linux.go:setupLoopDev' });
    expect(j.mountAll.steps.map((s) => s.call)).toEqual(text.split('\n').filter((l) => /^ {4}\S/.test(l)).slice(0, 9).map((l) => l.trim().replace(/ = -?\d+.*$/, '')));
    expect(j.mountinfo).toEqual(['3 2 0:18 / /rootfs ro,relatime - vfsemu-image /dev/loop0 ro']);
    expect(j.unmount).toEqual({
      call: 'UnmountAll("/rootfs", 0)',
      steps: [
        { call: 'umount2("/rootfs", 0)', result: 'OK', by: 'core/mount/mount_unix.go:unmount' },
        { call: 'umount2("/rootfs", 0)', result: 'EINVAL', by: 'core/mount/mount_unix.go:unmount' },
      ],
      error: null,
    });
  });
});

describe('a FUSE type goes to the mount helper', () => {
  it('the helper\'s command line, not run; nothing mounted, and the verdict says why', () => {
    const r = run('examples/mounts/fuse-overlayfs.json');
    const F = '/var/lib/containerd/io.containerd.snapshotter.v1.fuse-overlayfs/snapshots';
    expect(r.code).toBe(0);
    expect(r.out.split('\n').slice(0, 6)).toEqual([
      'mount.All(mounts, "/rootfs"):',
      '  core/mount/mount_linux.go:Mount.mountWithHelper',
      `    mount.fuse3 overlay /rootfs -o workdir=${F}/4/work -o upperdir=${F}/4/fs -o lowerdir=${F}/3/fs:${F}/2/fs:${F}/1/fs -t fuse-overlayfs → not run (unmodelled)`,
      '      # vfsemu runs no programs: mount.fuse3 would start the FUSE daemon "fuse-overlayfs", which mounts fuse.fuse-overlayfs on /rootfs; supply a daemon object for "fuse-overlayfs" to replay it',
      '',
      '(nothing mounted at /rootfs)',
    ]);
    expect(r.err).toBe('mount.All would return no error; 1 step not run (unmodelled), whose mount is missing from the table\n');
  });
});

describe('telling a mount list from a bundle', () => {
  it('a bare array with lower-case names is recognised by its shape; a config.json (which has `mounts` too) is not', () => {
    const f = listFile('bind.json', [{ type: 'bind', source: '/snap/fs', options: ['rbind', 'ro'] }]);
    const r = run(f);
    expect(r.code).toBe(0);
    expect(r.out.split('\n').slice(0, 4)).toEqual([
      'mount.All(mounts, "/rootfs"):',
      '  core/mount/mount_linux.go:mountAt',
      '    mount("/snap/fs", "/rootfs", "bind", 20481, "") = 0',
      '  core/mount/mount_linux.go:Mount.mount',
    ]);
    const spec = run('examples/bundles/runc-default/config.json');
    expect(spec.out).not.toContain('mount.All');
    expect(spec.err).toMatch(/^runc would fail before it creates the container with ENOENT:\n {2}invalid rootfs: stat /);
  });

  it('--mount-list reads any file as one: a config.json is refused, naming the field', () => {
    const r = run('examples/bundles/runc-default/config.json', { mountList: true });
    expect(r).toEqual({ code: 2, out: '', err: 'vfsemu: invalid mount list examples/bundles/runc-default/config.json:\n  $.ociVersion: unknown field (a mount list is an array of mounts, or {"mounts": [...]})\n' });
  });
});

describe('errors', () => {
  it('a malformed list: exit 2, the JSON path of the problem, nothing run', () => {
    const f = listFile('bad.json', { mounts: [{ type: 'bind', source: '/a', options: ['ro', 3] }] });
    expect(run(f, { mountList: true })).toEqual({ code: 2, out: '', err: `vfsemu: invalid mount list ${f}:\n  $.mounts[0].options[1]: expected a string, got number\n` });
    const shape = listFile('shape.json', [{ type: 'bind', Source: 7 }]);
    expect(run(shape).err).toBe(`vfsemu: invalid mount list ${shape}:\n  $[0].Source: expected a string, got number\n`);
    const notJson = listFile('not.json', '[{"type": "bind",');
    const r = run(notJson, { mountList: true });
    expect([r.code, r.out]).toEqual([2, '']);
    expect(r.err).toMatch(new RegExp(`^vfsemu: invalid mount list ${notJson}: not JSON: `));
    expect(run(join(scratch, 'missing.json'), { mountList: true }).err).toBe(`vfsemu: cannot read mount list ${join(scratch, 'missing.json')}: ENOENT\n`);
  });

  it('a mount that fails: exit 1, mount.All\'s error in containerd\'s words, the calls up to it', () => {
    const f = listFile('no-workdir.json', [{ type: 'overlay', source: 'overlay', options: ['lowerdir=/l', 'upperdir=/u'] }]);
    const r = run(f, { format: 'mountinfo' });
    expect(r.code).toBe(1);
    expect(r.out.split('\n').slice(0, 5)).toEqual(['mount.All(mounts, "/rootfs"):', '  core/mount/mount_linux.go:mountAt', '    mount("overlay", "/rootfs", "overlay", 0, "lowerdir=/l,upperdir=/u") = -1 EINVAL', '', '(nothing mounted at /rootfs)']);
    expect(r.err.split('\n').slice(0, 2)).toEqual([
      'containerd would fail at mounts[0] (overlay) with EINVAL:',
      '  mount source: "overlay", target: "/rootfs", fstype: overlay, flags: 0, data: "lowerdir=/l,upperdir=/u", err: EINVAL: invalid argument, mount \'/rootfs\'',
    ]);
  });

  it('a list with targets: the mounts made stay in the table, UnmountMounts undoes them last first', () => {
    const f = listFile('nested.json', [
      { type: 'bind', source: '/snap/a', options: ['rbind'] },
      { type: 'tmpfs', source: 'tmpfs', target: 'run', options: ['nosuid'] },
    ]);
    const r = run(f, { format: 'mountinfo' });
    expect(r.code).toBe(1);
    expect(r.out.split('\n')).toEqual([
      'mount.All(mounts, "/rootfs"):',
      '  core/mount/mount_linux.go:mountAt',
      '    mount("/snap/a", "/rootfs", "bind", 20480, "") = 0',
      '    mount("tmpfs", "/rootfs/run", "tmpfs", 2, "") = -1 ENOENT',
      '',
      '3 2 0:17 /snap/a /rootfs rw,relatime - tmpfs none rw,mode=755',
      '',
      'then UnmountMounts(mounts, "/rootfs", 0):',
      '  core/mount/mount_unix.go:UnmountAll',
      '    stat("/rootfs/run") = -1 ENOENT',
      '      # no such path: nothing to unmount',
      '  core/mount/mount_unix.go:unmount',
      '    umount2("/rootfs", 0) = 0',
      '    umount2("/rootfs", 0) = -1 EINVAL',
      '',
    ]);
    expect(r.err).toContain('\nnote: "run" is looked for inside the mounts before it, whose sources here are empty stand-ins: the snapshot\'s contents may have it\n');
  });

  it('options of the bundle dry-run are refused for a list, --target for a bundle, a relative --target', () => {
    expect(run('examples/mounts/loop-image.json', { native: true })).toEqual({ code: 2, out: '', err: 'vfsemu: --native: for an OCI bundle; examples/mounts/loop-image.json is a containerd mount list, replayed on the emulator only\n' });
    expect(run('examples/mounts/loop-image.json', { runtime: 'runsc' }).code).toBe(2);
    expect(run('examples/bundles/runc-default', { target: '/x' })).toEqual({ code: 2, out: '', err: 'vfsemu: --target is where a containerd mount list is mounted; an OCI bundle names its own rootfs\n' });
    expect(run('examples/mounts/loop-image.json', { target: 'rootfs' })).toEqual({ code: 2, out: '', err: 'vfsemu: --target: expected an absolute path, got "rootfs"\n' });
  });
});
