/**
 * HostExport: a P9Export of a directory of the real host, for `vfsemu gofer serve` — the
 * counterpart of TreeExport (src/p9/tree-export.ts) on the host's kernel, in the manner of gVisor's
 * fsgofer: every node a fid holds is an O_PATH|O_NOFOLLOW descriptor of its file, and every name a
 * client sends is resolved by the kernel relative to a descriptor, never as a path string the
 * server builds and hands to open(2). The syscalls are the addon's (native/hostfs.cc, whose header
 * states the confinement rules this file relies on).
 *
 * Confinement, in this file's terms:
 * - A walk step is one name looked up in its directory's descriptor with O_PATH|O_NOFOLLOW
 *   (`hostfs.walk`): a symlink is returned as itself, for the client to read (Treadlink), and a
 *   walk through it is ENOTDIR; nothing is followed on the client's behalf.
 * - `..` is not asked of the kernel: the node's components below the root (`parts`) lose their last
 *   one, and that path is opened below the root by openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS
 *   | RESOLVE_NO_MAGICLINKS); `..` of the root is the root.
 * - Opening for I/O, renaming or removing a node, and its extended attributes, go by its path the
 *   same way and are checked to reach the node's own inode (ESTALE when the name now holds another
 *   file); a directory opens through its own descriptor. Devices do not open (EACCES) and cannot be
 *   made (EPERM): the export is nodev.
 * - Names are checked here (checkName: EINVAL for '', '.', '/', NUL, and '..' where a name is made
 *   or removed) and again by the addon, whatever the session checked before.
 *
 * Renames made through the export carry the live nodes at and below the old name along (a fid
 * follows its file, as TreeExport's nodes do). A file moved or replaced behind the server's back
 * keeps its descriptor — metadata requests still reach it, as an open descriptor would — but an
 * open, a rename or a remove by its old name is ESTALE or ENOENT, as an NFS handle goes stale.
 *
 * Credentials: the server process's own. Tattach's uname/n_uname switch nothing, and a create's gid
 * is not applied (files belong to the server's fsgid, as TreeExport's do). Modes are applied under
 * the process umask; `vfsemu gofer serve` sets it to 0, as diod does, since the client applied its
 * own umask to the modes it sends.
 *
 * Descriptors: the root's, one a distinct node (clones share it), one an open file. At most
 * `maxHostFds` are held at once (default: 8192, and never more than RLIMIT_NOFILE less 128 for the
 * rest of the process); past it a walk, open or create is ENFILE — the export's descriptor table,
 * shared by every connection, is full. A node's descriptor is closed when its last handle is
 * released, a file's when it is closed; `dispose()` closes them all and fails every later request
 * with EIO, so that a descriptor number the process reuses is never acted on.
 *
 * @example
 * ```ts
 * const exp = new HostExport('/srv/data', { readOnly: true });
 * const server = new P9Server({ '': exp, '/srv/data': exp });
 * // … serve server.connect() sessions (src/host/p9-socket-server.ts) …
 * exp.dispose();
 * ```
 */
import { checkName, type P9AttrChange, type P9DirEntry, type P9Export } from '../p9/export.js';
import { errno, errnoNumber } from '../vfs/errno.js';
import { O_RDONLY, O_WRONLY } from '../vfs/file.js';
import { isDir, isLnk, isReg, S_IFBLK, S_IFCHR, S_IFMT } from '../vfs/inode.js';
import { AT_REMOVEDIR } from '../vfs/process.js';
import type { Stat, StatFs } from '../vfs/stat.js';
import { UTIME_NOW, UTIME_OMIT, type Timespec } from '../vfs/time.js';
import { check, inoOf, loadHostfs, statArray, statfsOf, statOf, type Hostfs } from './hostfs.js';

/** The descriptor of one file of the export, shared by the nodes (fid handles) that name it. */
interface HostInode {
  readonly fd: number;
  /** st_mode when the node was walked to; the type bits never change for a descriptor. */
  readonly mode: number;
  refs: number;
}

