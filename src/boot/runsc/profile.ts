/**
 * The runsc profile's public face: predict what gVisor's runsc mounts for an OCI bundle
 * (`predictRunsc`), or boot the predicted sandbox and get a task inside it (`bootRunsc`), on the
 * emulator. Modelled: gVisor at commit 3c5eee17dc45659fb86843531074f38e78e0cc35 (2026-08-21).
 *
 * One `RunscSandbox` is one gVisor sandbox: one emulated host (HostPlan: the bundles, the bind
 * sources, each container's gofer namespace), one Sentry (its mount ids and device minors, the
 * pod's shared volumes, devpts, the cgroup controllers) and its containers, each in a mount
 * namespace of its own. The first container is the sandbox's (its id is the sandbox id, its spec
 * carries the pod's mount hints); `startContainer` adds more, as runsc does for a pod.
 *
 * Before anything is mounted, runsc checks the spec (specutils.go:ValidateSpec: a process with
 * args, a root with a path, linux.rootfsPropagation private or slave; specutils/fs.go:
 * validateMount: no `shared` on a gofer mount), the flags (config.go:Validate) and the
 * annotations (mount_hints.go). Then gofer-host.ts, then mounter.ts. A failure is runsc's message
 * with the errno behind it, and for the Sentry's part, which spec mount it was setting up.
 *
 * The Sandbox's task is the container's init as runsc creates it (loader.go:createProcessArgs):
 * process.user's uid and gid (and additionalGids), the capabilities of process.capabilities'
 * effective set (none without one, even for uid 0), umask 0022 or process.user.umask, root the
 * container's root, cwd process.cwd. Its files go through the gofer to the bundle's; with the
 * default overlay, what it writes under / lands in the overlay's upper tmpfs and never reaches
 * the host.
 */
import type { EmulatedOptions } from '../../plan/emulated.js';
import type { Plan } from '../../plan/plan.js';
import { Cap, Credentials, type CapName } from '../../vfs/creds.js';
import type { Kernel } from '../../vfs/kernel.js';
import type { Process } from '../../vfs/process.js';
import { Process as Task } from '../../vfs/process.js';
import { clean, join } from '../paths.js';
import type { ImageNode } from '../rootfs-image.js';
import type { HostPath } from '../runc-profile.js';
import type { OciSpec } from '../spec.js';
import { DEFAULT_CONFIG, RunscConfigError, validateConfig, type RunscConfig } from './config.js';
import { RunscError, type RunscFailure } from './errors.js';
import { GoferHost, HostPlan, type HostChange } from './gofer-host.js';
import type { GoferServer } from './gofer-mount.js';
import { HintError, newPodMountHints, newRootfsHint, type MountHint } from './hints.js';
import { goferMountOptionError } from './mount-options.js';
import { ContainerMounter, newSandboxState, type SandboxState } from './mounter.js';
import { isGoferMount, runscSpecMounts } from './mounts.js';
import { renderSentryMountinfo } from './mountinfo.js';
import { SentryVfs, type SentryStep } from './sentry-vfs.js';

export const GVISOR_COMMIT = '3c5eee17dc45659fb86843531074f38e78e0cc35';

export interface RunscProfileOptions {
  /**
   * The gofer's server for each connection, required: src/p9's P9Server over a TreeExport
   * (gofer-mount.ts says how; src/cli/dry-run.ts's `treeExportGofer` is one).
   */
  goferServer: GoferServer;
  /** The bundle directory on the host (default /bundle). */
  bundle?: string;
  /** The bundle directory's image (rootfs and what else is beside config.json). */
  image?: ImageNode;
  /** More trees on the host (a rootfs outside the bundle). */
  images?: { at: string; image: ImageNode }[];
  /** Absolute bind sources outside the bundle that exist on the host. */
  hostPaths?: HostPath[];
  /** The container id; the first container's is the sandbox id (default `vfsemu`). */
  id?: string;
  /** runsc's flags (default: runsc's defaults at the modelled commit). */
  config?: Partial<RunscConfig>;
  /** The emulated machine (RAM for tmpfs size=N%). */
  emulated?: EmulatedOptions;
  /** Called after each of the Sentry's vfs calls, to look at the mounts while runsc sets them up. */
  onStep?: (step: SentryStep, sandbox: RunscSandbox) => void;
}

