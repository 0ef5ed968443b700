/**
 * Tasks, pid reuse, pidfds and /proc/PID user-namespace descriptors, held to the kernel: how pids
 * are allocated and reused after the wrap, what a pidfd says of a zombie and of a reaped task,
 * waitid(P_PIDFD), and what a descriptor of /proc/PID/{ns/user,uid_map,gid_map,setgroups} stays
 * bound to once its task is gone. Expected values are the kernel's, recorded by
 * test/kernel/record-facts.py (group pidfd-userns, test/kernel/recorders/pidfd_userns.py); each
 * case below does what the recorder's case of the same name does. The recorder runs its pid
 * cases in a new PID namespace whose init is pid 1, as a sandbox's first task is here, and
 * forces the wrap through ns_last_pid, as `wrap()` does through the PID namespace's cursor.
 *
 * Then containerd's two ways of getting a user-namespace descriptor (src/vfs/userns-fd.ts), with
 * the race that made it move from the pid to the pidfd.
 */
import { describe, expect, it } from 'vitest';
import { AT_FDCWD, createSandbox, O_CREAT, O_DIRECTORY, O_PATH, O_RDONLY, O_RDWR, O_WRONLY } from '../../src/index.js';
import { AT_EMPTY_PATH } from '../../src/vfs/file-syscalls.js';
import { MOUNT_ATTR_IDMAP, OPEN_TREE_CLONE } from '../../src/vfs/mount-api.js';
import { CLONE_NEWNS } from '../../src/vfs/net-namespace.js';
import { CLONE_NEWUSER } from '../../src/vfs/nsproxy-syscalls.js';
import { PIDFD_NONBLOCK } from '../../src/vfs/pidfd.js';
import type { Process } from '../../src/vfs/process.js';
import { CLONE_PIDFD, SIGKILL } from '../../src/vfs/task.js';
import { getUsernsFd, getUsernsFdByPid, type IdMapping } from '../../src/vfs/userns-fd.js';
import { P_PIDFD, WEXITED, WNOHANG, type WaitInfo } from '../../src/vfs/wait.js';
import { itChecksEveryAnswer, kernelFacts } from '../kernel/facts.js';
import { errOf } from './helpers.js';

const K = kernelFacts('pidfd-userns');
const MAP = '0 100000 65536';
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A cell: the first task of a fresh machine (pid 1), with proc mounted on /proc. */
function cell(): Process {
  const p = createSandbox().process;
  p.mkdir('/proc', 0o555);
  p.mount('proc', '/proc', 'proc', 0);
  return p;
}

/** The recorder's wrap(): the next pid allocated is the one after pid_max. */
function wrap(p: Process): void {
  p.kernel.pidNs.setLastPid(p.kernel.pidNs.pidMax - 1);
}

/** The recorder's Kid: a child that waits; a zombie has exited with status 7, a reaped kid was waited for. */
const kid = (p: Process): Process => p.fork();
const zombie = (p: Process): Process => {
  const k = p.fork();
  k.exit(7);
  return k;
};
const reap = (p: Process, k: Process): Process => {
  if (k.exitState === 'running') k.exit(7);
  p.waitpid(k.getpid(), 0);
  return k;
};
/** A kid in a new user namespace. */
const usernsKid = (p: Process): Process => {
  const k = p.fork();
  k.unshare(CLONE_NEWUSER);
  return k;
};

/** The recorder's errno_of() or the value. */
function valueOrErrno<T>(fn: () => T): T | string {
  let v: T | undefined;
  const e = errOf(() => (v = fn()));
  return e === 'OK' ? (v as T) : e;
}

function readAll(p: Process, fd: number): string {
  const buf = new Uint8Array(4096);
  const n = p.pread(fd, buf, 0);
  return new TextDecoder().decode(buf.subarray(0, n));
}

const waitPidfd = (p: Process, fd: number, options = WEXITED): { code: number; status: number } | null => {
  const r: WaitInfo | null = p.waitid(P_PIDFD, fd, options);
  return r === null ? null : { code: r.code, status: r.status };
};

