/**
 * Mount plans, format version 1 (docs/plan-format.md): the types and the validation that turns
 * untrusted JSON into a `Plan` or a `PlanError` naming the op index and field at fault.
 */
import { Cap, type CapName } from '../vfs/creds.js';

export const MOUNT_FLAG_NAMES = [
  'rdonly', 'nosuid', 'nodev', 'noexec', 'synchronous', 'remount', 'mandlock', 'dirsync', 'noatime',
  'nodiratime', 'bind', 'move', 'rec', 'silent', 'unbindable', 'private', 'slave', 'shared',
  'relatime', 'strictatime', 'lazytime',
] as const;
export type MountFlagName = (typeof MOUNT_FLAG_NAMES)[number];

export const UMOUNT_FLAG_NAMES = ['force', 'detach', 'expire', 'nofollow'] as const;
export type UmountFlagName = (typeof UMOUNT_FLAG_NAMES)[number];

export const RENAME_FLAG_NAMES = ['noreplace', 'exchange'] as const;

/**
 * `unshare`'s namespaces (docs/plan-format.md), by their /proc/PID/ns names: `mnt` is
 * CLONE_NEWNS, `net` CLONE_NEWNET, `user` CLONE_NEWUSER, `ipc` CLONE_NEWIPC, `pid` CLONE_NEWPID
 * (after which the plan goes on in a child forked as the new namespace's first task). Without
 * `flags` an unshare is `["mnt"]`.
 */
export const UNSHARE_FLAG_NAMES = ['mnt', 'net', 'user', 'ipc', 'pid'] as const;
export type UnshareFlagName = (typeof UNSHARE_FLAG_NAMES)[number];

/**
 * One line of a uid_map or gid_map (user_namespaces(7)): `count` ids from `inside` (in the new
 * namespace) map to `outside` on (in its parent). A map holds at most the kernel's 340 extents
 * (UID_GID_MAP_MAX_EXTENTS); whether it is valid otherwise (overlaps, a count of 0) is the
 * kernel's to say, with its errno.
 */
export type IdMapExtent = [inside: number, outside: number, count: number];
export const MAX_ID_MAP_EXTENTS = 340;

/** What `setgroups` writes to /proc/PID/setgroups before the maps. */
export const SETGROUPS_NAMES = ['allow', 'deny'] as const;
export type SetgroupsName = (typeof SETGROUPS_NAMES)[number];

/** open_tree(2)'s flags: OPEN_TREE_CLONE, AT_RECURSIVE, AT_SYMLINK_NOFOLLOW. */
export const OPEN_TREE_FLAG_NAMES = ['clone', 'recursive', 'nofollow'] as const;
export type OpenTreeFlagName = (typeof OPEN_TREE_FLAG_NAMES)[number];

/** mount_setattr(2)'s lookup flags: AT_RECURSIVE, AT_SYMLINK_NOFOLLOW. */
export const MOUNT_SETATTR_FLAG_NAMES = ['recursive', 'nofollow'] as const;
export type MountSetattrFlagName = (typeof MOUNT_SETATTR_FLAG_NAMES)[number];

/**
 * struct mount_attr's attr_set/attr_clr bits, MOUNT_ATTR_* in lower case: `atime` is
 * MOUNT_ATTR__ATIME, the mask of the three atime values (`relatime` is 0, `noatime`,
 * `strictatime`), which attr_clr must hold to change them.
 */
export const MOUNT_ATTR_NAMES = ['rdonly', 'nosuid', 'nodev', 'noexec', 'atime', 'relatime', 'noatime', 'strictatime', 'nodiratime', 'idmap', 'nosymfollow'] as const;
export type MountAttrName = (typeof MOUNT_ATTR_NAMES)[number];

/** struct mount_attr's propagation: MS_UNBINDABLE, MS_PRIVATE, MS_SLAVE, MS_SHARED (one at most, or EINVAL). */
export const PROPAGATION_NAMES = ['unbindable', 'private', 'slave', 'shared'] as const;
export type PropagationName = (typeof PROPAGATION_NAMES)[number];

