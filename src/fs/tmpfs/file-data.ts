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
 * page at its end is allocated up to there) or a slab (a small chunk's slab stays while any
 * piece of it does): at most CHUNK_SIZE for each written page.
 *
 * A chunk is a range of an array, not an array of its own: a small file's chunk is a piece of a
 * shared slab, and holding it as (slab, offset, length) rather than as a `subarray` view spares
 * a 96-byte view object a file. Chunk 0 lives in the FileData's own fields (most files have no
 * other), so a small file's data costs one object besides its bytes.
 *
 * Invariants: a chunk's bytes past the file's size, and the bytes of its pages not written, are
 * zero (truncate() drops them), so a read copies a chunk as it is; a chunk never extends past
 * CHUNK_SIZE, nor past its `len` in its array (the rest of a slab is other files'); `pages` is
 * the number of page bits set over all chunks.
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

/**
 * One chunk: its bytes, `bytes[off, off + len)` (grown to the last one written), and a bit per
 * page written.
 */
interface Chunk {
  bytes: Uint8Array;
  off: number;
  len: number;
  mask: number;
}

const NO_BYTES = new Uint8Array(0);

export class FileData implements Chunk {
  /**
   * Chunk `i` (i > 0) holds bytes [i * CHUNK_SIZE, i * CHUNK_SIZE + len). A Map, not an array: a
   * sparse file's chunk indices reach 2^37, past what an array indexes, and a Map visits only the
   * chunks there are.
   */
  private more: Map<number, Chunk> | null = null;
  /** Chunk 0, in these fields (the Chunk this object is), apart from the Map; `len` 0: none. */
  bytes = NO_BYTES;
  off = 0;
  len = 0;
  mask = 0;
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
      const c = this.chunk(ci);
      const have = c === undefined ? 0 : Math.max(0, Math.min(take, c.len - off));
      if (c !== undefined && have > 0) {
        const from = c.off + off;
        into.set(have === c.bytes.length ? c.bytes : c.bytes.subarray(from, from + have), done);
      }
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
      const chunk = this.chunk(ci);
      let mask = chunk === undefined ? 0 : chunk.mask;
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
      if (take <= 0) {
        if (chunk !== undefined) chunk.mask = mask;
        break;
      }
      const c = chunk ?? (ci === 0 ? this : this.newChunk(ci));
      grow(c, off + take);
      c.mask = mask;
      c.bytes.set(take === data.length ? data : data.subarray(done, done + take), c.off + off);
      done += take;
      if (take < want) break;
    }
    return done;
  }

  /** mapping_seek_hole_data(): a page written is data, any other a hole; null when no data follows. */
  seekHoleData(size: number, pos: number, hole: boolean): number | null {
    const last = Math.ceil(size / PAGE_SIZE);
    for (let idx = Math.floor(pos / PAGE_SIZE); idx < last; idx++) {
      const mask = this.chunk(Math.floor(idx / PAGES_PER_CHUNK))?.mask ?? 0;
      if (((mask & (1 << idx % PAGES_PER_CHUNK)) !== 0) !== hole) return Math.min(size, Math.max(pos, idx * PAGE_SIZE));
    }
    return hole ? size : null;
  }

  /**
   * shmem_setattr's shrink: frees the whole pages past `len` (giving them back to `acct`) and
   * drops the bytes past `len`, so that a later extension reads zeros there.
   */
  truncate(acct: PageAccount, len: number): void {
    const keep = Math.ceil(len / PAGE_SIZE);
    const edge = Math.floor(len / CHUNK_SIZE);
    if (this.len > 0 && edge === 0 && !this.cut(acct, 0, this, keep, len)) {
      this.bytes = NO_BYTES;
      this.off = this.len = this.mask = 0;
    }
    if (this.more === null) return;
    for (const [ci, chunk] of this.more) {
      if (ci < edge) continue;
      if (!this.cut(acct, ci, chunk, keep, len)) this.more.delete(ci);
    }
  }

  /** A new, empty chunk `ci` (> 0). */
  private newChunk(ci: number): Chunk {
    const c: Chunk = { bytes: NO_BYTES, off: 0, len: 0, mask: 0 };
    (this.more ??= new Map()).set(ci, c);
    return c;
  }

  private chunk(ci: number): Chunk | undefined {
    return ci === 0 ? (this.len > 0 ? this : undefined) : this.more?.get(ci);
  }

  /** Chunk `ci` without the file's pages from `keep` and its bytes from `len`; false: nothing left. */
  private cut(acct: PageAccount, ci: number, chunk: Chunk, keep: number, len: number): boolean {
    // Pages [keep, …) of the file go; in the chunk holding `len`, that is from its page keep % 16.
    const from = ci * PAGES_PER_CHUNK >= keep ? 0 : keep - ci * PAGES_PER_CHUNK;
    const dropped = chunk.mask & ~((1 << from) - 1);
    const n = popcount(dropped);
    this.pages -= n;
    acct.freePages(n);
    chunk.mask &= ~dropped;
    const off = len - ci * CHUNK_SIZE;
    if (off <= 0) return false;
    if (off < chunk.len) {
      chunk.bytes = chunk.bytes.slice(chunk.off, chunk.off + off);
      chunk.off = 0;
      chunk.len = off;
    }
    return true;
  }

  /** Gives every page back (the inode is evicted); the bytes stay readable through open files. */
  release(acct: PageAccount): void {
    acct.freePages(this.pages);
  }
}

/**
 * `c` grown to hold `end` bytes: a first write gets just what it needs (a small file costs its
 * size), growth doubles (appending costs amortised constant time), never past CHUNK_SIZE.
 */
function grow(c: Chunk, end: number): void {
  if (c.len >= end) return;
  let cap = Math.max(MIN_CHUNK, end);
  if (c.len > 0) for (cap = Math.max(MIN_CHUNK, c.len * 2); cap < end; ) cap *= 2;
  cap = Math.min(cap, CHUNK_SIZE);
  let bytes: Uint8Array;
  let off = 0;
  if (cap <= SLAB_PIECE) {
    if (slabUsed + cap > slab.length) {
      slab = new Uint8Array(CHUNK_SIZE);
      slabUsed = 0;
    }
    bytes = slab;
    off = slabUsed;
    // Pieces start 8-byte aligned, as an allocator's would.
    slabUsed += (cap + 7) & ~7;
  } else bytes = new Uint8Array(cap);
  if (c.len > 0) bytes.set(c.bytes.subarray(c.off, c.off + c.len), off);
  c.bytes = bytes;
  c.off = off;
  c.len = cap;
}

function popcount(x: number): number {
  let n = 0;
  for (; x; x &= x - 1) n++;
  return n;
}

/**
 * Small chunks (of at most a page) are carved from shared slabs of CHUNK_SIZE (grow()), not made
 * one ArrayBuffer each: an ArrayBuffer is an allocation, a registration as external memory and,
 * by the hundred thousand, full garbage collections, which were most of the time a small file
 * took to make. A slab lives while any piece of it does; a piece pins at most CHUNK_SIZE for its
 * page, the bound a chunk already has.
 */
const SLAB_PIECE = PAGE_SIZE;
let slab = new Uint8Array(0);
let slabUsed = 0;
