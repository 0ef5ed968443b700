/**
 * The runsc profile's core: the Sentry mounting one container's filesystem, in runsc's order, on
 * the emulator — runsc/boot/vfs.go's containerMounter (gVisor 3c5eee17dc45, 2026-08-21). The
 * host side (what the gofer serves, and how) is gofer-host.ts; the filesystems are
 * sentry-fs.ts; the mount calls are sentry-vfs.ts; the mount table is mountinfo.ts.
 *
 * The order, each rule with the code it comes from:
 *  1. The root (createMountNamespace). A gofer mount of the rootfs (`9p`: goferMountData with
 *     --file-access, plus `overlayfs_stale_read`, since "we can't check for overlayfs here ...
 *     so assume root is always on top of overlayfs"), read-only if root.readonly. With an
 *     overlay medium (default --overlay2=root:self, unless the root is read-only), it becomes the
 *     lower layer of an overlay instead (configureOverlay): the lower mounted read-only, its root
 *     stat'ed (a directory or a regular file only), the upper a tmpfs without size limit (`size=`
 *     of --overlay2 if given) whose root is of the lower root's type, a regular file's content
 *     copied up, for `self` a whiteout over the filestore file (which sits in the rootfs), and
 *     the upper root given the lower root's owner, group and mode ("for consistency with VFS1").
 *     Then the namespace, whose own root is a hidden read-only tmpfs, and the root mounted on it.
 *  2. Read-only switching, root (mountAll): a read-only root mount is made writable
 *     (SetMountReadOnly(false)) while the submounts are set up, and read-only again when
 *     mountSubmounts returns — success or failure (a Go defer).
 *  3. The submounts (mountSubmounts), in prepareMounts' order (mounts.ts): for each,
 *     - a hinted shared tmpfs volume: the sandbox's master for that source, mounted once with the
 *       hint's options (getSharedMount, mountSharedMaster), then a new mount of the same
 *       filesystem with this container's options, which must be as restrictive as the master's
 *       (mountSharedSubmount, checkCompatible);
 *     - cgroup (v1): a tmpfs on the destination, made writable while it is filled if read-only,
 *       then for each Sentry controller a `/<container id>` directory in the kernel's cgroupfs
 *       mount, a synthetic mount point `/sys/fs/cgroup/<ctrl>` (mode 0777) and a bind of that
 *       directory onto it (mountCgroupSubmounts);
 *     - anything else (mountSubmount): the filesystem getMountNameAndOptions names — a skipped
 *       type ends here — overlaid if its gofer configuration says so (--overlay2=all:…), made
 *       disconnected, its root's type stat'ed, the mount point made (makeMountPoint: an existing
 *       one must be of the same kind, "mountpoint … isn't a directory"; a missing one is made as a
 *       directory (0755) or a regular file (0644) after its parents (0755), with
 *       ForSyntheticMountpoint, so that a read-only gofer or a kernfs directory gives a synthetic
 *       one), and the mount attached there, following a final symlink.
 *     Read-only switching, submounts: a read-only submount just mounted is made writable at
 *     once, so that the submounts below it can make their mount points, and read-only again when
 *     mountSubmounts returns, the last switched first (Go defers).
 *  4. /tmp (mountTmp, still inside mountSubmounts, so before the read-only restores): unless a
 *     spec mount's destination is exactly "/tmp", a tmpfs with `mode=01777` on /tmp when the
 *     image's /tmp is missing or an empty directory; not when it holds anything ("mounting tmpfs
 *     would hide existing files") or is not a directory.
 *  5. After the mounts (setupContainerVFS): the spec's device nodes made in the container's
 *     tree (createDeviceFiles, dev.go:CreateDeviceFile: parents 0755, EEXIST ignored, owner set,
 *     /dev/char links), then the process's working directory (MkdirAllAt 0755, no synthetic:
 *     under a read-only root that lacks it, runsc fails).
 *
 * Errors read as runsc wraps them from setupContainerVFS down ("failed to setupFS: mounting
 * submounts: mount submount \"/x\": …"); the first failure stops the container, after the
 * read-only restores its defers would have run.
 */