/** A file of the export as a fid holds it: its descriptor, and its name below the root. */
export class HostNode {
  constructor(
    readonly inode: HostInode,
    /** Components below the root; updated by renames through the export. */
    public parts: readonly string[],
  ) {}
}

/** A file the export opened for I/O. */
export interface HostFile {
  readonly fd: number;
  /** Regular files and directories take an offset (pread); FIFOs do not. */
  readonly seekable: boolean;
  /** The root's inode number when this is the root directory: its `..` entry shows it, not what lies above. */
  readonly rootIno: number | null;
  /** Directories: the filesystem's cookie after each entry listed so far (readdir says why)… */
  cookies: BigInt64Array;
  /** …of which the first `listed` are current. */
  listed: number;
}

export interface HostExportOptions {
  /** Serve the directory read-only (every modifying request EROFS). */
  readOnly?: boolean;
  /** The most host descriptors the export holds at once (default 8192). */
  maxHostFds?: number;
}

/** Descriptors left to the rest of the process below RLIMIT_NOFILE. */
const FD_RESERVE = 128;
const DEFAULT_MAX_HOST_FDS = 8192;
const ENOSYS = errnoNumber('ENOSYS');
const NO_COOKIES = new BigInt64Array(0);

function utime(t: Timespec | 'now' | undefined): [number, number] {
  return t === undefined ? [0, UTIME_OMIT] : t === 'now' ? [0, UTIME_NOW] : [t.sec, t.nsec];
}

/** A path of components as the addon takes it (the root is ''). */
function pathOf(node: HostNode): string {
  return node.parts.join('/');
}

export class HostExport implements P9Export<HostNode, HostFile> {
  readonly readOnly: boolean;
  /** The directory served, as given. */
  readonly root: string;
  readonly maxHostFds: number;
  private readonly h: Hostfs;
  private readonly rootInode: HostInode;
  private readonly rootIno: number;
  /** Descriptors held besides the root's. */
  private held = 0;
  private disposed = false;
  private readonly live = new Set<HostNode>();
  private readonly openFiles = new Set<HostFile>();
  private readonly st = statArray();
  private readonly fsArray = new Float64Array(12);

  /** Serves `root`, which must be a directory; throws SysError (ENOENT, ENOTDIR, EACCES, …) when it cannot be opened. */
  constructor(root: string, opts: HostExportOptions = {}) {
    this.h = loadHostfs();
    this.root = root;
    this.readOnly = opts.readOnly ?? false;
    this.maxHostFds = Math.max(16, Math.min(opts.maxHostFds ?? DEFAULT_MAX_HOST_FDS, this.h.fdLimit() - FD_RESERVE));
    const fd = check(this.h.openRoot(root), 'open');
    const r = this.h.stat(fd, this.st);
    if (r < 0) {
      this.h.close(fd);
      check(r, 'statx');
    }
    const st = statOf(this.st);
    this.rootInode = { fd, mode: st.mode, refs: 1 };
    this.rootIno = st.ino;
  }

  /** How many host descriptors the export holds besides its root's. */
  get hostFds(): number {
    return this.held;
  }

  /** Closes every descriptor; later requests fail with EIO. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const inodes = new Set([...this.live].map((n) => n.inode));
    for (const i of inodes) if (i !== this.rootInode) this.h.close(i.fd);
    for (const f of this.openFiles) this.h.close(f.fd);
    this.h.close(this.rootInode.fd);
    this.live.clear();
    this.openFiles.clear();
    this.held = 0;
  }

  // ---------------------------------------------------------------- descriptors

  /** The root's descriptor; EIO once disposed (its number may since name another file). */
  private rootFd(): number {
    if (this.disposed) throw errno('EIO');
    return this.rootInode.fd;
  }

  private fd(node: HostNode): number {
    if (this.disposed) throw errno('EIO');
    return node.inode.fd;
  }

  private fileFd(file: HostFile): number {
    if (this.disposed) throw errno('EIO');
    return file.fd;
  }

  /** ENFILE when `n` more descriptors would pass the bound: checked before they are opened. */
  private reserve(n: number): void {
    if (this.held + n > this.maxHostFds) throw errno('ENFILE');
  }

