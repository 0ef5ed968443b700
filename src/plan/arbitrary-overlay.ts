/**
 * fast-check arbitraries for overlay plans, for the parity harness's `overlay` profile: layers
 * built on tmpfs inside the sandbox (one to five lower layers with files, directories and
 * symlinks, an upper and work directory or none, sometimes on a tmpfs of their own), the overlay
 * mounted with a random set of options, random ops through it — every copy-up trigger, removals
 * that leave whiteouts, directories made over whiteouts (opaque), renames of files and
 * directories, rmdir of merged directories, remounts and mounting the same layers again — and
 * a fixed suffix that looks at the merged view and at every layer directly, so that copy-up,
 * whiteouts and what is left in the work directory are compared too.
 *
 * Paths come from a small tree (a, b, c, d; a/x, a/y, b/x, b/y, c/x) shared by the layers and the
 * merged view, so that ops meet names that exist in some layers and not others. The work
 * directory's own entries are only counted (its size), never listed: their names come from a
 * counter the kernel shares between all overlays since boot.
 */
import fc from 'fast-check';
import type { CapFlagName, MountFlagName, Plan, PlanOp, RenameFlagName } from './plan.js';

/** Options of `overlayPlanArbitrary`. */
export interface OverlayArbitraryOptions {
  /** Random ops through the overlay a plan holds at most (layers, mount and suffix on top). */
  maxOps?: number;
}

/** Where the overlay is mounted, and its layers. */
export const OVERLAY_MOUNT = '/o';
const LOWERS = ['/l1', '/l2', '/l3', '/l4', '/l5'];
const TOP = ['a', 'b', 'c', 'd'] as const;
const SUB = ['x', 'y'] as const;
/** Every path of the tree, relative to a layer root or the mount point. */
export const OVERLAY_TREE = ['a', 'b', 'c', 'd', 'a/x', 'a/y', 'b/x', 'b/y', 'c/x'];
const TREE_DIRS = ['', 'a', 'b', 'c'];

const modeArb = fc.constantFrom(0o755, 0o700, 0o644, 0o600, 0o777, 0o1777, 0o2775, 0o4755, 0o000, 0o555);
const dataArb = fc.oneof({ weight: 8, arbitrary: fc.string({ maxLength: 8 }) }, { weight: 1, arbitrary: fc.constantFrom('z'.repeat(5000), 'é€😀') });
const symlinkTargetArb = fc.constantFrom('a', 'x', '../a', '/o/a', '/o/b/x', 'nope', '.', 'b/x');

type Entry = { kind: 'none' } | { kind: 'file'; data: string; mode: number } | { kind: 'dir'; mode: number } | { kind: 'symlink'; target: string };

const entryArb = (dirWeight: number): fc.Arbitrary<Entry> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constant<Entry>({ kind: 'none' }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('file' as const), data: dataArb, mode: modeArb }) },
    { weight: dirWeight, arbitrary: fc.record({ kind: fc.constant('dir' as const), mode: fc.constantFrom(0o755, 0o755, 0o700, 0o1777, 0o2775, 0o555) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('symlink' as const), target: symlinkTargetArb }) },
  );

/** One layer's content: an entry for each top name, and for each of those that is a directory, its children. */
const layerArb = fc.tuple(fc.array(entryArb(5), { minLength: 4, maxLength: 4 }), fc.array(entryArb(1), { minLength: 5, maxLength: 5 }), fc.boolean(), fc.constantFrom(-1, 0, 1000));

function layerOps(root: string, [top, sub, link, owner]: [Entry[], Entry[], boolean, number]): PlanOp[] {
  const ops: PlanOp[] = [];
  const make = (path: string, e: Entry): void => {
    if (e.kind === 'file') ops.push({ op: 'write', path, data: e.data, mode: e.mode });
    else if (e.kind === 'dir') ops.push({ op: 'mkdir', path, mode: e.mode });
    else if (e.kind === 'symlink') ops.push({ op: 'symlink', target: e.target, path });
  };
  TOP.forEach((n, i) => make(`${root}/${n}`, top[i]!));
  // Children of a, b and c, where those are directories (else the op fails alike on both sides).
  ['a/x', 'a/y', 'b/x', 'b/y', 'c/x'].forEach((p, i) => {
    if (top[TOP.indexOf(p[0] as (typeof TOP)[number])]!.kind === 'dir') make(`${root}/${p}`, sub[i]!);
  });
  // A hard link in a lower layer: copy-up breaks it.
  if (link && top[0]!.kind === 'file' && top[3]!.kind === 'none') ops.push({ op: 'link', oldpath: `${root}/a`, newpath: `${root}/d` });
  if (owner >= 0 && top[1]!.kind !== 'none') ops.push({ op: 'chown', path: `${root}/b`, uid: owner, gid: owner });
  return ops;
}

