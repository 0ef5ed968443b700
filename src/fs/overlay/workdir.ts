/**
 * The work directory (overlayfs.rst "Upper and Lower": "The workdir needs to be an empty
 * directory on the same filesystem as upperdir"): `work` (and `index`) made in it at mount time,
 * what is left there by an earlier mount cleaned away — or the mount refused (EINVAL) when an
 * earlier volatile mount left `work/incompat/volatile` — the temporary names overlayfs prepares
 * objects under before renaming them into place, and the shared whiteout every whiteout is a
 * hard link of (ovl_whiteout).
 *
 * Measured: `work` has mode 0 and the mounter as owner; a stale `work` is emptied two levels deep
 * in readdir order (newest first on tmpfs); a deeper leftover cannot be removed and the overlay is
 * mounted read-only instead; `incompat` with anything in it fails the mount; the shared whiteout
 * stays in `work` until the next mount cleans it; a volatile mount leaves
 * `work/incompat/volatile/dirty` (all of mode 0).
 */
import type { Dentry } from '../../vfs/dentry.js';
import { errno, SysError } from '../../vfs/errno.js';
import { isDir, RENAME_WHITEOUT, S_IFDIR, S_IFREG } from '../../vfs/inode.js';
import { asMounter, layerCreate, layerLink, layerLookup, layerMkdir, layerReaddir, layerRemove, layerRename, layerWhiteout } from './layer-ops.js';
import type { OvlSuperBlock } from './super.js';

export const OVL_WORKDIR_NAME = 'work';
export const OVL_INDEXDIR_NAME = 'index';
const OVL_INCOMPATDIR_NAME = 'incompat';

/** ovl_lookup_temp(): a fresh `#<hex>` name in the work directory. */
export function tempName(sb: OvlSuperBlock): string {
  for (;;) {
    const name = '#' + (++sb.tempId).toString(16);
    if (!layerLookup(sb.mounter, sb.workdir!, name)) return name;
  }
}

/**
 * ovl_cleanup(): removes a leftover; its errno (ENOTEMPTY for a directory that is not empty)
 * goes back to the caller.
 */
function cleanup(sb: OvlSuperBlock, parent: Dentry, d: Dentry): void {
  layerRemove(sb.mounter, parent, d);
}

/**
 * ovl_workdir_cleanup(): a leftover in the work directory goes; a directory one or two levels
 * down is emptied first, anything deeper must go in one step.
 */
function workdirCleanup(sb: OvlSuperBlock, parent: Dentry, d: Dentry, level: number): void {
  if (!isDir(d.inode.mode) || level > 1) return cleanup(sb, parent, d);
  try {
    cleanup(sb, parent, d);
    return;
  } catch (e) {
    if (!(e instanceof SysError)) throw e;
  }
  cleanupRecurse(sb, d, level + 1);
  cleanup(sb, parent, d);
}

/** ovl_workdir_cleanup_recurse(): anything under `work/incompat` is a feature this mount lacks. */
function cleanupRecurse(sb: OvlSuperBlock, dir: Dentry, level: number): void {
  const incompat = level === 2 && dir.name === OVL_INCOMPATDIR_NAME;
  for (const e of layerReaddir(sb.mounter, dir)) {
    if (incompat) throw errno('EINVAL'); // "overlay with incompat feature '%s' cannot be mounted"
    const d = layerLookup(sb.mounter, dir, e.name);
    if (d) workdirCleanup(sb, dir, d, level);
  }
}

/**
 * ovl_workdir_create(): `name` made afresh in the work base directory (or kept, with `persist`).
 * Null when it cannot be made (the overlay is then mounted read-only); EINVAL when a leftover
 * names an incompatible feature.
 */
