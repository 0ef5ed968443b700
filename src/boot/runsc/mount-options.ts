/**
 * OCI mount options as runsc reads them. runsc reads a spec mount's options twice, with two
 * different tables:
 *
 * - in the Sentry (runsc/boot/vfs.go:ParseMountOptions), for the per-mount flags of the mount it
 *   makes: only `ro`, `noatime`, `noexec` and `nosuid` mean something; `rw`, `atime`, `exec`,
 *   `bind` and `rbind` are accepted as the defaults they are; every other word is dropped with
 *   runsc's warning "ignoring unknown mount option". So `nodev`, `relatime`, `strictatime` and
 *   propagation words change nothing in the sandbox, and gVisor's mountinfo never shows them.
 *   Before that, getMountNameAndOptions takes out the words a filesystem consumes itself
 *   (consumeMountOptions: tmpfs's mode/size/uid/gid, the gofer's overlayfs_stale_read,
 *   disable_file_handle_sharing and dcache) and passes them as its data string.
 * - in the gofer, on the host (runsc/specutils/fs.go:OptionsToFlags, PropOptionsToFlags), for
 *   the bind mounts it makes into the rootfs: runc's flag table, and propagation apart.
 *
 * `ro` is what makes a gofer mount read-only on both sides (specutils/fs.go:IsReadonlyMount).
 */
import { MS } from '../mount-options.js';

/** vfs.MountOptions as ParseMountOptions fills it (the per-mount flags of a gVisor mount). */
export interface GvisorMountFlags {
  readOnly: boolean;
  noATime: boolean;
  noExec: boolean;
  noSUID: boolean;
}

/**
 * vfs.go:ParseMountOptions. `warn` gets runsc's warning for each word it ignores.
 *
 * @example
 * ```ts
 * parseGvisorMountOptions(['nosuid', 'nodev', 'ro'], console.log);
 * // logs 'ignoring unknown mount option "nodev"'; { readOnly: true, noATime: false, noExec: false, noSUID: true }
 * ```
 */
export function parseGvisorMountOptions(opts: readonly string[], warn: (w: string) => void): GvisorMountFlags {
  const f: GvisorMountFlags = { readOnly: false, noATime: false, noExec: false, noSUID: false };
  for (const o of opts) {
    switch (o) {
      case 'ro':
        f.readOnly = true;
        break;
      case 'noatime':
        f.noATime = true;
        break;
      case 'noexec':
        f.noExec = true;
        break;
      case 'nosuid':
        f.noSUID = true;
        break;
      case 'rw':
      case 'atime':
      case 'exec':
      case 'bind':
      case 'rbind':
        break;
      default:
        warn(`ignoring unknown mount option ${JSON.stringify(o)}`);
    }
  }
  return f;
}

/** specutils/fs.go:IsReadonlyMount: the word `ro` among the options. */
export function isReadonlyOptions(opts: readonly string[] | undefined): boolean {
  return (opts ?? []).includes('ro');
}

/**
 * vfs.go:consumeMountOptions: the words whose key is in `allowed` go to the filesystem's data
 * string, the rest stay mount options. A word with two `=` is runsc's error ("invalid option").
 */
export function consumeMountOptions(opts: readonly string[], allowed: readonly string[]): { rest: string[]; data: string[] } {
  const rest: string[] = [];
  const data: string[] = [];
  for (const o of opts) {
    const kv = o.split('=');
    if (kv.length > 2) throw new Error(`invalid option ${JSON.stringify(o)}`);
    (allowed.includes(kv[0]!) ? data : rest).push(o);
  }
  return { rest, data };
}

/** vfs.go:tmpfsAllowedData. */
export const TMPFS_ALLOWED_DATA = ['mode', 'size', 'uid', 'gid'] as const;
/** gofer.SupportedMountOptions (pkg/sentry/fsimpl/gofer/gofer.go). */
export const GOFER_SUPPORTED_OPTIONS = ['overlayfs_stale_read', 'disable_file_handle_sharing', 'dcache'] as const;

/** specutils/fs.go:optionsMap: word → [set, MS_* bits]; a clearing word takes its bits off. */
const OPTIONS_MAP: Record<string, [boolean, number]> = {
  acl: [true, 1 << 16],
  async: [false, MS.SYNCHRONOUS],
  atime: [false, MS.NOATIME],
  bind: [true, MS.BIND],
  defaults: [true, 0],
  dev: [false, MS.NODEV],
  diratime: [false, MS.NODIRATIME],
  dirsync: [true, MS.DIRSYNC],
  exec: [false, MS.NOEXEC],
  noexec: [true, MS.NOEXEC],
  iversion: [true, MS.I_VERSION],
  loud: [false, MS.SILENT],
  mand: [true, MS.MANDLOCK],
  noacl: [false, 1 << 16],
  noatime: [true, MS.NOATIME],
  nodev: [true, MS.NODEV],
  nodiratime: [true, MS.NODIRATIME],
  noiversion: [false, MS.I_VERSION],
  nomand: [false, MS.MANDLOCK],
  norelatime: [false, MS.RELATIME],
  nostrictatime: [false, MS.STRICTATIME],
  nosuid: [true, MS.NOSUID],
  rbind: [true, MS.BIND | MS.REC],
  relatime: [true, MS.RELATIME],
  remount: [true, MS.REMOUNT],
  ro: [true, MS.RDONLY],
  rw: [false, MS.RDONLY],
  silent: [true, MS.SILENT],
  strictatime: [true, MS.STRICTATIME],
  suid: [false, MS.NOSUID],
  sync: [true, MS.SYNCHRONOUS],
};

/** specutils/fs.go:propOptionsMap. */
const PROP_OPTIONS_MAP: Record<string, [boolean, number]> = {
  private: [true, MS.PRIVATE],
  rprivate: [true, MS.PRIVATE | MS.REC],
  slave: [true, MS.SLAVE],
  rslave: [true, MS.SLAVE | MS.REC],
  unbindable: [true, MS.UNBINDABLE],
  runbindable: [true, MS.UNBINDABLE | MS.REC],
};

function toFlags(opts: readonly string[], table: Record<string, [boolean, number]>): number {
  let rv = 0;
  for (const o of opts) {
    const m = Object.prototype.hasOwnProperty.call(table, o) ? table[o] : undefined;
    if (!m) continue;
    rv = m[0] ? rv | m[1] : rv & ~m[1];
  }
  return rv;
}

/** specutils/fs.go:OptionsToFlags. */
export const optionsToFlags = (opts: readonly string[]): number => toFlags(opts, OPTIONS_MAP);
/** specutils/fs.go:PropOptionsToFlags. */
export const propOptionsToFlags = (opts: readonly string[]): number => toFlags(opts, PROP_OPTIONS_MAP);

/**
 * specutils/fs.go:validateMountOption for a gofer mount: `shared`/`rshared` are refused (the
 * sandbox's mount table must not propagate to the host), and a word naming two propagation
 * types is refused. Returns runsc's error, or null.
 */
export function goferMountOptionError(opts: readonly string[]): string | null {
  for (const o of opts) {
    if (o === 'shared' || o === 'rshared') return `mount option ${JSON.stringify(o)} is not supported`;
  }
  return null;
}
