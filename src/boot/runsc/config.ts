/**
 * The runsc flags that change a container's filesystem, as runsc/config parses and validates
 * them, and the per-mount gofer configuration runsc derives from them
 * (runsc/specutils/gofer_conf.go: GoferMountConf; runsc/container/container.go: createGoferConf,
 * initGoferConfs).
 *
 * Defaults are those of gVisor 3c5eee17dc45 (runsc/config/flags.go): `--overlay2=root:self` (the
 * root overlaid with a tmpfs whose pages live in a file inside the rootfs itself,
 * config.go:defaultOverlay2), `--file-access=exclusive` for the root and
 * `--file-access-mounts=shared` for the other gofer mounts, `--directfs=true`,
 * `--host-fifo=none`, `--character-device-policy=emulated-only`, `--dcache=-1`.
 *
 * Invariant: a `RunscConfig` has passed `validateConfig` (config.go:Validate's rule that an
 * overlay and a shared root cannot go together).
 */

/** config.FileAccessType. */
export type FileAccess = 'exclusive' | 'shared';

/** config.OverlayMedium: "" (none), memory, self, or dir=/host/dir (anonymous file). */
export type OverlayMedium = '' | 'memory' | 'self' | `dir=${string}`;

/** config.Overlay2: which mounts get an overlay, on which medium, with which upper size. */
export interface Overlay2 {
  rootMount: boolean;
  subMounts: boolean;
  medium: OverlayMedium;
  /** The upper tmpfs's `size=` (empty: tmpfs's default, which overlays disable). */
  size: string;
}

export interface RunscConfig {
  overlay2: Overlay2;
  fileAccess: FileAccess;
  fileAccessMounts: FileAccess;
  directfs: boolean;
  /** --host-fifo=open lets the gofer open host FIFOs; the default refuses (disable_fifo_open). */
  hostFifoOpen: boolean;
  /** --dcache: a global gofer dentry cache of this size (negative: one per mount, 1000 each). */
  dcache: number;
}

/** A runsc flag value runsc itself would refuse, with runsc's words. */
export class RunscConfigError extends Error {
  override name = 'RunscConfigError';
}

/** config.go:defaultOverlay2: the rootfs overlaid, backed by a file in the rootfs itself. */
export const DEFAULT_OVERLAY2: Overlay2 = { rootMount: true, subMounts: false, medium: 'self', size: '' };

export const DEFAULT_CONFIG: RunscConfig = {
  overlay2: DEFAULT_OVERLAY2,
  fileAccess: 'exclusive',
  fileAccessMounts: 'shared',
  directfs: true,
  hostFifoOpen: false,
  dcache: -1,
};

/** config.go:OverlayMedium.Set. */
function parseMedium(v: string): OverlayMedium {
  if (v === '' || v === 'memory' || v === 'self') return v;
  if (!v.startsWith('dir=')) throw new RunscConfigError(`unexpected medium: ${JSON.stringify(v)}`);
  const dir = v.slice(4);
  if (!dir.startsWith('/')) throw new RunscConfigError(`overlay host file directory should be an absolute path, got ${JSON.stringify(dir)}`);
  return v as OverlayMedium;
}

/**
 * config.go:Overlay2.Set: `none`, or `{root|all}:{memory|self|dir=/abs}[,size=N]`.
 *
 * @example
 * ```ts
 * parseOverlay2('all:memory,size=1g'); // { rootMount: true, subMounts: true, medium: 'memory', size: '1g' }
 * ```
 */
export function parseOverlay2(v: string): Overlay2 {
  if (v === 'none') return { rootMount: false, subMounts: false, medium: '', size: '' };
  const formatErr = (): RunscConfigError => new RunscConfigError(`expected format is --overlay2={mount}:{medium}[,size={size}], got ${JSON.stringify(v)}`);
  const parts = v.split(',');
  const vs = parts[0]!.split(':');
  if (vs.length !== 2) throw formatErr();
  const out: Overlay2 = { rootMount: true, subMounts: false, medium: '', size: '' };
  if (vs[0] === 'all') out.subMounts = true;
  else if (vs[0] !== 'root') throw new RunscConfigError(`unexpected mount specifier for --overlay2: ${JSON.stringify(vs[0])}`);
  out.medium = parseMedium(vs[1]!);
  if (parts.length === 2) {
    if (!parts[1]!.startsWith('size=')) throw formatErr();
    out.size = parts[1]!.slice(5);
  } else if (parts.length > 2) throw formatErr();
  return out;
}

/** config.go:Overlay2.String. */
export function formatOverlay2(o: Overlay2): string {
  if (!o.rootMount && !o.subMounts) return 'none';
  return `${o.subMounts ? 'all' : 'root'}:${o.medium}${o.size ? `,size=${o.size}` : ''}`;
}

/** config.go:FileAccessType.Set. */
export function parseFileAccess(v: string): FileAccess {
  if (v === 'shared' || v === 'exclusive') return v;
  throw new RunscConfigError(`invalid file access type ${JSON.stringify(v)}`);
}

/** config.go:Config.Validate, the rule that concerns the filesystem. */
export function validateConfig(c: RunscConfig): RunscConfig {
  const enabled = c.overlay2.medium !== '';
  if (c.fileAccess === 'shared' && enabled) throw new RunscConfigError('overlay flag is incompatible with shared file access for rootfs');
  return c;
}

/** specutils.GoferMountConf's two halves: what is below (lower) and above (upper) a gofer mount. */
export type GoferLower = 'none' | 'lisafs' | 'erofs';
export type GoferUpper = 'none' | 'memory' | 'self' | 'anon';

export interface GoferMountConf {
  lower: GoferLower;
  upper: GoferUpper;
  size: string;
}

/** gofer_conf.go: ShouldUseOverlayfs. */
export const shouldUseOverlayfs = (g: GoferMountConf): boolean => g.lower !== 'none' && g.upper !== 'none';
/** gofer_conf.go: IsFilestorePresent (a host file backs the upper tmpfs). */
export const isFilestorePresent = (g: GoferMountConf): boolean => g.upper === 'self' || g.upper === 'anon';

/** What createGoferConf needs to know of a mount source on the host. */
export type SourceKind = (path: string) => 'dir' | 'file' | 'missing';

/**
 * container.go:createGoferConf: a bind is served by lisafs, a tmpfs hint has no lower; the
 * medium becomes the upper, except that `self` needs a directory to hold its file, so a file
 * source falls back to memory with runsc's warning.
 */
export function createGoferConf(medium: OverlayMedium, size: string, mountType: 'bind' | 'tmpfs', source: string, kind: SourceKind, warn: (w: string) => void): GoferMountConf {
  const lower: GoferLower = mountType === 'bind' ? 'lisafs' : 'none';
  if (medium === '') return { lower, upper: 'none', size: '' };
  if (medium === 'memory') return { lower, upper: 'memory', size };
  if (medium === 'self') {
    const k = kind(source);
    if (k === 'missing') throw new RunscConfigError(`failed to stat mount ${JSON.stringify(source)} to see if it were a directory: stat ${source}: no such file or directory`);
    if (k !== 'dir') {
      warn(`self filestore is only supported for directory mounts, but mount ${JSON.stringify(source)} is not a directory, falling back to memory`);
      return { lower, upper: 'memory', size };
    }
    return { lower, upper: 'self', size };
  }
  return { lower, upper: 'anon', size };
}