import { overlayType } from '../../fs/overlay/super.js';
import { SysError } from '../../vfs/errno.js';
import { O_CREAT, O_WRONLY } from '../../vfs/file.js';
import { isDir, isReg, makedev, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFREG, type SuperBlock } from '../../vfs/inode.js';
import type { Mount } from '../../vfs/mount.js';
import { mountDirOf } from '../../vfs/mount-dir.js';
import { clean, dir } from '../paths.js';
import type { OciSpec } from '../spec.js';
import { shouldUseOverlayfs, type GoferMountConf, type RunscConfig } from './config.js';
import { goErrText, RunscError } from './errors.js';
import { describeMount, SELF_FILESTORE_PREFIX, type GoferHost } from './gofer-host.js';
import { mountGofer, type GoferServer } from './gofer-mount.js';
import { checkCompatible, shouldShareMount, type MountHint, type RootfsHint } from './hints.js';
import { compileMounts, getMountNameAndOptions, goferMountData, prepareMounts, type MountInfo, type MountNameAndOptions, type RunscMount } from './mounts.js';
import { parseGvisorMountOptions, type GvisorMountFlags } from './mount-options.js';
import { asTaskOn, createDeviceNumberSymlink, kernelCgroupMounts, mountDev, mountDevpts, mountKernfs, mountTmpfs, gvisorTmpfsOptions, type SentryMount } from './sentry-fs.js';
import { SentryVfs, type GvisorFs, type SentryNs } from './sentry-vfs.js';

/** What one sandbox keeps across its containers (the Loader's state). */
export interface SandboxState {
  readonly vfs: SentryVfs;
  /** The pod's mount hints, from the first container's spec (loader.go:New). */
  readonly hints: MountHint[];
  /** l.sharedMounts: a shared volume's master, by hint source. */
  readonly sharedMounts: Map<string, SentryMount>;
  /** devpts's one instance (devpts.go's initOnce). */
  readonly devpts: { sb: SuperBlock | null; fs: GvisorFs | null };
  /** Makes each gofer connection's server (the embedder's: src/boot has no 9P server). */
  readonly goferServer: GoferServer;
  /** The kernel's cgroupfs mounts, one per controller. */
  cgroupMounts?: ReturnType<typeof kernelCgroupMounts>;
  /**
   * The host descriptor the next gofer connection gets in the Sentry. The first container's are
   * the first files runsc hands the sandbox (runsc/sandbox/sandbox.go:createSandboxProcess donates
   * io-fds first after stdio, so 3, 4, …, with no log file flags); a later container's arrive over
   * urpc, where the model keeps counting (not pinned down).
   */
  nextFd: number;
}

export function newSandboxState(vfs: SentryVfs, hints: MountHint[], goferServer: GoferServer): SandboxState {
  return { vfs, hints, goferServer, sharedMounts: new Map(), devpts: { sb: null, fs: null }, nextFd: 3 };
}

/** Where the container's setup stands, for the failure's "at mounts[i] (/x)". */
export interface MountCursor {
  index: number;
  destination: string;
}

export class ContainerMounter {
  readonly warnings: string[];
  ns!: SentryNs;
  /** compileMounts' list (c.mounts), as prepareMounts leaves it. */
  private mounts: RunscMount[] = [];
  /** The spec mount being set up when something failed. */
  cursor: MountCursor | null = null;
  /** Mounts made read-only again at the end, in the order restored. */
  readonly restored: string[] = [];
  private readonly fds: number[] = [];

  constructor(
    readonly sandbox: SandboxState,
    readonly spec: OciSpec,
    readonly cid: string,
    readonly config: RunscConfig,
    readonly host: GoferHost,
    /** The spec mounts as the gofer sent them (destinations of its mounts resolved). */
    readonly specMounts: RunscMount[],
    readonly rootfsHint: RootfsHint | null,
    warnings: string[],
  ) {
    this.warnings = warnings;
    // One descriptor per lisafs connection, root first, in the order the gofer serves them.
    for (let i = 0; i < host.confs.length; i++) this.fds.push(host.confs[i]!.lower === 'lisafs' ? sandbox.nextFd++ : -1);
  }

  private get vfs(): SentryVfs {
    return this.sandbox.vfs;
  }

  private warn = (w: string): void => void this.warnings.push(w);

  /**
   * The warnings runsc logs for one mount, as one line: its unknown options together
   * (ParseMountOptions logs "ignoring unknown mount option" once for each), the rest as they are.
   */
  private warnFor(dest: string): { warn: (w: string) => void; flush: () => void } {
    const ignored: string[] = [];
    const other: string[] = [];
    return {
      warn: (w) => {
        const m = /^ignoring unknown mount option (".*")$/.exec(w);
        if (m) ignored.push(m[1]!);
        else other.push(w);
      },
      flush: () => {
        for (const w of other) this.warnings.push(`${dest}: ${w}`);
        if (ignored.length) this.warnings.push(`${dest}: ignoring unknown mount option${ignored.length > 1 ? 's' : ''} ${ignored.join(', ')} (runsc's ParseMountOptions keeps ro, noatime, noexec, nosuid)`);
      },
    };
  }

