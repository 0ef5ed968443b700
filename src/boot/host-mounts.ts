/**
 * The host's mounts behind a bundle, made again in the host part of a plan: for the rootfs and
 * every bind source, the mount it lives on (and the mounts below it), with the host's filesystem
 * type, source, super options, per-mount flags, root within the filesystem and propagation, so
 * that what runc then does with them follows from the model and not from an assumption
 * (issue 18): a bind copies its source mount's flags (fs/namespace.c clone_mnt); runc 1.1's
 * remount of a bind with options (libcontainer/rootfs_linux.go mountToRootfs → remount()) sets
 * exactly the spec's flags, dropping the others but the atime ones (path_mount keeps those on a
 * remount that names none), and retries read-only when the source's statfs says ST_RDONLY;
 * prepareRoot() makes "/" rslave, so a host peer group shows as `master:N`, and
 * rootfsParentMountPrivate() makes a shared parent of the rootfs private; EPERM on a locked flag
 * is the kernel's answer where a user namespace locks it (src/vfs).
 *
 * How a host mount is made again (`HostMountMaker`), in the host's table order:
 *
 * - a filesystem seen for the first time (by MAJ:MIN) is a new mount: tmpfs as tmpfs when the
 *   emulator's tmpfs takes its options, anything else (ext4, xfs, an engine's overlay, …) as the
 *   `hostfs:TYPE` stand-in (src/fs/tmpfs/host-standin.ts), with the super options as data; a root other
 *   than `/` is reached by mounting on a staging directory and binding the root from there;
 * - a later mount of the same filesystem is a bind from the first (the kernel's own way to have
 *   one superblock at two places), so both share the superblock as on the host;
 * - the host's `/` is mounted on a staging directory and pivoted into, as runc pivots into its
 *   rootfs (rootfs_linux.go pivotRoot(): pivot_root(".", "."), the old root detached), so that
 *   host paths are where the host has them;
 * - propagation: `shared:N` made shared (binds from a shared mount join its group, as on the
 *   host), `master:N` made a slave of a hidden peer (a bind of the mount on a staging directory,
 *   which nothing in the container sees), `unbindable`, or private;
 * - per-mount flags other than ro at once; read-only (the superblock's, with a remount, and the
 *   mount's, with a bind remount) only in `finish()`, after the host part wrote the bundle's tree,
 *   which a read-only mount would refuse (test/boot/record-runc.mjs makes its host mounts in the
 *   same order).
 *
 * Invariant: every op is a plan op (docs/plan-format.md) run in the host part; staging
 * directories live under STAGE and are removed once empty. Nothing here reads the host: the
 * mounts come from HostFacts (src/host reads them, or a --host-facts file, or a recording).
 */
import { parseTmpfsOptions } from '../fs/tmpfs/options.js';
import { STANDIN_PREFIX } from '../fs/tmpfs/host-standin.js';
import type { OpResult } from '../plan/outcome.js';
import type { MountFlagName, PlanOp } from '../plan/plan.js';
import { parseMountData } from '../vfs/mount-options.js';
import type { HostFacts, HostMount } from './host-facts.js';
import { join, rel } from './paths.js';

/** Where the host part stages mounts (the host's root before its pivot, roots other than `/`, hidden master peers). */
export const STAGE = '/.vfsemu-host';

/** What the maker needs of the run: ops recorded and run, existence, mkdir -p. */
export interface HostSide {
  exec(op: PlanOp): OpResult;
  exists(path: string): boolean;
  ensureDir(path: string): void;
}

/** The per-mount options of a mountinfo line as plan flags (show_mnt_opts(): no atime word is strictatime). */
export function mountFlagsOf(options: string): MountFlagName[] {
  const words = options.split(',');
  const flags: MountFlagName[] = [];
  if (words.includes('ro')) flags.push('rdonly');
  for (const w of ['nosuid', 'nodev', 'noexec', 'noatime', 'nodiratime', 'relatime'] as const) if (words.includes(w)) flags.push(w);
  if (!words.includes('noatime') && !words.includes('relatime')) flags.push('strictatime');
  return flags;
}

