/**
 * Rigs for the 9p client suites: a host sandbox serving /srv through a P9Server, and a guest
 * sandbox whose kernel offers that server as a virtio channel — with every connection's session
 * and decoded requests kept, so a test can count frames or make the server go away.
 */
import { createSandbox } from '../../src/index.js';
import { decodeMessage, P9Server, SessionTransport, TreeExport, type P9Message, type P9ServerOptions, type P9Session } from '../../src/p9/index.js';
import type { Kernel } from '../../src/vfs/kernel.js';
import type { Process } from '../../src/vfs/process.js';

/** A transport that keeps every request it passes on, decoded. */
export class SpyTransport extends SessionTransport {
  readonly sent: P9Message[] = [];

  /** The server's end of the connection. */
  constructor(readonly peer: P9Session) {
    super(peer);
  }

  override roundTrip(frame: Uint8Array): Uint8Array {
    this.sent.push(decodeMessage(frame));
    return super.roundTrip(frame);
  }

  /** How many requests of a type went out. */
  count(msg: P9Message['msg']): number {
    return this.sent.filter((m) => m.msg === msg).length;
  }
}

export interface RigOptions {
  /** Mount data; undefined: do not mount. Default 'trans=virtio'. */
  data?: string | null;
  tag?: string;
  readOnly?: boolean;
  server?: P9ServerOptions;
  /** More anames the server answers, each serving the same export. */
  anames?: readonly string[];
  /** Builds the host's /srv before the export starts. */
  populate?: (host: Process) => void;
}

export interface Rig {
  host: Process;
  guest: Process;
  kernel: Kernel;
  server: P9Server;
  exp: TreeExport;
  /** Every connection the guest's kernel made to the server, oldest first. */
  transports: SpyTransport[];
  /** The latest connection. */
  readonly wire: SpyTransport;
}

/**
 * A host serving /srv to a guest as virtio tag `tag` (default 'hostshare'), mounted on the
 * guest's /mnt with `data` unless it is null.
 *
 * @example
 * ```ts
 * const r = rig({ data: 'trans=virtio,cache=loose' });
 * r.guest.mkdir('/mnt/a');
 * ```
 */
export function rig(opts: RigOptions = {}): Rig {
  const host = createSandbox().process;
  host.mkdir('/srv');
  opts.populate?.(host);
  const exp = new TreeExport(host, '/srv', { readOnly: opts.readOnly ?? false });
  const server = new P9Server(new Map([['', exp], ...(opts.anames ?? []).map((a) => [a, exp] as const)]), opts.server);
  const g = createSandbox();
  const transports: SpyTransport[] = [];
  const tag = opts.tag ?? 'hostshare';
  g.kernel.registerP9Channel(tag, {
    connect: () => {
      const t = new SpyTransport(server.connect());
      transports.push(t);
      return t;
    },
  });
  g.process.mkdir('/mnt');
  const data = opts.data === undefined ? 'trans=virtio' : opts.data;
  if (data !== null) g.process.mount(tag, '/mnt', '9p', 0, data);
  return {
    host,
    guest: g.process,
    kernel: g.kernel,
    server,
    exp,
    transports,
    get wire() {
      return transports[transports.length - 1]!;
    },
  };
}

/** The guest's mountinfo line for /mnt. */
export function mntLine(p: Process, at = '/mnt'): string {
  return p
    .mountinfo()
    .split('\n')
    .find((l) => l.split(' ')[4] === at)!;
}

/** The part of a mountinfo line after the separator: type, source, super options. */
export function superPart(p: Process, at = '/mnt'): string {
  const l = mntLine(p, at);
  return l.slice(l.indexOf(' - ') + 3);
}

export const enc = new TextEncoder();
export const dec = new TextDecoder();
