/**
 * The runc profile: the plan it makes for small specs (exact op lists), its failures in runc's
 * words, SecureJoin, and each example bundle run to the end on the assumed host. The examples'
 * predicted mount tables against runc's own are test/boot/runc-oracle.test.ts.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ASSUMED_HOST } from '../../src/boot/host-facts.js';
import { secureJoin } from '../../src/boot/paths.js';
import { predictRunc } from '../../src/boot/runc-profile.js';
import type { OciSpec } from '../../src/boot/spec.js';
import type { ImageNode } from '../../src/boot/rootfs-image.js';
import type { PlanOp } from '../../src/plan/plan.js';
import { loadExample } from '../../src/cli/dry-run.js';

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
  it('makes runc 1.1\'s plan for a small spec: the root, the mounts in order, /dev, the pivot, the read-only root, the masks', () => {
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
      'mount {"source":"","target":"/..","fstype":"","flags":["slave","rec"]}',
      'umount {"target":"/..","flags":["detach"]}',
      'mount {"source":"","target":"/","fstype":"","flags":["rdonly","remount","bind"],"data":""}',
      'mount {"source":"/dev/null","target":"/proc/kcore","fstype":"","flags":["bind"],"data":""}',
    ]);
    expect(p.failure).toBeNull();
    // The container's table: its root first, the mask (a bind of the rootfs's /dev/null, read-only
    // like the root it was cloned from) last, with the id the old root gave back.
    expect(p.view.map((l) => l.split(' ').slice(3).join(' '))).toEqual([
      '/bundle/rootfs / ro,relatime - tmpfs none rw,mode=755',
      '/ /proc rw,relatime - proc proc rw',
      '/ /run rw,nosuid,relatime - tmpfs tmpfs rw,size=1024k',
      '/bundle/vol /data ro,relatime - tmpfs none rw,mode=755',
      '/bundle/hosts /etc/hosts rw,relatime - tmpfs none rw,mode=755',
      '/bundle/rootfs/dev/null /proc/kcore ro,relatime - tmpfs none rw,mode=755',
    ]);
    expect(p.steps[p.firstRuncOp + 7]).toBe('mounts[2] /data');
  });

  it('stops at the first failure with runc\'s words: which mount, errno, why', () => {
    const spec: OciSpec = { ociVersion: '1.0.2', root: { path: 'rootfs' }, mounts: [{ destination: '/x', type: 'bind', source: '/nowhere', options: ['bind'] }], linux: { namespaces: [{ type: 'mount' }] } };
    const p = predictRunc(spec);
    expect(p.failure).toEqual({ mount: 0, destination: '/x', errno: 'ENOENT', op: undefined, message: 'error mounting "/nowhere" to rootfs at "/x": stat /nowhere: no such file or directory' });
  });

  it('clones runc\'s init into a new network namespace with the mount one when the spec has one', () => {
    const spec: OciSpec = { ociVersion: '1.0.2', root: { path: 'rootfs' }, mounts: [{ destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['ro', 'nosuid'] }], linux: { namespaces: [{ type: 'network' }, { type: 'mount' }] } };
    const p = predictRunc(spec, { image: [0, {}, { rootfs: [0, {}, {}] }] });
    expect(p.plan.ops[p.firstRuncOp]).toEqual({ op: 'unshare', flags: ['mnt', 'net'] });
    expect(p.steps[p.firstRuncOp]).toBe('clone(CLONE_NEWNS|CLONE_NEWNET)');
    expect(p.view[1]).toMatch(/ \/sys ro,nosuid,relatime - sysfs sysfs ro$/);
    const joined = predictRunc({ ...spec, linux: { namespaces: [{ type: 'network', path: '/var/run/netns/x' }, { type: 'mount' }] } }, { image: [0, {}, { rootfs: [0, {}, {}] }] });
    expect(joined.warnings.join('\n')).toMatch(/network namespace \/var\/run\/netns\/x is joined, not made/);
  });

  it('puts the container\'s cgroup where runc 1.1 does: an absolute cgroupsPath as is, else under runc\'s own cgroup', () => {
    const host = { ...ASSUMED_HOST, source: 'host' as const, cgroupUnified: false, cgroupV1: [{ mountpoint: '/sys/fs/cgroup/memory', root: '/', options: 'memory' }, { mountpoint: '/sys/fs/cgroup/systemd', root: '/', options: 'name=systemd' }], selfCgroup: { memory: '/user.slice/app', 'name=systemd': '/' } };
    const spec = (cgroupsPath?: string): OciSpec => ({ ociVersion: '1.0.2', root: { path: 'rootfs' }, mounts: [{ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup' }], linux: { namespaces: [{ type: 'mount' }], ...(cgroupsPath ? { cgroupsPath } : {}) } });
    const roots = (cg?: string): string[] => predictRunc(spec(cg), { image: [0, {}, { rootfs: [0, {}, {}] }], host, id: 'c1' }).view.filter((l) => l.includes(' - cgroup ')).map((l) => `${l.split(' ')[4]} ${l.split(' ')[3]}`);
    expect(roots('/abs/path')).toEqual(['/sys/fs/cgroup/memory /abs/path', '/sys/fs/cgroup/systemd /abs/path']);
    expect(roots('rel/../x')).toEqual(['/sys/fs/cgroup/memory /user.slice/app/x', '/sys/fs/cgroup/systemd /x']);
    expect(roots()).toEqual(['/sys/fs/cgroup/memory /user.slice/app/c1', '/sys/fs/cgroup/systemd /c1']);
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

describe.each(readdirSync('examples/bundles').filter((n) => existsSync(join('examples/bundles', n, 'bundle.json'))).sort())('example %s', (name) => {
  const dir = join('examples/bundles', name);
  const { spec, image } = loadExample(dir);

  it('runs to the end on the assumed host, or fails as expected.json says', () => {
    const p = predictRunc(spec, { image, host: ASSUMED_HOST });
    const expected = existsSync(join(dir, 'expected.json')) ? (JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as { fails: { mount: number; errno: string } }) : null;
    if (expected) expect([p.failure?.mount, p.failure?.errno]).toEqual([expected.fails.mount, expected.fails.errno]);
    else {
      expect(p.failure).toBeNull();
      expect(p.plan.ops.some((o) => o.op === 'pivot_root')).toBe(true);
      expect(p.view[0]).toMatch(/^\d+ \d+ \d+:\d+ \/bundle\/rootfs \/ /);
    }
  });
});
