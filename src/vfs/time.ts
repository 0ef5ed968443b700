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
  /** Whole seconds past `startSec` and the nanoseconds past them of the next reading. */
  private secs = 0;
  private nsecs = 0;
  /** A step the two counters do not take (negative, fractional or over a second): BigInt. */
  private ns: bigint | null;
  constructor(
    private readonly startSec = 1_767_225_600, // 2026-01-01T00:00:00Z
    private readonly stepNs = 1000,
  ) {
    // Why two counters: BigInt arithmetic made three BigInts a reading, and a create reads the
    // clock three times. For a whole step of at most a second they give exactly the readings
    // the BigInt count gives (integers far below 2^53, one carry at most a step).
    this.ns = Number.isInteger(stepNs) && stepNs >= 0 && stepNs <= 1_000_000_000 ? null : 0n;
  }
  now(): Timespec {
    if (this.ns !== null) return this.nowBig(this.ns);
    const t = { sec: this.startSec + this.secs, nsec: this.nsecs };
    this.nsecs += this.stepNs;
    if (this.nsecs >= 1_000_000_000) {
      this.nsecs -= 1_000_000_000;
      this.secs++;
    }
    return t;
  }
  private nowBig(t: bigint): Timespec {
    this.ns = t + BigInt(this.stepNs);
    return { sec: this.startSec + Number(t / 1_000_000_000n), nsec: Number(t % 1_000_000_000n) };
  }
}

export function timespecEqual(a: Timespec, b: Timespec): boolean {
  return a.sec === b.sec && a.nsec === b.nsec;
}
