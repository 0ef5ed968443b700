/**
 * The value classes node:fs returns, made from the VFS's `Stat`, `StatFs` and directory entries:
 * `Stats` (an instance of node:fs's own `Stats`, so `instanceof fs.Stats` and every `is*()`
 * method are Node's), `BigIntStats` (Node does not export its class; this one has the same fields,
 * methods and name), `StatFs`, and `Dirent` (node:fs's own class).
 *
 * Times follow Node's arithmetic exactly: `atimeMs = sec * 1e3 + nsec / 1e6`, Dates rounded from
 * it; bigint stats carry nanoseconds (`atimeNs`).
 */
import * as nodeFs from 'node:fs';
import type { DirEntry } from '../vfs/inode.js';
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK } from '../vfs/inode.js';
import type { Stat, StatFs as VfsStatFs } from '../vfs/stat.js';
import type { Timespec } from '../vfs/time.js';

const msOf = (t: Timespec): number => t.sec * 1e3 + t.nsec / 1e6;
const nsOf = (t: Timespec): bigint => BigInt(t.sec) * 1_000_000_000n + BigInt(t.nsec);
const dateFromMs = (ms: number | bigint): Date => new Date(Math.round(Number(ms)));

/**
 * node:fs `Stats` of a VFS stat, field for field in Node's order.
 *
 * @example
 * ```ts
 * const s = toStats(process.stat('/'));
 * s instanceof fs.Stats; // true
 * s.isDirectory(); // true
 * ```
 */
export function toStats(st: Stat): nodeFs.Stats {
  // Field by field rather than Object.assign() of a literal: the same sets in the same order,
  // without the literal.
  const s = Object.create(nodeFs.Stats.prototype) as nodeFs.Stats;
  s.dev = st.dev;
  s.mode = st.mode;
  s.nlink = st.nlink;
  s.uid = st.uid;
  s.gid = st.gid;
  s.rdev = st.rdev;
  s.blksize = st.blksize;
  s.ino = st.ino;
  s.size = st.size;
  s.blocks = st.blocks;
  s.atimeMs = msOf(st.atime);
  s.mtimeMs = msOf(st.mtime);
  s.ctimeMs = msOf(st.ctime);
  s.birthtimeMs = msOf(st.birthtime);
  s.atime = dateFromMs(s.atimeMs);
  s.mtime = dateFromMs(s.mtimeMs);
  s.ctime = dateFromMs(s.ctimeMs);
  s.birthtime = dateFromMs(s.birthtimeMs);
  return s;
}

/** Node's BigIntStats: every number a bigint, times also in nanoseconds. */
export class BigIntStats {
  dev!: bigint;
  mode!: bigint;
  nlink!: bigint;
  uid!: bigint;
  gid!: bigint;
  rdev!: bigint;
  blksize!: bigint;
  ino!: bigint;
  size!: bigint;
  blocks!: bigint;
  atimeMs!: bigint;
  mtimeMs!: bigint;
  ctimeMs!: bigint;
  birthtimeMs!: bigint;
  atimeNs!: bigint;
  mtimeNs!: bigint;
  ctimeNs!: bigint;
  birthtimeNs!: bigint;
  atime!: Date;
  mtime!: Date;
  ctime!: Date;
  birthtime!: Date;
}

/** The file-type tests, with the S_IFMT value each checks. */
const TYPE_TESTS = { isDirectory: S_IFDIR, isFile: S_IFREG, isBlockDevice: S_IFBLK, isCharacterDevice: S_IFCHR, isSymbolicLink: S_IFLNK, isFIFO: S_IFIFO, isSocket: S_IFSOCK } as const;
export interface BigIntStats extends Record<keyof typeof TYPE_TESTS, () => boolean> {}
for (const [name, type] of Object.entries(TYPE_TESTS)) {
  Object.defineProperty(BigIntStats.prototype, name, {
    value(this: BigIntStats) {
      return (this.mode & BigInt(S_IFMT)) === BigInt(type);
    },
    writable: true,
    configurable: true,
  });
}

/**
 * Node's BigIntStats of a VFS stat (`{ bigint: true }`).
 *
 * @example
 * ```ts
 * toBigIntStats(process.stat('/')).mtimeNs; // 1767225600000001000n
 * ```
 */
