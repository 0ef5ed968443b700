/**
 * Merged directory listings (fs/overlayfs/readdir.c; overlayfs.rst "readdir"): the upper
 * directory's entries, then each lower directory's in stack order, a name listed once — where it
 * is first met — and whiteouts hiding the name wherever they are met first. Also the emptiness
 * test of rmdir and rename over a directory (ovl_check_empty_dir), which looks through the merged
 * listing: only whiteouts may be left, and the upper directory's own whiteouts are handed back
 * to be cleared before the directory goes.
 */
import { errno } from '../../vfs/errno.js';
import { S_IFCHR, type DirEntry } from '../../vfs/inode.js';
import type { OvlInode } from './inode.js';
import { layerLookup, layerReaddir } from './layer-ops.js';
import { isWhiteout } from './xattrs.js';

interface MergedEntry extends DirEntry {
  whiteout: boolean;
  /** Found in the upper directory. */
  upper: boolean;
}

/** ovl_dir_read_merged(): every name of every layer of `dir`, first sighting wins. */
function readMerged(dir: OvlInode): MergedEntry[] {
  const seen = new Map<string, MergedEntry>();
  const layers = [...(dir.upper ? [{ dentry: dir.upper, upper: true }] : []), ...dir.lowers.map((l) => ({ dentry: l.dentry, upper: false }))];
  for (const { dentry, upper } of layers) {
    for (const e of layerReaddir(dir.sb.mounter, dentry)) {
      if (seen.has(e.name)) continue;
      // ovl_check_whiteouts(): a character device is looked at to tell a whiteout.
      const whiteout = e.type === S_IFCHR && isWhiteout(layerLookup(dir.sb.mounter, dentry, e.name)!.inode);
      seen.set(e.name, { ...e, whiteout, upper });
    }
  }
  return [...seen.values()];
}

/** ovl_iterate(): the merged listing without whiteouts (`.` and `..` are the VFS's). */
export function ovlReaddir(dir: OvlInode): DirEntry[] {
  return readMerged(dir)
    .filter((e) => !e.whiteout)
    .map(({ name, ino, type }) => ({ name, ino, type }));
}

/**
 * ovl_check_empty_dir(): ENOTEMPTY when anything but whiteouts shows; else the names of the
 * whiteouts in the upper directory, which must go with it.
 */
export function checkEmptyDir(dir: OvlInode): string[] {
  const upperWhiteouts: string[] = [];
  for (const e of readMerged(dir)) {
    if (!e.whiteout) throw errno('ENOTEMPTY');
    if (e.upper) upperWhiteouts.push(e.name);
  }
  return upperWhiteouts;
}
