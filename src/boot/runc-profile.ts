/**
 * The runc profile: an OCI spec turned into the mount plan runc 1.1 would carry out, by running
 * runc's rootfs setup (libcontainer/rootfs_linux.go, standard_init_linux.go) against the emulated
 * kernel and recording every call that changes the filesystem as a plan op.
 *
 * runc decides as it goes: a destination resolves through the symlinks of the rootfs as the
 * mounts before it left them, a tmpfs over an existing directory takes that directory's mode, a
 * missing destination is created, a failed remount is retried. So the profile keeps an
 * EmulatedSession, asks it what runc would ask (stat, lstat, readlink, statfs) and records the
 * ops; the plan then means the same on any backend, and its outcome on the emulator is the
 * prediction. runc's order:
 *
 *  1. the host side: the host's mounts the rootfs and the bind sources live on (host-mounts.ts;
 *     none when the host's mount table is not known), the bundle (rootfs and bundle-relative
 *     sources) and absolute bind sources, the host's cgroup v1 hierarchies with the container's
 *     cgroup (where runc's fs manager puts it); then `unshare` of the mount and network
 *     namespaces runc's init is cloned into (the network one decides /sys's superblock);
 *  2. prepareRoot: "/" made rslave (or linux.rootfsPropagation) recursively, the rootfs's parent
 *     mount made private if shared, the rootfs bind-mounted onto itself (rbind);
 *  3. each spec mount in order (mountToRootfs): proc and sysfs on a lexically joined directory
 *     that must not be a symlink, the rest on a destination resolved inside the rootfs with
 *     SecureJoin; missing destinations made (MkdirAll 0755, or an empty file for a file bind);
 *     a tmpfs over an existing directory chmod-ed to its mode afterwards; binds remounted
 *     (MS_REMOUNT|MS_BIND) when they carry flags; propagation changes after each mount; cgroup
 *     as a tmpfs of host binds (v1) or a cgroup2 mount (v2); destinations inside /proc refused;
 *  4. /dev when not bind-mounted: device nodes (null, random, full, tty, zero, urandom and the
 *     spec's), /dev/ptmx -> pts/ptmx, the fd/stdin/stdout/stderr (and core) symlinks;
 *  5. pivot_root(".", ".") into the rootfs, the old root made rslave and detached; process.cwd
 *     made;
 *  6. with process.terminal, the console: a pseudo-terminal from /dev/ptmx bound over
 *     /dev/console;
 *  7. finalizeRootfs: read-only tmpfs and /dev remounted ro, then the read-only root;
 *  8. readonlyPaths (rbind onto itself, remount ro keeping nosuid/nodev/noexec), then
 *     maskedPaths (/dev/null bound over files, a read-only tmpfs over directories; missing
 *     paths skipped).
 *
 * With a user namespace in linux.namespaces (nsexec.c): unshare(CLONE_NEWUSER) first, its maps
 * written by runc's parent, setresuid(0), then the other namespaces — the mount namespace, owned
 * by the new user namespace, locks every mount it copies (MNT_LOCK_*), and the PID and IPC
 * namespaces let the init mount proc and mqueue — then root of the namespace mounts; device
 * nodes are the host's, bound over empty files (bindMountDeviceNode()), so the host's /dev, and
 * its proc and sysfs (mount_too_revealing() wants one fully visible), are made in the host part.
 *
 * Known difference: in a user namespace runc 1.1 opens bind sources as root of the host's user
 * namespace and mounts /proc/self/fd/N (shouldSendMountSources()); a plan has no op for "a
 * descriptor another task opened", so the prediction walks the source path as the container's
 * root: a source the container's root may not reach (a root-owned 0750 directory) is predicted
 * EACCES where runc gets through.
 *
 * runc 1.1 is modelled because it is the oracle (Debian's runc, test/boot): 1.2 prefixes a
 * tmpfs's data with the directory's mode instead of chmod-ing, remounts binds for clearing words
 * too, and knows idmap/ridmap (1.1 ignores them and the mount's uidMappings: a warning says so).
 * The first failure ends the run, reported as runc words it.
 */
import { EmulatedSession, MOUNT_ATTR_BITS, type EmulatedOptions } from '../plan/emulated.js';
import type { OpResult, Outcome } from '../plan/outcome.js';
import { CAP_NAMES, type IdMapExtent, type MountAttrName, type MountFlagName, type Plan, type PlanOp, type UnshareFlagName } from '../plan/plan.js';
import { SysError, type Errno } from '../vfs/errno.js';
import { isDir, isLnk, S_IFMT } from '../vfs/inode.js';
import { ST_RDONLY } from '../vfs/stat.js';
import { ASSUMED_HOST, containerCgroup, hostFsTypes, mountsBehind, type HostFacts, type HostMount } from './host-facts.js';
import { HostMountMaker, mountFlagsOf } from './host-mounts.js';
import { MS, parseMountOptions, planFlags, propagationBits, type ParsedMountOptions } from './mount-options.js';
import { base, clean, dir, join, rel, secureJoin, type LinkReader } from './paths.js';
import { imageOps, type ImageNode } from './rootfs-image.js';
import type { IdMapping, OciSpec, SpecMount } from './spec.js';

/** A spec mount as runc's specconv makes it (configs.Mount). */
export interface RuncMount extends ParsedMountOptions {
  /** Index in spec.mounts, or -1 for a mount runc adds itself (cgroup v1 binds, their tmpfs). */
  index: number;
  /** With `idmappedMounts`: the plan's detached tree holding the idmapped clone of the source. */
  idmappedTree?: number;
  source: string;
  destination: string;
  /** The type, or "bind" for any mount with MS_BIND (specconv). */
  device: string;
}

/** A host path a bind mount reads, and what it is on the host (src/host looks). */
export interface HostPath {
  path: string;
  kind: 'dir' | 'file';
}

export interface RuncProfileOptions {
  /** The bundle directory in the sandbox (default /bundle). */
  bundle?: string;
  /** The bundle directory's image (rootfs and what else is beside config.json). */
  image?: ImageNode;
  /** More trees on the host: a rootfs outside the bundle (absolute root.path). */
  images?: { at: string; image: ImageNode }[];
  /** Absolute bind sources outside the bundle that exist on the host. */
  hostPaths?: HostPath[];
  /** The host (default: ASSUMED_HOST). */
  host?: HostFacts;
  /** Container id (the cgroup path's last part when the spec has none). */
  id?: string;
  /** The emulated machine (RAM for tmpfs size=N%). */
  emulated?: EmulatedOptions;
  /**
   * Make idmapped bind mounts as runc 1.2 does (libcontainer/mount_linux.go mountFd()) for the
   * spec mounts with uidMappings/gidMappings or `idmap`/`ridmap`, which runc 1.1 ignores; the
   * rest of the run stays runc 1.1's.
   */
  idmappedMounts?: boolean;
}

/** Why runc stops: which mount (or phase), the errno, and runc's message. */
export interface RuncFailure {
  /** spec.mounts index, when a spec mount failed. */
  mount?: number;
  destination?: string;
  /** The plan op that failed, when one did. */
  op?: number;
  errno?: Errno;
  message: string;
}

export interface RuncPrediction {
  plan: Plan;
  /** The rootfs in the sandbox (the container's "/" once pivoted). */
  rootfs: string;
  /** What runc was doing at each op: `host`, `prepareRoot`, `mounts[3] /dev/pts`, `maskPath /proc/kcore`. */
  steps: string[];
  /** Index of the first op runc itself makes (the ops before set up the host). */
  firstRuncOp: number;
  outcome: Outcome;
  /**
   * The container's /proc/self/mountinfo as its process reads it: the outcome's table once runc
   * has pivoted; without a mount namespace (runc chroots, and the plan stops before that), the
   * mounts at and under the rootfs with mount points relative to it, as a chrooted reader sees.
   */
  view: string[];
  failure: RuncFailure | null;
  warnings: string[];
  /** The host mounts the host part made again (`mountsBehind` the rootfs and the bind sources). */
  hostMounts: HostMount[];
}