/** `mknod`'s node types (S_IFCHR, S_IFBLK, S_IFIFO, S_IFREG, S_IFSOCK). */
export const MKNOD_TYPE_NAMES = ['char', 'block', 'fifo', 'file', 'socket'] as const;
export type MknodTypeName = (typeof MKNOD_TYPE_NAMES)[number];
export type RenameFlagName = (typeof RENAME_FLAG_NAMES)[number];

/** Capability names for `setcred`: capabilities(7) in lower case without `CAP_`. */
export const CAP_NAMES = Object.keys(Cap).map((n) => n.toLowerCase()) as Lowercase<CapName>[];
export type CapFlagName = Lowercase<CapName>;

export type PlanOp =
  | { op: 'mkdir'; path: string; mode?: number }
  | { op: 'write'; path: string; data: string; mode?: number }
  | { op: 'symlink'; target: string; path: string }
  | { op: 'link'; oldpath: string; newpath: string }
  | { op: 'unlink'; path: string }
  | { op: 'rmdir'; path: string }
  | { op: 'rename'; oldpath: string; newpath: string; flags?: RenameFlagName[] }
  | { op: 'chmod'; path: string; mode: number }
  | { op: 'chown'; path: string; uid: number; gid: number }
  | { op: 'truncate'; path: string; length: number }
  | { op: 'mount'; source: string; target: string; fstype: string; flags: MountFlagName[]; data?: string; fsconfig?: boolean }
  | { op: 'umount'; target: string; flags?: UmountFlagName[] }
  | { op: 'unshare'; flags?: UnshareFlagName[]; uidMap?: IdMapExtent[]; gidMap?: IdMapExtent[]; setgroups?: SetgroupsName }
  | { op: 'setns'; ns: number }
  | { op: 'stat'; path: string; nofollow?: boolean }
  | { op: 'read'; path: string }
  | { op: 'readdir'; path: string }
  | { op: 'setcred'; uid: number; gid: number; groups?: number[]; caps?: CapFlagName[] }
  | { op: 'mknod'; path: string; type: MknodTypeName; mode?: number; major?: number; minor?: number }
  | { op: 'pivot_root'; new_root: string; put_old: string }
  | { op: 'openpty'; path: string }
  | { op: 'userns'; uidMap?: IdMapExtent[]; gidMap?: IdMapExtent[]; setgroups?: SetgroupsName }
  | { op: 'open_tree'; path: string; flags?: OpenTreeFlagName[] }
  | {
      op: 'mount_setattr';
      path?: string;
      tree?: number;
      flags?: MountSetattrFlagName[];
      attrSet?: MountAttrName[];
      attrClr?: MountAttrName[];
      propagation?: PropagationName[];
      userns?: number;
    }
  | { op: 'move_mount'; from?: string; tree?: number; to: string };

export type OpName = PlanOp['op'];

export interface Plan {
  version: 1;
  ops: PlanOp[];
}

/** A malformed plan: `where` is the JSON location (`ops[3].mode`), `message` what is wrong. */
export class PlanError extends Error {
  constructor(
    readonly where: string,
    readonly problem: string,
  ) {
    super(`${where}: ${problem}`);
    this.name = 'PlanError';
  }
}

type FieldKind =
  | 'path' | 'string' | 'mode' | 'id' | 'ids' | 'length' | 'bool' | 'index' | 'mountFlags' | 'umountFlags' | 'renameFlags' | 'unshareFlags' | 'caps' | 'nodeType' | 'devnum'
  | 'idMap' | 'setgroups' | 'tree' | 'userns' | 'openTreeFlags' | 'setattrFlags' | 'mountAttrs' | 'propagation';
interface FieldSpec {
  kind: FieldKind;
  optional?: boolean;
}

const f = (kind: FieldKind, optional = false): FieldSpec => ({ kind, optional });

