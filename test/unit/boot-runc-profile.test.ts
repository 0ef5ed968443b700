/**
 * The runc profile: the plan it makes for small specs (exact op lists), and, for each example
 * bundle, the container mounts it predicts set against what runc 1.1 did on the recording host
 * (test/boot/runc/, made by test/boot/record-runc.mjs) as far as the prediction goes today: up to
 * the pivot into the rootfs (pivot_root is not in the emulator yet), so the lines runc adds
 * after it (readonlyPaths, maskedPaths, the read-only root) are left out of the comparison.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ASSUMED_HOST } from '../../src/boot/host-facts.js';
import { secureJoin } from '../../src/boot/paths.js';
import { containerView, predictRunc } from '../../src/boot/runc-profile.js';
import type { OciSpec } from '../../src/boot/spec.js';
import type { ImageNode } from '../../src/boot/rootfs-image.js';
import type { PlanOp } from '../../src/plan/plan.js';
import { loadExample } from '../../src/cli/dry-run.js';
import { hostFactsFrom } from '../../src/host/host-facts.js';
// @ts-expect-error: test tooling in plain JavaScript, without type declarations.
import { recordingSpec } from '../boot/record-runc.mjs';

const fmt = (op: PlanOp): string => {
  const { op: name, ...rest } = op;
  return `${name} ${JSON.stringify(rest)}`;
};

const devOps = (rootfs: string): string[] => [
  ...[['null', 1, 3], ['random', 1, 8], ['full', 1, 7], ['tty', 5, 0], ['zero', 1, 5], ['urandom', 1, 9]].flatMap(([n, ma, mi]) => [
    `mknod {"path":"${rootfs}/dev/${n}","type":"char","mode":438,"major":${ma},"minor":${mi}}`,
    `chmod {"path":"${rootfs}/dev/${n}","mode":438}`,
    `chown {"path":"${rootfs}/dev/${n}","uid":0,"gid":0}`,
  ]),
  `symlink {"target":"pts/ptmx","path":"${rootfs}/dev/ptmx"}`,
  ...[['/proc/self/fd', 'fd'], ['/proc/self/fd/0', 'stdin'], ['/proc/self/fd/1', 'stdout'], ['/proc/self/fd/2', 'stderr'], ['/proc/kcore', 'core']].map(([t, n]) => `symlink {"target":"${t}","path":"${rootfs}/dev/${n}"}`),
];

describe('predictRunc', () => {
  it('makes runc 1.1\'s plan for a small spec: the root, the mounts in order, /dev, the pivot', () => {
    const spec: OciSpec = {
      ociVersion: '1.0.2',
      root: { path: 'rootfs', readonly: true },
      mounts: [
        { destination: '/proc', type: 'proc', source: 'proc' },
        { destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'size=1m'] },
        { destination: '/data', type: 'bind', source: 'vol', options: ['rbind', 'ro', 'rprivate'] },
        { destination: '/etc/hosts', type: 'bind', source: 'hosts', options: ['bind'] },
      ],
      linux: { namespaces: [{ type: 'mount' }], maskedPaths: ['/proc/kcore'] },
    };
    const image: ImageNode = [0, {}, { rootfs: [0, {}, { proc: [0, {}, {}], run: [0, { mode: 0o700 }, {}] }], vol: [0, {}, {}], hosts: [1, {}, ''] }];
    const p = predictRunc(spec, { image });
    expect(p.plan.ops.slice(0, p.firstRuncOp).map(fmt)).toEqual([
      'mkdir {"path":"/bundle","mode":493}',
      'mkdir {"path":"/bundle/rootfs","mode":493}',
      'mkdir {"path":"/bundle/rootfs/proc","mode":493}',
      'mkdir {"path":"/bundle/rootfs/run","mode":448}',
      'mkdir {"path":"/bundle/vol","mode":493}',
      'write {"path":"/bundle/hosts","data":"","mode":420}',
    ]);
    const r = '/bundle/rootfs';
    expect(p.plan.ops.slice(p.firstRuncOp).map(fmt)).toEqual([
      'unshare {}',
      'mount {"source":"","target":"/","fstype":"","flags":["rec","slave"]}',
      `mount {"source":"${r}","target":"${r}","fstype":"bind","flags":["bind","rec"],"data":""}`,
      `mount {"source":"proc","target":"${r}/proc","fstype":"proc","flags":[],"data":""}`,
      `mount {"source":"tmpfs","target":"${r}/run","fstype":"tmpfs","flags":["nosuid"],"data":"size=1m"}`,
      `chmod {"path":"${r}/run","mode":448}`,
      `mkdir {"path":"${r}/data","mode":493}`,
      `mount {"source":"/bundle/vol","target":"${r}/data","fstype":"bind","flags":["rdonly","bind","rec"],"data":""}`,
      `mount {"source":"","target":"${r}/data","fstype":"","flags":["rec","private"]}`,
      `mount {"source":"/bundle/vol","target":"${r}/data","fstype":"bind","flags":["rdonly","remount","bind","rec"],"data":""}`,
      `mkdir {"path":"${r}/etc","mode":493}`,
      `write {"path":"${r}/etc/hosts","data":"","mode":493}`,
      `mount {"source":"/bundle/hosts","target":"${r}/etc/hosts","fstype":"bind","flags":["bind"],"data":""}`,
      `mkdir {"path":"${r}/dev","mode":493}`,
      ...devOps(r),
      `pivot_root {"new_root":"${r}","put_old":"${r}"}`,
    ]);
    expect(p.stoppedAtPivot).toBe(true);
    expect(p.failure).toBeNull();
    expect(p.steps[p.firstRuncOp + 7]).toBe('mounts[2] /data');
  });

  it('stops at the first failure with runc\'s words: which mount, errno, why', () => {
    const spec: OciSpec = { ociVersion: '1.0.2', root: { path: 'rootfs' }, mounts: [{ destination: '/x', type: 'bind', source: '/nowhere', options: ['bind'] }], linux: { namespaces: [{ type: 'mount' }] } };
    const p = predictRunc(spec);
    expect(p.failure).toEqual({ mount: 0, destination: '/x', errno: 'ENOENT', op: undefined, message: 'error mounting "/nowhere" to rootfs at "/x": stat /nowhere: no such file or directory' });
  });

  it('refuses proc on a symlink and mounts inside /proc, as runc 1.1.5 does', () => {
    const image: ImageNode = [0, {}, { rootfs: [0, {}, { proc: [2, { target: 'somewhere' }] }] }];
    const spec: OciSpec = { ociVersion: '1.0.2', root: { path: 'rootfs' }, mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }], linux: { namespaces: [{ type: 'mount' }] } };
    expect(predictRunc(spec, { image }).failure?.message).toBe('error mounting "proc" to rootfs at "/proc": filesystem "proc" must be mounted on ordinary directory');
    const inside: OciSpec = { ...spec, mounts: [{ destination: '/proc/foo', type: 'tmpfs', source: 'tmpfs' }, { destination: '/proc/bar', type: 'overlay', source: 'overlay' }] };
    expect(predictRunc(inside, { image: [0, {}, { rootfs: [0, {}, {}] }] }).failure?.message).toBe('error mounting "overlay" to rootfs at "/proc/bar": "/bundle/rootfs/proc/bar" cannot be mounted because it is inside /proc');
  });
});

describe('secureJoin', () => {
  const links: Record<string, string> = { '/r/a': '../b', '/r/abs': '/c/d', '/r/up': '../../..', '/r/loop': 'loop' };
  const fs = { kind: (p: string) => (p in links ? ('symlink' as const) : ('other' as const)), readlink: (p: string) => links[p]! };
  it('follows symlinks inside the root, clamping absolute targets and ".." to it', () => {
    expect(secureJoin('/r', '/a/x', fs)).toBe('/r/b/x');
    expect(secureJoin('/r', '/abs/x', fs)).toBe('/r/c/d/x');
    expect(secureJoin('/r', '/up/x', fs)).toBe('/r/x');
    expect(secureJoin('/r', '../../etc', fs)).toBe('/r/etc');
    expect(() => secureJoin('/r', '/loop', fs)).toThrow(/ELOOP/);
  });
});

const RECORDINGS = 'test/boot/runc';
const recordedHost = existsSync(join(RECORDINGS, 'host.json')) ? hostFactsFrom(JSON.parse(readFileSync(join(RECORDINGS, 'host.json'), 'utf8'))) : null;

/** mount point, fstype and source of each line (what does not depend on the pivot or netns). */
const shape = (lines: readonly string[]): string[] =>
  lines.map((l) => {
    const f = l.split(' ');
    const sep = f.indexOf('-');
    return `${f[4]} ${f[sep + 1]} ${f[sep + 2]} ${f[3]}`;
  });

