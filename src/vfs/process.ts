/**
 * Process: a task — credentials, umask, root and cwd (fs_struct), its mount, network, IPC and
 * children's PID namespaces (nsproxy), its pid, fd table — and its syscalls as methods with the
 * names and arguments of the C calls.
 *
 * The methods are thin: each names its syscall for the error (`sys()` stamps a `SysError` with
 * the syscall name and the path(s)) and hands the task to the family that implements it, one
 * file per kernel source:
 *
 * - file-syscalls.ts: open, close, dup, read, write, lseek, getdents, ioctl(TIOCGPTN) (fs/open.c,
 *   fs/read_write.c, fs/readdir.c; FIFOs in pipe.ts, fs/pipe.c)
 * - stat-syscalls.ts: stat, statfs, readlink, access (fs/stat.c, fs/statfs.c, fs/open.c)
 * - name-syscalls.ts: mkdir, mknod, symlink, link, unlink, rmdir, rename (fs/namei.c)
 * - attr-syscalls.ts: chmod, chown, truncate, utimensat, umask (fs/open.c, fs/utimes.c)
 * - fs-struct-syscalls.ts: chdir, fchdir, chroot, getcwd (fs/open.c, fs/d_path.c)
 * - xattr-syscalls.ts: the xattr calls (fs/xattr.c)
 * - mount-syscalls.ts: mount, umount2, pivot_root, setns, mountinfo (fs/namespace.c)
 * - mount-api.ts: open_tree, mount_setattr, move_mount (fs/namespace.c)
 * - nsproxy-syscalls.ts: unshare of the user, mount, network, IPC and PID namespaces
 *   (kernel/fork.c, kernel/nsproxy.c)
 * - userns-syscalls.ts: /proc/PID/{uid_map,gid_map,setgroups} writes, getresuid, getresgid
 *   (kernel/user_namespace.c, kernel/sys.c)
 * - cred-syscalls.ts: setgroups, setresgid, setresuid, capset (kernel/groups.c, kernel/sys.c,
 *   kernel/capability.c)
 * - task.ts, wait.ts, pidfd.ts: clone, exit, kill, waitid, wait4, pidfd_open, pidfd_send_signal
 *   (kernel/fork.c, kernel/exit.c, kernel/signal.c, kernel/pid.c)
 * - ns-files.ts: setns(2) with a descriptor, and the reads and writes of descriptors bound to a
 *   namespace at open (/proc/PID/{uid_map,gid_map,setgroups}, fs/nsfs.c)
 *
 * Invariants: `root` and `cwd` each pin their mount (`Mount.refs`) and move only through
 * `setRoot` and `setCwd`; the task holds its `pid` from construction until it is reaped (it is
 * allocated in the PID namespace its parent gives children, which is then its active one and
 * never changes; `pidNsForChildren` is that one until unshare(CLONE_NEWPID)), and is
 * in its kernel's task list from construction until it exits (`exit()` or a fatal signal), which
 * closes every descriptor; after that it is a zombie until its parent waits for it (task.ts).
 */
import { Credentials } from './creds.js';
import { errno, SysError } from './errno.js';
import { FdTable } from './file.js';
import { isDir, RENAME_EXCHANGE, RENAME_NOREPLACE, RENAME_WHITEOUT, type DirEntry } from './inode.js';
import type { Kernel } from './kernel.js';
import type { Path } from './mount.js';
import type { MountNamespace } from './mount-namespace.js';
import { CLONE_NEWNS, type NetNamespace } from './net-namespace.js';
import { resolveParent, resolvePath, type ParentWalk, type WalkTask } from './resolve.js';
import type { Stat, StatFs } from './stat.js';
import type { Timespec } from './time.js';
import * as attrSys from './attr-syscalls.js';
import * as credSys from './cred-syscalls.js';
import * as fileSys from './file-syscalls.js';
import * as fsStructSys from './fs-struct-syscalls.js';
import * as mountApi from './mount-api.js';
import * as mountSys from './mount-syscalls.js';
import * as nameSys from './name-syscalls.js';
import * as nsSys from './nsproxy-syscalls.js';
import * as statSys from './stat-syscalls.js';
import * as xattrSys from './xattr-syscalls.js';
import * as usernsSys from './userns-syscalls.js';
import type { UserNamespace } from './user-namespace.js';
import * as nsFiles from './ns-files.js';
import type { IpcNamespace } from './ipc-namespace.js';
import { unallocPid, type Pid, type PidNamespace } from './pid.js';
import * as pidfdSys from './pidfd.js';
import { CLD_EXITED, CLONE_PIDFD, copyProcess, doExit, type ExitInfo } from './task.js';
import * as waitSys from './wait.js';
import { AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_NOFOLLOW } from './file-syscalls.js';

