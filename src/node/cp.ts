/**
 * fs.cp / fs.cpSync / fs.promises.cp: Node's recursive copy (lib/internal/fs/cp/cp-sync.js and
 * cp.js, themselves fs-extra's copy), over the facade's own sync calls so that every check and
 * errno is the VFS's. Its own refusals are Node's SystemErrors (ERR_FS_CP_EINVAL,
 * ERR_FS_CP_DIR_TO_NON_DIR, ERR_FS_EISDIR, …) with Node's messages.
 *
 * The copy is written once as a generator that yields each `filter` result: the sync driver
 * refuses a Promise (ERR_INVALID_RETURN_VALUE, as cpSync does), the async driver awaits it. Paths
 * resolve against the sandbox's cwd.
 */
import type { BigIntStats, Stats } from 'node:fs';
import { posix } from 'node:path';
import { errnoNumber } from '../vfs/errno.js';
import type { Calls } from './context.js';
import { codedError, describeReceived, systemError } from './errors.js';
import { validateBoolean, validatedPath, validateFunction, validateInteger, validateObject } from './validate.js';

/** The sync calls the copy is made of. */
export interface CpDeps {
  statSync(p: string, o?: { bigint?: boolean; throwIfNoEntry?: boolean }): Stats | BigIntStats | undefined;
  lstatSync(p: string, o?: { bigint?: boolean; throwIfNoEntry?: boolean }): Stats | BigIntStats | undefined;
  copyFileSync(src: string, dest: string, mode?: number): void;
  chmodSync(p: string, mode: number): void;
  utimesSync(p: string, atime: Date, mtime: Date): void;
  mkdirSync(p: string, o?: { recursive?: boolean }): string | undefined;
  existsSync(p: string): boolean;
  readlinkSync(p: string): string | Buffer;
  symlinkSync(target: string, p: string): void;
  unlinkSync(p: string): void;
  scandir(p: string): { name: string }[];
}

/** cp's options after validateCpOptions(). */
export interface CpOptions {
  dereference: boolean;
  errorOnExist: boolean;
  filter?: (src: string, dest: string) => boolean | Promise<boolean>;
  force: boolean;
  preserveTimestamps: boolean;
  recursive: boolean;
  verbatimSymlinks: boolean;
  mode: number;
}

/**
 * validateCpOptions().
 *
 * @example
 * ```ts
 * cpOptions({ recursive: true }).force; // true
 * ```
 */
export function cpOptions(options: unknown): CpOptions {
  const defaults = { dereference: false, errorOnExist: false, filter: undefined, force: true, preserveTimestamps: false, recursive: false, verbatimSymlinks: false };
  if (options !== undefined) validateObject(options, 'options');
  const o = { ...defaults, ...(options as object) } as CpOptions & { mode?: unknown };
  for (const k of ['dereference', 'errorOnExist', 'force', 'preserveTimestamps', 'recursive', 'verbatimSymlinks'] as const) validateBoolean(o[k], `options.${k}`);
  if (o.mode == null) o.mode = 0;
  else validateInteger(o.mode, 'mode', 0, 7);
  if (o.dereference && o.verbatimSymlinks) {
    throw codedError('ERR_INCOMPATIBLE_OPTION_PAIR', 'Option "dereference" cannot be used in combination with option "verbatimSymlinks"', TypeError);
  }
  if (o.filter !== undefined) validateFunction(o.filter, 'options.filter');
  return o as CpOptions;
}

type Step = Generator<unknown, void, boolean>;

const cpError = (key: string, prefix: string, message: string, path: string, code: 'EINVAL' | 'EISDIR' | 'ENOTDIR' | 'EEXIST', errno = code): Error =>
  systemError(key, prefix, { message, path, syscall: 'cp', errno: errnoNumber(errno), code });

