/**
 * The Sentry's VFS calls runsc's mount code makes (pkg/sentry/vfs: MountDisconnected,
 * NewDisconnectedMount, NewMountNamespace, ConnectMountAt, BindAt, SetMountReadOnly, StatAt,
 * MkdirAllAt, MkdirAt/MknodAt with ForSyntheticMountpoint), carried out on the emulator's
 * kernel, plus what gVisor keeps that the emulator does not: its mount ids and anonymous device
 * minors, the name and MountOptions() of each gVisor filesystem, and the root path each mount
 * shows. mountinfo.ts renders from these, as GenerateProcMountInfo does.
 *
 * gVisor's numbering (this is what makes the ids and devices of the table gVisor's):
 * - every vfs.Mount gets the next id of one kernel-wide counter when it is made (mount.go:
 *   newMount, `vfs.lastMountID.Add(1)`), disconnected or not — the layers of an overlay, a
 *   namespace's hidden root, the mount a shared volume's master is, the internal mount /dev's
 *   filesystem makes for itself — and ids are never reused while the mount lives;
 * - every filesystem instance takes the lowest free anonymous minor when it is made
 *   (device.go:GetAnonBlockDevMinor; major 0); an overlay takes one for its directories and one
 *   more, on first sight, for the device of a lower non-directory it shows (overlay.go:
 *   getLowerDevMinor), whose lookups this module watches for;
 * - before any container, the kernel and loader have made their own (BOOT_BASELINE).
 *
 * Synthetic mount points (vfs/options.go: MkdirOptions.ForSyntheticMountpoint): when the
 * filesystem refuses the directory — a gofer whose server is read-only, a kernfs directory
 * (proc, sysfs, cgroup, devpts) — the directory is made in memory only, seen by the Sentry and
 * never by the host (gofer/filesystem.go:MkdirAt's newSyntheticDentry; kernfs/filesystem.go:
 * MkdirAt's newSyntheticDirectory). Here it is a dentry instantiated in the dentry cache over an
 * inode of a private tmpfs: lookups find it, the filesystem never hears of it (a 9p mount that
 * revalidates its names is told its attributes are always valid, so it keeps it). A mount that
 * is itself read-only refuses first (CheckBeginWrite: EROFS), before any fallback.
 *
 * Invariant: every mount made for the Sentry is registered here with its gVisor id before it is
 * attached anywhere; a mount without a record is not the Sentry's and never shows in its table.
 */
import { Credentials } from '../../vfs/creds.js';
import { errno, SysError } from '../../vfs/errno.js';
import { O_DIRECTORY, O_RDONLY } from '../../vfs/file.js';
import { isDir, S_IFDIR, S_IFREG, type Inode, type SuperBlock } from '../../vfs/inode.js';
import type { Kernel } from '../../vfs/kernel.js';
import { MNT_NOATIME, MNT_NOEXEC, MNT_NOSUID, MNT_READONLY, type Mount, type Path } from '../../vfs/mount.js';
import type { MountNamespace } from '../../vfs/mount-namespace.js';
import { AT_FDCWD, Process } from '../../vfs/process.js';
import { followMounts } from '../../vfs/resolve.js';
import { isOverlaySb } from '../../fs/overlay/layer.js';
import type { OvlInode } from '../../fs/overlay/inode.js';
import { dir } from '../paths.js';
import { goErrText, RunscError } from './errors.js';
import type { HostChange } from './gofer-host.js';
import type { GvisorMountFlags } from './mount-options.js';

/** A gVisor filesystem instance: its type name and what its MountOptions() prints. */
export interface GvisorFs {
  readonly name: string;
  readonly minor: number;
  options(): string;
}

/** What gVisor knows of a mount that the emulator's Mount does not. */
export interface GvisorMount {
  readonly id: number;
  readonly fs: GvisorFs;
  /** mountinfo's root field (PathnameInFilesystem of the mount's root). */
  readonly root: string;
  /** A writable gofer's: the host directory its filesystem's root is, where its changes land. */
  readonly hostDir?: string;
}


/**
 * The ids and minors the kernel and runsc's loader use before the root container's mounts
 * (cgroup v1, no --cgroupv2), by reading gVisor at 3c5eee17dc45:
 *   mounts: anonfs (vfs.go:Init), the root IPC namespace's mqueue (kernel.go:Init,
 *   InitPosixQueues → mqfs/registry.go), pipefs, nsfs, the shm tmpfs, sockfs (kernel.go:Init),
 *   hostfs (loader.go:New), one cgroupfs per controller of kernel.CgroupCtrls
 *   (cpu, cpuacct, cpuset, devices, job, memory, pids: vfs.go:mountCgroupMounts);
 *   minors: the same filesystems, plus SysV shm's device and the cgroup2fs singleton
 *   (kernel.go:Init), which have no mount.
 * So the first mount of the container is 15 and the first minor 17.
 */
