/**
 * Outside oracles (runc, busybox-static, diod): programs nobody here wrote that some suites hold
 * vfsemu against. What a suite does when one is missing is decided here, once:
 *
 * - without CAP_SYS_ADMIN, an oracle that needs it is skipped, with the reason printed;
 * - a missing program is a skip with the reason printed on a developer's machine, where `npm
 *   install && npm test` must pass with nothing preinstalled;
 * - under `CI=true` a missing program is a failure: `.ci/run` installs every oracle, so a skip
 *   there would hide a broken install step.
 */
import { expect, it } from 'vitest';

/** `CI=true`: every oracle must be present (.ci/run installs them). */
export const inCi = process.env.CI === 'true';

/**
 * Whether a suite that needs an oracle runs here. `missing` is why the oracle cannot be used
 * (null when it can); `privileged` says whether the lack of CAP_SYS_ADMIN is among the reasons
 * (always a skip). Prints the reason once when the suite is skipped.
 *
 * @example
 * ```ts
 * const skip = oracleSkipped('test/boot/runc-oracle (live runc)', runcUnavailable());
 * describe.skipIf(skip)('runc run again', () => { itHasTheOracle('runc', runcUnavailable()); … });
 * ```
 */
export function oracleSkipped(suite: string, missing: string | null, opts: { noPrivilege?: boolean } = {}): boolean {
  if (opts.noPrivilege) {
    console.warn(`${suite} skipped: no CAP_SYS_ADMIN (run as root)`);
    return true;
  }
  if (missing === null || inCi) return false;
  console.warn(`${suite} skipped: ${missing} (under CI=true this is a failure)`);
  return true;
}

/** The first test of an oracle suite: fails with the reason when the oracle is missing (under CI). */
export function itHasTheOracle(name: string, missing: string | null): void {
  it(`has ${name} here (.ci/run installs it)`, () => {
    expect(missing).toBeNull();
  });
}
