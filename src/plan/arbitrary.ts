/**
 * fast-check arbitraries for mount plans (shared/plan-format.md), for the parity harness: random
 * plans over every op and flag the emulator implements, biased towards what makes the kernel and
 * an emulator disagree — ops on paths that exist, mounts stacked on mounts and under binds,
 * read-only mounts written to, renames across mounts, loops of links, identities without
 * privilege — and ending with a fixed suffix of `stat`/`readdir` ops, so that the state a plan
 * leaves behind is observed, not only its errnos.
 *
 * Paths come from a small vocabulary (a, b, c, nested two deep, plus a mount point and a link
 * name), so random ops collide: a path made by one op is often used by the next.
 */
import fc from 'fast-check';
import { CAP_NAMES, type CapFlagName, type MountFlagName, type Plan, type PlanOp, type RenameFlagName, type UmountFlagName } from './plan.js';

/** Options of `planArbitrary`. */
export interface PlanArbitraryOptions {
  /** Random ops a plan holds at most (the observation suffix comes on top). */
  maxOps?: number;
  /**
   * Whether `shared` and `slave` may be generated. Off until mount events propagate between peers
   * in the emulator (the propagation issue); `private` and `unbindable` are always generated.
   */
  propagation?: boolean;
}

/** Names a path component may take. */
const NAMES = ['a', 'b', 'c', 'm', 'l'] as const;

/** Directories the fixed prefix makes, and the observation suffix looks at. */
export const VOCABULARY_DIRS = ['/a', '/b', '/m', '/a/a', '/a/b', '/b/a', '/m/a'];

const component = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(...NAMES) },
  { weight: 1, arbitrary: fc.constantFrom('..', '.', 'nope') },
);

/** Paths the fixed prefix makes: most ops should meet something there. */
const EXISTING = ['/a', '/b', '/m', '/a/a', '/a/b', '/b/a', '/m/a', '/a/c', '/b/c', '/m/c', '/a/l', '/'];
const existingArb = fc.constantFrom(...EXISTING);

/** Any absolute path of one to three components from the vocabulary, maybe with a trailing slash. */
const freePathArb: fc.Arbitrary<string> = fc
  .tuple(fc.array(component, { minLength: 1, maxLength: 3 }), fc.constantFrom('', '', '', '', '', '', '/'))
  .map(([cs, slash]) => '/' + cs.join('/') + slash);

/** A path: an existing one half of the time, else any from the vocabulary. */
export const pathArb: fc.Arbitrary<string> = fc.oneof({ weight: 1, arbitrary: existingArb }, { weight: 1, arbitrary: freePathArb });

/** A mount target or bind source: mostly an existing directory. */
const mountPathArb: fc.Arbitrary<string> = fc.oneof({ weight: 4, arbitrary: fc.constantFrom('/a', '/b', '/m', '/a/a', '/a/b', '/b/a', '/m/a', '/') }, { weight: 1, arbitrary: pathArb });

const modeArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(0o755, 0o700, 0o644, 0o600, 0o777, 0o1777, 0o2775, 0o4755, 0o000, 0o711, 0o555, 0o6644) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0o7777 }) },
);

const idArb = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(0, 1000, 1001, 2000) }, { weight: 1, arbitrary: fc.constant(-1) });

const dataArb = fc.oneof(
  { weight: 6, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.constantFrom('é€😀', 'x'.repeat(4097), 'y'.repeat(9000)) },
);

const symlinkTargetArb = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('a', 'b', '../a', '/a', '/a/b', '/m', 'l', '/l', 'nope', '.', '..', 'a/', '/') },
  { weight: 1, arbitrary: pathArb },
);

const TMPFS_DATA = [
  '',
  'size=4k',
  'size=1m',
  'size=8k,nr_inodes=4',
  'mode=700',
  'mode=1777',
  'uid=1000,gid=1000',
  'uid=1000,mode=700',
  'nr_inodes=2',
  'size=10%',
  'size=0',
  'bogus',
  'size=1x',
  'mode=8888',
  'ro',
];

/** Flags a new tmpfs mount takes: the per-mount and superblock ones. */
const NEW_MOUNT_FLAGS: MountFlagName[] = ['rdonly', 'nosuid', 'nodev', 'noexec', 'noatime', 'nodiratime', 'relatime', 'strictatime', 'synchronous', 'dirsync', 'lazytime', 'silent', 'mandlock'];
const PER_MOUNT_FLAGS: MountFlagName[] = ['rdonly', 'nosuid', 'nodev', 'noexec', 'noatime', 'nodiratime', 'relatime', 'strictatime'];

