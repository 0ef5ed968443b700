/**
 * Paths as runc computes them: Go's path/filepath lexical functions (Clean, Join, Dir, Base, Rel
 * on "/"-separated absolute paths) and filepath-securejoin's SecureJoin, which resolves a path
 * inside a root following symlinks but never leaving the root. runc resolves most mount
 * destinations this way, against the rootfs as earlier mounts have left it, so the profile asks
 * the emulated filesystem (lstat, readlink) at the moment runc would.
 */
import { SysError } from '../vfs/errno.js';

/** filepath.Clean for "/"-separated paths. */
export function clean(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(part);
  }
  const s = out.join('/');
  return rooted ? `/${s}` : s === '' ? '.' : s;
}

/** filepath.Join: the non-empty elements joined with "/", then cleaned. */
export function join(...parts: string[]): string {
  const kept = parts.filter((p) => p !== '');
  return kept.length ? clean(kept.join('/')) : '';
}

/** filepath.Dir. */
export function dir(p: string): string {
  const i = p.lastIndexOf('/');
  return clean(i < 0 ? '.' : p.slice(0, i + 1));
}

/** filepath.Base. */
export function base(p: string): string {
  const s = p.replace(/\/+$/, '');
  if (s === '') return p === '' ? '.' : '/';
  return s.slice(s.lastIndexOf('/') + 1);
}

/** filepath.Rel for two absolute paths (no error case between absolute paths). */
export function rel(basepath: string, targ: string): string {
  const b = clean(basepath).split('/').filter(Boolean);
  const t = clean(targ).split('/').filter(Boolean);
  let i = 0;
  while (i < b.length && i < t.length && b[i] === t[i]) i++;
  const up = b.slice(i).map(() => '..');
  const s = [...up, ...t.slice(i)].join('/');
  return s === '' ? '.' : s;
}

/** What SecureJoin needs of a filesystem: lstat's answer (is it a symlink?) and readlink. */
export interface LinkReader {
  /** 'missing' for ENOENT; other errors are thrown as SysError. */
  kind(path: string): 'symlink' | 'other' | 'missing';
  readlink(path: string): string;
}

/**
 * filepath-securejoin's SecureJoin(root, unsafePath): each component of `unsafe` is looked up
 * under `root`; a symlink is expanded in place (an absolute target restarts at `root`, `..` stops
 * at `root`); a missing component and everything after it is kept lexically. More than 255 links
 * is ELOOP.
 *
 * @example
 * ```ts
 * // with rootfs/var/run -> ../run
 * secureJoin('/b/rootfs', '/var/run/app', fs); // '/b/rootfs/run/app'
 * ```
 */
export function secureJoin(root: string, unsafe: string, fs: LinkReader): string {
  let rest = unsafe;
  let path = '';
  let links = 0;
  while (rest !== '') {
    if (links > 255) throw new SysError('ELOOP', 'securejoin', unsafe);
    const i = rest.indexOf('/');
    const p = i < 0 ? rest : rest.slice(0, i);
    rest = i < 0 ? '' : rest.slice(i + 1);
    const cleanP = clean(`/${path}${p}`);
    if (cleanP === '/') {
      path = '';
      continue;
    }
    const full = clean(root + cleanP);
    if (fs.kind(full) !== 'symlink') {
      path += `${p}/`;
      continue;
    }
    links++;
    const dest = fs.readlink(full);
    if (dest.startsWith('/')) path = '';
    rest = `${dest}/${rest}`;
  }
  return clean(root + clean(`/${path}`));
}
