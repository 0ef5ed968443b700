/**
 * What a runc dry-run needs to know about the host it predicts for, beyond the bundle: the cgroup
 * setup (runc mounts cgroup v1 as binds of the host's own hierarchies, cgroup v2 as a mount) and
 * the cgroups runc runs in (a relative cgroupsPath lies under them),
 * whether /proc/kcore exists (runc links /dev/core to it only then), and which top-level /proc
 * entries the kernel has (runc's maskedPaths skip the missing ones), and the host's mount table:
 * a bind mount is a view of a mount that exists on the host, and the container's line for it (and
 * for the rootfs, which runc rbinds) inherits that mount's filesystem, source, super options,
 * per-mount flags, root and propagation (src/boot/host-mounts.ts reproduces them).
 * src/host/host-facts.ts reads them on Linux; otherwise `ASSUMED_HOST` stands in and the dry-run
 * says so. The assumed host has no mount table: every host path then lies on the sandbox's root,
 * a tmpfs `none` mounted with mode=755 (docs/plan-format.md), and nothing above it.
 */
import { CGROUP_V1_SUBSYSTEMS, cgroup2Type, cgroupType, type CgroupLayout, type CgroupV1Hierarchy } from '../fs/cgroup/cgroup.js';
import { procType, REFERENCE_PROC_ENTRIES, type ProcEntry } from '../fs/proc/proc.js';
import { hostStandinType } from '../fs/tmpfs/host-standin.js';
import type { FileSystemType } from '../vfs/inode.js';
import { clean, join, rel } from './paths.js';

/** One cgroup v1 hierarchy mounted on the host, as /proc/self/mountinfo shows it. */
export interface HostCgroupMount {
  mountpoint: string;
  /** mountinfo's root field (the cgroup namespace's view). */
  root: string;
  /** The super options without rw/ro: `cpu,cpuacct`, `name=systemd`, `xattr,name=systemd`. */
  options: string;
}

/**
 * One line of the host's /proc/self/mountinfo (proc(5)), fields unmangled: the host facts a bind
 * mount's line inherits. Kept as the kernel words them, so that a recording reads as mountinfo.
 */
export interface HostMount {
  id: number;
  parent: number;
  /** MAJ:MIN (mounts of one superblock share it). */
  dev: string;
  /** The mount's root within its filesystem. */
  root: string;
  mountpoint: string;
  /** Per-mount options: `rw,nosuid,nodev,relatime`. */
  options: string;
  /** The optional fields, space-separated: `shared:1`, `master:3`, `shared:2 master:1`, `unbindable`, or ``. */
  optional: string;
  fstype: string;
  source: string;
  /** Super options: `rw,size=1024k,mode=750`. */
  superOptions: string;
}

export interface HostFacts {
  /** Read on this machine, assumed (a common modern host), or read from a file (`--host-facts`). */
  source: 'host' | 'assumed' | 'file';
  /** Whether /sys/fs/cgroup is cgroup2 (runc's IsCgroup2UnifiedMode). */
  cgroupUnified: boolean;
  /** cgroup v1 hierarchies in mountinfo order (what runc's GetCgroupMounts lists). */
  cgroupV1: HostCgroupMount[];
  /** cgroup2 root flags (nsdelegate, …) as the host's mountinfo shows them. */
  cgroup2Flags: string[];
  /** Controllers the kernel has (/proc/cgroups). */
  cgroupControllers: string[];
  /**
   * The cgroup runc itself runs in, by controller (`memory`, `name=systemd`; /proc/self/cgroup):
   * a relative cgroupsPath, or none, puts the container under it. A missing entry is `/`.
   */
  selfCgroup: Record<string, string>;
  /** /proc/kcore exists (CONFIG_PROC_KCORE). */
  kcore: boolean;
  /** /proc's top level, pid directories aside. */
  procEntries: readonly ProcEntry[];
  /**
   * The host's mount table (its /proc/self/mountinfo, in order), or the part of it a prediction
   * used (`mountsBehind`): what the rootfs and the bind sources live on. Empty: not known, and
   * every host path lies on the sandbox's root tmpfs.
   */
  mounts: HostMount[];
}

