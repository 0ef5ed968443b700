/**
 * fast-check arbitraries for the parity harness's `userns` profile: plans that make user
 * namespaces with maps (`unshare` with `user`, `userns`), clone trees with `open_tree`, change
 * them with `mount_setattr` (per-mount flags, atime, propagation, MOUNT_ATTR_IDMAP with a user
 * namespace index) and attach or move them with `move_mount` — mixed with the default profile's
 * ops (src/plan/arbitrary.ts) over the same small tree, so that files are made, chowned, stat'ed
 * and listed through idmapped mounts and from inside user namespaces.
 *
 * Maps are small and valid most of the time (0 → 100000 × 65536, 0 → 10000 × 1000, the identity,
 * one id), and sometimes not — overlapping extents, a count of 0, no extent, root left unmapped —
 * so that the kernel's EINVAL and EPERM paths of map_write() and of idmapped mounts are hit.
 * Identities (`setcred`) are drawn among the ids those maps name.
 *
 * Recipes give the flows runtimes use a chance: containerd's idmapped rootfs (a `userns`, an
 * `open_tree` clone, `mount_setattr` idmap with that namespace, `move_mount` onto a directory of
 * the tree) and a runtime's `unshare` of user and mount namespaces with full maps. A recipe
 * refers to "the tree (or user namespace) it just made" with a negative index, which
 * `resolveIndices` turns into the plan's number after the plan is put together (and again after
 * every shrink, so that shrinking keeps the references).
 */
import fc from 'fast-check';
import { opArb, PREFIX, SUFFIX, VOCABULARY_DIRS, type PlanArbitraryOptions } from './arbitrary.js';
import { makesUserns, type CapFlagName, type IdMapExtent, type MountAttrName, type MountSetattrFlagName, type OpenTreeFlagName, type Plan, type PlanOp, type PropagationName, type UnshareFlagName } from './plan.js';

/** The ops only this profile generates. */
export const USERNS_OPS = ['userns', 'open_tree', 'mount_setattr', 'move_mount'] as const;

/** Valid maps, as runtimes write them. */
const VALID_MAPS: IdMapExtent[][] = [
  [[0, 100000, 65536]],
  [[0, 10000, 1000]],
  [[0, 0, 65536]],
  [[0, 0, 4294967295]],
  [[0, 1000, 1]],
  [[0, 0, 1]],
  [
    [0, 100000, 1000],
    [1000, 1000, 1],
  ],
  // Root left unmapped: the task's own ids show as the overflow id.
  [[1, 100001, 999]],
];

/** Maps map_write() refuses (EINVAL): overlapping ids, overlapping lower ids, a count of 0, none, a start at (u32)-1. */
const INVALID_MAPS: IdMapExtent[][] = [
  [
    [0, 1000, 10],
    [5, 2000, 10],
  ],
  [
    [0, 1000, 10],
    [20, 1005, 10],
  ],
  [[0, 100, 0]],
  [],
  [[4294967295, 0, 1]],
];

const mapArb: fc.Arbitrary<IdMapExtent[]> = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...VALID_MAPS) },
  { weight: 1, arbitrary: fc.constantFrom(...INVALID_MAPS) },
);

/** setgroups, uid_map and gid_map of a new user namespace: mostly one map for both, sometimes none or another. */
const mapsArb = fc
  .tuple(
    mapArb,
    fc.oneof({ weight: 6, arbitrary: fc.constant<'same' | 'other' | 'none'>('same') }, { weight: 1, arbitrary: fc.constantFrom<'other' | 'none'>('other', 'none') }),
    mapArb,
    fc.oneof({ weight: 5, arbitrary: fc.constant<undefined>(undefined) }, { weight: 1, arbitrary: fc.constantFrom<'allow' | 'deny'>('allow', 'deny') }),
    fc.oneof({ weight: 9, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  )
  .map(([uidMap, gid, other, setgroups, withUid]) => ({
    ...(setgroups !== undefined ? { setgroups } : {}),
    ...(withUid ? { uidMap } : {}),
    ...(gid === 'same' ? { gidMap: uidMap } : gid === 'other' ? { gidMap: other } : {}),
  }));

const UNSHARE_USER_FLAGS: UnshareFlagName[][] = [['user', 'mnt'], ['user', 'mnt'], ['user'], ['mnt', 'user', 'net'], ['user', 'net'], ['user', 'mnt', 'ipc', 'pid'], ['user', 'ipc']];

const unshareUserArb: fc.Arbitrary<PlanOp> = fc
  .tuple(fc.constantFrom(...UNSHARE_USER_FLAGS), mapsArb)
  .map(([flags, maps]): PlanOp => ({ op: 'unshare', flags: [...flags], ...maps }));

const usernsArb: fc.Arbitrary<PlanOp> = mapsArb.map((maps): PlanOp => ({ op: 'userns', ...maps }));

/** Where trees come from and go: the vocabulary's directories, the root, now and then a file or nothing. */
const treePathArb = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('/', ...VOCABULARY_DIRS) },
  { weight: 1, arbitrary: fc.constantFrom('/a/c', '/a/l', '/nope', '/l') },
);