/** What a later container of the sandbox brings: its bundle and id (the flags and gofer are the sandbox's). */
export type ContainerOptions = Pick<RunscProfileOptions, 'bundle' | 'image' | 'images' | 'hostPaths' | 'id'>;

/** What one container's setup did, and what its init sees. */
export interface RunscContainerResult {
  id: string;
  /** /proc/self/mountinfo as the container's init reads it (the Sentry's format); empty when runsc stopped before the root was mounted. */
  view: string[];
  failure: RunscFailure | null;
  warnings: string[];
  /** What runsc's gofer and runsc itself made on the host for this container. */
  hostChanges: HostChange[];
  /** Mount points the Sentry made in memory only (a read-only gofer or kernfs refused them). */
  synthetic: string[];
  /** Mounts made writable during setup and read-only again at its end, in restore order. */
  readOnlySwitched: string[];
  /** The container's init; absent when runsc failed. */
  process?: Process;
}

export interface RunscPrediction extends RunscContainerResult {
  runtime: 'runsc';
  config: RunscConfig;
  /** The host side as a mount plan (docs/plan-format.md): what runsc and its gofer do on the host. */
  plan: Plan;
  /** What runsc (or its gofer) was doing at each op of the plan. */
  steps: string[];
  /** Index of the first op runsc makes (the ops before set up the host). */
  firstRunscOp: number;
  /** The Sentry's vfs calls, in order. */
  sentry: SentryStep[];
}

/** runsc refused or failed: the failure, as a thrown error for bootRunsc's callers. */
export class RunscBootError extends Error {
  override name = 'RunscBootError';
  constructor(readonly failure: RunscFailure) {
    super(failure.message);
  }
}

/** specutils.go:ValidateSpec and validateMount, the parts a filesystem model meets. */
function validateSpecForRunsc(spec: OciSpec): void {
  if (!spec.process) throw new RunscError('Spec.Process must be defined');
  if (!Array.isArray(spec.process.args) || spec.process.args.length === 0) throw new RunscError('Spec.Process.Arg must be defined');
  if (!spec.root) throw new RunscError('Spec.Root must be defined');
  if (!spec.root.path) throw new RunscError('Spec.Root.Path must be defined');
  const rp = spec.linux?.rootfsPropagation;
  if (rp && !/^r?(private|slave)$/.test(rp)) throw new RunscError(`root mount propagation option must specify private or slave: ${JSON.stringify(rp)}`);
  for (const m of spec.mounts ?? []) {
    if (!isGoferMount({ type: m.type ?? '', source: m.source ?? '', options: m.options ?? [] })) continue;
    const bad = goferMountOptionError(m.options ?? []);
    if (bad) throw new RunscError(bad);
  }
}

/** The capability set of process.capabilities.effective (CAP_* names). */
function capsOf(spec: OciSpec): bigint {
  const eff = (spec.process?.capabilities as { effective?: unknown } | undefined)?.effective;
  if (!Array.isArray(eff)) return 0n;
  const names = eff.filter((n): n is string => typeof n === 'string').map((n) => n.replace(/^CAP_/, '')).filter((n): n is CapName => n in Cap);
  return Credentials.capsOf(names);
}

/** One gVisor sandbox on the emulator (structurally a Sandbox: `kernel` and `process`). */
export class RunscSandbox {
  readonly host: HostPlan;
  readonly vfs: SentryVfs;
  readonly containers: RunscContainerResult[] = [];
  private state: SandboxState | null = null;

  private constructor(
    readonly config: RunscConfig,
    emulated: EmulatedOptions,
    private readonly goferServer: GoferServer,
  ) {
    this.host = new HostPlan(emulated);
    this.vfs = new SentryVfs(this.host.session.sandbox.kernel);
  }

  /** One kernel holds the host and the Sentry (the Sentry's mounts are in namespaces of their own). */
  get kernel(): Kernel {
    return this.vfs.kernel;
  }

  /** The first container's init. */
  get process(): Process {
    const p = this.containers[0]?.process;
    if (!p) throw new Error('the sandbox has no running container');
    return p;
  }

