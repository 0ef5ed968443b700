/**
 * Time as the VFS keeps it: `Timespec` (seconds and nanoseconds, like struct timespec) and the
 * injected `Clock` that stamps atime/mtime/ctime. The default clock is deterministic (DESIGN.md
 * decision 6): it starts at a fixed instant and advances one microsecond a reading, so two runs of
 * the same plan stamp the same times and every change is still ordered.
 */

export interface Timespec {
  readonly sec: number;
  readonly nsec: number;
}

export interface Clock {
  now(): Timespec;
}

/** UTIME_NOW and UTIME_OMIT of utimensat(2). */
export const UTIME_NOW = (1 << 30) - 1;
export const UTIME_OMIT = (1 << 30) - 2;

/**
 * A clock that starts at `startSec` and moves `stepNs` each reading.
 *
 * @example
 * ```ts
 * const c = new SteppingClock(1_700_000_000, 1000);
 * c.now(); // { sec: 1700000000, nsec: 0 }
 * c.now(); // { sec: 1700000000, nsec: 1000 }
 * ```
 */
export class SteppingClock implements Clock {
  private ns = 0n;
  constructor(
    private readonly startSec = 1_767_225_600, // 2026-01-01T00:00:00Z
    private readonly stepNs = 1000,
  ) {}
  now(): Timespec {
    const t = this.ns;
    this.ns += BigInt(this.stepNs);
    return { sec: this.startSec + Number(t / 1_000_000_000n), nsec: Number(t % 1_000_000_000n) };
  }
}

export function timespecEqual(a: Timespec, b: Timespec): boolean {
  return a.sec === b.sec && a.nsec === b.nsec;
}
