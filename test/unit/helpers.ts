/** Helpers shared by the unit suites. */
import { O_CREAT, O_DIRECTORY, O_RDONLY, O_TRUNC, O_WRONLY, SysError } from '../../src/index.js';
import type { Process } from '../../src/vfs/process.js';

/** Runs a syscall and gives its errno name, or 'OK'. */
export function errOf(fn: () => unknown): string {
  try {
    fn();
    return 'OK';
  } catch (e) {
    if (e instanceof SysError) return e.code;
    throw e;
  }
}

/** Creates (or truncates) `path` holding `text`, as `echo -n text > path` would. */
export function writeFile(p: Process, path: string, text: string, mode = 0o644): void {
  const fd = p.open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
  try {
    p.write(fd, new TextEncoder().encode(text));
  } finally {
    p.close(fd);
  }
}

/** The names in a directory, sorted, without `.` and `..`: what the plan op `readdir` gives. */
export function readdirNames(p: Process, path: string): string[] {
  const fd = p.open(path, O_RDONLY | O_DIRECTORY);
  try {
    return p
      .getdents(fd)
      .map((e) => e.name)
      .filter((n) => n !== '.' && n !== '..')
      .sort();
  } finally {
    p.close(fd);
  }
}
