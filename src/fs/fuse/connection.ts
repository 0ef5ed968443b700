/**
 * A FUSE connection: what an open /dev/fuse (char 10:229) stands for — the daemon that answers,
 * and whether the connection still lives. Every request of a mount goes through `request()`,
 * which gives ENOTCONN once the connection is aborted (the device's last close, or the
 * daemon's end), as fuse_simple_request() does on a dead connection, and ENOSYS for an opcode
 * the daemon has no method for.
 *
 * Interim shape, until the VFS has a device registry and a filesystem may look up the mounting
 * task's descriptors: `openFuseDevice` opens the node through open(2) and attaches the
 * connection to the description; the `fuse` type of the same kernel keeps the connections by
 * descriptor number, and `mount -o fd=N` takes the latest one opened as N that is still open
 * (fuse_parse_param's fget(fd) in the mounter's table).
 */
import { errno, SysError } from '../../vfs/errno.js';
import { major, minor, S_IFCHR, S_IFMT, type OpenFileState } from '../../vfs/inode.js';
import type { Kernel } from '../../vfs/kernel.js';
import { O_RDWR } from '../../vfs/file.js';
import type { Process } from '../../vfs/process.js';
import type { FuseDaemon } from './daemon.js';

/** /dev/fuse: misc major 10, FUSE_MINOR 229. */
export const FUSE_MAJOR = 10;
export const FUSE_MINOR = 229;

export class FuseConnection implements OpenFileState {
  /** The device's description is open (the daemon can still answer). */
  connected = true;
  /** A superblock uses this connection (one mount per connection, as fuse_fill_super() allows). */
  mounted = false;

  constructor(readonly daemon: FuseDaemon) {}

  /** The device's last close: fuse_abort_conn(). */
  release(): void {
    this.connected = false;
  }

  /**
   * One request: `fn` is the daemon's method for it, `fallback` what a daemon without that
   * method gets (ENOSYS when absent).
   */
  request<T>(fn: (() => T) | undefined, fallback?: () => T): T {
    if (!this.connected) throw errno('ENOTCONN');
    if (!fn) {
      if (fallback) return fallback();
      throw errno('ENOSYS');
    }
    try {
      return fn();
    } catch (e) {
      // A daemon's error reply; anything else is the daemon's bug and leaves as it is.
      if (e instanceof SysError) throw new SysError(e.code);
      throw e;
    }
  }
}

/** What the `fuse` type of a kernel keeps of its connections. */
export interface FuseConnections {
  /** Connections by the descriptor number they were opened as, latest last. */
  readonly byFd: Map<number, FuseConnection[]>;
}

/** The `fuse` type registered in `kernel` (ENODEV without one: no fuse module). */
export function fuseConnectionsOf(kernel: Kernel): FuseConnections {
  const t = kernel.filesystems.get('fuse') as Partial<FuseConnections> | undefined;
  if (!t?.byFd) throw errno('ENODEV');
  return t as FuseConnections;
}

/**
 * open("/dev/fuse", O_RDWR) by the daemon's process `p`, the daemon being `daemon`: the
 * descriptor to pass as `fd=` in the mount's data. The node must be char 10:229 (ENODEV
 * otherwise); closing the descriptor aborts the connection.
 *
 * @example
 * ```ts
 * p.mknod('/dev/fuse', S_IFCHR | 0o666, makedev(10, 229));
 * const fd = openFuseDevice(p, myDaemon);
 * p.mount('myfs', '/mnt', 'fuse', 0, `fd=${fd},rootmode=40000,user_id=0,group_id=0`);
 * ```
 */
export function openFuseDevice(p: Process, daemon: FuseDaemon, path = '/dev/fuse'): number {
  const conns = fuseConnectionsOf(p.kernel);
  const fd = p.open(path, O_RDWR);
  const f = p.fds.get(fd);
  if ((f.inode.mode & S_IFMT) !== S_IFCHR || major(f.inode.rdev) !== FUSE_MAJOR || minor(f.inode.rdev) !== FUSE_MINOR) {
    p.close(fd);
    throw errno('ENODEV').at('open', path);
  }
  const conn = new FuseConnection(daemon);
  f.state = conn;
  const list = conns.byFd.get(fd) ?? [];
  list.push(conn);
  conns.byFd.set(fd, list);
  return fd;
}
