/**
 * realpathSync and realpathSync.native over the sandbox. The first is Node's JavaScript
 * realpath (lib/fs.js): it walks the path a component at a time with lstat(2), and for a link
 * stat(2) then readlink(2), so its errors name `lstat`/`stat` and the partial path. The native
 * one is realpath(3), the same walk in glibc, whose error names `realpath` and the path given.
 *
 * Both resolve relative paths against the sandbox's cwd and follow links as the sandbox's tree
 * holds them (absolute targets from the sandbox's root).
 */
import { Buffer } from 'node:buffer';
import { posix } from 'node:path';
import { SysError } from '../vfs/errno.js';
import { isLnk } from '../vfs/inode.js';
import type { Calls } from './context.js';
import { fromSysError } from './errors.js';
import { getOptions, validatedPath, type Options } from './validate.js';

function encodeResult(path: string, o: Options): string | Buffer {
  if (o.encoding === 'buffer') return Buffer.from(path);
  if (!o.encoding || o.encoding === 'utf8' || o.encoding === 'utf-8') return path;
  return Buffer.from(path).toString(o.encoding);
}

/**
 * The realpath calls of node:fs over `c.p`.
 *
 * @example
 * ```ts
 * realpathCalls(calls).realpathSync('/lib/../etc'); // '/etc'
 * ```
 */
export function realpathCalls(c: Calls) {
  const p = c.p;

  /** Node's walk; a failure is reported with the call and the partial path it failed on. */
  function walk(start: string, report: (e: SysError, syscall: string, at: string) => Error): string {
    const step = <T>(syscall: string, at: string, fn: () => T): T => {
      try {
        return fn();
      } catch (e) {
        throw e instanceof SysError ? report(e, syscall, at) : e;
      }
    };
    let path = c.resolve(start);
    const seenLinks = new Map<string, string>();
    const knownHard = new Set<string>();
    let current = '/';
    let base = '/';
    let pos = 1;
    while (pos < path.length) {
      const next = path.indexOf('/', pos);
      const previous = current;
      if (next === -1) {
        const last = path.slice(pos);
        current += last;
        base = previous + last;
        pos = path.length;
      } else {
        current += path.slice(pos, next + 1);
        base = previous + path.slice(pos, next);
        pos = next + 1;
      }
      if (knownHard.has(base)) continue;
      const at = base;
      const st = step('lstat', at, () => p.lstat(at));
      if (!isLnk(st.mode)) {
        knownHard.add(base);
        continue;
      }
      const id = `${st.dev.toString(32)}:${st.ino.toString(32)}`;
      let target = seenLinks.get(id);
      if (target === undefined) {
        step('stat', at, () => p.stat(at));
        target = step('readlink', at, () => p.readlink(at));
      }
      seenLinks.set(id, target);
      const resolved = posix.resolve(previous, target);
      path = posix.resolve(resolved, path.slice(pos));
      current = base = '/';
      pos = 1;
    }
    return path;
  }

  function realpathSync(path: unknown, options?: unknown): string | Buffer {
    const o = getOptions(options);
    // Node's JavaScript realpath stringifies what is neither a string, a Buffer nor a URL.
    let file = path;
    if (typeof file !== 'string' && !(file instanceof URL) && !(file instanceof Uint8Array)) file = `${file as string}`;
    const s = validatedPath(file);
    return encodeResult(
      walk(s, (e, syscall, at) => fromSysError(e, syscall, at)),
      o,
    );
  }

  function realpathNativeSync(path: unknown, options?: unknown): string | Buffer {
    const o = getOptions(options);
    const file = validatedPath(path);
    return encodeResult(
      walk(file, (e) => fromSysError(e, 'realpath', file)),
      o,
    );
  }

  return { realpathSync, realpathNativeSync };
}
