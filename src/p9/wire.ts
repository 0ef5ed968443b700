/**
 * The byte level of 9P: a bounds-checked little-endian reader whose every failure is a
 * `P9DecodeError` naming the message and the field, and a growable writer.
 *
 * Invariants: `WireReader` never reads past `end` — each read checks the bytes left first, so a
 * DataView RangeError cannot happen, and invalid UTF-8 is caught where the string is read; the one
 * error class that leaves it is `P9DecodeError`. `WireWriter` checks each value against its
 * field's width and throws RangeError for one that does not fit: an encoder's input is the
 * program's own, so a bad value there is a bug, not a peer's fault.
 */

/**
 * A frame that is not a well-formed 9P2000.L message. `message` names the message and the field
 * ("Twalk.wnames[3]: truncated"); `type` and `tag` are set when the header could be read, so a
 * server can answer the request with Rlerror; `framing` says the frame's own length cannot be
 * trusted (shorter than a header, a size field that disagrees with it, over msize), after which
 * the byte stream has lost its message boundaries and the connection must be closed.
 */
export class P9DecodeError extends Error {
  constructor(
    message: string,
    readonly type?: number,
    readonly tag?: number,
    readonly framing = false,
  ) {
    super(message);
    this.name = 'P9DecodeError';
  }
}

// fatal: invalid UTF-8 is an error, not U+FFFD; ignoreBOM: a leading U+FEFF is part of a name.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

/** The UTF-8 bytes of a string, as a 9P string's body. */
export function utf8Bytes(s: string): Uint8Array {
  return encoder.encode(s);
}

/** Reads the fields of one message; `what` prefixes every error ("Twalk"). */
export class WireReader {
  private readonly view: DataView;
  pos: number;

  constructor(
    readonly buf: Uint8Array,
    readonly what: string,
    start: number,
    readonly end: number,
    readonly type?: number,
    readonly tag?: number,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = start;
  }

  get left(): number {
    return this.end - this.pos;
  }

  fail(field: string, why: string): P9DecodeError {
    return new P9DecodeError(`${this.what}.${field}: ${why}`, this.type, this.tag);
  }

  private need(n: number, field: string): number {
    if (n > this.end - this.pos) throw this.fail(field, `truncated (${n} bytes needed, ${this.end - this.pos} left)`);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  u8(field: string): number {
    return this.view.getUint8(this.need(1, field));
  }

  u16(field: string): number {
    return this.view.getUint16(this.need(2, field), true);
  }

  u32(field: string): number {
    return this.view.getUint32(this.need(4, field), true);
  }

  u64(field: string): bigint {
    return this.view.getBigUint64(this.need(8, field), true);
  }

  /** `n` bytes, copied: a decoded message does not alias the frame it came from. */
  bytes(n: number, field: string): Uint8Array {
    const at = this.need(n, field);
    return this.buf.slice(at, at + n);
  }

  /** string[s]: len[2] then that many bytes of UTF-8. */
  str(field: string): string {
    const n = this.u16(field);
    const at = this.need(n, field);
    try {
      return utf8.decode(this.buf.subarray(at, at + n));
    } catch {
      throw this.fail(field, 'invalid UTF-8');
    }
  }

  /** A reader over the next `n` bytes (a counted region such as Rreaddir's data), advancing past them. */
  region(n: number, field: string): WireReader {
    const at = this.need(n, field);
    return new WireReader(this.buf, this.what, at, at + n, this.type, this.tag);
  }
}

const U64_MAX = (1n << 64n) - 1n;

/** Builds one frame; `finish()` fills in size[4] and returns exactly the frame's bytes. */
export class WireWriter {
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;

  constructor(
    readonly what: string,
    capacity = 64,
  ) {
    this.buf = new Uint8Array(capacity);
    this.view = new DataView(this.buf.buffer);
  }

  /** Reserves `n` bytes and returns where they start; the buffer may move, so use `at` after it. */
  private room(n: number): number {
    if (this.pos + n > this.buf.length) {
      const grown = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
      grown.set(this.buf.subarray(0, this.pos));
      this.buf = grown;
      this.view = new DataView(grown.buffer);
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  private checkInt(v: number, max: number, field: string, width: string): void {
    if (!Number.isInteger(v) || v < 0 || v > max) throw new RangeError(`${this.what}.${field}: ${String(v)} is not a ${width}`);
  }

  u8(v: number, field: string): void {
    this.checkInt(v, 0xff, field, 'u8');
    const at = this.room(1);
    this.view.setUint8(at, v);
  }

  u16(v: number, field: string): void {
    this.checkInt(v, 0xffff, field, 'u16');
    const at = this.room(2);
    this.view.setUint16(at, v, true);
  }

  u32(v: number, field: string): void {
    this.checkInt(v, 0xffffffff, field, 'u32');
    const at = this.room(4);
    this.view.setUint32(at, v, true);
  }

  u64(v: bigint, field: string): void {
    if (typeof v !== 'bigint' || v < 0n || v > U64_MAX) throw new RangeError(`${this.what}.${field}: ${String(v)} is not a u64`);
    const at = this.room(8);
    this.view.setBigUint64(at, v, true);
  }

  bytes(b: Uint8Array): void {
    const at = this.room(b.length);
    this.buf.set(b, at);
  }

  str(s: string, field: string): void {
    const b = utf8Bytes(s);
    if (b.length > 0xffff) throw new RangeError(`${this.what}.${field}: ${b.length} bytes do not fit a 9P string`);
    this.u16(b.length, field);
    this.bytes(b);
  }

  /** Reserves a u32 to be filled in later (a count that precedes what it counts). */
  placeholder32(): number {
    return this.room(4);
  }

  patch32(at: number, v: number): void {
    this.view.setUint32(at, v, true);
  }

  get length(): number {
    return this.pos;
  }

  finish(): Uint8Array {
    this.view.setUint32(0, this.pos, true);
    return this.buf.slice(0, this.pos);
  }
}