  /** vfs.go:mountAll, as setupContainerVFS calls it. */
  mountAll(): void {
    try {
      this.createMountNamespace();
    } catch (e) {
      throw asRunsc(e).wrap('creating mount namespace').wrap('failed to setupFS');
    }
    const root = this.ns.root().mnt;
    const restoreRoot = root.readonly;
    if (restoreRoot) this.vfs.setMountReadOnly(root, false, '/');
    try {
      this.mountSubmounts();
    } catch (e) {
      throw asRunsc(e).wrap('mounting submounts').wrap('failed to setupFS');
    } finally {
      if (restoreRoot) {
        this.vfs.setMountReadOnly(root, true, '/');
        this.restored.push('/');
      }
    }
  }

  /** setupContainerVFS after mountAll: device files, then the working directory. */
  finishSetup(): void {
    this.cursor = null;
    for (const d of this.spec.linux?.devices ?? []) {
      try {
        this.createDeviceFile(d);
      } catch (e) {
        throw asRunsc(e).wrap('failed to create device files');
      }
    }
    const cwd = clean(this.spec.process?.cwd ?? '/');
    try {
      this.ns.mkdirAllAt(cwd, 0o755, false, true);
    } catch (e) {
      throw asRunsc(e).wrap(`failed to create process working directory ${JSON.stringify(cwd)}`);
    }
  }

  /** vfs.go:createDeviceFile → dev.go:CreateDeviceFile. */
  private createDeviceFile(d: NonNullable<NonNullable<OciSpec['linux']>['devices']>[number]): void {
    const perm = (d.fileMode ?? 0o666) & 0o777;
    const type = d.type === 'b' ? S_IFBLK : d.type === 'p' ? S_IFIFO : d.type === 'c' || d.type === 'u' ? S_IFCHR : -1;
    if (type < 0) throw new RunscError(`specified device at ${JSON.stringify(d.path)} has invalid type ${JSON.stringify(d.type)}`);
    const major = type === S_IFIFO ? 0 : (d.major ?? 0);
    const minor = type === S_IFIFO ? 0 : (d.minor ?? 0);
    const parent = dir(d.path);
    try {
      this.ns.mkdirAllAt(parent, 0o755, false, true);
    } catch (e) {
      throw new RunscError(`failed to create device parent directory ${JSON.stringify(parent)}: ${asRunsc(e).message}`, asRunsc(e).errno);
    }
    let created = true;
    try {
      this.ns.run((p) => p.mknod(d.path, type | perm, makedev(major, minor)));
    } catch (e) {
      if (!(e instanceof SysError)) throw e;
      if (e.code !== 'EEXIST') throw new RunscError(`failed to create device file at ${JSON.stringify(d.path)}: ${goErrText(e.code)}`, e.code);
      created = false;
    }
    if (created && (d.uid !== undefined || d.gid !== undefined)) {
      this.ns.run((p) => p.lchown(d.path, d.uid ?? p.lstat(d.path).uid, d.gid ?? p.lstat(d.path).gid));
    }
    if ((type === S_IFCHR || type === S_IFBLK) && d.path.startsWith('/dev/')) {
      this.ns.run((p) => createDeviceNumberSymlink(p, '/dev', d.path.slice(5), major, minor));
    }
  }

  /** vfs.go:createMountNamespace. */
  private createMountNamespace(): void {
    const rootConf = this.host.confs[0]!;
    const suppress = this.rootfsHint?.suppressDirectFS ?? false;
    const data = [...goferMountData(this.fds[0]!, this.config.fileAccess, this.config, suppress), 'overlayfs_stale_read'];
    const flags: GvisorMountFlags = { readOnly: !!this.spec.root?.readonly, noATime: false, noExec: false, noSUID: false };
    const gofer = (): SentryMount => this.goferFs(0, data, '/');
    // With an overlay, its layers are mounted first (configureOverlay), the overlay itself after
    // the namespace, as gVisor's MountDisconnected of fsName "overlay" comes after it.
    const makeRoot = shouldUseOverlayfs(rootConf)
      ? this.configureOverlay(gofer, flags, rootConf, '/')
      : (): SentryMount => {
          const g = gofer();
          g.mount.flags = SentryVfs.flagsOf(flags);
          return g;
        };
    this.ns = this.vfs.newNamespace();
    const root = makeRoot();
    this.ns.connectMountAt(root.mount, '/', false);
  }

