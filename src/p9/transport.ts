/**
 * The synchronous transport of 9P: one request frame in, one reply frame out. A client (the
 * gofer filesystem) makes its round trips through a `P9Transport`; `SessionTransport` is the
 * in-process one, calling a `P9Session` straight through. Socket transports (src/host) feed a
 * session the same frames and act on its `close` outcome by closing the socket.
 *
 * Invariant: once a transport has seen its connection close, every later round trip fails with
 * EIO at once — what Linux's p9 client returns for a request on a disconnected client.
 *
 * @example
 * ```ts
 * const t = new SessionTransport(server.connect());
 * const reply = decodeMessage(t.roundTrip(encodeMessage({ msg: 'Tversion', tag: NOTAG, msize: 8192, version: '9P2000.L' })));
 * ```
 */
import { errno } from '../vfs/errno.js';
import type { P9Session } from './session.js';

export interface P9Transport {
  /** Sends one request frame and returns its reply frame; throws SysError EIO when the connection is gone. */
  roundTrip(frame: Uint8Array): Uint8Array;
}

export class SessionTransport implements P9Transport {
  private closedReason: string | undefined;

  constructor(private readonly session: P9Session) {}

  /** Why the connection closed, once it has. */
  get closed(): string | undefined {
    return this.closedReason;
  }

  roundTrip(frame: Uint8Array): Uint8Array {
    if (this.closedReason !== undefined) throw errno('EIO');
    const out = this.session.handle(frame);
    if (out.kind === 'close') {
      this.closedReason = out.reason;
      throw errno('EIO');
    }
    return out.frame;
  }

  /** Ends the connection from the client's side: the session clunks every fid. */
  close(): void {
    this.closedReason ??= 'closed by the client';
    this.session.close();
  }
}
