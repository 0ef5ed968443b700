/**
 * The task's side of loop devices: open(2) of /dev/loop-control and /dev/loopN reaching the loop
 * driver (chrdev_open()/blkdev_open() for major 10 minor 237 and major 7), and their ioctl(2)s
 * (lo_ioctl(), loop_control_ioctl()) with the errnos loop.ts documents.
 *
 * Interim shape, until the VFS has a device registry: `openat` gives a device node no driver (a
 * node on tmpfs is only its inode), so a loop node is opened through `openLoop`, which makes the
 * description as open(2) does and then attaches the driver's state to it (its release is the
 * device's lo_release()); `loopIoctl` is ioctl(2) on such a description (ENOTTY on any other,
 * as for a file without unlocked_ioctl). The machine's driver is found on the registered
 * filesystem type that holds it (`BlockLayerType`: the build's block filesystem, src/fs/vfsemu-image),
 * one per kernel, as FILESYSTEM_TYPES makes each kernel its own instance.
 */
import { errno, SysError } from './errno.js';
import type { FileDescription } from './file.js';
import { major, minor, S_IFBLK, S_IFCHR, S_IFMT } from './inode.js';
import type { Kernel } from './kernel.js';
import {
  LO_FLAGS_AUTOCLEAR,
  LOOP_CLR_FD,
  LOOP_CONFIGURE,
  LOOP_CTL_ADD,
  LOOP_CTL_GET_FREE,
  LOOP_CTL_REMOVE,
  LOOP_CTRL_MINOR,
  LOOP_GET_STATUS64,
  LOOP_MAJOR,
  LOOP_SET_FD,
  LOOP_SET_STATUS64,
  MISC_MAJOR,
  type LoopControl,
  type LoopControlFile,
  type LoopDevice,
  type LoopStatus,
} from './loop.js';
import type { Process } from './process.js';

/** A filesystem type that carries the machine's block layer (the loop driver). */
export interface BlockLayerType {
  readonly loopControl: LoopControl;
}

/** The kernel's loop driver; ENODEV when no registered type carries one (no loop module). */
export function loopControlOf(kernel: Kernel): LoopControl {
  for (const t of kernel.filesystems.values()) {
    const c = (t as Partial<BlockLayerType>).loopControl;
    if (c) return c;
  }
  throw errno('ENODEV');
}

/** The loop device a block-device inode names, or why not: ENOTBLK, ENXIO. */
export function loopDeviceOf(loop: LoopControl, mode: number, rdev: number): LoopDevice {
  if ((mode & S_IFMT) !== S_IFBLK) throw errno('ENOTBLK');
  const d = major(rdev) === LOOP_MAJOR ? loop.device(minor(rdev)) : undefined;
  if (!d) throw errno('ENXIO');
  return d;
}

/**
 * open(2) of a loop node: /dev/loop-control (char 10:237) or /dev/loopN (block 7:N). The walk,
 * permission and nodev checks are open(2)'s; then the driver's open: ENXIO for a device number
 * the driver does not have, ENODEV without a loop driver. Closing the descriptor is close(2).
 *
 * @example
 * ```ts
 * const ctl = openLoop(p, '/dev/loop-control', O_RDWR);
 * const n = loopIoctl(p, ctl, LOOP_CTL_GET_FREE);
 * ```
 */
export function openLoop(p: Process, path: string, flags: number): number {
  const fd = p.open(path, flags);
  try {
    const f = p.fds.get(fd);
    const t = f.inode.mode & S_IFMT;
    const loop = loopControlOf(p.kernel);
    if (t === S_IFCHR && major(f.inode.rdev) === MISC_MAJOR && minor(f.inode.rdev) === LOOP_CTRL_MINOR) {
      const state: LoopControlFile = { loopControl: loop };
      f.state = state;
    } else if (t === S_IFBLK && major(f.inode.rdev) === LOOP_MAJOR) {
      const d = loop.device(minor(f.inode.rdev));
      if (!d) throw errno('ENXIO');
      f.state = d.open();
    } else throw errno('ENXIO');
    return fd;
  } catch (e) {
    p.close(fd);
    throw e instanceof SysError ? e.at('open', path) : e;
  }
}

/** What ioctl(2) on a loop device takes besides the request: a descriptor or a status. */
export type LoopIoctlArg = number | { fd: number; flags?: number; fileName?: string } | { flags: number; fileName?: string } | undefined;

/**
 * ioctl(2) on a loop descriptor. LOOP_SET_FD takes the backing descriptor (a number),
 * LOOP_CONFIGURE `{ fd, flags, fileName }` (struct loop_config), LOOP_SET_STATUS64 `{ flags,
 * fileName }`; LOOP_GET_STATUS64 returns the status; the control's LOOP_CTL_* take and return a
 * device number. EBADF for a closed descriptor, ENOTTY for one that is no loop node, EINVAL for a
 * request the node does not know (a control request on a device), ENOSYS for a device request on
 * the control (both recorded).
 */
export function loopIoctl(p: Process, fd: number, cmd: number, arg?: LoopIoctlArg): number | LoopStatus {
  try {
    return ioctl(p, p.fds.get(fd), cmd, arg);
  } catch (e) {
    throw e instanceof SysError ? e.at('ioctl') : e;
  }
}

function backingOf(p: Process, fd: number): FileDescription {
  const f = p.fds.get(fd);
  if (f.isPath) throw errno('EBADF');
  return f;
}

function ioctl(p: Process, f: FileDescription, cmd: number, arg: LoopIoctlArg): number | LoopStatus {
  const state = f.state as (Partial<LoopControlFile> & { loop?: LoopDevice }) | undefined;
  if (state?.loopControl) {
    const c = state.loopControl;
    switch (cmd) {
      case LOOP_CTL_GET_FREE:
        return c.getFree();
      case LOOP_CTL_ADD:
        return c.add(arg as number);
      case LOOP_CTL_REMOVE:
        c.remove(arg as number);
        return 0;
      default:
        // loop_control_ioctl()'s default.
        throw errno('ENOSYS');
    }
  }
  const d = state?.loop;
  if (!d) throw errno('ENOTTY');
  switch (cmd) {
    case LOOP_SET_FD:
      d.configure(backingOf(p, arg as number), 0);
      return 0;
    case LOOP_CONFIGURE: {
      const c = arg as { fd: number; flags?: number; fileName?: string };
      d.configure(backingOf(p, c.fd), c.flags ?? 0, c.fileName);
      return 0;
    }
    case LOOP_SET_STATUS64: {
      const s = arg as { flags: number; fileName?: string };
      d.setStatus(s.flags, s.fileName);
      return 0;
    }
    case LOOP_GET_STATUS64:
      return d.status();
    case LOOP_CLR_FD:
      d.clear();
      return 0;
    default:
      throw errno('EINVAL');
  }
}

export { LO_FLAGS_AUTOCLEAR };
