/**
 * The host side of a runsc container: what runsc and its gofer do on the host before the Sentry
 * mounts anything, replayed as plan ops on an emulated host (an EmulatedSession), as the runc
 * profile replays runc. It owns the emulated host's tree (the bundle image, the bind sources),
 * the gofer's mount namespace, and the list of what the gofer serves.
 *
 * runsc's order (each step with the code it comes from):
 *  1. runsc create: the gofer configuration of the root and of each gofer mount, in spec order
 *     (runsc/container/container.go:initGoferConfs): the root gets the overlay medium of
 *     --overlay2 (or the rootfs hint's) unless it is read-only; a submount gets the submount
 *     medium unless it has `ro`; a sandbox-local hinted volume always gets `self`. `self` needs a
 *     directory (createGoferConf: a file falls back to memory). Then the filestore files of
 *     `self` media: `<source>/.gvisor.filestore.<sandbox id>`, created O_EXCL (a shared hint may
 *     find it there) — runsc writes into the rootfs and the volumes here
 *     (container.go:createGoferFilestoreInSelf).
 *  2. the gofer, in a mount namespace of its own (runsc/cmd/sandboxsetup/gofer_mount.go:
 *     SetupRootFS): `/` made rslave; the rootfs bound onto itself and given
 *     linux.rootfsPropagation (default rslave); then, in spec order, each gofer mount served by
 *     lisafs (SetupMounts): its destination resolved in the rootfs (fs.go:ResolveSymlinks, which
 *     follows links lexically and clamps `..` at the root), the mount point made as the source's
 *     type — a directory (MkdirAll 0777) or an empty file (O_CREAT 0777), both under runsc's
 *     umask 022 — on the host, the source bound there, its propagation set; the bind's own flags
 *     (plus nosuid, plus the flags statfs shows, plus ro for an overlaid mount) are applied by a
 *     remount only once every mount point exists ("Otherwise they can be remounted into
 *     read-only": the gofer's own read-only switching), last first; then the root is remounted
 *     read-only when it is read-only or overlaid.
 *  3. the mounts the Sentry gets (gofer.go: ResolveMounts): each lisafs mount's destination
 *     replaced by the resolved one, `overlayfs_stale_read` added when the host path is on
 *     overlayfs, `disable_file_handle_sharing` on NFS or FUSE (AdjustMountOptions).
 *
 * The gofer's chroot plumbing (/proc/fs tmpfs, pivot_root into it, /etc/localtime) changes what
 * it serves in no way and is left out; so are hooks. Invariant: every op is recorded with the
 * step it belongs to; ops before `firstRunscOp` stand for the host as it is before runsc starts.
 */
import { EmulatedSession, type EmulatedOptions } from '../../plan/emulated.js';
import type { OpResult } from '../../plan/outcome.js';
import type { MountFlagName, PlanOp } from '../../plan/plan.js';
import { SysError, type Errno } from '../../vfs/errno.js';
import { isDir, isLnk } from '../../vfs/inode.js';
import type { Process } from '../../vfs/process.js';
import { ST_NOATIME, ST_NODEV, ST_NODIRATIME, ST_NOEXEC, ST_RDONLY, ST_RELATIME } from '../../vfs/stat.js';
import { MS, planFlags } from '../mount-options.js';
import { clean, dir, join, rel } from '../paths.js';
import { imageOps, mkdirAllOps, type ImageNode } from '../rootfs-image.js';
import type { HostPath } from '../runc-profile.js';
import type { OciSpec } from '../spec.js';
import { createGoferConf, isFilestorePresent, shouldUseOverlayfs, type GoferMountConf, type OverlayMedium, type RunscConfig } from './config.js';
import { goErrText, RunscError } from './errors.js';
import { findHint, isSandboxLocal, shouldShareMount, type MountHint, type RootfsHint } from './hints.js';
import { isReadonlyOptions, optionsToFlags, propOptionsToFlags } from './mount-options.js';
import { hasMountConfig, isGoferMount, type RunscMount } from './mounts.js';

/** fsutil.SelfFilestorePrefix. */
export const SELF_FILESTORE_PREFIX = '.gvisor.filestore.';

/** What the emulated host holds before runsc starts (as the runc profile takes it). */
export interface HostImage {
  /** The bundle directory on the host. */
  bundle: string;
  image?: ImageNode;
  images?: { at: string; image: ImageNode }[];
  hostPaths?: HostPath[];
}

