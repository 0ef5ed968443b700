/**
 * containerd's mount.All and UnmountAll/UnmountRecursive replayed over a Process
 * (src/boot/containerd): the calls each makes, in order, the mount table they leave, and the
 * loop autoclear bug of containerd #4969 — the early close gives the mount the error the kernel
 * gave the recorder (test/kernel/facts/loop-fuse.json), the fixed sequence mounts and the device
 * goes at the umount.
 */
import { describe, expect, it } from 'vitest';
import { kernelFacts } from '../kernel/facts.js';
import { mountAll } from '../../src/boot/containerd/mount-all.js';
import { MountListError, parseMountList, looksLikeMountList } from '../../src/boot/containerd/mount-list.js';
import { unmountAll, unmountMounts, unmountRecursive } from '../../src/boot/containerd/unmount.js';
import { StepLog } from '../../src/boot/containerd/steps.js';
import { makedev, S_IFCHR } from '../../src/vfs/inode.js';
import { loopControlOf } from '../../src/vfs/loop-syscalls.js';
import { O_RDONLY } from '../../src/vfs/file.js';
import type { Process } from '../../src/vfs/process.js';
import { readdirNames } from './helpers.js';
import { helloDaemon } from './fuse-helpers.js';
import { IMAGE, loopWorld, state } from './loop-helpers.js';

const K = kernelFacts('loop-fuse');

function world(): Process {
  const p = loopWorld();
  for (const d of ['/rootfs', '/l1', '/l2', '/u', '/w', '/src']) p.mkdir(d, 0o755);
  return p;
}

const calls = (r: { steps: { call: string; result: string }[] }) => r.steps.map((s) => `${s.call} = ${s.result}`);

