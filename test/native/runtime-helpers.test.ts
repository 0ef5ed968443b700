/**
 * Issue 17's runtime-helper flows as plans, on the kernel through the native backend and on the
 * emulator: moby's overmount (legacy-mount-volumes.ts against container-fs-view.ts), moby#38995's
 * growth, Kata's bindMount and fsGroup (src/boot/kata), and containerd's mount.All and
 * UnmountRecursive/UnmountMounts (src/boot/containerd).
 *
 * The modules call a Process; the plans here make the same calls in the same order (each builder
 * names the module function it mirrors; containerd's plans are made from the calls its replay
 * records). Each plan runs on both backends; the outcomes must agree (compare.ts) and show the
 * behaviour issue 17 names, with the lines the kernel gave (Linux 6.18). A plan's tables are
 * its final state, so a table before and after an operation is two plans, one cut short.
 */
import { describe, expect, it } from 'vitest';
import { runNativeSync } from '../../src/host/native.js';
import { hostMachine } from '../../src/host/parity.js';
import { compareOutcomes, normaliseMountinfo } from '../../src/plan/compare.js';
import { bitsOf, MOUNT_FLAGS, runEmulated, UMOUNT_FLAGS } from '../../src/plan/emulated.js';
import { createSandbox } from '../../src/index.js';
import { mountAll } from '../../src/boot/containerd/mount-all.js';
import type { ContainerdMount } from '../../src/boot/containerd/mount-list.js';
import type { ContainerdStep } from '../../src/boot/containerd/steps.js';
import { unmountMounts, unmountRecursive } from '../../src/boot/containerd/unmount.js';
import type { Process } from '../../src/vfs/process.js';
import type { OpResult, Outcome } from '../../src/plan/outcome.js';
import { bindMount } from '../../src/boot/kata/bind-mount.js';
import { agentSetOwnership, setVolumeOwnership } from '../../src/boot/kata/fs-group.js';
import type { MountFlagName, Plan, PlanOp } from '../../src/plan/plan.js';
import { itHasTheBackend, noPrivilege, warnIfSkipped } from './helpers.js';

warnIfSkipped('test/native/runtime-helpers (the kernel half; the emulator half runs)');

const mount = (source: string, target: string, fstype: string, flags: MountFlagName[], data?: string): PlanOp => ({ op: 'mount', source, target, fstype, flags, ...(data === undefined ? {} : { data }) });
const mkdir = (path: string, mode = 0o755): PlanOp => ({ op: 'mkdir', path, mode });

const DR = '/var/lib/docker';
const baseFS = (id: string): string => `${DR}/containers/${id}/rootfs`;

/** The host moby runs on (moby-containerfs.test.ts dockerHost()): /var/lib/docker a tmpfs, "/" shared. */
const dockerHost: PlanOp[] = [mkdir('/var'), mkdir('/var/lib'), mkdir(DR), mount('docker', DR, 'tmpfs', [], ''), mount('', '/', '', ['shared', 'rec']), mkdir('/srv'), mkdir('/srv/volB'), { op: 'write', path: '/srv/volB/hello', data: 'hi\n' }, mkdir(`${DR}/containers`)];

const container = (id: string): PlanOp[] => [mkdir(`${DR}/containers/${id}`), mkdir(baseFS(id)), mkdir(`${baseFS(id)}/etc`), mkdir(`${baseFS(id)}/tmp`, 0o1777)];

/** mounttree.SwitchRoot(path) (container-fs-view.ts switchRoot) for a path that is no mount point. */
const switchRoot = (path: string): PlanOp[] => [
  // mobyMount(path, path, 'bind', 'rbind,rw')
  mount(path, path, 'bind', ['bind', 'rec'], ''),
  // mkdirTemp(path, '.pivot_root'): 0700
  mkdir(`${path}/.pivot_root0`, 0o700),
  { op: 'pivot_root', new_root: path, put_old: `${path}/.pivot_root0` },
  mount('', '/.pivot_root0', '', ['private', 'rec'], ''),
  { op: 'umount', target: '/.pivot_root0', flags: ['detach'] },
  { op: 'rmdir', path: '/.pivot_root0' },
];

/**
 * The container's init as runc leaves it (moby-containerfs.test.ts start()): its own namespace
 * with "/" rslave, the volume bound rec and made rslave (validateBindDaemonRoot: the source and
 * the daemon root contain one another), pivoted into the rootfs; then back to the daemon.
 */
const startWithVolume = (id: string, source: string, destination: string): PlanOp[] => [
  { op: 'unshare', flags: ['mnt'] },
  mount('', '/', '', ['slave', 'rec']),
  mkdir(`${baseFS(id)}${destination}`),
  mount(source, `${baseFS(id)}${destination}`, '', ['bind', 'rec']),
  mount('', `${baseFS(id)}${destination}`, '', ['slave', 'rec']),
  ...switchRoot(baseFS(id)),
  { op: 'setns', ns: 0 },
];