const subset = <T>(xs: readonly T[], maxLength: number): fc.Arbitrary<T[]> => fc.subarray([...xs], { maxLength });

function typeFlags(propagation: boolean): fc.Arbitrary<MountFlagName[]> {
  const types: MountFlagName[] = propagation ? ['private', 'unbindable', 'shared', 'slave'] : ['private', 'unbindable'];
  return fc.oneof(
    { weight: 8, arbitrary: fc.tuple(fc.constantFrom(...types), fc.boolean()).map(([t, rec]): MountFlagName[] => (rec ? [t, 'rec'] : [t])) },
    // Combinations the kernel refuses (EINVAL) or ignores.
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...types), fc.constantFrom<MountFlagName>('nosuid', 'rdonly', 'silent', 'move', 'private', 'remount', 'bind')).map(([t, x]): MountFlagName[] => [t, x]) },
  );
}

function mountArb(propagation: boolean): fc.Arbitrary<PlanOp> {
  const source = fc.constantFrom('none', 'tmpfs', 'src', '', 'a b');
  const newMount = fc.record({
    op: fc.constant('mount' as const),
    source,
    target: mountPathArb,
    fstype: fc.oneof({ weight: 12, arbitrary: fc.constant('tmpfs') }, { weight: 1, arbitrary: fc.constantFrom('', 'bogus') }),
    flags: subset(NEW_MOUNT_FLAGS, 3),
    data: fc.constantFrom(...TMPFS_DATA),
  });
  const bind = fc.record({
    op: fc.constant('mount' as const),
    source: mountPathArb,
    target: mountPathArb,
    fstype: fc.constant(''),
    flags: fc.tuple(fc.boolean(), subset(PER_MOUNT_FLAGS, 2)).map(([rec, extra]): MountFlagName[] => ['bind', ...(rec ? (['rec'] as MountFlagName[]) : []), ...extra]),
  });
  const remount = fc.record({
    op: fc.constant('mount' as const),
    source: fc.constant(''),
    target: mountPathArb,
    fstype: fc.constant(''),
    flags: fc.tuple(fc.boolean(), subset(PER_MOUNT_FLAGS, 3)).map(([bindToo, extra]): MountFlagName[] => ['remount', ...(bindToo ? (['bind'] as MountFlagName[]) : []), ...extra]),
    data: fc.constantFrom('', 'size=8k', 'mode=700', 'nr_inodes=8', 'size=1m', 'bogus'),
  });
  const move = fc.record({ op: fc.constant('mount' as const), source: mountPathArb, target: mountPathArb, fstype: fc.constant(''), flags: fc.constant<MountFlagName[]>(['move']) });
  const change = fc.record({ op: fc.constant('mount' as const), source: fc.constant(''), target: mountPathArb, fstype: fc.constant(''), flags: typeFlags(propagation) });
  return fc.oneof({ weight: 5, arbitrary: newMount }, { weight: 4, arbitrary: bind }, { weight: 3, arbitrary: remount }, { weight: 2, arbitrary: move }, { weight: 2, arbitrary: change });
}

const umountArb: fc.Arbitrary<PlanOp> = fc.record({
  op: fc.constant('umount' as const),
  target: mountPathArb,
  flags: fc.oneof(
    { weight: 4, arbitrary: fc.constant<UmountFlagName[]>([]) },
    { weight: 3, arbitrary: fc.constant<UmountFlagName[]>(['detach']) },
    { weight: 2, arbitrary: subset<UmountFlagName>(['force', 'detach', 'expire', 'nofollow'], 2) },
  ),
});

/** Capabilities that permission checks consult, and a few that they do not. */
const INTERESTING_CAPS: CapFlagName[] = ['chown', 'dac_override', 'dac_read_search', 'fowner', 'fsetid', 'setuid', 'setgid', 'sys_admin', 'sys_chroot', 'mknod', 'kill', 'net_admin'];

