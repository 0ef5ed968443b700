/**
 * Every example bundle under runsc: its table (the container's /proc/self/mountinfo as the
 * Sentry renders it) against the one kept in test/unit/runsc-tables/NAME[.VARIANT].mountinfo,
 * or runsc's failure against NAME.error — line for line, ids and devices included (they are
 * gVisor's numbering, sentry-vfs.ts). runsc-* examples carry runsc.json: what they show, and
 * flag variants (`--overlay2=…`) each with its own table. runsc-pod-hints runs its second
 * container (sidecar.json) in the same sandbox.
 *
 * The tables are the model's output, kept so that a change shows as a diff; the rules behind
 * each line are pinned by runsc-mounter.test.ts. Regenerate after a deliberate change with
 * VFSEMU_UPDATE_RUNSC_TABLES=1 npx vitest run test/unit/runsc-examples.test.ts
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withGofer } from './runsc-helpers.js';
import { describe, expect, it } from 'vitest';
import { parseOverlay2, type RunscConfig } from '../../src/boot/runsc/config.js';
import { predictRunsc, RunscSandbox } from '../../src/boot/runsc/profile.js';
import { predictRunc } from '../../src/boot/runc-profile.js';
import { parseSpec } from '../../src/boot/spec.js';
import { loadExample } from '../../src/cli/dry-run.js';

const EXAMPLES = 'examples/bundles';
const TABLES = 'test/unit/runsc-tables';
const UPDATE = process.env.VFSEMU_UPDATE_RUNSC_TABLES === '1';
const names = readdirSync(EXAMPLES)
  .filter((n) => existsSync(join(EXAMPLES, n, 'bundle.json')))
  .sort();

interface RunscJson {
  about: string;
  flags: { overlay2?: string };
  variants?: Record<string, { overlay2?: string }>;
  pod?: string[];
}

function runscJson(name: string): RunscJson | null {
  const f = join(EXAMPLES, name, 'runsc.json');
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as RunscJson) : null;
}

function configOf(flags: { overlay2?: string } | undefined): Partial<RunscConfig> {
  return flags?.overlay2 ? { overlay2: parseOverlay2(flags.overlay2) } : {};
}

/** The kept table (or error), written first when updating. */
function expectKept(file: string, actual: string): void {
  const path = join(TABLES, file);
  if (UPDATE) {
    mkdirSync(TABLES, { recursive: true });
    writeFileSync(path, actual);
  }
  expect(existsSync(path), `${path} is missing: run with VFSEMU_UPDATE_RUNSC_TABLES=1`).toBe(true);
  expect(actual).toBe(readFileSync(path, 'utf8'));
}

describe.each(names)('example %s under runsc', (name) => {
  const { spec, image } = loadExample(join(EXAMPLES, name));
  const rj = runscJson(name);
  const variants: [string, Partial<RunscConfig>][] = [['', configOf(rj?.flags)], ...Object.entries(rj?.variants ?? {}).map(([v, f]) => [`.${v}`, configOf(f)] as [string, Partial<RunscConfig>])];

  it.each(variants)('its table%s is the one kept', (variant, config) => {
    const p = predictRunsc(spec, withGofer({ image, config }));
    if (p.failure) expectKept(`${name}${variant}.error`, `${p.failure.phase}: ${p.failure.message}\n`);
    else expectKept(`${name}${variant}.mountinfo`, p.view.map((l) => `${l}\n`).join(''));
  });

  it('every line is in the Sentry\'s format: source none, options of rw/ro, noatime, noexec, nosuid only', () => {
    const p = predictRunsc(spec, withGofer({ image }));
    for (const l of p.view) expect(l).toMatch(/^\d+ \d+ 0:\d+ \S+ \S+ r[ow](,noatime)?(,noexec)?(,nosuid)? (shared:\d+ |master:\d+ )*- (9p|overlay|tmpfs|dev|devpts|proc|sysfs|cgroup) none r[ow](,\S+)?$/);
  });
});

describe('the runsc-* examples say what they show', () => {
  it.each(names.filter((n) => n.startsWith('runsc-')))('%s has a runsc.json with its purpose', (name) => {
    expect(runscJson(name)?.about.length).toBeGreaterThan(40);
  });

  it('runsc-readonly-nested fails under runc with EROFS and succeeds under runsc', () => {
    const { spec, image } = loadExample(join(EXAMPLES, 'runsc-readonly-nested'));
    const runc = predictRunc(spec, { image });
    expect([runc.failure?.destination, runc.failure?.errno]).toEqual(['/data/cache', 'EROFS']);
    const runsc = predictRunsc(spec, withGofer({ image }));
    expect(runsc.failure).toBeNull();
    expect(runsc.readOnlySwitched).toEqual(['/sys/fs/cgroup', '/data', '/sys', '/']);
    expect(runsc.synthetic).toEqual(['/data/cache']);
    expect(runsc.view.some((l) => / \/data\/cache rw,nosuid - tmpfs none rw,size=1024k$/.test(l))).toBe(true);
  });

  it('runsc-tmp-empty gets runsc\'s /tmp tmpfs and runsc-tmp-kept does not (vfs.go:mountTmp)', () => {
    const empty = loadExample(join(EXAMPLES, 'runsc-tmp-empty'));
    const kept = loadExample(join(EXAMPLES, 'runsc-tmp-kept'));
    expect(predictRunsc(empty.spec, withGofer({ image: empty.image })).view.filter((l) => l.includes(' /tmp '))).toEqual([expect.stringMatching(/ \/ \/tmp rw - tmpfs none rw,mode=01777$/)]);
    expect(predictRunsc(kept.spec, withGofer({ image: kept.image })).view.filter((l) => l.includes(' /tmp '))).toEqual([]);
  });

  it('runsc-pod-hints: the sidecar mounts the same master the main container does, read-only', () => {
    const dir = join(EXAMPLES, 'runsc-pod-hints');
    const { spec, image } = loadExample(dir);
    const side = parseSpec(readFileSync(join(dir, 'sidecar.json'), 'utf8'));
    const { sandbox, result } = RunscSandbox.create(spec, withGofer({ image }));
    expect(result.failure).toBeNull();
    const second = sandbox.startContainer(side, { image, id: 'sidecar' });
    expect(second.failure).toBeNull();
    const main = result.view.find((l) => l.includes(' /cache '))!;
    const sidecar = second.view.find((l) => l.includes(' /var/cache/shared '))!;
    expect(main).toMatch(/ \/ \/cache rw,noexec - tmpfs none rw$/);
    expect(sidecar).toMatch(/ \/ \/var\/cache\/shared ro,noexec - tmpfs none ro$/);
    // One filesystem: the same device.
    expect(main.split(' ')[2]).toBe(sidecar.split(' ')[2]);
    expectKept('runsc-pod-hints.sidecar.mountinfo', second.view.map((l) => `${l}\n`).join(''));
  });
});
