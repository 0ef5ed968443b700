/**
 * User namespaces, locked mounts and idmapped mounts, held to the kernel: the ids a task of a
 * user namespace is shown, what root of a user namespace may do to files its namespace can and
 * cannot name, the rules of writing uid_map/gid_map/setgroups, what a mount copied into a less
 * privileged mount namespace refuses (MNT_LOCK_*), and open_tree/mount_setattr/move_mount with
 * MOUNT_ATTR_IDMAP (Documentation/filesystems/idmappings.rst). Expected values are the kernel's,
 * recorded by test/kernel/record-facts.py (group userns-idmap,
 * test/kernel/recorders/userns_idmap.py) with the same worlds; each case below does what the
 * recorder's case of the same name does.
 */
import { describe, expect, it } from 'vitest';
import { AT_EMPTY_PATH, AT_FDCWD, Credentials, createSandbox, MNT_DETACH, MS_BIND, MS_MOVE, MS_NOATIME, MS_NODEV, MS_NOSUID, MS_PRIVATE, MS_RDONLY, MS_REC, MS_REMOUNT, MS_SHARED, MS_UNBINDABLE, O_CREAT, O_DIRECTORY, O_PATH, O_RDONLY, O_TRUNC, O_WRONLY, R_OK, S_IFREG, W_OK } from '../../src/index.js';
import {
  AT_RECURSIVE,
  MOUNT_ATTR__ATIME,
  MOUNT_ATTR_IDMAP,
  MOUNT_ATTR_NOATIME,
  MOUNT_ATTR_NOSUID,
  MOUNT_ATTR_RDONLY,
  MOVE_MOUNT_F_EMPTY_PATH,
  OPEN_TREE_CLONE,
  type MountAttr,
} from '../../src/vfs/mount-api.js';
import { CLONE_NEWNET, CLONE_NEWNS } from '../../src/vfs/net-namespace.js';
import { CLONE_NEWUSER } from '../../src/vfs/nsproxy-syscalls.js';
import type { Process } from '../../src/vfs/process.js';
import { INIT_USER_NS, type UserNamespace } from '../../src/vfs/user-namespace.js';
import { itChecksEveryAnswer, kernelFacts } from '../kernel/facts.js';
import { errOf } from './helpers.js';

const K = kernelFacts('userns-idmap');
const MAP = '0 100000 65536';
const IDMAP = '0 10000 1000';

/** A cell: root of init_user_ns on an empty tmpfs root, umask 0. */
function cell(): Process {
  const p = createSandbox().process;
  p.umaskSet(0);
  return p;
}

function create(p: Process, path: string, mode = 0o644): void {
  p.close(p.open(path, O_CREAT | O_WRONLY | O_TRUNC, mode));
}

function statIds(p: Process, path: string): [number, number] {
  const st = p.lstat(path);
  return [st.uid, st.gid];
}

/**
 * The recorder's in_userns(): a child that unshares CLONE_NEWUSER; `before` runs in the parent
 * first, then the parent writes setgroups, uid_map and gid_map (none for null); `fn` runs in the
 * child.
 */
function inUserns<T>(parent: Process, fn: (c: Process) => T, uidMap: string | null = MAP, gidMap: string | null = MAP, setgroups?: string, before?: (c: Process) => void): T {
  const c = parent.fork();
  c.unshare(CLONE_NEWUSER);
  before?.(c);
  if (setgroups !== undefined) parent.writeSetgroups(c.userNs, setgroups);
  if (uidMap !== null) parent.writeUidMap(c.userNs, uidMap);
  if (gidMap !== null) parent.writeGidMap(c.userNs, gidMap);
  return fn(c);
}

/** The recorder's setres(): setresgid then setresuid, all three ids each. */
function setres(c: Process, uid: number, gid: number): void {
  c.setresgid(gid);
  c.setresuid(uid);
}

function asNsRoot<T>(fn: (c: Process) => T): (c: Process) => T {
  return (c) => {
    setres(c, 0, 0);
    return fn(c);
  };
}

