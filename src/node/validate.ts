/**
 * Argument validation and conversion as node:fs does it before any system call
 * (lib/internal/validators.js, lib/internal/fs/utils.js): paths (string, Buffer, file: URL; no
 * NUL), descriptors, integers, modes, open flags, options objects, encodings, times, positions.
 *
 * Invariant: each function either returns the converted value or throws the ERR_* error Node
 * throws for the same input (errors.ts), with the same argument name; none touches a filesystem.
 */
import { Buffer } from 'node:buffer';
import { constants } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { codedError, invalidArgType, invalidArgValue, outOfRange } from './errors.js';

const decoder = new TextDecoder();

/**
 * getValidatedPath(): a file: URL becomes its path, a Buffer its UTF-8 text; a NUL byte is
 * ERR_INVALID_ARG_VALUE, anything else ERR_INVALID_ARG_TYPE.
 *
 * @example
 * ```ts
 * validatedPath(new URL('file:///etc/hosts')); // '/etc/hosts'
 * ```
 */
export function validatedPath(p: unknown, name = 'path'): string {
  let path = p;
  if (path instanceof URL || (path !== null && typeof path === 'object' && (path as { href?: unknown }).href !== undefined && (path as { protocol?: unknown }).protocol !== undefined && !(path instanceof Uint8Array))) {
    path = fileURLToPath(path as URL);
  }
  if (typeof path === 'string') {
    if (path.includes('\u0000')) throw invalidArgValue(name, path, 'must be a string, Uint8Array, or URL without null bytes');
    return path;
  }
  if (path instanceof Uint8Array) {
    if (path.includes(0)) throw invalidArgValue(name, path, 'must be a string, Uint8Array, or URL without null bytes');
    return decoder.decode(path);
  }
  throw invalidArgType(name, ['string', 'Buffer', 'URL'], path);
}

/**
 * validateInt32().
 *
 * @example
 * ```ts
 * validateInt32(1.5, 'fd'); // throws ERR_OUT_OF_RANGE: It must be an integer. Received 1.5
 * ```
 */
export function validateInt32(value: unknown, name: string, min = -2147483648, max = 2147483647, native = false): asserts value is number {
  if (typeof value !== 'number') throw invalidArgType(name, 'number', value, native);
  if (!Number.isInteger(value)) throw outOfRange(name, 'an integer', value, native);
  if (value < min || value > max) throw outOfRange(name, `>= ${min} && <= ${max}`, value, native);
}

/**
 * validateUint32().
 *
 * @example
 * ```ts
 * validateUint32(-1, 'mode'); // throws ERR_OUT_OF_RANGE: It must be >= 0 && <= 4294967295
 * ```
 */
export function validateUint32(value: unknown, name: string, positive = false): asserts value is number {
  if (typeof value !== 'number') throw invalidArgType(name, 'number', value);
  if (!Number.isInteger(value)) throw outOfRange(name, 'an integer', value);
  const min = positive ? 1 : 0;
  if (value < min || value > 4_294_967_295) throw outOfRange(name, `>= ${min} && <= 4294967295`, value);
}

/**
 * validateInteger().
 *
 * @example
 * ```ts
 * validateInteger('1', 'len'); // throws ERR_INVALID_ARG_TYPE
 * ```
 */
export function validateInteger(value: unknown, name: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): asserts value is number {
  if (typeof value !== 'number') throw invalidArgType(name, 'number', value);
  if (!Number.isInteger(value)) throw outOfRange(name, 'an integer', value);
  if (value < min || value > max) throw outOfRange(name, `>= ${min} && <= ${max}`, value);
}

/**
 * getValidatedFd(): a descriptor is an int32 >= 0 (-0 is 0). `native`: the check the C++ binding
 * makes for close, fstat, fchmod, fchown, fsync, fdatasync, ftruncate and futimes, whose errors
 * have no `[CODE]` in their string.
 *
 * @example
 * ```ts
 * validatedFd(-0); // 0
 * ```
 */
export function validatedFd(fd: unknown, name = 'fd', native = false): number {
  if (Object.is(fd, -0)) return 0;
  validateInt32(fd, name, 0, 2147483647, native);
  return fd;
}

/**
 * GetValidFileMode() of the C++ binding: access(2)'s mode (0..7) or copyFile's flags (0..7).
 *
 * @example
 * ```ts
 * validFileMode(undefined, 0); // 0
 * ```
 */
export function validFileMode(mode: unknown, def: number): number {
  if (mode == null) return def;
  if (typeof mode !== 'number' || !Number.isInteger(mode) || mode < -2147483648 || mode > 2147483647) throw codedError('ERR_INVALID_ARG_TYPE', 'mode must be int32 or null/undefined', TypeError, true);
  if (mode < 0 || mode > 7) throw codedError('ERR_OUT_OF_RANGE', 'mode is out of range: >= 0 && <= 7', RangeError, true);
  return mode;
}

