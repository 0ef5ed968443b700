/**
 * Calls: what every part of the node:fs facade shares — the `Process` its calls go to, the one
 * place a VFS failure becomes Node's error (`sys`), and path arithmetic against the sandbox's cwd
 * (never the host's: `path.resolve` alone would read `process.cwd()`).
 *
 * Invariant: the facade keeps no filesystem state of its own. Descriptors, permissions, mounts
 * and errno are the Process's; a facade call is one or more VFS calls.
 */
import { posix } from 'node:path';
import { SysError } from '../vfs/errno.js';
import type { Process } from '../vfs/process.js';
import { fromSysError } from './errors.js';

export class Calls {
  constructor(readonly p: Process) {}

  /**
   * Runs VFS calls, reporting a `SysError` as node:fs's error for `syscall` on `path` (and
   * `dest`), the names Node would print.
   *
   * @example
   * ```ts
   * calls.sys('scandir', '/d', () => calls.p.getdents(fd)); // EACCES → "EACCES: permission denied, scandir '/d'"
   * ```
   */
  sys<T>(syscall: string, path: string | undefined, fn: () => T, dest?: string): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof SysError) throw fromSysError(e, syscall, path, dest);
      throw e;
    }
  }

  /** The sandbox's cwd (getcwd(2)). */
  cwd(): string {
    return this.sys('uv_cwd', undefined, () => this.p.getcwd());
  }

  /**
   * `path.resolve` against the sandbox's cwd.
   *
   * @example
   * ```ts
   * calls.resolve('a/../b'); // '/cwd/b' when the sandbox's cwd is /cwd
   * ```
   */
  resolve(...paths: string[]): string {
    if (paths.some((x) => posix.isAbsolute(x))) return posix.resolve(...paths);
    return posix.resolve(this.cwd(), ...paths);
  }
}
