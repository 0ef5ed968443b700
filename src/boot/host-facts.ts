/**
 * What a runc dry-run needs to know about the host it predicts for, beyond the bundle: the cgroup
 * setup (runc mounts cgroup v1 as binds of the host's own hierarchies, cgroup v2 as a mount) and
 * the cgroups runc runs in (a relative cgroupsPath lies under them),
 * whether /proc/kcore exists (runc links /dev/core to it only then), and which top-level /proc
 * entries the kernel has (runc's maskedPaths skip the missing ones). src/host/host-facts.ts reads
 * them on Linux; otherwise `ASSUMED_HOST` stands in and the dry-run says so.
 */
import { CGROUP_V1_SUBSYSTEMS, cgroup2Type, cgroupType, type CgroupLayout, type CgroupV1Hierarchy } from '../fs/cgroup/cgroup.js';
import { procType, REFERENCE_PROC_ENTRIES, type ProcEntry } from '../fs/proc/proc.js';
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

export interface HostFacts {
  /** Read on this machine, or assumed (a common modern host). */
  source: 'host' | 'assumed';
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
};

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

/** Filesystem types that make the emulated machine look like this host (EmulatedOptions.fsTypes). */
export function hostFsTypes(f: HostFacts): FileSystemType[] {
  const layout = cgroupLayoutOf(f);
  return [procType(f.procEntries), cgroupType(layout), cgroup2Type(layout)];
}