  /** The gofer filesystem of one connection (gofer.go:GetFilesystem), its options parsed as gVisor parses them. */
  private goferFs(goferIndex: number, data: readonly string[], what: string): SentryMount {
    const served = this.host.served.find((s) => s.goferIndex === goferIndex)!;
    const opts = goferOptions(data, this.config);
    const fs = this.vfs.newFs('9p', () => opts);
    const mount = mountGofer(this.vfs.kernel, this.vfs.creds, this.host.task, served, this.sandbox.goferServer);
    // What the Sentry makes in a writable gofer's tree is made on the host (served.path there).
    const g = this.vfs.register(mount, fs, '/', served.readonly || !isDir(mount.root.inode.mode) ? undefined : served.path);
    this.vfs.record({ call: 'MountDisconnected', what: `9p for ${what} (serving ${served.path}${served.readonly ? ', read-only' : ''})`, id: g.id, minor: fs.minor });
    return { mount, fs };
  }

  /**
   * vfs.go:configureOverlay; returns the maker of the overlay mount itself, which the caller
   * calls when gVisor's MountDisconnected of the overlay would (for the root: after the
   * namespace).
   */
  private configureOverlay(makeLower: () => SentryMount, flags: GvisorMountFlags, conf: GoferMountConf, dst: string): () => SentryMount {
    // "All writes go to the upper layer, be paranoid and make lower readonly."
    const lower = makeLower();
    lower.mount.flags = SentryVfs.flagsOf({ ...flags, readOnly: true });
    const lowerRoot = lower.mount.root.inode;
    if (!isDir(lowerRoot.mode) && !isReg(lowerRoot.mode)) throw new RunscError(`lower layer's root has unsupported file type ${lowerRoot.mode & 0o170000}`);
    const upperData = conf.size ? [`size=${conf.size}`] : [];
    const upperOpts = gvisorTmpfsOptions(upperData, this.vfs.kernel.totalRamPages * 4096);
    const upperFs = this.vfs.newFs('tmpfs', () => upperOpts.printed);
    const upper = this.vfs.kernel.newMount(this.vfs.creds, 'tmpfs', 'none', 0, upperOpts.emulator, SentryVfs.flagsOf(flags));
    const ug = this.vfs.register(upper, upperFs);
    this.vfs.record({ call: 'MountDisconnected', what: `tmpfs, the overlay's upper layer for ${dst}${upperOpts.printed ? ` (${upperOpts.printed})` : ''}`, id: ug.id, minor: upperFs.minor });
    const medium = conf.upper;
    let fileLayer: string | null = null;
    asTaskOn(this.vfs, upper, (p) => {
      if (isReg(lowerRoot.mode)) {
        // A regular file overlaid: the upper root is a file with the lower's content.
        const fd = p.open('/upper', O_WRONLY | O_CREAT, 0o644);
        p.close(fd);
        fileLayer = '/upper';
      } else {
        p.mkdir('/upper', 0o755);
        p.mkdir('/work', 0o700);
        if (medium === 'self') {
          // overlay.CreateWhiteout: the filestore file in the lower layer is hidden.
          p.mknod(`/upper/${SELF_FILESTORE_PREFIX}${this.sandboxId}`, S_IFCHR, 0);
        }
      }
      // "Propagate the lower layer's root's owner, group, and mode to the upper layer's root".
      p.chown('/upper', lowerRoot.uid, lowerRoot.gid);
      p.chmod('/upper', lowerRoot.mode & 0o7777);
    });
    if (fileLayer) copyFile(lower.mount, upper);
    this.vfs.record({ call: 'SetStatAt', what: `upper root of ${dst}: uid ${lowerRoot.uid}, gid ${lowerRoot.gid}, mode 0${(lowerRoot.mode & 0o7777).toString(8)} (the lower root's)` });
    return () => {
      const dirMinor = this.vfs.allocMinor();
      let mount: Mount;
      let minor = dirMinor;
      if (fileLayer) {
        // A file cannot be an overlay's root here: the upper file, mounted, stands for it.
        const sbRoot = this.vfs.kernel.sbRoot(upper.sb);
        mount = this.vfs.kernel.mountOf(upper.sb, sbRoot.lookup('upper')!, 'none', SentryVfs.flagsOf(flags));
        minor = upperFs.minor;
      } else {
        const at = (name: string) => mountDirOf({ mnt: upper, dentry: this.vfs.kernel.sbRoot(upper.sb).lookup(name)! });
        const layers: Record<string, ReturnType<typeof mountDirOf>> = { '/lower': mountDirOf({ mnt: lower.mount, dentry: lower.mount.root }), '/upper': at('upper'), '/work': at('work') };
        const ctx = { ...this.vfs.kernel.fsContext(this.vfs.creds), resolveDir: (p: string) => layers[p]!, isMounted: () => true };
        const sb = overlayType.mount(ctx, 'overlay', 0, 'lowerdir=/lower,upperdir=/upper,workdir=/work');
        mount = this.vfs.kernel.mountOf(sb, this.vfs.kernel.sbRoot(sb), 'overlay', SentryVfs.flagsOf(flags));
        this.vfs.watchOverlay(sb);
      }
      const fs: GvisorFs = { name: 'overlay', minor, options: () => upperOpts.printed };
      const g = this.vfs.register(mount, fs);
      this.vfs.record({ call: 'MountDisconnected', what: `overlay for ${dst} (${medium} medium)`, id: g.id, minor: dirMinor });
      return { mount, fs };
    };
  }

