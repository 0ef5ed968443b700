/**
 * vfsemu's library entry: the composition root and the public API.
 *
 * `createKernel()` builds a kernel with every filesystem type this build has; `createSandbox()`
 * gives a fresh sandbox (see src/vfs/sandbox.ts). Embedders that want their own clock or memory
 * size pass KernelOptions; tsyringe users can resolve the same from `rootContainer`.
 */
import 'reflect-metadata';
import { container, type DependencyContainer } from 'tsyringe';
import { cgroup2Type, cgroupType } from './fs/cgroup/cgroup.js';
import { devptsType } from './fs/devpts/devpts.js';
import { mqueueType } from './fs/mqueue/mqueue.js';
import { procType } from './fs/proc/proc.js';
import { sysfsType } from './fs/sysfs/sysfs.js';
import { overlayType } from './fs/overlay/super.js';
import { tmpfsType } from './fs/tmpfs/tmpfs.js';
import { Kernel, type KernelOptions } from './vfs/kernel.js';
import type { FileSystemType } from './vfs/inode.js';
import { Sandbox, type SandboxOptions } from './vfs/sandbox.js';

/** Token under which every filesystem type is registered. */
export const FILESYSTEM_TYPE = Symbol('FileSystemType');

/** The root container: filesystem types now; backends, clocks and id sources join it as they come. */
export const rootContainer: DependencyContainer = container.createChildContainer();
rootContainer.register<FileSystemType>(FILESYSTEM_TYPE, { useValue: tmpfsType });
rootContainer.register<FileSystemType>(FILESYSTEM_TYPE, { useValue: overlayType });
// Pseudo filesystems hold machine-wide state (sysfs's, mqueue's and cgroup2's one superblock,
// cgroup v1's hierarchies), so each kernel gets its own instance of the type: a factory, not a
// value. A host-specific layout (cgroup hierarchies, /proc entries) is a child container's
// registration of the same token (src/cli/dry-run.ts does that with what it read from the host).
for (const make of [procType, sysfsType, devptsType, mqueueType, () => cgroupType(), () => cgroup2Type()]) {
  rootContainer.register<FileSystemType>(FILESYSTEM_TYPE, { useFactory: () => make() });
}

/** A kernel with every registered filesystem type. */
export function createKernel(opts: KernelOptions = {}, from: DependencyContainer = rootContainer): Kernel {
  const k = new Kernel(opts);
  for (const t of from.resolveAll<FileSystemType>(FILESYSTEM_TYPE)) k.register(t);
  return k;
}

/**
 * A fresh sandbox on a new kernel.
 *
 * @example
 * ```ts
 * import { createSandbox, O_CREAT, O_WRONLY } from 'vfsemu';
 * const p = createSandbox().process;
 * p.mkdir('/data');
 * p.mount('none', '/data', 'tmpfs', 0, 'size=1m');
 * console.log(p.mountinfo());
 * ```
 */
export function createSandbox(opts: SandboxOptions & KernelOptions = {}): Sandbox {
  return new Sandbox(createKernel(opts), opts);
}

export { Kernel, type KernelOptions } from './vfs/kernel.js';
export { Sandbox, type SandboxOptions } from './vfs/sandbox.js';
export { Process, AT_FDCWD, AT_SYMLINK_NOFOLLOW, AT_REMOVEDIR, AT_SYMLINK_FOLLOW, AT_EACCESS, AT_EMPTY_PATH, RENAME_NOREPLACE, RENAME_EXCHANGE, SEEK_SET, SEEK_CUR, SEEK_END, SEEK_DATA, SEEK_HOLE, F_OK, R_OK, W_OK, X_OK } from './vfs/process.js';
export * from './vfs/file.js';
export { SysError, errnoNumber, type Errno } from './vfs/errno.js';
export { Credentials, Cap, ALL_CAPS } from './vfs/creds.js';
export * from './vfs/mount-syscalls.js';
export { CLONE_NEWNS, CLONE_NEWNET, NetNamespace } from './vfs/net-namespace.js';
export type { Stat, StatFs } from './vfs/stat.js';
export { UTIME_NOW, UTIME_OMIT, SteppingClock, type Clock, type Timespec } from './vfs/time.js';
export { S_IFMT, S_IFREG, S_IFDIR, S_IFLNK, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK, S_ISUID, S_ISGID, S_ISVTX, makedev } from './vfs/inode.js';