/** legacy-mount-volumes.ts mountVolumesInDaemonNs() for one writable volume, in the daemon's namespace. */
const legacyMountVolume = (source: string, dest: string, makeDest: boolean): PlanOp[] => [
  // statOrNull(daemon, m.source); mkdirAll(dest) (a stat only when it exists)
  { op: 'stat', path: source },
  ...(makeDest ? [mkdir(dest)] : []),
  // mobyMount(src, dest, '', 'rbind,rw,rprivate'): the bind, then the propagation change
  mount(source, dest, '', ['bind', 'rec'], ''),
  mount('', dest, '', ['private', 'rec'], ''),
];
/** legacy-mount-volumes.ts detachAndUnmount(): mobyUnmount, MNT_DETACH. */
const detachAndUnmount = (dest: string): PlanOp[] => [{ op: 'umount', target: dest, flags: ['detach'] }];

/**
 * container-fs-view.ts openContainerFS() for one writable volume, a use of the view, and Close
 * (the plan's task returns to the daemon's namespace; the view's namespace is left behind).
 */
const viewOf = (id: string, source: string, destination: string, makeDest: boolean, use: PlanOp[]): PlanOp[] => [
  { op: 'unshare', flags: ['mnt'] },
  // makeRSlave(task, '/'): "/" is a mount point, so mobyMount('', '/', 'none', 'rslave')
  mount('', '/', '', ['slave', 'rec'], ''),
  { op: 'stat', path: source },
  ...(makeDest ? [mkdir(`${baseFS(id)}${destination}`)] : []),
  // mobyMount(m.source, resolved, '', 'rbind'); makeRPrivate(task, resolved)
  mount(source, `${baseFS(id)}${destination}`, '', ['bind', 'rec'], ''),
  mount('', `${baseFS(id)}${destination}`, '', ['private', 'rec'], ''),
  ...switchRoot(baseFS(id)),
  ...use,
  { op: 'setns', ns: 0 },
];

const plan = (ops: PlanOp[]): Plan => ({ version: 1, ops });

/** One namespace's table normalised on its own (compare.ts), so that tables of two plans compare. */
const table = (o: Outcome, ns: number): string[] => normaliseMountinfo({ mountinfo: [], namespaces: [o.namespaces[ns] ?? []] }).namespaces[0]!;

type Run = (p: Plan) => Outcome;
const emulated: Run = (p) => runEmulated(p, hostMachine());
const native: Run = (p) => runNativeSync(p);

// ---- Kata (src/boot/kata) ----

/**
 * bind-mount.ts bindMount(source, destination, readonly, pgtypes) for a directory source whose
 * destination's parent exists: evalSymlinks (a stat), ensureDestinationExists (a stat, MkdirAll of
 * the parent — nothing to make —, mkdir 0755 with EEXIST ignored), MS_BIND with type "bind", the
 * propagation alone, and for a read-only volume MS_BIND|MS_REMOUNT|MS_RDONLY.
 */
const kataBindMount = (source: string, destination: string, readonly: boolean, pg: 'shared' | 'private' | 'slave'): PlanOp[] => [
  { op: 'stat', path: source },
  { op: 'stat', path: source },
  mkdir(destination),
  mount(source, destination, 'bind', ['bind'], ''),
  mount('none', destination, '', [pg], ''),
  ...(readonly ? [mount(source, destination, 'bind', ['bind', 'remount', 'rdonly'], '')] : []),
];

// ---- fsGroup (src/boot/kata/fs-group.ts) ----

/** The tree of kata-volumes.test.ts's fsGroup tests, at `v`: a directory, a file, a setuid file of 1000:1000, a symlink. */
const fsGroupTree = (v: string): PlanOp[] => [
  mkdir(v),
  mkdir(`${v}/sub`),
  { op: 'write', path: `${v}/f`, data: 'x', mode: 0o644 },
  { op: 'write', path: `${v}/sub/suid`, data: 'x', mode: 0o755 },
  { op: 'chown', path: `${v}/sub/suid`, uid: 1000, gid: 1000 },
  { op: 'chmod', path: `${v}/sub/suid`, mode: 0o4755 },
  { op: 'symlink', target: 'f', path: `${v}/l` },
];
const lstat = (path: string): PlanOp => ({ op: 'stat', path, nofollow: true });
const stat = (path: string): PlanOp => ({ op: 'stat', path });

/**
 * fs-group.ts setVolumeOwnership(p, v, 2000, 'Always', false): walk() (lstat, getdents in the
 * directory's order — tmpfs's, newest first: l, f, sub) with change() after the children: a
 * symlink untouched; chown(path, its uid, 2000); chmod(path, the mode read before the chown |
 * 0660, directories | S_ISGID | 0110).
 */
const kubeletOwnership = (v: string): PlanOp[] => [
  lstat(v),
  { op: 'readdir', path: v },
  lstat(`${v}/l`),
  lstat(`${v}/f`),
  { op: 'chown', path: `${v}/f`, uid: 0, gid: 2000 },
  { op: 'chmod', path: `${v}/f`, mode: 0o644 | 0o660 },
  lstat(`${v}/sub`),
  { op: 'readdir', path: `${v}/sub` },
  lstat(`${v}/sub/suid`),
  { op: 'chown', path: `${v}/sub/suid`, uid: 1000, gid: 2000 },
  { op: 'chmod', path: `${v}/sub/suid`, mode: 0o4755 | 0o660 },
  { op: 'chown', path: `${v}/sub`, uid: 0, gid: 2000 },
  { op: 'chmod', path: `${v}/sub`, mode: 0o755 | 0o660 | 0o2000 | 0o110 },
  { op: 'chown', path: v, uid: 0, gid: 2000 },
  { op: 'chmod', path: v, mode: 0o755 | 0o660 | 0o2000 | 0o110 },
];

