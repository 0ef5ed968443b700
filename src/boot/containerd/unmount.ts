/**
 * containerd's unmounting replayed over a Process, each call recorded (steps.ts):
 * core/mount/mount_unix.go unmount() (a FUSE mount through fusermount3/fusermount first, then
 * umount2 retried on EBUSY up to 50 times, 50 ms apart), Unmount() (EINVAL is success: not a
 * mount point), UnmountAll() (umount2 until EINVAL, which undoes a stack of mounts on one
 * point; nothing for '' or a path that does not exist), UnmountRecursive() (every mount point
 * at or under the target, from /proc/self/mountinfo, deepest first; an error counts only at
 * the last), and core/mount/mount.go UnmountMounts() (a mount list's targets in reverse order).
 *
 * Where this differs: no time passes between EBUSY retries — nothing else runs in the emulator
 * that could let go of the mount, so the 50 attempts give the answer the first did and are
 * recorded as one step with `attempts: 50`; mount points of the same length, which Go's map
 * iteration orders at random, are taken here in mountinfo's order, last first.
 */
import { FUSE_SUPER_MAGIC } from '../../fs/fuse/fuse.js';
import { SysError } from '../../vfs/errno.js';
import type { Process } from '../../vfs/process.js';
import { unmountFUSE } from './fuse-helper.js';
import { rootPath } from './mount-all.js';
import type { ContainerdMount } from './mount-list.js';
import { ContainerdError, q, StepLog, type ContainerdStep } from './steps.js';

const UNIX = 'core/mount/mount_unix.go';
const RETRIES = 50;

/** isFUSE(): statfs f_type is FUSE_SUPER_MAGIC. */
function isFUSE(p: Process, dir: string): boolean {
  try {
    return p.statfs(dir).type === FUSE_SUPER_MAGIC;
  } catch (e) {
    if (e instanceof SysError) return false;
    throw e;
  }
}

/** unmount(): the errno containerd sees, or null on success. */
function unmount(p: Process, log: StepLog, target: string, flags: number): SysError | null {
  if (isFUSE(p, target) && unmountFUSE(p, log, target)) return null;
  let last: SysError | null = null;
  let attempts = 0;
  for (; attempts < RETRIES; attempts++) {
    try {
      p.umount2(target, flags);
      last = null;
      break;
    } catch (e) {
      if (!(e instanceof SysError)) throw e;
      last = e;
      if (e.code !== 'EBUSY') break;
    }
  }
  const call = `umount2(${q(target)}, ${flags})`;
  const n = Math.min(attempts + 1, RETRIES);
  log.push({ call, result: last ? last.code : 'OK', by: `${UNIX}:unmount`, ...(n > 1 ? { attempts: n, note: 'EBUSY retried 50 times, 50 ms apart' } : {}) });
  return last;
}

/** Unmount(): EINVAL (not a mount point) is no error. */
export function unmountOnce(p: Process, log: StepLog, target: string, flags = 0): void {
  const e = unmount(p, log, target, flags);
  if (e && e.code !== 'EINVAL') throw failure(target, e);
}

function failure(target: string, e: SysError): ContainerdError {
  return e.code === 'EBUSY' ? new ContainerdError(`failed to unmount target ${target}: ${e.message}`, 'EBUSY') : new ContainerdError(e.message, e.code);
}

/** UnmountAll(): umount2 until EINVAL; nothing for '' or a missing path. */
export function unmountAll(p: Process, log: StepLog, mount: string, flags = 0): void {
  if (mount === '') return;
  try {
    p.stat(mount);
  } catch (e) {
    if (e instanceof SysError && e.code === 'ENOENT') {
      log.push({ call: `stat(${q(mount)})`, result: 'ENOENT', by: `${UNIX}:UnmountAll`, note: 'no such path: nothing to unmount' });
      return;
    }
    if (!(e instanceof SysError)) throw e;
  }
  for (let i = 0; i < 100_000; i++) {
    const e = unmount(p, log, mount, flags);
    if (!e) continue;
    if (e.code === 'EINVAL') return;
    throw failure(mount, e);
  }
}

/** The mount points at or under `prefix` in the task's mountinfo (moby/sys/mountinfo PrefixFilter). */
function mountpointsUnder(p: Process, prefix: string): string[] {
  const out: string[] = [];
  for (const line of p.mountinfo().split('\n')) {
    if (!line) continue;
    const mp = line.split(' ')[4]!.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    if ((mp + '/').startsWith(prefix === '/' ? '/' : prefix + '/')) out.push(mp);
  }
  return out;
}

/** The result of an unmount replay. */
export interface UnmountResult {
  steps: ContainerdStep[];
  error: { message: string; errno?: string } | null;
}

function result(log: StepLog, f: () => void): UnmountResult {
  try {
    f();
    return { steps: log.steps, error: null };
  } catch (e) {
    if (e instanceof ContainerdError) return { steps: log.steps, error: { message: e.message, ...(e.errno ? { errno: e.errno } : {}) } };
    throw e;
  }
}

/**
 * UnmountRecursive(target, flags): every mount at or under `target`, deepest first.
 *
 * @example
 * ```ts
 * unmountRecursive(p, '/rootfs').steps.map((s) => s.call); // umount2("/rootfs/proc", 0), …, umount2("/rootfs", 0), …
 * ```
 */
export function unmountRecursive(p: Process, target: string, flags = 0, log = new StepLog()): UnmountResult {
  return result(log, () => {
    if (target === '') return;
    let canonical: string;
    try {
      // CanonicalizePath(): absolute, symlinks resolved; a missing path is no error.
      p.stat(target);
      canonical = rootPath(p, '/', target);
    } catch (e) {
      if (e instanceof SysError && e.code === 'ENOENT') return;
      if (e instanceof SysError) throw new ContainerdError(e.message, e.code);
      throw e;
    }
    const seen = [...new Set(mountpointsUnder(p, canonical))];
    // sort.SliceStable by length, longest first; equal lengths last-mounted first (see above).
    const targets = seen.map((t, i) => ({ t, i })).sort((a, b) => b.t.length - a.t.length || b.i - a.i).map((x) => x.t);
    targets.forEach((t, i) => {
      try {
        unmountAll(p, log, t, flags);
      } catch (e) {
        if (i === targets.length - 1) throw e;
      }
    });
  });
}

/** UnmountMounts(mounts, target, flags): each mount's point, the last mount first. */
export function unmountMounts(p: Process, mounts: readonly ContainerdMount[], target: string, flags = 0): UnmountResult {
  const log = new StepLog();
  return result(log, () => {
    for (let i = mounts.length - 1; i >= 0; i--) {
      const mp = rootPath(p, target, mounts[i]!.target);
      try {
        unmountAll(p, log, mp, flags);
      } catch (e) {
        if (i === mounts.length - 1) throw e;
      }
    }
  });
}
