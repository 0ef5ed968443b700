/**
 * FileHandle: what `fs.promises.open` gives — a sandbox descriptor with promise methods (read,
 * write, readv, writev, readFile, writeFile, appendFile, stat, truncate, chmod, chown, utimes,
 * sync, datasync, close, streams, readLines). Each method is the sync call of the same name on the
 * handle's descriptor, settled as a promise.
 *
 * Invariant: `fd` is the descriptor until `close()`, then -1; a method of a closed handle rejects
 * with EBADF ("file closed"), as Node's does. An EventEmitter, as Node's is: 'close' is emitted.
 */
import { Buffer } from 'node:buffer';
import { EventEmitter } from 'node:events';
import type { ReadStream, WriteStream } from 'node:fs';
import { createInterface, type Interface } from 'node:readline';

/** The sync calls a FileHandle is made of. */
export interface HandleSync {
  readSync(fd: number, buffer: ArrayBufferView, offset?: unknown, length?: unknown, position?: unknown): number;
  writeSync(fd: number, buffer: unknown, offset?: unknown, length?: unknown, position?: unknown): number;
  readvSync(fd: number, buffers: unknown, position?: unknown): number;
  writevSync(fd: number, buffers: unknown, position?: unknown): number;
  readFileSync(fd: number, options?: unknown): string | Buffer;
  writeFileSync(fd: number, data: unknown, options?: unknown): void;
  appendFileSync(fd: number, data: unknown, options?: unknown): void;
  fstatSync(fd: number, options?: unknown): unknown;
  ftruncateSync(fd: number, len?: unknown): void;
  fchmodSync(fd: number, mode: unknown): void;
  fchownSync(fd: number, uid: unknown, gid: unknown): void;
  futimesSync(fd: number, atime: unknown, mtime: unknown): void;
  fsyncSync(fd: number): void;
  fdatasyncSync(fd: number): void;
  closeSync(fd: number): void;
  createReadStream(path: unknown, options?: unknown): ReadStream;
  createWriteStream(path: unknown, options?: unknown): WriteStream;
}

export class FileHandle extends EventEmitter {
  #fd: number;
  #sync: HandleSync;

  /** @internal Use `fs.promises.open`. */
  constructor(fd: number, sync: HandleSync) {
    super();
    this.#fd = fd;
    this.#sync = sync;
  }

  get fd(): number {
    return this.#fd;
  }

  /** Runs a sync call on the descriptor; a closed handle is EBADF. */
  async #call<T>(name: string, fn: (fd: number) => T): Promise<T> {
    if (this.#fd === -1) {
      const err = new Error('file closed') as NodeJS.ErrnoException;
      err.code = 'EBADF';
      err.syscall = name;
      throw err;
    }
    return fn(this.#fd);
  }