describe('pid allocation (kernel/pid.c alloc_pid())', () => {
  const cases: Record<string, (p: Process) => unknown> = {
    'getpid of init, then two forks': (p) => [p.getpid(), kid(p).getpid(), kid(p).getpid()],
    'a reaped pid is not reused before the wrap': (p) => [reap(p, kid(p)).getpid(), kid(p).getpid()],
    'the first pid after the wrap': (p) => (wrap(p), kid(p).getpid()),
    'after the wrap, a zombie keeps its pid': (p) => {
      wrap(p);
      const a = zombie(p);
      wrap(p);
      return [a.getpid(), kid(p).getpid()];
    },
    'after the wrap, a reaped pid is reused': (p) => {
      wrap(p);
      const a = kid(p);
      const b = kid(p);
      reap(p, a);
      wrap(p);
      return [a.getpid(), b.getpid(), kid(p).getpid()];
    },
    'after the wrap, the lowest free pid, not the last freed': (p) => {
      wrap(p);
      const kids = [kid(p), kid(p), kid(p)];
      reap(p, kids[1]!);
      reap(p, kids[2]!);
      wrap(p);
      return [kids.map((k) => k.getpid()), kid(p).getpid()];
    },
    'ns_last_pid after a fork': (p) => [kid(p).getpid(), p.kernel.pidNs.lastPid],
  };
  it.each(K.cases('pid allocation', cases))('%s -> %j', (_name, expected, fn) => {
    expect(fn(createSandbox().process)).toEqual(expected);
  });

  it('a number every task holds is EAGAIN (alloc_pid()), and free again once a task is reaped', () => {
    const p = createSandbox({ pidMax: 303 }).process;
    const kids = [kid(p), kid(p)];
    wrap(p);
    kids.push(kid(p), kid(p), kid(p));
    expect(kids.map((k) => k.getpid())).toEqual([2, 3, 300, 301, 302]);
    expect(errOf(() => p.fork())).toBe('EAGAIN');
    reap(p, kids[3]!);
    expect(kid(p).getpid()).toBe(301);
  });
});

