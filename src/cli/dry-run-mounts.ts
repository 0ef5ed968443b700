/**
 * `vfsemu dry-run FILE` when FILE is a containerd mount list (`--mount-list`, or recognised by
 * its shape): what containerd's mount.All would do with it on `--target` (default /rootfs), call
 * by call (src/boot/containerd), the mount table it would leave, and then what the unmount
 * containerd pairs with it would do.
 *
 * Accepted: the JSON a snapshotter's mounts are printed as — `ctr snapshots prepare --mounts` and
 * `ctr snapshots view --mounts` print the Go struct (`[{"Type", "Source", "Target", "Options"}]`),
 * the snapshots API's MountsResponse in protobuf JSON is `{"mounts": [{"type", …}]}`; a bare
 * array with lower-case names is taken too (src/boot/containerd/mount-list.ts reads all three).
 * `ctr snapshots mounts` itself prints `mount -t …` shell lines, which are not read.
 *
 * The list is replayed on a fresh emulated machine in which its sources exist as stand-ins, made
 * empty: a directory for each overlay lowerdir/upperdir/workdir and each bind source, a small
 * vfsemu image (a fresh filesystem: lost+found only) for a `loop` mount's source, /dev's loop
 * nodes. So the calls, their order, errnos and the table are containerd's and the kernel's; the
 * snapshot's contents are not there, and the output says so.
 *
 * Exit codes, as for an OCI bundle: 0 every call succeeds, 1 a mount (or the unmount) fails —
 * with containerd's error text — 2 a list that is not one (its JSON path named), an unreadable
 * file, or an option that does not apply.
 */
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { fuseHelperFor } from '../boot/containerd/fuse-helper.js';
import { mountAll, type MountAllResult } from '../boot/containerd/mount-all.js';
import { looksLikeMountList, MountListError, parseMountList, type ContainerdMount } from '../boot/containerd/mount-list.js';
import { ContainerdError, StepLog, type ContainerdStep } from '../boot/containerd/steps.js';
import { unmountAll, unmountMounts, type UnmountResult } from '../boot/containerd/unmount.js';
import { MS, parseMountOptions } from '../boot/mount-options.js';
import { clean, dir } from '../boot/paths.js';
import { mkdirAll, writeFile } from '../boot/tar/task-fs.js';
import { newKernel } from '../plan/machine.js';
import { SysError } from '../vfs/errno.js';
import { makedev, S_IFBLK, S_IFCHR } from '../vfs/inode.js';
import type { Process } from '../vfs/process.js';
import { Sandbox } from '../vfs/sandbox.js';
import { formatTree } from './mount-table.js';
import type { CliIo } from './plan-run.js';

/** Where containerd mounts a snapshot unless told otherwise (the bundle's rootfs). */
export const DEFAULT_TARGET = '/rootfs';

/** A mount list is a few kilobytes; more than this is not one (and is not read into memory). */
const MAX_LIST_BYTES = 16 * 1024 * 1024;

export interface MountListDryRunOptions {
  format: string;
  /** mount.All's target (`--target`). */
  target?: string;
}

/** A source the dry-run made so that the list's mounts have something to mount. */
export interface Standin {
  path: string;
  kind: 'directory' | 'loop image';
  /** Which mount and field needs it: `$[0] lowerdir`, `$[1] bind source`. */
  for: string;
}

/** What a fresh filesystem holds (as mkfs leaves one): the loop stand-in's image. */
const STANDIN_IMAGE = JSON.stringify([0, { mode: 0o755 }, { 'lost+found': [0, { mode: 0o700 }, {}] }]);

