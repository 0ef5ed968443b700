/**
 * The errors node:fs throws, made from the VFS's: a `SysError` becomes the plain `Error` Node's
 * UVException builds (own keys `errno`, `code`, `syscall`, `path`, `dest` in that order, message
 * `ENOENT: no such file or directory, open '/x'`, `constructor` Error), and bad arguments throw
 * Node's internal `ERR_*` errors (a TypeError or RangeError with an own `code` and a `toString`
 * giving `TypeError [ERR_INVALID_ARG_TYPE]: …`), with Node's message builders
 * (lib/internal/errors.js: determineSpecificType, formatList, addNumericalSeparator).
 *
 * Invariant: every error the facade lets out is one of these shapes; a `SysError` never leaves
 * src/node unconverted (the facade's `sys()` wrapper converts at the boundary).
 */
import { getSystemErrorMap, inspect } from 'node:util';
import { errnoNumber, SysError, type Errno } from '../vfs/errno.js';

/** libuv's (code, message) for each negative errno, as UVException looks them up. */
const UV_MAP = getSystemErrorMap();

/** The fields of a failed call, as the C++ binding hands them to UVException. */
export interface UvContext {
  code: string;
  syscall: string;
  path?: string;
  dest?: string;
  /**
   * Made as lib/internal/errors.js's UVException from a binding context (writeSync): keys in the
   * order errno, syscall, code, and an empty path left out. Otherwise as the C++ binding throws
   * it (errno, code, syscall; an empty path kept).
   */
  fromContext?: boolean;
}

/**
 * Node's UVException: `Error` with `errno` (negative), `code`, `syscall`, and `path`/`dest` when
 * given (an empty path is left out, as Node does).
 *
 * @example
 * ```ts
 * uvError({ code: 'ENOENT', syscall: 'open', path: '/x' }).message; // "ENOENT: no such file or directory, open '/x'"
 * ```
 */
export function uvError(ctx: UvContext): NodeJS.ErrnoException & { dest?: string } {
  const errno = -errnoNumber(ctx.code as Errno);
  // libuv names some numbers differently (95 is ENOTSUP to Node, EOPNOTSUPP to the VFS).
  const [code, uvmsg] = UV_MAP.get(errno) ?? [ctx.code, 'unknown error'];
  const has = (x: string | undefined): x is string => (ctx.fromContext ? !!x : x !== undefined);
  let message = `${code}: ${uvmsg}, ${ctx.syscall}`;
  if (has(ctx.path)) message += ` '${ctx.path}'`;
  if (has(ctx.dest)) message += ` -> '${ctx.dest}'`;
  const e = new Error(message) as NodeJS.ErrnoException & { dest?: string };
  e.errno = errno;
  if (ctx.fromContext) e.syscall = ctx.syscall;
  e.code = code;
  e.syscall = ctx.syscall;
  if (has(ctx.path)) e.path = ctx.path;
  if (has(ctx.dest)) e.dest = ctx.dest;
  return e;
}

/**
 * A VFS error as node:fs reports it. `syscall`, `path` and `dest` name the call as Node does
 * (Node says `scandir` where the VFS says `getdents64`, and keeps the path as the caller gave it).
 *
 * @example
 * ```ts
 * fromSysError(new SysError('EACCES', 'open', '/f'), 'open', 'f').message; // "EACCES: permission denied, open 'f'"
 * ```
 */
export function fromSysError(e: SysError, syscall: string, path?: string, dest?: string, fromContext = false): NodeJS.ErrnoException {
  return uvError({ code: e.code, syscall, path, dest, fromContext });
}


// ---------------------------------------------------------------- Node's internal ERR_* errors

/**
 * A Node internal error: `Base` with `code`; from JavaScript (lib/internal/errors.js) also Node's
 * `toString` and stack head (`TypeError [CODE]: …`), from the C++ binding (`native`) neither.
 */
function nodeError<T extends Error>(Base: new (m: string) => T, code: string, message: string, native = false): T & { code: string } {
  const e = new Base(message) as T & { code: string };
  if (native) {
    e.code = code;
    return e;
  }
  withCodeInName(e, code);
  e.code = code;
  return e;
}

/** Node's `toString` of its internal errors (`TypeError [CODE]: …`), and the same stack head. */
function withCodeInName(e: Error, code: string): void {
  Object.defineProperty(e, 'toString', {
    value(this: Error) {
      return `${this.name} [${code}]: ${this.message}`;
    },
    enumerable: false,
    writable: true,
    configurable: true,
  });
  if (typeof e.stack === 'string') e.stack = e.stack.replace(/^\w+: /, `${e.name} [${code}]: `);
}