/** One lisafs connection of the gofer: the tree it serves, as the gofer's namespace shows it. */
export interface ServedMount {
  /** 0 for the root, then the n-th gofer mount. */
  goferIndex: number;
  /** The path in the gofer's mount namespace (the rootfs, or a resolved destination in it). */
  path: string;
  /** gofer.go:serve: the connection refuses every change (fsgofer.ConnectionOpts(readonly)). */
  readonly: boolean;
}

/** A file or directory runsc made on the host, and why. */
export interface HostChange {
  path: string;
  what: 'directory' | 'file';
  why: string;
}

const OVERLAYFS_SUPER_MAGIC = 0x794c7630;
const NFS_SUPER_MAGIC = 0x6969;
const FUSE_SUPER_MAGIC = 0x65735546;

/**
 * The emulated host machine of one sandbox: its kernel (an EmulatedSession without the sandbox
 * policy, as the host runsc runs on has none), and the plan of every op made on it, each with the
 * step it belongs to. Every container's gofer works on it, each in a namespace of its own.
 */
export class HostPlan {
  readonly session: EmulatedSession;
  readonly ops: PlanOp[] = [];
  readonly steps: string[] = [];
  step = 'host';
  /** Ops before this stand for the host as it is before runsc starts. */
  firstRunscOp = 0;
  /** Containers whose host side has been set up. */
  containers = 0;

  /** A task that stays in the host's namespace, to look at the host after runsc has run. */
  readonly hostTask: Process;

  constructor(emulated: EmulatedOptions) {
    this.session = new EmulatedSession({ policy: false, ...emulated });
    this.hostTask = this.session.process.fork();
  }

  exec(op: PlanOp): OpResult {
    this.ops.push(op);
    this.steps.push(this.step);
    return this.session.apply(op);
  }
}

/** One container's host side: its gofer configurations, its gofer, what it serves and changed. */
export class GoferHost {
  confs: GoferMountConf[] = [];
  readonly served: ServedMount[] = [];
  readonly hostChanges: HostChange[] = [];
  /** The gofer's mount points, host path → the bind source behind it, to say where a change lands. */
  private readonly binds: { dst: string; source: string }[] = [];

  constructor(
    readonly plan: HostPlan,
    readonly spec: OciSpec,
    readonly rootfs: string,
    readonly config: RunscConfig,
    readonly sandboxId: string,
    readonly warnings: string[],
  ) {}

  /** The gofer's task once it has its own namespace (before: runsc's, in the host's). */
  get task(): Process {
    return this.plan.session.process;
  }

  private set step(s: string) {
    this.plan.step = s;
  }

  exec(op: PlanOp): OpResult {
    return this.plan.exec(op);
  }

  /** An op that must succeed; runsc's error worded by `say` otherwise. */
  private must(op: PlanOp, say: (text: string) => string): void {
    const r = this.exec(op);
    if (!r.ok) {
      const code = ('errno' in r ? r.errno : 'EIO') as Errno;
      throw new RunscError(say(goErrText(code)), code);
    }
  }

  /** lstat(2) (or stat(2) with `follow`) on the host as the gofer's task: the mode, or the errno. */
  private look(path: string, follow = false): { mode: number } | Errno {
    try {
      return follow ? this.task.stat(path) : this.task.lstat(path);
    } catch (e) {
      if (e instanceof SysError) return e.code;
      throw e;
    }
  }

  private lstat(path: string): { mode: number } | Errno {
    return this.look(path);
  }

  private stat(path: string): { mode: number } | Errno {
    return this.look(path, true);
  }

  /** The missing directories of `path`, made as they were on the host (0755). */
  private mkdirs(path: string): void {
    for (const op of mkdirAllOps(path)) if (op.op === 'mkdir' && typeof this.stat(op.path) === 'string') this.exec(op);
  }

  /** The host before runsc: the bundle, more trees, the bind sources outside the bundle. */
  loadHost(h: HostImage): void {
    this.step = 'host';
    // A later container of the sandbox: back to the host's namespace first.
    if (this.task.ns.index !== 0) this.exec({ op: 'setns', ns: 0 });
    for (const t of [{ at: h.bundle, image: h.image }, ...(h.images ?? [])]) {
      this.mkdirs(dir(t.at));
      if (t.image) for (const op of imageOps(t.image, t.at)) this.exec(op);
      else this.mkdirs(t.at);
    }
    // Without an image nothing describes the bundle: its rootfs is taken to be there.
    if (!h.image) this.mkdirs(this.rootfs);
    for (const p of h.hostPaths ?? []) {
      if (typeof this.stat(p.path) !== 'string') continue;
      this.mkdirs(p.kind === 'dir' ? p.path : dir(p.path));
      if (p.kind === 'file') this.exec({ op: 'write', path: p.path, data: '', mode: 0o644 });
    }
    if (this.plan.containers++ === 0) this.plan.firstRunscOp = this.plan.ops.length;
  }

