/**
 * PID and IPC namespaces as far as mounting and /proc see them, held to the kernel: who may mount
 * proc, mqueue and sysfs as root of a user namespace (the namespace that owns the task's PID, IPC
 * or network namespace decides), unshare(CLONE_NEWPID) and clone(CLONE_NEWPID) (the children
 * move, the task does not; once only), pid numbers per namespace, what the end of a namespace's
 * init does to the others, and what a proc mounted in a new PID namespace shows to its tasks and
 * to one outside. Expected values are the kernel's, recorded by test/kernel/record-facts.py
 * (group pid-ipc-ns, test/kernel/recorders/pid_ipc_ns.py); each case below does what the
 * recorder's case of the same name does, as root of a user namespace whose maps the cell wrote.
 *
 * The cell's own pid numbers are set high (the recorder's are a busy host's), so that no number
 * of the task outside happens to be one the new namespace uses.
 */
import { describe, expect, it } from 'vitest';
import { createSandbox, MS_RDONLY, O_NONBLOCK, O_RDONLY, O_WRONLY, S_IFIFO } from '../../src/index.js';
import { fsContextUserNs } from '../../src/vfs/fs-flags.js';
import { sbUserNs } from '../../src/vfs/idmapping.js';
import { CLONE_NEWIPC } from '../../src/vfs/ipc-namespace.js';
import { CLONE_NEWNET, CLONE_NEWNS } from '../../src/vfs/net-namespace.js';
import { CLONE_NEWUSER } from '../../src/vfs/nsproxy-syscalls.js';
import { CLONE_NEWPID, Pid, PidNamespace } from '../../src/vfs/pid.js';
import type { Process } from '../../src/vfs/process.js';
import { SIGKILL } from '../../src/vfs/task.js';
import { P_PID, WEXITED, WNOHANG, WNOWAIT } from '../../src/vfs/wait.js';
import { INIT_USER_NS } from '../../src/vfs/user-namespace.js';
import { itChecksEveryAnswer, kernelFacts } from '../kernel/facts.js';
import { errOf, readdirNames } from './helpers.js';

const K = kernelFacts('pid-ipc-ns');
const MAP = '0 100000 65536';

/**
 * The recorder's cell and world(): root of init_user_ns on an empty tmpfs, /proc, /sys, /mq, /a
 * and /b made, and (`visible`) proc, sysfs and mqueue mounted as a host shows them.
 */
function cell(visible: boolean): Process {
  const p = createSandbox().process;
  p.kernel.pidNs.setLastPid(4000);
  for (const d of ['/proc', '/sys', '/mq', '/a', '/b']) p.mkdir(d, 0o755);
  p.mknod('/fifo', S_IFIFO | 0o666);
  if (visible) {
    p.mount('proc', '/proc', 'proc', 0);
    p.mount('sysfs', '/sys', 'sysfs', 0);
    p.mount('mqueue', '/mq', 'mqueue', 0);
  }
  return p;
}

/** The recorder's as_ns_root(): `fn` run by a child of the cell in a new user namespace with MAP. */
function asNsRoot<T>(fn: (c: Process) => T, visible = true): T {
  const p = cell(visible);
  const c = p.fork();
  c.unshare(CLONE_NEWUSER);
  p.writeUidMap(c.userNs, MAP);
  p.writeGidMap(c.userNs, MAP);
  return fn(c);
}

/** What fork(2) returns to `parent`: the child's number in the parent's PID namespace. */
const forkValue = (parent: Process, child: Process): number => child.pid.nrIn(parent.pidNs);

/** The recorder's forked(): `fn` run by a child, which then exits and is waited for. */
function forked<T>(c: Process, fn: (k: Process) => T): T {
  const k = c.fork();
  const r = fn(k);
  if (k.exitState === 'running') k.exit(0);
  c.waitpid(forkValue(c, k), 0);
  return r;
}

/** The recorder's fork_and_exit(): throws fork's errno. */
function forkAndExit(c: Process): void {
  forked(c, () => undefined);
}

const mount = (c: Process, fstype: string, target = '/a', flags = 0): void => c.mount(fstype, target, fstype, flags);