  /** read(buffer, offset, length, position) or read({ buffer, offset, length, position }): { bytesRead, buffer }. */
  read(bufferOrOptions?: unknown, offset?: unknown, length?: unknown, position?: unknown): Promise<{ bytesRead: number; buffer: ArrayBufferView }> {
    return this.#call('read', (fd) => {
      let buffer = bufferOrOptions as ArrayBufferView | undefined;
      if (!ArrayBuffer.isView(bufferOrOptions)) {
        const o = (bufferOrOptions ?? {}) as { buffer?: ArrayBufferView; offset?: number; length?: number; position?: unknown };
        buffer = o.buffer ?? Buffer.alloc(16384);
        offset = o.offset ?? 0;
        length = o.length ?? buffer.byteLength - (offset as number);
        position = o.position ?? null;
      } else if (offset !== null && typeof offset === 'object') {
        const o = offset as { offset?: number; length?: number; position?: unknown };
        offset = o.offset ?? 0;
        length = o.length ?? buffer!.byteLength - (offset as number);
        position = o.position ?? null;
      }
      offset ??= 0;
      length ??= buffer!.byteLength - (offset as number);
      const bytesRead = this.#sync.readSync(fd, buffer!, offset, length, position ?? null);
      return { bytesRead, buffer: buffer! };
    });
  }

  /** write(buffer, offset, length, position) or write(string, position, encoding): { bytesWritten, buffer }. */
  write(buffer: unknown, ...args: unknown[]): Promise<{ bytesWritten: number; buffer: unknown }> {
    return this.#call('write', (fd) => ({ bytesWritten: this.#sync.writeSync(fd, buffer, ...args), buffer }));
  }

  readv(buffers: ArrayBufferView[], position?: number | null): Promise<{ bytesRead: number; buffers: ArrayBufferView[] }> {
    return this.#call('read', (fd) => ({ bytesRead: this.#sync.readvSync(fd, buffers, position), buffers }));
  }

  writev(buffers: ArrayBufferView[], position?: number | null): Promise<{ bytesWritten: number; buffers: ArrayBufferView[] }> {
    return this.#call('write', (fd) => ({ bytesWritten: this.#sync.writevSync(fd, buffers, position), buffers }));
  }

  readFile(options?: unknown): Promise<string | Buffer> {
    return this.#call('read', (fd) => this.#sync.readFileSync(fd, options));
  }

  writeFile(data: unknown, options?: unknown): Promise<void> {
    return this.#call('write', (fd) => this.#sync.writeFileSync(fd, data, options));
  }

  appendFile(data: unknown, options?: unknown): Promise<void> {
    return this.#call('write', (fd) => this.#sync.appendFileSync(fd, data, options));
  }

  stat(options?: unknown): Promise<unknown> {
    return this.#call('fstat', (fd) => this.#sync.fstatSync(fd, options));
  }

  truncate(len?: number): Promise<void> {
    return this.#call('ftruncate', (fd) => this.#sync.ftruncateSync(fd, len));
  }

  chmod(mode: unknown): Promise<void> {
    return this.#call('fchmod', (fd) => this.#sync.fchmodSync(fd, mode));
  }

  chown(uid: unknown, gid: unknown): Promise<void> {
    return this.#call('fchown', (fd) => this.#sync.fchownSync(fd, uid, gid));
  }

  utimes(atime: unknown, mtime: unknown): Promise<void> {
    return this.#call('futime', (fd) => this.#sync.futimesSync(fd, atime, mtime));
  }

  sync(): Promise<void> {
    return this.#call('fsync', (fd) => this.#sync.fsyncSync(fd));
  }

  datasync(): Promise<void> {
    return this.#call('fdatasync', (fd) => this.#sync.fdatasyncSync(fd));
  }

  async close(): Promise<void> {
    if (this.#fd === -1) return;
    const fd = this.#fd;
    this.#fd = -1;
    this.#sync.closeSync(fd);
    this.emit('close');
  }

  /** A ReadStream on this handle's descriptor; it closes the handle when it ends (autoClose). */
  createReadStream(options: Record<string, unknown> = {}): ReadStream {
    const s = this.#sync.createReadStream(null, { ...options, fd: this.#fd, autoClose: false });
    if (options.autoClose !== false) s.once('close', () => void this.close());
    return s;
  }

  createWriteStream(options: Record<string, unknown> = {}): WriteStream {
    const s = this.#sync.createWriteStream(null, { ...options, fd: this.#fd, autoClose: false });
    if (options.autoClose !== false) s.once('close', () => void this.close());
    return s;
  }

  readLines(options: Record<string, unknown> = {}): Interface {
    return createInterface({ input: this.createReadStream(options), crlfDelay: Infinity });
  }
}

// `await using fh = …` (Symbol.asyncDispose exists from Node 20.4 on).
const asyncDispose = (Symbol as { asyncDispose?: symbol }).asyncDispose;
if (asyncDispose) Object.defineProperty(FileHandle.prototype, asyncDispose, { value: FileHandle.prototype.close, configurable: true, writable: true });
