/**
 * cgroup (v1) and cgroup2 (kernel/cgroup/cgroup.c, cgroup-v1.c) as far as mounting needs.
 *
 * cgroup2 has one hierarchy, made at boot: every mount shares its superblock. Its options
 * (nsdelegate, favordynmods, memory_localevents, memory_recursiveprot, memory_hugetlb_accounting,
 * pids_localevents) belong to that one root: a mount or remount in the initial cgroup namespace
 * sets the ones it names and clears the others (apply_cgroup_root_flags; measured: mounting
 * cgroup2 without options clears the host's nsdelegate), and mountinfo shows them on every mount.
 *
 * cgroup v1 hierarchies are machine-wide too; which exist depends on the host (`CgroupLayout`:
 * the emulated default is a cgroup v2-only machine, with every controller busy on cgroup2). A
 * mount names controllers and/or `name=`; cgroup1_get_tree() reuses the hierarchy whose name and
 * controller set match (EBUSY when the name matches and the set does not), otherwise makes a new
 * one, which needs every named controller free (EBUSY) and a controller list or `none` (EINVAL).
 *
 * Both trees are kernfs directories of mode 0555 at the root with the core interface files; mkdir
 * makes a child cgroup, rmdir removes one without children (EBUSY otherwise). Controller files
 * and the cgroup namespace's view (mountinfo's root field inside a cgroup namespace) are not
 * modelled.
 */
import { errno } from '../../vfs/errno.js';
import type { FileSystemType, FsContext } from '../../vfs/inode.js';
import { parseMountData, type FsParam } from '../../vfs/mount-options.js';
import { dir, file, SimpleInode, type DirPolicy, type TreeSpec } from '../libfs/simple.js';
import { PseudoSuperBlock } from '../libfs/super.js';

export const CGROUP_SUPER_MAGIC = 0x27e0eb;
export const CGROUP2_SUPER_MAGIC = 0x63677270;

/** v1 controllers by their legacy names, in subsystem id order (the order mountinfo lists them). */
export const CGROUP_V1_SUBSYSTEMS = [
  'cpuset', 'cpu', 'cpuacct', 'blkio', 'memory', 'devices', 'freezer', 'net_cls', 'perf_event',
  'net_prio', 'hugetlb', 'pids', 'rdma', 'misc',
] as const;

/** cgroup2 root flags in cgroup_show_options() order. */
export const CGROUP2_FLAGS = ['nsdelegate', 'favordynmods', 'memory_localevents', 'memory_recursiveprot', 'memory_hugetlb_accounting', 'pids_localevents'] as const;

/** v1 root flags in cgroup1_show_options() order (clone_children is shown after release_agent). */
const V1_FLAGS = ['noprefix', 'xattr', 'cpuset_v2_mode', 'favordynmods'] as const;

/** One v1 hierarchy of the machine. */
export interface CgroupV1Hierarchy {
  subsystems: string[];
  name?: string;
  /** noprefix, xattr, cpuset_v2_mode, favordynmods, clone_children. */
  flags?: string[];
  releaseAgent?: string;
}

/** The machine's cgroup setup, read from the host (src/host/host-facts.ts) or assumed. */
export interface CgroupLayout {
  /** v1 hierarchies that exist (mounted somewhere on the host). */
  hierarchies: CgroupV1Hierarchy[];
  /** Controllers this kernel has (/proc/cgroups, enabled). */
  enabled: string[];
  /** Controllers a new v1 hierarchy may take (not bound elsewhere, not in use on cgroup2). */
  free: string[];
  /** cgroup2 root flags at boot. */
  v2Flags: string[];
}

/** A cgroup v2-only machine (systemd's default): every controller on cgroup2 and in use there. */
export const V2_ONLY_LAYOUT: CgroupLayout = { hierarchies: [], enabled: [...CGROUP_V1_SUBSYSTEMS], free: [], v2Flags: [] };

const V1_CORE_FILES = ['cgroup.clone_children', 'cgroup.procs', 'notify_on_release', 'tasks'];
const V2_CORE_FILES = [
  'cgroup.controllers', 'cgroup.events', 'cgroup.freeze', 'cgroup.kill', 'cgroup.max.depth', 'cgroup.max.descendants',
  'cgroup.procs', 'cgroup.stat', 'cgroup.subtree_control', 'cgroup.threads', 'cgroup.type',
];
const V2_ROOT_FILES = ['cgroup.controllers', 'cgroup.max.depth', 'cgroup.max.descendants', 'cgroup.pressure', 'cgroup.procs', 'cgroup.stat', 'cgroup.subtree_control', 'cgroup.threads'];

