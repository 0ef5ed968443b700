/**
 * fast-check arbitraries for mount plans (docs/plan-format.md), for the parity harness: random
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
   * Propagation mode: `shared` and `slave` are generated too (`private` and `unbindable` always
   * are), and the weights change so that most plans build shared trees — make-shared, binds and
   * rbinds of shared mounts, moves, unshare and setns among up to four namespaces — and cause
   * mount and umount events that cross peers, slaves and namespaces.
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
  // Propagation mode: mostly shared and slave, the changes that make receivers.
  const type = propagation ? fc.constantFrom<MountFlagName>('shared', 'shared', 'shared', 'slave', 'slave', 'private', 'unbindable') : fc.constantFrom(...types);
  return fc.oneof(
    { weight: 8, arbitrary: fc.tuple(type, fc.boolean()).map(([t, rec]): MountFlagName[] => (rec ? [t, 'rec'] : [t])) },
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
  const w = propagation ? { newMount: 5, bind: 6, remount: 1, move: 2, change: 7 } : { newMount: 5, bind: 4, remount: 3, move: 2, change: 2 };
  return fc.oneof(
    { weight: w.newMount, arbitrary: newMount },
    { weight: w.bind, arbitrary: bind },
    { weight: w.remount, arbitrary: remount },
    { weight: w.move, arbitrary: move },
    { weight: w.change, arbitrary: change },
  );
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

/** Weights of each op kind: the default mix, and propagation mode's, heavy on mounts and namespaces. */
const OP_WEIGHTS = {
  default: { mkdir: 8, write: 6, symlink: 3, link: 2, unlink: 2, rmdir: 2, rename: 3, chmod: 2, chown: 2, truncate: 2, mount: 10, umount: 4, unshare: 1, setns: 1, stat: 2, read: 2, readdir: 2, setcred: 1, pivot_root: 1 },
  propagation: { mkdir: 8, write: 2, symlink: 1, link: 1, unlink: 1, rmdir: 2, rename: 1, chmod: 1, chown: 1, truncate: 1, mount: 24, umount: 7, unshare: 3, setns: 4, stat: 1, read: 1, readdir: 2, setcred: 1, pivot_root: 1 },
};