/** runc's error for a failure inside a step. */
class RuncError extends Error {
  constructor(
    message: string,
    readonly errno?: Errno,
  ) {
    super(message);
  }
}

/** Go's text for an errno (strerror, lower case), as runc's messages carry it. */
function errText(code: Errno): string {
  return new SysError(code).message.replace(/^[A-Z0-9]+: /, '');
}

const DEFAULT_DEVICES = [
  { path: '/dev/null', major: 1, minor: 3 },
  { path: '/dev/random', major: 1, minor: 8 },
  { path: '/dev/full', major: 1, minor: 7 },
  { path: '/dev/tty', major: 5, minor: 0 },
  { path: '/dev/zero', major: 1, minor: 5 },
  { path: '/dev/urandom', major: 1, minor: 9 },
];

/** A device node runc makes in the container (configs.Device as specconv fills it). */
interface ContainerDevice {
  path: string;
  major: number;
  minor: number;
  type: 'char' | 'block' | 'fifo';
  fileMode: number;
  uid: number;
  gid: number;
}

/** The container's device nodes: runc's defaults (AllowedDevices) not named by the spec, then the spec's. */
function containerDevices(spec: OciSpec): ContainerDevice[] {
  const specDevs = spec.linux?.devices ?? [];
  return [
    ...DEFAULT_DEVICES.filter((d) => !specDevs.some((s) => s.path === d.path)).map((d) => ({ ...d, type: 'char' as const, fileMode: 0o666, uid: 0, gid: 0 })),
    ...specDevs.map((d) => ({
      path: d.path,
      major: d.major ?? 0,
      minor: d.minor ?? 0,
      type: d.type === 'b' ? ('block' as const) : d.type === 'p' ? ('fifo' as const) : ('char' as const),
      fileMode: (d.fileMode ?? 0o666) & 0o7777,
      uid: d.uid ?? 0,
      gid: d.gid ?? 0,
    })),
  ];
}

/** An OCI id mapping as a uid_map line: [inside, outside, count]. */
const extent = (m: IdMapping): IdMapExtent => [m.containerID, m.hostID, m.size];

/**
 * nsexec.c's user namespace (stage-1): unshare(CLONE_NEWUSER) before the other namespaces, and
 * runc's parent, root in the host's namespace, writes the child's uid_map and gid_map
 * (update_uidmap/update_gidmap; setgroups is left "allow", as for any container runc runs as
 * root). The mount namespace unshared next is then owned by the new user namespace, so every
 * mount it copies is locked (MNT_LOCK_*).
 */
function enterUserNamespace(run: RuncRun, spec: OciSpec): void {
  run.step = 'clone(CLONE_NEWUSER)';
  const uidMap = (spec.linux?.uidMappings ?? []).map(extent);
  const gidMap = (spec.linux?.gidMappings ?? []).map(extent);
  const r = run.exec({ op: 'unshare', flags: ['user'], ...(uidMap.length ? { uidMap } : {}), ...(gidMap.length ? { gidMap } : {}) });
  run.nextUserns++;
  if (!r.ok) {
    const code = (r as { errno?: Errno }).errno ?? 'EIO';
    throw new RuncError(`unable to start container process: error during container init: nsexec: failed to set up the user namespace: ${errText(code)}`, code);
  }
  run.mountSourceFds = (spec.linux?.namespaces ?? []).some((n) => n.type === 'mount');
}

/**
 * Root in the new user namespace: stage-1's setresuid(0, 0, 0), stage-2's setuid(0), setgid(0)
 * and setgroups(0, NULL) (nsexec.c). Root of the namespace keeps the full capability set the
 * unshare gave it, so the credentials here are uid 0, gid 0, no groups, every capability; what
 * the mounts then create and show (a tmpfs's uid=/gid=, devpts's gid=) is in the namespace's ids.
 */
function becomeRoot(run: RuncRun): void {
  run.step = 'setresuid(0)';
  run.must({ op: 'setcred', uid: 0, gid: 0, groups: [], caps: [...CAP_NAMES] }, (e) => `unable to start container process: error during container init: nsexec: failed to become root in user namespace: ${errText(e)}`);
}

/** checkProcMount's list of /proc entries lxcfs may cover (runc 1.1). */
const VALID_PROC_MOUNTS = ['/proc/cpuinfo', '/proc/diskstats', '/proc/meminfo', '/proc/stat', '/proc/swaps', '/proc/uptime', '/proc/loadavg', '/proc/slabinfo', '/proc/net/dev', '/proc/sys/kernel/ns_last_pid'];

const DEFAULT_MOUNT_FLAGS = MS.NOEXEC | MS.NOSUID | MS.NODEV;

/** specconv's createLibcontainerMount(). */
export function runcMount(m: SpecMount, index: number, bundle: string): RuncMount {
  const o = parseMountOptions(m.options ?? [], 'runc', '1.1');
  let source = m.source ?? '';
  let device = m.type ?? '';
  if (o.flags & MS.BIND) {
    // The type of a bind mount is meaningless; rootfs_linux.go goes by "bind".
    device = 'bind';
    if (!source.startsWith('/')) source = join(bundle, source);
  }
  return { ...o, index, source, destination: m.destination, device };
}

class RuncRun {
  readonly session: EmulatedSession;
  readonly ops: PlanOp[] = [];
  readonly steps: string[] = [];
  readonly warnings: string[] = [];
  step = 'host';
  /**
   * runc passes bind sources as descriptors opened in the host's namespaces when the container
   * has both a user and a mount namespace (container_linux.go shouldSendMountSources()): its
   * messages then name /proc/self/fd/N instead of the source path.
   */
  mountSourceFds = false;
  /** The plan's next user-namespace and detached-tree numbers (docs/plan-format.md: by op, in order). */
  nextUserns = 1;
  nextTree = 0;
  private lastFailedOp: number | undefined;

  constructor(
    readonly spec: OciSpec,
    readonly bundle: string,
    readonly rootfs: string,
    readonly host: HostFacts,
    emulated: EmulatedOptions,
  ) {
    // runc on the bare kernel: the sandbox policy of plan runs (src/plan/policy.ts) is not runc's.
    this.session = new EmulatedSession({ policy: false, ...emulated, fsTypes: [...hostFsTypes(host), ...(emulated.fsTypes ?? [])] });
  }

  get p() {
    return this.session.process;
  }

  /** Records and runs an op; returns its result. */
  exec(op: PlanOp): OpResult {
    this.ops.push(op);
    this.steps.push(this.step);
    const r = this.session.apply(op);
    if (!r.ok) this.lastFailedOp = this.ops.length - 1;
    return r;
  }

  /** Runs an op that must succeed; runc's error otherwise, worded by `say`. */
  must(op: PlanOp, say: (e: Errno) => string): void {
    const r = this.exec(op);
    if (!r.ok) {
      const code = 'errno' in r ? (r.errno as Errno) : undefined;
      throw new RuncError(say(code ?? 'EIO'), code);
    }
  }

  failedOp(): number | undefined {
    return this.lastFailedOp;
  }

  // What runc asks of the filesystem (not ops: they change nothing).

  stat(path: string, follow = true): { mode: number } | Errno {
    try {
      return follow ? this.p.stat(path) : this.p.lstat(path);
    } catch (e) {
      if (e instanceof SysError) return e.code;
      throw e;
    }
  }

