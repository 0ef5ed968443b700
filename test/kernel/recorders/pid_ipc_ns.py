"""PID and IPC namespaces as far as mounting and /proc see them: who may mount proc, mqueue and sysfs, pids per namespace, /proc of a new PID namespace.

Serves test/unit/pid-ipc-ns.test.ts. Every case runs as root of a new user namespace (a child of
the cell that unshare(CLONE_NEWUSER)s while the cell writes its maps, 0 100000 65536, as
newuidmap would; userns_idmap.py's in_userns()), as a container runtime's init does. The cell
first mounts what a host shows: proc on /proc and sysfs on /sys (mount_too_revealing() wants a
fully visible one of each for a mount by a user namespace), mqueue on /mq; /a and /b are empty
mount points. "A task outside" is the one that unshared CLONE_NEWPID, whose children are in the
new namespace and which is not. Mountinfo lines have their mount id, parent id and device masked
("_"), the rest as the kernel prints it.
"""

import ctypes
import json
import os
import signal
import time
import traceback

from .harness import R, check, errno_of, libc, proc_write as _proc_write, run_forked as forked, run_in_userns, sys_mount, wait_byte as _waitbyte, write_json

CLONE_NEWNS = R.CLONE_NEWNS
CLONE_NEWUSER = 0x10000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
SYS_CLONE = 56
MAP = '0 100000 65536'
CELL = {}  # what the cell knows: its /proc descriptor (the host's, opened before the pivot)


# --- plumbing -----------------------------------------------------------------------------------

def unshare(flags):
    R.sys_unshare(flags)


def mount(fstype, target, flags=0):
    sys_mount(fstype, target, fstype, flags, None)



def proc_write(pid, name, text):
    _proc_write(CELL['procfd'], pid, name, text)


def in_userns(fn):
    """`fn()`'s JSON result, run by a child of the cell in a new user namespace with MAP."""
    return run_in_userns(CELL['procfd'], fn, MAP, MAP)


def raw_clone(flags, fn):
    """clone(2) with `flags` | SIGCHLD and no new stack (a fork with namespace flags): the
    child's JSON result, or the errno name of clone."""
    r, w = os.pipe()
    pid = libc.syscall(ctypes.c_long(SYS_CLONE), ctypes.c_ulong(flags | signal.SIGCHLD), None, None, None, None)
    if pid == 0:
        try:
            os.close(r)
            write_json(w, fn())
            os._exit(0)
        except BaseException:
            traceback.print_exc()
            os._exit(1)
    os.close(w)
    if pid < 0:
        os.close(r)
        return R.errno_name(ctypes.get_errno())
    with os.fdopen(r, 'rb') as f:
        data = f.read()
    os.waitpid(pid, 0)
    return json.loads(data)


def fork_and_exit():
    """fork(2) of a child that exits at once; raises fork's errno."""
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)


def world(visible=True):
    """The cell's mounts: proc, sysfs and mqueue as a host shows them (none when not `visible`),
    and the empty mount points /a and /b."""
    for d in ('/proc', '/sys', '/mq', '/a', '/b'):
        os.mkdir(d, 0o755)
    if visible:
        mount('proc', '/proc')
        mount('sysfs', '/sys')
        mount('mqueue', '/mq')


def as_ns_root(fn, visible=True):
    def go():
        CELL['procfd'] = CELL['cells'].procfd
        world(visible)
        return in_userns(fn)
    return go


def masked(line):
    """A mountinfo line with mount id, parent id and st_dev masked."""
    f = line.split(' ')
    return ' '.join(['_', '_', '_'] + f[3:])


def mountinfo_line(target):
    with open('/proc/thread-self/mountinfo') as f:
        text = f.read()
    lines = [ln for ln in text.splitlines() if ln.split(' ')[4] == target]
    if not lines:
        raise RuntimeError(f'no mount at {target}')
    return masked(lines[-1])


def pid_names(path):
    return sorted((n for n in os.listdir(path) if n.isdigit()), key=int)


def ns_ino(name):
    return os.stat(f'/proc/thread-self/ns/{name}').st_ino


def setres(uid, gid):
    u32 = lambda v: ctypes.c_long(v & 0xffffffff)
    check(libc.syscall(R.SYS_SETRESGID, u32(gid), u32(gid), u32(gid)), 'setresgid')
    check(libc.syscall(R.SYS_SETRESUID, u32(uid), u32(uid), u32(uid)), 'setresuid')