/** A cgroup v2-only host with a distribution kernel: what vfsemu assumes when it cannot look. */
export const ASSUMED_HOST: HostFacts = {
  source: 'assumed',
  cgroupUnified: true,
  cgroupV1: [],
  cgroup2Flags: [],
  cgroupControllers: [...CGROUP_V1_SUBSYSTEMS],
  selfCgroup: {},
  kcore: true,
  procEntries: [...REFERENCE_PROC_ENTRIES, { name: 'kcore', kind: 'file', mode: 0o400 }, { name: 'sysrq-trigger', kind: 'file', mode: 0o200 }],
  mounts: [],
};

/** show_mountinfo()'s mangle() undone: `\040` and the like back to their characters. */
const unmangle = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/**
 * A mountinfo text (proc(5)) as host mounts, in order; lines that are not mountinfo's are skipped.
 *
 * @example
 * ```ts
 * parseMountinfo('27 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw,discard')[0];
 * // { id: 27, parent: 1, dev: '254:0', root: '/', mountpoint: '/', options: 'rw,relatime', optional: 'shared:1', fstype: 'ext4', source: '/dev/vda', superOptions: 'rw,discard' }
 * ```
 */
export function parseMountinfo(text: string): HostMount[] {
  const out: HostMount[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-', 6);
    if (sep < 0 || f.length < sep + 4) continue;
    out.push({
      id: Number(f[0]),
      parent: Number(f[1]),
      dev: f[2]!,
      root: unmangle(f[3]!),
      mountpoint: unmangle(f[4]!),
      options: f[5]!,
      optional: f.slice(6, sep).join(' '),
      fstype: f[sep + 1]!,
      source: unmangle(f[sep + 2]!),
      superOptions: f[sep + 3]!,
    });
  }
  return out;
}

const under = (path: string, dir: string): boolean => dir === '/' || path === dir || path.startsWith(`${dir}/`);

/**
 * The mounts host paths live on, in table order: for each path, the mount it resolves to (the
 * deepest mount point above it, the last mounted where several stack), and every mount below it
 * (an rbind carries them; runc rbinds the rootfs). Lexical: the paths are taken as resolved.
 *
 * @example
 * ```ts
 * mountsBehind(parseMountinfo(text), ['/srv/bundle/rootfs', '/data/vol']);
 * // the mounts of / (or /srv), /data, and anything mounted under either path
 * ```
 */
export function mountsBehind(mounts: readonly HostMount[], paths: readonly string[]): HostMount[] {
  const keep = new Set<HostMount>();
  for (const p of paths.map(clean)) {
    let best: HostMount | undefined;
    for (const m of mounts) if (under(p, m.mountpoint) && (!best || m.mountpoint.length >= best.mountpoint.length)) best = m;
    if (best) keep.add(best);
    for (const m of mounts) if (m.mountpoint !== p && under(m.mountpoint, p)) keep.add(m);
  }
  return mounts.filter((m) => keep.has(m));
}

/** Why a host-facts document cannot be used: the JSON path at fault and what is wrong there. */
export class HostFactsError extends Error {}

/**
 * Host facts as a `dry-run --format json` document records them (its `host`, or `runc.host` of a
 * side-by-side one, or the facts alone), checked field by field: a prediction made on one machine
 * replayed for another (`--host-facts FILE`). Its source becomes `file`.
 *
 * @example
 * ```ts
 * hostFactsFromDocument(JSON.parse(readFileSync('pred.json', 'utf8'))).mounts; // the mounts it used
 * ```
 */
