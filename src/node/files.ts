/**
 * File contents through descriptors, node:fs's sync forms: openSync, closeSync, readSync,
 * readvSync, writeSync, writevSync, fsyncSync, fdatasyncSync, ftruncateSync, truncateSync,
 * readFileSync, writeFileSync, appendFileSync and copyFileSync (libuv's uv_fs_copyfile, call for
 * call).
 *
 * Each validates its arguments as Node does (validate.ts), then makes the VFS calls Node's binding
 * would make, so that errno, the order of checks and the syscall named in an error are the
 * kernel's and Node's. Descriptors are the Process's own numbers.
 */
import { Buffer } from 'node:buffer';
import { constants } from 'node:fs';
import { SysError } from '../vfs/errno.js';
import { isReg } from '../vfs/inode.js';
import type { Calls } from './context.js';
import { fromSysError, invalidArgType, invalidArgValue } from './errors.js';
import {
  bytesOf,
  dataBytes,
  getOptions,
  parseFileMode,
  stringToFlags,
  validateBoolean,
  validateBufferArray,
  validatedFd,
  validatedPath,
  validateInteger,
  validateObject,
  validateOffsetLengthRead,
  validateOffsetLengthWrite,
  validatePosition,
  validFileMode,
} from './validate.js';

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, COPYFILE_EXCL, COPYFILE_FICLONE_FORCE } = constants;

/** isFd(): a number that is a valid uint32 is a descriptor the caller owns. */
const isFd = (path: unknown): path is number => typeof path === 'number' && path >>> 0 === path;

/** A position argument as the binding reads it: -1 (null, undefined) is the file position. */
function positionOf(position: unknown): number {
  if (typeof position === 'bigint') return Number(position);
  return typeof position === 'number' && position >= 0 ? position : -1;
}

function validateBuffer(buffer: unknown, name = 'buffer'): asserts buffer is ArrayBufferView {
  if (!ArrayBuffer.isView(buffer)) throw invalidArgType(name, ['Buffer', 'TypedArray', 'DataView'], buffer);
}

/**
 * The descriptor calls of node:fs over `c.p`.
 *
 * @example
 * ```ts
 * const f = fileCalls(new Calls(sandbox.process));
 * f.writeFileSync('/a', 'hi');
 * f.readFileSync('/a', 'utf8'); // 'hi'
 * ```
 */