  /** Makes the sandbox and sets up its first container; the result says whether it failed. */
  static create(spec: OciSpec, opts: RunscProfileOptions): { sandbox: RunscSandbox; result: RunscContainerResult } {
    let config: RunscConfig;
    try {
      config = validateConfig({ ...DEFAULT_CONFIG, ...opts.config });
    } catch (e) {
      if (!(e instanceof RunscConfigError)) throw e;
      config = { ...DEFAULT_CONFIG, ...opts.config };
      const sandbox = new RunscSandbox(config, opts.emulated ?? {}, opts.goferServer);
      const result = sandbox.failed(opts.id ?? 'vfsemu', { phase: 'spec', message: e.message }, []);
      return { sandbox, result };
    }
    const sandbox = new RunscSandbox(config, opts.emulated ?? {}, opts.goferServer);
    const watch = opts.onStep;
    if (watch) sandbox.vfs.onStep = (s) => watch(s, sandbox);
    return { sandbox, result: sandbox.startContainer(spec, opts) };
  }

  private failed(id: string, failure: RunscFailure, warnings: string[], extra: Partial<RunscContainerResult> = {}): RunscContainerResult {
    const r: RunscContainerResult = { id, view: [], failure, warnings, hostChanges: [], synthetic: [], readOnlySwitched: [], ...extra };
    this.containers.push(r);
    return r;
  }

  /** Sets up one more container of the sandbox (the first one makes the sandbox's state). */
  startContainer(spec: OciSpec, opts: ContainerOptions): RunscContainerResult {
    const id = opts.id ?? (this.containers.length === 0 ? 'vfsemu' : `vfsemu-${this.containers.length}`);
    const warnings: string[] = [];
    const bundle = clean(opts.bundle ?? '/bundle');
    let hints: MountHint[];
    let rootfsHint;
    try {
      validateSpecForRunsc(spec);
      hints = newPodMountHints(spec.annotations, warnings);
      rootfsHint = newRootfsHint(spec.annotations);
      if (rootfsHint) warnings.push(`dev.gvisor.spec.rootfs.*: only the overlay medium and size of the rootfs hint are modelled (source ${rootfsHint.source}, type ${rootfsHint.type} ignored)`);
    } catch (e) {
      if (e instanceof RunscError || e instanceof HintError) return this.failed(id, { phase: 'spec', message: e.message }, warnings);
      throw e;
    }
    this.state ??= newSandboxState(this.vfs, hints, this.goferServer);
    const rootPath = spec.root!.path;
    const rootfs = rootPath.startsWith('/') ? clean(rootPath) : join(bundle, rootPath);
    const sandboxId = this.containers[0]?.id ?? id;
    const host = new GoferHost(this.host, spec, rootfs, this.config, sandboxId, warnings);
    const mounts = runscSpecMounts(spec.mounts, bundle);
    let resolved;
    try {
      host.loadHost({ bundle, image: opts.image, images: opts.images, hostPaths: opts.hostPaths });
      host.initGoferConfs(mounts, hints, rootfsHint);
      host.createFilestores(mounts, hints);
      host.setUpGofer(mounts);
      resolved = host.resolveMounts(mounts);
    } catch (e) {
      if (e instanceof RunscError) return this.failed(id, { phase: 'gofer', message: e.message, ...(e.errno ? { errno: e.errno } : {}) }, warnings, { hostChanges: host.hostChanges });
      throw e;
    }
    noteUnmodelled(spec, warnings);
    const mounter = new ContainerMounter(this.state, spec, id, this.config, host, resolved, rootfsHint, warnings);
    const syntheticBefore = this.vfs.synthetic.length;
    const hostChangesBefore = this.vfs.hostChanges.length;
    const base = (): Omit<RunscContainerResult, 'failure' | 'view'> => ({
      id,
      warnings,
      hostChanges: [...host.hostChanges, ...this.vfs.hostChanges.slice(hostChangesBefore)],
      synthetic: this.vfs.synthetic.slice(syntheticBefore),
      readOnlySwitched: mounter.restored,
    });
    try {
      mounter.mountAll();
      mounter.finishSetup();
    } catch (e) {
      if (!(e instanceof RunscError)) throw e;
      const where = mounter.cursor;
      const failure: RunscFailure = { phase: 'sentry', message: e.message, ...(e.errno ? { errno: e.errno } : {}), ...(where ? { mount: where.index, destination: where.destination } : {}) };
      // The table as far as runsc got: the namespace exists once the root is mounted.
      const view = mounter.ns && mounter.ns.ns.root.children.size ? renderSentryMountinfo(this.vfs, mounter.ns.root()) : [];
      const r = { ...base(), view, failure };
      this.containers.push(r);
      return r;
    }
    const process = this.initProcess(spec, mounter);
    const r: RunscContainerResult = { ...base(), view: renderSentryMountinfo(this.vfs, process.root), failure: null, process };
    this.containers.push(r);
    return r;
  }