  private track(inode: HostInode, parts: readonly string[]): HostNode {
    const node = new HostNode(inode, parts);
    this.live.add(node);
    return node;
  }

  /** A node on a descriptor just opened (counted here). */
  private adopt(fd: number, mode: number, parts: readonly string[]): HostNode {
    this.held++;
    return this.track({ fd, mode, refs: 1 }, parts);
  }

  private writable(): void {
    if (this.readOnly) throw errno('EROFS');
  }

  /** A rename through the export moved `from` to `to`: live nodes at or below it move too. */
  private moved(from: readonly string[], to: readonly string[]): void {
    for (const node of this.live) {
      if (node.parts.length >= from.length && from.every((c, i) => node.parts[i] === c)) node.parts = [...to, ...node.parts.slice(from.length)];
    }
  }

  private fileOf(fd: number, mode: number, isRoot: boolean): HostFile {
    this.held++;
    const file: HostFile = { fd, seekable: isReg(mode) || isDir(mode), rootIno: isRoot ? this.rootIno : null, cookies: NO_COOKIES, listed: 0 };
    this.openFiles.add(file);
    return file;
  }

  /** Runs `fn` on the node opened with `flags` (rule 4 of native/hostfs.cc), then closes it. */
  private withOpen<T>(node: HostNode, flags: number, fn: (fd: number) => T): T {
    this.reserve(1);
    const fd = check(this.h.reopen(this.rootFd(), this.fd(node), pathOf(node), flags), 'openat2');
    try {
      return fn(fd);
    } finally {
      this.h.close(fd);
    }
  }

  // ---------------------------------------------------------------- nodes

  attach(): HostNode {
    this.rootFd();
    this.rootInode.refs++;
    return this.track(this.rootInode, []);
  }

  lookup(dir: HostNode, name: string): { node: HostNode; stat: Stat } {
    checkName(name, true);
    // A walk step from a non-directory is ENOTDIR, `..` included, as in a path walk.
    if (!isDir(dir.inode.mode)) throw errno('ENOTDIR');
    if (name === '..') {
      const parts = dir.parts.slice(0, -1);
      // `..` of the root is the root (walk(5)); `..` of the root's children too.
      if (parts.length === 0) {
        const node = this.attach();
        return { node, stat: this.stat(node) };
      }
      this.reserve(1);
      const fd = check(this.h.walkPath(this.rootFd(), parts.join('/'), this.st), 'openat2');
      const stat = statOf(this.st);
      if (!isDir(stat.mode)) {
        // The parent's name now holds something else (a process on the host replaced it).
        this.h.close(fd);
        throw errno('ENOTDIR');
      }
      return { node: this.adopt(fd, stat.mode, parts), stat };
    }
    this.reserve(1);
    const fd = check(this.h.walk(this.fd(dir), name, this.st), 'openat');
    const stat = statOf(this.st);
    return { node: this.adopt(fd, stat.mode, [...dir.parts, name]), stat };
  }

  clone(node: HostNode): HostNode {
    this.fd(node);
    node.inode.refs++;
    return this.track(node.inode, node.parts);
  }

  release(node: HostNode): void {
    if (!this.live.delete(node)) return;
    if (--node.inode.refs === 0 && node.inode !== this.rootInode) {
      this.held--;
      this.h.close(node.inode.fd);
    }
  }

  stat(node: HostNode): Stat {
    check(this.h.stat(this.fd(node), this.st), 'statx');
    return statOf(this.st);
  }

