/**
 * The emulated machine a plan runs on when its caller names none: a kernel with every filesystem
 * type this build has.
 *
 * `FILESYSTEM_TYPES` is the build's one list of filesystem types: src/index.ts registers the same
 * list in its root container. The emulated backend takes the kernel factory as a constructor
 * parameter (DESIGN.md decision 5), `newKernel` by default, so that src/plan needs neither the
 * container nor the composition root.
 */
import { cgroup2Type, cgroupType } from '../fs/cgroup/cgroup.js';
import { devptsType } from '../fs/devpts/devpts.js';
import { fuseType } from '../fs/fuse/fuse.js';
import { goferType } from '../fs/gofer/super.js';
import { mqueueType } from '../fs/mqueue/mqueue.js';
import { overlayType } from '../fs/overlay/super.js';
import { procType } from '../fs/proc/proc.js';
import { sysfsType } from '../fs/sysfs/sysfs.js';
import { TmpfsSuperBlock, tmpfsType } from '../fs/tmpfs/tmpfs.js';
import { VFSEMU_IMAGE_MAGIC, vfsemuImageType, type ImageRoot } from '../fs/vfsemu-image/vfsemu-image.js';
import type { FileSystemType, FsContext, FsStats } from '../vfs/inode.js';
import { parseMountData } from '../vfs/mount-options.js';
import { Kernel, type KernelOptions } from '../vfs/kernel.js';

/**
 * vfsemu-image's storage (src/fs/vfsemu-image's ImageStorage): a tmpfs without limits, shown as
 * the image type, with the image's root mode and owner and no options of its own.
 */
class ImageTree extends TmpfsSuperBlock {
  constructor(type: FileSystemType, ctx: FsContext, flags: number, root: ImageRoot, private readonly checkRemount: (sbFlags: number) => void) {
    super(type, ctx, `size=0,nr_inodes=0,mode=${root.mode.toString(8)},uid=${root.uid},gid=${root.gid}`, flags);
  }

  override showOptions(): string {
    return '';
  }

  override statfs(): FsStats {
    return { ...super.statfs(), type: VFSEMU_IMAGE_MAGIC };
  }

  override reconfigure(data: string, flags: number): void {
    const { sbFlags } = parseMountData(data, flags);
    this.checkRemount(sbFlags);
    this.flags = sbFlags;
  }
}

/** Makes the kernel a plan runs on. */
export type KernelFactory = (opts: KernelOptions) => Kernel;

/**
 * Every filesystem type of this build, in registration order, as factories: pseudo filesystems
 * hold machine-wide state (sysfs's, mqueue's and cgroup2's one superblock, cgroup v1's
 * hierarchies), so each kernel gets its own instance of their type; tmpfs and overlay hold none
 * and are one value each. A host's own layout (cgroup hierarchies, /proc entries) is registered
 * over these by the caller (`EmulatedOptions.fsTypes`).
 */
export const FILESYSTEM_TYPES: readonly (() => FileSystemType)[] = [
  () => tmpfsType,
  () => overlayType,
  () => procType(),
  () => sysfsType(),
  () => devptsType(),
  () => mqueueType(),
  () => cgroupType(),
  () => cgroup2Type(),
  // 9p keeps per-kernel state (its live sessions, to end them once unmounted).
  () => goferType(),
  // fuse keeps the kernel's connections (open /dev/fuse descriptors, src/fs/fuse/connection.ts).
  () => fuseType(),
  // The block filesystem of this build; it carries the kernel's loop driver (src/vfs/loop.ts).
  () => vfsemuImageType((type, ctx, flags, root, check) => new ImageTree(type, ctx, flags, root, check)),
];

/**
 * A kernel with every filesystem type of this build.
 *
 * @example
 * ```ts
 * const p = new Sandbox(newKernel()).process;
 * p.mkdir('/proc');
 * p.mount('proc', '/proc', 'proc', 0, null); // every type of this build is there
 * ```
 */
export function newKernel(opts: KernelOptions = {}): Kernel {
  const k = new Kernel(opts);
  for (const make of FILESYSTEM_TYPES) k.register(make());
  return k;
}
