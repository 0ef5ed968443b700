/**
 * IdAllocator: the kernel's IDA, handing out the smallest free integer at or above a minimum.
 * Mount ids, peer-group ids and anonymous device minors come from one each, so numbers are
 * reused exactly as the kernel reuses them and a run is deterministic.
 */
export class IdAllocator {
  private readonly used = new Set<number>();
  private hint: number;

  constructor(private readonly min: number) {
    this.hint = min;
  }

  alloc(): number {
    let id = this.hint;
    while (this.used.has(id)) id++;
    this.used.add(id);
    this.hint = id + 1;
    return id;
  }

  free(id: number): void {
    if (this.used.delete(id) && id < this.hint) this.hint = id;
  }
}