const OPEN_TREE_FLAGS: OpenTreeFlagName[][] = [['clone'], ['clone'], ['clone', 'recursive'], ['clone', 'recursive'], [], ['recursive'], ['clone', 'nofollow']];

const openTreeArb: fc.Arbitrary<PlanOp> = fc
  .tuple(treePathArb, fc.constantFrom(...OPEN_TREE_FLAGS))
  .map(([path, flags]): PlanOp => (flags.length ? { op: 'open_tree', path, flags: [...flags] } : { op: 'open_tree', path }));

/** A tree index: mostly one of the first few, -1 ("the last one made", see resolveIndices) often. */
const treeIndexArb = fc.oneof({ weight: 3, arbitrary: fc.constant(-1) }, { weight: 2, arbitrary: fc.nat(2) });
/** A user-namespace index: 0 (the plan's own), the last one made, or another. */
const usernsIndexArb = fc.oneof({ weight: 4, arbitrary: fc.constant(-1) }, { weight: 1, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat(3) });

const ATTRS: MountAttrName[] = ['rdonly', 'nosuid', 'nodev', 'noexec', 'nodiratime', 'nosymfollow'];
const ATIMES: MountAttrName[] = ['relatime', 'noatime', 'strictatime'];

/** attr_set and attr_clr: plain flags, an atime change done right (all of `atime` cleared) or not, an idmap. */
const attrsArb: fc.Arbitrary<{ attrSet?: MountAttrName[]; attrClr?: MountAttrName[] }> = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.subarray(ATTRS, { maxLength: 2 }), fc.subarray(ATTRS, { maxLength: 2 })).map(([attrSet, attrClr]) => ({ attrSet, attrClr })) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...ATIMES), fc.subarray(ATTRS, { maxLength: 1 })).map(([t, more]) => ({ attrSet: [t, ...more], attrClr: ['atime' as MountAttrName] })) },
  // Refused combinations: an atime set without clearing them all; a part of the mask; the mask set.
  { weight: 1, arbitrary: fc.constantFrom<{ attrSet?: MountAttrName[]; attrClr?: MountAttrName[] }>({ attrSet: ['noatime'] }, { attrSet: ['noatime'], attrClr: ['noatime'] }, { attrSet: ['atime'], attrClr: ['atime'] }, { attrClr: ['idmap'] }) },
  { weight: 4, arbitrary: fc.subarray<MountAttrName>(['rdonly', 'nosuid'], { maxLength: 1 }).map((more) => ({ attrSet: ['idmap' as MountAttrName, ...more] })) },
  { weight: 1, arbitrary: fc.constant({}) },
);

const propagationArb: fc.Arbitrary<PropagationName[] | undefined> = fc.oneof(
  { weight: 5, arbitrary: fc.constant(undefined) },
  { weight: 3, arbitrary: fc.constantFrom<PropagationName>('shared', 'private', 'slave', 'unbindable').map((p) => [p]) },
  { weight: 1, arbitrary: fc.constantFrom<PropagationName[]>(['shared', 'slave'], ['private', 'unbindable']).map((p) => [...p]) },
);

const SETATTR_FLAGS: MountSetattrFlagName[][] = [[], [], ['recursive'], ['nofollow']];

