/**
 * P9Client: the client end of one 9P2000.L connection over a synchronous transport — what
 * net/9p/client.c is to Linux's v9fs. It negotiates the version (p9_client_version), attaches
 * (p9_client_attach), hands out fids and clunks them, and turns each operation into one request
 * and its reply, or into several where the protocol bounds a request: walks of more than
 * MAXWELEM names, reads and writes larger than the negotiated msize.
 *
 * Invariants:
 * - Tags are sequential, 0 up to 0xfffe and round again; Tversion alone carries NOTAG. One
 *   request is outstanding at a time (the transport is synchronous), so a tag is never reused
 *   while in flight.
 * - Fids are the lowest numbers not in use, from 0 (p9_fid_create's idr_alloc_u32); a fid is
 *   free again once its Tclunk or Tremove has been sent, whatever the answer (clunk(5)).
 * - An Rlerror is a SysError with its errno; a number past MAX_ERRNO is EPROTO (safe_errno()),
 *   one this VFS does not know, or 0, EIO.
 * - A transport failure, a reply that does not decode, or a reply that is not the answer to the
 *   request (another tag, another type) disconnects the client: that request and every later one
 *   fail with EIO at once (p9_client_rpc's `c->status = Disconnected`), never a hang.
 *
 * @example
 * ```ts
 * const c = new P9Client(new SessionTransport(server.connect()));
 * c.version(65536);
 * const root = c.attach('nobody', '').fid;
 * const { fid } = c.walk(root, ['etc', 'passwd']);
 * c.lopen(fid, P9_DOTL_RDONLY);
 * const buf = new Uint8Array(100);
 * c.read(fid, 0, buf);
 * ```
 */
import { errno, errnoName, SysError } from '../vfs/errno.js';
import type { P9FrameTransport } from '../vfs/inode.js';
import { decodeMessage, encodeMessage } from './codec.js';
import { MAXWELEM, NOFID, NOTAG, P9_GETATTR_BASIC, P9_IOHDRSZ, P9_MIN_MSIZE, P9_VERSION_L, P9_XATTR_REPLACE } from './constants.js';
import type { P9Dirent, P9Message, P9Qid, P9Reply, P9Request } from './messages.js';
import { P9DecodeError } from './wire.js';

type Body<M> = M extends P9Message ? Omit<M, 'tag'> : never;
type RequestBody = Body<P9Request>;
type ReplyOf<N extends P9Reply['msg']> = Extract<P9Reply, { msg: N }>;

/** Rgetattr's fields: what the server says of a file. */
export type P9Attr = Omit<P9Message<'Rgetattr'>, 'msg' | 'tag'>;
/** Tsetattr's fields after the fid: `valid` says which of the rest apply. */
export type P9SetAttr = Omit<P9Message<'Tsetattr'>, 'msg' | 'tag' | 'fid'>;
/** Rstatfs's fields. */
export type P9StatFs = Omit<P9Message<'Rstatfs'>, 'msg' | 'tag'>;

/** The 9P dialects a server may settle on; this client speaks only 9P2000.L. */
export type P9Dialect = '9P2000.L' | '9P2000.u' | '9P2000';

/** MAX_ERRNO: an Rlerror code above it is no errno (safe_errno()). */
const MAX_ERRNO = 4095;
/** P9_READDIRHDRSZ: Treaddir's count is msize less this. */
const P9_READDIRHDRSZ = 24;
/** n_uname of an attach made for no user in particular (INVALID_UID): v9fs_session_init's. */
export const P9_NONUNAME = 0xffffffff;

/** An Rlerror's code as a SysError. */
function lerror(ecode: number): SysError {
  // safe_errno(): a code past MAX_ERRNO is a protocol error, not an errno.
  if (ecode > MAX_ERRNO) return errno('EPROTO');
  return errno(errnoName(ecode) ?? 'EIO');
}

export class P9Client {
  /** The largest frame either side sends: what Tversion settled on (the request's msize before it). */
  msize = P9_MIN_MSIZE;
  private tag = 0;
  private disconnected = false;
  private nextFid = 0;
  /** Freed fid numbers below `nextFid`, ascending. */
  private readonly freeFids: number[] = [];

  constructor(private readonly transport: P9FrameTransport) {}

  /** Whether the connection is gone (every request now fails with EIO). */
  get isDisconnected(): boolean {
    return this.disconnected;
  }

  /** Ends the connection from this side: the transport is closed and every later request is EIO. */
  close(): void {
    if (this.disconnected) return;
    this.disconnected = true;
    this.transport.close?.();
  }

  // ---------------------------------------------------------------- the round trip

  private nextTag(): number {
    const t = this.tag;
    this.tag = (this.tag + 1) % NOTAG;
    return t;
  }

