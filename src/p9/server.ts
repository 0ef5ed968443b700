/**
 * P9Server: the gofer — the exports it serves by aname, and its limits. Each connection is a
 * `P9Session` (session.ts) made by `connect()`; the server holds no per-connection state.
 *
 * Limits: msize is what Tversion negotiates, at most `maxMsize` (default 1 MiB) and at least
 * P9_MIN_MSIZE (4096: Linux's client refuses less, and every fixed-size reply and a walk of 16 qids
 * fit well within it); a connection holds at most `maxFids` fids (default 4096), EMFILE past it.
 *
 * @example
 * ```ts
 * const p = createSandbox().process;
 * p.mkdir('/srv');
 * const server = new P9Server({ '': new TreeExport(p, '/srv') });
 * const session = server.connect();
 * const out = session.handle(encodeMessage({ msg: 'Tversion', tag: NOTAG, msize: 65536, version: '9P2000.L' }));
 * // out: { kind: 'reply', frame: <Rversion msize=65536 "9P2000.L"> }
 * ```
 */
import { P9_DEFAULT_MAX_FIDS, P9_DEFAULT_MAX_MSIZE, P9_MIN_MSIZE } from './constants.js';
import type { P9Export } from './export.js';
import { P9Session } from './session.js';

export interface P9ServerOptions {
  /** The largest msize Tversion may settle on (and the largest frame before it). */
  maxMsize?: number;
  /** The most fids one connection may hold. */
  maxFids?: number;
}

/**
 * What a session makes of one request frame: the reply frame to send, or the connection to
 * close (the frame's own length was wrong or over msize, so the byte stream cannot be trusted to
 * find the next message; a transport closes its socket, an in-process one fails its caller).
 */
export type P9Outcome = { readonly kind: 'reply'; readonly frame: Uint8Array } | { readonly kind: 'close'; readonly reason: string };

export class P9Server {
  readonly maxMsize: number;
  readonly maxFids: number;
  private readonly exports: ReadonlyMap<string, P9Export>;

  /** `exports` maps each aname a Tattach may name to its export; '' is what a mount without aname= asks for. */
  constructor(exports: Readonly<Record<string, P9Export>> | ReadonlyMap<string, P9Export>, opts: P9ServerOptions = {}) {
    this.exports = exports instanceof Map ? new Map(exports) : new Map(Object.entries(exports));
    this.maxMsize = Math.min(Math.max(opts.maxMsize ?? P9_DEFAULT_MAX_MSIZE, P9_MIN_MSIZE), 0xffffffff);
    this.maxFids = opts.maxFids ?? P9_DEFAULT_MAX_FIDS;
  }

  /** The export an aname names, if any. */
  exportFor(aname: string): P9Export | undefined {
    return this.exports.get(aname);
  }

  /** A new connection. */
  connect(): P9Session {
    return new P9Session(this);
  }
}