  /** loader.go:createProcessArgs: the container's init in its namespace. */
  private initProcess(spec: OciSpec, mounter: ContainerMounter): Process {
    const user = spec.process?.user ?? {};
    const groups = ((user as { additionalGids?: unknown }).additionalGids as number[] | undefined) ?? [];
    const creds = new Credentials(user.uid ?? 0, user.gid ?? 0, groups, capsOf(spec));
    const root = mounter.ns.root();
    const p = new Task(this.kernel, mounter.ns.ns, root, creds);
    p.umask = user.umask ?? 0o022;
    const cwd = clean(spec.process?.cwd ?? '/');
    if (cwd !== '/') p.setCwd(mounter.ns.getDentryAt(cwd));
    return p;
  }

  /** A task of the host, outside the sandbox: the bundle as the host has it. */
  get hostProcess(): Process {
    return this.host.hostTask;
  }

  /** The /proc/self/mountinfo of the first container's init, in the Sentry's format. */
  mountinfo(): string[] {
    return renderSentryMountinfo(this.vfs, this.process.root);
  }
}

/** What the runsc model leaves out of a spec, said once. */
function noteUnmodelled(spec: OciSpec, warnings: string[]): void {
  const l = spec.linux;
  if (l?.maskedPaths?.length || l?.readonlyPaths?.length) warnings.push('linux.maskedPaths and linux.readonlyPaths: runsc does not apply them (nothing in runsc/ reads them but specutils.LogSpecDebug)');
  if ((spec as { hooks?: unknown }).hooks) warnings.push('hooks: not run (the gofer runs createContainer hooks on the host rootfs)');
  if (spec.process?.terminal) warnings.push('process.terminal: the console is the host terminal runsc imports (hostfs), no mount; not modelled');
}

/**
 * Predicts what runsc does with a spec: its host-side plan, the Sentry's calls, the container's
 * mount table as it reads it, and the first failure.
 *
 * @example
 * ```ts
 * const p = predictRunsc(spec, { image, goferServer: treeExportGofer });
 * p.view; // ['18 17 0:20 / / rw - overlay none rw', '19 18 0:21 / /proc rw - proc none rw,dentry_cache_limit=1000', …]
 * p.readOnlySwitched; // ['/data', '/'] when the root and /data are read-only
 * ```
 */
export function predictRunsc(spec: OciSpec, opts: RunscProfileOptions): RunscPrediction {
  const { sandbox, result } = RunscSandbox.create(spec, opts);
  const h = sandbox.host;
  return {
    ...result,
    runtime: 'runsc',
    config: sandbox.config,
    plan: { version: 1, ops: h.ops },
    steps: h.steps,
    firstRunscOp: h.firstRunscOp,
    sentry: sandbox.vfs.steps,
  };
}

/**
 * Boots the sandbox runsc would make for `spec`; its `process` is the container's init, inside
 * the predicted mount namespace. Throws RunscBootError with runsc's failure.
 *
 * @example
 * ```ts
 * const sb = bootRunsc(spec, { image, goferServer: treeExportGofer });
 * const fd = sb.process.open('/etc/motd', O_WRONLY | O_CREAT | O_TRUNC, 0o644);
 * sb.process.write(fd, new TextEncoder().encode('hello from the sandbox\n'));
 * sb.process.close(fd);
 * // The bundle's own /bundle/rootfs/etc/motd is untouched: the write went to the overlay's upper tmpfs.
 * ```
 */
export function bootRunsc(spec: OciSpec, opts: RunscProfileOptions): RunscSandbox {
  const { sandbox, result } = RunscSandbox.create(spec, opts);
  if (result.failure) throw new RunscBootError(result.failure);
  return sandbox;
}