describe('mount.All', () => {
  // containerd's parser has no propagation words: `rprivate` is data, which a bind ignores, and
  // Mount.mount's propagation branch is never taken through options.
  it('overlay, then a bind made read-only (rprivate is data to containerd)', () => {
    const p = world();
    p.mkdir('/l1/mnt', 0o755);
    const r = mountAll(
      p,
      [
        { type: 'overlay', source: 'overlay', target: '', options: ['index=off', 'lowerdir=/l1:/l2', 'upperdir=/u', 'workdir=/w', 'nosuid'] },
        { type: 'bind', source: '/src', target: 'mnt', options: ['rbind', 'ro', 'rprivate'] },
      ],
      '/rootfs',
    );
    expect(r.failure).toBeNull();
    expect(calls(r)).toEqual([
      'mount("overlay", "/rootfs", "overlay", 2, "index=off,lowerdir=/l1:/l2,upperdir=/u,workdir=/w") = OK',
      'mount("/src", "/rootfs/mnt", "bind", 20481, "rprivate") = OK',
      'mount("", "/rootfs/mnt", "", 20513, "") = OK',
    ]);
    expect(p.mountinfo()).toMatch(/ \/rootfs\/mnt ro,relatime - tmpfs none /);
  });

  it('a long lowerdir list is compacted and mounted from the layers\' parent (a chdir in a task of its own)', () => {
    const p = world();
    p.mkdir('/var', 0o755);
    p.mkdir('/var/snapshots', 0o755);
    const layers: string[] = [];
    for (let i = 1; i <= 60; i++) {
      const d = `/var/snapshots/${i}000000000000000000000000000000000000000000000000000000000000`;
      p.mkdir(d, 0o755);
      layers.push(d);
    }
    const r = mountAll(p, [{ type: 'overlay', source: 'overlay', target: '', options: [`lowerdir=${layers.join(':')}`, 'upperdir=/u', 'workdir=/w'] }], '/rootfs');
    expect(r.failure).toBeNull();
    expect(r.steps[0]!.call).toBe('unshare(CLONE_FS); chdir("/var/snapshots/")');
    expect(r.steps[1]!.call).toMatch(/^mount\("overlay", "\/rootfs", "overlay", 0, "upperdir=\/u,workdir=\/w,lowerdir=1000/);
    expect(p.getcwd()).toBe('/');
  });

  it('an X-containerd option left for the mount manager is containerd\'s error', () => {
    const r = mountAll(world(), [{ type: 'bind', source: '/src', target: '', options: ['rbind', 'X-containerd.mkdir.path=/x'] }], '/rootfs');
    expect(r.failure).toEqual({ mount: 0, message: 'internal mount option "X-containerd.mkdir.path=/x" was not consumed by the mount manager' });
  });

  it('a block filesystem vfsemu does not read: ENODEV, the message names it', () => {
    const p = world();
    const r = mountAll(p, [{ type: 'ext4', source: IMAGE, target: '', options: ['loop', 'ro'] }], '/rootfs');
    expect(r.failure?.errno).toBe('ENODEV');
    expect(r.failure?.message).toContain('ext4 is not modelled');
    // The loop device was set up, and its descriptor closed: autoclear detached it.
    expect(r.steps.at(-1)!.call).toMatch(/^close\(/);
    expect(state(p, 0).backing_file).toBe('ENOENT');
  });
});

describe('loop: containerd #4969 (autoclear fired before the mount)', () => {
  const loopMount = [{ type: 'vfsemu-image', source: IMAGE, target: '', options: ['loop', 'ro'] }];

  it('before 05a2e280: the device is gone when mount(2) opens it, the kernel\'s EIO', () => {
    const p = world();
    const r = mountAll(p, loopMount, '/rootfs', { loop: { closeBeforeMount: true } });
    expect(r.failure?.errno).toBe(K.get('loop: early close (containerd before 05a2e280)', 'mount ext4 of the device'));
    expect(state(p, 0)).toEqual(K.get('loop: early close (containerd before 05a2e280)', 'state after the close'));
  });

  for (const legacy of [false, true]) {
    it(`since 05a2e280 (${legacy ? 'LOOP_SET_FD + LOOP_SET_STATUS64' : 'LOOP_CONFIGURE'}): mounted, the device held until UnmountAll`, () => {
      const p = world();
      const r = mountAll(p, loopMount, '/rootfs', { loop: { legacy } });
      expect(r.failure).toBeNull();
      expect(calls(r)).toEqual([
        'open("/dev/loop-control", O_RDWR) = OK',
        'ioctl(0, LOOP_CTL_GET_FREE) = OK',
        'close(0) = OK',
        'open("/vfsemu-loop-fact.img", O_RDONLY) = OK',
        'open("/dev/loop0", O_RDONLY) = OK',
        ...(legacy
          ? ['ioctl(1, LOOP_SET_FD, 0) = OK', 'ioctl(1, LOOP_SET_STATUS64, {lo_flags: LO_FLAGS_READ_ONLY|LO_FLAGS_AUTOCLEAR, lo_file_name: "/vfsemu-loop-fact.img"}) = OK']
          : ['ioctl(1, LOOP_CONFIGURE, {fd: 0, lo_flags: LO_FLAGS_READ_ONLY|LO_FLAGS_AUTOCLEAR, lo_file_name: "/vfsemu-loop-fact.img"}) = OK']),
        'close(0) = OK',
        'mount("/dev/loop0", "/rootfs", "vfsemu-image", 1, "") = OK',
        'close(1) = OK',
      ]);
      expect(readdirNames(p, '/rootfs')).toEqual(K.get('loop: mount, then close (containerd since 05a2e280)', 'names of the mount'));
      expect(state(p, 0)).toEqual(K.get('loop: mount, then close (containerd since 05a2e280)', 'state after the close, mounted'));
      const log = new StepLog();
      unmountAll(p, log, '/rootfs');
      expect(calls(log)).toEqual(['umount2("/rootfs", 0) = OK', 'umount2("/rootfs", 0) = EINVAL']);
      expect(state(p, 0)).toEqual(K.get('loop: mount, then close (containerd since 05a2e280)', 'state after umount'));
      expect(loopControlOf(p.kernel).getFree()).toBe(0);
    });
  }
});

describe('FUSE: fuse. and fuse3. types go to the mount helper', () => {
  const m = { type: 'fuse3.fuse-overlayfs', source: 'overlay', target: '', options: ['lowerdir=/l1:/l2', 'upperdir=/u', 'workdir=/w', 'nodev'] };

  it('without a daemon: the helper\'s command line, unmodelled', () => {
    const r = mountAll(world(), [m], '/rootfs');
    expect(r.failure).toBeNull();
    expect(r.steps).toHaveLength(1);
    expect(r.steps[0]).toMatchObject({ call: 'mount.fuse3 overlay /rootfs -o lowerdir=/l1:/l2 -o upperdir=/u -o workdir=/w -o nodev -t fuse-overlayfs', result: 'unmodelled' });
  });

  it('with the embedder\'s daemon: /dev/fuse opened and fuse mounted with the subtype; fusermount3 -u unmounts it', () => {
    const p = world();
    p.mknod('/dev/fuse', S_IFCHR | 0o666, makedev(10, 229));
    const r = mountAll(p, [{ ...m, type: 'fuse.hello' }], '/rootfs', { fuseDaemons: { hello: helloDaemon() } });
    expect(r.failure).toBeNull();
    expect(calls(r).slice(1)).toEqual(['open("/dev/fuse", O_RDWR) = OK', 'mount("overlay", "/rootfs", "fuse", 4, "fd=0,rootmode=40000,user_id=0,group_id=0,subtype=hello") = OK']);
    expect(p.mountinfo()).toMatch(/ \/rootfs rw,nodev,relatime - fuse\.hello overlay rw,user_id=0,group_id=0\n/);
    expect(readdirNames(p, '/rootfs')).toEqual(['hello']);
    const u = unmountRecursive(p, '/rootfs');
    expect(u.error).toBeNull();
    expect(calls(u)).toEqual(['fusermount3 -u /rootfs = OK', 'umount2("/rootfs", 0) = EINVAL']);
  });
});

describe('UnmountRecursive and UnmountMounts', () => {
  it('deepest first, each point until EINVAL', () => {
    const p = world();
    p.mount('none', '/rootfs', 'tmpfs', 0, null);
    p.mkdir('/rootfs/a', 0o755);
    p.mount('none', '/rootfs/a', 'tmpfs', 0, null);
    p.mount('none', '/rootfs/a', 'tmpfs', 0, null);
    p.mkdir('/rootfs/a/b', 0o755);
    p.mount('none', '/rootfs/a/b', 'tmpfs', 0, null);
    const r = unmountRecursive(p, '/rootfs');
    expect(r.error).toBeNull();
    expect(calls(r)).toEqual([
      'umount2("/rootfs/a/b", 0) = OK',
      'umount2("/rootfs/a/b", 0) = EINVAL',
      'umount2("/rootfs/a", 0) = OK',
      'umount2("/rootfs/a", 0) = OK',
      'umount2("/rootfs/a", 0) = EINVAL',
      'umount2("/rootfs", 0) = OK',
      'umount2("/rootfs", 0) = EINVAL',
    ]);
  });

  it('EBUSY is retried 50 times, then containerd\'s error; a missing path is nothing to do', () => {
    const p = world();
    p.mount('none', '/rootfs', 'tmpfs', 0, null);
    const fd = p.open('/rootfs', O_RDONLY);
    const r = unmountMounts(p, [{ type: 'tmpfs', source: 'none', target: '', options: [] }], '/rootfs');
    expect(r.steps).toEqual([{ call: 'umount2("/rootfs", 0)', result: 'EBUSY', attempts: 50, note: 'EBUSY retried 50 times, 50 ms apart', by: 'core/mount/mount_unix.go:unmount' }]);
    expect(r.error).toEqual({ message: 'failed to unmount target /rootfs: EBUSY: resource busy or locked, umount2 \'/rootfs\'', errno: 'EBUSY' });
    p.close(fd);
    expect(unmountRecursive(p, '/nonexistent')).toEqual({ steps: [], error: null });
  });
});

describe('mount lists as untrusted JSON', () => {
  it('names the JSON path of what is wrong', () => {
    const bad: [unknown, string][] = [
      [{}, '$: expected an array of mounts [{type, source, target?, options}]'],
      [[{ source: 'x' }], '$[0].type: missing (a string)'],
      [[{ type: 'bind', options: ['ro', 3] }], '$[0].options[1]: expected a string, got number'],
      [{ mounts: [{ type: 'bind', Source: 1 }] }, '$.mounts[0].Source: expected a string, got number'],
      [[{ type: 'bind', extra: 1 }], '$[0].extra: unknown field (a mount has type, source, target and options)'],
    ];
    for (const [doc, msg] of bad) expect(() => parseMountList(doc)).toThrow(new MountListError(msg.split(': ')[0]!, msg.slice(msg.indexOf(': ') + 2)));
    expect(parseMountList([{ Type: 'bind', Source: '/a', Options: ['rbind'] }])).toEqual([{ type: 'bind', source: '/a', target: '', options: ['rbind'] }]);
    expect(looksLikeMountList([{ type: 'bind' }])).toBe(true);
    expect(looksLikeMountList({ ociVersion: '1.0.2' })).toBe(false);
  });
});
