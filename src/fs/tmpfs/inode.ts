/**
 * tmpfs inodes: directories, regular files (sparse pages), symbolic links and special files,
 * with shmem's accounting and attribute rules.
 *
 * A directory is its dentries, as shmem's is (src/vfs/dentry.ts `DcacheDirectory`): each name
 * made here gets its dentry here, under the directory's own (`dentryAlias`), and that dentry
 * cache is the only name index; the directory keeps the names' readdir order (OffsetCtx, libfs's
 * simple_offset) and nothing else.
 *
 * Sizes as shmem reports them: a directory is 40 bytes (two BOGO_DIRENT_SIZE entries for `.` and
 * `..`) plus 20 a name; a symlink's size is its target's length and it takes a page only when the
 * target is 128 bytes or longer; a file's blocks count the pages written, so holes cost nothing.
 */
import { errno } from '../../vfs/errno.js';
import {
  isDir,
  S_IFCHR,
  S_IFDIR,
  S_IFLNK,
  S_IFMT,
  XATTR_CREATE,
  XATTR_REPLACE,
  type AttrChange,
  type DirEntry,
  type Inode,
  RENAME_EXCHANGE,
  RENAME_NOREPLACE,
  RENAME_WHITEOUT,
} from '../../vfs/inode.js';
import type { Timespec } from '../../vfs/time.js';
import { Dentry, type DcacheDirectory } from '../../vfs/dentry.js';
import { OffsetCtx } from '../libfs/offset-ctx.js';
import { FileData } from './file-data.js';
import { BOGO_INODE_SIZE, PAGE_SIZE } from './options.js';
import type { TmpfsSuperBlock } from './tmpfs.js';

const BOGO_DIRENT_SIZE = 20;
const SHORT_SYMLINK_LEN = 128;
const encoder = new TextEncoder();

/** simple_xattr_space(): what an xattr costs in inode space. */
function xattrSpace(name: string, size: number): number {
  return 40 + size + encoder.encode(name).length;
}

export class TmpfsInode implements DcacheDirectory {
  mode: number;
  uid: number;
  gid: number;
  nlink: number;
  size = 0;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;
  readonly btime: Timespec;
  /**
   * A directory's names in the order they were made (a rename makes a name anew); readdir lists
   * them newest first, as shmem's offset map hands them out on this kernel.
   */
  entries?: OffsetCtx;
  /** A directory's dentry, whose children are its names (DcacheDirectory); null until made. */
  dentryAlias: Dentry | null = null;
  /** A regular file's data and its pages (file-data.ts). */
  private data?: FileData;
  private target?: string;
  private xattrs?: Map<string, Uint8Array>;

  private constructor(
    readonly sb: TmpfsSuperBlock,
    readonly ino: number,
    mode: number,
    readonly rdev: number,
    uid: number,
    gid: number,
  ) {
    this.mode = mode;
    this.uid = uid;
    this.gid = gid;
    const now = sb.ctx.clock.now();
    this.atime = this.mtime = this.ctime = this.btime = now;
    if (isDir(mode)) {
      this.nlink = 2;
      this.size = 2 * BOGO_DIRENT_SIZE;
      this.entries = new OffsetCtx();
    } else {
      this.nlink = 1;
      if ((mode & S_IFMT) === 0o100000) this.data = new FileData();
    }
  }

  /** shmem_get_inode(): reserves inode space, then makes the inode. */
  static make(sb: TmpfsSuperBlock, mode: number, rdev: number, uid: number, gid: number): TmpfsInode {
    sb.reserveIspace(BOGO_INODE_SIZE);
    return new TmpfsInode(sb, sb.allocIno(), mode, rdev, uid, gid);
  }

  get blocks(): number {
    if (this.data) return this.data.pages * (PAGE_SIZE / 512);
    if (this.target !== undefined && this.size >= SHORT_SYMLINK_LEN) return PAGE_SIZE / 512;
    return 0;
  }

  private touchDir(): void {
    this.mtime = this.ctime = this.sb.ctx.clock.now();
  }

  setattr(c: AttrChange): void {
    if (c.size !== undefined) this.truncate(c.size);
    if (c.mode !== undefined) this.mode = (this.mode & S_IFMT) | (c.mode & 0o7777);
    if (c.uid !== undefined) this.uid = c.uid;
    if (c.gid !== undefined) this.gid = c.gid;
    if (c.atime) this.atime = c.atime;
    if (c.mtime) this.mtime = c.mtime;
    if (c.ctime) this.ctime = c.ctime;
  }

  // Directories.

  /** simple_lookup() through the dentry cache, which is this directory (the VFS asks only it). */
  lookup(name: string): TmpfsInode | undefined {
    return this.dentryAlias?.children.get(name)?.inode as TmpfsInode | undefined;
  }

