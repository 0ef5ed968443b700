/**
 * The fids a 9p superblock holds for names: each name the client knows (a `Link`: a file under
 * a name in a directory, what a dentry is to v9fs's fid bookkeeping) may hold the fid that
 * walked to it. Operations on a file by name go through that fid.
 *
 * Invariants: the root's link holds the attach fid for the superblock's life; any other link's
 * fid is in the cache, which holds at most `limit` of them and gives up the least recently used
 * (Tclunk) past it — the server bounds a connection's fids. A link whose fid was given up walks
 * again when needed, from the nearest directory above that still holds one, with all the names
 * between in one walk (v9fs_fid_lookup()). A fid is held by at most one link.
 */
import { errno } from '../../vfs/errno.js';
import type { P9Client } from '../../p9/client.js';
import type { GoferInode } from './inode.js';

/** `inode` known under `name` in `dir` (null for the root), and the fid that walked there, if held. */
export class Link {
  fid: number | null;

  constructor(
    public dir: GoferInode | null,
    public name: string,
    readonly inode: GoferInode,
    fid: number | null,
  ) {
    this.fid = fid;
  }
}

/** The first name of a directory: the way to it (a directory has one). ENOENT once it has none. */
function wayTo(dir: GoferInode): Link {
  for (const l of dir.links) return l;
  throw errno('ENOENT');
}

export class FidCache {
  /** The non-root links holding a fid, least recently used first (a Map keeps insertion order). */
  private readonly held = new Map<Link, true>();

  constructor(
    private readonly client: P9Client,
    private readonly limit: number,
  ) {}

  /** How many name fids are held (the root's not counted). */
  get size(): number {
    return this.held.size;
  }

  /** The fid of `link`, walked again from the nearest held fid above it when it was given up. */
  fidOf(link: Link): number {
    if (link.fid !== null) {
      if (link.dir) {
        this.held.delete(link);
        this.held.set(link, true);
      }
      return link.fid;
    }
    const names = [link.name];
    let base = wayTo(link.dir!);
    while (base.fid === null) {
      names.unshift(base.name);
      base = wayTo(base.dir!);
    }
    const { fid } = this.client.walk(this.fidOf(base), names);
    this.hold(link, fid);
    return fid;
  }

  /** `link` holds `fid` now, and gives up the one it held. */
  hold(link: Link, fid: number): void {
    this.drop(link);
    link.fid = fid;
    if (!link.dir) return;
    this.held.set(link, true);
    for (const [oldest] of this.held) {
      if (this.held.size <= this.limit) break;
      if (oldest === link) continue;
      this.drop(oldest);
    }
  }

  /** `link` gives up its fid (Tclunk), if it holds one. */
  drop(link: Link): void {
    if (link.fid === null) return;
    this.held.delete(link);
    const fid = link.fid;
    link.fid = null;
    this.client.release(fid);
  }
}
