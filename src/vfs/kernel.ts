/**
 * Kernel: the machine-wide state one emulated kernel holds — the filesystem-type registry, the
 * id allocators (mount ids, peer-group ids, anonymous device minors), the initial PID namespace
 * (init_pid_ns, the root of the tree pid.ts describes), the IPC namespaces (ipc-namespace.ts)
 * and the task in a syscall now (`current`), the clock,
 * the mount namespaces, each superblock's mounts, the 9P transports a 9p mount may use (in-process channels
 * by virtio tag, the embedder's dialer) — and the mount-object primitives that need them: making,
 * cloning (clone_mnt), copying (copy_tree) and releasing mounts. Many `Process`es share one
 * `Kernel`.
 */
import type { Credentials } from './creds.js';
import { Dentry } from './dentry.js';
import { errno } from './errno.js';
import { IdAllocator } from './ids.js';
import { IpcNamespace } from './ipc-namespace.js';
import { makedev, type FileSystemType, type FsContext, type P9Channel, type P9Dialer, type P9Transports, type SuperBlock } from './inode.js';
import { MNT_LOCKED, Mount, type Path } from './mount.js';
import { attachMnt, MountNamespace } from './mount-namespace.js';
import { NetNamespace } from './net-namespace.js';
import { PidNamespace } from './pid.js';
import type { Process } from './process.js';
import { CL_COPY_UNBINDABLE, Propagation } from './propagation.js';
import { SteppingClock, type Clock } from './time.js';
import { INIT_USER_NS, type UserNamespace } from './user-namespace.js';

export interface KernelOptions {
  clock?: Clock;
  /** RAM pages of the emulated machine (tmpfs defaults and size=N%). Default: 24 GiB. */
  totalRamPages?: number;
  /** fs.mount-max: mounts a namespace may hold (ENOSPC beyond). */
  mountMax?: number;
  /** How `mount -t 9p` reaches a server over trans=tcp, unix or fd (src/host provides sockets). */
  p9Dial?: P9Dialer;
  /** /proc/sys/kernel/pid_max of init_pid_ns. Default: PID_MAX_DEFAULT (32768). */
  pidMax?: number;
}

/**
 * The context a superblock gets, with what proc and mqueue need of the tasks: the mounting
 * task's active PID namespace (proc_fill_super()'s task_active_pid_ns(current)) and `current`,
 * for /proc/self; its IPC namespace (mqueue_init_fs_context()'s current->nsproxy->ipc_ns).
 */
export interface TaskFsContext extends FsContext {
  readonly pidNs?: PidNamespace;
  readonly current?: () => Process | null;
  readonly ipcNs?: IpcNamespace;
}

/** The namespaces of a task that a new superblock may belong to (what `fsContext` reads). */
export interface NsTask {
  /** task_active_pid_ns(). */
  readonly pidNs: PidNamespace;
  /** nsproxy->ipc_ns. */
  readonly ipcNs: IpcNamespace;
}

/** What the kernel knows of a task: where its root and cwd are, and how to move them. */
export interface RootedTask {
  readonly root: Path;
  readonly cwd: Path;
  setRoot(p: Path): void;
  setCwd(p: Path): void;
}

export class Kernel {
  readonly filesystems = new Map<string, FileSystemType>();
  readonly clock: Clock;
  readonly totalRamPages: number;
  readonly mountMax: number;
  readonly namespaces: MountNamespace[] = [];
  /** Network namespaces in creation order; the first is init_net, every task's to begin with. */
  readonly netNamespaces: NetNamespace[] = [new NetNamespace(0)];
  readonly propagation: Propagation;
  /** 9P transports: in-process servers by virtio tag (`registerP9Channel`) and the dialer. */
  readonly p9: P9Transports;
  /** init_pid_ns: the root of the PID namespace tree, a sandbox's first task's. */
  readonly pidNs: PidNamespace;
  /** IPC namespaces in creation order; the first is init_ipc_ns, every task's to begin with. */
  readonly ipcNamespaces: IpcNamespace[] = [new IpcNamespace(0)];
  /** current: the task whose syscall is running (Process.sys() sets it), null between syscalls. */
  current: Process | null = null;
  private readonly mountIds = new IdAllocator(1);
  private readonly anonMinors = new IdAllocator(16);
  private mountSeq = 0;
  /** The superblock root dentry of each superblock, shared by all its mounts. */
  private readonly sbRoots = new WeakMap<SuperBlock, Dentry>();
  /** s_mounts of each superblock, so that a remount read-only looks at its own mounts only. */
  private readonly sbMounts = new WeakMap<SuperBlock, Set<Mount>>();
  /** Live tasks, for what changes every task's root or cwd at once (pivot_root's chroot_fs_refs). */
  private readonly liveTasks = new Set<RootedTask>();