const K_TYPES = ['string', 'function', 'number', 'object', 'Function', 'Object', 'boolean', 'bigint', 'symbol'];
const CLASS_RE = /^[A-Z][a-zA-Z0-9]*$/;

function formatList(a: string[], type = 'and'): string {
  if (a.length <= 2) return a.join(` ${type} `);
  return `${a.slice(0, -1).join(', ')}, ${type} ${a[a.length - 1]}`;
}

/**
 * determineSpecificType(): how Node's messages describe a received value.
 *
 * @example
 * ```ts
 * describeReceived('abc'); // "type string ('abc')"
 * ```
 */
export function describeReceived(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  switch (typeof value) {
    case 'bigint':
      return `type bigint (${value}n)`;
    case 'number':
      if (value === 0) return 1 / value === -Infinity ? 'type number (-0)' : 'type number (0)';
      return `type number (${value})`;
    case 'boolean':
      return `type boolean (${value})`;
    case 'symbol':
      return `type symbol (${String(value)})`;
    case 'function':
      return `function ${value.name}`;
    case 'object': {
      const ctor = (value as { constructor?: { name?: string } }).constructor;
      if (ctor && 'name' in ctor) return `an instance of ${ctor.name}`;
      return inspect(value, { depth: -1 });
    }
    case 'string': {
      const s = value.length > 28 ? `${value.slice(0, 25)}...` : value;
      return s.includes("'") ? `type string (${JSON.stringify(s)})` : `type string ('${s}')`;
    }
  }
  return inspect(value);
}

/**
 * ERR_INVALID_ARG_TYPE (TypeError).
 *
 * @example
 * ```ts
 * invalidArgType('path', ['string', 'Buffer', 'URL'], 1).message;
 * // 'The "path" argument must be of type string or an instance of Buffer or URL. Received type number (1)'
 * ```
 */
export function invalidArgType(name: string, expected: string | string[], actual: unknown, native = false): TypeError {
  const list = Array.isArray(expected) ? expected : [expected];
  let msg = 'The ';
  if (name.endsWith(' argument')) msg += `${name} `;
  else msg += `"${name}" ${name.includes('.') ? 'property' : 'argument'} `;
  msg += 'must be ';
  const types: string[] = [];
  const instances: string[] = [];
  const other: string[] = [];
  for (const v of list) {
    if (K_TYPES.includes(v)) types.push(v.toLowerCase());
    else if (CLASS_RE.test(v)) instances.push(v);
    else other.push(v);
  }
  if (instances.length > 0) {
    const pos = types.indexOf('object');
    if (pos !== -1) {
      types.splice(pos, 1);
      instances.push('Object');
    }
  }
  if (types.length > 0) {
    msg += `${types.length > 1 ? 'one of type' : 'of type'} ${formatList(types, 'or')}`;
    if (instances.length > 0 || other.length > 0) msg += ' or ';
  }
  if (instances.length > 0) {
    msg += `an instance of ${formatList(instances, 'or')}`;
    if (other.length > 0) msg += ' or ';
  }
  if (other.length > 0) {
    if (other.length > 1) msg += `one of ${formatList(other, 'or')}`;
    else msg += `${other[0]!.toLowerCase() !== other[0] ? 'an ' : ''}${other[0]}`;
  }
  msg += `. Received ${describeReceived(actual)}`;
  return nodeError(TypeError, 'ERR_INVALID_ARG_TYPE', msg, native);
}

function addNumericalSeparator(val: string): string {
  let res = '';
  let i = val.length;
  const start = val[0] === '-' ? 1 : 0;
  for (; i >= start + 4; i -= 3) res = `_${val.slice(i - 3, i)}${res}`;
  return `${val.slice(0, i)}${res}`;
}

/**
 * ERR_OUT_OF_RANGE (RangeError).
 *
 * @example
 * ```ts
 * outOfRange('fd', '>= 0 && <= 2147483647', -1).message;
 * // 'The value of "fd" is out of range. It must be >= 0 && <= 2147483647. Received -1'
 * ```
 */
export function outOfRange(name: string, range: string, input: unknown, native = false): RangeError {
  let received: string;
  if (Number.isInteger(input) && Math.abs(input as number) > 2 ** 32) received = addNumericalSeparator(String(input));
  else if (typeof input === 'bigint') {
    received = String(input);
    if (input > 2n ** 32n || input < -(2n ** 32n)) received = addNumericalSeparator(received);
    received += 'n';
  } else received = inspect(input);
  return nodeError(RangeError, 'ERR_OUT_OF_RANGE', `The value of "${name}" is out of range. It must be ${range}. Received ${received}`, native);
}

