/**
 * The `overlay` filesystem type and its superblock (fs/overlayfs/super.c; overlayfs.rst): the
 * mount — options, then the upper layer and its work directory, then the lower layers, each
 * claimed with a trap so that layers cannot overlap (ELOOP) — the persistent uuid, the root
 * inode, statfs, remount and the super options mountinfo shows.
 *
 * The steps run in ovl_fill_super()'s order, because their side effects show: a mount that fails
 * on a lower layer has already made `work` in the work directory and set the upper root's uuid.
 *
 * Layers are directories of other filesystems in the VFS, reached through their dentries (which
 * the mounting task's path walk found) and the inode interface only: the overlay keeps no mount.
 */
import type { Dentry } from '../../vfs/dentry.js';
import { errno } from '../../vfs/errno.js';
import { isDir, SB_RDONLY, type FileSystemType, type FsContext, type FsStats, type Inode, type MountDir, type SuperBlock } from '../../vfs/inode.js';
import { applySbFlagWord } from '../../vfs/mount-options.js';
import { OvlInode } from './inode.js';
import { canDecodeFh, isOverlaySb, OVL_SUPER, type Found, type Layer, type LowerPath } from './layer.js';
import { layerReaddir, type Mounter } from './layer-ops.js';
import { parseOptions, showOptions, splitOptions, verifyOptions, type OvlConfig } from './params.js';
import { createVolatileDirty, indexdirCleanup, OVL_INDEXDIR_NAME, OVL_WORKDIR_NAME, probeRenameWhiteout, workdirCreate } from './workdir.js';
import { originHandle, OvlXattrs } from './xattrs.js';

export const OVERLAYFS_SUPER_MAGIC = 0x794c7630;
/** FILESYSTEM_MAX_STACK_DEPTH: an overlay may stack on an overlay, not deeper. */
const FILESYSTEM_MAX_STACK_DEPTH = 2;

/**
 * Which directories are the upper or work directory of an overlay (I_OVL_INUSE), by the overlay
 * that claimed them; a claim lasts while that overlay has a mount.
 */
const inUse = new WeakMap<Inode, OvlSuperBlock>();

export class OvlSuperBlock implements SuperBlock {
  readonly [OVL_SUPER] = true;
  readonly dev: number;
  root!: OvlInode;
  flags: number;
  readonly config: OvlConfig;
  readonly xattrs: OvlXattrs;
  /** The mounter, whose credentials overlayfs acts with (creator_cred); owner of what it makes. */
  readonly mounter: Mounter;
  upper: Dentry | null = null;
  workbase: Dentry | null = null;
  workdir: Dentry | null = null;
  indexdir: Dentry | null = null;
  lowers: Layer[] = [];
  /** Layer roots and work directories of this overlay: meeting one in a lookup is ELOOP. */
  readonly traps = new Set<Inode>();
  sharedWhiteout: Dentry | null = null;
  noSharedWhiteout = false;
  tempId = 0;
  stackDepth = 0;
  /** The filesystems under the overlay; the upper's counts as one even when there is none. */
  numfs = 1;
  /** Overlay inodes by the real inode they stand for (the inode hash: one for hard links). */
  readonly inodes = new WeakMap<Inode, OvlInode>();
  private readonly isMounted: (sb: SuperBlock) => boolean;

  constructor(
    readonly type: FileSystemType,
    ctx: FsContext,
    data: string,
    flags: number,
  ) {
    const resolveDir = ctx.resolveDir;
    if (!resolveDir) throw errno('EINVAL'); // no task to resolve the layers as
    this.isMounted = ctx.isMounted ?? (() => true);
    this.mounter = { creds: ctx.creds, uid: ctx.creds.uid, gid: ctx.creds.gid };
    const parsed = parseOptions({ resolveDir, isOverlay: (d) => isOverlaySb(d.dentry.inode.sb) }, data, flags, ctx.params);
    this.flags = parsed.sbFlags;
    this.config = parsed.config;
    this.xattrs = new OvlXattrs(this.config.userxattr);
    verifyOptions(this.config);
    this.dev = ctx.anonDev();
    this.fill();
  }

