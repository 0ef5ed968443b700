/**
 * P9FrameSplitter: cuts a 9P byte stream into frames by their size[4] field, for both ends of a
 * socket transport (the server's connections, p9-socket-server.ts, and the client's worker,
 * p9-socket-worker.ts).
 *
 * Invariants: a frame is returned only whole; the bytes held never exceed one frame's worth plus
 * what the last chunk brought; a size field under the 7 header bytes or over `limit` throws
 * RangeError at once, before any of that frame is buffered — the stream's boundaries are lost, and
 * the caller closes the connection (a peer announcing 4 GiB gets no 4 GiB buffer).
 *
 * The class is self-contained — no import, no closure, nothing but its own code — because the
 * client's worker thread is started from its source text (p9-socket-worker.ts says why).
 *
 * @example
 * ```ts
 * const s = new P9FrameSplitter(8192);
 * s.push(chunk);
 * for (let f = s.next(); f !== null; f = s.next()) session.handle(f);
 * ```
 */
export class P9FrameSplitter {
  /** The largest frame accepted (the msize in force). */
  limit: number;
  private chunks: Uint8Array[];
  private buffered: number;

  constructor(limit: number) {
    this.limit = limit;
    this.chunks = [];
    this.buffered = 0;
  }

  /** Bytes held that are not yet a whole frame. */
  get pending(): number {
    return this.buffered;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /** The next whole frame, or null until more bytes come; RangeError for an impossible size field. */
  next(): Uint8Array | null {
    if (this.buffered < 4) return null;
    let size = 0;
    let k = 0;
    for (const c of this.chunks) {
      for (let i = 0; i < c.length && k < 4; i++, k++) size += c[i]! * 2 ** (8 * k);
      if (k === 4) break;
    }
    if (size < 7 || size > this.limit) throw new RangeError(`9P frame size ${size} outside [7, ${this.limit}]`);
    if (this.buffered < size) return null;
    return this.take(size);
  }

  private take(n: number): Uint8Array {
    const first = this.chunks[0]!;
    let frame: Uint8Array;
    if (first.length >= n) {
      frame = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      frame = new Uint8Array(n);
      let at = 0;
      while (at < n) {
        const c = this.chunks[0]!;
        const m = Math.min(c.length, n - at);
        frame.set(c.subarray(0, m), at);
        at += m;
        if (m === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(m);
      }
    }
    this.buffered -= n;
    return frame;
  }
}
