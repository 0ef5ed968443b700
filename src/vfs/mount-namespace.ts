/**
 * MountNamespace: one tree of mounts (struct mnt_namespace), the attach/detach primitives on it,
 * and copying a tree (copy_tree) for bind --rec and unshare(CLONE_NEWNS).
 *
 * Invariants: every mount reachable from `root` through `children` has `ns === this` and is in
 * `mounts`; `mounts` holds them in creation order (the order /proc/self/mountinfo lists them in
 * since Linux 6.8, which keeps a namespace's mounts sorted by their unique id).
 */
import type { Dentry } from './dentry.js';
import type { Kernel } from './kernel.js';
import { Mount } from './mount.js';

export class MountNamespace {
  readonly mounts = new Set<Mount>();
  root!: Mount;

  constructor(
    readonly kernel: Kernel,
    /** Creation index: 0 for the first namespace, as the plan's `setns` counts them. */
    readonly index: number,
  ) {}

  /** Adds a parentless mount as this namespace's root. */
  setRoot(m: Mount): void {
    this.root = m;
    m.ns = this;
    this.mounts.add(m);
  }

  /** attach_mnt(): hangs `m` (and its subtree) on `parent` at `mp`. */
  attach(m: Mount, parent: Mount, mp: Dentry): void {
    m.parent = parent;
    m.mountpoint = mp;
    parent.children.push(m);
    parent.childAt.set(mp, m);
    mp.mountCount++;
    for (const x of subtree(m)) {
      x.ns = this;
      this.mounts.add(x);
    }
  }

  /** Takes `m` off its parent; its subtree stays attached to it (umount_mnt / move). */
  unhang(m: Mount): void {
    const parent = m.parent;
    const mp = m.mountpoint;
    if (!parent || !mp) return;
    const i = parent.children.indexOf(m);
    if (i >= 0) parent.children.splice(i, 1);
    if (parent.childAt.get(mp) === m) parent.childAt.delete(mp);
    mp.mountCount--;
    m.parent = null;
    m.mountpoint = null;
  }

  /** Removes `m` and its subtree from the namespace (after `unhang`). */
  forget(m: Mount): void {
    for (const x of subtree(m)) {
      this.mounts.delete(x);
      x.ns = null;
    }
  }

  /** The mounts in mountinfo order. */
  ordered(): Mount[] {
    return [...this.mounts].sort((a, b) => a.seq - b.seq);
  }
}

/** `m` and every mount below it, in the preorder copy_tree() and umount_tree() walk. */
export function subtree(m: Mount): Mount[] {
  const out: Mount[] = [];
  const stack = [m];
  while (stack.length) {
    const x = stack.pop()!;
    out.push(x);
    for (let i = x.children.length - 1; i >= 0; i--) stack.push(x.children[i]!);
  }
  return out;
}