  /**
   * Ownership first (chown clears setuid/setgid, which an explicit mode then restores), then the
   * mode, the size (a truncate stamps mtime) and last the times, so the times asked for stay.
   */
  setattr(node: HostNode, ch: P9AttrChange): void {
    this.writable();
    const fd = this.fd(node);
    const mode = node.inode.mode;
    if (ch.uid !== undefined || ch.gid !== undefined) check(this.h.chown(fd, ch.uid ?? -1, ch.gid ?? -1), 'fchownat');
    if (ch.mode !== undefined) {
      const m = ch.mode;
      // fchmodat2(AT_SYMLINK_NOFOLLOW) on a symlink: a link's mode cannot change.
      if (isLnk(mode)) throw errno('EOPNOTSUPP');
      const r = this.h.chmod(fd, m);
      // Before fchmodat2 (Linux 6.6) an O_PATH descriptor cannot be chmod'ed: open the file.
      if (r === -ENOSYS && (isDir(mode) || isReg(mode))) this.withOpen(node, O_RDONLY, (f) => check(this.h.chmod(f, m), 'fchmod'));
      else check(r, 'fchmodat2');
    }
    if (ch.size !== undefined) {
      const size = ch.size;
      // truncate(2): EISDIR for a directory, EINVAL for anything but a regular file.
      if (isDir(mode)) throw errno('EISDIR');
      if (!isReg(mode)) throw errno('EINVAL');
      this.withOpen(node, O_WRONLY, (f) => check(this.h.ftruncate(f, size), 'ftruncate'));
    }
    if (ch.atime !== undefined || ch.mtime !== undefined) check(this.h.utimens(fd, ...utime(ch.atime), ...utime(ch.mtime)), 'utimensat');
  }

  readlink(node: HostNode): string {
    // readlink(2) of anything but a symlink.
    if (!isLnk(node.inode.mode)) throw errno('EINVAL');
    return check(this.h.readlink(this.fd(node)), 'readlinkat');
  }

  statfs(node: HostNode): StatFs {
    check(this.h.statfs(this.fd(node), this.fsArray), 'fstatfs');
    return statfsOf(this.fsArray);
  }

  // ---------------------------------------------------------------- open files

  open(node: HostNode, flags: number): HostFile {
    this.reserve(1);
    const fd = check(this.h.reopen(this.rootFd(), this.fd(node), pathOf(node), flags), 'openat2');
    return this.fileOf(fd, node.inode.mode, node.parts.length === 0);
  }

  create(dir: HostNode, name: string, flags: number, mode: number): { node: HostNode; file: HostFile } {
    checkName(name);
    this.writable();
    this.reserve(2);
    const [fd, nodeFd] = check(this.h.create(this.fd(dir), name, flags, mode, this.st), 'openat');
    const st = statOf(this.st);
    const node = this.adopt(nodeFd, st.mode, [...dir.parts, name]);
    return { node, file: this.fileOf(fd, st.mode, false) };
  }

  fstat(file: HostFile): Stat {
    check(this.h.stat(this.fileFd(file), this.st), 'statx');
    return statOf(this.st);
  }

  read(file: HostFile, offset: number, into: Uint8Array): number {
    return check(this.h.pread(this.fileFd(file), into, file.seekable ? offset : -1), 'pread64');
  }

  write(file: HostFile, offset: number, data: Uint8Array): number {
    return check(this.h.pwrite(this.fileFd(file), data, file.seekable ? offset : -1), 'pwrite64');
  }

  /**
   * One getdents64 batch from cookie `offset` on. The filesystem's own cookies (d_off) are 63-bit
   * hashes on ext4, past what a JavaScript number holds exactly, so the client is given positions
   * instead: entry i of what this open directory has listed resumes at i + 1, and the file keeps
   * each position's real cookie. A position past those listed is the end (an empty batch).
   */
  readdir(file: HostFile, offset: number): P9DirEntry[] {
    const fd = this.fileFd(file);
    if (offset > file.listed) return [];
    const batch = check(this.h.getdents(fd, offset === 0 ? 0n : file.cookies[offset - 1]!), 'getdents64');
    if (file.cookies.length < offset + batch.length) {
      const grown = new BigInt64Array(Math.max(64, 2 * (offset + batch.length)));
      grown.set(file.cookies);
      file.cookies = grown;
    }
    file.listed = offset + batch.length;
    return batch.map(([name, high, low, type, next], i) => {
      file.cookies[offset + i] = next;
      return { name, ino: file.rootIno !== null && name === '..' ? file.rootIno : inoOf(high, low), type, next: offset + i + 1 };
    });
  }

  fsync(file: HostFile): void {
    check(this.h.fsync(this.fileFd(file), false), 'fsync');
  }

