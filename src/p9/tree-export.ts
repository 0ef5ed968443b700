/**
 * TreeExport: a P9Export of a directory of a vfsemu sandbox, as one of its tasks sees it — so one
 * sandbox can serve its tree to another (the emulated counterpart of a gofer serving a host
 * directory).
 *
 * The export runs as a task of its own, like a gofer process: a fork of the given Process, with
 * every inherited descriptor closed, umask 0 (the client applied its umask to the modes it sends;
 * diod runs with umask 0 for the same reason) and its cwd at the export root. Permission checks
 * are that task's credentials; Tattach's uname/n_uname do not switch them (no per-attach uid),
 * and the gid a create carries is not applied — files belong to the task's fsgid, as a gofer not
 * running as root makes them.
 *
 * Nodes are paths: a list of components below the root. Confinement: an operation re-walks its
 * node's path from the root one component at a time, each by openat(O_PATH|O_NOFOLLOW|O_DIRECTORY)
 * from the last, so a component that is (or has become, since the client walked it) a symlink or a
 * non-directory ends the walk with ENOTDIR instead of being followed; the operation then acts on
 * the last component with the no-follow form of its *at() call. `..` is taken off the list (at the
 * root there is nothing to take), which is where the kernel's `..` leads too, since every
 * component was a directory the walk verified. The VFS is synchronous, so no other task runs
 * between the walk and the act.
 *
 * Renames made through the export carry the live nodes below the old name with them, so a fid
 * follows its file as a dentry would; changes made by other tasks are seen by name, as diod sees
 * its host tree (a fid whose name another task moved finds ENOENT there). Open files are
 * descriptors of the export's task and, as any open file, follow their file through renames and
 * unlinks.
 *
 * @example
 * ```ts
 * const p = createSandbox().process;
 * p.mkdir('/srv');
 * const exp = new TreeExport(p, '/srv', { readOnly: true });
 * const server = new P9Server({ '': exp });
 * ```
 */
import { errno, SysError } from '../vfs/errno.js';
import { O_CREAT, O_DIRECTORY, O_NOFOLLOW, O_PATH, O_WRONLY, RLIMIT_NOFILE } from '../vfs/file.js';
import { isDir, isLnk, isReg } from '../vfs/inode.js';
import { AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_NOFOLLOW, SEEK_SET, type Process } from '../vfs/process.js';
import type { Stat, StatFs } from '../vfs/stat.js';
import { UTIME_NOW, UTIME_OMIT, type Timespec } from '../vfs/time.js';
import { checkName, type P9AttrChange, type P9DirEntry, type P9Export } from './export.js';

/** A file of the export by name: its path below the root. Mutable only by renames through the export. */
export class TreeNode {
  constructor(public parts: readonly string[]) {}
}

/** A file the export opened: a descriptor of its task. */
export interface TreeFile {
  readonly fd: number;
  /** Regular files and directories take an offset (pread); FIFOs and devices do not. */
  readonly seekable: boolean;
  /** The export root itself, whose `..` entry must not show what lies above it. */
  readonly isRoot: boolean;
}

export interface TreeExportOptions {
  /** Serve the tree read-only (every modifying request EROFS). */
  readOnly?: boolean;
}

function utimeOf(t: Timespec | 'now' | undefined): Timespec {
  return t === undefined ? { sec: 0, nsec: UTIME_OMIT } : t === 'now' ? { sec: 0, nsec: UTIME_NOW } : t;
}

export class TreeExport implements P9Export<TreeNode, TreeFile> {
  readonly readOnly: boolean;
  private readonly task: Process;
  /** The nodes handed out and not yet released: what a rename through the export must carry along. */
  private readonly live = new Set<TreeNode>();

  /** Serves `root` (resolved by `process` as it stands now; it must be a searchable directory). */
  constructor(process: Process, root: string, opts: TreeExportOptions = {}) {
    this.readOnly = opts.readOnly ?? false;
    const task = process.fork();
    try {
      // close_range(0, ~0U) after the fork: the export must not hold the parent's files open.
      for (let fd = 0; fd < RLIMIT_NOFILE; fd++) closeIfOpen(task, fd);
      task.umaskSet(0);
      task.chdir(root);
    } catch (e) {
      task.exit();
      throw e;
    }
    this.task = task;
  }

  /** Ends the export's task: its cwd and open files go with it. */
  dispose(): void {
    this.live.clear();
    this.task.exit();
  }

  // ---------------------------------------------------------------- the confined walk

  /** Runs `fn` on an O_PATH descriptor of the directory `parts[0..n)`, walked without following. */
  private withDir<T>(parts: readonly string[], n: number, fn: (dirfd: number) => T): T {
    let fd = AT_FDCWD;
    try {
      for (let i = 0; i < n; i++) {
        const next = this.task.openat(fd, parts[i]!, O_PATH | O_NOFOLLOW | O_DIRECTORY);
        if (fd !== AT_FDCWD) this.task.close(fd);
        fd = next;
      }
      return fn(fd);
    } finally {
      if (fd !== AT_FDCWD) this.task.close(fd);
    }
  }

