/**
 * Extended attributes: setxattr(2), getxattr(2), listxattr(2), removexattr(2) and their l/f forms
 * — the syscall side of fs/xattr.c (setxattr_copy(), xattr_permission(), vfs_setxattr(),
 * vfs_getxattr(), vfs_listxattr(), vfs_removexattr(), xattr_resolve_name()) with commoncap's
 * cap_inode_setxattr()/cap_inode_removexattr(), which every LSM stack includes.
 *
 * setxattr(2)'s order is the kernel's: flags, the name (ERANGE) and the value's size (E2BIG), then
 * the path, the mount's write access (EROFS), the VFS's permission by namespace, the capability
 * rule for security.*, and only then the filesystem. Which namespaces a filesystem serves it
 * declares on its superblock (`SuperBlock.xattrs`, as gVisor's tmpfs declares allowXattrPrefix)
 * and this file asks (xattrResolveName); a superblock that declares none serves none
 * (EOPNOTSUPP), as one without s_xattr handlers, whose inodes lack IOP_XATTR.
 */
import { Cap } from './creds.js';
import { errno } from './errno.js';
import { mntWantWrite } from './file-syscalls.js';
import { isDir, isReg, XATTR_CREATE, XATTR_REPLACE, type Inode } from './inode.js';
import type { Path } from './mount.js';
import type { MntIdmap } from './idmapping.js';
import { MAY_READ, MAY_WRITE, inodePermission, ownerOrCapable } from './permission.js';
import type { Process } from './process.js';

const XATTR_NAME_MAX = 255;
const XATTR_SIZE_MAX = 65536;

/** The copied-in name: empty or longer than XATTR_NAME_MAX bytes is ERANGE. */
function checkName(name: string): void {
  if (name === '' || new TextEncoder().encode(name).length > XATTR_NAME_MAX) throw errno('ERANGE');
}

/**
 * xattr_permission(): security.* and system.* are the filesystem's business; trusted.* needs
 * CAP_SYS_ADMIN (EPERM to write, ENODATA to read); user.* exists only on regular files and
 * directories, and a sticky directory's only for its owner; the rest is mode permission.
 */
function xattrPermission(p: Process, inode: Inode, name: string, mask: number, idmap: MntIdmap): void {
  if (name.startsWith('security.') || name.startsWith('system.')) return;
  if (name.startsWith('trusted.')) {
    if (!p.creds.capable(Cap.SYS_ADMIN)) throw errno(mask & MAY_WRITE ? 'EPERM' : 'ENODATA');
    return;
  }
  if (name.startsWith('user.')) {
    if (!isReg(inode.mode) && !isDir(inode.mode)) throw errno(mask & MAY_WRITE ? 'EPERM' : 'ENODATA');
    if (isDir(inode.mode) && inode.mode & 0o1000 && mask & MAY_WRITE && !ownerOrCapable(p.creds, inode, idmap)) throw errno('EPERM');
  }
  inodePermission(p.creds, inode, mask, idmap);
}

/**
 * cap_inode_setxattr() / cap_inode_removexattr(): changing a security.* attribute other than
 * security.capability needs CAP_SYS_ADMIN, EPERM otherwise.
 */
function securityXattrChange(p: Process, name: string): void {
  if (name.startsWith('security.') && name !== 'security.capability' && !p.creds.capable(Cap.SYS_ADMIN)) throw errno('EPERM');
}

/**
 * xattr_resolve_name(): the first namespace the filesystem declares that `name` lies in; a name
 * that is only the prefix is EINVAL; none, or a filesystem that declares none, EOPNOTSUPP.
 *
 * @example
 * ```ts
 * xattrResolveName(tmpfsInode, 'user.a'); // served
 * xattrResolveName(tmpfsInode, 'user.'); // EINVAL
 * xattrResolveName(procInode, 'user.a'); // EOPNOTSUPP
 * ```
 */
export function xattrResolveName(inode: Inode, name: string): void {
  for (const prefix of inode.sb.xattrs?.handlerPrefixes ?? []) {
    if (!name.startsWith(prefix)) continue;
    if (name.length === prefix.length) throw errno('EINVAL');
    return;
  }
  throw errno('EOPNOTSUPP');
}

/**
 * setxattr(2) and its l/f forms; `resolve` finds the file once the arguments have passed their
 * checks, as the kernel copies them in (setxattr_copy()) before it walks the path.
 */
export function setxattr(p: Process, resolve: () => Path, name: string, value: Uint8Array, flags: number): void {
  if (flags & ~(XATTR_CREATE | XATTR_REPLACE)) throw errno('EINVAL');
  checkName(name);
  if (value.length > XATTR_SIZE_MAX) throw errno('E2BIG');
  const target = resolve();
  mntWantWrite(target.mnt);
  const inode = target.dentry.inode;
  xattrPermission(p, inode, name, MAY_WRITE, target.mnt.idmap);
  securityXattrChange(p, name);
  xattrResolveName(inode, name);
  inode.setxattr(name, value, flags);
}

/** getxattr(2) and its l/f forms: a copy of the value; ENODATA when there is none. */
export function getxattr(p: Process, target: Path, name: string): Uint8Array {
  checkName(name);
  const inode = target.dentry.inode;
  xattrPermission(p, inode, name, MAY_READ, target.mnt.idmap);
  xattrResolveName(inode, name);
  const v = inode.getxattr(name);
  if (!v) throw errno('ENODATA');
  return v.slice();
}

/** listxattr(2) and llistxattr(2): simple_xattr_list() lists trusted.* names only to CAP_SYS_ADMIN. */
export function listxattr(p: Process, target: Path): string[] {
  const names = target.dentry.inode.listxattr();
  return p.creds.capable(Cap.SYS_ADMIN) ? names : names.filter((n) => !n.startsWith('trusted.'));
}

/** removexattr(2) and lremovexattr(2). */
export function removexattr(p: Process, target: Path, name: string): void {
  checkName(name);
  mntWantWrite(target.mnt);
  const inode = target.dentry.inode;
  xattrPermission(p, inode, name, MAY_WRITE, target.mnt.idmap);
  securityXattrChange(p, name);
  xattrResolveName(inode, name);
  inode.removexattr(name);
}
