/**
 * The mount option table against the runtimes' own lists, and the parser's rules.
 *
 * The lists below are the runtimes' words, as their sources had them when this was written:
 * - runc: libcontainer/specconv/spec_linux.go, initMaps(): the keys of mountFlags,
 *   mountPropagationMapping, recAttrFlags, extensionFlags and complexFlags (opencontainers/runc
 *   at 7d84a128). runc 1.1 (Debian 12's, the oracle) has all but idmap and ridmap.
 * - containerd: core/mount/mount_linux.go, parseMountOptions(): the keys of flagsMap, "loop",
 *   and the "uidmap="/"gidmap=" prefixes (containerd/containerd at 87b773ef).
 */
import { describe, expect, it } from 'vitest';
import { MOUNT_OPTIONS, MS, MOUNT_ATTR, parseMountOptions, planFlags } from '../../src/boot/mount-options.js';

const RUNC_MOUNT_FLAGS = {
  async: [true, MS.SYNCHRONOUS], atime: [true, MS.NOATIME], bind: [false, MS.BIND], defaults: [false, 0],
  dev: [true, MS.NODEV], diratime: [true, MS.NODIRATIME], dirsync: [false, MS.DIRSYNC], exec: [true, MS.NOEXEC],
  iversion: [false, MS.I_VERSION], lazytime: [false, MS.LAZYTIME], loud: [true, MS.SILENT], mand: [false, MS.MANDLOCK],
  noatime: [false, MS.NOATIME], nodev: [false, MS.NODEV], nodiratime: [false, MS.NODIRATIME], noexec: [false, MS.NOEXEC],
  noiversion: [true, MS.I_VERSION], nolazytime: [true, MS.LAZYTIME], nomand: [true, MS.MANDLOCK], norelatime: [true, MS.RELATIME],
  nostrictatime: [true, MS.STRICTATIME], nosuid: [false, MS.NOSUID], nosymfollow: [false, MS.NOSYMFOLLOW],
  rbind: [false, MS.BIND | MS.REC], relatime: [false, MS.RELATIME], remount: [false, MS.REMOUNT], ro: [false, MS.RDONLY],
  rw: [true, MS.RDONLY], silent: [false, MS.SILENT], strictatime: [false, MS.STRICTATIME], suid: [true, MS.NOSUID],
  sync: [false, MS.SYNCHRONOUS], symfollow: [true, MS.NOSYMFOLLOW],
} as const;
const RUNC_PROPAGATION = ['rprivate', 'private', 'rslave', 'slave', 'rshared', 'shared', 'runbindable', 'unbindable'];
const RUNC_REC_ATTR = ['rro', 'rrw', 'rnosuid', 'rsuid', 'rnodev', 'rdev', 'rnoexec', 'rexec', 'rnodiratime', 'rdiratime', 'rrelatime', 'rnorelatime', 'rnoatime', 'ratime', 'rstrictatime', 'rnostrictatime', 'rnosymfollow', 'rsymfollow'];
const RUNC_EXTENSIONS = ['tmpcopyup'];
const RUNC_COMPLEX = ['idmap', 'ridmap'];
const CONTAINERD_FLAGS = {
  async: [true, MS.SYNCHRONOUS], atime: [true, MS.NOATIME], bind: [false, MS.BIND], defaults: [false, 0],
  dev: [true, MS.NODEV], diratime: [true, MS.NODIRATIME], dirsync: [false, MS.DIRSYNC], exec: [true, MS.NOEXEC],
  mand: [false, MS.MANDLOCK], noatime: [false, MS.NOATIME], nodev: [false, MS.NODEV], nodiratime: [false, MS.NODIRATIME],
  noexec: [false, MS.NOEXEC], nomand: [true, MS.MANDLOCK], norelatime: [true, MS.RELATIME], nostrictatime: [true, MS.STRICTATIME],
  nosuid: [false, MS.NOSUID], rbind: [false, MS.BIND | MS.REC], relatime: [false, MS.RELATIME], remount: [false, MS.REMOUNT],
  ro: [false, MS.RDONLY], rw: [true, MS.RDONLY], strictatime: [false, MS.STRICTATIME], suid: [true, MS.NOSUID], sync: [false, MS.SYNCHRONOUS],
} as const;
const CONTAINERD_OTHER = ['loop', 'uidmap', 'gidmap'];

const names = (f: (e: (typeof MOUNT_OPTIONS)[number]) => boolean) => MOUNT_OPTIONS.filter(f).map((e) => e.name).sort();