/** The copy of `src` to `dest` over `d`; `isAsync` picks the errno of ERR_FS_EISDIR (Node's two copies differ). */
function* copySteps(c: Calls, d: CpDeps, src: string, dest: string, o: CpOptions, isAsync: boolean): Step {
  const split = (x: string): string[] => c.resolve(x).split('/').filter(Boolean);
  const isSrcSubdir = (a: string, b: string): boolean => {
    const bb = split(b);
    return split(a).every((cur, i) => bb[i] === cur);
  };
  const identical = (a: BigIntStats, b: BigIntStats): boolean => !!b.ino && !!b.dev && a.ino === b.ino && a.dev === b.dev;
  const statFn = (x: string, throwIfNoEntry = true) => (o.dereference ? d.statSync : d.lstatSync)(x, { bigint: true, throwIfNoEntry }) as BigIntStats | undefined;
  const invalid = (message: string, path: string) => cpError('ERR_FS_CP_EINVAL', 'Invalid src or dest', message, path, 'EINVAL');

  function* checkPaths(s: string, t: string): Generator<unknown, { srcStat?: BigIntStats; destStat?: BigIntStats; skipped: boolean }, boolean> {
    if (o.filter && !(yield o.filter(s, t))) return { skipped: true };
    const srcStat = statFn(s)!;
    const destStat = statFn(t, false);
    if (destStat) {
      if (identical(srcStat, destStat)) throw invalid('src and dest cannot be the same', t);
      if (srcStat.isDirectory() && !destStat.isDirectory()) {
        throw cpError('ERR_FS_CP_DIR_TO_NON_DIR', 'Cannot overwrite non-directory with directory', `cannot overwrite non-directory ${t} with directory ${s}`, t, 'EISDIR');
      }
      if (!srcStat.isDirectory() && destStat.isDirectory()) {
        throw cpError('ERR_FS_CP_NON_DIR_TO_DIR', 'Cannot overwrite directory with non-directory', `cannot overwrite directory ${t} with non-directory ${s}`, t, 'ENOTDIR');
      }
    }
    if (srcStat.isDirectory() && isSrcSubdir(s, t)) throw invalid(`cannot copy ${s} to a subdirectory of self ${t}`, t);
    return { srcStat, destStat, skipped: false };
  }

  function checkParentPaths(srcStat: BigIntStats, t: string): void {
    const srcParent = c.resolve(posix.dirname(src));
    const destParent = c.resolve(posix.dirname(t));
    if (destParent === srcParent || destParent === '/') return;
    const st = d.statSync(destParent, { bigint: true, throwIfNoEntry: false }) as BigIntStats | undefined;
    if (st === undefined) return;
    if (identical(srcStat, st)) throw invalid(`cannot copy ${src} to a subdirectory of self ${dest}`, dest);
    checkParentPaths(srcStat, destParent);
  }

  function copyFile(srcMode: bigint, s: string, t: string): void {
    d.copyFileSync(s, t, o.mode);
    const mode = Number(srcMode);
    if (o.preserveTimestamps) {
      // A file without the owner's write bit is made writable before its times are set.
      if ((mode & 0o200) === 0) d.chmodSync(t, mode | 0o200);
      const st = d.statSync(s) as Stats;
      d.utimesSync(t, st.atime, st.mtime);
    }
    d.chmodSync(t, mode);
  }

  function onLink(destStat: BigIntStats | undefined, s: string, t: string): void {
    let resolvedSrc = String(d.readlinkSync(s));
    if (!o.verbatimSymlinks && !posix.isAbsolute(resolvedSrc)) resolvedSrc = c.resolve(posix.dirname(s), resolvedSrc);
    if (!destStat) return d.symlinkSync(resolvedSrc, t);
    let resolvedDest: string;
    try {
      resolvedDest = String(d.readlinkSync(t));
    } catch (e) {
      if ((e as { code?: string }).code === 'EINVAL') return d.symlinkSync(resolvedSrc, t);
      throw e;
    }
    if (!posix.isAbsolute(resolvedDest)) resolvedDest = c.resolve(posix.dirname(t), resolvedDest);
    if (isSrcSubdir(resolvedSrc, resolvedDest)) throw invalid(`cannot copy ${resolvedSrc} to a subdirectory of self ${resolvedDest}`, t);
    if ((d.statSync(t) as Stats).isDirectory() && isSrcSubdir(resolvedDest, resolvedSrc)) {
      throw cpError('ERR_FS_CP_SYMLINK_TO_SUBDIRECTORY', 'Cannot overwrite symlink in subdirectory of self', `cannot overwrite ${resolvedDest} with ${resolvedSrc}`, t, 'EINVAL');
    }
    d.unlinkSync(t);
    d.symlinkSync(resolvedSrc, t);
  }

  function* getStats(destStat: BigIntStats | undefined, s: string, t: string): Step {
    const srcStat = statFn(s)!;
    if (srcStat.isDirectory() && o.recursive) {
      if (!destStat) d.mkdirSync(t);
      for (const { name } of d.scandir(s)) {
        const si = posix.join(s, name);
        const ti = posix.join(t, name);
        const r = yield* checkPaths(si, ti);
        if (!r.skipped) yield* getStats(r.destStat, si, ti);
      }
      if (!destStat) d.chmodSync(t, Number(srcStat.mode));
    } else if (srcStat.isDirectory()) {
      throw cpError('ERR_FS_EISDIR', 'Path is a directory', `${s} is a directory (not copied)`, s, 'EISDIR', isAsync ? 'EISDIR' : 'EINVAL');
    } else if (srcStat.isFile() || srcStat.isCharacterDevice() || srcStat.isBlockDevice()) {
      if (!destStat) copyFile(srcStat.mode, s, t);
      else if (o.force) {
        d.unlinkSync(t);
        copyFile(srcStat.mode, s, t);
      } else if (o.errorOnExist) throw cpError('ERR_FS_CP_EEXIST', 'Target already exists', `${t} already exists`, t, 'EEXIST');
    } else if (srcStat.isSymbolicLink()) onLink(destStat, s, t);
    else if (srcStat.isSocket()) throw cpError('ERR_FS_CP_SOCKET', 'Cannot copy a socket file', `cannot copy a socket file: ${t}`, t, 'EINVAL');
    else if (srcStat.isFIFO()) throw cpError('ERR_FS_CP_FIFO_PIPE', 'Cannot copy a FIFO pipe', `cannot copy a FIFO pipe: ${t}`, t, 'EINVAL');
    else throw cpError('ERR_FS_CP_UNKNOWN', 'Cannot copy an unknown file type', `cannot copy an unknown file type: ${t}`, t, 'EINVAL');
  }

  const r = yield* checkPaths(src, dest);
  if (r.skipped) return;
  checkParentPaths(r.srcStat!, dest);
  const destParent = posix.dirname(dest);
  if (!d.existsSync(destParent)) d.mkdirSync(destParent, { recursive: true });
  yield* getStats(r.destStat, src, dest);
}

