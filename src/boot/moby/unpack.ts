/**
 * Tar in: an archive extracted into a directory of a task's filesystem as moby's go-archive
 * `Unpack` does it (archive.go: Unpack, createTarFile, createImpliedDirectories,
 * resolveHardlinkTarget; archive_unix.go: handleTarTypeBlockCharFifo, handleLChmod): members in
 * order; an existing non-directory (or a directory the member is not) removed first; missing
 * parents made 0755 (ImpliedDirectoryMode); then the member made, lchown-ed to its uid/gid, chmod-ed
 * to its mode (not a symlink's), its times set (a symlink's own); directory times last.
 *
 * Escapes are refused, with the member named (ArchiveEscapeError), before anything is made for
 * that member: an absolute name, a name or hard-link target that climbs out with "..", and a path
 * whose directories go through a symlink that leads out of the destination (an absolute target,
 * or a relative one with too many ".."), as openat2's RESOLVE_BENEATH refuses them. go-archive
 * differs on two counts, deliberately not followed: it strips the "/" of an absolute member name,
 * and resolves an absolute symlink met on the way inside the extraction root (os.Root plus
 * resolveArchivePath's chroot-like fallback).
 *
 * A member's final component is never followed: an existing symlink there is removed and replaced.
 */
import { SysError } from '../../vfs/errno.js';
import { isDir, isLnk, makedev, S_IFBLK, S_IFCHR, S_IFIFO } from '../../vfs/inode.js';
import { AT_FDCWD, AT_SYMLINK_NOFOLLOW, O_CREAT, O_TRUNC, O_WRONLY, O_NOFOLLOW, type Process } from '../../vfs/process.js';
import { clean } from '../paths.js';
import type { TarEntry } from '../tar/entry.js';
import { ArchiveEscapeError, localName } from '../tar/names.js';
import { readTar } from '../tar/reader.js';
import { lstatOrNull, removeAll } from '../tar/task-fs.js';

export interface UnpackOptions {
  /** Refuse to replace a directory with a non-directory or the reverse (docker cp's default). */
  noOverwriteDirNonDir?: boolean;
  /** Do not lchown members to the archive's ids. */
  noLchown?: boolean;
  /** Owner for every member instead of the archive's (ChownOpts; `docker cp -a` sets the container user's). */
  chownOpts?: { uid: number; gid: number };
}

/** A refused overwrite or a failed syscall while extracting, in go-archive's words. */
export class UnpackError extends Error {
  constructor(
    message: string,
    readonly errno?: string,
  ) {
    super(message);
    this.name = 'UnpackError';
  }
}

/** Symlinks followed while resolving one member's directories, beyond which ELOOP (MAXSYMLINKS). */
const MAX_LINKS = 40;

/**
 * The directories of a member resolved beneath `dest`: each component looked up with lstat, a
 * symlink expanded in place; leaving `dest` is refused. Components that do not exist yet are kept
 * (createImpliedDirectories makes them). Returns the path relative to `dest`.
 */
function resolveBeneath(p: Process, dest: string, relPath: string, member: string): string {
  const done: string[] = [];
  let todo = relPath === '.' ? [] : relPath.split('/');
  let links = 0;
  while (todo.length) {
    const c = todo.shift()!;
    if (c === '.' || c === '') continue;
    if (c === '..') {
      if (!done.length) throw new ArchiveEscapeError(member, 'a symlink on its path leads out of the destination');
      done.pop();
      continue;
    }
    const here = [...done, c].join('/');
    const st = lstatOrNull(p, `${dest}/${here}`);
    if (st && isLnk(st.mode)) {
      if (++links > MAX_LINKS) throw new ArchiveEscapeError(member, 'too many symlinks on its path');
      const target = p.readlink(`${dest}/${here}`);
      if (target.startsWith('/')) throw new ArchiveEscapeError(member, `${JSON.stringify(here)} is a symlink to the absolute path ${JSON.stringify(target)}, outside the destination`);
      todo = [...target.split('/'), ...todo];
      continue;
    }
    done.push(c);
  }
  return done.length ? done.join('/') : '.';
}

/** A member's place: its directories resolved beneath `dest`, its last component kept as is. */
function resolveMember(p: Process, dest: string, name: string, member: string): string {
  const i = name.lastIndexOf('/');
  if (i < 0) return name;
  const parent = resolveBeneath(p, dest, name.slice(0, i), member);
  return parent === '.' ? name.slice(i + 1) : `${parent}/${name.slice(i + 1)}`;
}

function join2(dest: string, relPath: string): string {
  return relPath === '.' ? dest : `${dest === '/' ? '' : dest}/${relPath}`;
}

/** createImpliedDirectories(): the missing parents, mkdir then chmod 0755 (whatever the umask). */
function createImpliedDirectories(p: Process, dest: string, relPath: string): void {
  const i = relPath.lastIndexOf('/');
  if (i < 0) return;
  const parent = relPath.slice(0, i);
  if (lstatOrNull(p, join2(dest, parent))) return;
  let cur = '';
  for (const c of parent.split('/')) {
    cur = cur ? `${cur}/${c}` : c;
    const path = join2(dest, cur);
    try {
      p.mkdir(path, 0o755);
    } catch (e) {
      if (!(e instanceof SysError && e.code === 'EEXIST')) throw e;
      if (!isDir(p.stat(path).mode)) throw new SysError('ENOTDIR', 'mkdir', path);
      continue;
    }
    p.chmod(path, 0o755);
  }
}

