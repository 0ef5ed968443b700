/**
 * The emulated backend: runs a plan on a fresh in-process kernel and sandbox, one syscall-shaped
 * call an op, and reports the outcome in the plan-format shape.
 *
 * Namespaces: `unshare` makes a new one (index 1, 2, … in creation order); `setns` enters an
 * earlier one and, as the native backend does with a saved directory descriptor, re-enters that
 * namespace's sandbox root (root and cwd as the plan last had them there), so that the plan's
 * absolute paths keep meaning "inside the sandbox".
 *
 * User namespaces and detached trees are numbered by op (docs/plan-format.md): the descriptor a
 * `userns`, an `unshare` with `user` or an `open_tree` made is kept under its number, and a number
 * with none (its op failed, was refused, or is yet to come) is given to the syscall as a closed
 * descriptor, -1, so that the kernel's own order of checks decides the errno. The maps of a new
 * user namespace are written by another task of the plan's credentials that stays in the parent
 * namespace, as a runtime's parent writes them: a task forked before the unshare, or for `userns`
 * the plan's task itself writing those of a forked child that unshared.
 *
 * The sandbox policy (src/plan/policy.ts) is applied as the native backend applies it, so a
 * refused op is the same result on both. Its magic-link rule needs nothing here: the emulated
 * proc has no magic links. `policy: false` runs a plan as the bare kernel would (the replay of
 * test/kernel recordings, made without the policy; runc's dry-run, which predicts runc).
 */
import { Credentials, type CapName } from '../vfs/creds.js';
import { inodePermission, MAY_EXEC } from '../vfs/permission.js';
import { SysError, type Errno } from '../vfs/errno.js';
import { O_CREAT, O_DIRECTORY, O_NOCTTY, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY } from '../vfs/file.js';
import { makedev, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK, type FileSystemType } from '../vfs/inode.js';
import type { KernelOptions } from '../vfs/kernel.js';
import type { Path } from '../vfs/mount.js';
import type { MountNamespace } from '../vfs/mount-namespace.js';
import * as api from '../vfs/mount-api.js';
import { CLONE_NEWNET, CLONE_NEWNS } from '../vfs/net-namespace.js';
import { CLONE_NEWIPC } from '../vfs/ipc-namespace.js';
import { CLONE_NEWUSER } from '../vfs/nsproxy-syscalls.js';
import { CLONE_NEWPID } from '../vfs/pid.js';
import type { UserNamespace } from '../vfs/user-namespace.js';
import * as ms from '../vfs/mount-syscalls.js';
import { AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW, RENAME_EXCHANGE, RENAME_NOREPLACE, type Process } from '../vfs/process.js';
import { Sandbox } from '../vfs/sandbox.js';
import type { Stat } from '../vfs/stat.js';
import type { Backend } from './backend.js';
import { newKernel, type KernelFactory } from './machine.js';
import { fsconfigParams } from './overlay-data.js';
import { CGROUP_FS_MAGICS, MAX_OP_BYTES, MAX_RUN_BYTES, PSEUDO_FS_MAGICS, refusedResult, staticRefusal, type PolicyOptions, type RefusalRule } from './policy.js';
import { stoppedResult, type FileType, type OpResult, type Outcome, type StatResult } from './outcome.js';
import { idMapText, makesUserns, type IdMapExtent, type MknodTypeName, type MountAttrName, type MountFlagName, type OpenTreeFlagName, type Plan, type PlanOp, type PropagationName, type SetgroupsName, type UmountFlagName, type UnshareFlagName } from './plan.js';

/** MS_* value of each plan flag name. */
export const MOUNT_FLAGS: Record<MountFlagName, number> = {
  rdonly: ms.MS_RDONLY,
  nosuid: ms.MS_NOSUID,
  nodev: ms.MS_NODEV,
  noexec: ms.MS_NOEXEC,
  synchronous: ms.MS_SYNCHRONOUS,
  remount: ms.MS_REMOUNT,
  mandlock: ms.MS_MANDLOCK,
  dirsync: ms.MS_DIRSYNC,
  noatime: ms.MS_NOATIME,
  nodiratime: ms.MS_NODIRATIME,
  bind: ms.MS_BIND,
  move: ms.MS_MOVE,
  rec: ms.MS_REC,
  silent: ms.MS_SILENT,
  unbindable: ms.MS_UNBINDABLE,
  private: ms.MS_PRIVATE,
  slave: ms.MS_SLAVE,
  shared: ms.MS_SHARED,
  relatime: ms.MS_RELATIME,
  strictatime: ms.MS_STRICTATIME,
  lazytime: ms.MS_LAZYTIME,
};

