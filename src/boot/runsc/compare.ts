/**
 * runc against runsc for the same bundle: what each would mount, mount point by mount point, and
 * why they differ — each reason the rule of runsc (or runc) that makes the difference, with the
 * code it comes from. This answers "why does my container see X under runsc but Y under runc?".
 *
 * The tables are compared by mount point (the topmost mount where several are stacked); a
 * difference is a mount one runtime has and the other has not, another filesystem type, another
 * read-only state, or a failure one runtime has and the other has not. Per-mount options other
 * than ro, noexec, nosuid and noatime are not compared: gVisor shows no others
 * (vfs.go:ParseMountOptions), so every other option would differ on every line.
 */
import { containerView, type RuncPrediction } from '../runc-profile.js';
import type { OciSpec } from '../spec.js';
import type { RunscPrediction } from './profile.js';

export interface Difference {
  /** The mount point (or `(host)` for changes on the host). */
  path: string;
  runc: string;
  runsc: string;
  why: string;
}

interface Row {
  fstype: string;
  opts: string[];
  root: string;
}

/** Mount point → its topmost mount, from mountinfo lines of either format. */
function rows(view: readonly string[]): Map<string, Row> {
  const out = new Map<string, Row>();
  for (const l of view) {
    const f = l.split(' ');
    const sep = f.indexOf('-');
    out.set(f[4]!.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))), { fstype: f[sep + 1]!, opts: f[5]!.split(','), root: f[3]! });
  }
  return out;
}

const SHOWN = ['noexec', 'nosuid', 'noatime'];

function describe(r: Row | undefined): string {
  if (!r) return 'nothing mounted';
  const ro = r.opts[0] === 'ro' ? 'read-only' : 'read-write';
  return `${r.fstype}${r.root !== '/' ? ` of ${r.root}` : ''}, ${ro}`;
}

const under = (p: string, dir: string): boolean => dir === '/' || p === dir || p.startsWith(`${dir}/`);

/** The rule behind a mount runsc has and runc has not, or has otherwise. */
function whyRunscMount(path: string, r: Row, spec: OciSpec, runsc: RunscPrediction): string {
  if (path === '/') {
    if (r.fstype === 'overlay') return `runsc serves the rootfs through its gofer (9p) under an overlay whose upper layer is a tmpfs (--overlay2=${runsc.config.overlay2.rootMount ? `root:${runsc.config.overlay2.medium}` : 'none'}: vfs.go:createMountNamespace, configureOverlay), so the container's writes never reach the host's rootfs`;
    return `runsc serves the rootfs through its gofer (9p: vfs.go:createMountNamespace)${spec.root?.readonly ? '; a read-only root gets no overlay (container.go:initGoferConfs)' : ''}`;
  }
  if (path === '/tmp' && !(spec.mounts ?? []).some((m) => m.destination === '/tmp')) return "runsc mounts a tmpfs on /tmp when the spec has no /tmp mount and the image's /tmp is missing or empty (vfs.go:mountTmp)";
  if (path.startsWith('/sys/fs/cgroup/') && r.fstype === 'cgroup') return "runsc binds the container's cgroup of each of its own controllers (cpu, cpuacct, cpuset, devices, job, memory, pids) under the cgroup tmpfs (vfs.go:mountCgroupSubmounts)";
  if (path === '/sys/fs/cgroup' && r.fstype === 'tmpfs') return 'runsc mounts a cgroup mount as a tmpfs and its controllers below it (vfs.go:mountCgroupSubmounts)';
  if (path === '/dev' && r.fstype === 'dev') return "runsc mounts its own /dev filesystem on /dev whatever the spec's type, ignoring the tmpfs options (vfs.go:compileMounts)";
  if (['/proc', '/sys', '/dev', '/dev/pts'].includes(path) && !(spec.mounts ?? []).some((m) => m.destination === path)) return 'runsc always mounts proc, sysfs, dev and devpts (vfs.go:compileMounts: "mandatory mounts")';
  if (r.fstype === '9p') return "runsc serves a bind mount through its gofer (9p: vfs.go:getMountNameAndOptions), the host path bound in the gofer's own namespace";
  if (r.fstype === 'overlay') return 'runsc overlays this volume with a tmpfs (--overlay2=all:…: container.go:initGoferConfs)';
  return 'runsc mounts it as gVisor has it';
}