  /** This directory's dentry; the root's is made with its first name if the VFS has not made it. */
  private get dir(): Dentry {
    return this.dentryAlias ?? Dentry.root(this.sb);
  }

  /**
   * d_instantiate() of a name made here and simple_offset_add(): `child`'s dentry joins this
   * directory as its newest name. `name` is absent (the VFS looked it up first).
   */
  private addDentry(name: string, child: TmpfsInode): void {
    const dir = this.dir;
    const d = new Dentry(name, dir, child);
    if (child.entries !== undefined) child.dentryAlias = d;
    dir.addName(name, d);
    this.entries!.add(d);
  }

  /** Takes `name` out of this directory and its readdir order (simple_offset_remove()). */
  private removeDentry(name: string): void {
    const d = this.dentryAlias?.takeName(name);
    if (d) this.entries!.remove(d);
  }

  private add(name: string, child: TmpfsInode): void {
    this.addDentry(name, child);
    this.size += BOGO_DIRENT_SIZE;
    this.touchDir();
  }

  private remove(name: string): void {
    this.removeDentry(name);
    this.size -= BOGO_DIRENT_SIZE;
    this.touchDir();
  }

  create(name: string, mode: number, rdev: number, uid: number, gid: number): TmpfsInode {
    const child = TmpfsInode.make(this.sb, mode, rdev, uid, gid);
    this.add(name, child);
    return child;
  }

  mkdir(name: string, mode: number, uid: number, gid: number): TmpfsInode {
    const child = TmpfsInode.make(this.sb, S_IFDIR | (mode & 0o7777), 0, uid, gid);
    this.add(name, child);
    this.nlink++;
    return child;
  }

  symlink(name: string, target: string, uid: number, gid: number): TmpfsInode {
    const len = encoder.encode(target).length;
    // The target and its NUL must fit in a page (shmem_symlink).
    if (len + 1 > PAGE_SIZE) throw errno('ENAMETOOLONG');
    const child = TmpfsInode.make(this.sb, S_IFLNK | 0o777, 0, uid, gid);
    if (len >= SHORT_SYMLINK_LEN && this.sb.takePages(1) !== 1) {
      this.sb.releaseIspace(BOGO_INODE_SIZE);
      throw errno('ENOSPC');
    }
    child.target = target;
    child.size = len;
    this.add(name, child);
    return child;
  }

  link(name: string, target: TmpfsInode): void {
    // Each extra link pins a dentry, so shmem_link() charges it like an inode.
    this.sb.reserveIspace(BOGO_INODE_SIZE);
    target.nlink++;
    target.ctime = this.sb.ctx.clock.now();
    this.add(name, target);
  }

  /** The victim lost a name; frees its space when it was the last. */
  private dropLink(victim: TmpfsInode): void {
    if (victim.nlink > 1 && !isDir(victim.mode)) this.sb.releaseIspace(BOGO_INODE_SIZE);
    victim.nlink--;
    victim.ctime = this.sb.ctx.clock.now();
    if (victim.nlink === 0) victim.evict();
  }

  /** The inode is gone (no names; open files keep reading it until closed, so only space goes). */
  private evict(): void {
    this.sb.releaseIspace(BOGO_INODE_SIZE);
    if (this.xattrs) for (const [n, v] of this.xattrs) this.sb.releaseIspace(xattrSpace(n, v.length));
    if (this.target !== undefined && this.size >= SHORT_SYMLINK_LEN) this.sb.freePages(1);
    // A file's pages stay until its last open description closes; tmpfs has no such tracking
    // here, so they are released now (the data remains readable through open files).
    if (this.data) this.data.release(this.sb);
  }

  unlink(name: string, victim: TmpfsInode): void {
    this.remove(name);
    this.dropLink(victim);
  }

  rmdir(name: string, victim: TmpfsInode): void {
    if (victim.entries!.size > 0) throw errno('ENOTEMPTY');
    this.remove(name);
    this.nlink--;
    victim.nlink = 0;
    this.sb.releaseIspace(BOGO_INODE_SIZE);
    victim.ctime = this.sb.ctx.clock.now();
  }

