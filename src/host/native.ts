/**
 * The native backend's TypeScript side (DESIGN.md "Data flow"): checks that this host can run a
 * plan against its real kernel, loads the `vfsemu_native` addon (native/, binding.gyp), hands it
 * the plan with every flag name resolved and the policy's static refusals marked, and turns what
 * the sandbox child reported into the plan-format outcome.
 *
 * The addon clones a child into new PID, mount, UTS and IPC namespaces; it makes a fresh tmpfs
 * its root by pivot_root with the host's root detached, and runs one syscall an op
 * (test/kernel/record.py is the reference) under the sandbox policy (src/plan/policy.ts) and the
 * magic-link rule (docs/native-sandbox.md is the threat model). The Node process itself never
 * changes namespace, and whatever happens to the child — a failed op, a crash, a timeout,
 * `killAfterOp`, a hostile plan — the host's mount table is left as it was.
 *
 * `runNative` does its waiting on a libuv worker thread and returns a Promise; `runNativeSync`
 * blocks the event loop for the run (tests and the dry-run, which have nothing else to do).
 */
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import type { Backend } from '../plan/backend.js';
import { bitsOf, FSMOUNT_FLAGS, MKNOD_TYPES, MOUNT_ATTR_BITS, MOUNT_FLAGS, MOUNT_SETATTR_FLAGS, OPEN_TREE_FLAGS, PROPAGATION_BITS, statResult, UMOUNT_FLAGS, UNSHARE_FLAGS } from '../plan/emulated.js';
import { fsconfigParams } from '../plan/overlay-data.js';
import { BackendUnavailable, stoppedResult, type OpResult, type Outcome } from '../plan/outcome.js';
import { makesSuperblock, REFUSAL_RULES, refusedResult, staticRefusal, type PolicyOptions, type RefusalRule } from '../plan/policy.js';
import { idMapText, makesUserns, type MountFlagName, type Plan, type PlanOp } from '../plan/plan.js';
import { Credentials, type CapName } from '../vfs/creds.js';
import { errnoName } from '../vfs/errno.js';
import { makedev } from '../vfs/inode.js';
import { hasCapSysAdmin } from './caps.js';
import { RENAME_EXCHANGE, RENAME_NOREPLACE } from '../vfs/process.js';
import type { Stat } from '../vfs/stat.js';

/** Where the addon is: src/host and dist/host both sit two levels below the project root. */
const ADDON = '../../build/Release/vfsemu_native.node';
const BUILD_HINT = 'build it with `npm run build:native` (needs g++, make, python3 and the Node headers)';

/**
 * native/protocol.h OpKind in its order, which is the wire value (the addon sends names, and
 * test/native/protocol.test.ts checks its list against this one and against every plan op).
 */
export const NATIVE_OPS = [
  'mkdir', 'write', 'symlink', 'link', 'unlink', 'rmdir', 'rename', 'chmod', 'chown', 'truncate', 'mount', 'umount',
  'unshare', 'setns', 'stat', 'read', 'readdir', 'setcred', 'fsmount', 'pivot_root', 'mknod', 'openpty',
  'userns', 'open_tree', 'mount_setattr', 'move_mount',
] as const;

/** One op as the addon reads it: names resolved to numbers, defaults filled in. */
interface NativeOp {
  op: (typeof NATIVE_OPS)[number];
  path?: string;
  path2?: string;
  fstype?: string;
  data?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  flags?: number;
  length?: number;
  ns?: number;
  /** mknod: the device number, makedev()'d. */
  dev?: number;
  groups?: number[];
  caps?: bigint;
  /** fsmount: the fsconfig(2) calls, [key, value or null for a flag]. */
  params?: [string, string | null][];
  /** fsmount: a plan flag that is no MOUNT_ATTR_* (the op is EINVAL). */
  badAttrs?: boolean;
  /** The policy's static refusal (native/protocol.h Refusal): the child reports it, runs nothing. */
  refused?: number;
  /** unshare with CLONE_NEWUSER, userns: what is written to /proc/PID/{setgroups,uid_map,gid_map}. */
  setgroups?: string;
  uidMap?: string;
  gidMap?: string;
  /** userns, unshare with CLONE_NEWUSER, open_tree: the slot its descriptor is kept in. */
  slot?: number;
  /** mount_setattr, move_mount: the tree slot acted on (-1: none, a closed descriptor); absent: by path. */
  tree?: number;
  /** mount_setattr: struct mount_attr, and the user-namespace slot of MOUNT_ATTR_IDMAP (-1: none). */
  attrSet?: number;
  attrClr?: number;
  propagation?: number;
  userns?: number;
}

