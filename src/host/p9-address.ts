/**
 * Socket addresses of the 9P transports, as `vfsemu gofer serve --listen` and the diod tools write
 * them: `HOST:PORT` for TCP (an IPv6 host in brackets, `[::1]:564`) and `unix:PATH` for a unix
 * socket. Parsing refuses anything else with an AddressError naming what is wrong, for the CLI to
 * print.
 *
 * @example
 * ```ts
 * parseP9Address('127.0.0.1:5640'); // { kind: 'tcp', host: '127.0.0.1', port: 5640 }
 * parseP9Address('unix:/run/9p.sock'); // { kind: 'unix', path: '/run/9p.sock' }
 * formatP9Address({ kind: 'tcp', host: '::1', port: 564 }); // '[::1]:564'
 * ```
 */

export type P9Address = { readonly kind: 'tcp'; readonly host: string; readonly port: number } | { readonly kind: 'unix'; readonly path: string };

/** A listen or dial address that cannot be used, with the reason. */
export class AddressError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AddressError';
  }
}

/** sun_path's size less its NUL: a longer unix socket path cannot be bound or connected. */
export const UNIX_PATH_MAX = 107;

/** The address `text` names; AddressError when it names none. Port 0 asks the kernel for a free one. */
export function parseP9Address(text: string): P9Address {
  if (text.startsWith('unix:')) {
    const path = text.slice(5);
    if (path === '') throw new AddressError(`${JSON.stringify(text)}: no socket path after unix:`);
    if (Buffer.byteLength(path) > UNIX_PATH_MAX) throw new AddressError(`${JSON.stringify(text)}: a unix socket path is at most ${UNIX_PATH_MAX} bytes`);
    return { kind: 'unix', path };
  }
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(text);
  if (!m) throw new AddressError(`${JSON.stringify(text)}: expected HOST:PORT, [IPV6]:PORT or unix:PATH`);
  const port = Number(m[3]);
  if (port > 65535) throw new AddressError(`${JSON.stringify(text)}: port ${port} > 65535`);
  return { kind: 'tcp', host: m[1] ?? m[2]!, port };
}

/** The address as `parseP9Address` reads it. */
export function formatP9Address(a: P9Address): string {
  if (a.kind === 'unix') return `unix:${a.path}`;
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