/** The recorder's drop_caps(): setres to 0, then to 1, inside the namespace. */
function dropCaps(c: Process): void {
  c.setresgid(0);
  c.setresuid(0);
  c.setresgid(1);
  c.setresuid(1);
}

/** The recorder's mountinfo_line(): the last mount at `target`, ids and device masked. */
function mountinfoLine(c: Process, target: string): string {
  const lines = c.mountinfo().split('\n').filter((l) => l.split(' ')[4] === target);
  return ['_', '_', '_', ...lines.at(-1)!.split(' ').slice(3)].join(' ');
}

const pidNames = (c: Process, path: string): string[] =>
  readdirNames(c, path)
    .filter((n) => /^[0-9]+$/.test(n))
    .sort((a, b) => Number(a) - Number(b));

const then =
  (flags: number, fn: (c: Process) => unknown) =>
  (c: Process): unknown => {
    c.unshare(flags);
    return fn(c);
  };

describe('mount as root of a user namespace (fc->user_ns of proc, mqueue, sysfs)', () => {
  const m = (fstype: string, target = '/a') => (c: Process) => errOf(() => mount(c, fstype, target));
  const cases: Record<string, [boolean, (c: Process) => unknown]> = {
    'proc, in the PID namespace of the cell': [true, then(CLONE_NEWNS, m('proc'))],
    'proc, by the first child after unshare(CLONE_NEWPID)': [true, then(CLONE_NEWNS | CLONE_NEWPID, (c) => forked(c, m('proc')))],
    'proc, by the task that unshared CLONE_NEWPID': [true, then(CLONE_NEWNS | CLONE_NEWPID, m('proc'))],
    'proc, by the first child after unshare(CLONE_NEWPID), no proc visible': [false, then(CLONE_NEWNS | CLONE_NEWPID, (c) => forked(c, m('proc')))],
    'mqueue, in the IPC namespace of the cell': [true, then(CLONE_NEWNS, m('mqueue'))],
    'mqueue, after unshare(CLONE_NEWIPC)': [true, then(CLONE_NEWNS | CLONE_NEWIPC, m('mqueue'))],
    'mqueue, after unshare(CLONE_NEWIPC), no mqueue visible': [false, then(CLONE_NEWNS | CLONE_NEWIPC, m('mqueue'))],
    'sysfs, in the network namespace of the cell': [true, then(CLONE_NEWNS, m('sysfs'))],
    'sysfs, after unshare(CLONE_NEWNET)': [true, then(CLONE_NEWNS | CLONE_NEWNET, m('sysfs'))],
    'sysfs, after unshare(CLONE_NEWNET), no sysfs visible': [false, then(CLONE_NEWNS | CLONE_NEWNET, m('sysfs'))],
    'runc: unshare(CLONE_NEWNS|CLONE_NEWNET|CLONE_NEWIPC|CLONE_NEWPID), fork; the child mounts proc, mqueue, sysfs': [
      true,
      then(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWPID, (c) => forked(c, (k) => [m('proc', '/a')(k), m('mqueue', '/b')(k), m('sysfs', '/mq')(k)])),
    ],
  };
  it.each(K.cases('mount as root of a user namespace', cases))('%s -> %j', (_name, expected, [visible, fn]) => {
    expect(asNsRoot(fn, visible)).toEqual(expected);
  });
});

