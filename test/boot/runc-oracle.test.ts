/**
 * The runc oracle: vfsemu's prediction of each example bundle against what runc 1.1 itself
 * mounted.
 *
 * - Recorded (runs anywhere): test/boot/runc/NAME.mountinfo is the container's
 *   /proc/self/mountinfo under runc on the recording host, whose facts (cgroup v1 hierarchies,
 *   /proc's entries, no /proc/kcore) are test/boot/runc/host.json; NAME.error is runc's message
 *   for a bundle that fails. The prediction is made for that host and for the spec runc ran
 *   (`recordingSpec`: the example's, with `cat /proc/self/mountinfo` as its process, no
 *   terminal, cgroupsPath /vfsemu-rec-NAME), so it is deterministic on any machine. An example
 *   with host mounts (host-mounts.json: tmpfs mounts with their own flags, read-only or shared,
 *   that its bind sources or rootfs live on) also has NAME.host-mounts, the recording host's
 *   mount table at and under the bundle's mkdtemp directory: the prediction is made for those
 *   mounts, with the bundle where the recording had it.
 * - Live (needs runc, busybox-static and CAP_SYS_ADMIN; skipped with the reason printed
 *   otherwise, except that under CI=true a missing runc is a failure): each example
 *   is run by runc again (test/boot/record-runc.mjs) and compared with the prediction made for
 *   this machine's facts (src/host/host-facts.ts) — its mount table being the one runc was
 *   started in (the recorder's namespace, with the bundle's tmpfs and the example's host
 *   mounts), and the bundle where the recorder put it — and with the recording.
 *
 * Tables are compared line for line, in order, after `oracleNormalise`: mount ids, parent ids,
 * device numbers and peer-group numbers become structural tokens (src/plan/compare.ts), and the
 * bundle's host path in root fields becomes /bundle (where the bundle lies on the mkdtemp
 * directory's tmpfs, root fields are /bundle/… on both sides already). Nothing else is normalised, and no line is skipped: a
 * difference that cannot be closed goes to KNOWN_DIFFERENCES with its reason (README, "Known
 * differences from Linux") and is asserted as it is. There is none today.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMountinfo } from '../../src/boot/host-facts.js';
import { predictRunc } from '../../src/boot/runc-profile.js';
import type { OciSpec } from '../../src/boot/spec.js';
import { loadExample } from '../../src/cli/dry-run.js';
import { hostFactsFrom, readHostFacts } from '../../src/host/host-facts.js';
import { lineDiff, normaliseMountinfo } from '../../src/plan/compare.js';
// @ts-expect-error: test tooling in plain JavaScript, without type declarations.
import { EXAMPLES, normaliseError, normaliseRecording, RECORDING_TOP, RECORDINGS, recordingSpec, runcUnavailable, runExample, usesUserns } from './record-runc.mjs';
import { noPrivilege } from '../native/helpers.js';
import { itHasTheOracle, oracleSkipped } from '../oracles.js';

const names = readdirSync(EXAMPLES as string)
  .filter((n) => existsSync(join(EXAMPLES as string, n, 'bundle.json')))
  .sort();
const recordedHost = hostFactsFrom(JSON.parse(readFileSync(join(RECORDINGS, 'host.json'), 'utf8')));

/**
 * Lines that may differ from runc's, per example: the predicted line and runc's, both as
 * `oracleNormalise` leaves them, with the README's reason. Empty: every example matches.
 */
const KNOWN_DIFFERENCES: Record<string, { predicted: string; runc: string; reason: string }[]> = {};

/** The comparison's normal form: structural ids and devices, and /bundle for the bundle's path. */
function oracleNormalise(lines: readonly string[], bundle = '/bundle'): string[] {
  const rebased = lines.map((l) => {
    const f = l.split(' ');
    if (f[3] === bundle || f[3]!.startsWith(`${bundle}/`)) f[3] = `/bundle${f[3]!.slice(bundle.length)}`;
    return f.join(' ');
  });
  return normaliseMountinfo({ mountinfo: rebased, namespaces: [] }).mountinfo;
}

/** The differing lines of two normalised tables, as `- predicted` / `+ runc`. */
function differences(predicted: string[], runc: string[]): string[] {
  return lineDiff(predicted, runc).filter((l) => !l.startsWith('  '));
}