def drop_caps():
    """setres to 0 inside the namespace, then to 1: leaving the namespace's root uid empties the
    capability sets (cap_emulate_setxuid(); the task's uid until then is the cell's kuid 0, which
    the namespace does not map, so a direct setres to 1 would keep them)."""
    setres(0, 0)
    setres(1, 1)


# --- who may mount ------------------------------------------------------------------------------

def mount_cases():
    m = lambda fstype, target='/a': errno_of(mount, fstype, target)

    def then(flags, fn):
        def go():
            unshare(flags)
            return fn()
        return go

    def runc_init():
        return [m('proc', '/a'), m('mqueue', '/b'), m('sysfs', '/mq')]

    return {
        'proc, in the PID namespace of the cell': (True, then(CLONE_NEWNS, lambda: m('proc'))),
        'proc, by the first child after unshare(CLONE_NEWPID)': (True, then(CLONE_NEWNS | CLONE_NEWPID, lambda: forked(lambda: m('proc')))),
        'proc, by the task that unshared CLONE_NEWPID': (True, then(CLONE_NEWNS | CLONE_NEWPID, lambda: m('proc'))),
        'proc, by the first child after unshare(CLONE_NEWPID), no proc visible': (False, then(CLONE_NEWNS | CLONE_NEWPID, lambda: forked(lambda: m('proc')))),
        'mqueue, in the IPC namespace of the cell': (True, then(CLONE_NEWNS, lambda: m('mqueue'))),
        'mqueue, after unshare(CLONE_NEWIPC)': (True, then(CLONE_NEWNS | CLONE_NEWIPC, lambda: m('mqueue'))),
        'mqueue, after unshare(CLONE_NEWIPC), no mqueue visible': (False, then(CLONE_NEWNS | CLONE_NEWIPC, lambda: m('mqueue'))),
        'sysfs, in the network namespace of the cell': (True, then(CLONE_NEWNS, lambda: m('sysfs'))),
        'sysfs, after unshare(CLONE_NEWNET)': (True, then(CLONE_NEWNS | CLONE_NEWNET, lambda: m('sysfs'))),
        'sysfs, after unshare(CLONE_NEWNET), no sysfs visible': (False, then(CLONE_NEWNS | CLONE_NEWNET, lambda: m('sysfs'))),
        "runc: unshare(CLONE_NEWNS|CLONE_NEWNET|CLONE_NEWIPC|CLONE_NEWPID), fork; the child mounts proc, mqueue, sysfs":
            (True, then(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWPID, lambda: forked(runc_init))),
    }


# --- unshare and clone --------------------------------------------------------------------------

def unshare_cases():
    def twice():
        return [errno_of(unshare, CLONE_NEWPID), errno_of(unshare, CLONE_NEWPID)]

    def after_fork():
        unshare(CLONE_NEWPID)
        fork_and_exit()
        return errno_of(unshare, CLONE_NEWPID)

    def nested():
        unshare(CLONE_NEWPID)
        return forked(lambda: [os.getpid(), errno_of(unshare, CLONE_NEWPID), forked(os.getpid)])

    def failed_changes_nothing():
        unshare(CLONE_NEWPID)
        mnt, ipc = ns_ino('mnt'), ns_ino('ipc')
        e = errno_of(unshare, CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWPID)
        return [e, ns_ino('mnt') == mnt, ns_ino('ipc') == ipc]

    def unprivileged(flags):
        def go():
            drop_caps()
            return errno_of(unshare, flags)
        return go

    def clone_newpid():
        return raw_clone(CLONE_NEWPID, lambda: [os.getpid(), os.getppid()])

    def clone_after_unshare():
        unshare(CLONE_NEWPID)
        return raw_clone(CLONE_NEWPID, os.getpid)

    def clone_newipc():
        ipc = ns_ino('ipc')
        return raw_clone(CLONE_NEWIPC, lambda: ns_ino('ipc') != ipc)

    return {
        'unshare(CLONE_NEWPID) twice': twice,
        'unshare(CLONE_NEWPID), fork, unshare(CLONE_NEWPID) again': after_fork,
        'nested: the first child: getpid, unshare(CLONE_NEWPID), its child getpid': nested,
        'unshare(CLONE_NEWNS|CLONE_NEWIPC|CLONE_NEWPID) after unshare(CLONE_NEWPID): errno, same mnt and ipc namespaces': failed_changes_nothing,
        'unshare(CLONE_NEWPID) as uid 1 without capabilities': unprivileged(CLONE_NEWPID),
        'unshare(CLONE_NEWIPC) as uid 1 without capabilities': unprivileged(CLONE_NEWIPC),
        'unshare(CLONE_NEWUSER|CLONE_NEWIPC|CLONE_NEWPID) as uid 1 without capabilities': unprivileged(CLONE_NEWUSER | CLONE_NEWIPC | CLONE_NEWPID),
        'clone(CLONE_NEWPID): getpid and getppid in the child': clone_newpid,
        'clone(CLONE_NEWPID) after unshare(CLONE_NEWPID)': clone_after_unshare,
        'clone(CLONE_NEWIPC): the child has another IPC namespace': clone_newipc,
    }