/** Every op and its fields: the one table validation, docs and arbitraries read. */
export const OP_FIELDS: Record<OpName, Record<string, FieldSpec>> = {
  mkdir: { path: f('path'), mode: f('mode', true) },
  write: { path: f('path'), data: f('string'), mode: f('mode', true) },
  symlink: { target: f('string'), path: f('path') },
  link: { oldpath: f('path'), newpath: f('path') },
  unlink: { path: f('path') },
  rmdir: { path: f('path') },
  rename: { oldpath: f('path'), newpath: f('path'), flags: f('renameFlags', true) },
  chmod: { path: f('path'), mode: f('mode') },
  chown: { path: f('path'), uid: f('id'), gid: f('id') },
  truncate: { path: f('path'), length: f('length') },
  mount: { source: f('string'), target: f('path'), fstype: f('string'), flags: f('mountFlags'), data: f('string', true), fsconfig: f('bool', true) },
  umount: { target: f('path'), flags: f('umountFlags', true) },
  // `flags` (docs/plan-format.md): which namespaces, default mnt; with `user`, the maps a
  // process left in the parent namespace writes.
  unshare: { flags: f('unshareFlags', true), uidMap: f('idMap', true), gidMap: f('idMap', true), setgroups: f('setgroups', true) },
  setns: { ns: f('index') },
  stat: { path: f('path'), nofollow: f('bool', true) },
  read: { path: f('path') },
  readdir: { path: f('path') },
  setcred: { uid: f('id'), gid: f('id'), groups: f('ids', true), caps: f('caps', true) },
  // Device nodes for a container's /dev, the pivot into its root, and its console.
  mknod: { path: f('path'), type: f('nodeType'), mode: f('mode', true), major: f('devnum', true), minor: f('devnum', true) },
  pivot_root: { new_root: f('path'), put_old: f('path') },
  // A pseudo-terminal kept open to the plan's end: runc's console (process.terminal).
  openpty: { path: f('path') },
  // User namespaces as descriptors and the new mount API's tree calls (docs/plan-format.md).
  userns: { uidMap: f('idMap', true), gidMap: f('idMap', true), setgroups: f('setgroups', true) },
  open_tree: { path: f('path'), flags: f('openTreeFlags', true) },
  mount_setattr: {
    path: f('path', true),
    tree: f('tree', true),
    flags: f('setattrFlags', true),
    attrSet: f('mountAttrs', true),
    attrClr: f('mountAttrs', true),
    propagation: f('propagation', true),
    userns: f('userns', true),
  },
  move_mount: { from: f('path', true), tree: f('tree', true), to: f('path') },
};

/**
 * Fields of which an op takes exactly one (the mount a call acts on: a path, or a tree index),
 * and fields an op takes only with another's value (a map only for a new user namespace).
 */
const ONE_OF: Partial<Record<OpName, readonly [string, string]>> = { mount_setattr: ['path', 'tree'], move_mount: ['from', 'tree'] };
const USER_ONLY = ['uidMap', 'gidMap', 'setgroups'];

/**
 * Whether `op` makes a user namespace that takes the next user-namespace index (docs/plan-format.md
 * "User namespaces"): a `userns` op, or an `unshare` whose flags name `user`.
 */
export function makesUserns(op: PlanOp): boolean {
  return op.op === 'userns' || (op.op === 'unshare' && (op.flags ?? []).includes('user'));
}

/**
 * The text a uid_map or gid_map write of `map` is: one `inside outside count` line an extent, as
 * a runtime writes it (both backends write exactly these bytes).
 *
 * @example
 * ```ts
 * idMapText([[0, 100000, 65536]]); // '0 100000 65536\n'
 * ```
 */
