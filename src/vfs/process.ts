/**
 * Process: a task (credentials, umask, root, cwd, mount namespace, fd table) and its
 * syscall-shaped methods for files, directories, attributes and extended attributes.
 * Mount-related calls live in mount-syscalls.ts and are exposed here as methods too.
 *
 * Each method follows the order of checks of the kernel's implementation, because that order
 * decides which errno a caller sees when several rules fail at once (e.g. mkdir of an existing
 * name on a read-only mount is EEXIST, unlink on a read-only mount is EROFS even for a missing
 * name). Every failure is a `SysError` carrying the syscall name and the path(s).
 */
import { notifyChange, newInodeOwner, shouldRemoveSuid } from './attr.js';
import { Cap, Credentials } from './creds.js';
import type { Dentry } from './dentry.js';
import { errno, SysError } from './errno.js';
import { RENAME_EXCHANGE, RENAME_NOREPLACE, RENAME_WHITEOUT } from './inode.js';
import {
  FdTable,
  FileDescription,
  O_ACCMODE,
  O_APPEND,
  O_CLOEXEC,
  O_CREAT,
  O_DIRECTORY,
  O_EXCL,
  O_NOATIME,
  O_NOCTTY,
  O_NOFOLLOW,
  O_PATH,
  O_RDONLY,
  O_RDWR,
  O_TRUNC,
  O_WRONLY,
} from './file.js';
import {
  isDir,
  isLnk,
  isReg,
  isSpecial,
  major,
  S_IFBLK,
  S_IFCHR,
  S_IFDIR,
  S_IFIFO,
  S_IFLNK,
  S_IFMT,
  S_IFREG,
  S_IFSOCK,
  SB_RDONLY,
  XATTR_CREATE,
  XATTR_REPLACE,
  type DirEntry,
  type Inode,
} from './inode.js';
import type { Kernel } from './kernel.js';
import { MNT_NODEV, MNT_NOEXEC, type Mount, type Path } from './mount.js';
import { isLocalMountpoint, type MountNamespace } from './mount-namespace.js';
import { CLONE_NEWNET, CLONE_NEWNS, type NetNamespace } from './net-namespace.js';
import * as credSys from './cred-syscalls.js';
import * as mountSys from './mount-syscalls.js';
import { MAY_APPEND, MAY_EXEC, MAY_READ, MAY_WRITE, inodePermission, mayCreate, mayDelete, mayLink, ownerOrCapable } from './permission.js';
import { followMounts, lookupLast, Nameidata, pathFrom, resolveParent, resolvePath, type ParentWalk, type WalkTask } from './resolve.js';
import { statfsOf, statOf, type Stat, type StatFs } from './stat.js';
import { UTIME_NOW, UTIME_OMIT, type Timespec } from './time.js';

export const AT_FDCWD = -100;
export const AT_SYMLINK_NOFOLLOW = 0x100;
export const AT_REMOVEDIR = 0x200;
export const AT_SYMLINK_FOLLOW = 0x400;
export const AT_EACCESS = 0x200;
export const AT_EMPTY_PATH = 0x1000;

export { RENAME_EXCHANGE, RENAME_NOREPLACE, RENAME_WHITEOUT };

export const SEEK_SET = 0;
export const SEEK_CUR = 1;
export const SEEK_END = 2;
export const SEEK_DATA = 3;
export const SEEK_HOLE = 4;

export const F_OK = 0;
export const X_OK = 1;
export const W_OK = 2;
export const R_OK = 4;

const XATTR_NAME_MAX = 255;
const XATTR_SIZE_MAX = 65536;
/** MAX_LFS_FILESIZE, capped at what a JavaScript number holds exactly. */
const MAX_FILESIZE = Number.MAX_SAFE_INTEGER;