/** What the addon's run() returns (native/addon.cc): raw numbers and bytes. */
interface RawResult {
  errno: number;
  stat?: { mode: number; uid: number; gid: number; size: number; nlink: number };
  data?: Uint8Array;
  names?: Uint8Array[];
}
interface RawRun {
  results: (RawResult | null)[];
  namespaces: { text: Uint8Array; errno: number }[];
  current: number;
  done: boolean;
  /** The child stopped after this op: setns could not re-enter the sandbox root. */
  stopped: { after: number; errno: number } | null;
  setupFailure: { step: string; errno: number } | null;
  exitCode: number | null;
  signal: number | null;
  timedOut: boolean;
  /** A record failed its check (forged or corrupted): the stream was cut there, the child killed. */
  forged: boolean;
  /** The child's stream passed the parent's bound and it was killed. */
  tooLong: boolean;
  /** The child was SIGKILLed after op killAfterOp, as asked. */
  killedOnRequest: boolean;
  /** False when the child could not be reaped within the bounded wait after SIGKILL. */
  reaped: boolean;
}

/** What the addon was compiled with (native/addon.cc Protocol). */
export interface NativeProtocol {
  ops: string[];
  unavailable: number;
  refusals: Record<RefusalRule, number>;
  limits: { maxOpBytes: number; maxRunBytes: number; maxStreamBytes: number };
  flags: Record<string, number>;
}

/** Options of a run the addon takes besides the plan (native/protocol.h NativePlan). */
interface AddonRunOptions {
  garbageAfterOp?: number;
  allowCgroupDirs?: boolean;
}

interface Addon {
  run(ops: NativeOp[], killAfterOp: number, timeoutMs: number, opts: AddonRunOptions): RawRun;
  runAsync(ops: NativeOp[], killAfterOp: number, timeoutMs: number, opts: AddonRunOptions): Promise<RawRun>;
  protocol(): NativeProtocol;
  sipHash24(key: Uint8Array, data: Uint8Array): bigint;
}

export interface NativeRunOptions extends PolicyOptions {
  /** SIGKILL the child right after it executed this op (0-based), as a crash would. */
  killAfterOp?: number;
  /** Kill the child when the whole run takes longer (default 10 s). */
  timeoutMs?: number;
  /**
   * After this op the child writes bytes without the run's key to its pipe, as a plan that
   * reached it would (test/native/hostile.test.ts): the run must be reported as cut there.
   */
  garbageAfterOp?: number;
}

/** A run whose mount tables could not be collected (the child died after its last op, or a read failed). */
export class NativeRunIncomplete extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'NativeRunIncomplete';
  }
}

let addon: Addon | undefined;
let addonError: string | undefined;

function loadAddon(): Addon | undefined {
  if (addon === undefined && addonError === undefined) {
    try {
      addon = createRequire(import.meta.url)(ADDON) as Addon;
    } catch (e) {
      addonError = (e as Error).message.split('\n')[0];
    }
  }
  return addon;
}

/**
 * Why the native backend cannot run here, in one line, or null when it can.
 *
 * @example
 * ```ts
 * const why = nativeUnavailableReason();
 * if (why) console.warn(`skipping native runs: ${why}`);
 * ```
 */
export function nativeUnavailableReason(): string | null {
  if (process.platform !== 'linux') return `the native backend needs Linux (mount namespaces), this is ${process.platform}`;
  if (!hasCapSysAdmin()) return 'no CAP_SYS_ADMIN in the effective capability set (run as root) to make a private mount namespace';
  if (!loadAddon()) return `the native addon is not built (${addonError}); ${BUILD_HINT}`;
  return null;
}

function bits<T extends string>(table: Partial<Record<T, number>>, names: readonly T[] | undefined): number {
  let b = 0;
  for (const n of names ?? []) b |= table[n] ?? 0;
  return b;
}

export const RENAME_FLAGS = { noreplace: RENAME_NOREPLACE, exchange: RENAME_EXCHANGE };

/** fsmount(2)'s MOUNT_ATTR_* for the plan flags it takes (MOUNT_ATTR_RELATIME is 0, the default). */
export const MOUNT_ATTRS: Partial<Record<MountFlagName, number>> = { rdonly: 0x1, nosuid: 0x2, nodev: 0x4, noexec: 0x8, noatime: 0x10, strictatime: 0x20, nodiratime: 0x80, relatime: 0 };

