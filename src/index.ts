/**
 * vfsemu's library entry: the composition root and the public API.
 *
 * `createKernel()` builds a kernel with every filesystem type this build has; `createSandbox()`
 * gives a fresh sandbox (see src/vfs/sandbox.ts); `createEmulatedBackend()` runs plans on the
 * same kernels. Embedders that want their own clock or memory size pass KernelOptions; tsyringe
 * users resolve the same from `rootContainer` (`vfsemu/container`, src/container.ts), or register
 * more filesystem types in a child container of it and pass that.
 *
 * This entry does not load tsyringe or reflect-metadata (a third of its import time): only
 * `vfsemu/container` does, for the embedders that use a container. Without one, the kernels get
 * the build's list of filesystem types (FILESYSTEM_TYPES), the very list the container registers.
 *
 * Nothing in src/ but src/cli imports this file: the core modules take their collaborators as
 * constructor parameters (DESIGN.md decision 5), and this is where they are wired.
 */
import type { DependencyContainer } from 'tsyringe';
import { bootRunsc as bootRunscWith, predictRunsc as predictRunscWith, type RunscPrediction, type RunscProfileOptions, type RunscSandbox } from './boot/runsc/profile.js';
import type { GoferServer } from './boot/runsc/gofer-mount.js';
import type { OciSpec } from './boot/spec.js';
import { P9Server, serverChannel, TreeExport } from './p9/index.js';
import { EmulatedBackend, type EmulatedOptions } from './plan/emulated.js';
import { FILESYSTEM_TYPES } from './plan/machine.js';
import { Kernel, type KernelOptions } from './vfs/kernel.js';
import type { FileSystemType } from './vfs/inode.js';
import { Sandbox, type SandboxOptions } from './vfs/sandbox.js';
import type { Outcome } from './plan/outcome.js';
import type { Plan } from './plan/plan.js';

/**
 * Token under which every filesystem type is registered in a container. A registered symbol, so
 * that src/container.ts names the same one without this entry loading tsyringe or it this one.
 */
export const FILESYSTEM_TYPE: symbol = Symbol.for('vfsemu.FileSystemType');

/**
 * A kernel with every filesystem type of this build, or every one registered in `from`.
 *
 * @example
 * ```ts
 * const k = createKernel({ totalRamPages: 1 << 18 });
 * ```
 */
export function createKernel(opts: KernelOptions = {}, from?: DependencyContainer): Kernel {
  const k = new Kernel(opts);
  if (from) for (const t of from.resolveAll<FileSystemType>(FILESYSTEM_TYPE)) k.register(t);
  // A factory each, not a value: a kernel gets its own instance of a pseudo filesystem's type
  // (src/plan/machine.ts says why).
  else for (const make of FILESYSTEM_TYPES) k.register(make());
  return k;
}

/**
 * The emulated plan backend on kernels made by `createKernel` from `from`, so that the filesystem
 * types registered there are the ones plans run on.
 *
 * @example
 * ```ts
 * const o = createEmulatedBackend().run({ version: 1, ops: [{ op: 'mkdir', path: '/a' }] });
 * o.results; // [{ ok: true }]
 * ```
 */
