/**
 * The `9p` filesystem type — Linux's v9fs as a 9P2000.L client of a gofer — and its superblock:
 * the mount sequence (v9fs_mount(): p9_client_create(), v9fs_session_init(), the attach, the
 * root's Tgetattr), the inodes by qid, the cache mode, statfs, mountinfo's options and remount.
 *
 * The mount, in the kernel's order, each failure closing what was opened: the client's options
 * (options.ts: EINVAL), the transport (transport.ts: ENOENT, EBUSY, ECONNREFUSED, ENOPROTOOPT,
 * EIO, EINVAL), Tversion with min(msize=, the transport's maxsize) (EREMOTEIO for a server that
 * speaks no 9P2000; a server that settles on 9P2000.u or legacy 9P2000 is EINVAL here, where
 * Linux would speak it: this client implements only .L), the session's options (EINVAL, ERANGE),
 * Tattach of uname/aname with n_uname INVALID_UID (the server's errno, e.g. ENOENT for an unknown
 * aname), the root's Tgetattr, and the attach requests go through: v9fs attaches once more for
 * each user that makes requests (n_uname = its fsuid; with access=<uid> that uid, with access=any
 * none), and so does this client — for the mounting user, whose attach every request then uses,
 * whoever makes it (a per-user attach for each task is not modelled). 9P2000.L's default access
 * is `client`; posixacl stays only with it. The superblock has an anonymous device number
 * (set_anon_super()).
 *
 * Cache modes (session.cache, v9fs's CACHE_* bits):
 * - without CACHE_META or CACHE_LOOSE (none, readahead, mmap): nothing of the namespace is
 *   trusted — every lookup of a cached name walks it again and takes fresh attributes (v9fs
 *   keeps no dentries in this mode, so each path walk asks the server), so a change made on the
 *   server is seen by the next path walk through it. File data is never cached.
 * - with them (loose, fscache): names and attributes are kept until a change made through this
 *   mount invalidates them (v9fs_invalidate_inode_attr()); a name whose attributes are stale is
 *   refreshed at its next lookup and dropped if the server no longer has it. A change made on the
 *   server behind the mount's back may go unseen for as long as the VFS caches the name.
 *   Symlink targets are kept. File data is not cached here either (reads and writes go to the
 *   server), which v9fs's page cache would do: what a reader sees is then fresher than Linux's.
 *
 * Unmount (kill_sb): the VFS does not tell a filesystem that its last mount went, so the next
 * 9p mount of the same kernel ends the sessions of superblocks no longer mounted — their
 * connection closes and a virtio channel they held is free again.
 */
import { errno } from '../../vfs/errno.js';
import type { FileSystemType, FsContext, FsStats, SuperBlock, XattrNamespaces } from '../../vfs/inode.js';
import { applySbFlagWord } from '../../vfs/mount-options.js';
import { P9Client, type P9Attr } from '../../p9/client.js';
import { countOf } from './attrs.js';
import { FidCache, Link } from './fids.js';
import { GETATTR_MASK, GoferInode, isErr, type Handle } from './inode.js';
import { CACHE_LOOSE, CACHE_META, parseClientOptions, parseFdOptions, parseSessionOptions, showOptions, type ProtoVersion, type ShownOptions } from './options.js';
import { connect, type GoferConnection } from './transport.js';

/** V9FS_MAGIC: statfs's f_type when the server has no Tstatfs. */
export const V9FS_MAGIC = 0x01021997;
/** The names' fids a superblock keeps before giving up the least recently used. */
const NAME_FIDS = 256;
/** The creates' idle open fids a superblock keeps before clunking the oldest. */
const IDLE_FIDS = 32;

/** v9fs_xattr_handlers: user., trusted. and security. go to the server. */
const GOFER_XATTRS: XattrNamespaces = { handlerPrefixes: ['user.', 'trusted.', 'security.'] };