export function toBigIntStats(st: Stat): BigIntStats {
  const s = new BigIntStats();
  const b = BigInt;
  Object.assign(s, {
    dev: b(st.dev),
    mode: b(st.mode),
    nlink: b(st.nlink),
    uid: b(st.uid),
    gid: b(st.gid),
    rdev: b(st.rdev),
    blksize: b(st.blksize),
    ino: b(st.ino),
    size: b(st.size),
    blocks: b(st.blocks),
  });
  const ns = [nsOf(st.atime), nsOf(st.mtime), nsOf(st.ctime), nsOf(st.birthtime)] as const;
  s.atimeMs = ns[0] / 1_000_000n;
  s.mtimeMs = ns[1] / 1_000_000n;
  s.ctimeMs = ns[2] / 1_000_000n;
  s.birthtimeMs = ns[3] / 1_000_000n;
  [s.atimeNs, s.mtimeNs, s.ctimeNs, s.birthtimeNs] = ns;
  s.atime = dateFromMs(s.atimeMs);
  s.mtime = dateFromMs(s.mtimeMs);
  s.ctime = dateFromMs(s.ctimeMs);
  s.birthtime = dateFromMs(s.birthtimeMs);
  return s;
}

/** Node's StatFs (statfs(2) as `fs.statfs` gives it): numbers, or bigints with `{ bigint: true }`. */
export class StatFs<T extends number | bigint = number> {
  constructor(
    readonly type: T,
    readonly bsize: T,
    readonly blocks: T,
    readonly bfree: T,
    readonly bavail: T,
    readonly files: T,
    readonly ffree: T,
  ) {}
}

/**
 * StatFs of a VFS statfs.
 *
 * @example
 * ```ts
 * toStatFs(process.statfs('/'), false).type; // 0x01021994 (TMPFS_MAGIC)
 * ```
 */
export function toStatFs(s: VfsStatFs, bigint: boolean): StatFs<number> | StatFs<bigint> {
  const f = [s.type, s.bsize, s.blocks, s.bfree, s.bavail, s.files, s.ffree] as const;
  return bigint ? new StatFs(...(f.map((n) => BigInt(n)) as [bigint, bigint, bigint, bigint, bigint, bigint, bigint])) : new StatFs(...f);
}

const { UV_DIRENT_UNKNOWN, UV_DIRENT_FILE, UV_DIRENT_DIR, UV_DIRENT_LINK, UV_DIRENT_FIFO, UV_DIRENT_SOCKET, UV_DIRENT_CHAR, UV_DIRENT_BLOCK } = nodeFs.constants as Record<string, number>;

/**
 * d_type (as S_IFMT bits) → libuv's dirent type, what node:fs's Dirent keeps.
 *
 * @example
 * ```ts
 * direntType(S_IFDIR) === fs.constants.UV_DIRENT_DIR; // true
 * ```
 */
export function direntType(type: number): number {
  switch (type & S_IFMT) {
    case S_IFREG:
      return UV_DIRENT_FILE!;
    case S_IFDIR:
      return UV_DIRENT_DIR!;
    case S_IFLNK:
      return UV_DIRENT_LINK!;
    case S_IFIFO:
      return UV_DIRENT_FIFO!;
    case S_IFSOCK:
      return UV_DIRENT_SOCKET!;
    case S_IFCHR:
      return UV_DIRENT_CHAR!;
    case S_IFBLK:
      return UV_DIRENT_BLOCK!;
  }
  return UV_DIRENT_UNKNOWN!;
}

type DirentCtor = new (name: string | Buffer, type: number, path: string) => nodeFs.Dirent;

/**
 * A node:fs `Dirent` for an entry of directory `dir` (its `parentPath`).
 *
 * @example
 * ```ts
 * toDirent({ name: 'f', ino: 2, type: S_IFREG }, '/d').isFile(); // true
 * ```
 */
export function toDirent(e: DirEntry, dir: string, name: string | Buffer = e.name): nodeFs.Dirent {
  return new (nodeFs.Dirent as unknown as DirentCtor)(name, direntType(e.type), dir);
}