export { AT_EACCESS, AT_EMPTY_PATH, AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_FOLLOW, AT_SYMLINK_NOFOLLOW, mntWantWrite } from './file-syscalls.js';
export { SEEK_CUR, SEEK_DATA, SEEK_END, SEEK_HOLE, SEEK_SET } from './file-syscalls.js';
export { F_OK, R_OK, W_OK, X_OK } from './stat-syscalls.js';
export { RENAME_EXCHANGE, RENAME_NOREPLACE, RENAME_WHITEOUT };
export { O_ACCMODE, O_APPEND, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_PATH, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY } from './file.js';

/** What a syscall throws: a SysError stamped with the syscall and path(s); anything else as it is. */
function stamp(e: unknown, name: string, path: string | undefined, dest?: string): unknown {
  return e instanceof SysError ? e.at(name, path, dest) : e;
}

/**
 * A task. Construct one with `Sandbox` (src/vfs/sandbox.ts) or from another with `fork()`.
 *
 * @example
 * ```ts
 * const p = new Sandbox().process;
 * p.mkdir('/a', 0o755);
 * const fd = p.open('/a/f', O_WRONLY | O_CREAT, 0o644);
 * p.write(fd, new TextEncoder().encode('hi'));
 * p.close(fd);
 * ```
 */
export class Process implements WalkTask {
  creds: Credentials;
  umask = 0o022;
  root: Path;
  cwd: Path;
  ns: MountNamespace;
  /** The task's network namespace (nsproxy->net_ns): init_net until it unshares one. */
  netns: NetNamespace;
  /** The task's IPC namespace (nsproxy->ipc_ns): init_ipc_ns until it unshares one. */
  ipcNs: IpcNamespace;
  /**
   * nsproxy->pid_ns_for_children: where its children's pids are allocated. Its active namespace
   * (`pidNs`) to begin with; unshare(CLONE_NEWPID) sets a new child of it.
   */
  pidNsForChildren: PidNamespace;
  fds = new FdTable();
  private _pid: Pid;
  /** The parent that waits for it; null for a first task and for an orphan (its reaper reaps at once). */
  realParent: Process | null = null;
  readonly children = new Set<Process>();
  /** Running; a zombie (exited, not reaped); or dead (reaped). */
  exitState: 'running' | 'zombie' | 'dead' = 'running';
  /** What a wait reports once it has exited. */
  exitInfo: ExitInfo | undefined;

  /**
   * A first task: pid from `pidNs` (init_pid_ns by default; EAGAIN when every number is taken,
   * ENOMEM when the namespace's init has exited), no parent.
   */
  constructor(
    readonly kernel: Kernel,
    ns: MountNamespace,
    root: Path,
    creds: Credentials = Credentials.root(),
    pidNs: PidNamespace = kernel.pidNs,
  ) {
    this._pid = pidNs.alloc();
    this._pid.task = this;
    this.pidNsForChildren = pidNs;
    this.ns = ns;
    this.netns = kernel.initNetNs;
    this.ipcNs = kernel.initIpcNs;
    this.creds = creds;
    this.root = root;
    this.cwd = root;
    root.mnt.refs += 2;
    kernel.addTask(this);
  }

  /** fork(2): a child task sharing nothing mutable: copies of creds, fs root/cwd and the fd table. */
  fork(): Process {
    return this.clone(0).child;
  }

  /**
   * clone(2) with the flags task.ts models (CLONE_FILES, CLONE_PIDFD, CLONE_NEWUSER, CLONE_NEWNS,
   * CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWPID; EINVAL for others): the child; clone's value,
   * the child's number in this task's PID namespace (which is not the child's getpid() once
   * the child is in a namespace of its own); and with CLONE_PIDFD a pidfd of it in this task's
   * table (-1 otherwise).
   *
   * @example
   * ```ts
   * const { child, pid, pidfd } = p.clone(CLONE_NEWUSER | CLONE_PIDFD);
   * p.open(`/proc/${pid}/uid_map`, O_WRONLY); // the child's, in a proc of p's PID namespace
   * p.pidfdSendSignal(pidfd, 0); // ESRCH once child has exited and been reaped
   * ```
   */
  clone(flags: number): { child: Process; pid: number; pidfd: number } {
    return this.sys('clone', undefined, () => {
      const child = copyProcess(this, flags);
      return { child, pid: child.pid.nrIn(this.pidNs), pidfd: flags & CLONE_PIDFD ? pidfdSys.installPidfd(this, child.pid, 0) : -1 };
    });
  }