  readonly links: LinkReader = {
    kind: (path) => {
      const st = this.stat(path, false);
      if (st === 'ENOENT') return 'missing';
      if (typeof st === 'string') throw new SysError(st, 'lstat', path);
      return isLnk(st.mode) ? 'symlink' : 'other';
    },
    readlink: (path) => this.p.readlink(path),
  };

  secureJoin(root: string, unsafe: string): string {
    try {
      return secureJoin(root, unsafe, this.links);
    } catch (e) {
      if (e instanceof SysError) throw new RuncError(`securejoin ${unsafe}: ${errText(e.code)}`, e.code);
      throw e;
    }
  }

  /** os.MkdirAll(path, 0755). */
  mkdirAll(path: string): void {
    const st = this.stat(path);
    if (typeof st !== 'string') {
      if (isDir(st.mode)) return;
      throw new RuncError(`mkdir ${path}: ${errText('ENOTDIR')}`, 'ENOTDIR');
    }
    const parent = dir(path);
    if (parent !== path && parent !== '/') this.mkdirAll(parent);
    const r = this.exec({ op: 'mkdir', path, mode: 0o755 });
    if (!r.ok) {
      const again = this.stat(path, false);
      if (typeof again !== 'string' && isDir(again.mode)) return;
      const code = 'errno' in r ? (r.errno as Errno) : 'EIO';
      throw new RuncError(`mkdir ${path}: ${errText(code)}`, code);
    }
  }

  /**
   * mount(2) as runc's mount() wraps it: its error names source, target (the container path and
   * the /proc/self/fd it went through, for mounts runc makes on a resolved destination), flags
   * and data.
   */
  mount(source: string, target: string, fstype: string, bits: number, data: string | undefined, shownTarget?: string, shownSource = source): OpResult {
    const { flags, dropped } = planFlags(bits);
    for (const d of dropped) this.warnings.push(`${this.step}: mount flag ${d} has no name in plan format v1 and was left out`);
    const op: PlanOp = { op: 'mount', source, target, fstype, flags: flags as MountFlagName[] };
    if (data !== undefined) op.data = data;
    const r = this.exec(op);
    if (!r.ok) {
      const code = 'errno' in r ? (r.errno as Errno) : 'EIO';
      let msg = shownTarget === undefined ? `mount ${shownSource}:${target}` : `mount ${shownSource}:${shownTarget} (via /proc/self/fd/N)`;
      if (bits) msg += `, flags: 0x${bits.toString(16)}`;
      if (data) msg += `, data: ${data}`;
      throw new RuncError(`${msg}: ${errText(code)}`, code);
    }
    return r;
  }
}

/**
 * Before the pivot, the container's mounts are the ones at or under the rootfs: their lines with
 * mount points made relative to it, as the container will see them.
 */
export function containerView(mountinfo: readonly string[], rootfs: string): string[] {
  const out: string[] = [];
  for (const l of mountinfo) {
    const f = l.split(' ');
    const mp = f[4]!;
    if (mp !== rootfs && !mp.startsWith(`${rootfs}/`)) continue;
    f[4] = mp === rootfs ? '/' : mp.slice(rootfs.length);
    out.push(f.join(' '));
  }
  return out;
}

/** The bind sources a spec names outside its bundle (absolute), for src/host to look at. */
export function absoluteBindSources(spec: OciSpec): string[] {
  const out: string[] = [];
  for (const m of spec.mounts ?? []) {
    const o = parseMountOptions(m.options ?? [], 'runc', '1.1');
    if (o.flags & MS.BIND && (m.source ?? '').startsWith('/')) out.push(clean(m.source!));
  }
  return out;
}

/**
 * Predicts what runc does with a spec: the plan, its outcome on the emulator, the first failure.
 *
 * @example
 * ```ts
 * const p = predictRunc(spec, { image });
 * p.failure?.message; // 'error mounting "tmpfs" to rootfs at "/tmp": mount tmpfs:/bundle/rootfs/tmp, data: defaults: invalid argument'
 * p.outcome.mountinfo; // the container's mount table as far as the run got
 * ```
 */
export function predictRunc(spec: OciSpec, opts: RuncProfileOptions = {}): RuncPrediction {
  const bundle = clean(opts.bundle ?? '/bundle');
  const rootPath = spec.root?.path ?? 'rootfs';
  const rootfs = rootPath.startsWith('/') ? clean(rootPath) : join(bundle, rootPath);
  const host = opts.host ?? ASSUMED_HOST;
  const run = new RuncRun(spec, bundle, rootfs, host, opts.emulated ?? {});
  let failure: RuncFailure | null = null;
  let firstRuncOp = 0;
  const mounts = (spec.mounts ?? []).map((m, i) => runcMount(m, i, bundle));
  const nsTypes = new Set((spec.linux?.namespaces ?? []).map((n) => n.type));
  const id = opts.id ?? 'vfsemu';
  const userns = nsTypes.has('user');
  // In a user namespace runc binds the host's device nodes (createDevices): the host mounts they
  // live on are part of what the container sees.
  const deviceSources = userns ? containerDevices(spec).filter((d) => clean(d.path) !== '/dev/ptmx').map((d) => d.path) : [];
  const hostMounts = mountsBehind(host.mounts, [rootfs, ...mounts.filter((m) => m.device === 'bind').map((m) => m.source), ...deviceSources]);
  try {
    setUpHost(run, opts, mounts, id, hostMounts, deviceSources);
    firstRuncOp = run.ops.length;
    if (!spec.root) throw new RuncError('root must be specified');
    validateRootfs(run);
    if (opts.idmappedMounts) idmappedMountSources(run, spec, mounts);
    if (!nsTypes.has('mount') && (spec.linux?.maskedPaths?.length ?? 0) + (spec.linux?.readonlyPaths?.length ?? 0) > 0) throw new RuncError('unable to restrict sys entries without a private MNT namespace');
    if (!nsTypes.has('mount')) run.warnings.push('no mount namespace: runc would mount into the host namespace and chroot; the plan stops before the chroot');
    // runc's init is cloned into its new namespaces at once (nsexec); the mount namespace and the
    // network one (whose sysfs superblock /sys shows) are the ones that change what it mounts.
    if (userns) enterUserNamespace(run, spec);
    // The IPC namespace decides mqueue's superblock and its owner, the PID namespace proc's (with
    // `pid` the plan goes on in the forked init, pid 1 of the new namespace, as runc's stage-2).
    const unshare: UnshareFlagName[] = [
      ...(nsTypes.has('mount') ? ['mnt' as const] : []),
      ...(newNetns(spec) ? ['net' as const] : []),
      ...(newNamespace(spec, 'ipc') ? ['ipc' as const] : []),
      ...(newNamespace(spec, 'pid') ? ['pid' as const] : []),
    ];
    if (unshare.length) {
      run.step = `clone(${unshare.map((n) => CLONE_NAMES[n]).join('|')})`;
      run.exec(unshare.length === 1 && unshare[0] === 'mnt' ? { op: 'unshare' } : { op: 'unshare', flags: unshare });
    }
    if (userns) becomeRoot(run);
    noteUnmodelled(run, spec, nsTypes, opts.idmappedMounts);
    if (mounts.some((m) => m.idmappedTree !== undefined)) run.warnings.push('idmapped bind mounts are made as runc 1.2 makes them (mountFd(): open_tree, MOUNT_ATTR_IDMAP, move_mount); everything else is runc 1.1\'s, the oracle, and no runc 1.2 was run to check this part');
    prepareRoot(run);
    for (const m of mounts) {
      run.step = `mounts[${m.index}] ${m.destination}`;
      try {
        mountToRootfs(run, m, nsTypes.has('cgroup'), spec, id);
      } catch (e) {
        if (e instanceof RuncError) {
          failure = { mount: m.index, destination: m.destination, errno: e.errno, op: run.failedOp(), message: `error mounting "${m.source}" to rootfs at "${m.destination}": ${e.message}` };
        }
        throw e;
      }
    }
    const setupDev = !mounts.some((m) => m.device === 'bind' && clean(m.destination) === '/dev');
    if (setupDev) createDev(run, spec, host, userns);
    if (spec.process?.terminal && !nsTypes.has('mount')) run.warnings.push('process.terminal: without a mount namespace runc binds the console over the host\'s /dev/console; the plan stops before that');
    if (!nsTypes.has('mount')) return finish();
    run.step = 'pivotRoot';
    const r = run.exec({ op: 'pivot_root', new_root: rootfs, put_old: rootfs });
    if (!r.ok) throw new RuncError(`error jailing process inside rootfs: pivot_root .: ${errText((r as { errno: Errno }).errno)}`, (r as { errno: Errno }).errno);
    // The old root sits on top of the new one at "/": "/.." reaches it, as "." did for runc.
    run.must({ op: 'mount', source: '', target: '/..', fstype: '', flags: ['slave', 'rec'] }, (e) => `error jailing process inside rootfs: mount .: ${errText(e)}`);
    run.must({ op: 'umount', target: '/..', flags: ['detach'] }, (e) => `error jailing process inside rootfs: unmount .: ${errText(e)}`);
    const cwd = spec.process?.cwd;
    if (cwd) {
      run.step = 'cwd';
      run.mkdirAll(clean(cwd));
    }
    // After the mounts and before they are made read-only (standard_init_linux.go).
    if (spec.process?.terminal) setupConsole(run);
    finalizeRootfs(run, mounts, spec);
    for (const path of spec.linux?.readonlyPaths ?? []) {
      run.step = `readonlyPath ${path}`;
      try {
        readonlyPath(run, path);
      } catch (e) {
        if (e instanceof RuncError) throw new RuncError(`can't make "${path}" read-only: ${e.message}`, e.errno);
        throw e;
      }
    }
    for (const path of spec.linux?.maskedPaths ?? []) {
      run.step = `maskPath ${path}`;
      try {
        maskPath(run, path);
      } catch (e) {
        if (e instanceof RuncError) throw new RuncError(`can't mask path ${path}: ${e.message}`, e.errno);
        throw e;
      }
    }
  } catch (e) {
    if (!(e instanceof RuncError)) throw e;
    failure ??= { op: run.failedOp(), errno: e.errno, message: e.message };
  }
  return finish();

  function finish(): RuncPrediction {
    const outcome = run.session.outcome();
    // A failure before runc's first op (the spec or the rootfs refused) leaves no container to look at.
    const started = run.ops.length > firstRuncOp || failure === null;
    const view = !started ? [] : nsTypes.has('mount') ? outcome.mountinfo : containerView(outcome.mountinfo, rootfs);
    return { plan: { version: 1, ops: run.ops }, rootfs, steps: run.steps, firstRuncOp, outcome, view, failure, warnings: run.warnings, hostMounts };
  }
}