function files(names: readonly string[]): Record<string, TreeSpec> {
  return Object.fromEntries(names.map((n) => [n, file('', 0o644)]));
}

/** A hierarchy's mkdir/rmdir: children are cgroups with the core files. */
function cgroupDirs(childFiles: readonly string[]): DirPolicy {
  const policy: DirPolicy = {
    refuse: 'EPERM',
    mkdir: (d, _name, mode, uid, gid) => SimpleInode.build(d.sb, { dir: files(childFiles), mode, uid, gid, policy }),
    rmdir: (_d, _name, victim) => {
      // cgroup_destroy_locked(): not while it has child cgroups.
      for (const c of victim.entries!.values()) if (c.entries) throw errno('EBUSY');
    },
  };
  return policy;
}

export class Cgroup2SuperBlock extends PseudoSuperBlock {
  readonly root: SimpleInode;
  rootFlags: Set<string>;

  constructor(type: FileSystemType, ctx: FsContext, flags: readonly string[]) {
    super(type, ctx, 0, CGROUP2_SUPER_MAGIC);
    this.rootFlags = new Set(flags);
    this.root = SimpleInode.build(this, dir(files(V2_ROOT_FILES), 0o555, cgroupDirs(V2_CORE_FILES)));
  }

  /** cgroup2_parse_param() then apply_cgroup_root_flags(): the named flags set, the others cleared. */
  protected override applyParams(params: readonly FsParam[]): void {
    this.rootFlags = parseCgroup2Flags(params);
  }

  override showOptions(): string {
    return CGROUP2_FLAGS.filter((f) => this.rootFlags.has(f))
      .map((f) => `,${f}`)
      .join('');
  }
}

function parseCgroup2Flags(params: readonly FsParam[]): Set<string> {
  const out = new Set<string>();
  for (const { key, value } of params) {
    if (!(CGROUP2_FLAGS as readonly string[]).includes(key) || value !== undefined) throw errno('EINVAL');
    out.add(key);
  }
  return out;
}

/** What a v1 mount asks for (cgroup1_parse_param + cgroup1_validate). */
interface V1Request {
  mask: Set<string>;
  none: boolean;
  name?: string;
  flags: Set<string>;
  releaseAgent?: string;
}

function parseV1(params: readonly FsParam[], layout: CgroupLayout): V1Request {
  const r: V1Request = { mask: new Set(), none: false, flags: new Set() };
  let all = false;
  for (const { key, value } of params) {
    if (key === 'name' || key === 'release_agent') {
      if (value === undefined) throw errno('EINVAL');
      if (key === 'release_agent') r.releaseAgent = value;
      else {
        // Names are at most 63 characters of [A-Za-z0-9_.-], and not empty.
        if (!/^[\w.-]{1,63}$/.test(value)) throw errno('EINVAL');
        r.name = value;
      }
      continue;
    }
    if (value !== undefined) throw errno('EINVAL');
    if (key === 'none') r.none = true;
    else if (key === 'all') all = true;
    else if (key === 'clone_children' || (V1_FLAGS as readonly string[]).includes(key)) r.flags.add(key);
    else if (key === 'nofavordynmods') r.flags.delete('favordynmods');
    else if (layout.enabled.includes(key)) r.mask.add(key);
    else throw errno('EINVAL');
  }
  // cgroup1_validate()
  if (!r.mask.size && !r.none && !r.name) all = true;
  if (all) {
    if (r.mask.size || r.none) throw errno('EINVAL');
    for (const s of layout.enabled) r.mask.add(s);
  }
  if (r.none && r.mask.size) throw errno('EINVAL');
  if (r.flags.has('noprefix') && [...r.mask].some((s) => s !== 'cpuset')) throw errno('EINVAL');
  if (!r.mask.size && !r.name) throw errno('EINVAL');
  return r;
}

const sameSet = (a: ReadonlySet<string>, b: readonly string[]): boolean => a.size === b.length && b.every((x) => a.has(x));

export class CgroupV1SuperBlock extends PseudoSuperBlock {
  readonly root: SimpleInode;