/**
 * Descriptor numbers (docs/plan-format.md): each open_tree op takes the next tree index, each op
 * that makes a user namespace the next user-namespace index (0 is the one the plan starts in).
 * The child keeps descriptors in slots by these numbers; a reference to a number no op of the
 * plan takes is -1, a closed descriptor, from the start.
 */
interface Slots {
  /** The index each op takes, -1 for none. */
  of: number[];
  trees: number;
  userns: number;
}

function slotsOf(plan: Plan): Slots {
  let trees = 0;
  let userns = 1;
  const of = plan.ops.map((op) => (op.op === 'open_tree' ? trees++ : makesUserns(op) ? userns++ : -1));
  return { of, trees, userns };
}

/** The plan op as the addon takes it, with the policy's static refusal marked. */
function marshal(op: PlanOp, policy: PolicyOptions, slot: number, slots: Slots): NativeOp {
  const rule = staticRefusal(op, policy);
  const m = marshalOp(op, slot, slots);
  if (rule) return { ...m, refused: REFUSAL_CODES[rule] };
  return unavailable(op) ? { ...m, refused: UNAVAILABLE } : m;
}

/** native/protocol.h kUnavailable: an op the native backend cannot run, reported as notRun. */
export const UNAVAILABLE = 7;

/** A 9p mount: this kernel has no 9p module, and the plan's server is the emulator's to reach. */
function unavailable(op: PlanOp): boolean {
  return op.op === 'mount' && op.fstype === '9p' && makesSuperblock(op);
}

/** native/protocol.h Refusal codes, by rule (the addon's protocol() must agree: a test checks). */
export const REFUSAL_CODES: Record<RefusalRule, number> = { fstype: 1, device: 2, 'pseudo-write': 3, 'output-limit': 4, 'run-limit': 5, 'cgroup-options': 6 };

/** The maps and setgroups word of a new user namespace, as the text written. */
function mapTexts(op: Extract<PlanOp, { op: 'unshare' | 'userns' }>): Pick<NativeOp, 'setgroups' | 'uidMap' | 'gidMap'> {
  return {
    ...(op.setgroups !== undefined ? { setgroups: op.setgroups } : {}),
    ...(op.uidMap !== undefined ? { uidMap: idMapText(op.uidMap) } : {}),
    ...(op.gidMap !== undefined ? { gidMap: idMapText(op.gidMap) } : {}),
  };
}

