/**
 * `vfsemu dry-run [BUNDLE_DIR|config.json] [--format tree|mountinfo|json] [--native] [--host]`:
 * what runc would mount for an OCI bundle, predicted on the emulator (src/boot/runc-profile.ts).
 *
 * Without an argument it runs the bundled example (examples/bundles/runc-default: `runc spec`'s
 * config with a small rootfs image), so it needs no host files. A host bundle is read through
 * node:fs (src/host/bundle.ts) and nothing is written. `--host` reads this machine's cgroup
 * setup, /proc and mount table (src/host/host-facts.ts: the mounts behind the rootfs and the bind
 * sources are made again in the plan's host part, src/boot/host-mounts.ts); without it an assumed
 * cgroup v2 host with every host path on one tmpfs stands in and the output says so;
 * `--host-facts FILE` predicts for facts recorded elsewhere (a `--format json` document's `host`).
 * `--native` (which implies `--host`: the kernel it runs on is this host's) also applies the plan
 * to the kernel through the native backend and prints the differences; host filesystems the
 * emulator stands in for run there as tmpfs (forNativeKernel), and the output says which.
 * Exit codes: 0 every mount would succeed, 1 one would fail (the output says which, with runc's
 * words), 2 an invalid spec or unreadable bundle, 3 `--native` cannot run here (one line why,
 * after the prediction).
 *
 * `--runtime runsc` predicts gVisor's runsc instead (src/boot/runsc; `--overlay2` and
 * `--file-access` are runsc's flags of the same names), and `--runtime runc,runsc` prints both
 * tables side by side, then what differs and why (docs/runsc.md). runc stays the default, and
 * its output does not change.
 *
 * A containerd mount list instead of a bundle (`--mount-list`, or a file of that shape) goes to
 * dry-run-mounts.ts: what containerd's mount.All would do with it, step by step.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ASSUMED_HOST, HostFactsError, hostFactsFromDocument, type HostFacts, type HostMount } from '../boot/host-facts.js';
import { forNativeKernel } from '../boot/host-mounts.js';
import { ImageError, parseImage, type ImageNode } from '../boot/rootfs-image.js';
import { absoluteBindSources, predictRunc, type RuncPrediction } from '../boot/runc-profile.js';
import { parseSpec, SpecError, specWarnings, type OciSpec } from '../boot/spec.js';
import { compareRuntimes, runcContainerView, sideBySide, type Difference } from '../boot/runsc/compare.js';
import { DEFAULT_CONFIG, formatOverlay2, parseFileAccess, parseOverlay2, RunscConfigError, type RunscConfig } from '../boot/runsc/config.js';
import { GVISOR_COMMIT, predictRunsc, type RunscPrediction } from '../boot/runsc/profile.js';
import { treeExportGofer } from '../index.js';
import { hostBindSources, readHostBundle, throughSymlinks } from '../host/bundle.js';
import { withCgroupJournal } from '../host/cgroup-cleanup.js';
import { readHostFacts } from '../host/host-facts.js';
import { NativeRunIncomplete, runNativeSync } from '../host/native.js';
import { compareOutcomes } from '../plan/compare.js';
import { BackendUnavailable, type Outcome } from '../plan/outcome.js';
import type { Plan } from '../plan/plan.js';
import { isMountListFile, runMountListDryRun } from './dry-run-mounts.js';
import { formatTree } from './mount-table.js';
import { hostRamPages, type CliIo } from './plan-run.js';

// The table printer is shared with the mount-list dry-run; tests and callers import it from here.
export { formatTree };

export interface DryRunOptions {
  format: string;
  native: boolean;
  host: boolean;
  /** A file of host facts (`--host-facts`): a `--format json` document, or its `host`. */
  hostFacts?: string;
  /** `runc` (the default), `runsc`, or `runc,runsc` to compare them. */
  runtime?: string;
  /** runsc's --overlay2. */
  overlay2?: string;
  /** Make idmapped bind mounts as runc 1.2 does (`--idmapped-mounts`), the rest as runc 1.1. */
  idmappedMounts?: boolean;
  /** runsc's --file-access (the root's). */
  fileAccess?: string;
  /** Read the file as a containerd mount list (`--mount-list`; without it, recognised by shape). */
  mountList?: boolean;
  /** Where a mount list is mounted (`--target`, default /rootfs). */
  target?: string;
}

