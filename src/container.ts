/**
 * vfsemu/container: the tsyringe composition root (DESIGN.md decision 5) — a root container with
 * every filesystem type of this build registered under FILESYSTEM_TYPE, for embedders that wire
 * their own types, backends, clocks and id sources through a container.
 *
 * It lives apart from the library entry (src/index.ts) so that `import 'vfsemu'` does not load
 * tsyringe and reflect-metadata: they were a third of its import time, paid by every embedder
 * whether it used a container or not. Pass the container (or a child of it) to the entry's
 * `createKernel`, `createEmulatedBackend` or `runPlan` as `from`.
 *
 * @example
 * ```ts
 * import { rootContainer, FILESYSTEM_TYPE } from 'vfsemu/container';
 * import { createKernel } from 'vfsemu';
 * const child = rootContainer.createChildContainer();
 * child.register(FILESYSTEM_TYPE, { useValue: myFsType });
 * const k = createKernel({}, child); // every type of the build, and myFsType
 * ```
 */
import 'reflect-metadata';
import { container, type DependencyContainer } from 'tsyringe';
import { FILESYSTEM_TYPES } from './plan/machine.js';
import type { FileSystemType } from './vfs/inode.js';

/** Token under which every filesystem type is registered: the entry's FILESYSTEM_TYPE (a registered symbol). */
export const FILESYSTEM_TYPE: symbol = Symbol.for('vfsemu.FileSystemType');

/** The root container: filesystem types now; backends, clocks and id sources join it as they come. */
export const rootContainer: DependencyContainer = container.createChildContainer();
// A factory each, not a value: a kernel gets its own instance of a pseudo filesystem's type
// (src/plan/machine.ts says why).
for (const make of FILESYSTEM_TYPES) rootContainer.register<FileSystemType>(FILESYSTEM_TYPE, { useFactory: () => make() });