export function idMapText(map: readonly IdMapExtent[]): string {
  return map.map(([inside, outside, count]) => `${inside} ${outside} ${count}\n`).join('');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkFlags(where: string, v: unknown, allowed: readonly string[]): void {
  if (!Array.isArray(v)) throw new PlanError(where, 'expected an array of flag names');
  v.forEach((x, i) => {
    if (typeof x !== 'string' || !allowed.includes(x)) {
      throw new PlanError(`${where}[${i}]`, `unknown flag ${JSON.stringify(x)}; expected one of ${allowed.join(', ')}`);
    }
  });
}

function checkField(where: string, v: unknown, kind: FieldKind): void {
  switch (kind) {
    case 'path':
      if (typeof v !== 'string') throw new PlanError(where, 'expected a string');
      if (!v.startsWith('/')) throw new PlanError(where, `must be an absolute path, got ${JSON.stringify(v)}`);
      if (v.includes('\0')) throw new PlanError(where, 'must not contain a NUL byte');
      return;
    case 'string':
      if (typeof v !== 'string') throw new PlanError(where, 'expected a string');
      if (v.includes('\0')) throw new PlanError(where, 'must not contain a NUL byte');
      return;
    case 'mode':
      if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 0o7777) throw new PlanError(where, 'expected an integer permission mode between 0 and 4095 (0o7777)');
      return;
    case 'id':
      if (!Number.isInteger(v) || (v as number) < -1 || (v as number) > 0xffffffff) throw new PlanError(where, 'expected an integer id (-1 leaves it unchanged)');
      return;
    case 'ids':
      if (!Array.isArray(v)) throw new PlanError(where, 'expected an array of ids');
      v.forEach((x, i) => checkField(`${where}[${i}]`, x, 'id'));
      return;
    case 'length':
      if (typeof v !== 'number' || !Number.isInteger(v)) throw new PlanError(where, `expected an integer length, got ${JSON.stringify(v)}`);
      // off_t is 64 bits, but a JSON number is exact only to 2^53: a longer length would not be
      // the length the plan's author wrote. Negative lengths stay (truncate(2): EINVAL).
      if (!Number.isSafeInteger(v)) throw new PlanError(where, `length ${v} out of range: from -${Number.MAX_SAFE_INTEGER} to ${Number.MAX_SAFE_INTEGER}`);
      return;
    case 'bool':
      if (typeof v !== 'boolean') throw new PlanError(where, 'expected true or false');
      return;
    case 'index':
      if (!Number.isInteger(v) || (v as number) < 0) throw new PlanError(where, 'expected a namespace index (0, 1, …)');
      return;
    case 'mountFlags':
      return checkFlags(where, v, MOUNT_FLAG_NAMES);
    case 'umountFlags':
      return checkFlags(where, v, UMOUNT_FLAG_NAMES);
    case 'renameFlags':
      return checkFlags(where, v, RENAME_FLAG_NAMES);
    case 'unshareFlags':
      return checkFlags(where, v, UNSHARE_FLAG_NAMES);
    case 'caps':
      return checkFlags(where, v, CAP_NAMES);
    case 'nodeType':
      if (typeof v !== 'string' || !(MKNOD_TYPE_NAMES as readonly string[]).includes(v)) throw new PlanError(where, `expected one of ${MKNOD_TYPE_NAMES.join(', ')}`);
      return;
    case 'devnum':
      // new_encode_dev(): a 12-bit major, a 20-bit minor.
      if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 0xfffff) throw new PlanError(where, 'expected a device number between 0 and 1048575');
      return;
    case 'idMap':
      if (!Array.isArray(v)) throw new PlanError(where, 'expected an array of [inside, outside, count] extents');
      if (v.length > MAX_ID_MAP_EXTENTS) throw new PlanError(where, `${v.length} extents; a map holds at most ${MAX_ID_MAP_EXTENTS} (UID_GID_MAP_MAX_EXTENTS)`);
      v.forEach((e, i) => {
        if (!Array.isArray(e) || e.length !== 3 || !e.every((x) => Number.isInteger(x) && x >= 0 && x <= 0xffffffff)) {
          throw new PlanError(`${where}[${i}]`, 'expected [inside, outside, count], three integers from 0 to 4294967295');
        }
      });
      return;
    case 'setgroups':
      if (typeof v !== 'string' || !(SETGROUPS_NAMES as readonly string[]).includes(v)) throw new PlanError(where, `expected one of ${SETGROUPS_NAMES.join(', ')}`);
      return;
    case 'tree':
      if (!Number.isInteger(v) || (v as number) < 0) throw new PlanError(where, 'expected a tree index (0 for the first open_tree, 1, …)');
      return;
    case 'userns':
      if (!Number.isInteger(v) || (v as number) < 0) throw new PlanError(where, 'expected a user namespace index (0, 1, …)');
      return;
    case 'openTreeFlags':
      return checkFlags(where, v, OPEN_TREE_FLAG_NAMES);
    case 'setattrFlags':
      return checkFlags(where, v, MOUNT_SETATTR_FLAG_NAMES);
    case 'mountAttrs':
      return checkFlags(where, v, MOUNT_ATTR_NAMES);
    case 'propagation':
      return checkFlags(where, v, PROPAGATION_NAMES);
  }
}