  /** ovl_fill_super() after the options: layers, work directory, uuid, overlap checks, root. */
  private fill(): void {
    const cfg = this.config;
    if (cfg.lowers.length === 0) throw errno('EINVAL'); // "missing 'lowerdir'"
    if (cfg.upperdir !== null) {
      if (cfg.workdir === null) throw errno('EINVAL'); // "missing 'workdir'"
      this.getUpper(cfg.upper!);
      this.getWorkdir(cfg.upper!, cfg.work!);
      if (!this.workdir) this.flags |= SB_RDONLY;
      this.stackDepth = depthOf(cfg.upper!.dentry);
    }
    this.getLowerStack();
    if (!this.upper) this.flags |= SB_RDONLY;
    if (cfg.uuid === 'off' && this.numfs > 1) cfg.uuid = 'null'; // "uuid=off requires a single fs"
    else if ((cfg.uuid === 'on' || cfg.uuid === 'auto') && this.upper) this.initUuidXattr();
    if (!this.forceReadonly() && cfg.index) {
      this.getIndexdir();
      if (!this.workdir) this.flags |= SB_RDONLY;
    }
    this.checkOverlappingLayers();
    if (!this.workdir) {
      cfg.index = false;
      if (this.upper) cfg.nfsExport = false;
    }
    const roots: LowerPath[] = this.lowers.filter((l) => !l.data).map((layer) => ({ layer, dentry: layer.root }));
    this.root = new OvlInode(this, this.upper, roots, null, '/');
  }

  /**
   * ovl_get_inode(): the overlay inode of what a lookup found, found again by its real inode —
   * except a lower file with several links under an upper layer, whose links copy-up will break
   * (ovl_hash_bylower()): each of its names gets an inode of its own.
   */
  getInode(found: Found, parent: OvlInode, name: string): OvlInode {
    const real = (found.upper ?? found.lowers[0]!.dentry).inode;
    const hashed = found.upper !== null || !this.upper || isDir(real.mode) || real.nlink <= 1;
    const known = hashed ? this.inodes.get(real) : undefined;
    if (known) return known;
    const o = new OvlInode(this, found.upper, found.lowers, parent, name);
    o.redirect = found.redirect;
    if (hashed) this.inodes.set(real, o);
    return o;
  }

  /**
   * ovl_get_indexdir(): an exclusive overlay (index=on) ties its upper root to its first lower
   * root (the origin, ESTALE when it names another) and to its `index` directory (which records
   * the upper root, ESTALE likewise) — and then prepares its copies in `index` rather than in
   * `work`. Leftover temporary entries there are cleaned. The index entries themselves (kept for
   * hard links) are not modelled.
   */
  private getIndexdir(): void {
    const x = this.xattrs;
    const lower0 = this.lowers[0]!.root.inode;
    const upper = this.upper!.inode;
    this.wantWrite();
    verifyHandle(upper, x.origin, originHandle(lower0, canDecodeFh(lower0)), x);
    this.traps.delete(this.workdir!.inode);
    this.workdir = null;
    const index = workdirCreate(this, OVL_INDEXDIR_NAME, true);
    if (!index) return;
    this.workdir = this.indexdir = index;
    this.setupTrap(index);
    const upperFh = originHandle(upper, true);
    if (x.has(index.inode, x.origin)) verifyHandle(index.inode, x.origin, upperFh, x, false);
    verifyHandle(index.inode, x.prefix + 'upper', upperFh, x);
    indexdirCleanup(this);
  }

  /** ovl_force_readonly(): no upper, or no work directory to make changes through. */
  forceReadonly(): boolean {
    return !this.upper || !this.workdir;
  }

  /** ovl_inuse_trylock() / ovl_report_in_use(): only an exclusive overlay (index=on) refuses. */
  private claim(inode: Inode): void {
    const holder = inUse.get(inode);
    if (holder && holder !== this && this.isMounted(holder)) {
      if (this.config.index) throw errno('EBUSY'); // "upperdir is in-use as upperdir/workdir of another mount"
      return;
    }
    inUse.set(inode, this);
  }