/** The super options without ro/rw: the data that makes the filesystem again. */
const dataOf = (m: HostMount): string =>
  m.superOptions
    .split(',')
    .filter((w) => w !== 'rw' && w !== 'ro')
    .join(',');

const superReadonly = (m: HostMount): boolean => m.superOptions.split(',').includes('ro');

/** Whether the emulator's own tmpfs takes this host tmpfs's options (else the stand-in shows them). */
function tmpfsTakes(m: HostMount): boolean {
  try {
    parseTmpfsOptions(parseMountData(dataOf(m), 0).params, 1 << 20);
    return true;
  } catch {
    return false;
  }
}

/** The fstype a plan mounts for a host mount: `tmpfs`, or the stand-in's `hostfs:TYPE`. */
export function reproducedType(m: HostMount): string {
  return m.fstype === 'tmpfs' && tmpfsTakes(m) ? 'tmpfs' : STANDIN_PREFIX + m.fstype;
}

/**
 * The host facts as the native backend can make them: its sandbox policy mounts no filesystem
 * but its own few (src/plan/policy.ts, "Refused ops"), and the host's disks are out of its reach
 * by design. Each mount the emulator stands in for becomes a tmpfs with the same source, per-mount
 * flags, root, read-only superblock and propagation: the kernel then checks everything runc does
 * with those mounts, but not their type, source or super options (`standins` lists them).
 */
export function forNativeKernel(host: HostFacts): { host: HostFacts; standins: HostMount[] } {
  const standins = host.mounts.filter((m) => reproducedType(m) !== 'tmpfs');
  const mounts = host.mounts.map((m) => (standins.includes(m) ? { ...m, fstype: 'tmpfs', superOptions: superReadonly(m) ? 'ro' : 'rw' } : m));
  return { host: { ...host, mounts }, standins };
}

/** A host mount as made: where it is now, and what the later ones bind from. */
interface Made {
  m: HostMount;
  target: string;
  /** Made by a bind from an earlier mount (the bind copied that mount's flags). */
  bound: boolean;
  /** The master group this mount was made a slave of. */
  slaveOf?: string;
}

/** Makes the host's mounts again (see the file header); `finish()` after the bundle's tree. */
export class HostMountMaker {
  private readonly made: Made[] = [];
  private stages = 0;
  /** Hidden master peers left mounted under STAGE. */
  private peers = 0;

  constructor(
    private readonly h: HostSide,
    /** Paths known to be files on the host (a file bind source that is itself a mount point). */
    private readonly files: ReadonlySet<string> = new Set(),
  ) {}

  /** Makes `mounts` (a table's lines, in its order): the host's `/` first. */
  make(mounts: readonly HostMount[]): void {
    const root = mounts.filter((m) => m.mountpoint === '/').at(-1);
    if (root) this.makeRoot(root);
    for (const m of mounts) if (m.mountpoint !== '/') this.makeOne(m, m.mountpoint);
  }

  /** The host's `/`: made on a staging directory, then pivoted into as runc does (pivot_root(".", ".")). */
  private makeRoot(m: HostMount): void {
    const at = `${STAGE}/root`;
    this.makeOne(m, at, false);
    this.h.exec({ op: 'pivot_root', new_root: at, put_old: at });
    this.h.exec({ op: 'mount', source: '', target: '/..', fstype: '', flags: ['private', 'rec'] });
    this.h.exec({ op: 'umount', target: '/..', flags: ['detach'] });
    this.made.at(-1)!.target = '/';
    this.propagate(this.made.at(-1)!);
  }

  private stage(): string {
    return `${STAGE}/${this.stages++}`;
  }

