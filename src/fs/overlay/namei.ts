/**
 * Lookup through the layers (fs/overlayfs/namei.c ovl_lookup; overlayfs.rst "Directories",
 * "whiteouts and opaque directories", "Redirect dir"): a name is looked up in the upper
 * directory, then in each lower directory of the merged stack, top to bottom, until something
 * decides it —
 *
 * - a whiteout hides the name and everything below;
 * - a non-directory is the answer, and hides everything below;
 * - a directory merges with the directories below it, until an opaque one, a whiteout or a
 *   non-directory (which is then ignored) ends the stack;
 * - a directory with a redirect (left by renaming a merged directory with redirect_dir=on) sends
 *   the lookup in the layers below to the name, or the absolute path from the root, it records
 *   — followed unless redirect_dir=nofollow, where meeting one is EPERM.
 *
 * Meeting one of this overlay's own layer roots or work directories on the way is ELOOP (the
 * traps of overlapping layers).
 */
import type { Dentry } from '../../vfs/dentry.js';
import { errno } from '../../vfs/errno.js';
import { isDir } from '../../vfs/inode.js';
import type { OvlInode } from './inode.js';
import { canDecodeFh, type Found, type LowerPath } from './layer.js';
import { layerLookup } from './layer-ops.js';
import type { OvlSuperBlock } from './super.js';
import { isWhiteout, originHandle } from './xattrs.js';

/** struct ovl_lookup_data: the state of one lookup across the layers. */
interface LookupData {
  /** What is looked up in the next layer: the name, or the path a redirect gave. */
  name: string;
  isDir: boolean;
  opaque: boolean;
  stop: boolean;
  /** The bottom layer: nothing below it to be opaque or redirected for. */
  last: boolean;
  redirect: string | null;
}

const decoder = new TextDecoder();

/** ovl_redirect_follow(): redirects are followed unless redirect_dir=nofollow. */
export function followsRedirects(sb: OvlSuperBlock): boolean {
  return sb.config.redirectMode !== 'nofollow';
}

/**
 * ovl_check_redirect(): a directory's redirect replaces what is looked up below — a name within
 * the same parent, or an absolute path that starts over from the layers' roots.
 */
function checkRedirect(sb: OvlSuperBlock, d: Dentry, ld: LookupData, prelen: number, post: string): void {
  const raw = d.inode.getxattr(sb.xattrs.redirect);
  if (!raw) return;
  const v = decoder.decode(raw);
  // ovl_get_redirect_xattr(): an empty value, a relative one with a slash, or an absolute one with
  // an empty component is "invalid redirect".
  if (v === '' || (v[0] === '/' ? v.slice(1).split('/').includes('') : v.includes('/'))) throw errno('EINVAL');
  if (v[0] === '/') {
    ld.stop = false;
    ld.redirect = v + post;
  } else {
    ld.redirect = ld.name.slice(0, prelen) + v + post;
  }
  ld.name = ld.redirect;
}

/**
 * ovl_lookup_single(): one name in one layer directory; null when it is not there or must not be
 * used. `post` is what follows the name in an absolute path being walked.
 */
function lookupSingle(sb: OvlSuperBlock, base: Dentry, ld: LookupData, name: string, prelen: number, post: string): Dentry | null {
  const lastElement = post === '';
  const d = layerLookup(sb.mounter, base, name) ?? null;
  if (!d) return null;
  if (isWhiteout(d.inode)) {
    ld.stop = ld.opaque = true;
    return null;
  }
  if (!isDir(d.inode.mode)) {
    // Below a directory a non-directory is not merged; on its own it is the answer.
    ld.stop = true;
    return ld.isDir || !lastElement ? null : d;
  }
  if (sb.traps.has(d.inode)) throw errno('ELOOP'); // "caught in a trap of overlapping layers"
  if (lastElement) ld.isDir = true;
  if (ld.last) return d;
  if (sb.xattrs.isOpaqueDir(d.inode)) {
    ld.stop = true;
    if (lastElement) ld.opaque = true;
    return d;
  }
  checkRedirect(sb, d, ld, prelen, post);
  return d;
}

