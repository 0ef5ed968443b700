/**
 * An in-process 9P server as a kernel channel: what `Kernel.registerP9Channel` takes, so that
 * `mount -t 9p -o trans=virtio <tag>` in one sandbox reaches a server over another sandbox's
 * tree (the emulated counterpart of a virtio-9p device whose host side is a gofer). Each connect
 * is a new session of the server, through a `SessionTransport`.
 *
 * @example
 * ```ts
 * const host = createSandbox().process;
 * host.mkdir('/srv');
 * const guest = createSandbox();
 * guest.kernel.registerP9Channel('hostshare', serverChannel(new P9Server({ '': new TreeExport(host, '/srv') })));
 * guest.process.mkdir('/mnt');
 * guest.process.mount('hostshare', '/mnt', '9p', 0, 'trans=virtio');
 * ```
 */
import type { P9Channel } from '../vfs/inode.js';
import type { P9Server } from './server.js';
import { SessionTransport } from './transport.js';

/** A channel whose every connection is a new session of `server`. */
export function serverChannel(server: P9Server): P9Channel {
  return { connect: () => new SessionTransport(server.connect()) };
}
