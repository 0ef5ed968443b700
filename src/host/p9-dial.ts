/**
 * The host's 9P dialer: what a mount's `trans=` options (v9fs's) become on the real host — a
 * SocketTransport to a TCP address or unix socket, or over descriptors the process inherited. The
 * emulated kernel takes it as its injectable dialer (the gofer filesystem's `p9Dial`), so that a
 * `mount -t 9p` in a sandbox reaches a real server.
 *
 * Each refusal is the errno Linux's 9P client gives for the same options (net/9p/trans_fd.c,
 * trans_virtio.c), or the nearest the VFS's errno table has:
 * - tcp: `source` must be an IP address — the kernel does no name lookup (EINVAL); port 1-65535
 *   (EINVAL), 564 when absent; `privport` binds a local port from 1023 down to 665, as
 *   p9_bind_privport() (root only: EACCES otherwise).
 * - unix: `source` is the socket's path, at most UNIX_PATH_MAX bytes (ENAMETOOLONG).
 * - fd: both rfdno and wfdno (ENOPROTOOPT, "Insufficient options for proto=fd"); a number that is
 *   no usable descriptor is EIO, as p9_fd_open() failing to fget() it. They are descriptors of
 *   this process (a pipe or socket pair a parent passed), not of an emulated process; the
 *   transport owns them from then on and closes them with itself.
 * - virtio: this host has no virtio 9P channel to offer a sandbox: ENOENT, Linux's answer for a
 *   tag no channel carries.
 *
 * @example
 * ```ts
 * const t = dialP9({ trans: 'tcp', source: '127.0.0.1', port: 5640 });
 * // new Kernel({ p9Dial: p9Dialer({ timeoutMs: 5000 }) }) — the option's name is the gofer client's
 * ```
 */
import { isIP } from 'node:net';
import { errno } from '../vfs/errno.js';
import type { P9DialRequest, P9Dialer } from '../vfs/inode.js';
import { formatP9Address, UNIX_PATH_MAX, type P9Address } from './p9-address.js';
import { SocketTransport, type SocketTransportOptions } from './p9-socket-client.js';

/** P9_PORT: the 9P port, Linux's default for trans=tcp. */
export const P9_PORT = 564;

function descriptor(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) throw errno('EIO');
  return n;
}

/** A connected transport for `request`; throws SysError (the refusals above, or the connection's). */
export function dialP9(request: P9DialRequest, opts: SocketTransportOptions = {}): SocketTransport {
  switch (request.trans) {
    case 'tcp': {
      const port = request.port ?? P9_PORT;
      if (isIP(request.source) === 0 || !Number.isInteger(port) || port < 1 || port > 65535) throw errno('EINVAL');
      return new SocketTransport({ kind: 'tcp', host: request.source, port, privport: request.privport ?? false }, opts);
    }
    case 'unix':
      if (request.source === '' || request.source.includes('\0')) throw errno('EINVAL');
      if (Buffer.byteLength(request.source) > UNIX_PATH_MAX) throw errno('ENAMETOOLONG');
      return new SocketTransport({ kind: 'unix', path: request.source }, opts);
    case 'fd':
      if (request.rfdno === undefined || request.wfdno === undefined) throw errno('ENOPROTOOPT');
      return new SocketTransport({ kind: 'fd', rfd: descriptor(request.rfdno), wfd: descriptor(request.wfdno) }, opts);
    case 'virtio':
      throw errno('ENOENT');
    default:
      throw errno('EINVAL');
  }
}

/**
 * A dialer with fixed transport options, in the shape the gofer client's kernel option takes.
 *
 * @example
 * ```ts
 * const dial = p9Dialer({ timeoutMs: 5000 });
 * const t = dial({ trans: 'unix', source: '/run/vfsemu-9p.sock' });
 * ```
 */
export function p9Dialer(opts: SocketTransportOptions = {}): P9Dialer {
  return (request) => dialP9(request, opts);
}

/**
 * A dialer that reaches only `allowed` servers (tcp HOST:PORT or a unix socket path, as
 * parseP9Address reads them): a plan is untrusted input, and its `mount -t 9p` must not connect
 * wherever its options say. Anything else is ECONNREFUSED, what a mount meets with no server there.
 *
 * @example
 * ```ts
 * const dial = allowListDialer([parseP9Address('127.0.0.1:5640')]);
 * dial({ trans: 'tcp', source: '10.0.0.1', port: 564 }); // throws ECONNREFUSED
 * ```
 */
export function allowListDialer(allowed: readonly P9Address[], opts: SocketTransportOptions = {}): P9Dialer {
  const keys = new Set(allowed.map(formatP9Address));
  return (request) => {
    const port = request.port ?? P9_PORT;
    const key = request.trans === 'tcp' ? formatP9Address({ kind: 'tcp', host: request.source, port }) : request.trans === 'unix' ? formatP9Address({ kind: 'unix', path: request.source }) : null;
    if (key === null || !keys.has(key)) throw errno('ECONNREFUSED');
    return dialP9(request, opts);
  };
}
