/**
 * The worker-thread half of SocketTransport (p9-socket-client.ts): it owns the socket — connects
 * it, reads every reply, closes it — and puts each reply in the shared buffer for the caller, who
 * blocks in Atomics.wait meanwhile. Requests are written by the caller itself, straight to the
 * socket's descriptor (`FD`), which saves waking this thread for every request (a round trip is
 * then two thread hops, not four: about 2.5 times faster on a two-core machine); when that write is
 * short (the socket's buffer full) the caller leaves the rest to this thread. This half waits with
 * Atomics.waitAsync, so the socket's events and the caller's requests are both served without
 * polling.
 *
 * The shared buffer: `ctrl` (Int32Array, slots P9_SOCKET_SLOTS) and `data`, the frame. States
 * (P9_SOCKET_STATES): CONNECTING until the socket is up; IDLE or REPLY, the caller's turn; SENT,
 * the whole request is on the socket (or being put there by the caller) and its reply awaited;
 * REQUEST, this thread is to write `data[SENT_BYTES, LENGTH)` first; CLOSED, for good, when either
 * side gives up — this thread on a socket error, end or protocol violation (posting
 * `{ code, message }` on its port first), the caller on a timeout or close(). Transitions out of a
 * state the other side may also leave are compareExchanges, so a reply racing a timeout is
 * delivered or dropped, never half-written.
 *
 * The descriptor the caller writes to must still be this socket's: the caller raises WRITING,
 * then checks the state is not CLOSED, then writes; this thread sets CLOSED, then waits for
 * WRITING to fall, then closes the socket. With sequentially consistent atomics one of the two
 * sees the other, so the caller never writes to a descriptor number the process has since reused.
 *
 * Protocol violations close: a frame whose size field is impossible or over the buffer, a reply when
 * none is awaited, or a second frame after a reply (one request is in flight, so anything more is
 * not an answer to it).
 *
 * The worker is started from source text (`socketWorkerSource()`): Node can start a worker only from
 * a JavaScript file or an eval'd string, and the TypeScript sources have no JavaScript file when
 * they run under the test runner. So `socketWorkerMain` and P9FrameSplitter, the only code it runs,
 * are self-contained: they import nothing and close over nothing, and `require` what they need.
 */
import { P9FrameSplitter } from './p9-frames.js';

/** The shared buffer's states (the worker receives them in workerData; this is their one definition). */
export const P9_SOCKET_STATES = { CONNECTING: 0, IDLE: 1, SENT: 2, REQUEST: 3, REPLY: 4, CLOSED: 5 } as const;

/** The slots of `ctrl`: the state, the frame's length, how much of it the caller wrote, the descriptor to write to, the caller-is-writing flag. */
export const P9_SOCKET_SLOTS = { STATE: 0, LENGTH: 1, SENT_BYTES: 2, FD: 3, WRITING: 4 } as const;

/** Bytes of the shared buffer before the frame. */
export const P9_SOCKET_HEADER = 32;

/** Where the worker connects: TCP, a unix socket, or descriptors the process already has. */
export type P9SocketTarget =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number; readonly privport?: boolean }
  | { readonly kind: 'unix'; readonly path: string }
  | { readonly kind: 'fd'; readonly rfd: number; readonly wfd: number };

/** What the worker is started with. */
export interface P9SocketWorkerData {
  readonly sab: SharedArrayBuffer;
  readonly target: P9SocketTarget;
  readonly port: import('node:worker_threads').MessagePort;
  readonly states: typeof P9_SOCKET_STATES;
  readonly slots: typeof P9_SOCKET_SLOTS;
  readonly header: number;
}

/** The worker's failure report, posted on its port before it sets CLOSED. */
export interface P9SocketFailure {
  readonly code: string;
  readonly message: string;
}

/** Atomics.waitAsync (ES2024; Node has it since 16), which the project's ES2022 lib does not declare. */
interface AtomicsWaitAsync {
  waitAsync(a: Int32Array, index: number, value: number): { async: false; value: string } | { async: true; value: Promise<string> };
}

/**
 * The worker's body; runs in the worker thread with the frame splitter class and the worker's
 * own `require` passed in (its text is the worker's source, so it must not name anything of the
 * module it was written in, whatever a bundler does with `require` there).
 */
