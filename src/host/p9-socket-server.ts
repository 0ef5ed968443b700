/**
 * P9SocketServer: a P9Server (src/p9) on TCP and unix sockets — one P9Session a connection, frames
 * cut by their size[4] field (P9FrameSplitter), each answered in order, the reply written back.
 * This is the event-loop side of DESIGN.md decision 2: the server may be asynchronous, the
 * sessions it feeds are not.
 *
 * Invariants:
 * - A frame whose size field is under 7 or over the msize in force closes the connection before
 *   its bytes are buffered; so does a frame the session closes on (P9Outcome 'close').
 * - A connection's end (the peer closing, an error, `close()`) ends its session: every fid is
 *   clunked, so the export's descriptors go with it.
 * - Backpressure: when the socket's write buffer is full, no further frame is answered until it
 *   drains — a client that sends small Treads for large replies and never reads gets no unbounded
 *   queue of replies.
 * - At most `maxConnections` connections (default 64); the kernel accepts more and Node closes them
 *   at once.
 * - `close()` stops listening, ends every connection, and unlinks the unix socket it made — only if
 *   the path still holds that socket. (libuv unlinks a unix server's path when it closes, whatever
 *   is there by then; so the socket is bound under a temporary name and hard-linked to its path,
 *   which also refuses an existing path with EADDRINUSE, and libuv's unlink meets only the
 *   temporary name, already gone.)
 *
 * @example
 * ```ts
 * const server = new P9SocketServer(new P9Server({ '': new HostExport('/srv') }), { onAttach: (e) => console.error(e) });
 * const where = await server.listen({ kind: 'tcp', host: '127.0.0.1', port: 0 });
 * // … later
 * await server.close();
 * ```
 */
