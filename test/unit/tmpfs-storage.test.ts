/**
 * How tmpfs stores what it holds, below the syscalls: a file's bytes in growable chunks with
 * shmem's page accounting (file-data.ts), a directory's names in their dentries with their
 * creation order (src/fs/libfs/offset-ctx.ts), and the HoleMap the name index uses so that a name removed and made again in a huge
 * directory stays fast. The syscall-level rules (st_blocks, statfs, ENOSPC, SEEK_HOLE, readdir
 * order) are pinned in the syscall tests; these check the edges of the storage itself.
 */
import { describe, expect, it } from 'vitest';
import { CHUNK_SIZE, FileData, type PageAccount } from '../../src/fs/tmpfs/file-data.js';
import { HoleMap } from '../../src/vfs/hole-map.js';
import { createSandbox, O_CREAT, O_DIRECTORY, O_RDONLY, O_WRONLY } from '../../src/index.js';

const PAGE = 4096;

/** A superblock's page account with a limit (0: none). */
function account(limit = 0): PageAccount & { used: number } {
  return {
    used: 0,
    takePages(n) {
      const got = limit ? Math.max(0, Math.min(n, limit - this.used)) : n;
      this.used += got;
      return got;
    },
    freePages(n) {
      this.used -= n;
    },
  };
}

const bytes = (n: number, v: number): Uint8Array => new Uint8Array(n).fill(v);

describe('FileData', () => {
  it('reads back what a write spanning chunks put there, and accounts each page once', () => {
    const a = account();
    const d = new FileData();
    const data = Uint8Array.from({ length: CHUNK_SIZE + 3 * PAGE }, (_, i) => i % 251);
    expect(d.write(a, 100, data)).toBe(data.length);
    const size = 100 + data.length;
    expect(d.pages).toBe(Math.ceil(size / PAGE));
    expect(a.used).toBe(d.pages);
    const back = new Uint8Array(size).fill(9);
    expect(d.read(size, 0, back)).toBe(size);
    expect(back.subarray(0, 100)).toEqual(bytes(100, 0));
    expect(back.subarray(100)).toEqual(data);
    d.write(a, 0, bytes(10, 1)); // an overwrite takes no page
    expect(a.used).toBe(d.pages);
  });

  it('charges only the pages written: a hole costs nothing and reads as zeros', () => {
    const a = account();
    const d = new FileData();
    d.write(a, 10 * CHUNK_SIZE + 5, bytes(3, 7));
    expect(d.pages).toBe(1);
    const size = 10 * CHUNK_SIZE + 8;
    const into = new Uint8Array(16).fill(9);
    expect(d.read(size, 10 * CHUNK_SIZE - 8, into)).toBe(16);
    expect([...into]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7, 7, 7]);
    expect(d.seekHoleData(size, 0, false)).toBe(10 * CHUNK_SIZE);
    expect(d.seekHoleData(size, 0, true)).toBe(0);
  });

  it('stops a write at the first page it cannot have (a short write, or none)', () => {
    const a = account(2);
    const d = new FileData();
    expect(d.write(a, 100, bytes(3 * PAGE, 1))).toBe(2 * PAGE - 100);
    expect(d.write(a, 2 * PAGE, bytes(10, 1))).toBe(0);
    expect(d.pages).toBe(2);
  });

  it('a shrink gives back whole pages past the end and the bytes past it read as zeros after growth', () => {
    const a = account();
    const d = new FileData();
    d.write(a, 0, bytes(3 * CHUNK_SIZE, 5));
    d.truncate(a, PAGE + 10);
    expect(d.pages).toBe(2);
    expect(a.used).toBe(2);
    d.write(a, 2 * CHUNK_SIZE, bytes(1, 6));
    const into = new Uint8Array(PAGE);
    d.read(2 * CHUNK_SIZE + 1, PAGE, into);
    expect(into.subarray(0, 10)).toEqual(bytes(10, 5));
    expect(into.subarray(10)).toEqual(bytes(PAGE - 10, 0));
    d.release(a);
    expect(a.used).toBe(0);
  });
  it('a write far past the end, then a truncate, costs the chunks there are, not the range', () => {
    const a = account();
    const d = new FileData();
    const far = 2 ** 50;
    d.write(a, far, bytes(10, 1));
    d.write(a, 5, bytes(10, 1));
    expect(d.pages).toBe(2);
    d.truncate(a, 1);
    expect([d.pages, a.used]).toEqual([1, 1]);
    expect(d.seekHoleData(far + 10, 0, false)).toBe(0);
  });
});

describe('HoleMap', () => {
  it('a key removed and set again is found, and the count of live keys holds through rebuilds', () => {
    const m = new HoleMap<string, number>();
    for (let i = 0; i < 100; i++) m.set(`k${i}`, i);
    for (let r = 0; r < 1000; r++) {
      expect(m.delete('k7')).toBe(true);
      expect(m.get('k7')).toBeUndefined();
      expect(m.delete('k7')).toBe(false);
      m.set('k7', r);
    }
    for (let i = 0; i < 90; i++) m.delete(`k${i}`);
    expect(m.size).toBe(10);
    expect([...m.values()]).toEqual([90, 91, 92, 93, 94, 95, 96, 97, 98, 99]);
  });
});

describe("a directory's readdir order (libfs's offset context)", () => {
  it('lists newest first; a name made again is the newest, through compactions', () => {
    const p = createSandbox().process;
    p.mkdir('/d');
    const make = (n: string): void => p.close(p.open(`/d/${n}`, O_WRONLY | O_CREAT, 0o644));
    for (let i = 0; i < 50; i++) make(`n${i}`);
    for (let i = 0; i < 40; i++) p.unlink(`/d/n${i}`);
    p.unlink('/d/n45');
    make('n45');
    make('n0');
    const fd = p.open('/d', O_RDONLY | O_DIRECTORY);
    const seen = p.getdents(fd).map((e) => e.name).filter((n) => n !== '.' && n !== '..');
    p.close(fd);
    expect(seen).toEqual(['n0', 'n45', 'n49', 'n48', 'n47', 'n46', 'n44', 'n43', 'n42', 'n41', 'n40']);
  });
});

describe('a huge directory', () => {
  it('keeps a name made and removed again and again as cheap as in a small one', () => {
    const p = createSandbox({ size: 0, inodes: 0 }).process;
    p.mkdir('/d');
    const churn = (reps: number): number => {
      const t = performance.now();
      for (let i = 0; i < reps; i++) {
        p.close(p.open('/d/x', O_WRONLY | O_CREAT, 0o644));
        p.unlink('/d/x');
      }
      return performance.now() - t;
    };
    churn(2000);
    const small = churn(5000);
    for (let i = 0; i < 50_000; i++) p.close(p.open(`/d/f${i}`, O_WRONLY | O_CREAT, 0o644));
    const huge = churn(5000);
    // Before HoleMap, the huge directory made each pair about ten times slower (V8's chains).
    expect(huge).toBeLessThan(small * 4 + 20);
    expect(p.getdents(p.open('/d', O_RDONLY | O_DIRECTORY)).length).toBe(50_002);
  });
});
