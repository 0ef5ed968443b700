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
import { goferType } from '../fs/gofer/super.js';
import { mqueueType } from '../fs/mqueue/mqueue.js';
import { overlayType } from '../fs/overlay/super.js';
import { procType } from '../fs/proc/proc.js';
import { sysfsType } from '../fs/sysfs/sysfs.js';
import { tmpfsType } from '../fs/tmpfs/tmpfs.js';
import type { FileSystemType } from '../vfs/inode.js';
import { Kernel, type KernelOptions } from '../vfs/kernel.js';

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
