/**
 * Dentry: a name in a directory of one superblock, bound to an inode; the dentry cache.
 *
 * Mount points are dentries (not inodes): a bind mount onto one hard link of a file leaves the
 * other names uncovered, as in Linux. Dentries are shared by every mount of their superblock. The
 * cache holds only positive dentries of names that were looked up; filesystems are reached only
 * through the VFS, so a cached child is never stale — unless its filesystem has other writers (a
 * 9p server's), which then revalidates the name at each lookup (`Inode.revalidate`).
 * Invariants: `parent === null` only for a superblock's root; a dentry in its parent's `children`
 * is not `unlinked`; `mounts` holds the mounts (in any namespace) whose mount point is this
 * dentry, in the order they were hung there.
 */
import { HoleMap } from './hole-map.js';
import type { Inode, SuperBlock } from './inode.js';
import type { Mount } from './mount.js';

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

  constructor(
    public name: string,
    public parent: Dentry | null,
    public inode: Inode,
  ) {}

  /** How many mounts are hung here; d_mountpoint() is `mountCount > 0`. */
  get mountCount(): number {
    return this.mounts === null ? 0 : this.mounts.size;
  }

  /** The root dentry of a superblock. */
  static root(sb: SuperBlock): Dentry {
    return new Dentry('/', null, sb.root);
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
    const inode = this.inode.lookup(name);
    if (!inode) return undefined;
    return this.instantiate(name, inode);
  }

  /** d_instantiate of a new name created by the filesystem. */
  instantiate(name: string, inode: Inode): Dentry {
    const d = new Dentry(name, this, inode);
    this.addChild(d);
    return d;
  }

  private addChild(d: Dentry): void {
    if (this.children === NO_CHILDREN) this.children = new HoleMap<string, Dentry>();
    this.children.set(d.name, d);
  }

  /** Takes this dentry out of its parent's cache, if it is still there under its name. */
  private unhash(): void {
    const p = this.parent;
    if (p) p.children.deleteIf(this.name, this);
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
    newParent.addChild(this);
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