  private get sandboxId(): string {
    return this.host.sandboxId;
  }

  /** vfs.go:mountSubmounts, with mountTmp at its end and the read-only restores after. */
  private mountSubmounts(): void {
    this.mounts = compileMounts(this.specMounts);
    const infos = prepareMounts(this.mounts, this.host.confs, this.sandbox.hints);
    const restores: { mount: Mount; what: string }[] = [];
    try {
      for (const sub of infos) {
        this.cursor = { index: sub.mount.index, destination: sub.mount.destination };
        let mnt: Mount | null = null;
        if (sub.hint && shouldShareMount(sub.hint)) {
          const master = this.getSharedMount(sub);
          try {
            mnt = this.mountSharedSubmount(sub, master);
          } catch (e) {
            throw new RunscError(`mount shared mount ${JSON.stringify(sub.hint.name)} to ${JSON.stringify(sub.mount.destination)}: ${asRunsc(e).message}`, asRunsc(e).errno);
          }
        } else if (sub.mount.type === 'cgroup' || sub.mount.type === 'cgroup2') {
          try {
            this.mountCgroupSubmounts(sub);
          } catch (e) {
            throw asRunsc(e).wrap(`mount cgroup ${JSON.stringify(sub.mount.destination)}`);
          }
        } else {
          try {
            mnt = this.mountSubmount(sub);
          } catch (e) {
            throw asRunsc(e).wrap(`mount submount ${JSON.stringify(sub.mount.destination)}`);
          }
        }
        if (mnt && mnt.readonly) {
          // "Switch to ReadWrite while we setup submounts."
          this.vfs.setMountReadOnly(mnt, false, sub.mount.destination);
          restores.push({ mount: mnt, what: sub.mount.destination });
        }
      }
      this.cursor = { index: -1, destination: '/tmp' };
      try {
        this.mountTmp();
      } catch (e) {
        throw asRunsc(e).wrap('mount submount "/tmp"');
      }
      this.cursor = null;
    } finally {
      // "Restore back to ReadOnly at the end", the last deferred first.
      for (const r of restores.reverse()) {
        this.vfs.setMountReadOnly(r.mount, true, r.what);
        this.restored.push(r.what);
      }
    }
  }

  /** The filesystem for a submount (the first half of vfs.go:mountSubmount). */
  private makeSubmountFs(sub: MountInfo, n: MountNameAndOptions): SentryMount {
    const what = sub.mount.destination;
    const make = (): SentryMount => {
      switch (n.fsName) {
        case '9p':
          return this.goferFs(sub.goferIndex!, n.data, what);
        case 'tmpfs':
          return mountTmpfs(this.vfs, n.data, what);
        case 'proc':
        case 'sysfs':
          return mountKernfs(this.vfs, n.fsName, what);
        case 'dev':
          return mountDev(this.vfs);
        case 'devpts':
          return mountDevpts(this.vfs, this.sandbox.devpts);
        default:
          throw new RunscError(`${n.fsName} (from ${sub.mount.type}) is not modelled`);
      }
    };
    if (sub.goferConf && shouldUseOverlayfs(sub.goferConf)) {
      try {
        return this.configureOverlay(make, n.flags, sub.goferConf, what)();
      } catch (e) {
        throw asRunsc(e).wrap(`mounting volume with overlay at ${JSON.stringify(what)}`);
      }
    }
    const m = make();
    m.mount.flags = SentryVfs.flagsOf(n.flags);
    return m;
  }