  /** p9_client_rpc(): one request, its reply; an Rlerror thrown as its errno, anything amiss as EIO. */
  private rpc<N extends P9Reply['msg']>(body: RequestBody, expect: N): ReplyOf<N> {
    if (this.disconnected) throw errno('EIO');
    const tag = body.msg === 'Tversion' ? NOTAG : this.nextTag();
    const frame = encodeMessage({ ...body, tag } as P9Message);
    let out: Uint8Array;
    try {
      out = this.transport.roundTrip(frame);
    } catch (e) {
      this.close();
      // The transport's contract is SysError EIO; whatever errno it gave, the connection is gone.
      if (e instanceof SysError) throw errno('EIO');
      throw e;
    }
    let reply: P9Message;
    try {
      reply = decodeMessage(out, this.msize);
    } catch (e) {
      if (!(e instanceof P9DecodeError)) throw e;
      // The byte stream cannot be trusted to carry the next reply (trans_fd's p9_conn_cancel(-EIO)).
      this.close();
      throw errno('EIO');
    }
    if (reply.tag !== tag) {
      this.close();
      throw errno('EIO');
    }
    if (reply.msg === 'Rlerror') throw lerror(reply.ecode);
    if (reply.msg !== expect) {
      this.close();
      throw errno('EIO');
    }
    return reply as ReplyOf<N>;
  }

  // ---------------------------------------------------------------- fids

  /** p9_fid_create(): the lowest fid number not in use. */
  private allocFid(): number {
    const reused = this.freeFids.shift();
    if (reused !== undefined) return reused;
    // p9_fid_create() failing (the IDR is full) is ENOMEM to its callers.
    if (this.nextFid >= NOFID) throw errno('ENOMEM');
    return this.nextFid++;
  }

  private freeFid(fid: number): void {
    let i = this.freeFids.length;
    while (i > 0 && this.freeFids[i - 1]! > fid) i--;
    this.freeFids.splice(i, 0, fid);
  }

  /** How many fids are in use (allocated and not yet clunked). */
  get fidsInUse(): number {
    return this.nextFid - this.freeFids.length;
  }

  /** p9_client_clunk(): the fid is gone whatever the answer; the answer's errno is thrown after. */
  clunk(fid: number): void {
    try {
      this.rpc({ msg: 'Tclunk', fid }, 'Rclunk');
    } finally {
      this.freeFid(fid);
    }
  }

  /** Clunks a fid on a path that is failing already: its own error would only hide the first. */
  release(fid: number): void {
    try {
      this.clunk(fid);
    } catch (e) {
      if (!(e instanceof SysError)) throw e;
    }
  }

  // ---------------------------------------------------------------- session

  /**
   * p9_client_version(): asks for `msize` and `version`; the connection's msize becomes the
   * smaller of the two sides'. A reply that names no 9P2000 dialect (a server's "unknown") or an
   * msize under 4096 is EREMOTEIO. Returns the dialect the server settled on.
   */
  version(msize: number, version: string = P9_VERSION_L): P9Dialect {
    this.msize = msize;
    const r = this.rpc({ msg: 'Tversion', msize, version }, 'Rversion');
    let dialect: P9Dialect;
    if (r.version.startsWith('9P2000.L')) dialect = '9P2000.L';
    else if (r.version.startsWith('9P2000.u')) dialect = '9P2000.u';
    else if (r.version.startsWith('9P2000')) dialect = '9P2000';
    else throw errno('EREMOTEIO');
    if (r.msize < P9_MIN_MSIZE) throw errno('EREMOTEIO');
    if (r.msize < this.msize) this.msize = r.msize;
    return dialect;
  }

  /** p9_client_attach() without authentication (afid NOFID); the new fid and the root's qid. */
  attach(uname: string, aname: string, nUname = P9_NONUNAME): { fid: number; qid: P9Qid } {
    const fid = this.allocFid();
    try {
      return { fid, qid: this.rpc({ msg: 'Tattach', fid, afid: NOFID, uname, aname, nUname }, 'Rattach').qid };
    } catch (e) {
      this.freeFid(fid);
      throw e;
    }
  }

  /**
   * p9_client_walk() as v9fs_fid_lookup() drives it: `names` in groups of MAXWELEM, the first
   * from `fid` to a new fid, the rest on the new fid. No names clones `fid`. A walk that stops
   * short is ENOENT, its new fid let go.
   */
  walk(fid: number, names: readonly string[]): { fid: number; qids: P9Qid[] } {
    const newfid = this.allocFid();
    const qids: P9Qid[] = [];
    let from = fid;
    let i = 0;
    do {
      const wnames = names.slice(i, i + MAXWELEM);
      let r: ReplyOf<'Rwalk'>;
      try {
        r = this.rpc({ msg: 'Twalk', fid: from, newfid, wnames }, 'Rwalk');
        // walk(5): an Rwalk of fewer qids than names leaves newfid as it was.
        if (r.wqids.length !== wnames.length) throw errno('ENOENT');
      } catch (e) {
        // Until the first group has succeeded the server has no newfid to clunk.
        if (from === newfid) this.release(newfid);
        else this.freeFid(newfid);
        throw e;
      }
      qids.push(...r.wqids);
      from = newfid;
      i += wnames.length;
    } while (i < names.length);
    return { fid: newfid, qids };
  }

