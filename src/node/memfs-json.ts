/**
 * memfs's JSON forms in and out of a sandbox, and tree copies between any two node:fs-shaped
 * APIs (a sandbox's `createFs`, a memfs Volume, node:fs itself):
 *
 * - `importJSON` is memfs's `vol.fromJSON(json, cwd)` into the sandbox: `path → content` (text or
 *   bytes) makes a file with its parents, `path → null` a directory;
 * - `exportJSON` is memfs's `vol.toJSON(path)` of a sandbox subtree: every file's text (or bytes)
 *   by absolute path, `null` for an empty directory; links are left out, as memfs leaves them out;
 * - `copyTree` copies a subtree with what memfs keeps beyond the JSON: modes, owners, symbolic
 *   links and times, so `copyTree(sandboxFs, '/app', vol, '/')` exports with modes and owners, and
 *   the reverse imports them.
 *
 * Every call goes through the fs APIs given, so the sandbox's permission checks apply to the
 * sandbox side.
 */
import { Buffer } from 'node:buffer';
import { posix } from 'node:path';

/** memfs's DirectoryJSON: file content (text or bytes) or null for a directory, by path. */
export type DirectoryJSON = Record<string, string | Uint8Array | null>;

/** What the JSON and tree helpers use of an fs API. */
export interface TreeFs {
  mkdirSync(path: string, options?: { recursive?: boolean; mode?: number }): unknown;
  writeFileSync(path: string, data: string | Uint8Array, options?: unknown): void;
  readFileSync(path: string, options?: unknown): string | Buffer;
  readdirSync(path: string): unknown[];
  lstatSync(path: string): { mode: number; uid: number; gid: number; atime: Date; mtime: Date; isDirectory(): boolean; isFile(): boolean; isSymbolicLink(): boolean };
  readlinkSync(path: string): string | Buffer;
  symlinkSync(target: string, path: string): void;
  chmodSync(path: string, mode: number): void;
  lchownSync(path: string, uid: number, gid: number): void;
  utimesSync(path: string, atime: Date, mtime: Date): void;
  lutimesSync?(path: string, atime: Date, mtime: Date): void;
}

/**
 * memfs's `fromJSON` into the sandbox (relative paths from `cwd`).
 *
 * @example
 * ```ts
 * importJSON(fs, { 'src/index.js': 'module.exports = 1', 'empty': null }, '/app');
 * fs.readFileSync('/app/src/index.js', 'utf8'); // 'module.exports = 1'
 * ```
 */
export function importJSON(fs: TreeFs, json: DirectoryJSON, cwd = '/'): void {
  for (const [name, content] of Object.entries(json)) {
    const path = posix.resolve(cwd, name);
    if (content === null) {
      fs.mkdirSync(path, { recursive: true });
      continue;
    }
    fs.mkdirSync(posix.dirname(path), { recursive: true });
    fs.writeFileSync(path, content);
  }
}

/**
 * memfs's `toJSON(path)` of a sandbox subtree: files as UTF-8 text (as bytes with `asBuffer`),
 * empty directories as null.
 *
 * @example
 * ```ts
 * exportJSON(fs, '/app'); // { '/app/src/index.js': 'module.exports = 1', '/app/empty': null }
 * ```
 */
export function exportJSON(fs: TreeFs, path = '/', asBuffer = false): DirectoryJSON {
  const out: DirectoryJSON = {};
  const walk = (p: string): void => {
    const st = fs.lstatSync(p);
    if (st.isFile()) out[p] = asBuffer ? Buffer.from(fs.readFileSync(p) as Buffer) : (fs.readFileSync(p, 'utf8') as string);
    else if (st.isDirectory()) {
      const names = fs.readdirSync(p).map(String);
      if (names.length === 0) out[p] = null;
      for (const n of names) walk(posix.join(p, n));
    }
  };
  walk(path);
  return out;
}

/**
 * Copies the tree at `from:fromPath` to `to:toPath`: directories, files, symbolic links, with
 * their modes, owners and times. Directory modes are set after their contents, so that a
 * read-only directory can be filled first.
 *
 * @example
 * ```ts
 * import { Volume } from 'memfs';
 * const vol = new Volume();
 * copyTree(createFs(sandbox.process), '/etc', vol, '/etc'); // vol keeps modes and owners
 * ```
 */
export function copyTree(from: TreeFs, fromPath: string, to: TreeFs, toPath: string): void {
  const st = from.lstatSync(fromPath);
  const owners = (): void => to.lchownSync(toPath, st.uid, st.gid);
  if (st.isSymbolicLink()) {
    to.symlinkSync(String(from.readlinkSync(fromPath)), toPath);
    owners();
    to.lutimesSync?.(toPath, st.atime, st.mtime);
    return;
  }
  if (st.isDirectory()) {
    to.mkdirSync(toPath, { recursive: true });
    for (const n of from.readdirSync(fromPath).map(String)) copyTree(from, posix.join(fromPath, n), to, posix.join(toPath, n));
  } else if (st.isFile()) to.writeFileSync(toPath, from.readFileSync(fromPath) as Buffer);
  else return; // devices, FIFOs and sockets have no content to copy
  owners();
  to.chmodSync(toPath, st.mode & 0o7777);
  to.utimesSync(toPath, st.atime, st.mtime);
}