  /** vfs.go:mountSubmount. Returns null for a mount runsc skips. */
  private mountSubmount(sub: MountInfo): Mount | null {
    let n: MountNameAndOptions;
    try {
      if (sub.mount.type === 'erofs') {
        this.warn(`${sub.mount.destination}: EROFS mounts (an image file through the gofer) are not modelled; left out`);
        return null;
      }
      const w = this.warnFor(sub.mount.destination);
      n = getMountNameAndOptions(sub, this.config, (i) => this.fds[i]!, w.warn);
      w.flush();
    } catch (e) {
      throw new RunscError(`mountOptions failed: ${(e as Error).message}`);
    }
    if (n.fsName === '') return null;
    let m: SentryMount;
    try {
      m = this.makeSubmountFs(sub, n);
    } catch (e) {
      if (e instanceof SysError) throw new RunscError(`mounting ${JSON.stringify(sub.mount.source)} (type:${sub.mount.type}, dest: ${JSON.stringify(sub.mount.destination)}): ${goErrText(e.code)}, opts: ${describeOpts(n)}`, e.code);
      throw e;
    }
    this.attach(m.mount, sub.mount.destination, sub.mount.source);
    return m.mount;
  }

  /** The second half of mountSubmount and mountSharedSubmount: mount point, then ConnectMountAt. */
  private attach(m: Mount, dest: string, source: string): void {
    const rootIsDir = isDir(m.root.inode.mode);
    try {
      this.makeMountPoint(dest, rootIsDir);
    } catch (e) {
      throw asRunsc(e).wrap(`creating mount point ${JSON.stringify(dest)}`);
    }
    try {
      // "Avoid mounting on top of symlinks. The mount syscall on Linux always follows symlinks."
      this.ns.connectMountAt(m, dest, true);
    } catch (e) {
      throw fromSysOr(e, (t) => `attaching ${JSON.stringify(source)} to ${JSON.stringify(dest)}: ${t}`);
    }
  }

  /** vfs.go:makeMountPoint. */
  private makeMountPoint(dest: string, rootIsDir: boolean): void {
    const st = this.ns.statAt(dest);
    if (!(st instanceof SysError)) {
      if (isDir(st.mode) !== rootIsDir) {
        throw new RunscError(rootIsDir ? `mountpoint ${JSON.stringify(dest)} isn't a directory, got mode ${goMode(st.mode)}` : `mountpoint ${JSON.stringify(dest)} isn't not a file, got mode ${goMode(st.mode)}`);
      }
      return;
    }
    if (st.code !== 'ENOENT') throw new RunscError(`stat failed for ${JSON.stringify(dest)} during mountpoint creation: ${goErrText(st.code)}`, st.code);
    try {
      this.ns.mkdirAllAt(dir(dest), 0o755, true, true);
    } catch (e) {
      throw asRunsc(e).wrap(`failed to create parent directory of mountpoint ${JSON.stringify(dest)}`);
    }
    try {
      if (rootIsDir) this.ns.mkdirAt(dest, 0o755, true);
      else this.ns.mknodFileAt(dest);
    } catch (e) {
      throw asRunsc(e).wrap(`failed to create ${rootIsDir ? 'directory' : 'file'} mountpoint ${JSON.stringify(dest)}`);
    }
  }

  /** vfs.go:getSharedMount: the master of the hinted volume, mounted the first time. */
  private getSharedMount(sub: MountInfo): SentryMount {
    const hint = sub.hint!;
    const existing = this.sandbox.sharedMounts.get(hint.mount.source);
    if (existing) {
      this.vfs.record({ call: 'getSharedMount', what: `reusing the master of ${JSON.stringify(hint.name)}` });
      return existing;
    }
    try {
      // mountSharedMaster: the hint's options, not the container's.
      const masterInfo: MountInfo = { ...sub, mount: { ...sub.mount, options: [...hint.mount.options] } };
      const w = this.warnFor(`${sub.mount.destination} (the master of ${JSON.stringify(hint.name)})`);
      const n = getMountNameAndOptions(masterInfo, this.config, (i) => this.fds[i]!, w.warn);
      w.flush();
      if (n.fsName === '') throw new RunscError(`mount type not supported ${JSON.stringify(hint.mount.type)}`);
      const master = this.makeSubmountFs(masterInfo, n);
      this.sandbox.sharedMounts.set(hint.mount.source, master);
      this.vfs.record({ call: 'mountSharedMaster', what: `${JSON.stringify(hint.name)} from ${hint.mount.source}`, id: this.vfs.gvisorOf(master.mount)?.id });
      return master;
    } catch (e) {
      throw asRunsc(e).wrap(`mounting shared master ${JSON.stringify(hint.name)}`).wrap(`getting shared mount ${JSON.stringify(hint.name)}`);
    }
  }