/**
 * runc's checks of the rootfs before it starts anything (libcontainer/configs/validate's
 * rootfs(), then the exec of runc init with the rootfs as its working directory):
 * - os.Stat fails: `invalid rootfs: stat PATH: no such file or directory`;
 * - filepath.EvalSymlinks does not give the path back, i.e. a component is a symlink:
 *   `invalid rootfs: not an absolute path, or a symlink`;
 * - not a directory: the fork/exec of init fails in its chdir (ENOTDIR).
 */
function validateRootfs(run: RuncRun): void {
  run.step = 'validate';
  const st = run.stat(run.rootfs);
  if (typeof st === 'string') throw new RuncError(`invalid rootfs: stat ${run.rootfs}: ${errText(st)}`, st);
  let cur = '';
  for (const part of run.rootfs.split('/').filter(Boolean)) {
    cur += `/${part}`;
    const l = run.stat(cur, false);
    if (typeof l !== 'string' && isLnk(l.mode)) throw new RuncError('invalid rootfs: not an absolute path, or a symlink');
  }
  if (!isDir(st.mode)) throw new RuncError('unable to start container process: unable to start init: fork/exec /proc/self/exe: not a directory', 'ENOTDIR');
}

/**
 * The host before runc starts: the host mounts behind the rootfs and the bind sources, the
 * bundle, the bind sources, the cgroup hierarchies.
 */
function setUpHost(run: RuncRun, opts: RuncProfileOptions, mounts: RuncMount[], id: string, hostMounts: HostMount[], deviceSources: readonly string[]): void {
  run.step = 'host';
  const exists = (path: string): boolean => typeof run.stat(path) !== 'string';
  const ensureDir = (path: string): void => {
    let cur = '';
    for (const part of path.split('/').filter(Boolean)) {
      cur += `/${part}`;
      if (!exists(cur)) run.exec({ op: 'mkdir', path: cur, mode: 0o755 });
    }
  };
  const files = new Set((opts.hostPaths ?? []).filter((h) => h.kind === 'file').map((h) => h.path));
  const maker = new HostMountMaker({ exec: (op) => run.exec(op), exists, ensureDir }, files);
  maker.make(hostMounts);
  // A directory of the tree that is a host mount's mount point exists already (the mount's
  // root): it takes the mode the host shows for it, which is the image's.
  const tree = (ops: PlanOp[]): void => {
    for (const op of ops) {
      const st = op.op === 'mkdir' ? run.stat(op.path) : 'ENOENT';
      if (typeof st === 'string') run.exec(op);
      else if (op.op === 'mkdir' && (st.mode & 0o7777) !== (op.mode ?? 0o755)) run.exec({ op: 'chmod', path: op.path, mode: op.mode ?? 0o755 });
    }
  };
  ensureDir(dir(run.bundle));
  if (opts.image) tree(imageOps(opts.image, run.bundle));
  else ensureDir(run.bundle);
  for (const extra of opts.images ?? []) {
    ensureDir(dir(extra.at));
    tree(imageOps(extra.image, extra.at));
  }
  // Without an image the caller described no bundle contents: the rootfs is assumed to be there.
  // With one, the rootfs is what the image holds, and a missing one is runc's error (validateRootfs).
  if (!opts.image && typeof run.stat(run.rootfs) === 'string') ensureDir(run.rootfs);
  for (const h of opts.hostPaths ?? []) {
    if (typeof run.stat(h.path) !== 'string') continue;
    if (h.kind === 'dir') ensureDir(h.path);
    else {
      ensureDir(dir(h.path));
      run.exec({ op: 'write', path: h.path, data: '', mode: 0o644 });
    }
  }
  if (deviceSources.length) hostDevices(run, ensureDir, exists, deviceSources);
  // runc's cgroup v1 mount binds the host's hierarchies at the container's cgroup, which runc
  // has made (and moved its init into) before the rootfs is set up.
  const host = run.host;
  if (!host.cgroupUnified && mounts.some((m) => m.device === 'cgroup')) {
    for (const h of host.cgroupV1) {
      ensureDir(h.mountpoint);
      run.exec({ op: 'mount', source: 'cgroup', target: h.mountpoint, fstype: 'cgroup', flags: [], data: v1MountData(h.options) });
      ensureDir(join(h.mountpoint, rel(h.root, containerCgroup(host, h, run.spec.linux?.cgroupsPath, id))));
    }
  }
  maker.finish();
}

