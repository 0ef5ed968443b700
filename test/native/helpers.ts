/**
 * What the native suites share: whether they can run here. They run the real kernel, so they
 * need CAP_SYS_ADMIN; without it they are skipped with the reason printed. With it, any other
 * reason (the addon not built) is a failure, not a skip.
 */
import { expect, it } from 'vitest';
import { hasCapSysAdmin } from '../../src/host/caps.js';
import { nativeUnavailableReason } from '../../src/host/native.js';

export const reason = nativeUnavailableReason();
/** No CAP_SYS_ADMIN in the effective set (or no /proc/self/status to say so): the one reason to skip. */
export const noPrivilege = !hasCapSysAdmin();

/** Warns once per suite file when it is skipped for lack of privilege. */
export function warnIfSkipped(suite: string): void {
  if (noPrivilege) console.warn(`${suite} skipped: ${reason}`);
}

/** The first test of each suite: fails, with the reason, when the backend is unusable. */
export function itHasTheBackend(): void {
  it('has a usable native backend (the addon is built: npm run build:native)', () => {
    expect(reason).toBeNull();
  });
}
