/**
 * Operations on layer directories (fs/overlayfs/overlayfs.h's ovl_do_* helpers): what overlayfs
 * does to its layers — as the mounter, with the credentials it mounted with (creator_cred) —
 * through each layer filesystem's inode interface and through the VFS's dentries of those
 * directories, so that a task reading a layer directly afterwards (the parity plans read upper
 * and work directories) finds the dentry cache in step with what the overlay did there.
 *
 * These are vfs_create/vfs_mkdir/… with their permission checks made as the mounter: search on
 * a directory looked in (EACCES), may_create and may_delete (EACCES, EPERM for the sticky bit).
 * A mounter with all capabilities passes them all; one without CAP_DAC_OVERRIDE cannot even use
 * the work directory, whose mode is 0.
 */
import { Cap, type Credentials } from '../../vfs/creds.js';
import type { Dentry } from '../../vfs/dentry.js';
import { errno } from '../../vfs/errno.js';
import { isDir, RENAME_EXCHANGE, RENAME_WHITEOUT, S_IFCHR, S_IFMT, type Inode } from '../../vfs/inode.js';
import { inodePermission, MAY_EXEC, MAY_READ, MAY_WRITE, mayCreate, mayDelete } from '../../vfs/permission.js';


/** The mounter: whose credentials overlayfs acts with, and who owns what it makes for itself. */
export interface Mounter {
  readonly creds: Credentials;
  readonly uid: number;
  readonly gid: number;
}

/** The mode (type included) and owner of a new object. */
export interface NewAttr {
  mode: number;
  uid: number;
  gid: number;
}

/**
 * inode_init_owner() for an object the mounter makes in `dir` for overlayfs's own use (work
 * directories, whiteouts, copies in the making): the mounter's ids, but the directory's group
 * when it is setgid (where a new directory also inherits S_ISGID).
 */
export function asMounter(dir: Dentry, mode: number, m: Mounter): NewAttr {
  if (!(dir.inode.mode & 0o2000)) return { mode, uid: m.uid, gid: m.gid };
  return { mode: (mode & S_IFMT) === 0o040000 ? mode | 0o2000 : mode, uid: m.uid, gid: dir.inode.gid };
}

/** lookup_one(): the name in a layer directory, which the mounter must be able to search. */
export function layerLookup(m: Mounter, dir: Dentry, name: string): Dentry | undefined {
  inodePermission(m.creds, dir.inode, MAY_EXEC);
  return dir.lookup(name);
}

/** The entries of a layer directory, opened for reading as the mounter (ovl_dir_read()). */
export function layerReaddir(m: Mounter, dir: Dentry): ReturnType<Inode['readdir']> {
  inodePermission(m.creds, dir.inode, MAY_READ);
  return dir.inode.readdir();
}

/** vfs_create()/vfs_mknod(): a non-directory, non-symlink object (a device needs CAP_MKNOD, a whiteout not). */
export function layerCreate(m: Mounter, dir: Dentry, name: string, attr: NewAttr, rdev = 0): Dentry {
  mayCreate(m.creds, dir, undefined);
  const t = attr.mode & S_IFMT;
  if ((t === S_IFCHR || t === 0o060000) && !(t === S_IFCHR && rdev === 0) && !m.creds.capable(Cap.MKNOD)) throw errno('EPERM');
  return dir.instantiate(name, dir.inode.create(name, attr.mode, rdev, attr.uid, attr.gid));
}

/** vfs_mkdir(). */
export function layerMkdir(m: Mounter, dir: Dentry, name: string, attr: NewAttr): Dentry {
  mayCreate(m.creds, dir, undefined);
  return dir.instantiate(name, dir.inode.mkdir(name, attr.mode & 0o7777, attr.uid, attr.gid));
}

/** vfs_symlink(). */
export function layerSymlink(m: Mounter, dir: Dentry, name: string, target: string, attr: NewAttr): Dentry {
  mayCreate(m.creds, dir, undefined);
  return dir.instantiate(name, dir.inode.symlink(name, target, attr.uid, attr.gid));
}

/** vfs_whiteout(): a whiteout, the character device 0/0 with no permission bits, made by the mounter. */
export function layerWhiteout(m: Mounter, dir: Dentry, name: string): Dentry {
  return layerCreate(m, dir, name, asMounter(dir, S_IFCHR, m));
}

/** vfs_link(). */
export function layerLink(m: Mounter, old: Dentry, dir: Dentry, name: string): Dentry {
  mayCreate(m.creds, dir, undefined);
  dir.inode.link(name, old.inode);
  return dir.instantiate(name, old.inode);
}

/** vfs_unlink(). */
export function layerUnlink(m: Mounter, dir: Dentry, victim: Dentry): void {
  mayDelete(m.creds, dir, victim, false);
  dir.inode.unlink(victim.name, victim.inode);
  victim.drop();
}

/** vfs_rmdir(); ENOTEMPTY from the layer when the directory holds anything, whiteouts included. */
export function layerRmdir(m: Mounter, dir: Dentry, victim: Dentry): void {
  mayDelete(m.creds, dir, victim, true);
  dir.inode.rmdir(victim.name, victim.inode);
  victim.drop();
}

/** ovl_cleanup(): takes an object out of a layer directory, whatever its type. */
export function layerRemove(m: Mounter, dir: Dentry, victim: Dentry): void {
  if (isDir(victim.inode.mode)) layerRmdir(m, dir, victim);
  else layerUnlink(m, dir, victim);
}

/**
 * vfs_rename() within one layer filesystem: RENAME_EXCHANGE swaps the two names, RENAME_WHITEOUT
 * leaves a whiteout (the mounter's) where `old` was. The dentries follow: the replaced one is
 * dropped, the moved ones change place.
 */
export function layerRename(m: Mounter, oldDir: Dentry, old: Dentry, newDir: Dentry, newName: string, flags: number): void {
  const target = newDir.lookup(newName);
  const oldIsDir = isDir(old.inode.mode);
  mayDelete(m.creds, oldDir, old, oldIsDir);
  if (!target) mayCreate(m.creds, newDir, undefined);
  else mayDelete(m.creds, newDir, target, flags & RENAME_EXCHANGE ? isDir(target.inode.mode) : oldIsDir);
  if (oldDir !== newDir) {
    // Moving a directory rewrites its `..`.
    if (oldIsDir) inodePermission(m.creds, old.inode, MAY_WRITE);
    if (flags & RENAME_EXCHANGE && target && isDir(target.inode.mode)) inodePermission(m.creds, target.inode, MAY_WRITE);
  }
  const oldName = old.name;
  const whiteout = flags & RENAME_WHITEOUT ? asMounter(oldDir, S_IFCHR, m) : undefined;
  oldDir.inode.rename(oldName, newDir.inode, newName, flags, whiteout);
  if (flags & RENAME_EXCHANGE) {
    target!.move(oldDir, oldName);
    old.move(newDir, newName);
  } else {
    target?.drop();
    old.move(newDir, newName);
  }
}
