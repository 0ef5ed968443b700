/**
 * The 9p mount against the tree it exports: the same operations, done once directly on a host's
 * /srv and once through a guest's 9p mount of an identical host's /srv, give the same results —
 * values and exact errnos — as root and as an unprivileged user. What 9p shows differently by
 * design is normalized away: st_dev, inode numbers (QID2INO adds 2), times the client does not
 * set explicitly, and st_blksize. A scripted list of operations, then random sequences
 * (fast-check).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AT_FDCWD, AT_SYMLINK_NOFOLLOW, Credentials, createSandbox, O_APPEND, O_CREAT, O_DIRECTORY, O_EXCL, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY, S_IFCHR, S_IFIFO, SysError } from '../../src/index.js';
import type { Process } from '../../src/vfs/process.js';
import type { Stat } from '../../src/vfs/stat.js';
import { dec, enc, rig } from './gofer-helpers.js';

/** One side of the comparison: a root task and a uid-1000 task, and where the tree is. */
interface World {
  root: Process;
  user: Process;
  at: string;
  /** What to subtract from an inode number to get the exported file's. */
  inoShift: number;
  /** Descriptors the random sequences keep open across operations, newest last. */
  held?: number[];
}

function userOf(p: Process): Process {
  const u = p.fork();
  u.creds = new Credentials(1000, 1000);
  return u;
}

/** A host's /srv used directly, and an identical host's /srv through a guest's mount made with `data`. */
function worlds(data: string): [World, World] {
  const direct = createSandbox().process;
  direct.mkdir('/srv');
  const r = rig({ data });
  return [
    { root: direct, user: userOf(direct), at: '/srv', inoShift: 0 },
    { root: r.guest, user: userOf(r.guest), at: '/mnt', inoShift: 2 },
  ];
}

/** Runs `step` in both worlds and expects the same outcome, labelled `name` for the report. */
function same(ws: [World, World], name: string, step: (w: World, at: (rel: string) => string) => unknown): void {
  const [direct, mounted] = ws.map((w) => outcome(() => step(w, (rel) => (rel ? `${w.at}/${rel}` : w.at))));
  expect({ step: name, result: mounted }).toEqual({ step: name, result: direct });
}

/** A result with what 9p shows differently by design taken out. */
function statView(w: World, st: Stat): unknown {
  return { ino: st.ino - w.inoShift, mode: st.mode, nlink: st.nlink, uid: st.uid, gid: st.gid, rdev: st.rdev, size: st.size, blocks: st.blocks };
}

function outcome(fn: () => unknown): unknown {
  try {
    const v = fn();
    return v === undefined ? 'OK' : v;
  } catch (e) {
    if (e instanceof SysError) return e.code;
    throw e;
  }
}

function writeAt(p: Process, path: string, text: string, flags = O_WRONLY | O_CREAT | O_TRUNC, mode = 0o644): number {
  const fd = p.open(path, flags, mode);
  try {
    return p.write(fd, enc.encode(text));
  } finally {
    p.close(fd);
  }
}

function readAt(p: Process, path: string): string {
  const fd = p.open(path, O_RDONLY);
  try {
    const buf = new Uint8Array(4096);
    return dec.decode(buf.subarray(0, p.read(fd, buf)));
  } finally {
    p.close(fd);
  }
}

function listAt(w: World, p: Process, path: string): unknown {
  const fd = p.open(path, O_RDONLY | O_DIRECTORY);
  try {
    return p
      .getdents(fd)
      .filter((e) => e.name !== '.' && e.name !== '..')
      .map((e) => [e.name, e.type, e.ino - w.inoShift]);
  } finally {
    p.close(fd);
  }
}

type Step = [string, (w: World, path: (rel: string) => string) => unknown];

