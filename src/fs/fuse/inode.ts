/**
 * FuseInode: a node of a FUSE mount (fs/fuse/dir.c, file.c), each operation a request to the
 * daemon through the connection. Its attributes are the daemon's, asked again at every reading
 * (GETATTR, as with attr_valid 0, the timeout the recorded daemon gave); a GETATTR that fails
 * keeps the last reply, since the VFS reads attributes as fields and cannot take an error there
 * (a name the daemon no longer has is caught at the walk: `revalidate` sends LOOKUP again).
 *
 * Per-open state: the VFS gives a filesystem's read and write no file, so the handle the daemon
 * returned at FUSE_OPEN (or FUSE_CREATE) is kept on the inode, the latest one used by reads and
 * writes, and each open's own handle goes back with FUSE_RELEASE at its last close. FUSE_FORGET
 * is not sent (the emulator evicts no inodes). Callers: the daemon learns the new owner's ids on
 * a create (the caller's fsuid/fsgid, as fuse_in_header carries them), the opener's on an open,
 * and the mounter's elsewhere.
 */
import { errno } from '../../vfs/errno.js';
import { isDir, isReg, S_IFMT, type AttrChange, type DirEntry, type Inode, type OpenFileState } from '../../vfs/inode.js';
import type { Credentials } from '../../vfs/creds.js';
import type { Timespec } from '../../vfs/time.js';
import type { FuseAttr, FuseCaller, FuseEntry } from './daemon.js';
import type { FuseSuperBlock } from './fuse.js';

const ZERO: Timespec = { sec: 0, nsec: 0 };

export class FuseInode implements Inode {
  private attr: FuseAttr;
  /** The handle of the latest open (0 without one). */
  private fh = 0;

  constructor(
    readonly sb: FuseSuperBlock,
    readonly nodeid: number,
    attr: FuseAttr,
  ) {
    this.attr = attr;
  }

  private get conn() {
    return this.sb.conn;
  }

  private get daemon() {
    return this.sb.conn.daemon;
  }

  private get caller(): FuseCaller {
    return this.sb.caller;
  }

  /** Takes a reply's attributes; the file type never changes under a node id. */
  update(attr: FuseAttr): void {
    if ((attr.mode & S_IFMT) !== (this.attr.mode & S_IFMT) && this.nodeid !== 1) throw errno('EIO');
    // The root's type is rootmode's: fuse_fill_super() made it so before INIT.
    this.attr = this.nodeid === 1 ? { ...attr, mode: (this.attr.mode & S_IFMT) | (attr.mode & 0o7777) } : attr;
  }

  /** FUSE_GETATTR, keeping the last reply when the daemon cannot answer (see the file comment). */
  private fresh(): FuseAttr {
    if (this.conn.connected && this.sb.ready) {
      try {
        this.update(this.conn.request(() => this.daemon.getattr(this.nodeid, this.caller)));
      } catch (e) {
        if (!(e instanceof Error && 'code' in e)) throw e;
      }
    }
    return this.attr;
  }

  get ino(): number {
    return this.attr.ino;
  }
  get mode(): number {
    return this.fresh().mode;
  }
  get uid(): number {
    return this.fresh().uid;
  }
  get gid(): number {
    return this.fresh().gid;
  }
  get nlink(): number {
    return this.fresh().nlink;
  }
  get rdev(): number {
    return this.fresh().rdev ?? 0;
  }
  get size(): number {
    return this.fresh().size;
  }
  get blocks(): number {
    const a = this.fresh();
    return a.blocks ?? Math.ceil(a.size / 512);
  }
  get atime(): Timespec {
    return this.fresh().atime ?? ZERO;
  }
  get mtime(): Timespec {
    return this.fresh().mtime ?? ZERO;
  }
  get ctime(): Timespec {
    return this.fresh().ctime ?? ZERO;
  }
  get btime(): Timespec {
    return ZERO;
  }

  /** The inode of an entry reply (one object a node id). */
  private entry(e: FuseEntry): FuseInode {
    return this.sb.node(e);
  }

  setattr(change: AttrChange): void {
    const c = { ...change };
    this.update(this.conn.request(this.daemon.setattr && (() => this.daemon.setattr!(this.nodeid, c, this.caller))));
  }

  /** FUSE_OPEN (FUSE_OPENDIR for a directory); FUSE_RELEASE(DIR) at the last close. */
  open(flags: number, creds: Credentials): OpenFileState {
    const caller = { uid: creds.uid, gid: creds.gid };
    const dir = isDir(this.attr.mode);
    const d = this.daemon;
    const r = this.conn.request(dir ? d.opendir && (() => d.opendir!(this.nodeid, flags, caller)) : d.open && (() => d.open!(this.nodeid, flags, caller)), () => undefined);
    const fh = (r && r.fh) ?? 0;
    this.fh = fh;
    return {
      release: () => {
        if (!this.conn.connected) return;
        const rel = dir ? d.releasedir && (() => d.releasedir!(this.nodeid, fh)) : d.release && (() => d.release!(this.nodeid, fh));
        this.conn.request(rel, () => undefined);
      },
    };
  }

