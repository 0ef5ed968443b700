/**
 * A tmpfs directory's entries: name → inode, and the order the names were made in (shmem's
 * offset map, simple_offset_add()), which readdir hands out newest first on this kernel.
 *
 * The names sit in a HoleMap (src/vfs/hole-map.ts) so that a name removed and made again in a
 * huge directory does not walk V8's chain of deleted entries; the order is an array of slots
 * appended as names are made, a removed name's slot left empty until empty slots outnumber the
 * others, when the array is compacted (amortised constant time).
 *
 * Invariants: every live name has exactly one slot holding its inode, the newest of the slots
 * ever made for it; a slot whose inode is null is a removed name's.
 */
import { HoleMap } from '../../vfs/hole-map.js';

interface Slot<I> {
  readonly name: string;
  inode: I | null;
}

export class DirEntries<I> {
  private readonly byName = new HoleMap<string, Slot<I>>();
  /** Oldest first, with removed names' slots until compaction. */
  private order: Slot<I>[] = [];
  private empty = 0;

  get size(): number {
    return this.byName.size;
  }

  get(name: string): I | undefined {
    return this.byName.get(name)?.inode ?? undefined;
  }

  /** Makes `name` (absent) the newest entry. */
  add(name: string, inode: I): void {
    const slot: Slot<I> = { name, inode };
    this.byName.add(name, slot);
    this.order.push(slot);
  }

  /** Removes `name`, if present. */
  remove(name: string): void {
    const slot = this.byName.take(name);
    if (!slot) return;
    slot.inode = null;
    if (++this.empty > 16 && this.empty > this.order.length - this.empty) {
      this.order = this.order.filter((s) => s.inode !== null);
      this.empty = 0;
    }
  }

  /** Calls `fn` on every entry, newest first. */
  forEachNewestFirst(fn: (name: string, inode: I) => void): void {
    for (let i = this.order.length - 1; i >= 0; i--) {
      const s = this.order[i]!;
      if (s.inode !== null) fn(s.name, s.inode);
    }
  }

}