describe('unshare and clone of PID and IPC namespaces (copy_pid_ns(), create_ipc_ns())', () => {
  const unprivileged = (flags: number) => (c: Process) => {
    dropCaps(c);
    return errOf(() => c.unshare(flags));
  };
  const cases: Record<string, (c: Process) => unknown> = {
    'unshare(CLONE_NEWPID) twice': (c) => [errOf(() => c.unshare(CLONE_NEWPID)), errOf(() => c.unshare(CLONE_NEWPID))],
    'unshare(CLONE_NEWPID), fork, unshare(CLONE_NEWPID) again': (c) => {
      c.unshare(CLONE_NEWPID);
      forkAndExit(c);
      return errOf(() => c.unshare(CLONE_NEWPID));
    },
    'nested: the first child: getpid, unshare(CLONE_NEWPID), its child getpid': (c) => {
      c.unshare(CLONE_NEWPID);
      return forked(c, (k) => [k.getpid(), errOf(() => k.unshare(CLONE_NEWPID)), forked(k, (g) => g.getpid())]);
    },
    'unshare(CLONE_NEWNS|CLONE_NEWIPC|CLONE_NEWPID) after unshare(CLONE_NEWPID): errno, same mnt and ipc namespaces': (c) => {
      c.unshare(CLONE_NEWPID);
      const [mnt, ipc] = [c.ns, c.ipcNs];
      const e = errOf(() => c.unshare(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWPID));
      return [e, c.ns === mnt, c.ipcNs === ipc];
    },
    'unshare(CLONE_NEWPID) as uid 1 without capabilities': unprivileged(CLONE_NEWPID),
    'unshare(CLONE_NEWIPC) as uid 1 without capabilities': unprivileged(CLONE_NEWIPC),
    'unshare(CLONE_NEWUSER|CLONE_NEWIPC|CLONE_NEWPID) as uid 1 without capabilities': unprivileged(CLONE_NEWUSER | CLONE_NEWIPC | CLONE_NEWPID),
    'clone(CLONE_NEWPID): getpid and getppid in the child': (c) => {
      const { child, pid } = c.clone(CLONE_NEWPID);
      expect(pid).toBe(forkValue(c, child));
      return [child.getpid(), child.getppid()];
    },
    'clone(CLONE_NEWPID) after unshare(CLONE_NEWPID)': (c) => {
      c.unshare(CLONE_NEWPID);
      let pid = 0;
      const e = errOf(() => (pid = c.clone(CLONE_NEWPID).child.getpid()));
      return e === 'OK' ? pid : e;
    },
    'clone(CLONE_NEWIPC): the child has another IPC namespace': (c) => c.clone(CLONE_NEWIPC).child.ipcNs !== c.ipcNs,
  };
  it.each(K.cases('unshare and clone', cases))('%s -> %j', (_name, expected, fn) => {
    expect(asNsRoot(fn)).toEqual(expected);
  });

  it('a failed clone(CLONE_NEWPID) leaves no pid taken and no cursor moved', () => {
    asNsRoot((c) => {
      c.unshare(CLONE_NEWPID);
      const first = c.fork();
      const [inner, outer] = [c.pidNsForChildren.lastPid, c.kernel.pidNs.lastPid];
      expect(errOf(() => c.clone(CLONE_NEWPID))).toBe('EINVAL');
      expect([c.pidNsForChildren.lastPid, c.kernel.pidNs.lastPid]).toEqual([inner, outer]);
      expect(c.fork().getpid()).toBe(first.getpid() + 1);
    });
  });

  it('a new PID namespace is owned by the (new) user namespace of its creator', () => {
    asNsRoot((c) => {
      c.unshare(CLONE_NEWPID | CLONE_NEWIPC);
      expect(c.pidNsForChildren.owner).toBe(c.userNs);
      expect(c.pidNsForChildren.parent).toBe(c.pidNs);
      expect(c.ipcNs.owner).toBe(c.userNs);
      expect(c.pidNs.owner).toBe(INIT_USER_NS);
    });
  });

  it('CLONE_NEWPID below MAX_PID_NS_LEVEL (32) is ENOSPC', () => {
    let ns = createSandbox().kernel.pidNs;
    for (let i = 0; i < 32; i++) ns = PidNamespace.create(ns, INIT_USER_NS);
    expect(ns.level).toBe(32);
    expect(errOf(() => PidNamespace.create(ns, INIT_USER_NS))).toBe('ENOSPC');
  });
});

