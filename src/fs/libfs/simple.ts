/**
 * Simple in-memory inodes for pseudo filesystems, in the spirit of fs/libfs.c's simple_* helpers
 * and kernfs's static trees: directories whose entries the filesystem decides, read-only files
 * with fixed content, and symbolic links. proc, sysfs, devpts, mqueue and cgroup build their
 * trees from these.
 *
 * What the VFS may ask of a directory beyond lookup (mkdir, create, symlink, link, unlink, rmdir,
 * rename) is refused with the errno the owning filesystem gives (`DirPolicy.refuse`): sysfs and
 * most of these have no such inode operations (EPERM in vfs_mkdir and friends), proc's root
 * answers ENOENT from its lookup first. A directory with `DirPolicy.mkdir` (a cgroup hierarchy)
 * makes children itself. Files cannot be written: the attribute files the kernel would call into
 * are not modelled (EINVAL). Extended attributes are not supported: a pseudo superblock declares
 * no xattr namespaces (`SuperBlock.xattrs` absent), so the VFS answers EOPNOTSUPP before it calls
 * these inodes' xattr methods, which refuse the same way for a caller below the VFS (overlayfs).
 * (kernfs, behind sysfs and cgroup, has security., trusted. and user. handlers; they are not
 * modelled.)
 */
import { errno, type Errno } from '../../vfs/errno.js';
import { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, type AttrChange, type DirEntry, type Inode, type SuperBlock } from '../../vfs/inode.js';
import type { Timespec } from '../../vfs/time.js';

/** What a pseudo superblock lends its inodes: numbering and the clock. */
export interface SimpleSuperBlock extends SuperBlock {
  allocIno(): number;
  now(): Timespec;
}

/** How a directory answers the calls that would change its entries. */
export interface DirPolicy {
  /** errno for create/mkdir/symlink/link/rename into it and unlink/rmdir in it. */
  refuse: Errno;
  /**
   * A lookup of a missing name fails with this instead of giving a negative dentry (proc's root
   * answers ENOENT from ->lookup, so it comes before mkdir's EROFS or EEXIST checks).
   */
  lookupError?: Errno;
  /** Makes a child directory (cgroup's mkdir); `refuse` otherwise. */
  mkdir?(dir: SimpleInode, name: string, mode: number, uid: number, gid: number): SimpleInode;
  /** Removes a child directory made by `mkdir`. */
  rmdir?(dir: SimpleInode, name: string, victim: SimpleInode): void;
}

const encoder = new TextEncoder();

/** A file's content (bytes or text) or a generator of it, or a symlink or directory spec. */
export type TreeSpec =
  | { dir: Record<string, TreeSpec>; mode?: number; uid?: number; gid?: number; policy?: DirPolicy; size?: number; permanentlyEmpty?: boolean }
  | { file: string | Uint8Array; mode?: number; uid?: number; gid?: number; rdev?: number; type?: number }
  | { link: string };

/** `dir` with defaults: mode 0555 as proc and cgroup roots have it. */
export const dir = (entries: Record<string, TreeSpec>, mode = 0o555, policy?: DirPolicy): TreeSpec => ({ dir: entries, mode, policy });
export const file = (content: string | Uint8Array = '', mode = 0o444): TreeSpec => ({ file: content, mode });
/** A mount point made by sysfs_create_mount_point() or register_sysctl_mount_point(): 0555, empty for good. */
export const mountPointDir = (): TreeSpec => ({ dir: {}, mode: 0o555, permanentlyEmpty: true });
export const link = (target: string): TreeSpec => ({ link: target });

export class SimpleInode implements Inode {
  mode: number;
  uid: number;
  gid: number;
  nlink: number;
  size = 0;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;
  readonly btime: Timespec;
  /** Directory entries in readdir order. */
  readonly entries?: Map<string, SimpleInode>;
  /** make_empty_dir_inode() (Inode.permanentlyEmpty). */
  permanentlyEmpty = false;
  policy?: DirPolicy;
  private content?: Uint8Array;
  private target?: string;

