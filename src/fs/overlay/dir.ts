/**
 * Changing names in a merged directory (fs/overlayfs/dir.c; overlayfs.rst "whiteouts and opaque
 * directories", "Renaming directories"): create, mkdir, symlink and link into the upper
 * directory — over a whiteout by way of the work directory, a new directory there made opaque —
 * unlink and rmdir, which leave a whiteout when a lower layer still has the name, and rename,
 * which moves the upper object and whiteouts its old name when a lower layer has it there too.
 *
 * A directory that exists in a lower layer cannot be renamed (EXDEV): this kernel's default is
 * redirect_dir=off (follow), and overlayfs does not copy a directory tree up to move it.
 */
import type { Dentry } from '../../vfs/dentry.js';
import { errno } from '../../vfs/errno.js';
import { isDir, RENAME_EXCHANGE, RENAME_NOREPLACE, RENAME_WHITEOUT } from '../../vfs/inode.js';
import { copyUp } from './copy-up.js';
import type { OvlInode } from './inode.js';
import {
  type Mounter,
  layerCreate,
  layerLink,
  layerLookup,
  layerMkdir,
  layerRemove,
  layerRename,
  layerSymlink,
  layerUnlink,
  type NewAttr,
} from './layer-ops.js';
import { lowerPositive, markImpure, upperWhiteout } from './namei.js';
import { checkEmptyDir } from './readdir.js';
import { makeWhiteout, tempName } from './workdir.js';

/** What to make (struct ovl_cattr): its kind, mode and owner as the VFS shaped them. */
export interface CreateAttr extends NewAttr {
  kind: 'file' | 'dir' | 'symlink' | 'link';
  rdev: number;
  target?: string;
  link?: OvlInode;
}

/** ovl_create_real(): the object itself, in a layer directory. */
function makeReal(m: Mounter, dir: Dentry, name: string, attr: CreateAttr): Dentry {
  switch (attr.kind) {
    case 'dir':
      return layerMkdir(m, dir, name, attr);
    case 'symlink':
      return layerSymlink(m, dir, name, attr.target!, attr);
    case 'link':
      return layerLink(m, attr.link!.upper!, dir, name);
    case 'file':
      return layerCreate(m, dir, name, attr, attr.rdev);
  }
}

/**
 * ovl_create_object() / ovl_link(): the parent (and a link's source) copied up, then the object
 * made in the upper directory. Over a whiteout it is made in the work directory, a directory
 * marked opaque so that the layers below stay hidden, and exchanged with the whiteout, which
 * then goes.
 */
export function createObject(dir: OvlInode, name: string, attr: CreateAttr): OvlInode {
  const sb = dir.sb;
  sb.wantWrite();
  if (attr.link) copyUp(attr.link);
  copyUp(dir);
  const udir = dir.upper!;
  const whiteout = upperWhiteout(dir, name);
  let upper;
  if (!whiteout) {
    if (layerLookup(sb.mounter, udir, name)) throw errno('ESTALE'); // the upper layer changed underneath
    upper = makeReal(sb.mounter, udir, name, attr);
  } else {
    const work = sb.workdir!;
    const temp = makeReal(sb.mounter, work, tempName(sb), attr);
    try {
      if (attr.kind === 'dir') sb.xattrs.setY(temp.inode, sb.xattrs.opaque);
      layerRename(sb.mounter, work, temp, udir, name, RENAME_EXCHANGE);
    } catch (e) {
      if (temp.parent === work && !temp.unlinked) layerRemove(sb.mounter, work, temp);
      throw e;
    }
    layerUnlink(sb.mounter, work, whiteout);
    upper = temp;
  }
  if (attr.link) return dir.adoptLink(name, attr.link);
  return dir.adoptUpper(name, upper);
}

/**
 * ovl_clear_empty(): the whiteouts a merged directory's upper part still holds go before the
 * directory itself can.
 */
