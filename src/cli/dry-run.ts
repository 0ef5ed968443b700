/**
 * `vfsemu dry-run [BUNDLE_DIR|config.json] [--format tree|mountinfo|json] [--native] [--host]`:
 * what runc would mount for an OCI bundle, predicted on the emulator (src/boot/runc-profile.ts).
 *
 * Without an argument it runs the bundled example (examples/bundles/runc-default: `runc spec`'s
 * config with a small rootfs image), so it needs no host files. A host bundle is read through
 * node:fs (src/host/bundle.ts) and nothing is written. `--host` reads this machine's cgroup
 * setup and /proc (src/host/host-facts.ts); without it an assumed cgroup v2 host stands in and
 * the output says so. `--native` (which implies `--host`: the kernel it runs on is this host's)
 * also applies the plan to the kernel through the native backend and prints the differences.
 * Exit codes: 0 every mount would succeed, 1 one would fail (the output says which, with runc's
 * words), 2 an invalid spec or unreadable bundle, 3 `--native` cannot run here (one line why,
 * after the prediction).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ASSUMED_HOST, type HostFacts } from '../boot/host-facts.js';
import { ImageError, parseImage, type ImageNode } from '../boot/rootfs-image.js';
import { absoluteBindSources, predictRunc, type RuncPrediction } from '../boot/runc-profile.js';
import { parseSpec, SpecError, specWarnings, type OciSpec } from '../boot/spec.js';
import { hostBindSources, readHostBundle } from '../host/bundle.js';
import { withCgroupJournal } from '../host/cgroup-cleanup.js';
import { readHostFacts } from '../host/host-facts.js';
import { NativeRunIncomplete, runNativeSync } from '../host/native.js';
import { compareOutcomes } from '../plan/compare.js';
import { BackendUnavailable, type Outcome } from '../plan/outcome.js';
import type { Plan } from '../plan/plan.js';
import { hostRamPages, type CliIo } from './plan-run.js';

export interface DryRunOptions {
  format: string;
  native: boolean;
  host: boolean;
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
    return { label: arg ?? 'examples/bundles/runc-default (bundled)', spec, bundle: '/bundle', image, images: [], hostPaths: [] };
  }
  const hb = readHostBundle(exampleDir);
  const spec = parseSpec(hb.configText);
  const images = hb.outsideRootfs ? [{ at: hb.outsideRootfs.path, image: hb.outsideRootfs.image }] : [];
  const outside = absoluteBindSources(spec).filter((p) => !(p + '/').startsWith(hb.dir + '/'));
  return { label: hb.dir, spec, bundle: hb.dir, image: hb.image, images, hostPaths: hostBindSources(outside) };
}

/** findmnt's tree: target (indented under its parent), source, fstype, options. */
export function formatTree(mountinfo: readonly string[]): string {
  type Row = { id: string; parent: string; target: string; source: string; fstype: string; options: string };
  const rows: Row[] = mountinfo.map((l) => {
    const f = l.split(' ');
    const sep = f.indexOf('-');
    const root = f[3]!;
    const dev = f[sep + 2]!;
    const source = root === '/' ? dev : `${dev}[${root}]`;
    const superOpts = f[sep + 3]!.split(',').filter((o) => o !== 'rw' && o !== 'ro');
    return { id: f[0]!, parent: f[1]!, target: f[4]!, source, fstype: f[sep + 1]!, options: [f[5]!, ...superOpts].join(',') };
  });
  const ids = new Set(rows.map((r) => r.id));
  const lines: [string, Row][] = [];
  const walk = (parent: string, prefix: string): void => {
    const kids = rows.filter((r) => r.parent === parent && r.id !== parent);
    kids.forEach((r, i) => {
      const last = i === kids.length - 1;
      lines.push([`${prefix}${last ? '└─' : '├─'}${r.target}`, r]);
      walk(r.id, prefix + (last ? '  ' : '│ '));
    });
  };
  for (const top of rows.filter((r) => !ids.has(r.parent) || r.parent === r.id)) {
    lines.push([top.target, top]);
    walk(top.id, '');
  }
  const w = Math.max(6, ...lines.map(([t]) => t.length));
  const ws = Math.max(6, ...lines.map(([, r]) => r.source.length));
  const wf = Math.max(6, ...lines.map(([, r]) => r.fstype.length));
  let out = `${'TARGET'.padEnd(w)} ${'SOURCE'.padEnd(ws)} ${'FSTYPE'.padEnd(wf)} OPTIONS\n`;
  for (const [t, r] of lines) out += `${t.padEnd(w)} ${r.source.padEnd(ws)} ${r.fstype.padEnd(wf)} ${r.options}\n`;
  return out;
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

export function runDryRunCommand(arg: string | undefined, opts: DryRunOptions, io: CliIo): number {
  if (!['tree', 'mountinfo', 'json'].includes(opts.format)) {
    io.err(`vfsemu: unknown --format ${JSON.stringify(opts.format)}; expected tree, mountinfo or json\n`);
    return 2;
  }
  let b: LoadedBundle;
  try {
    b = load(arg);
  } catch (e) {
    if (e instanceof SpecError) {
      io.err(`vfsemu: invalid spec ${arg ?? ''}:\n${e.problems.map((p) => `  ${p.where}: ${p.problem}`).join('\n')}\n`);
      return 2;
    }
    if (e instanceof ImageError) {
      io.err(`vfsemu: invalid bundle image: ${e.message}\n`);
      return 2;
    }
    const err = e as NodeJS.ErrnoException;
    if (err.code || e instanceof SyntaxError) {
      io.err(`vfsemu: cannot read bundle ${arg}: ${err.code ?? err.message}\n`);
      return 2;
    }
    throw e;
  }
  let host: HostFacts = ASSUMED_HOST;
  let hostNote: string | null = 'host not read (pass --host to read this machine): assumed a cgroup v2 host whose kernel has /proc/kcore; cgroup lines depend on the host';
  // The kernel --native runs on is this host's: predict for it, or the two would differ by design.
  if (opts.host || opts.native) {
    const read = readHostFacts();
    if (read) {
      host = read;
      hostNote = `host read${opts.host ? '' : ' (--native implies --host)'}: cgroup ${read.cgroupUnified ? 'v2' : `v1 (${read.cgroupV1.length} hierarchies)`}, /proc/kcore ${read.kcore ? 'present' : 'absent'}`;
    } else hostNote = 'could not read this host (not Linux, or no /proc): assumed a cgroup v2 host';
  }
  const prediction = predictRunc(b.spec, {
    bundle: b.bundle,
    image: b.image,
    images: b.images,
    hostPaths: b.hostPaths,
    host,
    emulated: { totalRamPages: hostRamPages() },
  });
  const warnings = [...specWarnings(b.spec), ...prediction.warnings];
  let native: Outcome | null = null;
  let nativeDiff: string[] = [];
  let preexisting = 0;
  let nativeUnavailable: string | null = null;
  if (opts.native) {
    try {
      native = runNativeCleaningCgroups(prediction, host);
      ({ diff: nativeDiff, preexisting } = nativeDifferences(prediction, native));
    } catch (e) {
      if (e instanceof BackendUnavailable || e instanceof NativeRunIncomplete) nativeUnavailable = e.message;
      else throw e;
    }
  }
  if (opts.format === 'json') {
    io.out(
      JSON.stringify(
        {
          bundle: b.label,
          host: { source: host.source, cgroupUnified: host.cgroupUnified },
          plan: prediction.plan,
          steps: prediction.steps,
          firstRuncOp: prediction.firstRuncOp,
          outcome: prediction.outcome,
          mountinfo: prediction.view,
          failure: prediction.failure,
          warnings: hostNote ? [hostNote, ...warnings] : warnings,
          ...(native ? { native, nativeDifferences: nativeDiff, nativePreexisting: preexisting } : {}),
          ...(nativeUnavailable ? { nativeUnavailable } : {}),
        },
        null,
        2,
      ) + '\n',
    );
  } else {
    // No table at all when runc stops before it makes the container (an empty one would be a claim).
    if (prediction.view.length) io.out(opts.format === 'mountinfo' ? prediction.view.map((l) => `${l}\n`).join('') : formatTree(prediction.view));
    io.err(summary(prediction, hostNote, warnings));
    if (native) {
      if (preexisting) io.err(`native: ${preexisting} director${preexisting === 1 ? 'y' : 'ies'} of the host part already exist here (EEXIST; runc's own cgroups), not counted as differences\n`);
      io.err(nativeDiff.length ? `native differs:\n${nativeDiff.map((d) => `  ${d}`).join('\n')}\n` : 'native: the kernel agrees, op for op and line for line\n');
    }
  }
  if (nativeUnavailable) {
    io.err(`vfsemu: --native cannot run here: ${nativeUnavailable}\n`);
    return 3;
  }
  return prediction.failure ? 1 : 0;
}
