/**
 * Reading the host facts a runc dry-run depends on (src/boot/host-facts.ts): the cgroup mounts
 * from /proc/self/mountinfo, the controllers from /proc/cgroups, this process's cgroups from
 * /proc/self/cgroup, /proc/kcore's existence and /proc's top level. Only reads; on anything but Linux, or when /proc cannot be read, the
 * caller falls back to ASSUMED_HOST and says so.
 */
import { existsSync, readdirSync, readFileSync, lstatSync, readlinkSync } from 'node:fs';
import { ASSUMED_HOST, parseSelfCgroup, type HostCgroupMount, type HostFacts } from '../boot/host-facts.js';
import type { ProcEntry } from '../fs/proc/proc.js';

const unmangle = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** The cgroup lines of a mountinfo text, in order. */
export function cgroupMountsOf(mountinfo: string): { v1: HostCgroupMount[]; v2: { mountpoint: string; options: string }[] } {
  const v1: HostCgroupMount[] = [];
  const v2: { mountpoint: string; options: string }[] = [];
  for (const line of mountinfo.split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-');
    if (sep < 0) continue;
    const fstype = f[sep + 1];
    const superOpts = (f[sep + 3] ?? '').split(',').filter((o) => o !== 'rw' && o !== 'ro').join(',');
    if (fstype === 'cgroup') v1.push({ mountpoint: unmangle(f[4]!), root: unmangle(f[3]!), options: superOpts });
    else if (fstype === 'cgroup2') v2.push({ mountpoint: unmangle(f[4]!), options: superOpts });
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
