/**
 * The generic part of mount(2)'s data string (fs_context's legacy parsing): comma-separated
 * `key[=value]` items, where the superblock-flag keywords (`ro`, `rw`, `sync`, `async`,
 * `dirsync`, `mand`, `nomand`, `lazytime`, `nolazytime`, `silent`) are taken by the VFS
 * (vfs_parse_sb_flag) and everything else goes to the filesystem.
 */
import { SB_DIRSYNC, SB_LAZYTIME, SB_MANDLOCK, SB_RDONLY, SB_SILENT, SB_SYNCHRONOUS } from './inode.js';

export interface FsParam {
  key: string;
  /** undefined for a bare key (`noswap`), '' for `key=`. */
  value: string | undefined;
}

const SB_FLAG_WORDS: Record<string, [set: number, clear: number]> = {
  ro: [SB_RDONLY, 0],
  rw: [0, SB_RDONLY],
  sync: [SB_SYNCHRONOUS, 0],
  async: [0, SB_SYNCHRONOUS],
  dirsync: [SB_DIRSYNC, 0],
  mand: [SB_MANDLOCK, 0],
  nomand: [0, SB_MANDLOCK],
  lazytime: [SB_LAZYTIME, 0],
  nolazytime: [0, SB_LAZYTIME],
  silent: [SB_SILENT, 0],
};

/**
 * vfs_parse_sb_flag(): applies `key` to `sbFlags` when it is one of the superblock-flag words
 * the VFS takes before the filesystem sees its parameters; null when it is not one.
 */
export function applySbFlagWord(key: string, sbFlags: number): number | null {
  // Own keys only: `constructor` or `toString` is a parameter name, not a flag word.
  const word = Object.hasOwn(SB_FLAG_WORDS, key) ? SB_FLAG_WORDS[key] : undefined;
  return word ? (sbFlags | word[0]) & ~word[1] : null;
}

/**
 * Splits a data string, applying superblock-flag words to `sbFlags`.
 *
 * @example
 * ```ts
 * parseMountData('size=1m,ro,mode=755', 0); // { sbFlags: 1, params: [{key:'size',value:'1m'}, {key:'mode',value:'755'}] }
 * ```
 */
export function parseMountData(data: string, sbFlags: number): { sbFlags: number; params: FsParam[] } {
  const params: FsParam[] = [];
  for (const item of data.split(',')) {
    if (item === '') continue;
    const eq = item.indexOf('=');
    const key = eq < 0 ? item : item.slice(0, eq);
    const value = eq < 0 ? undefined : item.slice(eq + 1);
    const flagged = value === undefined ? applySbFlagWord(key, sbFlags) : null;
    if (flagged !== null) {
      sbFlags = flagged;
      continue;
    }
    params.push({ key, value });
  }
  return { sbFlags, params };
}

/**
 * memparse(): a number in C's base-0 notation (decimal, 0x hex, 0 octal) with an optional
 * K/M/G/T/P/E suffix; returns the value and the unparsed rest, or null when no digits lead.
 */
export function memparse(s: string): { value: number; rest: string } | null {
  const m = /^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)/.exec(s);
  if (!m) return null;
  const digits = m[1]!;
  let value = digits.startsWith('0x') || digits.startsWith('0X') ? parseInt(digits, 16) : digits.length > 1 && digits.startsWith('0') ? parseInt(digits, 8) : parseInt(digits, 10);
  let rest = s.slice(digits.length);
  const shift = { k: 10, m: 20, g: 30, t: 40, p: 50, e: 60 }[rest.charAt(0).toLowerCase()];
  if (shift !== undefined) {
    value *= 2 ** shift;
    rest = rest.slice(1);
  }
  return { value, rest };
}

/** kstrtouint(): the whole string as an unsigned 32-bit number in `base` (0: C notation), else null. */
export function parseU32(s: string, base: 0 | 8 | 10): number | null {
  let digits = s;
  let b: number = base;
  if (base === 0) {
    if (/^0[xX]/.test(s)) {
      b = 16;
      digits = s.slice(2);
    } else if (s.length > 1 && s.startsWith('0')) b = 8;
    else b = 10;
  }
  const re = b === 16 ? /^[0-9a-fA-F]+$/ : b === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  if (!re.test(digits)) return null;
  const v = parseInt(digits, b);
  return v > 0xffffffff ? null : v;
}