/** S_IF* type bits of each `mknod` type name. */
export const MKNOD_TYPES: Record<MknodTypeName, number> = { char: S_IFCHR, block: S_IFBLK, fifo: S_IFIFO, file: S_IFREG, socket: S_IFSOCK };

export const UMOUNT_FLAGS: Record<UmountFlagName, number> = {
  force: ms.MNT_FORCE,
  detach: ms.MNT_DETACH,
  expire: ms.MNT_EXPIRE,
  nofollow: ms.UMOUNT_NOFOLLOW,
};

/** CLONE_* value of each `unshare` namespace name. */
export const UNSHARE_FLAGS: Record<UnshareFlagName, number> = { mnt: CLONE_NEWNS, net: CLONE_NEWNET, user: CLONE_NEWUSER, ipc: CLONE_NEWIPC, pid: CLONE_NEWPID };

/** open_tree(2) flag of each plan name (OPEN_TREE_CLOEXEC is always added). */
export const OPEN_TREE_FLAGS: Record<OpenTreeFlagName, number> = { clone: api.OPEN_TREE_CLONE, recursive: api.AT_RECURSIVE, nofollow: AT_SYMLINK_NOFOLLOW };

/** mount_setattr(2) lookup flag of each plan name. */
export const MOUNT_SETATTR_FLAGS: Record<'recursive' | 'nofollow', number> = { recursive: api.AT_RECURSIVE, nofollow: AT_SYMLINK_NOFOLLOW };

/** MOUNT_ATTR_* of each `attrSet`/`attrClr` name (`atime` is MOUNT_ATTR__ATIME, the mask). */
export const MOUNT_ATTR_BITS: Record<MountAttrName, number> = {
  rdonly: api.MOUNT_ATTR_RDONLY,
  nosuid: api.MOUNT_ATTR_NOSUID,
  nodev: api.MOUNT_ATTR_NODEV,
  noexec: api.MOUNT_ATTR_NOEXEC,
  atime: api.MOUNT_ATTR__ATIME,
  relatime: api.MOUNT_ATTR_RELATIME,
  noatime: api.MOUNT_ATTR_NOATIME,
  strictatime: api.MOUNT_ATTR_STRICTATIME,
  nodiratime: api.MOUNT_ATTR_NODIRATIME,
  idmap: api.MOUNT_ATTR_IDMAP,
  nosymfollow: api.MOUNT_ATTR_NOSYMFOLLOW,
};

/** struct mount_attr's propagation value of each name (MS_*). */
export const PROPAGATION_BITS: Record<PropagationName, number> = { unbindable: ms.MS_UNBINDABLE, private: ms.MS_PRIVATE, slave: ms.MS_SLAVE, shared: ms.MS_SHARED };

/** OR of the table's values for `names`. */
export function bitsOf<T extends string>(table: Record<T, number>, names: readonly T[] | undefined): number {
  let b = 0;
  for (const n of names ?? []) b |= table[n];
  return b;
}

/** The plan flags fsmount(2) takes as MOUNT_ATTR_* (per-mount ones; MS_RELATIME is the default). */
export const FSMOUNT_FLAGS: readonly MountFlagName[] = ['rdonly', 'nosuid', 'nodev', 'noexec', 'noatime', 'nodiratime', 'relatime', 'strictatime'];

const TYPE_NAMES: Record<number, FileType> = {
  [S_IFDIR]: 'dir',
  [S_IFLNK]: 'symlink',
  [S_IFCHR]: 'char',
  [S_IFBLK]: 'block',
  [S_IFIFO]: 'fifo',
  [S_IFSOCK]: 'socket',
};

