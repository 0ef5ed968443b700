/**
 * A tar archive's entry as the reader gives it and the writer takes it, and the error a malformed
 * archive ends in. The entry is the POSIX pax view (IEEE Std 1003.1-2017, pax "ustar Interchange
 * Format" and "pax Interchange Format"): the extended records a reader met are already folded in
 * (a long `path` replaces the header's name), so callers never see 'x', 'g', 'L' or 'K' entries.
 *
 * Invariants: `mode` holds the permission and set-id/sticky bits only (07777), as the ustar mode
 * field does; the file type is `type`. `data` is present for, and only for, regular files.
 */

/** The typeflag values of ustar (and GNU's long-name extensions), by what they stand for. */
export const TYPEFLAG = {
  file: 0x30, // '0' (and NUL, the pre-POSIX regular file)
  hardlink: 0x31, // '1'
  symlink: 0x32, // '2'
  char: 0x33, // '3'
  block: 0x34, // '4'
  dir: 0x35, // '5'
  fifo: 0x36, // '6'
  contiguous: 0x37, // '7', read as a regular file
  paxLocal: 0x78, // 'x'
  paxGlobal: 0x67, // 'g'
  gnuLongName: 0x4c, // 'L'
  gnuLongLink: 0x4b, // 'K'
} as const;

export type EntryType = 'file' | 'hardlink' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo';

export interface TarEntry {
  /** The member's name as stored: relative or not, `..` or not; a directory's ends in "/". */
  name: string;
  type: EntryType;
  /** Permission and set-id/sticky bits (07777). */
  mode: number;
  uid: number;
  gid: number;
  /** Owner names (ustar uname/gname); '' when absent. */
  uname?: string;
  gname?: string;
  /** Modification time, seconds since the epoch (a pax `mtime` may carry a fraction). */
  mtime: number;
  /** Target of a symlink, or the earlier member a hard link names. */
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** A regular file's bytes. */
  data?: Uint8Array;
  /** pax records the reader kept but did not fold into a field (SCHILY.xattr.*, …). */
  pax?: Record<string, string>;
}

/**
 * A malformed or unsupported archive: which member (by index and, when known, name), at which
 * byte offset, and what is wrong. Untrusted input ends here, never in a TypeError.
 */
export class TarFormatError extends Error {
  constructor(
    readonly reason: string,
    readonly offset: number,
    readonly member?: string,
  ) {
    super(`tar: ${member !== undefined ? `member ${JSON.stringify(member)}: ` : ''}${reason} (at byte ${offset})`);
    this.name = 'TarFormatError';
  }
}