export const BOOT_BASELINE = {
  mounts: ['anonfs', 'mqueue', 'pipefs', 'nsfs', 'shm tmpfs', 'sockfs', 'hostfs', 'cgroup cpu', 'cgroup cpuacct', 'cgroup cpuset', 'cgroup devices', 'cgroup job', 'cgroup memory', 'cgroup pids'],
  minors: ['anonfs', 'mqueue', 'pipefs', 'nsfs', 'shm tmpfs', 'sockfs', 'SysV shm', 'cgroup2fs', 'hostfs', 'cgroup cpu', 'cgroup cpuacct', 'cgroup cpuset', 'cgroup devices', 'cgroup job', 'cgroup memory', 'cgroup pids'],
} as const;

/** kernel.CgroupCtrls (pkg/sentry/kernel/cgroup.go). */
export const CGROUP_CTRLS = ['cpu', 'cpuacct', 'cpuset', 'devices', 'job', 'memory', 'pids'] as const;

/** Filesystems that fall back to a synthetic directory for a mount point they refuse. */
const SYNTHETIC_CAPABLE = new Set(['9p', 'proc', 'sysfs', 'cgroup', 'devpts']);

/** One call runsc made, for the dry-run's trace and for tests that watch the setup. */
export interface SentryStep {
  /** The vfs call (MountDisconnected, ConnectMountAt, SetMountReadOnly, MkdirAt, …). */
  call: string;
  /** What it was about: a path, a filesystem. */
  what: string;
  /** The gVisor id and device minor it took, when it took one. */
  id?: number;
  minor?: number;
  /** For MkdirAt: the directory is synthetic. */
  synthetic?: boolean;
}

export class SentryVfs {
  private nextId: number = BOOT_BASELINE.mounts.length + 1;
  private nextMinor: number = BOOT_BASELINE.minors.length + 1;
  private readonly gv = new Map<Mount, GvisorMount>();
  /** Overlays whose lower device number is not mapped yet. */
  private readonly overlays: { sb: SuperBlock; lowerMinor: number | null }[] = [];
  /** Directories made synthetic, by container path. */
  readonly synthetic: string[] = [];
  /** What the Sentry made on the host through writable gofers (a mount point, a working directory). */
  readonly hostChanges: HostChange[] = [];
  readonly steps: SentryStep[] = [];
  /** A test's eye on every step, after it is done. */
  onStep?: (s: SentryStep) => void;
  /** Where synthetic directories' inodes live: a private tmpfs nobody mounts. */
  private syntheticStore: SuperBlock | null = null;
  readonly creds = Credentials.root();

  constructor(readonly kernel: Kernel) {}

  record(s: SentryStep): void {
    this.steps.push(s);
    this.onStep?.(s);
  }

  /** GetAnonBlockDevMinor for a new filesystem. */
  newFs(name: string, options: () => string): GvisorFs {
    return { name, minor: this.nextMinor++, options };
  }

  /** GetAnonBlockDevMinor for a device number the filesystem keeps for itself. */
  allocMinor(): number {
    return this.nextMinor++;
  }

  /** newMount: the next id, for an emulator mount standing for a gVisor one. */
  register(m: Mount, fs: GvisorFs, root = '/', hostDir?: string): GvisorMount {
    const g = { id: this.nextId++, fs, root, ...(hostDir !== undefined ? { hostDir } : {}) };
    this.gv.set(m, g);
    return g;
  }

  /** A mount the kernel made at boot, with the id it took then. */
  registerAt(m: Mount, fs: GvisorFs, id: number, root = '/'): GvisorMount {
    const g = { id, fs, root };
    this.gv.set(m, g);
    return g;
  }

  /** newMount of a gVisor mount that has no emulator counterpart (an internal one). */
  internalMount(): number {
    return this.nextId++;
  }

  gvisorOf(m: Mount): GvisorMount | undefined {
    return this.gv.get(m);
  }

  /** An overlay to watch for its lower device minor (overlay.go:getLowerDevMinor). */
  watchOverlay(sb: SuperBlock): void {
    this.overlays.push({ sb, lowerMinor: null });
  }

  /** After a walk: an overlay that has now shown a lower-only non-directory maps its device. */
  afterWalk(): void {
    for (const o of this.overlays) {
      if (o.lowerMinor !== null || !isOverlaySb(o.sb)) continue;
      if (showsLowerFile(o.sb.root as OvlInode)) {
        o.lowerMinor = this.nextMinor++;
        this.record({ call: 'getLowerDevMinor', what: 'overlay: a lower non-directory seen', minor: o.lowerMinor });
      }
    }
  }