  /** ovl_is_inuse(). */
  private inUse(inode: Inode): boolean {
    const holder = inUse.get(inode);
    return holder !== undefined && (holder === this || this.isMounted(holder));
  }

  /** ovl_setup_trap(): a layer root claimed twice by one overlay is "conflicting" (ELOOP). */
  private setupTrap(d: Dentry): void {
    if (this.traps.has(d.inode)) throw errno('ELOOP');
    this.traps.add(d.inode);
  }

  /** ovl_get_upper(). */
  private getUpper(upper: MountDir): void {
    if (upper.readonly) throw errno('EINVAL'); // "upper fs is r/o, try multi-lower layers mount"
    this.setupTrap(upper.dentry);
    if (upper.unbindable) throw errno('EINVAL'); // clone_private_mount()
    this.upper = upper.dentry;
    this.claim(upper.dentry.inode);
  }

  /** ovl_get_workdir() + ovl_make_workdir(). */
  private getWorkdir(upper: MountDir, work: MountDir): void {
    if (upper.mount !== work.mount) throw errno('EINVAL'); // "workdir and upperdir must reside under the same mount"
    if (!separateSubtrees(work.dentry, upper.dentry)) throw errno('EINVAL'); // "workdir and upperdir must be separate subtrees"
    this.workbase = work.dentry;
    this.claim(work.dentry.inode);
    this.setupTrap(work.dentry);
    this.workdir = workdirCreate(this, OVL_WORKDIR_NAME, false);
    if (!this.workdir) return;
    this.setupTrap(this.workdir);
    // ovl_check_d_type_supported() reads the work base directory as the mounter.
    layerReaddir(this.mounter, work.dentry);
    if (this.config.fsync === 'volatile') createVolatileDirty(this);
    probeRenameWhiteout(this);
  }

  /** ovl_get_lowerstack() + ovl_get_layers(). */
  private getLowerStack(): void {
    const cfg = this.config;
    if (!cfg.upperdir && cfg.lowers.length === 1) throw errno('EINVAL'); // "at least 2 lowerdir are needed while upperdir nonexistent"
    if (cfg.lowers.every((l) => l.data)) throw errno('EINVAL'); // "at least one non-data lowerdir is required"
    for (const l of cfg.lowers) {
      // ovl_lower_dir(): an overlay below cannot decode file handles, which index needs and
      // without which xino=auto falls back to off.
      if (isOverlaySb(l.dir.dentry.inode.sb)) {
        cfg.index = false;
        cfg.nfsExport = false;
        if (cfg.xino === 'auto' && cfg.upperdir) cfg.xino = 'off';
      }
      this.stackDepth = Math.max(this.stackDepth, depthOf(l.dir.dentry));
    }
    if (++this.stackDepth > FILESYSTEM_MAX_STACK_DEPTH) throw errno('EINVAL'); // "maximum fs stacking depth exceeded"
    const fsids: SuperBlock[] = [];
    cfg.lowers.forEach((l, i) => {
      // Conflicts with this overlay's own layers first, then other overlays' claims.
      this.setupTrap(l.dir.dentry);
      if (this.inUse(l.dir.dentry.inode) && cfg.index) throw errno('EBUSY'); // "lowerdir is in-use as upperdir/workdir"
      if (l.dir.unbindable) throw errno('EINVAL'); // clone_private_mount()
      const sb = l.dir.dentry.inode.sb;
      let fsid = 0;
      if (!this.upper || sb !== this.upper.inode.sb) {
        fsid = fsids.indexOf(sb) + 1;
        if (fsid === 0) fsid = fsids.push(sb);
      }
      this.lowers.push({ index: i + 1, root: l.dir.dentry, data: l.data, fsid });
    });
    this.numfs = 1 + fsids.length;
  }

  /** ovl_same_fs(): every layer on one filesystem, so `xino=` means nothing and is not shown. */
  sameFs(): boolean {
    return this.numfs - (this.upper ? 0 : 1) === 1;
  }