function socketWorkerMain(Splitter: typeof P9FrameSplitter, req: NodeJS.Require): void {
  const { workerData } = req('node:worker_threads') as typeof import('node:worker_threads');
  const net = req('node:net') as typeof import('node:net');
  const { sab, target, port, states: S, slots: K, header } = workerData as P9SocketWorkerData;
  const ctrl = new Int32Array(sab, 0, header / 4);
  const data = new Uint8Array(sab, header);
  const splitter = new Splitter(data.length);
  const sockets: import('node:net').Socket[] = [];
  let output: import('node:net').Socket | undefined;
  const waitAsync = (Atomics as unknown as AtomicsWaitAsync).waitAsync;

  const finish = (code: string, message: string): void => {
    if (Atomics.load(ctrl, K.STATE) !== S.CLOSED) port.postMessage({ code, message });
    Atomics.store(ctrl, K.STATE, S.CLOSED);
    Atomics.notify(ctrl, K.STATE);
    // The caller may be writing to the socket's descriptor: close it only once it has finished.
    while (Atomics.load(ctrl, K.WRITING) !== 0) Atomics.wait(ctrl, K.WRITING, 1, 50);
    for (const s of sockets) s.destroy();
    port.close();
  };

  // The caller's requests to finish a write, and its close.
  const serve = async (): Promise<void> => {
    for (;;) {
      const s = Atomics.load(ctrl, K.STATE);
      if (s === S.CLOSED) return finish('EIO', 'closed by the caller');
      if (s === S.REQUEST) {
        output!.write(Buffer.from(data.subarray(ctrl[K.SENT_BYTES]!, ctrl[K.LENGTH]!)));
        Atomics.compareExchange(ctrl, K.STATE, S.REQUEST, S.SENT);
        continue;
      }
      const w = waitAsync(ctrl, K.STATE, s);
      if (w.async) await w.value;
    }
  };

  const onData = (chunk: Uint8Array): void => {
    splitter.push(chunk);
    let frame: Uint8Array | null;
    try {
      frame = splitter.next();
    } catch (e) {
      return finish('EPROTO', (e as Error).message);
    }
    if (frame === null) return;
    if (splitter.pending > 0) return finish('EPROTO', 'the server sent more than one reply to one request');
    if (Atomics.load(ctrl, K.STATE) !== S.SENT) return finish('EPROTO', 'the server sent a reply to no request');
    data.set(frame);
    ctrl[K.LENGTH] = frame.length;
    if (Atomics.compareExchange(ctrl, K.STATE, S.SENT, S.REPLY) !== S.SENT) return finish('EIO', 'closed by the caller');
    Atomics.notify(ctrl, K.STATE);
  };

  const watch = (s: import('node:net').Socket): void => {
    sockets.push(s);
    s.on('error', (e: NodeJS.ErrnoException) => finish(e.code ?? 'EIO', e.message));
    s.on('close', () => finish('ECONNRESET', 'the server closed the connection'));
  };

  const ready = (input: import('node:net').Socket, out: import('node:net').Socket): void => {
    output = out;
    input.on('data', onData);
    // libuv's descriptor of the socket (an internal of net.Socket; -1 when absent: this thread writes).
    const fd = (out as unknown as { _handle?: { fd?: number } })._handle?.fd;
    ctrl[K.FD] = typeof fd === 'number' && fd >= 0 ? fd : -1;
    if (Atomics.compareExchange(ctrl, K.STATE, S.CONNECTING, S.IDLE) !== S.CONNECTING) return finish('EIO', 'closed by the caller');
    Atomics.notify(ctrl, K.STATE);
    void serve();
  };

  const connected = (s: import('node:net').Socket): void => {
    watch(s);
    s.setNoDelay(true);
    ready(s, s);
  };

  try {
    if (target.kind === 'fd') {
      // Descriptors of this process (a pipe or socket pair a parent passed): the transport owns them now.
      if (target.rfd === target.wfd) {
        const s = new net.Socket({ fd: target.rfd, readable: true, writable: true });
        watch(s);
        ready(s, s);
      } else {
        const input = new net.Socket({ fd: target.rfd, readable: true, writable: false });
        const out = new net.Socket({ fd: target.wfd, readable: false, writable: true });
        watch(input);
        watch(out);
        ready(input, out);
      }
    } else if (target.kind === 'tcp' && target.privport) {
      // p9_bind_privport(): the first free local port from 1023 down to 665.
      const attempt = (localPort: number): void => {
        const s = net.connect({ host: target.host, port: target.port, localPort });
        s.once('error', (e: NodeJS.ErrnoException) => {
          if (e.code === 'EADDRINUSE' && localPort > 665) attempt(localPort - 1);
          else finish(e.code ?? 'EIO', e.message);
        });
        s.once('connect', () => {
          s.removeAllListeners('error');
          connected(s);
        });
      };
      attempt(1023);
    } else {
      const s = target.kind === 'tcp' ? net.connect({ host: target.host, port: target.port }) : net.connect({ path: target.path });
      s.once('error', (e: NodeJS.ErrnoException) => finish(e.code ?? 'EIO', e.message));
      s.once('connect', () => {
        s.removeAllListeners('error');
        connected(s);
      });
    }
  } catch (e) {
    finish((e as NodeJS.ErrnoException).code ?? 'EINVAL', (e as Error).message);
  }
}

/** The source text a worker is started from: the splitter class, then the body called with it. */
export function socketWorkerSource(): string {
  return `'use strict';\nconst P9FrameSplitter = ${P9FrameSplitter.toString()};\n(${socketWorkerMain.toString()})(P9FrameSplitter, require);\n`;
}