/**
 * The cp calls of node:fs over `c` and the sync calls `d`.
 *
 * @example
 * ```ts
 * const { cpSync } = cpCalls(calls, sync);
 * cpSync('/src', '/dst', { recursive: true });
 * ```
 */
export function cpCalls(c: Calls, d: CpDeps) {
  function args(src: unknown, dest: unknown, options: unknown): [string, string, CpOptions] {
    const o = cpOptions(options);
    return [validatedPath(src, 'src'), validatedPath(dest, 'dest'), o];
  }

  function cpSync(src: unknown, dest: unknown, options?: unknown): void {
    const [s, t, o] = args(src, dest, options);
    const gen = copySteps(c, d, s, t, o, false);
    for (let step = gen.next(); !step.done; ) {
      const v = step.value;
      if (v instanceof Promise) {
        throw codedError('ERR_INVALID_RETURN_VALUE', `Expected boolean to be returned from the "filter" function but got ${describeReceived(v)}.`, TypeError);
      }
      step = gen.next(Boolean(v));
    }
  }

  async function cpAsync(src: unknown, dest: unknown, options?: unknown): Promise<void> {
    const [s, t, o] = args(src, dest, options);
    const gen = copySteps(c, d, s, t, o, true);
    for (let step = gen.next(); !step.done; ) step = gen.next(Boolean(await step.value));
  }

  return { cpSync, cpAsync };
}
