/**
 * Path resolution (namei): turning a pathname into a `Path`, as fs/namei.c does.
 *
 * Rules implemented here, each with the kernel's errno:
 * - PATH_MAX 4096 bytes including the NUL (ENAMETOOLONG); NAME_MAX 255 bytes a component
 *   (ENAMETOOLONG, raised when the name is looked up, so after the search check);
 * - search (x) permission on every directory walked through, including the parent of the last
 *   component (EACCES); a non-directory in the middle (ENOTDIR);
 * - at most 40 symbolic links followed in one resolution (ELOOP); a link on a nosymfollow mount
 *   is ELOOP; an absolute target restarts at the task's root;
 * - a trailing slash demands a directory and follows a final symlink (ENOTDIR);
 * - `..` at the task's root stays there; at a mount's root it continues in the parent mount from
 *   the mount point, then lands on the topmost mount over the parent directory;
 * - a walk onto a mount point goes to the topmost mount stacked there.
 */
import type { Credentials } from './creds.js';
import type { Dentry } from './dentry.js';
import { errno } from './errno.js';
import { isDir, isLnk } from './inode.js';
import { MNT_NOSYMFOLLOW, type Path } from './mount.js';
import { topmostOvermount } from './mount-namespace.js';
import { inodePermission, MAY_EXEC } from './permission.js';

export const PATH_MAX = 4096;
export const NAME_MAX = 255;
export const MAXSYMLINKS = 40;

/** What a walk needs of the task: fs_struct (root, cwd) and credentials. */
export interface WalkTask {
  readonly creds: Credentials;
  readonly root: Path;
  readonly cwd: Path;
}

export type LastType = 'norm' | 'dot' | 'dotdot' | 'root';

/** The result of a parent walk (path_parentat): the directory and the last component. */
export interface ParentWalk {
  parent: Path;
  last: string;
  type: LastType;
  /** The pathname ended in a slash after the last component. */
  trailing: boolean;
}

const encoder = new TextEncoder();
const SLASH = 47;
const DOT = 46;

/** Length in bytes of a UTF-8 string, as the kernel measures names. */
export function byteLength(s: string): number {
  // Only non-ASCII strings need encoding; most names are ASCII.
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return encoder.encode(s).length;
  return s.length;
}

/**
 * follow_mount(): from a dentry, the root of the topmost mount stacked on it, if any. One hash
 * lookup for the mount on the dentry, then its stack's cached top (mount-namespace.ts) instead
 * of a lookup a mount of the stack.
 */
export function followMounts(p: Path): Path {
  const { mnt, dentry } = p;
  if (dentry.mountCount === 0) return p;
  const child = mnt.childAt.get(dentry);
  if (!child) return p;
  const top = topmostOvermount(child);
  return { mnt: top, dentry: top.root };
}

function checkPathname(pathname: string): void {
  if (pathname === '') throw errno('ENOENT');
  if (pathname.length >= PATH_MAX / 3 && byteLength(pathname) >= PATH_MAX) throw errno('ENAMETOOLONG');
}

/**
 * One resolution's state (struct nameidata): the link budget is shared by nested links, and by
 * the trailing links an O_CREAT open follows itself.
 */
export class Nameidata {
  links = 0;
  constructor(readonly task: WalkTask) {}

  /**
   * may_lookup(): search permission on the directory about to be walked through. A directory
   * everyone may search needs no owner, group or capability check: acl_permission_check()'s
   * "common cheap case" (no ACLs are modelled), which is most directories of a walk.
   */
  mayLookup(dir: Path): void {
    const inode = dir.dentry.inode;
    if ((inode.mode & 0o111) === 0o111) return;
    inodePermission(this.task.creds, inode, MAY_EXEC, dir.mnt.idmap);
  }

  /**
   * follow_dotdot(), then step_into(): wherever `..` lands — the parent, or the process root or a
   * namespace root it may not climb above — the walk goes on from the top of what is mounted
   * there, so `/..` reaches a mount stacked on the root while `/` alone does not.
   */
  dotdot(cur: Path): Path {
    const root = this.task.root;
    let { mnt, dentry } = cur;
    for (;;) {
      if (mnt === root.mnt && dentry === root.dentry) return followMounts({ mnt, dentry });
      if (dentry !== mnt.root) break;
      // choose_mountpoint(): at a mount's root, continue from where it is mounted.
      if (!mnt.parent || !mnt.mountpoint) return followMounts({ mnt, dentry });
      dentry = mnt.mountpoint;
      mnt = mnt.parent;
    }
    return followMounts({ mnt, dentry: dentry.parent ?? dentry });
  }

  /** pick_link(): the symlink at `link` reached from `dir`, resolved to what it points at. */
  followLink(dir: Path, link: Path): Path {
    return this.walk(dir, this.pickLink(link), true);
  }

  /** pick_link()'s checks: one more link of the budget, none on a nosymfollow mount; the body. */
  pickLink(link: Path): string {
    if (++this.links > MAXSYMLINKS) throw errno('ELOOP');
    if (link.mnt.flags & MNT_NOSYMFOLLOW) throw errno('ELOOP');
    return link.dentry.inode.readlink();
  }

  /** Walks all of `pathname` from `base` (or the root, for an absolute name). */
  walk(base: Path, pathname: string, followLast: boolean): Path {
    checkPathname(pathname);
    const cur = pathname.charCodeAt(0) === SLASH ? this.task.root : base;
    const end = endOfLast(pathname);
    if (end === 0) return cur;
    // A trailing slash follows a final link and demands a directory.
    const trailing = end < pathname.length;
    const last = this.walkRange(cur, pathname, end, followLast || trailing);
    if (trailing && !isDir(last.dentry.inode.mode)) throw errno('ENOTDIR');
    return last;
  }