/**
 * fs-group.ts agentSetOwnership(p, v, 2000, 'Always', false): set_ownership's stat, then
 * recursive_ownership_change: stat (follows), the children, lstat (a symlink stops there),
 * chown(path, -1, 2000), stat again, chmod(that mode | mask).
 */
const agentOwnership = (v: string): PlanOp[] => {
  const file = (path: string): PlanOp[] => [stat(path), lstat(path), { op: 'chown', path, uid: -1, gid: 2000 }, stat(path)];
  return [
    stat(v),
    stat(v),
    { op: 'readdir', path: v },
    stat(`${v}/l`),
    lstat(`${v}/l`),
    ...file(`${v}/f`),
    { op: 'chmod', path: `${v}/f`, mode: 0o644 | 0o660 },
    stat(`${v}/sub`),
    { op: 'readdir', path: `${v}/sub` },
    ...file(`${v}/sub/suid`),
    // The chown cleared S_ISUID; the mode read after it is 0755.
    { op: 'chmod', path: `${v}/sub/suid`, mode: 0o755 | 0o660 },
    lstat(`${v}/sub`),
    { op: 'chown', path: `${v}/sub`, uid: -1, gid: 2000 },
    stat(`${v}/sub`),
    { op: 'chmod', path: `${v}/sub`, mode: 0o755 | 0o660 | 0o2000 | 0o110 },
    lstat(v),
    { op: 'chown', path: v, uid: -1, gid: 2000 },
    stat(v),
    { op: 'chmod', path: v, mode: 0o755 | 0o660 | 0o2000 | 0o110 },
  ];
};

// ---- containerd (src/boot/containerd) ----

/** Plan mount flags for an MS_* number (every bit must have a name). */
function flagNames(flags: number): MountFlagName[] {
  const names = (Object.entries(MOUNT_FLAGS) as [MountFlagName, number][]).filter(([, bit]) => bit !== 0 && (flags & bit) === bit).map(([n]) => n);
  if (names.reduce((a, n) => a | MOUNT_FLAGS[n], 0) !== flags) throw new Error(`mount flags ${flags} have bits without a plan name`);
  return names;
}

/**
 * A containerd replay's recorded calls (steps.ts: `mount("src", "/t", "type", FLAGS, "data")`,
 * `umount2("/t", FLAGS)`) as plan ops, one op a call, and the answer each call got in the replay.
 */
function stepsToOps(steps: readonly ContainerdStep[]): { ops: PlanOp[]; results: string[] } {
  const ops: PlanOp[] = [];
  const results: string[] = [];
  for (const s of steps) {
    const m = /^(mount|umount2)\((.*)\)$/.exec(s.call);
    if (!m) throw new Error(`no plan op for the step ${s.call}`);
    const args = JSON.parse(`[${m[2]}]`) as (string | number)[];
    if (m[1] === 'mount') {
      const [source, target, fstype, flags, data] = args as [string, string, string, number, string];
      ops.push(mount(source, target, fstype, flagNames(flags), data));
    } else {
      const [target, flags] = args as [string, number];
      const names = (Object.entries(UMOUNT_FLAGS) as [keyof typeof UMOUNT_FLAGS, number][]).filter(([, b]) => (flags & b) !== 0).map(([n]) => n);
      ops.push({ op: 'umount', target, flags: names });
    }
    results.push(s.result);
    for (let i = 1; i < (s.attempts ?? 1); i++) {
      ops.push(ops.at(-1)!);
      results.push(s.result);
    }
  }
  return { ops, results };
}

/** A fresh emulated machine with `setup` (mkdir, write, symlink, chown, chmod, mount) made as the plan makes it. */
function emulatedWorld(setup: readonly PlanOp[]): Process {
  const p = createSandbox({ size: null, inodes: null }).process;
  p.umaskSet(0);
  for (const op of setup) {
    if (op.op === 'mkdir') p.mkdir(op.path, op.mode ?? 0o755);
    else if (op.op === 'write') {
      const fd = p.open(op.path, 0o1 | 0o100 | 0o1000, op.mode ?? 0o644);
      p.write(fd, new TextEncoder().encode(op.data));
      p.close(fd);
    } else if (op.op === 'symlink') p.symlink(op.target, op.path);
    else if (op.op === 'chown') p.lchown(op.path, op.uid, op.gid);
    else if (op.op === 'chmod') p.chmod(op.path, op.mode);
    else if (op.op === 'mount') p.mount(op.source, op.target, op.fstype, bitsOf(MOUNT_FLAGS, op.flags), op.data ?? null);
    else throw new Error(`emulatedWorld: ${op.op}`);
  }
  return p;
}

