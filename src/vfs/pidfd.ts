/**
 * pidfds (kernel/pid.c pidfd_open(), kernel/signal.c pidfd_send_signal(), fs/pidfs.c): a
 * descriptor that refers to a task's `Pid` object, not to its number. Once the task is reaped
 * the object has no task and every call through the descriptor says so (ESRCH), even when the
 * number has since gone to another task — which a call by number (kill(2), /proc/PID) would
 * reach instead (measured on 6.18: test/kernel/facts/pidfd-userns.json, "pidfd").
 *
 * A pidfd's file is an inode of pidfs, an internal filesystem mounted at boot (kern_mount) and
 * in no mount namespace: its st_mode is 0700 with no file-type bits (measured). Reading or
 * writing one is EINVAL (no read or write file operation). poll(2) readiness on exit is not
 * modelled (the emulator has no poll).
 */
import { Dentry } from './dentry.js';
import { errno } from './errno.js';
import { FileDescription, O_NONBLOCK, O_RDWR } from './file.js';
import { makedev, type DirEntry, type FileSystemType, type FsStats, type Inode, type OpenFileState, type SuperBlock } from './inode.js';
import type { Kernel } from './kernel.js';
import { Mount } from './mount.js';
import type { Pid } from './pid.js';
import type { Process } from './process.js';
import { sendSignal, taskErrno } from './task.js';
import type { Timespec } from './time.js';

/** pidfd_open(2)'s PIDFD_NONBLOCK (O_NONBLOCK). */
export const PIDFD_NONBLOCK = O_NONBLOCK;
/** pidfd_send_signal(2)'s flags (Linux 6.9): which of the task's groups gets the signal. */
export const PIDFD_SIGNAL_THREAD = 1 << 0;
export const PIDFD_SIGNAL_THREAD_GROUP = 1 << 1;
export const PIDFD_SIGNAL_PROCESS_GROUP = 1 << 2;
const PIDFS_MAGIC = 0x50494446;

/** What a pidfd's description holds (its private_data): the `Pid`. */
export class PidfdFile implements OpenFileState {
  constructor(readonly pid: Pid) {}

  /** pidfs's release: put_pid(), which the garbage collector does here. */
  release(): void {}
}

const refuse = (): never => {
  throw errno('EINVAL');
};

/** A pidfs inode: nothing but a mode and an identity; every inode operation is refused. */
class PidfsInode implements Inode {
  readonly mode = 0o700;
  readonly uid = 0;
  readonly gid = 0;
  readonly nlink = 1;
  readonly rdev = 0;
  readonly size = 0;
  readonly blocks = 0;
  readonly atime: Timespec;
  readonly mtime: Timespec;
  readonly ctime: Timespec;
  readonly btime: Timespec;

  constructor(
    readonly sb: SuperBlock,
    readonly ino: number,
    now: Timespec,
  ) {
    this.atime = this.mtime = this.ctime = this.btime = now;
  }

  setattr(): void {
    refuse();
  }
  lookup(): Inode | undefined {
    return refuse();
  }
  create(): Inode {
    return refuse();
  }
  mkdir(): Inode {
    return refuse();
  }
  symlink(): Inode {
    return refuse();
  }
  link(): void {
    refuse();
  }
  unlink(): void {
    refuse();
  }
  rmdir(): void {
    refuse();
  }
  rename(): void {
    refuse();
  }
  readdir(): DirEntry[] {
    return refuse();
  }
  read(): number {
    return refuse();
  }
  write(): number {
    return refuse();
  }
  readlink(): string {
    return refuse();
  }
  getxattr(): Uint8Array | undefined {
    throw errno('EOPNOTSUPP');
  }
  setxattr(): void {
    throw errno('EOPNOTSUPP');
  }
  listxattr(): string[] {
    return [];
  }
  removexattr(): void {
    throw errno('EOPNOTSUPP');
  }
}

/** pidfs: one per kernel, made on first use, never mountable (ENODEV) nor released. */
class Pidfs implements SuperBlock {
  readonly type: FileSystemType = { name: 'pidfs', mount: () => refuse() };
  // A boot-time kern_mount: a minor below those the allocator hands out (from 16).
  readonly dev = makedev(0, 15);
  readonly root: Inode;
  flags = 0;
  readonly mnt: Mount;
  private nextIno = 1;

