/**
 * Random syscall sequences over a small name pool: whatever the order, every failure is a
 * SysError, mountinfo always parses in the kernel's format, and the bookkeeping that decides
 * EBUSY (mount refs and writers) matches the descriptors, cwd and root that pin the mounts.
 *
 * The pool is small on purpose, so that sequences collide: '.', '..', '', '/' and '//',
 * trailing slashes, names of NAME_MAX and NAME_MAX + 1 bytes, a symlink loop, dangling,
 * relative and absolute symlinks, and a mount point that comes and goes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AT_REMOVEDIR,
  AT_SYMLINK_NOFOLLOW,
  createSandbox,
  MNT_DETACH,
  MNT_EXPIRE,
  MNT_FORCE,
  MS_BIND,
  MS_MOVE,
  MS_NOATIME,
  MS_NODEV,
  MS_NOEXEC,
  MS_NOSUID,
  MS_NOSYMFOLLOW,
  MS_PRIVATE,
  MS_RDONLY,
  MS_REC,
  MS_REMOUNT,
  MS_SHARED,
  MS_SLAVE,
  MS_STRICTATIME,
  MS_UNBINDABLE,
  O_APPEND,
  O_CREAT,
  O_DIRECTORY,
  O_EXCL,
  O_NOFOLLOW,
  O_PATH,
  O_RDONLY,
  O_RDWR,
  O_TRUNC,
  O_WRONLY,
  RENAME_EXCHANGE,
  RENAME_NOREPLACE,
  S_IFIFO,
  S_IFREG,
  S_IFSOCK,
  UMOUNT_NOFOLLOW,
  AT_FDCWD,
  makedev,
} from '../../src/index.js';
import type { Process } from '../../src/vfs/process.js';
import type { Mount } from '../../src/vfs/mount.js';
import type { FileDescription } from '../../src/vfs/file.js';
import { attempt, parseMountinfo, runsFor, seedFor } from './helpers.js';

const SEED = seedFor(0x5eed_0001);
const RUNS = runsFor(300);

const LONG = 'L'.repeat(255);
const TOO_LONG = 'T'.repeat(256);

/** Components; symlinks among them are made by the setup below and by the sequence. */
const COMPONENT = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('a', 'b', 'c', 'm') },
  { weight: 4, arbitrary: fc.constantFrom('.', '..', '') },
  { weight: 3, arbitrary: fc.constantFrom('loop', 'dang', 'rel', 'abs') },
  { weight: 1, arbitrary: fc.constantFrom(LONG, TOO_LONG) },
);

/** A path of 1–3 components, maybe absolute, maybe with a trailing slash, plus odd fixed ones. */
const PATH = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.boolean(), fc.array(COMPONENT, { minLength: 1, maxLength: 3 }), fc.boolean()).map(([abs, cs, slash]) => (abs ? '/' : '') + cs.join('/') + (slash ? '/' : '')) },
  { weight: 1, arbitrary: fc.constantFrom('/', '//', '.', '..', '', 'a//b', '/m/a', 'm/../a', 'a/b/c/') },
);

const DATA_OPTIONS = fc.constantFrom('', 'size=1m', 'size=4k', 'mode=700', 'uid=5,gid=6', 'nr_inodes=4', 'ro', 'rw', 'size=1x', 'bogus', 'size=', 'uid=-1', 'nr_inodes=1%', 'mode=8888', 'size=10%', 'size=0', 'nr_inodes=0', ',,');
const MS_NEW_FLAGS = fc.subarray([MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_NOATIME, MS_STRICTATIME, MS_NOSYMFOLLOW]).map((fs) => fs.reduce((a, b) => a | b, 0));
const OPEN_FLAGS = fc
  .tuple(fc.constantFrom(O_RDONLY, O_WRONLY, O_RDWR), fc.subarray([O_CREAT, O_TRUNC, O_APPEND, O_EXCL, O_DIRECTORY, O_NOFOLLOW, O_PATH]))
  .map(([acc, fs]) => fs.reduce((a, b) => a | b, acc));
const FD = fc.oneof({ weight: 8, arbitrary: fc.nat(4) }, { weight: 1, arbitrary: fc.constantFrom(-1, 99, 1.5) });
const BYTES = fc.uint8Array({ maxLength: 40 });
const LENGTH = fc.oneof(fc.nat(9000), fc.constantFrom(-1, 2 ** 53));