export function createEmulatedBackend(opts: EmulatedOptions = {}, from?: DependencyContainer): EmulatedBackend {
  return new EmulatedBackend((o) => createKernel(o, from), opts);
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
export function createSandbox(opts: SandboxOptions & KernelOptions & SandboxLimits = {}): Sandbox {
  const size = opts.size === undefined ? DEFAULT_SANDBOX_LIMITS.size : opts.size;
  const inodes = opts.inodes === undefined ? DEFAULT_SANDBOX_LIMITS.inodes : opts.inodes;
  // tmpfs's own parameters (shmem_parse_one): size in bytes, nr_inodes a count, 0 unlimited;
  // left out (null), tmpfs's defaults.
  const limits = [...(size === null ? [] : [`size=${size}`]), ...(inodes === null ? [] : [`nr_inodes=${inodes}`])];
  const rootData = opts.rootData ?? ['mode=755', ...limits].join(',');
  return new Sandbox(createKernel(opts), { ...opts, rootData });
}

/**
 * How much a sandbox made by `createSandbox` may hold: its root is a tmpfs with these limits, so
 * code running in it meets ENOSPC, not the embedder's memory running out. A mount the sandbox
 * makes itself is a tmpfs of its own, with tmpfs's defaults (half the kernel's `totalRamPages`).
 */
export interface SandboxLimits {
  /**
   * Bytes of file data in the root (tmpfs `size=`). 0: no limit; null: tmpfs's default (half
   * the kernel's `totalRamPages`), as a plan's sandbox has it. Default 256 MiB.
   */
  size?: number | null;
  /** Files, directories and links in the root (tmpfs `nr_inodes=`), 0 and null likewise. Default 65,536. */
  inodes?: number | null;
}

/** The limits of a sandbox made by `createSandbox` when its caller names none. */
export const DEFAULT_SANDBOX_LIMITS = { size: 256 * 1024 * 1024, inodes: 65536 } as const;

/**
 * Runs a plan (docs/plan-format.md) on a fresh emulated kernel; the native backend is in
 * `vfsemu/host` (`runPlan` there takes `{ backend: 'native' }`).
 *
 * @example
 * ```ts
 * import { runPlan } from 'vfsemu';
 * const o = runPlan({ version: 1, ops: [{ op: 'mkdir', path: '/a' }, { op: 'readdir', path: '/' }] });
 * o.results; // [{ ok: true }, { ok: true, names: ['a'] }]
 * ```
 */
export function runPlan(plan: Plan, opts: EmulatedOptions = {}, from?: DependencyContainer): Outcome {
  return createEmulatedBackend(opts, from).run(plan);
}

export { Kernel, type KernelOptions } from './vfs/kernel.js';
export { Sandbox, type SandboxOptions } from './vfs/sandbox.js';
export { Process, AT_FDCWD, AT_SYMLINK_NOFOLLOW, AT_REMOVEDIR, AT_SYMLINK_FOLLOW, AT_EACCESS, AT_EMPTY_PATH, RENAME_NOREPLACE, RENAME_EXCHANGE, SEEK_SET, SEEK_CUR, SEEK_END, SEEK_DATA, SEEK_HOLE, F_OK, R_OK, W_OK, X_OK } from './vfs/process.js';
export * from './vfs/file.js';
export { SysError, errnoNumber, type Errno } from './vfs/errno.js';
export { Credentials, Cap, ALL_CAPS } from './vfs/creds.js';
export * from './vfs/mount-syscalls.js';
export { CLONE_NEWNS, CLONE_NEWNET, NetNamespace } from './vfs/net-namespace.js';
export { CLONE_NEWIPC, IpcNamespace } from './vfs/ipc-namespace.js';
export { CLONE_NEWPID } from './vfs/pid.js';
export type { Stat, StatFs } from './vfs/stat.js';
export { UTIME_NOW, UTIME_OMIT, SteppingClock, type Clock, type Timespec } from './vfs/time.js';
export { S_IFMT, S_IFREG, S_IFDIR, S_IFLNK, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK, S_ISUID, S_ISGID, S_ISVTX, makedev } from './vfs/inode.js';

// Plans, outcomes and their comparison (docs/plan-format.md), the sandbox policy, the OCI dry-run's
// prediction (an OciSpec object: parse and validate one with `vfsemu/oci`).
export { parsePlan, validatePlan, PlanError, MAX_PLAN_BYTES, OP_FIELDS, type Plan, type PlanOp, type OpName } from './plan/plan.js';
export { BackendUnavailable, type Outcome, type OpResult, type StatResult, type FileType } from './plan/outcome.js';
export { compareOutcomes, normaliseMountinfo, lineDiff, type Comparison, type MountTables } from './plan/compare.js';
export { runEmulated, EmulatedSession, EmulatedBackend, type EmulatedOptions } from './plan/emulated.js';
export type { Backend } from './plan/backend.js';
export { REFUSAL_RULES, MOUNTABLE_FSTYPES, ALLOWED_DEVICES, MAX_OP_BYTES, MAX_RUN_BYTES, type RefusalRule, type PolicyOptions } from './plan/policy.js';
export { predictRunc, type RuncPrediction, type RuncFailure, type RuncProfileOptions, type HostPath } from './boot/runc-profile.js';
export type { OciSpec } from './boot/spec.js';
export { parseImage, type ImageNode } from './boot/rootfs-image.js';
export { ASSUMED_HOST, type HostFacts } from './boot/host-facts.js';
// 9P: the server over a sandbox's tree, the in-process channel a kernel mounts it through.
export { P9Server, TreeExport, serverChannel, P9Client } from './p9/index.js';

// The runsc profile (docs/runsc.md), wired with the gofer src/boot may not import itself: each
// gofer connection is a P9Server over a TreeExport of the served host path.

/** The gofer the runsc profile mounts by default: src/p9's server over the host path's tree, read-only when runsc's is. */
export const treeExportGofer: GoferServer = (task, path, readOnly) => serverChannel(new P9Server({ '': new TreeExport(task, path, { readOnly }) }));

/**
 * What runsc (gVisor, at the commit docs/runsc.md names) mounts for a spec: the Sentry's mount
 * table as its process reads it, and the first failure in runsc's words.
 *
 * @example
 * ```ts
 * const p = predictRunsc(spec, { image });
 * p.failure?.message ?? p.view.join('\n');
 * ```
 */
export function predictRunsc(spec: OciSpec, opts: Partial<RunscProfileOptions> = {}): RunscPrediction {
  return predictRunscWith(spec, { goferServer: treeExportGofer, ...opts });
}

/**
 * A gVisor-like sandbox for a bundle: a Sandbox whose process lives in the predicted namespace
 * (root, cwd and creds from the spec); reads go through the gofer to the bundle's files, writes
 * land in the overlay's upper layer and never reach the bundle.
 *
 * @example
 * ```ts
 * const s = bootRunsc(spec, { image });
 * s.process.open('/etc/hostname', O_RDONLY);
 * ```
 */
export function bootRunsc(spec: OciSpec, opts: Partial<RunscProfileOptions> = {}): RunscSandbox {
  return bootRunscWith(spec, { goferServer: treeExportGofer, ...opts });
}
export { GVISOR_COMMIT, RunscBootError, type RunscPrediction, type RunscProfileOptions, type RunscSandbox } from './boot/runsc/profile.js';
// Tasks, pidfds and race-free user-namespace descriptors (src/vfs/task.ts, wait.ts, pidfd.ts, userns-fd.ts).
export { CLD_EXITED, CLD_KILLED, CLONE_FILES, CLONE_PIDFD, SIGKILL, SIGTERM } from './vfs/task.js';
export { P_ALL, P_PID, P_PIDFD, WEXITED, WNOHANG, WNOWAIT, type WaitInfo } from './vfs/wait.js';
export { PIDFD_NONBLOCK } from './vfs/pidfd.js';
export { getUsernsFd, getUsernsFdByPid, type IdMapping, type UsernsFdOptions } from './vfs/userns-fd.js';
