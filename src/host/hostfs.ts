/**
 * The addon's `hostfs` functions (native/hostfs.cc) as TypeScript sees them: their signatures, the
 * loading of the addon, and the turning of their results into vfsemu values — a negative result
 * into the `SysError` of its errno, a stat array into a `Stat`.
 *
 * Invariant: every function of the addon reports a kernel failure as a negative errno and throws
 * only for a wrong argument type (a bug here). An errno the VFS's table lacks (EDQUOT, ETIMEDOUT,
 * …) becomes EIO, the errno Linux's 9P client gives a failure it cannot name. The stat array's
 * layout is the addon's (`statFields`); `loadHostfs` checks it against `STAT_FIELDS` so that the
 * two cannot drift apart (DESIGN.md decision 9).
 */
import { createRequire } from 'node:module';
import { errnoName, SysError } from '../vfs/errno.js';
import { makedev } from '../vfs/inode.js';
import type { Stat, StatFs } from '../vfs/stat.js';

/** The slots of a stat array, in the addon's order. */
export const STAT_FIELDS = [
  'devMajor', 'devMinor', 'inoHigh', 'inoLow', 'mode', 'nlink', 'uid', 'gid', 'rdevMajor', 'rdevMinor', 'size',
  'blksize', 'blocks', 'atimeSec', 'atimeNsec', 'mtimeSec', 'mtimeNsec', 'ctimeSec', 'ctimeNsec', 'btimeSec', 'btimeNsec',
] as const;

/** One getdents64 entry: name, inode number's halves, S_IFMT type, and the filesystem's cookie after it. */
export type HostDirent = [name: string, inoHigh: number, inoLow: number, type: number, next: bigint];

/** native/hostfs.cc's functions; each returns a negative errno on failure. */
export interface Hostfs {
  readonly statFields: readonly string[];
  openRoot(path: string): number;
  walk(dirfd: number, name: string, st: Float64Array): number;
  walkPath(rootfd: number, path: string, st: Float64Array): number;
  stat(fd: number, st: Float64Array): number;
  statAt(dirfd: number, name: string, st: Float64Array): number;
  readlink(fd: number): string | number;
  chown(fd: number, uid: number, gid: number): number;
  chmod(fd: number, mode: number): number;
  utimens(fd: number, atimeSec: number, atimeNsec: number, mtimeSec: number, mtimeNsec: number): number;
  statfs(fd: number, out: Float64Array): number;
  reopen(rootfd: number, nodefd: number, path: string, flags: number): number;
  create(dirfd: number, name: string, flags: number, mode: number, st: Float64Array): [file: number, node: number] | number;
  pread(fd: number, into: Uint8Array, offset: number): number;
  pwrite(fd: number, data: Uint8Array, offset: number): number;
  ftruncate(fd: number, size: number): number;
  fsync(fd: number, datasync: boolean): number;
  close(fd: number): number;
  getdents(fd: number, cookie: bigint | null): HostDirent[] | number;
  mkdirat(dirfd: number, name: string, mode: number, st: Float64Array): number;
  symlinkat(target: string, dirfd: number, name: string, st: Float64Array): number;
  mknodat(dirfd: number, name: string, mode: number, rdev: number, st: Float64Array): number;
  linkat(targetfd: number, dirfd: number, name: string): number;
  renameat(olddirfd: number, oldname: string, newdirfd: number, newname: string): number;
  unlinkat(dirfd: number, name: string, flags: number): number;
  renameNode(rootfd: number, path: string, nodefd: number, newdirfd: number, newname: string): number;
  removeNode(rootfd: number, path: string, nodefd: number): number;
  getxattr(rootfd: number, path: string, nodefd: number, name: string): Uint8Array | number;
  listxattr(rootfd: number, path: string, nodefd: number): Uint8Array | number;
  setxattr(rootfd: number, path: string, nodefd: number, name: string, value: Uint8Array, flags: number): number;
  removexattr(rootfd: number, path: string, nodefd: number, name: string): number;
  fdLimit(): number;
}

