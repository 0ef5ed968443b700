"""Tasks, pid reuse, pidfds and /proc/PID user-namespace descriptors: what a pid or a pidfd refers to once its task is gone.

Serves test/unit/pidfd-userns.test.ts. The pid cases run in a new PID namespace (the cell
unshare(CLONE_NEWPID)s and forks its init, which mounts a proc of that namespace on /p): pid
numbers there are the namespace's own, so the answers do not depend on the host's other tasks,
and the wrap is forced through /p/sys/kernel/ns_last_pid (the namespace's allocation cursor),
never through the host's pid_max. A "kid" is a child that does its part (unshare a user
namespace, report its /proc/self/ns/user inode) and then waits until released; a zombie is a kid
released and waited for with WNOWAIT; a reaped kid is waited for.
"""

import ctypes
import json
import os
import signal
import traceback

from .harness import R, check, errno_of, libc, run_forked as in_child, sys_mount, value_or_errno, write_json

CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNS = R.CLONE_NEWNS
PIDFD_NONBLOCK = os.O_NONBLOCK
MAP = '0 100000 65536'
CELL = {}  # what the cell knows: its /proc descriptor
PROC = '/p'  # the proc of the PID namespace the pid cases run in


class Kid:
    """A child that runs `setup()` (its JSON result is `info`), then waits until released."""

    releasers = set()  # the write ends that release the kids: no other kid may hold one

    def __init__(self, setup=lambda: None):
        info_r, info_w = os.pipe()
        self._go_r, self._go_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                os.close(info_r), os.close(self._go_w)
                for fd in Kid.releasers:
                    os.close(fd)
                write_json(info_w, setup())
                os.close(info_w)
                os.read(self._go_r, 1)
                os._exit(7)
            except BaseException:
                traceback.print_exc()
                os._exit(1)
        os.close(info_w), os.close(self._go_r)
        Kid.releasers.add(self._go_w)
        with os.fdopen(info_r, 'rb') as f:
            self.info = json.loads(f.read())
        self.pid = pid

    def release(self):
        """Lets it exit (status 7)."""
        if self._go_w >= 0:
            Kid.releasers.discard(self._go_w)
            os.close(self._go_w)
            self._go_w = -1

    def zombie(self):
        """Released and exited, not reaped."""
        self.release()
        os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOWAIT)
        return self

    def reap(self):
        self.release()
        os.waitpid(self.pid, 0)
        return self


def in_pidns(fn):
    """`fn()`'s JSON result, run by the init of a new PID namespace with its proc on /p."""
    R.sys_unshare(CLONE_NEWPID)

    def init():
        os.mkdir(PROC)
        sys_mount('proc', PROC, 'proc', 0, None)
        return fn()
    return in_child(init)


def sysctl(name, value=None):
    path = f'{PROC}/sys/kernel/{name}'
    if value is None:
        with open(path) as f:
            return int(f.read())
    with open(path, 'w') as f:
        f.write(str(value))


def wrap():
    """The next pid allocated is the one after pid_max: the allocation wraps."""
    sysctl('ns_last_pid', sysctl('pid_max') - 1)


def userns_kid():
    """A kid in a new user namespace; `info` is its namespace's inode number."""
    def setup():
        R.sys_unshare(CLONE_NEWUSER)
        return os.stat(f'{PROC}/self/ns/user').st_ino
    return Kid(setup)


# --- pid allocation -----------------------------------------------------------------------------

def pid_cases():
    def first():
        a = Kid()
        b = Kid()
        return [os.getpid(), a.pid, b.pid]

    def no_reuse_before_wrap():
        a = Kid().reap()
        return [a.pid, Kid().pid]

    def after_wrap():
        wrap()
        return Kid().pid

    def zombie_kept():
        wrap()
        a = Kid().zombie()
        wrap()
        return [a.pid, Kid().pid]

    def reaped_reused():
        wrap()
        a = Kid()
        b = Kid()
        a.reap()
        wrap()
        return [a.pid, b.pid, Kid().pid]

    def lowest_not_last_freed():
        wrap()
        kids = [Kid(), Kid(), Kid()]
        kids[1].reap()
        kids[2].reap()
        wrap()
        return [[k.pid for k in kids], Kid().pid]

    def cursor():
        a = Kid()
        return [a.pid, sysctl('ns_last_pid')]

    return {
        'getpid of init, then two forks': first,
        'a reaped pid is not reused before the wrap': no_reuse_before_wrap,
        'the first pid after the wrap': after_wrap,
        'after the wrap, a zombie keeps its pid': zombie_kept,
        'after the wrap, a reaped pid is reused': reaped_reused,
        'after the wrap, the lowest free pid, not the last freed': lowest_not_last_freed,
        'ns_last_pid after a fork': cursor,
    }


# --- pidfds -------------------------------------------------------------------------------------

def send(fd, sig, flags=0):
    signal.pidfd_send_signal(fd, sig, None, flags)


def wait_pidfd(fd, options=os.WEXITED):
    r = os.waitid(os.P_PIDFD, fd, options)
    return None if r is None else {'code': r.si_code, 'status': r.si_status}


