/**
 * The one place the Sentry's gofer mounts (`9p`, pkg/sentry/fsimpl/gofer) are made: a 9P client
 * (src/fs/gofer) connected to a gofer (a P9Server over a TreeExport) that serves one path of the
 * gofer's mount namespace on the host, read-only when the connection is (lisafs answers EROFS
 * to every change: runsc/cmd/gofer.go:serve's fsgofer.ConnectionOpts(readonly)).
 *
 * runsc hands the Sentry a socket per connection (trans=fd); here each connection is an
 * in-process channel the kernel knows by a tag (trans=virtio), which is the same 9P session
 * without the descriptor. The Sentry's own options (rfdno, cache=, directfs, …) are not this
 * client's: mountinfo.ts prints gVisor's from the data runsc passed. The client caches names
 * (`cache=loose`) for exclusive and shared access alike: gVisor's shared access
 * (cache=remote_revalidating) would ask the server again at every walk (v9fs's cache=none), but
 * this client then drops a name the server does not have — the synthetic mount points the Sentry
 * makes under a read-only gofer (sentry-vfs.ts), which gVisor's client never revalidates.
 *
 * A served file (a file bind) is served as its directory and mounted rooted at the file, since an
 * export's root is a directory; nothing of the directory but the file is reachable through the
 * mount.
 *
 * The server itself is the caller's (`GoferServer`): src/boot may not import src/p9 (DESIGN.md's
 * layers), so whoever composes the profile passes src/p9's P9Server over a TreeExport — as
 * src/cli/dry-run.ts does — and the profile only connects to it.
 */
import { goferType } from '../../fs/gofer/super.js';
import type { Credentials } from '../../vfs/creds.js';
import { errno } from '../../vfs/errno.js';
import { isDir, type P9Channel } from '../../vfs/inode.js';
import type { Kernel } from '../../vfs/kernel.js';
import type { Mount } from '../../vfs/mount.js';
import type { Process } from '../../vfs/process.js';
import { base, dir } from '../paths.js';
import type { ServedMount } from './gofer-host.js';

/**
 * The gofer: a 9P server of `path` as `task` (the gofer's task, in its mount namespace) sees it,
 * refusing every change when `readOnly`, as an in-process channel. src/p9 has it:
 * `(task, path, readOnly) => serverChannel(new P9Server({ '': new TreeExport(task, path, { readOnly }) }))`.
 */
export type GoferServer = (task: Process, path: string, readOnly: boolean) => P9Channel;

/**
 * A disconnected `9p` mount of what `served` serves (its root the served directory or file), with
 * no per-mount flags: the Sentry sets its own.
 *
 * @example
 * ```ts
 * const m = mountGofer(kernel, Credentials.root(), host.task, { goferIndex: 0, path: '/bundle/rootfs', readonly: true }, treeGofer);
 * ```
 */
export function mountGofer(kernel: Kernel, creds: Credentials, gofer: Process, served: ServedMount, server: GoferServer): Mount {
  if (!kernel.filesystems.has('9p')) kernel.register(goferType());
  const file = !isDir(gofer.resolve(served.path, false).dentry.inode.mode);
  const exported = file ? dir(served.path) : served.path;
  const tag = `runsc-gofer-${kernel.p9.channels.size}`;
  kernel.registerP9Channel(tag, server(gofer, exported, served.readonly));
  const sb = kernel.filesystems.get('9p')!.mount(kernel.fsContext(creds), tag, 0, 'trans=virtio,cache=loose');
  const root = kernel.sbRoot(sb);
  if (!file) return kernel.mountOf(sb, root, tag, 0);
  const d = root.lookup(base(served.path));
  if (!d) throw errno('ENOENT');
  return kernel.mountOf(sb, d, tag, 0);
}
