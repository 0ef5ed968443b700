/**
 * containerd's loop device setup replayed over a Process: core/mount/losetup_linux.go
 * SetupLoop() (a free device from /dev/loop-control, retried on EBUSY as util-linux's
 * create_loop() is) and setupLoopDev() (open the backing file and the device with the same
 * access, LOOP_CONFIGURE on kernels from 5.8, else LOOP_SET_FD then LOOP_SET_STATUS64, the
 * backing descriptor closed on return, the device's returned open).
 *
 * `closeBeforeMount` replays containerd before commit 05a2e280 (2021, issue #4969): setupLoop()
 * returned the device's name and closed its descriptor on the way out, so with
 * LO_FLAGS_AUTOCLEAR the device was detached before mount(2) could open it — the mount then
 * fails with EIO, as test/kernel/facts/loop-fuse.json recorded.
 *
 * Differences: the device number comes from the emulated driver (the lowest free one); the
 * random back-off between EBUSY retries is not slept; the "device or resource busy" test on the
 * error text is a test on the errno.
 */
import { errno, SysError } from '../../vfs/errno.js';
import { O_RDONLY, O_RDWR } from '../../vfs/file.js';
import { LO_FLAGS_AUTOCLEAR, LO_FLAGS_DIRECT_IO, LO_FLAGS_READ_ONLY, LOOP_CLR_FD, LOOP_CONFIGURE, LOOP_CTL_GET_FREE, LOOP_SET_FD, LOOP_SET_STATUS64 } from '../../vfs/loop.js';
import { loopIoctl, openLoop } from '../../vfs/loop-syscalls.js';
import type { Process } from '../../vfs/process.js';
import { ContainerdError, q, type StepLog } from './steps.js';

/** losetup_linux.go LoopParams. */
export interface LoopParams {
  readonly: boolean;
  autoclear: boolean;
  direct: boolean;
}

export interface LoopSetupOptions {
  /** The kernel is older than 5.8: LOOP_SET_FD + LOOP_SET_STATUS64 instead of LOOP_CONFIGURE. */
  legacy?: boolean;
  /** Replay containerd before 05a2e280: the device's descriptor closed before the mount. */
  closeBeforeMount?: boolean;
}

/** What SetupLoop() returns: the device's name and its open descriptor (null once closed). */
export interface LoopFile {
  name: string;
  fd: number | null;
}

const BY = 'core/mount/losetup_linux.go';

/** getFreeLoopDev(). */
function getFreeLoopDev(p: Process, log: StepLog): number {
  const by = `${BY}:getFreeLoopDev`;
  let ctrl: number;
  try {
    ctrl = log.run(by, 'open("/dev/loop-control", O_RDWR)', () => openLoop(p, '/dev/loop-control', O_RDWR));
  } catch (e) {
    if (e instanceof SysError) throw new ContainerdError(`could not open /dev/loop-control: ${e.message}`, e.code);
    throw e;
  }
  try {
    return log.run(by, `ioctl(${ctrl}, LOOP_CTL_GET_FREE)`, () => loopIoctl(p, ctrl, LOOP_CTL_GET_FREE) as number);
  } catch (e) {
    if (e instanceof SysError) throw new ContainerdError(`could not get free loop device: ${e.message}`, e.code);
    throw e;
  } finally {
    log.run(by, `close(${ctrl})`, () => p.close(ctrl));
  }
}