/** The plan op as the addon takes it (native/protocol.h NativeOp), defaults as docs/plan-format.md. */
function marshalOp(op: PlanOp, slot: number, slots: Slots): NativeOp {
  const ref = (i: number | undefined, count: number): number | undefined => (i === undefined ? undefined : i < count ? i : -1);
  switch (op.op) {
    case 'mkdir':
      return { op: op.op, path: op.path, mode: op.mode ?? 0o755 };
    case 'write':
      return { op: op.op, path: op.path, data: op.data, mode: op.mode ?? 0o644 };
    case 'symlink':
      return { op: op.op, path: op.path, path2: op.target };
    case 'link':
      return { op: op.op, path: op.oldpath, path2: op.newpath };
    case 'rename':
      return { op: op.op, path: op.oldpath, path2: op.newpath, flags: bits(RENAME_FLAGS, op.flags) };
    case 'unlink':
    case 'rmdir':
    case 'read':
    case 'readdir':
      return { op: op.op, path: op.path };
    case 'chmod':
      return { op: op.op, path: op.path, mode: op.mode };
    case 'chown':
      return { op: op.op, path: op.path, uid: op.uid, gid: op.gid };
    case 'truncate':
      return { op: op.op, path: op.path, length: op.length };
    case 'mount':
      if (op.fsconfig) {
        const params = fsconfigParams(op.fstype, op.data ?? '').map((p): [string, string | null] => [p.key, p.value]);
        const badAttrs = op.flags.some((f) => !FSMOUNT_FLAGS.includes(f));
        return { op: 'fsmount', path: op.target, path2: op.source, fstype: op.fstype, flags: badAttrs ? 0 : bits(MOUNT_ATTRS, op.flags), params, badAttrs };
      }
      // An absent data is NULL for mount(2); "" stays an empty string (record.py).
      return { op: op.op, path: op.target, path2: op.source, fstype: op.fstype, flags: bits(MOUNT_FLAGS, op.flags), data: op.data };
    case 'umount':
      return { op: op.op, path: op.target, flags: bits(UMOUNT_FLAGS, op.flags) };
    case 'unshare':
      // Without flags, the contract's unshare(CLONE_NEWNS).
      return { op: op.op, flags: bitsOf(UNSHARE_FLAGS, op.flags ?? ['mnt']), slot, ...mapTexts(op) };
    case 'userns':
      return { op: op.op, slot, ...mapTexts(op) };
    case 'open_tree':
      return { op: op.op, path: op.path, flags: bitsOf(OPEN_TREE_FLAGS, op.flags), slot };
    case 'mount_setattr':
      return {
        op: op.op,
        ...(op.path !== undefined ? { path: op.path } : { tree: ref(op.tree, slots.trees) }),
        flags: bitsOf(MOUNT_SETATTR_FLAGS, op.flags),
        attrSet: bitsOf(MOUNT_ATTR_BITS, op.attrSet),
        attrClr: bitsOf(MOUNT_ATTR_BITS, op.attrClr),
        propagation: bitsOf(PROPAGATION_BITS, op.propagation),
        userns: ref(op.userns, slots.userns) ?? -1,
      };
    case 'move_mount':
      return { op: op.op, ...(op.from !== undefined ? { path: op.from } : { tree: ref(op.tree, slots.trees) }), path2: op.to };
    case 'setns':
      return { op: op.op, ns: op.ns };
    case 'stat':
      return { op: op.op, path: op.path, flags: op.nofollow ? 1 : 0 };
    case 'setcred':
      return { op: op.op, uid: op.uid, gid: op.gid, groups: op.groups, caps: Credentials.capsOf((op.caps ?? []).map((n) => n.toUpperCase() as CapName)) };
    case 'mknod': {
      return { op: op.op, path: op.path, mode: MKNOD_TYPES[op.type] | (op.mode ?? 0o644), dev: makedev(op.major ?? 0, op.minor ?? 0) };
    }
    case 'pivot_root':
      return { op: op.op, path: op.new_root, path2: op.put_old };
    case 'openpty':
      return { op: op.op, path: op.path };
  }
}

const decoder = new TextDecoder();

/** Splits mountinfo text into lines (no trailing empty line), as the emulated backend does. */
function lines(text: string): string[] {
  return text === '' ? [] : text.replace(/\n$/, '').split('\n');
}

function errnoOf(n: number): string {
  return errnoName(n) ?? `errno ${n}`;
}

function signalName(n: number): string {
  return Object.entries(constants.signals).find(([, v]) => v === n)?.[0] ?? `signal ${n}`;
}

function opResult(r: RawResult): OpResult {
  if (r.errno === -UNAVAILABLE) {
    return { ok: false, notRun: true, reason: 'mount -t 9p is not available on the native backend: this kernel has no 9p module (the emulated backend mounts 9p)' };
  }
  if (r.errno < 0) {
    const rule = REFUSAL_RULES.find((n) => REFUSAL_CODES[n] === -r.errno);
    return rule ? refusedResult(rule) : { ok: false, errno: `errno ${r.errno}` };
  }
  if (r.errno !== 0) return { ok: false, errno: errnoOf(r.errno) };
  // statResult reads only the fields the addon sends.
  if (r.stat) return { ok: true, stat: statResult(r.stat as Stat) };
  if (r.data) return { ok: true, data: decoder.decode(r.data) };
  if (r.names) return { ok: true, names: r.names.map((n) => decoder.decode(n)).sort() };
  return { ok: true };
}

/** How a child that sent no DONE record ended: "timed out …", "was killed by …", "exited …". */
function howChildEnded(raw: RawRun, opts: NativeRunOptions, timeoutMs: number): string {
  if (raw.forged) return 'sent a record that failed its check (forged or corrupted: docs/native-sandbox.md), so the run was stopped there and the child killed';
  if (raw.tooLong) return 'sent more than the parent keeps of one run (native/protocol.h kMaxStreamBytes) and was killed';
  if (raw.timedOut) return `timed out after ${timeoutMs} ms and was killed`;
  if (!raw.reaped) return 'was killed but had not exited within the bounded wait (it is reaped later)';
  if (raw.signal === null) return `exited with status ${raw.exitCode}`;
  const requested = raw.killedOnRequest && raw.signal === constants.signals.SIGKILL;
  return `was killed by ${signalName(raw.signal)}${requested ? ` (killAfterOp ${opts.killAfterOp})` : ''}`;
}


