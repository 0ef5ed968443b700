/**
 * xfstests' idmapped-mounts cases, held to this kernel: creation, chown, setid bits, rename and
 * link within and across idmapped mounts, idmapped mounts used from a user namespace, and an
 * idmapped mount of an idmapped mount. Each case is one function of xfstests'
 * src/vfs/idmapped-mounts.c (the `tcore_*` suite that generic/633 runs on tmpfs, which supports
 * idmapped mounts since Linux 6.3), named after it and done step by step as the C does it: t_mnt
 * is the cell's tmpfs, T_DIR1 `/idmapped_mounts_1` (0777, test_setup()). Where the C asserts, the
 * kernel's own answers were recorded instead (test/kernel/record-facts.py, group
 * xfstests-idmapped, test/kernel/recorders/xfstests_idmapped.py, whose functions of the same
 * names do the same steps), and those are the expected values here.
 *
 * The C's helpers: get_userns_fd() is a child's user namespace with "nsid hostid range" as both
 * maps; switch_userns() is setns(CLONE_NEWUSER) then switch_ids() (setgroups([]), setresgid,
 * setresuid); switch_fsids() sets the filesystem ids; caps_up()/caps_down()/caps_down_fsetid()
 * capset(2) the effective set.
 *
 * Left out, because the emulator does not model them: execveat(2) of a setid binary (its owner
 * and mode through the mount are checked, and what chown and write do to its setid bits),
 * O_TMPFILE, POSIX ACLs (tcore_acls, setgid_create_acl_idmapped), fscaps
 * (security.capability v3 with a rootid: tcore_fscaps_idmapped_mounts*), io_uring, and
 * fs.protected_symlinks=1 (recorded on a host where it is 0; see the case).
 */
import { describe, expect, it } from 'vitest';
import { ALL_CAPS, AT_EMPTY_PATH, AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_NOFOLLOW, Cap, createSandbox, MS_PRIVATE, MS_REC, O_CREAT, O_DIRECTORY, O_EXCL, O_RDONLY, O_RDWR, O_WRONLY } from '../../src/index.js';
import { AT_NO_AUTOMOUNT, AT_RECURSIVE, MOUNT_ATTR_IDMAP, MOUNT_ATTR_RDONLY, MOVE_MOUNT_F_EMPTY_PATH, OPEN_TREE_CLOEXEC, OPEN_TREE_CLONE } from '../../src/vfs/mount-api.js';
import { CLONE_NEWNS } from '../../src/vfs/net-namespace.js';
import { CLONE_NEWUSER } from '../../src/vfs/nsproxy-syscalls.js';
import type { Process } from '../../src/vfs/process.js';
import type { UserNamespace } from '../../src/vfs/user-namespace.js';
import { itChecksEveryAnswer, kernelFacts } from '../kernel/facts.js';
import { errOf } from './helpers.js';

const K = kernelFacts('xfstests-idmapped');

const T_DIR1 = 'idmapped_mounts_1';
const [FILE1, FILE2, FILE1_RENAME] = ['file1', 'file2', 'file1_rename'];
const [DIR1, DIR1_RENAME] = ['dir1', 'dir1_rename'];
const [HARDLINK1, SYMLINK1, CHRDEV1] = ['hardlink1', 'symlink1', 'chrdev1'];
const [SYMLINK_USER1, SYMLINK_USER2, SYMLINK_USER3] = ['symlink_user1', 'symlink_user2', 'symlink_user3'];
const S_IFREG = 0o100000;
const S_IFCHR = 0o020000;
const [S_ISUID, S_ISGID, S_ISVTX, S_IXGRP, S_IEXEC] = [0o4000, 0o2000, 0o1000, 0o010, 0o100];
const O_CREAT_EXCL = O_CREAT | O_EXCL;
/** makedev(3) of small numbers. */
const makedev = (major: number, minor: number): number => (major << 8) | minor;
/**
 * The emulator follows every symlink (no may_follow_link()): what fs.protected_symlinks=0 does.
 * A recording made with 1 would fail the protected-symlinks case, as it should.
 */
const PROTECTED_SYMLINKS = 0;

type Answers = Record<string, unknown>;

// ------------------------------------------------------------------ the C's helpers

/** A cell: root of init_user_ns on an empty tmpfs root, umask 0; test_setup()'s T_DIR1. */
function world(): { p: Process; mnt: number; dir1: number } {
  const p = createSandbox().process;
  p.umaskSet(0);
  p.mkdir(`/${T_DIR1}`, 0o777);
  p.chmod(`/${T_DIR1}`, 0o777);
  return { p, mnt: p.open('/', O_RDONLY | O_DIRECTORY), dir1: p.open(`/${T_DIR1}`, O_RDONLY | O_DIRECTORY) };
}

/** get_userns_fd_from_idmap(): a child's new user namespace with these maps, the child gone. */
function usernsFd(p: Process, map: string): UserNamespace {
  const c = p.fork();
  c.unshare(CLONE_NEWUSER);
  p.writeUidMap(c.userNs, map);
  p.writeGidMap(c.userNs, map);
  const ns = c.userNs;
  c.exit();
  return ns;
}

/** get_userns_fd(nsid, hostid, range). */
const getUsernsFd = (p: Process, nsid: number, hostid: number, range: number): UserNamespace => usernsFd(p, `${nsid} ${hostid} ${range}`);

/** open_tree(OPEN_TREE_CLONE ...) of `path` (AT_EMPTY_PATH for '') and MOUNT_ATTR_IDMAP with `ns`. */
function cloneIdmapped(p: Process, dfd: number, path: string, ns: UserNamespace, recursive = false): number {
  let flags = AT_NO_AUTOMOUNT | AT_SYMLINK_NOFOLLOW | OPEN_TREE_CLOEXEC | OPEN_TREE_CLONE;
  if (path === '') flags |= AT_EMPTY_PATH;
  if (recursive) flags |= AT_RECURSIVE;
  const fd = p.openTree(dfd, path, flags);
  p.mountSetattr(fd, '', AT_EMPTY_PATH, { attrSet: MOUNT_ATTR_IDMAP, attrClr: 0, userns: ns });
  return fd;
}