/** The Tversion string of each dialect version= asks for. */
const VERSION_STRINGS: Readonly<Record<ProtoVersion, string>> = { '2000L': '9P2000.L', '2000u': '9P2000.u', legacy: '9P2000' };

export class GoferSuperBlock implements SuperBlock {
  readonly dev: number;
  readonly root: GoferInode;
  flags: number;
  readonly xattrs: XattrNamespaces | undefined;
  /** CACHE_META or CACHE_LOOSE: names and attributes are trusted until changed through this mount. */
  readonly cached: boolean;
  readonly fids: FidCache;
  private readonly inodes = new Map<bigint, GoferInode>();
  /** The idle fids of creates, oldest first. */
  private readonly idle = new Map<Handle, GoferInode>();

  constructor(
    readonly type: FileSystemType,
    ctx: FsContext,
    readonly client: P9Client,
    private readonly conn: GoferConnection,
    private readonly shown: ShownOptions,
    rootFid: number,
    rootAttr: P9Attr,
    flags: number,
  ) {
    this.flags = flags;
    this.dev = ctx.anonDev();
    this.cached = (shown.session.cache & (CACHE_META | CACHE_LOOSE)) !== 0;
    this.xattrs = shown.session.noxattr ? undefined : GOFER_XATTRS;
    this.fids = new FidCache(client, NAME_FIDS);
    this.root = this.inodeFor(rootAttr);
    this.root.links.add(new Link(null, '', this.root, rootFid));
    this.isMounted = ctx.isMounted;
  }

  /** Whether a mount still holds this superblock; absent when the mounting context could not say. */
  readonly isMounted: FsContext['isMounted'];

  /** v9fs_qid_iget_dotl(): the inode of a qid — the one already known (a hard link, a name seen again), or a new one. */
  inodeFor(a: P9Attr): GoferInode {
    const known = this.inodes.get(a.qid.path);
    if (known && known.qid.type === a.qid.type) {
      known.setAttr(a);
      return known;
    }
    const inode = new GoferInode(this, a.qid, a);
    this.inodes.set(a.qid.path, inode);
    return inode;
  }

  /** An inode no name and no open fid holds any more (evict). */
  forget(inode: GoferInode): void {
    if (inode !== this.root && this.inodes.get(inode.qid.path) === inode) this.inodes.delete(inode.qid.path);
  }

  /** How many files the superblock knows. */
  get inodeCount(): number {
    return this.inodes.size;
  }

  /** Keeps a create's open fid for the creator's I/O; past IDLE_FIDS the oldest is clunked. */
  keepIdle(inode: GoferInode, h: Handle): void {
    this.idle.set(h, inode);
    for (const [oldest, owner] of this.idle) {
      if (this.idle.size <= IDLE_FIDS) break;
      owner.closeHandle(oldest);
    }
  }

  dropIdle(h: Handle): void {
    this.idle.delete(h);
  }

  /** d_revalidate of `name` in `dir`, by the cache mode (the file header says how). */
  revalidate(dir: GoferInode, name: string, child: GoferInode): boolean {
    if (!this.cached) return dir.revalidateByWalk(name, child);
    if (child.attrsValid) return true;
    try {
      if (child.refresh()) return true;
    } catch (e) {
      if (!isErr(e, 'ENOENT')) throw e;
    }
    dir.forgetName(name);
    return false;
  }

  showOptions(): string {
    return showOptions(this.shown);
  }

  /** v9fs_statfs(): Tstatfs of the root; a server without it (ENOSYS) gets simple_statfs()'s answer. */
  statfs(): FsStats {
    try {
      const s = this.client.statfs(this.root.nameFid());
      return {
        type: s.type,
        bsize: s.bsize,
        frsize: s.bsize,
        blocks: countOf(s.blocks),
        bfree: countOf(s.bfree),
        bavail: countOf(s.bavail),
        files: countOf(s.files),
        ffree: countOf(s.ffree),
        namelen: s.namelen,
      };
    } catch (e) {
      if (!isErr(e, 'ENOSYS')) throw e;
      return { type: V9FS_MAGIC, bsize: 4096, frsize: 4096, namelen: 255, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0 };
    }
  }

