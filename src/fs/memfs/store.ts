/**
 * The volume a `memfs` mount shows: the filesystem's view of a memfs `Volume` (or anything shaped
 * like one), as a block driver is a disk filesystem's view of its device. The filesystem
 * (src/fs/memfs) keeps no file data or attributes of its own: every read, write, name and
 * attribute goes to the store, so the embedder and the sandbox see one set of files, live.
 *
 * The store is the embedder's: src/fs may not use Node (no Buffer), so it takes bytes as
 * `Uint8Array` and times as `Timespec`, and the adapter over a real memfs Volume lives in
 * src/node (memfs-store.ts). Nodes are opaque: a node is the same object under each of its names
 * (hard links), and that identity is the inode's.
 *
 * Invariants the filesystem relies on: `lookup` and `entries` reflect the volume at the time of
 * the call (never `.`/`..`); a node of `attrs(..).mode` type S_IFDIR is the only kind with
 * entries; a name the filesystem adds or removes is added or removed at once.
 */
import type { Inode } from '../../vfs/inode.js';
import type { Timespec } from '../../vfs/time.js';

/** A file, directory or link of the volume; only the store looks inside. */
export type StoreNode = object;

/** What stat(2) needs of a node: the inode's attributes (mode with its S_IFMT bits). */
export type StoreAttrs = Pick<Inode, 'ino' | 'mode' | 'uid' | 'gid' | 'nlink' | 'rdev' | 'size' | 'atime' | 'mtime' | 'ctime' | 'btime'>;

/** Attribute changes the VFS has already permitted (size goes through `truncate`). */
export interface StoreAttrChange {
  mode?: number;
  uid?: number;
  gid?: number;
  atime?: Timespec;
  mtime?: Timespec;
  ctime?: Timespec;
}

export interface MemfsStore {
  /** The volume's root directory. */
  readonly root: StoreNode;
  attrs(node: StoreNode): StoreAttrs;
  setAttrs(node: StoreNode, change: StoreAttrChange): void;

  /** The node named `name` in directory `dir`, if any. */
  lookup(dir: StoreNode, name: string): StoreNode | undefined;
  /** Every entry of `dir` but `.` and `..`, in the volume's order. */
  entries(dir: StoreNode): [string, StoreNode][];
  /** A new directory, regular file or special file (`mode` has its S_IFMT bits) named `name`. */
  create(dir: StoreNode, name: string, mode: number, uid: number, gid: number, rdev: number): StoreNode;
  symlink(dir: StoreNode, name: string, target: string, uid: number, gid: number): StoreNode;
  /** A new name for an existing non-directory. */
  link(dir: StoreNode, name: string, node: StoreNode): void;
  /** Removes a name (of a file, or of an empty directory); the node lives on while it has names or users. */
  unlink(dir: StoreNode, name: string): void;
  /** Moves a name; `newName` in `newDir` is free. */
  rename(dir: StoreNode, name: string, newDir: StoreNode, newName: string): void;

  /** Reads at `pos` into `into`; the count read, 0 at or past the end. */
  read(node: StoreNode, pos: number, into: Uint8Array): number;
  /** Writes `data` at `pos` (a gap reads as zeros); the count written. */
  write(node: StoreNode, pos: number, data: Uint8Array): number;
  truncate(node: StoreNode, size: number): void;
  readlink(node: StoreNode): string;
}