function clearWhiteouts(victim: OvlInode, names: string[]): void {
  const up = victim.upper;
  if (!up) return;
  for (const n of names) {
    const d = layerLookup(victim.sb.mounter, up, n);
    if (d) layerUnlink(victim.sb.mounter, up, d);
  }
}

/**
 * ovl_cleanup_and_whiteout(): a whiteout (a link of the shared one) renamed to `name` in the
 * upper directory, exchanged with the object there if there is one, which then goes.
 */
function whiteoutName(dir: OvlInode, name: string): void {
  const sb = dir.sb;
  const udir = dir.upper!;
  const work = sb.workdir!;
  const old = layerLookup(sb.mounter, udir, name);
  const w = makeWhiteout(sb);
  layerRename(sb.mounter, work, w, udir, name, old ? RENAME_EXCHANGE : 0);
  if (old) layerRemove(sb.mounter, work, old);
}

/**
 * ovl_do_remove(): unlink (isDir false) or rmdir. A merged directory must show nothing but
 * whiteouts (ENOTEMPTY); the parent is copied up; the name then disappears from the upper layer,
 * replaced by a whiteout when a lower layer has it.
 */
export function removeObject(dir: OvlInode, name: string, victim: OvlInode, isDirectory: boolean): void {
  const sb = dir.sb;
  const positive = lowerPositive(dir, name, victim);
  let whiteouts: string[] = [];
  // A pure upper directory is left to the upper filesystem's own ENOTEMPTY.
  if (isDirectory && (positive || !victim.isPureUpper())) whiteouts = checkEmptyDir(victim);
  sb.wantWrite();
  copyUp(dir);
  const udir = dir.upper!;
  if (!positive) {
    clearWhiteouts(victim, whiteouts);
    const upper = layerLookup(sb.mounter, udir, name);
    // ovl_matches_upper(): the same upper inode (a hard link has other names).
    if (!upper || upper.inode !== victim.upper?.inode) throw errno('ESTALE');
    layerRemove(sb.mounter, udir, upper);
  } else {
    clearWhiteouts(victim, whiteouts);
    whiteoutName(dir, name);
  }
  dir.children.delete(name);
  if (isDirectory) victim.dead = true;
}

/** ovl_can_move(): a directory with a lower part moves only with redirect_dir=on. */
function canMove(o: OvlInode): boolean {
  return o.sb.config.redirectMode === 'on' || !isDir(o.mode) || !o.isMergeOrLower();
}

/** ovl_redirect_max: the longest redirect overlayfs writes (a longer one: EXDEV). */
const REDIRECT_MAX = 256;
const encoder = new TextEncoder();

/**
 * ovl_get_redirect(): what a renamed directory's redirect says — its name when it stays in its
 * directory, else its path from the root, each ancestor standing for itself by its own redirect
 * where it has one (an absolute one ends the walk).
 */
function redirectFor(o: OvlInode, absolute: boolean): string {
  if (!absolute) return o.name;
  const parts: string[] = [];
  for (let x: OvlInode | null = o; x?.parent; x = x.parent) {
    const r = x.redirect ?? x.name;
    parts.unshift(r);
    if (r[0] === '/') break;
  }
  const path = parts.join('/');
  return path[0] === '/' ? path : '/' + path;
}

/**
 * ovl_set_redirect(): a directory with lower parts moved (redirect_dir=on) records where its
 * lower parts are, unless its redirect already says so; a redirect that cannot be written makes
 * the rename EXDEV ("fall back to userspace copy-up").
 */
function setRedirect(o: OvlInode, samedir: boolean): void {
  const absolute = !samedir;
  if (o.redirect && (!absolute || o.redirect[0] === '/')) return;
  const r = redirectFor(o, absolute);
  const x = o.sb.xattrs;
  if (encoder.encode(r).length > REDIRECT_MAX) throw errno('EXDEV');
  try {
    x.set(o.upper!.inode, x.redirect, encoder.encode(r));
  } catch {
    throw errno('EXDEV');
  }
  o.redirect = r;
}

