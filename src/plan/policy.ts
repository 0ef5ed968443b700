/**
 * The sandbox policy of plan runs (docs/plan-format.md "Refused ops", docs/native-sandbox.md): the
 * ops a plan may not make, because on the real kernel they would reach past the throw-away sandbox
 * into the host — its devices, its kernel state, the memory of the process that reads the results.
 * Both backends apply the same rules at the same point, so a refused op is the same `refused`
 * result on each and parity holds:
 *
 * - `fstype`: a new superblock of a type outside MOUNTABLE_FSTYPES (devtmpfs lists the host's
 *   disks; debugfs, binfmt_misc or a block filesystem reach host state; an unknown name makes the
 *   kernel try to load a module). Binds, moves, remounts and propagation changes make none.
 * - `device`: mknod of a character device outside ALLOWED_DEVICES, or of any block device.
 * - `pseudo-write`: an op that changes a file or a name on proc, sysfs or a cgroup hierarchy
 *   (sysctls, the host's cgroups: a cgroup made in a hierarchy outlives the sandbox). A run may
 *   allow mkdir and rmdir in cgroup hierarchies (`allowCgroupDirs`): `dry-run --native`, which
 *   makes runc's cgroups as runc does and removes them afterwards.
 * - `cgroup-options`: a cgroup or cgroup2 mount or remount with options that change a hierarchy
 *   for the whole host (v1's release_agent — the classic escape —, clone_children,
 *   cpuset_v2_mode, xattr, noprefix, favordynmods; every cgroup2 option: nsdelegate,
 *   memory_recursiveprot, …). Controller names, `none`, `all` and `name=` stay allowed, and so do
 *   a hierarchy's options exactly as the host mounts it (`hostCgroupOptions`, read from the host
 *   by `dry-run --native`): mounting it again with them changes nothing.
 * - `output-limit`: a read or readdir returning more than MAX_OP_BYTES (a device that never ends).
 * - `run-limit`: a read or readdir once the run's have returned MAX_RUN_BYTES.
 *
 * The first two are decided from the op alone (`staticRefusal`); the others from what the path
 * is when the op runs (each backend asks its own filesystem; see `PSEUDO_FS_MAGICS`).
 */
import type { OpResult } from './outcome.js';
import type { MountFlagName, PlanOp } from './plan.js';

export const REFUSAL_RULES = ['fstype', 'device', 'pseudo-write', 'output-limit', 'run-limit', 'cgroup-options'] as const;
export type RefusalRule = (typeof REFUSAL_RULES)[number];

/**
 * Filesystem types a plan may mount: the ones vfsemu models, none of which reaches the host —
 * 9p reaches only the server its options name, through the transports the embedder gave the
 * kernel (the native backend has no 9p: this kernel has no module for it).
 */
export const MOUNTABLE_FSTYPES: readonly string[] = ['tmpfs', 'proc', 'sysfs', 'devpts', 'mqueue', 'cgroup', 'cgroup2', 'overlay', '9p'];

const NO_NEW_SUPERBLOCK: readonly MountFlagName[] = ['bind', 'move', 'remount', 'shared', 'private', 'slave', 'unbindable'];

/** Whether a `mount` op makes a new superblock (path_mount()'s dispatch; fsconfig always does). */
export function makesSuperblock(op: Extract<PlanOp, { op: 'mount' }>): boolean {
  return op.fsconfig === true || !op.flags.some((f) => NO_NEW_SUPERBLOCK.includes(f));
}

/**
 * Character devices a plan may make (major, minor; minor null: any), as a container's /dev has
 * them: null, zero, full, random, urandom, tty, ptmx, and the pseudo-terminal slaves.
 */
export const ALLOWED_DEVICES: readonly { name: string; major: number; minor: number | null }[] = [
  { name: 'null', major: 1, minor: 3 },
  { name: 'zero', major: 1, minor: 5 },
  { name: 'full', major: 1, minor: 7 },
  { name: 'random', major: 1, minor: 8 },
  { name: 'urandom', major: 1, minor: 9 },
  { name: 'tty', major: 5, minor: 0 },
  { name: 'ptmx', major: 5, minor: 2 },
  // UNIX98_PTY_SLAVE_MAJOR 136 and the 7 majors after it (CONFIG_UNIX98_PTY_COUNT).
  ...[136, 137, 138, 139, 140, 141, 142, 143].map((major) => ({ name: 'pts', major, minor: null })),
];

