/**
 * The superblock part pseudo filesystems share: an anonymous device number, inode numbers from 1,
 * the kernel's clock, statfs with the filesystem's magic, and the generic parsing of a data
 * string whose unknown keys are EINVAL (fs_parse's "Unknown parameter"), and no xattr namespaces
 * (no s_xattr: the VFS answers EOPNOTSUPP for every name).
 */
import { errno } from '../../vfs/errno.js';
import type { FileSystemType, FsContext, FsStats } from '../../vfs/inode.js';
import { parseMountData, type FsParam } from '../../vfs/mount-options.js';
import type { Timespec } from '../../vfs/time.js';
import type { SimpleInode, SimpleSuperBlock } from './simple.js';

const PAGE_SIZE = 4096;
const NAME_MAX = 255;

export abstract class PseudoSuperBlock implements SimpleSuperBlock {
  readonly dev: number;
  abstract readonly root: SimpleInode;
  flags: number;
  private nextIno = 1;

  constructor(
    readonly type: FileSystemType,
    readonly ctx: FsContext,
    flags: number,
    /** statfs f_type. */
    private readonly magic: number,
  ) {
    this.flags = flags;
    this.dev = ctx.anonDev();
  }

  allocIno(): number {
    return this.nextIno++;
  }

  now(): Timespec {
    return this.ctx.clock.now();
  }

  showOptions(): string {
    return '';
  }

  statfs(): FsStats {
    return { type: this.magic, bsize: PAGE_SIZE, frsize: PAGE_SIZE, namelen: NAME_MAX, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0 };
  }

  /** Remount: this filesystem's parameters (none by default: any is EINVAL), then the SB_* flags. */
  reconfigure(data: string, flags: number): void {
    const { sbFlags, params } = parseMountData(data, flags);
    this.applyParams(params, true);
    this.flags = sbFlags;
  }

  /** Takes the filesystem's own parameters; the default knows none. */
  protected applyParams(params: readonly FsParam[], _remount: boolean): void {
    if (params.length > 0) throw errno('EINVAL');
  }
}

/**
 * A filesystem type whose superblock already exists and is shared by every mount (sget() finding
 * the one of the caller's namespace): mqueue of the IPC namespace, the cgroup2 hierarchy. There
 * is one superblock per `keyOf(ctx)` (default: one for the type), which stands for one the
 * kernel made when the machine booted or the namespace was created (mq_init_ns()'s kern_mount),
 * so a mount's own flags (ro, nosuid, …) go to the mount and never to the superblock, as on a
 * host whose /dev/mqueue and cgroup2 are mounted read-write. Options are still checked (EINVAL)
 * and, where the filesystem takes them, applied (`onMount`). (sysfs, whose superblock of a new
 * network namespace is made by its first mount, keys its superblocks itself: src/fs/sysfs.)
 */
export function sharedSuperBlockType<S extends PseudoSuperBlock>(
  name: string,
  make: (type: FileSystemType, ctx: FsContext) => S,
  onMount: (sb: S, params: readonly FsParam[]) => void = (_sb, params) => {
    if (params.length > 0) throw errno('EINVAL');
  },
  keyOf?: (ctx: FsContext) => object,
): FileSystemType {
  const sbs = new WeakMap<object, S>();
  const type: FileSystemType = {
    name,
    mount(ctx, _source, flags, data) {
      const { params } = parseMountData(data, flags);
      const key = keyOf?.(ctx) ?? type;
      let s = sbs.get(key);
      if (!s) sbs.set(key, (s = make(type, ctx)));
      onMount(s, params);
      return s;
    },
  };
  return type;
}
