/**
 * createFs(process): the node:fs API over a sandbox `Process`, in its three forms — sync,
 * callback and `promises` — plus `createReadStream`/`createWriteStream` (node:fs's own stream
 * classes, given this API as their `fs` option), `constants`, and the classes `Stats`, `Dirent`,
 * `Dir`, `ReadStream`, `WriteStream`.
 *
 * The facade is thin: it validates arguments as Node does and maps each call to the Process's
 * syscalls; permissions, mounts, descriptors and errno are the VFS's. Nothing here reads or
 * writes the host's filesystem. `sandbox.fs` is `createFs(sandbox.process)`: src/vfs is core
 * and may not depend on Node, so the Sandbox has no `fs` property of its own.
 */
import * as nodeFs from 'node:fs';
import type * as nodeFsPromises from 'node:fs/promises';
import type { Process } from '../vfs/process.js';
import { attrCalls } from './attrs.js';
import { callbackify, callbackifyWithSignal, ioCallbacks } from './callback.js';
import { Calls } from './context.js';
import { cpCalls } from './cp.js';
import { Dir, opendir } from './dir.js';
import { isArgumentError } from './errors.js';
import { fileCalls } from './files.js';
import { nameCalls } from './names.js';
import { promisesApi, type PromisesSync } from './promises.js';
import { realpathCalls } from './realpath.js';
import { rmCalls } from './rm.js';
import { validatedPath } from './validate.js';

/** The node:fs calls this facade has, with node:fs's own types. */
export type SandboxFs = Pick<
  typeof nodeFs,
  | 'access' | 'accessSync' | 'appendFile' | 'appendFileSync' | 'chmod' | 'chmodSync' | 'chown' | 'chownSync' | 'close' | 'closeSync'
  | 'copyFile' | 'copyFileSync' | 'cp' | 'cpSync' | 'createReadStream' | 'createWriteStream' | 'exists' | 'existsSync'
  | 'fchmod' | 'fchmodSync' | 'fchown' | 'fchownSync' | 'fdatasync' | 'fdatasyncSync' | 'fstat' | 'fstatSync' | 'fsync' | 'fsyncSync'
  | 'ftruncate' | 'ftruncateSync' | 'futimes' | 'futimesSync' | 'lchown' | 'lchownSync' | 'link' | 'linkSync' | 'lstat' | 'lstatSync'
  | 'lutimes' | 'lutimesSync' | 'mkdir' | 'mkdirSync' | 'mkdtemp' | 'mkdtempSync' | 'open' | 'openSync' | 'opendir' | 'opendirSync'
  | 'read' | 'readSync' | 'readdir' | 'readdirSync' | 'readFile' | 'readFileSync' | 'readlink' | 'readlinkSync' | 'readv' | 'readvSync'
  | 'realpath' | 'realpathSync' | 'rename' | 'renameSync' | 'rm' | 'rmSync' | 'rmdir' | 'rmdirSync' | 'stat' | 'statSync' | 'statfs' | 'statfsSync'
  | 'symlink' | 'symlinkSync' | 'truncate' | 'truncateSync' | 'unlink' | 'unlinkSync' | 'utimes' | 'utimesSync' | 'write' | 'writeSync'
  | 'writeFile' | 'writeFileSync' | 'writev' | 'writevSync' | 'constants' | 'Stats' | 'Dirent' | 'Dir' | 'ReadStream' | 'WriteStream'
> & {
  F_OK: number;
  R_OK: number;
  W_OK: number;
  X_OK: number;
  promises: Pick<
    typeof nodeFsPromises,
    | 'access' | 'appendFile' | 'chmod' | 'chown' | 'copyFile' | 'cp' | 'lchmod' | 'lchown' | 'lutimes' | 'link' | 'lstat' | 'mkdir' | 'mkdtemp'
    | 'open' | 'opendir' | 'readdir' | 'readFile' | 'readlink' | 'realpath' | 'rename' | 'rm' | 'rmdir' | 'stat' | 'statfs' | 'symlink'
    | 'truncate' | 'unlink' | 'utimes' | 'writeFile' | 'constants'
  >;
};

type AnyFn = (...args: never[]) => unknown;
/** node:fs's stream classes, whose constructors @types/node does not declare. */
type StreamClass<T> = new (path: unknown, options: Record<string, unknown>) => T;

/**
 * The node:fs API over `process`: what the process may do, it may do through this.
 *
 * @example
 * ```ts
 * import { createSandbox } from 'vfsemu';
 * import { createFs } from 'vfsemu/node';
 * const fs = createFs(createSandbox().process);
 * fs.mkdirSync('/app/data', { recursive: true });
 * fs.writeFileSync('/app/data/x.txt', 'hello');
 * fs.readFileSync('/app/data/x.txt', 'utf8'); // 'hello'
 * await fs.promises.readdir('/app'); // ['data']
 * fs.statSync('/nope'); // throws ENOENT: no such file or directory, stat '/nope'
 * ```
 */
