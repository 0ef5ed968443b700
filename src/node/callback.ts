/**
 * node:fs's callback forms, made from the sync ones (DESIGN.md decision 2: async APIs wrap the
 * sync core). The call runs at once; its result or its error reaches the callback on a later
 * turn of the event loop (`setImmediate`), as an I/O completion would. Argument errors (ERR_*)
 * are thrown at the call, as Node throws them, never passed to the callback; a missing callback
 * is ERR_INVALID_ARG_TYPE for "cb".
 *
 * Calls whose callback takes more than one value (read, write, readv, writev, exists) have their
 * own adapters here.
 */
import { Buffer } from 'node:buffer';
import { abortError, isArgumentError } from './errors.js';
import { validateFunction, type Options } from './validate.js';

type Cb = (...args: unknown[]) => void;

/** Runs `fn` now and reports to `cb` later: `cb(err)` on failure, `cb(null)` or `cb(null, value)`. */
function deliver(cb: Cb, fn: () => unknown): void {
  let value: unknown;
  try {
    value = fn();
  } catch (e) {
    if (isArgumentError(e)) throw e;
    setImmediate(cb, e);
    return;
  }
  if (value === undefined) setImmediate(cb, null);
  else setImmediate(cb, null, value);
}

/** The callback: the last argument when it is a function; anything else is ERR_INVALID_ARG_TYPE for "cb". */
function takeCallback(args: unknown[]): Cb {
  const cb = typeof args[args.length - 1] === 'function' ? args.pop() : undefined;
  validateFunction(cb, 'cb');
  return cb as Cb;
}

/** Runs `fn` for a multi-value callback: `cb(err, count || 0, buffers)` even on failure, as Node's wrappers do. */
function deliverCount(cb: Cb, fn: () => number, buffers: unknown): void {
  let n: number;
  try {
    n = fn();
  } catch (e) {
    if (isArgumentError(e)) throw e;
    setImmediate(cb, e, 0, buffers);
    return;
  }
  setImmediate(cb, null, n, buffers);
}

/**
 * The callback form of a sync call.
 *
 * @example
 * ```ts
 * const stat = callbackify(fs.statSync);
 * stat('/etc', (err, st) => console.log(st.isDirectory()));
 * ```
 */
export function callbackify(sync: (...args: never[]) => unknown): (...args: unknown[]) => void {
  return (...args: unknown[]) => {
    const cb = takeCallback(args);
    deliver(cb, () => (sync as (...a: unknown[]) => unknown)(...args));
  };
}

/**
 * readFile/writeFile/appendFile: an aborted `signal` fails before anything runs (AbortError).
 *
 * @example
 * ```ts
 * callbackifyWithSignal(fs.readFileSync, 1)('/a', { signal: AbortSignal.abort() }, (e) => e.name); // 'AbortError'
 * ```
 */
export function callbackifyWithSignal(sync: (...args: never[]) => unknown, optionsAt: number): (...args: unknown[]) => void {
  return (...args: unknown[]) => {
    const cb = takeCallback(args);
    const signal = (args[optionsAt] as Options | undefined)?.signal;
    if (signal?.aborted) {
      // Node calls back at once here, not on a later turn.
      cb(abortError(signal));
      return;
    }
    deliver(cb, () => (sync as (...a: unknown[]) => unknown)(...args));
  };
}

/** The sync calls with multi-value callbacks. */
export interface IoSync {
  readSync(fd: unknown, buffer: unknown, ...rest: unknown[]): number;
  writeSync(fd: unknown, buffer: unknown, ...rest: unknown[]): number;
  readvSync(fd: unknown, buffers: unknown, position?: unknown): number;
  writevSync(fd: unknown, buffers: unknown, position?: unknown): number;
  existsSync(path: unknown): boolean;
}

/**
 * fs.read, fs.write, fs.readv, fs.writev and fs.exists over their sync forms.
 *
 * @example
 * ```ts
 * const { read } = ioCallbacks(sync);
 * read(fd, Buffer.alloc(4), 0, 4, 0, (err, n, buf) => console.log(n, buf));
 * ```
 */
export function ioCallbacks(s: IoSync) {
  /** fs.read(fd, buffer, offset, length, position, cb), fs.read(fd, [options,] cb): cb(err, bytesRead, buffer). */
  function read(fd: unknown, ...args: unknown[]): void {
    const cb = takeCallback(args);
    let buffer = args[0];
    let rest = args.slice(1);
    if (!ArrayBuffer.isView(buffer)) {
      // fs.read(fd[, options], cb): a 16 KiB buffer unless the options give one.
      const o = (buffer ?? {}) as { buffer?: ArrayBufferView; offset?: number; length?: number; position?: unknown };
      buffer = o.buffer ?? Buffer.alloc(16384);
      const b = buffer as ArrayBufferView;
      rest = [o.offset ?? 0, o.length ?? b.byteLength - (o.offset ?? 0), o.position ?? null];
    }
    deliverCount(cb, () => s.readSync(fd, buffer, ...rest), buffer);
  }
  /** fs.write(fd, buffer|string, …, cb): cb(err, bytesWritten, buffer|string). */
  function write(fd: unknown, buffer: unknown, ...args: unknown[]): void {
    const cb = takeCallback(args);
    deliverCount(cb, () => s.writeSync(fd, buffer, ...args), buffer);
  }
  function readv(fd: unknown, buffers: unknown, ...args: unknown[]): void {
    const cb = takeCallback(args);
    deliverCount(cb, () => s.readvSync(fd, buffers, args[0]), buffers);
  }
  function writev(fd: unknown, buffers: unknown, ...args: unknown[]): void {
    const cb = takeCallback(args);
    deliverCount(cb, () => s.writevSync(fd, buffers, args[0]), buffers);
  }
  /** fs.exists(path, cb): cb(boolean), no error argument (DEP0034). */
  function exists(path: unknown, cb: unknown): void {
    validateFunction(cb, 'cb');
    const r = s.existsSync(path);
    setImmediate(cb as Cb, r);
  }
  return { read, write, readv, writev, exists };
}
