/**
 * What moby's daemon knows of a container that its archive path needs: where its root filesystem
 * is mounted on the host (Container.BaseFS, after daemon.Mount), its mount points (the volumes and
 * binds daemon.setupMounts turns into container.Mount values), whether its rootfs is read-only —
 * and the two rules about them this module replays: GetResourcePath (a container path resolved
 * through the rootfs's symlinks without leaving it; container/container.go) and
 * validateBindDaemonRoot (daemon/volumes_linux.go: a bind whose source is the daemon root, inside
 * it or above it gets rslave propagation unless it asked for rslave or rshared, and any other
 * propagation is refused).
 *
 * Mounting the rootfs itself (the graph driver, overlay) is not replayed: BaseFS is a directory
 * or mount the caller has made.
 */
import type { Process } from '../../vfs/process.js';
import { clean, join, secureJoin, type LinkReader } from '../paths.js';
import { lstatOrNull } from '../tar/task-fs.js';
import { isLnk } from '../../vfs/inode.js';

/** A bind or volume of a container, as daemon.setupMounts hands it to the archive code (container.Mount). */
export interface MobyMount {
  /** Host path bound (a volume's _data directory or a bind source). */
  source: string;
  /** Path in the container. */
  destination: string;
  /** RW in the API. */
  writable: boolean;
  /** BindOptions.NonRecursive: "bind" instead of "rbind". */
  nonRecursive?: boolean;
  readOnlyNonRecursive?: boolean;
  readOnlyForceRecursive?: boolean;
  /** The propagation the container's own mount of it gets (rprivate by default; rslave per validateBindDaemonRoot). */
  propagation?: 'rprivate' | 'private' | 'rslave' | 'slave' | 'rshared' | 'shared';
}

export interface MobyContainer {
  id: string;
  /** The rootfs as mounted on the host (Container.BaseFS). */
  baseFS: string;
  mounts: MobyMount[];
  readonlyRootfs?: boolean;
}

/** A failure in moby's words; `errno` when a syscall produced it. */
export class MobyError extends Error {
  constructor(
    message: string,
    readonly errno?: string,
  ) {
    super(message);
    this.name = 'MobyError';
  }
}

/** SecureJoin's view of a task's filesystem. */
export function linkReader(p: Process): LinkReader {
  return {
    kind: (path) => {
      const st = lstatOrNull(p, path);
      return st === null ? 'missing' : isLnk(st.mode) ? 'symlink' : 'other';
    },
    readlink: (path) => p.readlink(path),
  };
}

/**
 * Container.GetResourcePath: `path` in the container, as a host path under BaseFS with the
 * rootfs's symlinks followed inside it (symlink.FollowSymlinkInScope).
 *
 * @example
 * ```ts
 * // rootfs/var/run -> /run
 * getResourcePath(p, ctr, '/var/run/x'); // `${ctr.baseFS}/run/x`
 * ```
 */
export function getResourcePath(p: Process, ctr: MobyContainer, path: string): string {
  return secureJoin(clean(ctr.baseFS), join('/', path), linkReader(p));
}

/**
 * validateBindDaemonRoot: whether a bind needs rslave because its source and the daemon root
 * contain one another; an explicit propagation other than rslave or rshared is refused.
 */
export function validateBindDaemonRoot(daemonRoot: string, source: string, propagation?: string): boolean {
  if (!source.startsWith(daemonRoot) && !daemonRoot.startsWith(source)) return false;
  if (propagation === undefined || propagation === '') return true;
  if (propagation === 'rslave' || propagation === 'rshared') return false;
  throw new MobyError(
    `invalid mount config: must use either propagation mode "rslave" or "rshared" when mount source is within the daemon root, daemon root: ${JSON.stringify(daemonRoot)}, bind mount source: ${JSON.stringify(source)}, propagation: ${JSON.stringify(propagation)}`,
  );
}
