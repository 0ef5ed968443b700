/**
 * fsGroup: the ownership and mode changes applied to a volume's tree so a pod's supplementary
 * group can use it, in the two places that apply them:
 *
 * - the kubelet, kubernetes pkg/volume/volume_linux.go `SetVolumeOwnership` (with the volume change
 *   policy gate on): `skipPermissionChange`/`requiresPermissionChange` (OnRootMismatch skips when
 *   the root's gid is fsGroup, its permissions include rw (ro: r) plus x for user and group, and
 *   it has S_ISGID; a root that is not a directory never skips), then `walkDeep` (children before
 *   their directory, in getdents order, not following symlinks) with `changeFilePermission`:
 *   symlinks untouched; chown(path, its uid, fsGroup); chmod(path, mode | 0660 (ro: 0440), plus
 *   S_ISGID and 0110 on directories). chmod uses the mode read before the chown, so set-id bits
 *   the chown cleared come back. Errors of chown/chmod are logged and the walk goes on.
 * - Kata's agent for volumes it mounts in the guest, src/agent/src/storage/mod.rs `set_ownership`
 *   and `recursive_ownership_change`: the same masks and the same OnRootMismatch test, but a
 *   symlink to a directory is walked through (Path::is_dir follows it) though not chowned itself,
 *   the mode is read again after the chown (so set-id bits the chown cleared stay cleared), and an
 *   error ends the walk.
 */
import { SysError } from '../../vfs/errno.js';
import { isDir, isLnk, S_ISGID } from '../../vfs/inode.js';
import type { Process } from '../../vfs/process.js';
import type { Stat } from '../../vfs/stat.js';
import { readDirNames } from '../tar/task-fs.js';

export type FSGroupChangePolicy = 'Always' | 'OnRootMismatch';

const RW_MASK = 0o660;
const RO_MASK = 0o440;
const EXEC_MASK = 0o110;

/** requiresPermissionChange(rootDir, fsGroup, readonly). */
export function requiresPermissionChange(p: Process, rootDir: string, fsGroup: number, readonly: boolean): boolean {
  let st: Stat;
  try {
    st = p.stat(rootDir);
  } catch (e) {
    if (e instanceof SysError) return true;
    throw e;
  }
  if (st.gid !== fsGroup) return true;
  if (!isDir(st.mode)) return true;
  const unixPerms = (readonly ? RO_MASK : RW_MASK) | EXEC_MASK;
  return (unixPerms & st.mode & 0o777) !== unixPerms || (st.mode & S_ISGID) === 0;
}

export interface OwnershipResult {
  /** Whether OnRootMismatch found the root right and nothing was walked. */
  skipped: boolean;
  /** Paths changed, in the order they were. */
  changed: string[];
  /** What the kubelet logs and goes on from ("chown failed", "chmod failed"). */
  errors: string[];
}

/**
 * SetVolumeOwnership(mounter, dir, fsGroup, fsGroupChangePolicy) for the fsGroup part.
 *
 * @example
 * ```ts
 * setVolumeOwnership(kubelet, '/var/lib/kubelet/pods/u/volumes/kubernetes.io~empty-dir/v', 2000, 'OnRootMismatch', false);
 * ```
 */
export function setVolumeOwnership(p: Process, dir: string, fsGroup: number | null, policy: FSGroupChangePolicy | null, readonly: boolean): OwnershipResult {
  const out: OwnershipResult = { skipped: false, changed: [], errors: [] };
  if (fsGroup === null) return out;
  if (policy === 'OnRootMismatch' && !requiresPermissionChange(p, dir, fsGroup, readonly)) {
    out.skipped = true;
    return out;
  }
  const change = (path: string, st: Stat): void => {
    if (isLnk(st.mode)) return;
    try {
      p.chown(path, st.uid, fsGroup);
    } catch (e) {
      if (!(e instanceof SysError)) throw e;
      out.errors.push(`chown failed: ${path}: ${e.message}`);
    }
    let mask = readonly ? RO_MASK : RW_MASK;
    if (isDir(st.mode)) mask |= S_ISGID | EXEC_MASK;
    try {
      p.chmod(path, (st.mode & 0o7777) | mask);
    } catch (e) {
      if (!(e instanceof SysError)) throw e;
      out.errors.push(`chmod failed: ${path}: ${e.message}`);
    }
    out.changed.push(path);
  };
  const walk = (path: string, st: Stat): void => {
    if (isDir(st.mode)) {
      for (const name of readDirNames(p, path, false)) {
        const child = `${path}/${name}`;
        walk(child, p.lstat(child));
      }
    }
    change(path, st);
  };
  walk(dir, p.lstat(dir));
  return out;
}

/**
 * Kata agent's set_ownership(storage) with fs_group { group_id, group_change_policy }: skipped per
 * OnRootMismatch, else recursive_ownership_change(mount_point, None, gid, read_only).
 */
export function agentSetOwnership(p: Process, mountPoint: string, gid: number, policy: FSGroupChangePolicy, readonly: boolean): OwnershipResult {
  const out: OwnershipResult = { skipped: false, changed: [], errors: [] };
  const st = p.stat(mountPoint);
  if (policy === 'OnRootMismatch' && st.gid === gid) {
    const mask = (readonly ? RO_MASK : RW_MASK) | EXEC_MASK;
    if ((mask & st.mode) === mask && (st.mode & S_ISGID) !== 0) {
      out.skipped = true;
      return out;
    }
  }
  const recurse = (path: string): void => {
    let mask = readonly ? RO_MASK : RW_MASK;
    // Path::is_dir() follows symlinks: a link to a directory is walked through.
    const followed = p.stat(path);
    if (isDir(followed.mode)) {
      for (const name of readDirNames(p, path, false)) recurse(`${path}/${name}`);
      mask |= EXEC_MASK | S_ISGID;
    }
    if (isLnk(p.lstat(path).mode)) return;
    p.chown(path, -1, gid);
    const after = p.stat(path);
    p.chmod(path, (after.mode & 0o7777) | mask);
    out.changed.push(path);
  };
  recurse(mountPoint);
  return out;
}
