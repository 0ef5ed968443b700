#!/usr/bin/env node
/**
 * The runc oracle: runs each example bundle (examples/bundles/NAME) with the real runc and keeps
 * what the container sees in /proc/self/mountinfo, as test data for the dry-run.
 *
 *     node test/boot/record-runc.mjs [NAME...]        # needs root and runc; writes test/boot/runc/
 *
 * For each bundle it writes test/boot/runc/NAME.mountinfo (runc's container's mount table) or,
 * when runc fails, NAME.error (runc's message, normalised). How a bundle runs:
 *
 * - The process re-executes itself under `unshare -m --propagation private`; that child mounts a
 *   fresh tmpfs (`mount -t tmpfs -o mode=755 none DIR`, the sandbox root of docs/plan-format.md) on a
 *   mkdtemp directory and materialises the bundle there as DIR/bundle: bundle.json's tree (modes
 *   as given; `hostCopy` files, busybox, copied from the host) and the recording spec. So the
 *   container's root is `/bundle/rootfs` of a tmpfs `none`, as in the emulator's sandbox, and
 *   nothing is left on the host when the child's namespace goes.
 * - An example may name host mounts in `host-mounts.json` (`hostMounts`): tmpfs mounts the host
 *   has under the bundle, made in the child's namespace before the bundle's tree is written into
 *   them (read-only and propagation after it), as the prediction's host part makes them
 *   (src/boot/host-mounts.ts). They go with the namespace, like the rest. The child's mount
 *   table as runc is about to see it comes back with the result; NAME.host-mounts keeps its lines
 *   at and under the mkdtemp directory, renamed RECORDING_TOP, for the recorded comparison.
 * - The recording spec (`recordingSpec`) is the bundle's with its process replaced by
 *   `cat /proc/self/mountinfo` (its `terminal` kept), and its cgroupsPath by /vfsemu-rec-NAME:
 *   one level, which runc removes again when the container goes (runc leaves the parents of a
 *   deeper path behind on the host), and no dependence on runc's own cgroup for cgroup v1 root
 *   fields.
 * - `runc --root DIR/state run --bundle DIR/bundle vfsemu-rec-NAME`, stdout kept. A spec with
 *   `process.terminal` makes runc bind a pseudo-terminal over /dev/console, and runc then wants
 *   its own stdin to be a terminal: it runs under script(1), its stderr to a file (so that its
 *   log keeps the plain `msg="…"` form), and what the terminal adds (carriage returns, the echo
 *   `^@`) is dropped.
 *
 * `normaliseRecording` is what the reproducibility test compares: mount ids, parent ids and
 * device numbers become tokens by first appearance (they change from run to run).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { chmodSync, chownSync, copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const EXAMPLES = join(here, '..', '..', 'examples', 'bundles');
export const RECORDINGS = join(here, 'runc');
/** The mkdtemp directory's name in NAME.host-mounts (and the bundle's path there: RECORDING_TOP/bundle). */
export const RECORDING_TOP = '/tmp/vfsemu-runc.REC';

/**
 * An example's host mounts (examples/bundles/NAME/host-mounts.json), or []: each
 * `{ path, source, data, flags?, readonly?, propagation? }`, `path` relative to the bundle,
 * `flags` the per-mount ones (nosuid, nodev, noexec, noatime, …), `readonly` `"super"` (a
 * remount: the filesystem and the mount) or `"mount"` (a bind remount: the mount only),
 * `propagation` `"shared"`.
 */
export function hostMounts(name) {
  const f = join(EXAMPLES, name, 'host-mounts.json');
  return existsSync(f) ? JSON.parse(readFileSync(f, 'utf8')) : [];
}

/** The bundle's spec as the recording runs it (`terminal` as the spec says, unless overridden). */
export function recordingSpec(spec, name, { terminal = spec.process?.terminal === true } = {}) {
  const s = structuredClone(spec);
  s.process = {
    ...(s.process ?? {}),
    terminal,
    args: ['cat', '/proc/self/mountinfo'],
    cwd: '/',
    env: ['PATH=/bin:/usr/bin:/sbin:/usr/sbin'],
    user: { uid: 0, gid: 0 },
  };
  s.linux = { ...(s.linux ?? {}), cgroupsPath: `/vfsemu-rec-${name}` };
  return s;
}

/** Writes an image node (src/boot/rootfs-image.ts) at `path`; `hostCopy` files come from the host. */
export function materialise(node, path) {
  const [type, meta] = node;
  if (type === 0) {
    mkdirSync(path, { recursive: true });
    for (const [name, child] of Object.entries(node[2])) materialise(child, join(path, name));
    chmodSync(path, meta.mode ?? 0o755);
  } else if (type === 1) {
    if (meta.hostCopy) copyFileSync(meta.hostCopy, path);
    else writeFileSync(path, node[2].startsWith('data:') ? Buffer.from(node[2].replace(/^data:[^,]*;base64,/, ''), 'base64') : node[2]);
    chmodSync(path, meta.mode ?? 0o644);
  } else {
    symlinkSync(meta.target, path);
  }
  if ((meta.uid || meta.gid) && type !== 2) chownSync(path, meta.uid ?? 0, meta.gid ?? 0);
}

