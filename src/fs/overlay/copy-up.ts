/**
 * Copy-up (fs/overlayfs/copy_up.c; overlayfs.rst "Non-directories", "Directories"): before a
 * lower object may change, it is copied to the upper layer, its parent directories first.
 *
 * The copy is made under a temporary name in the work directory — data (skipping holes as the
 * kernel does, a 1 MiB chunk at a time where data starts), extended attributes but overlayfs's
 * own, the origin file handle, size, then mode, owner and times — and renamed into place, so a
 * copy that fails (ENOSPC) leaves nothing in the upper directory. The parent is marked impure.
 *
 * Triggers (each calls `copyUp`): opening a lower file for writing or with O_TRUNC, truncate,
 * chmod, chown, utimes, setxattr and removexattr, link (of the source), rename (of the source,
 * and of the target when exchanging), and creating or removing a name in a lower directory
 * (which copies that directory up).
 */
import type { Dentry } from '../../vfs/dentry.js';
import { notifyChange } from '../../vfs/attr.js';
import { errno, SysError } from '../../vfs/errno.js';
import { inodePermission, MAY_READ } from '../../vfs/permission.js';
import { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, type Inode } from '../../vfs/inode.js';
import type { OvlInode } from './inode.js';
import { asMounter, layerCreate, layerMkdir, layerRemove, layerRename, layerSymlink, type Mounter } from './layer-ops.js';
import { canDecodeFh } from './layer.js';
import { markImpure } from './namei.js';
import { tempName } from './workdir.js';
import { originHandle } from './xattrs.js';

/** OVL_COPY_UP_CHUNK_SIZE. */
const CHUNK = 1 << 20;

/**
 * ovl_copy_up_flags(): copies `o` up, with every ancestor that lacks an upper directory first.
 * A no-op for an object that has one.
 */
export function copyUp(o: OvlInode): void {
  if (o.upper) return;
  o.sb.wantWrite();
  const chain: OvlInode[] = [];
  for (let x: OvlInode | null = o; x && !x.upper; x = x.parent) chain.push(x);
  for (let i = chain.length - 1; i >= 0; i--) copyUpOne(chain[i]!);
}

/** ovl_copy_up_data(): the file's data, holes skipped where SEEK_DATA finds them. */
function copyData(from: OvlInode['real'], to: OvlInode['real']): void {
  const size = from.size;
  for (let pos = 0; pos < size; ) {
    const data = from.seekHoleData ? from.seekHoleData(pos, false) : pos;
    if (data === null) break;
    if (data > pos) {
      pos = data;
      continue;
    }
    const buf = new Uint8Array(Math.min(CHUNK, size - pos));
    const n = from.read(pos, buf);
    for (let done = 0; done < n; ) done += to.write(pos + done, buf.subarray(done, n));
    pos += n;
  }
}

/**
 * ovl_set_attr(): mode, then owner, then times, each a notify_change() as the mounter (chown to
 * another owner needs CAP_CHOWN); no ATTR_KILL_* flag goes with them, so a setuid bit survives.
 * Times that cannot be set are left as they are.
 */
function setAttr(m: Mounter, upper: Inode, lower: Inode): void {
  const now = upper.ctime;
  if ((lower.mode & S_IFMT) !== S_IFLNK) notifyChange(m.creds, upper, { mode: lower.mode & 0o7777 }, now);
  notifyChange(m.creds, upper, { uid: lower.uid, gid: lower.gid }, now);
  try {
    notifyChange(m.creds, upper, { atime: lower.atime, mtime: lower.mtime }, now);
  } catch (e) {
    if (!(e instanceof SysError)) throw e;
  }
}

/** ovl_copy_up_one(): `o`'s parent has an upper directory; make `o` one there. */
function copyUpOne(o: OvlInode): void {
  const sb = o.sb;
  const parent = o.parent!;
  const udir = parent.upper!;
  const work = sb.workdir;
  if (!work) throw errno('EROFS');
  const lower = o.lowers[0]!.dentry;
  const li = lower.inode;
  const type = li.mode & S_IFMT;
  const m = sb.mounter;
  // The lower file is read as the mounter (ovl_path_open()).
  if (type === S_IFREG) inodePermission(m.creds, li, MAY_READ);
  const name = tempName(sb);
  // Made by the mounter with no permissions at first; the real ones are set at the end.
  const attr = asMounter(work, type, m);
  let temp: Dentry;
  if (type === S_IFDIR) temp = layerMkdir(m, work, name, attr);
  else if (type === S_IFLNK) temp = layerSymlink(m, work, name, li.readlink(), attr);
  else temp = layerCreate(m, work, name, attr, li.rdev);
  try {
    if (type === S_IFREG) copyData(li, temp.inode);
    // ovl_copy_xattr(): every attribute but overlayfs's own.
    for (const x of li.listxattr()) {
      if (sb.xattrs.isPrivate(x)) continue;
      temp.inode.setxattr(x, li.getxattr(x)!, 0);
    }
    // The origin — empty where the lower filesystem cannot decode file handles (an overlay) —
    // but not for a file whose lower hard links this copy breaks.
    if (type === S_IFDIR || li.nlink === 1) sb.xattrs.set(temp.inode, sb.xattrs.origin, originHandle(li, canDecodeFh(li)));
    if (type === S_IFREG) temp.inode.setattr({ size: li.size });
    setAttr(m, temp.inode, li);
    layerRename(m, work, temp, udir, o.name, 0);
  } catch (e) {
    if (temp.parent === work && !temp.unlinked) layerRemove(m, work, temp);
    throw e;
  }
  o.upper = temp;
  sb.inodes.set(temp.inode, o);
  // "Mark parent impure because it may now contain non-pure upper".
  markImpure(parent);
}