/** The bundled examples (examples/bundles/NAME: config.json and bundle.json). */
export function examplesDir(): string {
  // dist/cli/dry-run.js and src/cli/dry-run.ts are both two levels below the package root.
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'bundles');
}

interface LoadedBundle {
  label: string;
  spec: OciSpec;
  /** Where the bundle sits in the sandbox: its host path, or /bundle for an example. */
  bundle: string;
  image: ImageNode;
  images: { at: string; image: ImageNode }[];
  hostPaths: ReturnType<typeof hostBindSources>;
  /**
   * A bundle read from the host, whose paths are host paths; an example's lives in the sandbox
   * only (at /bundle), so no host mount is behind it.
   */
  onHost: boolean;
  /** What reading the host bundle found that the prediction does not follow (host paths through symlinks). */
  hostWarnings: string[];
}

/** An example bundle by its directory (config.json + bundle.json). */
export function loadExample(dir: string): { spec: OciSpec; image: ImageNode } {
  return {
    spec: parseSpec(readFileSync(join(dir, 'config.json'), 'utf8')),
    image: parseImage(JSON.parse(readFileSync(join(dir, 'bundle.json'), 'utf8'))),
  };
}

function load(arg: string | undefined): LoadedBundle {
  const exampleDir = arg === undefined ? join(examplesDir(), 'runc-default') : arg;
  if (existsSync(join(exampleDir, 'bundle.json')) && existsSync(join(exampleDir, 'config.json'))) {
    const { spec, image } = loadExample(exampleDir);
    return { label: arg ?? 'examples/bundles/runc-default (bundled)', spec, bundle: '/bundle', image, images: [], hostPaths: [], onHost: false, hostWarnings: [] };
  }
  const hb = readHostBundle(exampleDir);
  const spec = parseSpec(hb.configText);
  const images = hb.outsideRootfs ? [{ at: hb.outsideRootfs.path, image: hb.outsideRootfs.image }] : [];
  const outside = absoluteBindSources(spec).filter((p) => !(p + '/').startsWith(hb.dir + '/'));
  const rootPath = spec.root?.path ?? 'rootfs';
  const rootfs = rootPath.startsWith('/') ? rootPath : join(hb.dir, rootPath);
  return { label: hb.dir, spec, bundle: hb.dir, image: hb.image, images, hostPaths: hostBindSources(outside), onHost: true, hostWarnings: throughSymlinks([rootfs, ...absoluteBindSources(spec)]) };
}

/** The bundle, or null after saying on `io` why it cannot be read (exit 2). */
function loadOrReport(arg: string | undefined, io: CliIo): LoadedBundle | null {
  try {
    return load(arg);
  } catch (e) {
    if (e instanceof SpecError) {
      io.err(`vfsemu: invalid spec ${arg ?? ''}:\n${e.problems.map((p) => `  ${p.where}: ${p.problem}`).join('\n')}\n`);
      return null;
    }
    if (e instanceof ImageError) {
      io.err(`vfsemu: invalid bundle image: ${e.message}\n`);
      return null;
    }
    const err = e as NodeJS.ErrnoException;
    if (err.code || e instanceof SyntaxError) {
      io.err(`vfsemu: cannot read bundle ${arg}: ${err.code ?? err.message}\n`);
      return null;
    }
    throw e;
  }
}