/** The addon's arguments for a plan, after the checks that this host can run it. */
function prepare(plan: Plan, opts: NativeRunOptions): { ops: NativeOp[]; killAfterOp: number; timeoutMs: number; addonOpts: AddonRunOptions } {
  const reason = nativeUnavailableReason();
  if (reason) throw new BackendUnavailable(reason);
  // poll(2) takes an int of milliseconds.
  const timeoutMs = Math.max(0, Math.min(Math.floor(opts.timeoutMs ?? 10_000), 0x7fffffff));
  const addonOpts = { garbageAfterOp: opts.garbageAfterOp ?? -1, allowCgroupDirs: opts.allowCgroupDirs ?? false };
  const slots = slotsOf(plan);
  return { ops: plan.ops.map((op, i) => marshal(op, opts, slots.of[i]!, slots)), killAfterOp: opts.killAfterOp ?? -1, timeoutMs, addonOpts };
}

/** The outcome of what the child reported, or why there is none. */
function outcomeOf(raw: RawRun, opts: NativeRunOptions, timeoutMs: number): Outcome {
  if (raw.setupFailure) {
    throw new BackendUnavailable(`the sandbox could not be set up: ${raw.setupFailure.step} failed with ${errnoOf(raw.setupFailure.errno)}`);
  }
  const how = raw.done && !raw.forged ? '' : howChildEnded(raw, opts, timeoutMs);
  const cut: OpResult = { ok: false, notRun: true, reason: `the sandbox child ${how} before reporting this op; no mountinfo was collected either` };
  const notRun = raw.stopped ? stoppedResult(raw.stopped.after) : cut;
  const results = raw.results.map((r): OpResult => (r ? opResult(r) : notRun));
  if (!raw.done || raw.forged) {
    if (results.every((r) => !('notRun' in r))) throw new NativeRunIncomplete(`the sandbox child ${how} after its last op, before reporting the mount tables`);
    return { backend: 'native', results, mountinfo: [], namespaces: [] };
  }
  const unread = raw.namespaces.findIndex((ns) => ns.errno !== 0);
  if (unread >= 0) throw new NativeRunIncomplete(`the mountinfo of namespace ${unread} could not be read (${errnoOf(raw.namespaces[unread]!.errno)})`);
  const namespaces = raw.namespaces.map((ns) => lines(decoder.decode(ns.text)));
  return { backend: 'native', results, mountinfo: namespaces[raw.current] ?? [], namespaces };
}

/**
 * Runs a plan on the host kernel in a throw-away sandbox (see the file header); the waiting
 * happens on a libuv worker thread, so the event loop goes on. Rejects with BackendUnavailable
 * (one-line reason) when this host cannot.
 *
 * @example
 * ```ts
 * const o = await runNative({ version: 1, ops: [{ op: 'mkdir', path: '/a' }, { op: 'readdir', path: '/' }] });
 * o.results; // [{ ok: true }, { ok: true, names: ['a'] }]
 * o.mountinfo; // ['84 64 0:39 / / rw,relatime - tmpfs none rw,mode=755']
 * ```
 */
export async function runNative(plan: Plan, opts: NativeRunOptions = {}): Promise<Outcome> {
  const { ops, killAfterOp, timeoutMs, addonOpts } = prepare(plan, opts);
  return outcomeOf(await loadAddon()!.runAsync(ops, killAfterOp, timeoutMs, addonOpts), opts, timeoutMs);
}

/** runNative, blocking the calling thread (and Node's event loop) until the child is reaped. */
export function runNativeSync(plan: Plan, opts: NativeRunOptions = {}): Outcome {
  const { ops, killAfterOp, timeoutMs, addonOpts } = prepare(plan, opts);
  return outcomeOf(loadAddon()!.run(ops, killAfterOp, timeoutMs, addonOpts), opts, timeoutMs);
}

/** The numbers the addon was compiled with, or null where it cannot load (test/native/protocol.test.ts). */
export function nativeProtocol(): NativeProtocol | null {
  return loadAddon()?.protocol() ?? null;
}

/** The addon's SipHash-2-4, for the test of its reference vectors; null where it cannot load. */
export function nativeSipHash24(key: Uint8Array, data: Uint8Array): bigint | null {
  return loadAddon()?.sipHash24(key, data) ?? null;
}

/** The native backend (DESIGN.md decision 8: the host's mount table is never touched). */
export class NativeBackend implements Backend {
  readonly name = 'native';
  run(plan: Plan): Outcome {
    return runNativeSync(plan);
  }
}
