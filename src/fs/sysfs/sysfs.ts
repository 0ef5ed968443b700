/**
 * sysfs (fs/sysfs, on kernfs) as far as mounting needs: one superblock per network namespace,
 * shared by every mount (the emulated machine has one, made at boot, read-write), no mount options
 * (any is EINVAL), a root of mode 0555 and the top-level directories of the reference host with
 * the ones containers mount over or mask: /sys/fs/cgroup and /sys/firmware. Nothing can be
 * created in it (EPERM, measured for mkdir).
 *
 * A container with its own network namespace gets a new sysfs superblock, made with the mount's
 * flags (`- sysfs sysfs ro` for runc's read-only /sys); plans have no network namespaces yet, so
 * that superblock is not modelled (the dry-run warns).
 */
import type { FileSystemType } from '../../vfs/inode.js';
import { dir, SimpleInode, type TreeSpec } from '../libfs/simple.js';
import { PseudoSuperBlock, sharedSuperBlockType } from '../libfs/super.js';

export const SYSFS_MAGIC = 0x62656572;

const d755 = (entries: Record<string, TreeSpec> = {}): TreeSpec => dir(entries, 0o755);

/** The tree: top-level directories (0755 under a 0555 root), /sys/fs and /sys/kernel's mount points. */
function sysfsTree(): TreeSpec {
  return dir({
    block: d755(),
    bus: d755(),
    class: d755(),
    dev: d755({ block: d755(), char: d755() }),
    devices: d755(),
    firmware: d755(),
    // Mount points made by sysfs_create_mount_point() are 0555.
    fs: d755({ bpf: dir({}, 0o555), cgroup: dir({}, 0o555), fuse: d755(), pstore: dir({}, 0o555) }),
    kernel: d755({ debug: dir({}, 0o555), security: dir({}, 0o555), tracing: dir({}, 0o555), mm: d755() }),
    module: d755(),
    power: d755(),
  });
}

export class SysfsSuperBlock extends PseudoSuperBlock {
  readonly root = SimpleInode.build(this, sysfsTree());
}

/** The `sysfs` filesystem type (one per kernel: its superblock is the machine's). */
export function sysfsType(): FileSystemType {
  return sharedSuperBlockType('sysfs', (type, ctx) => new SysfsSuperBlock(type, ctx, 0, SYSFS_MAGIC));
}