/** A file's text through one descriptor, at most MAX_LIST_BYTES (a FIFO or /dev/zero included). */
function readBounded(file: string): string {
  const fd = openSync(file, 'r');
  try {
    if (fstatSync(fd).isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const b = Buffer.allocUnsafe(Math.min(1 << 20, MAX_LIST_BYTES + 1 - total));
      const n = readSync(fd, b, 0, b.length, null);
      if (n === 0) break;
      chunks.push(b.subarray(0, n));
      total += n;
      if (total > MAX_LIST_BYTES) throw new MountListError('$', `too large: more than ${MAX_LIST_BYTES} bytes`);
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * Whether `arg` names a regular file whose JSON has a mount list's shape (looksLikeMountList):
 * how `dry-run` tells a mount list from a bundle's config.json without `--mount-list`.
 */
export function isMountListFile(arg: string | undefined): boolean {
  if (arg === undefined) return false;
  try {
    const st = statSync(arg);
    if (!st.isFile() || st.size > MAX_LIST_BYTES) return false;
    return looksLikeMountList(JSON.parse(readBounded(arg)));
  } catch {
    // Unreadable or not JSON: not recognised; the bundle reader reports it in its own words.
    return false;
  }
}

/** The overlay layers of a data string: lowerdir's entries (`\:` escapes a colon), upperdir, workdir. */
function overlayDirs(data: string): { field: string; path: string }[] {
  const out: { field: string; path: string }[] = [];
  for (const word of data.split(',')) {
    const eq = word.indexOf('=');
    if (eq < 0) continue;
    const key = word.slice(0, eq);
    const value = word.slice(eq + 1);
    if (key === 'lowerdir') {
      for (const l of value.split(/(?<!\\):/)) if (l !== '') out.push({ field: key, path: l.replace(/\\:/g, ':') });
    } else if (key === 'upperdir' || key === 'workdir') out.push({ field: key, path: value });
  }
  return out;
}

/**
 * The stand-ins a list needs, each path once (the first mount naming it says what it is for).
 * A FUSE helper's mount has none: vfsemu does not run the daemon that would read them.
 */
export function standinsFor(mounts: readonly ContainerdMount[], base = '$'): Standin[] {
  const seen = new Map<string, Standin>();
  const add = (path: string, kind: Standin['kind'], why: string): void => {
    if (path === '') return;
    const abs = clean(path.startsWith('/') ? path : `/${path}`);
    if (!seen.has(abs)) seen.set(abs, { path: abs, kind, for: why });
  };
  mounts.forEach((m, i) => {
    if (fuseHelperFor(m.type)) return;
    const at = `${base}[${i}]`;
    const opt = parseMountOptions(m.options, 'containerd');
    if (opt.loop) add(m.source, 'loop image', `${at} loop source`);
    else if (opt.flags & MS.BIND) add(m.source, 'directory', `${at} bind source`);
    if (m.type === 'overlay') for (const d of overlayDirs(opt.data)) add(d.path, 'directory', `${at} ${d.field}`);
  });
  return [...seen.values()];
}

/**
 * A fresh machine for the replay: /dev with /dev/loop-control and /dev/loop0..7 (as udev makes
 * them), the target directory, and the stand-ins. One that cannot be made (a path through a file
 * another stand-in made) is left out; the mount needing it then fails as it would.
 */
function worldFor(standins: readonly Standin[], target: string): { p: Process; made: Standin[] } {
  const p = new Sandbox(newKernel()).process;
  p.mkdir('/dev', 0o755);
  p.mknod('/dev/loop-control', S_IFCHR | 0o600, makedev(10, 237));
  for (let n = 0; n < 8; n++) p.mknod(`/dev/loop${n}`, S_IFBLK | 0o660, makedev(7, n));
  const made: Standin[] = [];
  for (const s of standins) {
    try {
      if (s.kind === 'directory') mkdirAll(p, s.path, 0o755);
      else {
        mkdirAll(p, dir(s.path), 0o755);
        writeFile(p, s.path, new TextEncoder().encode(STANDIN_IMAGE), 0o644);
      }
      made.push(s);
    } catch (e) {
      if (!(e instanceof SysError)) throw e;
    }
  }
  mkdirAll(p, target, 0o755);
  return { p, made };
}

/** The mountinfo lines at or under `target` (field 5, octal escapes undone). */
function tableUnder(p: Process, target: string): string[] {
  return p
    .mountinfo()
    .split('\n')
    .filter((l) => {
      if (!l) return false;
      const mp = l.split(' ')[4]!.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
      return target === '/' || mp === target || mp.startsWith(`${target}/`);
    });
}

/** One step as a line: strace's `= value` / `= -1 ERRNO` for a call, `→ …` for a helper program. */
export function formatStep(s: ContainerdStep): string {
  const syscall = /^[a-z_0-9]+\(/.test(s.call);
  const times = s.attempts ? ` (${s.attempts} attempts)` : '';
  let r: string;
  if (s.result === 'unmodelled') r = ' → not run (unmodelled)';
  else if (s.result === 'OK') r = syscall ? ` = ${s.value ?? 0}` : ' → exit 0';
  else r = syscall ? ` = -1 ${s.result}${times}` : ` → ${s.result}${times}`;
  return `${s.call}${r}`;
}

/** The steps under the upstream function making each run of them, notes as `#` lines. */
export function formatSteps(steps: readonly ContainerdStep[]): string {
  let out = '';
  let by = '';
  for (const s of steps) {
    if (s.by !== by) out += `  ${(by = s.by)}\n`;
    out += `    ${formatStep(s)}\n`;
    if (s.note) out += `      # ${s.note}\n`;
  }
  return out || '  (no calls)\n';
}

/** The replay of one list: mount.All, the table, the unmount containerd pairs with it. */
export interface MountListDryRun {
  target: string;
  mounts: ContainerdMount[];
  standins: Standin[];
  mountAll: MountAllResult;
  mountinfo: string[];
  /** UnmountAll(target) for a list mounted at the target alone; UnmountMounts for one with targets. */
  unmount: UnmountResult & { call: string };
}

/**
 * Replays `mounts` at `target` on a fresh machine with stand-in sources.
 *
 * @example
 * ```ts
 * const r = dryRunMountList([{ type: 'bind', source: '/snap/fs', target: '', options: ['rbind', 'ro'] }], '/rootfs');
 * r.mountAll.steps.map(formatStep); // ['mount("/snap/fs", "/rootfs", "bind", 20481, "") = 0', 'mount("", "/rootfs", "", 20513, "") = 0']
 * ```
 */
export function dryRunMountList(mounts: ContainerdMount[], target: string, base = '$'): MountListDryRun {
  const { p, made } = worldFor(standinsFor(mounts, base), target);
  const all = mountAll(p, mounts, target);
  const mountinfo = tableUnder(p, target);
  // core/mount/mount.go: UnmountMounts undoes a list whose mounts have targets, last first;
  // a snapshot's single mount on the target is what UnmountAll(target, 0) is called for.
  const nested = mounts.some((m) => m.target !== '');
  let unmount: MountListDryRun['unmount'];
  if (nested) unmount = { call: `UnmountMounts(mounts, ${JSON.stringify(target)}, 0)`, ...unmountMounts(p, mounts, target) };
  else {
    const log = new StepLog();
    let error: UnmountResult['error'] = null;
    try {
      unmountAll(p, log, target);
    } catch (e) {
      if (!(e instanceof ContainerdError)) throw e;
      error = { message: e.message, ...(e.errno ? { errno: e.errno } : {}) };
    }
    unmount = { call: `UnmountAll(${JSON.stringify(target)}, 0)`, steps: log.steps, error };
  }
  return { target, mounts, standins: made, mountAll: all, mountinfo, unmount };
}

/** The stand-ins as note lines for stderr. */
function standinsNote(standins: readonly Standin[]): string {
  if (!standins.length) return '';
  const w = Math.max(...standins.map((s) => s.path.length));
  let s = 'note: the sources are stand-ins the dry-run made, empty (the calls and the table are what containerd and the kernel would do; the contents are not the snapshot\'s):\n';
  for (const x of standins) s += `  ${x.path.padEnd(w)}  ${x.kind === 'directory' ? 'directory' : 'loop image: a vfsemu image holding lost+found only'} (${x.for})\n`;
  return s;
}

/** The verdict and notes for stderr. */
function summary(r: MountListDryRun): string {
  let s = '';
  const f = r.mountAll.failure;
  if (f) {
    const m = r.mounts[f.mount]!;
    s += `containerd would fail at mounts[${f.mount}] (${m.type}${m.target ? ` on ${m.target}` : ''})${f.errno ? ` with ${f.errno}` : ''}:\n  ${f.message}\n`;
    // A target is a directory inside what the mounts before it put there; empty stand-ins have none.
    if (m.target && f.errno === 'ENOENT' && r.standins.length) s += `note: ${JSON.stringify(m.target)} is looked for inside the mounts before it, whose sources here are empty stand-ins: the snapshot's contents may have it\n`;
  } else {
    const unmodelled = r.mountAll.steps.filter((x) => x.result === 'unmodelled').length;
    s += unmodelled ? `mount.All would return no error; ${unmodelled} step${unmodelled === 1 ? '' : 's'} not run (unmodelled), whose mount is missing from the table\n` : 'every mount would succeed\n';
  }
  const u = r.unmount.error;
  if (u) s += `containerd's ${r.unmount.call.slice(0, r.unmount.call.indexOf('('))} would fail${u.errno ? ` with ${u.errno}` : ''}:\n  ${u.message}\n`;
  return s + standinsNote(r.standins);
}

/** `--target`: an absolute path, taken as path.Clean takes it; null when it is not one. */
function targetOf(t: string | undefined): string | null {
  if (t === undefined) return DEFAULT_TARGET;
  if (!t.startsWith('/') || t.includes('\0')) return null;
  return clean(t);
}

/**
 * The command: read and check the list, replay it, print. `io.out` gets the steps and the table
 * (or the JSON document), `io.err` the verdict and notes.
 */
export function runMountListDryRun(file: string, opts: MountListDryRunOptions, io: CliIo): number {
  const target = targetOf(opts.target);
  if (target === null) {
    io.err(`vfsemu: --target: expected an absolute path, got ${JSON.stringify(opts.target)}\n`);
    return 2;
  }
  let mounts: ContainerdMount[];
  let base = '$';
  try {
    const doc: unknown = JSON.parse(readBounded(file));
    mounts = parseMountList(doc);
    if (typeof doc === 'object' && doc !== null && !Array.isArray(doc)) base = '$.mounts';
  } catch (e) {
    if (e instanceof MountListError) {
      io.err(`vfsemu: invalid mount list ${file}:\n  ${e.where}: ${e.message.slice(e.where.length + 2)}\n`);
      return 2;
    }
    if (e instanceof SyntaxError) {
      io.err(`vfsemu: invalid mount list ${file}: not JSON: ${e.message}\n`);
      return 2;
    }
    const code = (e as NodeJS.ErrnoException).code;
    if (code) {
      io.err(`vfsemu: cannot read mount list ${file}: ${code}\n`);
      return 2;
    }
    throw e;
  }
  const r = dryRunMountList(mounts, target, base);
  if (opts.format === 'json') {
    const doc = { mountList: file, target, mounts, standins: r.standins, mountAll: r.mountAll, mountinfo: r.mountinfo, unmount: r.unmount };
    io.out(JSON.stringify(doc, null, 2) + '\n');
  } else {
    let out = `mount.All(mounts, ${JSON.stringify(target)}):\n${formatSteps(r.mountAll.steps)}\n`;
    if (!r.mountinfo.length) out += `(nothing mounted at ${target})\n`;
    else out += opts.format === 'mountinfo' ? r.mountinfo.map((l) => `${l}\n`).join('') : formatTree(r.mountinfo);
    out += `\nthen ${r.unmount.call}:\n${formatSteps(r.unmount.steps)}`;
    io.out(out);
    io.err(summary(r));
  }
  return r.mountAll.failure || r.unmount.error ? 1 : 0;
}
