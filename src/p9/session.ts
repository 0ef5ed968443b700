/**
 * P9Session: one 9P2000.L connection of a P9Server — its negotiated msize, its fid table, and the
 * answer to each request. `handle` takes one request frame and returns one reply frame, or the
 * verdict that the connection must close; it is synchronous and never throws for anything a
 * peer sends (an exception out of it is a bug).
 *
 * Framing: a frame shorter than a header, whose size field disagrees with its length, or longer
 * than msize closes the connection — the stream's message boundaries are lost. A well-framed
 * frame that does not decode is answered Rlerror with its tag: ENOSYS for a type 9P2000.L does not
 * define, EINVAL for a malformed body (a truncated field, bytes after the last one, more than
 * MAXWELEM names, invalid UTF-8) or for an R-message sent as a request. Before a Tversion has
 * settled an msize, every other request is EINVAL.
 *
 * Semantics, with the errno at the branch below:
 * - Tversion resets the connection (every fid clunked, version(5)) and answers min(its msize, the
 *   server's maximum); a version other than "9P2000.L" is answered "unknown", an msize under
 *   P9_MIN_MSIZE is EINVAL (Linux's client refuses such an msize with EINVAL itself; gVisor answers
 *   EINVAL to 0, diod EIO to less than IOHDRSZ + 1).
 * - Tattach: unknown aname ENOENT; an afid other than NOFID is EINVAL. Tauth never succeeds: it
 *   is ENOENT, "no authentication required", as diod answers it without auth (libnpclient, the
 *   client library of diodls and diodload, takes only that answer as leave to attach). uname and
 *   n_uname are not honoured: the export's credentials decide.
 * - Twalk: no names clones the fid; all names are checked first (EINVAL for '', '.', '/' or NUL;
 *   `..` goes up, and stays at the export root); a failure at the first name is its Rlerror, a
 *   later one an Rwalk of the qids walked so far, newfid untouched; an opened fid cannot walk
 *   (EBUSY, as gVisor); more than MAXWELEM names fail to decode (EINVAL; the Linux client never
 *   sends more, diod answers EIO).
 * - Names a request creates, links, renames or removes: EINVAL for '', '.', '..', '/' or NUL; a
 *   symlink target or xattr name with NUL in it: EINVAL too.
 * - A read-only export answers EROFS to every request that would modify it: Tlcreate, Tsymlink,
 *   Tmknod, Tmkdir, Tlink, Trename, Trenameat, Tunlinkat, Tremove, Tsetattr, Txattrcreate, and
 *   Tlopen asking for write access or O_TRUNC.
 * - Tread and Treaddir counts are cut to what fits msize (count <= msize - 11); Rlopen's iounit
 *   is msize - P9_IOHDRSZ. I/O on a fid that is not open (or not open that way) is EBADF, as
 *   read(2) on such a descriptor; Tlopen or Tlcreate of a fid already open EINVAL (gVisor).
 * - Locks: every Tlock is granted (P9_LOCK_SUCCESS) and every Tgetlock reports F_UNLCK — the
 *   export's files are shared with no other client through this server, and the VFS has no
 *   POSIX locks to consult. A real lock manager is left for when something needs one.
 * - A reply that would not fit msize (a long Rreadlink at a small msize) becomes Rlerror ERANGE.
 */
