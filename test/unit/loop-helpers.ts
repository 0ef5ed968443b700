/**
 * The loop world of test/kernel/recorders/loop_fuse.py in the emulator: /dev/loop-control and
 * /dev/loop0..7 made with mknod, the backing file /vfsemu-loop-fact.img (a vfsemu image where the
 * recorder has a fresh ext4 image, holding lost+found as mkfs leaves it: the answers compared
 * are the block layer's, not the format's), /mnt.
 */
import { newKernel } from '../../src/plan/machine.js';
import { O_RDONLY, O_RDWR } from '../../src/vfs/file.js';
import { makedev, S_IFBLK, S_IFCHR } from '../../src/vfs/inode.js';
import { LO_FLAGS_AUTOCLEAR, LOOP_CONFIGURE, LOOP_CTL_GET_FREE } from '../../src/vfs/loop.js';
import { loopControlOf, loopIoctl, openLoop } from '../../src/vfs/loop-syscalls.js';
import type { Process } from '../../src/vfs/process.js';
import { Sandbox } from '../../src/vfs/sandbox.js';
import { writeFile } from './helpers.js';

export const IMAGE = '/vfsemu-loop-fact.img';
export const IMAGE_JSON = JSON.stringify([0, { mode: 0o755 }, { 'lost+found': [0, { mode: 0o700 }, {}] }]);

export function loopWorld(): Process {
  const p = new Sandbox(newKernel()).process;
  p.mkdir('/dev', 0o755);
  p.mknod('/dev/loop-control', S_IFCHR | 0o600, makedev(10, 237));
  for (let n = 0; n < 8; n++) p.mknod(`/dev/loop${n}`, S_IFBLK | 0o600, makedev(7, n));
  writeFile(p, IMAGE, IMAGE_JSON);
  p.mkdir('/mnt', 0o755);
  return p;
}

/** LOOP_CTL_GET_FREE and the device's path. */
export function free(p: Process): { n: number; path: string } {
  const ctl = openLoop(p, '/dev/loop-control', O_RDWR);
  try {
    const n = loopIoctl(p, ctl, LOOP_CTL_GET_FREE) as number;
    return { n, path: `/dev/loop${n}` };
  } finally {
    p.close(ctl);
  }
}

/** The recorder's attach(): LOOP_CONFIGURE over the image, the device's descriptor returned open. */
export function attach(p: Process, autoclear: boolean, backflags = O_RDWR): { n: number; path: string; fd: number } {
  const { n, path } = free(p);
  const back = p.open(IMAGE, backflags);
  try {
    const fd = openLoop(p, path, backflags);
    loopIoctl(p, fd, LOOP_CONFIGURE, { fd: back, flags: autoclear ? LO_FLAGS_AUTOCLEAR : 0 });
    return { n, path, fd };
  } finally {
    p.close(back);
  }
}

/** /sys/block/loopN/loop/{backing_file,autoclear} as the recorder reads them. */
export function state(p: Process, n: number): { backing_file: string; autoclear: string } {
  const s = loopControlOf(p.kernel).device(n)!.sysfs();
  return s ?? { backing_file: 'ENOENT', autoclear: 'ENOENT' };
}

export { O_RDONLY, O_RDWR };