export function createFs(process: Process): SandboxFs {
  const c = new Calls(process);
  const files = fileCalls(c);
  const attrs = attrCalls(c);
  const rm = rmCalls(c);
  const names = nameCalls(c, () => rm.rimraf);
  const real = realpathCalls(c);
  const realpathSync = Object.assign(real.realpathSync, { native: real.realpathNativeSync });
  const opendirSync = (path: unknown, options?: unknown): Dir => opendir(c, validatedPath(path), options);

  // mkdtemp and readdir also take the async forms' differences; scandir is cp's.
  const { mkdtemp, readdir, scandir, ...nameSync } = names;
  const sync = { ...files, ...attrs, ...nameSync, rmSync: rm.rmSync, realpathSync, opendirSync };
  const cp = cpCalls(c, { ...sync, scandir } as never);
  const all = { ...sync, cpSync: cp.cpSync };

  // The callback forms.
  const cb: Record<string, unknown> = {};
  for (const name of ['access', 'chmod', 'chown', 'close', 'copyFile', 'fchmod', 'fchown', 'fdatasync', 'fstat', 'fsync', 'ftruncate', 'futimes', 'lchown', 'link', 'lstat', 'lutimes', 'mkdir', 'open', 'opendir', 'readlink', 'rename', 'rm', 'rmdir', 'stat', 'statfs', 'symlink', 'truncate', 'unlink', 'utimes']) {
    cb[name] = callbackify((all as unknown as Record<string, AnyFn>)[`${name}Sync`]!);
  }
  cb.readFile = callbackifyWithSignal(files.readFileSync as AnyFn, 1);
  cb.writeFile = callbackifyWithSignal(files.writeFileSync as AnyFn, 2);
  cb.appendFile = callbackifyWithSignal(files.appendFileSync as AnyFn, 2);
  cb.mkdtemp = callbackify((prefix: unknown, options?: unknown) => mkdtemp(prefix, options, true));
  // fs.readdir with `recursive` answers at once, from the sync walk (Node 20's readdir does so).
  cb.readdir = (path: unknown, ...rest: unknown[]) => {
    const o = rest[0];
    if (typeof o === 'object' && o !== null && (o as { recursive?: unknown }).recursive === true && typeof rest[1] === 'function') {
      let r: unknown;
      try {
        r = names.readdirSync(path, o);
      } catch (e) {
        if (isArgumentError(e)) throw e;
        return (rest[1] as (e: unknown) => void)(e);
      }
      return (rest[1] as (e: unknown, r: unknown) => void)(null, r);
    }
    return (callbackify(names.readdirSync) as (...a: unknown[]) => void)(path, ...rest);
  };
  cb.realpath = Object.assign(callbackify(real.realpathSync as AnyFn), { native: callbackify(real.realpathNativeSync as AnyFn) });
  cb.cp = (src: unknown, dest: unknown, ...rest: unknown[]) => {
    const done = rest.pop();
    if (typeof done !== 'function') return callbackify(cp.cpSync as AnyFn)(src, dest, ...rest, done);
    cp.cpAsync(src, dest, rest[0]).then(
      () => done(null, undefined),
      (e: unknown) => done(e),
    );
  };
  Object.assign(cb, ioCallbacks(all as never));
  // fs.close(fd) without a callback: Node's default callback throws the error, uncaught.
  const closeCb = cb.close as (...a: unknown[]) => void;
  cb.close = (fd: unknown, done?: unknown) =>
    closeCb(fd, done === undefined ? (e: unknown) => {
      if (e) throw e;
    } : done);

  const fs: Record<string, unknown> = {
    ...all,
    ...cb,
    constants: nodeFs.constants,
    F_OK: nodeFs.constants.F_OK,
    R_OK: nodeFs.constants.R_OK,
    W_OK: nodeFs.constants.W_OK,
    X_OK: nodeFs.constants.X_OK,
    Stats: nodeFs.Stats,
    Dirent: nodeFs.Dirent,
    Dir,
    ReadStream: nodeFs.ReadStream,
    WriteStream: nodeFs.WriteStream,
  };

  /** node:fs's own streams, reading and writing through this API's callback calls. */
  const streamOptions = (options: unknown): Record<string, unknown> => ({ ...(typeof options === 'string' ? { encoding: options } : (options as object | undefined)), fs });
  fs.createReadStream = (path: unknown, options?: unknown) => new (nodeFs.ReadStream as unknown as StreamClass<nodeFs.ReadStream>)(path, streamOptions(options));
  fs.createWriteStream = (path: unknown, options?: unknown) => new (nodeFs.WriteStream as unknown as StreamClass<nodeFs.WriteStream>)(path, streamOptions(options));

  fs.promises = promisesApi(
    {
      ...all,
      realpathNativeSync: real.realpathNativeSync,
      mkdtempSync: (prefix: unknown, options?: unknown) => mkdtemp(prefix, options, true),
      readdirSync: (path: unknown, options?: unknown) => readdir(path, options, true),
      createReadStream: fs.createReadStream,
      createWriteStream: fs.createWriteStream,
    } as unknown as PromisesSync,
    cp.cpAsync as never,
  );
  return fs as unknown as SandboxFs;
}