  constructor(opts: KernelOptions = {}) {
    this.clock = opts.clock ?? new SteppingClock();
    this.totalRamPages = opts.totalRamPages ?? (24 * 1024 * 1024 * 1024) / 4096;
    this.mountMax = opts.mountMax ?? 100_000;
    this.propagation = new Propagation(this, new IdAllocator(1));
    this.p9 = { channels: new Map(), dial: opts.p9Dial };
    this.pidNs = new PidNamespace(opts.pidMax);
  }

  /**
   * Offers a 9P server under `tag`, as a virtio-9p device with that mount_tag: `mount -t 9p -o
   * trans=virtio tag /mnt` connects to it. A tag registered again is replaced.
   *
   * @example
   * ```ts
   * kernel.registerP9Channel('hostshare', serverChannel(new P9Server({ '': new TreeExport(p, '/srv') })));
   * ```
   */
  registerP9Channel(tag: string, channel: P9Channel): void {
    this.p9.channels.set(tag, channel);
  }

  /** register_filesystem(). */
  register(type: FileSystemType): void {
    this.filesystems.set(type.name, type);
  }

  /** The network namespace the machine boots with (init_net). */
  get initNetNs(): NetNamespace {
    return this.netNamespaces[0]!;
  }

  /** copy_net_ns(): a new network namespace. */
  newNetNamespace(): NetNamespace {
    const ns = new NetNamespace(this.netNamespaces.length);
    this.netNamespaces.push(ns);
    return ns;
  }

  /** The IPC namespace the machine boots with (init_ipc_ns). */
  get initIpcNs(): IpcNamespace {
    return this.ipcNamespaces[0]!;
  }

  /** create_ipc_ns(): a new IPC namespace owned by `owner`. */
  newIpcNamespace(owner: UserNamespace): IpcNamespace {
    const ns = new IpcNamespace(this.ipcNamespaces.length, owner);
    this.ipcNamespaces.push(ns);
    return ns;
  }

  /**
   * The context a filesystem gets for a new superblock made by `creds` in network namespace
   * `netns`, in the PID and IPC namespaces of `task` (by default the task in a syscall now;
   * the machine's first ones when there is none, as at boot).
   */
  fsContext(creds: Credentials, netns: NetNamespace = this.initNetNs, task: NsTask | null = this.current): TaskFsContext {
    return {
      creds,
      netns,
      clock: this.clock,
      totalRamPages: this.totalRamPages,
      anonDev: () => makedev(0, this.anonMinors.alloc()),
      p9: this.p9,
      pidNs: task?.pidNs ?? this.pidNs,
      ipcNs: task?.ipcNs ?? this.initIpcNs,
      current: () => this.current,
    };
  }

  /** The root dentry of a superblock (one per superblock, like sb->s_root). */
  sbRoot(sb: SuperBlock): Dentry {
    let d = this.sbRoots.get(sb);
    if (!d) {
      d = Dentry.root(sb);
      this.sbRoots.set(sb, d);
    }
    return d;
  }

  /** vfs_kern_mount(): a new superblock of `fstype`, as a detached mount. ENODEV for an unknown type. */
  newMount(creds: Credentials, fstype: string, source: string, sbFlags: number, data: string, mntFlags: number): Mount {
    const type = this.filesystems.get(fstype);
    if (!type) throw errno('ENODEV');
    const sb = type.mount(this.fsContext(creds), source, sbFlags, data);
    return this.mountOf(sb, this.sbRoot(sb), source, mntFlags);
  }