def pidfd_cases():
    def live(fn):
        def go():
            k = Kid()
            try:
                return fn(k)
            finally:
                k.reap()
        return go

    def zombie(fn):
        def go():
            k = Kid().zombie()
            return fn(k)
        return go

    def reaped(fn):
        def go():
            k = Kid()
            fd = os.pidfd_open(k.pid)
            k.reap()
            return fn(k, fd)
        return go

    def reused():
        wrap()
        a = Kid()
        fd = os.pidfd_open(a.pid)
        a.reap()
        wrap()
        b = Kid()
        out = {'same pid': a.pid == b.pid, 'pidfd_send_signal 0 on the old pidfd': errno_of(send, fd, 0),
               'kill 0 on the pid': errno_of(os.kill, a.pid, 0)}
        b.reap()
        return out

    def killed():
        k = Kid()
        fd = os.pidfd_open(k.pid)
        send(fd, signal.SIGKILL)
        return wait_pidfd(fd)

    def exited():
        k = Kid()
        fd = os.pidfd_open(k.pid)
        k.release()
        return [wait_pidfd(fd), value_or_errno(wait_pidfd, fd)]

    def not_a_child():
        fd = os.pidfd_open(os.getpid())
        return errno_of(wait_pidfd, fd)

    def regular_file():
        fd = os.open('/f', os.O_CREAT | os.O_RDWR, 0o644)
        return [errno_of(send, fd, 0), errno_of(wait_pidfd, fd)]

    def mode_of_pidfd():
        k = Kid()
        fd = os.pidfd_open(k.pid)
        st = os.fstat(fd)
        k.reap()
        return oct(st.st_mode)

    return {
        'pidfd_send_signal 0 to a live child': live(lambda k: errno_of(send, os.pidfd_open(k.pid), 0)),
        'pidfd_send_signal 0 to a zombie': zombie(lambda k: errno_of(send, os.pidfd_open(k.pid), 0)),
        'pidfd_send_signal 0 to a reaped child': reaped(lambda k, fd: errno_of(send, fd, 0)),
        'kill 0 to a zombie': zombie(lambda k: errno_of(os.kill, k.pid, 0)),
        'kill 0 to a reaped pid': reaped(lambda k, fd: errno_of(os.kill, k.pid, 0)),
        'pidfd_open of a zombie': zombie(lambda k: errno_of(os.pidfd_open, k.pid)),
        'pidfd_open of a reaped pid': reaped(lambda k, fd: errno_of(os.pidfd_open, k.pid)),
        'pidfd_open pid 0': lambda: errno_of(os.pidfd_open, 0),
        'pidfd_open pid -1': lambda: errno_of(os.pidfd_open, -1),
        'pidfd_open unknown flags': live(lambda k: errno_of(os.pidfd_open, k.pid, 1)),
        'pidfd_send_signal unknown flags': live(lambda k: errno_of(send, os.pidfd_open(k.pid), 0, 0x100)),
        'pidfd_send_signal signal 65': live(lambda k: errno_of(send, os.pidfd_open(k.pid), 65)),
        'waitid P_PIDFD WNOHANG of a live child': live(lambda k: wait_pidfd(os.pidfd_open(k.pid), os.WEXITED | os.WNOHANG)),
        'waitid P_PIDFD of a live child, PIDFD_NONBLOCK': live(lambda k: errno_of(wait_pidfd, os.pidfd_open(k.pid, PIDFD_NONBLOCK))),
        'waitid P_PIDFD without WEXITED': live(lambda k: errno_of(wait_pidfd, os.pidfd_open(k.pid), os.WNOHANG)),
        'waitid P_PIDFD of an exited child, then again': exited,
        'waitid P_PIDFD after pidfd_send_signal SIGKILL': killed,
        'waitid P_PIDFD of itself (not a child)': not_a_child,
        'pidfd_send_signal and waitid P_PIDFD on a regular file': regular_file,
        'the old pidfd of a pid now reused': reused,
        'fstat st_mode of a pidfd': mode_of_pidfd,
    }


# --- /proc/PID descriptors ----------------------------------------------------------------------

def popen(pid, name, flags=os.O_RDONLY):
    return os.open(f'{pid}/{name}', flags, dir_fd=CELL['procfd'])


def read_fd(fd):
    os.lseek(fd, 0, os.SEEK_SET)
    return R.read_all(fd).decode()


def setns(fd, nstype):
    check(libc.setns(ctypes.c_int(fd), ctypes.c_int(nstype)), 'setns')


def cell_userns_kid():
    """A kid of the cell (init PID namespace) in a new user namespace."""
    def setup():
        R.sys_unshare(CLONE_NEWUSER)
        return os.stat('self/ns/user', dir_fd=CELL['procfd']).st_ino
    return Kid(setup)