  /** The task's struct pid (pid.ts), held until it is reaped. */
  get pid(): Pid {
    return this._pid;
  }

  /** task_active_pid_ns(): the PID namespace its pid was allocated in, whose numbers it sees. */
  get pidNs(): PidNamespace {
    return this._pid.ns;
  }

  /**
   * @internal A child of this task with copies of its state but the descriptor table (task.ts),
   * its pid from this task's `pidNsForChildren` (alloc_pid(): EAGAIN, ENOMEM).
   */
  spawn(): Process {
    const p = new Process(this.kernel, this.ns, this.root, this.creds, this.pidNsForChildren);
    p.realParent = this;
    this.children.add(p);
    p.setCwd(this.cwd);
    p.netns = this.netns;
    p.ipcNs = this.ipcNs;
    p.umask = this.umask;
    return p;
  }

  /**
   * @internal clone(CLONE_NEWPID) (task.ts): the child made before its namespaces gets its pid
   * in the new namespace `ns` instead, as copy_process() allocates it after copy_namespaces();
   * the first allocation is undone, cursors included. Only before anything has seen the child.
   */
  movePid(ns: PidNamespace): void {
    unallocPid(this._pid);
    const pid = ns.alloc();
    this._pid = pid;
    pid.task = this;
    this.pidNsForChildren = ns;
  }

  /** @internal close(2) of a descriptor as the task exits. */
  closeOnExit(fd: number): void {
    fileSys.close(this, fd);
  }

  /**
   * exit(2): closes every descriptor, drops root and cwd, and leaves a zombie for the parent to
   * wait for (released at once without one). EINVAL for a task that has already exited.
   */
  exit(code = 0): void {
    this.sys('exit', undefined, () => doExit(this, { code: CLD_EXITED, status: code & 0xff }));
  }

  setCwd(p: Path): void {
    p.mnt.refs++;
    this.cwd.mnt.refs--;
    this.kernel.maybeRelease(this.cwd.mnt);
    this.cwd = p;
  }

  setRoot(p: Path): void {
    p.mnt.refs++;
    this.root.mnt.refs--;
    this.kernel.maybeRelease(this.root.mnt);
    this.root = p;
  }

  /**
   * Runs a syscall body, stamping escaping errors with the syscall and path(s). The calls made
   * most (open, close, read, write, stat, the name calls) spell this out instead — enter(), the
   * body, stamp(), `current` restored — since a closure a call was most of their garbage.
   */
  protected sys<T>(name: string, path: string | undefined, fn: () => T, dest?: string): T {
    const prev = this.enter();
    try {
      return fn();
    } catch (e) {
      throw stamp(e, name, path, dest);
    } finally {
      this.kernel.current = prev;
    }
  }

  /** The task is `current` for the syscall it enters; returns the one to restore after it. */
  private enter(): Process | null {
    const prev = this.kernel.current;
    this.kernel.current = this;
    return prev;
  }

  /** @internal The starting point of a *at() walk: the cwd or a directory descriptor (ENOTDIR otherwise). */
  base(dirfd: number, path: string): Path {
    if (dirfd === AT_FDCWD || path.startsWith('/')) return this.cwd;
    const f = this.fds.get(dirfd);
    if (path !== '' && !isDir(f.inode.mode)) throw errno('ENOTDIR');
    return f.path;
  }

  /** @internal Resolves `path` from `dirfd`; AT_EMPTY_PATH with '' names the descriptor itself. */
  lookup(dirfd: number, path: string, follow: boolean, emptyPath = false): Path {
    if (path === '' && emptyPath) {
      if (dirfd === AT_FDCWD) return this.cwd;
      return this.fds.get(dirfd).path;
    }
    return resolvePath(this, this.base(dirfd, path), path, follow);
  }

  /** @internal The walk to the parent of `path`'s last component, for calls that create or remove it. */
  parent(dirfd: number, path: string): ParentWalk {
    return resolveParent(this, this.base(dirfd, path), path);
  }

  /** @internal Resolution from the cwd, for mount-syscalls.ts and mount-dir.ts. */
  resolve(path: string, follow: boolean): Path {
    return this.lookup(AT_FDCWD, path, follow);
  }

  // ---------------------------------------------------------------- open files (file-syscalls.ts)