function summary(p: RuncPrediction, hostNote: string | null, warnings: string[]): string {
  let s = '';
  if (p.failure) {
    const f = p.failure;
    const where = f.mount !== undefined ? ` at mounts[${f.mount}] (${f.destination})` : p.view.length === 0 ? ' before it creates the container' : '';
    s += `runc would fail${where}${f.errno ? ` with ${f.errno}` : ''}:\n  ${f.message}\n`;
  } else s += 'every mount would succeed\n';
  if (hostNote) s += `note: ${hostNote}\n`;
  for (const w of warnings) s += `warning: ${w}\n`;
  return s;
}

/**
 * Directories of the host's cgroup v1 hierarchies that a plan makes (runc's container cgroup,
 * which the plan's host part creates so that runc's binds have a source). On the kernel they are
 * real cgroups, outside any namespace: the ones missing before a native run are removed after it.
 */
function hostCgroupDirs(plan: Plan, steps: readonly string[], host: HostFacts): string[] {
  const under = (p: string): boolean => host.cgroupV1.some((h) => p.startsWith(`${h.mountpoint}/`));
  return plan.ops.flatMap((op, i) => (steps[i] === 'host' && op.op === 'mkdir' && under(op.path) ? [op.path] : []));
}

/**
 * The plan on the kernel (src/host/native.ts), then the cgroups it made on the host removed
 * again, deepest first, whatever happened to the run.
 */
export function runNativeCleaningCgroups(prediction: RuncPrediction, host: HostFacts): Outcome {
  const made = hostCgroupDirs(prediction.plan, prediction.steps, host).filter((d) => !existsSync(d));
  // The policy lets this run make runc's cgroups and mount the host's hierarchies with their own
  // options (src/plan/policy.ts); the journal removes them even after a kill (cgroup-cleanup.ts).
  const policy = { allowCgroupDirs: true, hostCgroupOptions: host.cgroupV1.map((h) => h.options) };
  return withCgroupJournal(made, () => runNativeSync(prediction.plan, policy));
}

/**
 * The prediction against the kernel's run of the same plan. The plan's host part stands for what
 * exists before runc starts; a directory it makes that this host already has (runc's own cgroup
 * in a v1 hierarchy) is EEXIST on the kernel, which says nothing about runc: those are counted,
 * not reported as differences.
 */
export function nativeDifferences(prediction: RuncPrediction, native: Outcome): { diff: string[]; preexisting: number } {
  let preexisting = 0;
  const results = native.results.map((r, i) => {
    const mine = prediction.outcome.results[i];
    const op = prediction.plan.ops[i];
    if (i < prediction.firstRuncOp && op?.op === 'mkdir' && mine?.ok && !r.ok && 'errno' in r && r.errno === 'EEXIST') {
      preexisting++;
      return mine;
    }
    return r;
  });
  const c = compareOutcomes(prediction.plan, prediction.outcome, { ...native, results });
  return { diff: c.equal ? [] : c.diff.split('\n'), preexisting };
}

/** What an assumed host leaves open: the lines that would change with the host. */
const HOST_DEPENDENT =
  'cgroup lines, /dev/core, and the lines of the rootfs and every bind mount (their filesystem, source, super options, flags, root and propagation are those of the host mount the path lives on) depend on the host';

/**
 * The host facts runc's prediction rests on, and the note that says where they came from; a
 * string alone when the facts cannot be had as asked (exit 2).
 */
