/**
 * The way moby mounted a container's volumes for an archive operation before PR #44210 (commit
 * 2bdc7fb0a1): in the daemon's own mount namespace, under the container's rootfs — replayed from
 * that commit's parent, daemon/volumes_unix.go `mountVolumes` and container/container_unix.go
 * `DetachAndUnmount` (each volume destination unmounted with MNT_DETACH).
 *
 * Kept to reproduce the bug it had, not to be used: every bind made here is a mount event under
 * the daemon's tree, so a container whose volume is /var/lib/docker (or a parent of it) receives
 * a copy of it under that volume — its view is overmounted while the operation runs — and when the
 * bound source contains the destination, the copies multiply with each operation and are not all
 * taken back by the lazy unmount (moby#38995, moby#43390).
 */
import { statOrNull, mkdirAll } from '../tar/task-fs.js';
import { isDir } from '../../vfs/inode.js';
import { O_CREAT, O_WRONLY, type Process } from '../../vfs/process.js';
import { SysError } from '../../vfs/errno.js';
import { dir } from '../paths.js';
import { getResourcePath, MobyError, type MobyContainer } from './container.js';
import { mobyMount, mobyUnmount } from './sys-mount.js';

/** mountVolumes(): every volume bound under BaseFS in the daemon's namespace ("rbind|bind,ro|rw,rprivate"). */
export function mountVolumesInDaemonNs(daemon: Process, ctr: MobyContainer): void {
  for (const m of ctr.mounts) {
    const dest = getResourcePath(daemon, ctr, m.destination);
    const st = statOrNull(daemon, m.source);
    if (!st) throw new MobyError(`stat ${m.source}: no such file or directory`, 'ENOENT');
    // fileutils.CreateIfNotExists.
    if (isDir(st.mode)) mkdirAll(daemon, dest, 0o755);
    else if (!statOrNull(daemon, dest)) {
      mkdirAll(daemon, dir(dest), 0o755);
      daemon.close(daemon.open(dest, O_CREAT | O_WRONLY, 0o755));
    }
    const opts = [m.nonRecursive ? 'bind' : 'rbind', m.writable ? 'rw' : 'ro', 'rprivate'].join(',');
    try {
      mobyMount(daemon, m.source, dest, '', opts);
    } catch (e) {
      if (e instanceof SysError) throw new MobyError(`mount ${m.source}:${dest}: ${e.message}`, e.code);
      throw e;
    }
  }
}

/** DetachAndUnmount(): each volume destination unmounted lazily; failures are moby's warnings. */
export function detachAndUnmount(daemon: Process, ctr: MobyContainer): string[] {
  const warnings: string[] = [];
  for (const m of ctr.mounts) {
    try {
      mobyUnmount(daemon, getResourcePath(daemon, ctr, m.destination));
    } catch (e) {
      if (!(e instanceof SysError)) throw e;
      warnings.push(`Unable to unmount ${m.destination}: ${e.message}`);
    }
  }
  return warnings;
}