/** ovl_lookup_layer(): the name, or an absolute redirect walked from `base` component by component. */
function lookupLayer(sb: OvlSuperBlock, base: Dentry, ld: LookupData): Dentry | null {
  if (ld.name[0] !== '/') return lookupSingle(sb, base, ld, ld.name, 0, '');
  // Counted from the end: a redirect met on the way changes the prefix.
  let rem = ld.name.length - 1;
  let cur: Dentry | null = base;
  while (cur && isDir(cur.inode.mode)) {
    const at = ld.name.length - rem;
    const rest = ld.name.slice(at);
    const slash = rest.indexOf('/');
    const comp = slash < 0 ? rest : rest.slice(0, slash);
    const post = slash < 0 ? '' : rest.slice(slash);
    cur = lookupSingle(sb, cur, ld, comp, at, post);
    if (post === '') break;
    rem -= comp.length + 1;
  }
  return cur;
}

/**
 * ovl_lookup(): `name` in the merged directory `dir`; null when no layer has it visibly.
 *
 * @example
 * ```ts
 * ovlLookup(root, 'etc'); // { upper: <upper etc>, lowers: [<etc of layer 1>, <etc of layer 2>], redirect: null }
 * ```
 */
export function ovlLookup(dir: OvlInode, name: string): Found | null {
  const sb = dir.sb;
  const follow = followsRedirects(sb);
  const roots = sb.root.lowers;
  let poe = dir.lowers;
  const ld: LookupData = { name, isDir: false, opaque: false, stop: false, last: follow ? false : poe.length === 0, redirect: null };
  let upper: Dentry | null = null;
  let redirect: string | null = null;
  if (dir.upper) {
    upper = lookupLayer(sb, dir.upper, ld);
    if (ld.redirect) {
      redirect = ld.redirect;
      if (ld.redirect[0] === '/') poe = roots;
    }
  }
  const lowers: LowerPath[] = [];
  for (let i = 0; !ld.stop && i < poe.length; i++) {
    const lower = poe[i]!;
    ld.last = follow ? lower.layer.index === roots.length : i === poe.length - 1;
    const d = lookupLayer(sb, lower.dentry, ld);
    if (!d) continue;
    // A directory already in the upper layer that merges with a lower one for the first time is
    // given its origin, which makes its parent impure (ovl_fix_origin()).
    if (upper && lowers.length === 0 && ld.isDir) fixOrigin(dir, upper, d);
    lowers.push({ layer: lower.layer, dentry: d });
    if (ld.redirect && !follow) throw errno('EPERM'); // "refusing to follow redirect"
    if (ld.stop) break;
    // An absolute redirect goes on from the root's stack, at the next layer down.
    if (ld.redirect?.[0] === '/' && poe !== roots) {
      poe = roots;
      i = lower.layer.index - 1;
    }
  }
  if (!upper && lowers.length === 0) return null;
  return { upper, lowers, redirect };
}

/** ovl_fix_origin(): the origin of an upper directory, and the impure mark on its parent. */
function fixOrigin(dir: OvlInode, upper: Dentry, lower: Dentry): void {
  const x = dir.sb.xattrs;
  if (x.has(upper.inode, x.origin)) return;
  dir.sb.wantWrite();
  x.set(upper.inode, x.origin, originHandle(lower.inode, canDecodeFh(lower.inode)));
  markImpure(dir);
}

/** ovl_set_impure(): the upper directory of `dir` may now hold entries with an origin. */
export function markImpure(dir: OvlInode): void {
  const x = dir.sb.xattrs;
  const up = dir.upper!.inode;
  if (!x.has(up, x.impure)) x.setY(up, x.impure);
}

/**
 * ovl_lower_positive(): whether a lower layer still has `name` under `dir` — then removing or
 * renaming it away must leave a whiteout.
 */
export function lowerPositive(dir: OvlInode, name: string, victim: OvlInode): boolean {
  if (!victim.upper) return true;
  for (const lp of dir.lowers) {
    const d = layerLookup(dir.sb.mounter, lp.dentry, name);
    if (d) return !isWhiteout(d.inode);
  }
  return false;
}

/** ovl_dentry_is_whiteout() of a name: the upper directory holds a whiteout there. */
export function upperWhiteout(dir: OvlInode, name: string): Dentry | undefined {
  if (!dir.upper) return undefined;
  const d = layerLookup(dir.sb.mounter, dir.upper, name);
  return d && isWhiteout(d.inode) ? d : undefined;
}