  /** What a mount source is on the host (createGoferConf stats it). */
  sourceKind = (path: string): 'dir' | 'file' | 'missing' => {
    const st = this.stat(path);
    if (typeof st === 'string') return 'missing';
    return isDir(st.mode) ? 'dir' : 'file';
  };

  /** container.go:initGoferConfs. */
  initGoferConfs(mounts: readonly RunscMount[], hints: readonly MountHint[], rootfsHint: RootfsHint | null): void {
    this.step = 'initGoferConfs';
    const o = this.config.overlay2;
    let medium: OverlayMedium = o.rootMount ? o.medium : '';
    let size = o.rootMount ? o.size : '';
    if (rootfsHint) {
      medium = rootfsHint.overlay;
      size = rootfsHint.size;
    }
    if (this.spec.root?.readonly) medium = '';
    const warn = (w: string): void => void this.warnings.push(w);
    this.confs = [createGoferConf(medium, size, 'bind', this.rootfs, this.sourceKind, warn)];
    for (const m of mounts) {
      if (!hasMountConfig(m)) continue;
      let sub: OverlayMedium = o.subMounts ? o.medium : '';
      let subSize = o.subMounts ? o.size : '';
      let type: 'bind' | 'tmpfs' = 'bind';
      if (isReadonlyOptions(m.options)) sub = '';
      const hint = findHint(hints, m.source);
      if (hint && isSandboxLocal(hint)) {
        // "we want overlayMedium=self even if this is a read-only mount so that the shared
        // mount is created correctly".
        sub = 'self';
        if (!isGoferMount({ type: hint.mount.type, source: hint.mount.source, options: hint.mount.options })) type = 'tmpfs';
        subSize = '';
      }
      this.confs.push(createGoferConf(sub, subSize, type, m.source, this.sourceKind, warn));
    }
  }

  /** container.go:createGoferFilestores: the `self` media's files, root first. */
  createFilestores(mounts: readonly RunscMount[], hints: readonly MountHint[]): void {
    this.step = 'createGoferFilestores';
    const sources = [this.rootfs, ...mounts.filter((m) => hasMountConfig(m)).map((m) => m.source)];
    this.confs.forEach((conf, i) => {
      if (!isFilestorePresent(conf)) return;
      if (conf.upper === 'anon') {
        // An unnamed file in --overlay2's dir=: created and unlinked at once, nothing stays.
        return;
      }
      const src = sources[i]!;
      const path = join(src, SELF_FILESTORE_PREFIX + this.sandboxId);
      const hint = findHint(hints, src);
      const exists = typeof this.lstat(path) !== 'string';
      // A shared volume may reuse the file a previous container made; otherwise O_EXCL.
      if (exists && hint && shouldShareMount(hint)) return;
      if (exists) throw new RunscError(`${JSON.stringify(src)} mount source already has a filestore file at ${JSON.stringify(path)}; repeated submounts are not supported with overlay optimizations`, 'EEXIST');
      this.must({ op: 'write', path, data: '', mode: 0o644 }, (t) => `failed to create filestore file inside ${JSON.stringify(src)}: open ${path}: ${t}`);
      this.hostChanges.push({ path, what: 'file', why: `the ${i === 0 ? 'root' : 'volume'}'s self-backed overlay filestore (container.go:createGoferFilestoreInSelf)` });
    });
  }

  /** sandboxsetup.ResolveSymlinks: lexical, through the host's links, never above `root`. */
  resolveSymlinks(root: string, relPath: string, base = root, follow = 255): string {
    if (follow === 0) throw new RunscError(`too many symlinks to follow, path: ${JSON.stringify(join(base, relPath))}`);
    for (const name of clean(relPath).split('/')) {
      if (name === '' || name === '.') continue;
      const path = join(base, name);
      if (!path.startsWith(root)) {
        base = root;
        continue;
      }
      const st = this.lstat(path);
      if (typeof st === 'string') {
        if (st !== 'ENOENT') throw new RunscError(`lstat ${path}: ${goErrText(st)}`, st);
        base = path;
        continue;
      }
      if (isLnk(st.mode)) {
        const link = this.task.readlink(path);
        if (link.startsWith('/')) base = root;
        base = this.resolveSymlinks(root, link, base, follow - 1);
        continue;
      }
      base = path;
    }
    return base;
  }

