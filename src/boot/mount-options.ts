/**
 * OCI mount options as container runtimes parse them: one table of every word a runtime gives a
 * meaning to, and the parser that splits a spec mount's `options` into mount(2) flags to set and
 * to clear, propagation changes applied after the mount, recursive attributes (mount_setattr with
 * AT_RECURSIVE), runtime extensions, id-mapping requests, and the rest, which becomes mount(2)'s
 * data string in the order given.
 *
 * Sources (the lists test/unit/boot-mount-options.test.ts holds the table against):
 * - runc: libcontainer/specconv/spec_linux.go, initMaps() (mountFlags, mountPropagationMapping,
 *   recAttrFlags, extensionFlags, complexFlags) and parseMountOptions(). A word whose flag is 0
 *   ("defaults") is not taken as a flag there and so goes to the data string, where a filesystem
 *   that does not know it fails with EINVAL (measured with runc 1.1.5: tmpfs "data: defaults:
 *   invalid argument").
 * - containerd: core/mount/mount_linux.go, parseMountOptions() (its flagsMap, "loop", and the
 *   "uidmap="/"gidmap=" prefixes), the parser containerd uses for the mounts it makes itself.
 *
 * `since` records the runc release that introduced a word where it matters to the runc profile,
 * which models runc 1.1 (the oracle in test/boot): later words are data strings to runc 1.1.
 */
import type { MountFlagName } from '../plan/plan.js';

/** MS_* bits (include/uapi/linux/mount.h). */
export const MS = {
  RDONLY: 1,
  NOSUID: 2,
  NODEV: 4,
  NOEXEC: 8,
  SYNCHRONOUS: 16,
  REMOUNT: 32,
  MANDLOCK: 64,
  DIRSYNC: 128,
  NOSYMFOLLOW: 256,
  NOATIME: 1024,
  NODIRATIME: 2048,
  BIND: 4096,
  MOVE: 8192,
  REC: 16384,
  SILENT: 32768,
  UNBINDABLE: 1 << 17,
  PRIVATE: 1 << 18,
  SLAVE: 1 << 19,
  SHARED: 1 << 20,
  RELATIME: 1 << 21,
  I_VERSION: 1 << 23,
  STRICTATIME: 1 << 24,
  LAZYTIME: 1 << 25,
} as const;

/** MOUNT_ATTR_* bits of mount_setattr(2). */
export const MOUNT_ATTR = {
  RDONLY: 0x1,
  NOSUID: 0x2,
  NODEV: 0x4,
  NOEXEC: 0x8,
  /** The atime field: RELATIME is 0 in it. */
  ATIME: 0x70,
  RELATIME: 0,
  NOATIME: 0x10,
  STRICTATIME: 0x20,
  NODIRATIME: 0x80,
  NOSYMFOLLOW: 0x200000,
} as const;

export type PropagationName = 'private' | 'shared' | 'slave' | 'unbindable';

export type MountOption =
  /** A mount(2) flag word: sets `flag`, or clears it when `clear`. A `flag` of 0 is no flag. */
  | { kind: 'flag'; flag: number; clear?: boolean }
  /** A propagation change, made by a separate mount(2) call after the mount. */
  | { kind: 'propagation'; type: PropagationName; recursive: boolean }
  /** mount_setattr(2) with AT_RECURSIVE after the mount: set or clear `attr`. */
  | { kind: 'recursive'; attr: number; clear?: boolean }
  /** runc's tmpcopyup: copy the directory's content into the new tmpfs. */
  | { kind: 'tmpcopyup' }
  /** An id-mapped mount (runc 1.2): of the mount alone, or `recursive` of every submount. */
  | { kind: 'idmap'; recursive: boolean }
  /** containerd: set up a loop device over the source and mount that. */
  | { kind: 'loop' }
  /** containerd: `uidmap=`/`gidmap=` (a prefix: the value follows). */
  | { kind: 'idmapping'; ids: 'uid' | 'gid' };

