/**
 * OffsetCtx: the readdir order of a directory that lives in the dentry cache (fs/libfs.c's
 * struct offset_ctx with simple_offset_add(), simple_offset_remove() and the offset_dir
 * operations, which shmem uses): each name's dentry gets the next position when its name is
 * made, remembers it in `Dentry.fsdata` (the kernel keeps it in d_fsdata too), and readdir hands
 * the names out newest first, as this kernel's shmem does.
 *
 * The positions are an array of dentries appended as names are made; a removed name's place is
 * left empty until empty places outnumber the others, when the array is compacted and every
 * dentry renumbered (amortised constant time). No name index here: the dentry cache is the
 * directory's only one (src/vfs/dentry.ts, `DcacheDirectory`), and a removal finds its place
 * through the dentry.
 *
 * Invariants: `at[d.fsdata] === d` for every dentry of a live name, and `live` counts them; a
 * place holding null is a removed name's.
 */
import type { Dentry } from '../../vfs/dentry.js';

export class OffsetCtx {
  private at: (Dentry | null)[] = [];
  private empty = 0;

  /** Names in the directory. */
  get size(): number {
    return this.at.length - this.empty;
  }

  /** simple_offset_add(): `d`'s name is the newest. */
  add(d: Dentry): void {
    d.fsdata = this.at.push(d) - 1;
  }

  /** simple_offset_remove(): `d`'s name is gone; its place empties. */
  remove(d: Dentry): void {
    if (this.at[d.fsdata] !== d) return;
    this.at[d.fsdata] = null;
    d.fsdata = -1;
    if (++this.empty > 16 && this.empty > this.at.length - this.empty) {
      const live = this.at.filter((x): x is Dentry => x !== null);
      for (let i = 0; i < live.length; i++) live[i]!.fsdata = i;
      this.at = live;
      this.empty = 0;
    }
  }

  /** Calls `fn` on every name's dentry, newest first (offset_dir_emit() order on this kernel). */
  forEachNewestFirst(fn: (d: Dentry) => void): void {
    for (let i = this.at.length - 1; i >= 0; i--) {
      const d = this.at[i];
      if (d) fn(d);
    }
  }
}