/**
 * What a container in a user namespace needs of the host besides its bind sources: the device
 * nodes runc binds (on the host mount they live on, made by the caller), and the host's proc and
 * sysfs. The kernel lets a user namespace mount proc or sysfs only where one is already fully
 * visible in its mount namespace (fs/namespace.c mount_too_revealing()), and every host has them
 * at /proc and /sys: they are mounted with the host's per-mount flags, or systemd's
 * (nosuid,nodev,noexec,relatime) where the host's table is not known.
 */
function hostDevices(run: RuncRun, ensureDir: (path: string) => void, exists: (path: string) => boolean, sources: readonly string[]): void {
  const host = run.host;
  const cgroup = host.cgroupUnified ? 'cgroup2' : 'tmpfs';
  for (const [type, at] of [['proc', '/proc'], ['sysfs', '/sys'], [cgroup, '/sys/fs/cgroup']] as const) {
    const line = host.mounts.filter((m) => m.mountpoint === at && m.fstype === type).at(-1);
    if (line === undefined && host.mounts.some((m) => m.mountpoint === at)) continue;
    ensureDir(at);
    const flags = line ? mountFlagsOf(line.options) : (['nosuid', 'nodev', 'noexec', 'relatime'] as MountFlagName[]);
    // The host's cgroup v1 hierarchies sit on a tmpfs over sysfs's (permanently empty)
    // /sys/fs/cgroup; the unified one is a cgroup2 mount there.
    const data = type === 'tmpfs' ? (line?.superOptions.split(',').filter((w) => w !== 'rw' && w !== 'ro').join(',') ?? 'mode=755') : undefined;
    run.exec({ op: 'mount', source: line?.source ?? type, target: at, fstype: type, flags, ...(data !== undefined ? { data } : {}) });
  }
  for (const path of sources) {
    if (exists(path)) continue;
    const d = DEFAULT_DEVICES.find((x) => x.path === clean(path));
    const spec = (run.spec.linux?.devices ?? []).find((x) => x.path === path);
    ensureDir(dir(path));
    const type = spec?.type === 'b' ? 'block' : spec?.type === 'p' ? 'fifo' : 'char';
    run.exec({ op: 'mknod', path, type, mode: 0o666, major: spec?.major ?? d?.major ?? 0, minor: spec?.minor ?? d?.minor ?? 0 });
  }
}

/** The data that mounts a host hierarchy again: its options, with `none` where only a name is. */
function v1MountData(options: string): string {
  const words = options.split(',').filter((w) => w !== 'rw' && w !== 'ro');
  return words.every((w) => w.startsWith('name=') || w === 'xattr' || w === 'clone_children' || w.startsWith('release_agent=')) ? ['none', ...words].join(',') : words.join(',');
}

/** unshare(2)'s flag of each plan namespace name, for the step's name. */
const CLONE_NAMES: Record<UnshareFlagName, string> = { mnt: 'CLONE_NEWNS', net: 'CLONE_NEWNET', user: 'CLONE_NEWUSER', ipc: 'CLONE_NEWIPC', pid: 'CLONE_NEWPID' };

/**
 * Whether runc's init gets a namespace of this type of its own, made by its clone: listed in
 * linux.namespaces without a path (a path is joined, setns(2): nothing new is made; a joined
 * namespace's owner is not known here, so it is predicted as the host's).
 */
function newNamespace(spec: OciSpec, type: 'ipc' | 'pid'): boolean {
  return (spec.linux?.namespaces ?? []).some((n) => n.type === type && !n.path);
}

/** Whether runc's init runs in a network namespace of its own (one it makes, or one it joins). */
function newNetns(spec: OciSpec): boolean {
  return (spec.linux?.namespaces ?? []).some((n) => n.type === 'network');
}

function noteUnmodelled(run: RuncRun, spec: OciSpec, ns: Set<string>, idmappedMounts = false): void {
  const types = new Set((spec.mounts ?? []).map((m) => m.type));
  const joined = (spec.linux?.namespaces ?? []).find((n) => n.type === 'network' && n.path);
  if (joined && types.has('sysfs')) run.warnings.push(`linux.namespaces: the network namespace ${joined.path} is joined, not made; predicted as a new one, whose sysfs superblock the first /sys mount makes (if something in that namespace already has sysfs mounted, /sys shares its superblock and its ro/rw)`);
  if (ns.has('cgroup')) run.warnings.push('cgroup namespace: mountinfo root fields of cgroup mounts are relative to it in the container; not modelled');
  if (!ns.has('user') && (spec.linux?.uidMappings?.length || spec.linux?.gidMappings?.length)) run.warnings.push('linux.uidMappings/gidMappings: without a user namespace in linux.namespaces runc ignores them');
  for (const [i, m] of (spec.mounts ?? []).entries()) {
    const o = parseMountOptions(m.options ?? [], 'runc', '1.1');
    if (idmappedMounts) continue;
    if (m.uidMappings?.length || m.gidMappings?.length || o.idmap) {
      run.warnings.push(`mounts[${i}] ${m.destination}: runc 1.1 ignores ${[...(m.uidMappings?.length || m.gidMappings?.length ? ['uidMappings/gidMappings'] : []), ...(o.idmap ? [o.idmap.recursive ? 'ridmap' : 'idmap'] : [])].join(' and ')}: the mount is not idmapped (runc 1.2 makes it an idmapped mount: open_tree, mount_setattr(MOUNT_ATTR_IDMAP), move_mount; docs/plan-format.md)`);
    }
  }
  if ((spec as { hooks?: unknown }).hooks) run.warnings.push('hooks: not run (they may change the mounts)');
}

/** prepareRoot(). */
function prepareRoot(run: RuncRun): void {
  run.step = 'prepareRoot';
  const rp = run.spec.linux?.rootfsPropagation;
  const prop = rp ? { type: rp.replace(/^r/, '') as 'private', recursive: rp.startsWith('r') } : { type: 'slave' as const, recursive: true };
  const flags = planFlags(propagationBits(prop)).flags;
  run.must({ op: 'mount', source: '', target: '/', fstype: '', flags }, (e) => `mount :/, flags: 0x${propagationBits(prop).toString(16)}: ${errText(e)}`);
  // rootfsParentMountPrivate(): the mount with the longest mount point above the rootfs.
  const parent = parentMount(run, run.rootfs);
  if (parent && /(^| )shared:/.test(parent.optional)) {
    run.must({ op: 'mount', source: '', target: parent.mountpoint, fstype: '', flags: ['private'] }, (e) => `mount :${parent.mountpoint}, flags: 0x40000: ${errText(e)}`);
  }
  run.mount(run.rootfs, run.rootfs, 'bind', MS.BIND | MS.REC, '');
}

function parentMount(run: RuncRun, path: string): { mountpoint: string; optional: string } | null {
  let best: { mountpoint: string; optional: string } | null = null;
  for (const line of run.p.mountinfo().split('\n')) {
    const f = line.split(' ');
    if (f.length < 7) continue;
    const mp = f[4]!.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    const sep = f.indexOf('-');
    const under = mp === '/' || path === mp || path.startsWith(`${mp}/`);
    if (under && (!best || mp.length > best.mountpoint.length)) best = { mountpoint: mp, optional: f.slice(6, sep).join(' ') };
  }
  return best;
}

