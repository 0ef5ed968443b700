/**
 * GoferInode: a file of a 9p mount, as fs/9p/vfs_inode_dotl.c and vfs_file.c make one — its
 * attributes as the server last reported them, the names it is known by (links, each perhaps
 * holding a walked fid: fids.ts), and its open fids (handles). Every operation is a 9P request
 * through the superblock's client; the VFS has done its permission checks on these attributes
 * first (generic_permission(), as v9fs does with access=client), and the server checks again as
 * its own task.
 *
 * Attributes (v9fs_stat2inode_dotl(), the cache_validity flag): what a lookup's Tgetattr said,
 * kept until a change made through this mount invalidates them; the next read of a field asks the
 * server again, through an open fid when there is one (it follows the file through renames and
 * unlinks), else by name. An unlink lowers nlink locally (v9fs_dec_count()), an rmdir clears it.
 * How names are revalidated against the server is the cache mode's (super.ts).
 *
 * Open files (v9fs_file_open()): each open(2) of a regular file or directory gets its own fid,
 * walked from the name and opened with Tlopen for the access asked (O_CREAT, O_EXCL, O_TRUNC,
 * O_APPEND stay the VFS's: it truncates with a setattr and places appends itself); special files
 * open locally, never on the server. A create (Tlcreate) leaves its fid open read-write: the VFS
 * does not tell the filesystem when the creating descriptor closes, so that fid is kept "idle"
 * for the creator's I/O, in a bounded set the superblock gives up oldest first. I/O uses any
 * open fid of the file with the access it needs, else opens one for the call alone.
 *
 * Rules with errno: a rename with RENAME_* flags is EINVAL (v9fs_vfs_rename()); Trenameat that
 * the server does not support (EOPNOTSUPP) falls back to Trename; an xattr the server lacks
 * (ENODATA) is no value; every other server errno is the call's.
 */
import { errno, SysError, type Errno } from '../../vfs/errno.js';
import { isDir, major, minor, S_IFDIR, S_IFMT, S_IFREG, type AttrChange, type DirEntry, type Inode, type OpenFileState } from '../../vfs/inode.js';
import { O_ACCMODE, O_NOATIME, O_RDONLY, O_RDWR, O_WRONLY } from '../../vfs/file.js';
import type { Timespec } from '../../vfs/time.js';
import type { P9Attr } from '../../p9/client.js';
import { P9_DOTL_AT_REMOVEDIR, P9_DOTL_CREATE, P9_DOTL_DIRECTORY, P9_DOTL_RDWR, P9_GETATTR_BASIC, P9_GETATTR_BTIME } from '../../p9/constants.js';
import type { P9Qid } from '../../p9/messages.js';
import { btimeOf, countOf, qidIno, rdevOf, setattrOf, timeOf } from './attrs.js';
import { Link } from './fids.js';
import type { GoferSuperBlock } from './super.js';

/** What a lookup or refresh asks of Tgetattr: all struct stat has, and the birth time. */
export const GETATTR_MASK = P9_GETATTR_BASIC | P9_GETATTR_BTIME;

/** An open fid of a file: what Tlopen or Tlcreate opened, and for which access. */
export interface Handle {
  readonly fid: number;
  /** O_RDONLY, O_WRONLY or O_RDWR. */
  readonly acc: number;
  readonly iounit: number;
  /** Whether an open(2) holds it; a create's fid is held by nobody the VFS tells of (idle). */
  held: boolean;
}

export function isErr(e: unknown, code: Errno): boolean {
  return e instanceof SysError && e.code === code;
}

const readable = (h: Handle): boolean => h.acc !== O_WRONLY;
const writable = (h: Handle): boolean => h.acc !== O_RDONLY;

export class GoferInode implements Inode {
  readonly ino: number;
  private attr: P9Attr;
  /** v9fs's cache_validity: false once a change through this mount made the attributes stale. */
  private attrValid = true;
  /** The names this file is known by. */
  readonly links = new Set<Link>();
  /** A directory's names the client knows: the links whose `dir` is this. */
  readonly entries = new Map<string, Link>();
  readonly handles: Handle[] = [];
  /** A symlink's target, kept with a caching mode (a link's target never changes). */
  private target: string | undefined;

  constructor(
    readonly sb: GoferSuperBlock,
    readonly qid: P9Qid,
    attr: P9Attr,
  ) {
    this.ino = qidIno(qid);
    this.attr = attr;
  }

  // ---------------------------------------------------------------- attributes

  private get fresh(): P9Attr {
    if (!this.attrValid) this.refresh();
    return this.attr;
  }

