/**
 * containerd's `mount.All` replayed over a Process, each system call recorded (steps.ts):
 * core/mount/mount.go All() and Mount.Mount() (the mount's `target` joined under the root with
 * continuity's fs.RootPath, symlinks kept inside it), and core/mount/mount_linux.go
 * Mount.mount():
 *
 * 1. a `fuse.`/`fuse3.` type goes to the helper (fuse-helper.ts);
 * 2. the options through containerd's parser (src/boot/mount-options.ts, `containerd`); an
 *    `X-containerd.*` option left for the mount manager is an error;
 * 3. overlay data of a page less 512 bytes or more is compacted (compactLowerdirOption(): the
 *    layers relative to their common parent, mounted from there: a chdir in a thread of its
 *    own, CLONE_FS unshared — here a forked task);
 * 4. `loop`: a loop device set up over the source (loop-setup.ts, autoclear, read-only with
 *    `ro`, `direct-io` taken out of the data) and mounted instead; its descriptor closed when
 *    Mount.mount returns, after the mount holds the device;
 * 5. mount(2) with the flags less the propagation bits, unless this is a remount without data;
 * 6. the propagation change, a mount(2) of its own;
 * 7. bind + ro: the read-only remount (with the flags a user namespace locks, read by statfs).
 *
 * Where this differs: uidmap=/gidmap= (an id-mapped mount through a user namespace made for it)
 * is not replayed (an error says so); a block filesystem vfsemu does not read (ext4, erofs, …)
 * fails as a kernel without it does (ENODEV), with a note naming the type
 * (src/fs/vfsemu-image notModelled()); FUSE helpers run only as the embedder's daemon objects.
 */
import type { FuseDaemon } from '../../fs/fuse/daemon.js';
import { notModelled } from '../../fs/vfsemu-image/vfsemu-image.js';
import { SysError } from '../../vfs/errno.js';
import { isLnk } from '../../vfs/inode.js';
import type { Process } from '../../vfs/process.js';
import { compactLowerdirs } from '../../plan/overlay-data.js';
import { MS, parseMountOptions } from '../mount-options.js';
import { fuseHelperFor, mountWithHelper } from './fuse-helper.js';
import { setupLoop, type LoopFile, type LoopSetupOptions } from './loop-setup.js';
import type { ContainerdMount } from './mount-list.js';
import { ContainerdError, q, StepLog, type ContainerdStep } from './steps.js';

export interface MountAllOptions {
  /** FUSE daemons by subtype (`fuse-overlayfs` for `fuse3.fuse-overlayfs`). */
  fuseDaemons?: Readonly<Record<string, FuseDaemon>>;
  /** Loop setup variants (an old kernel's LOOP_SET_FD path; containerd before 05a2e280). */
  loop?: LoopSetupOptions;
  /** os.Getpagesize(): 4096. */
  pageSize?: number;
}

export interface MountAllResult {
  steps: ContainerdStep[];
  /** The error mount.All returns, and the index of the mount it stopped at. */
  failure: { mount: number; message: string; errno?: string } | null;
}

const MOUNT_LINUX = 'core/mount/mount_linux.go';
const PTYPES = MS.SHARED | MS.PRIVATE | MS.SLAVE | MS.UNBINDABLE;

/** path.Clean for an absolute path. */
function clean(path: string): string {
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return '/' + out.join('/');
}

/**
 * continuity fs.RootPath(root, path): `path` under `root`, each symlink on the way resolved as if
 * `root` were `/`, so that nothing leads out of it; a missing component ends the resolution
 * (the rest is joined as it is).
 */