  /**
   * ovl_init_uuid_xattr(): an upper root with a uuid keeps it; a new upper gets one and the
   * overlay shows uuid=on; an upper used before without one (already impure) falls back to null.
   */
  private initUuidXattr(): void {
    const root = this.upper!.inode;
    const x = this.xattrs;
    const old = root.getxattr(x.uuid);
    if (old) {
      if (old.length !== 16) this.config.uuid = 'null';
      return;
    }
    if (this.config.uuid === 'auto') {
      if (x.has(root, x.impure)) {
        this.config.uuid = 'null';
        return;
      }
      this.config.uuid = 'on';
    }
    const uuid = new Uint8Array(16);
    new DataView(uuid.buffer).setUint32(0, this.dev, true);
    try {
      x.set(root, x.uuid, uuid);
    } catch {
      this.config.uuid = 'null';
    }
  }

  /**
   * ovl_check_overlapping_layers(): no lower layer may lie below another layer of this overlay
   * (ELOOP); the upper and work directories' ancestors may not be another overlay's upper or work
   * directory when this one is exclusive (EBUSY).
   */
  private checkOverlappingLayers(): void {
    if (this.upper) {
      // Measured: the work directory may lie inside a lower layer; only claims count for it.
      this.checkLayer(this.upper, false);
      this.checkLayer(this.workbase!, false);
    }
    for (const l of this.lowers) this.checkLayer(l.root, true);
  }

  /** ovl_check_layer(): walks the ancestors, the root included. */
  private checkLayer(d: Dentry, isLower: boolean): void {
    for (let p = d.parent; p; p = p.parent) {
      if (isLower && this.traps.has(p.inode)) throw errno('ELOOP'); // "overlapping %s path"
      if (this.inUse(p.inode) && this.config.index) throw errno('EBUSY');
    }
  }

  /** ovl_want_write(): the upper's own superblock must be writable (EROFS). */
  wantWrite(): void {
    if (!this.upper || this.upper.inode.sb.flags & SB_RDONLY) throw errno('EROFS');
  }

  showOptions(): string {
    return showOptions(this.config, this.sameFs());
  }

  /** ovl_statfs(): the real root's filesystem, with overlayfs's magic. */
  statfs(): FsStats {
    const real = (this.upper ?? this.lowers[0]!.root).inode.sb.statfs();
    return { ...real, type: OVERLAYFS_SUPER_MAGIC };
  }

  /**
   * ovl_reconfigure(): mount(2)'s remount ignores every overlay option, good or bad; only the
   * superblock flags change, and an overlay without an upper or work directory stays read-only.
   */
  reconfigure(data: string, flags: number): void {
    let sbFlags = flags;
    for (const item of splitOptions(data)) sbFlags = applySbFlagWord(item, sbFlags) ?? sbFlags;
    if (!(sbFlags & SB_RDONLY) && this.forceReadonly()) throw errno('EROFS');
    this.flags = sbFlags;
  }
}

/** ovl_verify_set_fh(): the attribute holds `fh` (set when missing, with `set`), else ESTALE. */
function verifyHandle(inode: Inode, name: string, fh: Uint8Array, x: OvlXattrs, set = true): void {
  const old = inode.getxattr(name);
  if (!old) {
    if (set) x.set(inode, name, fh);
    return;
  }
  if (old.length !== fh.length || old.some((b, i) => b !== fh[i])) throw errno('ESTALE');
}

/** sb->s_stack_depth of a layer's filesystem. */
function depthOf(d: Dentry): number {
  const sb = d.inode.sb;
  return isOverlaySb(sb) ? sb.stackDepth : 0;
}

/** ovl_workdir_ok(): neither directory is the other or inside it (lock_rename()'s trap). */
function separateSubtrees(work: Dentry, upper: Dentry): boolean {
  if (work === upper) return false;
  return !work.isSubdirOf(upper) && !upper.isSubdirOf(work);
}

/** The `overlay` filesystem type. */
export const overlayType: FileSystemType = {
  name: 'overlay',
  mount(ctx, _source, flags, data) {
    return new OvlSuperBlock(overlayType, ctx, data, flags);
  },
};