describe('ids in a user namespace', () => {
  function world(): Process {
    const p = cell();
    p.mkdir('/w', 0o777);
    create(p, '/rootfile');
    create(p, '/mapped');
    p.chown('/mapped', 100005, 100007);
    return p;
  }
  const cases: Record<string, [(c: Process) => unknown, string | null, string | null]> = {
    'getresuid, no maps': [(c) => c.getresuid(), null, null],
    'getresuid, 0 0 1': [(c) => c.getresuid(), '0 0 1', '0 0 1'],
    'getresuid, 0 100000 65536': [(c) => c.getresuid(), MAP, MAP],
    'getresuid after setresuid(0)': [asNsRoot((c) => c.getresuid()), MAP, MAP],
    'getresgid after setresgid(0)': [asNsRoot((c) => c.getresgid()), MAP, MAP],
    'setresuid to an unmapped uid': [(c) => errOf(() => setres(c, 70000, 0)), MAP, MAP],
    'stat of a root file': [(c) => statIds(c, '/rootfile'), MAP, MAP],
    'stat of a 100005:100007 file': [(c) => statIds(c, '/mapped'), MAP, MAP],
    'stat of a file made by namespace root': [asNsRoot((c) => (create(c, '/w/n'), statIds(c, '/w/n'))), MAP, MAP],
  };
  it.each(K.cases('ids in a user namespace', cases))('%s -> %j', (_n, expected, [fn, um, gm]) => {
    expect(inUserns(world(), fn, um, gm)).toEqual(expected);
  });
});

describe('permission as root of a user namespace (capable_wrt_inode_uidgid)', () => {
  function world(): Process {
    const p = cell();
    create(p, '/f600', 0o600);
    create(p, '/f666', 0o666);
    create(p, '/own', 0o600);
    p.chown('/own', 100000, 100000);
    create(p, '/other', 0o600);
    p.chown('/other', 100001, 100001);
    p.mkdir('/w', 0o777);
    p.mkdir('/sticky', 0o1777);
    create(p, '/sticky/mapped');
    p.chown('/sticky/mapped', 100001, 100001);
    create(p, '/sticky/unmapped');
    return p;
  }
  const rd = (c: Process, path: string): void => c.close(c.open(path, O_RDONLY));
  const ops: Record<string, (c: Process) => unknown> = {
    'open O_RDONLY an unmapped 0600 file': (c) => rd(c, '/f600'),
    'open O_RDONLY its own 0600 file': (c) => rd(c, '/own'),
    'open O_RDONLY a mapped 0600 file of another uid': (c) => rd(c, '/other'),
    'chown a mapped file to 2': (c) => c.chown('/other', 2, -1),
    'chown an unmapped file to 0': (c) => c.chown('/f600', 0, -1),
    'chown to an unmapped uid': (c) => c.chown('/other', 70000, -1),
    'chmod an unmapped file': (c) => c.chmod('/f600', 0o644),
    'utimensat now on an unmapped 0666 file': (c) => c.utimensat(AT_FDCWD, '/f666', null),
    'mkdir in the unmapped 0755 root directory': (c) => c.mkdir('/d'),
    'mkdir in a 0777 directory': (c) => c.mkdir('/w/d'),
    'unlink a mapped file in a sticky directory': (c) => c.unlink('/sticky/mapped'),
    'unlink an unmapped file in a sticky directory': (c) => c.unlink('/sticky/unmapped'),
    'mount tmpfs without a mount namespace': (c) => c.mount('none', '/w', 'tmpfs', 0),
    'unshare CLONE_NEWNS': (c) => c.unshare(CLONE_NEWNS),
    'open_tree OPEN_TREE_CLONE without a mount namespace': (c) => c.openTree(AT_FDCWD, '/w', OPEN_TREE_CLONE),
  };
  it.each(K.cases('permission as root of a user namespace', ops))('%s -> %s', (_n, expected, op) => {
    expect(inUserns(world(), asNsRoot((c) => errOf(() => op(c))))).toBe(expected);
  });
});

/** The recorder's nest(): nested user namespaces, each mapping its creator as 0, until one is refused. */
function nest(p: Process): [number, string] {
  for (let n = 0; ; n++) {
    const e = errOf(() => p.unshare(CLONE_NEWUSER));
    if (e !== 'OK') return [n, e];
    p.writeUidMap(p.userNs, '0 0 1');
    p.writeSetgroups(p.userNs, 'deny');
    p.writeGidMap(p.userNs, '0 0 1');
  }
}

