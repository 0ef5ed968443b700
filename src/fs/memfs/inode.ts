/**
 * memfs inodes: each wraps one node of the mounted volume (store.ts) and answers from it, so that
 * what the sandbox sees is the volume as it is now, and what it does is done to the volume. The
 * VFS's rules (permissions, read-only mounts, sticky directories, …) have run before any method
 * here is called; the volume is storage and checks nothing of its own.
 *
 * Because the embedder may change the volume behind the VFS, a directory revalidates its cached
 * names (`revalidate`, d_revalidate()): a name gone or now naming another node is looked up
 * afresh. Times are the kernel clock's, at the millisecond precision memfs keeps. The volume has
 * no extended attributes (the superblock declares no xattr namespaces: EOPNOTSUPP) and no
 * whiteouts (RENAME_WHITEOUT is EINVAL).
 */
import { errno } from '../../vfs/errno.js';
import { isDir, RENAME_EXCHANGE, RENAME_NOREPLACE, RENAME_WHITEOUT, S_IFDIR, S_IFMT, type AttrChange, type DirEntry, type Inode } from '../../vfs/inode.js';
import type { Timespec } from '../../vfs/time.js';
import type { MemfsSuperBlock } from './memfs.js';
import type { StoreNode } from './store.js';

const PAGE_SIZE = 4096;
/** A caller below the VFS (overlayfs) asking for an xattr the volume cannot keep. */
const noXattrs = (): never => {
  throw errno('EOPNOTSUPP');
};

export class MemfsInode implements Inode {
  constructor(
    readonly sb: MemfsSuperBlock,
    readonly node: StoreNode,
  ) {}

  private get a() {
    return this.sb.store.attrs(this.node);
  }
  get ino(): number {
    return this.a.ino;
  }
  get mode(): number {
    return this.a.mode;
  }
  get uid(): number {
    return this.a.uid;
  }
  get gid(): number {
    return this.a.gid;
  }
  get nlink(): number {
    return this.a.nlink;
  }
  get rdev(): number {
    return this.a.rdev;
  }
  get size(): number {
    return this.a.size;
  }
  /** Whole pages, as a page-cache filesystem counts them. */
  get blocks(): number {
    return isDir(this.mode) ? 0 : Math.ceil(this.size / PAGE_SIZE) * (PAGE_SIZE / 512);
  }
  get atime(): Timespec {
    return this.a.atime;
  }
  get mtime(): Timespec {
    return this.a.mtime;
  }
  get ctime(): Timespec {
    return this.a.ctime;
  }
  get btime(): Timespec {
    return this.a.btime;
  }

  private get store() {
    return this.sb.store;
  }
  private now(): Timespec {
    return this.sb.ctx.clock.now();
  }
  /** A change of this directory's entries: mtime and ctime move. */
  private touch(): void {
    const now = this.now();
    this.store.setAttrs(this.node, { mtime: now, ctime: now });
  }
  setattr(c: AttrChange): void {
    if (c.size !== undefined) this.store.truncate(this.node, c.size);
    const { size: _size, ...rest } = c;
    if (c.mode !== undefined) rest.mode = (this.mode & S_IFMT) | (c.mode & 0o7777);
    this.store.setAttrs(this.node, rest);
  }

  // Directories.

  lookup(name: string): MemfsInode | undefined {
    const n = this.store.lookup(this.node, name);
    return n ? this.sb.inodeOf(n) : undefined;
  }

  /** d_revalidate(): the cached name still names the same node of the volume. */
  revalidate(name: string, child: Inode): boolean {
    return this.store.lookup(this.node, name) === (child as MemfsInode).node;
  }

  create(name: string, mode: number, rdev: number, uid: number, gid: number): MemfsInode {
    const n = this.store.create(this.node, name, mode, uid, gid, rdev);
    this.stamp(n);
    return this.sb.inodeOf(n);
  }

  mkdir(name: string, mode: number, uid: number, gid: number): MemfsInode {
    const n = this.store.create(this.node, name, S_IFDIR | (mode & 0o7777), uid, gid, 0);
    this.stamp(n);
    return this.sb.inodeOf(n);
  }

  symlink(name: string, target: string, uid: number, gid: number): MemfsInode {
    const n = this.store.symlink(this.node, name, target, uid, gid);
    this.stamp(n);
    return this.sb.inodeOf(n);
  }

  /** A new node's times, and its directory's, are the kernel clock's. */
  private stamp(n: StoreNode): void {
    const now = this.now();
    this.store.setAttrs(n, { atime: now, mtime: now, ctime: now });
    this.store.setAttrs(this.node, { mtime: now, ctime: now });
  }

  link(name: string, target: Inode): void {
    this.store.link(this.node, name, (target as MemfsInode).node);
    this.store.setAttrs((target as MemfsInode).node, { ctime: this.now() });
    this.touch();
  }

  unlink(name: string, victim: Inode): void {
    this.store.unlink(this.node, name);
    if (victim.nlink > 0) this.store.setAttrs((victim as MemfsInode).node, { ctime: this.now() });
    this.touch();
  }

  rmdir(name: string, victim: Inode): void {
    if (this.store.entries((victim as MemfsInode).node).length > 0) throw errno('ENOTEMPTY');
    this.store.unlink(this.node, name);
    this.touch();
  }

  rename(oldName: string, newDirI: Inode, newName: string, flags: number): void {
    const newDir = newDirI as MemfsInode;
    // A volume has no whiteouts (overlayfs cannot use it as an upper layer).
    if (flags & RENAME_WHITEOUT) throw errno('EINVAL');
    const dst = this.store.lookup(newDir.node, newName);
    const src = this.store.lookup(this.node, oldName)!;
    if (flags & RENAME_EXCHANGE) {
      // Through a name nobody can see: the calls are synchronous.
      const tmp = `.vfsemu-exchange-${this.sb.ctx.clock.now().nsec}-${oldName}`;
      this.store.rename(this.node, oldName, this.node, tmp);
      this.store.rename(newDir.node, newName, this.node, oldName);
      this.store.rename(this.node, tmp, newDir.node, newName);
    } else {
      if (dst && flags & RENAME_NOREPLACE) throw errno('EEXIST');
      if (dst) {
        if (isDir(this.store.attrs(dst).mode) && this.store.entries(dst).length > 0) throw errno('ENOTEMPTY');
        this.store.unlink(newDir.node, newName);
      }
      this.store.rename(this.node, oldName, newDir.node, newName);
    }
    const now = this.now();
    this.store.setAttrs(src, { ctime: now });
    if (dst && flags & RENAME_EXCHANGE) this.store.setAttrs(dst, { ctime: now });
    this.touch();
    if (newDir !== this) newDir.touch();
  }

  readdir(): DirEntry[] {
    return this.store.entries(this.node).map(([name, n]) => {
      const a = this.store.attrs(n);
      return { name, ino: a.ino, type: a.mode & S_IFMT };
    });
  }

  // Regular files.

  read(pos: number, into: Uint8Array): number {
    return this.store.read(this.node, pos, into);
  }

  write(pos: number, data: Uint8Array): number {
    const n = this.store.write(this.node, pos, data);
    const now = this.now();
    this.store.setAttrs(this.node, { mtime: now, ctime: now });
    return n;
  }

  // Symbolic links.

  readlink(): string {
    return this.store.readlink(this.node);
  }

  // Extended attributes: none (the superblock declares no namespaces, so the VFS stops first).
  readonly getxattr = noXattrs;
  readonly setxattr = noXattrs;
  readonly removexattr = noXattrs;
  listxattr(): string[] {
    return [];
  }
}