export interface MountOptionEntry {
  /** The word, or for `idmapping` the prefix without its `=`. */
  name: string;
  option: MountOption;
  /** runc's release that knows the word (absent: runc does not). */
  runc?: string;
  /** containerd's parser knows it. */
  containerd?: boolean;
}

const flag = (name: string, bit: number, clear: boolean, runc: string | undefined, containerd: boolean): MountOptionEntry => ({
  name,
  option: { kind: 'flag', flag: bit, ...(clear ? { clear: true } : {}) },
  ...(runc ? { runc } : {}),
  ...(containerd ? { containerd: true } : {}),
});
const prop = (name: string, type: PropagationName, recursive: boolean): MountOptionEntry => ({ name, option: { kind: 'propagation', type, recursive }, runc: '1.0' });
const rec = (name: string, attr: number, clear = false): MountOptionEntry => ({ name, option: { kind: 'recursive', attr, ...(clear ? { clear: true } : {}) }, runc: '1.1' });

/** The table: every option word runc or containerd gives a meaning to. */
export const MOUNT_OPTIONS: readonly MountOptionEntry[] = [
  flag('async', MS.SYNCHRONOUS, true, '1.0', true),
  flag('atime', MS.NOATIME, true, '1.0', true),
  flag('bind', MS.BIND, false, '1.0', true),
  // A flag of 0: neither runtime takes it as a flag, so it reaches the data string.
  flag('defaults', 0, false, '1.0', true),
  flag('dev', MS.NODEV, true, '1.0', true),
  flag('diratime', MS.NODIRATIME, true, '1.0', true),
  flag('dirsync', MS.DIRSYNC, false, '1.0', true),
  flag('exec', MS.NOEXEC, true, '1.0', true),
  flag('iversion', MS.I_VERSION, false, '1.0', false),
  flag('lazytime', MS.LAZYTIME, false, '1.0', false),
  flag('loud', MS.SILENT, true, '1.0', false),
  flag('mand', MS.MANDLOCK, false, '1.0', true),
  flag('noatime', MS.NOATIME, false, '1.0', true),
  flag('nodev', MS.NODEV, false, '1.0', true),
  flag('nodiratime', MS.NODIRATIME, false, '1.0', true),
  flag('noexec', MS.NOEXEC, false, '1.0', true),
  flag('noiversion', MS.I_VERSION, true, '1.0', false),
  flag('nolazytime', MS.LAZYTIME, true, '1.0', false),
  flag('nomand', MS.MANDLOCK, true, '1.0', true),
  flag('norelatime', MS.RELATIME, true, '1.0', true),
  flag('nostrictatime', MS.STRICTATIME, true, '1.0', true),
  flag('nosuid', MS.NOSUID, false, '1.0', true),
  flag('nosymfollow', MS.NOSYMFOLLOW, false, '1.1', false),
  flag('rbind', MS.BIND | MS.REC, false, '1.0', true),
  flag('relatime', MS.RELATIME, false, '1.0', true),
  flag('remount', MS.REMOUNT, false, '1.0', true),
  flag('ro', MS.RDONLY, false, '1.0', true),
  flag('rw', MS.RDONLY, true, '1.0', true),
  flag('silent', MS.SILENT, false, '1.0', false),
  flag('strictatime', MS.STRICTATIME, false, '1.0', true),
  flag('suid', MS.NOSUID, true, '1.0', true),
  flag('symfollow', MS.NOSYMFOLLOW, true, '1.1', false),
  flag('sync', MS.SYNCHRONOUS, false, '1.0', true),
  prop('private', 'private', false),
  prop('rprivate', 'private', true),
  prop('shared', 'shared', false),
  prop('rshared', 'shared', true),
  prop('slave', 'slave', false),
  prop('rslave', 'slave', true),
  prop('unbindable', 'unbindable', false),
  prop('runbindable', 'unbindable', true),
  rec('rro', MOUNT_ATTR.RDONLY),
  rec('rrw', MOUNT_ATTR.RDONLY, true),
  rec('rnosuid', MOUNT_ATTR.NOSUID),
  rec('rsuid', MOUNT_ATTR.NOSUID, true),
  rec('rnodev', MOUNT_ATTR.NODEV),
  rec('rdev', MOUNT_ATTR.NODEV, true),
  rec('rnoexec', MOUNT_ATTR.NOEXEC),
  rec('rexec', MOUNT_ATTR.NOEXEC, true),
  rec('rnodiratime', MOUNT_ATTR.NODIRATIME),
  rec('rdiratime', MOUNT_ATTR.NODIRATIME, true),
  rec('rrelatime', MOUNT_ATTR.RELATIME),
  rec('rnorelatime', MOUNT_ATTR.RELATIME, true),
  rec('rnoatime', MOUNT_ATTR.NOATIME),
  rec('ratime', MOUNT_ATTR.NOATIME, true),
  rec('rstrictatime', MOUNT_ATTR.STRICTATIME),
  rec('rnostrictatime', MOUNT_ATTR.STRICTATIME, true),
  rec('rnosymfollow', MOUNT_ATTR.NOSYMFOLLOW),
  rec('rsymfollow', MOUNT_ATTR.NOSYMFOLLOW, true),
  { name: 'tmpcopyup', option: { kind: 'tmpcopyup' }, runc: '1.0' },
  { name: 'idmap', option: { kind: 'idmap', recursive: false }, runc: '1.2' },
  { name: 'ridmap', option: { kind: 'idmap', recursive: true }, runc: '1.2' },
  { name: 'loop', option: { kind: 'loop' }, containerd: true },
  { name: 'uidmap', option: { kind: 'idmapping', ids: 'uid' }, containerd: true },
  { name: 'gidmap', option: { kind: 'idmapping', ids: 'gid' }, containerd: true },
];