  lookup(name: string): Inode | undefined {
    try {
      return this.entry(this.conn.request(() => this.daemon.lookup(this.nodeid, name, this.caller)));
    } catch (e) {
      // A negative entry: ENOENT is "no such name" to the walk; any other errno is the call's.
      if (e instanceof Error && (e as { code?: string }).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  /** fuse_dentry_revalidate() with entry_valid 0: LOOKUP again, the same node id or not. */
  revalidate(name: string, child: Inode): boolean {
    try {
      const e = this.conn.request(() => this.daemon.lookup(this.nodeid, name, this.caller));
      if (e.nodeid !== (child as FuseInode).nodeid) return false;
      (child as FuseInode).update(e.attr);
      return true;
    } catch (e) {
      if (e instanceof Error && 'code' in e) return false;
      throw e;
    }
  }

  create(name: string, mode: number, rdev: number, uid: number, gid: number): Inode {
    const caller = { uid, gid };
    const d = this.daemon;
    if (isReg(mode) && d.create) {
      const e = this.conn.request(() => d.create!(this.nodeid, name, mode, 0, caller));
      const node = this.entry(e);
      node.fh = e.fh ?? 0;
      return node;
    }
    return this.entry(this.conn.request(d.mknod && (() => d.mknod!(this.nodeid, name, mode, rdev, caller))));
  }

  mkdir(name: string, mode: number, uid: number, gid: number): Inode {
    const d = this.daemon;
    return this.entry(this.conn.request(d.mkdir && (() => d.mkdir!(this.nodeid, name, mode & 0o7777, { uid, gid }))));
  }

  symlink(name: string, target: string, uid: number, gid: number): Inode {
    const d = this.daemon;
    return this.entry(this.conn.request(d.symlink && (() => d.symlink!(this.nodeid, name, target, { uid, gid }))));
  }

  link(name: string, target: Inode): void {
    const d = this.daemon;
    const t = target as FuseInode;
    t.update(this.conn.request(d.link && (() => d.link!(t.nodeid, this.nodeid, name, this.caller))).attr);
  }

  unlink(name: string, victim: Inode): void {
    const d = this.daemon;
    this.conn.request(d.unlink && (() => d.unlink!(this.nodeid, name, this.caller)));
    const v = victim as FuseInode;
    v.attr = { ...v.attr, nlink: Math.max(0, v.attr.nlink - 1) };
  }

  rmdir(name: string, victim: Inode): void {
    const d = this.daemon;
    this.conn.request(d.rmdir && (() => d.rmdir!(this.nodeid, name, this.caller)));
    const v = victim as FuseInode;
    v.attr = { ...v.attr, nlink: 0 };
  }

  rename(oldName: string, newDir: Inode, newName: string, flags: number): void {
    const d = this.daemon;
    const nd = newDir as FuseInode;
    this.conn.request(d.rename && (() => d.rename!(this.nodeid, oldName, nd.nodeid, newName, flags, this.caller)));
  }

  readdir(): DirEntry[] {
    const d = this.daemon;
    const list = this.conn.request(d.readdir && (() => d.readdir!(this.nodeid, this.fh, this.caller)));
    return list.filter((e) => e.name !== '.' && e.name !== '..').map((e) => ({ name: e.name, ino: e.ino, type: e.type & S_IFMT }));
  }

  read(pos: number, into: Uint8Array): number {
    const d = this.daemon;
    const got = this.conn.request(d.read && (() => d.read!(this.nodeid, this.fh, pos, into.length, this.caller)));
    const n = Math.min(got.length, into.length);
    into.set(got.subarray(0, n));
    return n;
  }

  write(pos: number, data: Uint8Array): number {
    const d = this.daemon;
    const n = this.conn.request(d.write && (() => d.write!(this.nodeid, this.fh, pos, data, this.caller)));
    if (!Number.isInteger(n) || n < 0 || n > data.length) throw errno('EIO');
    // fuse_write_update_attr(): i_size grows with what was written.
    if (pos + n > this.attr.size) this.attr = { ...this.attr, size: pos + n };
    return n;
  }

  readlink(): string {
    const d = this.daemon;
    return this.conn.request(d.readlink && (() => d.readlink!(this.nodeid, this.caller)));
  }

  // xattrs: the superblock declares no handlers, so the VFS answers EOPNOTSUPP first, as fuse
  // does once a daemon has answered ENOSYS to them.
  getxattr(): Uint8Array | undefined {
    throw errno('EOPNOTSUPP');
  }
  setxattr(): void {
    throw errno('EOPNOTSUPP');
  }
  listxattr(): string[] {
    throw errno('EOPNOTSUPP');
  }
  removexattr(): void {
    throw errno('EOPNOTSUPP');
  }
}

/** The root's attributes before the daemon has said anything: fuse_get_root_inode(). */
export function rootAttr(rootmode: number): FuseAttr {
  return { ino: 1, mode: rootmode, nlink: 1, uid: 0, gid: 0, size: 0 };
}