  /** A new mount object of an existing superblock (alloc_vfsmnt + setup_mnt). */
  mountOf(sb: SuperBlock, root: Dentry, devname: string, flags: number): Mount {
    const m = new Mount(this.mountIds.alloc(), this.mountSeq++, sb, root, devname, flags);
    let all = this.sbMounts.get(sb);
    if (!all) this.sbMounts.set(sb, (all = new Set()));
    all.add(m);
    return m;
  }

  /** sb->s_mounts: every mount of `sb` not released yet, in a namespace or not. */
  mountsOf(sb: SuperBlock): ReadonlySet<Mount> {
    return this.sbMounts.get(sb) ?? new Set();
  }

  /**
   * clone_mnt(): a new mount of `old`'s superblock rooted at `root`, with `old`'s flags; `flag`
   * (CL_*) decides its sharing (see Propagation.cloneSharing).
   */
  cloneMount(old: Mount, root: Dentry, flag: number): Mount {
    const m = this.mountOf(old.sb, root, old.devname, old.flags);
    m.idmap = old.idmap;
    this.propagation.cloneSharing(m, old, flag);
    return m;
  }

  /**
   * copy_tree(): clones `src` at `root` and every mount below it whose mount point is under
   * `root`, keeping the shape, in next_mnt() order. Unbindable mounts (and what is under them)
   * are left out unless CL_COPY_UNBINDABLE (unshare copies them); an unbindable `src` is EINVAL.
   * The copy is in no namespace.
   */
  copyTree(src: Mount, root: Dentry, flag: number): Mount {
    if (!(flag & CL_COPY_UNBINDABLE) && src.unbindable) throw errno('EINVAL');
    const top = this.cloneMount(src, root, flag);
    const stack: [Mount, Mount][] = [];
    const pushChildren = (from: Mount, to: Mount, filter: boolean): void => {
      const kids = [...from.children];
      for (let i = kids.length - 1; i >= 0; i--) {
        const child = kids[i]!;
        if (filter && !child.mountpoint!.isSubdirOf(root)) continue;
        stack.push([child, to]);
      }
    };
    pushChildren(src, top, true);
    const made = [top];
    while (stack.length) {
      const [child, dstParent] = stack.pop()!;
      if (child.unbindable && !(flag & CL_COPY_UNBINDABLE)) {
        // Both unbindable and locked: leaving it out would reveal what it covers. The copy so
        // far goes (copy_tree()'s `out:` umount_tree(res, UMOUNT_SYNC)): its ids and its
        // superblocks' mount counts are given back.
        if (child.flags & MNT_LOCKED) {
          for (const m of made) this.maybeRelease(m);
          throw errno('EPERM');
        }
        continue;
      }
      const c = this.cloneMount(child, child.root, flag);
      attachMnt(c, dstParent, child.mountpoint!);
      made.push(c);
      pushChildren(child, c, false);
    }
    return top;
  }

  /** A new, empty mount namespace owned by `userNs` (its root is set by the caller). */
  newNamespace(userNs: UserNamespace = INIT_USER_NS): MountNamespace {
    const ns = new MountNamespace(this, this.namespaces.length, userNs);
    this.namespaces.push(ns);
    return ns;
  }

  /**
   * mntput()'s last reference: a mount that has left its namespace gives its id back once
   * nothing (open file, cwd, root) pins it any more.
   */
  /** A task starts (a Process is made) or exits. */
  addTask(t: RootedTask): void {
    this.liveTasks.add(t);
  }

  removeTask(t: RootedTask): void {
    this.liveTasks.delete(t);
  }

  /** The live tasks, in the order they started. */
  tasks(): RootedTask[] {
    return [...this.liveTasks];
  }

  maybeRelease(m: Mount): void {
    if (m.ns || m.refs > 0 || m.released) return;
    m.released = true;
    this.mountIds.free(m.id);
    this.sbMounts.get(m.sb)?.delete(m);
  }
}