/** setupLoopDev(): the device's open descriptor, or a ContainerdError. */
function setupLoopDev(p: Process, log: StepLog, backingFile: string, loopDev: string, param: LoopParams, opts: LoopSetupOptions): number {
  const by = `${BY}:setupLoopDev`;
  const flags = param.readonly ? O_RDONLY : O_RDWR;
  const fl = param.readonly ? 'O_RDONLY' : 'O_RDWR';
  let back: number;
  try {
    back = log.run(by, `open(${q(backingFile)}, ${fl})`, () => p.open(backingFile, flags));
  } catch (e) {
    if (e instanceof SysError) throw new ContainerdError(`could not open backing file: ${backingFile}: ${e.message}`, e.code);
    throw e;
  }
  let loop = -1;
  try {
    try {
      loop = log.run(by, `open(${q(loopDev)}, ${fl})`, () => openLoop(p, loopDev, flags));
    } catch (e) {
      if (e instanceof SysError) throw new ContainerdError(`could not open loop device: ${loopDev}: ${e.message}`, e.code);
      throw e;
    }
    let lo = 0;
    if (param.readonly) lo |= LO_FLAGS_READ_ONLY;
    if (param.autoclear) lo |= LO_FLAGS_AUTOCLEAR;
    if (param.direct) lo |= LO_FLAGS_DIRECT_IO;
    const names = [param.readonly && 'LO_FLAGS_READ_ONLY', param.autoclear && 'LO_FLAGS_AUTOCLEAR', param.direct && 'LO_FLAGS_DIRECT_IO'].filter(Boolean).join('|') || '0';
    const fd = loop;
    if (!opts.legacy) {
      try {
        log.run(by, `ioctl(${fd}, LOOP_CONFIGURE, {fd: ${back}, lo_flags: ${names}, lo_file_name: ${q(backingFile)}})`, () => loopIoctl(p, fd, LOOP_CONFIGURE, { fd: back, flags: lo, fileName: backingFile }));
      } catch (e) {
        if (e instanceof SysError) throw new ContainerdError(`failed to configure loop device: ${loopDev}: ${e.message}`, e.code);
        throw e;
      }
      return fd;
    }
    try {
      log.run(by, `ioctl(${fd}, LOOP_SET_FD, ${back})`, () => loopIoctl(p, fd, LOOP_SET_FD, back));
    } catch (e) {
      if (e instanceof SysError) throw new ContainerdError(`could not set loop fd for device: ${loopDev}: ${e.message}`, e.code);
      throw e;
    }
    try {
      // Direct I/O (LOOP_SET_DIRECT_IO) is not modelled: the flag is kept in lo_flags.
      log.run(by, `ioctl(${fd}, LOOP_SET_STATUS64, {lo_flags: ${names}, lo_file_name: ${q(backingFile)}})`, () => loopIoctl(p, fd, LOOP_SET_STATUS64, { flags: lo, fileName: backingFile }));
    } catch (e) {
      if (e instanceof SysError) {
        try {
          log.run(by, `ioctl(${fd}, LOOP_CLR_FD)`, () => loopIoctl(p, fd, LOOP_CLR_FD));
        } catch {
          // containerd ignores this one's error.
        }
        throw new ContainerdError(`failed to set loop device info: ${e.message}`, e.code);
      }
      throw e;
    }
    return fd;
  } catch (e) {
    if (loop >= 0) log.run(by, `close(${loop})`, () => p.close(loop));
    throw e;
  } finally {
    log.run(by, `close(${back})`, () => p.close(back));
  }
}

/**
 * SetupLoop(): a free device bound to `backingFile`, its descriptor open (closed already with
 * `closeBeforeMount`, the old behaviour).
 *
 * @example
 * ```ts
 * const lo = setupLoop(p, log, '/images/layer.img', { readonly: true, autoclear: true, direct: false });
 * p.mount(lo.name, '/mnt', 'vfsemu-image', MS_RDONLY, null);
 * p.close(lo.fd!); // autoclear detaches at the umount
 * ```
 */
export function setupLoop(p: Process, log: StepLog, backingFile: string, param: LoopParams, opts: LoopSetupOptions = {}): LoopFile {
  for (let retry = 1; retry < 100; retry++) {
    const num = getFreeLoopDev(p, log);
    const loopDev = `/dev/loop${num}`;
    try {
      const fd = setupLoopDev(p, log, backingFile, loopDev, param, opts);
      if (opts.closeBeforeMount) {
        log.run(`${BY}:setupLoop (before 05a2e280)`, `close(${fd})`, () => p.close(fd), 'the old setupLoop() closed the device before returning its name: with autoclear, this last close detaches it');
        return { name: loopDev, fd: null };
      }
      return { name: loopDev, fd };
    } catch (e) {
      // util-linux's create_loop(): a free device can be taken between the two steps.
      if (e instanceof ContainerdError && e.errno === 'EBUSY') continue;
      throw e;
    }
  }
  throw new ContainerdError('timeout creating new loopback device', errno('EBUSY').code);
}