/** chown_r(): every entry below `path`, then `path`, without following symlinks. */
function chownR(p: Process, dfd: number, path: string, uid: number, gid: number): void {
  const fd = p.openat(dfd, path, O_RDONLY | O_DIRECTORY);
  try {
    const names = p.getdents(fd).map((e) => e.name).filter((n) => n !== '.' && n !== '..').sort();
    for (const name of names) {
      if ((p.fstatat(fd, name, AT_SYMLINK_NOFOLLOW).mode & 0o170000) === 0o040000) chownR(p, fd, name, uid, gid);
      else p.fchownat(fd, name, uid, gid, AT_SYMLINK_NOFOLLOW);
    }
  } finally {
    p.close(fd);
  }
  p.fchownat(dfd, path, uid, gid, AT_SYMLINK_NOFOLLOW);
}

/** expected_uid_gid()'s fstatat(): [st_uid, st_gid] as the caller's namespace shows them. */
function ids(p: Process, dfd: number, path: string, flags = 0): [number, number] {
  const st = path === '' ? p.fstat(dfd) : p.fstatat(dfd, path, flags);
  return [st.uid, st.gid];
}

/** The mode bits is_setid()/is_setgid()/is_sticky() test. */
const mode = (p: Process, dfd: number, path: string): number => p.fstatat(dfd, path, AT_SYMLINK_NOFOLLOW).mode & 0o7777;
const size = (p: Process, dfd: number, path: string): number => p.fstatat(dfd, path).size;
const creat = (p: Process, dfd: number, path: string, m: number): void => p.close(p.openat(dfd, path, O_CREAT_EXCL | O_RDONLY, m));
const mknod = (p: Process, dfd: number, path: string, m: number, dev = 0): void => p.mknodat(dfd, path, m, dev);
const exists = (p: Process, dfd: number, path: string): boolean => errOf(() => p.fstatat(dfd, path, AT_SYMLINK_NOFOLLOW)) === 'OK';

/** The C's fork(): `fn` in a child task, which then exits. */
function inChild<T>(p: Process, fn: (c: Process) => T): T {
  const c = p.fork();
  try {
    return fn(c);
  } finally {
    c.exit();
  }
}

/** {name: 'OK' or errno} of each step in turn; a failing step does not stop the next. */
const steps = (pairs: [string, () => unknown][]): Answers => Object.fromEntries(pairs.map(([n, fn]) => [n, errOf(fn)]));

/** switch_ids(): setgroups([]), setresgid, setresuid. */
function switchIds(c: Process, uid: number, gid: number): void {
  c.setgroups([]);
  c.setresgid(gid);
  c.setresuid(uid);
}

/** switch_resids(): setresgid, setresuid, the supplementary groups kept. */
function switchResids(c: Process, uid: number, gid: number): void {
  c.setresgid(gid);
  c.setresuid(uid);
}

/**
 * setns(fd, CLONE_NEWUSER) (userns_install(): CAP_SYS_ADMIN over the target, then every
 * capability in it). Process has no setns for a user namespace; this makes the credentials
 * userns_install() commits.
 */
function setnsUserns(c: Process, ns: UserNamespace): void {
  if (!c.creds.nsCapable(ns, Cap.SYS_ADMIN)) throw new Error('setns(CLONE_NEWUSER): EPERM');
  c.creds = c.creds.with({ userNs: ns, caps: ALL_CAPS, permitted: ALL_CAPS });
}

/** switch_userns(). */
function switchUserns(c: Process, ns: UserNamespace, uid: number, gid: number): void {
  setnsUserns(c, ns);
  switchIds(c, uid, gid);
}

/** The capabilities setfsuid(2) takes from the effective set when the fsuid leaves 0 (CAP_FS_MASK). */
const CAP_FS_MASK = [Cap.CHOWN, Cap.MKNOD, Cap.DAC_OVERRIDE, Cap.DAC_READ_SEARCH, Cap.FOWNER, Cap.FSETID, Cap.LINUX_IMMUTABLE, Cap.MAC_OVERRIDE].reduce((s, b) => s | (1n << BigInt(b)), 0n);

/**
 * switch_fsids(): setfsgid(2) then setfsuid(2) (cap_task_fix_setuid(): the fs capabilities go
 * when the fsuid leaves 0). Process has no setfsuid; these are the credentials it commits.
 */
function switchFsids(c: Process, fsuid: number, fsgid: number): void {
  const ns = c.creds.userNs;
  const uid = ns.makeKuid(fsuid);
  const caps = c.creds.uid === 0 && uid !== 0 ? c.creds.caps & ~CAP_FS_MASK : c.creds.caps;
  c.creds = c.creds.with({ uid, gid: ns.makeKgid(fsgid), caps });
}

const capsUp = (c: Process): void => c.capset(c.creds.permitted, c.creds.permitted);
const capsDown = (c: Process): void => c.capset(0n, c.creds.permitted);
const capsDownFsetid = (c: Process): void => c.capset(c.creds.caps & ~(1n << BigInt(Cap.FSETID)), c.creds.permitted);

// ------------------------------------------------------------------ the cases

type Case = (p: Process, mnt: number, dir1: number) => unknown;

// xfstests src/vfs/idmapped-mounts.c: tcore_fsids_mapped() — fsids 10000:10000 with every
// capability, which the idmapping 0:10000:10000 maps: every operation works.
const tcore_fsids_mapped: Case = (p, mnt, dir1) => {
  creat(p, dir1, FILE1, 0o644);
  p.mkdirat(dir1, DIR1, 0o700);
  chownR(p, mnt, T_DIR1, 0, 0);
  const fd = cloneIdmapped(p, dir1, '', getUsernsFd(p, 0, 10000, 10000));
  return inChild(p, (c) => {
    switchFsids(c, 10000, 10000);
    capsUp(c);
    return steps([
      ['linkat file1 hardlink1', () => c.linkat(fd, FILE1, fd, HARDLINK1)],
      ['renameat file1', () => c.renameat2(fd, FILE1, fd, FILE1_RENAME)],
      ['renameat dir1', () => c.renameat2(fd, DIR1, fd, DIR1_RENAME)],
      ['unlinkat file1_rename', () => c.unlinkat(fd, FILE1_RENAME)],
      ['unlinkat dir1_rename AT_REMOVEDIR', () => c.unlinkat(fd, DIR1_RENAME, AT_REMOVEDIR)],
      ['openat O_CREAT file1', () => creat(c, fd, FILE1, 0o644)],
      ['mknodat S_IFREG file2', () => mknod(c, fd, FILE2, S_IFREG)],
      ['mknodat S_IFCHR 0:0 chrdev1', () => mknod(c, fd, CHRDEV1, S_IFCHR | 0o644, makedev(0, 0))],
      ['symlinkat symlink1', () => c.symlinkat(FILE2, fd, SYMLINK1)],
      ['mkdirat dir1', () => c.mkdirat(fd, DIR1, 0o700)],
    ]);
  });
};