  /** Runs `fn` on the node as (its directory, its name); the root is (cwd, '.'). */
  private at<T>(node: TreeNode, fn: (dirfd: number, name: string) => T): T {
    const n = node.parts.length;
    if (n === 0) return fn(AT_FDCWD, '.');
    return this.withDir(node.parts, n - 1, (d) => fn(d, node.parts[n - 1]!));
  }

  /** Runs `fn` in directory node `dir` for a new or removed entry `name`. */
  private inDir<T>(dir: TreeNode, name: string, fn: (dirfd: number) => T): T {
    checkName(name);
    return this.withDir(dir.parts, dir.parts.length, fn);
  }

  private track(parts: readonly string[]): TreeNode {
    const node = new TreeNode(parts);
    this.live.add(node);
    return node;
  }

  /** A rename through the export moved `from` to `to`: live nodes at or below it move too. */
  private moved(from: readonly string[], to: readonly string[]): void {
    for (const node of this.live) {
      if (node.parts.length >= from.length && from.every((c, i) => node.parts[i] === c)) node.parts = [...to, ...node.parts.slice(from.length)];
    }
  }

  // ---------------------------------------------------------------- nodes

  attach(): TreeNode {
    return this.track([]);
  }

  lookup(dir: TreeNode, name: string): { node: TreeNode; stat: Stat } {
    checkName(name, true);
    let parts: readonly string[];
    if (name === '..') {
      // `..` of a non-directory is ENOTDIR, as in a path walk.
      this.withDir(dir.parts, dir.parts.length, () => undefined);
      parts = dir.parts.slice(0, -1);
    } else {
      parts = [...dir.parts, name];
    }
    const stat = this.at(new TreeNode(parts), (d, n) => this.task.fstatat(d, n, AT_SYMLINK_NOFOLLOW));
    return { node: this.track(parts), stat };
  }

  clone(node: TreeNode): TreeNode {
    return this.track(node.parts);
  }

  release(node: TreeNode): void {
    this.live.delete(node);
  }

  stat(node: TreeNode): Stat {
    return this.at(node, (d, n) => this.task.fstatat(d, n, AT_SYMLINK_NOFOLLOW));
  }

  /**
   * Ownership first (chown clears setuid/setgid, which an explicit mode then restores), then the
   * mode, the size (a truncate stamps mtime) and last the times, so the times asked for stay.
   */
  setattr(node: TreeNode, ch: P9AttrChange): void {
    this.at(node, (d, n) => {
      const st = this.task.fstatat(d, n, AT_SYMLINK_NOFOLLOW);
      if (ch.uid !== undefined || ch.gid !== undefined) this.task.fchownat(d, n, ch.uid ?? -1, ch.gid ?? -1, AT_SYMLINK_NOFOLLOW);
      if (ch.mode !== undefined) {
        // fchmodat2(AT_SYMLINK_NOFOLLOW) on a symlink: a link's mode cannot change.
        if (isLnk(st.mode)) throw errno('EOPNOTSUPP');
        this.task.fchmodat(d, n, ch.mode, AT_SYMLINK_NOFOLLOW);
      }
      if (ch.size !== undefined) {
        // truncate(2): EISDIR for a directory, EINVAL for anything but a regular file.
        if (isDir(st.mode)) throw errno('EISDIR');
        if (!isReg(st.mode)) throw errno('EINVAL');
        const fd = this.task.openat(d, n, O_WRONLY | O_NOFOLLOW);
        try {
          this.task.ftruncate(fd, ch.size);
        } finally {
          this.task.close(fd);
        }
      }
      if (ch.atime !== undefined || ch.mtime !== undefined) this.task.utimensat(d, n, [utimeOf(ch.atime), utimeOf(ch.mtime)], AT_SYMLINK_NOFOLLOW);
    });
  }

  readlink(node: TreeNode): string {
    return this.at(node, (d, n) => this.task.readlinkat(d, n));
  }

  statfs(node: TreeNode): StatFs {
    return this.at(node, (d, n) => {
      const fd = this.task.openat(d, n, O_PATH | O_NOFOLLOW);
      try {
        return this.task.fstatfs(fd);
      } finally {
        this.task.close(fd);
      }
    });
  }

  // ---------------------------------------------------------------- open files

  private fileOf(fd: number, isRoot: boolean): TreeFile {
    const st = this.task.fstat(fd);
    return { fd, seekable: isReg(st.mode) || isDir(st.mode), isRoot };
  }

  open(node: TreeNode, flags: number): TreeFile {
    return this.at(node, (d, n) => this.fileOf(this.task.openat(d, n, (flags & ~O_CREAT) | O_NOFOLLOW), node.parts.length === 0));
  }

  create(dir: TreeNode, name: string, flags: number, mode: number): { node: TreeNode; file: TreeFile } {
    return this.inDir(dir, name, (d) => {
      const file = this.fileOf(this.task.openat(d, name, flags | O_CREAT | O_NOFOLLOW, mode), false);
      return { node: this.track([...dir.parts, name]), file };
    });
  }