  /** mount(2) as the gofer calls it, with runsc's error. */
  private mount(source: string, target: string, fstype: string, bits: number, say: (text: string) => string): void {
    const op: PlanOp = { op: 'mount', source, target, fstype, flags: planFlags(bits).flags as MountFlagName[] };
    this.must(op, say);
  }

  /**
   * gofer_mount.go:SetupRootFS and SetupMounts: the gofer's namespace, the binds into the rootfs
   * and the deferred remounts, then the read-only root. Fills `served`.
   */
  setUpGofer(mounts: readonly RunscMount[]): void {
    this.step = 'gofer: clone(CLONE_NEWNS)';
    this.exec({ op: 'unshare' });
    this.step = 'gofer: SetupRootFS';
    this.mount('', '/', '', MS.SLAVE | MS.REC, (t) => `error converting mounts: ${t}`);
    const root = this.rootfs;
    const rootConf = this.confs[0]!;
    this.mount(root, root, '', MS.BIND | MS.REC, (t) => `self-bind-mounting rootfs ${JSON.stringify(root)}: ${t}`);
    const rp = this.spec.linux?.rootfsPropagation;
    const prop = rp ? propOptionsToFlags([rp]) : MS.SLAVE | MS.REC;
    this.mount('', root, '', prop, (t) => `mounting root (${JSON.stringify(root)}) with flags: 0x${prop.toString(16)}, err: ${t}`);
    this.served.push({ goferIndex: 0, path: root, readonly: !!this.spec.root?.readonly || shouldUseOverlayfs(rootConf) });
    const deferred: (() => void)[] = [];
    let goferIndex = 0;
    for (const m of mounts) {
      if (!hasMountConfig(m)) continue;
      goferIndex++;
      const conf = this.confs[goferIndex]!;
      if (conf.lower !== 'lisafs') continue;
      this.step = `gofer: SetupMounts ${m.destination}`;
      const dst = this.resolveSymlinks(root, m.destination);
      let flags = optionsToFlags(m.options) | MS.BIND;
      if (shouldUseOverlayfs(conf)) flags |= MS.RDONLY;
      try {
        this.safeSetupAndMount(m.source, dst, m.type, flags);
      } catch (e) {
        if (e instanceof RunscError) throw e.wrap(`error setting up FS: mounting ${describeMount(m)}`);
        throw e;
      }
      this.binds.push({ dst, source: m.source });
      this.served.push({ goferIndex, path: dst, readonly: isReadonlyOptions(m.options) || shouldUseOverlayfs(conf) });
      // "Apply mount options after creating all mount points. Otherwise they can be remounted
      // into read-only." The gofer runs nothing natively, so nosuid always.
      deferred.push(() => {
        this.step = `gofer: SetupMounts ${m.destination} (deferred remount)`;
        const st = this.task.statfs(dst);
        let locked = 0;
        for (const [s, b] of [[ST_RDONLY, MS.RDONLY], [ST_NOEXEC, MS.NOEXEC], [ST_NODEV, MS.NODEV], [ST_NOATIME, MS.NOATIME], [ST_NODIRATIME, MS.NODIRATIME], [ST_RELATIME, MS.RELATIME]] as const) {
          if ((st.flags & s) === s) locked |= b;
        }
        if (!(locked & (MS.NOATIME | MS.RELATIME))) locked |= MS.STRICTATIME;
        const all = flags | MS.NOSUID | locked | MS.REMOUNT;
        this.mount('', dst, '', all, (t) => `error setting up FS: mount dst: ${JSON.stringify(dst)}, flags: 0x${all.toString(16)}, err: ${t}`);
      });
      const pflags = propOptionsToFlags(m.options);
      if (pflags) this.mount('', dst, '', pflags, (t) => `error setting up FS: mount dst: ${JSON.stringify(dst)}, flags: 0x${pflags.toString(16)}, err: ${t}`);
    }
    for (const f of deferred.reverse()) f();
    if (this.spec.root?.readonly || shouldUseOverlayfs(rootConf)) {
      this.step = 'gofer: SetupRootFS (read-only root)';
      const flags = MS.BIND | MS.REMOUNT | MS.RDONLY | MS.NOSUID | MS.NODEV;
      this.mount(root, root, 'bind', flags, (t) => `remounting root as read-only with source: ${JSON.stringify(root)}, target: ${JSON.stringify(root)}, flags: 0x${flags.toString(16)}, err: ${t}`);
    }
  }