  /** Walks all but the last component (path_parentat); the parent must be searchable. */
  parent(base: Path, pathname: string): ParentWalk {
    checkPathname(pathname);
    let cur = pathname.charCodeAt(0) === SLASH ? this.task.root : base;
    const end = endOfLast(pathname);
    if (end === 0) return { parent: cur, last: '', type: 'root', trailing: false };
    const start = pathname.lastIndexOf('/', end - 1) + 1;
    cur = this.walkRange(cur, pathname, start, true);
    if (!isDir(cur.dentry.inode.mode)) throw errno('ENOTDIR');
    this.mayLookup(cur);
    const last = pathname.slice(start, end);
    const type: LastType = last === '.' ? 'dot' : last === '..' ? 'dotdot' : 'norm';
    return { parent: cur, last, type, trailing: end < pathname.length };
  }

  /**
   * link_path_walk() over the components of `pathname` before index `end`, read in place (no
   * array of names: a walk costs its lookups, not the splitting); the last one is followed when
   * it is a link only if `followLast`. Each component is step_into() of the one before: the
   * walk holds its place as a mount and a dentry (nd->path) and makes a `Path` only for what
   * it returns or hands on (`..`, a link), not one a component.
   */
  private walkRange(cur: Path, pathname: string, end: number, followLast: boolean): Path {
    let mnt = cur.mnt;
    let dentry = cur.dentry;
    let moved = false;
    for (let i = 0; ; ) {
      while (i < end && pathname.charCodeAt(i) === SLASH) i++;
      if (i >= end) return moved ? { mnt, dentry } : cur;
      // The component's end: a scan, not indexOf(), whose call costs more than most names.
      let j = i + 1;
      while (j < end && pathname.charCodeAt(j) !== SLASH) j++;
      // One component: ENOTDIR, search permission, dots, lookup, mounts, links.
      const inode = dentry.inode;
      if (!isDir(inode.mode)) throw errno('ENOTDIR');
      // may_lookup(), with acl_permission_check()'s cheap case inline (mayLookup()).
      if ((inode.mode & 0o111) !== 0o111) inodePermission(this.task.creds, inode, MAY_EXEC, mnt.idmap);
      const len = j - i;
      if (len <= 2 && pathname.charCodeAt(i) === DOT && (len === 1 || pathname.charCodeAt(i + 1) === DOT)) {
        if (len === 2) {
          const up = this.dotdot({ mnt, dentry });
          mnt = up.mnt;
          dentry = up.dentry;
          moved = true;
        }
        i = j;
        continue;
      }
      const name = pathname.slice(i, j);
      if (len > NAME_MAX / 3 && byteLength(name) > NAME_MAX) throw errno('ENAMETOOLONG');
      const d = dentry.lookup(name);
      if (!d) throw errno('ENOENT');
      // follow_mount(): onto the topmost mount stacked on the name, if any (followMounts()).
      let nextMnt = mnt;
      let next = d;
      if (d.mountCount !== 0) {
        const child = mnt.childAt.get(d);
        if (child) {
          nextMnt = topmostOvermount(child);
          next = nextMnt.root;
        }
      }
      if ((j < end || followLast) && isLnk(next.inode.mode)) {
        const to = this.followLink({ mnt, dentry }, { mnt: nextMnt, dentry: next });
        mnt = to.mnt;
        dentry = to.dentry;
      } else {
        mnt = nextMnt;
        dentry = next;
      }
      moved = true;
      i = j;
    }
  }
}

/** Where the last component ends: the length without trailing slashes (0: no component). */
function endOfLast(pathname: string): number {
  let end = pathname.length;
  while (end > 0 && pathname.charCodeAt(end - 1) === SLASH) end--;
  return end;
}

/**
 * Resolves `pathname` relative to `base` (the cwd or a directory fd), following a final symlink
 * when `follow` is set (stat vs lstat).
 *
 * @example
 * ```ts
 * const p = resolvePath(task, task.cwd, '/etc/../etc/passwd', true);
 * ```
 */
export function resolvePath(task: WalkTask, base: Path, pathname: string, follow: boolean): Path {
  return new Nameidata(task).walk(base, pathname, follow);
}

/** Resolves all but the last component; the syscall decides what to do with the last. */
export function resolveParent(task: WalkTask, base: Path, pathname: string): ParentWalk {
  return new Nameidata(task).parent(base, pathname);
}

/**
 * Looks up the last component of a parent walk without following it (the `norm` case only):
 * the child dentry or undefined. ENAMETOOLONG for a name over NAME_MAX.
 */
export function lookupLast(pw: ParentWalk): Dentry | undefined {
  if (pw.last.length > NAME_MAX / 3 && byteLength(pw.last) > NAME_MAX) throw errno('ENAMETOOLONG');
  return pw.parent.dentry.lookup(pw.last);
}

/**
 * The pathname of `p` as seen from `root` (d_path / seq_path_root), or null when `p` is not
 * reachable from it (outside a chroot, or on a detached mount).
 */
export function pathFrom(root: Path, p: Path): string | null {
  const parts: string[] = [];
  let { mnt, dentry } = p;
  for (;;) {
    if (mnt === root.mnt && dentry === root.dentry) break;
    if (dentry === mnt.root) {
      if (!mnt.parent || !mnt.mountpoint) return null;
      dentry = mnt.mountpoint;
      mnt = mnt.parent;
      continue;
    }
    if (!dentry.parent) return null;
    parts.push(dentry.name);
    dentry = dentry.parent;
  }
  return '/' + parts.reverse().join('/');
}
