/**
 * memfs: a filesystem whose files are a live memfs volume's (store.ts). The embedder hands
 * volumes to the filesystem type by name (`MemfsVolumes.add`), as a disk is a device node; mount
 * names one as its source: `mount("myvol", "/data", "memfs", 0, "")`. Mounting the same volume
 * again gives the same superblock (sget() of one device), so bind mounts and second mounts see
 * the same inodes.
 *
 * Only the VFS's options apply (ro, rw, sync, …); any other is EINVAL. An unknown source is
 * ENOENT, as for a block device that does not exist. The superblock has no xattr namespaces
 * (EOPNOTSUPP) and statfs reports MEMFS_MAGIC and no size limits (memfs has none).
 */
import { errno } from '../../vfs/errno.js';
import type { FileSystemType, FsContext, FsStats, SuperBlock } from '../../vfs/inode.js';
import { parseMountData } from '../../vfs/mount-options.js';
import { MemfsInode } from './inode.js';
import type { MemfsStore, StoreNode } from './store.js';

/** statfs f_type of a memfs mount: not a kernel filesystem, so vfsemu's own ("memf"). */
export const MEMFS_MAGIC = 0x6d656d66;
const NAME_MAX = 255;

export class MemfsSuperBlock implements SuperBlock {
  readonly dev: number;
  readonly root: MemfsInode;
  flags: number;
  /** One inode object per volume node, so that hard links and cached dentries agree. */
  private readonly inodes = new WeakMap<StoreNode, MemfsInode>();

  constructor(
    readonly type: FileSystemType,
    readonly ctx: FsContext,
    readonly store: MemfsStore,
    flags: number,
  ) {
    this.flags = flags;
    this.dev = ctx.anonDev();
    this.root = this.inodeOf(store.root);
  }

  /** The inode of a volume node (made on first sight). */
  inodeOf(node: StoreNode): MemfsInode {
    let i = this.inodes.get(node);
    if (!i) this.inodes.set(node, (i = new MemfsInode(this, node)));
    return i;
  }

  showOptions(): string {
    return '';
  }

  statfs(): FsStats {
    return { type: MEMFS_MAGIC, bsize: 4096, frsize: 4096, namelen: NAME_MAX, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0 };
  }

  reconfigure(data: string, flags: number): void {
    const { sbFlags, params } = parseMountData(data, flags);
    if (params.length > 0) throw errno('EINVAL');
    this.flags = sbFlags;
  }
}

/**
 * The volumes a kernel's `memfs` type can mount, by source name.
 *
 * @example
 * ```ts
 * const volumes = new MemfsVolumes();
 * kernel.register(memfsType(volumes));
 * volumes.add('data', storeOverMyVolume);
 * process.mount('data', '/data', 'memfs', 0, null);
 * ```
 */
export class MemfsVolumes {
  private readonly byName = new Map<string, MemfsStore>();
  private readonly superblocks = new WeakMap<MemfsStore, MemfsSuperBlock>();

  /** Makes `store` mountable as `name`; EEXIST when the name is taken by another store. */
  add(name: string, store: MemfsStore): void {
    const had = this.byName.get(name);
    if (had && had !== store) throw errno('EEXIST');
    this.byName.set(name, store);
  }

  get(name: string): MemfsStore | undefined {
    return this.byName.get(name);
  }

  /** The name a store was added under, if any. */
  nameOf(store: MemfsStore): string | undefined {
    for (const [n, s] of this.byName) if (s === store) return n;
    return undefined;
  }

  /** sget(): the store's superblock, made by the first mount. */
  superblock(type: FileSystemType, ctx: FsContext, store: MemfsStore, flags: number): MemfsSuperBlock {
    let sb = this.superblocks.get(store);
    if (!sb) this.superblocks.set(store, (sb = new MemfsSuperBlock(type, ctx, store, flags)));
    return sb;
  }
}

/**
 * The `memfs` filesystem type over `volumes`.
 *
 * @example
 * ```ts
 * kernel.register(memfsType(new MemfsVolumes()));
 * ```
 */
export function memfsType(volumes: MemfsVolumes): FileSystemType & { readonly volumes: MemfsVolumes } {
  const type = {
    name: 'memfs',
    volumes,
    mount(ctx: FsContext, source: string, flags: number, data: string): SuperBlock {
      const { sbFlags, params } = parseMountData(data, flags);
      if (params.length > 0) throw errno('EINVAL');
      const store = volumes.get(source);
      if (!store) throw errno('ENOENT');
      return volumes.superblock(type, ctx, store, sbFlags);
    },
  };
  return type;
}
