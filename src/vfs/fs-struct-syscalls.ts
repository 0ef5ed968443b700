/**
 * The task's root and working directory (struct fs_struct): chdir(2), fchdir(2) and chroot(2) —
 * fs/open.c — and getcwd(2) — fs/d_path.c. The move itself, with the mount pins it shifts, is
 * `Process.setCwd` / `Process.setRoot`.
 *
 * A new root or cwd must be a directory (ENOTDIR) the task may search (EACCES); chroot(2) also
 * needs CAP_SYS_CHROOT (EPERM), checked after both.
 */
import { Cap } from './creds.js';
import { errno } from './errno.js';
import { AT_FDCWD } from './file-syscalls.js';
import { isDir, type Inode } from './inode.js';
import type { MntIdmap } from './idmapping.js';
import { MAY_EXEC, inodePermission } from './permission.js';
import type { Process } from './process.js';
import { pathFrom } from './resolve.js';

/** What chdir, fchdir and chroot ask of their target: a directory, searchable. */
function maySetDir(p: Process, inode: Inode, idmap?: MntIdmap): void {
  if (!isDir(inode.mode)) throw errno('ENOTDIR');
  inodePermission(p.creds, inode, MAY_EXEC, idmap);
}

export function chdir(p: Process, path: string): void {
  const target = p.lookup(AT_FDCWD, path, true);
  maySetDir(p, target.dentry.inode, target.mnt.idmap);
  p.setCwd(target);
}

/** fchdir(2): an O_PATH descriptor of a directory will do (fdget_raw()). */
export function fchdir(p: Process, fd: number): void {
  const f = p.fds.get(fd);
  maySetDir(p, f.inode, f.path.mnt.idmap);
  p.setCwd(f.path);
}

/** getcwd(2): ENOENT when the cwd was removed; "(unreachable)" prefixed when it lies outside the root. */
export function getcwd(p: Process): string {
  if (p.cwd.dentry.unlinked) throw errno('ENOENT');
  return pathFrom(p.root, p.cwd) ?? '(unreachable)' + (pathFrom({ mnt: p.ns.root, dentry: p.ns.root.root }, p.cwd) ?? '/');
}

export function chroot(p: Process, path: string): void {
  const target = p.lookup(AT_FDCWD, path, true);
  maySetDir(p, target.dentry.inode, target.mnt.idmap);
  // CAP_SYS_CHROOT in the task's own user namespace (ns_capable(current_user_ns())).
  if (!p.creds.nsCapable(p.creds.userNs, Cap.SYS_CHROOT)) throw errno('EPERM');
  p.setRoot(target);
}
