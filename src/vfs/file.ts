/**
 * FileDescription (struct file) and FdTable (struct files_struct).
 *
 * A description pins its mount (`Mount.refs`, so umount2 without MNT_DETACH is EBUSY) and, when
 * open for writing a non-special file, holds the mount's write access (`Mount.writers`, so a
 * switch to read-only is EBUSY). Descriptors are the lowest free numbers, as POSIX requires, up
 * to RLIMIT_NOFILE (EMFILE). Descriptions are shared by dup'ed descriptors and counted.
 */
import { errno } from './errno.js';
import type { Inode, OpenFileState } from './inode.js';
import type { Path } from './mount.js';

export const O_ACCMODE = 0o3;
export const O_RDONLY = 0o0;
export const O_WRONLY = 0o1;
export const O_RDWR = 0o2;
export const O_CREAT = 0o100;
export const O_EXCL = 0o200;
export const O_NOCTTY = 0o400;
export const O_TRUNC = 0o1000;
export const O_APPEND = 0o2000;
export const O_NONBLOCK = 0o4000;
export const O_DIRECTORY = 0o200000;
export const O_NOFOLLOW = 0o400000;
export const O_NOATIME = 0o1000000;
export const O_CLOEXEC = 0o2000000;
export const O_PATH = 0o10000000;

export const RLIMIT_NOFILE = 1024;

export class FileDescription {
  pos = 0;
  /** How many descriptors refer to this description. */
  count = 0;
  /** getdents cursor: names already returned. */
  dirCursor = 0;
  /** What the open left (private_data): a ptmx's pseudo-terminal, a FIFO's hold on its pipe (pipe.ts). */
  state: OpenFileState | undefined;

  constructor(
    readonly path: Path,
    readonly inode: Inode,
    /** open(2) flags as given, less O_CREAT/O_EXCL/O_TRUNC/O_NOCTTY. */
    public flags: number,
    readonly readable: boolean,
    readonly writable: boolean,
    /** Holds write access on the mount (mnt_want_write for the description's life). */
    readonly writer: boolean,
  ) {
    path.mnt.refs++;
    if (writer) path.mnt.writers++;
  }

  get isPath(): boolean {
    return (this.flags & O_PATH) !== 0;
  }

  /** __fput(): the last descriptor closed. */
  release(): void {
    this.path.mnt.refs--;
    if (this.writer) this.path.mnt.writers--;
    // f_op->release; a name it removed leaves the dentry cache with it (d_delete).
    const gone = this.state?.release?.();
    if (gone !== undefined) this.path.dentry.parent?.children.get(gone)?.drop();
  }
}

export class FdTable {
  private readonly fds: (FileDescription | undefined)[] = [];

  /** Installs `file` at the lowest free descriptor. */
  install(file: FileDescription): number {
    let fd = this.fds.indexOf(undefined);
    if (fd < 0) fd = this.fds.length;
    if (fd >= RLIMIT_NOFILE) throw errno('EMFILE');
    this.fds[fd] = file;
    file.count++;
    return fd;
  }

  /** The description behind `fd`; EBADF when there is none. */
  get(fd: number): FileDescription {
    const f = Number.isInteger(fd) && fd >= 0 ? this.fds[fd] : undefined;
    if (!f) throw errno('EBADF');
    return f;
  }

  /** close(2); returns the description when this was its last descriptor. */
  close(fd: number): FileDescription | undefined {
    const f = this.get(fd);
    this.fds[fd] = undefined;
    while (this.fds.length && this.fds[this.fds.length - 1] === undefined) this.fds.pop();
    if (--f.count === 0) {
      f.release();
      return f;
    }
    return undefined;
  }

  /** Every open descriptor number. */
  open(): number[] {
    const out: number[] = [];
    this.fds.forEach((f, i) => f && out.push(i));
    return out;
  }

  /** A copy sharing the descriptions (fork / CLONE_FILES unset). */
  clone(): FdTable {
    const t = new FdTable();
    this.fds.forEach((f, i) => {
      if (f) {
        t.fds[i] = f;
        f.count++;
      }
    });
    return t;
  }
}
