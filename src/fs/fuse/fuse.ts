/**
 * The `fuse` filesystem type (fs/fuse/inode.c): mount options as fuse_parse_param() takes them,
 * the superblock with the daemon's connection, its node ids, statfs and the super options
 * mountinfo shows (fuse_show_options()). The nodes are inode.ts's; the daemon is the embedder's
 * object (daemon.ts) behind an open /dev/fuse (connection.ts).
 *
 * Options: `fd=` (the /dev/fuse descriptor), `rootmode=` (octal, the root's file type and
 * mode), `user_id=` and `group_id=` are required (EINVAL without any of them: recorded for fd
 * and rootmode); `default_permissions`, `allow_other`, `max_read=`, and `subtype=`, which makes
 * mountinfo's type `fuse.SUBTYPE` (recorded), as libfuse passes it. An unknown word, `blksize=`
 * (fuseblk's only) or an fd that is no open FUSE device is EINVAL (recorded). mount(2) of type
 * `fuse.SUBTYPE` is the same mount: the type declares FS_HAS_SUBTYPE, so the VFS looks it up by
 * the part before the dot and hands it `subtype=SUBTYPE` first (get_fs_type(), do_new_mount();
 * recorded: both show as `fuse.SUBTYPE`); a `subtype=` in the data as well is EINVAL, as the
 * kernel's "Multiple subtypes specified".
 *
 * Permissions: the VFS checks mode bits on every mount, as with `default_permissions`; without
 * it the kernel leaves them to the daemon. Statfs: FUSE_SUPER_MAGIC with the daemon's numbers,
 * or libfuse's defaults (namelen 255, bsize 512, nothing used) without a statfs method.
 */
import { errno } from '../../vfs/errno.js';
import { S_IFMT, type FileSystemType, type FsContext, type FsStats, type SuperBlock } from '../../vfs/inode.js';
import { parseMountData, parseU32 } from '../../vfs/mount-options.js';
import { FS_HAS_SUBTYPE } from '../../vfs/fs-flags.js';
import type { FuseCaller, FuseEntry } from './daemon.js';
import { FuseConnection, type FuseConnections } from './connection.js';
import { FuseInode, rootAttr } from './inode.js';

export const FUSE_SUPER_MAGIC = 0x65735546;

export interface FuseOptions {
  fd: number;
  rootmode: number;
  userId: number;
  groupId: number;
  defaultPermissions: boolean;
  allowOther: boolean;
  maxRead?: number;
  subtype?: string;
}

/** fuse_parse_param() over the data string's words; EINVAL for what it refuses. */
export function parseFuseOptions(data: string, flags: number): { sbFlags: number; opts: FuseOptions } {
  const { sbFlags, params } = parseMountData(data, flags);
  const o: Partial<FuseOptions> = { defaultPermissions: false, allowOther: false };
  for (const { key, value } of params) {
    const num = (base: 0 | 8 | 10): number => {
      if (value === undefined || value === '') throw errno('EINVAL');
      const v = parseU32(value, base);
      if (v === null) throw errno('EINVAL');
      return v;
    };
    switch (key) {
      case 'source':
        break;
      case 'fd':
        o.fd = num(10);
        break;
      case 'rootmode':
        o.rootmode = num(8);
        break;
      case 'user_id':
        o.userId = num(10);
        break;
      case 'group_id':
        o.groupId = num(10);
        break;
      case 'default_permissions':
        if (value !== undefined) throw errno('EINVAL');
        o.defaultPermissions = true;
        break;
      case 'allow_other':
        if (value !== undefined) throw errno('EINVAL');
        o.allowOther = true;
        break;
      case 'max_read':
        o.maxRead = num(10);
        break;
      case 'subtype':
        if (!value || o.subtype !== undefined) throw errno('EINVAL');
        o.subtype = value;
        break;
      default:
        // blksize= is fuseblk's; anything else is an unknown parameter.
        throw errno('EINVAL');
    }
  }
  if (o.fd === undefined || o.rootmode === undefined || o.userId === undefined || o.groupId === undefined) throw errno('EINVAL');
  // fuse_valid_type(): the root must be a file type the kernel knows.
  if ((o.rootmode & S_IFMT) === 0) throw errno('EINVAL');
  return { sbFlags, opts: o as FuseOptions };
}