# --- pids ---------------------------------------------------------------------------------------

def keep_only(*fds):
    """Closes every descriptor above 2 but `fds`: a forked helper holds no other pipe end, so
    that no reader waits for it."""
    lo = 3
    for fd in sorted(fds):
        os.closerange(lo, fd)
        lo = fd + 1
    os.closerange(lo, 4096)


class Kid:
    """A forked child that reports `setup()` and then blocks until released (exit status 7); it
    keeps no descriptor but its own pipes and `keep`."""

    def __init__(self, setup=lambda: None, keep=()):
        info_r, info_w = os.pipe()
        go_r, self._go_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                keep_only(info_w, go_r, *keep)
                write_json(info_w, setup())
                os.close(info_w)
                os.read(go_r, 1)
                os._exit(7)
            except BaseException:
                traceback.print_exc()
                os._exit(1)
        os.close(info_w), os.close(go_r)
        with os.fdopen(info_r, 'rb') as f:
            self.info = json.loads(f.read())
        self.pid = pid

    def release(self):
        if self._go_w >= 0:
            os.close(self._go_w)
            self._go_w = -1

    def wait(self, options=0):
        return os.waitpid(self.pid, options)


def pid_cases():
    def first_two():
        unshare(CLONE_NEWPID)
        ids = lambda: [os.getpid(), os.getppid()]
        a, b = Kid(ids), Kid(ids)
        out = [a.info, b.info]
        b.release(), b.wait(), a.release(), a.wait()
        return out

    def unsharer_keeps():
        before = os.getpid()
        unshare(CLONE_NEWPID)
        return os.getpid() == before

    def numbers():
        unshare(CLONE_NEWPID)
        a = Kid(os.getpid)
        a.release()
        waited, _ = a.wait()
        return [a.pid != 1, a.info, waited == a.pid]

    def fork_after_reaped():
        unshare(CLONE_NEWPID)
        a = Kid()
        a.release(), a.wait()
        return errno_of(fork_and_exit)

    def fork_after_exit():
        unshare(CLONE_NEWPID)
        a = Kid()
        a.release()
        os.waitid(os.P_PID, a.pid, os.WEXITED | os.WNOWAIT)
        return errno_of(fork_and_exit)

    def init_child_killed():
        unshare(CLONE_NEWPID)
        r, w = os.pipe()

        def spawn_grandchild():
            g = os.fork()
            if g == 0:
                keep_only(w)
                while True:
                    signal.pause()
            os.close(w), os.close(r)
            return None
        init = Kid(spawn_grandchild, keep=(r, w))
        os.close(w)
        os.set_blocking(r, False)
        alive = errno_of(os.read, r, 1)
        init.release()
        _, status = init.wait()
        return [alive, os.read(r, 1) == b'', status >> 8]

    def outside_child_killed():
        unshare(CLONE_NEWPID)
        init = Kid()
        second = Kid()
        init.release()
        time.sleep(0.3)
        early = os.waitid(os.P_PID, init.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        _, s2 = second.wait()
        _, s1 = init.wait()
        return [early is None, os.WIFSIGNALED(s2) and os.WTERMSIG(s2), os.WEXITSTATUS(s1)]

    return {
        'getpid and getppid of the first and second child after unshare(CLONE_NEWPID)': first_two,
        'getpid of the task that unshared CLONE_NEWPID does not change': unsharer_keeps,
        "fork's value is not 1, the child's getpid is, waitpid gives fork's value": numbers,
        "fork after the namespace's init has exited and been reaped": fork_after_reaped,
        "fork after the namespace's init has exited, not reaped": fork_after_exit,
        "the namespace's init exits: its child is killed: alive before, pipe EOF after, init's exit status": init_child_killed,
        "the namespace's init exits: the outside task's second child is killed, and init is not waitable before it is reaped": outside_child_killed,
    }


# --- /proc of a new PID namespace ---------------------------------------------------------------

def proc_scenario():
    """The task outside unshares CLONE_NEWNS|CLONE_NEWPID and forks init, which mounts proc on
    /a, forks a child (pid 2) and mounts proc again on /b; both sides then look."""
    unshare(CLONE_NEWNS | CLONE_NEWPID)
    me = os.getpid()

    def init_side():
        mount('proc', '/a')
        child = Kid(lambda: os.readlink('/a/self'))
        mount('proc', '/b')
        return {
            'names in /a, read by init (init and its child alive)': pid_names('/a'),
            'readlink /a/self by init': os.readlink('/a/self'),
            'readlink /a/self by the child of init': child.info,
            'readlink /a/thread-self by init': os.readlink('/a/thread-self'),
            'mountinfo of the proc mounted by init on /a': mountinfo_line('/a'),
            'mountinfo of a second proc mount on /b': mountinfo_line('/b'),
            '/a and /b have the same st_dev': os.stat('/a').st_dev == os.stat('/b').st_dev,
            '_child': child,
        }

    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    res_r, res_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(ready_r), os.close(go_w), os.close(res_r)
            out = init_side()
            child = out.pop('_child')
            outer_self = os.readlink('/proc/self')
            out['readlink /proc/self (the cell\'s proc) by init'] = outer_self
            write_json(res_w, out)
            os.close(res_w)
            os.write(ready_w, b'x')
            _waitbyte(go_r)
            child.release(), child.wait()
            os._exit(0)
        except BaseException:
            traceback.print_exc()
            os._exit(1)
    os.close(ready_w), os.close(go_r), os.close(res_w)
    try:
        with os.fdopen(res_r, 'rb') as f:
            out = json.loads(f.read())
        _waitbyte(ready_r)
        out["readlink /proc/self (the cell's proc) by init"] = out["readlink /proc/self (the cell's proc) by init"] == str(pid)
        out['names in /a, read by the task outside'] = pid_names('/a')
        out['readlink /a/self by the task outside'] = errno_of(os.readlink, '/a/self')
        out['stat /a/N, N the outside task\'s number in the cell\'s namespace'] = errno_of(os.stat, f'/a/{me}')
        out["stat /proc/N, N init's number in the cell's namespace"] = errno_of(os.stat, f'/proc/{pid}')
    finally:
        os.write(go_w, b'x')
        os.close(go_w)
        _, status = os.waitpid(pid, 0)
    if status != 0:
        raise RuntimeError(f'init failed (wait status {status})')
    return out


# --- mqueue of a new IPC namespace --------------------------------------------------------------

def mqueue_scenario():
    unshare(CLONE_NEWNS | CLONE_NEWIPC)
    out = {'mount mqueue read-only on /a': errno_of(mount, 'mqueue', '/a', R.MS['rdonly'])}
    out['mountinfo of /a'] = mountinfo_line('/a')
    out['mount mqueue on /b'] = errno_of(mount, 'mqueue', '/b')
    out['mountinfo of /b'] = mountinfo_line('/b')
    out['/a and /b have the same st_dev'] = os.stat('/a').st_dev == os.stat('/b').st_dev
    out["/a and the cell's /mq have the same st_dev"] = os.stat('/a').st_dev == os.stat('/mq').st_dev
    return out


def record(cells):
    CELL['cells'] = cells
    return {
        'mount as root of a user namespace': {name: cells.run(as_ns_root(fn, visible)) for name, (visible, fn) in mount_cases().items()},
        'unshare and clone': {name: cells.run(as_ns_root(fn)) for name, fn in unshare_cases().items()},
        'pids': {name: cells.run(as_ns_root(fn)) for name, fn in pid_cases().items()},
        'proc of a new PID namespace': cells.run(as_ns_root(proc_scenario)),
        'mqueue of a new IPC namespace': cells.run(as_ns_root(mqueue_scenario)),
    }
