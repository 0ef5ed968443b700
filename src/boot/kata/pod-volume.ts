/**
 * What a Kubernetes volume becomes in a Kata container, end to end on one emulated machine: the
 * kubelet's setup on the node (empty-dir.ts, atomic-writer.ts, host-path.ts, then fs-group.ts's
 * SetVolumeOwnership for the volumes whose ownership the kubelet manages — not hostPath), the OCI
 * mount the CRI makes of the volumeMount (containerd's CRI WithMounts: "rbind", the propagation —
 * None rprivate, HostToContainer rslave, Bidirectional rshared — and "ro" or "rw"; read-only when
 * the volumeMount or the plugin says so), and Kata's handling of it (mount-checks.ts), made with
 * bind-mount.ts:
 *
 * - ephemeral (a Memory emptyDir): the agent's tmpfs at /run/kata-containers/sandbox/ephemeral/
 *   <name> (kata_agent.go handleEphemeralStorage: options only "fsgid=<gid>" when the node
 *   directory's gid is not 0 — the sizeLimit of the node's tmpfs is not carried over), chown-ed to
 *   that gid with S_ISGID (ephemeral_handler.rs), then bound into the container;
 * - share: the source bound (bindMount, "private") at the sandbox's shared directory as
 *   "<cid>-<n>-<base of destination>" (fs_share_linux.go ShareFile names it with 8 random bytes in
 *   hex; here a counter), which the guest sees through virtio-fs, then bound into the container;
 * - skip: nothing is mounted (system mounts, host devices, /dev/shm).
 *
 * The VM boundary is not modelled: the guest's view of the shared directory is the node's
 * directory itself, and the container's bind is made on the same kernel with bindMount and the
 * OCI mount's propagation and read-only flag.
 */
import type { Process } from '../../vfs/process.js';
import { S_ISGID } from '../../vfs/inode.js';
import { base, clean } from '../paths.js';
import { mkdirAll } from '../tar/task-fs.js';
import { atomicWrite, type FileProjection } from './atomic-writer.js';
import { bindMount } from './bind-mount.js';
import { podVolumeDir, setupDir, setupEmptyDir, type EmptyDirSpec } from './empty-dir.js';
import { setVolumeOwnership, type FSGroupChangePolicy } from './fs-group.js';
import { checkHostPath, type HostPathType } from './host-path.js';
import { classifyMount, K8S_CONFIG_MAP, K8S_SECRET, type MountDecision } from './mount-checks.js';

export const EPHEMERAL_PATH = '/run/kata-containers/sandbox/ephemeral';
export const SHARED_PATH = '/run/kata-containers/shared/sandboxes';

export type PodVolume =
  | { name: string; emptyDir: Omit<EmptyDirSpec, 'name'> }
  | { name: string; configMap: { items: Record<string, { data: Uint8Array; mode?: number }>; defaultMode?: number } }
  | { name: string; secret: { items: Record<string, { data: Uint8Array; mode?: number }>; defaultMode?: number } }
  | { name: string; hostPath: { path: string; type?: HostPathType } };

export interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
  mountPropagation?: 'None' | 'HostToContainer' | 'Bidirectional';
}

export interface OciMount {
  source: string;
  destination: string;
  type: 'bind';
  options: string[];
}

export interface NodeVolume {
  /** The volume's directory (or hostPath) on the node. */
  path: string;
  /** The plugin mounts it read-only whatever the volumeMount says (configMap, secret). */
  readOnly: boolean;
  /** Whether its filesystem is a tmpfs (a Memory emptyDir, a secret). */
  tmpfs: boolean;
}

/** The kubelet's SetUp of one volume on the node, fsGroup applied where the kubelet manages ownership. */
export function kubeletSetUp(node: Process, podUid: string, v: PodVolume, fsGroup: number | null = null, policy: FSGroupChangePolicy | null = null): NodeVolume {
  if ('emptyDir' in v) {
    const path = setupEmptyDir(node, podUid, { name: v.name, ...v.emptyDir });
    setVolumeOwnership(node, path, fsGroup, policy, false);
    return { path, readOnly: false, tmpfs: v.emptyDir.medium === 'Memory' };
  }
  if ('hostPath' in v) {
    checkHostPath(node, v.hostPath.path, v.hostPath.type ?? '');
    return { path: v.hostPath.path, readOnly: false, tmpfs: false };
  }
  const secret = 'secret' in v;
  const src = secret ? v.secret : v.configMap;
  const path = podVolumeDir(podUid, secret ? K8S_SECRET : K8S_CONFIG_MAP, v.name);
  setupDir(node, path);
  if (secret) node.mount('tmpfs', path, 'tmpfs', 0, '');
  const payload: Record<string, FileProjection> = {};
  for (const [k, item] of Object.entries(src.items)) payload[k] = { data: item.data, mode: item.mode ?? src.defaultMode ?? 0o644 };
  atomicWrite(node, path, payload);
  setVolumeOwnership(node, path, fsGroup, policy, true);
  return { path, readOnly: true, tmpfs: secret };
}

/** The CRI's OCI mount for a volumeMount of a volume set up at `vol`. */
export function ociMount(vm: VolumeMount, vol: NodeVolume): OciMount {
  const propagation = vm.mountPropagation === 'Bidirectional' ? 'rshared' : vm.mountPropagation === 'HostToContainer' ? 'rslave' : 'rprivate';
  return { source: vol.path, destination: vm.mountPath, type: 'bind', options: ['rbind', propagation, vm.readOnly || vol.readOnly ? 'ro' : 'rw'] };
}

export interface KataMountResult {
  decision: MountDecision;
  /** Where the container's bind came from (the guest path), or null when skipped. */
  guestSource: string | null;
}

let shareCounter = 0;

/**
 * Kata's handling of one OCI mount for container `cid` whose rootfs is at `rootfs`.
 *
 * @example
 * ```ts
 * kataMount(node, 'c1', 'sb1', '/run/kata-containers/c1/rootfs', ociMount(vm, vol), vol);
 * ```
 */
export function kataMount(p: Process, cid: string, sandboxId: string, rootfs: string, m: OciMount, vol: NodeVolume): KataMountResult {
  const decision = classifyMount(p, { ...m, sourceFsType: vol.tmpfs ? 'tmpfs' : undefined });
  const readonly = m.options.includes('ro');
  const pg = m.options.find((o) => o === 'rshared' || o === 'rslave' || o === 'rprivate')!.slice(1);
  const dest = `${clean(rootfs)}${clean(`/${m.destination}`)}`;
  if (decision.kind === 'skip') return { decision, guestSource: null };
  let guestSource: string;
  if (decision.kind === 'ephemeral') {
    guestSource = `${EPHEMERAL_PATH}/${base(m.source)}`;
    const gid = p.stat(m.source).gid;
    mkdirAll(p, guestSource, 0o755);
    p.mount('tmpfs', guestSource, 'tmpfs', 0, '');
    if (gid !== 0) {
      p.chown(guestSource, -1, gid);
      p.chmod(guestSource, (p.stat(guestSource).mode & 0o7777) | S_ISGID);
    }
  } else {
    guestSource = `${SHARED_PATH}/${sandboxId}/shared/${cid}-${shareCounter++}-${base(m.destination)}`;
    bindMount(p, m.source, guestSource, readonly, 'private');
  }
  bindMount(p, guestSource, dest, readonly, pg);
  return { decision, guestSource };
}
