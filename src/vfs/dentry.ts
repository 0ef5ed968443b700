/**
 * Dentry: a name in a directory of one superblock, bound to an inode; the dentry cache.
 *
 * Mount points are dentries (not inodes): a bind mount onto one hard link of a file leaves the
 * other names uncovered, as in Linux. Dentries are shared by every mount of their superblock. The
 * cache holds only positive dentries of names that were looked up; filesystems are reached only
 * through the VFS, so a cached child is never stale — unless its filesystem has other writers (a
 * 9p server's), which then revalidates the name at each lookup (`Inode.revalidate`).
 *
 * A filesystem may keep its directories in the dentry cache alone, as shmem does (its dentries
 * ARE the directory: simple_lookup() answers a name the cache lacks with a negative dentry, and
 * the directory has no index of its own). It declares so with a `DcacheDirectory` inode: the
 * filesystem makes each name's dentry itself when it makes the name (shmem_mknod()'s
 * d_instantiate()) and takes it out when it removes the name, and the VFS, finding a name absent
 * from such a directory's cache, knows it absent without asking. One name index a directory,
 * where a cache in front of the filesystem's own would take two (tmpfs in a huge directory:
 * a create missed in both, a lookup-heavy phase kept both in memory).
 *
 * Invariants: `parent === null` only for a superblock's root; a dentry in its parent's `children`
 * is not `unlinked`; `mounts` holds the mounts (in any namespace) whose mount point is this
 * dentry, in the order they were hung there; the children of a dentry that is its inode's
 * `dentryAlias` are exactly the names of that directory.
 */
import { HoleMap } from './hole-map.js';
import type { Inode, SuperBlock } from './inode.js';
import type { Mount } from './mount.js';

/**
 * An inode whose directory lives in the dentry cache (shmem's): `dentryAlias` is the one dentry
 * of the directory (i_dentry; a directory has one), null until it is made, whose `children` are
 * the directory's names. Absent (undefined) on inodes of filesystems with an index of their own.
 */
export interface DcacheDirectory extends Inode {
  dentryAlias: Dentry | null;
}

/**
 * The children of every dentry that has none cached (most dentries are files and never get one);
 * never written to: addChild() replaces it first.
 */
const NO_CHILDREN = new HoleMap<string, Dentry>();

export class Dentry {
  /**
   * The cached children by name. A HoleMap (hole-map.ts): a name removed and made again in a
   * huge directory stays fast. Allocated at the first child; read-only until then.
   */
  children: HoleMap<string, Dentry> = NO_CHILDREN;
  /**
   * struct mountpoint's m_list: the mounts, in any namespace, hung on this dentry (the kernel
   * adds at the head and so walks them newest first); null while there is none.
   */
  mounts: Set<Mount> | null = null;
  /** Set when the name was removed (unlink, rmdir, replaced by rename); d_unlinked(). */
  unlinked = false;
  /**
   * d_fsdata: the filesystem's own number for this name in its directory, for a filesystem whose
   * directory is the dentry cache (tmpfs: the name's readdir position, simple_offset's).
   */
  fsdata = -1;

  constructor(
    public name: string,
    public parent: Dentry | null,
    public inode: Inode,
  ) {}

  /** How many mounts are hung here; d_mountpoint() is `mountCount > 0`. */
  get mountCount(): number {
    return this.mounts === null ? 0 : this.mounts.size;
  }

  /**
   * The root dentry of a superblock; for a directory that lives in the dentry cache, its one
   * dentry (made here, or already by the filesystem).
   */
  static root(sb: SuperBlock): Dentry {
    const inode = sb.root as Partial<DcacheDirectory>;
    if (inode.dentryAlias) return inode.dentryAlias;
    const d = new Dentry('/', null, sb.root);
    if (inode.dentryAlias === null) inode.dentryAlias = d;
    return d;
  }

  /**
   * d_lookup, then the filesystem's lookup on a miss. A cached name the filesystem no longer
   * vouches for (d_revalidate) is dropped and looked up afresh, unless something is mounted on it:
   * its mounts hold it in place.
   */
  lookup(name: string): Dentry | undefined {
    const cached = this.children.get(name);
    if (cached) {
      if (!this.inode.revalidate || cached.mountCount > 0 || this.inode.revalidate(name, cached.inode)) return cached;
      cached.drop();
    }
    // simple_lookup(): where the cache is the directory, a name it lacks does not exist.
    if ((this.inode as Partial<DcacheDirectory>).dentryAlias === this) return undefined;
    const inode = this.inode.lookup(name);
    if (!inode) return undefined;
    return this.instantiate(name, inode);
  }

  /**
   * d_instantiate of a new name created by the filesystem: its dentry, which a filesystem whose
   * directory is the dentry cache has already made.
   */
  instantiate(name: string, inode: Inode): Dentry {
    if ((this.inode as Partial<DcacheDirectory>).dentryAlias === this) {
      const made = this.children.get(name);
      if (made !== undefined && made.inode === inode) return made;
    }
    const d = new Dentry(name, this, inode);
    this.addChild(d);
    return d;
  }

  private addChild(d: Dentry): void {
    if (this.children === NO_CHILDREN) this.children = new HoleMap<string, Dentry>();
    this.children.set(d.name, d);
  }

  /**
   * d_add() by a filesystem whose directory is this dentry's cache: `child` joins it as `name`,
   * which it does not have (the VFS looked the name up first, as vfs_create() gets a negative
   * dentry; a rename has taken the old holder out) — one hash operation. A rename puts the
   * moved dentry at its new name here, ahead of the VFS's d_move(), which finds it there.
   */
  addName(name: string, child: Dentry): void {
    if (this.children === NO_CHILDREN) this.children = new HoleMap<string, Dentry>();
    this.children.add(name, child);
  }

  /**
   * The filesystem's removal of `name` from a directory that is this dentry's cache: the dentry
   * it had, out of the cache (the VFS's d_delete() or d_move() that follows finds it gone).
   */
  takeName(name: string): Dentry | undefined {
    return this.children.take(name);
  }

  /**
   * Whether this dentry's children are its directory (a `DcacheDirectory`'s dentry): then the
   * filesystem has added and taken its names itself before the VFS's d_delete() or d_move()
   * runs, and those leave the cache alone (one or two hash operations fewer an unlink or rename
   * in a huge directory).
   */
  private get isDirectoryCache(): boolean {
    return (this.inode as Partial<DcacheDirectory>).dentryAlias === this;
  }

  /** Takes this dentry out of its parent's cache, if it is still there under its name. */
  private unhash(): void {
    const p = this.parent;
    if (p && !p.isDirectoryCache) p.children.deleteIf(this.name, this);
  }

  /** d_delete: the name is gone; open files keep the inode. */
  drop(): void {
    this.unhash();
    this.unlinked = true;
  }

  /** d_move: the name moved to `newParent/newName`. */
  move(newParent: Dentry, newName: string): void {
    this.unhash();
    this.parent = newParent;
    this.name = newName;
    if (!newParent.isDirectoryCache) newParent.addChild(this);
  }

  /** is_subdir(): `this` is `ancestor` or below it. */
  isSubdirOf(ancestor: Dentry): boolean {
    for (let d: Dentry | null = this; d; d = d.parent) if (d === ancestor) return true;
    return false;
  }

  /** The path of this dentry from its superblock's root, as mountinfo's root field shows it. */
  pathFromRoot(): string {
    if (!this.parent) return '/';
    const parts: string[] = [];
    for (let d: Dentry | null = this; d && d.parent; d = d.parent) parts.push(d.name);
    return '/' + parts.reverse().join('/');
  }
}
