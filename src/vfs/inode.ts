/**
 * The interface a filesystem implements: its superblock and its inodes.
 *
 * A filesystem knows nothing about mounts or paths (DESIGN.md decision 3): it answers for one
 * directory, one file or one link at a time, and the VFS (resolve.ts and the *-syscalls.ts
 * families) does the walking, the permission checks that do not depend on the filesystem, and the
 * mount bookkeeping. What a filesystem checks itself (ENOSPC, ENOTEMPTY, option syntax) it throws
 * as `SysError` from the line that decides it; what the VFS asks of it before calling (which
 * xattr namespaces it serves) it declares on its superblock.
 */
import type { Credentials } from './creds.js';
import type { Dentry } from './dentry.js';
import type { NetNamespace } from './net-namespace.js';
import type { Timespec } from './time.js';

export const S_IFMT = 0o170000;
export const S_IFSOCK = 0o140000;
export const S_IFLNK = 0o120000;
export const S_IFREG = 0o100000;
export const S_IFBLK = 0o060000;
export const S_IFDIR = 0o040000;
export const S_IFCHR = 0o020000;
export const S_IFIFO = 0o010000;
export const S_ISUID = 0o4000;
export const S_ISGID = 0o2000;
export const S_ISVTX = 0o1000;

export const isDir = (mode: number): boolean => (mode & S_IFMT) === S_IFDIR;
export const isReg = (mode: number): boolean => (mode & S_IFMT) === S_IFREG;
export const isLnk = (mode: number): boolean => (mode & S_IFMT) === S_IFLNK;
/** special_file(): devices, FIFOs and sockets, which a read-only mount does not protect. */
export const isSpecial = (mode: number): boolean => {
  const t = mode & S_IFMT;
  return t === S_IFCHR || t === S_IFBLK || t === S_IFIFO || t === S_IFSOCK;
};

/** Device numbers as the kernel encodes them for user space (new_encode_dev). */
export function makedev(major: number, minor: number): number {
  return (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) << 12);
}
export function major(dev: number): number {
  return (dev >>> 8) & 0xfff;
}
export function minor(dev: number): number {
  return (dev & 0xff) | ((dev >>> 12) & 0xfff00);
}

/** setxattr(2) flags. */
export const XATTR_CREATE = 1;
export const XATTR_REPLACE = 2;

/**
 * What a filesystem's open leaves on the file description (struct file's private_data); for a
 * FIFO, what fifo_open() leaves (pipe.ts), the filesystem's open not being called.
 */
export interface OpenFileState {
  /** The pseudo-terminal this open made (ptmx_open()): ioctl(TIOCGPTN)'s answer. */
  readonly ptyIndex?: number;
  /**
   * f_op->release, at the description's last close. Returns the name it removed from the
   * directory the opened file is in (devpts_pty_kill()'s d_delete), for the VFS to forget.
   */
  release?(): string | void;
}

/** One directory entry as getdents(2) reports it. */
export interface DirEntry {
  name: string;
  ino: number;
  /** S_IFMT bits of the entry's inode. */
  type: number;
}

/** statfs(2) as the filesystem fills it (f_flags is the VFS's). */
export interface FsStats {
  type: number;
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
  namelen: number;
  frsize: number;
}

/** Attribute changes the VFS has already permitted (notify_change()). */
export interface AttrChange {
  mode?: number;
  uid?: number;
  gid?: number;
  size?: number;
  atime?: Timespec;
  mtime?: Timespec;
  /** ctime to set; the VFS always passes it with any change. */
  ctime?: Timespec;
}

/**
 * An inode. Identity (`ino`) and attributes are plain fields the VFS reads; changes go through
 * the methods so that a filesystem can keep its own accounting (tmpfs counts pages and inodes).
 * Directory methods are called only on directories, file methods only on regular files, after
 * the VFS has checked type, permission and mount state.
 */
export interface Inode {
  readonly sb: SuperBlock;
  readonly ino: number;
  /**
   * make_empty_dir_inode(): a directory that stays empty (sysfs_create_mount_point(), proc's
   * register_sysctl_mount_point()), which a locked mount may cover without hiding anything
   * (is_empty_dir_inode(), mount_too_revealing()).
   */
  readonly permanentlyEmpty?: boolean;
  /** File type and permission bits. */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly nlink: number;
  readonly rdev: number;
  readonly size: number;
  /** 512-byte blocks allocated. */
  readonly blocks: number;
  readonly atime: Timespec;
  readonly mtime: Timespec;
  readonly ctime: Timespec;
  readonly btime: Timespec;

