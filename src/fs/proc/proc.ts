/**
 * proc: the filesystem type and its superblock (fs/proc/root.c) as far as mounting needs: every
 * mount makes a new superblock (since Linux 5.8), the options gid, hidepid and subset with the
 * kernel's parsing and mountinfo rendering, and a static tree of the entries runc looks at.
 *
 * The tree is the top level of /proc on the reference host (Linux 6.18, measured): which entries
 * exist depends on the kernel's configuration, and runc's maskedPaths skip the absent ones
 * (kcore, sysrq-trigger, sched_debug, latency_stats, timer_stats, scsi and asound are absent
 * there). `procType(entries)` takes another host's list. Names cannot be created: a lookup of a
 * name proc does not have is ENOENT, so mkdir, creat and symlink are ENOENT too (measured).
 *
 * A superblock belongs to the PID namespace the mounting task is in (proc_fill_super():
 * task_active_pid_ns(current)), owned by that namespace's owner (fs-flags.ts), and shows that
 * namespace only: its pid directories are the tasks that have a number there — its own and
 * those of namespaces below it — by that number, and /proc/self of a reader with no number
 * there (a task outside, such as the one that unshared CLONE_NEWPID) is ENOENT (measured on
 * 6.18: test/kernel/facts/pid-ipc-ns.json, "proc of a new PID namespace"). Two mounts are two
 * superblocks, even in one namespace.
 *
 * The pid directories come and go with the tasks (pid.ts; fs/proc/base.c): /proc/N is there
 * while a task, running or zombie, holds pid N in the namespace, and
 * its inode is bound to that task's `Pid`, as proc_inode->pid is — so a descriptor of /proc/N
 * keeps naming that task after it is reaped and N is reused (a lookup in it is then ESRCH,
 * measured), while the path /proc/N names whichever task holds N now (proc_pid_lookup(),
 * pid_revalidate()). /proc/self is the calling task (`current`) by its number in the
 * namespace (proc_self_get_link(): task_tgid_nr_ns()). Each has the files runc looks
 * at (static), and the user-namespace files whose open binds the namespace (ns-files.ts):
 * ns/user, ns/mnt, uid_map, gid_map, setgroups, owned by the task's euid/egid
 * (task_dump_owner(), every task being dumpable). A superblock made without a PID namespace in
 * its context has one static process, pid 1.
 */
import { Cap, type Credentials } from '../../vfs/creds.js';
import { errno } from '../../vfs/errno.js';
import { S_IFDIR, S_IFLNK, S_IFREG, type DirEntry, type FileSystemType, type FsContext, type Inode } from '../../vfs/inode.js';
import type { TaskFsContext } from '../../vfs/kernel.js';
import { parseMountData, parseU32, type FsParam } from '../../vfs/mount-options.js';
import { IdMapFile, NsFile, ptraceMayRead, SetgroupsFile } from '../../vfs/ns-files.js';
import type { Pid, PidNamespace } from '../../vfs/pid.js';
import type { Process } from '../../vfs/process.js';
import { taskErrno } from '../../vfs/task.js';
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

/** /proc/N's static part, as far as anything here reads it. */
function pidDir(nr: number): TreeSpec {
  return dir({
    fd: { dir: {}, mode: 0o500 },
    cgroup: file(),
    mountinfo: file(),
    mounts: file(),
    status: file(),
    task: dir({ [nr]: dir({ fd: { dir: {}, mode: 0o500 }, mountinfo: file() }) }),
  });
}

const noNames: DirPolicy = { refuse: 'ENOENT', lookupError: 'ENOENT' };
const PID_NAME = /^[1-9][0-9]*$/;

/** What proc reads of the tasks: the PID namespace it shows and the calling task. */
interface ProcTasks {
  readonly pidNs: PidNamespace;
  readonly current: () => Process | null;
}

/** A live task's (running or zombie) of `pid`, or null once it is reaped. */
const taskOf = (pid: Pid): Process | null => pid.task;

/**
 * /proc/N/ns/{user,mnt} (proc_ns_get_link()): EACCES once the task is gone or without
 * ptrace read access; a zombie has its credentials (ns/user opens) but no nsproxy (ns/mnt is
 * ENOENT, measured).
 */
class ProcNsFile extends SimpleInode {
  constructor(
    sb: ProcSuperBlock,
    private readonly pid: Pid,
    private readonly kind: 'user' | 'mnt',
  ) {
    super(sb, S_IFREG | 0o444);
  }

  open(_flags: number, creds: Credentials): NsFile {
    const task = taskOf(this.pid);
    if (!task || !ptraceMayRead(creds, task.creds)) throw errno('EACCES');
    if (this.kind === 'user') return new NsFile({ kind: 'user', userNs: task.creds.userNs });
    if (task.exitState !== 'running') throw errno('ENOENT');
    return new NsFile({ kind: 'mnt', mntNs: task.ns });
  }
}

/** /proc/N/{uid_map,gid_map} (proc_id_map_open()): EINVAL once the task is gone. */
class ProcIdMapFile extends SimpleInode {
  constructor(
    sb: ProcSuperBlock,
    private readonly pid: Pid,
    private readonly which: 'uid' | 'gid',
  ) {
    super(sb, S_IFREG | 0o644);
  }

  open(_flags: number, creds: Credentials): IdMapFile {
    const task = taskOf(this.pid);
    if (!task) throw errno('EINVAL');
    return new IdMapFile(task.creds.userNs, this.which, creds);
  }
}

/** /proc/N/setgroups (proc_setgroups_open()): a writer needs CAP_SYS_ADMIN over the namespace (EACCES). */
class ProcSetgroupsFile extends SimpleInode {
  constructor(
    sb: ProcSuperBlock,
    private readonly pid: Pid,
  ) {
    super(sb, S_IFREG | 0o644);
  }

  open(flags: number, creds: Credentials): SetgroupsFile {
    const task = taskOf(this.pid);
    if (!task) throw taskErrno('ESRCH');
    const ns = task.creds.userNs;
    if ((flags & 3) !== 0 && !creds.nsCapable(ns, Cap.SYS_ADMIN)) throw errno('EACCES');
    return new SetgroupsFile(ns, creds);
  }
}

/** /proc/N: bound to its `Pid`; a lookup in it once the task is reaped is ESRCH (measured). */
class ProcPidDir extends SimpleInode {
  constructor(
    sb: ProcSuperBlock,
    readonly pid: Pid,
    /** Its number in the superblock's namespace. */
    nr: number,
  ) {
    super(sb, S_IFDIR | 0o555);
    const spec = pidDir(nr) as { dir: Record<string, TreeSpec> };
    for (const [name, child] of Object.entries(spec.dir)) this.add(name, SimpleInode.build(sb, child));
    const ns = this.add('ns', new SimpleInode(sb, S_IFDIR | 0o511));
    ns.add('user', new ProcNsFile(sb, pid, 'user'));
    ns.add('mnt', new ProcNsFile(sb, pid, 'mnt'));
    this.add('uid_map', new ProcIdMapFile(sb, pid, 'uid'));
    this.add('gid_map', new ProcIdMapFile(sb, pid, 'gid'));
    this.add('setgroups', new ProcSetgroupsFile(sb, pid));
    this.policy = { refuse: 'ENOENT', lookupError: 'ENOENT' };
    this.updateOwner();
  }

  /** pid_update_inode(): the directory and its files belong to the task's euid/egid. */
  updateOwner(): void {
    const task = taskOf(this.pid);
    if (!task) return;
    const own = (i: SimpleInode): void => {
      i.uid = task.creds.euid;
      i.gid = task.creds.egid;
      for (const c of i.entries?.values() ?? []) own(c);
    };
    own(this);
  }

  override lookup(name: string): SimpleInode | undefined {
    if (!taskOf(this.pid)) throw taskErrno('ESRCH');
    this.updateOwner();
    return super.lookup(name);
  }

  /** pid_revalidate(): a name cached in the directory holds while the task does. */
  revalidate(): boolean {
    return taskOf(this.pid) !== null;
  }

  override readdir(): DirEntry[] {
    if (!taskOf(this.pid)) throw errno('ENOENT');
    return super.readdir();
  }
}

/**
 * /proc/self and /proc/thread-self (proc_self_get_link(), proc_thread_self_get_link()): the
 * calling task by its number in the superblock's namespace; ENOENT for no task or none there.
 */