describe.each(readdirSync('examples/bundles').filter((n) => existsSync(join('examples/bundles', n, 'bundle.json'))).sort())('example %s', (name) => {
  const dir = join('examples/bundles', name);
  const { spec, image } = loadExample(dir);

  it('runs on the assumed host up to the pivot, or fails as expected.json says', () => {
    const p = predictRunc(spec, { image, host: ASSUMED_HOST });
    const expected = existsSync(join(dir, 'expected.json')) ? (JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as { fails: { mount: number; errno: string } }) : null;
    if (expected) expect([p.failure?.mount, p.failure?.errno]).toEqual([expected.fails.mount, expected.fails.errno]);
    else {
      expect(p.failure).toBeNull();
      expect(p.stoppedAtPivot).toBe(true);
    }
  });

  it.runIf(recordedHost)('predicts the container mounts runc made on the recording host, up to the pivot', () => {
    // The spec runc ran: the example's, with the recording's process and cgroupsPath.
    const p = predictRunc(recordingSpec(spec, name) as OciSpec, { image, host: recordedHost! });
    const errorFile = join(RECORDINGS, `${name}.error`);
    if (existsSync(errorFile)) {
      const runc = readFileSync(errorFile, 'utf8').trim().replace(/^runc run failed: unable to start container process: error during container init: /, '');
      expect(p.failure?.message).toBe(runc);
      return;
    }
    const recorded = readFileSync(join(RECORDINGS, `${name}.mountinfo`), 'utf8').trim().split('\n');
    const after = new Set([...(spec.linux?.readonlyPaths ?? []), ...(spec.linux?.maskedPaths ?? [])]);
    const predicted = containerView(p.outcome.mountinfo, p.rootfs);
    expect(shape(predicted)).toEqual(shape(recorded.filter((l) => !after.has(l.split(' ')[4]!))));
  });
});
