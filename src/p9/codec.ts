/**
 * The 9P2000.L wire codec: `encodeMessage` and `decodeMessage`, both directions of every message
 * in messages.ts, driven by its table of layouts.
 *
 * Decoding is strict, since a server decodes what an untrusted peer sends: the size field must
 * equal the frame's length (and not exceed `maxSize` when given), every field must be complete,
 * strings must be UTF-8, walk lists at most MAXWELEM long, and no byte may follow the last field.
 * Any failure is a `P9DecodeError` naming the message and the
 * field; nothing else is thrown, whatever the bytes.
 *
 * @example
 * ```ts
 * const frame = encodeMessage({ msg: 'Tversion', tag: NOTAG, msize: 8192, version: '9P2000.L' });
 * frame.length; // 21
 * decodeMessage(frame); // { msg: 'Tversion', tag: 65535, msize: 8192, version: '9P2000.L' }
 * ```
 */
import { MAXWELEM, P9_HEADER_SIZE } from './constants.js';
import { messageFields, messageName, MESSAGES, TLERROR, type P9Dirent, type P9FieldKind, type P9Message, type P9Qid } from './messages.js';
import { P9DecodeError, WireReader, WireWriter } from './wire.js';

/** A message's fields by name, as the table-driven code reads and writes them. */
type FieldBag = Record<string, unknown>;

function readQid(r: WireReader, field: string): P9Qid {
  return { type: r.u8(`${field}.type`), version: r.u32(`${field}.version`), path: r.u64(`${field}.path`) };
}

function writeQid(w: WireWriter, q: P9Qid, field: string): void {
  w.u8(q.type, `${field}.type`);
  w.u32(q.version, `${field}.version`);
  w.u64(q.path, `${field}.path`);
}

/** A walk list's count[2], refused past MAXWELEM (walk(5)). */
function readWalkCount(r: WireReader, field: string): number {
  const n = r.u16(field);
  if (n > MAXWELEM) throw r.fail(field, `${n} > MAXWELEM (${MAXWELEM})`);
  return n;
}

function readDirents(r: WireReader): P9Dirent[] {
  const data = r.region(r.u32('count'), 'data');
  const out: P9Dirent[] = [];
  for (let i = 0; data.left > 0; i++) {
    const f = `data[${i}]`;
    out.push({ qid: readQid(data, `${f}.qid`), offset: data.u64(`${f}.offset`), type: data.u8(`${f}.type`), name: data.str(`${f}.name`) });
  }
  return out;
}

function readField(r: WireReader, kind: P9FieldKind, field: string): unknown {
  switch (kind) {
    case 'u8':
      return r.u8(field);
    case 'u16':
      return r.u16(field);
    case 'u32':
      return r.u32(field);
    case 'u64':
      return r.u64(field);
    case 'str':
      return r.str(field);
    case 'qid':
      return readQid(r, field);
    case 'wnames': {
      const n = readWalkCount(r, 'nwname');
      return Array.from({ length: n }, (_, i) => r.str(`${field}[${i}]`));
    }
    case 'wqids': {
      const n = readWalkCount(r, 'nwqid');
      return Array.from({ length: n }, (_, i) => readQid(r, `${field}[${i}]`));
    }
    case 'data':
      return r.bytes(r.u32('count'), field);
    case 'dirents':
      return readDirents(r);
  }
}