import { errno, errnoNumber, SysError, type Errno } from '../vfs/errno.js';
import { isDir, isLnk, makedev, S_IFMT } from '../vfs/inode.js';
import type { Stat } from '../vfs/stat.js';
import type { Timespec } from '../vfs/time.js';
import { decodeHeader, decodeMessage, encodeMessage } from './codec.js';
import {
  NOFID,
  P9_DOTL_APPEND,
  P9_DOTL_DIRECTORY,
  P9_DOTL_EXCL,
  P9_DOTL_NOACCESS,
  P9_DOTL_NOATIME,
  P9_DOTL_RDONLY,
  P9_DOTL_TRUNC,
  P9_GETATTR_BASIC,
  P9_GETATTR_BTIME,
  P9_IOHDRSZ,
  P9_LOCK_SUCCESS,
  P9_LOCK_TYPE_UNLCK,
  P9_MIN_MSIZE,
  P9_RREAD_HEADER_SIZE,
  P9_SETATTR_ATIME,
  P9_SETATTR_ATIME_SET,
  P9_SETATTR_GID,
  P9_SETATTR_MODE,
  P9_SETATTR_MTIME,
  P9_SETATTR_MTIME_SET,
  P9_SETATTR_SIZE,
  P9_SETATTR_UID,
  P9_VERSION_L,
  P9_VERSION_UNKNOWN,
  P9_XATTR_CREATE,
  P9_XATTR_REPLACE,
  QTDIR,
  QTFILE,
  QTSYMLINK,
} from './constants.js';
import { checkName, type P9AttrChange } from './export.js';
import { FidTable, type Fid, type XattrWrite } from './fids.js';
import { messageName, type P9Dirent, type P9Message, type P9Qid, type P9Reply, type P9Request } from './messages.js';
import type { P9Outcome, P9Server } from './server.js';
import { P9DecodeError, utf8Bytes } from './wire.js';

/** A reply before its tag is filled in. */
type ReplyBody = P9Reply extends infer R ? (R extends P9Reply ? Omit<R, 'tag'> : never) : never;
type Handlers = { [N in P9Request['msg']]: (m: P9Message<N>) => ReplyBody };

/**
 * The open(2) flags Tlopen passes on — the access mode (both O_ACCMODE bits: O_WRONLY is one of
 * them) and these; the rest concern the client's own file (O_CLOEXEC, O_DIRECT, …).
 */
const OPEN_FLAGS = P9_DOTL_NOACCESS | P9_DOTL_TRUNC | P9_DOTL_APPEND | P9_DOTL_DIRECTORY | P9_DOTL_NOATIME;
/** XATTR_SIZE_MAX: setxattr(2) refuses a larger value with E2BIG. */
const XATTR_SIZE_MAX = 65536;
/** qid[13] offset[8] type[1] and the name's len[2]: an Rreaddir entry less its name. */
const DIRENT_FIXED = 24;
const LOFF_MAX = (1n << 63n) - 1n;

function qidType(mode: number): number {
  return isDir(mode) ? QTDIR : isLnk(mode) ? QTSYMLINK : QTFILE;
}

/** The qid of a file: its inode number is its path; version 0, as diod sends (diod_ustat2qid()). */
function qidOf(st: Stat): P9Qid {
  return { type: qidType(st.mode), version: 0, path: BigInt(st.ino) };
}

function u64(n: number): bigint {
  return BigInt.asUintN(64, BigInt(n));
}

/**
 * A u64 offset as loff_t: past 2^63 it is negative, EINVAL as for pread(2); null past 2^53, where
 * no file of this VFS reaches (its MAX_LFS_FILESIZE is Number.MAX_SAFE_INTEGER).
 */
function fileOffset(v: bigint): number | null {
  if (v > LOFF_MAX) throw errno('EINVAL');
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? null : Number(v);
}

/** A Tsetattr time: nsec past 999999999 is EINVAL (utimensat(2)), so UTIME_NOW/OMIT cannot ride in it. */
function timespec(sec: bigint, nsec: bigint): Timespec {
  const s = BigInt.asIntN(64, sec);
  if (nsec > 999_999_999n) throw errno('EINVAL');
  if (s > BigInt(Number.MAX_SAFE_INTEGER) || s < BigInt(Number.MIN_SAFE_INTEGER)) throw errno('EOVERFLOW');
  return { sec: Number(s), nsec: Number(nsec) };
}

/**
 * EINVAL for a string the kernel would take as a C string (a symlink target, an xattr name) with a
 * NUL inside: no syscall can pass it whole, so it is refused rather than cut (gVisor's gofer gets
 * EINVAL from Go's syscall layer for the same).
 */
function checkCString(s: string): void {
  if (s.includes('\0')) throw errno('EINVAL');
}

function rlerror(code: Errno): ReplyBody {
  return { msg: 'Rlerror', ecode: errnoNumber(code) };
}

/** listxattr(2)'s format: every name followed by a NUL. */
function xattrList(names: readonly string[]): Uint8Array {
  return utf8Bytes(names.map((n) => `${n}\0`).join(''));
}

