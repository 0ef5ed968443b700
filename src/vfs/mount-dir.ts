/**
 * The mounting task as a filesystem type sees it: the FsContext of a mount(2) or fsmount(2) that
 * a task makes, which lets the type resolve the paths its options name (overlayfs's lowerdir,
 * upperdir and workdir: kern_path() in the mounter's context, with its root, cwd and
 * permissions) and learn the little it may know of the mounts they lie on, without holding a
 * `Mount` (DESIGN.md decision 3). fsconfig(2)'s parameters come as an argument, never as task
 * state: they belong to the one mount being made.
 */
import { SB_RDONLY, type FsContext, type MountDir, type SuperBlock } from './inode.js';
import type { Path } from './mount.js';
import type { Process } from './process.js';

/** What a filesystem may know of a resolved path: its dentry, and its mount's write state. */
export function mountDirOf(p: Path): MountDir {
  return {
    dentry: p.dentry,
    readonly: p.mnt.readonly || (p.mnt.sb.flags & SB_RDONLY) !== 0,
    unbindable: p.mnt.unbindable,
    mount: p.mnt,
  };
}

/**
 * The context of a new superblock made by task `p`: the kernel's, plus path resolution as `p`
 * and superblock liveness (an overlay's claim on its upper and work directories lasts as long
 * as the overlay has a mount), and the fsconfig(2) parameters of a mount made through the new
 * mount API (`Process.fsmount`), absent for mount(2).
 *
 * @example
 * ```ts
 * const sb = type.mount(taskFsContext(p), 'none', 0, 'lowerdir=/a:/b');
 * const sb2 = type.mount(taskFsContext(p, [{ key: 'lowerdir', value: '/a:/b' }]), 'none', 0, '');
 * ```
 */
export function taskFsContext(p: Process, params?: FsContext['params']): FsContext {
  return {
    ...p.kernel.fsContext(p.creds, p.netns, p),
    resolveDir: (path: string) => mountDirOf(p.resolve(path, true)),
    isMounted: (sb: SuperBlock) => p.kernel.mountsOf(sb).size > 0,
    ...(params ? { params } : {}),
  };
}