export function statResult(st: Stat): StatResult {
  return {
    type: TYPE_NAMES[st.mode & S_IFMT] ?? 'file',
    mode: st.mode & 0o7777,
    uid: st.uid,
    gid: st.gid,
    size: st.size,
    nlink: st.nlink,
  };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** read(2) of `fd` in 64 KiB chunks to the end, one at a time (the caller may stop early). */
function* readChunks(p: Process, fd: number): Generator<Uint8Array> {
  for (;;) {
    const buf = new Uint8Array(65536);
    const n = p.read(fd, buf);
    if (n === 0) return;
    yield buf.subarray(0, n);
  }
}

/** Filesystem types whose superblocks policy.ts's pseudo-write rule covers. */
const PSEUDO_FSTYPES: ReadonlySet<string> = new Set(['proc', 'sysfs', 'cgroup', 'cgroup2']);

/** dirname(3) of an absolute path: the directory holding its last name ("/" for "/" and "/a"). */
function dirOf(path: string): string {
  const trimmed = path.replace(/\/+$/, '') || '/';
  const cut = trimmed.replace(/[^/]*$/, '').replace(/\/+$/, '');
  return cut === '' ? '/' : cut;
}

/**
 * The writes a runtime's parent makes for a new user namespace `ns`, as `writer`, in the order
 * the kernel needs them: /proc/PID/setgroups, uid_map, gid_map; the first failure is the op's.
 */
function writeMaps(writer: Process, ns: UserNamespace, op: { uidMap?: IdMapExtent[]; gidMap?: IdMapExtent[]; setgroups?: SetgroupsName }): void {
  if (op.setgroups !== undefined) writer.writeSetgroups(ns, op.setgroups);
  if (op.uidMap !== undefined) writer.writeUidMap(ns, idMapText(op.uidMap));
  if (op.gidMap !== undefined) writer.writeGidMap(ns, idMapText(op.gidMap));
}

/** Splits mountinfo text into lines (no trailing empty line). */
function lines(text: string): string[] {
  return text === '' ? [] : text.replace(/\n$/, '').split('\n');
}

/**
 * One plan run: the task, and each namespace's sandbox root, taken when the namespace is made (no
 * op moves the root inside a namespace), as the native backend keeps a descriptor of it.
 */
class PlanRun {
  readonly roots = new Map<MountNamespace, Path>();
  /** Descriptors of detached trees, by tree index (docs/plan-format.md `open_tree`). */
  private readonly trees: number[] = [];
  /** User namespaces by index: 0 the one the plan starts in, then each `userns` or `unshare` with `user`. */
  private readonly userns: (UserNamespace | undefined)[];
  /** The next tree and user-namespace index: each op of those kinds takes one, whatever its result. */
  private nextTree = 0;
  private nextUserns = 1;
  /** Set when `setns` could not re-enter the sandbox root: the plan stops there. */
  stoppedAt: number | null = null;
  /** What the run's reads and readdirs have returned (policy.ts MAX_RUN_BYTES). */
  private runBytes = 0;
  /**
   * Whether a proc, sysfs or cgroup superblock was ever made: until then no path can lie on one,
   * and the pseudo-write and cgroup checks (a statfs an op) are skipped. The run starts on a
   * tmpfs, and nothing but a mount op makes a superblock.
   */
  pseudoMounted = false;

  constructor(
    /** The plan's task: the sandbox's, until an `unshare` with `pid` hands the plan to its child. */
    public p: Process,
    private readonly policy: boolean,
    private readonly policyOpts: PolicyOptions,
  ) {
    this.remember();
    this.userns = [p.userNs];
  }

  /**
   * The tree or user-namespace index `op` takes (-1 for other ops). Called for every op, run or
   * not, so that numbers follow the plan's text.
   */
  claimIndex(op: PlanOp): number {
    if (op.op === 'open_tree') return this.nextTree++;
    return makesUserns(op) ? this.nextUserns++ : -1;
  }

  /**
   * unshare(2) of the op's namespaces (without flags, the contract's CLONE_NEWNS). With `user`,
   * the maps are written by a task forked before the unshare and left in the parent user
   * namespace, as a runtime's parent writes them.
   */
  private unshare(op: Extract<PlanOp, { op: 'unshare' }>, slot: number): void {
    const p = this.p;
    const names = op.flags ?? ['mnt'];
    if (!names.includes('user')) {
      p.unshare(bitsOf(UNSHARE_FLAGS, names));
      if (names.includes('mnt')) this.remember();
      return;
    }
    const writer = p.fork();
    try {
      p.unshare(bitsOf(UNSHARE_FLAGS, names));
      if (names.includes('mnt')) this.remember();
      writeMaps(writer, p.userNs, op);
    } finally {
      writer.exit();
    }
    this.userns[slot] = p.userNs;
  }

  /** The descriptor of tree `i`, or -1 (a closed descriptor: EBADF where the kernel looks). */
  private treeFd(i: number): number {
    return this.trees[i] ?? -1;
  }

  /** The policy's verdict on `op` before it runs, as the native child decides it. */
  refusal(op: PlanOp): RefusalRule | null {
    if (!this.policy) return null;
    const r = staticRefusal(op, this.policyOpts);
    if (r) return r;
    if (!this.pseudoMounted) return null;
    if (this.pseudoWrite(op)) return 'pseudo-write';
    // A remount's options go to the superblock of what is mounted there (cgroup1_reconfigure).
    if (op.op === 'mount' && op.flags.includes('remount') && !op.flags.includes('bind') && (op.data ?? '') !== '') {
      const m = this.fsMagic(op.target, true);
      if (typeof m === 'number' && CGROUP_FS_MAGICS.has(m)) return 'cgroup-options';
    }
    return null;
  }

  /**
   * policy.ts `pseudo-write`, checked on what the op changes as the native child checks it: the
   * object (as the op resolves it) for write, truncate, chmod, chown and link's old path; the
   * directory holding the name for an op that makes or removes one (a creating write too).
   */
  private pseudoWrite(op: PlanOp): boolean {
    const pseudo = (m: number | Errno): boolean => typeof m === 'number' && PSEUDO_FS_MAGICS.has(m);
    switch (op.op) {
      case 'mkdir':
      case 'rmdir': {
        const m = this.fsMagic(dirOf(op.path), true);
        return pseudo(m) && !(this.policyOpts.allowCgroupDirs && typeof m === 'number' && CGROUP_FS_MAGICS.has(m));
      }
      case 'write': {
        const m = this.fsMagic(op.path, true);
        return pseudo(m === 'ENOENT' ? this.fsMagic(dirOf(op.path), true) : m);
      }
      case 'truncate':
      case 'chmod':
        return pseudo(this.fsMagic(op.path, true));
      case 'chown':
        return pseudo(this.fsMagic(op.path, false));
      case 'symlink':
      case 'mknod':
      case 'unlink':
        return pseudo(this.fsMagic(dirOf(op.path), true));
      case 'link':
        return pseudo(this.fsMagic(op.oldpath, false)) || pseudo(this.fsMagic(dirOf(op.newpath), true));
      case 'rename':
        return pseudo(this.fsMagic(dirOf(op.oldpath), true)) || pseudo(this.fsMagic(dirOf(op.newpath), true));
      default:
        return false;
    }
  }

  /** statfs f_type of the filesystem `path` lies on (a symlink itself when not `follow`), or the errno. */
  private fsMagic(path: string, follow: boolean): number | Errno {
    try {
      const at = !follow && (this.p.lstat(path).mode & S_IFMT) === S_IFLNK ? dirOf(path) : path;
      return this.p.statfs(at).type;
    } catch (e) {
      if (e instanceof SysError) return e.code;
      throw e;
    }
  }

  /**
   * Takes the chunks of `source` (a read's, or a readdir's one list of names), counting `count`
   * of each as the native child does: past MAX_OP_BYTES the op is refused, and once the run has
   * returned MAX_RUN_BYTES no read or readdir runs.
   */
  private limited<T>(source: Iterable<T>, count: (chunk: T) => number): T[] | RefusalRule {
    let bytes = 0;
    const chunks: T[] = [];
    try {
      for (const c of source) {
        bytes += count(c);
        if (bytes > MAX_OP_BYTES) break;
        chunks.push(c);
      }
    } finally {
      this.runBytes += Math.min(bytes, MAX_OP_BYTES);
    }
    return bytes > MAX_OP_BYTES ? 'output-limit' : chunks;
  }

  private remember(): void {
    this.roots.set(this.p.ns, this.p.root);
  }

  apply(op: PlanOp, index: number, slot = -1): OpResult {
    const p = this.p;
    switch (op.op) {
      case 'mkdir':
        p.mkdir(op.path, op.mode ?? 0o755);
        return { ok: true };
      case 'write': {
        const fd = p.open(op.path, O_WRONLY | O_CREAT | O_TRUNC, op.mode ?? 0o644);
        try {
          const bytes = encoder.encode(op.data);
          for (let done = 0; done < bytes.length; ) done += p.write(fd, bytes.subarray(done));
        } finally {
          p.close(fd);
        }
        return { ok: true };
      }
      case 'symlink':
        p.symlink(op.target, op.path);
        return { ok: true };
      case 'link':
        p.link(op.oldpath, op.newpath);
        return { ok: true };
      case 'unlink':
        p.unlink(op.path);
        return { ok: true };
      case 'rmdir':
        p.rmdir(op.path);
        return { ok: true };
      case 'rename': {
        let flags = 0;
        for (const f of op.flags ?? []) flags |= f === 'noreplace' ? RENAME_NOREPLACE : RENAME_EXCHANGE;
        p.renameat2(-100, op.oldpath, -100, op.newpath, flags);
        return { ok: true };
      }
      case 'chmod':
        p.chmod(op.path, op.mode);
        return { ok: true };
      case 'chown':
        p.lchown(op.path, op.uid, op.gid);
        return { ok: true };
      case 'truncate':
        p.truncate(op.path, op.length);
        return { ok: true };
      case 'mount': {
        if (PSEUDO_FSTYPES.has(op.fstype)) this.pseudoMounted = true;
        if (op.fsconfig) return this.fsmount(op);
        let flags = 0;
        for (const f of op.flags) flags |= MOUNT_FLAGS[f];
        p.mount(op.source, op.target, op.fstype, flags, op.data ?? null);
        return { ok: true };
      }
      case 'umount': {
        let flags = 0;
        for (const f of op.flags ?? []) flags |= UMOUNT_FLAGS[f];
        p.umount2(op.target, flags);
        return { ok: true };
      }
      case 'unshare': {
        this.unshare(op, slot);
        // CLONE_NEWPID moves only the task's children (pid_namespaces(7)): the plan goes on in a
        // child forked now, the new namespace's first task, as the native child does.
        if (op.flags?.includes('pid')) this.p = p.fork();
        return { ok: true };
      }
      case 'userns': {
        // containerd's GetUsernsFD: a child unshares CLONE_NEWUSER and waits; the plan's task
        // writes its maps, keeps a descriptor of its namespace, and kills it.
        const child = p.fork();
        try {
          child.unshare(CLONE_NEWUSER);
          writeMaps(p, child.userNs, op);
          this.userns[slot] = child.userNs;
        } finally {
          child.exit();
        }
        return { ok: true };
      }
      case 'open_tree':
        this.trees[slot] = p.openTree(AT_FDCWD, op.path, bitsOf(OPEN_TREE_FLAGS, op.flags) | api.OPEN_TREE_CLOEXEC);
        return { ok: true };
      case 'mount_setattr': {
        const attr: api.MountAttr = {
          attrSet: bitsOf(MOUNT_ATTR_BITS, op.attrSet),
          attrClr: bitsOf(MOUNT_ATTR_BITS, op.attrClr),
          propagation: bitsOf(PROPAGATION_BITS, op.propagation),
          // No descriptor for the index, or no index: a closed userns_fd (EBADF).
          userns: op.userns === undefined ? null : (this.userns[op.userns] ?? null),
        };
        const flags = bitsOf(MOUNT_SETATTR_FLAGS, op.flags);
        if (op.tree !== undefined) p.mountSetattr(this.treeFd(op.tree), '', flags | AT_EMPTY_PATH, attr);
        else p.mountSetattr(AT_FDCWD, op.path!, flags, attr);
        return { ok: true };
      }
      case 'move_mount':
        if (op.tree !== undefined) p.moveMount(this.treeFd(op.tree), '', AT_FDCWD, op.to, api.MOVE_MOUNT_F_EMPTY_PATH);
        else p.moveMount(AT_FDCWD, op.from!, AT_FDCWD, op.to, 0);
        return { ok: true };
      case 'setns': {
        const ns = p.kernel.namespaces[op.ns];
        // No such namespace: the native side has no descriptor for it either.
        if (!ns) throw new SysError('EINVAL', 'setns');
        p.setns(ns);
        const root = this.roots.get(ns)!;
        // fchdir(2) and chroot(2) back into the sandbox root need search permission on it;
        // without it the task is left at the namespace's real root, outside the sandbox, and
        // the plan stops rather than go on there (docs/plan-format.md).
        try {
          inodePermission(p.creds, root.dentry.inode, MAY_EXEC);
        } catch (e) {
          this.stoppedAt = index;
          throw e;
        }
        p.setRoot(root);
        p.setCwd(root);
        return { ok: true };
      }
      case 'stat':
        return { ok: true, stat: statResult(op.nofollow ? p.lstat(op.path) : p.stat(op.path)) };
      case 'read': {
        if (this.policy && this.runBytes >= MAX_RUN_BYTES) return refusedResult('run-limit');
        const fd = p.open(op.path, O_RDONLY);
        try {
          const chunks = this.limited(readChunks(p, fd), (c) => (this.policy ? c.length : 0));
          if (typeof chunks === 'string') return refusedResult(chunks);
          const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
          let off = 0;
          for (const c of chunks) {
            all.set(c, off);
            off += c.length;
          }
          return { ok: true, data: decoder.decode(all) };
        } finally {
          p.close(fd);
        }
      }
      case 'setcred': {
        // prctl(PR_SET_KEEPCAPS, 1), then these calls in order; the first failure is the op's.
        if (op.groups) p.setgroups(op.groups);
        p.setresgid(op.gid);
        p.setresuid(op.uid);
        const caps = Credentials.capsOf((op.caps ?? []).map((n) => n.toUpperCase() as CapName));
        p.capset(caps, caps);
        return { ok: true };
      }
      case 'mknod': {
        p.mknod(op.path, MKNOD_TYPES[op.type] | (op.mode ?? 0o644), makedev(op.major ?? 0, op.minor ?? 0));
        return { ok: true };
      }
      case 'openpty': {
        // open(O_RDWR|O_NOCTTY) and ioctl(TIOCGPTN); the descriptor stays open to the plan's
        // end, so /dev/pts/N does too (unlockpt changes nothing a plan can see).
        const fd = p.open(op.path, O_RDWR | O_NOCTTY);
        try {
          return { ok: true, data: String(p.ptyNumber(fd)) };
        } catch (e) {
          p.close(fd);
          throw e;
        }
      }
      case 'pivot_root':
        p.pivotRoot(op.new_root, op.put_old);
        // The sandbox root of this namespace is the new root now: the native backend reopens its
        // mountinfo and root descriptors there.
        this.remember();
        return { ok: true };
      case 'readdir': {
        if (this.policy && this.runBytes >= MAX_RUN_BYTES) return refusedResult('run-limit');
        const fd = p.open(op.path, O_RDONLY | O_DIRECTORY);
        try {
          const names = p
            .getdents(fd)
            .map((e) => e.name)
            .filter((n) => n !== '.' && n !== '..');
          // One chunk of names, counted as the native child counts them: bytes of names.
          const kept = this.limited([names], (all) => (this.policy ? all.reduce((n, name) => n + encoder.encode(name).length, 0) : 0));
          if (typeof kept === 'string') return refusedResult(kept);
          return { ok: true, names: names.sort() };
        } finally {
          p.close(fd);
        }
      }
    }
  }

  /**
   * A `mount` with `fsconfig` (docs/plan-format.md): fsopen + one fsconfig a option
   * (`lowerdir+` a layer) + fsmount + move_mount; the mount flags are fsmount()'s per-mount
   * attributes, and anything else is EINVAL.
   */
  private fsmount(op: Extract<PlanOp, { op: 'mount' }>): OpResult {
    const p = this.p;
    let flags = 0;
    for (const f of op.flags) {
      if (!FSMOUNT_FLAGS.includes(f)) throw new SysError('EINVAL', 'fsmount');
      flags |= MOUNT_FLAGS[f];
    }
    if (op.flags.includes('rdonly')) flags |= ms.MS_RDONLY;
    p.fsmount(op.source || null, op.target, op.fstype, flags, fsconfigParams(op.fstype, op.data ?? ''));
    return { ok: true };
  }

  /** Each namespace's mountinfo as read from its sandbox root. */
  namespaces(): string[][] {
    return this.p.kernel.namespaces.map((ns) => {
      const root = this.roots.get(ns);
      return root ? lines(ms.mountinfo(ns, root)) : [];
    });
  }
}

/** The emulated machine: its kernel, the capabilities the plan's task starts with, the policy. */
export interface EmulatedOptions extends KernelOptions, PolicyOptions {
  /** Capabilities of the plan's uid-0 task. Default: every one. */
  caps?: bigint;
  /**
   * Filesystem types registered over the defaults, by name: a host's own cgroup layout or /proc
   * entries (src/host reads them for the dry-run).
   */
  fsTypes?: FileSystemType[];
  /** Apply the sandbox policy (src/plan/policy.ts), as the native backend does. Default true. */
  policy?: boolean;
}

/**
 * A plan run one op at a time, for callers that decide the next op from the state the last one
 * left (the OCI dry-run runs runc's algorithm this way and records the ops it makes). Its kernel
 * comes from `makeKernel` (default: every filesystem type of this build; src/index.ts passes its
 * container's).
 *
 * @example
 * ```ts
 * const s = new EmulatedSession();
 * s.apply({ op: 'mkdir', path: '/a' }); // { ok: true }
 * s.process.lstat('/a').mode; // 0o40755
 * s.outcome().mountinfo; // ['1 … / / rw,relatime - tmpfs none rw,mode=755']
 * ```
 */
export class EmulatedSession {
  readonly sandbox: Sandbox;
  readonly results: OpResult[] = [];
  private readonly run: PlanRun;

  constructor(opts: EmulatedOptions = {}, makeKernel: KernelFactory = newKernel) {
    const kernel = makeKernel(opts);
    for (const t of opts.fsTypes ?? []) kernel.register(t);
    this.sandbox = new Sandbox(kernel, { caps: opts.caps });
    this.run = new PlanRun(this.sandbox.process, opts.policy ?? true, opts);
  }

  /** The plan's task, to look at the state between ops (its root and namespace move with it). */
  get process(): Process {
    return this.run.p;
  }

  /** Runs the next op; its result is also kept for the outcome. */
  apply(op: PlanOp): OpResult {
    const i = this.results.length;
    let r: OpResult;
    const slot = this.run.claimIndex(op);
    const refused = this.run.stoppedAt === null ? this.run.refusal(op) : null;
    if (this.run.stoppedAt !== null) r = stoppedResult(this.run.stoppedAt);
    else if (refused) r = refusedResult(refused);
    else {
      try {
        r = this.run.apply(op, i, slot);
      } catch (e) {
        if (!(e instanceof SysError)) throw e;
        r = { ok: false, errno: e.code };
      }
    }
    this.results.push(r);
    return r;
  }

  /** The outcome document of the ops run so far. */
  outcome(): Outcome {
    const namespaces = this.run.namespaces();
    return {
      backend: 'emulated',
      results: [...this.results],
      mountinfo: namespaces[this.run.p.ns.index] ?? [],
      namespaces,
    };
  }
}

export function runEmulated(plan: Plan, opts: EmulatedOptions = {}, makeKernel: KernelFactory = newKernel): Outcome {
  const session = new EmulatedSession(opts, makeKernel);
  for (const op of plan.ops) session.apply(op);
  return session.outcome();
}

/** The emulated backend: each plan on a fresh kernel from `makeKernel`. */
export class EmulatedBackend implements Backend {
  readonly name = 'emulated';
  constructor(
    private readonly makeKernel: KernelFactory = newKernel,
    private readonly opts: EmulatedOptions = {},
  ) {}

  run(plan: Plan): Outcome {
    return runEmulated(plan, this.opts, this.makeKernel);
  }
}

export const emulatedBackend: Backend = new EmulatedBackend();
