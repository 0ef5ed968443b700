/**
 * sysfs (fs/sysfs, on kernfs) as far as mounting needs: one superblock per network namespace,
 * shared by every mount made in it, no mount options (any is EINVAL), a root of mode 0555 and the
 * top-level directories of the reference host with the ones containers mount over or mask:
 * /sys/fs/cgroup and /sys/firmware. Nothing can be created in it (EPERM, measured for mkdir).
 *
 * The superblocks, as recorded on Linux 6.18 (test/boot/record-sysfs-netns.py; checked by
 * test/boot/sysfs-netns.test.ts): init_net's exists from boot, read-write, and the host's /sys
 * keeps it alive, so a mount's ro goes to the mount only (`ro,… - sysfs sysfs rw`). Another
 * network namespace has none until its first sysfs mount makes one with that mount's superblock
 * flags — runc's read-only /sys in a container with its own network namespace shows
 * `- sysfs sysfs ro` — and later mounts share it whatever their flags, until its last mount goes
 * (kill_sb); the next mount makes a new one.
 */
import { errno } from '../../vfs/errno.js';
import type { FileSystemType } from '../../vfs/inode.js';
import { parseMountData } from '../../vfs/mount-options.js';
import type { NetNamespace } from '../../vfs/net-namespace.js';
import { dir, mountPointDir, SimpleInode, type TreeSpec } from '../libfs/simple.js';
import { PseudoSuperBlock } from '../libfs/super.js';

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
    // Mount points made by sysfs_create_mount_point() are 0555 and permanently empty.
    fs: d755({ bpf: mountPointDir(), cgroup: mountPointDir(), fuse: d755({ connections: mountPointDir() }), pstore: mountPointDir() }),
    kernel: d755({ debug: mountPointDir(), security: mountPointDir(), tracing: mountPointDir(), mm: d755() }),
    module: d755(),
    power: d755(),
  });
}

export class SysfsSuperBlock extends PseudoSuperBlock {
  readonly root = SimpleInode.build(this, sysfsTree());
}

/**
 * The `sysfs` filesystem type (one per kernel): sysfs_get_tree()'s superblock of the mounting
 * task's network namespace (kernfs_test_super() compares the namespace tag).
 *
 * @example
 * ```ts
 * p.unshare(CLONE_NEWNS | CLONE_NEWNET);
 * p.mount('sysfs', '/sys', 'sysfs', MS_RDONLY, null); // mountinfo: "ro,relatime - sysfs sysfs ro"
 * ```
 */
export function sysfsType(): FileSystemType {
  const sbs = new WeakMap<NetNamespace, SysfsSuperBlock>();
  const type: FileSystemType = {
    name: 'sysfs',
    mount(ctx, _source, flags, data) {
      const { sbFlags, params } = parseMountData(data, flags);
      // "Unknown parameter" comes from parsing, before any superblock is looked for.
      if (params.length > 0) throw errno('EINVAL');
      const initNet = ctx.netns.index === 0;
      let sb = sbs.get(ctx.netns);
      // A namespace's superblock dies with its last mount (init_net's never: the host's /sys).
      if (sb && !initNet && ctx.isMounted && !ctx.isMounted(sb)) sb = undefined;
      if (!sb) {
        sb = new SysfsSuperBlock(type, ctx, initNet ? 0 : sbFlags, SYSFS_MAGIC);
        sbs.set(ctx.netns, sb);
      }
      return sb;
    },
  };
  return type;
}