/** mnt_want_write(): EROFS on a read-only mount or superblock. */
export function mntWantWrite(mnt: Mount): void {
  if (mnt.readonly || mnt.sb.flags & SB_RDONLY) throw errno('EROFS');
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
  fds = new FdTable();
  /** The parameters of the fsopen(2) context being mounted by `fsmount` (mount-dir.ts hands them on). */
  fsParams: readonly { key: string; value: string | null }[] | null = null;

  constructor(
    readonly kernel: Kernel,
    ns: MountNamespace,
    root: Path,
    creds: Credentials = Credentials.root(),
  ) {
    this.ns = ns;
    this.netns = kernel.initNetNs;
    this.creds = creds;
    this.root = root;
    this.cwd = root;
    root.mnt.refs += 2;
    kernel.addTask(this);
  }

  /** A child task sharing nothing mutable: copies of creds, fs root/cwd and the fd table. */
  fork(): Process {
    const p = new Process(this.kernel, this.ns, this.root, this.creds);
    p.setCwd(this.cwd);
    p.netns = this.netns;
    p.umask = this.umask;
    p.fds = this.fds.clone();
    return p;
  }

  /** Exits: closes every descriptor and drops root and cwd. */
  exit(): void {
    this.kernel.removeTask(this);
    for (const fd of this.fds.open()) this.closeFd(fd);
    this.root.mnt.refs--;
    this.cwd.mnt.refs--;
    this.kernel.maybeRelease(this.root.mnt);
    this.kernel.maybeRelease(this.cwd.mnt);
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

  /** Runs a syscall body, stamping escaping errors with the syscall and path(s). */
  protected sys<T>(name: string, path: string | undefined, fn: () => T, dest?: string): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof SysError) throw e.at(name, path, dest);
      throw e;
    }
  }

  /** The starting point of a *at() walk: the cwd or a directory descriptor. */
  protected base(dirfd: number, path: string): Path {
    if (dirfd === AT_FDCWD || path.startsWith('/')) return this.cwd;
    const f = this.fds.get(dirfd);
    if (path !== '' && !isDir(f.inode.mode)) throw errno('ENOTDIR');
    return f.path;
  }

  /** Resolves `path` from `dirfd`; AT_EMPTY_PATH with '' names the descriptor itself. */
  protected lookup(dirfd: number, path: string, follow: boolean, emptyPath = false): Path {
    if (path === '' && emptyPath) {
      if (dirfd === AT_FDCWD) return this.cwd;
      return this.fds.get(dirfd).path;
    }
    return resolvePath(this, this.base(dirfd, path), path, follow);
  }

  protected parent(dirfd: number, path: string): ParentWalk {
    return resolveParent(this, this.base(dirfd, path), path);
  }

  private now(): Timespec {
    return this.kernel.clock.now();
  }

  // ---------------------------------------------------------------- open, read, write

  open(path: string, flags: number, mode = 0o666): number {
    return this.sys('open', path, () => this.doOpen(AT_FDCWD, path, flags, mode));
  }

  openat(dirfd: number, path: string, flags: number, mode = 0o666): number {
    return this.sys('openat', path, () => this.doOpen(dirfd, path, flags, mode));
  }

  /** do_sys_openat2(): build_open_flags, path_openat, do_open, vfs_open. */
  private doOpen(dirfd: number, path: string, flags: number, mode: number): number {
    if (flags & O_PATH) flags &= O_DIRECTORY | O_NOFOLLOW | O_PATH | O_CLOEXEC;
    // O_CREAT|O_DIRECTORY has been EINVAL since Linux 6.4.
    if ((flags & (O_CREAT | O_DIRECTORY)) === (O_CREAT | O_DIRECTORY)) throw errno('EINVAL');
    if (flags & O_EXCL && flags & O_CREAT) flags |= O_NOFOLLOW;
    const acc = flags & O_ACCMODE;
    let accMode = flags & O_PATH ? 0 : acc === O_RDONLY ? MAY_READ : acc === O_WRONLY ? MAY_WRITE : MAY_READ | MAY_WRITE;
    if (flags & O_TRUNC) accMode |= MAY_WRITE;
    if (flags & O_APPEND) accMode |= MAY_APPEND;

    let target: Path;
    let created = false;
    if (!(flags & O_CREAT)) {
      target = this.lookup(dirfd, path, !(flags & O_NOFOLLOW));
      if (flags & O_DIRECTORY && !isDir(target.dentry.inode.mode)) throw errno('ENOTDIR');
    } else {
      const r = this.openCreate(dirfd, path, flags, mode);
      target = r.path;
      created = r.created;
    }
    const inode = target.dentry.inode;

    if (flags & O_PATH) return this.fds.install(new FileDescription(target, inode, flags, false, false, false));

    let truncate = false;
    if (created) {
      // A file this call created is opened without permission checks and is not truncated.
      accMode = 0;
    } else if (isReg(inode.mode) && flags & O_TRUNC) {
      mntWantWrite(target.mnt);
      truncate = true;
    }
    if (!created) this.mayOpen(target, accMode, flags);
    // do_dentry_open(): a socket inode's open is no_open(), whatever the permission.
    if ((inode.mode & S_IFMT) === S_IFSOCK) throw errno('ENXIO');
    // chrdev_open()/blkdev_open(): no driver has major 0 — a whiteout (0/0) opens as ENXIO.
    if (((inode.mode & S_IFMT) === S_IFCHR || (inode.mode & S_IFMT) === S_IFBLK) && major(inode.rdev) === 0) throw errno('ENXIO');

    const writable = acc === O_WRONLY || acc === O_RDWR;
    const writer = writable && !isSpecial(inode.mode);
    if (writer) mntWantWrite(target.mnt);
    // vfs_open(): the filesystem's own open, before handle_truncate() (overlayfs copies up here).
    const state = created ? undefined : inode.open?.(flags, this.creds);
    const file = new FileDescription(target, inode, flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY), acc === O_RDONLY || acc === O_RDWR, writable, writer);
    file.state = state ?? undefined;
    try {
      if (truncate && inode.size !== 0) this.doTruncate(inode, 0, true);
      else if (truncate) notifyChange(this.creds, inode, { mtime: 'now', force: true }, this.now());
      return this.fds.install(file);
    } catch (e) {
      file.release();
      throw e;
    }
  }

  /**
   * The O_CREAT half of path_openat(): open_last_lookups() and lookup_open(). A trailing link is
   * followed here, from the directory holding it, on the same link budget as the walk; a dangling
   * link makes O_CREAT create its target.
   */
  private openCreate(dirfd: number, path: string, flags: number, mode: number): { path: Path; created: boolean } {
    const nd = new Nameidata(this);
    let pw = nd.parent(this.base(dirfd, path), path);
    for (;;) {
      // `.`, `..`, `/` or a trailing slash: an existing directory, so O_CREAT makes it EISDIR (do_open()).
      if (pw.type !== 'norm' || pw.trailing) throw errno('EISDIR');
      const existing = lookupLast(pw);
      if (!existing) return { path: this.createFile(pw, mode), created: true };
      if (flags & O_EXCL) throw errno('EEXIST');
      const p = followMounts({ mnt: pw.parent.mnt, dentry: existing });
      if (!isLnk(p.dentry.inode.mode)) {
        if (isDir(p.dentry.inode.mode)) throw errno('EISDIR');
        return { path: p, created: false };
      }
      if (flags & O_NOFOLLOW) throw errno('ELOOP');
      pw = nd.parent(pw.parent, nd.pickLink(p));
    }
  }


  /** lookup_open()'s create: EROFS or EACCES (may_o_create), then the filesystem's create. */
  private createFile(pw: ParentWalk, mode: number): Path {
    mntWantWrite(pw.parent.mnt);
    mayCreate(this.creds, pw.parent.dentry, undefined);
    const dir = pw.parent.dentry;
    const o = newInodeOwner(this.creds, dir.inode, mode & 0o7777, S_IFREG, this.umask);
    const inode = dir.inode.create(pw.last, o.mode, 0, o.uid, o.gid);
    return { mnt: pw.parent.mnt, dentry: dir.instantiate(pw.last, inode) };
  }

  /** may_open(). */
  private mayOpen(p: Path, accMode: number, flags: number): void {
    const inode = p.dentry.inode;
    switch (inode.mode & S_IFMT) {
      case S_IFLNK:
        throw errno('ELOOP');
      case S_IFDIR:
        if (accMode & MAY_WRITE) throw errno('EISDIR');
        if (accMode & MAY_EXEC) throw errno('EACCES');
        break;
      case S_IFBLK:
      case S_IFCHR:
        if (p.mnt.flags & MNT_NODEV) throw errno('EACCES');
        if (accMode & MAY_EXEC) throw errno('EACCES');
        break;
      case S_IFIFO:
      case S_IFSOCK:
        if (accMode & MAY_EXEC) throw errno('EACCES');
        break;
      case S_IFREG:
        if (accMode & MAY_EXEC && p.mnt.flags & MNT_NOEXEC) throw errno('EACCES');
        break;
    }
    inodePermission(this.creds, inode, accMode);
    if (flags & O_NOATIME && !ownerOrCapable(this.creds, inode)) throw errno('EPERM');
  }

  close(fd: number): void {
    this.sys('close', undefined, () => this.closeFd(fd));
  }

  private closeFd(fd: number): void {
    const f = this.fds.close(fd);
    if (f) this.kernel.maybeRelease(f.path.mnt);
  }

  /** ioctl(fd, TIOCGPTN): the number of the pseudo-terminal a ptmx descriptor made; ENOTTY otherwise. */
  ptyNumber(fd: number): number {
    return this.sys('ioctl', undefined, () => {
      const n = this.ioFile(fd).state?.ptyIndex;
      if (n === undefined) throw errno('ENOTTY');
      return n;
    });
  }

  dup(fd: number): number {
    return this.sys('dup', undefined, () => this.fds.install(this.fds.get(fd)));
  }

  /** The description behind `fd`, refusing O_PATH descriptors (fdget() for I/O). */
  private ioFile(fd: number): FileDescription {
    const f = this.fds.get(fd);
    if (f.isPath) throw errno('EBADF');
    return f;
  }

  read(fd: number, into: Uint8Array): number {
    return this.sys('read', undefined, () => {
      const f = this.ioFile(fd);
      const n = this.readAt(f, f.pos, into);
      f.pos += n;
      return n;
    });
  }

  pread(fd: number, into: Uint8Array, pos: number): number {
    return this.sys('pread', undefined, () => {
      const f = this.ioFile(fd);
      if (pos < 0) throw errno('EINVAL');
      if (!isReg(f.inode.mode) && !isDir(f.inode.mode)) throw errno('ESPIPE');
      return this.readAt(f, pos, into);
    });
  }

  private readAt(f: FileDescription, pos: number, into: Uint8Array): number {
    if (!f.readable) throw errno('EBADF');
    if (isDir(f.inode.mode)) throw errno('EISDIR');
    if (!isReg(f.inode.mode)) throw errno('EINVAL');
    return f.inode.read(pos, into);
  }

  write(fd: number, data: Uint8Array): number {
    return this.sys('write', undefined, () => {
      const f = this.ioFile(fd);
      const pos = f.flags & O_APPEND ? f.inode.size : f.pos;
      const n = this.writeAt(f, pos, data);
      f.pos = pos + n;
      return n;
    });
  }

  pwrite(fd: number, data: Uint8Array, pos: number): number {
    return this.sys('pwrite', undefined, () => {
      const f = this.ioFile(fd);
      if (pos < 0) throw errno('EINVAL');
      if (!isReg(f.inode.mode) && !isDir(f.inode.mode)) throw errno('ESPIPE');
      // pwrite on an O_APPEND file appends all the same (a Linux bug kept for compatibility).
      return this.writeAt(f, f.flags & O_APPEND ? f.inode.size : pos, data);
    });
  }

  private writeAt(f: FileDescription, pos: number, data: Uint8Array): number {
    if (!f.writable) throw errno('EBADF');
    if (!isReg(f.inode.mode)) throw errno('EINVAL');
    if (data.length === 0) return 0;
    if (pos + data.length > MAX_FILESIZE) throw errno('EFBIG');
    // file_remove_privs(): the kernel drops setuid/setgid itself, without permission checks.
    if (shouldRemoveSuid(this.creds, f.inode)) notifyChange(this.creds, f.inode, { killSuid: true, force: true }, this.now());
    return f.inode.write(pos, data);
  }

  lseek(fd: number, offset: number, whence: number): number {
    return this.sys('lseek', undefined, () => {
      const f = this.fds.get(fd);
      if (f.isPath) throw errno('EBADF');
      if (!isReg(f.inode.mode) && !isDir(f.inode.mode)) throw errno('ESPIPE');
      let pos: number;
      if (whence === SEEK_SET) pos = offset;
      else if (whence === SEEK_CUR) pos = f.pos + offset;
      // dcache_dir_lseek() takes only SEEK_SET and SEEK_CUR.
      else if (isDir(f.inode.mode)) throw errno('EINVAL');
      else if (whence === SEEK_END) pos = f.inode.size + offset;
      else if (whence === SEEK_DATA || whence === SEEK_HOLE) {
        // lseek(2): ENXIO when the offset is negative or at or past the end of the file.
        if (offset < 0 || offset >= f.inode.size) throw errno('ENXIO');
        const hole = whence === SEEK_HOLE;
        const found = f.inode.seekHoleData ? f.inode.seekHoleData(offset, hole) : hole ? f.inode.size : offset;
        if (found === null) throw errno('ENXIO');
        pos = found;
      } else throw errno('EINVAL');
      if (pos < 0 || !Number.isSafeInteger(pos)) throw errno('EINVAL');
      f.pos = pos;
      if (isDir(f.inode.mode)) f.dirCursor = pos;
      return pos;
    });
  }

  /**
   * getdents64(2): the entries not yet returned, `.` and `..` first, in the directory's order.
   * Returns an empty list at the end.
   */
  getdents(fd: number): DirEntry[] {
    return this.sys('getdents64', undefined, () => {
      const f = this.ioFile(fd);
      if (!isDir(f.inode.mode)) throw errno('ENOTDIR');
      if (f.path.dentry.unlinked) throw errno('ENOENT');
      const parent = this.dotdotInode(f.path);
      const all: DirEntry[] = [
        { name: '.', ino: f.inode.ino, type: S_IFDIR },
        { name: '..', ino: parent.ino, type: S_IFDIR },
        ...f.inode.readdir(),
      ];
      const out = all.slice(f.dirCursor);
      f.dirCursor = all.length;
      f.pos = all.length;
      return out;
    });
  }

  /** The inode `..` names for a directory: the parent dentry's, or the directory's own at a root. */
  private dotdotInode(p: Path): Inode {
    return p.dentry.parent ? p.dentry.parent.inode : p.dentry.inode;
  }

  // ---------------------------------------------------------------- stat and friends

  stat(path: string): Stat {
    return this.sys('stat', path, () => this.statPath(this.lookup(AT_FDCWD, path, true)));
  }

  lstat(path: string): Stat {
    return this.sys('lstat', path, () => this.statPath(this.lookup(AT_FDCWD, path, false)));
  }

  fstat(fd: number): Stat {
    return this.sys('fstat', undefined, () => this.statPath(this.fds.get(fd).path));
  }

  fstatat(dirfd: number, path: string, flags = 0): Stat {
    return this.sys('newfstatat', path, () => {
      if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) throw errno('EINVAL');
      return this.statPath(this.lookup(dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW), (flags & AT_EMPTY_PATH) !== 0));
    });
  }

  private statPath(p: Path): Stat {
    return statOf(p.dentry.inode);
  }

  statfs(path: string): StatFs {
    return this.sys('statfs', path, () => {
      const p = this.lookup(AT_FDCWD, path, true);
      return statfsOf(p.mnt);
    });
  }

  fstatfs(fd: number): StatFs {
    return this.sys('fstatfs', undefined, () => statfsOf(this.fds.get(fd).path.mnt));
  }

  readlink(path: string): string {
    return this.sys('readlink', path, () => this.doReadlink(AT_FDCWD, path));
  }

  readlinkat(dirfd: number, path: string): string {
    return this.sys('readlinkat', path, () => this.doReadlink(dirfd, path));
  }

  private doReadlink(dirfd: number, path: string): string {
    const p = this.lookup(dirfd, path, false, true);
    if (!isLnk(p.dentry.inode.mode)) throw errno('EINVAL');
    return p.dentry.inode.readlink();
  }

  access(path: string, mode: number): void {
    this.sys('access', path, () => this.doAccess(AT_FDCWD, path, mode, 0));
  }

  faccessat(dirfd: number, path: string, mode: number, flags = 0): void {
    this.sys('faccessat2', path, () => this.doAccess(dirfd, path, mode, flags));
  }

  /** do_faccessat(): checks with the real ids; a non-root uid loses its capabilities for it. */
  private doAccess(dirfd: number, path: string, mode: number, flags: number): void {
    if (mode & ~7) throw errno('EINVAL');
    if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) throw errno('EINVAL');
    let creds = this.creds;
    // access_override_creds(): unless AT_EACCESS, a non-zero uid checks without capabilities.
    if (!(flags & AT_EACCESS)) {
      // The real uid decides: non-root checks without capabilities, root with its permitted set.
      creds = new Credentials(creds.uid, creds.gid, creds.groups, creds.uid === 0 ? creds.permitted : 0n, creds.permitted);
    }
    const saved = this.creds;
    this.creds = creds;
    try {
      const p = this.lookup(dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW), (flags & AT_EMPTY_PATH) !== 0);
      const inode = p.dentry.inode;
      if (mode & X_OK && isReg(inode.mode) && p.mnt.flags & MNT_NOEXEC) throw errno('EACCES');
      inodePermission(creds, inode, mode);
      // SuS v2 requires a read-only filesystem to be reported for W_OK.
      if (mode & W_OK && !isSpecial(inode.mode) && (p.mnt.readonly || p.mnt.sb.flags & SB_RDONLY)) throw errno('EROFS');
    } finally {
      this.creds = saved;
    }
  }

  // ---------------------------------------------------------------- creating names

  mkdir(path: string, mode = 0o777): void {
    this.sys('mkdir', path, () => this.doMkdir(AT_FDCWD, path, mode));
  }

  mkdirat(dirfd: number, path: string, mode = 0o777): void {
    this.sys('mkdirat', path, () => this.doMkdir(dirfd, path, mode));
  }

  /**
   * filename_create(): the parent walk, then EEXIST for `.`/`..`/`/` or an existing name, ENOENT
   * for a trailing slash on a non-directory create, then the deferred EROFS.
   */
  private filenameCreate(dirfd: number, path: string, isDirectory: boolean): ParentWalk {
    const pw = this.parent(dirfd, path);
    if (pw.type !== 'norm') throw errno('EEXIST');
    const existing = lookupLast(pw);
    if (existing) throw errno('EEXIST');
    if (pw.trailing && !isDirectory) throw errno('ENOENT');
    mntWantWrite(pw.parent.mnt);
    return pw;
  }

  private doMkdir(dirfd: number, path: string, mode: number): void {
    const pw = this.filenameCreate(dirfd, path, true);
    const dir = pw.parent.dentry;
    mayCreate(this.creds, dir, undefined);
    const o = newInodeOwner(this.creds, dir.inode, mode & 0o1777, S_IFDIR, this.umask);
    dir.instantiate(pw.last, dir.inode.mkdir(pw.last, o.mode, o.uid, o.gid));
  }

  mknod(path: string, mode: number, dev = 0): void {
    this.sys('mknod', path, () => this.doMknod(AT_FDCWD, path, mode, dev));
  }

  mknodat(dirfd: number, path: string, mode: number, dev = 0): void {
    this.sys('mknodat', path, () => this.doMknod(dirfd, path, mode, dev));
  }

  private doMknod(dirfd: number, path: string, mode: number, dev: number): void {
    // may_mknod()
    let type = mode & S_IFMT;
    if (type === 0) type = S_IFREG;
    else if (type === S_IFDIR) throw errno('EPERM');
    else if (type !== S_IFREG && type !== S_IFCHR && type !== S_IFBLK && type !== S_IFIFO && type !== S_IFSOCK) throw errno('EINVAL');
    const pw = this.filenameCreate(dirfd, path, false);
    const dir = pw.parent.dentry;
    mayCreate(this.creds, dir, undefined);
    if ((type === S_IFCHR || type === S_IFBLK) && !this.creds.capable(Cap.MKNOD)) throw errno('EPERM');
    const o = newInodeOwner(this.creds, dir.inode, mode & 0o7777, type, this.umask);
    const rdev = type === S_IFCHR || type === S_IFBLK ? dev : 0;
    dir.instantiate(pw.last, dir.inode.create(pw.last, o.mode, rdev, o.uid, o.gid));
  }

  symlink(target: string, path: string): void {
    this.sys('symlink', target, () => this.doSymlink(target, AT_FDCWD, path), path);
  }

  symlinkat(target: string, dirfd: number, path: string): void {
    this.sys('symlinkat', target, () => this.doSymlink(target, dirfd, path), path);
  }

  private doSymlink(target: string, dirfd: number, path: string): void {
    if (target === '') throw errno('ENOENT');
    if (target.length >= 4096 / 3 && new TextEncoder().encode(target).length >= 4096) throw errno('ENAMETOOLONG');
    const pw = this.filenameCreate(dirfd, path, false);
    const dir = pw.parent.dentry;
    mayCreate(this.creds, dir, undefined);
    const o = newInodeOwner(this.creds, dir.inode, 0o777, S_IFLNK, 0);
    dir.instantiate(pw.last, dir.inode.symlink(pw.last, target, o.uid, o.gid));
  }

  link(oldpath: string, newpath: string): void {
    this.sys('link', oldpath, () => this.doLink(AT_FDCWD, oldpath, AT_FDCWD, newpath, 0), newpath);
  }

  linkat(olddirfd: number, oldpath: string, newdirfd: number, newpath: string, flags = 0): void {
    this.sys('linkat', oldpath, () => this.doLink(olddirfd, oldpath, newdirfd, newpath, flags), newpath);
  }

  private doLink(olddirfd: number, oldpath: string, newdirfd: number, newpath: string, flags: number): void {
    if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) throw errno('EINVAL');
    const old = this.lookup(olddirfd, oldpath, (flags & AT_SYMLINK_FOLLOW) !== 0, (flags & AT_EMPTY_PATH) !== 0);
    const pw = this.filenameCreate(newdirfd, newpath, false);
    if (old.mnt !== pw.parent.mnt) throw errno('EXDEV');
    mayLink(this.creds, old.dentry.inode);
    // vfs_link()
    const dir = pw.parent.dentry;
    mayCreate(this.creds, dir, undefined);
    const inode = old.dentry.inode;
    if (inode.sb !== dir.inode.sb) throw errno('EXDEV');
    if (isDir(inode.mode)) throw errno('EPERM');
    if (inode.nlink === 0) throw errno('ENOENT');
    dir.inode.link(pw.last, inode);
    dir.instantiate(pw.last, inode);
  }

  // ---------------------------------------------------------------- removing names

  unlink(path: string): void {
    this.sys('unlink', path, () => this.doUnlink(AT_FDCWD, path));
  }

  unlinkat(dirfd: number, path: string, flags = 0): void {
    this.sys('unlinkat', path, () => {
      if (flags & ~AT_REMOVEDIR) throw errno('EINVAL');
      if (flags & AT_REMOVEDIR) this.doRmdir(dirfd, path);
      else this.doUnlink(dirfd, path);
    });
  }

  /** is_local_mountpoint(): something is mounted on `d` in this task's namespace. */
  private isLocalMountpoint(d: Dentry): boolean {
    return isLocalMountpoint(this.ns, d);
  }

  private doUnlink(dirfd: number, path: string): void {
    const pw = this.parent(dirfd, path);
    if (pw.type !== 'norm') throw errno('EISDIR');
    mntWantWrite(pw.parent.mnt);
    const victim = lookupLast(pw);
    if (!victim) throw errno('ENOENT');
    if (pw.trailing) throw errno(isDir(victim.inode.mode) ? 'EISDIR' : 'ENOTDIR');
    const dir = pw.parent.dentry;
    mayDelete(this.creds, dir, victim, false);
    if (this.isLocalMountpoint(victim)) throw errno('EBUSY');
    dir.inode.unlink(victim.name, victim.inode);
    victim.drop();
    mountSys.detachMounts(this.kernel, victim);
  }

  rmdir(path: string): void {
    this.sys('rmdir', path, () => this.doRmdir(AT_FDCWD, path));
  }

  private doRmdir(dirfd: number, path: string): void {
    const pw = this.parent(dirfd, path);
    if (pw.type === 'dotdot') throw errno('ENOTEMPTY');
    if (pw.type === 'dot') throw errno('EINVAL');
    if (pw.type === 'root') throw errno('EBUSY');
    mntWantWrite(pw.parent.mnt);
    const victim = lookupLast(pw);
    if (!victim) throw errno('ENOENT');
    const dir = pw.parent.dentry;
    mayDelete(this.creds, dir, victim, true);
    if (this.isLocalMountpoint(victim)) throw errno('EBUSY');
    dir.inode.rmdir(victim.name, victim.inode);
    victim.drop();
    mountSys.detachMounts(this.kernel, victim);
  }

  rename(oldpath: string, newpath: string): void {
    this.sys('rename', oldpath, () => this.doRename(AT_FDCWD, oldpath, AT_FDCWD, newpath, 0), newpath);
  }

  renameat2(olddirfd: number, oldpath: string, newdirfd: number, newpath: string, flags = 0): void {
    this.sys('renameat2', oldpath, () => this.doRename(olddirfd, oldpath, newdirfd, newpath, flags), newpath);
  }

  /** do_renameat2() and vfs_rename(). */
  private doRename(olddirfd: number, oldpath: string, newdirfd: number, newpath: string, flags: number): void {
    if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT)) throw errno('EINVAL');
    if (flags & (RENAME_NOREPLACE | RENAME_WHITEOUT) && flags & RENAME_EXCHANGE) throw errno('EINVAL');
    if (flags & RENAME_WHITEOUT && !this.creds.capable(Cap.MKNOD)) throw errno('EPERM');
    const from = this.parent(olddirfd, oldpath);
    const to = this.parent(newdirfd, newpath);
    if (from.parent.mnt !== to.parent.mnt) throw errno('EXDEV');
    if (from.type !== 'norm') throw errno('EBUSY');
    // do_renameat2(): a `.`/`..`/`/` target exists, so RENAME_NOREPLACE reports EEXIST there.
    if (to.type !== 'norm') throw errno(flags & RENAME_NOREPLACE ? 'EEXIST' : 'EBUSY');
    mntWantWrite(from.parent.mnt);
    const oldDir = from.parent.dentry;
    const newDir = to.parent.dentry;
    const trap = renameTrap(oldDir, newDir);
    const src = lookupLast(from);
    if (!src) throw errno('ENOENT');
    const dst = lookupLast(to);
    if (flags & RENAME_NOREPLACE && dst) throw errno('EEXIST');
    if (flags & RENAME_EXCHANGE) {
      if (!dst) throw errno('ENOENT');
      if (!isDir(dst.inode.mode) && to.trailing) throw errno('ENOTDIR');
    }
    if (!isDir(src.inode.mode)) {
      if (from.trailing) throw errno('ENOTDIR');
      if (!(flags & RENAME_EXCHANGE) && to.trailing) throw errno('ENOTDIR');
    }
    if (src === trap) throw errno('EINVAL');
    if (dst && dst === trap) throw errno(flags & RENAME_EXCHANGE ? 'EINVAL' : 'ENOTEMPTY');

    // vfs_rename()
    if (dst && src.inode === dst.inode) return;
    const isdir = isDir(src.inode.mode);
    mayDelete(this.creds, oldDir, src, isdir);
    let newIsDir = false;
    if (!dst) mayCreate(this.creds, newDir, undefined);
    else {
      newIsDir = isDir(dst.inode.mode);
      mayDelete(this.creds, newDir, dst, flags & RENAME_EXCHANGE ? newIsDir : isdir);
    }
    if (oldDir !== newDir) {
      // Moving a directory rewrites its `..`: write access to it is needed.
      if (isdir) inodePermission(this.creds, src.inode, MAY_WRITE);
      if (flags & RENAME_EXCHANGE && newIsDir) inodePermission(this.creds, dst!.inode, MAY_WRITE);
    }
    if (this.isLocalMountpoint(src) || (dst && this.isLocalMountpoint(dst))) throw errno('EBUSY');
    // RENAME_WHITEOUT's whiteout is made as mknod would make it, without the umask.
    const whiteout = flags & RENAME_WHITEOUT ? newInodeOwner(this.creds, oldDir.inode, 0, S_IFCHR, 0) : undefined;
    oldDir.inode.rename(src.name, newDir.inode, to.last, flags & (RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT), whiteout);
    const oldName = src.name;
    if (flags & RENAME_EXCHANGE) {
      dst!.move(oldDir, oldName);
      src.move(newDir, to.last);
    } else {
      if (dst) {
        dst.drop();
        mountSys.detachMounts(this.kernel, dst);
      }
      src.move(newDir, to.last);
    }
  }

  // ---------------------------------------------------------------- attributes

  chmod(path: string, mode: number): void {
    this.sys('chmod', path, () => this.chmodPath(this.lookup(AT_FDCWD, path, true), mode));
  }

  fchmod(fd: number, mode: number): void {
    this.sys('fchmod', undefined, () => {
      const f = this.fds.get(fd);
      if (f.isPath) throw errno('EBADF');
      this.chmodPath(f.path, mode);
    });
  }

  fchmodat(dirfd: number, path: string, mode: number, flags = 0): void {
    this.sys('fchmodat', path, () => {
      // fchmodat2 accepts AT_SYMLINK_NOFOLLOW, but chmod of a link itself is EOPNOTSUPP.
      if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) throw errno('EINVAL');
      this.chmodPath(this.lookup(dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW), (flags & AT_EMPTY_PATH) !== 0), mode);
    });
  }

  private chmodPath(p: Path, mode: number): void {
    mntWantWrite(p.mnt);
    notifyChange(this.creds, p.dentry.inode, { mode: mode & 0o7777 }, this.now());
  }

  chown(path: string, uid: number, gid: number): void {
    this.sys('chown', path, () => this.chownPath(this.lookup(AT_FDCWD, path, true), uid, gid));
  }

  lchown(path: string, uid: number, gid: number): void {
    this.sys('lchown', path, () => this.chownPath(this.lookup(AT_FDCWD, path, false), uid, gid));
  }

  fchown(fd: number, uid: number, gid: number): void {
    this.sys('fchown', undefined, () => {
      const f = this.fds.get(fd);
      if (f.isPath) throw errno('EBADF');
      this.chownPath(f.path, uid, gid);
    });
  }

  fchownat(dirfd: number, path: string, uid: number, gid: number, flags = 0): void {
    this.sys('fchownat', path, () => {
      if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) throw errno('EINVAL');
      this.chownPath(this.lookup(dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW), (flags & AT_EMPTY_PATH) !== 0), uid, gid);
    });
  }

  /** chown_common(): -1 leaves an id alone; a non-directory loses setuid and effective setgid. */
  private chownPath(p: Path, uid: number, gid: number): void {
    mntWantWrite(p.mnt);
    const inode = p.dentry.inode;
    notifyChange(
      this.creds,
      inode,
      { uid: uid === -1 || uid === 0xffffffff ? undefined : uid, gid: gid === -1 || gid === 0xffffffff ? undefined : gid, killSuid: !isDir(inode.mode) },
      this.now(),
    );
  }

  truncate(path: string, length: number): void {
    this.sys('truncate', path, () => {
      if (length < 0) throw errno('EINVAL');
      const p = this.lookup(AT_FDCWD, path, true);
      const inode = p.dentry.inode;
      if (isDir(inode.mode)) throw errno('EISDIR');
      if (!isReg(inode.mode)) throw errno('EINVAL');
      mntWantWrite(p.mnt);
      inodePermission(this.creds, inode, MAY_WRITE);
      this.doTruncate(inode, length, false);
    });
  }

  ftruncate(fd: number, length: number): void {
    this.sys('ftruncate', undefined, () => {
      if (length < 0) throw errno('EINVAL');
      const f = this.ioFile(fd);
      if (!isReg(f.inode.mode) || !f.writable) throw errno('EINVAL');
      this.doTruncate(f.inode, length, false);
    });
  }

  /** do_truncate(): the size change, dropping setuid/setgid as a write does. */
  private doTruncate(inode: Inode, length: number, open: boolean): void {
    if (length > MAX_FILESIZE) throw errno('EFBIG');
    void open;
    notifyChange(this.creds, inode, { size: length, mtime: 'now', killSuid: shouldRemoveSuid(this.creds, inode), force: true }, this.now());
  }

  /**
   * utimensat(2): `times` null sets both to now; UTIME_NOW / UTIME_OMIT in `nsec` as in C.
   */
  utimensat(dirfd: number, path: string | null, times: [Timespec, Timespec] | null, flags = 0): void {
    this.sys('utimensat', path ?? undefined, () => {
      // sys_utimensat(): both UTIME_OMIT is "nothing to do", checked before the flags and path.
      if (times && times[0].nsec === UTIME_OMIT && times[1].nsec === UTIME_OMIT) return;
      if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) throw errno('EINVAL');
      if (times) for (const t of times) if (t.nsec !== UTIME_NOW && t.nsec !== UTIME_OMIT && (t.nsec < 0 || t.nsec > 999_999_999)) throw errno('EINVAL');
      const p = path === null ? this.fds.get(dirfd).path : this.lookup(dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW), (flags & AT_EMPTY_PATH) !== 0);
      mntWantWrite(p.mnt);
      const pick = (t: Timespec | undefined): Timespec | 'now' | undefined => (!t || t.nsec === UTIME_NOW ? 'now' : t.nsec === UTIME_OMIT ? undefined : t);
      notifyChange(this.creds, p.dentry.inode, { atime: pick(times?.[0]), mtime: pick(times?.[1]) }, this.now());
    });
  }

  umaskSet(mask: number): number {
    const old = this.umask;
    this.umask = mask & 0o777;
    return old;
  }

  // ---------------------------------------------------------------- cwd and root

  chdir(path: string): void {
    this.sys('chdir', path, () => {
      const p = this.lookup(AT_FDCWD, path, true);
      if (!isDir(p.dentry.inode.mode)) throw errno('ENOTDIR');
      inodePermission(this.creds, p.dentry.inode, MAY_EXEC);
      this.setCwd(p);
    });
  }

  fchdir(fd: number): void {
    this.sys('fchdir', undefined, () => {
      const f = this.fds.get(fd);
      if (!isDir(f.inode.mode)) throw errno('ENOTDIR');
      inodePermission(this.creds, f.inode, MAY_EXEC);
      this.setCwd(f.path);
    });
  }

  /** getcwd(2): ENOENT when the cwd was removed; "(unreachable)" prefix outside the root. */
  getcwd(): string {
    return this.sys('getcwd', undefined, () => {
      if (this.cwd.dentry.unlinked) throw errno('ENOENT');
      return pathFrom(this.root, this.cwd) ?? '(unreachable)' + (pathFrom({ mnt: this.ns.root, dentry: this.ns.root.root }, this.cwd) ?? '/');
    });
  }

  chroot(path: string): void {
    this.sys('chroot', path, () => {
      const p = this.lookup(AT_FDCWD, path, true);
      if (!isDir(p.dentry.inode.mode)) throw errno('ENOTDIR');
      inodePermission(this.creds, p.dentry.inode, MAY_EXEC);
      if (!this.creds.capable(Cap.SYS_CHROOT)) throw errno('EPERM');
      this.setRoot(p);
    });
  }

  // ---------------------------------------------------------------- extended attributes

  setxattr(path: string, name: string, value: Uint8Array, flags = 0): void {
    this.sys('setxattr', path, () => this.doSetxattr(() => this.lookup(AT_FDCWD, path, true), name, value, flags));
  }

  lsetxattr(path: string, name: string, value: Uint8Array, flags = 0): void {
    this.sys('lsetxattr', path, () => this.doSetxattr(() => this.lookup(AT_FDCWD, path, false), name, value, flags));
  }

  fsetxattr(fd: number, name: string, value: Uint8Array, flags = 0): void {
    this.sys('fsetxattr', undefined, () => this.doSetxattr(() => this.ioFile(fd).path, name, value, flags));
  }

  getxattr(path: string, name: string): Uint8Array {
    return this.sys('getxattr', path, () => this.doGetxattr(this.lookup(AT_FDCWD, path, true), name));
  }

  lgetxattr(path: string, name: string): Uint8Array {
    return this.sys('lgetxattr', path, () => this.doGetxattr(this.lookup(AT_FDCWD, path, false), name));
  }

  fgetxattr(fd: number, name: string): Uint8Array {
    return this.sys('fgetxattr', undefined, () => this.doGetxattr(this.ioFile(fd).path, name));
  }

  listxattr(path: string): string[] {
    return this.sys('listxattr', path, () => this.doListxattr(this.lookup(AT_FDCWD, path, true)));
  }

  llistxattr(path: string): string[] {
    return this.sys('llistxattr', path, () => this.doListxattr(this.lookup(AT_FDCWD, path, false)));
  }

  removexattr(path: string, name: string): void {
    this.sys('removexattr', path, () => this.doRemovexattr(this.lookup(AT_FDCWD, path, true), name));
  }

  lremovexattr(path: string, name: string): void {
    this.sys('lremovexattr', path, () => this.doRemovexattr(this.lookup(AT_FDCWD, path, false), name));
  }

  private checkXattrName(name: string): void {
    if (name === '' || new TextEncoder().encode(name).length > XATTR_NAME_MAX) throw errno('ERANGE');
  }

  /**
   * xattr_permission(): security.* and system.* are the filesystem's business; trusted.* needs
   * CAP_SYS_ADMIN (EPERM to write, ENODATA to read); user.* exists only on regular files and
   * directories, and a sticky directory's only for its owner; the rest is mode permission.
   */
  private xattrPermission(inode: Inode, name: string, mask: number): void {
    if (name.startsWith('security.') || name.startsWith('system.')) return;
    if (name.startsWith('trusted.')) {
      if (!this.creds.capable(Cap.SYS_ADMIN)) throw errno(mask & MAY_WRITE ? 'EPERM' : 'ENODATA');
      return;
    }
    if (name.startsWith('user.')) {
      if (!isReg(inode.mode) && !isDir(inode.mode)) throw errno(mask & MAY_WRITE ? 'EPERM' : 'ENODATA');
      if (isDir(inode.mode) && inode.mode & 0o1000 && mask & MAY_WRITE && !ownerOrCapable(this.creds, inode)) throw errno('EPERM');
    }
    inodePermission(this.creds, inode, mask);
  }

  /**
   * cap_inode_setxattr() / cap_inode_removexattr() (commoncap, always in the LSM stack): changing
   * a security.* attribute other than security.capability needs CAP_SYS_ADMIN, EPERM otherwise.
   */
  private securityXattrChange(name: string): void {
    if (name.startsWith('security.') && name !== 'security.capability' && !this.creds.capable(Cap.SYS_ADMIN)) throw errno('EPERM');
  }

  /** The namespaces tmpfs has handlers for (shmem_xattr_handlers); others are EOPNOTSUPP. */
  private xattrHandled(name: string): void {
    if (name.startsWith('security.') || name.startsWith('trusted.') || name.startsWith('user.')) {
      if (name.indexOf('.') === name.length - 1) throw errno('EINVAL');
      return;
    }
    throw errno('EOPNOTSUPP');
  }

  private doSetxattr(resolve: () => Path, name: string, value: Uint8Array, flags: number): void {
    if (flags & ~(XATTR_CREATE | XATTR_REPLACE)) throw errno('EINVAL');
    this.checkXattrName(name);
    if (value.length > XATTR_SIZE_MAX) throw errno('E2BIG');
    const p = resolve();
    mntWantWrite(p.mnt);
    const inode = p.dentry.inode;
    this.xattrPermission(inode, name, MAY_WRITE);
    this.securityXattrChange(name);
    this.xattrHandled(name);
    inode.setxattr(name, value, flags);
  }

  private doGetxattr(p: Path, name: string): Uint8Array {
    this.checkXattrName(name);
    const inode = p.dentry.inode;
    this.xattrPermission(inode, name, MAY_READ);
    this.xattrHandled(name);
    const v = inode.getxattr(name);
    if (!v) throw errno('ENODATA');
    return v.slice();
  }

  private doListxattr(p: Path): string[] {
    const names = p.dentry.inode.listxattr();
    // simple_xattr_list(): trusted.* names are listed only to CAP_SYS_ADMIN.
    return this.creds.capable(Cap.SYS_ADMIN) ? names : names.filter((n) => !n.startsWith('trusted.'));
  }

  private doRemovexattr(p: Path, name: string): void {
    this.checkXattrName(name);
    mntWantWrite(p.mnt);
    const inode = p.dentry.inode;
    this.xattrPermission(inode, name, MAY_WRITE);
    this.securityXattrChange(name);
    this.xattrHandled(name);
    inode.removexattr(name);
  }

  // ---------------------------------------------------------------- mounts and namespaces

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
      this.fsParams = params;
      try {
        mountSys.mount(this, source ?? 'none', target, fstype, flags & ~mountSys.MS_RDONLY, '');
      } finally {
        this.fsParams = null;
      }
      if (flags & mountSys.MS_RDONLY) mountSys.mount(this, null, target, null, flags | mountSys.MS_REMOUNT | mountSys.MS_BIND, null);
    });
  }

  /** umount2(2) with MNT_FORCE / MNT_DETACH / MNT_EXPIRE / UMOUNT_NOFOLLOW. */
  umount2(target: string, flags = 0): void {
    this.sys('umount2', target, () => mountSys.umount(this, target, flags));
  }

  /** unshare(CLONE_NEWNS). */
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

  /** pivot_root(2). */
  pivotRoot(newRoot: string, putOld: string): void {
    this.sys('pivot_root', newRoot, () => mountSys.pivotRoot(this, newRoot, putOld), putOld);
  }

  unshareMountNs(): void {
    this.sys('unshare', undefined, () => mountSys.unshareMountNs(this));
  }

  /**
   * unshare(2) of the namespaces the emulator models, CLONE_NEWNS and CLONE_NEWNET (any other
   * flag is EINVAL here). unshare_nsproxy_namespaces() checks CAP_SYS_ADMIN once for all, then
   * create_new_namespaces() copies the mount namespace before the network one, so a failed copy
   * changes nothing. unshare(0) does nothing.
   */
  unshare(flags: number): void {
    this.sys('unshare', undefined, () => {
      if (flags & ~(CLONE_NEWNS | CLONE_NEWNET)) throw errno('EINVAL');
      if (flags !== 0 && !this.creds.capable(Cap.SYS_ADMIN)) throw errno('EPERM');
      if (flags & CLONE_NEWNS) mountSys.unshareMountNs(this);
      if (flags & CLONE_NEWNET) this.netns = this.kernel.newNetNamespace();
    });
  }

  /** setns(2) into a mount namespace. */
  setns(ns: MountNamespace): void {
    this.sys('setns', undefined, () => mountSys.setns(this, ns));
  }

  /** /proc/self/mountinfo as this task reads it. */
  mountinfo(): string {
    return mountSys.mountinfo(this.ns, this.root);
  }

  /** @internal resolution for mount-syscalls.ts. */
  resolve(path: string, follow: boolean): Path {
    return this.lookup(AT_FDCWD, path, follow);
  }
}

/**
 * lock_rename()'s trap: when one parent is an ancestor of the other, the child of the ancestor on
 * the way to the descendant (a rename must not put a directory inside itself).
 */
function renameTrap(oldDir: Dentry, newDir: Dentry): Dentry | undefined {
  if (oldDir === newDir) return undefined;
  for (let d: Dentry | null = newDir; d && d.parent; d = d.parent) if (d.parent === oldDir) return d;
  for (let d: Dentry | null = oldDir; d && d.parent; d = d.parent) if (d.parent === newDir) return d;
  return undefined;
}

export { O_ACCMODE, O_APPEND, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_PATH, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY };
