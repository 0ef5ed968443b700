/**
 * Mount hints: the `dev.gvisor.spec.mount.NAME.FIELD` annotations a pod's spec carries to tell
 * runsc which volumes its containers share (runsc/boot/mount_hints.go), and the
 * `dev.gvisor.spec.rootfs.FIELD` hint for the root (RootfsHint).
 *
 * A hint names its volume by the mount source (`source`), says what the volume is (`type`: bind
 * or tmpfs) and who sees it (`share`: container, pod, shared), and may carry `options` for the
 * master mount. runsc keeps the pod's hints from the first container's spec (loader.go: New);
 * every container's mount whose source a hint names follows it:
 * - share=container or pod, type tmpfs (ShouldShareMount): one tmpfs — the master — is mounted
 *   for the whole sandbox, and each container gets a mount of that same filesystem
 *   (vfs.go:getSharedMount, mountSharedMaster, mountSharedSubmount), its options checked against
 *   the master's (checkCompatible);
 * - share=container or pod (IsSandboxLocal): the volume gets a `self` overlay medium even when
 *   read-only (container.go:initGoferConfs);
 * - the file-access mode of the gofer mount (fileAccessType): shared for share=shared, exclusive
 *   for a shared tmpfs and share=container, shared otherwise.
 *
 * Invariant: every hint in a PodMountHints has a share, a source and a type (the others are
 * dropped with runsc's warning), and no two hints name the same source.
 */
import type { FileAccess, OverlayMedium } from './config.js';
import { parseOverlay2 } from './config.js';
import { parseGvisorMountOptions } from './mount-options.js';

export type ShareType = 'container' | 'pod' | 'shared';

export interface MountHint {
  name: string;
  share?: ShareType;
  mount: { source: string; type: string; options: string[] };
  suppressDirectFS: boolean;
}

export const MOUNT_PREFIX = 'dev.gvisor.spec.mount.';
export const ROOTFS_PREFIX = 'dev.gvisor.spec.rootfs.';

/** mount_hints.go: an invalid annotation that makes runsc refuse the spec. */
export class HintError extends Error {
  override name = 'HintError';
}

/** specutils/fs.go:FilterMountOptions: `shared` and `rshared` are dropped with a warning. */
function filterMountOptions(opts: string[], warn: (w: string) => void): string[] {
  return opts.filter((o) => {
    if (o !== 'shared' && o !== 'rshared') return true;
    warn(`mount option skipped ${JSON.stringify(o)}: mount option ${JSON.stringify(o)} is not supported`);
    return false;
  });
}

/** MountHint.setField; an error is logged and the field ignored (NewPodMountHints). */
function setField(h: MountHint, key: string, val: string, warn: (w: string) => void): string | null {
  switch (key) {
    case 'source':
      if (val === '') return 'source cannot be empty';
      h.mount.source = val;
      return null;
    case 'type':
      if (val !== 'tmpfs' && val !== 'bind') return `invalid type ${JSON.stringify(val)}`;
      h.mount.type = val;
      return null;
    case 'share':
      if (val !== 'container' && val !== 'pod' && val !== 'shared') return `invalid share value ${JSON.stringify(val)}`;
      h.share = val;
      return null;
    case 'options':
      h.mount.options = filterMountOptions(val.split(','), warn);
      return null;
    case 'directfs':
      if (val !== 'default' && val !== 'off') return `invalid directfs value ${JSON.stringify(val)}, want "default" or "off"`;
      h.suppressDirectFS = val === 'off';
      return null;
    default:
      return `invalid mount annotation: ${key}=${val}`;
  }
}

/**
 * mount_hints.go:NewPodMountHints, in annotation order (Go walks a map; the hints that survive
 * do not depend on the order, only which of two duplicates an error names first).
 *
 * @example
 * ```ts
 * newPodMountHints({ 'dev.gvisor.spec.mount.cache.source': '/v', 'dev.gvisor.spec.mount.cache.type': 'tmpfs', 'dev.gvisor.spec.mount.cache.share': 'pod' }, []);
 * // [{ name: 'cache', share: 'pod', mount: { source: '/v', type: 'tmpfs', options: [] }, suppressDirectFS: false }]
 * ```
 */
export function newPodMountHints(annotations: Record<string, string> | undefined, warnings: string[]): MountHint[] {
  const warn = (w: string): void => void warnings.push(w);
  const byName = new Map<string, MountHint>();
  for (const [k, v] of Object.entries(annotations ?? {})) {
    if (!k.startsWith(MOUNT_PREFIX)) continue;
    const parts = k.slice(MOUNT_PREFIX.length).split('.');
    if (parts.length !== 2) throw new HintError(`invalid mount annotation: ${k}=${v}`);
    const name = parts[0]!;
    if (name === '') throw new HintError(`invalid mount name: ${name}`);
    let h = byName.get(name);
    if (!h) byName.set(name, (h = { name, mount: { source: '', type: '', options: [] }, suppressDirectFS: false }));
    const err = setField(h, parts[1]!, v, warn);
    if (err) warn(`ignoring invalid mount annotation (name = ${JSON.stringify(name)}, key = ${JSON.stringify(parts[1])}, value = ${JSON.stringify(v)}): ${err}`);
  }
  const hints: MountHint[] = [];
  for (const h of byName.values()) {
    if (!h.share || h.mount.source === '' || h.mount.type === '') {
      warn(`ignoring mount annotations for ${JSON.stringify(h.name)} because of missing required field(s)`);
      continue;
    }
    const dup = hints.find((o) => o.mount.source === h.mount.source);
    if (dup) throw new HintError(`mounts ${JSON.stringify(dup.name)} and ${JSON.stringify(h.name)} have the same mount source ${JSON.stringify(h.mount.source)}`);
    hints.push(h);
  }
  return hints;
}

/** PodMountHints.FindMount: the hint whose source is the mount's source. */
export function findHint(hints: readonly MountHint[], source: string | undefined): MountHint | undefined {
  return hints.find((h) => h.mount.source === source);
}

/** ShouldShareMount: only tmpfs volumes are shared, for share=container and share=pod. */
export function shouldShareMount(h: MountHint): boolean {
  return h.mount.type === 'tmpfs' && (h.share === 'container' || h.share === 'pod');
}

/** IsSandboxLocal: nothing outside the sandbox looks at the volume. */
export function isSandboxLocal(h: MountHint): boolean {
  return h.share === 'container' || h.share === 'pod';
}

/** MountHint.fileAccessType. */
export function hintFileAccess(h: MountHint): FileAccess {
  if (h.share === 'shared') return 'shared';
  if (shouldShareMount(h) || h.share === 'container') return 'exclusive';
  return 'shared';
}

/**
 * MountHint.checkCompatible: a container's mount of a shared volume may be as restrictive as the
 * master or more, never less. Returns runsc's error text, or null.
 */
export function checkCompatible(h: MountHint, replicaOptions: readonly string[], describe: string): string | null {
  const master = parseGvisorMountOptions(h.mount.options, () => {});
  const replica = parseGvisorMountOptions(replicaOptions, () => {});
  if (master.readOnly && !replica.readOnly) return `cannot mount read-write shared mount because master is read-only, mount: ${describe}`;
  if (master.noExec && !replica.noExec) return `cannot mount exec enabled shared mount because master is noexec, mount: ${describe}`;
  if (master.noATime && !replica.noATime) return `cannot mount atime enabled shared mount because master is noatime, mount: ${describe}`;
  if (master.noSUID && !replica.noSUID) return `cannot mount suid enabled shared mount because master is nosuid, mount: ${describe}`;
  return null;
}

/** RootfsHint: the root's overlay medium and size when `dev.gvisor.spec.rootfs.*` says so. */
export interface RootfsHint {
  source: string;
  type: string;
  overlay: OverlayMedium;
  size: string;
  suppressDirectFS: boolean;
}

/** mount_hints.go:NewRootfsHint; an invalid field is an error (unlike the mount hints). */
export function newRootfsHint(annotations: Record<string, string> | undefined): RootfsHint | null {
  let hint: RootfsHint | null = null;
  for (const [k0, v] of Object.entries(annotations ?? {})) {
    if (!k0.startsWith(ROOTFS_PREFIX)) continue;
    const k = k0.slice(ROOTFS_PREFIX.length);
    hint ??= { source: '', type: '', overlay: '', size: '', suppressDirectFS: false };
    const bad = (why: string): HintError => new HintError(`invalid rootfs annotation (key = ${JSON.stringify(k)}, value = ${JSON.stringify(v)}): ${why}`);
    switch (k) {
      case 'source':
        if (!v.startsWith('/')) throw bad(`source should be an absolute path, got ${JSON.stringify(v)}`);
        hint.source = v;
        break;
      case 'type':
        if (v !== 'erofs' && v !== 'bind') throw bad(`invalid type ${JSON.stringify(v)}`);
        hint.type = v;
        break;
      case 'overlay':
        try {
          hint.overlay = parseOverlay2(`root:${v}`).medium;
        } catch (e) {
          throw bad((e as Error).message);
        }
        break;
      case 'options':
        for (const o of v.split(',')) {
          const [key, val] = o.split('=', 2);
          if (val === undefined) throw bad(`rootfs options must be key=value: ${o}`);
          if (key !== 'size') throw bad(`invalid rootfs option: ${key}=${val}`);
          hint.size = val;
        }
        break;
      case 'directfs':
        if (v !== 'default' && v !== 'off') throw bad(`invalid directfs value ${JSON.stringify(v)}, want "default" or "off"`);
        hint.suppressDirectFS = v === 'off';
        break;
      default:
        throw bad(`invalid rootfs annotation: ${k}=${v}`);
    }
  }
  if (hint && (hint.source === '' || hint.type === '')) throw new HintError(`rootfs annotations missing required field(s): ${JSON.stringify(hint)}`);
  return hint;
}