def proc_cases():
    def write_after_reap():
        k = cell_userns_kid()
        w = popen(k.pid, 'uid_map', os.O_WRONLY)
        r = popen(k.pid, 'uid_map')
        k.reap()
        answer = errno_of(os.write, w, MAP.encode())
        return [answer, read_fd(r)]

    def gid_write_after_reap():
        k = cell_userns_kid()
        sg = popen(k.pid, 'setgroups', os.O_WRONLY)
        w = popen(k.pid, 'gid_map', os.O_WRONLY)
        r = popen(k.pid, 'gid_map')
        k.reap()
        return [errno_of(os.write, sg, b'deny'), errno_of(os.write, w, MAP.encode()), read_fd(r)]

    def second_fd():
        k = cell_userns_kid()
        a = popen(k.pid, 'uid_map', os.O_WRONLY)
        b = popen(k.pid, 'uid_map', os.O_WRONLY)
        k.reap()
        return [errno_of(os.write, a, MAP.encode()), errno_of(os.write, b, b'0 200000 1')]

    def zombie_open(name, flags=os.O_RDONLY):
        def go():
            k = cell_userns_kid().zombie()
            return errno_of(popen, k.pid, name, flags)
        return go

    def reaped_open(name):
        def go():
            k = cell_userns_kid()
            d = os.open(str(k.pid), os.O_PATH | os.O_DIRECTORY, dir_fd=CELL['procfd'])
            k.reap()
            return [errno_of(popen, k.pid, name), errno_of(lambda: os.open(name, os.O_RDONLY, dir_fd=d))]
        return go

    def nsfd_after_reap():
        k = cell_userns_kid()
        fd = popen(k.pid, 'ns/user')
        w = popen(k.pid, 'uid_map', os.O_WRONLY)
        k.reap()
        os.write(w, MAP.encode())
        st = os.fstat(fd)
        ids = in_child(lambda: (setns(fd, CLONE_NEWUSER), list(os.getresuid()))[1])
        return [st.st_ino == k.info, oct(st.st_mode), ids]

    def setns_errors():
        k = cell_userns_kid()
        fd = popen(k.pid, 'ns/user')
        own = popen('self', 'ns/user')
        pidfd = os.pidfd_open(k.pid)
        reg = os.open('/f', os.O_CREAT | os.O_RDWR, 0o644)
        k.reap()
        return {
            'own user namespace': in_child(lambda: errno_of(setns, own, CLONE_NEWUSER)),
            'user namespace fd, nstype CLONE_NEWNS': in_child(lambda: errno_of(setns, fd, CLONE_NEWNS)),
            'regular file': in_child(lambda: errno_of(setns, reg, 0)),
            'pidfd of a reaped child': in_child(lambda: errno_of(setns, pidfd, CLONE_NEWUSER)),
        }

    def ptrace_denied():
        k = Kid(lambda: (R.sys_setcred(1000, 1000, [], []), None)[1])

        def other():
            R.sys_setcred(2000, 2000, [], [])
            return [errno_of(popen, k.pid, 'ns/user'), errno_of(popen, k.pid, 'uid_map')]
        out = in_child(other)
        k.reap()
        return out

    def race_pid_flow():
        """In a new PID namespace: a kid's pid reused by another kid in another user namespace."""
        def go():
            wrap()
            a = userns_kid()
            pidfd = os.pidfd_open(a.pid)
            a.reap()
            wrap()
            b = userns_kid()
            ino = os.stat(f'{PROC}/{a.pid}/ns/user').st_ino
            out = {'same pid': a.pid == b.pid, "opened the new task's namespace": ino == b.info and ino != a.info,
                   'pidfd_send_signal 0 on the pidfd': errno_of(send, pidfd, 0)}
            b.reap()
            return out
        return in_pidns(go)

    return {
        'write through an opened uid_map after the task is reaped, then read': write_after_reap,
        'setgroups and gid_map writes through descriptors after the task is reaped': gid_write_after_reap,
        'two uid_map descriptors: the second write': second_fd,
        'open uid_map of a zombie': zombie_open('uid_map'),
        'open uid_map O_WRONLY of a zombie': zombie_open('uid_map', os.O_WRONLY),
        'open ns/user of a zombie': zombie_open('ns/user'),
        'open ns/mnt of a zombie': zombie_open('ns/mnt'),
        'open uid_map of a reaped pid, by path and from its /proc/PID descriptor': reaped_open('uid_map'),
        'ns/user descriptor after the task is reaped: same inode, st_mode, getresuid after setns': nsfd_after_reap,
        'setns errors': setns_errors,
        "open another uid's ns/user and uid_map without capabilities": ptrace_denied,
        'pid reused in a new PID namespace: the pid flow and the pidfd flow': race_pid_flow,
    }


def record(cells):
    def with_proc(fn):
        def go():
            CELL['procfd'] = cells.procfd
            return fn()
        return go

    return {
        'pid allocation': {name: cells.run(lambda fn=fn: in_pidns(fn)) for name, fn in pid_cases().items()},
        'pidfd': {name: cells.run(lambda fn=fn: in_pidns(fn)) for name, fn in pidfd_cases().items()},
        'proc descriptors': {name: cells.run(with_proc(fn)) for name, fn in proc_cases().items()},
    }