  fstat(file: TreeFile): Stat {
    return this.task.fstat(file.fd);
  }

  read(file: TreeFile, offset: number, into: Uint8Array): number {
    return file.seekable ? this.task.pread(file.fd, into, offset) : this.task.read(file.fd, into);
  }

  write(file: TreeFile, offset: number, data: Uint8Array): number {
    return file.seekable ? this.task.pwrite(file.fd, data, offset) : this.task.write(file.fd, data);
  }

  /** Cookies are positions in getdents order: entry i of the listing resumes at i + 1. */
  readdir(file: TreeFile, offset: number): P9DirEntry[] {
    this.task.lseek(file.fd, offset, SEEK_SET);
    const entries = this.task.getdents(file.fd);
    const self = file.isRoot ? this.task.fstat(file.fd).ino : 0;
    return entries.map((e, i) => ({ name: e.name, ino: file.isRoot && e.name === '..' ? self : e.ino, type: e.type, next: offset + i + 1 }));
  }

  /** Nothing to flush in memory: checks the descriptor, as fsync(2) would. */
  fsync(file: TreeFile): void {
    this.task.fstat(file.fd);
  }

  close(file: TreeFile): void {
    this.task.close(file.fd);
  }

  // ---------------------------------------------------------------- names

  mkdir(dir: TreeNode, name: string, mode: number): Stat {
    return this.inDir(dir, name, (d) => {
      this.task.mkdirat(d, name, mode);
      return this.task.fstatat(d, name, AT_SYMLINK_NOFOLLOW);
    });
  }

  symlink(dir: TreeNode, name: string, target: string): Stat {
    return this.inDir(dir, name, (d) => {
      this.task.symlinkat(target, d, name);
      return this.task.fstatat(d, name, AT_SYMLINK_NOFOLLOW);
    });
  }

  mknod(dir: TreeNode, name: string, mode: number, rdev: number): Stat {
    return this.inDir(dir, name, (d) => {
      this.task.mknodat(d, name, mode, rdev);
      return this.task.fstatat(d, name, AT_SYMLINK_NOFOLLOW);
    });
  }

  /** linkat(2) without AT_SYMLINK_FOLLOW: a symlink target is linked as itself. */
  link(dir: TreeNode, target: TreeNode, name: string): void {
    this.at(target, (td, tn) => this.inDir(dir, name, (d) => this.task.linkat(td, tn, d, name, 0)));
  }

  rename(node: TreeNode, newDir: TreeNode, name: string): void {
    // The export root has no name to move: EBUSY, as rename(2) of a mount point's root.
    if (node.parts.length === 0) throw errno('EBUSY');
    const from = node.parts;
    this.at(node, (od, on) => this.inDir(newDir, name, (nd) => this.task.renameat2(od, on, nd, name, 0)));
    this.moved(from, [...newDir.parts, name]);
  }

  renameat(oldDir: TreeNode, oldName: string, newDir: TreeNode, newName: string): void {
    this.inDir(oldDir, oldName, (od) => this.inDir(newDir, newName, (nd) => this.task.renameat2(od, oldName, nd, newName, 0)));
    this.moved([...oldDir.parts, oldName], [...newDir.parts, newName]);
  }

  unlinkat(dir: TreeNode, name: string, flags: number): void {
    this.inDir(dir, name, (d) => this.task.unlinkat(d, name, flags));
  }

  remove(node: TreeNode): void {
    // rmdir(2) of a root is EBUSY.
    if (node.parts.length === 0) throw errno('EBUSY');
    this.at(node, (d, n) => this.task.unlinkat(d, n, isDir(this.task.fstatat(d, n, AT_SYMLINK_NOFOLLOW).mode) ? AT_REMOVEDIR : 0));
  }

  // ---------------------------------------------------------------- extended attributes

  /**
   * The VFS has no *at() form of the xattr calls, so the node is named by its path from the cwd
   * (the root) — inside `at`, after the walk verified each directory of it in this same turn, so
   * the path resolves through exactly those; the l*xattr form leaves a final symlink alone.
   */
  private xattrPath<T>(node: TreeNode, fn: (path: string) => T): T {
    return this.at(node, () => fn(node.parts.length === 0 ? '.' : node.parts.join('/')));
  }

  getxattr(node: TreeNode, name: string): Uint8Array {
    return this.xattrPath(node, (p) => this.task.lgetxattr(p, name));
  }

  listxattr(node: TreeNode): string[] {
    return this.xattrPath(node, (p) => this.task.llistxattr(p));
  }

  setxattr(node: TreeNode, name: string, value: Uint8Array, flags: number): void {
    this.xattrPath(node, (p) => this.task.lsetxattr(p, name, value, flags));
  }

  removexattr(node: TreeNode, name: string): void {
    this.xattrPath(node, (p) => this.task.lremovexattr(p, name));
  }
}

function closeIfOpen(task: Process, fd: number): void {
  try {
    task.close(fd);
  } catch (e) {
    if (!(e instanceof SysError)) throw e;
  }
}
