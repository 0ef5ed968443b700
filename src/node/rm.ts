/**
 * rmSync: node:fs's tree removal, ported from Node's lib/internal/fs/rimraf.js (itself from the
 * rimraf package) with its option checks (validateRmOptionsSync): lstat first, a directory
 * without `recursive` is ERR_FS_EISDIR, `force` ignores a missing path; then unlink, or rmdir
 * and on ENOTEMPTY/EEXIST/EPERM the children first. The errors are the unlink(2) and rmdir(2)
 * failures of the VFS, named as Node names them.
 *
 * `maxRetries` and `retryDelay` are validated but nothing is retried: the VFS's failures do not
 * change on their own (EBUSY of a mount point stays until something unmounts it).
 */
import { SysError } from '../vfs/errno.js';
import { errnoNumber } from '../vfs/errno.js';
import { isDir } from '../vfs/inode.js';
import type { Calls } from './context.js';
import { fromSysError, systemError } from './errors.js';
import { rmdirOptions } from './names.js';
import { validateBoolean, validatedPath } from './validate.js';

const NOT_EMPTY = new Set(['ENOTEMPTY', 'EEXIST', 'EPERM']);

/**
 * The rm call of node:fs over `c.p`, and the tree removal rmdir's `recursive` shares.
 *
 * @example
 * ```ts
 * rmCalls(calls).rmSync('/tmp/x', { recursive: true, force: true });
 * ```
 */
export function rmCalls(c: Calls) {
  const p = c.p;

  /** rimrafSync(): removes `path` and everything under it; a missing path is success. */
  function rimraf(path: string): void {
    let dir = false;
    try {
      dir = isDir(p.lstat(path).mode);
    } catch (e) {
      if (e instanceof SysError && e.code === 'ENOENT') return;
    }
    try {
      if (dir) rmdirTree(path, null);
      else c.sys('unlink', path, () => p.unlink(path));
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'ENOENT') return;
      // On Linux the EPERM handler is the rmdir path (unlink(2) of a directory is EISDIR).
      if (code === 'EPERM') return rmdirTree(path, e as Error);
      if (code !== 'EISDIR') throw e;
      rmdirTree(path, e as Error);
    }
  }

  /** _rmdirSync(): rmdir, or the children first when it is not empty. */
  function rmdirTree(path: string, originalErr: Error | null): void {
    try {
      p.rmdir(path);
    } catch (e) {
      if (!(e instanceof SysError)) throw e;
      if (e.code === 'ENOENT') return;
      const err = fromSysError(e, 'rmdir', path);
      if (e.code === 'ENOTDIR') throw originalErr ?? err;
      if (!NOT_EMPTY.has(e.code)) throw originalErr ?? err;
      const names = c.sys('scandir', path, () => {
        const fd = p.open(path, 0o200000);
        try {
          const out: string[] = [];
          for (let batch = p.getdents(fd); batch.length > 0; batch = p.getdents(fd)) for (const d of batch) if (d.name !== '.' && d.name !== '..') out.push(d.name);
          return out;
        } finally {
          p.close(fd);
        }
      });
      for (const name of names) rimraf(`${path}/${name}`);
      try {
        p.rmdir(path);
      } catch (e2) {
        if (e2 instanceof SysError && e2.code === 'ENOENT') return;
        throw e2 instanceof SysError ? fromSysError(e2, 'rmdir', path) : e2;
      }
    }
  }

  function rmSync(path: unknown, options?: unknown): void {
    const file = validatedPath(path);
    const o = rmdirOptions(options, { recursive: false, force: false, retryDelay: 100, maxRetries: 0 });
    validateBoolean(o.force, 'options.force');
    if (!o.force || !o.recursive) {
      let dir: boolean | undefined;
      try {
        dir = isDir(p.lstat(file).mode);
      } catch (e) {
        if (!(e instanceof SysError)) throw e;
        if (!(o.force && (e.code === 'ENOENT' || e.code === 'ENOTDIR'))) throw fromSysError(e, 'lstat', file);
      }
      if (dir && !o.recursive) {
        throw systemError('ERR_FS_EISDIR', 'Path is a directory', { code: 'EISDIR', message: 'is a directory', path: file, syscall: 'rm', errno: errnoNumber('EISDIR') }, 'SystemError');
      }
    }
    rimraf(file);
  }

  return { rmSync, rimraf };
}