// xfstests src/vfs/idmapped-mounts.c: tcore_fsids_unmapped() — fsids 0:0, which the idmapping
// 0:10000:10000 cannot write down: creation is EOVERFLOW, deletion works.
const tcore_fsids_unmapped: Case = (p, mnt, dir1) => {
  creat(p, dir1, FILE1, 0o644);
  p.mkdirat(dir1, DIR1, 0o700);
  chownR(p, mnt, T_DIR1, 0, 0);
  const fd = cloneIdmapped(p, dir1, '', getUsernsFd(p, 0, 10000, 10000));
  switchFsids(p, 0, 0);
  return steps([
    ['linkat file1 hardlink1', () => p.linkat(fd, FILE1, fd, HARDLINK1)],
    ['renameat file1', () => p.renameat2(fd, FILE1, fd, FILE1_RENAME)],
    ['renameat dir1', () => p.renameat2(fd, DIR1, fd, DIR1_RENAME)],
    ['unlinkat file1', () => p.unlinkat(fd, FILE1)],
    ['unlinkat dir1 AT_REMOVEDIR', () => p.unlinkat(fd, DIR1, AT_REMOVEDIR)],
    ['openat O_CREAT file1', () => creat(p, fd, FILE1, 0o644)],
    ['mknodat S_IFREG file2', () => mknod(p, fd, FILE2, S_IFREG)],
    ['mknodat S_IFCHR 5:1 chrdev1', () => mknod(p, fd, CHRDEV1, S_IFCHR | 0o644, makedev(5, 1))],
    ['symlinkat symlink1', () => p.symlinkat(FILE2, fd, SYMLINK1)],
    ['mkdirat dir1', () => p.mkdirat(fd, DIR1, 0o700)],
  ]);
};

// xfstests src/vfs/idmapped-mounts.c: tcore_create_in_userns() — root of the idmapping's own
// user namespace creates, renames and removes through the idmapped mount; all its files are 0:0.
const tcore_create_in_userns: Case = (p, mnt, dir1) => {
  chownR(p, mnt, T_DIR1, 0, 0);
  const ns = getUsernsFd(p, 0, 10000, 10000);
  const fd = cloneIdmapped(p, dir1, '', ns);
  return inChild(p, (c) => {
    switchUserns(c, ns, 0, 0);
    const out: Answers = {};
    out['openat O_CREAT file1'] = errOf(() => creat(c, fd, FILE1, 0o644));
    out['file1'] = ids(c, fd, FILE1);
    out['mknodat S_IFREG file2'] = errOf(() => mknod(c, fd, FILE2, S_IFREG));
    out['file2'] = ids(c, fd, FILE2);
    out['symlinkat symlink1'] = errOf(() => c.symlinkat(FILE2, fd, SYMLINK1));
    out['symlink1 (nofollow)'] = ids(c, fd, SYMLINK1, AT_SYMLINK_NOFOLLOW);
    out['mkdirat dir1'] = errOf(() => c.mkdirat(fd, DIR1, 0o700));
    out['dir1'] = ids(c, fd, DIR1);
    out['renameat file1'] = errOf(() => c.renameat2(fd, FILE1, fd, FILE1_RENAME));
    out['file1_rename'] = ids(c, fd, FILE1_RENAME);
    out['renameat dir1'] = errOf(() => c.renameat2(fd, DIR1, fd, DIR1_RENAME));
    out['dir1_rename'] = ids(c, fd, DIR1_RENAME);
    out['unlinkat file1_rename'] = errOf(() => c.unlinkat(fd, FILE1_RENAME));
    out['unlinkat dir1_rename AT_REMOVEDIR'] = errOf(() => c.unlinkat(fd, DIR1_RENAME, AT_REMOVEDIR));
    return out;
  });
};

// xfstests src/vfs/idmapped-mounts.c: tcore_device_node_in_userns() — no device node from a user
// namespace, idmapped mount or not (CAP_MKNOD over init_user_ns).
const tcore_device_node_in_userns: Case = (p, _mnt, dir1) => {
  const ns = getUsernsFd(p, 0, 10000, 10000);
  const fd = cloneIdmapped(p, dir1, '', ns);
  return inChild(p, (c) => {
    switchUserns(c, ns, 0, 0);
    return errOf(() => mknod(c, fd, CHRDEV1, S_IFCHR | 0o644, makedev(5, 1)));
  });
};

// tcore_expected_uid_gid_idmapped_mounts: seven names, seen through three mounts, in five phases.
const ENTRIES: [string, string, number][] = [
  ['file1', FILE1, 0],
  ['file2', FILE2, 0],
  ['hardlink1', HARDLINK1, 0],
  ['chrdev1', CHRDEV1, 0],
  ['symlink1 (nofollow)', SYMLINK1, AT_SYMLINK_NOFOLLOW],
  ['symlink1', SYMLINK1, 0],
  ['dir1', DIR1, 0],
];
const views = (p: Process, mounts: Record<string, number>): Answers =>
  Object.fromEntries(Object.entries(mounts).map(([m, fd]) => [m, Object.fromEntries(ENTRIES.map(([n, path, flags]) => [n, ids(p, fd, path, flags)]))]));
/** The C's seven fchownat() calls on one mount: the symlink itself to linkUid, the rest to uid:gid. */
const chowns = (c: Process, fd: number, uid: number, linkUid: number): Answers => ({
  file1: errOf(() => c.fchownat(fd, FILE1, uid, uid, 0)),
  file2: errOf(() => c.fchownat(fd, FILE2, uid, uid, 0)),
  hardlink1: errOf(() => c.fchownat(fd, HARDLINK1, uid, uid, 0)),
  chrdev1: errOf(() => c.fchownat(fd, CHRDEV1, uid, uid, 0)),
  'symlink1 (nofollow)': errOf(() => c.fchownat(fd, SYMLINK1, linkUid, linkUid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)),
  symlink1: errOf(() => c.fchownat(fd, SYMLINK1, uid, uid, AT_EMPTY_PATH)),
  dir1: errOf(() => c.fchownat(fd, DIR1, uid, uid, AT_EMPTY_PATH)),
});