const SCRIPT: Step[] = [
  ['mkdir d', (w, at) => w.root.mkdir(at('d'), 0o755)],
  ['mkdir d again', (w, at) => w.root.mkdir(at('d'))],
  ['create d/f', (w, at) => writeAt(w.root, at('d/f'), 'hello')],
  ['stat d/f', (w, at) => statView(w, w.root.stat(at('d/f')))],
  ['read d/f', (w, at) => readAt(w.root, at('d/f'))],
  ['append to d/f', (w, at) => writeAt(w.root, at('d/f'), ' world', O_WRONLY | O_APPEND)],
  ['read d/f again', (w, at) => readAt(w.root, at('d/f'))],
  ['truncate d/f', (w, at) => w.root.truncate(at('d/f'), 3)],
  ['grow d/f', (w, at) => w.root.truncate(at('d/f'), 6)],
  ['read the hole', (w, at) => [...enc.encode(readAt(w.root, at('d/f')))]],
  ['open O_TRUNC', (w, at) => writeAt(w.root, at('d/f'), 'fresh', O_WRONLY | O_TRUNC)],
  ['pread/pwrite', (w, at) => {
    const fd = w.root.open(at('d/f'), O_RDWR);
    try {
      w.root.pwrite(fd, enc.encode('XY'), 1);
      const b = new Uint8Array(16);
      return dec.decode(b.subarray(0, w.root.pread(fd, b, 0)));
    } finally {
      w.root.close(fd);
    }
  }],
  ['rmdir non-empty d', (w, at) => w.root.rmdir(at('d'))],
  ['unlink a directory', (w, at) => w.root.unlink(at('d'))],
  ['rmdir a file', (w, at) => w.root.rmdir(at('d/f'))],
  ['walk through a file', (w, at) => w.root.stat(at('d/f/x'))],
  ['stat a missing name', (w, at) => w.root.stat(at('nope'))],
  ['open a directory for writing', (w, at) => w.root.open(at('d'), O_WRONLY)],
  ['O_CREAT|O_EXCL an existing file', (w, at) => w.root.open(at('d/f'), O_CREAT | O_EXCL | O_WRONLY)],
  ['link d/f d/g', (w, at) => w.root.link(at('d/f'), at('d/g'))],
  ['nlink after link', (w, at) => [w.root.stat(at('d/f')).nlink, w.root.stat(at('d/g')).ino - w.inoShift]],
  ['link a directory', (w, at) => w.root.link(at('d'), at('d2'))],
  ['symlink d/l → f', (w, at) => w.root.symlink('f', at('d/l'))],
  ['readlink d/l', (w, at) => w.root.readlink(at('d/l'))],
  ['stat through d/l', (w, at) => statView(w, w.root.stat(at('d/l')))],
  ['lstat d/l', (w, at) => statView(w, w.root.lstat(at('d/l')))],
  ['readlink a file', (w, at) => w.root.readlink(at('d/f'))],
  ['dangling symlink', (w, at) => w.root.symlink('made', at('d/dl'))],
  ['stat the dangling link', (w, at) => w.root.stat(at('d/dl'))],
  ['O_CREAT through the dangling link', (w, at) => writeAt(w.root, at('d/dl'), 'via link')],
  ['read what it made', (w, at) => readAt(w.root, at('d/made'))],
  ['rename d/g d/h', (w, at) => w.root.rename(at('d/g'), at('d/h'))],
  ['rename d/h over d/f', (w, at) => w.root.rename(at('d/h'), at('d/f'))],
  // d/h and d/f were one file: rename(2) of a hard link onto another of the same file does nothing.
  ['d/f after the rename', (w, at) => [statView(w, w.root.stat(at('d/f'))), statView(w, w.root.stat(at('d/h')))]],
  ['rename d/h elsewhere', (w, at) => w.root.rename(at('d/h'), at('d/k'))],
  ['mkdir d/sub', (w, at) => w.root.mkdir(at('d/sub'), 0o700)],
  ['rename d into itself', (w, at) => w.root.rename(at('d'), at('d/sub/x'))],
  ['mkdir e, e/x', (w, at) => [w.root.mkdir(at('e')), w.root.mkdir(at('e/x'))]],
  ['rename a directory over a non-empty one', (w, at) => w.root.rename(at('d/sub'), at('e'))],
  ['rename a file over a directory', (w, at) => w.root.rename(at('d/f'), at('e/x'))],
  ['rename a directory over a file', (w, at) => w.root.rename(at('e/x'), at('d/f'))],
  ['rename a directory across', (w, at) => w.root.rename(at('e/x'), at('d/sub/moved'))],
  ['chmod d/f', (w, at) => w.root.chmod(at('d/f'), 0o4755)],
  ['chown d/f', (w, at) => w.root.chown(at('d/f'), 1000, 1000)],
  ['d/f after chmod and chown', (w, at) => statView(w, w.root.stat(at('d/f')))],
  ['set mtime explicitly', (w, at) => {
    w.root.utimensat(AT_FDCWD, at('d/f'), [{ sec: 1000, nsec: 5 }, { sec: 2000, nsec: 7 }]);
    const st = w.root.stat(at('d/f'));
    return [st.atime, st.mtime];
  }],
  ['setxattr user.a', (w, at) => w.root.setxattr(at('d/f'), 'user.a', enc.encode('va'))],
  ['getxattr user.a', (w, at) => dec.decode(w.root.getxattr(at('d/f'), 'user.a'))],
  ['getxattr a missing one', (w, at) => w.root.getxattr(at('d/f'), 'user.zz')],
  ['setxattr XATTR_CREATE over one', (w, at) => w.root.setxattr(at('d/f'), 'user.a', enc.encode('x'), 1)],
  ['setxattr XATTR_REPLACE of none', (w, at) => w.root.setxattr(at('d/f'), 'user.b', enc.encode('x'), 2)],
  ['setxattr an empty value', (w, at) => w.root.setxattr(at('d/f'), 'user.empty', new Uint8Array(0))],
  ['listxattr', (w, at) => w.root.listxattr(at('d/f')).sort()],
  ['removexattr', (w, at) => w.root.removexattr(at('d/f'), 'user.a')],
  ['removexattr a missing one', (w, at) => w.root.removexattr(at('d/f'), 'user.a')],
  ['user.* on a symlink', (w, at) => w.root.lsetxattr(at('d/l'), 'user.x', enc.encode('x'))],
  ['an unknown xattr namespace', (w, at) => w.root.setxattr(at('d/f'), 'bogus.x', enc.encode('x'))],
  ['mknod a FIFO', (w, at) => w.root.mknod(at('d/p'), S_IFIFO | 0o640)],
  ['open the FIFO', (w, at) => w.root.close(w.root.open(at('d/p'), O_RDWR))],
  ['mknod a device', (w, at) => w.root.mknod(at('d/c'), S_IFCHR | 0o600, 0x103)],
  ['the device', (w, at) => statView(w, w.root.lstat(at('d/c')))],
  ['readdir d', (w, at) => listAt(w, w.root, at('d'))],
  ['create d/secret 0600', (w, at) => writeAt(w.root, at('d/secret'), 'root only', O_WRONLY | O_CREAT, 0o600)],
  ['user reads d/secret', (w, at) => readAt(w.user, at('d/secret'))],
  ['user mkdir in d', (w, at) => w.user.mkdir(at('d/u'))],
  ['user chmod d/secret', (w, at) => w.user.chmod(at('d/secret'), 0o644)],
  ['user unlink d/secret', (w, at) => w.user.unlink(at('d/secret'))],
  ['user reads its own d/f', (w, at) => readAt(w.user, at('d/f'))],
  ['user lists d/sub (0700 root)', (w, at) => listAt(w, w.user, at('d/sub'))],
  ['mkdir a sticky tmp', (w, at) => [w.root.mkdir(at('tmp')), w.root.chmod(at('tmp'), 0o1777)]],
  // Files are made by the server's task, whoever asks (see the mount suite): the user's comes by chown.
  ['root makes tmp/u the user\'s', (w, at) => [writeAt(w.root, at('tmp/u'), 'mine'), w.root.chown(at('tmp/u'), 1000, 1000)]],
  ['user writes its tmp/u', (w, at) => writeAt(w.user, at('tmp/u'), 'mine, more', O_WRONLY | O_APPEND)],
  ['tmp/u is the user\'s', (w, at) => statView(w, w.user.stat(at('tmp/u')))],
  ['root creates tmp/r', (w, at) => writeAt(w.root, at('tmp/r'), 'root\'s')],
  ['user removes tmp/r (sticky)', (w, at) => w.user.unlink(at('tmp/r'))],
  ['user sets times of tmp/r', (w, at) => w.user.utimensat(AT_FDCWD, at('tmp/r'), [{ sec: 1, nsec: 0 }, { sec: 1, nsec: 0 }])],
  ['user renames its own tmp/u', (w, at) => w.user.rename(at('tmp/u'), at('tmp/v'))],
  ['unlink d/l', (w, at) => w.root.unlink(at('d/l'))],
  ['rmdir d/sub/moved, d/sub', (w, at) => [outcome(() => w.root.rmdir(at('d/sub/moved'))), outcome(() => w.root.rmdir(at('d/sub')))]],
  ['readdir /', (w, at) => listAt(w, w.root, at(''))],
  ['fstatat AT_SYMLINK_NOFOLLOW of d/dl', (w, at) => statView(w, w.root.fstatat(AT_FDCWD, at('d/dl'), AT_SYMLINK_NOFOLLOW))],
  ['statfs', (w, at) => {
    const s = w.root.statfs(at(''));
    return [s.type, s.bsize, s.namelen];
  }],
];