const BY_NAME = new Map(MOUNT_OPTIONS.map((e) => [e.name, e]));

/** What a list of options means to a runtime. */
export interface ParsedMountOptions {
  /** MS_* bits to pass to mount(2). */
  flags: number;
  /** MS_* bits a clearing word asked to be off (runc 1.2's ClearedFlags). */
  cleared: number;
  /** Propagation changes in the order given, each one mount(2) call after the mount. */
  propagation: { type: PropagationName; recursive: boolean }[];
  /** mount_setattr(AT_RECURSIVE) bits, when a recursive word was given. */
  recursive: { set: number; clear: number } | null;
  tmpcopyup: boolean;
  idmap: { recursive: boolean } | null;
  loop: boolean;
  uidmap?: string;
  gidmap?: string;
  /** The data string: every other word, comma-joined in order. */
  data: string;
  /** Words taken literally that a newer runtime would have read as options (for warnings). */
  unknownToRuntime: string[];
}

export type Runtime = 'runc' | 'containerd';

/** Compares dotted release numbers: is `have` at least `need`? */
function atLeast(have: string, need: string): boolean {
  const a = have.split('.').map(Number);
  const b = need.split('.').map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}

function knows(e: MountOptionEntry, runtime: Runtime, version: string): boolean {
  return runtime === 'runc' ? e.runc !== undefined && atLeast(version, e.runc) : e.containerd === true;
}

/**
 * Parses a spec mount's options as `runtime` (at `version`, for runc) does.
 *
 * @example
 * ```ts
 * const o = parseMountOptions(['rbind', 'ro', 'rprivate', 'mode=755'], 'runc');
 * o.flags === (MS.BIND | MS.REC | MS.RDONLY); // true
 * o.propagation; // [{ type: 'private', recursive: true }]
 * o.data; // 'mode=755'
 * ```
 */