export class FuseSuperBlock implements SuperBlock {
  readonly dev: number;
  readonly root: FuseInode;
  flags: number;
  /** INIT has been answered: attributes may be asked. */
  ready = false;
  /** The mounter, for requests the VFS gives no caller for (see inode.ts). */
  readonly caller: FuseCaller;
  private readonly nodes = new Map<number, FuseInode>();

  constructor(
    readonly type: FileSystemType,
    readonly conn: FuseConnection,
    readonly opts: FuseOptions,
    ctx: FsContext,
    flags: number,
  ) {
    this.flags = flags;
    this.dev = ctx.anonDev();
    this.caller = { uid: ctx.creds.uid, gid: ctx.creds.gid };
    this.root = new FuseInode(this, 1, rootAttr(opts.rootmode));
    this.nodes.set(1, this.root);
  }

  /** The one inode of a node id, its attributes those of the reply. */
  node(e: FuseEntry): FuseInode {
    if (!Number.isInteger(e.nodeid) || e.nodeid <= 0) throw errno('EIO');
    let n = this.nodes.get(e.nodeid);
    if (!n) {
      if (e.nodeid === 1) throw errno('EIO');
      n = new FuseInode(this, e.nodeid, e.attr);
      this.nodes.set(e.nodeid, n);
    } else n.update(e.attr);
    return n;
  }

  showOptions(): string {
    let s = `,user_id=${this.opts.userId},group_id=${this.opts.groupId}`;
    if (this.opts.defaultPermissions) s += ',default_permissions';
    if (this.opts.allowOther) s += ',allow_other';
    if (this.opts.maxRead !== undefined && this.opts.maxRead !== 0xffffffff) s += `,max_read=${this.opts.maxRead}`;
    return s;
  }

  statfs(): FsStats {
    const d = this.conn.daemon;
    const s = this.conn.request(d.statfs && (() => d.statfs!(1)), () => ({ blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0, bsize: 512, namelen: 255, frsize: 512 }));
    return { type: FUSE_SUPER_MAGIC, ...s };
  }

  /** fuse_reconfigure(): only the SB_* words may change; fuse's own options are refused. */
  reconfigure(data: string, flags: number): void {
    const { sbFlags, params } = parseMountData(data, flags);
    if (params.some((p) => p.key !== 'source')) throw errno('EINVAL');
    this.flags = sbFlags;
  }
}

/** The `fuse` type of one kernel, with the connections opened on it (connection.ts). */
export interface FuseType extends FileSystemType, FuseConnections {}

/**
 * A `fuse` type; one per kernel (FILESYSTEM_TYPES makes it), as it keeps that kernel's
 * connections.
 *
 * @example
 * ```ts
 * const fd = openFuseDevice(p, daemon);
 * p.mount('hello', '/mnt', 'fuse', 0, `fd=${fd},rootmode=40000,user_id=0,group_id=0`);
 * p.readdir('/mnt'); // what daemon.readdir(1, …) answered
 * ```
 */
export function fuseType(): FuseType {
  const byFd = new Map<number, FuseConnection[]>();
  const subtypes = new Map<string, FileSystemType>();
  const type: FuseType = {
    name: 'fuse',
    // fuse_fs_type's FS_USERNS_MOUNT and FS_ALLOW_IDMAP are not claimed: mounts by a user
    // namespace's root and idmapped FUSE mounts are not modelled.
    fsFlags: FS_HAS_SUBTYPE,
    byFd,
    mount(ctx: FsContext, _source: string, flags: number, data: string): SuperBlock {
      const all = ctx.params ? ctx.params.map((p) => (p.value === null ? p.key : `${p.key}=${p.value}`)).join(',') : data;
      const { sbFlags, opts } = parseFuseOptions(all, flags);
      // fget(fd) must be an open /dev/fuse (fuse_fill_super(): file->f_op != &fuse_dev_operations).
      const conn = [...(byFd.get(opts.fd) ?? [])].reverse().find((c) => c.connected);
      if (!conn || conn.mounted) throw errno('EINVAL');
      let shown: FileSystemType = type;
      if (opts.subtype !== undefined) {
        const name = `fuse.${opts.subtype}`;
        shown = subtypes.get(name) ?? { name, mount: (...a) => type.mount(...a) };
        subtypes.set(name, shown);
      }
      const sb = new FuseSuperBlock(shown, conn, opts, ctx, sbFlags);
      conn.mounted = true;
      conn.request(conn.daemon.init && (() => conn.daemon.init!()), () => undefined);
      sb.ready = true;
      return sb;
    },
  };
  return type;
}