/**
 * ERR_INVALID_ARG_VALUE (TypeError, or RangeError where Node raises that one).
 *
 * @example
 * ```ts
 * invalidArgValue('flags', 'q').message; // "The argument 'flags' is invalid. Received 'q'"
 * ```
 */
export function invalidArgValue(name: string, value: unknown, reason = 'is invalid', Base: new (m: string) => Error = TypeError): Error {
  let inspected = inspect(value);
  if (inspected.length > 128) inspected = `${inspected.slice(0, 128)}...`;
  return nodeError(Base, 'ERR_INVALID_ARG_VALUE', `The ${name.includes('.') ? 'property' : 'argument'} '${name}' ${reason}. Received ${inspected}`);
}

/**
 * An ERR_* error with a fixed message: ERR_DIR_CLOSED, ERR_METHOD_NOT_IMPLEMENTED, … (`native`: as the C++ binding throws it).
 *
 * @example
 * ```ts
 * codedError('ERR_DIR_CLOSED', 'Directory handle was closed').code; // 'ERR_DIR_CLOSED'
 * ```
 */
export function codedError(code: string, message: string, Base: new (m: string) => Error = Error, native = false): Error {
  return nodeError(Base, code, message, native);
}

/** Node's SystemError base class, and NodeError, the class each SystemError code makes of it. */
class SystemError extends Error {}
class NodeError extends SystemError {}

/** What a SystemError (ERR_FS_EISDIR, ERR_FS_CP_*) reports: the errno name, its words, the call. */
export interface SystemErrorContext {
  code: string;
  message: string;
  path?: string;
  dest?: string;
  syscall: string;
  errno: number;
}

/**
 * Node's SystemError: `name` 'SystemError', `code` the ERR_* key, `info` the context, message
 * `<prefix>: <syscall> returned <CODE> (<message>) <path>`.
 *
 * @example
 * ```ts
 * systemError('ERR_FS_EISDIR', 'Path is a directory', { code: 'EISDIR', message: 'is a directory', path: '/d', syscall: 'rm', errno: 21 }).message;
 * // 'Path is a directory: rm returned EISDIR (is a directory) /d'
 * ```
 */
export function systemError(key: string, prefix: string, context: SystemErrorContext, ctor: 'NodeError' | 'SystemError' = 'NodeError'): Error {
  let message = `${prefix}: ${context.syscall} returned ${context.code} (${context.message})`;
  if (context.path !== undefined) message += ` ${context.path}`;
  if (context.dest !== undefined) message += ` => ${context.dest}`;
  // ERR_FS_EISDIR raised where Node hides stack frames (rm's option check) is a bare SystemError.
  const e = (ctor === 'NodeError' ? new NodeError(message) : new SystemError(message)) as Error & { code: string };
  Object.defineProperty(e, 'name', { value: 'SystemError', enumerable: false, writable: true, configurable: true });
  e.code = key;
  Object.defineProperty(e, 'info', { value: context, enumerable: true, configurable: true, writable: false });
  const accessor = (k: 'errno' | 'syscall' | 'path' | 'dest') =>
    Object.defineProperty(e, k, {
      get: () => context[k],
      set: (v) => {
        (context as unknown as Record<string, unknown>)[k] = v;
      },
      enumerable: true,
      configurable: true,
    });
  accessor('errno');
  accessor('syscall');
  if (context.path !== undefined) accessor('path');
  if (context.dest !== undefined) accessor('dest');
  withCodeInName(e, key);
  return e;
}

/**
 * Node's AbortError (`name` AbortError, `code` ABORT_ERR), what an aborted readFile/writeFile
 * gives, with the signal's reason as `cause`.
 *
 * @example
 * ```ts
 * abortError(AbortSignal.abort()).message; // 'The operation was aborted'
 * ```
 */
export function abortError(signal?: AbortSignal): Error {
  const e = new AbortError('The operation was aborted', signal ? { cause: signal.reason } : undefined) as Error & { code: string };
  e.code = 'ABORT_ERR';
  e.name = 'AbortError';
  return e;
}
class AbortError extends Error {}

/**
 * Whether `e` is an argument error, which Node throws at the call rather than passing to a callback.
 *
 * @example
 * ```ts
 * isArgumentError(invalidArgType('fd', 'number', 'x')); // true
 * ```
 */
export function isArgumentError(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_') && !code.startsWith('ERR_FS_') && code !== 'ERR_DIR_CLOSED';
}
