/**
 * The runc oracle stays put: running each example bundle with runc again (test/boot/record-runc.mjs)
 * gives the recording in test/boot/runc/ once mount ids and device numbers are tokens. Needs runc
 * (.ci/run installs Debian's) and CAP_SYS_ADMIN; skipped with the reason printed otherwise.
 * Comparing the recordings with vfsemu's prediction is test/unit/boot-runc-profile.test.ts.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: test tooling in plain JavaScript, without type declarations.
import { EXAMPLES, normaliseError, normaliseRecording, RECORDINGS, runcUnavailable, runExample } from './record-runc.mjs';

const why: string | null = runcUnavailable();
if (why) console.warn(`runc oracle skipped: ${why}`);
const names = readdirSync(EXAMPLES as string).filter((n) => existsSync(join(EXAMPLES as string, n, 'bundle.json'))).sort();

describe.skipIf(why !== null)('runc oracle', () => {
  it('has a recording for every example', () => {
    for (const n of names) expect(existsSync(join(RECORDINGS, `${n}.mountinfo`)) || existsSync(join(RECORDINGS, `${n}.error`)), n).toBe(true);
  });

  it.each(names)('%s: runc gives the recorded mount table again', (name) => {
    const r = runExample(name) as { status: number; stdout: string; stderr: string };
    const errorFile = join(RECORDINGS, `${name}.error`);
    if (existsSync(errorFile)) {
      expect(r.status).not.toBe(0);
      expect(normaliseError(r.stderr)).toBe(readFileSync(errorFile, 'utf8'));
      return;
    }
    expect(r.stderr).toBe('');
    expect(normaliseRecording(r.stdout)).toEqual(normaliseRecording(readFileSync(join(RECORDINGS, `${name}.mountinfo`), 'utf8')));
  });
});
