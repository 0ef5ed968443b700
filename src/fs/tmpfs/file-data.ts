/**
 * A tmpfs file's data (shmem's page cache of one inode): bytes held in chunks of CHUNK_SIZE
 * (16 pages), each one `Uint8Array` that grows by doubling up to the chunk size, and a bit a page
 * saying whether that page was written (the page shmem would have allocated).
 *
 * Why chunks and not a page each: one allocation per 4 KiB page made a 64 MiB write 16k
 * allocations of zeroed memory and most of its time in allocation and garbage collection; a small
 * file paid a whole page of memory for a few bytes. A chunk that grows by doubling costs a small
 * file about its size, and a large file one allocation per 64 KiB.
 *
 * Accounting stays per page, as shmem's: `pages` counts the pages written (st_blocks, statfs,
 * ENOSPC through the superblock's takePages), a hole costs nothing, and SEEK_HOLE/SEEK_DATA see
 * pages. Memory can exceed the accounted pages only inside a chunk (a chunk holding one written
 * page at its end is allocated up to there): at most CHUNK_SIZE for each written page.
 *
 * Invariants: a chunk's bytes past the file's size, and the bytes of its pages not written, are
 * zero (truncate() clears them), so a read copies a chunk as it is; a chunk never extends past
 * CHUNK_SIZE; `pages` is the number of set bits in `masks`.
 */
import { PAGE_SIZE } from './options.js';

const PAGE_SHIFT = 12;
const PAGES_PER_CHUNK = 16;
export const CHUNK_SIZE = PAGE_SIZE * PAGES_PER_CHUNK;
/** The smallest chunk worth allocating: below it, the object costs more than its bytes. */
const MIN_CHUNK = 64;

/** What the data needs of its filesystem: page accounting (shmem_inode_acct_blocks). */
export interface PageAccount {
  /** Takes `n` pages; returns how many could be had. */
  takePages(n: number): number;
  freePages(n: number): void;
}

export class FileData {
  /** Chunk `i` holds bytes [i * CHUNK_SIZE, i * CHUNK_SIZE + chunks[i].length); undefined: none. */
  private chunks: (Uint8Array | undefined)[] = [];
  /** Per chunk, bit `p` set when its page `p` was written. */
  private masks: number[] = [];
  /** Pages written (the file's st_blocks / 8). */
  pages = 0;

  /**
   * Copies bytes [pos, pos + into.length) of a file of `size` bytes into `into`; what no chunk
   * holds reads as zero, and only that is zeroed (no fill before a copy). Returns the count.
   */
  read(size: number, pos: number, into: Uint8Array): number {
    if (pos >= size) return 0;
    const n = Math.min(into.length, size - pos);
    for (let done = 0; done < n; ) {
      const p = pos + done;
      const ci = Math.floor(p / CHUNK_SIZE);
      const off = p - ci * CHUNK_SIZE;
      const take = Math.min(CHUNK_SIZE - off, n - done);
      const chunk = this.chunks[ci];
      const have = chunk === undefined ? 0 : Math.max(0, Math.min(take, chunk.length - off));
      if (have > 0) into.set(have === chunk!.length && off === 0 ? chunk! : chunk!.subarray(off, off + have), done);
      if (have < take) into.fill(0, done + have, done + take);
      done += take;
    }
    return n;
  }

  /**
   * Writes `data` at `pos`, taking a page from `acct` for each page not written before. When none
   * can be had (shmem_get_folio()'s ENOSPC), the write stops at that page: the count is short,
   * possibly 0.
   */
  write(acct: PageAccount, pos: number, data: Uint8Array): number {
    let done = 0;
    while (done < data.length) {
      const p = pos + done;
      const ci = Math.floor(p / CHUNK_SIZE);
      const off = p - ci * CHUNK_SIZE;
      const want = Math.min(CHUNK_SIZE - off, data.length - done);
      let take = want;
      let mask = this.masks[ci] ?? 0;
      const last = (off + take - 1) >>> PAGE_SHIFT;
      for (let pg = off >>> PAGE_SHIFT; pg <= last; pg++) {
        if (mask & (1 << pg)) continue;
        if (acct.takePages(1) !== 1) {
          take = pg * PAGE_SIZE - off;
          break;
        }
        mask |= 1 << pg;
        this.pages++;
      }
      this.masks[ci] = mask;
      if (take <= 0) break;
      const chunk = this.chunkFor(ci, off + take);
      chunk.set(take === data.length ? data : data.subarray(done, done + take), off);
      done += take;
      if (take < want) break;
    }
    return done;
  }

  /** Chunk `ci`, grown (by doubling, to at most CHUNK_SIZE) to hold `end` bytes. */
  private chunkFor(ci: number, end: number): Uint8Array {
    const old = this.chunks[ci];
    if (old !== undefined && old.length >= end) return old;
    // A first write gets just what it needs (a small file costs its size); growth doubles, so
    // appending costs amortised constant time.
    let cap = Math.max(MIN_CHUNK, end);
    if (old !== undefined) for (cap = Math.max(MIN_CHUNK, old.length * 2); cap < end; ) cap *= 2;
    const grown = new Uint8Array(Math.min(cap, CHUNK_SIZE));
    if (old !== undefined) grown.set(old);
    this.chunks[ci] = grown;
    return grown;
  }

  /** mapping_seek_hole_data(): a page written is data, any other a hole; null when no data follows. */
  seekHoleData(size: number, pos: number, hole: boolean): number | null {
    const last = Math.ceil(size / PAGE_SIZE);
    for (let idx = Math.floor(pos / PAGE_SIZE); idx < last; idx++) {
      const written = ((this.masks[Math.floor(idx / PAGES_PER_CHUNK)] ?? 0) & (1 << idx % PAGES_PER_CHUNK)) !== 0;
      if (written !== hole) return Math.min(size, Math.max(pos, idx * PAGE_SIZE));
    }
    return hole ? size : null;
  }

  /**
   * shmem_setattr's shrink: frees the whole pages past `len` (giving them back to `acct`) and
   * zeroes the partial page's tail, so that a later extension reads zeros there.
   */
  truncate(acct: PageAccount, len: number): void {
    const keep = Math.ceil(len / PAGE_SIZE);
    const firstChunk = Math.floor(keep / PAGES_PER_CHUNK);
    for (let ci = firstChunk; ci < this.masks.length; ci++) {
      const mask = this.masks[ci];
      if (!mask) continue;
      const from = ci === firstChunk ? keep % PAGES_PER_CHUNK : 0;
      const dropped = mask & ~((1 << from) - 1);
      const n = popcount(dropped);
      this.masks[ci] = mask & ~dropped;
      this.pages -= n;
      acct.freePages(n);
    }
    // Everything past `len` reads as zero from now on.
    const ci = Math.floor(len / CHUNK_SIZE);
    const chunk = this.chunks[ci];
    if (chunk !== undefined) {
      const off = len - ci * CHUNK_SIZE;
      if (off === 0) this.chunks[ci] = undefined;
      else if (off < chunk.length) this.chunks[ci] = chunk.slice(0, off);
    }
    this.chunks.length = Math.min(this.chunks.length, ci + 1);
    this.masks.length = Math.min(this.masks.length, ci + 1);
  }

  /** Gives every page back (the inode is evicted); the bytes stay readable through open files. */
  release(acct: PageAccount): void {
    acct.freePages(this.pages);
  }
}

function popcount(x: number): number {
  let n = 0;
  for (; x; x &= x - 1) n++;
  return n;
}