export function parseMountOptions(options: readonly string[], runtime: Runtime = 'runc', version = '1.1'): ParsedMountOptions {
  const out: ParsedMountOptions = { flags: 0, cleared: 0, propagation: [], recursive: null, tmpcopyup: false, idmap: null, loop: false, data: '', unknownToRuntime: [] };
  const data: string[] = [];
  for (const word of options) {
    const eq = word.indexOf('=');
    let e = BY_NAME.get(word);
    // uidmap=/gidmap= are prefixes; the bare words mean nothing.
    if (e?.option.kind === 'idmapping') e = undefined;
    if (!e && eq > 0) {
      const p = BY_NAME.get(word.slice(0, eq));
      if (p?.option.kind === 'idmapping') e = p;
    }
    if (!e) {
      data.push(word);
      continue;
    }
    if (!knows(e, runtime, version)) {
      out.unknownToRuntime.push(word);
      data.push(word);
      continue;
    }
    const o = e.option;
    switch (o.kind) {
      case 'flag':
        // Both parsers test `exists && flag != 0`: a zero flag falls through to the data string.
        if (o.flag === 0) {
          data.push(word);
        } else if (o.clear) {
          out.flags &= ~o.flag;
          out.cleared |= o.flag;
        } else {
          out.flags |= o.flag;
          out.cleared &= ~o.flag;
        }
        break;
      case 'propagation':
        out.propagation.push({ type: o.type, recursive: o.recursive });
        break;
      case 'recursive': {
        const r = (out.recursive ??= { set: 0, clear: 0 });
        if (o.clear) {
          r.clear |= o.attr;
          r.set &= ~o.attr;
        } else {
          r.set |= o.attr;
          r.clear &= ~o.attr;
          // An atime value needs the whole atime field cleared too (mount_setattr(2)).
          if ((o.attr & MOUNT_ATTR.ATIME) === o.attr) r.clear |= MOUNT_ATTR.ATIME;
        }
        break;
      }
      case 'tmpcopyup':
        out.tmpcopyup = true;
        break;
      case 'idmap':
        out.idmap = { recursive: o.recursive };
        break;
      case 'loop':
        out.loop = true;
        break;
      case 'idmapping':
        if (o.ids === 'uid') out.uidmap = word.slice(eq + 1);
        else out.gidmap = word.slice(eq + 1);
        break;
    }
  }
  out.data = data.join(',');
  return out;
}

/** MS_* bit of each plan flag name (docs/plan-format.md). */
const PLAN_FLAG_BITS: [MountFlagName, number][] = [
  ['rdonly', MS.RDONLY], ['nosuid', MS.NOSUID], ['nodev', MS.NODEV], ['noexec', MS.NOEXEC],
  ['synchronous', MS.SYNCHRONOUS], ['remount', MS.REMOUNT], ['mandlock', MS.MANDLOCK],
  ['dirsync', MS.DIRSYNC], ['noatime', MS.NOATIME], ['nodiratime', MS.NODIRATIME], ['bind', MS.BIND],
  ['move', MS.MOVE], ['rec', MS.REC], ['silent', MS.SILENT], ['unbindable', MS.UNBINDABLE],
  ['private', MS.PRIVATE], ['slave', MS.SLAVE], ['shared', MS.SHARED], ['relatime', MS.RELATIME],
  ['strictatime', MS.STRICTATIME], ['lazytime', MS.LAZYTIME],
];

/**
 * MS_* bits as plan flag names; bits plan format v1 has no name for (MS_NOSYMFOLLOW,
 * MS_I_VERSION) come back in `dropped`.
 *
 * @example
 * ```ts
 * planFlags(MS.BIND | MS.REC); // { flags: ['bind', 'rec'], dropped: [] }
 * ```
 */
export function planFlags(bits: number): { flags: MountFlagName[]; dropped: string[] } {
  const flags: MountFlagName[] = [];
  let rest = bits;
  for (const [name, bit] of PLAN_FLAG_BITS) {
    if (bits & bit) {
      flags.push(name);
      rest &= ~bit;
    }
  }
  const dropped: string[] = [];
  if (rest & MS.NOSYMFOLLOW) dropped.push('nosymfollow');
  if (rest & MS.I_VERSION) dropped.push('iversion');
  return { flags, dropped };
}

/** The MS_* bits of a propagation change. */
export function propagationBits(p: { type: PropagationName; recursive: boolean }): number {
  const type = { private: MS.PRIVATE, shared: MS.SHARED, slave: MS.SLAVE, unbindable: MS.UNBINDABLE }[p.type];
  return type | (p.recursive ? MS.REC : 0);
}
