/**
 * A stand-in for a host filesystem the emulator has no model of (ext4, xfs, btrfs, an overlay a
 * container engine mounted, nfs, …): what a runc dry-run needs of the mount the rootfs or a bind
 * source lives on, and no more. It owns:
 *
 * - the recorded type name (`/proc/filesystems` and mountinfo's fstype are the host's), the
 *   source (the mount's devname, as any mount carries it) and the super options, shown verbatim
 *   after the SB_* words (ro/rw, sync, dirsync, mand, lazytime), as show_mountinfo() prints
 *   show_sb_opts() then the filesystem's ->show_options();
 * - the statfs magic of the host's type where linux/magic.h gives one (runc's checkProcMount
 *   asks statfs(2) for PROC_SUPER_MAGIC), 0 for the others;
 * - the contents: a tmpfs underneath (src/fs/tmpfs), without limits, holding what the host
 *   part of a plan writes (the bundle's tree). Nothing of the host's own data is modelled.
 *
 * Invariants: the super options never change after the mount (a remount takes the SB_* words of
 * its data and keeps the recorded rest: the emulator cannot know what ext4 would do with new
 * ones); every superblock gets its own anonymous device number, so two host mounts of one
 * device share a superblock only when the plan binds one from the other.
 *
 * It is registered per session by the runc profile for the types a host's mount table names
 * (src/boot/host-facts.ts `hostFsTypes`), under `hostfs:TYPE` (what a plan's `fstype` says, so
 * that a plan never claims to mount the real thing, and `hostfs:overlay` does not displace the
 * emulator's overlay), never in the build's FILESYSTEM_TYPES: a plain plan that mounts `ext4`
 * stays ENODEV, as on a kernel without the module.
 */
import type { FileSystemType, FsStats } from '../../vfs/inode.js';
import { parseMountData } from '../../vfs/mount-options.js';
import { TmpfsSuperBlock } from './tmpfs.js';

/** statfs(2) f_type of the host filesystems a stand-in is most often for (linux/magic.h). */
const MAGIC: Record<string, number> = {
  ext2: 0xef53,
  ext3: 0xef53,
  ext4: 0xef53,
  xfs: 0x58465342,
  btrfs: 0x9123683e,
  overlay: 0x794c7630,
  zfs: 0x2fc12fc1,
  nfs: 0x6969,
  nfs4: 0x6969,
  fuse: 0x65735546,
  vfat: 0x4d44,
  f2fs: 0xf2f52010,
  squashfs: 0x73717368,
  '9p': 0x01021997,
  tmpfs: 0x01021994,
  proc: 0x9fa0,
  sysfs: 0x62656572,
  devpts: 0x1cd1,
  mqueue: 0x19800202,
  cgroup: 0x27e0eb,
  cgroup2: 0x63677270,
  virtiofs: 0x6a656a63,
  ceph: 0x00c36400,
};

/** The prefix of a stand-in's registered name: `hostfs:ext4` stands for the host's ext4. */
export const STANDIN_PREFIX = 'hostfs:';

/** The filesystem's part of the data: the words that are not SB_* flags, in their order. */
function ownOptions(data: string, flags: number): { sbFlags: number; options: string } {
  const { sbFlags, params } = parseMountData(data, flags);
  return { sbFlags, options: params.map((p) => (p.value === undefined ? p.key : `${p.key}=${p.value}`)).join(',') };
}

/** A stand-in superblock: tmpfs storage, the host's type, super options and magic. */
export class HostStandinSuperBlock extends TmpfsSuperBlock {
  readonly recordedOptions: string;

  /** `shown` is the host's type (mountinfo's fstype), not the registered `hostfs:` one. */
  constructor(shown: FileSystemType, ctx: ConstructorParameters<typeof TmpfsSuperBlock>[1], data: string, flags: number) {
    const { sbFlags, options } = ownOptions(data, flags);
    // size=0,nr_inodes=0: no limits (what the host holds is not the emulator's to account), the
    // root 0755 as mkfs leaves it; the host part of the plan chmods it to what the host shows.
    super(shown, ctx, 'size=0,nr_inodes=0,mode=755', sbFlags);
    this.recordedOptions = options;
  }

  override showOptions(): string {
    return this.recordedOptions ? `,${this.recordedOptions}` : '';
  }

  override statfs(): FsStats {
    return { ...super.statfs(), type: MAGIC[this.type.name] ?? 0 };
  }

  /** A remount changes the SB_* flags only; the recorded options stay (see the invariants). */
  override reconfigure(data: string, flags: number): void {
    this.flags = ownOptions(data, flags).sbFlags;
  }

  /** The host filesystem's own options are not the emulator's to judge: a remount parses none (nothing is EINVAL). */
  override parseReconfigure(): void {}
}

/**
 * The stand-in type for the host's filesystem type `hostType`, registered as `hostfs:hostType`.
 *
 * @example
 * ```ts
 * const k = newKernel();
 * k.register(hostStandinType('ext4'));
 * p.mount('/dev/vda', '/host', 'hostfs:ext4', 0, 'discard,errors=remount-ro');
 * // mountinfo: … - ext4 /dev/vda rw,discard,errors=remount-ro
 * ```
 */
export function hostStandinType(hostType: string): FileSystemType {
  const shown: FileSystemType = { name: hostType, mount: (...a) => type.mount(...a) };
  const type: FileSystemType = {
    name: STANDIN_PREFIX + hostType,
    mount(ctx, _source, flags, data) {
      const all = ctx.params ? ctx.params.map((p) => (p.value === null ? p.key : `${p.key}=${p.value}`)).join(',') : data;
      return new HostStandinSuperBlock(shown, ctx, all, flags);
    },
  };
  return type;
}