describe('pidfds (pidfd_open, pidfd_send_signal, waitid P_PIDFD)', () => {
  const send = (p: Process, fd: number, sig: number, flags = 0) => () => p.pidfdSendSignal(fd, sig, flags);
  const live =
    (fn: (p: Process, k: Process) => unknown) =>
    (p: Process): unknown => {
      const k = kid(p);
      try {
        return fn(p, k);
      } finally {
        reap(p, k);
      }
    };
  const reaped =
    (fn: (p: Process, k: Process, fd: number) => unknown) =>
    (p: Process): unknown => {
      const k = kid(p);
      const fd = p.pidfdOpen(k.getpid());
      reap(p, k);
      return fn(p, k, fd);
    };
  const cases: Record<string, (p: Process) => unknown> = {
    'pidfd_send_signal 0 to a live child': live((p, k) => errOf(send(p, p.pidfdOpen(k.getpid()), 0))),
    'pidfd_send_signal 0 to a zombie': (p) => errOf(send(p, p.pidfdOpen(zombie(p).getpid()), 0)),
    'pidfd_send_signal 0 to a reaped child': reaped((p, _k, fd) => errOf(send(p, fd, 0))),
    'kill 0 to a zombie': (p) => errOf(() => p.kill(zombie(p).getpid(), 0)),
    'kill 0 to a reaped pid': reaped((p, k) => errOf(() => p.kill(k.getpid(), 0))),
    'pidfd_open of a zombie': (p) => errOf(() => p.pidfdOpen(zombie(p).getpid())),
    'pidfd_open of a reaped pid': reaped((p, k) => errOf(() => p.pidfdOpen(k.getpid()))),
    'pidfd_open pid 0': (p) => errOf(() => p.pidfdOpen(0)),
    'pidfd_open pid -1': (p) => errOf(() => p.pidfdOpen(-1)),
    'pidfd_open unknown flags': live((p, k) => errOf(() => p.pidfdOpen(k.getpid(), 1))),
    'pidfd_send_signal unknown flags': live((p, k) => errOf(send(p, p.pidfdOpen(k.getpid()), 0, 0x100))),
    'pidfd_send_signal signal 65': live((p, k) => errOf(send(p, p.pidfdOpen(k.getpid()), 65))),
    'waitid P_PIDFD WNOHANG of a live child': live((p, k) => waitPidfd(p, p.pidfdOpen(k.getpid()), WEXITED | WNOHANG)),
    'waitid P_PIDFD of a live child, PIDFD_NONBLOCK': live((p, k) => errOf(() => waitPidfd(p, p.pidfdOpen(k.getpid(), PIDFD_NONBLOCK)))),
    'waitid P_PIDFD without WEXITED': live((p, k) => errOf(() => waitPidfd(p, p.pidfdOpen(k.getpid()), WNOHANG))),
    'waitid P_PIDFD of an exited child, then again': (p) => {
      const k = kid(p);
      const fd = p.pidfdOpen(k.getpid());
      k.exit(7);
      return [waitPidfd(p, fd), valueOrErrno(() => waitPidfd(p, fd))];
    },
    'waitid P_PIDFD after pidfd_send_signal SIGKILL': (p) => {
      const fd = p.pidfdOpen(kid(p).getpid());
      p.pidfdSendSignal(fd, SIGKILL);
      return waitPidfd(p, fd);
    },
    'waitid P_PIDFD of itself (not a child)': (p) => errOf(() => waitPidfd(p, p.pidfdOpen(p.getpid()))),
    'pidfd_send_signal and waitid P_PIDFD on a regular file': (p) => {
      const fd = p.open('/f', O_CREAT | O_RDWR, 0o644);
      return [errOf(send(p, fd, 0)), errOf(() => waitPidfd(p, fd))];
    },
    'the old pidfd of a pid now reused': (p) => {
      wrap(p);
      const a = kid(p);
      const fd = p.pidfdOpen(a.getpid());
      reap(p, a);
      wrap(p);
      const b = kid(p);
      const out = { 'same pid': a.getpid() === b.getpid(), 'pidfd_send_signal 0 on the old pidfd': errOf(send(p, fd, 0)), 'kill 0 on the pid': errOf(() => p.kill(a.getpid(), 0)) };
      reap(p, b);
      return out;
    },
    'fstat st_mode of a pidfd': (p) => '0o' + p.fstat(p.pidfdOpen(kid(p).getpid())).mode.toString(8),
  };
  it.each(K.cases('pidfd', cases))('%s -> %j', (_name, expected, fn) => {
    expect(fn(createSandbox().process)).toEqual(expected);
  });

  it('clone(CLONE_PIDFD) gives a pidfd of the child in the parent; the child exits with its code', () => {
    const p = createSandbox().process;
    const { child, pidfd } = p.clone(CLONE_PIDFD);
    expect(p.getpid()).toBe(1);
    expect(child.getppid()).toBe(1);
    child.exit(3);
    expect(p.waitid(P_PIDFD, pidfd, WEXITED)).toEqual({ pid: child.getpid(), uid: 0, code: 1, status: 3 });
    expect(child.exitState).toBe('dead');
  });
});