function hostFactsFor(opts: DryRunOptions): { host: HostFacts; hostNote: string | null } | string {
  if (opts.hostFacts !== undefined) {
    if (opts.native || opts.host) return `--host-facts replays facts recorded elsewhere; --${opts.native ? 'native' : 'host'} reads this machine's (use one or the other)`;
    try {
      const host = hostFactsFromDocument(JSON.parse(readFileSync(opts.hostFacts, 'utf8')));
      return { host, hostNote: `host facts from ${opts.hostFacts}: ${factsSummary(host)}` };
    } catch (e) {
      if (e instanceof HostFactsError || e instanceof SyntaxError) return `invalid host facts ${opts.hostFacts}: ${e.message}`;
      const err = e as NodeJS.ErrnoException;
      if (err.code) return `cannot read host facts ${opts.hostFacts}: ${err.code}`;
      throw e;
    }
  }
  // The kernel --native runs on is this host's: predict for it, or the two would differ by design.
  if (!opts.host && !opts.native) return { host: ASSUMED_HOST, hostNote: `host not read (pass --host to read this machine): assumed a cgroup v2 host whose kernel has /proc/kcore, every host path on one tmpfs (none, mode=755); ${HOST_DEPENDENT}` };
  const read = readHostFacts();
  if (!read) return { host: ASSUMED_HOST, hostNote: `could not read this host (not Linux, or no /proc): assumed a cgroup v2 host, every host path on one tmpfs; ${HOST_DEPENDENT}` };
  return { host: read, hostNote: `host read${opts.host ? '' : ' (--native implies --host)'}: ${factsSummary(read)}` };
}

function factsSummary(f: HostFacts): string {
  return `cgroup ${f.cgroupUnified ? 'v2' : `v1 (${f.cgroupV1.length} hierarchies)`}, /proc/kcore ${f.kcore ? 'present' : 'absent'}`;
}

/** The host mounts a prediction made again, for its note: `ext4 /dev/vda on /, tmpfs hostvol on /srv/vol`. */
function mountsNote(mounts: readonly HostMount[]): string {
  if (!mounts.length) return '';
  return `; the rootfs and bind sources live on ${mounts.map((m) => `${m.fstype} ${m.source}${m.root === '/' ? '' : `[${m.root}]`} on ${m.mountpoint} (${m.options}${m.optional ? ` ${m.optional}` : ''})`).join(', ')}`;
}

function predictRuncFor(b: LoadedBundle, host: HostFacts, idmappedMounts = false): RuncPrediction {
  // An example is not on the host: its bundle sits on the sandbox's root tmpfs, whatever the host.
  const facts = b.onHost ? host : { ...host, mounts: [] };
  return predictRunc(b.spec, { bundle: b.bundle, image: b.image, images: b.images, hostPaths: b.hostPaths, host: facts, emulated: { totalRamPages: hostRamPages() }, idmappedMounts });
}

/** What the kernel could not check of the host mounts the emulator stands in for. */
function standinsNote(standins: readonly HostMount[]): string {
  const which = standins.map((m) => `${m.fstype} ${m.source} on ${m.mountpoint}`).join(', ');
  return `the sandbox mounts no host filesystem (${which}): the kernel ran the plan with a tmpfs for each, with the same flags, root and propagation, so it checked what runc does with those mounts, not the lines' fstype, source or super options, which are the host's as read`;
}

/**
 * The JSON document of a runc prediction (`--format json`), the bundle aside. `host` is every
 * fact the prediction used, the mount table cut to the mounts behind the rootfs and the bind
 * sources: what `--host-facts` takes to predict the same elsewhere.
 */
function runcDocument(host: HostFacts, p: RuncPrediction, hostNote: string | null, warnings: string[]): Record<string, unknown> {
  return {
    host: { ...host, mounts: p.hostMounts },
    plan: p.plan,
    steps: p.steps,
    firstRuncOp: p.firstRuncOp,
    outcome: p.outcome,
    mountinfo: p.view,
    failure: p.failure,
    warnings: hostNote ? [hostNote, ...warnings] : warnings,
  };
}