type Op =
  | { op: 'mkdir'; path: string; mode: number }
  | { op: 'open'; path: string; flags: number; mode: number }
  | { op: 'close'; fd: number }
  | { op: 'write'; fd: number; data: Uint8Array }
  | { op: 'pwrite'; fd: number; data: Uint8Array; pos: number }
  | { op: 'read'; fd: number }
  | { op: 'getdents'; fd: number }
  | { op: 'ftruncate'; fd: number; len: number }
  | { op: 'truncate'; path: string; len: number }
  | { op: 'unlink'; path: string }
  | { op: 'rmdir'; path: string }
  | { op: 'unlinkat'; path: string; flags: number }
  | { op: 'rename'; from: string; to: string }
  | { op: 'renameat2'; from: string; to: string; flags: number }
  | { op: 'link'; from: string; to: string }
  | { op: 'symlink'; target: string; path: string }
  | { op: 'chmod'; path: string; mode: number }
  | { op: 'chown'; path: string; uid: number; gid: number }
  | { op: 'mknod'; path: string; mode: number }
  | { op: 'mount'; path: string; flags: number; data: string; fstype: string | null }
  | { op: 'bind'; from: string; to: string; rec: boolean }
  | { op: 'remount'; path: string; flags: number; data: string }
  | { op: 'propagation'; path: string; flags: number }
  | { op: 'move'; from: string; to: string }
  | { op: 'umount2'; path: string; flags: number }
  | { op: 'stat'; path: string }
  | { op: 'lstat'; path: string }
  | { op: 'fstatat'; path: string }
  | { op: 'readlink'; path: string }
  | { op: 'chdir'; path: string }
  | { op: 'getcwd' }
  | { op: 'unshare' };

const OP: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('mkdir' as const), path: PATH, mode: fc.constantFrom(0o755, 0o700, 0o1777) }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('open' as const), path: PATH, flags: OPEN_FLAGS, mode: fc.constantFrom(0o644, 0o600, 0o4755) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('close' as const), fd: FD }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('write' as const), fd: FD, data: BYTES }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('pwrite' as const), fd: FD, data: BYTES, pos: fc.oneof(fc.nat(10000), fc.constantFrom(-1, 2 ** 53 - 5)) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('read' as const), fd: FD }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('getdents' as const), fd: FD }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('ftruncate' as const), fd: FD, len: LENGTH }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('truncate' as const), path: PATH, len: LENGTH }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('unlink' as const), path: PATH }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('rmdir' as const), path: PATH }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('unlinkat' as const), path: PATH, flags: fc.constantFrom(0, AT_REMOVEDIR, 0x4) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('rename' as const), from: PATH, to: PATH }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('renameat2' as const), from: PATH, to: PATH, flags: fc.constantFrom(0, RENAME_NOREPLACE, RENAME_EXCHANGE, RENAME_NOREPLACE | RENAME_EXCHANGE, 4, 8) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('link' as const), from: PATH, to: PATH }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('symlink' as const), target: fc.oneof(PATH, fc.constant('x'.repeat(5000))), path: PATH }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('chmod' as const), path: PATH, mode: fc.constantFrom(0, 0o777, 0o4755, 0o1777, 0o170777) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('chown' as const), path: PATH, uid: fc.constantFrom(-1, 0, 5, 65534), gid: fc.constantFrom(-1, 0, 6) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('mknod' as const), path: PATH, mode: fc.constantFrom(S_IFIFO | 0o644, S_IFREG | 0o600, S_IFSOCK | 0o644, 0o644, 0o040755, 0o170644) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('mount' as const), path: PATH, flags: MS_NEW_FLAGS, data: DATA_OPTIONS, fstype: fc.constantFrom<string | null>('tmpfs', 'tmpfs', 'tmpfs', 'bogusfs', '', null) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('bind' as const), from: PATH, to: PATH, rec: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('remount' as const), path: PATH, flags: fc.tuple(MS_NEW_FLAGS, fc.boolean()).map(([f, b]) => f | MS_REMOUNT | (b ? MS_BIND : 0)), data: DATA_OPTIONS }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('propagation' as const), path: PATH, flags: fc.tuple(fc.constantFrom(MS_SHARED, MS_PRIVATE, MS_SLAVE, MS_UNBINDABLE, MS_SHARED | MS_SLAVE), fc.boolean()).map(([f, r]) => f | (r ? MS_REC : 0)) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('move' as const), from: PATH, to: PATH }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('umount2' as const), path: PATH, flags: fc.subarray([MNT_FORCE, MNT_DETACH, MNT_EXPIRE, UMOUNT_NOFOLLOW, 0x10]).map((fs) => fs.reduce((a, b) => a | b, 0)) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('stat' as const), path: PATH }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('lstat' as const), path: PATH }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('fstatat' as const), path: PATH }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('readlink' as const), path: PATH }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('chdir' as const), path: PATH }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('getcwd' as const) }) },
  { weight: 1, arbitrary: fc.constant({ op: 'unshare' as const }) },
);