function expectedDifferences(name: string): string[] {
  return (KNOWN_DIFFERENCES[name] ?? []).flatMap((d) => [`- ${d.predicted}`, `+ ${d.runc}`]);
}

/** runc's error as the prediction words it: without runc's own prefix of wrappers. */
const runcReason = (error: string): string =>
  error
    .trim()
    .replace(/^runc run failed: /, '')
    .replace(/^unable to start container process: error during container init: /, '');

describe('runc oracle: the recordings of test/boot/runc', () => {
  it('has a recording for every example, made on a host whose facts are kept', () => {
    for (const n of names) expect(existsSync(join(RECORDINGS, `${n}.mountinfo`)) || existsSync(join(RECORDINGS, `${n}.error`)), n).toBe(true);
    expect(recordedHost.cgroupUnified).toBe(false);
  });

  it('has the host mounts of every example that makes some', () => {
    for (const n of names) expect(existsSync(join(RECORDINGS, `${n}.host-mounts`)), n).toBe(existsSync(join(EXAMPLES as string, n, 'host-mounts.json')) || (usesUserns(n) as boolean));
  });

  it.each(names)('%s: the prediction is runc\'s mount table line for line, or its error', (name) => {
    const { spec, image } = loadExample(join(EXAMPLES as string, name));
    const mountsFile = join(RECORDINGS, `${name}.host-mounts`);
    const withMounts = existsSync(mountsFile);
    const host = withMounts ? { ...recordedHost, mounts: parseMountinfo(readFileSync(mountsFile, 'utf8')) } : recordedHost;
    const bundle = withMounts ? `${RECORDING_TOP as string}/bundle` : '/bundle';
    const p = predictRunc(recordingSpec(spec, name) as OciSpec, { image, host, bundle });
    const errorFile = join(RECORDINGS, `${name}.error`);
    if (existsSync(errorFile)) {
      // The recording's error names the bundle as /bundle (normaliseError), wherever it was.
      expect(p.failure?.message.split(bundle).join('/bundle')).toBe(runcReason(readFileSync(errorFile, 'utf8')));
      return;
    }
    expect(p.failure).toBeNull();
    const runc = readFileSync(join(RECORDINGS, `${name}.mountinfo`), 'utf8').trim().split('\n');
    expect(differences(oracleNormalise(p.view), oracleNormalise(runc))).toEqual(expectedDifferences(name));
  });
});

const why: string | null = runcUnavailable();
// runc needs CAP_SYS_ADMIN; without it, or without runc on a developer's machine, the live suite
// is skipped with the reason printed. Under CI=true a missing runc is a failure (test/oracles.ts).
const skipLive = oracleSkipped('test/boot/runc-oracle (live runc)', why, { noPrivilege });

describe.skipIf(skipLive)('runc oracle: runc run again on this machine', () => {
  const here = readHostFacts();

  itHasTheOracle('runc, busybox-static, script(1) and unshare(1)', why);

  it.each(names)('%s: runc mounts what vfsemu predicts for this host, and what was recorded', (name) => {
    const r = runExample(name) as { status: number; stdout: string; stderr: string; bundle: string; hostMountinfo: string };
    const { spec, image } = loadExample(join(EXAMPLES as string, name));
    // The host as runc saw it: this machine, in the recorder's namespace, the bundle where it was.
    const p = predictRunc(recordingSpec(spec, name) as OciSpec, { image, host: { ...here!, mounts: parseMountinfo(r.hostMountinfo) }, bundle: r.bundle });
    const errorFile = join(RECORDINGS, `${name}.error`);
    if (existsSync(errorFile)) {
      expect(r.status).not.toBe(0);
      expect(normaliseError(r.stderr)).toBe(readFileSync(errorFile, 'utf8'));
      expect(p.failure?.message.split(r.bundle).join('/bundle')).toBe(runcReason(normaliseError(r.stderr)));
      return;
    }
    expect(r.stderr).toBe('');
    const live = r.stdout.trim().split('\n');
    expect(differences(oracleNormalise(p.view), oracleNormalise(live))).toEqual(expectedDifferences(name));
    expect(normaliseRecording(r.stdout)).toEqual(normaliseRecording(readFileSync(join(RECORDINGS, `${name}.mountinfo`), 'utf8')));
  });
});