export function runDryRunCommand(arg: string | undefined, opts: DryRunOptions, io: CliIo): number {
  if (!['tree', 'mountinfo', 'json'].includes(opts.format)) {
    io.err(`vfsemu: unknown --format ${JSON.stringify(opts.format)}; expected tree, mountinfo or json\n`);
    return 2;
  }
  if (opts.mountList || isMountListFile(arg)) return mountListDryRun(arg, opts, io);
  if (opts.target !== undefined) {
    io.err('vfsemu: --target is where a containerd mount list is mounted; an OCI bundle names its own rootfs\n');
    return 2;
  }
  const runtimes = (opts.runtime ?? 'runc').split(',');
  if (!['runc', 'runsc', 'runc,runsc'].includes(runtimes.join(','))) {
    io.err(`vfsemu: unknown --runtime ${JSON.stringify(opts.runtime)}; expected runc, runsc or runc,runsc\n`);
    return 2;
  }
  if (runtimes.includes('runsc')) return runRunscDryRun(arg, opts, runtimes.includes('runc'), io);
  if (opts.overlay2 !== undefined || opts.fileAccess !== undefined) {
    io.err('vfsemu: --overlay2 and --file-access are runsc flags; add --runtime runsc (or runc,runsc)\n');
    return 2;
  }
  const facts = hostFactsFor(opts);
  if (typeof facts === 'string') {
    io.err(`vfsemu: ${facts}\n`);
    return 2;
  }
  const b = loadOrReport(arg, io);
  if (!b) return 2;
  const { host } = facts;
  const prediction = predictRuncFor(b, host, opts.idmappedMounts);
  const hostNote = facts.hostNote && facts.hostNote + mountsNote(prediction.hostMounts);
  const warnings = [...specWarnings(b.spec), ...b.hostWarnings, ...prediction.warnings];
  let native: Outcome | null = null;
  let nativeDiff: string[] = [];
  let preexisting = 0;
  let nativeUnavailable: string | null = null;
  let standins: HostMount[] = [];
  if (opts.native) {
    try {
      // The kernel's sandbox mounts none of the host's own filesystems: the plan it runs has a
      // tmpfs for each the emulator stands in for, and is compared with that plan's prediction.
      const forKernel = forNativeKernel({ ...host, mounts: prediction.hostMounts });
      standins = forKernel.standins;
      const compared = standins.length ? predictRuncFor(b, forKernel.host, opts.idmappedMounts) : prediction;
      native = runNativeCleaningCgroups(compared, host);
      ({ diff: nativeDiff, preexisting } = nativeDifferences(compared, native));
    } catch (e) {
      if (e instanceof BackendUnavailable || e instanceof NativeRunIncomplete) nativeUnavailable = e.message;
      else throw e;
    }
  }
  if (opts.format === 'json') {
    const doc = { bundle: b.label, ...runcDocument(host, prediction, hostNote, warnings), ...(native ? { native, nativeDifferences: nativeDiff, nativePreexisting: preexisting, nativeStandins: standins } : {}), ...(nativeUnavailable ? { nativeUnavailable } : {}) };
    io.out(JSON.stringify(doc, null, 2) + '\n');
  } else {
    // No table at all when runc stops before it makes the container (an empty one would be a claim).
    if (prediction.view.length) io.out(opts.format === 'mountinfo' ? prediction.view.map((l) => `${l}\n`).join('') : formatTree(prediction.view));
    io.err(summary(prediction, hostNote, warnings));
    if (native) {
      if (preexisting) io.err(`native: ${preexisting} director${preexisting === 1 ? 'y' : 'ies'} of the host part already exist here (EEXIST; runc's own cgroups), not counted as differences\n`);
      if (standins.length) io.err(`native: ${standinsNote(standins)}\n`);
      io.err(nativeDiff.length ? `native differs:\n${nativeDiff.map((d) => `  ${d}`).join('\n')}\n` : 'native: the kernel agrees, op for op and line for line\n');
    }
  }
  if (nativeUnavailable) {
    io.err(`vfsemu: --native cannot run here: ${nativeUnavailable}\n`);
    return 3;
  }
  return prediction.failure ? 1 : 0;
}


/**
 * A containerd mount list (dry-run-mounts.ts): the bundle's options do not apply to it, and
 * saying so beats ignoring them.
 */
