/**
 * mqueue (ipc/mqueue.c) as far as mounting needs: one superblock per IPC namespace, made when the
 * namespace is (so even a container's own is read-write whatever its first mount asks, measured),
 * shared by every mount; no mount options (any is EINVAL); an empty root of mode 1777. Queues are
 * not modelled: creating a name is EPERM.
 */
import { S_ISVTX, type FileSystemType } from '../../vfs/inode.js';
import { SimpleInode } from '../libfs/simple.js';
import { PseudoSuperBlock, sharedSuperBlockType } from '../libfs/super.js';

export const MQUEUE_MAGIC = 0x19800202;

export class MqueueSuperBlock extends PseudoSuperBlock {
  // mqueue_get_inode() gives a directory two DIRENT_SIZE (20) entries' worth of size.
  readonly root = SimpleInode.build(this, { dir: {}, mode: S_ISVTX | 0o777, size: 40 });
}

/** The `mqueue` filesystem type (one per kernel: its superblock is the machine's IPC namespace's). */
export function mqueueType(): FileSystemType {
  return sharedSuperBlockType('mqueue', (type, ctx) => new MqueueSuperBlock(type, ctx, 0, MQUEUE_MAGIC));
}