/** runc's error without what changes between runs (time stamp, procfd numbers). */
export function normaliseError(stderr) {
  const m = /msg="(.*)"\s*$/m.exec(stderr);
  const msg = (m ? m[1] : stderr.trim()).replace(/\\"/g, '"');
  // The bundle sits in a mkdtemp directory of the recording; the prediction's is /bundle.
  return msg.replace(/\/proc\/self\/fd\/[0-9]+/g, '/proc/self/fd/N').replace(/\/tmp\/vfsemu-runc\.[A-Za-z0-9]+\/bundle/g, '/bundle') + '\n';
}

/** Mount ids, device numbers and peer-group numbers as tokens by first appearance. */
export function normaliseRecording(text) {
  const ids = new Map();
  const devs = new Map();
  const groups = new Map();
  const id = (x) => (ids.has(x) ? ids.get(x) : (ids.set(x, `M${ids.size + 1}`), ids.get(x)));
  const dev = (x) => (devs.has(x) ? devs.get(x) : (devs.set(x, `D${devs.size + 1}`), devs.get(x)));
  const group = (x) => (groups.has(x) ? groups.get(x) : (groups.set(x, `P${groups.size + 1}`), groups.get(x)));
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const f = l.split(' ');
      f[0] = id(f[0]);
      f[1] = id(f[1]);
      f[2] = dev(f[2]);
      for (let i = 6; i < f.length && f[i] !== '-'; i++) f[i] = f[i].replace(/^(shared|master|propagate_from):(\d+)$/, (_, kind, n) => `${kind}:${group(n)}`);
      return f.join(' ');
    });
}

/** Inside the private namespace: one bundle, run by runc; prints a JSON result on stdout. */
function inner(name, overrides) {
  const top = mkdtempSync('/tmp/vfsemu-runc.');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'mode=755', 'none', top]);
    const bundle = join(top, 'bundle');
    const dir = join(EXAMPLES, name);
    const mounts = hostMounts(name);
    for (const m of mounts) {
      const at = join(bundle, m.path);
      mkdirSync(at, { recursive: true });
      execFileSync('mount', ['-t', 'tmpfs', '-o', [m.data, ...(m.flags ?? [])].filter(Boolean).join(','), m.source, at]);
    }
    materialise(JSON.parse(readFileSync(join(dir, 'bundle.json'), 'utf8')), bundle);
    for (const m of mounts) {
      const at = join(bundle, m.path);
      if (m.readonly) execFileSync('mount', ['-o', ['remount', ...(m.readonly === 'mount' ? ['bind'] : []), 'ro', ...(m.flags ?? [])].join(','), at]);
      if (m.propagation) execFileSync('mount', [`--make-${m.propagation}`, at]);
    }
    const hostMountinfo = readFileSync('/proc/self/mountinfo', 'utf8');
    const spec = recordingSpec(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')), name, overrides);
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec, null, 2));
    const argv = ['runc', '--root', join(top, 'state'), 'run', '--bundle', bundle, `vfsemu-rec-${name}`];
    const errFile = join(top, 'stderr');
    const t0 = performance.now();
    const r = spec.process.terminal
      ? spawnSync('script', ['-qec', `${argv.map(shellQuote).join(' ')} 2>${shellQuote(errFile)}`, '/dev/null'], { encoding: 'utf8', timeout: 60_000 })
      : spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 60_000 });
    // How long `runc run` took (bench/dry-run.mjs compares it with the prediction).
    const ms = performance.now() - t0;
    // The terminal's echo of what runc writes to it before the output (a NUL, shown as ^@).
    const stdout = spec.process.terminal ? r.stdout.replace(/[\r\0]/g, '').replace(/^(\^@)+/gm, '') : r.stdout;
    const stderr = spec.process.terminal ? (existsSync(errFile) ? readFileSync(errFile, 'utf8') : '') : r.stderr;
    process.stdout.write(JSON.stringify({ status: r.status, stdout, stderr, ms, top, bundle, hostMountinfo }));
  } finally {
    spawnSync('umount', ['-l', top]);
    rmdirSync(top);
  }
}

/** A word for sh -c. */
function shellQuote(s) {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Whether an example's container has a user namespace (runc then binds the host's /dev nodes). */
export function usesUserns(name) {
  const spec = JSON.parse(readFileSync(join(EXAMPLES, name, 'config.json'), 'utf8'));
  return (spec.linux?.namespaces ?? []).some((n) => n.type === 'user');
}

/** The host mount points outside the bundle that a user-namespaced container's prediction reads. */
export const USERNS_HOST_MOUNTPOINTS = ['/dev', '/proc', '/sys', '/sys/fs/cgroup'];

/**
 * The lines of a mount table at and under `top`, with `top` renamed RECORDING_TOP (NAME.host-mounts),
 * and the lines mounted exactly at one of `also` (USERNS_HOST_MOUNTPOINTS for a user-namespaced
 * example: the host's /dev its device binds come from, the proc and sysfs that let it mount its own).
 */
