/**
 * A memfs `Volume` as the store of a `memfs` mount (src/fs/memfs/store.ts), and `mountMemfs`,
 * which mounts one in a sandbox. The adapter works on memfs's own structures — the volume's core
 * (`vol._core` in memfs 4), its `Link`s (names) and `Node`s (inodes) — rather than on the
 * Volume's fs methods, because those check permissions with the *host* process's uid and no root
 * override: the VFS above has made Linux's checks already, and the volume is storage.
 *
 * Duck-typed (memfs is not imported): `MemfsVolumeLike` lists what is used. What the sandbox does
 * goes straight into the volume (the embedder's `vol.readFileSync` sees it at once) and what the
 * embedder does to the volume the sandbox sees on its next lookup. Changes made from the sandbox
 * do not go through memfs's change events, so a memfs `watch` on the volume does not see them.
 */
import { Buffer } from 'node:buffer';
import { MemfsVolumes, memfsType } from '../fs/memfs/memfs.js';
import type { MemfsStore, StoreAttrChange, StoreAttrs, StoreNode } from '../fs/memfs/store.js';
import { S_IFDIR, S_IFLNK, S_IFMT } from '../vfs/inode.js';
import type { Process } from '../vfs/process.js';
import type { Timespec } from '../vfs/time.js';

/** memfs's Node (an inode): the fields and methods the adapter uses. */
export interface MemfsNodeLike {
  ino: number;
  mode: number;
  uid: number;
  gid: number;
  nlink: number;
  rdev: number;
  atime: Date;
  mtime: Date;
  ctime: Date;
  btime?: Date;
  symlink: string | string[];
  getSize(): number;
  read(buf: Uint8Array, off: number, len: number, pos: number): number;
  write(buf: Buffer, off: number, len: number, pos: number): number;
  truncate(len: number): void;
}

/** memfs's Link (a name in a directory). */
export interface MemfsLinkLike {
  name: string;
  steps: string[];
  parent?: MemfsLinkLike;
  children: Map<string, MemfsLinkLike | undefined>;
  getNode(): MemfsNodeLike;
  createChild(name: string, node?: MemfsNodeLike): MemfsLinkLike;
  setChild(name: string, link?: MemfsLinkLike): MemfsLinkLike;
  deleteChild(link: MemfsLinkLike): void;
}

/** memfs's core (memfs 4's `Superblock`, the Volume itself in memfs 3). */
export interface MemfsCoreLike {
  root: MemfsLinkLike;
  createLink(parent: MemfsLinkLike, name: string, isDirectory: boolean, mode: number): MemfsLinkLike;
  deleteLink(link: MemfsLinkLike): boolean;
  deleteNode(node: MemfsNodeLike): void;
}

/** A memfs Volume: memfs 4 keeps its core in `_core`. */
export type MemfsVolumeLike = { _core: MemfsCoreLike } | MemfsCoreLike;

const toTimespec = (d: Date): Timespec => {
  const ms = d.getTime();
  const sec = Math.floor(ms / 1000);
  return { sec, nsec: (ms - sec * 1000) * 1e6 };
};
const toDate = (t: Timespec): Date => new Date(t.sec * 1000 + Math.floor(t.nsec / 1e6));

/**
 * The store of a memfs Volume.
 *
 * @example
 * ```ts
 * import { Volume } from 'memfs';
 * const store = memfsStore(Volume.fromJSON({ '/a': 'x' }));
 * ```
 */
