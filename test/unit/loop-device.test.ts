/**
 * Loop devices in the emulator (src/vfs/loop.ts, loop-syscalls.ts; mounts of them through
 * src/fs/vfsemu-image) against what Linux answered to test/kernel/recorders/loop_fuse.py
 * (test/kernel/facts/loop-fuse.json): binding, EBUSY, read-only backing files, and when
 * LO_FLAGS_AUTOCLEAR detaches. Where the kernel mounted ext4 the emulator mounts vfsemu-image:
 * the errnos compared are the block layer's (the device open, its read), not the format's.
 */
import { describe, expect, it } from 'vitest';
import { kernelFacts } from '../kernel/facts.js';
import { SysError } from '../../src/vfs/errno.js';
import { makedev, S_IFCHR } from '../../src/vfs/inode.js';
import { LO_FLAGS_AUTOCLEAR, LOOP_CLR_FD, LOOP_CONFIGURE, LOOP_CTL_GET_FREE, LOOP_CTL_REMOVE, LOOP_GET_STATUS64, LOOP_SET_FD, LOOP_SET_STATUS64, type LoopStatus } from '../../src/vfs/loop.js';
import { loopControlOf, loopIoctl, openLoop } from '../../src/vfs/loop-syscalls.js';
import { MS_RDONLY } from '../../src/vfs/mount-syscalls.js';
import type { Process } from '../../src/vfs/process.js';
import { errOf, readdirNames } from './helpers.js';
import { attach, free, IMAGE, loopWorld, O_RDONLY, O_RDWR, state } from './loop-helpers.js';

const K = kernelFacts('loop-fuse');
const T = (name: string) => `loop: ${name}`;
const mountImage = (p: Process, path: string, flags = 0) => p.mount(path, '/mnt', 'vfsemu-image', flags, null);
const flagsOf = (p: Process, fd: number) => (loopIoctl(p, fd, LOOP_GET_STATUS64) as LoopStatus).flags;
/** The recorder's sysattr(): the value, or the errno of reading it. */
const valueOr = (fn: () => unknown) => {
  try {
    return fn();
  } catch (e) {
    if (e instanceof SysError) return e.code;
    throw e;
  }
};

describe('loop-control and a free device', () => {
  const t = T('control and a free device');
  it('answers as the kernel', () => {
    const p = loopWorld();
    const { n, path } = free(p);
    const fd = openLoop(p, path, O_RDWR);
    const ctl = openLoop(p, '/dev/loop-control', O_RDWR);
    const dir = p.open('/', O_RDONLY);
    const got = {
      'LOOP_CTL_GET_FREE gives a number': Number.isInteger(n) && n >= 0,
      'a free device: backing_file': state(p, n).backing_file,
      'a free device: LOOP_GET_STATUS64': errOf(() => loopIoctl(p, fd, LOOP_GET_STATUS64)),
      'a free device: LOOP_CLR_FD': errOf(() => loopIoctl(p, fd, LOOP_CLR_FD)),
      'LOOP_CTL_GET_FREE on a loop device (not loop-control)': errOf(() => loopIoctl(p, fd, LOOP_CTL_GET_FREE)),
      'LOOP_CONFIGURE on loop-control': errOf(() => loopIoctl(p, ctl, LOOP_CONFIGURE, { fd })),
      'LOOP_CONFIGURE with a directory as backing fd': errOf(() => loopIoctl(p, fd, LOOP_CONFIGURE, { fd: dir })),
      'LOOP_CONFIGURE with a closed fd': errOf(() => loopIoctl(p, fd, LOOP_CONFIGURE, { fd: 999 })),
      'LOOP_SET_FD with a closed fd': errOf(() => loopIoctl(p, fd, LOOP_SET_FD, 999)),
    };
    expect(got).toEqual(K.table(t));
  });
});

describe('a bound device', () => {
  it('bound (LOOP_CONFIGURE, autoclear, setup fd open)', () => {
    const p = loopWorld();
    const { n, fd } = attach(p, true);
    const back = p.open(IMAGE, O_RDWR);
    const ctl = openLoop(p, '/dev/loop-control', O_RDWR);
    const d = loopControlOf(p.kernel).device(n)!;
    // The recorder's image is 2 MiB; the emulator's is its JSON text: the size is the file's.
    const size = K.get(T('bound (LOOP_CONFIGURE, autoclear, setup fd open)'), 'size (512-byte sectors)');
    expect(d.sectors).toBe(Math.floor(p.stat(IMAGE).size / 512));
    expect(size).toBe((2 << 20) / 512);
    expect({
      state: state(p, n),
      'LOOP_GET_STATUS64 lo_flags': flagsOf(p, fd),
      'LOOP_CONFIGURE again': errOf(() => loopIoctl(p, fd, LOOP_CONFIGURE, { fd: back })),
      'LOOP_SET_FD again': errOf(() => loopIoctl(p, fd, LOOP_SET_FD, back)),
      'LOOP_CTL_REMOVE of it': errOf(() => loopIoctl(p, ctl, LOOP_CTL_REMOVE, n)),
      ro: d.ro,
      'size (512-byte sectors)': size,
    }).toEqual(K.table(T('bound (LOOP_CONFIGURE, autoclear, setup fd open)')));
  });

  it('read-only backing file', () => {
    const p = loopWorld();
    const { n, path, fd } = attach(p, true, O_RDONLY);
    expect({
      ro: loopControlOf(p.kernel).device(n)!.ro,
      'LOOP_GET_STATUS64 lo_flags': flagsOf(p, fd),
      'open the device O_RDWR': errOf(() => p.close(openLoop(p, path, O_RDWR))),
      'mount ext4 rw': errOf(() => mountImage(p, path)),
      'mount ext4 ro': errOf(() => mountImage(p, path, MS_RDONLY)),
    }).toEqual(K.table(T('read-only backing file')));
  });
});