/** A root with a few names to collide with: dirs, a file, links, a mount and open descriptors. */
function setup(): Process {
  const p = createSandbox().process;
  p.mkdir('/a');
  p.mkdir('/a/b');
  p.mkdir('/m');
  p.close(p.open('/c', O_WRONLY | O_CREAT, 0o644));
  p.symlink('loop', '/loop');
  p.symlink('nowhere', '/dang');
  p.symlink('a/b', '/rel');
  p.symlink('/a', '/abs');
  p.mount('none', '/m', 'tmpfs', 0, 'size=1m');
  // Descriptors 0-2 exist from the start: a file for writing, a directory, the mount's root.
  p.open('/c', O_RDWR);
  p.open('/a', O_RDONLY | O_DIRECTORY);
  p.open('/m', O_RDONLY | O_DIRECTORY);
  return p;
}

function apply(p: Process, o: Op): unknown {
  switch (o.op) {
    case 'mkdir':
      return p.mkdir(o.path, o.mode);
    case 'open':
      return p.open(o.path, o.flags, o.mode);
    case 'close':
      return p.close(o.fd);
    case 'write':
      return p.write(o.fd, o.data);
    case 'pwrite':
      return p.pwrite(o.fd, o.data, o.pos);
    case 'read':
      return p.read(o.fd, new Uint8Array(64));
    case 'getdents':
      return p.getdents(o.fd);
    case 'ftruncate':
      return p.ftruncate(o.fd, o.len);
    case 'truncate':
      return p.truncate(o.path, o.len);
    case 'unlink':
      return p.unlink(o.path);
    case 'rmdir':
      return p.rmdir(o.path);
    case 'unlinkat':
      return p.unlinkat(AT_FDCWD, o.path, o.flags);
    case 'rename':
      return p.rename(o.from, o.to);
    case 'renameat2':
      return p.renameat2(AT_FDCWD, o.from, AT_FDCWD, o.to, o.flags);
    case 'link':
      return p.link(o.from, o.to);
    case 'symlink':
      return p.symlink(o.target, o.path);
    case 'chmod':
      return p.chmod(o.path, o.mode);
    case 'chown':
      return p.chown(o.path, o.uid, o.gid);
    case 'mknod':
      return p.mknod(o.path, o.mode);
    case 'mount':
      return p.mount('none', o.path, o.fstype, o.flags, o.data);
    case 'bind':
      return p.mount(o.from, o.to, null, MS_BIND | (o.rec ? MS_REC : 0));
    case 'remount':
      return p.mount(null, o.path, null, o.flags, o.data);
    case 'propagation':
      return p.mount(null, o.path, null, o.flags);
    case 'move':
      return p.mount(o.from, o.to, null, MS_MOVE);
    case 'umount2':
      return p.umount2(o.path, o.flags);
    case 'stat':
      return p.stat(o.path);
    case 'lstat':
      return p.lstat(o.path);
    case 'fstatat':
      return p.fstatat(AT_FDCWD, o.path, AT_SYMLINK_NOFOLLOW);
    case 'readlink':
      return p.readlink(o.path);
    case 'chdir':
      return p.chdir(o.path);
    case 'getcwd':
      return p.getcwd();
    case 'unshare':
      return p.unshareMountNs();
  }
}