export function fileCalls(c: Calls) {
  const p = c.p;

  /** read(2) or pread(2) of `length` bytes into `buffer` at `offset`. */
  const readInto = (fd: number, buffer: ArrayBufferView, offset: number, length: number, position: number): number => {
    const view = new Uint8Array(buffer.buffer, buffer.byteOffset + offset, length);
    return c.sys('read', undefined, () => (position >= 0 ? p.pread(fd, view, position) : p.read(fd, view)));
  };
  const writeFrom = (fd: number, data: Uint8Array, position: number): number => {
    try {
      return position >= 0 ? p.pwrite(fd, data, position) : p.write(fd, data);
    } catch (e) {
      // writeSync's errors are made from a binding context (errno, syscall, code).
      throw e instanceof SysError ? fromSysError(e, 'write', undefined, undefined, true) : e;
    }
  };

  function openSync(path: unknown, flags?: unknown, mode?: unknown): number {
    const file = validatedPath(path);
    const f = stringToFlags(flags);
    const m = parseFileMode(mode, 'mode', 0o666);
    return c.sys('open', file, () => p.open(file, f, m));
  }

  function closeSync(fd: unknown): void {
    const n = validatedFd(fd, 'fd', true);
    c.sys('close', undefined, () => p.close(n));
  }

  function readSync(fd: unknown, buffer: unknown, offsetOrOptions?: unknown, length?: unknown, position?: unknown): number {
    const n = validatedFd(fd);
    validateBuffer(buffer);
    let offset = offsetOrOptions;
    if (arguments.length <= 3 || typeof offsetOrOptions === 'object') {
      if (offsetOrOptions !== undefined && offsetOrOptions !== null) validateObject(offsetOrOptions, 'options');
      const o = (offsetOrOptions ?? {}) as { offset?: number; length?: number; position?: unknown };
      offset = o.offset ?? 0;
      length = o.length ?? buffer.byteLength - (offset as number);
      position = o.position ?? null;
    }
    if (offset === undefined) offset = 0;
    else validateInteger(offset, 'offset', 0);
    const len = (length as number) | 0;
    if (len === 0) return 0;
    if (buffer.byteLength === 0) throw invalidArgValue('buffer', buffer, 'is empty and cannot be written');
    validateOffsetLengthRead(offset as number, len, buffer.byteLength);
    if (position == null) position = -1;
    validatePosition(position, 'position');
    return readInto(n, buffer, offset as number, len, positionOf(position));
  }

  function readvSync(fd: unknown, buffers: unknown, position?: unknown): number {
    const n = validatedFd(fd);
    const bufs = validateBufferArray(buffers);
    let pos = typeof position === 'number' ? position : -1;
    let total = 0;
    // readv(2)/preadv(2) fill the buffers in order and stop at the end of the file.
    for (const b of bufs) {
      const got = readInto(n, b, 0, b.byteLength, pos);
      total += got;
      if (pos >= 0) pos += got;
      if (got < b.byteLength) break;
    }
    return total;
  }

  function writeSync(fd: unknown, buffer: unknown, offsetOrOptions?: unknown, length?: unknown, position?: unknown): number {
    const n = validatedFd(fd);
    if (ArrayBuffer.isView(buffer)) {
      let offset = offsetOrOptions;
      if (typeof offset === 'object') {
        const o = (offsetOrOptions ?? {}) as { offset?: number; length?: number; position?: unknown };
        offset = o.offset ?? 0;
        length = o.length ?? buffer.byteLength - (offset as number);
        position = o.position ?? null;
      }
      if (position === undefined) position = null;
      if (offset == null) offset = 0;
      else validateInteger(offset, 'offset', 0);
      if (typeof length !== 'number') length = buffer.byteLength - (offset as number);
      validateOffsetLengthWrite(offset as number, length as number, buffer.byteLength);
      const view = new Uint8Array(buffer.buffer, buffer.byteOffset + (offset as number), length as number);
      return writeFrom(n, view, positionOf(position));
    }
    if (typeof buffer !== 'string') throw invalidArgType('buffer', ['string', 'Buffer', 'TypedArray', 'DataView'], buffer);
    // writeSync(fd, string[, position[, encoding]]).
    const encoding = (length ?? 'utf8') as BufferEncoding;
    if (encoding === 'hex' && buffer.length % 2 !== 0) throw invalidArgValue('encoding', length, `is invalid for data of length ${buffer.length}`);
    return writeFrom(n, Buffer.from(buffer, encoding), positionOf(offsetOrOptions));
  }

  function writevSync(fd: unknown, buffers: unknown, position?: unknown): number {
    const n = validatedFd(fd);
    const bufs = validateBufferArray(buffers);
    if (bufs.length === 0) return 0;
    // One writev(2): the buffers land contiguously, as one write.
    const all = Buffer.concat(bufs.map((b) => bytesOf(b)));
    return writeFrom(n, all, typeof position === 'number' ? position : -1);
  }

  /** fsync(2) and fdatasync(2) of a descriptor: nothing to flush, but EBADF is the kernel's. */
  function fsyncSync(fd: unknown): void {
    const n = validatedFd(fd, 'fd', true);
    c.sys('fsync', undefined, () => void p.fstat(n));
  }
  function fdatasyncSync(fd: unknown): void {
    const n = validatedFd(fd, 'fd', true);
    c.sys('fdatasync', undefined, () => void p.fstat(n));
  }

  function ftruncateSync(fd: unknown, len: unknown = 0): void {
    validateInteger(len, 'len');
    const n = validatedFd(fd, 'fd', true);
    const l = Math.max(0, len);
    c.sys('ftruncate', undefined, () => p.ftruncate(n, l));
  }

  function truncateSync(path: unknown, len?: unknown): void {
    if (typeof path === 'number') return ftruncateSync(path, len);
    if (len === undefined) len = 0;
    const fd = openSync(path, 'r+');
    try {
      ftruncateSync(fd, len);
    } finally {
      closeSync(fd);
    }
  }

  function readFileSync(path: unknown, options?: unknown): Buffer | string {
    const o = getOptions(options, { flag: 'r' });
    const userFd = isFd(path);
    const fd = userFd ? path : openSync(path, o.flag, 0o666);
    try {
      const st = c.sys('fstat', undefined, () => p.fstat(fd));
      // The kernel lies about the size of many files; only a regular file's is trusted.
      const size = isReg(st.mode) ? st.size : 0;
      const chunks: Buffer[] = [];
      let total = 0;
      if (size !== 0) {
        const buf = Buffer.allocUnsafe(size);
        let got: number;
        do {
          got = readInto(fd, buf, total, size - total, -1);
          total += got;
        } while (got !== 0 && total < size);
        // The whole buffer when the file was its size (nearly always): no second view of it.
        chunks.push(total === size ? buf : buf.subarray(0, total));
      } else {
        for (;;) {
          const buf = Buffer.allocUnsafe(8192);
          const got = readInto(fd, buf, 0, 8192, -1);
          if (got === 0) break;
          chunks.push(buf.subarray(0, got));
          total += got;
        }
      }
      const data = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
      return o.encoding && o.encoding !== 'buffer' ? data.toString(o.encoding) : data;
    } finally {
      if (!userFd) closeSync(fd);
    }
  }

  function writeFileSync(path: unknown, data: unknown, options?: unknown): void {
    const o = getOptions(options, { encoding: 'utf8', mode: 0o666, flag: 'w', flush: false });
    const flush = o.flush ?? false;
    validateBoolean(flush, 'options.flush');
    const flag = o.flag || 'w';
    // Node validates the path before the data only on its UTF-8 string fast path.
    if (typeof data === 'string' && (o.encoding === 'utf8' || o.encoding === 'utf-8') && !isFd(path)) validatedPath(path);
    const bytes = dataBytes(data, (o.encoding === 'buffer' ? null : o.encoding) as BufferEncoding | null);
    const userFd = isFd(path);
    const fd = userFd ? path : openSync(path, flag, o.mode);
    try {
      let offset = 0;
      while (offset < bytes.byteLength) offset += writeFrom(fd, bytes.subarray(offset), -1);
      if (flush) fsyncSync(fd);
    } finally {
      if (!userFd) closeSync(fd);
    }
  }

  function appendFileSync(path: unknown, data: unknown, options?: unknown): void {
    const o = { ...getOptions(options, { encoding: 'utf8', mode: 0o666, flag: 'a' }) };
    // A descriptor the caller gave is always appended to.
    if (!o.flag || isFd(path)) o.flag = 'a';
    writeFileSync(path, data, o);
  }

  /**
   * uv_fs_copyfile(): open the source, fstat, open (create) the destination with the source's
   * mode, truncate it unless it is the source itself, chown (errors ignored, as
   * `cp -p` does), fchmod, then the bytes; on failure the destination is unlinked.
   */
  function copyFileSync(src: unknown, dest: unknown, mode?: unknown): void {
    const from = validatedPath(src, 'src');
    const to = validatedPath(dest, 'dest');
    const flags = validFileMode(mode, 0);
    c.sys(
      'copyfile',
      from,
      () => {
        const srcfd = p.open(from, O_RDONLY);
        let dstfd = -1;
        let failed = true;
        try {
          const st = p.fstat(srcfd);
          dstfd = p.open(to, O_WRONLY | O_CREAT | (flags & COPYFILE_EXCL ? O_EXCL : 0), st.mode);
          if (!(flags & COPYFILE_EXCL)) {
            const dst = p.fstat(dstfd);
            if (dst.dev === st.dev && dst.ino === st.ino) {
              failed = false;
              return;
            }
            p.ftruncate(dstfd, 0);
          }
          try {
            p.fchown(dstfd, st.uid, st.gid);
          } catch {
            // fchown(2)'s result is ignored by libuv.
          }
          p.fchmod(dstfd, st.mode);
          // ioctl(FICLONE): no filesystem of the VFS shares extents (EOPNOTSUPP, Node's ENOTSUP).
          if (flags & COPYFILE_FICLONE_FORCE) throw new SysError('EOPNOTSUPP');
          const chunk = new Uint8Array(Math.min(Math.max(st.size, 1), 1 << 20));
          for (let off = 0; off < st.size; ) {
            const got = p.pread(srcfd, chunk.subarray(0, Math.min(chunk.length, st.size - off)), off);
            if (got === 0) break;
            for (let w = 0; w < got; ) w += p.write(dstfd, chunk.subarray(w, got));
            off += got;
          }
          failed = false;
        } finally {
          p.close(srcfd);
          if (dstfd >= 0) {
            p.close(dstfd);
            if (failed) {
              try {
                p.unlink(to);
              } catch {
                // The unlink's own failure is not reported: an error already happened.
              }
            }
          }
        }
      },
      to,
    );
  }

  return { openSync, closeSync, readSync, readvSync, writeSync, writevSync, fsyncSync, fdatasyncSync, ftruncateSync, truncateSync, readFileSync, writeFileSync, appendFileSync, copyFileSync };
}

