/** Shared by the unit suites: run a syscall and give its errno name, or 'OK'. */
import { SysError } from '../../src/index.js';

export function errOf(fn: () => unknown): string {
  try {
    fn();
    return 'OK';
  } catch (e) {
    if (e instanceof SysError) return e.code;
    throw e;
  }
}
