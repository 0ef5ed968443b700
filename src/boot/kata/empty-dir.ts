/**
 * The kubelet's emptyDir volume on the node, replayed from kubernetes pkg/volume/emptydir/
 * empty_dir.go: `setupDir` (MkdirAll 0777, then chmod 0777 when the kubelet's umask took bits
 * away) for the default medium; `setupTmpfs` for medium Memory (setupDir, then a tmpfs mounted on
 * it, `size=<sizeLimit>` when a size limit is given). The tmpfs's root keeps tmpfs's own mode
 * (1777): setupTmpfs does not chmod after mounting. The volume lives at
 * /var/lib/kubelet/pods/<pod uid>/volumes/kubernetes.io~empty-dir/<name>, the path Kata's
 * checkKubernetesVolume recognises.
 *
 * Not modelled: the node-allocatable and pod memory-limit cap on a memory volume's size
 * (calculateEmptyDirMemorySize), quotas for the disk medium, hugepages media, SELinux contexts.
 */
import type { Process } from '../../vfs/process.js';
import { mkdirAll } from '../tar/task-fs.js';
import { K8S_EMPTY_DIR } from './mount-checks.js';

const PERM = 0o777;

/** Where the kubelet keeps a pod's volume of a plugin. */
export function podVolumeDir(podUid: string, plugin: string, name: string, kubeletRoot = '/var/lib/kubelet'): string {
  return `${kubeletRoot}/pods/${podUid}/volumes/${plugin}/${name}`;
}

/** setupDir(dir). */
export function setupDir(p: Process, dir: string): void {
  mkdirAll(p, dir, PERM);
  if ((p.lstat(dir).mode & 0o777) !== PERM) p.chmod(dir, PERM);
}

export interface EmptyDirSpec {
  name: string;
  medium?: '' | 'Memory';
  /** sizeLimit in bytes. */
  sizeLimit?: number;
}

/**
 * emptyDir SetUpAt: the volume's directory, and for medium Memory its tmpfs. Returns the path.
 *
 * @example
 * ```ts
 * setupEmptyDir(kubelet, 'pod-1', { name: 'cache', medium: 'Memory', sizeLimit: 64 << 20 });
 * ```
 */
export function setupEmptyDir(p: Process, podUid: string, spec: EmptyDirSpec): string {
  const dir = podVolumeDir(podUid, K8S_EMPTY_DIR, spec.name);
  setupDir(p, dir);
  if (spec.medium === 'Memory') {
    const opts = spec.sizeLimit && spec.sizeLimit > 0 ? `size=${spec.sizeLimit}` : '';
    p.mount('tmpfs', dir, 'tmpfs', 0, opts);
  }
  return dir;
}
