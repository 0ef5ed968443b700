/**
 * What every overlay module shares (fs/overlayfs/ovl_entry.h, overlayfs.h): the layers
 * (struct ovl_layer), paths in them (struct ovl_path), what a lookup through them found, and how
 * to tell a layer that is itself an overlay.
 *
 * It imports no other overlay module at run time, so that the modules which make overlay inodes
 * (super.ts, through inode.ts) and those the inodes call (namei.ts, copy-up.ts, dir.ts, …) meet
 * here rather than in an import cycle.
 */
import type { Dentry } from '../../vfs/dentry.js';
import type { Inode, SuperBlock } from '../../vfs/inode.js';
import type { OvlSuperBlock } from './super.js';

/** One lower layer (struct ovl_layer): its root, and the filesystem it lies on. */
export interface Layer {
  /** 1 for the topmost lower layer (0 is the upper). */
  readonly index: number;
  readonly root: Dentry;
  /** A data-only layer, below the merged ones. */
  readonly data: boolean;
  /** Which of the overlay's filesystems holds it (0: the upper's). */
  readonly fsid: number;
}

/** One lower directory or file under a merged name (struct ovl_path). */
export interface LowerPath {
  readonly layer: Layer;
  readonly dentry: Dentry;
}

/** What a lookup found: the upper object, the lower objects below it, and the upper's redirect. */
export interface Found {
  upper: Dentry | null;
  lowers: LowerPath[];
  redirect: string | null;
}

/** Carried by every overlay superblock (OvlSuperBlock), so that telling one needs no class. */
export const OVL_SUPER = Symbol('overlay superblock');

/** Whether `sb` is an overlay's superblock (an overlay used as a layer of another). */
export function isOverlaySb(sb: SuperBlock): sb is OvlSuperBlock {
  return OVL_SUPER in sb;
}

/** ovl_can_decode_fh(): whether the filesystem of `inode` decodes file handles (not an overlay). */
export function canDecodeFh(inode: Inode): boolean {
  return !isOverlaySb(inode.sb);
}