  /** v9fs has no remount_fs: a remount changes the SB_* flags and leaves the options as they were. */
  reconfigure(_data: string, flags: number): void {
    this.flags = flags;
  }

  /** kill_sb: the session ends — the connection closes (the server clunks what was left), the channel is free. */
  shutdown(): void {
    this.client.close();
    this.conn.release();
  }
}

/**
 * v9fs_mount() up to the root: the session, or the errno of the first step that fails, with the
 * connection closed behind it.
 */
function mountSession(type: FileSystemType, ctx: FsContext, source: string, flags: number, data: string): GoferSuperBlock {
  const opts = parseClientOptions(data);
  const fd = parseFdOptions(data);
  const trans = opts.trans ?? 'virtio';
  const conn = connect(ctx, trans, source, fd);
  const client = new P9Client(conn.transport);
  try {
    const dialect = client.version(Math.min(opts.msize, conn.maxsize), VERSION_STRINGS[opts.proto]);
    if (dialect !== '9P2000.L') throw errno('EINVAL');
    const session = parseSessionOptions(data);
    const access = session.access ?? { mode: 'client' };
    // The session's attach, for no user in particular (v9fs_session_init()).
    const session0 = client.attach(session.uname, session.aname);
    const rootAttr = client.getattr(session0.fid, GETATTR_MASK);
    // v9fs_fid_lookup_with_uid(): the root's fid for the user the requests are made as — with
    // access=any the session's own, else an attach with that uid as n_uname (the mounter's, here).
    const uid = access.mode === 'any' ? undefined : access.mode === 'single' ? access.uid : ctx.creds.uid;
    const rootFid = uid === undefined ? session0.fid : client.attach(session.uname, session.aname, uid).fid;
    const shown: ShownOptions = { session, access, posixacl: session.posixacl && access.mode === 'client', msize: client.msize, trans, proto: opts.proto, fd };
    return new GoferSuperBlock(type, ctx, client, conn, shown, rootFid, rootAttr, flags);
  } catch (e) {
    client.close();
    conn.release();
    throw e;
  }
}

/**
 * The `9p` filesystem type. Each kernel gets its own (a factory): the type keeps its live
 * superblocks, to end their sessions once unmounted.
 *
 * @example
 * ```ts
 * kernel.register(goferType());
 * kernel.registerP9Channel('hostshare', serverChannel(server));
 * p.mount('hostshare', '/mnt', '9p', 0, 'trans=virtio,cache=loose');
 * ```
 */
export function goferType(): FileSystemType {
  const live = new Set<GoferSuperBlock>();
  const type: FileSystemType = {
    name: '9p',
    mount(ctx, source, flags, data) {
      for (const sb of live) {
        if (sb.isMounted && !sb.isMounted(sb)) {
          live.delete(sb);
          sb.shutdown();
        }
      }
      // mount(2)'s data goes to v9fs whole: legacy_parse_monolithic() takes no SB_* word out of it.
      // fsconfig(2)'s parameters pass vfs_parse_sb_flag() first, then are joined as
      // legacy_parse_param() joins them.
      let sbFlags = flags;
      let all = data;
      if (ctx.params) {
        const rest: string[] = [];
        for (const p of ctx.params) {
          const flagged = p.value === null ? applySbFlagWord(p.key, sbFlags) : null;
          if (flagged !== null) sbFlags = flagged;
          else rest.push(p.value === null ? p.key : `${p.key}=${p.value}`);
        }
        all = rest.join(',');
      }
      const sb = mountSession(type, ctx, source, sbFlags, all);
      live.add(sb);
      return sb;
    },
  };
  return type;
}