  open(path: string, flags: number, mode = 0o666): number {
    const prev = this.enter();
    try {
      return fileSys.openat(this, AT_FDCWD, path, flags, mode);
    } catch (e) {
      throw stamp(e, 'open', path);
    } finally {
      this.kernel.current = prev;
    }
  }
  openat(dirfd: number, path: string, flags: number, mode = 0o666): number {
    const prev = this.enter();
    try {
      return fileSys.openat(this, dirfd, path, flags, mode);
    } catch (e) {
      throw stamp(e, 'openat', path);
    } finally {
      this.kernel.current = prev;
    }
  }
  close(fd: number): void {
    const prev = this.enter();
    try {
      return fileSys.close(this, fd);
    } catch (e) {
      throw stamp(e, 'close', undefined);
    } finally {
      this.kernel.current = prev;
    }
  }
  dup(fd: number): number {
    const prev = this.enter();
    try {
      return fileSys.dup(this, fd);
    } catch (e) {
      throw stamp(e, 'dup', undefined);
    } finally {
      this.kernel.current = prev;
    }
  }
  /** ioctl(fd, TIOCGPTN): the number of the pseudo-terminal a ptmx descriptor made; ENOTTY otherwise. */
  ptyNumber(fd: number): number {
    return this.sys('ioctl', undefined, () => fileSys.ptyNumber(this, fd));
  }
  // A description whose open bound its own read or write (ns-files.ts FileOps) takes it first.
  read(fd: number, into: Uint8Array): number {
    const prev = this.enter();
    try {
      const f = fileSys.fdget(this, fd);
      const n = nsFiles.opsRead(f, f.pos, into);
      if (n === undefined) return fileSys.read(this, fd, into);
      f.pos += n;
      return n;
    } catch (e) {
      throw stamp(e, 'read', undefined);
    } finally {
      this.kernel.current = prev;
    }
  }
  pread(fd: number, into: Uint8Array, pos: number): number {
    const prev = this.enter();
    try {
      return (pos < 0 ? undefined : nsFiles.opsRead(fileSys.fdget(this, fd), pos, into)) ?? fileSys.pread(this, fd, into, pos);
    } catch (e) {
      throw stamp(e, 'pread', undefined);
    } finally {
      this.kernel.current = prev;
    }
  }
  write(fd: number, data: Uint8Array): number {
    const prev = this.enter();
    try {
      const f = fileSys.fdget(this, fd);
      const n = nsFiles.opsWrite(f, f.pos, data);
      if (n === undefined) return fileSys.write(this, fd, data);
      f.pos += n;
      return n;
    } catch (e) {
      throw stamp(e, 'write', undefined);
    } finally {
      this.kernel.current = prev;
    }
  }
  pwrite(fd: number, data: Uint8Array, pos: number): number {
    const prev = this.enter();
    try {
      return (pos < 0 ? undefined : nsFiles.opsWrite(fileSys.fdget(this, fd), pos, data)) ?? fileSys.pwrite(this, fd, data, pos);
    } catch (e) {
      throw stamp(e, 'pwrite', undefined);
    } finally {
      this.kernel.current = prev;
    }
  }
  lseek(fd: number, offset: number, whence: number): number {
    const prev = this.enter();
    try {
      return fileSys.lseek(this, fd, offset, whence);
    } catch (e) {
      throw stamp(e, 'lseek', undefined);
    } finally {
      this.kernel.current = prev;
    }
  }
  /** getdents64(2): the entries not yet returned, `.` and `..` first; an empty list at the end. */
  getdents(fd: number): DirEntry[] {
    const prev = this.enter();
    try {
      return fileSys.getdents(this, fd);
    } catch (e) {
      throw stamp(e, 'getdents64', undefined);
    } finally {
      this.kernel.current = prev;
    }
  }

  // ---------------------------------------------------------------- looking (stat-syscalls.ts)

