/**
 * From spec mounts to the list the Sentry mounts, and what filesystem each becomes — runsc's
 * runsc/boot/vfs.go:compileMounts, prepareMounts and getMountNameAndOptions, with the specutils
 * helpers they call.
 *
 * Rules, in the order runsc applies them:
 * 1. compileMounts: the spec's mounts in order, except cgroup mounts once one is on
 *    /sys/fs/cgroup (cgroup v1: the first mounts every controller, later ones are no-ops); the
 *    mount on /dev becomes type `dev` (gVisor's devtmpfs-like /dev), the one on /dev/pts type
 *    `devpts`; then proc on /proc, sysfs on /sys, dev on /dev and devpts on /dev/pts are put
 *    *before* them, those of the four the spec lacks, in that order ("mandatory mounts ... right
 *    after the root, in case there are submounts of these mandatory mounts already in the spec").
 * 2. prepareMounts: each mount with a `bind`/`rbind` option becomes type bind
 *    (specutils.MaybeConvertToBindMount); a bind with a source is a gofer mount and takes the
 *    next gofer configuration (and descriptor) in spec order; a gofer mount configured without a
 *    lower layer (a tmpfs hint) becomes a tmpfs (ChangeMountType, dropping bind/rbind). Then the
 *    list is sorted by the length of the destination with Go's unstable sort.Slice
 *    (go-sort.ts), so that a parent comes before its children.
 * 3. getMountNameAndOptions: bind → `9p` (the gofer), with the gofer's own options consumed and
 *    the transport, cache and directfs options added (goferMountData); tmpfs consumes
 *    mode/size/uid/gid; proc, sysfs, dev, devpts and cgroup2 take no data; type `none` is
 *    sysfs; anything else — mqueue, overlay, a cgroup mount left over — is skipped with runsc's
 *    warning `ignoring unknown filesystem type "…"`. The remaining words are the per-mount flags
 *    (ParseMountOptions).
 *
 * Invariant: compileMounts never adds, removes or reorders gofer mounts, so the n-th gofer mount
 * here is the n-th one the gofer serves (container.go:initGoferConfs counts them the same way).
 */
import type { SpecMount } from '../spec.js';
import { clean } from '../paths.js';
import type { GoferMountConf, RunscConfig, FileAccess } from './config.js';
import { findHint, hintFileAccess, type MountHint } from './hints.js';
import { consumeMountOptions, GOFER_SUPPORTED_OPTIONS, parseGvisorMountOptions, TMPFS_ALLOWED_DATA, type GvisorMountFlags } from './mount-options.js';
import { sortSliceGo } from './go-sort.js';

/** A spec mount as runsc carries it through compileMounts and prepareMounts (a specs.Mount copy). */
export interface RunscMount {
  /** Index in spec.mounts; -1 for a mount runsc adds (the mandatory ones, the /tmp tmpfs). */
  index: number;
  destination: string;
  type: string;
  source: string;
  options: string[];
}

/** specutils.MaybeConvertToBindMount. */
export function maybeConvertToBindMount(m: RunscMount): void {
  if (m.type === 'bind') return;
  if (m.options.some((o) => o === 'bind' || o === 'rbind')) m.type = 'bind';
}

/** specutils.IsGoferMount: a bind (after conversion) with a source. */
export function isGoferMount(m: Pick<RunscMount, 'type' | 'source' | 'options'>): boolean {
  const c = { ...m, index: 0, destination: '', options: [...m.options] };
  maybeConvertToBindMount(c);
  return c.type === 'bind' && c.source !== '';
}

/** specutils.HasMountConfig: gofer and EROFS mounts have a GoferMountConf. */
export function hasMountConfig(m: Pick<RunscMount, 'type' | 'source' | 'options'>): boolean {
  return isGoferMount(m) || m.type === 'erofs';
}

/** specutils.ChangeMountType: a type other than bind drops the bind/rbind options. */
export function changeMountType(m: RunscMount, type: string): void {
  m.type = type;
  if (type !== 'bind') m.options = m.options.filter((o) => o !== 'bind' && o !== 'rbind');
}

/** The spec's mounts as runsc holds them: sources made absolute against the bundle (specutils.go:fixSpec). */
export function runscSpecMounts(mounts: readonly SpecMount[] | undefined, bundle: string): RunscMount[] {
  return (mounts ?? []).map((m, index) => {
    const source = m.source ?? '';
    return {
      index,
      destination: m.destination,
      type: m.type ?? '',
      source: source !== '' && !source.startsWith('/') ? clean(`${bundle}/${source}`) : source,
      options: [...(m.options ?? [])],
    };
  });
}

/** vfs.go:compileMounts (cgroup v1: --cgroupv2 is not modelled). */
export function compileMounts(mounts: readonly RunscMount[]): RunscMount[] {
  let proc = false;
  let sys = false;
  let dev = false;
  let devpts = false;
  let cgroups = false;
  const out: RunscMount[] = [];
  for (const m0 of mounts) {
    const m = { ...m0, options: [...m0.options] };
    if (m.type === 'cgroup' && cgroups) continue;
    switch (clean(m.destination)) {
      case '/proc':
        proc = true;
        break;
      case '/sys':
        sys = true;
        break;
      case '/dev':
        m.type = 'dev';
        dev = true;
        break;
      case '/dev/pts':
        m.type = 'devpts';
        devpts = true;
        break;
      case '/sys/fs/cgroup':
        cgroups = true;
        break;
    }
    out.push(m);
  }
  const mandatory: RunscMount[] = [];
  const add = (type: string, destination: string): number => mandatory.push({ index: -1, destination, type, source: '', options: [] });
  if (!proc) add('proc', '/proc');
  if (!sys) add('sysfs', '/sys');
  if (!dev) add('dev', '/dev');
  if (!devpts) add('devpts', '/dev/pts');
  return [...mandatory, ...out];
}

