/**
 * Dir: node:fs's directory stream (`fs.opendir`, `fs.opendirSync`, `fs.promises.opendir`) over a
 * directory descriptor of the sandbox. Entries are read with getdents(2) when the buffer runs
 * dry, `.` and `..` left out, each a node:fs `Dirent` whose `parentPath` is the directory's path;
 * `recursive` reads a subdirectory when its entry is handed out, as Node does.
 *
 * Invariant: the descriptor is open until `close`/`closeSync`; after that every call is
 * ERR_DIR_CLOSED. `Dir.prototype` inherits from node:fs's `Dir.prototype`, so `instanceof
 * fs.Dir` holds, and every method Node's has is overridden here.
 */
import * as nodeFs from 'node:fs';
import { posix } from 'node:path';
import { O_DIRECTORY, O_RDONLY } from '../vfs/process.js';
import type { Calls } from './context.js';
import { codedError } from './errors.js';
import { encodeName } from './names.js';
import { toDirent } from './stats.js';
import { getOptions, validateFunction, validateUint32, type Options } from './validate.js';

type Callback<T> = (err: Error | null, value?: T) => void;
type DirOptions = Options & { bufferSize: number; recursive?: boolean };

export class Dir {
  #calls: Calls;
  #fd: number;
  #path: string;
  #options: DirOptions;
  #buffered: nodeFs.Dirent[] = [];
  #closed = false;

  /** @internal Use `opendirSync`. */
  constructor(calls: Calls, fd: number, path: string, options: unknown) {
    this.#calls = calls;
    this.#fd = fd;
    this.#path = path;
    this.#options = { bufferSize: 32, ...getOptions(options, { encoding: 'utf8' }) } as DirOptions;
    validateUint32(this.#options.bufferSize, 'options.bufferSize', true);
  }

  get path(): string {
    return this.#path;
  }

  /** The entries of directory `path` read through `fd`, as Dirents. */
  #readEntries(fd: number, path: string): nodeFs.Dirent[] {
    const c = this.#calls;
    const entries = c.sys('scandir', path, () => c.p.getdents(fd));
    return entries.filter((e) => e.name !== '.' && e.name !== '..').map((e) => toDirent(e, path, encodeName(e.name, this.#options.encoding)));
  }

  /** readSyncRecursive(): a subdirectory's entries join the buffer when its own entry is handed out. */
  #descend(d: nodeFs.Dirent): void {
    if (!this.#options.recursive || !d.isDirectory()) return;
    const c = this.#calls;
    const path = posix.join(d.parentPath, String(d.name));
    const fd = c.sys('opendir', undefined, () => c.p.open(path, O_RDONLY | O_DIRECTORY));
    try {
      for (let batch = this.#readEntries(fd, path); batch.length > 0; batch = this.#readEntries(fd, path)) this.#buffered.push(...batch);
    } finally {
      c.p.close(fd);
    }
  }

  readSync(): nodeFs.Dirent | null {
    if (this.#closed) throw codedError('ERR_DIR_CLOSED', 'Directory handle was closed');
    if (this.#buffered.length === 0) this.#buffered = this.#readEntries(this.#fd, this.#path);
    const d = this.#buffered.shift();
    if (!d) return null;
    this.#descend(d);
    return d;
  }

  read(): Promise<nodeFs.Dirent | null>;
  read(cb: Callback<nodeFs.Dirent | null>): void;
  read(cb?: Callback<nodeFs.Dirent | null>): Promise<nodeFs.Dirent | null> | void {
    if (this.#closed) throw codedError('ERR_DIR_CLOSED', 'Directory handle was closed');
    if (cb === undefined) return new Promise((resolve, reject) => this.read((e, d) => (e ? reject(e) : resolve(d ?? null))));
    validateFunction(cb, 'callback');
    let result: nodeFs.Dirent | null;
    try {
      result = this.readSync();
    } catch (e) {
      process.nextTick(cb, e as Error);
      return;
    }
    process.nextTick(cb, null, result);
  }

  closeSync(): void {
    if (this.#closed) throw codedError('ERR_DIR_CLOSED', 'Directory handle was closed');
    this.#closed = true;
    this.#calls.sys('closedir', undefined, () => this.#calls.p.close(this.#fd));
  }

  close(): Promise<void>;
  close(cb: (err: Error | null) => void): void;
  close(cb?: (err: Error | null) => void): Promise<void> | void {
    if (cb === undefined) {
      if (this.#closed) return Promise.reject(codedError('ERR_DIR_CLOSED', 'Directory handle was closed'));
      return new Promise((resolve, reject) => this.close((e) => (e ? reject(e) : resolve())));
    }
    validateFunction(cb, 'callback');
    if (this.#closed) {
      process.nextTick(cb, codedError('ERR_DIR_CLOSED', 'Directory handle was closed'));
      return;
    }
    try {
      this.closeSync();
    } catch (e) {
      process.nextTick(cb, e as Error);
      return;
    }
    process.nextTick(cb, null);
  }

  async *entries(): AsyncGenerator<nodeFs.Dirent> {
    try {
      for (;;) {
        const d = await this.read();
        if (d === null) break;
        yield d;
      }
    } finally {
      if (!this.#closed) await this.close();
    }
  }

  [Symbol.asyncIterator](): AsyncGenerator<nodeFs.Dirent> {
    return this.entries();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#closed) await this.close();
  }
}
Object.setPrototypeOf(Dir.prototype, nodeFs.Dir.prototype);

/**
 * opendir(3) in the sandbox: a `Dir` on a new directory descriptor.
 *
 * @example
 * ```ts
 * const dir = opendirSync(calls, '/etc');
 * for (let d = dir.readSync(); d; d = dir.readSync()) console.log(d.name);
 * dir.closeSync();
 * ```
 */
export function opendir(calls: Calls, path: string, options: unknown): Dir {
  getOptions(options, { encoding: 'utf8' });
  // The binding's opendir error names no path.
  const fd = calls.sys('opendir', undefined, () => calls.p.open(path, O_RDONLY | O_DIRECTORY));
  try {
    return new Dir(calls, fd, path, options);
  } catch (e) {
    calls.p.close(fd);
    throw e;
  }
}