const mountSetattrArb: fc.Arbitrary<PlanOp> = fc
  .tuple(fc.oneof({ weight: 3, arbitrary: treeIndexArb.map((tree) => ({ tree })) }, { weight: 2, arbitrary: treePathArb.map((path) => ({ path })) }), fc.constantFrom(...SETATTR_FLAGS), attrsArb, propagationArb, usernsIndexArb)
  .map(([on, flags, attrs, propagation, userns]): PlanOp => ({
    op: 'mount_setattr',
    ...on,
    ...(flags.length ? { flags: [...flags] } : {}),
    ...(attrs.attrSet?.length ? { attrSet: attrs.attrSet } : {}),
    ...(attrs.attrClr?.length ? { attrClr: attrs.attrClr } : {}),
    ...(propagation ? { propagation } : {}),
    ...(attrs.attrSet?.includes('idmap') || attrs.attrClr?.includes('idmap') ? { userns } : {}),
  }));

const moveMountArb: fc.Arbitrary<PlanOp> = fc
  .tuple(fc.oneof({ weight: 3, arbitrary: treeIndexArb.map((tree) => ({ tree })) }, { weight: 1, arbitrary: treePathArb.map((from) => ({ from })) }), treePathArb)
  .map(([from, to]): PlanOp => ({ op: 'move_mount', ...from, to }));

/** Identities among the ids the maps name: a mapped root, mapped users, an unmapped one. */
const setcredArb: fc.Arbitrary<PlanOp> = fc
  .tuple(fc.constantFrom(0, 1000, 10000, 10005, 100000, 100005, 2000), fc.constantFrom(0, 1000, 10000, 10006, 100000, 2000), fc.constantFrom<CapFlagName[]>([], ['chown', 'fowner', 'dac_override'], ['sys_admin', 'setuid', 'setgid'], ['setuid', 'setgid']))
  .map(([uid, gid, caps]): PlanOp => ({ op: 'setcred', uid, gid, caps: [...caps] }));

/** One op of this profile's own. */
const usernsOpArb: fc.Arbitrary<PlanOp> = fc.oneof(
  { weight: 3, arbitrary: unshareUserArb },
  { weight: 3, arbitrary: usernsArb },
  { weight: 4, arbitrary: openTreeArb },
  { weight: 6, arbitrary: mountSetattrArb },
  { weight: 4, arbitrary: moveMountArb },
  { weight: 2, arbitrary: setcredArb },
);

const dirArb = fc.constantFrom(...VOCABULARY_DIRS);