  setattr(change: AttrChange): void;
  /**
   * The filesystem's part of open(2) (f_op->open), after the VFS's checks and before O_TRUNC
   * truncates; never for a FIFO, whose open is fifo_open() (pipe.ts). `flags` are open(2)'s,
   * `creds` the opener's. A stacking filesystem copies a lower file up here; devpts's ptmx makes
   * a pseudo-terminal and returns it as the description's state.
   */
  open?(flags: number, creds: Credentials): OpenFileState | void;

  // Directories.
  lookup(name: string): Inode | undefined;
  /**
   * d_revalidate(): whether the cached name `name` → `child` still holds. Absent: it always
   * does, as for a filesystem reached only through this VFS. A filesystem whose files change
   * behind the VFS's back (9p, whose server has other clients) answers false for a name that is
   * gone or now names another file, and the VFS looks it up afresh.
   */
  revalidate?(name: string, child: Inode): boolean;
  /** Creates a non-directory, non-symlink inode (regular, FIFO, device, socket) named `name`. */
  create(name: string, mode: number, rdev: number, uid: number, gid: number): Inode;
  mkdir(name: string, mode: number, uid: number, gid: number): Inode;
  symlink(name: string, target: string, uid: number, gid: number): Inode;
  link(name: string, target: Inode): void;
  unlink(name: string, victim: Inode): void;
  /** Removes an empty directory; ENOTEMPTY otherwise. */
  rmdir(name: string, victim: Inode): void;
  /**
   * renameat2(2) within this filesystem; `flags` are RENAME_* bits. Replaces or exchanges; with
   * RENAME_WHITEOUT (a filesystem without whiteouts refuses it: EINVAL) leaves at the old name a
   * whiteout — the character device 0/0 — with the mode and owner in `whiteout`.
   */
  rename(oldName: string, newDir: Inode, newName: string, flags: number, whiteout?: { mode: number; uid: number; gid: number }): void;
  readdir(): DirEntry[];

  // Regular files.
  read(pos: number, into: Uint8Array): number;
  /** Writes what fits; returns the count (short when space runs out), ENOSPC when none fits. */
  write(pos: number, data: Uint8Array): number;
  /**
   * SEEK_DATA (`hole` false) or SEEK_HOLE from `pos`, which is inside the file: the first offset
   * at or after it in data or in a hole (the end of the file counts as a hole); null when no data
   * follows. A filesystem without it treats the whole file as data (generic_file_llseek_size).
   */
  seekHoleData?(pos: number, hole: boolean): number | null;

  // Symbolic links.
  readlink(): string;

  // Extended attributes (the VFS has checked namespace permission).
  getxattr(name: string): Uint8Array | undefined;
  setxattr(name: string, value: Uint8Array, flags: number): void;
  listxattr(): string[];
  removexattr(name: string): void;
}

/**
 * A mounted instance of a filesystem: what mount(2) creates and what every mount of it (binds
 * included) shares. Per-mount state (read-only, nosuid, …) lives in `Mount`, not here.
 */
export interface SuperBlock {
  readonly type: FileSystemType;
  /** st_dev of every inode (makedev encoding). */
  readonly dev: number;
  readonly root: Inode;
  /** SB_* flags (rdonly, sync, dirsync, mand, lazytime). */
  flags: number;
  /** The filesystem's own part of mountinfo's super options, each with a leading comma. */
  showOptions(): string;
  statfs(): FsStats;
  /** mount(2) with MS_REMOUNT: new data string and SB_* flags; throws EINVAL on bad options. */
  reconfigure(data: string, flags: number): void;
  /**
   * parse_monolithic_mount_data() of a remount: parses `data` only (EINVAL on a bad option),
   * before the caller's privilege over the superblock is checked. Absent: reconfigure() parses.
   */
  parseReconfigure?(data: string, flags: number): void;
  /**
   * The extended-attribute namespaces this filesystem serves (sb->s_xattr). Absent: none, as for
   * a superblock without handlers (no IOP_XATTR), where every xattr name is EOPNOTSUPP.
   */
  readonly xattrs?: XattrNamespaces;
}

/**
 * What a filesystem declares of its extended attributes, as gVisor's tmpfs declares
 * `allowXattrPrefix`: the prefixes of its handlers, which the VFS (xattr-syscalls.ts) tries in
 * order as xattr_resolve_name() does. A name under none of them is EOPNOTSUPP; a name that is
 * only a prefix (`user.`) is EINVAL; `''` serves every name (a stacking filesystem passing them on).
 *
 * @example
 * ```ts
 * const TMPFS_XATTRS: XattrNamespaces = { handlerPrefixes: ['security.', 'trusted.', 'user.'] };
 * ```
 */
export interface XattrNamespaces {
  readonly handlerPrefixes: readonly string[];
}

