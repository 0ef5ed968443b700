/**
 * SocketTransport: a P9Transport over TCP, a unix socket or inherited descriptors, synchronous for
 * its caller (DESIGN.md decision 2): the socket lives in a worker thread (p9-socket-worker.ts),
 * which reads the replies; the caller writes the request frame to the socket's descriptor itself
 * (or, when the socket's buffer is full, leaves the rest in a SharedArrayBuffer for the worker) and
 * blocks in Atomics.wait until the worker has put the reply in that buffer. The caller's thread may
 * be the one the rest of the program runs on — nothing it waits for needs its event loop.
 *
 * Invariants:
 * - One request in flight; a round trip returns the frame the server sent in answer, whole.
 * - Never a hang: connecting is bounded by `connectTimeoutMs` (default 10 s), each round trip by
 *   `timeoutMs` (default 30 s); past either, or when the server closes, resets or breaks the
 *   protocol, the transport is closed and every round trip fails with EIO from then on — what
 *   Linux's 9P client returns for a request on a dead connection (src/p9/transport.ts).
 * - Frames are bounded by `maxFrame` (default 1 MiB + the 9P header room, the server's default
 *   largest msize): a larger request is EINVAL (the caller negotiated an msize it cannot use), a
 *   larger reply closes the connection.
 * - The worker does not keep the process alive (unref'd); `close()` ends it and the connection.
 *
 * Connect failures carry connect(2)'s errno when the VFS's table has it (ECONNREFUSED, ENOENT for
 * a missing unix socket, EACCES, …) and EIO for the rest (ETIMEDOUT, EHOSTUNREACH); descriptors
 * that cannot be used are EIO, as p9_fd_open() says. The socket layer's own code and message are
 * the SysError's `cause`.
 *
 * @example
 * ```ts
 * const t = new SocketTransport({ kind: 'tcp', host: '127.0.0.1', port: 564 }, { timeoutMs: 5000 });
 * const reply = decodeMessage(t.roundTrip(encodeMessage({ msg: 'Tversion', tag: NOTAG, msize: 65536, version: '9P2000.L' })));
 * t.close();
 * ```
 */
import { writeSync } from 'node:fs';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { P9_DEFAULT_MAX_MSIZE } from '../p9/constants.js';
import type { P9Transport } from '../p9/transport.js';
import { errno, isErrno, SysError } from '../vfs/errno.js';
import {
  P9_SOCKET_HEADER,
  P9_SOCKET_SLOTS as K,
  P9_SOCKET_STATES as S,
  socketWorkerSource,
  type P9SocketFailure,
  type P9SocketTarget,
  type P9SocketWorkerData,
} from './p9-socket-worker.js';

export interface SocketTransportOptions {
  /** How long connecting may take, in ms (default 10 000). */
  connectTimeoutMs?: number;
  /** How long one round trip may take, in ms (default 30 000). */
  timeoutMs?: number;
  /** The largest frame either way (default 1 MiB + 4 KiB). */
  maxFrame?: number;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_FRAME = P9_DEFAULT_MAX_MSIZE + 4096;

/** A target as a string, for error messages. */
function describe(t: P9SocketTarget): string {
  return t.kind === 'tcp' ? `${t.host}:${t.port}` : t.kind === 'unix' ? `unix:${t.path}` : `fd:${t.rfd},${t.wfd}`;
}

export class SocketTransport implements P9Transport {
  private readonly ctrl: Int32Array;
  private readonly data: Uint8Array;
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly timeoutMs: number;
  /** The socket's descriptor, to write requests to; -1: the worker writes them. */
  private readonly fd: number;
  private closedReason: string | undefined;

  /** Connects (blocking until connected); throws SysError when it cannot. */
  constructor(
    readonly target: P9SocketTarget,
    opts: SocketTransportOptions = {},
  ) {
    const maxFrame = opts.maxFrame ?? DEFAULT_MAX_FRAME;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const sab = new SharedArrayBuffer(P9_SOCKET_HEADER + maxFrame);
    this.ctrl = new Int32Array(sab, 0, P9_SOCKET_HEADER / 4);
    this.data = new Uint8Array(sab, P9_SOCKET_HEADER);
    const channel = new MessageChannel();
    this.port = channel.port1;
    this.port.unref();
    const workerData: P9SocketWorkerData = { sab, target, port: channel.port2, states: S, slots: K, header: P9_SOCKET_HEADER };
    this.worker = new Worker(socketWorkerSource(), { eval: true, workerData, transferList: [channel.port2] });
    this.worker.unref();
    const r = Atomics.wait(this.ctrl, K.STATE, S.CONNECTING, opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS);
    if (Atomics.compareExchange(this.ctrl, K.STATE, S.CONNECTING, S.CLOSED) === S.CONNECTING) {
      Atomics.notify(this.ctrl, K.STATE);
      this.shutDown(r === 'timed-out' ? 'connect timed out' : 'the worker did not start');
      throw this.failure('connect', { code: 'ETIMEDOUT', message: this.closedReason! });
    }
    if (Atomics.load(this.ctrl, K.STATE) === S.CLOSED) {
      const f = this.report();
      this.shutDown(f.message);
      throw this.failure('connect', f);
    }
    this.fd = this.ctrl[K.FD]!;
  }