import { randomBytes } from 'node:crypto';
import { linkSync, lstatSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { decodeMessage, encodeMessage } from '../p9/codec.js';
import { messageType } from '../p9/messages.js';
import type { P9Outcome, P9Server } from '../p9/server.js';
import type { P9Session } from '../p9/session.js';
import { P9DecodeError } from '../p9/wire.js';
import { errnoName, errnoNumber, type Errno } from '../vfs/errno.js';
import { UNIX_PATH_MAX, type P9Address } from './p9-address.js';
import { P9FrameSplitter } from './p9-frames.js';

/** One Tattach as the server saw it, and its outcome: 'ok' or the errno of its Rlerror. */
export interface P9AttachEvent {
  /** The peer: `HOST:PORT` for TCP, `unix:PATH#N` (the Nth connection) for a unix socket. */
  readonly client: string;
  readonly aname: string;
  readonly uname: string;
  readonly nUname: number;
  readonly result: 'ok' | Errno | 'EIO';
}

export interface P9SocketServerOptions {
  /** Called after each Tattach is answered. */
  onAttach?: (e: P9AttachEvent) => void;
  /** The most connections served at once (default 64). */
  maxConnections?: number;
}

const TATTACH = messageType('Tattach');
const RATTACH = messageType('Rattach');
const RLERROR = messageType('Rlerror');

/**
 * The name a unix socket is bound under before it is linked to `path` (listen() says why): beside
 * it, so that the link stays on one filesystem; `path` itself when the longer name would not fit
 * sun_path (then libuv's unlink on close is what remains).
 */
function bindingName(path: string): string {
  const tmp = `${path}.${randomBytes(3).toString('hex')}~`;
  return Buffer.byteLength(tmp) > UNIX_PATH_MAX ? path : tmp;
}

/** A byte-stream connection the server answers: a socket, or a pair of streams (FIFOs, pipes). */
interface Channel {
  readonly input: Readable;
  readonly output: Writable;
  destroy(): void;
}

export class P9SocketServer {
  private readonly servers = new Set<Server>();
  /** Connections being served, each with what ends it (its session closed, its streams destroyed). */
  private readonly channels = new Map<Channel, () => void>();
  /** Unix sockets this server made: path → inode, to unlink only what is still ours. */
  private readonly unixPaths = new Map<string, number>();
  private unixCount = 0;
  private readonly maxConnections: number;

  constructor(
    private readonly p9: P9Server,
    private readonly opts: P9SocketServerOptions = {},
  ) {
    this.maxConnections = opts.maxConnections ?? 64;
  }

  /** Connections being served. */
  get connections(): number {
    return this.channels.size;
  }

  /**
   * Listens on `address`; resolves to where it listens (the kernel's port for port 0). Rejects with
   * Node's error (EADDRINUSE, EACCES, ENOENT for a unix socket's missing directory, …).
   */
  listen(address: P9Address): Promise<P9Address> {
    const server = createServer((socket) => this.accept(socket, address));
    server.maxConnections = this.maxConnections;
    return new Promise<P9Address>((resolve, reject) => {
      server.once('error', reject);
      const tmp = address.kind === 'unix' ? bindingName(address.path) : '';
      const ready = (): void => {
        server.off('error', reject);
        if (address.kind === 'unix') {
          try {
            if (tmp !== address.path) {
              try {
                linkSync(tmp, address.path);
              } finally {
                unlinkSync(tmp);
              }
            }
          } catch (e) {
            server.close();
            const err = e as NodeJS.ErrnoException;
            reject(err.code === 'EEXIST' ? Object.assign(new Error(`listen EADDRINUSE: address already in use ${address.path}`), { code: 'EADDRINUSE' }) : err);
            return;
          }
          this.servers.add(server);
          this.unixPaths.set(address.path, lstatSync(address.path).ino);
          resolve(address);
          return;
        }
        this.servers.add(server);
        const a = server.address();
        resolve(typeof a === 'object' && a !== null ? { kind: 'tcp', host: a.address, port: a.port } : address);
      };
      if (address.kind === 'unix') server.listen(tmp, ready);
      else server.listen(address.port, address.host, ready);
    });
  }

  /**
   * Serves one connection over a pair of streams (a FIFO pair, a pipe from a parent); `client`
   * names it in attach events. The streams are destroyed when the session closes.
   */
  serve(input: Readable, output: Writable, client: string): void {
    this.run({ input, output, destroy: () => (input.destroy(), output.destroy()) }, client);
  }

  /** Stops listening, ends every connection and unlinks the unix sockets made by `listen`. */
  async close(): Promise<void> {
    const closing = [...this.servers].map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    for (const end of [...this.channels.values()]) end();
    await Promise.all(closing);
    this.servers.clear();
    for (const [path, ino] of this.unixPaths) {
      try {
        if (lstatSync(path).ino === ino) unlinkSync(path);
      } catch {
        // already gone: nothing to clean
      }
    }
    this.unixPaths.clear();
  }

  private accept(socket: Socket, address: P9Address): void {
    socket.setNoDelay(true);
    const client = address.kind === 'unix' ? `unix:${address.path}#${++this.unixCount}` : `${socket.remoteAddress}:${socket.remotePort}`;
    this.run({ input: socket, output: socket, destroy: () => socket.destroy() }, client);
  }

  /** Answers a channel's frames until it or its session closes. */
  private run(ch: Channel, client: string): void {
    const session = this.p9.connect();
    const splitter = new P9FrameSplitter(session.messageSize);
    let draining = false;
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      this.channels.delete(ch);
      session.close();
      ch.destroy();
    };
    this.channels.set(ch, end);
    const pump = (): void => {
      draining = false;
      while (!ended) {
        splitter.limit = session.messageSize;
        let frame: Uint8Array | null;
        try {
          frame = splitter.next();
        } catch (e) {
          if (!(e instanceof RangeError)) throw e;
          return end(); // the size field is impossible: the stream's boundaries are lost
        }
        if (frame === null) {
          ch.input.resume();
          return;
        }
        const out = this.answer(session, frame, client);
        if (out.kind === 'close') return end();
        if (!ch.output.write(out.frame)) {
          draining = true;
          ch.input.pause();
          ch.output.once('drain', pump);
          return;
        }
      }
    };
    ch.input.on('data', (chunk: Uint8Array) => {
      splitter.push(chunk);
      if (!draining) pump();
    });
    ch.input.on('end', end);
    ch.input.on('close', end);
    ch.input.on('error', end);
    ch.output.on('error', end);
    ch.output.on('close', end);
  }

  private answer(session: P9Session, frame: Uint8Array, client: string): P9Outcome {
    if (frame[4] !== TATTACH || !this.opts.onAttach) return session.handle(frame);
    let request: { aname: string; uname: string; nUname: number } | undefined;
    try {
      const m = decodeMessage(frame, session.messageSize);
      if (m.msg === 'Tattach') request = m;
    } catch (e) {
      if (!(e instanceof P9DecodeError)) throw e;
    }
    const out = session.handle(frame);
    if (request && out.kind === 'reply') {
      const type = out.frame[4];
      const ecode = type === RLERROR ? new DataView(out.frame.buffer, out.frame.byteOffset).getUint32(7, true) : 0;
      const result = type === RATTACH ? 'ok' : (errnoName(ecode) ?? 'EIO');
      this.opts.onAttach({ client, aname: request.aname, uname: request.uname, nUname: request.nUname, result });
    }
    return out;
  }
}