const OVERLAY_SETUP: PlanOp[] = [
  ...['/rootfs', '/l1', '/l2', '/l3', '/u', '/w', '/src', '/l1/mnt'].map((d) => mkdir(d)),
  { op: 'write', path: '/l1/a', data: 'top' },
  { op: 'write', path: '/l2/a', data: 'middle' },
  { op: 'write', path: '/l3/b', data: 'bottom' },
  { op: 'write', path: '/src/s', data: 'src' },
];
const OVERLAY_MOUNTS: ContainerdMount[] = [
  { type: 'overlay', source: 'overlay', target: '', options: ['index=off', 'lowerdir=/l1:/l2:/l3', 'upperdir=/u', 'workdir=/w', 'nosuid'] },
  { type: 'bind', source: '/src', target: 'mnt', options: ['rbind', 'ro', 'rprivate'] },
];

const BIND_SETUP: PlanOp[] = [
  ...['/rootfs', '/ctr', '/ctr/etc', '/ctr/data', '/vol', '/vol/sub'].map((d) => mkdir(d)),
  { op: 'write', path: '/ctr/etc/hosts', data: '' },
  { op: 'write', path: '/hosts', data: '127.0.0.1 localhost\n' },
  { op: 'write', path: '/vol/sub/v', data: 'v' },
];
const BIND_MOUNTS: ContainerdMount[] = [
  { type: 'bind', source: '/ctr', target: '', options: ['rbind', 'rw'] },
  { type: 'bind', source: '/vol', target: 'data', options: ['rbind', 'ro'] },
  { type: 'bind', source: '/hosts', target: 'etc/hosts', options: ['bind', 'ro', 'nosuid', 'nodev'] },
];

/** mount.All then `unmount` on the emulator, as plan ops: [setup + mount.All's calls, its unmount calls]. */
function containerdPlans(setup: PlanOp[], mounts: ContainerdMount[], unmount: (p: Process) => { steps: ContainerdStep[] }) {
  const p = emulatedWorld(setup);
  const all = mountAll(p, mounts, '/rootfs');
  if (all.failure) throw new Error(all.failure.message);
  const m = stepsToOps(all.steps);
  const u = stepsToOps(unmount(p).steps);
  return { mounted: [...setup, ...m.ops], unmounted: [...setup, ...m.ops, ...u.ops], steps: [...m.results, ...u.results] };
}

/** A one-table normalisation of a Process's mountinfo (compare.ts), to hold a module's table against a plan's. */
const processTable = (p: Process): string[] => normaliseMountinfo({ mountinfo: [], namespaces: [p.mountinfo().trimEnd().split('\n')] }).namespaces[0]!;

const OK: OpResult = { ok: true };
const err = (errno: string): OpResult => ({ ok: false, errno });
const st = (type: 'file' | 'dir' | 'symlink', mode: number, uid: number, gid: number, size: number, nlink: number): OpResult => ({ ok: true, stat: { type, mode, uid, gid, size, nlink } });

/**
 * A flow: named plans (a plan's tables are its final state, so a flow that must show a table
 * before and after an operation runs the plan cut there as a plan of its own), and what the
 * outcomes must show — the same checks on each backend.
 */
interface Flow {
  name: string;
  plans: Record<string, PlanOp[]>;
  check: (o: Record<string, Outcome>) => void;
}

/** Every op of the plan succeeded (a read's result carries its data and is `ok` too). */
const allOk = (o: Outcome): void => expect(o.results.filter((r) => !r.ok)).toEqual([]);

// ---- 1. moby's overmount ----
const DAEMON_TABLE = ['M1 ^ D1 / / rw,relatime shared:P1 - tmpfs none rw,mode=755', 'M2 M1 D2 / /var/lib/docker rw,relatime shared:P2 - tmpfs docker rw'];
const A_TABLE = ['M1 ^ D1 /containers/A/rootfs / rw,relatime master:P1 - tmpfs docker rw', 'M2 M1 D1 / /hostdocker rw,relatime master:P1 - tmpfs docker rw'];
const overmountStart = [...dockerHost, ...container('A'), ...container('B'), ...startWithVolume('A', DR, '/hostdocker')];
const overmountLegacy = [...overmountStart, ...legacyMountVolume('/srv/volB', `${baseFS('B')}/data`, true)];