/** Mount options beyond the layers: mostly none; some change what the kernel shows or does. */
const extraOptionArb = fc.oneof(
  { weight: 12, arbitrary: fc.constant<string[]>([]) },
  {
    weight: 6,
    arbitrary: fc.subarray(['userxattr', 'redirect_dir=on', 'redirect_dir=on', 'redirect_dir=nofollow', 'redirect_dir=off', 'redirect_dir=follow', 'uuid=off', 'uuid=null', 'uuid=on', 'xino=on', 'xino=auto', 'index=off', 'volatile', 'fsync=strict', 'default_permissions', 'metacopy=off', 'verity=on', 'ro', 'sync'], { maxLength: 2 }),
  },
  { weight: 1, arbitrary: fc.constantFrom<string[][]>(['bogus'], ['redirect_dir=bogus'], ['userxattr', 'redirect_dir=on'], ['lowerdir='], ['upperdir=/nope'], ['workdir=/u']).map((x) => [...x]) },
);

interface MountShape {
  lowers: number;
  upper: boolean;
  /** Lower layers (0), the upper and work directories (1), or both (2) on their own tmpfs. */
  ownFs: number;
  extra: string[];
  flags: MountFlagName[];
  /** `lowerdir+=` one a layer instead of `lowerdir=` with colons. */
  plusSyntax: boolean;
  /** Layer contents: one for each lower, and one for an upper that is not empty at mount. */
  layers: [Entry[], Entry[], boolean, number][];
  preUpper: boolean;
}

