/**
 * Linux errno values and `SysError`, the one way an expected failure leaves the VFS.
 *
 * Numbers are the x86_64/generic Linux ones (asm-generic/errno-base.h, errno.h); messages are
 * the ones Node prints for the same code (libuv's uv_strerror), so a `SysError` reads exactly like
 * the error Node's own `fs` would throw: `ENOENT: no such file or directory, open '/x'`.
 */

/** errno name → [Linux number, Node/libuv message]. */
const TABLE = {
  EPERM: [1, 'operation not permitted'],
  ENOENT: [2, 'no such file or directory'],
  ESRCH: [3, 'no such process'],
  EINTR: [4, 'interrupted system call'],
  EIO: [5, 'i/o error'],
  ENXIO: [6, 'no such device or address'],
  E2BIG: [7, 'argument list too long'],
  EBADF: [9, 'bad file descriptor'],
  ECHILD: [10, 'no child processes'],
  EAGAIN: [11, 'resource temporarily unavailable'],
  ENOMEM: [12, 'not enough memory'],
  EACCES: [13, 'permission denied'],
  EFAULT: [14, 'bad address in system call argument'],
  ENOTBLK: [15, 'block device required'],
  EBUSY: [16, 'resource busy or locked'],
  EEXIST: [17, 'file already exists'],
  EXDEV: [18, 'cross-device link not permitted'],
  ENODEV: [19, 'no such device'],
  ENOTDIR: [20, 'not a directory'],
  EISDIR: [21, 'illegal operation on a directory'],
  EINVAL: [22, 'invalid argument'],
  ENFILE: [23, 'file table overflow'],
  EMFILE: [24, 'too many open files'],
  ENOTTY: [25, 'inappropriate ioctl for device'],
  ETXTBSY: [26, 'text file is busy'],
  EFBIG: [27, 'file too large'],
  ENOSPC: [28, 'no space left on device'],
  ESPIPE: [29, 'invalid seek'],
  EROFS: [30, 'read-only file system'],
  EMLINK: [31, 'too many links'],
  EPIPE: [32, 'broken pipe'],
  ERANGE: [34, 'result too large'],
  ENAMETOOLONG: [36, 'name too long'],
  ENOSYS: [38, 'function not implemented'],
  ENOTEMPTY: [39, 'directory not empty'],
  ELOOP: [40, 'too many symbolic links encountered'],
  ENODATA: [61, 'no data available'],
  EPROTO: [71, 'protocol error'],
  EOVERFLOW: [75, 'value too large for defined data type'],
  ENOPROTOOPT: [92, 'protocol not available'],
  EOPNOTSUPP: [95, 'operation not supported on socket'],
  ENOTCONN: [107, 'socket is not connected'],
  ECONNREFUSED: [111, 'connection refused'],
  ESTALE: [116, 'stale file handle'],
  EREMOTEIO: [121, 'remote I/O error'],
} as const satisfies Record<string, readonly [number, string]>;

export type Errno = keyof typeof TABLE;

/** The Linux number of an errno name. */
export function errnoNumber(code: Errno): number {
  return TABLE[code][0];
}

const BY_NUMBER = new Map<number, Errno>((Object.keys(TABLE) as Errno[]).map((code) => [TABLE[code][0], code]));

/** The errno name of a Linux number, or undefined when the table lacks it. */
export function errnoName(n: number): Errno | undefined {
  return BY_NUMBER.get(n);
}

/** Whether `name` is an errno this VFS can produce. */
export function isErrno(name: string): name is Errno {
  return Object.prototype.hasOwnProperty.call(TABLE, name);
}

/**
 * An expected failure of a system call: the Linux errno plus the syscall and path(s) it concerns.
 * Shaped like Node's `ErrnoException` (`code`, `errno` negative as in Node, `syscall`, `path`,
 * `dest`), so code written for Node's `fs` handles it unchanged.
 *
 * @example
 * ```ts
 * const e = new SysError('EROFS', 'open', '/etc/passwd');
 * e.message; // "EROFS: read-only file system, open '/etc/passwd'"
 * ```
 */
export class SysError extends Error {
  readonly code: Errno;
  /** Node's convention: the negated Linux errno. */
  readonly errno: number;
  syscall: string;
  path?: string;
  dest?: string;

  constructor(code: Errno, syscall = '', path?: string, dest?: string) {
    super('');
    this.name = 'Error';
    this.code = code;
    this.errno = -TABLE[code][0];
    this.syscall = syscall;
    this.path = path;
    this.dest = dest;
    this.message = this.format();
  }

  /** Fills in the syscall and paths of an error raised below the syscall layer. */
  at(syscall: string, path?: string, dest?: string): this {
    if (!this.syscall) {
      this.syscall = syscall;
      this.path = path;
      this.dest = dest;
      this.message = this.format();
    }
    return this;
  }

  private format(): string {
    let m = `${this.code}: ${TABLE[this.code][1]}`;
    if (this.syscall) m += `, ${this.syscall}`;
    if (this.path !== undefined) m += ` '${this.path}'`;
    if (this.dest !== undefined) m += ` -> '${this.dest}'`;
    return m;
  }
}

/** Shorthand used at the branch that produces an errno: `throw errno('ENOENT')`. */
export function errno(code: Errno): SysError {
  return new SysError(code);
}