function getattrReply(st: Stat): ReplyBody {
  return {
    msg: 'Rgetattr',
    valid: P9_GETATTR_BASIC | P9_GETATTR_BTIME,
    qid: qidOf(st),
    mode: st.mode,
    uid: st.uid,
    gid: st.gid,
    nlink: u64(st.nlink),
    rdev: u64(st.rdev),
    size: u64(st.size),
    blksize: u64(st.blksize),
    blocks: u64(st.blocks),
    atimeSec: u64(st.atime.sec),
    atimeNsec: u64(st.atime.nsec),
    mtimeSec: u64(st.mtime.sec),
    mtimeNsec: u64(st.mtime.nsec),
    ctimeSec: u64(st.ctime.sec),
    ctimeNsec: u64(st.ctime.nsec),
    btimeSec: u64(st.birthtime.sec),
    btimeNsec: u64(st.birthtime.nsec),
    gen: 0n,
    dataVersion: 0n,
  };
}

export class P9Session {
  private msize: number;
  private negotiated = false;
  private closed = false;
  private readonly fids: FidTable;

  constructor(private readonly server: P9Server) {
    this.msize = server.maxMsize;
    this.fids = new FidTable(server.maxFids);
  }

  /** The msize in force: the negotiated one, or the server's maximum before a Tversion. */
  get messageSize(): number {
    return this.msize;
  }

  /** Whether the connection has closed (a framing error, or `close()`). */
  get isClosed(): boolean {
    return this.closed;
  }

  /** How many fids the connection holds. */
  get fidCount(): number {
    return this.fids.size;
  }

  /** Answers one request frame. */
  handle(frame: Uint8Array): P9Outcome {
    if (this.closed) return { kind: 'close', reason: 'connection closed' };
    let tag: number;
    let msg: P9Message;
    try {
      ({ tag } = decodeHeader(frame, this.msize));
    } catch (e) {
      if (!(e instanceof P9DecodeError)) throw e;
      this.close();
      return { kind: 'close', reason: e.message };
    }
    try {
      msg = decodeMessage(frame, this.msize);
    } catch (e) {
      if (!(e instanceof P9DecodeError)) throw e;
      return this.reply(tag, rlerror(e.type !== undefined && messageName(e.type) === undefined ? 'ENOSYS' : 'EINVAL'));
    }
    return this.reply(tag, this.dispatch(msg));
  }

  /** The connection's end: every fid clunked. Later frames are answered with a close. */
  close(): void {
    this.closed = true;
    this.clunkAll();
  }

  private reply(tag: number, body: ReplyBody): P9Outcome {
    let frame = encodeMessage({ ...body, tag } as P9Message);
    if (frame.length > this.msize) frame = encodeMessage({ msg: 'Rlerror', tag, ecode: errnoNumber('ERANGE') });
    return { kind: 'reply', frame };
  }

  private dispatch(msg: P9Message): ReplyBody {
    if (!msg.msg.startsWith('T')) return rlerror('EINVAL');
    if (!this.negotiated && msg.msg !== 'Tversion') return rlerror('EINVAL');
    try {
      return (this.handlers[msg.msg as P9Request['msg']] as (m: P9Message) => ReplyBody)(msg);
    } catch (e) {
      if (e instanceof SysError) return rlerror(e.code);
      throw e;
    }
  }