const OVERMOUNT: Flow = {
  name: "moby's overmount: the old mountVolumes shows in container A's table, a containerFSView does not",
  plans: {
    started: overmountStart,
    legacyHeld: overmountLegacy,
    legacyDone: [...overmountLegacy, ...detachAndUnmount(`${baseFS('B')}/data`)],
    view: [...overmountStart, ...viewOf('B', '/srv/volB', '/data', true, [{ op: 'read', path: '/data/hello' }])],
  },
  check: (o) => {
    for (const x of Object.values(o)) allOk(x);
    expect(table(o.started!, 0)).toEqual(DAEMON_TABLE);
    expect(table(o.started!, 1)).toEqual(A_TABLE);
    // The daemon's bind of B's volume under B's rootfs, on /var/lib/docker (shared): A receives it.
    expect(table(o.legacyHeld!, 0)).toEqual([...DAEMON_TABLE, 'M3 M2 D1 /srv/volB /var/lib/docker/containers/B/rootfs/data rw,relatime - tmpfs none rw,mode=755']);
    expect(table(o.legacyHeld!, 1)).toEqual([...A_TABLE, 'M3 M2 D2 /srv/volB /hostdocker/containers/B/rootfs/data rw,relatime master:P2 - tmpfs none rw,mode=755']);
    // DetachAndUnmount takes it back from A too (the umount propagates to the slave).
    expect(table(o.legacyDone!, 1)).toEqual(A_TABLE);
    // The view: A's and the daemon's tables line for line as before; the view's own namespace has the volume.
    expect(o.view!.namespaces).toHaveLength(3);
    expect(table(o.view!, 1)).toEqual(A_TABLE);
    expect(table(o.view!, 0)).toEqual(DAEMON_TABLE);
    expect(table(o.view!, 2)).toEqual(['M1 ^ D1 /containers/B/rootfs / rw,relatime master:P1 - tmpfs docker rw', 'M2 M1 D2 /srv/volB /data rw,relatime - tmpfs none rw,mode=755']);
    expect(o.view!.results.at(-2)).toEqual({ ok: true, data: 'hi\n' });
  },
};

// ---- 2. moby#38995's growth ----
const growthStart = [...dockerHost, ...container('A'), ...startWithVolume('A', '/var/lib', '/hostlib')];
const HOSTLIB = `${baseFS('A')}/hostlib`;
/** One `docker cp` the old way: mountVolumesInDaemonNs then detachAndUnmount (the destination exists: A's start made it). */
const legacyOperation = [...legacyMountVolume('/var/lib', HOSTLIB, false), ...detachAndUnmount(HOSTLIB)];
/** One `docker cp` into A's /tmp through a view (containerExtractToDir: the file written, read back by containerArchivePath). */
const viewOperation = (i: number): PlanOp[] => viewOf('A', '/var/lib', '/hostlib', false, [{ op: 'write', path: `/tmp/f${i}`, data: String(i), mode: 0o600 }, { op: 'read', path: `/tmp/f${i}` }]);
const OPERATIONS = 4;
const repeated = (k: number, op: (i: number) => PlanOp[]): PlanOp[] => [...growthStart, ...Array.from({ length: k }, (_, i) => op(i)).flat()];
const A_LIB_TABLE = [
  'M1 ^ D1 /containers/A/rootfs / rw,relatime master:P1 - tmpfs docker rw',
  'M2 M1 D2 /var/lib /hostlib rw,relatime master:P2 - tmpfs none rw,mode=755',
  'M3 M2 D1 / /hostlib/docker rw,relatime master:P1 - tmpfs docker rw',
];

const GROWTH: Flow = {
  name: "moby#38995: with /var/lib as A's volume, each old-way operation grows A's table; a view keeps it constant",
  plans: Object.fromEntries(
    Array.from({ length: OPERATIONS + 1 }, (_, k) => [
      [`legacy${k}`, repeated(k, () => legacyOperation)],
      [`view${k}`, repeated(k, viewOperation)],
    ]).flat(),
  ),
  check: (o) => {
    const range = Array.from({ length: OPERATIONS + 1 }, (_, k) => k);
    for (const k of range) allOk(o[`legacy${k}`]!);
    // The kernel's numbers (Linux 6.18), after 0, 1, 2, 3 and 4 operations: 2^(k+2) - 1.
    expect(range.map((k) => o[`legacy${k}`]!.namespaces[1]!.length)).toEqual([3, 7, 15, 31, 63]);
    expect(range.map((k) => o[`view${k}`]!.namespaces[1]!.length)).toEqual([3, 3, 3, 3, 3]);
    // The daemon's own table stays two lines either way (its binds are lazily unmounted).
    expect(range.map((k) => o[`legacy${k}`]!.namespaces[0]!.length)).toEqual([2, 2, 2, 2, 2]);
    expect(table(o.legacy0!, 1)).toEqual(A_LIB_TABLE);
    // After one operation: the propagated copy of /var/lib went in under A's /hostlib (tucked:
    // A's own bind now sits on it), with the daemon root and the copies of both inside, and the
    // lazy unmount took none of them back.
    expect(table(o.legacy1!, 1)).toEqual([
      'M1 ^ D1 /containers/A/rootfs / rw,relatime master:P1 - tmpfs docker rw',
      'M2 M3 D2 /var/lib /hostlib rw,relatime master:P2 - tmpfs none rw,mode=755',
      'M4 M2 D1 / /hostlib/docker rw,relatime master:P1 - tmpfs docker rw',
      'M5 M4 D2 /var/lib /hostlib/docker/containers/A/rootfs/hostlib rw,relatime master:P2 - tmpfs none rw,mode=755',
      'M6 M5 D1 / /hostlib/docker/containers/A/rootfs/hostlib/docker rw,relatime master:P1 - tmpfs docker rw',
      'M3 M1 D2 /var/lib /hostlib rw,relatime master:P2 - tmpfs none rw,mode=755',
      'M7 M3 D1 / /hostlib/docker rw,relatime master:P1 - tmpfs docker rw',
    ]);
    for (const k of range) {
      const v = o[`view${k}`]!;
      allOk(v);
      expect(table(v, 1)).toEqual(A_LIB_TABLE);
      // Each view its own namespace, each the rootfs and the volume made private.
      expect(v.namespaces).toHaveLength(2 + k);
      for (let i = 0; i < k; i++) {
        expect(table(v, 2 + i)).toEqual(['M1 ^ D1 /containers/A/rootfs / rw,relatime master:P1 - tmpfs docker rw', 'M2 M1 D2 /var/lib /hostlib rw,relatime - tmpfs none rw,mode=755', 'M3 M2 D1 / /hostlib/docker rw,relatime - tmpfs docker rw']);
      }
      expect(v.results.filter((r) => 'data' in r)).toEqual(Array.from({ length: k }, (_, i) => ({ ok: true, data: String(i) })));
    }
  },
};