describe('/proc/PID descriptors stay bound to what they were opened for', () => {
  const popen = (p: Process, pid: number | string, name: string, flags = O_RDONLY) => p.open(`/proc/${pid}/${name}`, flags);
  const cases: Record<string, (p: Process) => unknown> = {
    'write through an opened uid_map after the task is reaped, then read': (p) => {
      const k = usernsKid(p);
      const w = popen(p, k.getpid(), 'uid_map', O_WRONLY);
      const r = popen(p, k.getpid(), 'uid_map');
      reap(p, k);
      return [errOf(() => p.write(w, enc(MAP))), readAll(p, r)];
    },
    'setgroups and gid_map writes through descriptors after the task is reaped': (p) => {
      const k = usernsKid(p);
      const sg = popen(p, k.getpid(), 'setgroups', O_WRONLY);
      const w = popen(p, k.getpid(), 'gid_map', O_WRONLY);
      const r = popen(p, k.getpid(), 'gid_map');
      reap(p, k);
      return [errOf(() => p.write(sg, enc('deny'))), errOf(() => p.write(w, enc(MAP))), readAll(p, r)];
    },
    'two uid_map descriptors: the second write': (p) => {
      const k = usernsKid(p);
      const a = popen(p, k.getpid(), 'uid_map', O_WRONLY);
      const b = popen(p, k.getpid(), 'uid_map', O_WRONLY);
      reap(p, k);
      return [errOf(() => p.write(a, enc(MAP))), errOf(() => p.write(b, enc('0 200000 1')))];
    },
    'open uid_map of a zombie': (p) => errOf(() => popen(p, zombieUserns(p).getpid(), 'uid_map')),
    'open uid_map O_WRONLY of a zombie': (p) => errOf(() => popen(p, zombieUserns(p).getpid(), 'uid_map', O_WRONLY)),
    'open ns/user of a zombie': (p) => errOf(() => popen(p, zombieUserns(p).getpid(), 'ns/user')),
    'open ns/mnt of a zombie': (p) => errOf(() => popen(p, zombieUserns(p).getpid(), 'ns/mnt')),
    'open uid_map of a reaped pid, by path and from its /proc/PID descriptor': (p) => {
      const k = usernsKid(p);
      const d = p.open(`/proc/${k.getpid()}`, O_PATH | O_DIRECTORY);
      reap(p, k);
      return [errOf(() => popen(p, k.getpid(), 'uid_map')), errOf(() => p.openat(d, 'uid_map', O_RDONLY))];
    },
    'ns/user descriptor after the task is reaped: same inode, st_mode, getresuid after setns': (p) => {
      const k = usernsKid(p);
      const fd = popen(p, k.getpid(), 'ns/user');
      const w = popen(p, k.getpid(), 'uid_map', O_WRONLY);
      reap(p, k);
      p.write(w, enc(MAP));
      // The recorder compares inode numbers of nsfs, which name the namespace: here, the namespace itself.
      const same = p.userNsOfFd(fd) === k.userNs;
      const c = p.fork();
      c.setnsFd(fd, CLONE_NEWUSER);
      return [same, '0o' + p.fstat(fd).mode.toString(8), c.getresuid()];
    },
    'setns errors': (p) => {
      const k = usernsKid(p);
      const fd = popen(p, k.getpid(), 'ns/user');
      const own = popen(p, 'self', 'ns/user');
      const pidfd = p.pidfdOpen(k.getpid());
      const reg = p.open('/f', O_CREAT | O_RDWR, 0o644);
      reap(p, k);
      return {
        'own user namespace': errOf(() => p.fork().setnsFd(own, CLONE_NEWUSER)),
        'user namespace fd, nstype CLONE_NEWNS': errOf(() => p.fork().setnsFd(fd, CLONE_NEWNS)),
        'regular file': errOf(() => p.fork().setnsFd(reg, 0)),
        'pidfd of a reaped child': errOf(() => p.fork().setnsFd(pidfd, CLONE_NEWUSER)),
      };
    },
    "open another uid's ns/user and uid_map without capabilities": (p) => {
      const k = p.fork();
      setcred(k, 1000);
      const other = p.fork();
      setcred(other, 2000);
      return [errOf(() => popen(other, k.getpid(), 'ns/user')), errOf(() => popen(other, k.getpid(), 'uid_map'))];
    },
    'pid reused in a new PID namespace: the pid flow and the pidfd flow': (p) => {
      wrap(p);
      const a = usernsKid(p);
      const pidfd = p.pidfdOpen(a.getpid());
      reap(p, a);
      wrap(p);
      const b = usernsKid(p);
      const ns = p.userNsOfFd(popen(p, a.getpid(), 'ns/user'));
      return { 'same pid': a.getpid() === b.getpid(), "opened the new task's namespace": ns === b.userNs && ns !== a.userNs, 'pidfd_send_signal 0 on the pidfd': errOf(() => p.pidfdSendSignal(pidfd, 0)) };
    },
  };
  it.each(K.cases('proc descriptors', cases))('%s -> %j', (_name, expected, fn) => {
    expect(fn(cell())).toEqual(expected);
  });

  it('/proc/self is the calling task; /proc lists the tasks holding a pid, zombies included', () => {
    const p = cell();
    const k = p.fork();
    const z = zombie(p);
    expect(p.readlink('/proc/self')).toBe('1');
    expect(k.readlink('/proc/self')).toBe(String(k.getpid()));
    const fd = p.open('/proc', O_RDONLY | O_DIRECTORY);
    const pids = p.getdents(fd).map((e) => e.name).filter((n) => /^\d+$/.test(n));
    expect(pids).toEqual(['1', String(k.getpid()), String(z.getpid())]);
    reap(p, z);
    expect(errOf(() => p.stat(`/proc/${z.getpid()}`))).toBe('ENOENT');
  });
});

