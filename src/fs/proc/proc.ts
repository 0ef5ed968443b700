/**
 * proc: the filesystem type and its superblock (fs/proc/root.c) as far as mounting needs: every
 * mount makes a new superblock (since Linux 5.8), the options gid, hidepid and subset with the
 * kernel's parsing and mountinfo rendering, and a static tree of the entries runc looks at.
 *
 * The tree is the top level of /proc on the reference host (Linux 6.18, measured): which entries
 * exist depends on the kernel's configuration, and runc's maskedPaths skip the absent ones
 * (kcore, sysrq-trigger, sched_debug, latency_stats, timer_stats, scsi and asound are absent
 * there). `procType(entries)` takes another host's list. The one process is pid 1: /proc/self
 * points at it. Names cannot be created: a lookup of a name proc does not have is ENOENT, so
 * mkdir, creat and symlink are ENOENT too (measured).
 */
import { errno } from '../../vfs/errno.js';
import type { FileSystemType, FsContext } from '../../vfs/inode.js';
import { parseMountData, parseU32, type FsParam } from '../../vfs/mount-options.js';
import { dir, file, link, SimpleInode, type DirPolicy, type TreeSpec } from '../libfs/simple.js';
import { PseudoSuperBlock } from '../libfs/super.js';

export const PROC_SUPER_MAGIC = 0x9fa0;

/** A top-level /proc entry: its name and kind (pid directories, self and thread-self aside). */
export interface ProcEntry {
  name: string;
  kind: 'dir' | 'file' | 'link';
  /** Permission bits (files: 0444 or 0400 as the kernel sets them). */
  mode?: number;
  /** Symlink target. */
  target?: string;
}

const f444 = (name: string): ProcEntry => ({ name, kind: 'file', mode: 0o444 });
const f400 = (name: string): ProcEntry => ({ name, kind: 'file', mode: 0o400 });
const d555 = (name: string): ProcEntry => ({ name, kind: 'dir', mode: 0o555 });

/** /proc's top level on the reference host (`find /proc -maxdepth 1`, pid directories left out). */
export const REFERENCE_PROC_ENTRIES: readonly ProcEntry[] = [
  d555('acpi'), f444('buddyinfo'), d555('bus'), f444('cgroups'), f444('cmdline'), f444('config.gz'),
  f444('consoles'), f444('cpuinfo'), f444('crypto'), f444('devices'), f444('diskstats'), f444('dma'),
  d555('driver'), f444('execdomains'), f444('filesystems'), d555('fs'), f444('interrupts'),
  f444('iomem'), f444('ioports'), d555('irq'), f444('kallsyms'), f444('key-users'), f444('keys'),
  f400('kmsg'), f400('kpagecgroup'), f400('kpagecount'), f400('kpageflags'), f444('loadavg'),
  f444('locks'), f444('meminfo'), f444('misc'), { name: 'mounts', kind: 'link', target: 'self/mounts' },
  { name: 'mtrr', kind: 'file', mode: 0o644 }, { name: 'net', kind: 'link', target: 'self/net' },
  f400('pagetypeinfo'), f444('partitions'), d555('pressure'), f400('slabinfo'), f444('softirqs'),
  f444('stat'), f444('swaps'), d555('sys'), d555('sysvipc'), f400('timer_list'), d555('tty'),
  f444('uptime'), f444('version'), f400('vmallocinfo'), f444('vmstat'), f444('zoneinfo'),
];

/** hidepid= values (enum proc_hidepid) and their names as show_options prints them. */
const HIDEPID_NAMES: Record<number, string> = { 0: 'off', 1: 'noaccess', 2: 'invisible', 4: 'ptraceable' };

export interface ProcOptions {
  gid?: number;
  hidepid?: number;
  /** subset=pid: only the process directories. */
  pidOnly?: boolean;
}