  get mode(): number {
    return this.fresh.mode;
  }
  get uid(): number {
    return this.fresh.uid;
  }
  get gid(): number {
    return this.fresh.gid;
  }
  get nlink(): number {
    return countOf(this.fresh.nlink);
  }
  get rdev(): number {
    return rdevOf(this.fresh);
  }
  get size(): number {
    return countOf(this.fresh.size);
  }
  get blocks(): number {
    return countOf(this.fresh.blocks);
  }
  get atime(): Timespec {
    return timeOf(this.fresh.atimeSec, this.fresh.atimeNsec);
  }
  get mtime(): Timespec {
    return timeOf(this.fresh.mtimeSec, this.fresh.mtimeNsec);
  }
  get ctime(): Timespec {
    return timeOf(this.fresh.ctimeSec, this.fresh.ctimeNsec);
  }
  get btime(): Timespec {
    return btimeOf(this.fresh);
  }

  /** The file type as first seen: it cannot change, so reading it asks the server nothing. */
  get type(): number {
    return this.attr.mode & S_IFMT;
  }

  /** Whether the attributes are as the server last said, with no change made since. */
  get attrsValid(): boolean {
    return this.attrValid;
  }

  setAttr(a: P9Attr): void {
    this.attr = a;
    this.attrValid = true;
  }

  /** v9fs_invalidate_inode_attr(): the next read of an attribute asks the server. */
  invalidate(): void {
    this.attrValid = false;
  }

  /**
   * v9fs_refresh_inode_dotl(): the attributes again, through an open fid if any, else by name.
   * False when the name now leads to another file (the server replaced it), whose attributes are
   * then not taken.
   */
  refresh(): boolean {
    const open = this.handles[0];
    const a = this.sb.client.getattr(open ? open.fid : this.nameFid(), GETATTR_MASK);
    if (a.qid.path !== this.qid.path || (a.mode & S_IFMT) !== this.type) return false;
    this.setAttr(a);
    return true;
  }

  /** v9fs_dec_count() after an unlink (rmdir clears it): the server's count once an open fid can ask. */
  private lostName(dir: boolean): void {
    if (this.handles.length > 0 || (!dir && this.links.size > 1)) return this.invalidate();
    const nlink = dir ? 0n : this.attr.nlink > 0n ? this.attr.nlink - 1n : 0n;
    this.attr = { ...this.attr, nlink };
  }

  // ---------------------------------------------------------------- fids

  /** A fid naming this file: a name's walked fid, else an open one (a file all of whose names are gone). */
  nameFid(): number {
    for (const link of this.links) return this.sb.fids.fidOf(link);
    const open = this.handles[0];
    if (open) return open.fid;
    throw errno('ENOENT');
  }

  /** `name` in this directory is `inode` now, through `fid` when given; what it named before is let go. */
  private setEntry(name: string, inode: GoferInode, fid: number | null): void {
    this.forgetName(name);
    const link = new Link(this, name, inode, null);
    this.entries.set(name, link);
    inode.links.add(link);
    if (fid !== null) this.sb.fids.hold(link, fid);
  }

  /** The client no longer knows `name` here: its fid is clunked, its file forgotten once it has no name and no open fid. */
  forgetName(name: string): void {
    const link = this.entries.get(name);
    if (!link) return;
    this.entries.delete(name);
    link.inode.links.delete(link);
    this.sb.fids.drop(link);
    link.inode.forgetIfUnused();
  }

  /** Every name this directory knows is let go (the directory is gone). */
  private forgetEntries(): void {
    for (const name of [...this.entries.keys()]) this.forgetName(name);
  }

  forgetIfUnused(): void {
    if (this.links.size === 0 && this.handles.length === 0) this.sb.forget(this);
  }

  /** v9fs_get_inode_from_fid(): the file a fresh fid walked to, known as `name` here from now on. */
  private bind(name: string, fid: number): GoferInode {
    const client = this.sb.client;
    let a: P9Attr;
    try {
      a = client.getattr(fid, GETATTR_MASK);
    } catch (e) {
      client.release(fid);
      throw e;
    }
    const inode = this.sb.inodeFor(a);
    this.setEntry(name, inode, fid);
    return inode;
  }

  /** A name this directory just made: walked and bound (the directory's attributes are stale now). */
  private made(name: string): GoferInode {
    this.invalidate();
    return this.bind(name, this.sb.client.walk(this.nameFid(), [name]).fid);
  }

  // ---------------------------------------------------------------- directories

  /** v9fs_vfs_lookup(): a walk of one name; ENOENT is no such file, any other errno the lookup's. */
  lookup(name: string): GoferInode | undefined {
    let fid: number;
    try {
      fid = this.sb.client.walk(this.nameFid(), [name]).fid;
    } catch (e) {
      if (!isErr(e, 'ENOENT')) throw e;
      this.forgetName(name);
      return undefined;
    }
    return this.bind(name, fid);
  }

