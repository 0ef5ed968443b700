/**
 * How a 9p mount reaches its server: net/9p's transports as this kernel has them. The core has
 * no sockets, so the kernel offers two things (FsContext.p9): in-process channels by tag, which
 * trans=virtio connects to as to a virtio-9p device's mount_tag, and the embedder's dialer, which
 * trans=tcp, unix and fd go through (src/host plugs in real sockets and descriptors).
 *
 * Each transport's own rules, with the errno at the branch:
 * - virtio (p9_virtio_create()): the source is the tag; no channel with it is ENOENT, a channel
 *   another mount holds is EBUSY (chan->inuse: one client a device). A tag the kernel has no
 *   channel for is offered to the dialer, when there is one.
 * - tcp (p9_fd_create_tcp()): no source is EINVAL, one that is not an IP address literal EINVAL
 *   (inet_pton_with_scope(): the kernel resolves no names); nothing to dial with is
 *   ECONNREFUSED, as connect(2) to a port nobody listens on.
 * - unix (p9_fd_create_unix()): a path of UNIX_PATH_MAX (108) bytes or more is ENAMETOOLONG;
 *   nothing to dial with is ECONNREFUSED.
 * - fd (p9_fd_create()): rfdno and wfdno both needed, ENOPROTOOPT otherwise; nothing to dial
 *   with is EIO, as p9_fd_open() failing to fget() them.
 * The largest msize each carries is its p9_trans_module.maxsize: virtio 512000 bytes
 * (PAGE_SIZE * (VIRTQUEUE_NUM - 3)), the socket and descriptor ones 1 MiB (MAX_SOCK_BUF).
 */
import { errno } from '../../vfs/errno.js';
import type { FsContext, P9Channel, P9DialRequest, P9FrameTransport } from '../../vfs/inode.js';
import { hasFds, type FdOptions, type Trans } from './options.js';

const VIRTIO_MAXSIZE = 4096 * (128 - 3);
const MAX_SOCK_BUF = 1024 * 1024;
const UNIX_PATH_MAX = 108;

/** A mount's connection to its server; the client closes the transport, `release` frees what it held. */
export interface GoferConnection {
  readonly transport: P9FrameTransport;
  /** p9_trans_module.maxsize: the msize the transport can carry. */
  readonly maxsize: number;
  /** The rest of p9_trans_module.close: a virtio channel is free for another mount. */
  release(): void;
}

/** trans_virtio's chan->inuse: the channels a mount holds. */
const inUse = new WeakSet<P9Channel>();

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6 = /^[0-9a-fA-F:.]*:[0-9a-fA-F:.]*(%[^%]+)?$/;

/** inet_pton_with_scope(AF_UNSPEC): an IPv4 or IPv6 literal (with a scope), no host name. */
function isAddressLiteral(s: string): boolean {
  if (IPV4.test(s)) return true;
  if (!IPV6.test(s)) return false;
  const addr = s.split('%')[0]!;
  return (addr.match(/::/g) ?? []).length <= 1 && addr.split(':').length <= 8;
}

function byteLength(s: string): number {
  return new TextEncoder().encode(s).length;
}

function dialed(transport: P9FrameTransport, maxsize: number): GoferConnection {
  return { transport, maxsize, release: () => undefined };
}

/**
 * p9_trans_module.create of `trans` for a mount of `source`.
 *
 * @example
 * ```ts
 * const conn = connect(ctx, 'virtio', 'hostshare', parseFdOptions(''));
 * ```
 */
export function connect(ctx: FsContext, trans: Trans, source: string, fd: FdOptions): GoferConnection {
  const dial = ctx.p9?.dial;
  const ask = (req: P9DialRequest, maxsize: number, none: 'ECONNREFUSED' | 'EIO' | 'ENOENT'): GoferConnection => {
    if (!dial) throw errno(none);
    return dialed(dial(req), maxsize);
  };
  switch (trans) {
    case 'virtio': {
      const channel = ctx.p9?.channels.get(source);
      // "no channels available for device": a tag the kernel lacks may still be the dialer's.
      if (!channel) return ask({ trans, source }, VIRTIO_MAXSIZE, 'ENOENT');
      if (inUse.has(channel)) throw errno('EBUSY');
      const transport = channel.connect();
      inUse.add(channel);
      return { transport, maxsize: VIRTIO_MAXSIZE, release: () => inUse.delete(channel) };
    }
    case 'tcp':
      if (!isAddressLiteral(source)) throw errno('EINVAL');
      return ask({ trans, source, port: fd.port, privport: fd.privport }, MAX_SOCK_BUF, 'ECONNREFUSED');
    case 'unix':
      if (byteLength(source) >= UNIX_PATH_MAX) throw errno('ENAMETOOLONG');
      return ask({ trans, source }, MAX_SOCK_BUF, 'ECONNREFUSED');
    case 'fd':
      // "Insufficient options for proto=fd"
      if (!hasFds(fd)) throw errno('ENOPROTOOPT');
      return ask({ trans, source, rfdno: fd.rfd, wfdno: fd.wfd }, MAX_SOCK_BUF, 'EIO');
  }
}