// xfstests src/vfs/idmapped-mounts.c: tcore_expected_uid_gid_idmapped_mounts() — files made by
// fsuid 0 on T_DIR1, two idmapped clones (0:10000:10000 and 0:30000:2001), chowns from the cell and
// from root of each idmapping's namespace; what each mount shows after each phase.
const expectedUidGid = (phase: number): Case => (p, _mnt, dir1) => {
  switchFsids(p, 0, 0);
  creat(p, dir1, FILE1, 0o644);
  mknod(p, dir1, FILE2, S_IFREG);
  mknod(p, dir1, CHRDEV1, S_IFCHR | 0o644, makedev(0, 0));
  p.linkat(dir1, FILE1, dir1, HARDLINK1);
  p.symlinkat(FILE2, dir1, SYMLINK1);
  p.mkdirat(dir1, DIR1, 0o700);
  const ns1 = getUsernsFd(p, 0, 10000, 10000);
  const fd1 = cloneIdmapped(p, dir1, '', ns1);
  const ns2 = getUsernsFd(p, 0, 30000, 2001);
  const fd2 = cloneIdmapped(p, dir1, '', ns2);
  const mounts = { t_dir1: dir1, 'idmapped 0:10000:10000': fd1, 'idmapped 0:30000:2001': fd2 };
  if (phase === 0) return views(p, mounts);
  for (const [name, path, flags] of ENTRIES) {
    if (name === 'symlink1 (nofollow)') p.fchownat(dir1, path, 3000, 3000, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
    else p.fchownat(dir1, path, 2000, 2000, flags | (name === 'symlink1' || name === 'dir1' ? AT_EMPTY_PATH : 0));
  }
  if (phase === 1) return views(p, mounts);
  const inNs = (ns: UserNamespace, own: [string, number], others: [string, number][], uid: number, linkUid: number): Answers =>
    inChild(p, (c) => {
      switchUserns(c, ns, 0, 0);
      const answers = Object.fromEntries([...others, own].map(([m, fd]) => [m, chowns(c, fd, uid, linkUid)]));
      return { fchownat: answers, seen: views(c, mounts) };
    });
  const first = inNs(ns1, ['idmapped 0:10000:10000', fd1], [['t_dir1', dir1], ['idmapped 0:30000:2001', fd2]], 1000, 2000);
  if (phase === 2) return first;
  if (phase === 3) return views(p, mounts);
  const second = inNs(ns2, ['idmapped 0:30000:2001', fd2], [['t_dir1', dir1], ['idmapped 0:10000:10000', fd1]], 0, 3000);
  return { 'root of the second namespace': second, 'then the cell sees': views(p, mounts) };
};

const hardlink = (p: Process, a: number, b: number): void => p.linkat(a, FILE1, b, HARDLINK1);
const rename = (p: Process, a: number, b: number): void => p.renameat2(a, FILE1, b, FILE1_RENAME);

// xfstests src/vfs/idmapped-mounts.c: tcore_hardlink_crossing_idmapped_mounts() and
// tcore_rename_crossing_idmapped_mounts() — from one idmapped clone of T_DIR1 into another
// (of its DIR1, same idmapping): EXDEV, as between any two mounts.
const crossing = (call: (p: Process, a: number, b: number) => void): Case => (p, mnt, dir1) => {
  chownR(p, mnt, T_DIR1, 10000, 10000);
  const ns = getUsernsFd(p, 10000, 0, 10000);
  const fd1 = cloneIdmapped(p, dir1, '', ns);
  const out: Answers = {
    'openat O_CREAT file1': errOf(() => creat(p, fd1, FILE1, 0o644)),
    'file1 through it': ids(p, fd1, FILE1),
    'file1 through t_dir1': ids(p, dir1, FILE1),
    'mkdirat dir1': errOf(() => p.mkdirat(fd1, DIR1, 0o777)),
  };
  const fd2 = cloneIdmapped(p, dir1, DIR1, ns, true);
  out['across'] = errOf(() => call(p, fd1, fd2));
  return out;
};

// xfstests src/vfs/idmapped-mounts.c: tcore_hardlink_from_idmapped_mount() and
// tcore_rename_from_idmapped_mount() — within one idmapped mount (10000:0:10000) by root.
const fromIdmapped = (call: (p: Process, a: number, b: number) => void, after: string): Case => (p, mnt, dir1) => {
  chownR(p, mnt, T_DIR1, 10000, 10000);
  const fd = cloneIdmapped(p, dir1, '', getUsernsFd(p, 10000, 0, 10000));
  const out: Answers = {
    'openat O_CREAT file1': errOf(() => creat(p, fd, FILE1, 0o644)),
    'file1 through it': ids(p, fd, FILE1),
    'file1 through t_dir1': ids(p, dir1, FILE1),
    within: errOf(() => call(p, fd, fd)),
  };
  out[`${after} through t_dir1`] = ids(p, dir1, after);
  return out;
};

// xfstests src/vfs/idmapped-mounts.c: tcore_hardlink_from_idmapped_mount_in_userns() and
// tcore_rename_from_idmapped_mount_in_userns() — the same by root of the idmapping's namespace.
const fromIdmappedInUserns = (call: (p: Process, a: number, b: number) => void, after: string): Case => (p, mnt, dir1) => {
  chownR(p, mnt, T_DIR1, 0, 0);
  const ns = getUsernsFd(p, 0, 10000, 10000);
  const fd = cloneIdmapped(p, dir1, '', ns);
  return inChild(p, (c) => {
    switchUserns(c, ns, 0, 0);
    const out: Answers = {
      'openat O_CREAT file1': errOf(() => creat(c, fd, FILE1, 0o644)),
      'file1 through it': ids(c, fd, FILE1),
      within: errOf(() => call(c, fd, fd)),
    };
    out[`${after} through it`] = ids(c, fd, after);
    return out;
  });
};

// xfstests src/vfs/idmapped-mounts.c: tcore_setattr_truncate_idmapped() — a setgid file made
// through the idmapped mount by 10000:10000, truncated by it and by root: owner, size and mode
// (should_remove_suid(): the setgid-exec bits go without CAP_FSETID).
const tcore_setattr_truncate_idmapped: Case = (p, _mnt, dir1) => {
  const fd = cloneIdmapped(p, dir1, '', getUsernsFd(p, 0, 10000, 10000));
  const truncations = (c: Process, f: number): Answers => {
    const out: Answers = {};
    out['ftruncate 10000'] = errOf(() => c.ftruncate(f, 10000));
    out['after 10000'] = [ids(c, fd, FILE1), size(c, fd, FILE1), mode(c, fd, FILE1)];
    out['ftruncate 0'] = errOf(() => c.ftruncate(f, 0));
    out['after 0'] = [ids(c, fd, FILE1), size(c, fd, FILE1), mode(c, fd, FILE1)];
    return out;
  };
  const creator = inChild(p, (c) => {
    switchIds(c, 10000, 10000);
    const f = c.openat(fd, FILE1, O_CREAT_EXCL | O_RDWR, S_IXGRP | S_ISGID);
    return { 'mode made': mode(c, fd, FILE1), ...truncations(c, f) };
  });
  const root = inChild(p, (c) => truncations(c, c.openat(fd, FILE1, O_RDWR)));
  return { 'by its creator 10000:10000': creator, 'by root': root };
};

const SGID_MADE: [string, string][] = [
  ['file1', FILE1],
  ['dir1', DIR1],
  ['file2', FILE2],
  ['chrdev1', CHRDEV1],
];

/** The creations of tcore_setgid_create_idmapped*() in a setgid directory, then owners and modes, then removals. */
function setgidCreations(c: Process, fd: number): Answers {
  const out: Answers = {
    'openat O_CREAT file1 S_IXGRP|S_ISGID': errOf(() => creat(c, fd, FILE1, S_IXGRP | S_ISGID)),
    'mkdirat dir1 0000': errOf(() => c.mkdirat(fd, DIR1, 0)),
    'mknodat file2 S_IFREG|S_ISGID|S_IXGRP': errOf(() => mknod(c, fd, FILE2, S_IFREG | S_ISGID | S_IXGRP)),
    'mknodat chrdev1 S_IFCHR|S_ISGID|S_IXGRP 0:0': errOf(() => mknod(c, fd, CHRDEV1, S_IFCHR | S_ISGID | S_IXGRP, 0)),
  };
  for (const [name, path] of SGID_MADE) out[name] = [ids(c, fd, path), mode(c, fd, path)];
  out['unlinkat each'] = [
    errOf(() => c.unlinkat(fd, FILE1)),
    errOf(() => c.unlinkat(fd, DIR1, AT_REMOVEDIR)),
    errOf(() => c.unlinkat(fd, FILE2)),
    errOf(() => c.unlinkat(fd, CHRDEV1)),
  ];
  return out;
}

// xfstests src/vfs/idmapped-mounts.c: tcore_setgid_create_idmapped() — in a setgid T_DIR1 seen
// as 10000:10000, a creator 10000:11000 without capabilities, outside the group: new entries take
// the directory's group, directories keep S_ISGID, files lose it (inode_init_owner(),
// mode_strip_sgid()).
const tcore_setgid_create_idmapped: Case = (p, mnt, dir1) => {
  p.fchmod(dir1, 0o777 | S_ISGID);
  const fd = cloneIdmapped(p, dir1, '', getUsernsFd(p, 0, 10000, 10000));
  const as = inChild(p, (c) => {
    switchIds(c, 10000, 11000);
    return setgidCreations(c, fd);
  });
  return { 't_dir1 mode': mode(p, mnt, T_DIR1), 'as 10000:11000': as };
};

// xfstests src/vfs/idmapped-mounts.c: tcore_setgid_create_idmapped_in_userns() — the same from
// the idmapping's namespace: its root in the group; root without CAP_FSETID with T_DIR1's group
// 1000; 0:1000 without CAP_FSETID with T_DIR1's group 0.
const tcore_setgid_create_idmapped_in_userns: Case = (p, _mnt, dir1) => {
  p.fchmod(dir1, 0o777 | S_ISGID);
  const ns = getUsernsFd(p, 0, 10000, 10000);
  const fd = cloneIdmapped(p, dir1, '', ns);
  const asNs = (uid: number, gid: number, dropFsetid: boolean): Answers =>
    inChild(p, (c) => {
      switchUserns(c, ns, uid, gid);
      if (dropFsetid) capsDownFsetid(c);
      return setgidCreations(c, fd);
    });
  const out: Answers = { 'root of the namespace, t_dir1 0:0': asNs(0, 0, false) };
  p.fchownat(dir1, '', -1, 1000, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH);
  out['root without CAP_FSETID, t_dir1 gid 1000'] = asNs(0, 0, true);
  p.fchownat(dir1, '', -1, 0, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH);
  out['0:1000 without CAP_FSETID, t_dir1 0:0'] = asNs(0, 1000, true);
  return out;
};

// xfstests src/vfs/idmapped-mounts.c: setgid_create_umask_idmapped() — the non-member creator of
// tcore_setgid_create_idmapped() with umask(S_IXGRP).
const setgid_create_umask_idmapped: Case = (p, _mnt, dir1) => {
  p.fchmod(dir1, 0o777 | S_ISGID);
  const fd = cloneIdmapped(p, dir1, '', getUsernsFd(p, 0, 10000, 10000));
  return inChild(p, (c) => {
    switchIds(c, 10000, 11000);
    c.umaskSet(S_IXGRP);
    const out: Answers = {
      'openat O_CREAT file1 S_IXGRP|S_ISGID': errOf(() => creat(c, fd, FILE1, S_IXGRP | S_ISGID)),
      'mkdirat dir1 0000': errOf(() => c.mkdirat(fd, DIR1, 0)),
      'mknodat file2 S_IFREG|S_ISGID|S_IXGRP': errOf(() => mknod(c, fd, FILE2, S_IFREG | S_ISGID | S_IXGRP)),
    };
    for (const [name, path] of SGID_MADE.slice(0, 3)) out[name] = [ids(c, fd, path), mode(c, fd, path)];
    return out;
  });
};

/**
 * tcore_setid_binaries_idmapped_mounts()'s binary: T_DIR1/FILE1 with bytes in it (the C copies
 * its own executable), 5000:5000, S_IXGRP|S_IEXEC|S_ISUID|S_ISGID; T_DIR1 idmapped
 * (0:10000:10000) and attached at /dir1, since a detached mount runs nothing setid.
 */
type Then = (p: Process, fd: number, dir1: number, ns: UserNamespace) => Answers;
const setidBinaries = (then: Then): Case => (p, mnt, dir1) => {
  p.mkdirat(mnt, DIR1, 0o777);
  const f = p.openat(dir1, FILE1, O_CREAT_EXCL | O_RDWR, 0o644);
  try {
    p.write(f, new Uint8Array([0x7f, 0x45, 0x4c, 0x46]));
    p.fchown(f, 5000, 5000);
    p.fchmod(f, S_IXGRP | S_IEXEC | S_ISUID | S_ISGID);
  } finally {
    p.close(f);
  }
  const ns = getUsernsFd(p, 0, 10000, 10000);
  const fd = cloneIdmapped(p, dir1, '', ns);
  p.moveMount(fd, '', AT_FDCWD, `/${DIR1}`, MOVE_MOUNT_F_EMPTY_PATH);
  return { 'on t_dir1': [ids(p, dir1, FILE1), mode(p, dir1, FILE1)], 'through it': [ids(p, fd, FILE1), mode(p, fd, FILE1)], ...then(p, fd, dir1, ns) };
};

/** Root of init_user_ns chowns the binary through the idmapped mount to what is 5000 on disk (setattr_prepare(): chown kills setuid and setgid-exec). */
const chownThrough: Then = (p, fd, dir1) => ({
  'fchownat 15000:15000 through it': errOf(() => p.fchownat(fd, FILE1, 15000, 15000, 0)),
  'then on t_dir1': [ids(p, dir1, FILE1), mode(p, dir1, FILE1)],
});

/** Root of the idmapping's namespace chowns it beside the mount (unmapped owner: EPERM) and through it. */
const chownInUserns: Then = (p, fd, dir1, ns) => {
  const out = inChild(p, (c) => {
    switchUserns(c, ns, 0, 0);
    return {
      'seen through it': ids(c, fd, FILE1),
      'fchownat 5000:5000 beside it': errOf(() => c.fchownat(dir1, FILE1, 5000, 5000, 0)),
      'fchownat 5000:5000 through it': errOf(() => c.fchownat(fd, FILE1, 5000, 5000, 0)),
    } as Answers;
  });
  out['then on t_dir1'] = [ids(p, dir1, FILE1), mode(p, dir1, FILE1)];
  return out;
};

/** A writer that is not the owner (11000:11000, no capabilities) writes through the mount after the cell made it 06777 (file_remove_privs()). */
const writeThrough: Then = (p, fd, dir1) => {
  p.fchmodat(dir1, FILE1, 0o6777);
  const out = inChild(p, (c) => {
    switchIds(c, 11000, 11000);
    const f = c.openat(fd, FILE1, O_WRONLY);
    try {
      return { write: errOf(() => c.write(f, new Uint8Array([0x78]))) } as Answers;
    } finally {
      c.close(f);
    }
  });
  out['then on t_dir1'] = mode(p, dir1, FILE1);
  return out;
};

// xfstests src/vfs/idmapped-mounts.c: tcore_symlink_idmapped_mounts() — fsids 10000:10000 (all
// capabilities) make a symlink through the idmapped mount and chown it (not its target).
const tcore_symlink_idmapped_mounts: Case = (p, mnt, dir1) => {
  creat(p, dir1, FILE1, 0o644);
  chownR(p, mnt, T_DIR1, 0, 0);
  const fd = cloneIdmapped(p, dir1, '', getUsernsFd(p, 0, 10000, 10000));
  return inChild(p, (c) => {
    switchFsids(c, 10000, 10000);
    capsUp(c);
    return {
      'symlinkat file2 -> file1': errOf(() => c.symlinkat(FILE1, fd, FILE2)),
      'fchownat file2 15000:15000 AT_SYMLINK_NOFOLLOW': errOf(() => c.fchownat(fd, FILE2, 15000, 15000, AT_SYMLINK_NOFOLLOW)),
      'file2 (nofollow)': ids(c, fd, FILE2, AT_SYMLINK_NOFOLLOW),
      file1: ids(c, fd, FILE1),
      'file2 on t_dir1 (nofollow)': ids(c, dir1, FILE2, AT_SYMLINK_NOFOLLOW),
    };
  });
};

// xfstests src/vfs/idmapped-mounts.c: tcore_sticky_bit_unlink_idmapped_mounts() — 1000:1000
// unlinks through an idmapped mount (10000:0:10000) of DIR1 (10000:10000, 0777): without the
// sticky bit; with it, of others' files; of files it owns (11000 on disk); in a directory it owns.
const tcore_sticky_bit_unlink_idmapped_mounts: Case = (p, _mnt, dir1) => {
  p.mkdirat(dir1, DIR1, 0);
  const dfd = p.openat(dir1, DIR1, O_RDONLY | O_DIRECTORY);
  p.fchown(dfd, 10000, 10000);
  p.fchmod(dfd, 0o777);
  const files = (): void => {
    for (const [path, owner] of [[FILE1, 10000], [FILE2, 12000]] as const) {
      mknod(p, dfd, path, S_IFREG);
      p.fchownat(dfd, path, owner, owner, 0);
      p.fchmodat(dfd, path, 0o644);
    }
  };
  const removeLeft = (): void => {
    for (const path of [FILE1, FILE2]) if (exists(p, dfd, path)) p.unlinkat(dfd, path);
  };
  files();
  const fd = cloneIdmapped(p, dfd, '', getUsernsFd(p, 10000, 0, 10000));
  const as1000 = (before?: (c: Process) => Answers): Answers =>
    inChild(p, (c) => {
      const out = before ? before(c) : {};
      switchIds(c, 1000, 1000);
      out['unlinkat file1'] = errOf(() => c.unlinkat(fd, FILE1));
      out['unlinkat file2'] = errOf(() => c.unlinkat(fd, FILE2));
      return out;
    });
  const out: Answers = { 'no sticky bit': as1000() };
  p.fchmod(dfd, 0o777 | S_ISVTX);
  removeLeft();
  files();
  out['sticky, owned by others'] = as1000();
  out['sticky, files it owns'] = as1000((c) => {
    c.fchownat(dfd, FILE1, 11000, -1, 0);
    c.fchownat(dfd, FILE2, 11000, -1, 0);
    return { 'file1 on disk': ids(c, dfd, FILE1), 'file2 on disk': ids(c, dfd, FILE2) };
  });
  p.fchown(dfd, 11000, -1);
  p.fchmod(dfd, 0o777 | S_ISVTX);
  removeLeft();
  files();
  out['sticky, a directory it owns'] = as1000();
  return out;
};

// xfstests src/vfs/idmapped-mounts.c: tcore_protected_symlinks_idmapped_mounts() — symlinks of
// 10000, 11000 and 12000 in a sticky DIR1 of 10000, opened through an idmapped mount
// (10000:0:10000) by root, 1000 and 2000. The C skips the case when fs.protected_symlinks is 0;
// here the recording host's value is part of the answer (the emulator behaves as with 0).
const tcore_protected_symlinks_idmapped_mounts: Case = (p, _mnt, dir1) => {
  p.mkdirat(dir1, DIR1, 0);
  const dfd = p.openat(dir1, DIR1, O_RDONLY | O_DIRECTORY);
  p.fchown(dfd, 10000, 10000);
  p.fchmod(dfd, 0o777 | S_ISVTX);
  mknod(p, dfd, FILE1, S_IFREG);
  p.fchownat(dfd, FILE1, 10000, 10000, 0);
  p.fchmodat(dfd, FILE1, 0o644);
  for (const [link, owner] of [[SYMLINK_USER1, 10000], [SYMLINK_USER2, 11000], [SYMLINK_USER3, 12000]] as const) {
    p.symlinkat(FILE1, dfd, link);
    p.fchownat(dfd, link, owner, owner, AT_SYMLINK_NOFOLLOW);
  }
  const fd = cloneIdmapped(p, dir1, '', getUsernsFd(p, 10000, 0, 10000));
  const opens = (c: Process): Answers =>
    Object.fromEntries([FILE1, SYMLINK_USER1, SYMLINK_USER2, SYMLINK_USER3].map((l) => [l, errOf(() => c.close(c.openat(fd, `${DIR1}/${l}`, O_RDONLY)))]));
  const asIds = (uid: number): Answers =>
    inChild(p, (c) => {
      switchIds(c, uid, uid);
      return opens(c);
    });
  return { 'fs.protected_symlinks': PROTECTED_SYMLINKS, root: opens(p), '1000': asIds(1000), '2000': asIds(2000) };
};

// xfstests src/vfs/idmapped-mounts.c: setattr_fix_968219708108() (commit 968219708108, "fs:
// handle circular mappings correctly") — an idmapping that swaps 1000 and 1001 (xfstests'
// fsgqa and fsgqa2); 1001 without capabilities chowns through it.
const setattr_fix_968219708108: Case = (p, mnt, dir1) => {
  const [u1, u2] = [1000, 1001];
  p.mkdirat(dir1, DIR1, 0o777);
  mknod(p, dir1, `${DIR1}/${FILE1}`, S_IFREG | 0o644);
  chownR(p, mnt, T_DIR1, u1, u1);
  mknod(p, dir1, `${DIR1}/${FILE2}`, S_IFREG | 0o644);
  p.fchownat(dir1, `${DIR1}/${FILE2}`, u2, u2, AT_SYMLINK_NOFOLLOW);
  const ns = usernsFd(p, `${u1} ${u2} 1\n${u2} ${u1} 1\n`);
  const fd = p.openTree(dir1, DIR1, AT_NO_AUTOMOUNT | AT_SYMLINK_NOFOLLOW | OPEN_TREE_CLOEXEC | OPEN_TREE_CLONE | AT_RECURSIVE);
  p.mountSetattr(fd, '', AT_EMPTY_PATH, { attrSet: MOUNT_ATTR_IDMAP, attrClr: 0, userns: ns });
  return inChild(p, (c) => {
    switchResids(c, u2, u2);
    capsDown(c);
    const nf = AT_SYMLINK_NOFOLLOW;
    const out: Answers = { 'file1 through it': ids(c, fd, FILE1, nf), 'file2 through it': ids(c, fd, FILE2, nf) };
    out['fchownat file1 0:0'] = errOf(() => c.fchownat(fd, FILE1, 0, 0, nf));
    out['fchownat file1 1001:1001'] = errOf(() => c.fchownat(fd, FILE1, u2, u2, nf));
    out['fchownat file1 1000:1000'] = errOf(() => c.fchownat(fd, FILE1, u1, u1, nf));
    out['file1 after'] = ids(c, fd, FILE1, nf);
    out['fchownat file2 1000:1000'] = errOf(() => c.fchownat(fd, FILE2, u1, u1, nf));
    out['fchownat file2 1001:1001'] = errOf(() => c.fchownat(fd, FILE2, u2, u2, nf));
    out['file2 after'] = ids(c, fd, FILE2, nf);
    return out;
  });
};

// No xfstests function: fs/namespace.c's rules for an idmapped mount of an idmapped mount. A
// clone of an attached idmapped mount keeps its idmapping (clone_mnt() copies mnt_idmap); a second
// MOUNT_ATTR_IDMAP is EPERM (can_idmap_mount(): already idmapped), other attributes are not; a
// recursive MOUNT_ATTR_IDMAP over a tree with an idmapped mount in it changes none of it.
const idmappedOfIdmapped: Case = (p, mnt, dir1) => {
  creat(p, dir1, FILE1, 0o644);
  p.mkdirat(dir1, DIR1, 0o777);
  const ns1 = getUsernsFd(p, 0, 10000, 10000);
  const ns2 = getUsernsFd(p, 0, 20000, 10000);
  const fd1 = cloneIdmapped(p, dir1, '', ns1);
  p.mkdir('/a');
  p.moveMount(fd1, '', AT_FDCWD, '/a', MOVE_MOUNT_F_EMPTY_PATH);
  const clone = p.openTree(AT_FDCWD, '/a', OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  const out: Answers = {
    'file1 through the attached idmapped mount': ids(p, fd1, FILE1),
    'file1 through its clone': ids(p, clone, FILE1),
    'MOUNT_ATTR_IDMAP on the clone': errOf(() => p.mountSetattr(clone, '', AT_EMPTY_PATH, { attrSet: MOUNT_ATTR_IDMAP, attrClr: 0, userns: ns2 })),
    'file1 through the clone after': ids(p, clone, FILE1),
    'MOUNT_ATTR_RDONLY on the clone': errOf(() => p.mountSetattr(clone, '', AT_EMPTY_PATH, { attrSet: MOUNT_ATTR_RDONLY, attrClr: 0 })),
    'mkdirat through the read-only clone': errOf(() => p.mkdirat(clone, 'x', 0o755)),
  };
  p.moveMount(p.openTree(AT_FDCWD, '/a', OPEN_TREE_CLONE), '', AT_FDCWD, `/${T_DIR1}/${DIR1}`, MOVE_MOUNT_F_EMPTY_PATH);
  const tree = p.openTree(mnt, T_DIR1, OPEN_TREE_CLONE | AT_RECURSIVE);
  out['recursive MOUNT_ATTR_IDMAP over a tree with an idmapped mount'] = errOf(() =>
    p.mountSetattr(tree, '', AT_EMPTY_PATH | AT_RECURSIVE, { attrSet: MOUNT_ATTR_IDMAP, attrClr: 0, userns: ns2 }),
  );
  out['file1 through the tree root after'] = ids(p, tree, FILE1);
  out['file1 through the tree child after'] = ids(p, tree, `${DIR1}/${FILE1}`);
  return out;
};

// xfstests src/vfs/tmpfs-idmapped-mounts.c: tmpfs_nested_mount_setup() — the test run by root of
// a user namespace (0 10000 200000) in a mount namespace of its own, on a tmpfs that namespace
// mounted on DIR0 (so the tmpfs belongs to it, s_user_ns), with T_DIR1 made on it by
// test_setup(); the test's own get_userns_fd() namespaces are nested in that one. DIR0 is made
// 0777 by the cell (the C's namespace root makes it, on a TEST_DIR it may write).
const tmpfsNested = (test: Case): Case => (p) => {
  p.mkdir('/dir0', 0o777);
  p.chmod('/dir0', 0o777);
  const ns = getUsernsFd(p, 0, 10000, 200000);
  return inChild(p, (c) => {
    switchUserns(c, ns, 0, 0);
    c.unshare(CLONE_NEWNS);
    c.mount(null, '/', null, MS_REC | MS_PRIVATE);
    c.mount('tmpfs', '/dir0', 'tmpfs', 0);
    const nmnt = c.open('/dir0', O_RDONLY | O_DIRECTORY);
    c.mkdirat(nmnt, T_DIR1, 0o777);
    c.fchmodat(nmnt, T_DIR1, 0o777);
    const ndir1 = c.openat(nmnt, T_DIR1, O_RDONLY | O_DIRECTORY);
    return { t_mnt: ids(c, nmnt, ''), 'the test': test(c, nmnt, ndir1) };
  });
};

const cases: Record<string, Case> = {
  tcore_fsids_mapped,
  tcore_fsids_unmapped,
  tcore_create_in_userns,
  tcore_device_node_in_userns,
  'tcore_expected_uid_gid_idmapped_mounts: made by fsuid 0': expectedUidGid(0),
  'tcore_expected_uid_gid_idmapped_mounts: chowned through t_dir1': expectedUidGid(1),
  'tcore_expected_uid_gid_idmapped_mounts: root of the first namespace chowns': expectedUidGid(2),
  'tcore_expected_uid_gid_idmapped_mounts: then the cell sees': expectedUidGid(3),
  'tcore_expected_uid_gid_idmapped_mounts: root of the second namespace chowns': expectedUidGid(4),
  tcore_hardlink_crossing_idmapped_mounts: crossing(hardlink),
  tcore_hardlink_from_idmapped_mount: fromIdmapped(hardlink, HARDLINK1),
  tcore_hardlink_from_idmapped_mount_in_userns: fromIdmappedInUserns(hardlink, HARDLINK1),
  tcore_rename_crossing_idmapped_mounts: crossing(rename),
  tcore_rename_from_idmapped_mount: fromIdmapped(rename, FILE1_RENAME),
  tcore_rename_from_idmapped_mount_in_userns: fromIdmappedInUserns(rename, FILE1_RENAME),
  tcore_setattr_truncate_idmapped,
  tcore_setgid_create_idmapped,
  tcore_setgid_create_idmapped_in_userns,
  setgid_create_umask_idmapped,
  'tcore_setid_binaries_idmapped_mounts: chown through it': setidBinaries(chownThrough),
  'tcore_setid_binaries_idmapped_mounts_in_userns: chown in the namespace': setidBinaries(chownInUserns),
  'tcore_setid_binaries_idmapped_mounts: a write through it': setidBinaries(writeThrough),
  tcore_symlink_idmapped_mounts,
  tcore_sticky_bit_unlink_idmapped_mounts,
  tcore_protected_symlinks_idmapped_mounts,
  setattr_fix_968219708108,
  'an idmapped mount of an idmapped mount': idmappedOfIdmapped,
  tmpfs_fsids_unmapped: tmpfsNested(tcore_fsids_unmapped),
  tmpfs_create_in_userns: tmpfsNested(tcore_create_in_userns),
  'tmpfs_expected_uid_gid_idmapped_mounts: made by fsuid 0': tmpfsNested(expectedUidGid(0)),
  tmpfs_setgid_create_idmapped: tmpfsNested(tcore_setgid_create_idmapped),
};

describe('xfstests src/vfs/idmapped-mounts.c on tmpfs, as this kernel answers', () => {
  it.each(K.cases('xfstests idmapped-mounts cases', cases))('%s', (_n, expected, fn) => {
    const { p, mnt, dir1 } = world();
    expect(fn(p, mnt, dir1)).toEqual(expected);
  });
});

itChecksEveryAnswer(K);
