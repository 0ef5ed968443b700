/**
 * Overlay inodes (fs/overlayfs/inode.c, util.c; overlayfs.rst "Upper and Lower", "Directories",
 * "Non-directories"): one object a merged name, standing for the topmost real object — the upper
 * one once it exists, else the topmost lower one — with the merged directory's stack of lower
 * directories below it.
 *
 * Attributes are the real object's, read live, except st_nlink of a merged directory, which
 * overlayfs reports as 1 (it does not count subdirectories across layers). Overlay inodes are
 * found again by the real inode they stand for (the kernel's inode hash), so hard links in the
 * upper layer are one inode; a lower file with several links gets one inode a name when the
 * overlay has an upper layer, since copy-up breaks such links (ovl_hash_bylower()).
 *
 * Each directory keeps the children it has looked up (the overlay's dentry cache), so that
 * rename, which the VFS hands over by name, acts on the same objects the VFS holds.
 */
import type { Dentry } from '../../vfs/dentry.js';
import { errno } from '../../vfs/errno.js';
import { isDir, isReg, type AttrChange, type DirEntry, type Inode } from '../../vfs/inode.js';
import type { Timespec } from '../../vfs/time.js';
import { copyUp } from './copy-up.js';
import { createObject, removeObject, renameObject } from './dir.js';
import { ovlLookup } from './namei.js';
import { ovlReaddir } from './readdir.js';
import type { LowerPath } from './layer.js';
import type { OvlSuperBlock } from './super.js';

const O_ACCMODE = 0o3;
const O_TRUNC = 0o1000;

export class OvlInode implements Inode {
  readonly ino: number;
  /** The children looked up so far, by name (directories only). */
  readonly children = new Map<string, OvlInode>();
  /** A removed directory (S_DEAD): nothing is found in it any more, whatever its layers hold. */
  dead = false;
  /** The redirect its upper directory holds (found there, or set when it was renamed). */
  redirect: string | null = null;

  constructor(
    readonly sb: OvlSuperBlock,
    /** The upper object, once copied up or made there. */
    public upper: Dentry | null,
    /**
     * Lower objects: a directory's merged stack, topmost first; a non-directory's one lower
     * object (its copy-up origin once it has an upper).
     */
    public lowers: LowerPath[],
    /** The directory it was found in, and under what name: copy-up walks these. */
    public parent: OvlInode | null,
    public name: string,
  ) {
    // st_ino stays the lower object's across copy-up (all layers on one filesystem).
    this.ino = (lowers[0]?.dentry ?? upper!).inode.ino;
  }

  /** ovl_inode_real(): the object that answers for this one now. */
  get real(): Inode {
    return (this.upper ?? this.lowers[0]!.dentry).inode;
  }

  get mode(): number {
    return this.real.mode;
  }
  get uid(): number {
    return this.real.uid;
  }
  get gid(): number {
    return this.real.gid;
  }
  get rdev(): number {
    return this.real.rdev;
  }
  get size(): number {
    return this.real.size;
  }
  get blocks(): number {
    return this.real.blocks;
  }
  get atime(): Timespec {
    return this.real.atime;
  }
  get mtime(): Timespec {
    return this.real.mtime;
  }
  get ctime(): Timespec {
    return this.real.ctime;
  }
  get btime(): Timespec {
    return this.real.btime;
  }

  /** ovl_getattr(): "nlink=1 seems to pacify 'find'" for a merged directory. */
  get nlink(): number {
    return isDir(this.mode) && this.isMerge() ? 1 : this.real.nlink;
  }

  /** OVL_TYPE_MERGE: a directory with an upper and a lower part, or with two lower parts. */
  isMerge(): boolean {
    return this.upper ? this.lowers.length > 0 && isDir(this.mode) : this.lowers.length > 1;
  }

  /** ovl_type_merge_or_lower(): a directory with a lower part, or an object only in lower layers. */
  isMergeOrLower(): boolean {
    return this.isMerge() || !this.upper;
  }

  /** OVL_TYPE_ORIGIN: an upper object copied up from a lower one (also from an earlier mount). */
  hasOrigin(): boolean {
    if (!this.upper) return false;
    return this.lowers.length > 0 || this.sb.xattrs.has(this.upper.inode, this.sb.xattrs.origin);
  }

  /** ovl_pure_upper(): an upper object that never had a lower part, so holds no whiteouts. */
  isPureUpper(): boolean {
    return this.upper !== null && this.lowers.length === 0 && !this.hasOrigin();
  }

  /** ovl_dentry_is_opaque() of a directory: its upper part hides the layers below. */
  isOpaque(): boolean {
    return this.upper !== null && this.sb.xattrs.isOpaqueDir(this.upper.inode);
  }