  rename(oldName: string, newDirI: Inode, newName: string, flags: number, whiteout?: { mode: number; uid: number; gid: number }): void {
    const newDir = newDirI as TmpfsInode;
    const srcD = this.dentryAlias!.children.get(oldName)!;
    const dstD = newDir.dentryAlias?.children.get(newName);
    const src = srcD.inode as TmpfsInode;
    const dst = dstD?.inode as TmpfsInode | undefined;
    const now = this.sb.ctx.clock.now();
    if (flags & RENAME_EXCHANGE) {
      // simple_offset_rename_exchange(): both names are made anew, the one left at the old
      // name first; link counts move with directories. The dentries change places here; the
      // VFS's d_exchange() that follows renames them.
      this.removeDentry(oldName);
      newDir.removeDentry(newName);
      this.dir.addName(oldName, dstD!);
      this.entries!.add(dstD!);
      newDir.dir.addName(newName, srcD);
      newDir.entries!.add(srcD);
      if (this !== newDir && isDir(src.mode) !== isDir(dst!.mode)) {
        if (isDir(src.mode)) {
          this.nlink--;
          newDir.nlink++;
        } else {
          this.nlink++;
          newDir.nlink--;
        }
      }
      src.ctime = dst!.ctime = now;
      this.mtime = this.ctime = newDir.mtime = newDir.ctime = now;
      return;
    }
    if (flags & RENAME_NOREPLACE && dst) throw errno('EEXIST');
    if (dst && isDir(dst.mode) && dst.entries!.size > 0) throw errno('ENOTEMPTY');
    // shmem_whiteout(): the whiteout (char 0/0) that will take the old name, made first so that
    // running out of inode space changes nothing.
    const wo = flags & RENAME_WHITEOUT ? TmpfsInode.make(this.sb, S_IFCHR | ((whiteout?.mode ?? 0) & 0o7777), 0, whiteout?.uid ?? 0, whiteout?.gid ?? 0) : undefined;
    if (dst) {
      if (isDir(dst.mode)) {
        newDir.removeDentry(newName);
        newDir.size -= BOGO_DIRENT_SIZE;
        newDir.nlink--;
        dst.nlink = 0;
        this.sb.releaseIspace(BOGO_INODE_SIZE);
      } else {
        newDir.removeDentry(newName);
        newDir.size -= BOGO_DIRENT_SIZE;
        newDir.dropLink(dst);
      }
    }
    this.removeDentry(oldName);
    this.size -= BOGO_DIRENT_SIZE;
    // The whiteout's name is made before the moved one's, which is the newer of the two. The
    // moved dentry takes its new name here; the VFS's d_move() that follows renames it.
    if (wo) this.add(oldName, wo);
    newDir.dir.addName(newName, srcD);
    newDir.entries!.add(srcD);
    newDir.size += BOGO_DIRENT_SIZE;
    if (isDir(src.mode) && this !== newDir) {
      this.nlink--;
      newDir.nlink++;
    }
    src.ctime = now;
    this.mtime = this.ctime = newDir.mtime = newDir.ctime = now;
  }

  readdir(): DirEntry[] {
    const out: DirEntry[] = [];
    this.entries!.forEachNewestFirst((d) => out.push({ name: d.name, ino: d.inode.ino, type: d.inode.mode & S_IFMT }));
    return out;
  }

  // Regular files.

  read(pos: number, into: Uint8Array): number {
    return this.data!.read(this.size, pos, into);
  }

  write(pos: number, data: Uint8Array): number {
    const done = this.data!.write(this.sb, pos, data);
    if (done === 0 && data.length > 0) throw errno('ENOSPC');
    if (pos + done > this.size) this.size = pos + done;
    if (done > 0) this.mtime = this.ctime = this.sb.ctx.clock.now();
    return done;
  }

  seekHoleData(pos: number, hole: boolean): number | null {
    return this.data!.seekHoleData(this.size, pos, hole);
  }

  /** shmem_setattr size change: a shrink frees whole pages past the end and zeroes the partial one. */
  private truncate(len: number): void {
    if (len < this.size && this.data) this.data.truncate(this.sb, len);
    this.size = len;
  }

  // Symbolic links.

  readlink(): string {
    if (this.target === undefined) throw errno('EINVAL');
    return this.target;
  }

  // Extended attributes, in the namespaces TMPFS_XATTRS declares (the VFS has checked the name).

  getxattr(name: string): Uint8Array | undefined {
    return this.xattrs?.get(name);
  }

  setxattr(name: string, value: Uint8Array, flags: number): void {
    const old = this.xattrs?.get(name);
    if (flags & XATTR_CREATE && old) throw errno('EEXIST');
    if (flags & XATTR_REPLACE && !old) throw errno('ENODATA');
    this.sb.reserveIspace(xattrSpace(name, value.length));
    if (old) this.sb.releaseIspace(xattrSpace(name, old.length));
    (this.xattrs ??= new Map()).set(name, value.slice());
    this.ctime = this.sb.ctx.clock.now();
  }

  listxattr(): string[] {
    return this.xattrs ? [...this.xattrs.keys()] : [];
  }

  removexattr(name: string): void {
    const old = this.xattrs?.get(name);
    if (!old) throw errno('ENODATA');
    this.xattrs!.delete(name);
    this.sb.releaseIspace(xattrSpace(name, old.length));
    this.ctime = this.sb.ctx.clock.now();
  }
}