/** The rule behind a mount runc has and runsc has not. */
function whyRuncOnly(path: string, r: Row, spec: OciSpec, runsc: RunscPrediction): string {
  const m = (spec.mounts ?? []).find((x) => x.destination === path);
  if (m && runsc.warnings.some((w) => w.startsWith(`${path}: ignoring unknown filesystem type`))) return `runsc skips type ${JSON.stringify(m.type)} (vfs.go:getMountNameAndOptions: "ignoring unknown filesystem type")`;
  const l = spec.linux;
  if ((l?.maskedPaths ?? []).some((p) => path === p || path.startsWith(`${p}/`))) return "runc's linux.maskedPaths; runsc does not apply them";
  if ((l?.readonlyPaths ?? []).some((p) => path === p || path.startsWith(`${p}/`))) return "runc's linux.readonlyPaths; runsc does not apply them";
  if (path === '/dev/console') return "runc binds the terminal over /dev/console; runsc's console is the host terminal it imports, no mount";
  if (r.fstype === 'cgroup2' || r.fstype === 'cgroup') return 'runc mounts the host kind of cgroup; runsc mounts its own (see /sys/fs/cgroup)';
  return 'runsc does not mount it';
}

/**
 * The differences between runc's and runsc's predictions of one bundle.
 *
 * @example
 * ```ts
 * compareRuntimes(spec, predictRunc(spec, { image }), predictRunsc(spec, { image }));
 * // [{ path: '/data/cache', runc: 'fails with EROFS', runsc: 'tmpfs, read-write', why: 'runsc switches /data read-write while …' }, …]
 * ```
 */
