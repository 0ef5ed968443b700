/**
 * Kernel: the machine-wide state one emulated kernel holds — the filesystem-type registry, the
 * id allocators (mount ids, peer-group ids, anonymous device minors), the clock, the mount
 * namespaces — and the mount-object primitives that need them: making, cloning, copying and
 * releasing mounts. Many `Process`es share one `Kernel`.
 */
import type { Credentials } from './creds.js';
import { Dentry } from './dentry.js';
import { errno } from './errno.js';
import { IdAllocator } from './ids.js';
import { makedev, type FileSystemType, type FsContext, type SuperBlock } from './inode.js';
import { Mount } from './mount.js';
import { MountNamespace } from './mount-namespace.js';
import { Propagation } from './propagation.js';
import { SteppingClock, type Clock } from './time.js';

export interface KernelOptions {
  clock?: Clock;
  /** RAM pages of the emulated machine (tmpfs defaults and size=N%). Default: 24 GiB. */
  totalRamPages?: number;
  /** fs.mount-max: mounts a namespace may hold (ENOSPC beyond). */
  mountMax?: number;
}

export class Kernel {
  readonly filesystems = new Map<string, FileSystemType>();
  readonly clock: Clock;
  readonly totalRamPages: number;
  readonly mountMax: number;
  readonly namespaces: MountNamespace[] = [];
  readonly propagation: Propagation;
  private readonly mountIds = new IdAllocator(1);
  private readonly anonMinors = new IdAllocator(16);
  private mountSeq = 0;
  /** The superblock root dentry of each superblock, shared by all its mounts. */
  private readonly sbRoots = new WeakMap<SuperBlock, Dentry>();

  constructor(opts: KernelOptions = {}) {
    this.clock = opts.clock ?? new SteppingClock();
    this.totalRamPages = opts.totalRamPages ?? (24 * 1024 * 1024 * 1024) / 4096;
    this.mountMax = opts.mountMax ?? 100_000;
    this.propagation = new Propagation(new IdAllocator(1));
  }

  /** register_filesystem(). */
  register(type: FileSystemType): void {
    this.filesystems.set(type.name, type);
  }

  /** The context a filesystem gets for a new superblock made by `creds`. */
  fsContext(creds: Credentials): FsContext {
    return {
      creds,
      clock: this.clock,
      totalRamPages: this.totalRamPages,
      anonDev: () => makedev(0, this.anonMinors.alloc()),
    };
  }

  /** The root dentry of a superblock (one per superblock, like sb->s_root). */
  sbRoot(sb: SuperBlock): Dentry {
    let d = this.sbRoots.get(sb);
    if (!d) {
      d = Dentry.root(sb);
      this.sbRoots.set(sb, d);
    }
    return d;
  }

  /** vfs_kern_mount(): a new superblock of `fstype`, as a detached mount. ENODEV for an unknown type. */
  newMount(creds: Credentials, fstype: string, source: string, sbFlags: number, data: string, mntFlags: number): Mount {
    const type = this.filesystems.get(fstype);
    if (!type) throw errno('ENODEV');
    const sb = type.mount(this.fsContext(creds), source, sbFlags, data);
    return this.mountOf(sb, this.sbRoot(sb), source, mntFlags);
  }

  /** A new mount object of an existing superblock. */
  mountOf(sb: SuperBlock, root: Dentry, devname: string, flags: number): Mount {
    return new Mount(this.mountIds.alloc(), this.mountSeq++, sb, root, devname, flags);
  }

  /** clone_mnt(): a new mount of `old`'s superblock rooted at `root`, with `old`'s flags. */
  cloneMount(old: Mount, root: Dentry, sharing: 'same' | 'slave' | 'private'): Mount {
    const m = this.mountOf(old.sb, root, old.devname, old.flags);
    this.propagation.inherit(m, old, sharing);
    return m;
  }

  /**
   * copy_tree(): clones `src` at `root` and every mount below it whose mount point is under
   * `root`, keeping the shape. Unbindable mounts (and what is under them) are left out unless
   * `copyUnbindable` (unshare copies them).
   */
  copyTree(src: Mount, root: Dentry, copyUnbindable: boolean, sharing: 'same' | 'slave' | 'private' = 'same'): Mount {
    const top = this.cloneMount(src, root, sharing);
    const copies = new Map<Mount, Mount>([[src, top]]);
    const walk = (parent: Mount): void => {
      for (const child of parent.children) {
        if (parent === src && !child.mountpoint!.isSubdirOf(root)) continue;
        if (child.unbindable && !copyUnbindable) continue;
        const c = this.cloneMount(child, child.root, sharing);
        const p = copies.get(parent)!;
        c.parent = p;
        c.mountpoint = child.mountpoint;
        p.children.push(c);
        p.childAt.set(child.mountpoint!, c);
        child.mountpoint!.mountCount++;
        copies.set(child, c);
        walk(child);
      }
    };
    walk(src);
    return top;
  }

  /** A new, empty mount namespace (its root is set by the caller). */
  newNamespace(): MountNamespace {
    const ns = new MountNamespace(this, this.namespaces.length);
    this.namespaces.push(ns);
    return ns;
  }

  /**
   * mntput()'s last reference: a mount that has left its namespace gives its id back once
   * nothing (open file, cwd, root) pins it any more.
   */
  maybeRelease(m: Mount): void {
    if (m.ns || m.refs > 0 || m.released) return;
    m.released = true;
    this.mountIds.free(m.id);
  }
}