/**
 * @example
 * ```ts
 * validateBoolean(1, 'options.recursive'); // throws ERR_INVALID_ARG_TYPE
 * ```
 */
export function validateBoolean(value: unknown, name: string): asserts value is boolean {
  if (typeof value !== 'boolean') throw invalidArgType(name, 'boolean', value);
}

/**
 * @example
 * ```ts
 * validateFunction(undefined, 'cb'); // throws 'The "cb" argument must be of type function. Received undefined'
 * ```
 */
export function validateFunction(value: unknown, name: string): asserts value is (...a: unknown[]) => unknown {
  if (typeof value !== 'function') throw invalidArgType(name, 'Function', value);
}

/**
 * @example
 * ```ts
 * validateObject([], 'options'); // throws ERR_INVALID_ARG_TYPE
 * ```
 */
export function validateObject(value: unknown, name: string): asserts value is Record<string, unknown> {
  if (value === null || Array.isArray(value) || typeof value !== 'object') throw invalidArgType(name, 'Object', value);
}

/**
 * @example
 * ```ts
 * validateAbortSignal(1, 'options.signal'); // throws ERR_INVALID_ARG_TYPE
 * ```
 */
export function validateAbortSignal(signal: unknown, name: string): void {
  if (signal !== undefined && (signal === null || typeof signal !== 'object' || !('aborted' in signal))) throw invalidArgType(name, 'AbortSignal', signal);
}

/**
 * parseFileMode(): a number, or an octal string; at most 2^32-1 (the kernel keeps the low 12 bits).
 *
 * @example
 * ```ts
 * parseFileMode('755', 'mode'); // 493
 * ```
 */
export function parseFileMode(value: unknown, name: string, def?: number): number {
  value ??= def;
  if (typeof value === 'string') {
    if (!/^[0-7]+$/.test(value)) throw invalidArgValue(name, value, 'must be a 32-bit unsigned integer or an octal string');
    value = Number.parseInt(value, 8);
  }
  validateUint32(value, name);
  return value;
}

const { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_SYNC } = constants;

/** Node's flag strings; each spelling with `x` or `s` also exists with the letter first (`xw`, `sr+`). */
const FLAGS: Record<string, number> = {
  r: O_RDONLY,
  rs: O_RDONLY | O_SYNC,
  'r+': O_RDWR,
  'rs+': O_RDWR | O_SYNC,
  w: O_TRUNC | O_CREAT | O_WRONLY,
  wx: O_TRUNC | O_CREAT | O_WRONLY | O_EXCL,
  'w+': O_TRUNC | O_CREAT | O_RDWR,
  'wx+': O_TRUNC | O_CREAT | O_RDWR | O_EXCL,
  a: O_APPEND | O_CREAT | O_WRONLY,
  ax: O_APPEND | O_CREAT | O_WRONLY | O_EXCL,
  as: O_APPEND | O_CREAT | O_WRONLY | O_SYNC,
  'a+': O_APPEND | O_CREAT | O_RDWR,
  'ax+': O_APPEND | O_CREAT | O_RDWR | O_EXCL,
  'as+': O_APPEND | O_CREAT | O_RDWR | O_SYNC,
};
for (const [k, v] of Object.entries(FLAGS)) if (k.length > 1 && (k[1] === 'x' || k[1] === 's')) FLAGS[`${k[1]}${k[0]}${k.slice(2)}`] = v;

/**
 * stringToFlags(): `'r'`, `'w+'`, `'ax'`, … as open(2) flags; a number is taken as it is.
 *
 * @example
 * ```ts
 * stringToFlags('wx'); // O_TRUNC | O_CREAT | O_WRONLY | O_EXCL
 * ```
 */
export function stringToFlags(flags: unknown, name = 'flags'): number {
  if (typeof flags === 'number') {
    validateInt32(flags, name);
    return flags;
  }
  if (flags == null) return O_RDONLY;
  if (typeof flags === 'string' && Object.hasOwn(FLAGS, flags)) return FLAGS[flags]!;
  throw invalidArgValue('flags', flags);
}

/** assertEncoding(): an encoding Buffer knows, or nothing. */
function assertEncoding(encoding: unknown): void {
  if (encoding && !Buffer.isEncoding(encoding as string)) throw invalidArgValue('encoding', encoding, 'is invalid encoding');
}

/** Options every call may take: an encoding, a signal, and the call's own. */
export type Options = Record<string, unknown> & { encoding?: BufferEncoding | 'buffer' | null; signal?: AbortSignal; flag?: string | number };