describe('pids per namespace (alloc_pid(), pid_nr_ns(), zap_pid_ns_processes())', () => {
  const cases: Record<string, (c: Process) => unknown> = {
    'getpid and getppid of the first and second child after unshare(CLONE_NEWPID)': (c) => {
      c.unshare(CLONE_NEWPID);
      const [a, b] = [c.fork(), c.fork()];
      return [a, b].map((k) => [k.getpid(), k.getppid()]);
    },
    'getpid of the task that unshared CLONE_NEWPID does not change': (c) => {
      const before = c.getpid();
      c.unshare(CLONE_NEWPID);
      return c.getpid() === before;
    },
    "fork's value is not 1, the child's getpid is, waitpid gives fork's value": (c) => {
      c.unshare(CLONE_NEWPID);
      const a = c.fork();
      const v = forkValue(c, a);
      a.exit(7);
      const [waited] = c.waitpid(v, 0);
      return [v !== 1, a.getpid(), waited === v];
    },
    "fork after the namespace's init has exited and been reaped": (c) => {
      c.unshare(CLONE_NEWPID);
      const a = c.fork();
      a.exit(7);
      c.waitpid(forkValue(c, a), 0);
      return errOf(() => forkAndExit(c));
    },
    "fork after the namespace's init has exited, not reaped": (c) => {
      c.unshare(CLONE_NEWPID);
      const a = c.fork();
      a.exit(7);
      c.waitid(P_PID, forkValue(c, a), WEXITED | WNOWAIT);
      return errOf(() => forkAndExit(c));
    },
    // The recorder's pipe is a FIFO here: its reader is the task outside, its writer the child of init.
    "the namespace's init exits: its child is killed: alive before, pipe EOF after, init's exit status": (c) => {
      c.unshare(CLONE_NEWPID);
      const r = c.open('/fifo', O_RDONLY | O_NONBLOCK);
      const init = c.fork();
      init.close(r);
      const g = init.fork();
      g.open('/fifo', O_WRONLY);
      const buf = new Uint8Array(1);
      const alive = errOf(() => c.read(r, buf));
      init.exit(7);
      const [, status] = c.waitpid(forkValue(c, init), 0);
      return [alive, c.read(r, buf) === 0, status >> 8];
    },
    "the namespace's init exits: the outside task's second child is killed, and init is not waitable before it is reaped": (c) => {
      c.unshare(CLONE_NEWPID);
      const init = c.fork();
      const second = c.fork();
      init.exit(7);
      const early = c.waitid(P_PID, forkValue(c, init), WEXITED | WNOHANG | WNOWAIT);
      const [, s2] = c.waitpid(forkValue(c, second), 0);
      const [, s1] = c.waitpid(forkValue(c, init), 0);
      const sig = s2 & 0x7f;
      return [early === null, sig !== 0 && sig !== 0x7f && sig, (s1 >> 8) & 0xff];
    },
  };
  it.each(K.cases('pids', cases))('%s -> %j', (_name, expected, fn) => {
    expect(asNsRoot(fn)).toEqual(expected);
  });

  it('a pid has a number in its namespace and each ancestor, none elsewhere (pid_nr_ns())', () => {
    asNsRoot((c) => {
      c.unshare(CLONE_NEWPID);
      const init = c.fork();
      init.unshare(CLONE_NEWPID);
      const inner = init.fork();
      const sibling = c.fork();
      expect(inner.pid.numbers.map((u) => u.nr)).toEqual([inner.pid.nrIn(c.kernel.pidNs), 2, 1]);
      expect([inner.pid.nrIn(init.pidNs), inner.pid.nrIn(inner.pidNs)]).toEqual([2, 1]);
      expect(c.pid.nrIn(init.pidNs)).toBe(0);
      expect(sibling.getpid()).toBe(3);
      // kill and pidfd_open look numbers up in the caller's namespace.
      expect(errOf(() => init.kill(2, 0))).toBe('OK');
      expect(errOf(() => inner.kill(2, 0))).toBe('ESRCH');
      expect(init.pidfdOpen(2)).toBeGreaterThanOrEqual(0);
    });
  });

  it('the init of a nested namespace is killed with its parent namespace, SIGKILL', () => {
    asNsRoot((c) => {
      c.unshare(CLONE_NEWPID);
      const init = c.fork();
      const mid = init.fork();
      mid.unshare(CLONE_NEWPID);
      const inner = mid.fork();
      const innerChild = inner.fork();
      init.exit(0);
      expect([mid, inner, innerChild].map((t) => t.exitState)).toEqual(['dead', 'dead', 'dead']);
      expect(inner.exitInfo?.status).toBe(SIGKILL);
      expect(inner.pidNs.dead).toBe(true);
    });
  });

  it('a sandbox keeps its first task pid 1 of init_pid_ns, whose exit kills nobody', () => {
    const p = createSandbox().process;
    const k = p.fork();
    expect([p.getpid(), p.pidNs.level, p.pid instanceof Pid]).toEqual([1, 0, true]);
    p.exit(0);
    expect(k.exitState).toBe('running');
  });
});

