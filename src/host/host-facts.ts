/**
 * Reading the host facts a runc dry-run depends on (src/boot/host-facts.ts): the mount table
 * (/proc/self/mountinfo: the mounts behind the rootfs and the bind sources, the cgroup mounts), the controllers from /proc/cgroups, this process's cgroups from
 * /proc/self/cgroup, /proc/kcore's existence and /proc's top level. Only reads; on anything but Linux, or when /proc cannot be read, the
 * caller falls back to ASSUMED_HOST and says so.
 */
import { existsSync, readdirSync, readFileSync, lstatSync, readlinkSync } from 'node:fs';
import { ASSUMED_HOST, parseMountinfo, parseSelfCgroup, type HostCgroupMount, type HostFacts } from '../boot/host-facts.js';
import type { ProcEntry } from '../fs/proc/proc.js';

/** The cgroup lines of a mountinfo text, in order. */
export function cgroupMountsOf(mountinfo: string): { v1: HostCgroupMount[]; v2: { mountpoint: string; options: string }[] } {
  const v1: HostCgroupMount[] = [];
  const v2: { mountpoint: string; options: string }[] = [];
  for (const m of parseMountinfo(mountinfo)) {
    const superOpts = m.superOptions.split(',').filter((o) => o !== 'rw' && o !== 'ro').join(',');
    if (m.fstype === 'cgroup') v1.push({ mountpoint: m.mountpoint, root: m.root, options: superOpts });
    else if (m.fstype === 'cgroup2') v2.push({ mountpoint: m.mountpoint, options: superOpts });
  }
  return { v1, v2 };
}

/** What the facts are made from: the texts of /proc files and a look at /proc. */
export interface HostFactsSources {
  mountinfo: string;
  /** /proc/cgroups. */
  cgroups: string;
  /** /proc/self/cgroup (absent in recordings made before it was kept: every cgroup is then `/`). */
  selfCgroup?: string;
  kcore: boolean;
  procEntries: ProcEntry[];
}

/** The facts from the texts (also how test/boot replays the recording host's facts). */
export function hostFactsFrom(src: HostFactsSources): HostFacts {
  const { v1, v2 } = cgroupMountsOf(src.mountinfo);
  // runc's GetCgroupMounts lists one mount per hierarchy: the first seen.
  const seen = new Set<string>();
  const hierarchies = v1.filter((m) => (seen.has(m.options) ? false : (seen.add(m.options), true)));
  const controllers = src.cgroups
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split('\t'))
    .filter((f) => f[3] === '1')
    .map((f) => (f[0] === 'io' ? 'blkio' : f[0]!));
  const unified = v2.some((m) => m.mountpoint === '/sys/fs/cgroup');
  return {
    source: 'host',
    cgroupUnified: unified,
    cgroupV1: unified ? [] : hierarchies,
    cgroup2Flags: (v2[0]?.options ?? '').split(',').filter(Boolean),
    cgroupControllers: controllers.length ? controllers : ASSUMED_HOST.cgroupControllers,
    selfCgroup: parseSelfCgroup(src.selfCgroup ?? ''),
    kcore: src.kcore,
    procEntries: src.procEntries,
    mounts: parseMountinfo(src.mountinfo),
  };
}

/** /proc's top level, pid directories and self links aside. */
export function readProcEntries(): ProcEntry[] {
  const out: ProcEntry[] = [];
  for (const name of readdirSync('/proc').sort()) {
    if (/^[0-9]+$/.test(name) || name === 'self' || name === 'thread-self') continue;
    const st = lstatSync(`/proc/${name}`);
    if (st.isSymbolicLink()) out.push({ name, kind: 'link', target: readlinkSync(`/proc/${name}`) });
    else out.push({ name, kind: st.isDirectory() ? 'dir' : 'file', mode: st.mode & 0o7777 });
  }
  return out;
}

/** Reads this host's facts, or null when it cannot (not Linux, no /proc). */
export function readHostFacts(): HostFacts | null {
  if (process.platform !== 'linux') return null;
  try {
    return hostFactsFrom({
      mountinfo: readFileSync('/proc/self/mountinfo', 'utf8'),
      cgroups: readFileSync('/proc/cgroups', 'utf8'),
      selfCgroup: readFileSync('/proc/self/cgroup', 'utf8'),
      kcore: existsSync('/proc/kcore'),
      procEntries: readProcEntries(),
    });
  } catch {
    return null;
  }
}