  stat(path: string): Stat {
    const prev = this.enter();
    try {
      return statSys.fstatat(this, AT_FDCWD, path, 0);
    } catch (e) {
      throw stamp(e, 'stat', path);
    } finally {
      this.kernel.current = prev;
    }
  }
  lstat(path: string): Stat {
    const prev = this.enter();
    try {
      return statSys.fstatat(this, AT_FDCWD, path, AT_SYMLINK_NOFOLLOW);
    } catch (e) {
      throw stamp(e, 'lstat', path);
    } finally {
      this.kernel.current = prev;
    }
  }
  fstat(fd: number): Stat {
    const prev = this.enter();
    try {
      return statSys.fstat(this, fd);
    } catch (e) {
      throw stamp(e, 'fstat', undefined);
    } finally {
      this.kernel.current = prev;
    }
  }
  fstatat(dirfd: number, path: string, flags = 0): Stat {
    const prev = this.enter();
    try {
      return statSys.fstatat(this, dirfd, path, flags);
    } catch (e) {
      throw stamp(e, 'newfstatat', path);
    } finally {
      this.kernel.current = prev;
    }
  }
  statfs(path: string): StatFs {
    return this.sys('statfs', path, () => statSys.statfs(this, path));
  }
  fstatfs(fd: number): StatFs {
    return this.sys('fstatfs', undefined, () => statSys.fstatfs(this, fd));
  }
  readlink(path: string): string {
    const prev = this.enter();
    try {
      return statSys.readlinkat(this, AT_FDCWD, path);
    } catch (e) {
      throw stamp(e, 'readlink', path);
    } finally {
      this.kernel.current = prev;
    }
  }
  readlinkat(dirfd: number, path: string): string {
    return this.sys('readlinkat', path, () => statSys.readlinkat(this, dirfd, path));
  }
  access(path: string, mode: number): void {
    const prev = this.enter();
    try {
      return statSys.faccessat(this, AT_FDCWD, path, mode, 0);
    } catch (e) {
      throw stamp(e, 'access', path);
    } finally {
      this.kernel.current = prev;
    }
  }
  faccessat(dirfd: number, path: string, mode: number, flags = 0): void {
    this.sys('faccessat2', path, () => statSys.faccessat(this, dirfd, path, mode, flags));
  }

  // ---------------------------------------------------------------- names (name-syscalls.ts)

  mkdir(path: string, mode = 0o777): void {
    const prev = this.enter();
    try {
      return nameSys.mkdirat(this, AT_FDCWD, path, mode);
    } catch (e) {
      throw stamp(e, 'mkdir', path);
    } finally {
      this.kernel.current = prev;
    }
  }
  mkdirat(dirfd: number, path: string, mode = 0o777): void {
    this.sys('mkdirat', path, () => nameSys.mkdirat(this, dirfd, path, mode));
  }
  mknod(path: string, mode: number, dev = 0): void {
    this.sys('mknod', path, () => nameSys.mknodat(this, AT_FDCWD, path, mode, dev));
  }
  mknodat(dirfd: number, path: string, mode: number, dev = 0): void {
    this.sys('mknodat', path, () => nameSys.mknodat(this, dirfd, path, mode, dev));
  }
  symlink(target: string, path: string): void {
    const prev = this.enter();
    try {
      return nameSys.symlinkat(this, target, AT_FDCWD, path);
    } catch (e) {
      throw stamp(e, 'symlink', target, path);
    } finally {
      this.kernel.current = prev;
    }
  }
  symlinkat(target: string, dirfd: number, path: string): void {
    this.sys('symlinkat', target, () => nameSys.symlinkat(this, target, dirfd, path), path);
  }
  link(oldpath: string, newpath: string): void {
    this.sys('link', oldpath, () => nameSys.linkat(this, AT_FDCWD, oldpath, AT_FDCWD, newpath, 0), newpath);
  }
  linkat(olddirfd: number, oldpath: string, newdirfd: number, newpath: string, flags = 0): void {
    this.sys('linkat', oldpath, () => nameSys.linkat(this, olddirfd, oldpath, newdirfd, newpath, flags), newpath);
  }
  unlink(path: string): void {
    const prev = this.enter();
    try {
      return nameSys.unlinkat(this, AT_FDCWD, path, 0);
    } catch (e) {
      throw stamp(e, 'unlink', path);
    } finally {
      this.kernel.current = prev;
    }
  }
  unlinkat(dirfd: number, path: string, flags = 0): void {
    const prev = this.enter();
    try {
      return nameSys.unlinkat(this, dirfd, path, flags);
    } catch (e) {
      throw stamp(e, 'unlinkat', path);
    } finally {
      this.kernel.current = prev;
    }
  }
  rmdir(path: string): void {
    const prev = this.enter();
    try {
      return nameSys.unlinkat(this, AT_FDCWD, path, AT_REMOVEDIR);
    } catch (e) {
      throw stamp(e, 'rmdir', path);
    } finally {
      this.kernel.current = prev;
    }
  }
  rename(oldpath: string, newpath: string): void {
    const prev = this.enter();
    try {
      return nameSys.renameat2(this, AT_FDCWD, oldpath, AT_FDCWD, newpath, 0);
    } catch (e) {
      throw stamp(e, 'rename', oldpath, newpath);
    } finally {
      this.kernel.current = prev;
    }
  }
  renameat2(olddirfd: number, oldpath: string, newdirfd: number, newpath: string, flags = 0): void {
    this.sys('renameat2', oldpath, () => nameSys.renameat2(this, olddirfd, oldpath, newdirfd, newpath, flags), newpath);
  }