describe('proc of a new PID namespace (proc_fill_super(), proc_self_get_link())', () => {
  function scenario(): Record<string, unknown> {
    return asNsRoot((c) => {
      c.unshare(CLONE_NEWNS | CLONE_NEWPID);
      const me = c.getpid();
      const init = c.fork();
      mount(init, 'proc', '/a');
      const child = init.fork();
      const childSelf = child.readlink('/a/self');
      mount(init, 'proc', '/b');
      return {
        'names in /a, read by init (init and its child alive)': pidNames(init, '/a'),
        'readlink /a/self by init': init.readlink('/a/self'),
        'readlink /a/self by the child of init': childSelf,
        'readlink /a/thread-self by init': init.readlink('/a/thread-self'),
        'mountinfo of the proc mounted by init on /a': mountinfoLine(init, '/a'),
        'mountinfo of a second proc mount on /b': mountinfoLine(init, '/b'),
        '/a and /b have the same st_dev': init.stat('/a').dev === init.stat('/b').dev,
        "readlink /proc/self (the cell's proc) by init": init.readlink('/proc/self') === String(forkValue(c, init)),
        'names in /a, read by the task outside': pidNames(c, '/a'),
        'readlink /a/self by the task outside': errOf(() => c.readlink('/a/self')),
        "stat /a/N, N the outside task's number in the cell's namespace": errOf(() => c.stat(`/a/${me}`)),
        "stat /proc/N, N init's number in the cell's namespace": errOf(() => c.stat(`/proc/${forkValue(c, init)}`)),
      };
    });
  }
  const got = scenario();
  it.each(K.answers('proc of a new PID namespace', Object.keys(got)))('%s -> %j', (name, expected) => {
    expect(got[name]).toEqual(expected);
  });

  it('the superblock belongs to the namespace: fsContextUserNs is its owner, and it follows its tasks', () => {
    asNsRoot((c) => {
      c.unshare(CLONE_NEWNS | CLONE_NEWPID);
      const init = c.fork();
      mount(init, 'proc', '/a');
      const k = init.fork();
      expect(pidNames(c, '/a')).toEqual(['1', '2']);
      k.exit(0);
      expect(pidNames(c, '/a')).toEqual(['1', '2']);
      init.waitpid(2, 0);
      expect(pidNames(c, '/a')).toEqual(['1']);
      const sb = c.resolve('/a', true).mnt.sb;
      expect(sbUserNs(sb)).toBe(c.userNs);
      expect(fsContextUserNs(sb.type, init)).toBe(init.pidNs.owner);
      expect(fsContextUserNs(sb.type, c)).toBe(INIT_USER_NS);
    });
  });
});

describe('mqueue of a new IPC namespace (mq_init_ns(), mqueue_get_tree())', () => {
  const got = asNsRoot((c) => {
    c.unshare(CLONE_NEWNS | CLONE_NEWIPC);
    const out: Record<string, unknown> = { 'mount mqueue read-only on /a': errOf(() => mount(c, 'mqueue', '/a', MS_RDONLY)) };
    out['mountinfo of /a'] = mountinfoLine(c, '/a');
    out['mount mqueue on /b'] = errOf(() => mount(c, 'mqueue', '/b'));
    out['mountinfo of /b'] = mountinfoLine(c, '/b');
    out['/a and /b have the same st_dev'] = c.stat('/a').dev === c.stat('/b').dev;
    out["/a and the cell's /mq have the same st_dev"] = c.stat('/a').dev === c.stat('/mq').dev;
    return out;
  });
  it.each(K.answers('mqueue of a new IPC namespace', Object.keys(got)))('%s -> %j', (name, expected) => {
    expect(got[name]).toEqual(expected);
  });
});

itChecksEveryAnswer(K);