  /** Why the connection closed, once it has. */
  get closed(): string | undefined {
    return this.closedReason;
  }

  roundTrip(frame: Uint8Array): Uint8Array {
    if (this.closedReason !== undefined) throw errno('EIO');
    if (frame.length > this.data.length) throw errno('EINVAL');
    const ctrl = this.ctrl;
    const turn = Atomics.load(ctrl, K.STATE);
    if (turn !== S.IDLE && turn !== S.REPLY) return this.lost(this.report().message);
    this.data.set(frame);
    ctrl[K.LENGTH] = frame.length;
    if (Atomics.compareExchange(ctrl, K.STATE, turn, S.SENT) !== turn) return this.lost(this.report().message);
    const sent = this.writeDirect(frame);
    if (sent < 0) {
      if (Atomics.compareExchange(ctrl, K.STATE, S.SENT, S.CLOSED) === S.SENT) Atomics.notify(ctrl, K.STATE);
      return this.lost(this.closedReason ?? 'the request could not be written');
    }
    if (sent < frame.length) {
      // The socket's buffer is full: the worker writes the rest when it can.
      ctrl[K.SENT_BYTES] = sent;
      if (Atomics.compareExchange(ctrl, K.STATE, S.SENT, S.REQUEST) !== S.SENT) return this.lost(this.report().message);
      Atomics.notify(ctrl, K.STATE);
    }
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const now = Atomics.load(ctrl, K.STATE);
      if (now === S.REPLY) return this.data.slice(0, ctrl[K.LENGTH]!);
      if (now === S.CLOSED) return this.lost(this.report().message);
      const left = deadline - Date.now();
      // The deadline: claim CLOSED unless the reply came just now.
      if (left <= 0 && Atomics.compareExchange(ctrl, K.STATE, now, S.CLOSED) === now) {
        Atomics.notify(ctrl, K.STATE);
        return this.lost(`no reply within ${this.timeoutMs} ms`);
      }
      Atomics.wait(ctrl, K.STATE, now, Math.max(0, left));
    }
  }

  /** Ends the connection; later round trips fail with EIO. */
  close(): void {
    if (this.closedReason !== undefined) return;
    Atomics.store(this.ctrl, K.STATE, S.CLOSED);
    Atomics.notify(this.ctrl, K.STATE);
    this.shutDown('closed by the client');
  }

  /**
   * Writes as much of `frame` as the socket takes now: the byte count (short when its buffer is
   * full), or -1 when the connection is gone. WRITING is raised before the state is checked, so the
   * worker, which sets CLOSED before it waits for WRITING to fall and only then closes the socket,
   * cannot close the descriptor under this write (p9-socket-worker.ts).
   */
  private writeDirect(frame: Uint8Array): number {
    if (this.fd < 0) return 0;
    const ctrl = this.ctrl;
    Atomics.store(ctrl, K.WRITING, 1);
    try {
      if (Atomics.load(ctrl, K.STATE) === S.CLOSED) return -1;
      let n = 0;
      while (n < frame.length) {
        try {
          n += writeSync(this.fd, frame, n, frame.length - n);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'EAGAIN') break;
          this.closedReason ??= `write: ${code ?? (e as Error).message}`;
          return -1;
        }
      }
      return n;
    } finally {
      Atomics.store(ctrl, K.WRITING, 0);
      Atomics.notify(ctrl, K.WRITING);
    }
  }

  /** The connection is gone: closes the transport and throws EIO. */
  private lost(reason: string): never {
    this.shutDown(reason);
    throw errno('EIO');
  }

  /** What the worker posted before it closed (or a stand-in when it posted nothing). */
  private report(): P9SocketFailure {
    const m = receiveMessageOnPort(this.port);
    return (m?.message as P9SocketFailure | undefined) ?? { code: 'EIO', message: 'the connection closed' };
  }

  private shutDown(reason: string): void {
    this.closedReason ??= reason;
    this.port.close();
    void this.worker.terminate();
  }

  private failure(syscall: string, f: P9SocketFailure): SysError {
    const code = this.target.kind !== 'fd' && isErrno(f.code) ? f.code : 'EIO';
    const e = new SysError(code, syscall, describe(this.target));
    e.cause = new Error(`${f.code}: ${f.message}`);
    return e;
  }
}