  constructor(readonly kernel: Kernel) {
    this.root = new PidfsInode(this, this.nextIno++, kernel.clock.now());
    this.mnt = new Mount(0, -1, this, new Dentry('/', null, this.root), 'pidfs', 0);
    // Pinned for good, as kern_mount() keeps it: maybeRelease() never frees it.
    this.mnt.released = true;
  }

  showOptions(): string {
    return '';
  }
  statfs(): FsStats {
    return { type: PIDFS_MAGIC, bsize: 4096, frsize: 4096, namelen: 255, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0 };
  }
  reconfigure(): void {
    refuse();
  }

  /** A new file for `pid` (pidfs_alloc_file()). */
  file(pid: Pid, flags: number): FileDescription {
    const inode = new PidfsInode(this, this.nextIno++, this.kernel.clock.now());
    const f = new FileDescription({ mnt: this.mnt, dentry: new Dentry('pidfd', null, inode) }, inode, O_RDWR | (flags & O_NONBLOCK), true, true, false);
    f.state = new PidfdFile(pid);
    return f;
  }
}

const pidfsOf = new WeakMap<Kernel, Pidfs>();

/** A new pidfd for `pid` in `p`'s table (pidfd_create()). */
export function installPidfd(p: Process, pid: Pid, flags: number): number {
  let fs = pidfsOf.get(p.kernel);
  if (!fs) pidfsOf.set(p.kernel, (fs = new Pidfs(p.kernel)));
  return p.fds.install(fs.file(pid, flags));
}

/** pidfd_pid() / pidfd_get_pid(): the `Pid` behind a pidfd; EBADF for any other descriptor. */
export function pidfdPid(p: Process, fd: number): Pid {
  const st = p.fds.get(fd).state;
  if (!(st instanceof PidfdFile)) throw errno('EBADF');
  return st.pid;
}

/**
 * pidfd_open(2): EINVAL for flags other than PIDFD_NONBLOCK or a pid ≤ 0; ESRCH for a number no
 * task holds in the caller's active PID namespace (find_get_pid(); a zombie's still counts:
 * measured).
 */
export function pidfdOpen(p: Process, pid: number, flags: number): number {
  if (flags & ~PIDFD_NONBLOCK || pid <= 0) throw errno('EINVAL');
  const obj = p.pidNs.find(pid);
  if (!obj?.task) throw taskErrno('ESRCH');
  return installPidfd(p, obj, flags);
}

/**
 * pidfd_send_signal(2) without siginfo: EINVAL for unknown flags or more than one, EBADF for a
 * descriptor that is no pidfd, ESRCH once the task is reaped (not while it is a zombie), then
 * kill(2)'s rules (task.ts sendSignal()). The three PIDFD_SIGNAL_* scopes are the same here:
 * every task is a thread-group leader alone in its group.
 */
export function pidfdSendSignal(p: Process, fd: number, sig: number, flags: number): void {
  const scopes = PIDFD_SIGNAL_THREAD | PIDFD_SIGNAL_THREAD_GROUP | PIDFD_SIGNAL_PROCESS_GROUP;
  if (flags & ~scopes || (flags & (flags - 1)) !== 0) throw errno('EINVAL');
  const task = pidfdPid(p, fd).task;
  if (!task) throw taskErrno('ESRCH');
  sendSignal(p.creds, task, sig);
}

/**
 * kill(2) to one task by number: whatever task holds the number now in the caller's active PID
 * namespace (find_vpid()). EINVAL for pid ≤ 0 (process groups and "every task" are not
 * modelled), ESRCH for a number no task holds there.
 */
export function kill(p: Process, pid: number, sig: number): void {
  if (!Number.isInteger(sig) || sig < 0 || sig > 64) throw errno('EINVAL');
  if (pid <= 0) throw errno('EINVAL');
  const task = p.pidNs.find(pid)?.task;
  if (!task) throw taskErrno('ESRCH');
  sendSignal(p.creds, task, sig);
}