/** A kid in a new user namespace, exited and not reaped. */
function zombieUserns(p: Process): Process {
  const k = usernsKid(p);
  k.exit(7);
  return k;
}

/** The recorder's setcred(uid, uid, [], []): no groups, the ids, no capabilities. */
function setcred(t: Process, id: number): void {
  t.setgroups([]);
  t.setresgid(id);
  t.setresuid(id);
  t.capset(0n, 0n);
}

describe("containerd's GetUsernsFD (src/vfs/userns-fd.ts)", () => {
  const maps: IdMapping[] = [{ containerID: 0, hostID: 100000, size: 65536 }];
  const shown = '         0     100000      65536\n';

  /** A reaper reaps the child, and another task in another user namespace gets its pid. */
  const race = (p: Process, out: { other?: Process }) => (pid: number) => {
    p.kill(pid, SIGKILL);
    p.waitpid(-1, 0);
    p.kernel.pidNs.setLastPid(pid - 1);
    out.other = usernsKid(p);
  };

  it('the pidfd flow: a descriptor of a namespace with the maps, the child reaped, nothing else left open', () => {
    const p = cell();
    const before = p.fds.open();
    const fd = getUsernsFd(p, maps, maps);
    const ns = p.userNsOfFd(fd);
    expect(ns).not.toBe('not-userns');
    if (ns === 'not-userns') return;
    expect([ns.uidMap.toString(), ns.gidMap.toString(), ns.setgroupsAllowed]).toEqual([shown, shown, false]);
    expect(p.fds.open()).toEqual([...before, fd]);
    expect(p.children.size).toBe(0);
    // The descriptor is what mount_setattr(MOUNT_ATTR_IDMAP) takes.
    p.mkdir('/src');
    const tree = p.openTree(AT_FDCWD, '/src', OPEN_TREE_CLONE);
    expect(errOf(() => p.mountSetattr(tree, '', AT_EMPTY_PATH, { attrSet: MOUNT_ATTR_IDMAP, attrClr: 0, userns: p.userNsOfFd(fd) }))).toBe('OK');
  });

  it('the pid flow, racing a reaper and a pid reuse: maps, opens, kills and reaps the other task', () => {
    const p = cell();
    const out: { other?: Process } = {};
    wrap(p);
    const fd = getUsernsFdByPid(p, maps, maps, { afterClone: race(p, out) });
    const other = out.other!;
    expect(p.userNsOfFd(fd)).toBe(other.userNs);
    expect(other.userNs.uidMap.toString()).toBe(shown);
    expect(other.exitState).toBe('dead');
  });

  it('the pidfd flow, racing the same: fails with ESRCH before writing anything, and leaks no descriptor', () => {
    const p = cell();
    const out: { other?: Process } = {};
    wrap(p);
    const before = p.fds.open();
    expect(errOf(() => getUsernsFd(p, maps, maps, { afterClone: race(p, out) }))).toBe('ESRCH');
    const other = out.other!;
    expect(other.userNs.uidMap.toString()).toBe('');
    expect(other.exitState).toBe('running');
    expect(p.fds.open()).toEqual(before);
  });
});

itChecksEveryAnswer(K);