export function rootPath(p: Process, root: string, path: string): string {
  if (path === '') return root;
  let rest = clean('/' + path).split('/').filter(Boolean);
  let cur: string[] = [];
  let links = 0;
  while (rest.length) {
    const part = rest.shift()!;
    const next = [...cur, part];
    const full = clean(root + '/' + next.join('/'));
    let target: string | null = null;
    try {
      if (isLnk(p.lstat(full).mode)) target = p.readlink(full);
    } catch (e) {
      if (!(e instanceof SysError)) throw e;
    }
    if (target === null) {
      cur = next;
      continue;
    }
    if (++links > 255) throw new ContainerdError(`failed to join path ${JSON.stringify(path)} with root ${JSON.stringify(root)}: too many links`, 'ELOOP');
    const t = target.split('/').filter(Boolean);
    if (target.startsWith('/')) cur = [];
    rest = [...t, ...rest];
    // '..' never climbs out of the root.
    while (rest[0] === '..' || rest[0] === '.') {
      if (rest.shift() === '..') cur.pop();
    }
  }
  return clean(root + '/' + cur.join('/'));
}

/** Mount.mount(): one mount at `target` (already joined). */
export function mountOne(p: Process, log: StepLog, m: ContainerdMount, target: string, opts: MountAllOptions = {}): void {
  if (fuseHelperFor(m.type)) return mountWithHelper(p, log, m, target, opts.fuseDaemons ?? {});
  const by = `${MOUNT_LINUX}:Mount.mount`;
  const internal = m.options.find((o) => o.startsWith('X-containerd.'));
  if (internal !== undefined) throw new ContainerdError(`internal mount option ${JSON.stringify(internal)} was not consumed by the mount manager`);
  const opt = parseMountOptions(m.options, 'containerd');
  if (opt.uidmap !== undefined && opt.gidmap !== undefined) {
    throw new ContainerdError('uidmap=/gidmap= (an id-mapped mount through a user namespace containerd makes for it) is not replayed by vfsemu');
  }
  const pageSize = opts.pageSize ?? 4096;
  let chdir = '';
  let data = opt.data;
  // optionsSize(): the options' lengths, no separators.
  const size = m.options.reduce((n, o) => n + new TextEncoder().encode(o).length, 0);
  if (m.type === 'overlay' && size >= pageSize - 512) {
    const c = compactLowerdirs(data);
    if (c) {
      chdir = c.dir;
      data = c.data;
    }
  }
  const oflags = opt.flags & ~PTYPES;
  let loopParams = null;
  if (opt.loop) {
    const words = data === '' ? [] : data.split(',');
    const i = words.indexOf('direct-io');
    if (i >= 0) words.splice(i, 1);
    data = words.join(',');
    loopParams = { readonly: (oflags & MS.RDONLY) !== 0, autoclear: true, direct: i >= 0 };
  }
  if (new TextEncoder().encode(data).length > pageSize) throw new ContainerdError('mount options is too long');
  let lo: LoopFile | null = null;
  try {
    if (!(opt.flags & MS.REMOUNT) || data !== '') {
      let source = m.source;
      if (loopParams) {
        lo = setupLoop(p, log, m.source, loopParams, opts.loop);
        source = lo.name;
      }
      mountAt(p, log, chdir, source, target, m.type, oflags, data);
    }
    if (opt.flags & PTYPES) {
      const pflags = opt.flags & (PTYPES | MS.REC | MS.SILENT);
      sys(p, log, by, '', target, '', pflags, '', 'the propagation change, apart from the mount');
    }
    const bro = MS.BIND | MS.RDONLY;
    if ((oflags & bro) === bro) {
      let unpriv = 0;
      // userns.RunningInUserNS(): keep the flags the copy's lock would refuse to clear.
      if (p.creds.userNs.parent !== null) unpriv = unprivilegedMountFlags(p, target);
      sys(p, log, by, '', target, '', oflags | unpriv | MS.REMOUNT, '', 'a bind is read-only only after a remount');
    }
  } finally {
    // defer loFile.Close(): after everything above, the mount holding the device.
    if (lo?.fd != null) {
      const fd = lo.fd;
      log.run(by, `close(${fd})`, () => p.close(fd), 'the loop device\'s setup descriptor; with autoclear the device goes at the last close, now the umount');
    }
  }
}

