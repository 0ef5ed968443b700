/**
 * `vfsemu-image`: a block-device filesystem of this emulator — mount(2) of a loop device whose
 * backing file holds vfsemu's image format (src/boot/rootfs-image.ts's JSON tree; image.ts reads
 * it) — and the machine's block layer it needs, the loop driver (src/vfs/loop.ts), which the
 * type carries for the kernel it is registered in (src/vfs/loop-syscalls.ts finds it there).
 *
 * The mount follows get_tree_bdev(): the source is walked as the mounting task (ENOENT, ENOTDIR,
 * ELOOP as they come), must be a block device (ENOTBLK), on a mount without nodev (EACCES,
 * may_open_dev()), of a device the driver has (ENXIO); an unbound loop device has nothing to read
 * (EIO), a read-only one takes only a read-only mount (EACCES), and a device already mounted
 * gives its superblock again (sget_dev()), EBUSY when one mount is read-only and the other not.
 * The superblock holds the device open until its last mount goes (the loop device's autoclear
 * waits for it). All as test/kernel/facts/loop-fuse.json recorded with ext4 on Linux 6.18.
 *
 * What is modelled of the data: the image is read once, at the mount, into a tmpfs tree without
 * limits (the storage the build gives it); changes made through the mount live in that tree and are not written back to the
 * backing file. Real on-disk formats (ext4, xfs, btrfs, squashfs, erofs, …) are not modelled:
 * `notModelled()` says so per type, and a plain mount of one is ENODEV, as on a kernel without
 * the module.
 */
import { errno } from '../../vfs/errno.js';
import { SB_RDONLY, type FileSystemType, type FsContext, type SuperBlock } from '../../vfs/inode.js';
import { LoopControl, type LoopDevice } from '../../vfs/loop.js';
import { loopDeviceOf, type BlockLayerType } from '../../vfs/loop-syscalls.js';
import { MNT_NODEV, type Mount } from '../../vfs/mount.js';
import { fillTree, readImage, rootMeta } from './image.js';

export const VFSEMU_IMAGE = 'vfsemu-image';
/** statfs f_type of a vfsemu-image superblock: vfsemu's own ("VFSI"), no kernel type has it. */
export const VFSEMU_IMAGE_MAGIC = 0x56465349;

/**
 * Block filesystems the kernel has and this emulator does not read, with what each is. A
 * containerd mount list naming one is reported with this sentence rather than run.
 */
const NOT_MODELLED: Readonly<Record<string, string>> = {
  ext2: 'ext2 (on-disk format)',
  ext3: 'ext3 (on-disk format)',
  ext4: 'ext4 (on-disk format, journal)',
  xfs: 'XFS (on-disk format)',
  btrfs: 'Btrfs (on-disk format, subvolumes)',
  squashfs: 'SquashFS (compressed read-only image)',
  erofs: 'EROFS (read-only image, as containerd\'s erofs snapshotter makes)',
  vfat: 'FAT',
  f2fs: 'F2FS',
  iso9660: 'ISO 9660',
  udf: 'UDF',
  fuseblk: 'fuseblk (FUSE on a block device)',
};

/**
 * Why a block filesystem type cannot be mounted here, or null when it can (or is no block
 * filesystem this table knows).
 *
 * @example
 * ```ts
 * notModelled('ext4'); // 'ext4 is not modelled: vfsemu does not read ext4 (on-disk format, journal) images; …'
 * ```
 */
export function notModelled(fstype: string): string | null {
  const what = NOT_MODELLED[fstype];
  if (!what) return null;
  return `${fstype} is not modelled: vfsemu does not read ${what} images; a loop device can be mounted as ${VFSEMU_IMAGE} (a file holding vfsemu's JSON image)`;
}

/** The root directory's mode and owner, as the image gives them. */
export interface ImageRoot {
  mode: number;
  uid: number;
  gid: number;
}

/**
 * Where a mounted image lives: a new, empty superblock of `type` (its root as `root` says,
 * statfs f_type VFSEMU_IMAGE_MAGIC, no super options of its own) that the image is written
 * into; its remount calls `checkRemount` with the new SB_* flags first. A filesystem here may
 * not import another (DESIGN.md), so the build passes a tmpfs (src/plan/machine.ts).
 */
export type ImageStorage = (type: FileSystemType, ctx: FsContext, flags: number, root: ImageRoot, checkRemount: (sbFlags: number) => void) => SuperBlock;

/** The type, with the loop driver of the kernel it is registered in. */
export interface VfsemuImageType extends FileSystemType, BlockLayerType {}

/**
 * A `vfsemu-image` type with its own loop driver: one per kernel (FILESYSTEM_TYPES makes it).
 *
 * @example
 * ```ts
 * const k = newKernel(); // registers vfsemuImageType(tmpfs storage)
 * // losetup, then: p.mount('/dev/loop0', '/mnt', 'vfsemu-image', MS_RDONLY, null)
 * ```
 */
export function vfsemuImageType(storage: ImageStorage, loopControl = new LoopControl()): VfsemuImageType {
  const mounted = new Map<LoopDevice, SuperBlock>();
  const type: VfsemuImageType = {
    name: VFSEMU_IMAGE,
    loopControl,
    mount(ctx: FsContext, source: string, flags: number): SuperBlock {
      // lookup_bdev(): the source as a path, walked as the mounting task.
      if (!ctx.resolveDir) throw errno('ENOTBLK');
      const at = ctx.resolveDir(source);
      const inode = at.dentry.inode;
      const dev = loopDeviceOf(loopControl, inode.mode, inode.rdev);
      // may_open_dev(): a device node on a nodev mount does not open.
      if ((at.mount as Mount).flags & MNT_NODEV) throw errno('EACCES');
      // An unbound loop device has size 0: the superblock read fails.
      const back = dev.file;
      if (!back) throw errno('EIO');
      if (!(flags & SB_RDONLY) && dev.readOnly) throw errno('EACCES');
      const live = mounted.get(dev);
      if (live && ctx.isMounted?.(live)) {
        if ((live.flags ^ flags) & SB_RDONLY) throw errno('EBUSY');
        return live;
      }
      const bytes = new Uint8Array(back.inode.size);
      let n = 0;
      while (n < bytes.length) {
        const got = back.inode.read(n, bytes.subarray(n));
        if (got <= 0) break;
        n += got;
      }
      const root = readImage(bytes.subarray(0, n));
      const m = rootMeta(root);
      // A read-write remount of a read-only device is EACCES, as the device's open for write is.
      const checkRemount = (sbFlags: number): void => {
        if (!(sbFlags & SB_RDONLY) && dev.readOnly) throw errno('EACCES');
      };
      const sb = storage(type, ctx, flags & ~SB_RDONLY, { mode: m.mode ?? 0o755, uid: m.uid ?? 0, gid: m.gid ?? 0 }, checkRemount);
      fillTree(sb.root, root);
      sb.flags = flags;
      mounted.set(dev, sb);
      dev.hold({ alive: () => ctx.isMounted?.(sb) ?? false });
      return sb;
    },
  };
  return type;
}
