/**
 * Names in directories, node:fs's sync forms: accessSync, existsSync, mkdirSync (with Node's
 * MKDirpSync for `recursive`), mkdtempSync, rmdirSync, unlinkSync, renameSync, linkSync,
 * symlinkSync, readlinkSync and readdirSync (with `withFileTypes`, `recursive` and encodings).
 *
 * Errors name the call as Node does (`scandir` for readdir, `mkdtemp` with the XXXXXX template,
 * `symlink 'target' -> 'path'`); the errno and every check are the VFS's.
 */
import { Buffer } from 'node:buffer';
import { randomInt } from 'node:crypto';
import { constants, type Dirent } from 'node:fs';
import { posix } from 'node:path';
import { SysError } from '../vfs/errno.js';
import { O_DIRECTORY, O_RDONLY } from '../vfs/process.js';
import { isDir, type DirEntry } from '../vfs/inode.js';
import type { Calls } from './context.js';
import { codedError, fromSysError } from './errors.js';
import { toDirent } from './stats.js';
import { getOptions, parseFileMode, validateBoolean, validatedPath, validateObject, validateUint32, validateInt32, validFileMode, type Options } from './validate.js';

const { F_OK } = constants;

/**
 * `entries` in strcmp() order of their names' UTF-8 bytes, as uv_fs_scandir() sorts them. Names
 * without UTF-16 surrogates compare as strings: code-unit order is then code-point order, which
 * UTF-8 keeps; only a directory holding another name pays for encoding, once a name. (A Buffer
 * pair a comparison made a listing of 1,000 names cost about 20,000 Buffers.)
 */
function sortByBytes(entries: DirEntry[]): DirEntry[] {
  if (!entries.some((e) => SURROGATE.test(e.name))) return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const keyed = entries.map((e) => ({ e, key: Buffer.from(e.name) }));
  keyed.sort((a, b) => Buffer.compare(a.key, b.key));
  for (let i = 0; i < keyed.length; i++) entries[i] = keyed[i]!.e;
  return entries;
}
const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * A name as readdir returns it in `encoding` ('buffer' gives a Buffer).
 *
 * @example
 * ```ts
 * encodeName('é', 'buffer'); // <Buffer c3 a9>
 * ```
 */
export function encodeName(name: string, encoding: Options['encoding']): string | Buffer {
  if (encoding === 'buffer') return Buffer.from(name);
  if (!encoding || encoding === 'utf8' || encoding === 'utf-8') return name;
  return Buffer.from(name).toString(encoding);
}

/**
 * validateRmdirOptions(): rmdir's and rm's shared options, over their defaults.
 *
 * @example
 * ```ts
 * rmdirOptions({ recursive: true }, { recursive: false, retryDelay: 100, maxRetries: 0 }).recursive; // true
 * ```
 */
export function rmdirOptions<T extends Record<string, unknown>>(options: unknown, defaults: T): T & { recursive: boolean; retryDelay: number; maxRetries: number } {
  if (options === undefined) return defaults as T & { recursive: boolean; retryDelay: number; maxRetries: number };
  validateObject(options, 'options');
  const o = { ...defaults, ...options } as T & { recursive: boolean; retryDelay: number; maxRetries: number };
  validateBoolean(o.recursive, 'options.recursive');
  validateInt32(o.retryDelay, 'options.retryDelay', 0);
  validateUint32(o.maxRetries, 'options.maxRetries');
  return o;
}

/**
 * The name calls of node:fs over `c.p`; `rimraf` removes a tree (rm.ts), for rmdir's deprecated `recursive`.
 *
 * @example
 * ```ts
 * nameCalls(calls, () => rimraf).readdirSync('/'); // [] in a new sandbox
 * ```
 */
