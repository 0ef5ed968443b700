/**
 * The daemon's archive operations — what `docker cp` calls — over a containerFSView, replaying
 * moby's daemon/archive_unix.go: `containerStatPath` (HEAD /containers/{id}/archive),
 * `containerArchivePath` (GET: tar out), `containerExtractToDir` (PUT: tar in) with
 * `checkWritablePath`. Each opens a view, works inside it and closes it, so the daemon's and every
 * container's mount table are the same afterwards.
 *
 * Not replayed: the container lock, decompression (the archive given here is plain tar), events,
 * `copyUIDGID` (applyTarCopyUserOptions, which looks the container's user up in its /etc/passwd).
 */
import { SysError } from '../../vfs/errno.js';
import { isDir } from '../../vfs/inode.js';
import type { Process } from '../../vfs/process.js';
import { base, clean, join, secureJoin } from '../paths.js';
import type { TarEntry } from '../tar/entry.js';
import { linkReader, MobyError, type MobyContainer } from './container.js';
import { openContainerFS, type PathStat } from './container-fs-view.js';
import { tarball, tarResourceRebaseOpts } from './tarballer.js';
import { unpack, type UnpackOptions } from './unpack.js';

/** PreserveTrailingDotOrSeparator(cleaned, original): a trailing "/." or "/" of `original` kept. */
export function preserveTrailingDotOrSeparator(cleaned: string, original: string): string {
  if (original.endsWith('/.') && !cleaned.endsWith('/.')) return `${cleaned.replace(/\/$/, '')}/.`;
  if (original.endsWith('/') && !cleaned.endsWith('/')) return `${cleaned}/`;
  return cleaned;
}

/** containerStatPath. */
export function containerStatPath(daemon: Process, ctr: MobyContainer, path: string): PathStat {
  const view = openContainerFS(daemon, ctr);
  try {
    return view.stat(path);
  } finally {
    view.close();
  }
}

export interface ArchiveResult {
  stat: PathStat;
  archive: Uint8Array;
  entries: TarEntry[];
  skipped: string[];
}

/**
 * containerArchivePath: the tar of `path` in the container, its entries rebased to the path's
 * base name (`docker cp ctr:/data -` gives "data/", "data/…").
 */
export function containerArchivePath(daemon: Process, ctr: MobyContainer, path: string): ArchiveResult {
  const view = openContainerFS(daemon, ctr);
  try {
    const absPath = preserveTrailingDotOrSeparator(join('/', path), path);
    const stat = view.stat(absPath);
    let sourceDir = absPath;
    let sourceBase = '.';
    if (!isDir(stat.mode)) {
      const i = absPath.lastIndexOf('/');
      sourceDir = absPath.slice(0, i + 1);
      sourceBase = absPath.slice(i + 1);
    }
    const t = view.runInFS((p) => tarball(p, sourceDir, tarResourceRebaseOpts(sourceBase, base(absPath))));
    return { stat, archive: t.archive, entries: t.entries, skipped: t.skipped };
  } finally {
    view.close();
  }
}

/**
 * checkWritablePath: a destination inside a volume needs the volume writable, elsewhere the
 * rootfs not read-only (volumemounts HasResource: the path is the destination or below it).
 */
export function checkWritablePath(ctr: MobyContainer, absPath: string): void {
  for (const m of ctr.mounts) {
    const dest = clean(m.destination);
    if (absPath === dest || absPath.startsWith(dest === '/' ? '/' : `${dest}/`)) {
      if (m.writable) return;
      throw new MobyError('mounted volume is marked read-only');
    }
  }
  if (ctr.readonlyRootfs) throw new MobyError('container rootfs is marked read-only');
}

/**
 * containerExtractToDir: `archive` extracted at `path` in the container, which must be a
 * directory (after following symlinks), writable per checkWritablePath.
 */
export function containerExtractToDir(daemon: Process, ctr: MobyContainer, path: string, archive: Uint8Array, opts: UnpackOptions = { noOverwriteDirNonDir: true }): void {
  const view = openContainerFS(daemon, ctr);
  try {
    view.runInFS((p) => {
      // filepath.EvalSymlinks inside the view: its "/" is the container's.
      let absPath: string;
      try {
        p.lstat(join('/', path));
        absPath = preserveTrailingDotOrSeparator(secureJoin('/', join('/', path), linkReader(p)), path);
      } catch (e) {
        if (e instanceof SysError) throw new MobyError(`lstat ${join('/', path)}: ${e.message}`, e.code);
        throw e;
      }
      const st = p.lstat(clean(absPath));
      if (!isDir(st.mode)) throw new MobyError('extraction point is not a directory');
      checkWritablePath(ctr, clean(absPath));
      unpack(p, archive, clean(absPath), opts);
    });
  } finally {
    view.close();
  }
}
