/**
 * Running unmodified Node code inside a sandbox: `patchNodeFs` points node:fs (and
 * node:fs/promises) at a sandbox's fs with fs-monkey's `patchFs`, plus what fs-monkey does not
 * cover — readv/writev, opendir, cp, statfs, lutimes, `Dir`, `Dirent`, the `fs/promises` module
 * object, the ESM named exports (`module.syncBuiltinESMExports()`) — and stubs the calls the
 * facade does not have (watch, watchFile, openAsBlob), so that no patched call reaches the host.
 * `patchNodeRequire` makes `require()` load modules from the sandbox (fs-monkey's `patchRequire`).
 * Each returns its undo; `runInSandbox` does both around a function and always undoes them.
 *
 * Invariants: an undo restores every property it replaced to the exact value it had (so two
 * patches undone in reverse order leave node:fs as it was), and `patchNodeRequire`'s undo also
 * forgets the modules and resolutions it loaded from the sandbox. Code that captured fs
 * functions before the patch (graceful-fs clones fs when loaded) keeps the host's: load such
 * code from the sandbox, after patching. ESM modules themselves cannot be loaded from the
 * sandbox (Node's ESM loader reads files through its internals); CommonJS can.
 */
import { createRequire, syncBuiltinESMExports } from 'node:module';
import type { SandboxFs } from './create-fs.js';
import { codedError } from './errors.js';

const require = createRequire(import.meta.url);
/** fs-monkey (CommonJS, untyped), loaded when first used: only patching needs it. */
const monkey = (): { patchFs(vol: unknown, fs: object): () => void; patchRequire(vol: unknown, unixifyPaths: boolean, Module: object): void } => require('fs-monkey');
/** Node's CommonJS loader, whose resolution fs-monkey replaces. */
interface ModuleInternals {
  _extensions: Record<string, unknown>;
  _findPath: unknown;
  _pathCache: Record<string, string>;
  _cache: Record<string, unknown>;
}
const Module = require('node:module') as ModuleInternals;

/** Calls fs-monkey does not patch and the facade has. */
const EXTRA = ['readv', 'readvSync', 'writev', 'writevSync', 'opendir', 'opendirSync', 'cp', 'cpSync', 'statfs', 'statfsSync', 'lutimes', 'lutimesSync', 'realpath', 'realpathSync', 'exists', 'Dir', 'Dirent'];
/** Calls node:fs has that reach files and the facade lacks: each throws. */
const UNAVAILABLE = ['watch', 'watchFile', 'unwatchFile', 'openAsBlob', 'lchmod', 'lchmodSync'];

/** Replaces `obj[key]`, remembering the old own property (or its absence) for the undo. */
function swap(undo: (() => void)[], obj: object, key: string, value: unknown): void {
  const had = Object.getOwnPropertyDescriptor(obj, key);
  Object.defineProperty(obj, key, { value, writable: true, configurable: true, enumerable: had?.enumerable ?? true });
  undo.push(() => {
    if (had) Object.defineProperty(obj, key, had);
    else delete (obj as Record<string, unknown>)[key];
  });
}

const unavailable = (name: string) => () => {
  throw codedError('ERR_FEATURE_UNAVAILABLE_ON_PLATFORM', `The feature fs.${name} is unavailable on the current platform, which is being used to run Node.js`, TypeError);
};

/**
 * Points node:fs and node:fs/promises at `sandboxFs`, CommonJS and ESM importers alike; returns
 * the undo.
 *
 * @example
 * ```ts
 * import * as fs from 'node:fs';
 * const undo = patchNodeFs(createFs(sandbox.process));
 * try {
 *   fs.writeFileSync('/hello', 'inside the sandbox');
 * } finally {
 *   undo();
 * }
 * ```
 */
export function patchNodeFs(sandboxFs: SandboxFs): () => void {
  const undo: (() => void)[] = [];
  // The module object itself (not the ESM namespace), which CommonJS code and fs-monkey see.
  const target = require('node:fs') as Record<string, unknown>;
  const realPromises = target.promises as Record<string, unknown>;
  // node:fs's constants are read-only, and the facade's are node:fs's own: fs-monkey leaves them.
  const { constants: _c, F_OK: _f, R_OK: _r, W_OK: _w, X_OK: _x, ...vol } = sandboxFs;
  const monkeyUndo = monkey().patchFs(vol, target);
  undo.push(monkeyUndo);
  const mine = sandboxFs as unknown as Record<string, unknown>;
  for (const k of EXTRA) if (mine[k] !== undefined) swap(undo, target, k, mine[k]);
  for (const k of UNAVAILABLE) if (typeof target[k] === 'function') swap(undo, target, k, unavailable(k));
  // `require('fs/promises')` is the object `fs.promises` was: patch it in place too.
  const promises = sandboxFs.promises as unknown as Record<string, unknown>;
  for (const k of Object.keys(realPromises)) {
    if (k === 'constants') continue;
    swap(undo, realPromises, k, promises[k] ?? (typeof realPromises[k] === 'function' ? unavailable(`promises.${k}`) : realPromises[k]));
  }
  syncBuiltinESMExports();
  return () => {
    while (undo.length) undo.pop()!();
    syncBuiltinESMExports();
  };
}

/**
 * Makes `require()` resolve and load CommonJS modules (.js, .json) from the sandbox, through
 * `sandboxFs`; returns the undo, which also drops every module and resolution made meanwhile.
 * Built-in modules still come from Node.
 *
 * @example
 * ```ts
 * sandboxFs.writeFileSync('/app/index.js', 'module.exports = 42');
 * const undo = patchNodeRequire(sandboxFs);
 * try {
 *   require('/app/index.js'); // 42
 * } finally {
 *   undo();
 * }
 * ```
 */
export function patchNodeRequire(sandboxFs: SandboxFs): () => void {
  const saved = { js: Module._extensions['.js'], json: Module._extensions['.json'], findPath: Module._findPath };
  const cacheBefore = new Set(Object.keys(Module._cache));
  const pathsBefore = new Set(Object.keys(Module._pathCache));
  monkey().patchRequire(sandboxFs, false, Module);
  return () => {
    Module._extensions['.js'] = saved.js;
    Module._extensions['.json'] = saved.json;
    Module._findPath = saved.findPath;
    for (const k of Object.keys(Module._cache)) if (!cacheBefore.has(k)) delete Module._cache[k];
    for (const k of Object.keys(Module._pathCache)) if (!pathsBefore.has(k)) delete Module._pathCache[k];
  };
}

/** What `runInSandbox` patches: fs (always), require (by default). */
export interface RunInSandboxOptions {
  require?: boolean;
}

/**
 * Runs `fn` with node:fs (and by default `require`) pointing into the sandbox, and undoes the
 * patches when it returns or its promise settles, whatever happens.
 *
 * @example
 * ```ts
 * const result = await runInSandbox(createFs(sandbox.process), () => require('/app/main.js'));
 * ```
 */
export async function runInSandbox<T>(sandboxFs: SandboxFs, fn: () => T | Promise<T>, opts: RunInSandboxOptions = {}): Promise<T> {
  const undoFs = patchNodeFs(sandboxFs);
  let undoRequire: (() => void) | undefined;
  try {
    if (opts.require !== false) undoRequire = patchNodeRequire(sandboxFs);
    return await fn();
  } finally {
    undoRequire?.();
    undoFs();
  }
}
