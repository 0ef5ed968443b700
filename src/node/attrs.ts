/**
 * Attributes, node:fs's sync forms: statSync, lstatSync, fstatSync (with `bigint` and
 * `throwIfNoEntry`), statfsSync, chmodSync, fchmodSync, chownSync, fchownSync, lchownSync,
 * utimesSync, futimesSync and lutimesSync. Linux has no lchmod(2), and Node defines no
 * `fs.lchmod` on Linux; neither does this facade.
 *
 * Times go to utimensat(2) as libuv converts them (uv__fs_to_timespec): seconds truncated toward
 * zero, nanoseconds rounded down to a microsecond.
 */
import type { Stats } from 'node:fs';
import { SysError } from '../vfs/errno.js';
import { AT_FDCWD, AT_SYMLINK_NOFOLLOW } from '../vfs/process.js';
import type { Stat } from '../vfs/stat.js';
import type { Timespec } from '../vfs/time.js';
import type { Calls } from './context.js';
import { fromSysError } from './errors.js';
import { toBigIntStats, toStatFs, toStats, type BigIntStats, type StatFs } from './stats.js';
import { parseFileMode, toUnixTimestamp, validatedFd, validatedPath, validateInteger } from './validate.js';

/** Options of the stat calls. */
export interface StatOptions {
  bigint?: boolean;
  throwIfNoEntry?: boolean;
}

const MAX_USER_ID = 2 ** 32 - 1;

/**
 * uv__fs_to_timespec(): seconds as a double to a timespec, at microsecond resolution.
 *
 * @example
 * ```ts
 * toTimespec(1.5); // { sec: 1, nsec: 500000000 }
 * ```
 */
export function toTimespec(time: number): Timespec {
  let sec = Math.trunc(time);
  let nsec = Math.trunc((time - sec) * 1e9);
  nsec -= nsec % 1000;
  if (nsec < 0) {
    nsec += 1e9;
    sec -= 1;
  }
  return { sec, nsec };
}

/**
 * The attribute calls of node:fs over `c.p`.
 *
 * @example
 * ```ts
 * attrCalls(new Calls(p)).statSync('/').isDirectory(); // true
 * ```
 */
export function attrCalls(c: Calls) {
  const p = c.p;
  const statsOf = (st: Stat, o: StatOptions | undefined): Stats | BigIntStats => (o?.bigint ? toBigIntStats(st) : toStats(st));

  /** stat/lstat: with `throwIfNoEntry: false`, ENOENT gives undefined (Node's binding). */
  function pathStat(syscall: 'stat' | 'lstat', path: unknown, options?: StatOptions): Stats | BigIntStats | undefined {
    const file = validatedPath(path);
    const o = options ?? { bigint: false, throwIfNoEntry: true };
    try {
      return statsOf(syscall === 'stat' ? p.stat(file) : p.fstatat(AT_FDCWD, file, AT_SYMLINK_NOFOLLOW), o);
    } catch (e) {
      if (!(e instanceof SysError)) throw e;
      if (o.throwIfNoEntry === false && e.code === 'ENOENT') return undefined;
      throw fromSysError(e, syscall, file);
    }
  }

  function statSync(path: unknown, options?: StatOptions): Stats | BigIntStats | undefined {
    return pathStat('stat', path, options);
  }
  function lstatSync(path: unknown, options?: StatOptions): Stats | BigIntStats | undefined {
    return pathStat('lstat', path, options);
  }
  function fstatSync(fd: unknown, options?: StatOptions): Stats | BigIntStats {
    const n = validatedFd(fd, 'fd', true);
    return statsOf(
      c.sys('fstat', undefined, () => p.fstat(n)),
      options,
    );
  }
  function statfsSync(path: unknown, options?: { bigint?: boolean }): StatFs<number> | StatFs<bigint> {
    const file = validatedPath(path);
    return toStatFs(
      c.sys('statfs', file, () => p.statfs(file)),
      !!options?.bigint,
    );
  }

  function chmodSync(path: unknown, mode: unknown): void {
    const file = validatedPath(path);
    const m = parseFileMode(mode, 'mode');
    c.sys('chmod', file, () => p.chmod(file, m));
  }
  function fchmodSync(fd: unknown, mode: unknown): void {
    const m = parseFileMode(mode, 'mode');
    const n = validatedFd(fd, 'fd', true);
    c.sys('fchmod', undefined, () => p.fchmod(n, m));
  }

  const ids = (uid: unknown, gid: unknown): void => {
    validateInteger(uid, 'uid', -1, MAX_USER_ID);
    validateInteger(gid, 'gid', -1, MAX_USER_ID);
  };
  function chownSync(path: unknown, uid: unknown, gid: unknown): void {
    const file = validatedPath(path);
    ids(uid, gid);
    c.sys('chown', file, () => p.chown(file, uid as number, gid as number));
  }
  function lchownSync(path: unknown, uid: unknown, gid: unknown): void {
    const file = validatedPath(path);
    ids(uid, gid);
    c.sys('lchown', file, () => p.lchown(file, uid as number, gid as number));
  }
  function fchownSync(fd: unknown, uid: unknown, gid: unknown): void {
    ids(uid, gid);
    const n = validatedFd(fd, 'fd', true);
    c.sys('fchown', undefined, () => p.fchown(n, uid as number, gid as number));
  }

  const times = (atime: number, mtime: number): [Timespec, Timespec] => [toTimespec(atime), toTimespec(mtime)];
  function utimesSync(path: unknown, atime: unknown, mtime: unknown): void {
    const file = validatedPath(path);
    const t = times(toUnixTimestamp(atime), toUnixTimestamp(mtime));
    c.sys('utime', file, () => p.utimensat(AT_FDCWD, file, t));
  }
  function lutimesSync(path: unknown, atime: unknown, mtime: unknown): void {
    const file = validatedPath(path);
    const t = times(toUnixTimestamp(atime), toUnixTimestamp(mtime));
    c.sys('lutime', file, () => p.utimensat(AT_FDCWD, file, t, AT_SYMLINK_NOFOLLOW));
  }
  function futimesSync(fd: unknown, atime: unknown, mtime: unknown): void {
    const t = times(toUnixTimestamp(atime, 'atime'), toUnixTimestamp(mtime, 'mtime'));
    const n = validatedFd(fd, 'fd', true);
    c.sys('futime', undefined, () => p.utimensat(n, null, t));
  }

  return { statSync, lstatSync, fstatSync, statfsSync, chmodSync, fchmodSync, chownSync, lchownSync, fchownSync, utimesSync, lutimesSync, futimesSync };
}

