/**
 * /proc/self/mountinfo as the Sentry renders it (pkg/sentry/vfs/mount.go:
 * GenerateProcMountInfo), which is not Linux's show_mountinfo():
 *
 * - the mounts are the reader's root mount and every mount below it (submountsLocked), sorted by
 *   gVisor's mount id, those whose root the reader cannot reach left out;
 * - (1) the id, (2) the parent's id or the mount's own, (3) `0:MINOR`, the device of the mount's
 *   root as stat reports it (the filesystem's anonymous minor; an overlay directory's is the
 *   overlay's own), (4) the root's path in its filesystem, (5) the mount point from the reader's
 *   root;
 * - (6) `rw` or `ro`, then `noatime`, `noexec`, `nosuid` when set — nothing else: no `relatime`,
 *   no `nodev`, no `nodiratime`;
 * - (7) `shared:N`, `master:N`, `propagate_from:N`, each followed by a space;
 * - (9) gVisor's filesystem name (`9p`, `overlay`, `dev`, `sysfs`, …), (10) always `none`,
 *   (11) `rw`/`ro` *of the mount*, not of a superblock, then the filesystem's MountOptions()
 *   (superBlockOpts; the fake-cgroupfs suffix never applies, "cgroup" being a real type).
 *
 * Paths are mangled as seq_file's mangle_path: space, tab, newline and backslash in octal.
 */
import type { Mount, Path } from '../../vfs/mount.js';
import { subtree } from '../../vfs/mount.js';
import { MNT_NOATIME, MNT_NOEXEC, MNT_NOSUID } from '../../vfs/mount.js';
import { pathFrom } from '../../vfs/resolve.js';
import type { SentryVfs } from './sentry-vfs.js';

/** manglePath. */
function mangle(p: string): string {
  return p.replace(/[ \t\n\\]/g, (c) => '\\' + c.charCodeAt(0).toString(8).padStart(3, '0'));
}

/** The optional fields: peer group, master and propagate_from, as gVisor's generateOptionalTags. */
function optionalTags(m: Mount): string {
  let s = '';
  if (m.shared) s += `shared:${m.groupId} `;
  if (m.master) s += `master:${m.master.groupId} `;
  return s;
}

/**
 * The lines of /proc/self/mountinfo for a task whose root is `root`, without their newlines.
 *
 * @example
 * ```ts
 * renderSentryMountinfo(vfs, process.root);
 * // ['18 17 0:20 / / rw - overlay none rw', '19 18 0:21 / /proc rw - proc none rw,dentry_cache_limit=1000', …]
 * ```
 */
export function renderSentryMountinfo(vfs: SentryVfs, root: Path): string[] {
  const rows: { id: number; line: string }[] = [];
  for (const m of subtree(root.mnt)) {
    const g = vfs.gvisorOf(m);
    if (!g) continue;
    const mp = pathFrom(root, { mnt: m, dentry: m.root });
    if (mp === null) continue;
    const parent = m.parent ? (vfs.gvisorOf(m.parent)?.id ?? g.id) : g.id;
    let opts = m.readonly ? 'ro' : 'rw';
    if (m.flags & MNT_NOATIME) opts += ',noatime';
    if (m.flags & MNT_NOEXEC) opts += ',noexec';
    if (m.flags & MNT_NOSUID) opts += ',nosuid';
    const fsOpts = g.fs.options();
    const superOpts = (m.readonly ? 'ro' : 'rw') + (fsOpts ? `,${fsOpts}` : '');
    rows.push({ id: g.id, line: `${g.id} ${parent} 0:${g.fs.minor} ${mangle(g.root)} ${mangle(mp)} ${opts} ${optionalTags(m)}- ${g.fs.name} none ${superOpts}` });
  }
  return rows.sort((a, b) => a.id - b.id).map((r) => r.line);
}