  private readonly handlers: Handlers = {
    Tversion: (m) => this.version(m),
    Tauth: () => rlerror('ENOENT'),
    Tattach: (m) => this.attach(m),
    Tflush: () => ({ msg: 'Rflush' }),
    Twalk: (m) => this.walk(m),
    Tclunk: (m) => {
      this.release(this.fids.take(m.fid));
      return { msg: 'Rclunk' };
    },
    Tremove: (m) => this.remove(m),
    Tstatfs: (m) => this.statfs(m),
    Tlopen: (m) => this.lopen(m),
    Tlcreate: (m) => this.lcreate(m),
    Tread: (m) => this.read(m),
    Twrite: (m) => this.write(m),
    Treaddir: (m) => this.readdir(m),
    Tfsync: (m) => {
      const f = this.fids.get(m.fid);
      f.exp.fsync(this.openFile(f));
      return { msg: 'Rfsync' };
    },
    Tgetattr: (m) => {
      const f = this.fids.get(m.fid);
      return getattrReply(f.open ? f.exp.fstat(f.open.file) : f.exp.stat(f.node));
    },
    Tsetattr: (m) => this.setattr(m),
    Treadlink: (m) => {
      const f = this.fids.get(m.fid);
      return { msg: 'Rreadlink', target: f.exp.readlink(f.node) };
    },
    Tsymlink: (m) => {
      checkCString(m.symtgt);
      const d = this.modifying(m.fid, m.name);
      return { msg: 'Rsymlink', qid: qidOf(d.exp.symlink(d.node, m.name, m.symtgt, m.gid)) };
    },
    Tmknod: (m) => {
      const d = this.modifying(m.dfid, m.name);
      return { msg: 'Rmknod', qid: qidOf(d.exp.mknod(d.node, m.name, m.mode, makedev(m.major, m.minor), m.gid)) };
    },
    Tmkdir: (m) => {
      const d = this.modifying(m.dfid, m.name);
      return { msg: 'Rmkdir', qid: qidOf(d.exp.mkdir(d.node, m.name, m.mode, m.gid)) };
    },
    Tlink: (m) => {
      const [d, target] = this.modifyingPair(m.dfid, m.fid, m.name);
      d.exp.link(d.node, target.node, m.name);
      return { msg: 'Rlink' };
    },
    Trename: (m) => {
      const [f, d] = this.modifyingPair(m.fid, m.dfid, m.name);
      f.exp.rename(f.node, d.node, m.name);
      return { msg: 'Rrename' };
    },
    Trenameat: (m) => {
      checkName(m.oldname);
      const [from, to] = this.modifyingPair(m.olddirfid, m.newdirfid, m.newname);
      from.exp.renameat(from.node, m.oldname, to.node, m.newname);
      return { msg: 'Rrenameat' };
    },
    Tunlinkat: (m) => {
      const d = this.modifying(m.dirfid, m.name);
      d.exp.unlinkat(d.node, m.name, m.flags);
      return { msg: 'Runlinkat' };
    },
    Txattrwalk: (m) => this.xattrwalk(m),
    Txattrcreate: (m) => this.xattrcreate(m),
    Tlock: (m) => {
      this.openFile(this.fids.get(m.fid));
      if (m.type > P9_LOCK_TYPE_UNLCK) throw errno('EINVAL');
      return { msg: 'Rlock', status: P9_LOCK_SUCCESS };
    },
    Tgetlock: (m) => {
      this.openFile(this.fids.get(m.fid));
      if (m.type > P9_LOCK_TYPE_UNLCK) throw errno('EINVAL');
      // fcntl(F_GETLK) with no conflicting lock: l_type becomes F_UNLCK, the rest is as asked.
      return { msg: 'Rgetlock', type: P9_LOCK_TYPE_UNLCK, start: m.start, length: m.length, procId: m.procId, clientId: m.clientId };
    },
  };

  // ---------------------------------------------------------------- helpers

  /** The open file of a fid; EBADF when the fid is not open, as read(2) on a closed descriptor. */
  private openFile(f: Fid): unknown {
    if (!f.open) throw errno('EBADF');
    return f.open.file;
  }

  /**
   * The directory fid a request creates or removes `name` in: EBADF for an unknown fid, EINVAL
   * for a name no entry can have, EROFS on a read-only export — in that order, as the kernel
   * checks a path before mnt_want_write().
   */
  private modifying(fid: number, name: string): Fid {
    const f = this.fids.get(fid);
    checkName(name);
    if (f.exp.readOnly) throw errno('EROFS');
    return f;
  }

  /**
   * The two fids of a request that links or renames: `modifying` for the first and `name`, and
   * the second of the same export — one attach's tree — or EXDEV, as across mounts.
   */
  private modifyingPair(first: number, second: number, name: string): [Fid, Fid] {
    const a = this.fids.get(first);
    const b = this.fids.get(second);
    this.modifying(first, name);
    if (a.exp !== b.exp) throw errno('EXDEV');
    return [a, b];
  }