  /** d_revalidate: the superblock's cache mode decides (super.ts). */
  revalidate(name: string, child: Inode): boolean {
    return this.sb.revalidate(this, name, child as GoferInode);
  }

  /**
   * v9fs_lookup_revalidate() of a mount that caches nothing: a walk of the name, as every lookup
   * of such a mount is. Another file under it, or none, is false; else its attributes are taken
   * and the name keeps the fresh fid.
   */
  revalidateByWalk(name: string, child: GoferInode): boolean {
    const client = this.sb.client;
    let w: { fid: number; qids: P9Qid[] };
    try {
      w = client.walk(this.nameFid(), [name]);
    } catch (e) {
      if (!isErr(e, 'ENOENT')) throw e;
      this.forgetName(name);
      return false;
    }
    const qid = w.qids[0]!;
    let a: P9Attr | undefined;
    try {
      if (qid.path === child.qid.path && qid.type === child.qid.type) a = client.getattr(w.fid, GETATTR_MASK);
    } catch (e) {
      client.release(w.fid);
      throw e;
    }
    if (!a || (a.mode & S_IFMT) !== child.type) {
      client.release(w.fid);
      this.forgetName(name);
      return false;
    }
    child.setAttr(a);
    const link = this.entries.get(name);
    if (link && link.inode === child) this.sb.fids.hold(link, w.fid);
    else this.setEntry(name, child, w.fid);
    return true;
  }

  /**
   * v9fs_vfs_atomic_open_dotl() for a regular file (Tlcreate on a clone of the directory's fid,
   * opened read-write: the creator's open is not checked against the new mode), v9fs_vfs_mknod_dotl()
   * for the rest. The uid is the server's: 9P carries only the gid.
   */
  create(name: string, mode: number, rdev: number, _uid: number, gid: number): GoferInode {
    const client = this.sb.client;
    const dfid = this.nameFid();
    if ((mode & S_IFMT) !== S_IFREG) {
      client.mknod(dfid, name, mode, major(rdev), minor(rdev), gid);
      return this.made(name);
    }
    const fid = client.clone(dfid);
    let iounit: number;
    let inode: GoferInode;
    try {
      iounit = client.lcreate(fid, name, P9_DOTL_RDWR | P9_DOTL_CREATE, mode & 0o7777, gid).iounit;
      inode = this.made(name);
    } catch (e) {
      client.release(fid);
      throw e;
    }
    const h: Handle = { fid, acc: O_RDWR, iounit, held: false };
    inode.handles.push(h);
    this.sb.keepIdle(inode, h);
    return inode;
  }

  mkdir(name: string, mode: number, _uid: number, gid: number): GoferInode {
    this.sb.client.mkdir(this.nameFid(), name, mode, gid);
    return this.made(name);
  }

  symlink(name: string, target: string, _uid: number, gid: number): GoferInode {
    this.sb.client.symlink(this.nameFid(), name, target, gid);
    return this.made(name);
  }

  /** Tlink; the new name's fid is walked when first needed. */
  link(name: string, target: Inode): void {
    const t = target as GoferInode;
    this.sb.client.link(this.nameFid(), t.nameFid(), name);
    this.invalidate();
    t.invalidate();
    this.setEntry(name, t, null);
  }

  unlink(name: string, victim: Inode): void {
    this.removeName(name, 0);
    this.invalidate();
    (victim as GoferInode).lostName(false);
    this.forgetName(name);
  }

  rmdir(name: string, victim: Inode): void {
    this.removeName(name, P9_DOTL_AT_REMOVEDIR);
    this.invalidate();
    const v = victim as GoferInode;
    v.lostName(true);
    v.forgetEntries();
    this.forgetName(name);
  }

  /**
   * v9fs_remove(): Tunlinkat, or — where the server has none (EOPNOTSUPP: diod 1.0.24) — Tremove
   * of a fid walked to the name, which clunks the fid whatever the answer.
   */
  private removeName(name: string, flags: number): void {
    const client = this.sb.client;
    try {
      client.unlinkat(this.nameFid(), name, flags);
    } catch (e) {
      if (!isErr(e, 'EOPNOTSUPP')) throw e;
      const { fid } = client.walk(this.nameFid(), [name]);
      client.remove(fid);
    }
  }