/** statfs(2) f_type of cgroup and cgroup2. */
export const CGROUP_FS_MAGICS: ReadonlySet<number> = new Set([0x27e0eb, 0x63677270]);
/** statfs(2) f_type of proc, sysfs, cgroup and cgroup2: the `pseudo-write` rule's filesystems. */
export const PSEUDO_FS_MAGICS: ReadonlySet<number> = new Set([0x9fa0, 0x62656572, ...CGROUP_FS_MAGICS]);

/** cgroup v1 options that only choose or name a hierarchy (anything else: `cgroup-options`). */
function harmlessCgroupV1Option(o: string): boolean {
  if (o === 'none' || o === 'all' || o.startsWith('name=')) return true;
  // A controller's name: a word of the kernel's subsystem names (cpu, cpuacct, memory, pids, …).
  return /^[a-z_]+$/.test(o) && !['clone_children', 'cpuset_v2_mode', 'xattr', 'noprefix', 'favordynmods'].includes(o);
}

/** What a run may do beyond the policy's defaults (`dry-run --native` sets them). */
export interface PolicyOptions {
  /** mkdir and rmdir may make and remove cgroups; the caller removes what was made. */
  allowCgroupDirs?: boolean;
  /** cgroup mount data the host's own hierarchies have (their super options without rw/ro). */
  hostCgroupOptions?: readonly string[];
}

/** Whether mount data for `fstype` would change a cgroup hierarchy host-wide (`cgroup-options`). */
export function cgroupOptionsRefused(fstype: 'cgroup' | 'cgroup2', data: string, opts: PolicyOptions = {}): boolean {
  if (data !== '' && opts.hostCgroupOptions?.includes(data)) return false;
  const words = data.split(',').filter((o) => o !== '');
  return fstype === 'cgroup2' ? words.length > 0 : !words.every(harmlessCgroupV1Option);
}

/** What one read or readdir may return (bytes of data, or of names). */
export const MAX_OP_BYTES = 16 * 1024 * 1024;
/** What the reads and readdirs of one run may return together. */
export const MAX_RUN_BYTES = 64 * 1024 * 1024;

const REASONS: Record<RefusalRule, string> = {
  fstype: `a new filesystem of a type outside the policy's (${MOUNTABLE_FSTYPES.join(', ')})`,
  device: 'a device node outside the policy (null, zero, full, random, urandom, tty, ptmx, pts)',
  'pseudo-write': 'a change to a file or a name on proc, sysfs or a cgroup hierarchy',
  'output-limit': `more than ${MAX_OP_BYTES} bytes returned by one op`,
  'run-limit': `the run's reads already returned ${MAX_RUN_BYTES} bytes`,
  'cgroup-options': 'cgroup mount options that would change a hierarchy for the whole host',
};

/**
 * The result of an op the policy refused (the same on every backend).
 *
 * @example
 * ```ts
 * refusedResult('device'); // { ok: false, refused: 'device', reason: 'a device node outside …' }
 * ```
 */
export function refusedResult(rule: RefusalRule): OpResult {
  return { ok: false, refused: rule, reason: `refused by the sandbox policy: ${REASONS[rule]}` };
}

/**
 * The rule that refuses `op` whatever the state it runs in, or null.
 *
 * @example
 * ```ts
 * staticRefusal({ op: 'mount', source: 'd', target: '/d', fstype: 'devtmpfs', flags: [] }); // 'fstype'
 * staticRefusal({ op: 'mknod', path: '/n', type: 'char', major: 1, minor: 3 }); // null
 * ```
 */
export function staticRefusal(op: PlanOp, opts: PolicyOptions = {}): RefusalRule | null {
  if (op.op === 'mount') {
    if (!makesSuperblock(op)) return null;
    if (!MOUNTABLE_FSTYPES.includes(op.fstype)) return 'fstype';
    if ((op.fstype === 'cgroup' || op.fstype === 'cgroup2') && cgroupOptionsRefused(op.fstype, op.data ?? '', opts)) return 'cgroup-options';
    return null;
  }
  if (op.op === 'mknod') {
    if (op.type === 'block') return 'device';
    if (op.type !== 'char') return null;
    const major = op.major ?? 0;
    const minor = op.minor ?? 0;
    return ALLOWED_DEVICES.some((d) => d.major === major && (d.minor === null || d.minor === minor)) ? null : 'device';
  }
  return null;
}