  /** vfs.go:mountSharedSubmount: a new mount of the master's filesystem, this container's flags. */
  private mountSharedSubmount(sub: MountInfo, master: SentryMount): Mount {
    const bad = checkCompatible(sub.hint!, sub.mount.options, describeMount(sub.mount));
    if (bad) throw new RunscError(bad);
    const w = this.warnFor(sub.mount.destination);
    const flags = parseGvisorMountOptions(sub.mount.options, w.warn);
    w.flush();
    const m = this.vfs.kernel.mountOf(master.mount.sb, master.mount.root, 'none', SentryVfs.flagsOf(flags));
    const g = this.vfs.register(m, master.fs);
    this.vfs.record({ call: 'NewDisconnectedMount', what: `shared volume ${JSON.stringify(sub.hint!.name)} for ${sub.mount.destination}`, id: g.id });
    this.attach(m, sub.mount.destination, sub.mount.source);
    return m;
  }

  /** vfs.go:mountCgroupSubmounts (cgroup v1). */
  private mountCgroupSubmounts(sub: MountInfo): void {
    const tmp: MountInfo = { ...sub, mount: { ...sub.mount, type: 'tmpfs' } };
    const mnt = this.mountSubmount(tmp);
    const restore = mnt !== null && mnt.readonly;
    if (restore) this.vfs.setMountReadOnly(mnt!, false, sub.mount.destination);
    try {
      this.sandbox.cgroupMounts ??= kernelCgroupMounts(this.vfs);
      for (const c of this.sandbox.cgroupMounts) {
        // The container's cgroup: /<container id> in the controller's hierarchy.
        asTaskOn(this.vfs, c.mount, (p) => {
          try {
            p.mkdir(`/${this.cid}`, 0o755);
          } catch (e) {
            if (e instanceof SysError) throw new RunscError(goErrText(e.code), e.code);
            throw e;
          }
        });
        const destination = `/sys/fs/cgroup/${c.ctrl}`;
        try {
          // vfs.go:MakeSyntheticMountpoint (mode 0777); a failure is only logged.
          this.ns.mkdirAllAt(dir(destination), 0o777, true, true);
          this.ns.mkdirAllAt(destination, 0o777, true, false);
        } catch (e) {
          this.warn(`Failed to create mount point ${JSON.stringify(destination)}: ${asRunsc(e).message}`);
        }
        // vfs.go:BindAt: a clone of the controller's mount rooted at the container's cgroup.
        const srcDentry = this.vfs.kernel.sbRoot(c.mount.sb).lookup(this.cid)!;
        const target = this.ns.getDentryAt(destination);
        if (!isDir(target.dentry.inode.mode)) throw new RunscError(goErrText('ENOTDIR'), 'ENOTDIR');
        const clone = this.vfs.kernel.mountOf(c.mount.sb, srcDentry, 'cgroup', c.mount.flags);
        const g = this.vfs.register(clone, c.fs, `/${this.cid}`);
        this.ns.ns.attach(clone, target.mnt, target.dentry);
        this.vfs.record({ call: 'BindAt', what: `cgroup ${c.ctrl}:/${this.cid} on ${destination}`, id: g.id });
      }
    } finally {
      if (restore) {
        this.vfs.setMountReadOnly(mnt!, true, sub.mount.destination);
        this.restored.push(sub.mount.destination);
      }
    }
  }

  /** vfs.go:mountTmp. */
  private mountTmp(): void {
    if (this.mounts.some((m) => m.destination === '/tmp')) {
      this.vfs.record({ call: 'mountTmp', what: 'explicit "/tmp" mount found, skipping internal tmpfs' });
      return;
    }
    let names: string[];
    try {
      names = this.ns.readDir('/tmp');
    } catch (e) {
      if (!(e instanceof SysError)) throw e;
      if (e.code === 'ENOTDIR') {
        this.vfs.record({ call: 'mountTmp', what: '"/tmp" is not a directory: let it be' });
        return;
      }
      if (e.code !== 'ENOENT') throw new RunscError(`opening "/tmp" inside container: ${goErrText(e.code)}`, e.code);
      this.vfs.record({ call: 'mountTmp', what: 'no "/tmp": mounting internal tmpfs' });
      return this.mountTmpTmpfs();
    }
    if (names.some((n) => n !== '.' && n !== '..')) {
      this.vfs.record({ call: 'mountTmp', what: 'skipping internal tmpfs mount for "/tmp" because it\'s not empty' });
      return;
    }
    this.vfs.record({ call: 'mountTmp', what: 'mounting internal tmpfs on top of empty "/tmp"' });
    this.mountTmpTmpfs();
  }