export function hostFactsFromDocument(doc: unknown): HostFacts {
  const obj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  let f: unknown = doc;
  if (obj(f) && obj(f.runc) && obj(f.runc.host)) f = f.runc.host;
  else if (obj(f) && obj(f.host)) f = f.host;
  if (!obj(f)) throw new HostFactsError('host: not an object');
  const need = (key: string, ok: (v: unknown) => boolean, what: string): void => {
    if (!ok(f[key])) throw new HostFactsError(`host.${key}: ${f[key] === undefined ? 'missing' : `not ${what}`}`);
  };
  const strings = (v: unknown): boolean => Array.isArray(v) && v.every((x) => typeof x === 'string');
  need('cgroupUnified', (v) => typeof v === 'boolean', 'a boolean');
  need('cgroupV1', (v) => Array.isArray(v) && v.every((h) => obj(h) && typeof h.mountpoint === 'string' && typeof h.root === 'string' && typeof h.options === 'string'), 'a list of { mountpoint, root, options }');
  need('cgroup2Flags', strings, 'a list of strings');
  need('cgroupControllers', strings, 'a list of strings');
  need('selfCgroup', (v) => obj(v) && Object.values(v).every((x) => typeof x === 'string'), 'an object of strings');
  need('kcore', (v) => typeof v === 'boolean', 'a boolean');
  need('procEntries', (v) => Array.isArray(v) && v.every((e) => obj(e) && typeof e.name === 'string' && ['dir', 'file', 'link'].includes(e.kind as string)), 'a list of { name, kind }');
  const mountKeys = ['dev', 'root', 'mountpoint', 'options', 'optional', 'fstype', 'source', 'superOptions'];
  need('mounts', (v) => Array.isArray(v) && v.every((m) => obj(m) && typeof m.id === 'number' && typeof m.parent === 'number' && mountKeys.every((k) => typeof m[k] === 'string')), 'a list of mountinfo lines ({ id, parent, dev, root, mountpoint, options, optional, fstype, source, superOptions })');
  return { ...(f as unknown as HostFacts), source: 'file' };
}

/** A v1 mount's options as a cgroup hierarchy (controllers, name, flags). */
export function hierarchyOf(m: HostCgroupMount, controllers: readonly string[]): CgroupV1Hierarchy {
  const h: CgroupV1Hierarchy = { subsystems: [], flags: [] };
  for (const o of m.options.split(',')) {
    if (o.startsWith('name=')) h.name = o.slice(5);
    else if (o.startsWith('release_agent=')) h.releaseAgent = o.slice(14);
    else if (controllers.includes(o)) h.subsystems.push(o);
    else if (o !== '' && o !== 'rw' && o !== 'ro') h.flags!.push(o);
  }
  return h;
}

/** /proc/self/cgroup (`ID:CONTROLLERS:PATH` a line) as a path by controller name. */
export function parseSelfCgroup(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    // cgroup v2's line has no controllers (`0::/path`): it is keyed by "".
    for (const c of m[1]!.split(',')) out[c] = m[2]!;
  }
  return out;
}

/**
 * The container's cgroup in a v1 hierarchy as runc 1.1's fs manager places it: an absolute
 * cgroupsPath as it is, a relative one — or the container id when there is none — under runc's
 * own cgroup in that hierarchy (subsysPath(): GetOwnCgroupPath joined with the inner path).
 *
 * @example
 * ```ts
 * containerCgroup({ ...ASSUMED_HOST, selfCgroup: { memory: '/user.slice' } }, { mountpoint: '/sys/fs/cgroup/memory', root: '/', options: 'memory' }, undefined, 'c1');
 * // '/user.slice/c1'
 * ```
 */
export function containerCgroup(f: HostFacts, h: HostCgroupMount, cgroupsPath: string | undefined, id: string): string {
  // utils.CleanPath: a relative path stays relative, with no way out above its start.
  const inner = cgroupsPath ? (cgroupsPath.startsWith('/') ? clean(cgroupsPath) : rel('/', clean(`/${cgroupsPath}`))) : id;
  if (inner.startsWith('/')) return inner;
  const hier = hierarchyOf(h, f.cgroupControllers);
  const key = hier.subsystems[0] ?? (hier.name !== undefined ? `name=${hier.name}` : '');
  return join(f.selfCgroup[key] ?? '/', inner);
}

/** The cgroup layout of the host, for the emulated machine. */
export function cgroupLayoutOf(f: HostFacts): CgroupLayout {
  return {
    hierarchies: f.cgroupV1.map((m) => hierarchyOf(m, f.cgroupControllers)),
    enabled: f.cgroupControllers,
    free: [],
    v2Flags: f.cgroup2Flags,
  };
}

/**
 * Filesystem types that make the emulated machine look like this host (EmulatedOptions.fsTypes):
 * its /proc and cgroups, and a `hostfs:TYPE` stand-in for each type in its mount table.
 */
export function hostFsTypes(f: HostFacts): FileSystemType[] {
  const layout = cgroupLayoutOf(f);
  const standins = [...new Set(f.mounts.map((m) => m.fstype))].map(hostStandinType);
  return [procType(f.procEntries), cgroupType(layout), cgroup2Type(layout), ...standins];
}
