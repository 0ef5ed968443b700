/**
 * HoleMap: a Map whose deletions leave the key in place with no value (a hole) until holes
 * outnumber live entries, when the map is rebuilt without them.
 *
 * Why: a V8 Map keeps a deleted entry in its bucket's chain until the table is rehashed, and a
 * large table is rehashed rarely. Deleting and adding the same key again and again in a map of
 * 100k (a file made and removed under one name in a huge directory, a rename away and back) grows
 * that chain by one entry each time, and every lookup that lands in the bucket walks it: measured,
 * a create+unlink pair in a directory of 100k names went from 11 µs to 112 µs. Setting a value in
 * place never grows a chain. The rebuild costs the live entries and happens only after as many
 * deletions, so it is amortised constant time. Users: the dentry cache (dentry.ts; for tmpfs
 * it is the directory itself) and the mount hash (mount.ts, where this began).
 *
 * Invariants: `holes` is the number of keys mapped to null; `size` counts the others; iteration
 * skips holes, in the order the keys were first added since the last rebuild.
 */
export class HoleMap<K, V> {
  private map = new Map<K, V | null>();
  private holes = 0;

  /** Live entries. */
  get size(): number {
    return this.map.size - this.holes;
  }

  get(k: K): V | undefined {
    return this.map.get(k) ?? undefined;
  }

  set(k: K, v: V): void {
    if (this.map.get(k) === null) this.holes--;
    this.map.set(k, v);
  }

  /**
   * Sets `k`, which has no value (absent, or a hole): one hash operation where set() takes two,
   * since a key already in the map can only be a hole. A create in a huge directory pays a
   * lookup a map (measured: most of a create's time in a directory of 100k).
   */
  add(k: K, v: V): void {
    const n = this.map.size;
    this.map.set(k, v);
    if (this.map.size === n) this.holes--;
  }

  /** Removes `k`; false when it had no value. */
  delete(k: K): boolean {
    return this.take(k) !== undefined;
  }

  /** Removes `k` and returns its value; undefined when it had none. */
  take(k: K): V | undefined {
    const v = this.map.get(k);
    if (v === undefined || v === null) return undefined;
    this.punch(k);
    return v;
  }

  /** Removes `k` if its value is `v` (two hash operations, where get() then delete() take three). */
  deleteIf(k: K, v: V): boolean {
    if (this.map.get(k) !== v) return false;
    this.punch(k);
    return true;
  }

  /** Makes live `k` a hole; rebuilds when holes outnumber live keys. */
  private punch(k: K): void {
    this.map.set(k, null);
    if (++this.holes > 16 && this.holes > this.map.size - this.holes) {
      const live = new Map<K, V | null>();
      for (const [key, value] of this.map) if (value !== null) live.set(key, value);
      this.map = live;
      this.holes = 0;
    }
  }

  *values(): IterableIterator<V> {
    for (const v of this.map.values()) if (v !== null) yield v;
  }
}