function mountListDryRun(arg: string | undefined, opts: DryRunOptions, io: CliIo): number {
  if (arg === undefined) {
    io.err('vfsemu: --mount-list needs a FILE (examples/mounts/ has some)\n');
    return 2;
  }
  const bundleOnly = [opts.native && '--native', opts.host && '--host', opts.idmappedMounts && '--idmapped-mounts', opts.hostFacts !== undefined && '--host-facts', opts.runtime !== undefined && opts.runtime !== 'runc' && '--runtime', opts.overlay2 !== undefined && '--overlay2', opts.fileAccess !== undefined && '--file-access'].filter(Boolean);
  if (bundleOnly.length) {
    io.err(`vfsemu: ${bundleOnly.join(', ')}: for an OCI bundle; ${arg} is a containerd mount list, replayed on the emulator only\n`);
    return 2;
  }
  return runMountListDryRun(arg, { format: opts.format, ...(opts.target !== undefined ? { target: opts.target } : {}) }, io);
}

/** runsc's flags from the command line, as runsc would take them; null after saying why not. */
function runscConfigFor(opts: DryRunOptions, io: CliIo): RunscConfig | null {
  try {
    const config: RunscConfig = { ...DEFAULT_CONFIG };
    if (opts.overlay2 !== undefined) config.overlay2 = parseOverlay2(opts.overlay2);
    if (opts.fileAccess !== undefined) config.fileAccess = parseFileAccess(opts.fileAccess);
    return config;
  } catch (e) {
    if (!(e instanceof RunscConfigError)) throw e;
    io.err(`vfsemu: runsc would refuse its flags: ${e.message}\n`);
    return null;
  }
}

/** The verdict of a runsc prediction and what it rests on, for stderr. */
function runscSummary(p: RunscPrediction): string {
  let s = '';
  const f = p.failure;
  if (!f) s += 'every mount would succeed\n';
  else if (f.phase === 'spec') s += `runsc would refuse the spec or its flags:\n  ${f.message}\n`;
  else if (f.phase === 'gofer') s += `runsc's gofer would fail before the sandbox mounts anything${f.errno ? ` with ${f.errno}` : ''}:\n  ${f.message}\n`;
  else {
    const where = f.mount === undefined ? '' : f.mount >= 0 ? ` at mounts[${f.mount}] (${f.destination})` : ` at ${f.destination} (a mount runsc adds)`;
    s += `runsc would fail${where}${f.errno ? ` with ${f.errno}` : ''}:\n  ${f.message}\n`;
  }
  const o = p.config.overlay2;
  s += `note: gVisor ${GVISOR_COMMIT.slice(0, 12)}, runsc --overlay2=${formatOverlay2(o)} --file-access=${p.config.fileAccess}; mount ids and devices are gVisor's numbering for a sandbox's first container\n`;
  if (p.readOnlySwitched.length) s += `note: read-write while the submounts were set up, read-only again at the end: ${p.readOnlySwitched.join(', ')}\n`;
  if (p.synthetic.length) s += `note: synthetic mount points (in the Sentry's memory only, never on the host): ${p.synthetic.join(', ')}\n`;
  for (const c of p.hostChanges) s += `note: runsc would create ${c.what === 'file' ? 'the file' : 'the directory'} ${c.path} on the host (the dry-run does not): ${c.why}\n`;
  for (const w of p.warnings) s += `warning: ${w}\n`;
  return s;
}

/** The JSON document of a runsc prediction, the bundle aside. */
function runscDocument(p: RunscPrediction): Record<string, unknown> {
  return {
    runtime: 'runsc',
    gvisor: GVISOR_COMMIT,
    config: { overlay2: formatOverlay2(p.config.overlay2), fileAccess: p.config.fileAccess, fileAccessMounts: p.config.fileAccessMounts, directfs: p.config.directfs },
    plan: p.plan,
    steps: p.steps,
    firstRunscOp: p.firstRunscOp,
    sentry: p.sentry,
    mountinfo: p.view,
    failure: p.failure,
    readOnlySwitched: p.readOnlySwitched,
    synthetic: p.synthetic,
    hostChanges: p.hostChanges,
    warnings: p.warnings,
  };
}

