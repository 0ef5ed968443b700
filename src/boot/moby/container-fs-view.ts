/**
 * containerFSView: a container's filesystem — its rootfs with its volumes mounted where the
 * container sees them — assembled in a mount namespace of its own, so that nothing mounted for an
 * archive operation propagates anywhere else. Replays moby's daemon/containerfs_linux.go
 * (`openContainerFS`, `containerFSView.RunInFS`/`GoInFS`/`Close`/`Stat`, `createIfNotExists`,
 * `makeMountRRO`) and daemon/internal/mounttree/switchroot_linux.go (`SwitchRoot`), at the moby
 * commit docs/runtime-helpers.md names. It is what moby PR #44210 (commit 2bdc7fb0a1, "daemon:
 * archive in a dedicated mount namespace") put in place of mounting the volumes under the rootfs
 * in the daemon's own namespace (legacy-mount-volumes.ts), which multiplied mounts in containers
 * that had /var/lib/docker or a parent of it as a volume (moby#38995, moby#43390).
 *
 * The steps, in moby's order: a task of the daemon (the goroutine's locked OS thread) unshares its
 * mount namespace and makes "/" rslave; each volume is bound (rbind, or bind when NonRecursive)
 * onto its destination resolved inside the rootfs (GetResourcePath; missing destinations made
 * 0755, a file for a file source), remounted read-only when not writable, made rprivate, and made
 * recursively read-only with mount_setattr(AT_RECURSIVE, MOUNT_ATTR_RDONLY) unless
 * ReadOnlyNonRecursive; then SwitchRoot pivots into the rootfs and detaches the old root. Close
 * ends the task, and with its last task the namespace and every mount in it go (put_mnt_ns).
 *
 * Deliberate differences:
 * - moby binds onto /proc/self/fd/N of an O_PATH descriptor to pin the destination against a
 *   symlink swap; the emulator is single-threaded, so the resolved path is used directly.
 * - Go's os.MkdirTemp names the pivot directory ".pivot_root" plus a random number; here the number
 *   counts up from 0, so runs are deterministic.
 * - GoInFS runs the function at once: the core is synchronous.
 * - Freeing the namespace when its last task exits is done here (`putMntNs`), since Process.exit
 *   does not do it yet (put_mnt_ns(): umount_tree() of the whole tree without propagation).
 */
import { SysError } from '../../vfs/errno.js';
import { isDir, isLnk } from '../../vfs/inode.js';
import type { Kernel } from '../../vfs/kernel.js';
import { AT_RECURSIVE, MOUNT_ATTR_RDONLY } from '../../vfs/mount-api.js';
import type { MountNamespace } from '../../vfs/mount-namespace.js';
import { MNT_DETACH, MS_PRIVATE, MS_REC, umountTree } from '../../vfs/mount-syscalls.js';
import { CLONE_NEWNS } from '../../vfs/net-namespace.js';
import { AT_FDCWD, O_CREAT, O_WRONLY, type Process } from '../../vfs/process.js';
import type { Stat } from '../../vfs/stat.js';
import { base, clean, dir, secureJoin } from '../paths.js';
import { mkdirAll, statOrNull } from '../tar/task-fs.js';
import { getResourcePath, linkReader, MobyError, type MobyContainer } from './container.js';
import { makeRPrivate, makeRSlave, mobyMount, mounted } from './sys-mount.js';

/** containertypes.PathStat: what `docker cp` shows of a path (the X-Docker-Container-Path-Stat header). */
export interface PathStat {
  name: string;
  size: number;
  /** st_mode. */
  mode: number;
  /** Modification time, seconds. */
  mtime: number;
  /** For a symlink, its target followed to the end inside the container ('' otherwise). */
  linkTarget: string;
}

/** A message for a syscall failure, Go-style: "op path: text". */
function goError(e: unknown, what: string): MobyError {
  if (e instanceof MobyError) return e;
  if (e instanceof SysError) return new MobyError(`${what}: ${e.message}`, e.code);
  throw e;
}

/**
 * put_mnt_ns() for a namespace no task uses any more: the whole tree unmounted without
 * propagation, so its mounts leave their peer groups and give their ids back.
 */
export function putMntNs(kernel: Kernel, ns: MountNamespace): void {
  for (const t of kernel.tasks()) if ((t as Partial<Process>).ns === ns) return;
  if (ns.mounts.size === 0) return;
  umountTree(kernel, ns.root, false);
}

/** createIfNotExists(): MkdirAll 0755 for a directory source, else the parent and an empty file. */
function createIfNotExists(p: Process, path: string, isDirectory: boolean): void {
  if (isDirectory) {
    mkdirAll(p, path, 0o755);
    return;
  }
  mkdirAll(p, dir(path), 0o755);
  p.close(p.open(path, O_CREAT | O_WRONLY, 0o755));
}

/** os.MkdirTemp(parent, prefix) with a counter for the random part; mode 0700. */
function mkdirTemp(p: Process, parent: string, prefix: string): string {
  for (let n = 0; ; n++) {
    const path = `${clean(parent)}/${prefix}${n}`;
    try {
      p.mkdir(path, 0o700);
      return path;
    } catch (e) {
      if (!(e instanceof SysError && e.code === 'EEXIST')) throw e;
    }
  }
}

/** realChroot(): chroot then chdir "/". */
function realChroot(p: Process, path: string): void {
  p.chroot(path);
  p.chdir('/');
}

/**
 * mounttree.SwitchRoot(path): bind the rootfs onto itself unless it is a mount point, pivot_root
 * into it with the old root on a temporary directory, make that old root rprivate and detach it.
 * A failed bind or pivot falls back to chroot, as moby's does.
 */