/** mountToRootfs(). */
function mountToRootfs(run: RuncRun, m: RuncMount, cgroupns: boolean, spec: OciSpec, id: string): void {
  const rootfs = run.rootfs;
  // runc 1.1's mountToRootfs() reaches setRecAttr() from its bind case only: the other types
  // return before it, so their recursive words are parsed and dropped.
  if (m.recursive && m.device !== 'bind') run.warnings.push(`${run.step}: runc 1.1 applies recursive options (rro, rnosuid, …) to bind mounts only; ignored for ${m.device}`);
  // With `idmappedMounts` the idmap words are runc 1.2's, and taken as such.
  const unknown = m.idmappedTree === undefined ? m.unknownToRuntime : m.unknownToRuntime.filter((w) => w !== 'idmap' && w !== 'ridmap');
  if (unknown.length) run.warnings.push(`${run.step}: ${unknown.join(', ')} mean something to newer runtimes; runc 1.1 passes them in the data string`);
  if (m.device === 'proc' || m.device === 'sysfs') {
    let dest = clean(m.destination);
    if (!dest.startsWith(rootfs)) dest = join(rootfs, dest);
    const st = run.stat(dest, false);
    if (typeof st === 'string') {
      if (st !== 'ENOENT') throw new RuncError(`lstat ${dest}: ${errText(st)}`, st);
    } else if (!isDir(st.mode)) throw new RuncError(`filesystem "${m.device}" must be mounted on ordinary directory`);
    run.mkdirAll(dest);
    mountPropagate(run, m);
    return;
  }
  const dest = run.secureJoin(rootfs, m.destination);
  switch (m.device) {
    case 'mqueue':
      run.mkdirAll(dest);
      mountPropagate(run, m);
      return;
    case 'tmpfs': {
      const st = run.stat(dest);
      if (typeof st === 'string') run.mkdirAll(dest);
      if (m.tmpcopyup) tmpcopyup(run, m, dest);
      else mountPropagate(run, m);
      // runc 1.1: the new tmpfs's root takes the mode of the directory it covers.
      if (typeof st !== 'string') run.must({ op: 'chmod', path: dest, mode: st.mode & 0o7777 }, (e) => `chmod ${dest}: ${errText(e)}`);
      return;
    }
    case 'bind': {
      const st = run.stat(m.source);
      if (typeof st === 'string') throw new RuncError(`stat ${shownSource(run, m)}: ${errText(st)}`, st);
      checkProcMount(run, dest, m.source);
      createIfNotExists(run, dest, isDir(st.mode));
      if (m.idmappedTree !== undefined) moveIdmappedTree(run, m);
      else mountPropagate(run, m);
      if (m.flags & ~(MS.BIND | MS.REC | MS.REMOUNT)) remount(run, m, dest);
      if (m.recursive) setRecAttr(run, m);
      return;
    }
    case 'cgroup':
      if (run.host.cgroupUnified) mountCgroupV2(run, m, dest, cgroupns, spec, id);
      else mountCgroupV1(run, m, cgroupns, spec, id);
      return;
    default:
      checkProcMount(run, dest, m.source);
      run.mkdirAll(dest);
      mountPropagate(run, m);
  }
}

/** mountPropagate(): the mount on the resolved destination, then each propagation change. */
function mountPropagate(run: RuncRun, m: RuncMount): void {
  let flags = m.flags;
  // tmpfs and /dev are mounted read-write and made read-only in finalizeRootfs.
  if (m.device === 'tmpfs' || clean(m.destination) === '/dev') flags &= ~MS.RDONLY;
  const target = run.secureJoin(run.rootfs, m.destination);
  run.mount(m.source, target, m.device, flags, m.data, m.destination, shownSource(run, m));
  for (const p of m.propagation) {
    const bits = propagationBits(p);
    run.must({ op: 'mount', source: '', target, fstype: '', flags: planFlags(bits).flags }, (e) => `change mount propagation through procfd: mount :${m.destination}, flags: 0x${bits.toString(16)}: ${errText(e)}`);
  }
}

/**
 * setRecAttr(): mount_setattr(-1, procfd, AT_RECURSIVE, &attr) on the destination, with the
 * recursive words' attr_set and attr_clr (specconv's parseMountOptions(): an atime word sets
 * MOUNT_ATTR__ATIME in attr_clr too); its error is the errno alone.
 */
function setRecAttr(run: RuncRun, m: RuncMount): void {
  const { set, clear } = m.recursive!;
  const names = (bits: number): MountAttrName[] => {
    const out: MountAttrName[] = [];
    if ((bits & MOUNT_ATTR_BITS.atime) === MOUNT_ATTR_BITS.atime) out.push('atime');
    for (const n of ['rdonly', 'nosuid', 'nodev', 'noexec', 'noatime', 'strictatime', 'nodiratime', 'nosymfollow'] as const) {
      if (n === 'noatime' || n === 'strictatime' ? (bits & MOUNT_ATTR_BITS.atime) === MOUNT_ATTR_BITS[n] : bits & MOUNT_ATTR_BITS[n]) out.push(n);
    }
    return out;
  };
  const attrSet = names(set).filter((n) => n !== 'atime');
  const attrClr = names(clear);
  const target = run.secureJoin(run.rootfs, m.destination);
  run.must({ op: 'mount_setattr', path: target, flags: ['recursive'], ...(attrSet.length ? { attrSet } : {}), ...(attrClr.length ? { attrClr } : {}) }, (e) => errText(e));
}

/** runc 1.1's remount() of a bind: MS_REMOUNT with the mount's flags, ro added if the source is. */
function remount(run: RuncRun, m: RuncMount, dest: string): void {
  const flags = m.flags | MS.REMOUNT;
  try {
    run.mount(m.source, dest, m.device, flags, '', m.destination, shownSource(run, m));
  } catch (e) {
    if (!(e instanceof RuncError)) throw e;
    let srcRo = false;
    try {
      srcRo = (run.p.statfs(m.source).flags & ST_RDONLY) !== 0;
    } catch {
      throw e;
    }
    if (!srcRo) throw e;
    run.mount(m.source, dest, m.device, flags | MS.RDONLY, '', m.destination, shownSource(run, m));
  }
}

/**
 * runc 1.2's mountFd() for each idmapped bind (goCreateMountSources(), in runc's parent, root of
 * the host's user namespace, before the container's init mounts anything): a user namespace with
 * the mount's mappings (the container's when the mount names none: `idmap` alone), then
 * open_tree(OPEN_TREE_CLONE, AT_RECURSIVE with rbind) of the source and
 * mount_setattr(MOUNT_ATTR_IDMAP, AT_RECURSIVE with `ridmap`) on that detached tree. runc 1.2's
 * checkIDMapMounts() first: only bind mounts, both mappings.
 */
function idmappedMountSources(run: RuncRun, spec: OciSpec, mounts: RuncMount[]): void {
  for (const m of mounts) {
    const sm = spec.mounts?.[m.index];
    if (!sm || !(sm.uidMappings?.length || sm.gidMappings?.length || m.idmap)) continue;
    run.step = `mountFd mounts[${m.index}] ${m.destination}`;
    const uid = sm.uidMappings?.length ? sm.uidMappings : (spec.linux?.uidMappings ?? []);
    const gid = sm.gidMappings?.length ? sm.gidMappings : (spec.linux?.gidMappings ?? []);
    const invalid = (why: string): RuncError => new RuncError(`invalid mount ${JSON.stringify(sm)}: ${why}`);
    if (m.device !== 'bind') throw invalid('id-mapped mounts are only supported for bind-mounts');
    if (!uid.length || !gid.length) throw invalid('id-mapped mounts must have both uid and gid mappings specified');
    run.exec({ op: 'userns', uidMap: uid.map(extent), gidMap: gid.map(extent) });
    const userns = run.nextUserns++;
    const tree = run.nextTree++;
    run.must({ op: 'open_tree', path: m.source, flags: m.flags & MS.REC ? ['clone', 'recursive'] : ['clone'] }, (e) => `open_tree(OPEN_TREE_CLONE) ${m.source}: ${errText(e)}`);
    run.must({ op: 'mount_setattr', tree, ...(m.idmap?.recursive ? { flags: ['recursive' as const] } : {}), attrSet: ['idmap'], userns }, (e) => `failed to set MOUNT_ATTR_IDMAP on ${m.source}: ${errText(e)}${e === 'EINVAL' ? " (maybe the filesystem used doesn't support idmap mounts on this kernel?)" : ''}`);
    m.idmappedTree = tree;
  }
}