/**
 * ovl_rename(). The VFS has checked names, permissions and busy mount points; here come EXDEV
 * for a directory with a lower part, ENOTEMPTY for a merged target directory with anything but
 * whiteouts, the copy-ups, the opaque mark on a directory moved into a merged one, and the upper
 * rename — with RENAME_WHITEOUT when a lower layer still has the old name, or as an exchange when
 * the target is a whiteout.
 */
export function renameObject(olddir: OvlInode, oldName: string, newdir: OvlInode, newName: string, flags: number): void {
  const sb = olddir.sb;
  if (flags & ~(RENAME_EXCHANGE | RENAME_NOREPLACE)) throw errno('EINVAL');
  flags &= ~RENAME_NOREPLACE;
  const old = olddir.lookup(oldName)!;
  const target = newdir.lookup(newName);
  const overwrite = !(flags & RENAME_EXCHANGE);
  const oldIsDir = isDir(old.mode);
  const newIsDir = target !== undefined && isDir(target.mode);
  const samedir = olddir === newdir;
  // Don't copy up directory trees.
  if (!canMove(old)) throw errno('EXDEV');
  if (!overwrite && !canMove(target!)) throw errno('EXDEV');
  let whiteouts: string[] = [];
  if (overwrite && newIsDir && !target!.isPureUpper()) whiteouts = checkEmptyDir(target!);
  const newIsWhiteout = !target && upperWhiteout(newdir, newName) !== undefined;
  let cleanupWhiteout = false;
  if (overwrite) {
    if (lowerPositive(olddir, oldName, old)) flags |= newIsWhiteout ? RENAME_EXCHANGE : RENAME_WHITEOUT;
    else if (oldIsDir && newIsWhiteout) {
      flags |= RENAME_EXCHANGE;
      cleanupWhiteout = true;
    }
  }
  sb.wantWrite();
  copyUp(old);
  copyUp(newdir);
  if (!overwrite) copyUp(target!);
  if (whiteouts.length) clearWhiteouts(target!, whiteouts);
  const oldUpperdir = olddir.upper!;
  const newUpperdir = newdir.upper!;
  if (!samedir) {
    // Moving an object with a copy-up origin makes the new parent impure.
    if (old.hasOrigin()) markImpure(newdir);
    if (!overwrite && target!.hasOrigin()) markImpure(olddir);
  }
  const olddentry = layerLookup(sb.mounter, oldUpperdir, oldName)!;
  const newdentry = layerLookup(sb.mounter, newUpperdir, newName);
  if (newdentry && olddentry.inode === newdentry.inode) return;
  const oldOpaque = old.isOpaque();
  const newOpaque = target?.isOpaque() ?? false;
  // A directory with lower parts keeps them through a redirect; one without, moved into a merged
  // directory, must not show what the layers below have under its new name.
  if (oldIsDir && old.isMergeOrLower()) setRedirect(old, samedir);
  else if (oldIsDir && !oldOpaque && newdir.isMerge()) sb.xattrs.setY(olddentry.inode, sb.xattrs.opaque);
  if (!overwrite && newIsDir && target!.isMergeOrLower()) setRedirect(target!, samedir);
  else if (!overwrite && newIsDir && !newOpaque && olddir.isMerge()) sb.xattrs.setY(newdentry!.inode, sb.xattrs.opaque);
  layerRename(sb.mounter, oldUpperdir, olddentry, newUpperdir, newName, flags);
  // A directory renamed onto a whiteout left the whiteout at its old name.
  if (cleanupWhiteout) {
    const w = layerLookup(sb.mounter, oldUpperdir, oldName);
    if (w) layerUnlink(sb.mounter, oldUpperdir, w);
  }
  olddir.children.delete(oldName);
  if (overwrite) {
    if (target && newIsDir) target.dead = true;
    newdir.children.delete(newName);
    newdir.adopt(newName, old);
  } else {
    newdir.children.delete(newName);
    newdir.adopt(newName, old);
    olddir.adopt(oldName, target!);
  }
}