  /** specutils.SafeSetupAndMount: the mount point as the source's type, on the host, then the bind. */
  private safeSetupAndMount(src: string, dst: string, type: string, flags: number): void {
    const st = this.stat(src);
    if (typeof st === 'string') throw new RunscError(`stat(${JSON.stringify(src)}) failed: stat ${src}: ${goErrText(st)}`, st);
    const directory = isDir(st.mode);
    this.mkdirAll(directory ? dst : dir(dst));
    if (!directory && typeof this.lstat(dst) === 'string') {
      this.must({ op: 'write', path: dst, data: '', mode: 0o755 }, (t) => `open(${JSON.stringify(dst)}) failed: open ${dst}: ${t}`);
      this.noteChange(dst, 'file');
    }
    // SafeMount goes through /proc/self/fd: a mount point that is a symlink is refused.
    const l = this.lstat(dst);
    if (typeof l !== 'string' && isLnk(l.mode)) throw new RunscError(`failed to safely mount: expected to open ${dst}, but found ${this.task.readlink(dst)}`);
    this.mount(src, dst, type, flags, (t) => `mount(${JSON.stringify(src)}, ${JSON.stringify(dst)}, ${flags}) failed: mount(${JSON.stringify(src)}, "/proc/self/fd/N", ${JSON.stringify(type)}, 0x${flags.toString(16)}, "") failed: ${t}`);
  }

  /** os.MkdirAll(path, 0777) under umask 022. */
  private mkdirAll(path: string): void {
    const st = this.stat(path);
    if (typeof st !== 'string') {
      if (isDir(st.mode)) return;
      throw new RunscError(`mkdir(${JSON.stringify(path)}) failed: mkdir ${path}: ${goErrText('ENOTDIR')}`, 'ENOTDIR');
    }
    const parent = dir(path);
    if (parent !== path && parent !== '/') this.mkdirAll(parent);
    const r = this.exec({ op: 'mkdir', path, mode: 0o755 });
    if (!r.ok) {
      const code = ('errno' in r ? r.errno : 'EIO') as Errno;
      throw new RunscError(`mkdir(${JSON.stringify(path)}) failed: mkdir ${path}: ${goErrText(code)}`, code);
    }
    this.noteChange(path, 'directory');
  }

  /** A path the gofer made: on the host, in the rootfs or in the bind source it went through. */
  private noteChange(path: string, what: 'directory' | 'file'): void {
    let host = path;
    let via = 'in the rootfs';
    let best = '';
    for (const b of this.binds) {
      if ((path === b.dst || path.startsWith(`${b.dst}/`)) && b.dst.length > best.length) {
        best = b.dst;
        host = join(b.source, rel(b.dst, path));
        via = `in the volume ${b.source}, through its bind on ${b.dst.slice(this.rootfs.length) || '/'}`;
      }
    }
    this.hostChanges.push({ path: host, what, why: `a mount point the gofer made ${via} (sandboxsetup.SetupMounts)` });
  }

  /** gofer.go's ResolveMounts: resolved destinations and adjusted options for lisafs mounts. */
  resolveMounts(mounts: readonly RunscMount[]): RunscMount[] {
    this.step = 'gofer: ResolveMounts';
    let goferIndex = 0;
    return mounts.map((m) => {
      if (!hasMountConfig(m)) return m;
      goferIndex++;
      if (this.confs[goferIndex]!.lower !== 'lisafs') return m;
      const dst = this.resolveSymlinks(this.rootfs, m.destination);
      const options = [...m.options];
      const type = this.task.statfs(dst).type;
      if (type === OVERLAYFS_SUPER_MAGIC) options.push('overlayfs_stale_read');
      else if (type === NFS_SUPER_MAGIC || type === FUSE_SUPER_MAGIC) options.push('disable_file_handle_sharing');
      return { ...m, destination: join('/', rel(this.rootfs, dst)), options };
    });
  }
}

/** Go's %+v of a specs.Mount, as the gofer's error prints it. */
export function describeMount(m: RunscMount): string {
  return `{Destination:${m.destination} Type:${m.type} Source:${m.source} Options:[${m.options.join(' ')}] UIDMappings:[] GIDMappings:[]}`;
}