export function compareRuntimes(spec: OciSpec, runc: RuncPrediction, runsc: RunscPrediction): Difference[] {
  const out: Difference[] = [];
  const a = rows(runcContainerView(runc));
  const b = rows(runsc.view);
  const rf = runc.failure;
  const sf = runsc.failure;
  if (rf && !sf) {
    const dest = rf.destination ?? '(setup)';
    const r = b.get(dest);
    let why = `runc stops here (${rf.message}); runsc does not`;
    if (rf.errno === 'EROFS') {
      const switched = runsc.readOnlySwitched.filter((s) => s !== dest && under(dest, s)).sort((x, y) => y.length - x.length)[0];
      const synthetic = runsc.synthetic.some((s) => s === dest || under(dest, s) || under(s, dest));
      if (switched) why = `runc fails with EROFS (it remounts ${switched} read-only at once, then cannot make the mount point under it); runsc switches ${switched} read-write while it mounts what is below and read-only again at the end (vfs.go:mountSubmounts)${synthetic ? ', making the mount point synthetic, in memory only, since the gofer serves it read-only (gofer/filesystem.go:MkdirAt)' : ''}`;
    } else if (rf.errno === 'EINVAL' && /data: /.test(rf.message)) {
      why = `runc passes an option it does not know to the filesystem, which refuses it; runsc keeps only the words it knows and ignores the rest (vfs.go:ParseMountOptions)`;
    }
    out.push({ path: dest, runc: `fails with ${rf.errno ?? 'an error'}`, runsc: describe(r), why });
  } else if (sf && !rf) {
    out.push({ path: sf.destination ?? '(setup)', runc: describe(a.get(sf.destination ?? '')), runsc: `fails${sf.errno ? ` with ${sf.errno}` : ''}`, why: `runsc stops here: ${sf.message}` });
  } else if (rf && sf) {
    out.push({ path: rf.destination ?? sf.destination ?? '(setup)', runc: `fails with ${rf.errno ?? 'an error'}`, runsc: `fails${sf.errno ? ` with ${sf.errno}` : ''}`, why: `runc: ${rf.message}; runsc: ${sf.message}` });
  }
  const cgroupNoted = { done: false };
  const beyond: string[] = [];
  for (const path of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const x = a.get(path);
    const y = b.get(path);
    if (path.startsWith('/sys/fs/cgroup/') && y?.fstype === 'cgroup') {
      if (!x && !cgroupNoted.done) {
        cgroupNoted.done = true;
        out.push({ path: '/sys/fs/cgroup/*', runc: 'nothing mounted', runsc: 'cgroup binds', why: whyRunscMount(path, y, spec, runsc) });
      }
      if (!x) continue;
    }
    if (x && !y) {
      if (sf) continue;
      out.push({ path, runc: describe(x), runsc: 'nothing mounted', why: whyRuncOnly(path, x, spec, runsc) });
    } else if (!x && y) {
      // Past runc's failure runc mounts nothing: that is not a rule of either runtime.
      if (rf) {
        if (path !== rf.destination) beyond.push(path);
        continue;
      }
      out.push({ path, runc: 'nothing mounted', runsc: describe(y), why: whyRunscMount(path, y, spec, runsc) });
    } else if (x && y) {
      const roA = x.opts[0] === 'ro';
      const roB = y.opts[0] === 'ro';
      if (x.fstype !== y.fstype) out.push({ path, runc: describe(x), runsc: describe(y), why: whyRunscMount(path, y, spec, runsc) });
      else if (roA !== roB) out.push({ path, runc: describe(x), runsc: describe(y), why: 'the two runtimes leave it in another read-only state' });
      else {
        const fa = SHOWN.filter((o) => x.opts.includes(o));
        const fb = SHOWN.filter((o) => y.opts.includes(o));
        if (fa.join() !== fb.join()) out.push({ path, runc: x.opts.join(','), runsc: y.opts.join(','), why: 'runsc sets only the flags ParseMountOptions knows (ro, noatime, noexec, nosuid) from the spec' });
      }
    }
  }
  if (beyond.length) out.push({ path: '(after the failure)', runc: 'stops', runsc: `mounts ${beyond.join(', ')}`, why: 'runc never gets to them' });
  for (const s of runsc.synthetic) {
    if (!b.has(s) || !a.has(s)) continue;
    out.push({ path: s, runc: 'mount point made on the host', runsc: 'synthetic mount point', why: "the gofer serving this directory is read-only, so runsc makes the mount point in the Sentry's memory only (gofer/filesystem.go:MkdirAt, ForSyntheticMountpoint)" });
  }
  if (runsc.hostChanges.length) {
    out.push({ path: '(host)', runc: 'makes its mount points in the rootfs and volumes too', runsc: `creates ${runsc.hostChanges.map((c) => c.path).join(', ')}`, why: "runsc's gofer makes the mount points of bind mounts on the host, in the rootfs or the volume they are nested in (sandboxsetup.SetupMounts), and a self-backed overlay puts its filestore file in the rootfs (container.go:createGoferFilestoreInSelf); the Sentry's other mount points are in the overlay or synthetic" });
  }
  return out;
}

/**
 * runc's table with the container's mount points: as it reads it once pivoted, or, when runc
 * stopped before the pivot, the mounts it made at and under the rootfs, seen from it.
 */
export function runcContainerView(runc: RuncPrediction): string[] {
  if (!runc.failure) return runc.view;
  return containerView(runc.view, runc.rootfs);
}

/** Two rendered tables next to each other, each under its title. */
export function sideBySide(left: string, right: string, leftTitle: string, rightTitle: string): string {
  const l = left.replace(/\n$/, '').split('\n');
  const r = right.replace(/\n$/, '').split('\n');
  const w = Math.max(leftTitle.length, ...l.map((s) => s.length));
  const n = Math.max(l.length, r.length);
  let out = `${leftTitle.padEnd(w)} │ ${rightTitle}\n`;
  for (let i = 0; i < n; i++) out += `${(l[i] ?? '').padEnd(w)} │ ${r[i] ?? ''}`.trimEnd() + '\n';
  return out;
}