/** The context a filesystem type gets from the kernel it is mounted in. */
export interface FsContext {
  readonly creds: Credentials;
  /** The mounting task's network namespace (sysfs keys its superblocks by it). */
  readonly netns: NetNamespace;
  readonly clock: { now(): Timespec };
  /** Allocates an anonymous device number (major 0), as get_anon_bdev() does. */
  anonDev(): number;
  /** Pages of RAM the emulated machine has (tmpfs sizes default to half of it). */
  readonly totalRamPages: number;
  /**
   * kern_path(LOOKUP_FOLLOW) of a path named in the mount's options (overlayfs's lowerdir,
   * upperdir, workdir), walked as the mounting task; the walk's errno (ENOENT, ENOTDIR, EACCES,
   * ELOOP) as it comes. Absent for mounts no task asked for.
   */
  resolveDir?(path: string): MountDir;
  /** Whether a superblock still has a mount (its instance lives until its last mount goes). */
  isMounted?(sb: SuperBlock): boolean;
  /**
   * fsconfig(2)'s parameters, in order, when the mount comes through the new mount API (then
   * `data` is empty): no page limit, a value may hold a comma. A type that knows no better joins
   * them with commas.
   */
  readonly params?: readonly { key: string; value: string | null }[];
  /** The kernel's 9P transports, for a filesystem that is a 9P client (src/fs/gofer). */
  readonly p9?: P9Transports;
}

/**
 * A directory named in mount options, with what a filesystem may know of the mount it was found
 * on (DESIGN.md decision 3: a filesystem never holds a mount).
 */
export interface MountDir {
  readonly dentry: Dentry;
  /** __mnt_is_readonly(): the mount or its superblock is read-only. */
  readonly readonly: boolean;
  /** The mount is unbindable, which clone_private_mount() refuses. */
  readonly unbindable: boolean;
  /** The same object for two paths found on the same mount, and only then. */
  readonly mount: object;
}

/**
 * A synchronous 9P connection as the kernel hands it to a filesystem (src/p9/transport.ts's
 * `P9Transport` has this shape): one request frame in, one reply frame out, SysError EIO once the
 * connection is gone. `close` ends it from the client's side.
 */
export interface P9FrameTransport {
  roundTrip(frame: Uint8Array): Uint8Array;
  close?(): void;
}

/**
 * A 9P server reachable in process by a tag, as a virtio-9p device is by its mount_tag
 * (`mount -t 9p -o trans=virtio <tag>`): each `connect()` is a new connection.
 */
export interface P9Channel {
  connect(): P9FrameTransport;
}

/**
 * What `mount -t 9p` asks the embedder's dialer for: trans_fd's sockets (tcp: `source` is the
 * address, unix: the socket path) and descriptors (fd: rfdno/wfdno), or a virtio tag the kernel
 * has no channel for.
 */
export interface P9DialRequest {
  readonly trans: 'tcp' | 'unix' | 'fd' | 'virtio';
  readonly source: string;
  /** tcp: the port (564 unless port= says otherwise); privport: bind a reserved local port. */
  readonly port?: number;
  readonly privport?: boolean;
  readonly rfdno?: number;
  readonly wfdno?: number;
}

/** Opens a 9P connection for a mount; throws SysError with connect(2)'s errno when it cannot. */
export type P9Dialer = (req: P9DialRequest) => P9FrameTransport;

/** The 9P transports of a kernel (net/9p's registered p9_trans_modules): channels by tag, and a dialer. */
export interface P9Transports {
  readonly channels: Map<string, P9Channel>;
  /** Installed by the embedder (src/host plugs in TCP and unix sockets); absent: no socket reaches anything. */
  dial?: P9Dialer;
}

/** A filesystem type in the registry (`/proc/filesystems`). */
export interface FileSystemType {
  readonly name: string;
  /**
   * file_system_type.fs_flags that the VFS asks about: FS_USERNS_MOUNT (may be mounted by root of
   * a user namespace) and FS_ALLOW_IDMAP (supports idmapped mounts); see fs-flags.ts. Absent: the
   * VFS's table of the kernel's types there.
   */
  readonly fsFlags?: number;
  /** Makes a new superblock: mount(2) without MS_BIND/MS_REMOUNT/MS_MOVE. */
  mount(ctx: FsContext, source: string, flags: number, data: string): SuperBlock;
}

/** renameat2(2) flags, which Inode.rename receives. */
export const RENAME_NOREPLACE = 1;
export const RENAME_EXCHANGE = 2;
export const RENAME_WHITEOUT = 4;

/** SB_* superblock flags (the MS_* values of the same name). */
export const SB_RDONLY = 1;
export const SB_SYNCHRONOUS = 16;
export const SB_MANDLOCK = 64;
export const SB_DIRSYNC = 128;
export const SB_SILENT = 32768;
export const SB_LAZYTIME = 1 << 25;