  close(file: HostFile): void {
    if (!this.openFiles.delete(file)) return;
    this.held--;
    // close(2) releases the descriptor even when it reports an error (a failed NFS flush).
    check(this.h.close(file.fd), 'close');
  }

  // ---------------------------------------------------------------- names

  mkdir(dir: HostNode, name: string, mode: number): Stat {
    checkName(name);
    this.writable();
    check(this.h.mkdirat(this.fd(dir), name, mode, this.st), 'mkdirat');
    return statOf(this.st);
  }

  symlink(dir: HostNode, name: string, target: string): Stat {
    checkName(name);
    this.writable();
    // symlink(2) takes a C string: a NUL inside cannot be stored.
    if (target.includes('\0')) throw errno('EINVAL');
    check(this.h.symlinkat(target, this.fd(dir), name, this.st), 'symlinkat');
    return statOf(this.st);
  }

  mknod(dir: HostNode, name: string, mode: number, rdev: number): Stat {
    checkName(name);
    this.writable();
    // The export is nodev: a device node would open the host's disks or memory (gVisor refuses too).
    const type = mode & S_IFMT;
    if (type === S_IFCHR || type === S_IFBLK) throw errno('EPERM');
    check(this.h.mknodat(this.fd(dir), name, mode, rdev, this.st), 'mknodat');
    return statOf(this.st);
  }

  /** linkat(2) of the target's descriptor (AT_EMPTY_PATH): a symlink is linked as itself. */
  link(dir: HostNode, target: HostNode, name: string): void {
    checkName(name);
    this.writable();
    check(this.h.linkat(this.fd(target), this.fd(dir), name), 'linkat');
  }

  rename(node: HostNode, newDir: HostNode, name: string): void {
    checkName(name);
    this.writable();
    // The export root has no name to move: EBUSY, as rename(2) of a mount point's root.
    if (node.parts.length === 0) throw errno('EBUSY');
    const from = node.parts;
    check(this.h.renameNode(this.rootFd(), pathOf(node), this.fd(node), this.fd(newDir), name), 'renameat');
    this.moved(from, [...newDir.parts, name]);
  }

  renameat(oldDir: HostNode, oldName: string, newDir: HostNode, newName: string): void {
    checkName(oldName);
    checkName(newName);
    this.writable();
    check(this.h.renameat(this.fd(oldDir), oldName, this.fd(newDir), newName), 'renameat');
    this.moved([...oldDir.parts, oldName], [...newDir.parts, newName]);
  }

  unlinkat(dir: HostNode, name: string, flags: number): void {
    checkName(name);
    this.writable();
    // unlinkat(2): any flag but AT_REMOVEDIR is EINVAL.
    if (flags & ~AT_REMOVEDIR) throw errno('EINVAL');
    check(this.h.unlinkat(this.fd(dir), name, flags), 'unlinkat');
  }

  remove(node: HostNode): void {
    this.writable();
    // rmdir(2) of a root is EBUSY.
    if (node.parts.length === 0) throw errno('EBUSY');
    check(this.h.removeNode(this.rootFd(), pathOf(node), this.fd(node)), 'unlinkat');
  }

  // ---------------------------------------------------------------- extended attributes

  getxattr(node: HostNode, name: string): Uint8Array {
    return check(this.h.getxattr(this.rootFd(), pathOf(node), this.fd(node), name), 'getxattrat');
  }

  listxattr(node: HostNode): string[] {
    const list = check(this.h.listxattr(this.rootFd(), pathOf(node), this.fd(node)), 'listxattrat');
    return new TextDecoder().decode(list).split('\0').slice(0, -1);
  }

  setxattr(node: HostNode, name: string, value: Uint8Array, flags: number): void {
    this.writable();
    check(this.h.setxattr(this.rootFd(), pathOf(node), this.fd(node), name, value, flags), 'setxattrat');
  }

  removexattr(node: HostNode, name: string): void {
    this.writable();
    check(this.h.removexattr(this.rootFd(), pathOf(node), this.fd(node), name), 'removexattrat');
  }
}