  private iounit(): number {
    return this.msize - P9_IOHDRSZ;
  }

  /**
   * Ends a fid: closes its open file or sets the attribute it wrote, then releases its node. A
   * failure of the close or the set is thrown after the release (Tclunk reports it; the fid is
   * gone either way, clunk(5)).
   */
  private release(f: Fid): void {
    try {
      if (f.open) f.exp.close(f.open.file);
      else if (f.xattr?.kind === 'write') this.commitXattr(f, f.xattr);
    } finally {
      f.exp.release(f.node);
    }
  }

  private clunkAll(): void {
    for (const f of this.fids.takeAll()) {
      try {
        this.release(f);
      } catch (e) {
        // Nobody is left to tell: the connection is resetting or gone.
        if (!(e instanceof SysError)) throw e;
      }
    }
  }

  // ---------------------------------------------------------------- session and fids

  private version(m: P9Message<'Tversion'>): ReplyBody {
    // version(5): a Tversion aborts the connection's state — every fid is clunked — whatever it answers.
    this.clunkAll();
    this.negotiated = false;
    const msize = Math.min(m.msize, this.server.maxMsize);
    if (m.version !== P9_VERSION_L) return { msg: 'Rversion', msize, version: P9_VERSION_UNKNOWN };
    if (msize < P9_MIN_MSIZE) throw errno('EINVAL');
    this.msize = msize;
    this.negotiated = true;
    return { msg: 'Rversion', msize, version: P9_VERSION_L };
  }

  private attach(m: P9Message<'Tattach'>): ReplyBody {
    if (m.afid !== NOFID) throw errno('EINVAL');
    const exp = this.server.exportFor(m.aname);
    if (!exp) throw errno('ENOENT');
    this.fids.reserve(m.fid);
    const node = exp.attach();
    let st: Stat;
    try {
      st = exp.stat(node);
    } catch (e) {
      exp.release(node);
      throw e;
    }
    this.fids.add(m.fid, { exp, node });
    return { msg: 'Rattach', qid: qidOf(st) };
  }

  private walk(m: P9Message<'Twalk'>): ReplyBody {
    const from = this.fids.get(m.fid);
    if (from.open || from.xattr) throw errno('EBUSY');
    if (m.newfid !== m.fid) this.fids.reserve(m.newfid);
    for (const name of m.wnames) checkName(name, true);
    const exp = from.exp;
    const wqids: P9Qid[] = [];
    let node = from.node;
    let owned = false;
    if (m.wnames.length === 0) {
      node = exp.clone(from.node);
      owned = true;
    }
    for (const name of m.wnames) {
      let step: { node: unknown; stat: Stat };
      try {
        step = exp.lookup(node, name);
      } catch (e) {
        if (owned) exp.release(node);
        // walk(5): failing at the first name is an error; later, the qids walked so far, newfid untouched.
        if (wqids.length > 0 && e instanceof SysError) return { msg: 'Rwalk', wqids };
        throw e;
      }
      if (owned) exp.release(node);
      node = step.node;
      owned = true;
      wqids.push(qidOf(step.stat));
    }
    if (m.newfid === m.fid) {
      exp.release(from.node);
      from.node = node;
    } else {
      this.fids.add(m.newfid, { exp, node });
    }
    return { msg: 'Rwalk', wqids };
  }

  private remove(m: P9Message<'Tremove'>): ReplyBody {
    const f = this.fids.take(m.fid);
    // remove(5): the fid is clunked even when the remove fails.
    try {
      if (f.exp.readOnly) throw errno('EROFS');
      f.exp.remove(f.node);
    } finally {
      this.release(f);
    }
    return { msg: 'Rremove' };
  }

  // ---------------------------------------------------------------- files

  /**
   * The open flags of a Tlopen or Tlcreate: EINVAL for O_ACCMODE 3 (no read, no write), EROFS on
   * a read-only export for write access, O_TRUNC or a create.
   */
  private openFlags(f: Fid, flags: number, create: boolean): number {
    const acc = flags & P9_DOTL_NOACCESS;
    if (acc === P9_DOTL_NOACCESS) throw errno('EINVAL');
    if (f.exp.readOnly && (create || acc !== P9_DOTL_RDONLY || flags & P9_DOTL_TRUNC)) throw errno('EROFS');
    return flags & (OPEN_FLAGS | (create ? P9_DOTL_EXCL : 0));
  }