/** Short flows that runtimes run, so that random plans reach what lies behind them. */
const recipeArb: fc.Arbitrary<PlanOp[]> = fc.oneof(
  {
    // containerd's idmapped rootfs: GetUsernsFD, open_tree clone, idmap, attach.
    weight: 4,
    arbitrary: fc
      .tuple(fc.constantFrom(...VALID_MAPS), fc.constantFrom('/', ...VOCABULARY_DIRS), fc.boolean(), dirArb, fc.constantFrom<MountAttrName[]>([], ['rdonly'], ['nosuid']))
      .map(([map, source, recursive, target, more]): PlanOp[] => [
        { op: 'userns', uidMap: map, gidMap: map },
        { op: 'open_tree', path: source, flags: recursive ? ['clone', 'recursive'] : ['clone'] },
        { op: 'mount_setattr', tree: -1, ...(recursive ? { flags: ['recursive' as MountSetattrFlagName] } : {}), attrSet: ['idmap', ...more], userns: -1 },
        { op: 'move_mount', tree: -1, to: target },
      ]),
  },
  {
    // A runtime's user-namespaced container: user and mount namespaces, full maps, a tmpfs.
    weight: 3,
    arbitrary: fc.tuple(fc.constantFrom(...VALID_MAPS), dirArb, fc.boolean()).map(([map, target, deny]): PlanOp[] => [
      { op: 'unshare', flags: ['user', 'mnt'], ...(deny ? { setgroups: 'deny' as const } : {}), uidMap: map, gidMap: map },
      { op: 'mount', source: 'u', target, fstype: 'tmpfs', flags: [] },
    ]),
  },
  {
    // runc's init in a user namespace: the host's proc fully visible, unshare(CLONE_NEWUSER) with
    // maps, then the other namespaces (with or without ipc and pid), and the init's proc and
    // mqueue, which only a PID / IPC namespace of the new user namespace lets it mount. The
    // mounts go on directories of their own, outside the vocabulary the outcome lists, since
    // proc's top level is the machine's.
    weight: 3,
    arbitrary: fc
      .tuple(fc.constantFrom(...VALID_MAPS), fc.boolean(), fc.boolean(), fc.boolean(), fc.boolean())
      .map(([map, hostProc, ipc, pid, net]): PlanOp[] => [
        { op: 'mkdir', path: '/hp' },
        { op: 'mkdir', path: '/cp' },
        { op: 'mkdir', path: '/cq' },
        ...(hostProc ? [{ op: 'mount', source: 'proc', target: '/hp', fstype: 'proc', flags: ['nosuid', 'nodev', 'noexec'] } as PlanOp] : []),
        { op: 'unshare', flags: ['user'], uidMap: map, gidMap: map },
        { op: 'unshare', flags: ['mnt', ...(net ? ['net' as const] : []), ...(ipc ? ['ipc' as const] : []), ...(pid ? ['pid' as const] : [])] },
        { op: 'mount', source: 'proc', target: '/cp', fstype: 'proc', flags: [] },
        { op: 'mount', source: 'mqueue', target: '/cq', fstype: 'mqueue', flags: [] },
      ]),
  },
  {
    // A detached clone changed before it is attached (flags, propagation), then moved again.
    weight: 2,
    arbitrary: fc.tuple(fc.constantFrom('/', ...VOCABULARY_DIRS), attrsArb, propagationArb, dirArb, dirArb).map(([source, attrs, propagation, to, again]): PlanOp[] => [
      { op: 'open_tree', path: source, flags: ['clone', 'recursive'] },
      { op: 'mount_setattr', tree: -1, flags: ['recursive'], ...(attrs.attrSet?.length ? { attrSet: attrs.attrSet } : {}), ...(attrs.attrClr?.length ? { attrClr: attrs.attrClr } : {}), ...(propagation ? { propagation } : {}), ...(attrs.attrSet?.includes('idmap') ? { userns: -1 } : {}) },
      { op: 'move_mount', tree: -1, to },
      { op: 'move_mount', tree: -1, to: again },
    ]),
  },
);

/**
 * Turns the relative indices recipes use into the plan's numbers: a tree index -1 is the last
 * `open_tree` before the op (0 when none), a user-namespace index -1 the last namespace made
 * (0, the plan's own, when none).
 */
export function resolveIndices(ops: PlanOp[]): PlanOp[] {
  let trees = 0;
  let userns = 1;
  return ops.map((op) => {
    let out = op;
    if ((op.op === 'mount_setattr' || op.op === 'move_mount') && op.tree !== undefined && op.tree < 0) out = { ...out, tree: Math.max(0, trees - 1) } as PlanOp;
    if (op.op === 'mount_setattr' && op.userns !== undefined && op.userns < 0) out = { ...out, userns: userns - 1 } as PlanOp;
    if (op.op === 'open_tree') trees++;
    if (makesUserns(op)) userns++;
    return out;
  });
}

/** This profile's steps: the default profile's ops, its own, and recipes. */
const stepArb = (opts: PlanArbitraryOptions): fc.Arbitrary<PlanOp[]> =>
  fc.oneof({ weight: 6, arbitrary: opArb(opts).map((op) => [op]) }, { weight: 5, arbitrary: usernsOpArb.map((op) => [op]) }, { weight: 3, arbitrary: recipeArb });

/**
 * Random `userns` plans: PREFIX, up to `maxOps` random ops (single ops and recipes), SUFFIX.
 *
 * @example
 * ```ts
 * fc.sample(usernsPlanArbitrary({ maxOps: 20 }), 1)[0].ops; // [...PREFIX, { op: 'userns', … }, …, ...SUFFIX]
 * ```
 */
export function usernsPlanArbitrary(opts: PlanArbitraryOptions = {}): fc.Arbitrary<Plan> {
  const maxOps = opts.maxOps ?? 25;
  return fc
    .array(stepArb(opts), { minLength: 1, maxLength: maxOps, size: 'max' })
    .map((steps): Plan => ({ version: 1, ops: [...PREFIX, ...resolveIndices(steps.flat().slice(0, maxOps)), ...SUFFIX] }));
}