  /** A second fid for the same file (a walk of no names). */
  clone(fid: number): number {
    return this.walk(fid, []).fid;
  }

  /** Tremove: the file goes, and the fid with it, whatever the answer. */
  remove(fid: number): void {
    try {
      this.rpc({ msg: 'Tremove', fid }, 'Rremove');
    } finally {
      this.freeFid(fid);
    }
  }

  // ---------------------------------------------------------------- attributes

  getattr(fid: number, requestMask = P9_GETATTR_BASIC): P9Attr {
    const { msg: _m, tag: _t, ...attr } = this.rpc({ msg: 'Tgetattr', fid, requestMask }, 'Rgetattr');
    return attr;
  }

  setattr(fid: number, attr: P9SetAttr): void {
    this.rpc({ msg: 'Tsetattr', fid, ...attr }, 'Rsetattr');
  }

  statfs(fid: number): P9StatFs {
    const { msg: _m, tag: _t, ...st } = this.rpc({ msg: 'Tstatfs', fid }, 'Rstatfs');
    return st;
  }

  readlink(fid: number): string {
    return this.rpc({ msg: 'Treadlink', fid }, 'Rreadlink').target;
  }

  // ---------------------------------------------------------------- files

  /** Tlopen: the fid becomes an open file; its qid and the server's iounit. */
  lopen(fid: number, flags: number): { qid: P9Qid; iounit: number } {
    const r = this.rpc({ msg: 'Tlopen', fid, flags }, 'Rlopen');
    return { qid: r.qid, iounit: r.iounit };
  }

  /** Tlcreate: `name` made in the directory `fid` stands for, and `fid` becomes that file, open. */
  lcreate(fid: number, name: string, flags: number, mode: number, gid: number): { qid: P9Qid; iounit: number } {
    const r = this.rpc({ msg: 'Tlcreate', fid, name, flags, mode, gid }, 'Rlcreate');
    return { qid: r.qid, iounit: r.iounit };
  }

  /** The bytes one Tread or Twrite carries: the fid's iounit, at most msize - P9_IOHDRSZ. */
  private ioSize(iounit: number): number {
    const max = this.msize - P9_IOHDRSZ;
    return iounit > 0 && iounit < max ? iounit : max;
  }

  /**
   * p9_client_read(): Treads from `offset` until `into` is full or one comes back empty. An
   * error after some bytes arrived ends the read with those (as read(2) returns a short count).
   */
  read(fid: number, offset: number, into: Uint8Array, iounit = 0): number {
    const size = this.ioSize(iounit);
    let done = 0;
    while (done < into.length) {
      const count = Math.min(size, into.length - done);
      let data: Uint8Array;
      try {
        data = this.rpc({ msg: 'Tread', fid, offset: BigInt(offset + done), count }, 'Rread').data;
      } catch (e) {
        if (done > 0 && e instanceof SysError) break;
        throw e;
      }
      // "bogus RREAD count": no more than was asked for is taken.
      const n = Math.min(data.length, count);
      if (n === 0) break;
      into.set(data.subarray(0, n), done);
      done += n;
    }
    return done;
  }

  /**
   * p9_client_write(): Twrites from `offset` until all of `data` is written; one that writes
   * nothing ends it (the server is out of room), as does an error after some bytes went.
   */
  write(fid: number, offset: number, data: Uint8Array, iounit = 0): number {
    const size = this.ioSize(iounit);
    let done = 0;
    while (done < data.length) {
      const chunk = data.subarray(done, done + size);
      let count: number;
      try {
        count = this.rpc({ msg: 'Twrite', fid, offset: BigInt(offset + done), data: chunk }, 'Rwrite').count;
      } catch (e) {
        if (done > 0 && e instanceof SysError) break;
        throw e;
      }
      // "bogus RWRITE count": no more than was sent counts.
      const n = Math.min(count, chunk.length);
      if (n === 0) break;
      done += n;
    }
    return done;
  }

  /** One Treaddir from cookie `offset`, as many entries as fit msize - P9_READDIRHDRSZ. */
  readdir(fid: number, offset: bigint): P9Dirent[] {
    return this.rpc({ msg: 'Treaddir', fid, offset, count: this.msize - P9_READDIRHDRSZ }, 'Rreaddir').entries;
  }