describe('the same operations directly and through the mount', () => {
  for (const data of ['trans=virtio', 'trans=virtio,cache=loose']) {
    it(`give the same results, step by step (${data})`, () => {
      const ws = worlds(data);
      for (const [name, step] of SCRIPT) same(ws, name, step);
    });
  }
});

describe('random operation sequences', () => {
  const paths = ['a', 'b', 'd', 'd/a', 'd/b', 'd/d', 'e'];
  const path = fc.constantFrom(...paths);
  type RandomOp = (w: World, at: (rel: string) => string) => unknown;
  const op: fc.Arbitrary<[string, RandomOp]> = fc.oneof(
    path.map((p): [string, RandomOp] => [`mkdir ${p}`, (w, at) => w.root.mkdir(at(p), 0o750)]),
    fc.tuple(path, fc.string({ maxLength: 12 })).map(([p, t]): [string, RandomOp] => [`write ${p}`, (w, at) => writeAt(w.root, at(p), t)]),
    path.map((p): [string, RandomOp] => [`read ${p}`, (w, at) => readAt(w.root, at(p))]),
    path.map((p): [string, RandomOp] => [`unlink ${p}`, (w, at) => w.root.unlink(at(p))]),
    path.map((p): [string, RandomOp] => [`rmdir ${p}`, (w, at) => w.root.rmdir(at(p))]),
    fc.tuple(path, path).map(([p, q]): [string, RandomOp] => [`rename ${p} ${q}`, (w, at) => w.root.rename(at(p), at(q))]),
    fc.tuple(path, path).map(([p, q]): [string, RandomOp] => [`link ${p} ${q}`, (w, at) => w.root.link(at(p), at(q))]),
    fc.tuple(path, path).map(([p, q]): [string, RandomOp] => [`symlink ${p} ${q}`, (w, at) => w.root.symlink(p, at(q))]),
    path.map((p): [string, RandomOp] => [`stat ${p}`, (w, at) => statView(w, w.root.stat(at(p)))]),
    path.map((p): [string, RandomOp] => [`lstat ${p}`, (w, at) => statView(w, w.root.lstat(at(p)))]),
    path.map((p): [string, RandomOp] => [`readlink ${p}`, (w, at) => w.root.readlink(at(p))]),
    fc.tuple(path, fc.nat(20)).map(([p, n]): [string, RandomOp] => [`truncate ${p} ${n}`, (w, at) => w.root.truncate(at(p), n)]),
    fc.tuple(path, fc.constantFrom(0o600, 0o755, 0o000, 0o1777)).map(([p, m]): [string, RandomOp] => [`chmod ${p}`, (w, at) => w.root.chmod(at(p), m)]),
    fc.tuple(path, fc.constantFrom('user.a', 'user.b')).map(([p, n]): [string, RandomOp] => [`setxattr ${p} ${n}`, (w, at) => w.root.setxattr(at(p), n, enc.encode(n))]),
    fc.tuple(path, fc.constantFrom('user.a', 'user.b')).map(([p, n]): [string, RandomOp] => [`removexattr ${p} ${n}`, (w, at) => w.root.removexattr(at(p), n)]),
    path.map((p): [string, RandomOp] => [`listxattr ${p}`, (w, at) => w.root.listxattr(at(p)).sort()]),
    path.map((p): [string, RandomOp] => [`user read ${p}`, (w, at) => readAt(w.user, at(p))]),
    // Without O_CREAT: what a user makes belongs to the server's task (the mount suite says why).
    path.map((p): [string, RandomOp] => [`user write ${p}`, (w, at) => writeAt(w.user, at(p), 'u', O_WRONLY | O_TRUNC)]),
    fc.constantFrom('', 'd').map((p): [string, RandomOp] => [`readdir ${p || '/'}`, (w, at) => listAt(w, w.root, at(p))]),
    fc.tuple(path, fc.boolean()).map(([p, create]): [string, RandomOp] => [
      `hold ${p}${create ? ' (O_CREAT)' : ''}`,
      (w, at) => void (w.held ??= []).push(w.root.open(at(p), O_RDWR | (create ? O_CREAT : 0), 0o640)),
    ]),
    fc.string({ maxLength: 6 }).map((t): [string, RandomOp] => [`write held`, (w) => (w.held?.length ? w.root.write(w.held.at(-1)!, enc.encode(t)) : 'none')]),
    fc.nat(8).map((at): [string, RandomOp] => [`pread held @${at}`, (w) => {
      if (!w.held?.length) return 'none';
      const b = new Uint8Array(16);
      return dec.decode(b.subarray(0, w.root.pread(w.held.at(-1)!, b, at)));
    }]),
    fc.constant<[string, RandomOp]>(['fstat held', (w) => (w.held?.length ? statView(w, w.root.fstat(w.held.at(-1)!)) : 'none')]),
    fc.constant<[string, RandomOp]>(['close held', (w) => (w.held?.length ? w.root.close(w.held.pop()!) : 'none')]),
  );

  for (const data of ['trans=virtio', 'trans=virtio,cache=loose']) {
    it(`give the same results (${data})`, () => {
      fc.assert(
        fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
          const ws = worlds(data);
          for (const [name, run] of ops) same(ws, name, run);
        }),
        { numRuns: 60 },
      );
    });
  }
});
