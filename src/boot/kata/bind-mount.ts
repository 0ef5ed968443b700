/**
 * Kata's bind of a volume, replayed over a Process from kata-containers
 * src/runtime/virtcontainers/mount_linux.go (`bindMount`, `remount`, `remountRo`), mount.go
 * (`evalMountPath`) and syscall.go (`ensureDestinationExists`): the source's symlinks evaluated,
 * the destination made (its parent MkdirAll 0755, then a 0755 directory or an empty file as the
 * source is one), a plain MS_BIND (not recursive), the requested propagation ("shared",
 * "private", "slave" or "ubind", Kata's spelling of unbindable) applied to the destination, and
 * for a read-only volume a remount MS_BIND|MS_REMOUNT|MS_RDONLY.
 *
 * Kata's order is kept, quirks included: the propagation type is checked only after the bind is
 * made, so a wrong one fails with the bind left in place; and the read-only remount comes after the
 * propagation change, so with "shared" the bind is briefly writable and shared.
 */
import { SysError } from '../../vfs/errno.js';
import { isDir } from '../../vfs/inode.js';
import { MS_BIND, MS_PRIVATE, MS_RDONLY, MS_REMOUNT, MS_SHARED, MS_SLAVE, MS_UNBINDABLE } from '../../vfs/mount-syscalls.js';
import { O_CREAT, O_RDONLY, type Process } from '../../vfs/process.js';
import { secureJoin } from '../paths.js';
import { mkdirAll, statOrNull } from '../tar/task-fs.js';
import { linkReader } from '../moby/container.js';

/** A failure in Kata's words; `errno` when a syscall produced it. */
export class KataError extends Error {
  constructor(
    message: string,
    readonly errno?: string,
  ) {
    super(message);
    this.name = 'KataError';
  }
}

/** mount_linux.go's propagationTypes. */
export const PROPAGATION_TYPES: Record<string, number> = {
  shared: MS_SHARED,
  private: MS_PRIVATE,
  slave: MS_SLAVE,
  ubind: MS_UNBINDABLE,
};

const MOUNT_PERM = 0o755;

/** Go's text of a syscall error: "no such file or directory". */
function goText(e: SysError): string {
  return e.message.replace(/^[A-Z0-9]+: /, '').replace(/, .*$/, '');
}

/** filepath.EvalSymlinks: every symlink of `path` followed (the path must exist). */
export function evalSymlinks(p: Process, path: string): string {
  const resolved = secureJoin('/', path, linkReader(p));
  p.stat(resolved);
  return resolved;
}

/** ensureDestinationExists(source, destination). */
export function ensureDestinationExists(p: Process, source: string, destination: string): void {
  const st = statOrNull(p, source);
  if (!st) throw new KataError(`could not stat source location ${source}: stat ${source}: no such file or directory`, 'ENOENT');
  const parent = destination.slice(0, destination.lastIndexOf('/') + 1) || '.';
  try {
    mkdirAll(p, parent, MOUNT_PERM);
  } catch (e) {
    if (e instanceof SysError) throw new KataError(`could not create parent directory ${parent}: mkdir ${parent}: ${goText(e)}`, e.code);
    throw e;
  }
  try {
    if (isDir(st.mode)) {
      try {
        p.mkdir(destination, MOUNT_PERM);
      } catch (e) {
        if (!(e instanceof SysError && e.code === 'EEXIST')) throw e;
      }
    } else p.close(p.open(destination, O_CREAT | O_RDONLY, MOUNT_PERM));
  } catch (e) {
    if (e instanceof SysError) throw new KataError(`${isDir(st.mode) ? 'mkdir' : 'open'} ${destination}: ${goText(e)}`, e.code);
    throw e;
  }
}

/**
 * bindMount(source, destination, readonly, pgtypes).
 *
 * @example
 * ```ts
 * bindMount(p, '/var/lib/kubelet/pods/u/volumes/kubernetes.io~empty-dir/cache', '/run/shared/c-cache', true, 'private');
 * ```
 */
export function bindMount(p: Process, source: string, destination: string, readonly: boolean, pgtypes: string): void {
  if (source === '') throw new KataError('source must be specified');
  if (destination === '') throw new KataError('destination must be specified');
  let absSource: string;
  try {
    absSource = evalSymlinks(p, source);
  } catch (e) {
    if (e instanceof SysError) throw new KataError(`Could not resolve symlink for source ${source}`, e.code);
    throw e;
  }
  try {
    ensureDestinationExists(p, absSource, destination);
  } catch (e) {
    if (e instanceof KataError) throw new KataError(`Could not create destination mount point ${destination}: ${e.message}`, e.errno);
    throw e;
  }
  try {
    p.mount(absSource, destination, 'bind', MS_BIND, '');
  } catch (e) {
    if (e instanceof SysError) throw new KataError(`Could not bind mount ${absSource} to ${destination}: ${goText(e)}`, e.code);
    throw e;
  }
  const pgtype = PROPAGATION_TYPES[pgtypes];
  if (pgtype === undefined) throw new KataError(`Wrong propagation type ${pgtypes}`);
  try {
    p.mount('none', destination, '', pgtype, '');
  } catch (e) {
    if (e instanceof SysError) throw new KataError(`Could not make mount point ${destination} ${pgtypes}: ${goText(e)}`, e.code);
    throw e;
  }
  // Only recent util-linux understands "bind,ro" in one call.
  if (readonly) p.mount(absSource, destination, 'bind', MS_BIND | MS_REMOUNT | MS_RDONLY, '');
}

/** remountRo(src): the mount at `src` (symlinks evaluated) remounted MS_BIND|MS_RDONLY. */
export function remountRo(p: Process, src: string): void {
  let absSrc: string;
  try {
    absSrc = evalSymlinks(p, src);
  } catch {
    throw new KataError(`Could not resolve symlink for ${src}`);
  }
  try {
    p.mount(absSrc, absSrc, '', MS_REMOUNT | MS_BIND | MS_RDONLY, '');
  } catch (e) {
    if (e instanceof SysError) throw new KataError(`remount ${absSrc} failed: ${goText(e)}`, e.code);
    throw e;
  }
}