// ---- 3. Kata's bindMount and fsGroup ----
const DIR40 = st('dir', 0o755, 0, 0, 40, 2);
const kataPlans = {
  privateRo: [mkdir('/src'), mkdir('/src/sub'), mkdir('/shared'), ...kataBindMount('/src', '/shared/c1-vol', true, 'private'), { op: 'write', path: '/shared/c1-vol/x', data: 'x' } as PlanOp],
  sharedRo: [mkdir('/src'), mkdir('/shared'), ...kataBindMount('/src', '/shared/c1-vol', true, 'shared')],
  nosuidRw: [mkdir('/srcmnt'), mount('vol', '/srcmnt', 'tmpfs', ['nosuid', 'nodev'], 'mode=755'), ...kataBindMount('/srcmnt', '/dst', false, 'slave')],
  nosuidRo: [mkdir('/srcmnt'), mount('vol', '/srcmnt', 'tmpfs', ['nosuid', 'nodev'], 'mode=755'), ...kataBindMount('/srcmnt', '/dst', true, 'slave')],
  nosuidRoUserns: [
    mkdir('/srcmnt'),
    mount('vol', '/srcmnt', 'tmpfs', ['nosuid', 'nodev'], 'mode=755'),
    mkdir('/dst'),
    { op: 'unshare', flags: ['user', 'mnt'], setgroups: 'deny', uidMap: [[0, 100000, 65536]], gidMap: [[0, 100000, 65536]] } as PlanOp,
    ...kataBindMount('/srcmnt', '/dst', true, 'slave'),
    { op: 'write', path: '/dst/w', data: 'w' } as PlanOp,
  ],
};
const ROOT_LINE = 'M1 ^ D1 / / rw,relatime - tmpfs none rw,mode=755';
const SRCMNT_LINE = 'M2 M1 D2 / /srcmnt rw,nosuid,nodev,relatime - tmpfs vol rw,mode=755';

const KATA_BIND: Flow = {
  name: "Kata's bindMount: MS_BIND, the propagation, then MS_BIND|MS_REMOUNT|MS_RDONLY (which drops nosuid,nodev, or is EPERM where they are locked)",
  plans: kataPlans,
  check: (o) => {
    expect(o.privateRo!.results).toEqual([OK, OK, OK, st('dir', 0o755, 0, 0, 60, 3), st('dir', 0o755, 0, 0, 60, 3), OK, OK, OK, OK, err('EROFS')]);
    expect(table(o.privateRo!, 0)).toEqual([ROOT_LINE, 'M2 M1 D1 /src /shared/c1-vol ro,relatime - tmpfs none rw,mode=755']);
    // "shared" comes before the read-only remount, which keeps the peer group.
    expect(o.sharedRo!.results).toEqual([OK, OK, DIR40, DIR40, OK, OK, OK, OK]);
    expect(table(o.sharedRo!, 0)).toEqual([ROOT_LINE, 'M2 M1 D1 /src /shared/c1-vol ro,relatime shared:P1 - tmpfs none rw,mode=755']);
    // A bind copies the source's nosuid,nodev; slave of a mount in no peer group is private.
    expect(o.nosuidRw!.results).toEqual([OK, OK, DIR40, DIR40, OK, OK, OK]);
    expect(table(o.nosuidRw!, 0)).toEqual([ROOT_LINE, SRCMNT_LINE, 'M3 M1 D2 / /dst rw,nosuid,nodev,relatime - tmpfs vol rw,mode=755']);
    // The remount names only MS_RDONLY among the per-mount flags: the read-only volume loses nosuid,nodev.
    expect(o.nosuidRo!.results).toEqual([OK, OK, DIR40, DIR40, OK, OK, OK, OK]);
    expect(table(o.nosuidRo!, 0)).toEqual([ROOT_LINE, SRCMNT_LINE, 'M3 M1 D2 / /dst ro,relatime - tmpfs vol rw,mode=755']);
    // In a user namespace the copy's nosuid,nodev are locked: the remount is EPERM and the volume stays writable.
    const nobodyDir = st('dir', 0o755, 65534, 65534, 40, 2);
    expect(o.nosuidRoUserns!.results).toEqual([OK, OK, OK, OK, nobodyDir, nobodyDir, err('EEXIST'), OK, OK, err('EPERM'), OK]);
    expect(table(o.nosuidRoUserns!, 1)).toEqual([ROOT_LINE, SRCMNT_LINE, 'M3 M1 D2 / /dst rw,nosuid,nodev,relatime - tmpfs vol rw,mode=755']);
  },
};