  private mountTmpTmpfs(): void {
    // "Sticky bit is added to prevent accidental deletion of files from another user."
    const tmp: MountInfo = { mount: { index: -1, destination: '/tmp', type: 'tmpfs', source: '', options: ['mode=01777'] } };
    try {
      this.mountSubmount(tmp);
    } catch (e) {
      throw asRunsc(e).wrap('mountSubmount failed');
    }
  }
}

/**
 * gofer/filesystem.go:MountOptions, from the data string as gofer.go:GetFilesystem parses it:
 * trans, rfdno, wfdno, aname (default /), dfltuid and dfltgid (default 4294967294, Linux's
 * _V9FS_DEFUID), dcache (`N-global` with --dcache, else the mount's, 1000 by default), cache
 * (fscache for exclusive access, remote_revalidating for shared), then the flags that are set.
 */
export function goferOptions(data: readonly string[], conf: RunscConfig): string {
  const kv = new Map<string, string | null>();
  for (const d of data) {
    const eq = d.indexOf('=');
    kv.set(eq < 0 ? d : d.slice(0, eq), eq < 0 ? null : d.slice(eq + 1));
  }
  const fd = kv.get('rfdno') ?? '-1';
  const dcache = conf.dcache >= 0 ? `${conf.dcache}-global` : (kv.get('dcache') ?? '1000');
  const cache = kv.get('cache') === 'remote_revalidating' ? 'remote_revalidating' : kv.get('cache') === 'fscache_writethrough' ? 'fscache_writethrough' : 'fscache';
  const out = [`trans=fd`, `rfdno=${fd}`, `wfdno=${fd}`, `aname=${kv.get('aname') ?? '/'}`, 'dfltuid=4294967294', 'dfltgid=4294967294', `dcache=${dcache}`, `cache=${cache}`];
  for (const flag of ['disable_file_handle_sharing', 'disable_fifo_open', 'force_page_cache', 'limit_host_fd_translation', 'overlayfs_stale_read', 'directfs']) if (kv.has(flag)) out.push(flag);
  return out.join(',');
}

/** Go's %v of the options a failed MountDisconnected got (the fields that matter). */
function describeOpts(n: MountNameAndOptions): string {
  return `&{ReadOnly:${n.flags.readOnly} NoExec:${n.flags.noExec} NoSUID:${n.flags.noSUID} NoATime:${n.flags.noATime} Data:${n.data.join(',')}}`;
}

/** abi/linux FileMode.String: `S_IFREG|0o644`. */
function goMode(mode: number): string {
  const types: Record<number, string> = { [0o140000]: 'S_IFSOCK', [0o120000]: 'S_IFLINK', [S_IFREG]: 'S_IFREG', [0o060000]: 'S_IFBLK', [S_IFDIR]: 'S_IFDIR', [0o020000]: 'S_IFCHR', [0o010000]: 'S_IFIFO' };
  const parts: string[] = [];
  const t = types[mode & 0o170000];
  if (t) parts.push(t);
  const extra = [[0o4000, 'S_ISUID'], [0o2000, 'S_ISGID'], [0o1000, 'S_ISVTX']].filter(([b]) => mode & (b as number)).map(([, n]) => n as string);
  if (extra.length) parts.push(extra.join('|'));
  parts.push(`0o${(mode & 0o777).toString(8)}`);
  return parts.join('|');
}

/** Copies a file's bytes from the root of one mount to the `upper` file of another. */
function copyFile(from: Mount, to: Mount): void {
  const src = from.root.inode;
  const dst = to.root.lookup('upper')!.inode;
  const buf = new Uint8Array(src.size);
  let off = 0;
  while (off < buf.length) {
    const n = src.read(off, buf.subarray(off));
    if (n === 0) break;
    off += n;
  }
  dst.write(0, buf.subarray(0, off));
}

function asRunsc(e: unknown): RunscError {
  if (e instanceof RunscError) return e;
  if (e instanceof SysError) return new RunscError(goErrText(e.code), e.code);
  throw e;
}

function fromSysOr(e: unknown, say: (t: string) => string): RunscError {
  if (e instanceof SysError) return new RunscError(say(goErrText(e.code)), e.code);
  return asRunsc(e);
}