/** A table in the chosen text format, or a line saying there is none. */
function table(view: readonly string[], format: string, none: string): string {
  if (!view.length) return `(${none})\n`;
  return format === 'mountinfo' ? view.map((l) => `${l}\n`).join('') : formatTree(view);
}

/**
 * `--runtime runsc` and `--runtime runc,runsc`: runsc's prediction alone, or both with what
 * differs. Exit 0 when every runtime asked would succeed, 1 when one would fail.
 */
function runRunscDryRun(arg: string | undefined, opts: DryRunOptions, withRunc: boolean, io: CliIo): number {
  if (opts.native) {
    io.err('vfsemu: --native applies runc\'s plan to this kernel; runsc has no such plan (its mounts are the Sentry\'s own)\n');
    return 2;
  }
  const config = runscConfigFor(opts, io);
  if (!config) return 2;
  const b = loadOrReport(arg, io);
  if (!b) return 2;
  const runsc = predictRunsc(b.spec, { bundle: b.bundle, image: b.image, images: b.images, hostPaths: b.hostPaths, config, emulated: { totalRamPages: hostRamPages() }, goferServer: treeExportGofer });
  if (!withRunc) {
    if (opts.format === 'json') io.out(JSON.stringify({ bundle: b.label, ...runscDocument(runsc) }, null, 2) + '\n');
    else {
      // As for runc: no table when runsc stops before the container's root exists.
      if (runsc.view.length) io.out(table(runsc.view, opts.format, ''));
      io.err(runscSummary(runsc));
      if (opts.host || opts.hostFacts !== undefined) io.err("note: --host and --host-facts change nothing for runsc: its cgroups and /proc are the Sentry's own\n");
    }
    return runsc.failure ? 1 : 0;
  }
  const facts = hostFactsFor(opts);
  if (typeof facts === 'string') {
    io.err(`vfsemu: ${facts}\n`);
    return 2;
  }
  const { host } = facts;
  const runc = predictRuncFor(b, host, opts.idmappedMounts);
  const hostNote = facts.hostNote && facts.hostNote + mountsNote(runc.hostMounts);
  const runcWarnings = [...specWarnings(b.spec), ...b.hostWarnings, ...runc.warnings];
  const differences = compareRuntimes(b.spec, runc, runsc);
  if (opts.format === 'json') {
    io.out(JSON.stringify({ bundle: b.label, runc: runcDocument(host, runc, hostNote, runcWarnings), runsc: runscDocument(runsc), differences }, null, 2) + '\n');
  } else {
    const noRunc = runc.failure ? 'no container: runc fails before it makes one' : 'no mounts';
    const noRunsc = runsc.failure ? 'no container: runsc fails before the root is mounted' : 'no mounts';
    // Both with the container's mount points: a runc that stopped before its pivot shows the
    // mounts it made under the rootfs, seen from there.
    const runcView = runcContainerView(runc);
    if (opts.format === 'tree') io.out(sideBySide(table(runcView, 'tree', noRunc), table(runsc.view, 'tree', noRunsc), 'runc', 'runsc'));
    else io.out(`== runc ==\n${table(runcView, 'mountinfo', noRunc)}== runsc ==\n${table(runsc.view, 'mountinfo', noRunsc)}`);
    io.out(formatDifferences(differences));
    io.err(`runc: ${summary(runc, hostNote, runcWarnings)}runsc: ${runscSummary(runsc)}`);
  }
  return runc.failure || runsc.failure ? 1 : 0;
}

/** The differences, one paragraph each: where, what each runtime has, why. */
export function formatDifferences(diffs: readonly Difference[]): string {
  if (!diffs.length) return '\nno differences\n';
  let s = '\nwhat differs and why:\n';
  for (const d of diffs) s += `  ${d.path}: runc ${d.runc}; runsc ${d.runsc}\n    ${d.why}\n`;
  return s;
}