/** One random op; the weights favour building and using trees over observing them. */
export function opArb(opts: PlanArbitraryOptions = {}): fc.Arbitrary<PlanOp> {
  const propagation = opts.propagation ?? false;
  const w = propagation ? OP_WEIGHTS.propagation : OP_WEIGHTS.default;
  return fc.oneof(
    { weight: w.mkdir, arbitrary: fc.record({ op: fc.constant('mkdir' as const), path: pathArb, mode: modeArb }) },
    { weight: w.write, arbitrary: fc.record({ op: fc.constant('write' as const), path: pathArb, data: dataArb, mode: modeArb }, { requiredKeys: ['op', 'path', 'data'] }) },
    { weight: w.symlink, arbitrary: fc.record({ op: fc.constant('symlink' as const), target: symlinkTargetArb, path: pathArb }) },
    { weight: w.link, arbitrary: fc.record({ op: fc.constant('link' as const), oldpath: pathArb, newpath: pathArb }) },
    { weight: w.unlink, arbitrary: fc.record({ op: fc.constant('unlink' as const), path: pathArb }) },
    { weight: w.rmdir, arbitrary: fc.record({ op: fc.constant('rmdir' as const), path: pathArb }) },
    {
      weight: w.rename,
      arbitrary: fc.record(
        { op: fc.constant('rename' as const), oldpath: pathArb, newpath: pathArb, flags: fc.constantFrom<RenameFlagName[][]>([], ['noreplace'], ['exchange'], ['noreplace', 'exchange']).map((f) => [...f]) },
        { requiredKeys: ['op', 'oldpath', 'newpath'] },
      ),
    },
    { weight: w.chmod, arbitrary: fc.record({ op: fc.constant('chmod' as const), path: pathArb, mode: modeArb }) },
    { weight: w.chown, arbitrary: fc.record({ op: fc.constant('chown' as const), path: pathArb, uid: idArb, gid: idArb }) },
    { weight: w.truncate, arbitrary: fc.record({ op: fc.constant('truncate' as const), path: pathArb, length: fc.oneof(fc.constantFrom(0, 1, 4096, 5000, -1), fc.nat(10000)) }) },
    { weight: w.mount, arbitrary: mountArb(propagation) },
    { weight: w.umount, arbitrary: umountArb },
    { weight: w.unshare, arbitrary: fc.constant<PlanOp>({ op: 'unshare' }) },
    { weight: w.setns, arbitrary: fc.record({ op: fc.constant('setns' as const), ns: fc.nat(propagation ? 3 : 2) }) },
    { weight: w.stat, arbitrary: fc.record({ op: fc.constant('stat' as const), path: pathArb, nofollow: fc.boolean() }, { requiredKeys: ['op', 'path'] }) },
    { weight: w.read, arbitrary: fc.record({ op: fc.constant('read' as const), path: pathArb }) },
    { weight: w.readdir, arbitrary: fc.record({ op: fc.constant('readdir' as const), path: pathArb }) },
    { weight: w.setcred, arbitrary: setcredArb },
    // put_old often the new root itself, as runc pivots: the old root then sits on top of it.
    { weight: w.pivot_root, arbitrary: fc.record({ op: fc.constant('pivot_root' as const), new_root: mountPathArb, put_old: fc.oneof(mountPathArb, pathArb) }) },
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

/** Mount points the propagation recipes use: the prefix's directories. */
const mountDirArb = fc.constantFrom('/a', '/b', '/m', '/a/a', '/a/b', '/b/a', '/m/a');

/** Where events happen: below the mount points, in the directories the shared-base recipe makes. */
const eventDirArb = fc.tuple(fc.constantFrom('/a', '/b', '/m', '/a/a', '/b/a'), fc.constantFrom('/a', '/b')).map(([d, sub]) => d + sub);

const umountFlagsArb = fc.constantFrom<UmountFlagName[]>([], [], ['detach']).map((f) => [...f]);

/**
 * Short sequences that build what propagation needs and then use it, so that random plans reach
 * it: a tmpfs with two directories made shared (or rshared); a bind or rbind followed by a change
 * of its type (peers, slaves, private copies); a new namespace whose copy becomes a slave (or
 * shared, or private) at once; and events below those trees — a new mount, a bind, a move, an
 * umount — each of which the receivers must follow.
 */
const propagationRecipeArb: fc.Arbitrary<PlanOp[]> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.tuple(mountDirArb, fc.constantFrom('s', 't', 'u'), fc.boolean()).map(([target, source, rec]): PlanOp[] => [
      { op: 'mount', source, target, fstype: 'tmpfs', flags: [] },
      { op: 'mkdir', path: `${target}/a` },
      { op: 'mkdir', path: `${target}/b` },
      { op: 'mount', source: '', target, fstype: '', flags: rec ? ['shared', 'rec'] : ['shared'] },
    ]),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.oneof(mountDirArb, fc.constant('/')), mountDirArb, fc.boolean(), fc.constantFrom<MountFlagName | null>(null, 'shared', 'slave', 'slave', 'private', 'unbindable'))
      .map(([source, target, rec, type]): PlanOp[] => [
        { op: 'mount', source, target, fstype: '', flags: rec ? ['bind', 'rec'] : ['bind'] },
        ...(type ? [{ op: 'mount' as const, source: '', target, fstype: '', flags: [type] }] : []),
      ]),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.oneof(mountDirArb, fc.constant('/')), fc.constantFrom<MountFlagName>('slave', 'slave', 'shared', 'private')).map(([target, type]): PlanOp[] => [
      { op: 'unshare' },
      { op: 'mount', source: '', target, fstype: '', flags: [type, 'rec'] },
    ]),
  },
  {
    weight: 6,
    arbitrary: fc.oneof(
      fc.tuple(eventDirArb, fc.constantFrom('e', 'f')).map(([target, source]): PlanOp[] => [{ op: 'mount', source, target, fstype: 'tmpfs', flags: [] }]),
      fc.tuple(fc.oneof(mountDirArb, eventDirArb), eventDirArb, fc.boolean()).map(([source, target, rec]): PlanOp[] => [{ op: 'mount', source, target, fstype: '', flags: rec ? ['bind', 'rec'] : ['bind'] }]),
      fc.tuple(fc.oneof(mountDirArb, eventDirArb), fc.oneof(mountDirArb, eventDirArb)).map(([source, target]): PlanOp[] => [{ op: 'mount', source, target, fstype: '', flags: ['move'] }]),
      fc.tuple(fc.oneof(eventDirArb, mountDirArb), umountFlagsArb).map(([target, flags]): PlanOp[] => [{ op: 'umount', target, flags }]),
      fc.tuple(fc.nat(3), eventDirArb, fc.constantFrom('g', 'h')).map(([ns, target, source]): PlanOp[] => [
        { op: 'setns', ns },
        { op: 'mount', source, target, fstype: 'tmpfs', flags: [] },
      ]),
    ),
  },
);

/** Propagation mode's steps: single ops and recipes alike. */
const propagationStepArb = (opts: PlanArbitraryOptions): fc.Arbitrary<PlanOp[]> =>
  fc.oneof({ weight: 4, arbitrary: opArb(opts).map((op) => [op]) }, { weight: 5, arbitrary: propagationRecipeArb });

/**
 * Random plans: PREFIX, then up to `maxOps` random ops, then SUFFIX. Shrinking shortens and
 * simplifies the random part only. In propagation mode some steps are recipes of a few ops (the
 * plan is cut at `maxOps` random ops all the same).
 *
 * @example
 * ```ts
 * fc.assert(fc.property(planArbitrary({ maxOps: 20 }), (plan) => check(plan)));
 * ```
 */
export function planArbitrary(opts: PlanArbitraryOptions = {}): fc.Arbitrary<Plan> {
  const maxOps = opts.maxOps ?? 25;
  if (opts.propagation) {
    return fc
      // size 'max': without it fast-check keeps arrays near ten steps, whatever maxLength says.
      .array(propagationStepArb(opts), { minLength: 1, maxLength: maxOps, size: 'max' })
      .map((steps): Plan => ({ version: 1, ops: [...PREFIX, ...steps.flat().slice(0, maxOps), ...SUFFIX] }));
  }
  return fc.array(opArb(opts), { minLength: 1, maxLength: maxOps }).map((ops): Plan => ({ version: 1, ops: [...PREFIX, ...ops, ...SUFFIX] }));
}