function writeField(w: WireWriter, kind: P9FieldKind, field: string, v: unknown): void {
  switch (kind) {
    case 'u8':
      return w.u8(v as number, field);
    case 'u16':
      return w.u16(v as number, field);
    case 'u32':
      return w.u32(v as number, field);
    case 'u64':
      return w.u64(v as bigint, field);
    case 'str':
      return w.str(v as string, field);
    case 'qid':
      return writeQid(w, v as P9Qid, field);
    case 'wnames':
    case 'wqids': {
      const list = v as readonly unknown[];
      if (list.length > MAXWELEM) throw new RangeError(`${w.what}.${field}: ${list.length} > MAXWELEM (${MAXWELEM})`);
      w.u16(list.length, field);
      list.forEach((e, i) => (kind === 'wnames' ? w.str(e as string, `${field}[${i}]`) : writeQid(w, e as P9Qid, `${field}[${i}]`)));
      return;
    }
    case 'data': {
      const b = v as Uint8Array;
      w.u32(b.length, 'count');
      return w.bytes(b);
    }
    case 'dirents': {
      const at = w.placeholder32();
      const start = w.length;
      (v as readonly P9Dirent[]).forEach((d, i) => {
        writeQid(w, d.qid, `${field}[${i}].qid`);
        w.u64(d.offset, `${field}[${i}].offset`);
        w.u8(d.type, `${field}[${i}].type`);
        w.str(d.name, `${field}[${i}].name`);
      });
      return w.patch32(at, w.length - start);
    }
  }
}

/**
 * The frame of a message: size[4] type[1] tag[2] and its fields. Throws RangeError when a value
 * does not fit its field (a u32 past 2^32, a string over 65535 bytes, more than MAXWELEM names):
 * the caller's bug.
 */
export function encodeMessage(msg: P9Message): Uint8Array {
  const bag = msg as unknown as FieldBag;
  const data = bag.data instanceof Uint8Array ? bag.data.length : 0;
  const w = new WireWriter(msg.msg, 64 + data);
  w.placeholder32();
  w.u8(MESSAGES[msg.msg].type, 'type');
  w.u16(msg.tag, 'tag');
  for (const [field, kind] of messageFields(msg.msg)) writeField(w, kind, field, bag[field]);
  return w.finish();
}

/** The fields of a frame's header, read without judging the rest. */
export interface P9Header {
  size: number;
  type: number;
  tag: number;
}

/**
 * Checks a frame's framing — at least a header, a size field equal to its length, within
 * `maxSize` — and reads its header. A failure is a P9DecodeError with `framing` set.
 */
export function decodeHeader(frame: Uint8Array, maxSize = 0xffffffff): P9Header {
  if (frame.length < P9_HEADER_SIZE) throw new P9DecodeError(`frame of ${frame.length} bytes < ${P9_HEADER_SIZE} header bytes`, undefined, undefined, true);
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const size = view.getUint32(0, true);
  if (size < P9_HEADER_SIZE) throw new P9DecodeError(`size ${size} < ${P9_HEADER_SIZE} header bytes`, undefined, undefined, true);
  if (size !== frame.length) throw new P9DecodeError(`size ${size} != frame length ${frame.length}`, undefined, undefined, true);
  if (size > maxSize) throw new P9DecodeError(`size ${size} > msize ${maxSize}`, undefined, undefined, true);
  return { size, type: view.getUint8(4), tag: view.getUint16(5, true) };
}

/**
 * The message in one frame. `maxSize` (the negotiated msize) bounds the frame. Throws only
 * P9DecodeError.
 */
export function decodeMessage(frame: Uint8Array, maxSize?: number): P9Message {
  const { size, type, tag } = decodeHeader(frame, maxSize);
  const name = messageName(type);
  if (name === undefined) {
    if (type === TLERROR) throw new P9DecodeError(`Tlerror (${TLERROR}) is reserved: only Rlerror is a message`, type, tag);
    throw new P9DecodeError(`unknown message type ${type}`, type, tag);
  }
  const r = new WireReader(frame, name, P9_HEADER_SIZE, size, type, tag);
  const bag: FieldBag = { msg: name, tag };
  for (const [field, kind] of messageFields(name)) bag[field] = readField(r, kind, field);
  if (r.left > 0) throw new P9DecodeError(`${name}: ${r.left} byte${r.left === 1 ? '' : 's'} after the last field`, type, tag);
  return bag as unknown as P9Message;
}