describe('LO_FLAGS_AUTOCLEAR', () => {
  it('early close (containerd before 05a2e280): detached before the mount, which is EIO', () => {
    const p = loopWorld();
    const { n, path, fd } = attach(p, true);
    p.close(fd);
    const after = state(p, n);
    const mount = errOf(() => mountImage(p, path));
    const again = openLoop(p, path, O_RDWR);
    expect({ 'state after the close': after, 'mount ext4 of the device': mount, 'open the device then': 'OK', 'LOOP_GET_STATUS64 then': errOf(() => loopIoctl(p, again, LOOP_GET_STATUS64)) }).toEqual(
      K.table(T('early close (containerd before 05a2e280)')),
    );
  });

  it('mount, then close (containerd since 05a2e280): detached at the umount', () => {
    const p = loopWorld();
    const { n, path, fd } = attach(p, true);
    const mount = errOf(() => mountImage(p, path));
    p.close(fd);
    const mounted = state(p, n);
    const names = readdirNames(p, '/mnt');
    p.umount2('/mnt', 0);
    expect({ 'mount ext4 of the device': mount, 'state after the close, mounted': mounted, 'names of the mount': names, 'state after umount': state(p, n) }).toEqual(
      K.table(T('mount, then close (containerd since 05a2e280)')),
    );
  });

  it('two openers: the last close detaches', () => {
    const p = loopWorld();
    const { n, path, fd } = attach(p, true);
    const other = openLoop(p, path, O_RDONLY);
    p.close(fd);
    const one = state(p, n);
    p.close(other);
    expect({ 'state after closing one of two': one, 'state after closing the other': state(p, n) }).toEqual(K.table(T('two openers')));
  });

  it('no autoclear: bound until LOOP_CLR_FD, which waits for the last close', () => {
    const p = loopWorld();
    const { n, path, fd } = attach(p, false);
    p.close(fd);
    const closed = state(p, n);
    const again = openLoop(p, path, O_RDWR);
    const clr = errOf(() => loopIoctl(p, again, LOOP_CLR_FD));
    const open = state(p, n);
    p.close(again);
    expect({ 'state after the close': closed, LOOP_CLR_FD: clr, 'state after LOOP_CLR_FD, the device still open': open, 'state after LOOP_CLR_FD and close': state(p, n) }).toEqual(K.table(T('no autoclear')));
  });

  it('LOOP_CLR_FD while mounted', () => {
    const p = loopWorld();
    const { n, path, fd } = attach(p, false);
    mountImage(p, path);
    const clr = errOf(() => loopIoctl(p, fd, LOOP_CLR_FD));
    const then = state(p, n);
    p.close(fd);
    const closed = state(p, n);
    p.umount2('/mnt', 0);
    expect({ 'LOOP_CLR_FD while mounted': clr, 'state then': then, 'state after closing the setup fd': closed, 'state after umount': state(p, n) }).toEqual(K.table(T('LOOP_CLR_FD while mounted')));
  });

  it('LOOP_SET_FD then LOOP_SET_STATUS64', () => {
    const p = loopWorld();
    const { n, path } = free(p);
    const fd = openLoop(p, path, O_RDWR);
    const back = p.open(IMAGE, O_RDWR);
    const set = errOf(() => loopIoctl(p, fd, LOOP_SET_FD, back));
    p.close(back);
    const ac = valueOr(() => state(p, n).autoclear);
    const st = errOf(() => loopIoctl(p, fd, LOOP_SET_STATUS64, { flags: LO_FLAGS_AUTOCLEAR }));
    const then = state(p, n);
    p.close(fd);
    expect({ LOOP_SET_FD: set, 'autoclear after LOOP_SET_FD': ac, 'LOOP_SET_STATUS64 autoclear': st, 'state then': then, 'state after the close': state(p, n) }).toEqual(K.table(T('LOOP_SET_FD then LOOP_SET_STATUS64')));
  });
});

describe('mount(2) of what is no usable block device', () => {
  it('answers as the kernel', () => {
    const p = loopWorld();
    const { path } = free(p);
    p.mknod('/chr', S_IFCHR | 0o600, makedev(1, 3));
    expect({
      'ext4 of an unbound loop device': errOf(() => mountImage(p, path)),
      'ext4 of a regular file': errOf(() => mountImage(p, IMAGE)),
      'ext4 of a missing path': errOf(() => mountImage(p, '/nonexistent')),
      'ext4 of a character device': errOf(() => mountImage(p, '/chr')),
    }).toEqual(K.table(T('mount errors')));
  });

  it('a bad image is EINVAL, and the tree of a good one is the image', () => {
    const p = loopWorld();
    const { path, fd } = attach(p, true);
    mountImage(p, path, MS_RDONLY);
    expect(readdirNames(p, '/mnt')).toEqual(['lost+found']);
    expect(p.stat('/mnt/lost+found').mode & 0o7777).toBe(0o700);
    expect(p.mountinfo()).toMatch(/ \/mnt ro,relatime - vfsemu-image \/dev\/loop0 ro\n/);
    p.umount2('/mnt', 0);
    p.close(fd);
    const q = loopWorld();
    q.open('/bad.img', 0o101, 0o644);
    const back = q.open('/bad.img', O_RDWR);
    const lo = openLoop(q, path, O_RDWR);
    loopIoctl(q, lo, LOOP_CONFIGURE, { fd: back, flags: LO_FLAGS_AUTOCLEAR });
    expect(errOf(() => mountImage(q, path))).toBe('EINVAL');
  });
});