export function switchRoot(p: Process, path: string): void {
  if (!mounted(p, path)) {
    try {
      mobyMount(p, path, path, 'bind', 'rbind,rw');
    } catch {
      realChroot(p, path);
      return;
    }
  }
  let pivotDir = mkdirTemp(p, path, '.pivot_root');
  try {
    p.pivotRoot(path, pivotDir);
  } catch {
    p.rmdir(pivotDir);
    realChroot(p, path);
    return;
  }
  pivotDir = `/${base(pivotDir)}`;
  p.chdir('/');
  p.mount('', pivotDir, '', MS_PRIVATE | MS_REC, '');
  p.umount2(pivotDir, MNT_DETACH);
  p.rmdir(pivotDir);
}

/**
 * A view of a container's filesystem. Open one with `openContainerFS`; every function given to
 * `runInFS` runs as the view's task, whose "/" is the container's root; `close` ends it.
 */
export class ContainerFSView {
  private closed = false;

  constructor(
    /** The view's task: root and cwd in the container, in the view's own mount namespace. */
    readonly task: Process,
    readonly container: MobyContainer,
    /** What moby logs at debug level and goes on (a recursive read-only that failed). */
    readonly warnings: string[],
  ) {}

  /** The view's mount namespace. */
  get ns(): MountNamespace {
    return this.task.ns;
  }

  /** RunInFS: `fn` as the view's task; its result or its error. */
  runInFS<T>(fn: (task: Process) => T): T {
    if (this.closed) throw new MobyError('container filesystem view is closed');
    return fn(this.task);
  }

  /** GoInFS: the core is synchronous, so the same as runInFS without a result. */
  goInFS(fn: (task: Process) => void): void {
    this.runInFS(fn);
  }

  /** containerFSView.Stat: lstat, and for a symlink its target followed inside the container. */
  stat(path: string): PathStat {
    return this.runInFS((p) => {
      let st: Stat;
      try {
        st = p.lstat(path);
      } catch (e) {
        throw goError(e, `lstat ${path}`);
      }
      const linkTarget = isLnk(st.mode) ? secureJoin('/', path, linkReader(p)) : '';
      return { name: base(path), size: st.size, mode: st.mode, mtime: st.mtime.sec, linkTarget };
    });
  }

  /** Close: the task exits, and with it the namespace and the volume binds in it. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const ns = this.task.ns;
    this.task.exit();
    putMntNs(this.task.kernel, ns);
  }
}

/**
 * openContainerFS(): the view of `ctr`'s filesystem, made by a task forked from `daemon` (dockerd,
 * in the host's mount namespace, umask 022 as dockerd sets it).
 *
 * @example
 * ```ts
 * const view = openContainerFS(dockerd, { id: 'a', baseFS: '/var/lib/docker/a/rootfs', mounts: [{ source: '/srv/v', destination: '/data', writable: true }] });
 * view.runInFS((p) => p.stat('/data'));
 * view.close();
 * ```
 */
export function openContainerFS(daemon: Process, ctr: MobyContainer): ContainerFSView {
  const task = daemon.fork();
  const warnings: string[] = [];
  const fail = (e: unknown, what: string): never => {
    const ns = task.ns;
    task.exit();
    if (ns !== daemon.ns) putMntNs(task.kernel, ns);
    throw goError(e, what);
  };
  try {
    task.unshare(CLONE_NEWNS);
  } catch (e) {
    fail(e, 'unshare');
  }
  try {
    makeRSlave(task, '/');
  } catch (e) {
    fail(e, 'make / rslave');
  }
  for (const m of ctr.mounts) {
    let resolved: string;
    try {
      resolved = getResourcePath(task, ctr, m.destination);
    } catch (e) {
      return fail(e, `resolve mount destination ${JSON.stringify(m.destination)}`);
    }
    const st = statOrNull(task, m.source);
    if (!st) return fail(new SysError('ENOENT', 'stat', m.source), `stat ${m.source}`);
    try {
      createIfNotExists(task, resolved, isDir(st.mode));
    } catch (e) {
      return fail(e, `create mount target ${JSON.stringify(m.destination)}`);
    }
    if (m.writable && m.readOnlyNonRecursive) return fail(new MobyError('options conflict: Writable && ReadOnlyNonRecursive'), '');
    if (m.writable && m.readOnlyForceRecursive) return fail(new MobyError('options conflict: Writable && ReadOnlyForceRecursive'), '');
    if (m.readOnlyNonRecursive && m.readOnlyForceRecursive) return fail(new MobyError('options conflict: ReadOnlyNonRecursive && ReadOnlyForceRecursive'), '');
    try {
      mobyMount(task, m.source, resolved, '', m.nonRecursive ? 'bind' : 'rbind');
      if (!m.writable) mobyMount(task, '', resolved, '', 'ro,remount,bind');
      // Never the volume's own propagation: that is for the container's mount of it.
      makeRPrivate(task, resolved);
    } catch (e) {
      return fail(e, `mount ${m.source} on ${m.destination}`);
    }
    if (!m.writable && !m.readOnlyNonRecursive) {
      try {
        task.mountSetattr(AT_FDCWD, resolved, AT_RECURSIVE, { attrSet: MOUNT_ATTR_RDONLY, attrClr: 0 });
      } catch (e) {
        const msg = `failed to apply MOUNT_ATTR_RDONLY with AT_RECURSIVE to ${JSON.stringify(resolved)}: ${e instanceof Error ? e.message : String(e)}`;
        if (m.readOnlyForceRecursive) return fail(new MobyError(msg), '');
        warnings.push(`Failed to make ${JSON.stringify(m.destination)} recursively read-only: ${msg}`);
      }
    }
  }
  try {
    switchRoot(task, ctr.baseFS);
  } catch (e) {
    fail(e, 'switch root');
  }
  return new ContainerFSView(task, ctr, warnings);
}
