/**
 * The 512-byte header block of a tar member: its field layout (POSIX ustar; GNU's "ustar  " magic
 * and a magic-less v7 block are read too), numeric fields in octal or GNU base-256, the checksum.
 * Which block means what (pax records, long names) is the reader's and the writer's business.
 *
 * Layout (offset, length): name 0/100, mode 100/8, uid 108/8, gid 116/8, size 124/12,
 * mtime 136/12, chksum 148/8, typeflag 156/1, linkname 157/100, magic 257/6, version 263/2,
 * uname 265/32, gname 297/32, devmajor 329/8, devminor 337/8, prefix 345/155.
 *
 * Numbers are written as Go's archive/tar writes them (formatOctal: zero-padded, NUL-terminated;
 * the checksum as six digits, NUL, space), so an archive made here reads like one `docker cp`
 * made.
 */
import { TarFormatError } from './entry.js';

export const BLOCK = 512;

export type HeaderFormat = 'ustar' | 'gnu' | 'v7';

/** A header block's fields, numbers decoded, strings as stored (name not yet joined to prefix). */
export interface RawHeader {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  typeflag: number;
  linkname: string;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
  prefix: string;
  format: HeaderFormat;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });
const enc = new TextEncoder();

/** A NUL-terminated (or full-width) string field. */
function str(b: Uint8Array, off: number, len: number): string {
  let end = off;
  while (end < off + len && b[end] !== 0) end++;
  return utf8.decode(b.subarray(off, end));
}

/**
 * A numeric field: GNU base-256 when the first byte has its high bit (Go's parseNumeric), octal
 * otherwise, leading and trailing spaces and NULs allowed. A negative or unsafe number, or a digit
 * that is not octal, is an error naming the field.
 */
function num(b: Uint8Array, off: number, len: number, field: string, at: number): number {
  const f = b.subarray(off, off + len);
  if (f[0]! & 0x80) {
    if (f[0] === 0xff) throw new TarFormatError(`negative ${field} (base-256)`, at);
    let n = f[0]! & 0x7f;
    for (let i = 1; i < f.length; i++) {
      n = n * 256 + f[i]!;
      if (!Number.isSafeInteger(n)) throw new TarFormatError(`${field} out of range (base-256)`, at);
    }
    return n;
  }
  const s = utf8.decode(f).replace(/\0.*$/s, '').trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new TarFormatError(`${field} field is not octal: ${JSON.stringify(s)}`, at);
  const n = parseInt(s, 8);
  if (!Number.isSafeInteger(n)) throw new TarFormatError(`${field} out of range`, at);
  return n;
}

/** Whether a block is all zeros (the end-of-archive marker is two of them). */
export function isZeroBlock(b: Uint8Array): boolean {
  for (let i = 0; i < BLOCK; i++) if (b[i] !== 0) return false;
  return true;
}

/** The checksum: every byte summed with the chksum field read as spaces; [unsigned, signed]. */
function checksums(b: Uint8Array): [number, number] {
  let u = 0;
  let s = 0;
  for (let i = 0; i < BLOCK; i++) {
    const c = i >= 148 && i < 156 ? 0x20 : b[i]!;
    u += c;
    s += c > 127 ? c - 256 : c;
  }
  return [u, s];
}

/**
 * Decodes one header block at `at` (its offset in the archive, for messages). A checksum that
 * matches neither the unsigned nor the signed sum (Go accepts both) is an error.
 */
export function decodeHeader(b: Uint8Array, at: number): RawHeader {
  const want = num(b, 148, 8, 'checksum', at);
  const [u, s] = checksums(b);
  if (want !== u && want !== s) throw new TarFormatError(`header checksum mismatch (stored ${want}, computed ${u})`, at);
  const magic = str(b, 257, 6);
  const version = utf8.decode(b.subarray(263, 265));
  const format: HeaderFormat = magic === 'ustar' && version === '00' ? 'ustar' : magic === 'ustar ' && version === ' \0' ? 'gnu' : 'v7';
  const hasUstarFields = format !== 'v7';
  return {
    name: str(b, 0, 100),
    mode: num(b, 100, 8, 'mode', at) & 0o7777,
    uid: num(b, 108, 8, 'uid', at),
    gid: num(b, 116, 8, 'gid', at),
    size: num(b, 124, 12, 'size', at),
    mtime: num(b, 136, 12, 'mtime', at),
    typeflag: b[156]!,
    linkname: str(b, 157, 100),
    uname: hasUstarFields ? str(b, 265, 32) : '',
    gname: hasUstarFields ? str(b, 297, 32) : '',
    devmajor: hasUstarFields ? num(b, 329, 8, 'devmajor', at) : 0,
    devminor: hasUstarFields ? num(b, 337, 8, 'devminor', at) : 0,
    // GNU's block uses the prefix's bytes for atime/ctime; only ustar has a prefix.
    prefix: format === 'ustar' ? str(b, 345, 155) : '',
    format,
  };
}

/** Whether `n` fits a numeric field of `len` bytes as octal with its NUL. */
export function fitsOctal(n: number, len: number): boolean {
  return n >= 0 && n < 8 ** (len - 1);
}

/** Whether a string fits a field of `len` bytes (it may fill it, without a NUL). */
export function fitsField(s: string, len: number): boolean {
  return enc.encode(s).length <= len;
}

function putStr(b: Uint8Array, off: number, len: number, s: string): void {
  const bytes = enc.encode(s);
  b.set(bytes.subarray(0, len), off);
}

/** Go's formatOctal: zero-padded to len-1 digits, NUL-terminated; 0 when it does not fit (a pax record carries it). */
function putOctal(b: Uint8Array, off: number, len: number, n: number): void {
  const v = fitsOctal(n, len) ? n : 0;
  putStr(b, off, len, v.toString(8).padStart(len - 1, '0'));
}

/** Encodes a ustar header block ("ustar\0", "00"); fields that do not fit are the caller's to carry in pax records. */
export function encodeHeader(h: Omit<RawHeader, 'format'>): Uint8Array {
  const b = new Uint8Array(BLOCK);
  putStr(b, 0, 100, h.name);
  putOctal(b, 100, 8, h.mode);
  putOctal(b, 108, 8, h.uid);
  putOctal(b, 116, 8, h.gid);
  putOctal(b, 124, 12, h.size);
  putOctal(b, 136, 12, Math.floor(h.mtime));
  b[156] = h.typeflag;
  putStr(b, 157, 100, h.linkname);
  putStr(b, 257, 6, 'ustar');
  putStr(b, 263, 2, '00');
  putStr(b, 265, 32, h.uname);
  putStr(b, 297, 32, h.gname);
  putOctal(b, 329, 8, h.devmajor);
  putOctal(b, 337, 8, h.devminor);
  putStr(b, 345, 155, h.prefix);
  const [sum] = checksums(b);
  putStr(b, 148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
  return b;
}
