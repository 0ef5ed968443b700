/**
 * tmpfs: the filesystem type and its superblock (mm/shmem.c): limits on pages and inodes with
 * the kernel's accounting, the root directory's mode and owner, statfs with TMPFS_MAGIC, the
 * super options mountinfo shows, and remount.
 *
 * Accounting as in shmem: every inode and every extra hard link costs BOGO_INODE_SIZE of "inode
 * space", every xattr costs 40 + len(name) + len(value) of it; data pages and long symlinks cost
 * pages. Defaults (size and nr_inodes) are half the machine's RAM pages, and are left out of
 * mountinfo, as are mode=1777, uid=0 and gid=0.
 */
import { errno } from '../../vfs/errno.js';
import { S_IFDIR, type FileSystemType, type FsContext, type FsStats, type SuperBlock, type XattrNamespaces } from '../../vfs/inode.js';
import { parseMountData } from '../../vfs/mount-options.js';
import { TmpfsInode } from './inode.js';
import { BOGO_INODE_SIZE, PAGE_SIZE, parseTmpfsOptions } from './options.js';

export const TMPFS_MAGIC = 0x01021994;
const NAME_MAX = 255;

/**
 * shmem_xattr_handlers: security.*, trusted.* and user.* (since Linux 6.6); the system.posix_acl_*
 * handlers are not modelled, so system.* is EOPNOTSUPP, as with CONFIG_TMPFS_POSIX_ACL off.
 */
export const TMPFS_XATTRS: XattrNamespaces = { handlerPrefixes: ['security.', 'trusted.', 'user.'] };

export class TmpfsSuperBlock implements SuperBlock {
  readonly dev: number;
  readonly root: TmpfsInode;
  flags: number;
  maxBlocks: number;
  maxInodes: number;
  usedBlocks = 0;
  /** Inode space left, in bytes (free_ispace); meaningful only with maxInodes. */
  freeIspace: number;
  /** Next inode number (shmem's per-superblock next_ino). */
  nextIno = 1;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly xattrs = TMPFS_XATTRS;

  constructor(
    readonly type: FileSystemType,
    readonly ctx: FsContext,
    data: string,
    flags: number,
  ) {
    const { sbFlags, params } = parseMountData(data, flags);
    const o = parseTmpfsOptions(params, ctx.totalRamPages);
    this.flags = sbFlags;
    const half = Math.floor(ctx.totalRamPages / 2);
    this.maxBlocks = o.blocks ?? half;
    this.maxInodes = o.inodes ?? half;
    this.freeIspace = this.maxInodes * BOGO_INODE_SIZE;
    this.mode = o.mode ?? 0o1777;
    // shmem_parse_one(): uid= and gid= are ids of the mounter's user namespace, kept as kernel
    // ids (make_kuid(current_user_ns())); one it cannot name is EINVAL.
    this.uid = o.uid === undefined ? ctx.creds.uid : ctx.creds.userNs.makeKuid(o.uid);
    this.gid = o.gid === undefined ? ctx.creds.gid : ctx.creds.userNs.makeKgid(o.gid);
    if (this.uid === -1 || this.gid === -1) throw errno('EINVAL');
    this.dev = ctx.anonDev();
    this.root = TmpfsInode.make(this, S_IFDIR | this.mode, 0, this.uid, this.gid);
  }

  get defaultPages(): number {
    return Math.floor(this.ctx.totalRamPages / 2);
  }

  /** shmem_reserve_inode(): takes `bytes` of inode space; ENOSPC when the limit is reached. */
  reserveIspace(bytes: number): void {
    if (!this.maxInodes) return;
    if (this.freeIspace < bytes) throw errno('ENOSPC');
    this.freeIspace -= bytes;
  }

  releaseIspace(bytes: number): void {
    if (this.maxInodes) this.freeIspace += bytes;
  }

  /** A new inode number (0 skipped, as shmem does). */
  allocIno(): number {
    return this.nextIno++;
  }

  /** Takes `n` pages; returns how many could be had (a short write takes what there is). */
  takePages(n: number): number {
    if (!this.maxBlocks) {
      this.usedBlocks += n;
      return n;
    }
    const got = Math.max(0, Math.min(n, this.maxBlocks - this.usedBlocks));
    this.usedBlocks += got;
    return got;
  }

  freePages(n: number): void {
    this.usedBlocks -= n;
  }

  showOptions(): string {
    let s = '';
    if (this.maxBlocks !== this.defaultPages) s += `,size=${this.maxBlocks * (PAGE_SIZE / 1024)}k`;
    if (this.maxInodes !== this.defaultPages) s += `,nr_inodes=${this.maxInodes}`;
    if (this.mode !== 0o1777) s += `,mode=${this.mode.toString(8).padStart(3, '0')}`;
    if (this.uid !== 0) s += `,uid=${this.uid}`;
    if (this.gid !== 0) s += `,gid=${this.gid}`;
    return s;
  }

  statfs(): FsStats {
    const st: FsStats = { type: TMPFS_MAGIC, bsize: PAGE_SIZE, frsize: PAGE_SIZE, namelen: NAME_MAX, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0 };
    if (this.maxBlocks) {
      st.blocks = this.maxBlocks;
      st.bfree = st.bavail = this.maxBlocks - this.usedBlocks;
    }
    if (this.maxInodes) {
      st.files = this.maxInodes;
      st.ffree = Math.floor(this.freeIspace / BOGO_INODE_SIZE);
    }
    return st;
  }

  /** shmem_parse_one() of a remount's options, before the privilege check (EINVAL). */
  parseReconfigure(data: string, flags: number): void {
    parseTmpfsOptions(parseMountData(data, flags).params, this.ctx.totalRamPages);
  }

  /** shmem_reconfigure(): size and nr_inodes may change within what is in use; mode/uid/gid stay. */
  reconfigure(data: string, flags: number): void {
    const { sbFlags, params } = parseMountData(data, flags);
    const o = parseTmpfsOptions(params, this.ctx.totalRamPages);
    if (o.blocks) {
      if (!this.maxBlocks) throw errno('EINVAL'); // "Cannot retroactively limit size"
      if (this.usedBlocks > o.blocks) throw errno('EINVAL'); // "Too small a size for current use"
    }
    const inUse = this.maxInodes * BOGO_INODE_SIZE - this.freeIspace;
    if (o.inodes) {
      if (!this.maxInodes) throw errno('EINVAL'); // "Cannot retroactively limit inodes"
      if (o.inodes * BOGO_INODE_SIZE < inUse) throw errno('EINVAL'); // "Too few inodes for current use"
    }
    if (o.blocks !== undefined) this.maxBlocks = o.blocks;
    if (o.inodes !== undefined) {
      this.maxInodes = o.inodes;
      this.freeIspace = o.inodes * BOGO_INODE_SIZE - inUse;
    }
    this.flags = sbFlags;
  }
}

/** The `tmpfs` filesystem type. */
export const tmpfsType: FileSystemType = {
  name: 'tmpfs',
  mount(ctx, _source, flags, data) {
    const all = ctx.params ? ctx.params.map((p) => (p.value === null ? p.key : `${p.key}=${p.value}`)).join(',') : data;
    return new TmpfsSuperBlock(tmpfsType, ctx, all, flags);
  },
};
