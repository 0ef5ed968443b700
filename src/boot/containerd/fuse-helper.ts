/**
 * containerd's FUSE path: a mount whose type starts with `fuse.` or `fuse3.` is not mount(2)ed
 * by containerd but handed to the helper binary `mount.fuse` or `mount.fuse3`
 * (core/mount/mount_linux.go Mount.mountWithHelper(), allowedHelperBinaries) as
 * `mount.fuse3 SOURCE TARGET -o OPT… -t SUBTYPE`; unmounting a FUSE mount goes first through
 * `fusermount3 -u` then `fusermount -u` (core/mount/fuse_linux.go unmountFUSE()).
 *
 * vfsemu runs no programs. The helper's command line is recorded; what it would do — start the
 * daemon SUBTYPE, which opens /dev/fuse and mounts `fuse` with `subtype=SUBTYPE` — is replayed
 * only when the embedder supplies a daemon object for SUBTYPE (src/fs/fuse/daemon.ts), which
 * then serves the mount; the options are the daemon's to read, and only the mount(2) flag words
 * among them reach the kernel. Without one the step is `unmodelled` and no mount is made.
 * The ECHILD retries (#4387) do not arise: nothing is waited for.
 */
import { SysError } from '../../vfs/errno.js';
import type { FuseDaemon } from '../../fs/fuse/daemon.js';
import { openFuseDevice } from '../../fs/fuse/connection.js';
import type { Process } from '../../vfs/process.js';
import { parseMountOptions } from '../mount-options.js';
import type { ContainerdMount } from './mount-list.js';
import { ContainerdError, q, type StepLog } from './steps.js';

/** allowedHelperBinaries. */
export const FUSE_HELPERS = ['mount.fuse', 'mount.fuse3'] as const;

/** The helper and subtype a mount type resolves to, or null for a type mount(2) takes. */
export function fuseHelperFor(type: string): { helper: string; subtype: string } | null {
  for (const helper of FUSE_HELPERS) {
    const prefix = helper.slice('mount.'.length) + '.';
    if (type.startsWith(prefix)) return { helper, subtype: type.slice(prefix.length) };
  }
  return null;
}

/** The helper's argv: `SOURCE TARGET (-o OPT)… -t SUBTYPE`. */
export function helperArgs(m: ContainerdMount, target: string, subtype: string): string[] {
  const args = [m.source, target];
  for (const o of m.options) args.push('-o', o);
  args.push('-t', subtype);
  return args;
}

const shell = (argv: string[]): string => argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');

/** Mount.mountWithHelper(): the helper's step, and the daemon's mount when one is supplied. */
export function mountWithHelper(p: Process, log: StepLog, m: ContainerdMount, target: string, daemons: Readonly<Record<string, FuseDaemon>>): void {
  const by = 'core/mount/mount_linux.go:Mount.mountWithHelper';
  const r = fuseHelperFor(m.type)!;
  // Lookup(target) first: the target must exist.
  try {
    p.stat(target);
  } catch (e) {
    if (e instanceof SysError) throw new ContainerdError(`failed to find the mount info for ${JSON.stringify(target)}: ${e.message}`, e.code);
    throw e;
  }
  const argv = [r.helper, ...helperArgs(m, target, r.subtype)];
  const daemon = daemons[r.subtype];
  if (!daemon) {
    log.push({ call: shell(argv), result: 'unmodelled', by, note: `vfsemu runs no programs: ${r.helper} would start the FUSE daemon ${JSON.stringify(r.subtype)}, which mounts fuse.${r.subtype} on ${target}; supply a daemon object for ${JSON.stringify(r.subtype)} to replay it` });
    return;
  }
  log.push({ call: shell(argv), result: 'OK', by, note: `replayed with the embedder's daemon for ${JSON.stringify(r.subtype)}: it opens /dev/fuse and mounts fuse with subtype=${r.subtype}` });
  const flags = parseMountOptions(m.options, 'containerd').flags;
  let fd: number;
  try {
    fd = log.run(`${r.subtype} (FUSE daemon)`, 'open("/dev/fuse", O_RDWR)', () => openFuseDevice(p, daemon));
  } catch (e) {
    if (e instanceof SysError) throw new ContainerdError(`mount helper [${r.helper} ${helperArgs(m, target, r.subtype).join(' ')}] failed: ${e.message}`, e.code);
    throw e;
  }
  const data = `fd=${fd},rootmode=40000,user_id=${p.creds.uid},group_id=${p.creds.gid},subtype=${r.subtype}`;
  try {
    log.run(`${r.subtype} (FUSE daemon)`, `mount(${q(m.source)}, ${q(target)}, "fuse", ${flags}, ${q(data)})`, () => p.mount(m.source, target, 'fuse', flags, data));
  } catch (e) {
    p.close(fd);
    if (e instanceof SysError) throw new ContainerdError(`mount helper [${r.helper} ${helperArgs(m, target, r.subtype).join(' ')}] failed: ${e.message}`, e.code);
    throw e;
  }
  // The daemon keeps its descriptor for as long as it serves; so does the replay.
}

/** unmountFUSE(): fusermount3 -u, then fusermount -u; true when one of them unmounted. */
export function unmountFUSE(p: Process, log: StepLog, target: string): boolean {
  for (const helper of ['fusermount3', 'fusermount']) {
    try {
      log.run('core/mount/fuse_linux.go:unmountFUSE', `${helper} -u ${shell([target])}`, () => p.umount2(target, 0), `${helper} -u is umount2(target, 0) on the caller's behalf`);
      return true;
    } catch (e) {
      if (!(e instanceof SysError)) throw e;
    }
  }
  return false;
}