  // ---------------------------------------------------------------- attributes (attr-syscalls.ts)

  chmod(path: string, mode: number): void {
    this.sys('chmod', path, () => attrSys.fchmodat(this, AT_FDCWD, path, mode, 0));
  }
  fchmod(fd: number, mode: number): void {
    this.sys('fchmod', undefined, () => attrSys.fchmod(this, fd, mode));
  }
  fchmodat(dirfd: number, path: string, mode: number, flags = 0): void {
    this.sys('fchmodat', path, () => attrSys.fchmodat(this, dirfd, path, mode, flags));
  }
  chown(path: string, uid: number, gid: number): void {
    this.sys('chown', path, () => attrSys.fchownat(this, AT_FDCWD, path, uid, gid, 0));
  }
  lchown(path: string, uid: number, gid: number): void {
    this.sys('lchown', path, () => attrSys.fchownat(this, AT_FDCWD, path, uid, gid, AT_SYMLINK_NOFOLLOW));
  }
  fchown(fd: number, uid: number, gid: number): void {
    this.sys('fchown', undefined, () => attrSys.fchown(this, fd, uid, gid));
  }
  fchownat(dirfd: number, path: string, uid: number, gid: number, flags = 0): void {
    this.sys('fchownat', path, () => attrSys.fchownat(this, dirfd, path, uid, gid, flags));
  }
  truncate(path: string, length: number): void {
    this.sys('truncate', path, () => attrSys.truncate(this, path, length));
  }
  ftruncate(fd: number, length: number): void {
    this.sys('ftruncate', undefined, () => attrSys.ftruncate(this, fd, length));
  }
  /** utimensat(2): `times` null sets both to now; UTIME_NOW / UTIME_OMIT in `nsec` as in C. */
  utimensat(dirfd: number, path: string | null, times: [Timespec, Timespec] | null, flags = 0): void {
    this.sys('utimensat', path ?? undefined, () => attrSys.utimensat(this, dirfd, path, times, flags));
  }
  /** umask(2): returns the old mask. */
  umaskSet(mask: number): number {
    return attrSys.umask(this, mask);
  }

  // ---------------------------------------------------------------- root and cwd (fs-struct-syscalls.ts)

  chdir(path: string): void {
    this.sys('chdir', path, () => fsStructSys.chdir(this, path));
  }
  fchdir(fd: number): void {
    this.sys('fchdir', undefined, () => fsStructSys.fchdir(this, fd));
  }
  /** getcwd(2): ENOENT when the cwd was removed; "(unreachable)" prefix outside the root. */
  getcwd(): string {
    return this.sys('getcwd', undefined, () => fsStructSys.getcwd(this));
  }
  chroot(path: string): void {
    this.sys('chroot', path, () => fsStructSys.chroot(this, path));
  }

  // ---------------------------------------------------------------- extended attributes (xattr-syscalls.ts)

  setxattr(path: string, name: string, value: Uint8Array, flags = 0): void {
    this.sys('setxattr', path, () => xattrSys.setxattr(this, () => this.lookup(AT_FDCWD, path, true), name, value, flags));
  }
  lsetxattr(path: string, name: string, value: Uint8Array, flags = 0): void {
    this.sys('lsetxattr', path, () => xattrSys.setxattr(this, () => this.lookup(AT_FDCWD, path, false), name, value, flags));
  }
  fsetxattr(fd: number, name: string, value: Uint8Array, flags = 0): void {
    this.sys('fsetxattr', undefined, () => xattrSys.setxattr(this, () => fileSys.fdget(this, fd).path, name, value, flags));
  }
  getxattr(path: string, name: string): Uint8Array {
    return this.sys('getxattr', path, () => xattrSys.getxattr(this, this.lookup(AT_FDCWD, path, true), name));
  }
  lgetxattr(path: string, name: string): Uint8Array {
    return this.sys('lgetxattr', path, () => xattrSys.getxattr(this, this.lookup(AT_FDCWD, path, false), name));
  }
  fgetxattr(fd: number, name: string): Uint8Array {
    return this.sys('fgetxattr', undefined, () => xattrSys.getxattr(this, fileSys.fdget(this, fd).path, name));
  }
  listxattr(path: string): string[] {
    return this.sys('listxattr', path, () => xattrSys.listxattr(this, this.lookup(AT_FDCWD, path, true)));
  }
  llistxattr(path: string): string[] {
    return this.sys('llistxattr', path, () => xattrSys.listxattr(this, this.lookup(AT_FDCWD, path, false)));
  }
  removexattr(path: string, name: string): void {
    this.sys('removexattr', path, () => xattrSys.removexattr(this, this.lookup(AT_FDCWD, path, true), name));
  }
  lremovexattr(path: string, name: string): void {
    this.sys('lremovexattr', path, () => xattrSys.removexattr(this, this.lookup(AT_FDCWD, path, false), name));
  }