/** proc_parse_param(): gid (u32, base 0), hidepid (0/1/2/4 or its name), subset (only "pid"). */
export function parseProcOptions(params: readonly FsParam[]): ProcOptions {
  const o: ProcOptions = {};
  for (const { key, value } of params) {
    if (key !== 'gid' && key !== 'hidepid' && key !== 'subset') throw errno('EINVAL');
    if (value === undefined || value === '') throw errno('EINVAL');
    if (key === 'gid') {
      const v = parseU32(value, 0);
      if (v === null || v === 0xffffffff) throw errno('EINVAL');
      o.gid = v;
    } else if (key === 'hidepid') {
      const n = parseU32(value, 0);
      if (n !== null) {
        if (!(n in HIDEPID_NAMES)) throw errno('EINVAL');
        o.hidepid = n;
      } else {
        const named = Object.entries(HIDEPID_NAMES).find(([, s]) => s === value);
        if (!named) throw errno('EINVAL');
        o.hidepid = Number(named[0]);
      }
    } else {
      // proc_parse_subset_param(): a comma list in the kernel, but the data string's commas
      // split it first, so one word at a time; only "pid" is known.
      if (value !== 'pid') throw errno('EINVAL');
      o.pidOnly = true;
    }
  }
  return o;
}

/** /proc/1 as far as anything here reads it. */
function pidDir(): TreeSpec {
  return dir({
    fd: { dir: {}, mode: 0o500 },
    cgroup: file(),
    mountinfo: file(),
    mounts: file(),
    status: file(),
    task: dir({ '1': dir({ fd: { dir: {}, mode: 0o500 }, mountinfo: file() }) }),
  });
}

const noNames: DirPolicy = { refuse: 'ENOENT', lookupError: 'ENOENT' };

export class ProcSuperBlock extends PseudoSuperBlock {
  readonly root: SimpleInode;
  gid = 0;
  hidepid = 0;
  pidOnly = false;

  constructor(type: FileSystemType, ctx: FsContext, flags: number, params: readonly FsParam[], entries: readonly ProcEntry[]) {
    super(type, ctx, flags, PROC_SUPER_MAGIC);
    this.applyParams(params);
    const top: Record<string, TreeSpec> = { '1': pidDir(), self: link('1'), 'thread-self': link('1/task/1') };
    if (!this.pidOnly) {
      for (const e of entries) {
        if (e.kind === 'dir') top[e.name] = dir(e.name === 'sys' ? { kernel: dir({}), net: dir({}), vm: dir({}), fs: dir({}) } : {}, e.mode ?? 0o555);
        else if (e.kind === 'link') top[e.name] = link(e.target ?? '');
        else top[e.name] = file('', e.mode ?? 0o444);
      }
    }
    this.root = SimpleInode.build(this, { dir: top, mode: 0o555, policy: noNames });
  }

  /** proc_apply_options(): what a mount or remount gives replaces the old value. */
  protected override applyParams(params: readonly FsParam[]): void {
    const o = parseProcOptions(params);
    if (o.gid !== undefined) this.gid = o.gid;
    if (o.hidepid !== undefined) this.hidepid = o.hidepid;
    if (o.pidOnly) this.pidOnly = true;
  }

  /** proc_show_options(). */
  override showOptions(): string {
    let s = '';
    if (this.gid !== 0) s += `,gid=${this.gid}`;
    if (this.hidepid !== 0) s += `,hidepid=${HIDEPID_NAMES[this.hidepid]}`;
    if (this.pidOnly) s += ',subset=pid';
    return s;
  }
}

/**
 * The `proc` filesystem type; `entries` is the top level of /proc (default: the reference host's).
 *
 * @example
 * ```ts
 * kernel.register(procType());
 * p.mount('proc', '/proc', 'proc', 0, 'hidepid=2'); // mountinfo: "- proc proc rw,hidepid=invisible"
 * ```
 */
export function procType(entries: readonly ProcEntry[] = REFERENCE_PROC_ENTRIES): FileSystemType {
  const type: FileSystemType = {
    name: 'proc',
    mount(ctx, _source, flags, data) {
      const { sbFlags, params } = parseMountData(data, flags);
      return new ProcSuperBlock(type, ctx, sbFlags, params, entries);
    },
  };
  return type;
}