export function workdirCreate(sb: OvlSuperBlock, name: string, persist: boolean): Dentry | null {
  const base = sb.workbase!;
  let retried = false;
  for (;;) {
    const existing = layerLookup(sb.mounter, base, name);
    if (existing) {
      if (retried) return null; // "failed to create directory %s/%s (errno: EEXIST); mounting read-only"
      if (persist) return existing;
      retried = true;
      try {
        workdirCleanup(sb, base, existing, 0);
      } catch (e) {
        if (e instanceof SysError && e.code === 'EINVAL') throw e;
        if (!(e instanceof SysError)) throw e;
      }
      continue;
    }
    try {
      const work = layerMkdir(sb.mounter, base, name, asMounter(base, S_IFDIR, sb.mounter));
      // "Clear any inherited mode bits": a setgid work base would hand on S_ISGID.
      work.inode.setattr({ mode: 0 });
      return work;
    } catch (e) {
      if (e instanceof SysError) return null;
      throw e;
    }
  }
}

/** ovl_create_volatile_dirty(): work/incompat/volatile/dirty marks a volatile upper. */
export function createVolatileDirty(sb: OvlSuperBlock): void {
  let d = sb.workbase!;
  const path: [string, number][] = [
    [OVL_WORKDIR_NAME, S_IFDIR],
    [OVL_INCOMPATDIR_NAME, S_IFDIR],
    ['volatile', S_IFDIR],
    ['dirty', S_IFREG],
  ];
  for (const [name, type] of path) {
    const child = layerLookup(sb.mounter, d, name);
    if (child) {
      d = child;
      continue;
    }
    const attr = asMounter(d, type, sb.mounter);
    d = type === S_IFDIR ? layerMkdir(sb.mounter, d, name, attr) : layerCreate(sb.mounter, d, name, attr);
  }
}

/**
 * ovl_whiteout(): a whiteout under a temporary name in the work directory, ready to be renamed
 * into place. Every one is a hard link of one shared whiteout kept in the work directory, until
 * linking fails (other than for too many links), which ends the sharing.
 */
export function makeWhiteout(sb: OvlSuperBlock): Dentry {
  const work = sb.workdir!;
  if (!sb.sharedWhiteout) sb.sharedWhiteout = layerWhiteout(sb.mounter, work, tempName(sb));
  if (!sb.noSharedWhiteout) {
    const name = tempName(sb);
    try {
      return layerLink(sb.mounter, sb.sharedWhiteout, work, name);
    } catch (e) {
      if (!(e instanceof SysError)) throw e;
      if (e.code !== 'EMLINK') sb.noSharedWhiteout = true;
    }
  }
  const w = sb.sharedWhiteout;
  sb.sharedWhiteout = null;
  return w;
}

/**
 * ovl_check_rename_whiteout(): a file made in the work directory and renamed with
 * RENAME_WHITEOUT, both then removed. Making it is the first thing the mounter must be allowed to
 * do in `work`, whose mode is 0: without CAP_DAC_OVERRIDE the mount fails here (EACCES).
 */
export function probeRenameWhiteout(sb: OvlSuperBlock): void {
  const m = sb.mounter;
  const work = sb.workdir!;
  const temp = layerCreate(m, work, tempName(sb), asMounter(work, S_IFREG, m));
  const oldName = temp.name;
  try {
    layerRename(m, work, temp, work, tempName(sb), RENAME_WHITEOUT);
  } catch (e) {
    if (!(e instanceof SysError)) throw e;
  }
  for (const name of [oldName, temp.name]) {
    const d = work.lookup(name);
    if (d) layerRemove(m, work, d);
  }
}

/**
 * ovl_indexdir_cleanup(): what a mount left under a temporary name in `index` goes (index
 * entries proper are not modelled, so nothing else is there to verify).
 */
export function indexdirCleanup(sb: OvlSuperBlock): void {
  const index = sb.indexdir!;
  for (const e of layerReaddir(sb.mounter, index)) {
    if (!e.name.startsWith('#')) continue;
    const d = layerLookup(sb.mounter, index, e.name);
    if (d) workdirCleanup(sb, index, d, 1);
  }
}