/** The descriptions behind the task's descriptors, each once. */
function descriptions(p: Process): Set<FileDescription> {
  return new Set(p.fds.open().map((fd) => p.fds.get(fd)));
}

/**
 * Mount.refs counts exactly what pins a mount (open descriptions, the cwd, the root) and
 * Mount.writers exactly the descriptions holding write access, for every mount of every namespace.
 */
function checkPins(p: Process): void {
  const files = descriptions(p);
  const seen = new Set<Mount>();
  for (const f of files) seen.add(f.path.mnt);
  seen.add(p.root.mnt);
  seen.add(p.cwd.mnt);
  for (const ns of p.kernel.namespaces) for (const m of ns.mounts) seen.add(m);
  for (const m of seen) {
    let refs = 0;
    let writers = 0;
    for (const f of files) {
      if (f.path.mnt !== m) continue;
      refs++;
      if (f.writer) writers++;
    }
    if (p.root.mnt === m) refs++;
    if (p.cwd.mnt === m) refs++;
    expect(m.refs, `refs of mount ${m.id}`).toBe(refs);
    expect(m.writers, `writers of mount ${m.id}`).toBe(writers);
  }
}

/** Every mount in the task's namespace is reachable from the namespace root through its parents. */
function checkTree(p: Process): void {
  for (const m of p.ns.mounts) {
    expect(m.ns).toBe(p.ns);
    if (m === p.ns.root) continue;
    expect(m.parent, `mount ${m.id} has a parent`).not.toBeNull();
    expect(p.ns.mounts.has(m.parent!), `parent of mount ${m.id} is in the namespace`).toBe(true);
    expect(m.parent!.children.has(m)).toBe(true);
    expect(m.mountpoint!.mountCount).toBeGreaterThan(0);
  }
}

describe('random syscall sequences', () => {
  it(`throw nothing but SysError and keep mountinfo in the kernel's format (seed ${SEED}, ${RUNS} runs)`, () => {
    fc.assert(
      fc.property(fc.array(OP, { minLength: 1, maxLength: 40, size: 'max' }), (ops) => {
        const p = setup();
        for (const o of ops) {
          attempt(() => apply(p, o));
          parseMountinfo(p.mountinfo());
          checkPins(p);
          checkTree(p);
        }
        // Closing everything leaves every mount of the namespace unpinned but for root and cwd.
        for (const fd of p.fds.open()) p.close(fd);
        checkPins(p);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it(`stat of a listed mount point reaches that mount's root (seed ${SEED + 1}, ${RUNS} runs)`, () => {
    fc.assert(
      fc.property(fc.array(OP, { minLength: 1, maxLength: 30, size: 'max' }), (ops) => {
        const p = setup();
        for (const o of ops) attempt(() => apply(p, o));
        const lines = parseMountinfo(p.mountinfo());
        const byId = new Map(lines.map((l) => [l.id, l]));
        const under = (path: string, mp: string): boolean => path === mp || mp === '/' || path.startsWith(mp + '/');
        for (const l of lines) {
          // stat('/') is the task's root itself: a walk does not cross mounts at its start.
          if (l.mountpoint === '/' || /\\/.test(l.mountpoint)) continue;
          // Skip a mount that another one, not its ancestor, may cover: stacked on the same
          // mount point or on one of its ancestors' names.
          const ancestors = new Set<number>();
          for (let x = byId.get(l.parent); x && !ancestors.has(x.id); x = byId.get(x.parent)) ancestors.add(x.id);
          if (lines.some((x) => x !== l && !ancestors.has(x.id) && under(l.mountpoint, x.mountpoint))) continue;
          // Below a mount stacked on '/', absolute walks start under it, from the task's root.
          if ([...ancestors].some((id) => byId.get(id)!.mountpoint === '/' && byId.has(byId.get(id)!.parent))) continue;
          const s = attempt(() => p.stat(l.mountpoint));
          // A mount point whose name was removed is not reachable by its path any more.
          if (!s.ok) continue;
          expect(s.value.dev, `st_dev at ${l.mountpoint}`).toBe(makedev(l.major, l.minor));
        }
      }),
      { seed: SEED + 1, numRuns: RUNS },
    );
  });
});