  /** ovl_setattr(): the change is made on the upper object, copied up first. */
  setattr(change: AttrChange): void {
    this.sb.wantWrite();
    copyUp(this);
    this.upper!.inode.setattr(change);
  }

  /** ovl_open(): opening a lower file for writing, or with O_TRUNC, copies it up. */
  open(flags: number): void {
    if (this.upper || !isReg(this.mode)) return;
    if ((flags & O_ACCMODE) === 0 && !(flags & O_TRUNC)) return;
    this.sb.wantWrite();
    copyUp(this);
  }

  // Directories.

  lookup(name: string): OvlInode | undefined {
    if (this.dead) return undefined;
    const cached = this.children.get(name);
    if (cached) return cached;
    const found = ovlLookup(this, name);
    if (!found) return undefined;
    const child = this.sb.getInode(found, this, name);
    this.children.set(name, child);
    return child;
  }

  /** A child made or moved here: it now lives under `name` (copy-up will follow it). */
  adopt(name: string, child: OvlInode): OvlInode {
    child.parent = this;
    child.name = name;
    this.children.set(name, child);
    return child;
  }

  /** A new object made in the upper layer under `name`: a pure upper inode, hashed by its real one. */
  adoptUpper(name: string, upper: Dentry): OvlInode {
    const child = new OvlInode(this.sb, upper, [], this, name);
    this.sb.inodes.set(upper.inode, child);
    return this.adopt(name, child);
  }

  /** A new hard link to `target`, which keeps its first name (it has an upper object). */
  adoptLink(name: string, target: OvlInode): OvlInode {
    this.children.set(name, target);
    return target;
  }

  create(name: string, mode: number, rdev: number, uid: number, gid: number): OvlInode {
    return createObject(this, name, { kind: 'file', mode, uid, gid, rdev });
  }

  mkdir(name: string, mode: number, uid: number, gid: number): OvlInode {
    return createObject(this, name, { kind: 'dir', mode: 0o040000 | (mode & 0o7777), uid, gid, rdev: 0 });
  }

  symlink(name: string, target: string, uid: number, gid: number): OvlInode {
    return createObject(this, name, { kind: 'symlink', mode: 0o120777, uid, gid, rdev: 0, target });
  }

  link(name: string, target: Inode): void {
    createObject(this, name, { kind: 'link', mode: target.mode, uid: target.uid, gid: target.gid, rdev: 0, link: target as OvlInode });
  }

  unlink(name: string, victim: Inode): void {
    removeObject(this, name, victim as OvlInode, false);
  }

  rmdir(name: string, victim: Inode): void {
    removeObject(this, name, victim as OvlInode, true);
  }

  rename(oldName: string, newDir: Inode, newName: string, flags: number): void {
    renameObject(this, oldName, newDir as OvlInode, newName, flags);
  }

  readdir(): DirEntry[] {
    return ovlReaddir(this);
  }

  // Regular files: I/O goes to the real file, the upper one once it exists.

  read(pos: number, into: Uint8Array): number {
    return this.real.read(pos, into);
  }

  write(pos: number, data: Uint8Array): number {
    copyUp(this);
    return this.upper!.inode.write(pos, data);
  }

  seekHoleData(pos: number, hole: boolean): number | null {
    const r = this.real;
    return r.seekHoleData ? r.seekHoleData(pos, hole) : hole ? r.size : pos;
  }

  readlink(): string {
    return this.real.readlink();
  }

  // Extended attributes: overlayfs's own are hidden; one of its names asked of the overlay is
  // read and written escaped below (`trusted.overlay.overlay.*`, Linux 6.7: ovl_own_xattr_get(),
  // ovl_own_xattr_set()), which is how an overlay stacked on this one keeps its marks apart from
  // this one's (overlayfs.rst "Nesting overlayfs mounts").

  /** The name below for a name asked of the overlay. */
  private below(name: string): string {
    const x = this.sb.xattrs;
    return x.isOwn(name) ? x.escape(name) : name;
  }

  getxattr(name: string): Uint8Array | undefined {
    return this.real.getxattr(this.below(name));
  }

  setxattr(name: string, value: Uint8Array, flags: number): void {
    this.sb.wantWrite();
    copyUp(this);
    this.upper!.inode.setxattr(this.below(name), value, flags);
  }

  listxattr(): string[] {
    const x = this.sb.xattrs;
    return this.real
      .listxattr()
      .filter((n) => !x.isPrivate(n))
      .map((n) => (x.isEscaped(n) ? x.unescape(n) : n));
  }

  /** ovl_xattr_set() removing: nothing to remove below means ENODATA, without a copy-up. */
  removexattr(name: string): void {
    const below = this.below(name);
    if (!this.upper && this.real.getxattr(below) === undefined) throw errno('ENODATA');
    this.sb.wantWrite();
    copyUp(this);
    this.upper!.inode.removexattr(below);
  }
}