class ProcSelfLink extends SimpleInode {
  constructor(
    sb: ProcSuperBlock,
    private readonly tasks: ProcTasks,
    private readonly thread: boolean,
  ) {
    super(sb, S_IFLNK | 0o777);
  }

  override readlink(): string {
    const nr = this.tasks.current()?.pid.nrIn(this.tasks.pidNs) ?? 0;
    if (nr === 0) throw errno('ENOENT');
    return this.thread ? `${nr}/task/${nr}` : `${nr}`;
  }
}

/** /proc's root: its static entries, then self, thread-self and the pids (proc_root_readdir()). */
class ProcRoot extends SimpleInode {
  private readonly dirs = new WeakMap<Pid, ProcPidDir>();
  private readonly self: ProcSelfLink;
  private readonly threadSelf: ProcSelfLink;

  constructor(
    private readonly psb: ProcSuperBlock,
    private readonly tasks: ProcTasks,
  ) {
    super(psb, S_IFDIR | 0o555);
    this.policy = noNames;
    this.self = new ProcSelfLink(psb, tasks, false);
    this.threadSelf = new ProcSelfLink(psb, tasks, true);
  }

  private pidDir(pid: Pid): ProcPidDir {
    let d = this.dirs.get(pid);
    if (!d) this.dirs.set(pid, (d = new ProcPidDir(this.psb, pid, pid.nrIn(this.tasks.pidNs))));
    return d;
  }

  /** proc_pid_lookup(): a number a task (running or zombie) holds. */
  private live(name: string): ProcPidDir | undefined {
    if (!PID_NAME.test(name)) return undefined;
    const pid = this.tasks.pidNs.find(Number(name));
    return pid && taskOf(pid) ? this.pidDir(pid) : undefined;
  }

  override lookup(name: string): SimpleInode | undefined {
    if (name === 'self') return this.self;
    if (name === 'thread-self') return this.threadSelf;
    if (PID_NAME.test(name)) {
      const d = this.live(name);
      if (!d) throw errno('ENOENT');
      return d;
    }
    return super.lookup(name);
  }

  /** A cached /proc/N holds while N names the same `Pid` (pid_revalidate()). */
  revalidate(name: string, child: Inode): boolean {
    if (!PID_NAME.test(name)) return true;
    return this.live(name) === child;
  }

  override readdir(): DirEntry[] {
    const pids = this.tasks.pidNs.numbers().flatMap((nr) => {
      const d = this.live(String(nr));
      return d ? [{ name: String(nr), ino: d.ino, type: S_IFDIR }] : [];
    });
    return [...super.readdir(), { name: 'self', ino: this.self.ino, type: S_IFLNK }, { name: 'thread-self', ino: this.threadSelf.ino, type: S_IFLNK }, ...pids];
  }
}

export class ProcSuperBlock extends PseudoSuperBlock {
  readonly root: SimpleInode;
  gid = 0;
  hidepid = 0;
  pidOnly = false;

  constructor(type: FileSystemType, ctx: FsContext, flags: number, params: readonly FsParam[], entries: readonly ProcEntry[]) {
    super(type, ctx, flags, PROC_SUPER_MAGIC);
    this.applyParams(params);
    const { pidNs, current } = ctx as TaskFsContext;
    const top: Record<string, TreeSpec> = pidNs && current ? {} : { '1': pidDir(1), self: link('1'), 'thread-self': link('1/task/1') };
    if (!this.pidOnly) {
      for (const e of entries) {
        if (e.kind === 'dir') top[e.name] = dir(e.name === 'sys' ? { kernel: dir({}), net: dir({}), vm: dir({}), fs: dir({}) } : {}, e.mode ?? 0o555);
        else if (e.kind === 'link') top[e.name] = link(e.target ?? '');
        else top[e.name] = file('', e.mode ?? 0o444);
      }
    }
    if (pidNs && current) {
      const root = new ProcRoot(this, { pidNs, current });
      for (const [name, spec] of Object.entries(top)) root.add(name, SimpleInode.build(this, spec));
      this.root = root;
    } else this.root = SimpleInode.build(this, { dir: top, mode: 0o555, policy: noNames });
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