describe('uid_map, gid_map and setgroups writes (map_write, new_idmap_permitted)', () => {
  const many = (n: number): string => Array.from({ length: n }, (_, i) => `${i} ${i} 1\n`).join('');
  /** The cell writes the child's uid_map (after a first write of `first`). */
  const parentWrite = (text: string, first?: string) => (): string => {
    const p = cell();
    let answer = '';
    inUserns(p, () => undefined, null, null, undefined, (c) => {
      if (first !== undefined) p.writeUidMap(c.userNs, first);
      answer = errOf(() => p.writeUidMap(c.userNs, text));
    });
    return answer;
  };
  const selfWrite = (file: 'uid_map' | 'gid_map' | 'setgroups', text: string) => (c: Process): string =>
    errOf(() => (file === 'uid_map' ? c.writeUidMap(c.userNs, text) : file === 'gid_map' ? c.writeGidMap(c.userNs, text) : c.writeSetgroups(c.userNs, text)));
  const cases: Record<string, () => unknown> = {
    'root writes 0 100000 65536': parentWrite(MAP),
    'root writes a second time': parentWrite(MAP, '0 100000 1'),
    'overlapping ids': parentWrite('0 100000 10\n5 200000 10'),
    'overlapping lower ids': parentWrite('0 100000 10\n20 100005 10'),
    'count 0': parentWrite('0 100000 0'),
    'not numbers': parentWrite('a b c'),
    'wraps past 2^32': parentWrite('4294967290 0 10'),
    '340 extents': parentWrite(many(340)),
    '341 extents': parentWrite(many(341)),
    'self: its own euid as 0': () => inUserns(cell(), selfWrite('uid_map', '0 0 1'), null, null),
    'self: another uid': () => inUserns(cell(), selfWrite('uid_map', '0 1000 1'), null, null),
    'self: its own egid, setgroups allowed': () => inUserns(cell(), selfWrite('gid_map', '0 0 1'), null, null),
    'self: its own egid after setgroups deny': () => inUserns(cell(), selfWrite('gid_map', '0 0 1'), null, null, 'deny'),
    'self: setgroups deny after the gid_map': () => inUserns(cell(), selfWrite('setgroups', 'deny'), null, MAP),
    'setgroups([]) with a gid_map root wrote': () => inUserns(cell(), (c) => errOf(() => c.setgroups([]))),
    'setgroups([]) after setgroups deny': () => inUserns(cell(), (c) => errOf(() => c.setgroups([])), MAP, MAP, 'deny'),
    'nested user namespaces until refused': () => nest(cell()),
  };
  it.each(K.cases('uid_map, gid_map and setgroups writes', cases))('%s -> %j', (_n, expected, fn) => {
    expect(fn()).toEqual(expected);
  });
});

/** The recorder's lock_world(): a nosuid,nodev tmpfs at /m with a read-only one at /m/sub; /x, /y. */
function lockWorld(): Process {
  const p = cell();
  for (const d of ['/m', '/x', '/y']) p.mkdir(d, 0o755);
  p.mount('none', '/m', 'tmpfs', MS_NOSUID | MS_NODEV);
  p.mkdir('/m/sub');
  p.mount('none', '/m/sub', 'tmpfs', MS_RDONLY);
  return p;
}

/** The recorder's locked(): in a new user namespace, unshare(CLONE_NEWNS), then `op`'s errno. */
function inLockedCopy(p: Process, op: (c: Process) => unknown): string {
  return inUserns(p, (c) => {
    c.unshare(CLONE_NEWNS);
    return errOf(() => op(c));
  });
}