export function nameCalls(c: Calls, rimraf: () => (path: string) => void) {
  const p = c.p;

  function accessSync(path: unknown, mode?: unknown): void {
    const file = validatedPath(path);
    const m = validFileMode(mode, F_OK);
    c.sys('access', file, () => p.access(file, m));
  }

  function existsSync(path: unknown): boolean {
    let file: string;
    try {
      file = validatedPath(path);
    } catch {
      return false;
    }
    try {
      p.access(file, F_OK);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * mkdir(2), or with `recursive` Node's MKDirpSync: parents first, the first directory made is
   * returned; an existing non-directory is EEXIST (ENOTDIR when it is a parent).
   */
  function mkdirSync(path: unknown, options?: unknown): string | undefined {
    let mode: unknown = 0o777;
    let recursive: unknown = false;
    if (typeof options === 'number' || typeof options === 'string') mode = options;
    else if (options) {
      const o = options as { recursive?: unknown; mode?: unknown };
      if (o.recursive !== undefined) recursive = o.recursive;
      if (o.mode !== undefined) mode = o.mode;
    }
    const file = validatedPath(path);
    validateBoolean(recursive, 'options.recursive');
    const m = parseFileMode(mode, 'mode');
    if (!recursive) {
      c.sys('mkdir', file, () => p.mkdir(file, m));
      return undefined;
    }
    return c.sys('mkdir', file, () => mkdirp(file, m));
  }

  function mkdirp(file: string, mode: number): string | undefined {
    const stack = [file];
    let first: string | undefined;
    while (stack.length > 0) {
      const next = stack.pop()!;
      let err: SysError | undefined;
      try {
        p.mkdir(next, mode);
      } catch (e) {
        if (!(e instanceof SysError)) throw e;
        err = e;
      }
      if (!err) {
        first ??= next;
        continue;
      }
      let code = err.code;
      if (code === 'EACCES' || code === 'ENOSPC' || code === 'ENOTDIR' || code === 'EPERM') throw err;
      if (code === 'ENOENT') {
        const cut = next.lastIndexOf('/');
        const dirname = cut < 0 ? next : next.slice(0, cut);
        if (dirname !== next) {
          stack.push(next, dirname);
          continue;
        }
        if (stack.length > 0) continue;
        code = 'EEXIST';
      }
      // Anything else: the name exists; it must be a directory.
      const st = p.stat(next);
      if (!isDir(st.mode)) throw new SysError(code === 'EEXIST' && stack.length > 0 ? 'ENOTDIR' : 'EEXIST');
    }
    return first;
  }

  /**
   * mkdtemp(3): six random letters and digits after the prefix, made 0700; EEXIST tries again.
   * A failure names the template (…XXXXXX), or with `namesTried` (the callback and promise forms,
   * as libuv's request reports it) the name last tried.
   */
  function mkdtemp(prefix: unknown, options: unknown, namesTried: boolean): string | Buffer {
    const o = getOptions(options);
    const pre = validatedPath(prefix, 'prefix');
    const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    for (;;) {
      let name = pre;
      for (let i = 0; i < 6; i++) name += chars[randomInt(chars.length)];
      try {
        p.mkdir(name, 0o700);
        return encodeName(name, o.encoding);
      } catch (e) {
        // libuv reports the name it last tried.
        if (!(e instanceof SysError)) throw e;
        if (e.code !== 'EEXIST') throw fromSysError(e, 'mkdtemp', namesTried ? name : `${pre}XXXXXX`);
      }
    }
  }

  function rmdirSync(path: unknown, options?: unknown): void {
    const file = validatedPath(path);
    if ((options as { recursive?: unknown } | undefined)?.recursive) {
      // DEP0147: rmdir's recursive is rm's tree removal of what is a directory.
      rmdirOptions(options, { recursive: false, retryDelay: 100, maxRetries: 0 });
      const st = c.sys('lstat', file, () => p.lstat(file));
      if (isDir(st.mode)) return rimraf()(file);
    } else rmdirOptions(options, { recursive: false, retryDelay: 100, maxRetries: 0 });
    c.sys('rmdir', file, () => p.rmdir(file));
  }

  function unlinkSync(path: unknown): void {
    const file = validatedPath(path);
    c.sys('unlink', file, () => p.unlink(file));
  }

  function renameSync(oldPath: unknown, newPath: unknown): void {
    const from = validatedPath(oldPath, 'oldPath');
    const to = validatedPath(newPath, 'newPath');
    c.sys('rename', from, () => p.rename(from, to), to);
  }

  function linkSync(existingPath: unknown, newPath: unknown): void {
    const from = validatedPath(existingPath, 'existingPath');
    const to = validatedPath(newPath, 'newPath');
    c.sys('link', from, () => p.link(from, to), to);
  }

  function symlinkSync(target: unknown, path: unknown, type?: unknown): void {
    const t = typeof type === 'string' ? type : null;
    const to = validatedPath(target, 'target');
    const file = validatedPath(path);
    // stringToSymlinkType(): Linux ignores the type, but Node still checks it.
    if (t !== null && t !== 'dir' && t !== 'file' && t !== 'junction') {
      throw codedError('ERR_FS_INVALID_SYMLINK_TYPE', `Symlink type must be one of "dir", "file", or "junction". Received "${t}"`);
    }
    c.sys('symlink', to, () => p.symlink(to, file), file);
  }

  function readlinkSync(path: unknown, options?: unknown): string | Buffer {
    const o = getOptions(options);
    const file = validatedPath(path, 'oldPath');
    return encodeName(
      c.sys('readlink', file, () => p.readlink(file)),
      o.encoding,
    );
  }

  /** uv_fs_scandir(): every entry of a directory but `.` and `..`, sorted by bytes (strcmp). */
  function scandir(file: string): DirEntry[] {
    return c.sys('scandir', file, () => {
      const fd = p.open(file, O_RDONLY | O_DIRECTORY);
      try {
        const out: DirEntry[] = [];
        for (let batch = p.getdents(fd); batch.length > 0; batch = p.getdents(fd)) {
          for (const e of batch) if (e.name !== '.' && e.name !== '..') out.push(e);
        }
        return sortByBytes(out);
      } finally {
        p.close(fd);
      }
    });
  }

  /**
   * readdir(3) of a directory; `recursive` walks breadth first (readdirSyncRecursive), or with
   * `lastFirst` in the promises API's order, a stack (its readdirRecursive). Without file types,
   * a directory is what stat(2), following links, says is one.
   */
  function readdir(path: unknown, options: unknown, lastFirst: boolean): (string | Buffer | Dirent)[] {
    const o = getOptions(options);
    const file = validatedPath(path);
    if (o.recursive != null) validateBoolean(o.recursive, 'options.recursive');
    const withFileTypes = !!o.withFileTypes;
    if (!o.recursive) return scandir(file).map((e) => (withFileTypes ? toDirent(e, file, encodeName(e.name, o.encoding)) : encodeName(e.name, o.encoding)));
    const out: (string | Buffer | Dirent)[] = [];
    const queue = [file];
    for (let i = 0; queue.length > i; ) {
      const dir = lastFirst ? queue.pop()! : queue[i++]!;
      for (const e of scandir(dir)) {
        const child = posix.join(dir, e.name);
        if (withFileTypes) {
          const d = toDirent(e, dir, encodeName(e.name, o.encoding));
          out.push(d);
          if (d.isDirectory()) queue.push(child);
        } else {
          out.push(encodeName(posix.relative(file, child), o.encoding));
          let dirLike = false;
          try {
            dirLike = isDir(p.stat(child).mode);
          } catch {
            // internalModuleStat() answers "no such thing" for any failure.
          }
          if (dirLike) queue.push(child);
        }
      }
    }
    return out;
  }

  const mkdtempSync = (prefix: unknown, options?: unknown) => mkdtemp(prefix, options, false);
  const readdirSync = (path: unknown, options?: unknown) => readdir(path, options, false);
  return { accessSync, existsSync, mkdirSync, mkdtemp, mkdtempSync, rmdirSync, unlinkSync, renameSync, linkSync, symlinkSync, readlinkSync, readdir, readdirSync, scandir };
}


