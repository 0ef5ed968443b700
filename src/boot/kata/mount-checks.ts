/**
 * Which of a container's mounts Kata shares into the VM and how, replayed from kata-containers
 * src/runtime/virtcontainers: mount.go (`isSystemMount`: /proc and /sys and below;
 * `isHostDevice`: /dev itself and anything under /dev that is not a regular file, a missing one
 * included; `checkKubernetesVolume`, `isEmptyDir`, `isConfigMap`, `isSecret`; `countFiles`,
 * `isWatchableMount`: a configMap or secret of 1 to 8 files), container.go
 * (`mountSharedDirMounts`: the order of those checks), and pkg/katautils/create.go
 * (`SetEphemeralStorageType`: a tmpfs emptyDir becomes an "ephemeral" mount, made in the guest).
 *
 * `classifyMount` gives the decision for one OCI mount and why, in that order. Not modelled:
 * block-device volumes (BlockDeviceID), hugepage and "local" emptyDirs (disable_guest_empty_dir),
 * the virtio-fs share itself (the host side of ShareFile is the bind in bind-mount.ts).
 */
import { SysError } from '../../vfs/errno.js';
import { isDir, isReg } from '../../vfs/inode.js';
import type { Process } from '../../vfs/process.js';
import { clean } from '../paths.js';
import { readDirNames, statOrNull } from '../tar/task-fs.js';

const SYSTEM_MOUNT_PREFIXES = ['/proc', '/sys'];

export const K8S_EMPTY_DIR = 'kubernetes.io~empty-dir';
export const K8S_CONFIG_MAP = 'kubernetes.io~configmap';
export const K8S_SECRET = 'kubernetes.io~secret';

/** isSystemMount(m). */
export function isSystemMount(m: string): boolean {
  const c = clean(m);
  return SYSTEM_MOUNT_PREFIXES.some((pfx) => c === pfx || c.startsWith(`${pfx}/`));
}

/**
 * isHostDevice(m): [is it one, the stat error]. Kata skips the mount either way: a path under
 * /dev that cannot be stat-ed counts as a device only in that the error makes the caller skip it.
 */
export function isHostDevice(p: Process, m: string): [boolean, SysError | null] {
  const c = clean(m);
  if (c === '/dev') return [true, null];
  if (!c.startsWith('/dev/')) return [false, null];
  try {
    const st = p.stat(c);
    return [!isReg(st.mode), null];
  } catch (e) {
    if (e instanceof SysError) return [false, e];
    throw e;
  }
}

/** checkKubernetesVolume(path, volumeType): the second-to-last component names the plugin. */
export function checkKubernetesVolume(path: string, volumeType: string): boolean {
  const parts = path.split('/');
  return parts.length > 1 && parts[parts.length - 2] === volumeType;
}

/** countFiles(path, limit): files below `path` (a file counts 1), -1 past `limit`. */
export function countFiles(p: Process, path: string, limit: number): number {
  const st = statOrNull(p, path);
  if (!st) return 0;
  if (!isDir(st.mode)) return 1;
  let n = 0;
  for (const name of readDirNames(p, path)) {
    const child = `${path}/${name}`;
    const cst = p.lstat(child);
    if (isDir(cst.mode)) {
      const inc = countFiles(p, child, limit - n);
      if (inc === -1) return -1;
      n += inc;
    } else n++;
    if (n > limit) return -1;
  }
  return n;
}

/** isWatchableMount(path): a secret or configMap with at most 8 files (and at least one). */
export function isWatchableMount(p: Process, path: string): boolean {
  if (!checkKubernetesVolume(path, K8S_SECRET) && !checkKubernetesVolume(path, K8S_CONFIG_MAP)) return false;
  return countFiles(p, path, 8) > 0;
}

export type MountDecision =
  | { kind: 'skip'; reason: 'system mount' | 'not a bind mount' | '/dev/shm is made in the guest' | 'host device' | 'host device path cannot be stat-ed' }
  | { kind: 'ephemeral' }
  | { kind: 'share'; watchable: boolean };

/** The OCI mount fields Kata's checks look at. */
export interface OciMountLike {
  source: string;
  destination: string;
  type: string;
  /** The source's filesystem type on the host (utils.GetDevicePathAndFsTypeOptions). */
  sourceFsType?: string;
}

/**
 * What Kata does with one mount: SetEphemeralStorageType first (a tmpfs emptyDir becomes
 * "ephemeral"), then mountSharedDirMounts's checks in its order.
 */
export function classifyMount(p: Process, m: OciMountLike, fsSharingSupported = true): MountDecision {
  if (checkKubernetesVolume(m.source, K8S_EMPTY_DIR) && m.sourceFsType === 'tmpfs') return { kind: 'ephemeral' };
  if (isSystemMount(m.source)) return { kind: 'skip', reason: 'system mount' };
  if (m.type !== 'bind') return { kind: 'skip', reason: 'not a bind mount' };
  if (m.destination === '/dev/shm') return { kind: 'skip', reason: '/dev/shm is made in the guest' };
  const [device, err] = isHostDevice(p, m.source);
  if (device) return { kind: 'skip', reason: 'host device' };
  if (err) return { kind: 'skip', reason: 'host device path cannot be stat-ed' };
  return { kind: 'share', watchable: fsSharingSupported && isWatchableMount(p, m.source) };
}