/** getUnprivilegedMountFlags(): statfs f_flags among the ones CL_UNPRIVILEGED locks. */
function unprivilegedMountFlags(p: Process, target: string): number {
  const f = p.statfs(target).flags;
  let out = 0;
  // ST_RDONLY 1, ST_NOSUID 2, ST_NODEV 4, ST_NOEXEC 8, ST_NOATIME 1024, ST_NODIRATIME 2048, ST_RELATIME 4096
  const pairs: [number, number][] = [[1, MS.RDONLY], [4, MS.NODEV], [8, MS.NOEXEC], [2, MS.NOSUID], [1024, MS.NOATIME], [4096, MS.RELATIME], [2048, MS.NODIRATIME]];
  for (const [st, ms] of pairs) if (f & st) out |= ms;
  return out;
}

/** One mount(2), recorded; a ContainerdError in containerd's words on failure. */
function sys(p: Process, log: StepLog, by: string, source: string, target: string, fstype: string, flags: number, data: string, note?: string): void {
  try {
    log.run(by, `mount(${q(source)}, ${q(target)}, ${q(fstype)}, ${flags}, ${q(data)})`, () => p.mount(source, target, fstype, flags, data), note);
  } catch (e) {
    if (e instanceof SysError) throw new ContainerdError(e.message, e.code);
    throw e;
  }
}

/** mountAt(): mount(2), from `chdir` when given (a thread with its own fs_struct). */
function mountAt(p: Process, log: StepLog, chdir: string, source: string, target: string, fstype: string, flags: number, data: string): void {
  const by = `${MOUNT_LINUX}:mountAt`;
  const unmodelled = notModelled(fstype);
  let task = p;
  if (chdir !== '') {
    task = p.fork();
    try {
      log.run(by, `unshare(CLONE_FS); chdir(${q(chdir)})`, () => task.chdir(chdir), 'a locked OS thread with its own cwd, so that the shortened lowerdir= names resolve from there');
    } catch (e) {
      task.exit();
      if (e instanceof SysError) throw new ContainerdError(e.message, e.code);
      throw e;
    }
  }
  try {
    log.run(by, `mount(${q(source)}, ${q(target)}, ${q(fstype)}, ${flags}, ${q(data)})`, () => task.mount(source, target, fstype, flags, data), unmodelled ?? undefined);
  } catch (e) {
    if (e instanceof SysError) {
      const msg = `mount source: ${JSON.stringify(source)}, target: ${JSON.stringify(target)}, fstype: ${fstype}, flags: ${flags}, data: ${JSON.stringify(data)}, err: ${e.message}`;
      throw new ContainerdError(unmodelled ? `${msg} (${unmodelled})` : msg, e.code);
    }
    throw e;
  } finally {
    if (task !== p) task.exit();
  }
}

/**
 * mount.All(mounts, target): each mount in order, its `target` joined under `target`; the first
 * error stops it (and is returned, as containerd returns it, the mounts made so far left).
 *
 * @example
 * ```ts
 * const r = mountAll(p, [{ type: 'overlay', source: 'overlay', target: '', options: ['lowerdir=/l', 'upperdir=/u', 'workdir=/w'] }], '/rootfs');
 * r.failure; // null
 * r.steps.map((s) => s.call); // ['mount("overlay", "/rootfs", "overlay", 0, "lowerdir=/l,upperdir=/u,workdir=/w")']
 * ```
 */
export function mountAll(p: Process, mounts: readonly ContainerdMount[], target: string, opts: MountAllOptions = {}): MountAllResult {
  const log = new StepLog();
  for (let i = 0; i < mounts.length; i++) {
    const m = mounts[i]!;
    try {
      mountOne(p, log, m, rootPath(p, target, m.target), opts);
    } catch (e) {
      if (e instanceof ContainerdError) return { steps: log.steps, failure: { mount: i, message: e.message, ...(e.errno ? { errno: e.errno } : {}) } };
      throw e;
    }
  }
  return { steps: log.steps, failure: null };
}