export function memfsStore(vol: MemfsVolumeLike): MemfsStore {
  const core: MemfsCoreLike = '_core' in vol ? vol._core : vol;
  /** A directory's Link, by its Node (directories have one name). */
  const dirLinks = new WeakMap<MemfsNodeLike, MemfsLinkLike>();
  const remember = (l: MemfsLinkLike): MemfsNodeLike => {
    const n = l.getNode();
    if ((n.mode & S_IFMT) === S_IFDIR) dirLinks.set(n, l);
    return n;
  };
  remember(core.root);
  const linkOf = (dir: StoreNode): MemfsLinkLike => dirLinks.get(dir as MemfsNodeLike)!;
  const child = (dir: StoreNode, name: string): MemfsLinkLike | undefined => (name === '.' || name === '..' ? undefined : linkOf(dir).children.get(name));
  const node = (n: StoreNode) => n as MemfsNodeLike;
  const linkTarget = (n: MemfsNodeLike): string => (Array.isArray(n.symlink) ? n.symlink.join('/') : n.symlink);

  const store: MemfsStore = {
    root: core.root.getNode(),
    attrs(n): StoreAttrs {
      const x = node(n);
      const isLink = (x.mode & S_IFMT) === S_IFLNK;
      return {
        ino: x.ino,
        mode: x.mode,
        uid: x.uid,
        gid: x.gid,
        nlink: x.nlink,
        rdev: x.rdev ?? 0,
        // Linux gives a link the length of its target; memfs keeps no bytes for it.
        size: isLink ? Buffer.byteLength(linkTarget(x)) : x.getSize(),
        atime: toTimespec(x.atime),
        mtime: toTimespec(x.mtime),
        ctime: toTimespec(x.ctime),
        btime: toTimespec(x.btime ?? x.ctime),
      };
    },
    setAttrs(n, c: StoreAttrChange) {
      const x = node(n);
      // memfs's setters stamp ctime with the host clock: the kernel's times are written last.
      if (c.mode !== undefined) x.mode = c.mode;
      if (c.uid !== undefined) x.uid = c.uid;
      if (c.gid !== undefined) x.gid = c.gid;
      if (c.atime) x.atime = toDate(c.atime);
      if (c.mtime) x.mtime = toDate(c.mtime);
      if (c.ctime) x.ctime = toDate(c.ctime);
    },
    lookup(dir, name) {
      const l = child(dir, name);
      return l ? remember(l) : undefined;
    },
    entries(dir) {
      const out: [string, StoreNode][] = [];
      for (const [name, l] of linkOf(dir).children) if (l && name !== '.' && name !== '..') out.push([name, remember(l)]);
      return out;
    },
    create(dir, name, mode, uid, gid, rdev) {
      const l = core.createLink(linkOf(dir), name, (mode & S_IFMT) === S_IFDIR, mode);
      const x = remember(l);
      x.mode = mode;
      x.uid = uid;
      x.gid = gid;
      x.rdev = rdev;
      return x;
    },
    symlink(dir, name, target, uid, gid) {
      const x = remember(core.createLink(linkOf(dir), name, false, S_IFLNK | 0o777));
      x.symlink = target;
      x.uid = uid;
      x.gid = gid;
      return x;
    },
    link(dir, name, n) {
      node(n).nlink++;
      linkOf(dir).createChild(name, node(n));
    },
    unlink(dir, name) {
      const l = child(dir, name)!;
      const x = l.getNode();
      core.deleteLink(l);
      if ((x.mode & S_IFMT) === S_IFDIR) return;
      // The node outlives its last name while the sandbox has it open: it keeps the object.
      if (--x.nlink <= 0) core.deleteNode(x);
    },
    rename(dir, name, newDir, newName) {
      const l = child(dir, name)!;
      const to = linkOf(newDir);
      linkOf(dir).deleteChild(l);
      l.name = newName;
      l.steps = [...to.steps, newName];
      to.setChild(newName, l);
    },
    read(n, pos, into) {
      const x = node(n);
      // memfs stamps atime on every read; the kernel's atime rules are the VFS's.
      const atime = x.atime;
      const got = x.read(into, 0, into.length, pos);
      x.atime = atime;
      return got;
    },
    write(n, pos, data) {
      return node(n).write(Buffer.from(data.buffer, data.byteOffset, data.byteLength), 0, data.byteLength, pos);
    },
    truncate(n, size) {
      node(n).truncate(size);
    },
    readlink(n) {
      return linkTarget(node(n));
    },
  };
  return store;
}

const stores = new WeakMap<object, MemfsStore>();
let serial = 0;

/** Options of `mountMemfs`. */
export interface MountMemfsOptions {
  /** The mount's source (its name in mountinfo). Default: `memfs` and a number. */
  source?: string;
  /** mount(2) flags (MS_RDONLY, MS_NOSUID, …). */
  flags?: number;
  /** mount(2) data: only the VFS's words (ro, sync, …). */
  data?: string | null;
}

/**
 * Mounts a memfs Volume at `target` in the process's mount namespace, as mount(2) would (the
 * caller needs CAP_SYS_ADMIN; errors are the VFS's SysErrors). The kernel gets a `memfs` type the
 * first time. The same Volume mounted twice is one superblock.
 *
 * @example
 * ```ts
 * import { Volume } from 'memfs';
 * const vol = Volume.fromJSON({ '/hello.txt': 'hi' });
 * const p = createSandbox().process;
 * p.mkdir('/data');
 * mountMemfs(p, '/data', vol);
 * createFs(p).readFileSync('/data/hello.txt', 'utf8'); // 'hi'
 * ```
 */
export function mountMemfs(process: Process, target: string, vol: MemfsVolumeLike, opts: MountMemfsOptions = {}): void {
  const k = process.kernel;
  let type = k.filesystems.get('memfs') as ReturnType<typeof memfsType> | undefined;
  if (!type) k.register((type = memfsType(new MemfsVolumes())));
  let store = stores.get(vol);
  if (!store) stores.set(vol, (store = memfsStore(vol)));
  const source = opts.source ?? type.volumes.nameOf(store) ?? `memfs${serial++}`;
  type.volumes.add(source, store);
  process.mount(source, target, 'memfs', opts.flags ?? 0, opts.data ?? null);
}