  /** Every entry of an open directory: Treaddirs from cookie 0, each from the last entry's cookie, until one is empty. */
  readdirAll(fid: number): P9Dirent[] {
    const all: P9Dirent[] = [];
    let offset = 0n;
    for (;;) {
      const batch = this.readdir(fid, offset);
      if (batch.length === 0) return all;
      all.push(...batch);
      offset = batch[batch.length - 1]!.offset;
    }
  }

  fsync(fid: number, datasync = false): void {
    this.rpc({ msg: 'Tfsync', fid, datasync: datasync ? 1 : 0 }, 'Rfsync');
  }

  // ---------------------------------------------------------------- names

  mkdir(dfid: number, name: string, mode: number, gid: number): P9Qid {
    return this.rpc({ msg: 'Tmkdir', dfid, name, mode, gid }, 'Rmkdir').qid;
  }

  symlink(dfid: number, name: string, target: string, gid: number): P9Qid {
    return this.rpc({ msg: 'Tsymlink', fid: dfid, name, symtgt: target, gid }, 'Rsymlink').qid;
  }

  mknod(dfid: number, name: string, mode: number, major: number, minor: number, gid: number): P9Qid {
    return this.rpc({ msg: 'Tmknod', dfid, name, mode, major, minor, gid }, 'Rmknod').qid;
  }

  /** Tlink: a hard link to the file `fid` names, called `name` in directory `dfid`. */
  link(dfid: number, fid: number, name: string): void {
    this.rpc({ msg: 'Tlink', dfid, fid, name }, 'Rlink');
  }

  /** Trename: the file `fid` names moves to `name` in directory `dfid`. */
  rename(fid: number, dfid: number, name: string): void {
    this.rpc({ msg: 'Trename', fid, dfid, name }, 'Rrename');
  }

  renameat(olddirfid: number, oldname: string, newdirfid: number, newname: string): void {
    this.rpc({ msg: 'Trenameat', olddirfid, oldname, newdirfid, newname }, 'Rrenameat');
  }

  /** Tunlinkat: unlink(2), or rmdir(2) with P9_DOTL_AT_REMOVEDIR in `flags`. */
  unlinkat(dirfid: number, name: string, flags: number): void {
    this.rpc({ msg: 'Tunlinkat', dirfid, name, flags }, 'Runlinkat');
  }

  // ---------------------------------------------------------------- extended attributes

  /** Txattrwalk: a new fid to read attribute `name` through ('' for the list of names), and its size. */
  xattrwalk(fid: number, name: string): { fid: number; size: bigint } {
    const newfid = this.allocFid();
    try {
      return { fid: newfid, size: this.rpc({ msg: 'Txattrwalk', fid, newfid, name }, 'Rxattrwalk').size };
    } catch (e) {
      this.freeFid(newfid);
      throw e;
    }
  }

  /** Txattrcreate: `fid` becomes attribute `name` of `size` bytes, written by Twrite, set by Tclunk. */
  xattrcreate(fid: number, name: string, size: number, flags: number): void {
    this.rpc({ msg: 'Txattrcreate', fid, name, attrSize: BigInt(size), flags }, 'Rxattrcreate');
  }

  /** v9fs_fid_xattr_get(): the value of `name` ('' gives listxattr(2)'s NUL-separated names). */
  getxattr(fid: number, name: string): Uint8Array {
    const x = this.xattrwalk(fid, name);
    try {
      const value = new Uint8Array(Number(x.size));
      return value.subarray(0, this.read(x.fid, 0, value));
    } finally {
      this.release(x.fid);
    }
  }

  /** listxattr(2) through Txattrwalk of the empty name. */
  listxattr(fid: number): string[] {
    const text = new TextDecoder().decode(this.getxattr(fid, ''));
    return text.split('\0').filter((n) => n !== '');
  }

  /**
   * v9fs_fid_xattr_set(): on a clone of `fid`, Txattrcreate, the value's Twrites, then the
   * Tclunk that sets it — whose errno is the call's.
   */
  setxattr(fid: number, name: string, value: Uint8Array, flags: number): void {
    const f = this.clone(fid);
    try {
      this.xattrcreate(f, name, value.length, flags);
      if (this.write(f, 0, value) !== value.length) throw errno('EIO');
    } catch (e) {
      this.release(f);
      throw e;
    }
    this.clunk(f);
  }

  /** removexattr(2) reaches v9fs as a set of no value with XATTR_REPLACE (v9fs_xattr_handler_set()). */
  removexattr(fid: number, name: string): void {
    this.setxattr(fid, name, new Uint8Array(0), P9_XATTR_REPLACE);
  }
}