/** The member's times: atime the later of atime and mtime, both clamped to the epoch (boundTime). */
function times(e: TarEntry): [{ sec: number; nsec: number }, { sec: number; nsec: number }] {
  const t = Math.max(0, e.mtime);
  const sec = Math.floor(t);
  const ts = { sec, nsec: Math.round((t - sec) * 1e9) };
  return [ts, ts];
}

/** createTarFile(): one member at `path`; `linkTarget` the resolved hard-link target. */
function createTarFile(p: Process, path: string, e: TarEntry, linkTarget: string | null, opts: UnpackOptions): void {
  switch (e.type) {
    case 'dir': {
      const st = lstatOrNull(p, path);
      if (!st || !isDir(st.mode)) p.mkdir(path, e.mode & 0o777);
      break;
    }
    case 'file': {
      const fd = p.open(path, O_CREAT | O_WRONLY | O_TRUNC | O_NOFOLLOW, e.mode & 0o777);
      try {
        const data = e.data ?? new Uint8Array(0);
        let off = 0;
        while (off < data.length) off += p.write(fd, data.subarray(off));
      } finally {
        p.close(fd);
      }
      break;
    }
    case 'char':
    case 'block':
    case 'fifo': {
      const fmt = e.type === 'char' ? S_IFCHR : e.type === 'block' ? S_IFBLK : S_IFIFO;
      p.mknod(path, fmt | (e.mode & 0o7777), e.type === 'fifo' ? 0 : makedev(e.devmajor ?? 0, e.devminor ?? 0));
      break;
    }
    case 'hardlink':
      p.link(linkTarget!, path);
      break;
    case 'symlink':
      // The target is archive data, stored verbatim; containment applies when it is followed.
      p.symlink(e.linkname ?? '', path);
      break;
  }
  if (!opts.noLchown) {
    const o = opts.chownOpts ?? { uid: e.uid, gid: e.gid };
    p.lchown(path, o.uid, o.gid);
  }
  // handleLChmod(): after the chown (which may clear set-id bits); never through a symlink.
  if (e.type === 'hardlink') {
    const t = lstatOrNull(p, linkTarget!);
    if (t && !isLnk(t.mode)) p.chmod(path, e.mode & 0o7777);
  } else if (e.type !== 'symlink') p.chmod(path, e.mode & 0o7777);
  if (e.type === 'symlink') p.utimensat(AT_FDCWD, path, times(e), AT_SYMLINK_NOFOLLOW);
  else if (e.type === 'hardlink') {
    const t = lstatOrNull(p, linkTarget!);
    if (t && !isLnk(t.mode)) p.utimensat(AT_FDCWD, path, times(e), 0);
  } else if (e.type !== 'dir') p.utimensat(AT_FDCWD, path, times(e), 0);
}

/**
 * Unpack(archive, dest, options): extracts into `dest` (a directory as `p` sees it). Stops at
 * the first failure: a malformed archive (TarFormatError), an escape (ArchiveEscapeError), a
 * refused overwrite or a syscall's error (SysError), each naming the member.
 *
 * @example
 * ```ts
 * unpack(view.task, writeTar([{ name: 'hello', type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: 0, data }]), '/data');
 * ```
 */
export function unpack(p: Process, archive: Uint8Array | readonly TarEntry[], dest: string, opts: UnpackOptions = {}): void {
  const entries = archive instanceof Uint8Array ? readTar(archive) : archive;
  const root = clean(dest);
  const dirs: [string, TarEntry][] = [];
  for (const e of entries) {
    const name = localName(e.name);
    if (name === '.') continue;
    const relPath = resolveMember(p, root, name, e.name);
    const path = join2(root, relPath);
    let linkTarget: string | null = null;
    if (e.type === 'hardlink') {
      const target = localName(e.linkname ?? '', 'hard link target');
      if (target === '.') throw new ArchiveEscapeError(e.name, `invalid hard link target ${JSON.stringify(e.linkname)}`);
      linkTarget = join2(root, resolveMember(p, root, target, e.name));
    }
    const st = lstatOrNull(p, path);
    if (st) {
      if (opts.noOverwriteDirNonDir && isDir(st.mode) && e.type !== 'dir') throw new UnpackError(`cannot overwrite directory ${JSON.stringify(name)} with non-directory ${JSON.stringify(root)}`);
      if (opts.noOverwriteDirNonDir && !isDir(st.mode) && e.type === 'dir') throw new UnpackError(`cannot overwrite non-directory ${JSON.stringify(name)} with directory ${JSON.stringify(root)}`);
      if (!isDir(st.mode) || e.type !== 'dir') removeAll(p, path);
    }
    createImpliedDirectories(p, root, relPath);
    try {
      createTarFile(p, path, e, linkTarget, opts);
    } catch (err) {
      if (err instanceof SysError) throw new UnpackError(`member ${JSON.stringify(e.name)}: ${err.message}`, err.code);
      throw err;
    }
    if (e.type === 'dir') dirs.push([path, e]);
  }
  for (const [path, e] of dirs) p.utimensat(AT_FDCWD, path, times(e), 0);
}