/** mountViaFds() of an open_tree source: move_mount(2) of the idmapped tree onto the destination, then the propagation changes. */
function moveIdmappedTree(run: RuncRun, m: RuncMount): void {
  const target = run.secureJoin(run.rootfs, m.destination);
  run.must({ op: 'move_mount', tree: m.idmappedTree!, to: target }, (e) => `move_mount ${m.source}:${m.destination}: ${errText(e)}`);
  for (const p of m.propagation) {
    const bits = propagationBits(p);
    run.must({ op: 'mount', source: '', target, fstype: '', flags: planFlags(bits).flags }, (e) => `change mount propagation through procfd: mount :${m.destination}, flags: 0x${bits.toString(16)}: ${errText(e)}`);
  }
}

/** The source runc's messages name for a spec mount: its path, or the descriptor it came as. */
function shownSource(run: RuncRun, m: RuncMount): string {
  return run.mountSourceFds && m.device === 'bind' && m.index >= 0 ? '/proc/self/fd/N' : m.source;
}

/** checkProcMount(): nothing inside /proc but proc on /proc and the lxcfs files. */
function checkProcMount(run: RuncRun, dest: string, source: string): void {
  const r = rel(join(run.rootfs, '/proc'), dest);
  if (r.startsWith('..')) return;
  if (r === '.') {
    if (source === '') return;
    let isProc = false;
    try {
      isProc = run.p.statfs(source).type === 0x9fa0;
    } catch (e) {
      if (e instanceof SysError) throw new RuncError(`statfs ${source}: ${errText(e.code)}`, e.code);
      throw e;
    }
    if (isProc) return;
    throw new RuncError(`"${dest}" cannot be mounted because it is not of type proc`);
  }
  for (const valid of VALID_PROC_MOUNTS) if (rel(join(run.rootfs, valid), dest) === '.') return;
  throw new RuncError(`"${dest}" cannot be mounted because it is inside /proc`);
}

/** createIfNotExists(): a directory (MkdirAll) or an empty file (mode 0755, as runc opens it). */
function createIfNotExists(run: RuncRun, path: string, directory: boolean): void {
  if (typeof run.stat(path) !== 'string') return;
  if (directory) return run.mkdirAll(path);
  run.mkdirAll(dir(path));
  run.must({ op: 'write', path, data: '', mode: 0o755 }, (e) => `open ${path}: ${errText(e)}`);
}

/** tmpcopyup, modelled as the tmpfs mounted in place and the directory's entries made again in it. */
function tmpcopyup(run: RuncRun, m: RuncMount, dest: string): void {
  run.warnings.push(`${run.step}: tmpcopyup is modelled as the tmpfs mounted in place and the directory's entries recreated (runc mounts it under a host /tmp directory and moves it)`);
  const snapshot = snapshotDir(run, dest);
  mountPropagate(run, m);
  if (snapshot) for (const op of imageOps(snapshot, dest).filter((o) => !(o.op === 'mkdir' && o.path === dest))) run.exec(op);
}

function snapshotDir(run: RuncRun, path: string): ImageNode | null {
  const st = run.stat(path, false);
  if (typeof st === 'string') return null;
  const mode = st.mode & 0o7777;
  const type = st.mode & S_IFMT;
  if (isLnk(st.mode)) return [2, { target: run.p.readlink(path) }];
  if (!isDir(st.mode)) return type === 0o100000 ? [1, { mode }, ''] : null;
  const entries: Record<string, ImageNode> = {};
  const fd = run.p.open(path, 0o200000);
  try {
    for (const e of run.p.getdents(fd)) {
      if (e.name === '.' || e.name === '..') continue;
      const child = snapshotDir(run, join(path, e.name));
      if (child) entries[e.name] = child;
    }
  } finally {
    run.p.close(fd);
  }
  return [0, { mode }, entries];
}

/** mountCgroupV2(): a cgroup2 mount on the destination. */
function mountCgroupV2(run: RuncRun, m: RuncMount, dest: string, cgroupns: boolean, spec: OciSpec, id: string): void {
  run.mkdirAll(dest);
  try {
    run.mount(m.source, dest, 'cgroup2', m.flags, m.data, m.destination);
  } catch (e) {
    // "When we are in UserNS but CgroupNS is not unshared, we cannot mount cgroup2 (#2158), so
    // fall back to bind mount" of the host's unified hierarchy (fs2.UnifiedMountpoint), through
    // mountToRootfs() (so a read-only one is remounted). With a cgroup namespace runc binds the
    // container's own cgroup instead; cgroup namespaces are not modelled (noteUnmodelled).
    if (!(e instanceof RuncError) || (e.errno !== 'EPERM' && e.errno !== 'EBUSY')) throw e;
    const bind: RuncMount = { ...m, index: -1, device: 'bind', source: '/sys/fs/cgroup', flags: MS.BIND | m.flags, data: '' };
    mountToRootfs(run, bind, cgroupns, spec, id);
  }
}

/** mountCgroupV1(): a tmpfs, then one bind of the container's cgroup from each host hierarchy. */
function mountCgroupV1(run: RuncRun, m: RuncMount, cgroupns: boolean, spec: OciSpec, id: string): void {
  const binds: RuncMount[] = run.host.cgroupV1.map((h) => ({
    ...parseMountOptions([]),
    index: -1,
    device: 'bind',
    source: join(h.mountpoint, rel(h.root, containerCgroup(run.host, h, spec.linux?.cgroupsPath, id))),
    destination: join(m.destination, base(h.mountpoint)),
    flags: MS.BIND | MS.REC | m.flags,
    propagation: m.propagation,
  }));
  const tmpfs: RuncMount = { ...parseMountOptions(['mode=755']), index: -1, source: 'tmpfs', device: 'tmpfs', destination: m.destination, flags: DEFAULT_MOUNT_FLAGS, propagation: m.propagation };
  mountToRootfs(run, tmpfs, cgroupns, spec, id);
  for (const b of binds) {
    if (cgroupns) {
      const subsystemPath = join(run.rootfs, b.destination);
      run.mkdirAll(subsystemPath);
      let data = base(subsystemPath);
      let source = 'cgroup';
      if (data === 'systemd') {
        data = 'name=systemd';
        source = 'systemd';
      }
      run.mount(source, run.secureJoin(run.rootfs, b.destination), 'cgroup', DEFAULT_MOUNT_FLAGS | (m.flags & MS.RDONLY), data, b.destination);
    } else mountToRootfs(run, b, cgroupns, spec, id);
  }
  for (const merged of binds.map((b) => base(b.destination)).filter((s) => s.includes(','))) {
    for (const ss of merged.split(',')) {
      const r = run.exec({ op: 'symlink', target: merged, path: join(run.rootfs, m.destination, ss) });
      if (!r.ok && 'errno' in r && r.errno !== 'EEXIST') throw new RuncError(`symlink ${merged} ${join(run.rootfs, m.destination, ss)}: ${errText(r.errno as Errno)}`, r.errno as Errno);
    }
  }
}