/** Where the addon is: src/host and dist/host both sit two levels below the project root. */
const ADDON = '../../build/Release/vfsemu_native.node';

let hostfs: Hostfs | undefined;
let loadError: string | undefined;

function load(): Hostfs | undefined {
  if (hostfs === undefined && loadError === undefined) {
    try {
      const addon = createRequire(import.meta.url)(ADDON) as { hostfs?: Hostfs };
      if (!addon.hostfs) throw new Error('it has no hostfs functions (an older build)');
      if (addon.hostfs.statFields.join() !== STAT_FIELDS.join()) throw new Error('its stat layout differs from src/host/hostfs.ts (rebuild it)');
      hostfs = addon.hostfs;
    } catch (e) {
      loadError = (e as Error).message.split('\n')[0];
    }
  }
  return hostfs;
}

/**
 * Why the host export cannot run here, in one line, or null when it can.
 *
 * @example
 * ```ts
 * const why = hostfsUnavailableReason();
 * if (why) console.error(`cannot serve a host directory: ${why}`);
 * ```
 */
export function hostfsUnavailableReason(): string | null {
  if (process.platform !== 'linux') return `the host export needs Linux (openat2, O_PATH), this is ${process.platform}`;
  if (!load()) return `the native addon is not usable (${loadError}); build it with \`npm run build:native\``;
  return null;
}

/** The addon's hostfs functions; throws Error with the reason when it cannot be loaded. */
export function loadHostfs(): Hostfs {
  const h = load();
  if (!h) throw new Error(hostfsUnavailableReason() ?? 'hostfs unavailable');
  return h;
}

/** A SysError for a kernel errno number: its name, or EIO for one the VFS's table lacks. */
export function hostError(errnoNumber: number, syscall: string): SysError {
  return new SysError(errnoName(errnoNumber) ?? 'EIO', syscall);
}

/** `r` when it is not a failure; the SysError of its errno otherwise. */
export function check<T>(r: T | number, syscall: string): T {
  if (typeof r === 'number' && r < 0) throw hostError(-r, syscall);
  return r as T;
}

/** A new stat array for the addon to fill. */
export function statArray(): Float64Array {
  return new Float64Array(STAT_FIELDS.length);
}

/**
 * An inode number as a JavaScript number: exact below 2^53; above (overlayfs's xino puts a layer
 * number in the high bits), the high half folded to 21 bits so that the low 32 stay exact.
 */
export function inoOf(high: number, low: number): number {
  return ((high ^ (high >>> 21)) & 0x1fffff) * 2 ** 32 + low;
}

/** The Stat a stat array holds (STAT_FIELDS order). */
export function statOf(s: Float64Array): Stat {
  return {
    dev: makedev(s[0]!, s[1]!),
    ino: inoOf(s[2]!, s[3]!),
    mode: s[4]!,
    nlink: s[5]!,
    uid: s[6]!,
    gid: s[7]!,
    rdev: makedev(s[8]!, s[9]!),
    size: s[10]!,
    blksize: s[11]!,
    blocks: s[12]!,
    atime: { sec: s[13]!, nsec: s[14]! },
    mtime: { sec: s[15]!, nsec: s[16]! },
    ctime: { sec: s[17]!, nsec: s[18]! },
    birthtime: { sec: s[19]!, nsec: s[20]! },
  };
}

/** The StatFs an addon statfs array holds (native/hostfs.cc Statfs's order). */
export function statfsOf(s: Float64Array): StatFs {
  return {
    type: s[0]!,
    bsize: s[1]!,
    blocks: s[2]!,
    bfree: s[3]!,
    bavail: s[4]!,
    files: s[5]!,
    ffree: s[6]!,
    fsid: [s[7]!, s[8]!],
    namelen: s[9]!,
    frsize: s[10]!,
    flags: s[11]!,
  };
}
