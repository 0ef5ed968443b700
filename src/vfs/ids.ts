/**
 * IdAllocator: the kernel's IDA, handing out the smallest free integer at or above a minimum.
 * Mount ids, peer-group ids and anonymous device minors come from one each, so numbers are
 * reused exactly as the kernel reuses them and a run is deterministic.
 *
 * The ids in use are a bitmap, not a Set: a mount and umount in a loop takes and gives back the
 * same id over and over, and a large V8 Set slows down on that (the deleted entries pile up in the
 * key's bucket until the next rehash).
 */
export class IdAllocator {
  private used = new Uint32Array(64);
  private hint: number;

  constructor(private readonly min: number) {
    this.hint = min;
  }

  private has(id: number): boolean {
    const w = id >>> 5;
    return w < this.used.length && (this.used[w]! & (1 << (id & 31))) !== 0;
  }

  alloc(): number {
    let id = this.hint;
    while (this.has(id)) id++;
    const w = id >>> 5;
    if (w >= this.used.length) {
      const bigger = new Uint32Array(Math.max(this.used.length * 2, w + 1));
      bigger.set(this.used);
      this.used = bigger;
    }
    this.used[w]! |= 1 << (id & 31);
    this.hint = id + 1;
    return id;
  }

  free(id: number): void {
    if (!this.has(id)) return;
    this.used[id >>> 5]! &= ~(1 << (id & 31));
    if (id < this.hint) this.hint = id;
  }
}
