/**
 * mqueue (ipc/mqueue.c) as far as mounting needs: one superblock per IPC namespace
 * (ipc-namespace.ts), made when the namespace is (mq_init_ns(), so even a container's own is
 * read-write whatever its first mount asks, measured), shared by every mount made from that
 * namespace (mqueue_get_tree(): get_tree_keyed() by the mounting task's IPC namespace) and
 * owned by its owner, so root of a user namespace mounts mqueue once it has unshared an IPC
 * namespace, and not before (FS_USERNS_MOUNT; measured on 6.18:
 * test/kernel/facts/pid-ipc-ns.json); no mount options (any is EINVAL); an empty root of mode
 * 1777. Queues are not modelled: creating a name is EPERM.
 */
import { S_ISVTX, type FileSystemType } from '../../vfs/inode.js';
import type { TaskFsContext } from '../../vfs/kernel.js';
import { SimpleInode } from '../libfs/simple.js';
import { PseudoSuperBlock, sharedSuperBlockType } from '../libfs/super.js';

export const MQUEUE_MAGIC = 0x19800202;

export class MqueueSuperBlock extends PseudoSuperBlock {
  // mqueue_get_inode() gives a directory two DIRENT_SIZE (20) entries' worth of size.
  readonly root = SimpleInode.build(this, { dir: {}, mode: S_ISVTX | 0o777, size: 40 });
}

/**
 * The `mqueue` filesystem type (one per kernel): the superblock of the mounting task's IPC
 * namespace; a context without one (a mount no task asked for) gets the machine's.
 *
 * @example
 * ```ts
 * p.unshare(CLONE_NEWNS | CLONE_NEWIPC);
 * p.mount('mqueue', '/dev/mqueue', 'mqueue', MS_RDONLY, null); // "ro,relatime - mqueue mqueue rw"
 * ```
 */
export function mqueueType(): FileSystemType {
  const machine = {};
  return sharedSuperBlockType(
    'mqueue',
    (type, ctx) => new MqueueSuperBlock(type, ctx, 0, MQUEUE_MAGIC),
    undefined,
    (ctx) => (ctx as TaskFsContext).ipcNs ?? machine,
  );
}