const TREE_PATHS = ['/v', '/v/f', '/v/sub', '/v/sub/suid', '/v/l'];
const FS_GROUP_AGENT = [...fsGroupTree('/v'), ...agentOwnership('/v'), ...TREE_PATHS.map(lstat)];
const FS_GROUP: Flow = {
  name: 'fsGroup 2000 (Always) on a small tree: the kubelet keeps the set-id bit the chown cleared, Kata\'s agent does not',
  plans: {
    kubelet: [...fsGroupTree('/v'), ...kubeletOwnership('/v'), ...TREE_PATHS.map(lstat)],
    agent: FS_GROUP_AGENT,
  },
  check: (o) => {
    for (const x of Object.values(o)) allOk(x);
    const after = (suidMode: number): OpResult[] => [
      st('dir', 0o2775, 0, 2000, 100, 3),
      st('file', 0o664, 0, 2000, 1, 1),
      st('dir', 0o2775, 0, 2000, 60, 2),
      st('file', suidMode, 1000, 2000, 1, 1),
      st('symlink', 0o777, 0, 0, 1, 1),
    ];
    expect(o.kubelet!.results.slice(-5)).toEqual(after(0o4775));
    expect(o.agent!.results.slice(-5)).toEqual(after(0o775));
    // What the agent reads back after its chown of the setuid file: S_ISUID gone.
    const readBack = FS_GROUP_AGENT.findIndex((op) => op.op === 'chown' && op.path === '/v/sub/suid' && op.uid === -1) + 1;
    expect(o.agent!.results[readBack]).toEqual(st('file', 0o755, 1000, 2000, 1, 1));
  },
};

// ---- 4. containerd's mount.All and unmounting ----
const overlay = containerdPlans(OVERLAY_SETUP, OVERLAY_MOUNTS, (p) => unmountRecursive(p, '/rootfs'));
const binds = containerdPlans(BIND_SETUP, BIND_MOUNTS, (p) => unmountMounts(p, BIND_MOUNTS, '/rootfs'));
const stepResults = (o: Outcome, setup: number): string[] => o.results.slice(setup).map((r) => ('errno' in r ? r.errno : 'OK'));

const CONTAINERD: Flow = {
  name: "containerd mount.All (an overlay of three lowerdirs and a read-only bind on it; a bind list), then UnmountRecursive and UnmountMounts",
  plans: {
    overlayMounted: [...overlay.mounted, { op: 'readdir', path: '/rootfs' }, { op: 'read', path: '/rootfs/a' }, { op: 'readdir', path: '/rootfs/mnt' }],
    overlayUnmounted: overlay.unmounted,
    // The compacted form of the data (compactLowerdirs: layers relative to the mounting task's
    // cwd). A plan cannot chdir — its cwd is its sandbox root — so the layers are named from "/".
    relativeLayers: [...OVERLAY_SETUP, mount('overlay', '/rootfs', 'overlay', [], 'upperdir=/u,workdir=/w,lowerdir=l1:l2:l3'), { op: 'read', path: '/rootfs/a' }],
    bindsMounted: binds.mounted,
    bindsUnmounted: binds.unmounted,
  },
  check: (o) => {
    const n = OVERLAY_SETUP.length;
    expect(o.overlayMounted!.results.slice(n)).toEqual([OK, OK, OK, { ok: true, names: ['a', 'b', 'mnt'] }, { ok: true, data: 'top' }, { ok: true, names: ['s'] }]);
    expect(table(o.overlayMounted!, 0)).toEqual([
      ROOT_LINE,
      'M2 M1 D2 / /rootfs rw,nosuid,relatime - overlay overlay rw,lowerdir=/l1:/l2:/l3,upperdir=/u,workdir=/w,uuid=on',
      'M3 M2 D1 /src /rootfs/mnt ro,relatime - tmpfs none rw,mode=755',
    ]);
    // Deepest first, each point until EINVAL: the kernel answers each call as the replay recorded it.
    expect(stepResults(o.overlayUnmounted!, n)).toEqual(overlay.steps);
    expect(overlay.steps).toEqual(['OK', 'OK', 'OK', 'OK', 'EINVAL', 'OK', 'EINVAL']);
    expect(table(o.overlayUnmounted!, 0)).toEqual([ROOT_LINE]);
    expect(o.relativeLayers!.results.at(-1)).toEqual({ ok: true, data: 'top' });
    expect(table(o.relativeLayers!, 0)).toEqual([ROOT_LINE, 'M2 M1 D2 / /rootfs rw,relatime - overlay overlay rw,lowerdir=l1:l2:l3,upperdir=/u,workdir=/w,uuid=on']);
    const b = BIND_SETUP.length;
    expect(table(o.bindsMounted!, 0)).toEqual([
      ROOT_LINE,
      'M2 M1 D1 /ctr /rootfs rw,relatime - tmpfs none rw,mode=755',
      'M3 M2 D1 /vol /rootfs/data ro,relatime - tmpfs none rw,mode=755',
      'M4 M2 D1 /hosts /rootfs/etc/hosts ro,nosuid,nodev,relatime - tmpfs none rw,mode=755',
    ]);
    expect(stepResults(o.bindsUnmounted!, b)).toEqual(binds.steps);
    expect(binds.steps.slice(5)).toEqual(['OK', 'EINVAL', 'OK', 'EINVAL', 'OK', 'EINVAL']);
    expect(table(o.bindsUnmounted!, 0)).toEqual([ROOT_LINE]);
  },
};