describe('locked mounts (lock_mnt_tree, can_change_locked_flags)', () => {
  const rb = MS_REMOUNT | MS_BIND;
  const keep = MS_NOSUID | MS_NODEV;
  const rbindThen = (c: Process, target: string): void => {
    c.mount('/m', '/y', null, MS_BIND | MS_REC);
    c.umount2(target);
  };
  const ops: Record<string, (c: Process) => unknown> = {
    'umount a locked child': (c) => c.umount2('/m/sub'),
    'umount2 MNT_DETACH a locked child': (c) => c.umount2('/m/sub', MNT_DETACH),
    'umount a locked mount': (c) => c.umount2('/m'),
    'remount,bind rw a locked read-only mount': (c) => c.mount(null, '/m/sub', null, rb),
    'remount,bind ro keeping nosuid,nodev': (c) => c.mount(null, '/m', null, rb | keep | MS_RDONLY),
    'remount,bind dropping nosuid': (c) => c.mount(null, '/m', null, rb | MS_NODEV),
    'remount,bind noatime': (c) => c.mount(null, '/m', null, rb | keep | MS_NOATIME),
    'remount the superblock': (c) => c.mount(null, '/m', null, MS_REMOUNT | keep),
    'move a locked mount': (c) => c.mount('/m/sub', '/x', null, MS_MOVE),
    'bind a place with a locked child': (c) => c.mount('/m', '/x', null, MS_BIND),
    'bind the locked child itself': (c) => c.mount('/m/sub', '/x', null, MS_BIND),
    'rbind, then umount its root': (c) => rbindThen(c, '/y'),
    'rbind, then umount a child of the copy': (c) => rbindThen(c, '/y/sub'),
    'make-private a locked mount': (c) => c.mount(null, '/m', null, MS_PRIVATE),
    'mount tmpfs, then umount it': (c) => (c.mount('none', '/x', 'tmpfs', 0), c.umount2('/x')),
    'mount proc': (c) => c.mount('proc', '/x', 'proc', 0),
    'mount sysfs': (c) => c.mount('sysfs', '/x', 'sysfs', 0),
    'mount sysfs in a new network namespace': (c) => (c.unshare(CLONE_NEWNET), c.mount('sysfs', '/x', 'sysfs', 0)),
    'mount devpts': (c) => c.mount('devpts', '/x', 'devpts', 0, 'newinstance'),
    'mount_setattr clearing nosuid on a locked mount': (c) => c.mountSetattr(AT_FDCWD, '/m', 0, { attrSet: 0, attrClr: MOUNT_ATTR_NOSUID }),
    'mount_setattr rdonly on a locked mount': (c) => c.mountSetattr(AT_FDCWD, '/m', 0, { attrSet: MOUNT_ATTR_RDONLY, attrClr: 0 }),
    'open_tree clone of a place with a locked child': (c) => c.openTree(AT_FDCWD, '/m', OPEN_TREE_CLONE),
    'open_tree recursive clone, then move_mount it': (c) => c.moveMount(c.openTree(AT_FDCWD, '/m', OPEN_TREE_CLONE | AT_RECURSIVE), '', AT_FDCWD, '/x', MOVE_MOUNT_F_EMPTY_PATH),
    'mkdir in its own tmpfs as a creator it cannot name': (c) => (c.mount('none', '/x', 'tmpfs', 0), c.mkdir('/x/d')),
    'overlay of directories of its own tmpfs': (c) => {
      setres(c, 0, 0);
      c.mount('none', '/x', 'tmpfs', 0);
      for (const d of ['/x/l', '/x/u', '/x/w']) c.mkdir(d);
      c.mount('overlay', '/y', 'overlay', 0, 'lowerdir=/x/l,upperdir=/x/u,workdir=/x/w');
    },
    'pivot_root onto a locked mount': (c) => c.pivotRoot('/m', '/m/sub'),
    'setns back into the mount namespace it copied': (c) => c.setns(c.kernel.namespaces[0]!),
    'pivot_root onto a new tmpfs, then umount the old root': (c) => {
      setres(c, 0, 0);
      c.mount('none', '/x', 'tmpfs', 0);
      c.mkdir('/x/old');
      c.pivotRoot('/x', '/x/old');
      c.chdir('/');
      c.umount2('/old', MNT_DETACH);
    },
  };
  it.each(K.cases('locked mounts', ops))('%s -> %s', (_n, expected, op) => {
    expect(inLockedCopy(lockWorld(), op)).toBe(expected);
  });
});

describe('sysfs in a user namespace (kobj_ns_current_may_mount, mount_too_revealing)', () => {
  const ops: Record<string, (c: Process) => unknown> = {
    'in init_net': (c) => c.mount('sysfs', '/x', 'sysfs', 0),
    'in a new network namespace': (c) => (c.unshare(CLONE_NEWNET), c.mount('sysfs', '/x', 'sysfs', 0)),
  };
  it.each(K.cases('sysfs in a user namespace, one visible', ops))('%s -> %s', (_n, expected, op) => {
    const p = lockWorld();
    p.mkdir('/s');
    p.mount('sysfs', '/s', 'sysfs', 0);
    expect(inLockedCopy(p, op)).toBe(expected);
  });
  // mnt_already_visible(): a locked child may cover a permanently empty directory only.
  const covered: Record<string, string> = {
    'a tmpfs on fs/cgroup (sysfs_create_mount_point)': 'fs/cgroup',
    'a tmpfs on kernel/mm (a kobject directory)': 'kernel/mm',
  };
  it.each(K.cases('sysfs in a user namespace, the visible one covered', covered))('%s -> %s', (_n, expected, sub) => {
    const p = lockWorld();
    p.mkdir('/s');
    p.mount('sysfs', '/s', 'sysfs', 0);
    p.mount('none', `/s/${sub}`, 'tmpfs', 0);
    expect(inLockedCopy(p, ops['in a new network namespace']!)).toBe(expected);
  });
});