  /**
   * A synthetic directory's inode (gofer.go:newSyntheticDentry, kernfs newSyntheticDirectory): a
   * directory of a private tmpfs. Its attributes are always valid, which is what keeps a cached
   * name under a caching 9p mount from being asked of the server again (src/fs/gofer/super.ts:
   * revalidate), as gVisor never revalidates a synthetic dentry.
   */
  syntheticDir(mode: number): Inode {
    const store = (this.syntheticStore ??= this.kernel.filesystems.get('tmpfs')!.mount(this.kernel.fsContext(this.creds), 'none', 0, ''));
    const inode = store.root.mkdir(`s${this.synthetic.length}`, S_IFDIR | mode, this.creds.uid, this.creds.gid);
    return Object.defineProperty(inode, 'attrsValid', { value: true });
  }

  /** Whether an inode is a synthetic directory's. */
  isSynthetic(inode: Inode): boolean {
    return this.syntheticStore !== null && inode.sb === this.syntheticStore;
  }

  /**
   * vfs.go:createMountNamespace's NewMountNamespace: "The namespace root mount can't be changed,
   * so let's mount a dummy read-only tmpfs here" ("rootfs", "tmpfs", ReadOnly, Locked).
   */
  newNamespace(): SentryNs {
    const fs = this.newFs('tmpfs', () => '');
    const root = this.kernel.newMount(this.creds, 'tmpfs', 'rootfs', 0, '', MNT_READONLY);
    const g = this.register(root, fs);
    const ns = this.kernel.newNamespace();
    ns.setRoot(root);
    this.record({ call: 'NewMountNamespace', what: 'rootfs tmpfs, read-only', id: g.id, minor: fs.minor });
    return new SentryNs(this, ns);
  }

  /** The per-mount flags of vfs.MountOptions on an emulator mount. */
  static flagsOf(f: GvisorMountFlags): number {
    return (f.readOnly ? MNT_READONLY : 0) | (f.noATime ? MNT_NOATIME : 0) | (f.noExec ? MNT_NOEXEC : 0) | (f.noSUID ? MNT_NOSUID : 0);
  }

  /** SetMountReadOnly: EBUSY when going read-only while a writer holds the mount. */
  setMountReadOnly(m: Mount, ro: boolean, what: string): void {
    if (ro === m.readonly) return;
    if (ro && m.writers > 0) throw new RunscError(`failed to restore mount at ${JSON.stringify(what)} back to readonly: ${goErrText('EBUSY')}`, 'EBUSY');
    m.flags = ro ? m.flags | MNT_READONLY : m.flags & ~MNT_READONLY;
    this.record({ call: 'SetMountReadOnly', what: `${what} ${ro ? 'read-only' : 'read-write'}`, id: this.gv.get(m)?.id });
  }
}

/**
 * One container's mount namespace and the Sentry's root task in it (rootCtx: root credentials,
 * its root always mns.Root(), the top of what is mounted on the hidden root). Paths are walked
 * as the Sentry walks them; every walk lets the overlays map what they saw.
 */
export class SentryNs {
  readonly task: Process;

  constructor(
    readonly vfs: SentryVfs,
    readonly ns: MountNamespace,
  ) {
    this.task = new Process(vfs.kernel, ns, { mnt: ns.root, dentry: ns.root.root }, vfs.creds);
    this.task.umask = 0;
  }

  /** mns.Root(). */
  root(): Path {
    return followMounts({ mnt: this.ns.root, dentry: this.ns.root.root });
  }

  private walk<T>(fn: () => T): T {
    const root = this.root();
    if (this.task.root.mnt !== root.mnt || this.task.root.dentry !== root.dentry) {
      this.task.setRoot(root);
      this.task.setCwd(root);
    }
    try {
      return fn();
    } finally {
      this.vfs.afterWalk();
    }
  }

  /** Anything else the Sentry does as rootCtx (a device node, a chown): `fn` gets the task. */
  run<T>(fn: (p: Process) => T): T {
    return this.walk(() => fn(this.task));
  }

  /** OpenAt(O_RDONLY|O_DIRECTORY) and IterDirents: the names, `.` and `..` included; SysError as thrown. */
  readDir(path: string): string[] {
    return this.walk(() => {
      const fd = this.task.open(path, O_RDONLY | O_DIRECTORY);
      try {
        return this.task.getdents(fd).map((d) => d.name);
      } finally {
        this.task.close(fd);
      }
    });
  }

  /** StatAt (following the last link): the mode, or the errno. */
  statAt(path: string): { mode: number } | SysError {
    return this.walk(() => {
      try {
        return this.task.stat(path);
      } catch (e) {
        if (e instanceof SysError) return e;
        throw e;
      }
    });
  }

  /** GetDentryAt: the place a path names, the last link followed or not. */
  getDentryAt(path: string, follow = true): Path {
    return this.walk(() => (path === '/' ? this.root() : this.task.resolve(path, follow)));
  }