  private lopen(m: P9Message<'Tlopen'>): ReplyBody {
    const f = this.fids.get(m.fid);
    if (f.open || f.xattr) throw errno('EINVAL');
    const file = f.exp.open(f.node, this.openFlags(f, m.flags, false));
    f.open = { file };
    return { msg: 'Rlopen', qid: qidOf(f.exp.fstat(file)), iounit: this.iounit() };
  }

  private lcreate(m: P9Message<'Tlcreate'>): ReplyBody {
    const f = this.fids.get(m.fid);
    if (f.open || f.xattr) throw errno('EINVAL');
    checkName(m.name);
    const made = f.exp.create(f.node, m.name, this.openFlags(f, m.flags, true), m.mode & 0o7777, m.gid);
    // Tlcreate: the directory's fid now stands for the new file, open (diod's protocol.md).
    f.exp.release(f.node);
    f.node = made.node;
    f.open = { file: made.file };
    return { msg: 'Rlcreate', qid: qidOf(f.exp.fstat(made.file)), iounit: this.iounit() };
  }

  private read(m: P9Message<'Tread'>): ReplyBody {
    const f = this.fids.get(m.fid);
    const count = Math.min(m.count, this.msize - P9_RREAD_HEADER_SIZE);
    if (f.xattr) {
      if (f.xattr.kind !== 'read') throw errno('EBADF');
      const at = m.offset > BigInt(f.xattr.data.length) ? f.xattr.data.length : Number(m.offset);
      return { msg: 'Rread', data: f.xattr.data.slice(at, at + count) };
    }
    const file = this.openFile(f);
    const at = fileOffset(m.offset);
    if (at === null) return { msg: 'Rread', data: new Uint8Array(0) };
    const buf = new Uint8Array(count);
    return { msg: 'Rread', data: buf.subarray(0, f.exp.read(file, at, buf)) };
  }

  private write(m: P9Message<'Twrite'>): ReplyBody {
    const f = this.fids.get(m.fid);
    if (f.xattr) {
      if (f.xattr.kind !== 'write') throw errno('EBADF');
      return { msg: 'Rwrite', count: this.writeXattr(f.xattr, m.offset, m.data) };
    }
    const file = this.openFile(f);
    const at = fileOffset(m.offset);
    // Past 2^53 is past MAX_LFS_FILESIZE here: EFBIG, as write(2) there.
    if (at === null) throw errno('EFBIG');
    return { msg: 'Rwrite', count: f.exp.write(file, at, m.data) };
  }

  private readdir(m: P9Message<'Treaddir'>): ReplyBody {
    const f = this.fids.get(m.fid);
    const file = this.openFile(f);
    const count = Math.min(m.count, this.msize - P9_RREAD_HEADER_SIZE);
    const at = fileOffset(m.offset);
    if (at === null) return { msg: 'Rreaddir', entries: [] };
    const all = f.exp.readdir(file, at);
    const entries: P9Dirent[] = [];
    let used = 0;
    for (const e of all) {
      used += DIRENT_FIXED + utf8Bytes(e.name).length;
      if (used > count) break;
      entries.push({ qid: { type: qidType(e.type), version: 0, path: BigInt(e.ino) }, offset: BigInt(e.next), type: (e.type & S_IFMT) >>> 12, name: e.name });
    }
    // getdents(2): a buffer too small for the next entry is EINVAL, not the end of the directory.
    if (entries.length === 0 && all.length > 0) throw errno('EINVAL');
    return { msg: 'Rreaddir', entries };
  }