describe('the option table', () => {
  it("holds runc's words, and only those, with runc's meanings", () => {
    expect(names((e) => e.runc !== undefined)).toEqual([...Object.keys(RUNC_MOUNT_FLAGS), ...RUNC_PROPAGATION, ...RUNC_REC_ATTR, ...RUNC_EXTENSIONS, ...RUNC_COMPLEX].sort());
    for (const [name, [clear, flag]] of Object.entries(RUNC_MOUNT_FLAGS)) {
      const e = MOUNT_OPTIONS.find((x) => x.name === name)!;
      expect(e.option, name).toEqual({ kind: 'flag', flag, ...(clear ? { clear: true } : {}) });
    }
  });

  it("holds containerd's words, and only those, with containerd's meanings", () => {
    expect(names((e) => e.containerd === true)).toEqual([...Object.keys(CONTAINERD_FLAGS), ...CONTAINERD_OTHER].sort());
    for (const [name, [clear, flag]] of Object.entries(CONTAINERD_FLAGS)) {
      expect(MOUNT_OPTIONS.find((x) => x.name === name)!.option, name).toEqual({ kind: 'flag', flag, ...(clear ? { clear: true } : {}) });
    }
  });

  it('has each word once', () => {
    expect(new Set(MOUNT_OPTIONS.map((e) => e.name)).size).toBe(MOUNT_OPTIONS.length);
  });
});

describe('parseMountOptions', () => {
  it('sets and clears flags in order, the last word winning', () => {
    const o = parseMountOptions(['ro', 'nosuid', 'rw', 'suid', 'nodev']);
    expect(o.flags).toBe(MS.NODEV);
    expect(o.cleared).toBe(MS.RDONLY | MS.NOSUID);
  });

  it('keeps propagation words apart, in order, for the calls after the mount', () => {
    expect(parseMountOptions(['rbind', 'rprivate', 'slave']).propagation).toEqual([
      { type: 'private', recursive: true },
      { type: 'slave', recursive: false },
    ]);
  });

  it('sends "defaults" and unknown words to the data string, in order', () => {
    const o = parseMountOptions(['mode=755', 'defaults', 'nosuid', 'size=1m']);
    expect(o.data).toBe('mode=755,defaults,size=1m');
    expect(o.flags).toBe(MS.NOSUID);
  });

  it('collects recursive attributes, an atime value clearing the whole atime field', () => {
    expect(parseMountOptions(['rro', 'rnoatime']).recursive).toEqual({ set: MOUNT_ATTR.RDONLY | MOUNT_ATTR.NOATIME, clear: MOUNT_ATTR.ATIME });
    expect(parseMountOptions(['rro', 'rrw']).recursive).toEqual({ set: 0, clear: MOUNT_ATTR.RDONLY });
  });

  it('knows tmpcopyup, and idmap only from runc 1.2', () => {
    expect(parseMountOptions(['tmpcopyup']).tmpcopyup).toBe(true);
    const old = parseMountOptions(['idmap'], 'runc', '1.1');
    expect([old.idmap, old.data, old.unknownToRuntime]).toEqual([null, 'idmap', ['idmap']]);
    expect(parseMountOptions(['ridmap'], 'runc', '1.2').idmap).toEqual({ recursive: true });
  });

  it("reads containerd's loop and uidmap=/gidmap=, which runc passes on as data", () => {
    const c = parseMountOptions(['loop', 'uidmap=0:1000:65536', 'gidmap=0:1000:65536', 'rprivate'], 'containerd');
    expect([c.loop, c.uidmap, c.gidmap, c.data]).toEqual([true, '0:1000:65536', '0:1000:65536', 'rprivate']);
    expect(parseMountOptions(['loop', 'uidmap=0:1:1'], 'runc').data).toBe('loop,uidmap=0:1:1');
    expect(parseMountOptions(['uidmap'], 'containerd').data).toBe('uidmap');
  });
});

describe('planFlags', () => {
  it('names MS_* bits as plan flags and reports those plan v1 cannot carry', () => {
    expect(planFlags(MS.BIND | MS.REC | MS.RDONLY)).toEqual({ flags: ['rdonly', 'bind', 'rec'], dropped: [] });
    expect(planFlags(MS.NOSYMFOLLOW | MS.NOSUID)).toEqual({ flags: ['nosuid'], dropped: ['nosymfollow'] });
  });
});