  /** ConnectMountAt: `m` (disconnected) attached at `path`. EBUSY on the mount's own root. */
  connectMountAt(m: Mount, path: string, follow = true): void {
    const at = this.getDentryAt(path, follow);
    if (at.dentry === m.root) throw errno('EBUSY');
    this.ns.attach(m, at.mnt, at.dentry);
    this.vfs.record({ call: 'ConnectMountAt', what: path, id: this.vfs.gvisorOf(m)?.id });
  }

  /**
   * vfs.go:MkdirAllAt: nothing if a directory is there (ENOTDIR for anything else when
   * `mustBeDir`), else the parent first, then the directory.
   */
  mkdirAllAt(path: string, mode: number, synthetic: boolean, mustBeDir: boolean): void {
    const st = this.statAt(path);
    if (!(st instanceof SysError)) {
      if (mustBeDir && !isDir(st.mode)) throw new RunscError(goErrText('ENOTDIR'), 'ENOTDIR');
      return;
    }
    if (st.code !== 'ENOENT') throw new RunscError(`stat failed for ${JSON.stringify(path)} during directory creation: ${goErrText(st.code)}`, st.code);
    this.mkdirAllAt(dir(path), mode, synthetic, true);
    try {
      this.mkdirAt(path, mode, synthetic);
    } catch (e) {
      if (e instanceof RunscError) throw e.wrap(`failed to create directory ${JSON.stringify(path)}`);
      throw e;
    }
  }

  /**
   * MkdirAt, with ForSyntheticMountpoint: a refused directory is made synthetic on the
   * filesystems that do so (gofer, kernfs); EEXIST and a read-only mount never are.
   */
  mkdirAt(path: string, mode: number, synthetic: boolean): void {
    let refused: SysError;
    try {
      const inSynthetic = this.walk(() => {
        this.task.mkdir(path, mode);
        const pw = this.task.parent(AT_FDCWD, path);
        this.noteOnHost(pw.parent, pw.last, 'directory');
        return this.vfs.isSynthetic(pw.parent.dentry.inode);
      });
      // gofer.go's createInSyntheticDir: what is made in a synthetic directory is synthetic too.
      if (inSynthetic) this.vfs.synthetic.push(path);
      this.vfs.record({ call: 'MkdirAt', what: inSynthetic ? `${path} (synthetic: in a synthetic directory)` : path, ...(inSynthetic ? { synthetic: true } : {}) });
      return;
    } catch (e) {
      if (!(e instanceof SysError)) throw e;
      refused = e;
    }
    const parent = this.walk(() => this.task.parent(AT_FDCWD, path));
    const fsName = this.vfs.gvisorOf(parent.parent.mnt)?.fs.name;
    // CheckBeginWrite comes before the filesystem is asked: a read-only mount is EROFS.
    if (!synthetic || refused.code === 'EEXIST' || parent.parent.mnt.readonly || !fsName || !SYNTHETIC_CAPABLE.has(fsName)) throw new RunscError(goErrText(refused.code), refused.code);
    parent.parent.dentry.instantiate(parent.last, this.vfs.syntheticDir(mode));
    this.vfs.synthetic.push(path);
    this.vfs.record({ call: 'MkdirAt', what: `${path} (synthetic: ${fsName} refused it with ${refused.code})`, synthetic: true });
  }

  /** A name made in a writable gofer's directory is made on the host: say so. */
  private noteOnHost(parent: Path, name: string, what: 'directory' | 'file'): void {
    const g = this.vfs.gvisorOf(parent.mnt);
    if (g?.hostDir === undefined) return;
    const rel = parent.dentry.pathFromRoot();
    this.vfs.hostChanges.push({ path: `${g.hostDir}${rel === '/' ? '' : rel}/${name}`, what, why: 'made by the Sentry through a writable gofer (makeMountPoint, MkdirAllAt)' });
  }

  /** MknodAt of a regular file (a file mount point); a gofer has no synthetic regular files. */
  mknodFileAt(path: string): void {
    try {
      this.walk(() => {
        this.task.mknod(path, S_IFREG | 0o644);
        const pw = this.task.parent(AT_FDCWD, path);
        this.noteOnHost(pw.parent, pw.last, 'file');
      });
    } catch (e) {
      if (e instanceof SysError) throw new RunscError(goErrText(e.code), e.code);
      throw e;
    }
    this.vfs.record({ call: 'MknodAt', what: path });
  }
}

/** Whether an overlay has looked up a non-directory that exists in its lower layer only. */
function showsLowerFile(root: OvlInode): boolean {
  const stack: OvlInode[] = [root];
  while (stack.length) {
    const o = stack.pop()!;
    for (const c of o.children.values()) {
      if (!isDir(c.mode)) {
        if (c.upper === null) return true;
      } else stack.push(c);
    }
  }
  return false;
}