  private statfs(m: P9Message<'Tstatfs'>): ReplyBody {
    const f = this.fids.get(m.fid);
    const s = f.exp.statfs(f.node);
    return {
      msg: 'Rstatfs',
      type: s.type >>> 0,
      bsize: s.bsize >>> 0,
      blocks: u64(s.blocks),
      bfree: u64(s.bfree),
      bavail: u64(s.bavail),
      files: u64(s.files),
      ffree: u64(s.ffree),
      // __kernel_fsid_t's two words, the first in the low half (as v9fs unpacks it).
      fsid: BigInt(s.fsid[0] >>> 0) | (BigInt(s.fsid[1] >>> 0) << 32n),
      namelen: s.namelen >>> 0,
    };
  }

  private setattr(m: P9Message<'Tsetattr'>): ReplyBody {
    const f = this.fids.get(m.fid);
    if (f.exp.readOnly) throw errno('EROFS');
    const v = m.valid;
    const change: P9AttrChange = {};
    if (v & P9_SETATTR_MODE) change.mode = m.mode & 0o7777;
    if (v & P9_SETATTR_UID) change.uid = m.uid;
    if (v & P9_SETATTR_GID) change.gid = m.gid;
    if (v & P9_SETATTR_SIZE) {
      const size = fileOffset(m.size);
      if (size === null) throw errno('EFBIG');
      change.size = size;
    }
    // Without *_SET the time is "now" (P9_ATTR_ATIME alone is utimes(NULL)'s).
    if (v & P9_SETATTR_ATIME) change.atime = v & P9_SETATTR_ATIME_SET ? timespec(m.atimeSec, m.atimeNsec) : 'now';
    if (v & P9_SETATTR_MTIME) change.mtime = v & P9_SETATTR_MTIME_SET ? timespec(m.mtimeSec, m.mtimeNsec) : 'now';
    // P9_SETATTR_CTIME needs nothing: any change stamps ctime, and nothing can set it directly.
    f.exp.setattr(f.node, change);
    return { msg: 'Rsetattr' };
  }

  // ---------------------------------------------------------------- extended attributes

  private xattrwalk(m: P9Message<'Txattrwalk'>): ReplyBody {
    checkCString(m.name);
    const f = this.fids.get(m.fid);
    this.fids.reserve(m.newfid);
    // An empty name asks for the list of names (listxattr(2)), otherwise for one value.
    const data = m.name === '' ? xattrList(f.exp.listxattr(f.node)) : f.exp.getxattr(f.node, m.name);
    this.fids.add(m.newfid, { exp: f.exp, node: f.exp.clone(f.node), xattr: { kind: 'read', data } });
    return { msg: 'Rxattrwalk', size: BigInt(data.length) };
  }

  private xattrcreate(m: P9Message<'Txattrcreate'>): ReplyBody {
    checkCString(m.name);
    const f = this.fids.get(m.fid);
    if (f.open || f.xattr) throw errno('EINVAL');
    if (f.exp.readOnly) throw errno('EROFS');
    if (m.flags & ~(P9_XATTR_CREATE | P9_XATTR_REPLACE)) throw errno('EINVAL');
    if (m.attrSize > BigInt(XATTR_SIZE_MAX)) throw errno('E2BIG');
    // The fid becomes the attribute: Twrites fill it, Tclunk sets it.
    f.xattr = { kind: 'write', name: m.name, flags: m.flags, value: new Uint8Array(Number(m.attrSize)), filled: 0 };
    return { msg: 'Rxattrcreate' };
  }

  /** Copies a Twrite into the value; past the declared size it is cut, and starting past it ENOSPC. */
  private writeXattr(x: XattrWrite, offset: bigint, data: Uint8Array): number {
    if (offset > BigInt(x.value.length)) throw errno('ENOSPC');
    const at = Number(offset);
    const n = Math.min(data.length, x.value.length - at);
    x.value.set(data.subarray(0, n), at);
    x.filled = Math.max(x.filled, at + n);
    return n;
  }

  private commitXattr(f: Fid, x: XattrWrite): void {
    if (x.filled !== x.value.length) throw errno('EINVAL');
    // removexattr(2) reaches v9fs as a set of no value with XATTR_REPLACE (__vfs_removexattr()),
    // which the client sends as a Txattrcreate of size 0 with that flag.
    if (x.value.length === 0 && x.flags === P9_XATTR_REPLACE) f.exp.removexattr(f.node, x.name);
    else f.exp.setxattr(f.node, x.name, x.value, x.flags);
  }
}
