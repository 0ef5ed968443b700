/**
 * `vfsemu gofer serve DIR --listen HOST:PORT|unix:PATH [--ro] [--aname NAME]`: serves a host
 * directory over 9P2000.L (HostExport over P9SocketServer) in the foreground, until SIGINT or
 * SIGTERM, logging one line on stderr for each attach. Any 9P2000.L client can mount it: Linux's
 * (`mount -t 9p -o trans=tcp,port=PORT,version=9p2000.L,aname=DIR 127.0.0.1 /mnt`), diod's tools
 * (`diodls -s 127.0.0.1:PORT -a DIR`), vfsemu's own gofer filesystem.
 *
 * Anames: with --aname, that one; without, '' (a mount without aname=) and DIR's absolute path (what
 * diod's clients and `aname=` name an export by). Port 0 listens on a port the kernel picks; the
 * "listening on" line says which.
 *
 * Exit codes: 0 after a clean stop (sockets closed, the unix socket unlinked); 2 for a usage mistake
 * (a malformed --listen, DIR missing or not a directory); 1 when it cannot listen (the address is
 * in use, no permission); 3 when the host export cannot run here (the native addon is not built).
 * User mistakes get one line, never a stack trace.
 *
 * The server runs with umask 0, as diod does: a client sends modes it has already masked with its
 * own umask.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { P9Server } from '../p9/server.js';
import { SysError } from '../vfs/errno.js';
import { HostExport } from '../host/host-export.js';
import { hostfsUnavailableReason } from '../host/hostfs.js';
import { AddressError, formatP9Address, parseP9Address, type P9Address } from '../host/p9-address.js';
import { P9SocketServer, type P9AttachEvent } from '../host/p9-socket-server.js';
import type { CliIo } from './plan-run.js';

export interface GoferServeOptions {
  listen: string;
  ro: boolean;
  aname?: string;
}

/** What stops the server: SIGINT and SIGTERM of this process (a test passes its own emitter). */
export interface StopSignals {
  once(signal: 'SIGINT' | 'SIGTERM', fn: () => void): unknown;
  off(signal: 'SIGINT' | 'SIGTERM', fn: () => void): unknown;
}

function attachLine(e: P9AttachEvent): string {
  return `vfsemu gofer: attach from ${e.client} aname=${JSON.stringify(e.aname)} uname=${JSON.stringify(e.uname)} n_uname=${e.nUname}: ${e.result}\n`;
}

/** Serves until a stop signal; resolves to the exit code. */
export async function runGoferServe(dir: string, opts: GoferServeOptions, io: CliIo, signals: StopSignals = process): Promise<number> {
  let address: P9Address;
  try {
    address = parseP9Address(opts.listen);
  } catch (e) {
    if (!(e instanceof AddressError)) throw e;
    io.err(`vfsemu: gofer serve: --listen ${e.message}\n`);
    return 2;
  }
  const why = hostfsUnavailableReason();
  if (why) {
    io.err(`vfsemu: gofer serve cannot run here: ${why}\n`);
    return 3;
  }
  const root = resolve(dir);
  let exp: HostExport;
  try {
    exp = new HostExport(root, { readOnly: opts.ro });
  } catch (e) {
    if (!(e instanceof SysError)) throw e;
    io.err(`vfsemu: gofer serve: cannot export ${dir}: ${new SysError(e.code).message}\n`);
    return 2;
  }
  const anames = opts.aname !== undefined ? [opts.aname] : ['', root];
  const server = new P9SocketServer(new P9Server(new Map(anames.map((a) => [a, exp]))), { onAttach: (e) => io.err(attachLine(e)) });
  let where: P9Address;
  try {
    where = await server.listen(address);
  } catch (e) {
    exp.dispose();
    const err = e as NodeJS.ErrnoException;
    io.err(`vfsemu: gofer serve: cannot listen on ${formatP9Address(address)}: ${err.code ?? err.message}${err.code === 'EADDRINUSE' ? ' (address already in use)' : ''}\n`);
    return 1;
  }
  process.umask(0);
  io.err(`vfsemu gofer: serving ${root}${opts.ro ? ' read-only' : ''} as aname ${anames.map((a) => JSON.stringify(a)).join(' and ')}\n`);
  io.err(`vfsemu gofer: listening on ${formatP9Address(where)}\n`);
  const signal = await new Promise<string>((done) => {
    const stop = (name: 'SIGINT' | 'SIGTERM') => () => {
      signals.off('SIGINT', onInt);
      signals.off('SIGTERM', onTerm);
      done(name);
    };
    const onInt = stop('SIGINT');
    const onTerm = stop('SIGTERM');
    signals.once('SIGINT', onInt);
    signals.once('SIGTERM', onTerm);
  });
  io.err(`vfsemu gofer: ${signal}: stopping\n`);
  await server.close();
  exp.dispose();
  return 0;
}

/** Registers `gofer serve` on the `vfsemu` program; `done` receives the exit code. */
export function registerGoferCommand(program: Command, io: CliIo, done: (code: number) => void): void {
  const gofer = program.command('gofer').description('serve a host directory over 9P2000.L');
  gofer
    .command('serve')
    .description('serve DIR until SIGINT or SIGTERM, logging each attach')
    .argument('<dir>', 'the directory to export')
    .requiredOption('--listen <address>', 'HOST:PORT, [IPV6]:PORT or unix:PATH (port 0: any free port)')
    .option('--ro', 'serve read-only', false)
    .option('--aname <name>', "the aname clients attach with (default: '' and DIR's absolute path)")
    .action(async (dir: string, opts: GoferServeOptions) => {
      done(await runGoferServe(dir, opts, io));
    });
}
