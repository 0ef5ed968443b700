/**
 * The few Go `os` helpers the replayed runtime code leans on, over a Process's syscalls: MkdirAll,
 * RemoveAll, ReadDir (names in getdents order or sorted, as Go's os.ReadDir sorts), whole-file
 * read and write, and lstat that says "missing" instead of throwing ENOENT. Each makes the same
 * syscalls Go's implementation makes, so errnos surface where Go's would (SysError).
 */
import { SysError } from '../../vfs/errno.js';
import { O_CREAT, O_DIRECTORY, O_RDONLY, O_TRUNC, O_WRONLY } from '../../vfs/file.js';
import { isDir } from '../../vfs/inode.js';
import type { Process } from '../../vfs/process.js';
import type { Stat } from '../../vfs/stat.js';
import { clean, dir } from '../paths.js';

/** lstat(2), or null for ENOENT (and ENOTDIR on the way, as Go's IsNotExist counts it). */
export function lstatOrNull(p: Process, path: string): Stat | null {
  try {
    return p.lstat(path);
  } catch (e) {
    if (e instanceof SysError && (e.code === 'ENOENT' || e.code === 'ENOTDIR')) return null;
    throw e;
  }
}

/** stat(2), or null for ENOENT/ENOTDIR. */
export function statOrNull(p: Process, path: string): Stat | null {
  try {
    return p.stat(path);
  } catch (e) {
    if (e instanceof SysError && (e.code === 'ENOENT' || e.code === 'ENOTDIR')) return null;
    throw e;
  }
}

/** os.MkdirAll: an existing directory (followed through symlinks) is fine, anything else there is ENOTDIR. */
export function mkdirAll(p: Process, path: string, mode: number): void {
  const st = statOrNull(p, path);
  if (st) {
    if (isDir(st.mode)) return;
    throw new SysError('ENOTDIR', 'mkdir', path);
  }
  const parent = dir(clean(path));
  if (parent !== clean(path)) mkdirAll(p, parent, mode);
  try {
    p.mkdir(path, mode);
  } catch (e) {
    // Created meanwhile, or a symlink to a directory: what Go's MkdirAll accepts.
    if (e instanceof SysError && e.code === 'EEXIST' && statOrNull(p, path) && isDir(p.stat(path).mode)) return;
    throw e;
  }
}

/** The names in a directory without `.` and `..`; sorted like os.ReadDir, or in getdents order. */
export function readDirNames(p: Process, path: string, sorted = true): string[] {
  const fd = p.open(path, O_RDONLY | O_DIRECTORY);
  try {
    const names: string[] = [];
    for (;;) {
      const batch = p.getdents(fd);
      if (!batch.length) break;
      for (const e of batch) if (e.name !== '.' && e.name !== '..') names.push(e.name);
    }
    return sorted ? names.sort() : names;
  } finally {
    p.close(fd);
  }
}

/** os.RemoveAll: unlink, or empty and rmdir a directory (not following symlinks); missing is fine. */
export function removeAll(p: Process, path: string): void {
  const st = lstatOrNull(p, path);
  if (!st) return;
  if (!isDir(st.mode)) {
    p.unlink(path);
    return;
  }
  for (const name of readDirNames(p, path)) removeAll(p, `${path}/${name}`);
  p.rmdir(path);
}

/** The whole content of a file. */
export function readFile(p: Process, path: string): Uint8Array {
  const fd = p.open(path, O_RDONLY);
  try {
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const buf = new Uint8Array(65536);
      const n = p.read(fd, buf);
      if (n === 0) break;
      chunks.push(buf.subarray(0, n));
      total += n;
    }
    const out = new Uint8Array(total);
    let off = 0;
    for (const c of chunks) {
      out.set(c, off);
      off += c.length;
    }
    return out;
  } finally {
    p.close(fd);
  }
}

/** os.WriteFile: create or truncate with `mode` (less the umask), write everything. */
export function writeFile(p: Process, path: string, data: Uint8Array, mode: number): void {
  const fd = p.open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
  try {
    let off = 0;
    while (off < data.length) off += p.write(fd, data.subarray(off));
  } finally {
    p.close(fd);
  }
}