  // ---------------------------------------------------------------- mounts (mount-syscalls.ts)

  /** mount(2). `flags` are MS_* bits; see mount-syscalls.ts. */
  mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null = null): void {
    this.sys('mount', target, () => mountSys.mount(this, source, target, fstype, flags, data));
  }
  /**
   * fsopen(2) + fsconfig(2) a parameter + fsmount(2) + move_mount(2) onto `target`: a new mount
   * whose options are not one page of mount(2) data, so never cut. `flags` are the per-mount ones
   * (MS_NOSUID, …); read-only is per mount too, as MOUNT_ATTR_RDONLY makes it. A value of 256
   * bytes or more is EINVAL, as fsconfig(2) copies at most 255.
   */
  fsmount(source: string | null, target: string, fstype: string, flags: number, params: readonly { key: string; value: string | null }[]): void {
    this.sys('fsmount', target, () => {
      for (const { value } of params) if (value !== null && new TextEncoder().encode(value).length > 255) throw errno('EINVAL');
      mountSys.mount(this, source ?? 'none', target, fstype, flags & ~mountSys.MS_RDONLY, '', params);
      if (flags & mountSys.MS_RDONLY) mountSys.mount(this, null, target, null, flags | mountSys.MS_REMOUNT | mountSys.MS_BIND, null);
    });
  }
  /** umount2(2) with MNT_FORCE / MNT_DETACH / MNT_EXPIRE / UMOUNT_NOFOLLOW. */
  umount2(target: string, flags = 0): void {
    this.sys('umount2', target, () => mountSys.umount(this, target, flags));
  }
  pivotRoot(newRoot: string, putOld: string): void {
    this.sys('pivot_root', newRoot, () => mountSys.pivotRoot(this, newRoot, putOld), putOld);
  }
  /** open_tree(2): an O_PATH descriptor of the path, or (OPEN_TREE_CLONE) of a detached copy. */
  openTree(dirfd: number, path: string, flags: number): number {
    return this.sys('open_tree', path, () => mountApi.openTree(this, dirfd, path, flags));
  }
  /** mount_setattr(2); `attr.userns` stands for the user-namespace descriptor of MOUNT_ATTR_IDMAP. */
  mountSetattr(dirfd: number, path: string, flags: number, attr: mountApi.MountAttr): void {
    this.sys('mount_setattr', path, () => mountApi.mountSetattr(this, dirfd, path, flags, attr));
  }
  /** move_mount(2). */
  moveMount(fromDirfd: number, fromPath: string, toDirfd: number, toPath: string, flags = 0): void {
    this.sys('move_mount', fromPath, () => mountApi.moveMount(this, fromDirfd, fromPath, toDirfd, toPath, flags), toPath);
  }
  /** /proc/self/mountinfo as this task reads it. */
  mountinfo(): string {
    return mountSys.mountinfo(this.ns, this.root);
  }

  // ---------------------------------------------------------------- namespaces (nsproxy-syscalls.ts)

  /**
   * unshare(2) of CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWNET, CLONE_NEWIPC and CLONE_NEWPID, the
   * namespaces the emulator models. CLONE_NEWPID moves the task's future children only: fork
   * after it, and the child is the new namespace's pid 1.
   */
  unshare(flags: number): void {
    this.sys('unshare', undefined, () => nsSys.unshare(this, flags));
  }
  /** unshare(CLONE_NEWNS). */
  unshareMountNs(): void {
    this.sys('unshare', undefined, () => nsSys.unshare(this, CLONE_NEWNS));
  }
  /** setns(2) into a mount namespace. */
  setns(ns: MountNamespace): void {
    this.sys('setns', undefined, () => mountSys.setns(this, ns));
  }
  /** setns(2) with a descriptor: /proc/PID/ns/{user,mnt} opened, or a pidfd (ns-files.ts). */
  setnsFd(fd: number, nstype = 0): void {
    this.sys('setns', undefined, () => nsFiles.setns(this, fd, nstype));
  }
  /** The user namespace a descriptor names, as mount_setattr(2)'s userns_fd (for `MountAttr.userns`). */
  userNsOfFd(fd: number): UserNamespace | 'not-userns' {
    return this.sys('mount_setattr', undefined, () => nsFiles.userNsOfFd(this, fd));
  }

  // ---------------------------------------------------------------- tasks (task.ts, wait.ts, pidfd.ts)

  /** getpid(2): pid_vnr(), its number in its active PID namespace. */
  getpid(): number {
    return this.pid.nr;
  }
  /**
   * getppid(2): the parent's number in this task's PID namespace; 0 without a parent (the
   * reaper is outside the model) or when the parent is outside it (a namespace's init).
   */
  getppid(): number {
    return this.realParent?.pid.nrIn(this.pidNs) ?? 0;
  }
  /** kill(2) of one task by number (pid > 0). */
  kill(pid: number, sig: number): void {
    this.sys('kill', undefined, () => pidfdSys.kill(this, pid, sig));
  }
  /** pidfd_open(2). */
  pidfdOpen(pid: number, flags = 0): number {
    return this.sys('pidfd_open', undefined, () => pidfdSys.pidfdOpen(this, pid, flags));
  }
  /** pidfd_send_signal(2) without siginfo. */
  pidfdSendSignal(pidfd: number, sig: number, flags = 0): void {
    this.sys('pidfd_send_signal', undefined, () => pidfdSys.pidfdSendSignal(this, pidfd, sig, flags));
  }
  /** waitid(2): null under WNOHANG when no child has exited. */
  waitid(idtype: number, id: number, options: number): waitSys.WaitInfo | null {
    return this.sys('waitid', undefined, () => waitSys.waitid(this, idtype, id, options));
  }
  /** wait4(2)/waitpid(3): [pid, wait status]; [0, 0] under WNOHANG when no child has exited. */
  waitpid(pid: number, options = 0): [number, number] {
    return this.sys('wait4', undefined, () => waitSys.wait4(this, pid, options));
  }

  // ---------------------------------------------------------------- user namespaces (userns-syscalls.ts)

  /** The user namespace the task lives in (what /proc/self/ns/user names). */
  get userNs(): UserNamespace {
    return this.creds.userNs;
  }
  /** A write of `text` to /proc/PID/uid_map of a task in `ns`, opened by this task. */
  writeUidMap(ns: UserNamespace, text: string): void {
    this.sys('write', 'uid_map', () => usernsSys.writeIdMap(this.creds, ns, 'uid', text));
  }
  /** A write to /proc/PID/gid_map. */
  writeGidMap(ns: UserNamespace, text: string): void {
    this.sys('write', 'gid_map', () => usernsSys.writeIdMap(this.creds, ns, 'gid', text));
  }
  /** A write of "allow" or "deny" to /proc/PID/setgroups. */
  writeSetgroups(ns: UserNamespace, text: string): void {
    this.sys('write', 'setgroups', () => usernsSys.writeSetgroups(this.creds, ns, text));
  }
  /** getresuid(2). */
  getresuid(): [number, number, number] {
    return usernsSys.getresuid(this.creds);
  }
  /** getresgid(2). */
  getresgid(): [number, number, number] {
    return usernsSys.getresgid(this.creds);
  }

  // ---------------------------------------------------------------- credentials (cred-syscalls.ts)

  /** setgroups(2). */
  setgroups(groups: readonly number[]): void {
    this.sys('setgroups', undefined, () => void (this.creds = credSys.setgroups(this.creds, groups)));
  }
  /** setresgid(gid, gid, gid). */
  setresgid(gid: number): void {
    this.sys('setresgid', undefined, () => void (this.creds = credSys.setresgid(this.creds, gid)));
  }
  /** setresuid(uid, uid, uid), with PR_SET_KEEPCAPS set. */
  setresuid(uid: number): void {
    this.sys('setresuid', undefined, () => void (this.creds = credSys.setresuid(this.creds, uid)));
  }
  /** capset(2) of the effective and permitted sets (inheritable empty). */
  capset(effective: bigint, permitted: bigint): void {
    this.sys('capset', undefined, () => void (this.creds = credSys.capset(this.creds, effective, permitted)));
  }
}