const mountShapeArb: fc.Arbitrary<MountShape> = fc
  .record({
    lowers: fc.oneof({ weight: 2, arbitrary: fc.constant(1) }, { weight: 4, arbitrary: fc.constant(2) }, { weight: 3, arbitrary: fc.constant(3) }, { weight: 1, arbitrary: fc.integer({ min: 4, max: 5 }) }),
    upper: fc.oneof({ weight: 5, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    ownFs: fc.constantFrom(-1, -1, -1, -1, 0, 1, 2),
    extra: extraOptionArb,
    flags: fc.oneof({ weight: 8, arbitrary: fc.constant<MountFlagName[]>([]) }, { weight: 1, arbitrary: fc.constantFrom<MountFlagName[]>(['rdonly'], ['nosuid', 'nodev'], ['noatime'], ['rdonly', 'noexec']) }),
    plusSyntax: fc.oneof({ weight: 8, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    layers: fc.array(layerArb, { minLength: 6, maxLength: 6 }),
    preUpper: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  })
  .map((s) => ({ ...s, upper: s.upper || s.lowers === 1 }));

/** The mount(2) data string of a shape. */
function mountData(s: MountShape): string {
  const lowers = LOWERS.slice(0, s.lowers);
  const parts = s.plusSyntax ? lowers.map((l) => `lowerdir+=${l}`) : [`lowerdir=${lowers.join(':')}`];
  if (s.upper) parts.push('upperdir=/u', 'workdir=/w');
  return [...parts, ...s.extra].join(',');
}

/** The layers built, then the overlay mounted (and kept as the op that mounts it again). */
type MountOp = Extract<PlanOp, { op: 'mount' }>;

function setup(s: MountShape): { ops: PlanOp[]; mount: MountOp } {
  const ops: PlanOp[] = [];
  const lowers = LOWERS.slice(0, s.lowers);
  for (const d of [...lowers, '/u', '/w', OVERLAY_MOUNT]) ops.push({ op: 'mkdir', path: d });
  // A layer on a tmpfs of its own: another filesystem under the overlay (numfs, xino, uuid).
  if (s.ownFs === 0 || s.ownFs === 2) ops.push({ op: 'mount', source: 'lower', target: '/l2', fstype: 'tmpfs', flags: [] });
  const ownUpper = s.ownFs === 1 || s.ownFs === 2;
  let data = mountData(s);
  if (ownUpper) {
    // Upper and work directories must share a mount: both go inside the upper's own tmpfs.
    ops.push({ op: 'mount', source: 'upper', target: '/u', fstype: 'tmpfs', flags: [] }, { op: 'mkdir', path: '/u/w' }, { op: 'mkdir', path: '/u/u' });
    data = data.replace('upperdir=/u,workdir=/w', 'upperdir=/u/u,workdir=/u/w');
  }
  lowers.forEach((l, i) => ops.push(...layerOps(l, s.layers[i]!)));
  if (s.preUpper) ops.push(...layerOps(ownUpper ? '/u/u' : '/u', s.layers[5]!));
  const mount: MountOp = { op: 'mount', source: 'overlay', target: OVERLAY_MOUNT, fstype: 'overlay', flags: s.flags, data };
  ops.push(mount);
  return { ops, mount };
}

const nameArb = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom(...OVERLAY_TREE) },
  { weight: 2, arbitrary: fc.constantFrom('e', 'a/z', 'd/x', 'a/x/y', 'x') },
  { weight: 1, arbitrary: fc.constantFrom('', '.', 'a/..', 'b/', 'a/x/') },
);
/** A path through the overlay. */
const opathArb = nameArb.map((n) => (n === '' ? OVERLAY_MOUNT : `${OVERLAY_MOUNT}/${n}`));

const CAPS: CapFlagName[] = ['chown', 'dac_override', 'dac_read_search', 'fowner', 'fsetid', 'sys_admin', 'mknod'];

/** Ops through the overlay, weighted towards copy-up triggers, removals and renames. */
function overlayOpArb(mount: MountOp): fc.Arbitrary<PlanOp[]> {
  const one = (a: fc.Arbitrary<PlanOp>): fc.Arbitrary<PlanOp[]> => a.map((op) => [op]);
  return fc.oneof(
    { weight: 8, arbitrary: one(fc.record({ op: fc.constant('write' as const), path: opathArb, data: dataArb, mode: modeArb })) },
    { weight: 4, arbitrary: one(fc.record({ op: fc.constant('truncate' as const), path: opathArb, length: fc.constantFrom(0, 1, 3, 4096, 9000) })) },
    { weight: 4, arbitrary: one(fc.record({ op: fc.constant('chmod' as const), path: opathArb, mode: modeArb })) },
    { weight: 3, arbitrary: one(fc.record({ op: fc.constant('chown' as const), path: opathArb, uid: fc.constantFrom(0, 1000, -1), gid: fc.constantFrom(0, 1000, -1) })) },
    { weight: 4, arbitrary: one(fc.record({ op: fc.constant('link' as const), oldpath: opathArb, newpath: opathArb })) },
    { weight: 8, arbitrary: one(fc.record({ op: fc.constant('unlink' as const), path: opathArb })) },
    { weight: 8, arbitrary: one(fc.record({ op: fc.constant('rmdir' as const), path: opathArb })) },
    // Recipes: a merged directory emptied (its lower entries whited out) and removed, or removed
    // and made again over its whiteout (opaque); a name whited out and renamed onto.
    {
      weight: 4,
      arbitrary: fc.constantFrom(...TREE_DIRS.filter((d) => d)).chain((d) =>
        fc.constantFrom<PlanOp[]>(
          [...SUB.map((x): PlanOp => ({ op: 'unlink', path: `${OVERLAY_MOUNT}/${d}/${x}` })), ...SUB.map((x): PlanOp => ({ op: 'rmdir', path: `${OVERLAY_MOUNT}/${d}/${x}` })), { op: 'rmdir', path: `${OVERLAY_MOUNT}/${d}` }],
          [...SUB.map((x): PlanOp => ({ op: 'unlink', path: `${OVERLAY_MOUNT}/${d}/${x}` })), { op: 'rmdir', path: `${OVERLAY_MOUNT}/${d}` }, { op: 'mkdir', path: `${OVERLAY_MOUNT}/${d}` }, { op: 'readdir', path: `${OVERLAY_MOUNT}/${d}` }],
          [{ op: 'unlink', path: `${OVERLAY_MOUNT}/d` }, { op: 'rename', oldpath: `${OVERLAY_MOUNT}/${d}`, newpath: `${OVERLAY_MOUNT}/d` }],
          [{ op: 'mkdir', path: `${OVERLAY_MOUNT}/e` }, { op: 'rename', oldpath: `${OVERLAY_MOUNT}/e`, newpath: `${OVERLAY_MOUNT}/${d}` }, { op: 'readdir', path: `${OVERLAY_MOUNT}/${d}` }],
        ),
      ),
    },
    { weight: 6, arbitrary: one(fc.record({ op: fc.constant('mkdir' as const), path: opathArb, mode: fc.constantFrom(0o755, 0o700, 0o2775, 0o1777) })) },
    { weight: 2, arbitrary: one(fc.record({ op: fc.constant('symlink' as const), target: symlinkTargetArb, path: opathArb })) },
    {
      weight: 10,
      arbitrary: one(
        fc.record({
          op: fc.constant('rename' as const),
          oldpath: opathArb,
          newpath: opathArb,
          flags: fc.constantFrom<RenameFlagName[][]>([], [], [], ['noreplace'], ['exchange']).map((f) => [...f]),
        }),
      ),
    },
    { weight: 2, arbitrary: one(fc.record({ op: fc.constant('stat' as const), path: opathArb, nofollow: fc.boolean() })) },
    { weight: 2, arbitrary: one(fc.record({ op: fc.constant('read' as const), path: opathArb })) },
    { weight: 2, arbitrary: one(fc.record({ op: fc.constant('readdir' as const), path: opathArb })) },
    // Remounts of the overlay, and the same layers mounted again (whiteouts, opaque directories
    // and the work directory's leftovers meet a new instance).
    {
      weight: 1,
      arbitrary: fc.constantFrom<PlanOp[]>(
        [{ op: 'mount', source: '', target: OVERLAY_MOUNT, fstype: '', flags: ['remount', 'rdonly'] }],
        [{ op: 'mount', source: '', target: OVERLAY_MOUNT, fstype: '', flags: ['remount'], data: 'bogus' }],
        [{ op: 'mount', source: '', target: OVERLAY_MOUNT, fstype: '', flags: ['remount', 'bind', 'rdonly'] }],
        [{ op: 'umount', target: OVERLAY_MOUNT }, mount],
        [{ op: 'umount', target: OVERLAY_MOUNT }, { ...mount, data: (mount.data ?? '').replace(/lowerdir=[^,]*/, 'lowerdir=/l1') }],
        [mount],
        [{ op: 'mount', source: '/o/a', target: '/o/b', fstype: '', flags: ['bind'] }],
      ),
    },
    // Another overlay with this one as a lower layer (stacking), or over the same upper.
    {
      weight: 1,
      arbitrary: fc.constantFrom<PlanOp[]>(
        [{ op: 'mkdir', path: '/s' }, { op: 'mount', source: 'stack', target: '/s', fstype: 'overlay', flags: [], data: 'lowerdir=/o:/l1' }, { op: 'readdir', path: '/s' }, { op: 'readdir', path: '/s/a' }],
        [{ op: 'mkdir', path: '/s' }, { op: 'mkdir', path: '/s2' }, { op: 'mount', source: 'again', target: '/s', fstype: 'overlay', flags: [], data: 'lowerdir=/l1,upperdir=/u,workdir=/s2' }],
      ),
    },
    {
      weight: 1,
      arbitrary: fc.record({ uid: fc.constantFrom(1000, 0), gid: fc.constantFrom(1000, 0), caps: fc.subarray(CAPS, { maxLength: 3 }) }).map((c): PlanOp[] => [{ op: 'setcred', uid: c.uid, gid: c.gid, caps: [...c.caps] }]),
    },
  );
}

/** The fixed end: the merged view, then every layer, looked at directly. */
function suffix(s: MountShape): PlanOp[] {
  const ops: PlanOp[] = [];
  const ownUpper = s.ownFs === 1 || s.ownFs === 2;
  const upper = ownUpper ? '/u/u' : '/u';
  const work = ownUpper ? '/u/w' : '/w';
  const views = [OVERLAY_MOUNT, ...(s.upper ? [upper] : []), ...LOWERS.slice(0, s.lowers)];
  for (const v of views) {
    for (const d of TREE_DIRS) ops.push({ op: 'readdir', path: d ? `${v}/${d}` : v });
    for (const p of OVERLAY_TREE) ops.push({ op: 'stat', path: `${v}/${p}`, nofollow: true });
    ops.push({ op: 'stat', path: v, nofollow: true });
  }
  for (const v of [OVERLAY_MOUNT, ...(s.upper ? [upper] : [])]) for (const p of ['a', 'b', 'c', 'd', 'a/x', 'b/x']) ops.push({ op: 'read', path: `${v}/${p}` });
  if (s.upper) ops.push({ op: 'readdir', path: work }, { op: 'stat', path: `${work}/work`, nofollow: true });
  return ops;
}

/**
 * Random overlay plans: layers, the mount, up to `maxOps` random steps through the overlay, and
 * the suffix. Shrinking simplifies the steps and the layers.
 *
 * @example
 * ```ts
 * fc.assert(fc.property(overlayPlanArbitrary({ maxOps: 20 }), (plan) => check(plan)));
 * ```
 */
export function overlayPlanArbitrary(opts: OverlayArbitraryOptions = {}): fc.Arbitrary<Plan> {
  const maxOps = opts.maxOps ?? 25;
  return mountShapeArb.chain((s) => {
    const { ops, mount } = setup(s);
    return fc
      .array(overlayOpArb(mount), { minLength: 1, maxLength: maxOps })
      .map((steps): Plan => ({ version: 1, ops: [...ops, ...steps.flat(), ...suffix(s)] }));
  });
}
