/**
 * `vfsemu/host`: what reaches the real host — the native backend (plans on this machine's kernel,
 * in a throw-away sandbox: docs/native-sandbox.md), the parity harness against it, and the
 * readers of a host's bundles and facts for the OCI dry-run. Node only.
 *
 * `runPlan` here runs a plan on either backend and returns a Promise; the main entry's `runPlan`
 * is the emulated one, synchronous.
 */
import type { Outcome } from '../plan/outcome.js';
import type { Plan } from '../plan/plan.js';
import { runEmulated, type EmulatedOptions } from '../plan/emulated.js';
import { runNative, type NativeRunOptions } from './native.js';

/**
 * Runs a plan on the emulated backend or on this machine's kernel (`backend: 'native'`: Linux,
 * CAP_SYS_ADMIN and the built addon; otherwise the Promise rejects with BackendUnavailable).
 *
 * @example
 * ```ts
 * import { runPlan } from 'vfsemu/host';
 * const plan = { version: 1, ops: [{ op: 'mkdir', path: '/a' }] } as const;
 * const [emu, kernel] = await Promise.all([runPlan(plan), runPlan(plan, { backend: 'native' })]);
 * ```
 */
export async function runPlan(plan: Plan, opts: { backend?: 'emulated' | 'native' } & EmulatedOptions & NativeRunOptions = {}): Promise<Outcome> {
  // A plan's 9p mounts reach nothing unless the caller gives a dialer (p9Dial, e.g. allowListDialer).
  return opts.backend === 'native' ? runNative(plan, opts) : runEmulated(plan, opts);
}

export { runNative, runNativeSync, NativeBackend, NativeRunIncomplete, nativeUnavailableReason, type NativeRunOptions } from './native.js';
export { runParity, comparePlan, comparePlanAsync, hostMachine, corpusText, FastCheckMissing, PARITY_PROFILES, type ParityOptions, type ParityReport, type ParityProfile, type ParityStats } from './parity.js';
export { readHostBundle, hostBindSources, imageOfDir, type HostBundle } from './bundle.js';
export { readHostFacts, hostFactsFrom, type HostFactsSources } from './host-facts.js';
export { hasCapSysAdmin } from './caps.js';
// The gofer on the host: a confined export of a host directory, 9P over sockets both ways.
export { HostExport, type HostExportOptions } from './host-export.js';
export { P9SocketServer, type P9SocketServerOptions } from './p9-socket-server.js';
export { SocketTransport } from './p9-socket-client.js';
export { dialP9, p9Dialer, allowListDialer } from './p9-dial.js';