  constructor(
    readonly sb: SimpleSuperBlock,
    mode: number,
    uid = 0,
    gid = 0,
    readonly rdev = 0,
    readonly ino = sb.allocIno(),
  ) {
    this.mode = mode;
    this.uid = uid;
    this.gid = gid;
    this.atime = this.mtime = this.ctime = this.btime = sb.now();
    if ((mode & S_IFMT) === S_IFDIR) {
      this.entries = new Map();
      this.nlink = 2;
    } else this.nlink = 1;
  }

  /** Builds an inode (and, for a directory, its whole subtree) from a spec. */
  static build(sb: SimpleSuperBlock, spec: TreeSpec): SimpleInode {
    if ('link' in spec) {
      const l = new SimpleInode(sb, S_IFLNK | 0o777);
      // Pseudo symlinks report size 0 (proc_self, kernfs links), unlike tmpfs's.
      l.target = spec.link;
      return l;
    }
    if ('file' in spec) {
      const f = new SimpleInode(sb, (spec.type ?? S_IFREG) | (spec.mode ?? 0o444), spec.uid, spec.gid, spec.rdev ?? 0);
      // Pseudo files report size 0 (seq_file and sysfs attributes), whatever they hold.
      f.content = typeof spec.file === 'string' ? encoder.encode(spec.file) : spec.file;
      return f;
    }
    const d = new SimpleInode(sb, S_IFDIR | (spec.mode ?? 0o555), spec.uid, spec.gid);
    d.policy = spec.policy;
    d.size = spec.size ?? 0;
    if (spec.permanentlyEmpty) d.permanentlyEmpty = true;
    for (const [name, child] of Object.entries(spec.dir)) d.add(name, SimpleInode.build(sb, child));
    return d;
  }

  get blocks(): number {
    return 0;
  }

  /** Adds a child (building the filesystem's own tree, not a user's call). */
  add(name: string, child: SimpleInode): SimpleInode {
    this.entries!.set(name, child);
    if ((child.mode & S_IFMT) === S_IFDIR) this.nlink++;
    return child;
  }

  setattr(c: AttrChange): void {
    if (c.size !== undefined) throw errno('EINVAL');
    if (c.mode !== undefined) this.mode = (this.mode & S_IFMT) | (c.mode & 0o7777);
    if (c.uid !== undefined) this.uid = c.uid;
    if (c.gid !== undefined) this.gid = c.gid;
    if (c.atime) this.atime = c.atime;
    if (c.mtime) this.mtime = c.mtime;
    if (c.ctime) this.ctime = c.ctime;
  }

  private refuse(): never {
    throw errno(this.policy?.refuse ?? 'EPERM');
  }

  lookup(name: string): SimpleInode | undefined {
    const i = this.entries!.get(name);
    if (!i && this.policy?.lookupError) throw errno(this.policy.lookupError);
    return i;
  }

  /** open(O_CREAT) in a directory without ->create is EACCES (lookup_open), not EPERM. */
  create(): Inode {
    throw errno(this.policy?.refuse === 'ENOENT' ? 'ENOENT' : 'EACCES');
  }

  mkdir(name: string, mode: number, uid: number, gid: number): Inode {
    if (!this.policy?.mkdir) this.refuse();
    const child = this.add(name, this.policy.mkdir(this, name, mode, uid, gid));
    this.mtime = this.ctime = this.sb.now();
    return child;
  }

  symlink(): Inode {
    this.refuse();
  }

  link(): void {
    this.refuse();
  }

  unlink(): void {
    this.refuse();
  }

  rmdir(name: string, victim: Inode): void {
    if (!this.policy?.rmdir) this.refuse();
    this.policy.rmdir(this, name, victim as SimpleInode);
    this.entries!.delete(name);
    this.nlink--;
    this.mtime = this.ctime = this.sb.now();
  }

  rename(): void {
    this.refuse();
  }

  readdir(): DirEntry[] {
    return [...this.entries!].map(([name, i]) => ({ name, ino: i.ino, type: i.mode & S_IFMT }));
  }

  read(pos: number, into: Uint8Array): number {
    const c = this.content ?? new Uint8Array(0);
    if (pos >= c.length) return 0;
    const n = Math.min(into.length, c.length - pos);
    into.set(c.subarray(pos, pos + n));
    return n;
  }

  write(): number {
    throw errno('EINVAL');
  }

  readlink(): string {
    if (this.target === undefined) throw errno('EINVAL');
    return this.target;
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