const FLOWS: Flow[] = [OVERMOUNT, GROWTH, KATA_BIND, FS_GROUP, CONTAINERD];

function runFlow(f: Flow, run: Run): Record<string, Outcome> {
  return Object.fromEntries(Object.entries(f.plans).map(([k, ops]) => [k, run(plan(ops))]));
}

describe('the plans replay the modules', () => {
  it("containerd: the plans' mount and umount ops are mount.All's and the unmount's recorded calls", () => {
    expect(overlay.mounted.slice(OVERLAY_SETUP.length)).toEqual([
      mount('overlay', '/rootfs', 'overlay', ['nosuid'], 'index=off,lowerdir=/l1:/l2:/l3,upperdir=/u,workdir=/w'),
      mount('/src', '/rootfs/mnt', 'bind', ['rdonly', 'bind', 'rec'], 'rprivate'),
      mount('', '/rootfs/mnt', '', ['rdonly', 'remount', 'bind', 'rec'], ''),
    ]);
    expect(overlay.unmounted.slice(overlay.mounted.length).map((op) => (op.op === 'umount' ? op.target : op.op))).toEqual(['/rootfs/mnt', '/rootfs/mnt', '/rootfs', '/rootfs']);
    expect(binds.unmounted.slice(binds.mounted.length).map((op) => (op.op === 'umount' ? op.target : op.op))).toEqual(['/rootfs/etc/hosts', '/rootfs/etc/hosts', '/rootfs/data', '/rootfs/data', '/rootfs', '/rootfs']);
  });

  it('containerd: a compacted overlay is mounted after a chdir, which no plan op makes', () => {
    const p = emulatedWorld(['/rootfs', '/s', '/s/1', '/s/2', '/s/3', '/u', '/w'].map((d) => mkdir(d)));
    // A page of 540 bytes puts the options (44 bytes) over containerd's threshold, pageSize - 512.
    const r = mountAll(p, [{ type: 'overlay', source: 'overlay', target: '', options: ['lowerdir=/s/1:/s/2:/s/3', 'upperdir=/u', 'workdir=/w'] }], '/rootfs', { pageSize: 540 });
    expect(r.steps.map((s) => s.call)).toEqual(['unshare(CLONE_FS); chdir("/s/")', 'mount("overlay", "/rootfs", "overlay", 0, "upperdir=/u,workdir=/w,lowerdir=1:2:3")']);
    expect(() => stepsToOps(r.steps)).toThrow('no plan op for the step unshare(CLONE_FS)');
  });

  it("Kata: bindMount's table on the emulator is the plan's", () => {
    const world = (ops: PlanOp[]) => emulatedWorld(ops.filter((op) => op.op === 'mkdir' || op.op === 'mount'));
    const p1 = world([mkdir('/src'), mkdir('/src/sub'), mkdir('/shared')]);
    bindMount(p1, '/src', '/shared/c1-vol', true, 'private');
    expect(processTable(p1)).toEqual(table(emulated(plan(kataPlans.privateRo)), 0));
    const p2 = world(kataPlans.nosuidRo.slice(0, 2));
    bindMount(p2, '/srcmnt', '/dst', true, 'slave');
    expect(processTable(p2)).toEqual(table(emulated(plan(kataPlans.nosuidRo)), 0));
  });

  it("fsGroup: the plans change the paths in the modules' order", () => {
    const order = (ops: PlanOp[]) => ops.filter((op): op is Extract<PlanOp, { op: 'chmod' }> => op.op === 'chmod').map((op) => op.path);
    expect(setVolumeOwnership(emulatedWorld(fsGroupTree('/v')), '/v', 2000, 'Always', false).changed).toEqual(order(kubeletOwnership('/v')));
    expect(agentSetOwnership(emulatedWorld(fsGroupTree('/v')), '/v', 2000, 'Always', false).changed).toEqual(order(agentOwnership('/v')));
  });
});

describe('runtime-helper flows on the emulator', () => {
  it.each(FLOWS)('$name', (f) => f.check(runFlow(f, emulated)));
});

describe.skipIf(noPrivilege)('runtime-helper flows on the host kernel, and both backends agree', () => {
  itHasTheBackend();
  it.each(FLOWS)('$name', (f) => {
    const n = runFlow(f, native);
    f.check(n);
    for (const [k, ops] of Object.entries(f.plans)) {
      const p = plan(ops);
      const c = compareOutcomes(p, emulated(p), n[k]!);
      expect(c.diff, `plan ${k}`).toBe('');
    }
  });
});