const setcredArb: fc.Arbitrary<PlanOp> = fc
  .record(
    {
      uid: fc.constantFrom(0, 1000, 1001),
      gid: fc.constantFrom(0, 1000, 2000),
      groups: fc.oneof(fc.constant(undefined), subset([0, 1000, 2000, 3000], 3)),
      caps: fc.oneof(
        { weight: 3, arbitrary: subset(INTERESTING_CAPS, 3) },
        { weight: 1, arbitrary: fc.constant<CapFlagName[]>([...CAP_NAMES]) },
        { weight: 1, arbitrary: subset(CAP_NAMES, 5) },
      ),
    },
    { requiredKeys: ['uid', 'gid', 'caps'] },
  )
  .map((r): PlanOp => (r.groups === undefined ? { op: 'setcred', uid: r.uid, gid: r.gid, caps: [...r.caps] } : { op: 'setcred', uid: r.uid, gid: r.gid, groups: r.groups, caps: [...r.caps] }));

/** One random op; the weights favour building and using trees over observing them. */
export function opArb(opts: PlanArbitraryOptions = {}): fc.Arbitrary<PlanOp> {
  const propagation = opts.propagation ?? false;
  return fc.oneof(
    { weight: 8, arbitrary: fc.record({ op: fc.constant('mkdir' as const), path: pathArb, mode: modeArb }) },
    { weight: 6, arbitrary: fc.record({ op: fc.constant('write' as const), path: pathArb, data: dataArb, mode: modeArb }, { requiredKeys: ['op', 'path', 'data'] }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('symlink' as const), target: symlinkTargetArb, path: pathArb }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('link' as const), oldpath: pathArb, newpath: pathArb }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('unlink' as const), path: pathArb }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('rmdir' as const), path: pathArb }) },
    {
      weight: 3,
      arbitrary: fc.record(
        { op: fc.constant('rename' as const), oldpath: pathArb, newpath: pathArb, flags: fc.constantFrom<RenameFlagName[][]>([], ['noreplace'], ['exchange'], ['noreplace', 'exchange']).map((f) => [...f]) },
        { requiredKeys: ['op', 'oldpath', 'newpath'] },
      ),
    },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('chmod' as const), path: pathArb, mode: modeArb }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('chown' as const), path: pathArb, uid: idArb, gid: idArb }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('truncate' as const), path: pathArb, length: fc.oneof(fc.constantFrom(0, 1, 4096, 5000, -1), fc.nat(10000)) }) },
    { weight: 10, arbitrary: mountArb(propagation) },
    { weight: 4, arbitrary: umountArb },
    { weight: 1, arbitrary: fc.constant<PlanOp>({ op: 'unshare' }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('setns' as const), ns: fc.nat(2) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('stat' as const), path: pathArb, nofollow: fc.boolean() }, { requiredKeys: ['op', 'path'] }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('read' as const), path: pathArb }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('readdir' as const), path: pathArb }) },
    { weight: 1, arbitrary: setcredArb },
  );
}

/** The fixed start: the vocabulary's directories exist, and one small tmpfs (three pages) is mounted on /m, so that long writes run out of space. */
export const PREFIX: PlanOp[] = [
  ...VOCABULARY_DIRS.filter((d) => !d.startsWith('/m/')).map((path): PlanOp => ({ op: 'mkdir', path })),
  { op: 'mount', source: 'm', target: '/m', fstype: 'tmpfs', flags: [], data: 'size=12k' },
  { op: 'mkdir', path: '/m/a' },
  { op: 'write', path: '/a/c', data: 'hello' },
  { op: 'write', path: '/b/c', data: 'b' },
  { op: 'write', path: '/m/c', data: 'on m' },
  { op: 'symlink', target: '../b', path: '/a/l' },
];

/** The fixed end: what every plan leaves behind is looked at, from wherever it ended. */
export const SUFFIX: PlanOp[] = [
  ...['/', ...VOCABULARY_DIRS].map((path): PlanOp => ({ op: 'readdir', path })),
  ...['/a', '/b', '/c', '/m', '/l', '/a/a', '/a/b', '/a/c', '/a/l', '/b/a', '/m/a', '/m/c'].map((path): PlanOp => ({ op: 'stat', path, nofollow: true })),
  { op: 'read', path: '/a/c' },
];

/**
 * Random plans: PREFIX, then up to `maxOps` random ops, then SUFFIX. Shrinking shortens and
 * simplifies the random part only.
 *
 * @example
 * ```ts
 * fc.assert(fc.property(planArbitrary({ maxOps: 20 }), (plan) => check(plan)));
 * ```
 */
export function planArbitrary(opts: PlanArbitraryOptions = {}): fc.Arbitrary<Plan> {
  return fc.array(opArb(opts), { minLength: 1, maxLength: opts.maxOps ?? 25 }).map((ops): Plan => ({ version: 1, ops: [...PREFIX, ...ops, ...SUFFIX] }));
}
