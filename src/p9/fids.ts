/**
 * The fid table of one 9P connection: what each fid number stands for — a node of an export,
 * opened or not, or an extended attribute being read or written through it.
 *
 * Invariants: a fid owns its `node` handle (released exactly once, when the fid goes) and its
 * `open` file (closed exactly once); `open` and `xattr` are never both set. The table holds at most
 * `limit` fids. Fid numbers are the client's (Linux allocates them from an IDR and never reuses a
 * live one), so a number already in use, or one the table does not know, is a client error: EBADF
 * for both, as for a file descriptor that is not open (diod answers EIO to both; gVisor's
 * pkg/p9 answers EBADF to an unknown fid). A full table is EMFILE: the connection's fids are its
 * descriptors, and RLIMIT_NOFILE's errno says so.
 */
import { errno } from '../vfs/errno.js';
import type { P9Export } from './export.js';

/** An extended attribute read through a fid of Txattrwalk: its value, or the name list. */
export interface XattrRead {
  readonly kind: 'read';
  readonly data: Uint8Array;
}

/** An extended attribute being written through a fid of Txattrcreate, set when it is clunked. */
export interface XattrWrite {
  readonly kind: 'write';
  readonly name: string;
  readonly flags: number;
  readonly value: Uint8Array;
  /** The end of the bytes written so far. */
  filled: number;
}

export interface Fid {
  readonly exp: P9Export;
  node: unknown;
  open?: { readonly file: unknown };
  xattr?: XattrRead | XattrWrite;
}

export class FidTable {
  private readonly fids = new Map<number, Fid>();

  constructor(readonly limit: number) {}

  get size(): number {
    return this.fids.size;
  }

  /** The fid `n`; EBADF when there is none. */
  get(n: number): Fid {
    const f = this.fids.get(n);
    if (!f) throw errno('EBADF');
    return f;
  }

  /** EBADF when `n` is in use, EMFILE when the table is full: checked before the work a new fid needs. */
  reserve(n: number): void {
    if (this.fids.has(n)) throw errno('EBADF');
    if (this.fids.size >= this.limit) throw errno('EMFILE');
  }

  add(n: number, f: Fid): void {
    this.reserve(n);
    this.fids.set(n, f);
  }

  /** Takes fid `n` out of the table; EBADF when there is none. */
  take(n: number): Fid {
    const f = this.get(n);
    this.fids.delete(n);
    return f;
  }

  /** Takes every fid out (Tversion's reset, the connection's end). */
  takeAll(): Fid[] {
    const all = [...this.fids.values()];
    this.fids.clear();
    return all;
  }
}
