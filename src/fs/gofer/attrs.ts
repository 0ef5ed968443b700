/**
 * Attributes between 9P and the VFS: Rgetattr's fields as an inode shows them
 * (v9fs_stat2inode_dotl(), QID2INO) and a VFS attribute change as a Tsetattr
 * (v9fs_vfs_setattr_dotl()).
 *
 * - The inode number is qid.path + 2 (QID2INO on a 64-bit kernel); past 2^53 it keeps the low 53
 *   bits, the most a JavaScript number holds exactly.
 * - rdev is the low 32 bits, decoded as new_decode_dev() does: the encoding this VFS keeps.
 * - A time the VFS stamps "now" (notify_change() passes the very ctime object as atime or mtime
 *   for ATTR_*TIME without ATTR_*TIME_SET) goes as P9_SETATTR_*TIME without _SET, so the server
 *   stamps it with its own clock, as v9fs sends a utimes(NULL) or a truncate.
 */
import { P9_GETATTR_BTIME, P9_SETATTR_ATIME, P9_SETATTR_ATIME_SET, P9_SETATTR_CTIME, P9_SETATTR_GID, P9_SETATTR_MODE, P9_SETATTR_MTIME, P9_SETATTR_MTIME_SET, P9_SETATTR_SIZE, P9_SETATTR_UID } from '../../p9/constants.js';
import type { P9Attr, P9SetAttr } from '../../p9/client.js';
import type { P9Qid } from '../../p9/messages.js';
import { S_IFMT, type AttrChange } from '../../vfs/inode.js';
import type { Timespec } from '../../vfs/time.js';

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const EPOCH: Timespec = { sec: 0, nsec: 0 };

/** QID2INO(): the inode number of a qid. */
export function qidIno(qid: P9Qid): number {
  const ino = qid.path + 2n;
  return Number(ino > SAFE ? BigInt.asUintN(53, ino) : ino);
}

/** A 9P time (seconds as a signed 64-bit count) as a Timespec. */
export function timeOf(sec: bigint, nsec: bigint): Timespec {
  return { sec: Number(BigInt.asIntN(64, sec)), nsec: Number(nsec) };
}

/** A u64 count (size, blocks, nlink) as a number. */
export function countOf(v: bigint): number {
  return Number(v > SAFE ? SAFE : v);
}

/** The birth time, when the server sent one (v9fs reports none; the VFS's stat has the field). */
export function btimeOf(a: P9Attr): Timespec {
  return a.valid & P9_GETATTR_BTIME ? timeOf(a.btimeSec, a.btimeNsec) : EPOCH;
}

/** new_decode_dev() of the low 32 bits: rdev in the VFS's encoding. */
export function rdevOf(a: P9Attr): number {
  return Number(a.rdev & 0xffffffffn);
}

function setTime(t: Timespec, now: Timespec | undefined): [bigint, bigint, boolean] {
  // A time before 1970 goes as its two's complement, as the kernel's s64 does on the wire.
  return t === now ? [0n, 0n, false] : [BigInt.asUintN(64, BigInt(t.sec)), BigInt(t.nsec), true];
}

/**
 * v9fs_vfs_setattr_dotl(): the Tsetattr of an attribute change to a file of mode `mode`.
 *
 * @example
 * ```ts
 * const now = clock.now();
 * setattrOf({ size: 0, mtime: now, ctime: now }, S_IFREG | 0o644).valid; // SIZE | MTIME | CTIME
 * ```
 */
export function setattrOf(c: AttrChange, mode: number): P9SetAttr {
  const a: P9SetAttr = { valid: 0, mode: 0, uid: 0, gid: 0, size: 0n, atimeSec: 0n, atimeNsec: 0n, mtimeSec: 0n, mtimeNsec: 0n };
  if (c.mode !== undefined) {
    a.valid |= P9_SETATTR_MODE;
    a.mode = (mode & S_IFMT) | (c.mode & 0o7777);
  }
  if (c.uid !== undefined) {
    a.valid |= P9_SETATTR_UID;
    a.uid = c.uid >>> 0;
  }
  if (c.gid !== undefined) {
    a.valid |= P9_SETATTR_GID;
    a.gid = c.gid >>> 0;
  }
  if (c.size !== undefined) {
    a.valid |= P9_SETATTR_SIZE;
    a.size = BigInt(c.size);
  }
  if (c.atime) {
    const [sec, nsec, set] = setTime(c.atime, c.ctime);
    a.valid |= P9_SETATTR_ATIME | (set ? P9_SETATTR_ATIME_SET : 0);
    a.atimeSec = sec;
    a.atimeNsec = nsec;
  }
  if (c.mtime) {
    const [sec, nsec, set] = setTime(c.mtime, c.ctime);
    a.valid |= P9_SETATTR_MTIME | (set ? P9_SETATTR_MTIME_SET : 0);
    a.mtimeSec = sec;
    a.mtimeNsec = nsec;
  }
  if (c.ctime) a.valid |= P9_SETATTR_CTIME;
  return a;
}