  constructor(
    type: FileSystemType,
    ctx: FsContext,
    readonly hierarchy: CgroupV1Hierarchy,
  ) {
    super(type, ctx, 0, CGROUP_SUPER_MAGIC);
    const rootFiles = [...V1_CORE_FILES, 'cgroup.sane_behavior', 'release_agent'];
    this.root = SimpleInode.build(this, dir(files(rootFiles), 0o555, cgroupDirs(V1_CORE_FILES)));
  }

  /** cgroup1_reconfigure(): the controller set and name cannot change (EINVAL). */
  protected override applyParams(params: readonly FsParam[]): void {
    if (params.length === 0) return;
    const r = parseV1(params, { hierarchies: [], enabled: [...CGROUP_V1_SUBSYSTEMS], free: [], v2Flags: [] });
    if (!sameSet(r.mask, this.hierarchy.subsystems) || (r.name !== undefined && r.name !== this.hierarchy.name)) throw errno('EINVAL');
  }

  /** cgroup1_show_options(). */
  override showOptions(): string {
    const h = this.hierarchy;
    const flags = new Set(h.flags ?? []);
    let s = CGROUP_V1_SUBSYSTEMS.filter((x) => h.subsystems.includes(x))
      .map((x) => `,${x}`)
      .join('');
    for (const f of V1_FLAGS) if (flags.has(f)) s += `,${f}`;
    if (h.releaseAgent) s += `,release_agent=${h.releaseAgent}`;
    if (flags.has('clone_children')) s += ',clone_children';
    if (h.name) s += `,name=${h.name}`;
    return s;
  }
}

/**
 * The `cgroup2` filesystem type (one per kernel: the default hierarchy).
 *
 * @example
 * ```ts
 * p.mount('cgroup2', '/sys/fs/cgroup', 'cgroup2', 0, 'nsdelegate'); // "- cgroup2 cgroup2 rw,nsdelegate"
 * ```
 */
export function cgroup2Type(layout: CgroupLayout = V2_ONLY_LAYOUT): FileSystemType {
  let sb: Cgroup2SuperBlock | undefined;
  const type: FileSystemType = {
    name: 'cgroup2',
    mount(ctx, _source, flags, data) {
      const { params } = parseMountData(data, flags);
      const flagsAsked = parseCgroup2Flags(params);
      sb ??= new Cgroup2SuperBlock(type, ctx, layout.v2Flags);
      sb.rootFlags = flagsAsked;
      return sb;
    },
  };
  return type;
}

/**
 * The `cgroup` (v1) filesystem type over a machine's hierarchies (default: none, a v2-only host).
 *
 * @example
 * ```ts
 * const t = cgroupType({ ...V2_ONLY_LAYOUT, free: ['cpu'] });
 * // mount -t cgroup -o cpu: a new hierarchy, "- cgroup cgroup rw,cpu"; again: the same superblock
 * ```
 */
export function cgroupType(layout: CgroupLayout = V2_ONLY_LAYOUT): FileSystemType {
  const hierarchies = layout.hierarchies.map((h) => ({ h, sb: undefined as CgroupV1SuperBlock | undefined }));
  const free = new Set(layout.free);
  const type: FileSystemType = {
    name: 'cgroup',
    mount(ctx, _source, flags, data) {
      const { params } = parseMountData(data, flags);
      const r = parseV1(params, layout);
      // cgroup1_get_tree(): an existing hierarchy whose name (if asked) and set (if asked) match.
      for (const e of hierarchies) {
        let nameMatch = false;
        if (r.name !== undefined) {
          if (r.name !== e.h.name) continue;
          nameMatch = true;
        }
        if ((r.mask.size || r.none) && !sameSet(r.mask, e.h.subsystems)) {
          if (!nameMatch) continue;
          throw errno('EBUSY');
        }
        return (e.sb ??= new CgroupV1SuperBlock(type, ctx, e.h));
      }
      if (!r.mask.size && !r.none) throw errno('EINVAL');
      // rebind_subsystems(): every controller must be free to move to the new hierarchy.
      for (const s of r.mask) if (!free.has(s)) throw errno('EBUSY');
      for (const s of r.mask) free.delete(s);
      const h: CgroupV1Hierarchy = { subsystems: [...r.mask], name: r.name, flags: [...r.flags], releaseAgent: r.releaseAgent };
      const e = { h, sb: new CgroupV1SuperBlock(type, ctx, h) };
      hierarchies.push(e);
      return e.sb;
    },
  };
  return type;
}