/**
 * getOptions(): a string is the encoding; a function or nothing is the defaults; anything but an
 * object is ERR_INVALID_ARG_TYPE.
 *
 * @example
 * ```ts
 * getOptions('utf8', { flag: 'r' }); // { flag: 'r', encoding: 'utf8' }
 * ```
 */
export function getOptions(options: unknown, defaults: Options = {}): Options {
  if (options == null || typeof options === 'function') return defaults;
  let o: Options;
  if (typeof options === 'string') o = { ...defaults, encoding: options as BufferEncoding };
  else if (typeof options !== 'object') throw invalidArgType('options', ['string', 'Object'], options);
  else o = options as Options;
  if (o.encoding !== 'buffer') assertEncoding(o.encoding);
  if (o.signal !== undefined) validateAbortSignal(o.signal, 'options.signal');
  return o;
}

/**
 * toUnixTimestamp(): seconds since the epoch from a number, a numeric string or a Date; a
 * negative number means now (Node's rule).
 *
 * @example
 * ```ts
 * toUnixTimestamp(new Date(1500)); // 1.5
 * ```
 */
export function toUnixTimestamp(time: unknown, name = 'time'): number {
  // eslint-disable-next-line eqeqeq
  if (typeof time === 'string' && +time == (time as unknown as number)) return +time;
  if (typeof time === 'number' && Number.isFinite(time)) return time < 0 ? Date.now() / 1000 : time;
  if (time instanceof Date) return time.getTime() / 1000;
  throw invalidArgType(name, ['Date', 'Time in seconds'], time);
}

/**
 * validatePosition(): an integer >= -1 or a bigint in the int64 range.
 *
 * @example
 * ```ts
 * validatePosition(-2, 'position'); // throws ERR_OUT_OF_RANGE: It must be >= -1 && <= 9007199254740991
 * ```
 */
export function validatePosition(position: unknown, name: string): void {
  if (typeof position === 'number') validateInteger(position, name, -1);
  else if (typeof position === 'bigint') {
    if (!(position >= -(2n ** 63n) && position <= 2n ** 63n - 1n)) throw outOfRange(name, `>= ${-(2n ** 63n)} && <= ${2n ** 63n - 1n}`, position);
  } else throw invalidArgType(name, ['integer', 'bigint'], position);
}

/**
 * validateOffsetLengthRead().
 *
 * @example
 * ```ts
 * validateOffsetLengthRead(0, 5, 4); // throws ERR_OUT_OF_RANGE: It must be <= 4
 * ```
 */
export function validateOffsetLengthRead(offset: number, length: number, bufferLength: number): void {
  if (offset < 0) throw outOfRange('offset', '>= 0', offset);
  if (length < 0) throw outOfRange('length', '>= 0', length);
  if (offset + length > bufferLength) throw outOfRange('length', `<= ${bufferLength - offset}`, length);
}

/**
 * validateOffsetLengthWrite().
 *
 * @example
 * ```ts
 * validateOffsetLengthWrite(5, 0, 4); // throws ERR_OUT_OF_RANGE: It must be <= 4
 * ```
 */
export function validateOffsetLengthWrite(offset: number, length: number, byteLength: number): void {
  if (offset > byteLength) throw outOfRange('offset', `<= ${byteLength}`, offset);
  if (length > byteLength - offset) throw outOfRange('length', `<= ${byteLength - offset}`, length);
  if (length < 0) throw outOfRange('length', '>= 0', length);
  validateInt32(length, 'length', 0);
}

/**
 * validateBufferArray(): an array of ArrayBufferViews.
 *
 * @example
 * ```ts
 * validateBufferArray([Buffer.alloc(1)]); // the array itself
 * ```
 */
export function validateBufferArray(buffers: unknown, name = 'buffers'): ArrayBufferView[] {
  if (!Array.isArray(buffers) || !buffers.every((b) => ArrayBuffer.isView(b))) throw invalidArgType(name, 'ArrayBufferView[]', buffers);
  return buffers as ArrayBufferView[];
}

/**
 * The bytes of what writeFile and write take: a string (in `encoding`) or any ArrayBufferView.
 *
 * @example
 * ```ts
 * dataBytes('6869', 'hex'); // Uint8Array [0x68, 0x69]
 * ```
 */
export function dataBytes(data: unknown, encoding: BufferEncoding | null | undefined, name = 'data'): Uint8Array {
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (typeof data !== 'string') throw invalidArgType(name, ['string', 'Buffer', 'TypedArray', 'DataView'], data);
  return Buffer.from(data, encoding ?? 'utf8');
}

/**
 * A view of any ArrayBufferView's bytes.
 *
 * @example
 * ```ts
 * bytesOf(new Uint16Array([1])); // Uint8Array [1, 0]
 * ```
 */
export function bytesOf(view: ArrayBufferView): Uint8Array {
  return view instanceof Uint8Array ? view : new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}
