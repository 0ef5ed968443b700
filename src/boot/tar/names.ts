/**
 * Which member names and hard-link targets an extraction accepts: a name is made local the way
 * moby's go-archive Unpack makes it (path.Clean, then filepath.IsLocal), except that an absolute
 * name is refused here rather than stripped of its "/" (Unpack strips it): an archive whose members
 * name absolute paths was not made by `docker cp` and is refused with the reason, as are names
 * with `..` that leave the destination and empty names.
 */
import { clean } from '../paths.js';

/** Why an archive's name was refused; the message names the member. */
export class ArchiveEscapeError extends Error {
  constructor(
    readonly member: string,
    readonly reason: string,
  ) {
    super(`refusing archive member ${JSON.stringify(member)}: ${reason}`);
    this.name = 'ArchiveEscapeError';
  }
}

/**
 * A member name as a clean path relative to the destination, '.' for the destination itself.
 * Absolute names, and names that climb out with `..`, are an ArchiveEscapeError.
 *
 * @example
 * ```ts
 * localName('./a//b/'); // 'a/b'
 * localName('a/../../etc'); // throws: it leaves the destination
 * ```
 */
export function localName(name: string, what = 'name'): string {
  if (name === '') throw new ArchiveEscapeError(name, `empty ${what}`);
  if (name.includes('\0')) throw new ArchiveEscapeError(name, `${what} contains a NUL byte`);
  if (name.startsWith('/')) throw new ArchiveEscapeError(name, `absolute ${what}`);
  const c = clean(name);
  if (c === '..' || c.startsWith('../')) throw new ArchiveEscapeError(name, `${what} leaves the destination through ".."`);
  return c;
}