/**
 * Validates untrusted JSON as a version-1 plan.
 *
 * @example
 * ```ts
 * validatePlan({ version: 1, ops: [{ op: 'mkdir', path: '/a' }] }); // the plan
 * validatePlan({ version: 1, ops: [{ op: 'mkdir' }] }); // throws PlanError "ops[0].path: missing"
 * ```
 */
export function validatePlan(doc: unknown): Plan {
  if (!isObject(doc)) throw new PlanError('(plan)', 'expected a JSON object with "version" and "ops"');
  if (doc.version === undefined) throw new PlanError('version', 'missing: a plan says which format it follows, "version": 1 (docs/plan-format.md)');
  if (doc.version !== 1) throw new PlanError('version', `unsupported plan version ${JSON.stringify(doc.version)}; this build reads version 1`);
  if (!Array.isArray(doc.ops)) throw new PlanError('ops', 'expected an array of ops');
  doc.ops.forEach((op, i) => {
    const at = `ops[${i}]`;
    if (!isObject(op)) throw new PlanError(at, 'expected an object');
    if (typeof op.op !== 'string' || !Object.prototype.hasOwnProperty.call(OP_FIELDS, op.op)) {
      throw new PlanError(`${at}.op`, `unknown op ${JSON.stringify(op.op)}; expected one of ${Object.keys(OP_FIELDS).join(', ')}`);
    }
    const fields = OP_FIELDS[op.op as OpName];
    for (const [name, spec] of Object.entries(fields)) {
      if (op[name] === undefined) {
        if (!spec.optional) throw new PlanError(`${at}.${name}`, `missing (required by ${op.op})`);
        continue;
      }
      checkField(`${at}.${name}`, op[name], spec.kind);
    }
    for (const name of Object.keys(op)) {
      if (name !== 'op' && !(name in fields)) throw new PlanError(`${at}.${name}`, `unknown field for ${op.op}`);
    }
    const oneOf = ONE_OF[op.op as OpName];
    if (oneOf) {
      const [a, b] = oneOf;
      if (op[a] === undefined && op[b] === undefined) throw new PlanError(`${at}.${a}`, `missing (${op.op} takes "${a}" or "${b}")`);
      if (op[a] !== undefined && op[b] !== undefined) throw new PlanError(`${at}.${b}`, `${op.op} takes "${a}" or "${b}", not both`);
    }
    if (op.op === 'unshare' && !(Array.isArray(op.flags) && op.flags.includes('user'))) {
      const name = USER_ONLY.find((n) => op[n] !== undefined);
      if (name) throw new PlanError(`${at}.${name}`, 'only with "user" in flags: it is written for the new user namespace');
    }
  });
  return doc as unknown as Plan;
}

/**
 * The largest plan text read (bytes of UTF-8, or UTF-16 code units of a string): a plan is a
 * script of syscalls, and 64 MiB holds over a million ops; past that the input is not a plan
 * anyone wrote, and reading it whole would only cost memory.
 */
export const MAX_PLAN_BYTES = 64 * 1024 * 1024;

/** The error for a plan past MAX_PLAN_BYTES (parsePlan's, and a reader's that stops early). */
export function planTooLarge(): PlanError {
  return new PlanError('(plan)', `too large: more than ${MAX_PLAN_BYTES} bytes (64 MiB), the most a plan may hold`);
}

/** Parses plan text; JSON syntax errors and oversized text become a PlanError too. */
export function parsePlan(text: string): Plan {
  if (text.length > MAX_PLAN_BYTES) throw planTooLarge();
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new PlanError('(plan)', `not valid JSON: ${(e as Error).message}`);
  }
  return validatePlan(doc);
}