  /** mkdir -p of a mount point, or its file (created empty, as a file bind's target is). */
  private ensure(path: string, file: boolean): void {
    if (this.h.exists(path)) return;
    if (!file) return this.h.ensureDir(path);
    this.h.ensureDir(join(path, '..'));
    this.h.exec({ op: 'write', path, data: '', mode: 0o644 });
  }

  private makeOne(m: HostMount, target: string, propagate = true): void {
    const file = this.files.has(m.mountpoint);
    this.ensure(target, file);
    const flags = mountFlagsOf(m.options).filter((f) => f !== 'rdonly');
    // The same filesystem already made, with this mount's root inside its own: a bind from it.
    const from = this.made.find((d) => d.m.dev === m.dev && !rel(d.m.root, m.root).startsWith('..'));
    if (from) {
      const source = join(from.target, rel(from.m.root, m.root));
      this.ensure(source, file);
      this.h.exec({ op: 'mount', source, target, fstype: '', flags: ['bind'] });
      this.made.push({ m, target, bound: true, ...(from.slaveOf ? { slaveOf: from.slaveOf } : {}) });
    } else {
      const fs = { source: m.source, fstype: reproducedType(m), flags, data: dataOf(m) };
      if (m.root === '/') this.h.exec({ op: 'mount', target, ...fs });
      else {
        // A root below the filesystem's: mount it aside, bind the root from there, let go of the aside.
        const aside = this.stage();
        this.h.ensureDir(aside);
        this.h.exec({ op: 'mount', target: aside, ...fs });
        this.ensure(join(aside, m.root), file);
        this.h.exec({ op: 'mount', source: join(aside, m.root), target, fstype: '', flags: ['bind'] });
        this.h.exec({ op: 'umount', target: aside, flags: ['detach'] });
        this.h.exec({ op: 'rmdir', path: aside });
      }
      this.made.push({ m, target, bound: false });
    }
    if (propagate) this.propagate(this.made.at(-1)!);
  }

  /** The mount's propagation as the host has it (see the file header). */
  private propagate(d: Made): void {
    const words = d.m.optional.split(' ');
    const shared = words.some((w) => w.startsWith('shared:'));
    const master = words.find((w) => w.startsWith('master:'))?.slice('master:'.length);
    const prop = (flag: MountFlagName): void => void this.h.exec({ op: 'mount', source: '', target: d.target, fstype: '', flags: [flag] });
    if (master !== undefined && d.slaveOf !== master) {
      // A peer on a staging directory becomes the master: make the mount shared, bind it there
      // (the bind joins its group), then make the mount a slave of that group.
      const peer = this.stage();
      this.peers++;
      this.h.ensureDir(peer);
      prop('shared');
      this.h.exec({ op: 'mount', source: d.target, target: peer, fstype: '', flags: ['bind'] });
      prop('slave');
      d.slaveOf = master;
    }
    if (shared) prop('shared');
    else if (words.includes('unbindable')) prop('unbindable');
    else if (master === undefined) prop('private');
  }

  /**
   * Read-only where the host has it, and each bound mount's own flags (a bind copied its
   * source's): the superblock with a remount (which sets the mount's flags too), the mount with
   * MS_REMOUNT|MS_BIND.
   */
  finish(): void {
    for (const d of this.made) {
      const flags = mountFlagsOf(d.m.options);
      const sbRo = superReadonly(d.m);
      if (sbRo && !d.bound) this.h.exec({ op: 'mount', source: '', target: d.target, fstype: '', flags: ['remount', 'rdonly', ...flags.filter((f) => f !== 'rdonly')], data: '' });
      if (d.bound || flags.includes('rdonly') !== sbRo) this.h.exec({ op: 'mount', source: '', target: d.target, fstype: '', flags: ['remount', 'bind', ...flags], data: '' });
    }
    if (this.peers === 0 && this.h.exists(STAGE)) this.h.exec({ op: 'rmdir', path: STAGE });
  }
}