/** A submount ready to mount (vfs.go's mountInfo). */
export interface MountInfo {
  mount: RunscMount;
  hint?: MountHint;
  /** The gofer configuration, for a mount that has one. */
  goferConf?: GoferMountConf;
  /** Which gofer mount this is (1: the first bind; 0 is the root), for a mount with a configuration. */
  goferIndex?: number;
}

/**
 * vfs.go:prepareMounts: configurations dealt in list order, then the sort by destination length.
 * `confs[0]` is the root's.
 */
export function prepareMounts(mounts: readonly RunscMount[], confs: readonly GoferMountConf[], hints: readonly MountHint[]): MountInfo[] {
  let goferIdx = 1;
  const out: MountInfo[] = [];
  for (const m0 of mounts) {
    const mount = { ...m0, options: [...m0.options] };
    const info: MountInfo = { mount };
    const hint = findHint(hints, mount.source);
    if (hint) info.hint = hint;
    maybeConvertToBindMount(mount);
    if (hasMountConfig(mount)) {
      const conf = confs[goferIdx];
      // checkDispenser's error when the counts disagree.
      if (!conf) throw new Error('not all gofer FDs were consumed');
      info.goferConf = conf;
      info.goferIndex = goferIdx;
      if (conf.lower === 'none') changeMountType(mount, 'tmpfs');
      goferIdx++;
    }
    out.push(info);
  }
  if (goferIdx !== confs.length) throw new Error(`not all gofer FDs were consumed, remaining: ${confs.length - goferIdx}`);
  return sortSliceGo(out, (a, b) => a.mount.destination.length < b.mount.destination.length);
}

/** What a submount becomes in the Sentry: the filesystem, its data words, the per-mount flags. */
export interface MountNameAndOptions {
  /** gVisor's filesystem name, or '' for a mount runsc skips. */
  fsName: string;
  data: string[];
  flags: GvisorMountFlags;
  /** For a gofer mount: its cache policy and the descriptor number runsc hands it. */
  gofer?: { access: FileAccess; fd: number; suppressDirectFS: boolean };
}

/** The host descriptor of the n-th gofer connection (0: the root): see goferFd's note. */
export type GoferFdOf = (goferIndex: number) => number;

/**
 * vfs.go:goferMountData: the gofer's transport (one socket as both read and write descriptor),
 * `cache=remote_revalidating` for shared file access, `directfs` unless disabled or suppressed,
 * `disable_fifo_open` unless --host-fifo=open.
 */
export function goferMountData(fd: number, access: FileAccess, conf: RunscConfig, suppressDirectFS: boolean): string[] {
  const opts = ['trans=fd', `rfdno=${fd}`, `wfdno=${fd}`];
  if (access === 'shared') opts.push('cache=remote_revalidating');
  if (conf.directfs && !suppressDirectFS) opts.push('directfs');
  if (!conf.hostFifoOpen) opts.push('disable_fifo_open');
  return opts;
}

/** vfs.go:getMountNameAndOptions. `warn` gets runsc's warnings. */
export function getMountNameAndOptions(m: MountInfo, conf: RunscConfig, fdOf: GoferFdOf, warn: (w: string) => void): MountNameAndOptions {
  let fsName = m.mount.type;
  let opts = m.mount.options;
  let data: string[] = [];
  let gofer: MountNameAndOptions['gofer'];
  switch (m.mount.type) {
    case 'devpts':
    case 'dev':
    case 'cgroup2':
    case 'proc':
    case 'sysfs':
      break;
    case 'none':
      fsName = 'sysfs';
      break;
    case 'tmpfs':
      ({ rest: opts, data } = consumeMountOptions(opts, TMPFS_ALLOWED_DATA));
      break;
    case 'bind': {
      fsName = '9p';
      if (m.goferIndex === undefined) throw new Error('gofer mount requires a connection FD');
      ({ rest: opts, data } = consumeMountOptions(opts, GOFER_SUPPORTED_OPTIONS));
      const access = m.hint ? hintFileAccess(m.hint) : conf.fileAccessMounts;
      const suppress = m.hint?.suppressDirectFS ?? false;
      const fd = fdOf(m.goferIndex);
      data = [...data, ...goferMountData(fd, access, conf, suppress)];
      gofer = { access, fd, suppressDirectFS: suppress };
      break;
    }
    case 'cgroup':
      ({ rest: opts, data } = consumeMountOptions(opts, ['all', 'cpu', 'cpuacct', 'cpuset', 'devices', 'job', 'memory', 'pids']));
      break;
    default:
      warn(`ignoring unknown filesystem type ${JSON.stringify(m.mount.type)}`);
      return { fsName: '', data: [], flags: { readOnly: false, noATime: false, noExec: false, noSUID: false } };
  }
  const flags = parseGvisorMountOptions(opts, warn);
  return gofer ? { fsName, data, flags, gofer } : { fsName, data, flags };
}