  /** v9fs_vfs_rename(): Trenameat, or Trename where the server has no Trenameat. */
  rename(oldName: string, newDir: Inode, newName: string, flags: number): void {
    // v9fs_vfs_rename(): "if (flags) return -EINVAL" — 9P has no RENAME_NOREPLACE, EXCHANGE or WHITEOUT.
    if (flags) throw errno('EINVAL');
    const client = this.sb.client;
    const nd = newDir as GoferInode;
    const moved = this.entries.get(oldName);
    try {
      client.renameat(this.nameFid(), oldName, nd.nameFid(), newName);
    } catch (e) {
      if (!isErr(e, 'EOPNOTSUPP') || !moved) throw e;
      client.rename(this.sb.fids.fidOf(moved), nd.nameFid(), newName);
    }
    this.invalidate();
    nd.invalidate();
    const replaced = nd.entries.get(newName);
    if (replaced && replaced !== moved) {
      replaced.inode.lostName(isDir(replaced.inode.type));
      nd.forgetName(newName);
    }
    if (!moved) return;
    // The fid moves with its file (the server's fids follow renames, as dentries do).
    this.entries.delete(oldName);
    moved.dir = nd;
    moved.name = newName;
    nd.entries.set(newName, moved);
    moved.inode.invalidate();
  }

  /** v9fs_dir_readdir_dotl(): every entry but `.` and `..` (the VFS makes its own), by Treaddir. */
  readdir(): DirEntry[] {
    const entries = this.io(O_RDONLY, (fid) => this.sb.client.readdirAll(fid));
    const out: DirEntry[] = [];
    for (const e of entries) {
      if (e.name === '.' || e.name === '..') continue;
      // d_type is the type's S_IFMT bits shifted down (DT_*).
      out.push({ name: e.name, ino: qidIno(e.qid), type: (e.type << 12) & S_IFMT });
    }
    return out;
  }

  // ---------------------------------------------------------------- open files

  /**
   * v9fs_file_open(): a fid of its own, opened for the access asked. Devices, FIFOs and sockets
   * open locally (init_special_inode()).
   */
  open(flags: number): OpenFileState | void {
    const type = this.type;
    if (type !== S_IFREG && type !== S_IFDIR) return;
    const client = this.sb.client;
    const acc = flags & O_ACCMODE;
    const fid = client.clone(this.nameFid());
    let iounit: number;
    try {
      iounit = client.lopen(fid, acc | (flags & O_NOATIME) | (type === S_IFDIR ? P9_DOTL_DIRECTORY : 0)).iounit;
    } catch (e) {
      client.release(fid);
      throw e;
    }
    const h: Handle = { fid, acc, iounit, held: true };
    this.handles.push(h);
    return { release: () => this.closeHandle(h) };
  }

  /** The fid is clunked; a file with no name and no open fid left is forgotten. */
  closeHandle(h: Handle): void {
    const i = this.handles.indexOf(h);
    if (i < 0) return;
    this.handles.splice(i, 1);
    this.sb.dropIdle(h);
    this.sb.client.release(h.fid);
    this.forgetIfUnused();
  }

  /** Runs `fn` on an open fid with access `acc`: one of the file's, else one opened for this call alone. */
  private io<T>(acc: number, fn: (fid: number, iounit: number) => T): T {
    const h = this.handles.find(acc === O_RDONLY ? readable : writable);
    if (h) return fn(h.fid, h.iounit);
    const client = this.sb.client;
    const fid = client.clone(this.nameFid());
    try {
      const { iounit } = client.lopen(fid, acc | (this.type === S_IFDIR ? P9_DOTL_DIRECTORY : 0));
      return fn(fid, iounit);
    } finally {
      client.release(fid);
    }
  }

  read(pos: number, into: Uint8Array): number {
    return this.io(O_RDONLY, (fid, iounit) => this.sb.client.read(fid, pos, into, iounit));
  }

  write(pos: number, data: Uint8Array): number {
    const n = this.io(O_WRONLY, (fid, iounit) => this.sb.client.write(fid, pos, data, iounit));
    this.invalidate();
    return n;
  }

  // ---------------------------------------------------------------- the rest

  /** v9fs_vfs_setattr_dotl(): one Tsetattr of every field the VFS changes. */
  setattr(change: AttrChange): void {
    this.sb.client.setattr(this.nameFid(), setattrOf(change, this.type));
    this.invalidate();
  }

  /** v9fs_vfs_get_link_dotl(): Treadlink, each time unless the mount caches. */
  readlink(): string {
    if (this.target !== undefined) return this.target;
    const target = this.sb.client.readlink(this.nameFid());
    if (this.sb.cached) this.target = target;
    return target;
  }

  getxattr(name: string): Uint8Array | undefined {
    try {
      return this.sb.client.getxattr(this.nameFid(), name);
    } catch (e) {
      if (isErr(e, 'ENODATA')) return undefined;
      throw e;
    }
  }

  setxattr(name: string, value: Uint8Array, flags: number): void {
    this.sb.client.setxattr(this.nameFid(), name, value, flags);
    this.invalidate();
  }

  listxattr(): string[] {
    return this.sb.client.listxattr(this.nameFid());
  }

  removexattr(name: string): void {
    this.sb.client.removexattr(this.nameFid(), name);
    this.invalidate();
  }
}
