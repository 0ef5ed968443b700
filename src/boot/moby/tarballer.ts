/**
 * Tar out of a task's filesystem as moby's go-archive does it: `Tarballer.Do` (walk each include
 * under the source directory in lexical order, without following symlinks; name entries relative
 * to the source, "./" prefixed when the source directory itself is included; rebase the include's
 * name) and `tarAppender.addTarFile` (FileInfoHeader: permission and set-id bits, uid/gid, mtime
 * cut to the second, a "/" after a directory's name; a non-directory with more than one link
 * that was seen before becomes a hard link to the first name, keyed by inode number alone as
 * moby keys it). `TarResourceRebaseOpts` gives the options `docker cp` uses.
 *
 * Not replayed: exclude patterns, the security.capability xattr record, id mapping and ChownOpts,
 * whiteout conversion, compression. A socket cannot be archived (Go's FileInfoHeader refuses it):
 * it is skipped with a message in `skipped`, as moby logs and skips it.
 */
import { SysError } from '../../vfs/errno.js';
import { isDir, isLnk, isReg, major, minor, S_IFBLK, S_IFCHR, S_IFIFO, S_IFMT, S_IFSOCK } from '../../vfs/inode.js';
import type { Process } from '../../vfs/process.js';
import type { Stat } from '../../vfs/stat.js';
import { clean, rel } from '../paths.js';
import type { TarEntry } from '../tar/entry.js';
import { readDirNames, readFile } from '../tar/task-fs.js';
import { writeTar } from '../tar/writer.js';

export interface TarOptions {
  includeFiles?: string[];
  includeSourceDir?: boolean;
  rebaseNames?: Record<string, string>;
}

export interface Tarball {
  entries: TarEntry[];
  archive: Uint8Array;
  /** Files the walk could not add, with moby's reason ("Can't add file …"). */
  skipped: string[];
}

/** TarResourceRebaseOpts(sourceBase, rebaseName). */
export function tarResourceRebaseOpts(sourceBase: string, rebaseName: string): TarOptions {
  return { includeFiles: [sourceBase], includeSourceDir: true, rebaseNames: { [sourceBase]: rebaseName } };
}

/** canonicalTarName(): a directory's name ends in "/". */
function canonicalTarName(name: string, dirEntry: boolean): string {
  return dirEntry && !name.endsWith('/') ? `${name}/` : name;
}

/** FileInfoHeader(): the header of one file; null for a socket (archive/tar: sockets not supported). */
function fileInfoHeader(name: string, st: Stat, link: string): TarEntry | null {
  const e: TarEntry = { name: canonicalTarName(name, isDir(st.mode)), type: 'file', mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime.sec };
  const fmt = st.mode & S_IFMT;
  if (isReg(st.mode)) e.type = 'file';
  else if (isDir(st.mode)) e.type = 'dir';
  else if (isLnk(st.mode)) {
    e.type = 'symlink';
    e.linkname = link;
  } else if (fmt === S_IFCHR || fmt === S_IFBLK) {
    e.type = fmt === S_IFCHR ? 'char' : 'block';
    e.devmajor = major(st.rdev);
    e.devminor = minor(st.rdev);
  } else if (fmt === S_IFIFO) e.type = 'fifo';
  else if (fmt === S_IFSOCK) return null;
  return e;
}

/**
 * The archive of `srcPath` (a path as `p` sees it) with `options`, as Tarballer.Do writes it.
 *
 * @example
 * ```ts
 * const { archive } = tarball(view.task, '/data', tarResourceRebaseOpts('.', 'data'));
 * ```
 */
export function tarball(p: Process, srcPath: string, options: TarOptions = {}): Tarball {
  const entries: TarEntry[] = [];
  const skipped: string[] = [];
  const seenInodes = new Map<number, string>();
  let src = clean(srcPath);
  let includes = options.includeFiles ?? [];
  const rebase = options.rebaseNames ?? {};
  let top: Stat;
  try {
    top = p.lstat(src);
  } catch (e) {
    if (e instanceof SysError) return { entries, archive: writeTar(entries), skipped: [`Tar: can't stat ${src}: ${e.message}`] };
    throw e;
  }
  if (!isDir(top.mode)) {
    // SplitPathDirEntry: archive the file as the include of its directory.
    const i = src.lastIndexOf('/');
    includes = [src.slice(i + 1)];
    src = i <= 0 ? '/' : src.slice(0, i);
  }
  if (includes.length === 0) includes = ['.'];
  const seen = new Set<string>();

  const addTarFile = (filePath: string, name: string, st: Stat): void => {
    const link = isLnk(st.mode) ? p.readlink(filePath) : '';
    const hdr = fileInfoHeader(name, st, link);
    if (!hdr) {
      skipped.push(`Can't add file ${filePath} to tar: archive/tar: sockets not supported`);
      return;
    }
    if (!isDir(st.mode) && st.nlink > 1) {
      const first = seenInodes.get(st.ino);
      if (first !== undefined) {
        hdr.type = 'hardlink';
        hdr.linkname = first;
        entries.push(hdr);
        return;
      }
      seenInodes.set(st.ino, hdr.name);
    }
    if (hdr.type === 'file') hdr.data = readFile(p, filePath);
    entries.push(hdr);
  };

  for (const include of includes) {
    const rebaseName = rebase[include];
    const walkRoot = `${src.replace(/\/+$/, '')}/${include}`;
    const visit = (filePath: string): void => {
      let st: Stat;
      try {
        st = p.lstat(filePath);
      } catch (e) {
        if (!(e instanceof SysError)) throw e;
        skipped.push(`Tar: Can't stat file ${src} to tar: ${e.message}`);
        return;
      }
      let relFilePath = rel(src, filePath);
      const skipRoot = !options.includeSourceDir && relFilePath === '.' && isDir(st.mode);
      if (!skipRoot) {
        if (options.includeSourceDir && include === '.' && relFilePath !== '.') relFilePath = `./${relFilePath}`;
        if (!seen.has(relFilePath)) {
          seen.add(relFilePath);
          if (rebaseName !== undefined && rebaseName !== '') {
            const replacement = rebaseName === '/' ? '' : rebaseName;
            relFilePath = relFilePath.replace(include, replacement);
          }
          try {
            addTarFile(filePath, relFilePath, st);
          } catch (e) {
            if (!(e instanceof SysError)) throw e;
            skipped.push(`Can't add file ${filePath} to tar: ${e.message}`);
          }
        }
      }
      if (isDir(st.mode)) {
        let names: string[];
        try {
          names = readDirNames(p, filePath);
        } catch (e) {
          if (!(e instanceof SysError)) throw e;
          skipped.push(`Tar: Can't stat file ${filePath} to tar: ${e.message}`);
          return;
        }
        for (const n of names) visit(`${filePath === '/' ? '' : filePath}/${n}`);
      }
    };
    visit(clean(walkRoot));
  }
  return { entries, archive: writeTar(entries), skipped };
}