/** createDevices(), setupPtmx(), setupDevSymlinks(). */
function createDev(run: RuncRun, spec: OciSpec, host: HostFacts, userns: boolean): void {
  run.step = 'createDevices';
  for (const d of containerDevices(spec)) {
    if (clean(d.path) === '/dev/ptmx') continue;
    const dest = run.secureJoin(run.rootfs, d.path);
    run.mkdirAll(dir(dest));
    // "containers running in a user namespace are not allowed to mknod devices": the host's node
    // is bound over an empty file (bindMountDeviceNode(): os.Create under umask 0, then MS_BIND).
    if (userns) {
      const f = run.exec({ op: 'write', path: dest, data: '', mode: 0o666 });
      if (!f.ok && (f as { errno: Errno }).errno !== 'EEXIST') throw new RuncError(`error creating device nodes: open ${dest}: ${errText((f as { errno: Errno }).errno)}`, (f as { errno: Errno }).errno);
      try {
        run.mount(d.path, dest, 'bind', MS.BIND, '', d.path);
      } catch (e) {
        if (e instanceof RuncError) throw new RuncError(`error creating device nodes: ${e.message}`, e.errno);
        throw e;
      }
      continue;
    }
    const r = run.exec({ op: 'mknod', path: dest, type: d.type, mode: d.fileMode, major: d.major, minor: d.minor });
    if (!r.ok) {
      const code = (r as { errno: Errno }).errno;
      if (code === 'EEXIST') continue;
      if (code === 'ENOSYS' || code === 'EPERM') {
        run.warnings.push(`${d.path}: mknod failed (${code}); runc would bind-mount the host's device instead, which is not modelled`);
        continue;
      }
      throw new RuncError(`error creating device nodes: mknod ${dest}: ${errText(code)}`, code);
    }
    run.must({ op: 'chmod', path: dest, mode: d.fileMode }, (e) => `error creating device nodes: chmod ${dest}: ${errText(e)}`);
    run.must({ op: 'chown', path: dest, uid: d.uid, gid: d.gid }, (e) => `error creating device nodes: chown ${dest}: ${errText(e)}`);
  }
  run.step = 'setupPtmx';
  const ptmx = join(run.rootfs, 'dev/ptmx');
  const st = run.stat(ptmx, false);
  if (typeof st !== 'string') {
    const r = run.exec(isDir(st.mode) ? { op: 'rmdir', path: ptmx } : { op: 'unlink', path: ptmx });
    if (!r.ok) throw new RuncError(`error setting up ptmx: remove ${ptmx}: ${errText((r as { errno: Errno }).errno)}`, (r as { errno: Errno }).errno);
  }
  run.must({ op: 'symlink', target: 'pts/ptmx', path: ptmx }, (e) => `error setting up ptmx: symlink pts/ptmx ${ptmx}: ${errText(e)}`);
  run.step = 'setupDevSymlinks';
  const links: [string, string][] = [
    ['/proc/self/fd', '/dev/fd'],
    ['/proc/self/fd/0', '/dev/stdin'],
    ['/proc/self/fd/1', '/dev/stdout'],
    ['/proc/self/fd/2', '/dev/stderr'],
  ];
  // runc looks at the host's /proc (it runs before the pivot).
  if (host.kcore) links.push(['/proc/kcore', '/dev/core']);
  if (host.source === 'assumed') run.warnings.push('/dev/core: assumed the host has /proc/kcore (CONFIG_PROC_KCORE); read the host to know');
  for (const [src, link] of links) {
    const dst = join(run.rootfs, link);
    const r = run.exec({ op: 'symlink', target: src, path: dst });
    if (!r.ok && (r as { errno: Errno }).errno !== 'EEXIST') throw new RuncError(`error setting up /dev symlinks: symlink ${src} ${dst}: ${errText((r as { errno: Errno }).errno)}`, (r as { errno: Errno }).errno);
  }
}

/**
 * setupConsole() and mountConsole(): a pseudo-terminal from the container's /dev/ptmx (the
 * pts/ptmx link runc made), /dev/console created if missing (os.Create, umask 0) and the
 * terminal bound over it. The master stays open (runc hands it to its parent), so the terminal
 * lives on.
 */
function setupConsole(run: RuncRun): void {
  run.step = 'setupConsole';
  const pty = run.exec({ op: 'openpty', path: '/dev/ptmx' });
  if (!pty.ok) {
    const code = (pty as { errno: Errno }).errno;
    throw new RuncError(`open /dev/ptmx: ${errText(code)}`, code);
  }
  // containerd/console's ptsname(): "/dev/pts/" and TIOCGPTN's number, whatever ptmx was.
  const slave = `/dev/pts/${(pty as { data: string }).data}`;
  const r = run.exec({ op: 'write', path: '/dev/console', data: '', mode: 0o666 });
  if (!r.ok && (r as { errno: Errno }).errno !== 'EEXIST') {
    const code = (r as { errno: Errno }).errno;
    throw new RuncError(`open /dev/console: ${errText(code)}`, code);
  }
  run.mount(slave, '/dev/console', 'bind', MS.BIND, '');
}

/** finalizeRootfs(): read-only tmpfs and /dev, then the read-only root. */
function finalizeRootfs(run: RuncRun, mounts: RuncMount[], spec: OciSpec): void {
  run.step = 'finalizeRootfs';
  for (const m of mounts) {
    if (!(m.flags & MS.RDONLY)) continue;
    if (m.device !== 'tmpfs' && clean(m.destination) !== '/dev') continue;
    // remountReadonly(): MS_REMOUNT|MS_BIND|MS_RDONLY with the mount's flags (EBUSY is retried
    // five times by runc; the emulator's answer would not change).
    run.mount('', m.destination, '', m.flags | MS.REMOUNT | MS.BIND | MS.RDONLY, '');
  }
  if (spec.root?.readonly) {
    run.step = 'setReadonly';
    const flags = MS.BIND | MS.REMOUNT | MS.RDONLY;
    try {
      run.mount('', '/', '', flags, '');
    } catch (e) {
      if (!(e instanceof RuncError)) throw e;
      const f = run.p.statfs('/').flags;
      try {
        run.mount('', '/', '', flags | (f & 0x3fff), '');
      } catch (e2) {
        if (e2 instanceof RuncError) throw new RuncError(`error setting rootfs as readonly: ${e2.message}`, e2.errno);
        throw e2;
      }
    }
  }
}

/** readonlyPath(): rbind onto itself (a missing path is skipped), remount ro. */
function readonlyPath(run: RuncRun, path: string): void {
  const r = run.exec({ op: 'mount', source: path, target: path, fstype: '', flags: ['bind', 'rec'], data: '' });
  if (!r.ok) {
    const code = (r as { errno: Errno }).errno;
    if (code === 'ENOENT') return;
    throw new RuncError(`mount ${path}:${path}, flags: 0x5000: ${errText(code)}`, code);
  }
  const keep = run.p.statfs(path).flags & (MS.NOSUID | MS.NODEV | MS.NOEXEC);
  run.mount(path, path, '', keep | MS.BIND | MS.REMOUNT | MS.RDONLY, '');
}

/** maskPath(): /dev/null over a file, a read-only tmpfs over a directory, nothing if missing. */
function maskPath(run: RuncRun, path: string): void {
  const r = run.exec({ op: 'mount', source: '/dev/null', target: path, fstype: '', flags: ['bind'], data: '' });
  if (r.ok) return;
  const code = (r as { errno: Errno }).errno;
  if (code === 'ENOENT') return;
  if (code === 'ENOTDIR') {
    run.mount('tmpfs', path, 'tmpfs', MS.RDONLY, '');
    return;
  }
  throw new RuncError(`mount /dev/null:${path}, flags: 0x1000: ${errText(code)}`, code);
}