describe('propagation of a copy into a less privileged namespace (CL_SHARED_TO_SLAVE)', () => {
  /** [shared in the copy?, slave in the copy?] of /m after unshare(CLONE_NEWNS) in a new user namespace. */
  const fields = (c: Process): [boolean, boolean] => {
    c.unshare(CLONE_NEWNS);
    const line = c.mountinfo().split('\n').find((l) => l.split(' ')[4] === '/m')!;
    const opt = line.split(' - ')[0]!.split(' ').slice(6);
    return [opt.some((o) => o.startsWith('shared:')), opt.some((o) => o.startsWith('master:'))];
  };
  const cases: Record<string, number> = { 'a shared mount': MS_SHARED, 'a private mount': MS_PRIVATE };
  it.each(K.cases('propagation of a copy into a less privileged namespace', cases))('%s -> %j', (_n, expected, prop) => {
    const p = lockWorld();
    p.mount(null, '/m', null, prop);
    expect(inUserns(p, fields)).toEqual(expected);
  });
});

describe('idmapped mounts and the new mount API', () => {
  /** A user namespace with `uidMap`/`gidMap` (or none), as a /proc/PID/ns/user descriptor names it. */
  function usernsWith(p: Process, uidMap: string | null, gidMap: string | null): UserNamespace {
    const ns = inUserns(p, (c) => c.userNs, uidMap, gidMap);
    return ns;
  }
  function world(): { p: Process; ns: UserNamespace } {
    const p = cell();
    const ns = usernsWith(p, IDMAP, IDMAP);
    p.mkdir('/src', 0o777);
    p.mkdir('/dst');
    p.mkdir('/b');
    create(p, '/src/f');
    create(p, '/src/p', 0o600);
    create(p, '/src/g');
    p.chown('/src/g', 5000, 5000);
    return { p, ns };
  }
  const setattrFd = (p: Process, fd: number, attr: Partial<MountAttr>, flags = AT_EMPTY_PATH): void =>
    p.mountSetattr(fd, '', flags, { attrSet: 0, attrClr: 0, ...attr });
  function idmapped({ p, ns }: { p: Process; ns: UserNamespace }): void {
    const fd = p.openTree(AT_FDCWD, '/src', OPEN_TREE_CLONE);
    setattrFd(p, fd, { attrSet: MOUNT_ATTR_IDMAP, userns: ns });
    p.moveMount(fd, '', AT_FDCWD, '/dst', MOVE_MOUNT_F_EMPTY_PATH);
  }
  type W = { p: Process; ns: UserNamespace };
  const onClone = (path: string, attr: Partial<MountAttr>, flags = OPEN_TREE_CLONE) => ({ p }: W): void => setattrFd(p, p.openTree(AT_FDCWD, path, flags), attr);
  const then = (fn: (p: Process) => unknown) => (w: W): void => {
    idmapped(w);
    fn(w.p);
  };
  const mknod = (p: Process, path: string): void => p.mknod(path, S_IFREG | 0o644);
  const as = (p: Process, uid: number, gid: number, caps: Parameters<typeof Credentials.capsOf>[0]): void => {
    p.creds = new Credentials(uid, gid, [], Credentials.capsOf(caps));
  };
  const ops: Record<string, (w: W) => unknown> = {
    'open_tree clone, idmap, move_mount': idmapped,
    'open_tree without OPEN_TREE_CLONE': ({ p }) => p.close(p.openTree(AT_FDCWD, '/src', 0)),
    'open_tree AT_RECURSIVE without OPEN_TREE_CLONE': ({ p }) => p.openTree(AT_FDCWD, '/src', AT_RECURSIVE),
    'open_tree clone of an unbindable mount': ({ p }) => {
      p.mount('/src', '/b', null, MS_BIND);
      p.mount(null, '/b', null, MS_UNBINDABLE);
      p.openTree(AT_FDCWD, '/b', OPEN_TREE_CLONE);
    },
    'idmap an attached mount': ({ p, ns }) => {
      p.mount('/src', '/b', null, MS_BIND);
      p.mountSetattr(AT_FDCWD, '/b', 0, { attrSet: MOUNT_ATTR_IDMAP, attrClr: 0, userns: ns });
    },
    'idmap twice': ({ p, ns }) => {
      const fd = p.openTree(AT_FDCWD, '/src', OPEN_TREE_CLONE);
      setattrFd(p, fd, { attrSet: MOUNT_ATTR_IDMAP, userns: ns });
      setattrFd(p, fd, { attrSet: MOUNT_ATTR_IDMAP, userns: ns });
    },
    'idmap with init_user_ns': onClone('/src', { attrSet: MOUNT_ATTR_IDMAP, userns: INIT_USER_NS }),
    'idmap with a descriptor of no namespace': onClone('/src', { attrSet: MOUNT_ATTR_IDMAP, userns: 'not-userns' }),
    'idmap with a closed descriptor': onClone('/src', { attrSet: MOUNT_ATTR_IDMAP, userns: null }),
    'clear MOUNT_ATTR_IDMAP': onClone('/src', { attrClr: MOUNT_ATTR_IDMAP }),
    'idmap a devpts mount': (w) => {
      w.p.mount('devpts', '/b', 'devpts', 0, 'newinstance');
      onClone('/b', { attrSet: MOUNT_ATTR_IDMAP, userns: w.ns })(w);
    },
    'idmap an overlay mount': (w) => {
      for (const d of ['/l', '/u', '/wk']) w.p.mkdir(d);
      w.p.mount('overlay', '/b', 'overlay', 0, 'lowerdir=/l,upperdir=/u,workdir=/wk');
      onClone('/b', { attrSet: MOUNT_ATTR_IDMAP, userns: w.ns })(w);
    },
    'idmap with a user namespace without maps': (w) => onClone('/src', { attrSet: MOUNT_ATTR_IDMAP, userns: usernsWith(w.p, null, null) })(w),
    'idmap a clone of an idmapped mount': (w) => (idmapped(w), onClone('/dst', { attrSet: MOUNT_ATTR_IDMAP, userns: w.ns })(w)),
    'recursive idmap of a tree with a devpts mount': ({ p, ns }) => {
      p.mkdir('/src/pts');
      p.mount('devpts', '/src/pts', 'devpts', 0, 'newinstance');
      const fd = p.openTree(AT_FDCWD, '/src', OPEN_TREE_CLONE | AT_RECURSIVE);
      setattrFd(p, fd, { attrSet: MOUNT_ATTR_IDMAP, userns: ns }, AT_EMPTY_PATH | AT_RECURSIVE);
    },
    'mount_setattr an unknown flag': ({ p }) => p.mountSetattr(AT_FDCWD, '/', 0x10000, { attrSet: 0, attrClr: 0 }),
    'mount_setattr an atime without MOUNT_ATTR__ATIME cleared': onClone('/src', { attrSet: MOUNT_ATTR_NOATIME }),
    'mount_setattr two propagation types': onClone('/src', { propagation: MS_SHARED | MS_PRIVATE }),
    'mount_setattr with nothing to do': ({ p }) => p.mountSetattr(AT_FDCWD, '/src/f', 0, { attrSet: 0, attrClr: 0 }),
    'mount_setattr on a directory that is no mount root': ({ p }) => {
      p.mount('/src', '/b', null, MS_BIND);
      p.mkdir('/b/sub');
      p.mountSetattr(AT_FDCWD, '/b/sub', 0, { attrSet: MOUNT_ATTR_RDONLY, attrClr: 0 });
    },
    'move_mount with an unknown flag': ({ p }) => p.moveMount(p.openTree(AT_FDCWD, '/src', OPEN_TREE_CLONE), '', AT_FDCWD, '/dst', 0x1000),
    'move_mount a detached directory onto a file': ({ p }) => p.moveMount(p.openTree(AT_FDCWD, '/src', OPEN_TREE_CLONE), '', AT_FDCWD, '/src/f', MOVE_MOUNT_F_EMPTY_PATH),
    'move_mount a detached tree, then again elsewhere': ({ p }) => {
      const fd = p.openTree(AT_FDCWD, '/src', OPEN_TREE_CLONE);
      p.moveMount(fd, '', AT_FDCWD, '/dst', MOVE_MOUNT_F_EMPTY_PATH);
      p.moveMount(fd, '', AT_FDCWD, '/b', MOVE_MOUNT_F_EMPTY_PATH);
    },
    'move_mount from a directory of a detached tree that is not its root': ({ p }) => {
      p.mkdir('/src/sub');
      const fd = p.openTree(AT_FDCWD, '/src', OPEN_TREE_CLONE);
      const sub = p.openat(fd, 'sub', O_PATH | O_DIRECTORY);
      p.moveMount(sub, '', AT_FDCWD, '/dst', MOVE_MOUNT_F_EMPTY_PATH);
    },
    'mount_setattr idmap of a subdirectory clone': (w) => {
      w.p.mkdir('/src/sub');
      const fd = w.p.openTree(AT_FDCWD, '/src/sub', OPEN_TREE_CLONE);
      setattrFd(w.p, fd, { attrSet: MOUNT_ATTR_IDMAP, userns: w.ns });
      w.p.moveMount(fd, '', AT_FDCWD, '/dst', MOVE_MOUNT_F_EMPTY_PATH);
    },
    'mount_setattr rdonly recursively over a writer': ({ p }) => {
      p.mount('/src', '/b', null, MS_BIND);
      p.mkdir('/b/sub');
      p.mount('none', '/b/sub', 'tmpfs', 0);
      const fd = p.open('/b/sub/w', O_CREAT | O_WRONLY, 0o644);
      try {
        p.mountSetattr(AT_FDCWD, '/b', AT_RECURSIVE, { attrSet: MOUNT_ATTR_RDONLY, attrClr: 0 });
      } finally {
        p.close(fd);
      }
    },
    'mount_setattr shared on a detached tree': onClone('/src', { propagation: MS_SHARED }),
    'mknod through it as root (fsuid 0 has no mapping)': then((p) => mknod(p, '/dst/new')),
    'mknod through it as 10005': then((p) => (as(p, 10005, 10005, ['DAC_OVERRIDE', 'CHOWN', 'FOWNER']), mknod(p, '/dst/new'))),
    'mkdir through it as root': then((p) => p.mkdir('/dst/d')),
    'chown through it to 20000': then((p) => p.chown('/dst/f', 20000, -1)),
    'chown through it to 10003': then((p) => p.chown('/dst/f', 10003, 10003)),
    'unlink through it a file whose owner it cannot name': then((p) => p.unlink('/dst/g')),
    'access W_OK through it of a file whose owner it cannot name': then((p) => p.access('/dst/g', W_OK)),
    'access R_OK of a 0600 root file as 10000 through it': then((p) => (as(p, 10000, 10000, []), p.access('/dst/p', R_OK))),
    'access R_OK of a 0600 root file as 10000 without it': then((p) => (as(p, 10000, 10000, []), p.access('/src/p', R_OK))),
  };
  it.each(K.cases('idmapped mounts and the mount API', ops))('%s -> %s', (_n, expected, op) => {
    const w = world();
    expect(errOf(() => op(w))).toBe(expected);
  });

  // open(2) goes through the same checks as the recorded calls: O_CREAT is may_o_create() and
  // the new owner as mknod's, opening for reading is the permission access(2) checks.
  const creat = (p: Process, path: string): void => p.close(p.open(path, O_CREAT | O_WRONLY, 0o644));
  it.each([
    ['open O_CREAT through it as root', 'mknod through it as root (fsuid 0 has no mapping)', then((p) => creat(p, '/dst/new'))],
    ['open O_CREAT through it as 10005', 'mknod through it as 10005', then((p) => (as(p, 10005, 10005, ['DAC_OVERRIDE', 'CHOWN', 'FOWNER']), creat(p, '/dst/new')))],
    ['open O_RDONLY of a 0600 root file as 10000 through it', 'access R_OK of a 0600 root file as 10000 through it', then((p) => (as(p, 10000, 10000, []), p.close(p.open('/dst/p', O_RDONLY))))],
    ['open O_RDONLY of a 0600 root file as 10000 without it', 'access R_OK of a 0600 root file as 10000 without it', then((p) => (as(p, 10000, 10000, []), p.close(p.open('/src/p', O_RDONLY))))],
  ] as const)('%s is what the recorded %s gives', (_n, recorded, op) => {
    const expected = K.cases('idmapped mounts and the mount API', ops).find(([n]) => n === recorded)![1];
    expect(errOf(() => op(world()))).toBe(expected);
  });

  const options = (p: Process, target: string): string => {
    const line = p.mountinfo().split('\n').find((l) => l.split(' ')[4] === target)!;
    return line.split(' ')[5]!;
  };
  const after = (fn: (p: Process) => unknown) => (w: W): unknown => {
    idmapped(w);
    return fn(w.p);
  };
  const setattrOptions = (attr: Partial<MountAttr>) => ({ p }: W): string => {
    p.mount('/src', '/b', null, MS_BIND);
    p.mountSetattr(AT_FDCWD, '/b', 0, { attrSet: 0, attrClr: 0, ...attr });
    return options(p, '/b');
  };
  const values: Record<string, (w: W) => unknown> = {
    'stat through it of a root file': after((p) => statIds(p, '/dst/f')),
    'stat through it of a 5000:5000 file': after((p) => statIds(p, '/dst/g')),
    'a file made through it by 10005, seen through it': after((p) => (as(p, 10005, 10005, ['DAC_OVERRIDE']), mknod(p, '/dst/new'), statIds(p, '/dst/new'))),
    'a file made through it by 10005:10006, on the filesystem': after((p) => {
      const c = p.fork();
      as(c, 10005, 10006, ['DAC_OVERRIDE']);
      mknod(c, '/dst/new');
      c.exit();
      return statIds(p, '/src/new');
    }),
    'chown through it to 10003:10004, on the filesystem': after((p) => (p.chown('/dst/f', 10003, 10004), statIds(p, '/src/f'))),
    'mount options of the idmapped mount': after((p) => options(p, '/dst')),
    'mount_setattr rdonly|nosuid on a bind mount': setattrOptions({ attrSet: MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID }),
    'mount_setattr clear _ATIME, set noatime': setattrOptions({ attrSet: MOUNT_ATTR_NOATIME, attrClr: MOUNT_ATTR__ATIME }),
    'mount_setattr propagation shared': ({ p }) => {
      p.mount('/src', '/b', null, MS_BIND);
      p.mountSetattr(AT_FDCWD, '/b', 0, { attrSet: 0, attrClr: 0, propagation: MS_SHARED });
      return p.mountinfo().split('\n').find((l) => l.split(' ')[4] === '/b')!.includes(' shared:');
    },
  };
  it.each(K.cases('through an idmapped mount', values))('%s -> %j', (_n, expected, fn) => {
    expect(fn(world())).toEqual(expected);
  });

  /**
   * The container case (containerd's idmapped rootfs): the cell idmaps /src at /dst with
   * 0 10000 1000, and root of a user namespace with the same maps works through /dst and beside
   * it; `after` is what the cell sees once it is done.
   */
  function containerWorld(): W {
    const w = world();
    w.p.mkdir('/src/sg');
    w.p.chmod('/src/sg', 0o2777);
    create(w.p, '/src/h');
    create(w.p, '/src/h5');
    w.p.chown('/src/h5', 5, 0);
    idmapped(w);
    return w;
  }
  const mode = (p: Process, path: string): number => p.lstat(path).mode & 0o7777;
  /** The recorder's own_idmap(): in its own mount namespace, an idmapped clone with its own user namespace. */
  const ownIdmap = (c: Process, path: string | null): void => {
    c.unshare(CLONE_NEWNS);
    if (path === null) c.mount('none', '/b', 'tmpfs', 0);
    setattrFd(c, c.openTree(AT_FDCWD, path ?? '/b', OPEN_TREE_CLONE), { attrSet: MOUNT_ATTR_IDMAP, userns: c.userNs });
  };
  const asUid5 = <T>(fn: (c: Process) => T) => (c: Process): T => (setres(c, 5, 5), fn(c));
  const container: Record<string, [(c: Process) => unknown, ((p: Process) => unknown) | null]> = {
    'stat of a root file through it': [(c) => statIds(c, '/dst/f'), null],
    'stat of a root file beside it': [(c) => statIds(c, '/src/f'), null],
    'mknod through it': [(c) => (mknod(c, '/dst/c'), statIds(c, '/dst/c')), (p) => statIds(p, '/src/c')],
    'mknod beside it': [(c) => errOf(() => mknod(c, '/src/x')), (p) => statIds(p, '/src/x')],
    'chown through it to 5:5': [(c) => errOf(() => c.chown('/dst/f', 5, 5)), (p) => statIds(p, '/src/f')],
    'access R_OK through it of a 0600 root file': [(c) => errOf(() => c.access('/dst/p', R_OK)), null],
    'access R_OK beside it of a 0600 root file': [(c) => errOf(() => c.access('/src/p', R_OK)), null],
    'rename from it to beside it': [(c) => errOf(() => c.rename('/dst/f', '/src/f2')), null],
    'link from it to beside it': [(c) => errOf(() => c.link('/dst/f', '/src/f2')), null],
    'mknod and mkdir in a setgid directory through it': [
      (c) => (mknod(c, '/dst/sg/f'), c.mkdir('/dst/sg/d'), [statIds(c, '/dst/sg/f'), mode(c, '/dst/sg/d')]),
      (p) => [statIds(p, '/src/sg/f'), statIds(p, '/src/sg/d')],
    ],
    'chmod 02755 through it by its owner in its group': [(c) => (c.chmod('/dst/h', 0o2755), mode(c, '/dst/h')), null],
    'chmod 02755 through it by an owner outside its group': [asUid5((c) => (c.chmod('/dst/h5', 0o2755), mode(c, '/dst/h5'))), null],
    "idmap a clone of the cell's tmpfs with its own namespace": [(c) => errOf(() => ownIdmap(c, '/src')), null],
    'idmap a clone of a tmpfs it mounted with its own namespace': [(c) => errOf(() => ownIdmap(c, null)), null],
  };
  it.each(K.cases('a user namespace over an idmapped mount', container))('%s -> %j', (_n, expected, [fn, after]) => {
    const { p } = containerWorld();
    const inner = inUserns(p, asNsRoot(fn), IDMAP, IDMAP);
    expect(after ? [inner, after(p)] : inner).toEqual(expected);
  });
});

itChecksEveryAnswer(K);