export function recordedHostMounts(mountinfo, top, also = []) {
  return mountinfo
    .split('\n')
    .filter((l) => {
      const mp = l.split(' ')[4] ?? '';
      return mp === top || mp.startsWith(`${top}/`) || also.includes(mp);
    })
    .map((l) => l.split(top).join(RECORDING_TOP))
    .join('\n') + '\n';
}

/**
 * Runs one example under runc in a private mount namespace: { status, stdout, stderr, ms, top,
 * bundle, hostMountinfo } (`hostMountinfo`: the namespace's table as runc was started in it).
 * `overrides` go to recordingSpec ({ terminal: false } for a run without a console).
 */
export function runExample(name, overrides = {}) {
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', process.execPath, fileURLToPath(import.meta.url), '--inner', name, JSON.stringify(overrides)], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`recording ${name} failed: ${r.stderr || r.error}`);
  return JSON.parse(r.stdout);
}

/**
 * What the recordings depend on in this host (src/host/host-facts.ts HostFactsSources): its
 * cgroup mounts, /proc/cgroups, the recorder's own cgroups (runc's, which a relative cgroupsPath
 * would be under), /proc/kcore, /proc's top level, and runc's version.
 */
export function hostSources() {
  const mountinfo = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => / - cgroup2? /.test(l))
    .join('\n');
  const procEntries = [];
  for (const name of readdirSync('/proc').sort()) {
    if (/^[0-9]+$/.test(name) || name === 'self' || name === 'thread-self') continue;
    const st = lstatSync(`/proc/${name}`);
    if (st.isSymbolicLink()) procEntries.push({ name, kind: 'link', target: readlinkSync(`/proc/${name}`) });
    else procEntries.push({ name, kind: st.isDirectory() ? 'dir' : 'file', mode: st.mode & 0o7777 });
  }
  const runc = spawnSync('runc', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0];
  const kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  return { recorded: `${runc}, Linux ${kernel}`, mountinfo, cgroups: readFileSync('/proc/cgroups', 'utf8'), selfCgroup: readFileSync('/proc/self/cgroup', 'utf8'), kcore: existsSync('/proc/kcore'), procEntries };
}

/** A 64-bit little-endian ELF executable with no PT_INTERP program header: runs without ld.so. */
function isStaticElf(path) {
  let b;
  try {
    b = readFileSync(path);
  } catch {
    return false;
  }
  if (b.length < 64 || b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2 || b[5] !== 1) return false;
  const phoff = Number(b.readBigUInt64LE(32));
  const phentsize = b.readUInt16LE(54);
  const phnum = b.readUInt16LE(56);
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (at + 4 > b.length) return false;
    if (b.readUInt32LE(at) === 3 /* PT_INTERP */) return false;
  }
  return true;
}

/** Why runc cannot be run here, or null. */
export function runcUnavailable() {
  if (process.platform !== 'linux') return 'runc needs Linux';
  if (spawnSync('runc', ['--version']).status !== 0) return 'runc is not installed (apt-get install runc)';
  if (spawnSync('unshare', ['--version']).status !== 0) return 'unshare(1) is not installed';
  if (spawnSync('script', ['--version']).status !== 0) return 'script(1) is not installed (util-linux; runc needs a terminal for process.terminal)';
  // The bundles' rootfs runs the host's /bin/busybox, which must need no shared library there.
  if (!isStaticElf('/bin/busybox')) return 'busybox-static is not installed (apt-get install busybox-static)';
  const status = readFileSync('/proc/self/status', 'utf8');
  const eff = BigInt('0x' + (/^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1] ?? '0'));
  if (((eff >> 21n) & 1n) === 0n) return 'no CAP_SYS_ADMIN (run as root)';
  return null;
}

function main(args) {
  if (args[0] === '--inner') return inner(args[1], JSON.parse(args[2] ?? '{}'));
  const why = runcUnavailable();
  if (why) {
    console.error(`record-runc: ${why}`);
    process.exit(3);
  }
  const names = args.length ? args : readdirSync(EXAMPLES).filter((n) => existsSync(join(EXAMPLES, n, 'bundle.json'))).sort();
  mkdirSync(RECORDINGS, { recursive: true });
  writeFileSync(join(RECORDINGS, 'host.json'), JSON.stringify(hostSources(), null, 1) + '\n');
  for (const name of names) {
    const r = runExample(name);
    if (hostMounts(name).length || usesUserns(name)) writeFileSync(join(RECORDINGS, `${name}.host-mounts`), recordedHostMounts(r.hostMountinfo, r.top, usesUserns(name) ? USERNS_HOST_MOUNTPOINTS : []));
    if (r.status === 0) {
      writeFileSync(join(RECORDINGS, `${name}.mountinfo`), r.stdout);
      console.log(`${name}: ${r.stdout.split('\n').filter(Boolean).length} mounts`);
    } else {
      writeFileSync(join(RECORDINGS, `${name}.error`), normaliseError(r.stderr));
      console.log(`${name}: runc failed (exit ${r.status}): ${normaliseError(r.stderr).trim()}`);
    }
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main(process.argv.slice(2));
