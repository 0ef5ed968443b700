/**
 * `fs.promises` (and `fs/promises`) over the sync calls: each function is the sync call settled
 * as a promise, so argument errors reject rather than throw, as Node's async functions do. The
 * differences from the sync forms are Node's own: `open` gives a FileHandle, `readFile`,
 * `writeFile` and `appendFile` take one (and an AbortSignal; `writeFile` also an iterable),
 * `realpath` is realpath(3) (`realpath.native`), `cp` awaits an async `filter`, and `lchmod`
 * exists but is ERR_METHOD_NOT_IMPLEMENTED on Linux.
 */
import { Buffer } from 'node:buffer';
import { constants } from 'node:fs';
import type { Dir } from './dir.js';
import { abortError, codedError } from './errors.js';
import { FileHandle, type HandleSync } from './file-handle.js';
import { getOptions, validateAbortSignal } from './validate.js';

/** The sync calls the promises API is made of. */
export interface PromisesSync extends HandleSync {
  [name: string]: unknown;
  openSync(path: unknown, flags?: unknown, mode?: unknown): number;
  opendirSync(path: unknown, options?: unknown): Dir;
  realpathNativeSync(path: unknown, options?: unknown): string | Buffer;
}

type AnyFn = (...args: unknown[]) => unknown;

const isIterable = (d: unknown): d is Iterable<unknown> | AsyncIterable<unknown> =>
  d !== null && typeof d === 'object' && !ArrayBuffer.isView(d) && (Symbol.iterator in d || Symbol.asyncIterator in d);

/** checkAborted(): an aborted signal rejects with AbortError before anything runs. */
function checkAborted(options: unknown): void {
  if (options === null || typeof options !== 'object') return;
  const signal = (options as { signal?: AbortSignal }).signal;
  validateAbortSignal(signal, 'options.signal');
  if (signal?.aborted) throw abortError(signal);
}

/**
 * The promises API over sync calls `s`.
 *
 * @example
 * ```ts
 * const fsp = promisesApi(sync);
 * await fsp.writeFile('/a', 'hi');
 * const fh = await fsp.open('/a');
 * (await fh.read(Buffer.alloc(2), 0, 2, 0)).bytesRead; // 2
 * await fh.close();
 * ```
 */
export function promisesApi(s: PromisesSync, cpAsync: AnyFn) {
  const wrap =
    (name: string) =>
    async (...args: unknown[]): Promise<unknown> =>
      (s[`${name}Sync`] as AnyFn)(...args);
  const api: Record<string, unknown> = {};
  for (const name of ['access', 'chmod', 'chown', 'copyFile', 'lchown', 'lutimes', 'link', 'lstat', 'mkdir', 'mkdtemp', 'readdir', 'readlink', 'rename', 'rm', 'rmdir', 'stat', 'statfs', 'symlink', 'truncate', 'unlink', 'utimes']) {
    api[name] = wrap(name);
  }
  /** A FileHandle's descriptor, or the path itself. */
  const target = (p: unknown): unknown => (p instanceof FileHandle ? p.fd : p);

  async function open(path: unknown, flags?: unknown, mode?: unknown): Promise<FileHandle> {
    return new FileHandle(s.openSync(path, flags, mode), s);
  }
  async function opendir(path: unknown, options?: unknown): Promise<Dir> {
    return s.opendirSync(path, options);
  }
  async function realpath(path: unknown, options?: unknown): Promise<string | Buffer> {
    return s.realpathNativeSync(path, options);
  }
  async function readFile(path: unknown, options?: unknown): Promise<string | Buffer> {
    checkAborted(options);
    return s.readFileSync(target(path) as number, options);
  }
  /** The data to write: bytes or text as they are, an iterable's chunks gathered. */
  async function gather(data: unknown, options: unknown): Promise<unknown> {
    if (!isIterable(data)) return data;
    const o = getOptions(options, { encoding: 'utf8' });
    const parts: Buffer[] = [];
    for await (const chunk of data as AsyncIterable<unknown>) {
      parts.push(typeof chunk === 'string' ? Buffer.from(chunk, (o.encoding === 'buffer' ? 'utf8' : o.encoding) ?? 'utf8') : Buffer.from(chunk as Uint8Array));
      checkAborted(options);
    }
    return Buffer.concat(parts);
  }
  async function writeFile(path: unknown, data: unknown, options?: unknown): Promise<void> {
    checkAborted(options);
    s.writeFileSync(target(path) as number, await gather(data, options), options);
  }
  async function appendFile(path: unknown, data: unknown, options?: unknown): Promise<void> {
    checkAborted(options);
    s.appendFileSync(target(path) as number, await gather(data, options), options);
  }
  async function lchmod(): Promise<void> {
    // O_SYMLINK does not exist on Linux.
    throw codedError('ERR_METHOD_NOT_IMPLEMENTED', 'The lchmod() method is not implemented');
  }

  return { ...api, open, opendir, realpath, readFile, writeFile, appendFile, lchmod, cp: cpAsync, constants };
}
