"""How record-facts.py asks the kernel: one case, one forked child, one fresh tmpfs.

A case is a Python function. `Cells.run(fn)` forks a child that unshare(CLONE_NEWNS)s, makes
every mount of its copy private (MS_REC|MS_PRIVATE on "/"), mounts a fresh tmpfs ("none",
mode=755) on a directory the parent made with mkdtemp, makes it the namespace's root
(pivot_root, the old root detached), sets umask 0 and calls `fn()`; what `fn` returns (JSON)
comes back through a pipe. The child's namespace, and the tmpfs with it, goes away when it
exits; the parent never mounts anything and only removes its empty directory at the end. So
every case starts from the state the emulator's `createSandbox()` gives a unit test: uid 0 with
the recorder's capabilities, umask 0, an empty tmpfs as the namespace's root `/`.

`Cells.table(world, ops)` answers 'OK' or an errno name for each named op, `Cells.values(world,
fns)` whatever each named function returns, each after a fresh `world()`; `Cells.each(fns)`
runs functions that build their own world.

The system calls are made as test/kernel/record.py makes them (it is imported for the shared
ones: mount, unshare, setcred, getdents64); where Python's os module would hide the kernel's
answer (glibc emulating faccessat flags, getcwd refusing "(unreachable)"), the raw x86_64 system
call is made with ctypes.
"""

import ctypes
import fcntl
import json
import os
import signal
import struct
import sys
import tempfile
import traceback

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import record as R  # noqa: E402  (test/kernel/record.py: the plan recorder's syscalls)

libc = R.libc
check = R.check
sys_mount = R.sys_mount
sys_getdents = R.sys_getdents
sys_renameat2 = R.sys_renameat2
AT_FDCWD = R.AT_FDCWD

# --- raw system calls (x86_64 numbers) ---------------------------------------------------------

AT_SYMLINK_NOFOLLOW, AT_REMOVEDIR, AT_EACCESS, AT_SYMLINK_FOLLOW, AT_EMPTY_PATH = 0x100, 0x200, 0x200, 0x400, 0x1000
UTIME_NOW, UTIME_OMIT = (1 << 30) - 1, (1 << 30) - 2
NR = {
    'access': 21, 'getcwd': 79, 'statfs': 137, 'fstatfs': 138, 'fchownat': 260, 'newfstatat': 262,
    'unlinkat': 263, 'linkat': 265, 'readlinkat': 267, 'utimensat': 280, 'faccessat2': 439,
    'fchmodat2': 452,
}


def _sc(name, *args):
    return check(libc.syscall(NR[name], *args), name)


def _p(path):
    return None if path is None else path.encode()


def access(path, mode):
    """access(2): the real ids; a non-root caller's capabilities dropped."""
    _sc('access', _p(path), ctypes.c_int(mode))


def faccessat(dirfd, path, mode, flags=0):
    """faccessat2(2): the flags checked by the kernel, not emulated by glibc."""
    _sc('faccessat2', ctypes.c_int(dirfd), _p(path), ctypes.c_int(mode), ctypes.c_int(flags))


def fchmodat(dirfd, path, mode, flags=0):
    """fchmodat2(2), the only one that takes flags (AT_SYMLINK_NOFOLLOW, unknown bits)."""
    _sc('fchmodat2', ctypes.c_int(dirfd), _p(path), ctypes.c_uint(mode), ctypes.c_int(flags))


def fchownat(dirfd, path, uid, gid, flags=0):
    _sc('fchownat', ctypes.c_int(dirfd), _p(path), ctypes.c_int(uid), ctypes.c_int(gid), ctypes.c_int(flags))


def linkat(olddirfd, old, newdirfd, new, flags=0):
    _sc('linkat', ctypes.c_int(olddirfd), _p(old), ctypes.c_int(newdirfd), _p(new), ctypes.c_int(flags))


def link(old, new):
    """link(2): linkat without AT_SYMLINK_FOLLOW (Python's os.link may follow)."""
    linkat(AT_FDCWD, old, AT_FDCWD, new, 0)


def unlinkat(dirfd, path, flags=0):
    _sc('unlinkat', ctypes.c_int(dirfd), _p(path), ctypes.c_int(flags))


def readlinkat(dirfd, path):
    buf = ctypes.create_string_buffer(8192)
    n = _sc('readlinkat', ctypes.c_int(dirfd), _p(path), buf, ctypes.c_long(len(buf)))
    return buf.raw[:n].decode()


def fstatat(dirfd, path, flags=0):
    """newfstatat(2); returns (mode, size) — what the tables compare."""
    buf = ctypes.create_string_buffer(144)
    _sc('newfstatat', ctypes.c_int(dirfd), _p(path), buf, ctypes.c_int(flags))
    mode, = struct.unpack_from('I', buf.raw, 24)
    size, = struct.unpack_from('q', buf.raw, 48)
    return mode, size


def utimensat(dirfd, path, times, flags=0):
    """utimensat(2); `times` None or ((sec, nsec), (sec, nsec))."""
    arg = None
    if times is not None:
        arg = (ctypes.c_long * 4)(times[0][0], times[0][1], times[1][0], times[1][1])
    _sc('utimensat', ctypes.c_int(dirfd), _p(path), arg, ctypes.c_int(flags))


STATFS_FIELDS = ('type', 'bsize', 'blocks', 'bfree', 'bavail', 'files', 'ffree', 'fsid', 'namelen', 'frsize', 'flags')


def statfs(path_or_fd):
    """statfs(2) or fstatfs(2) as a dict of struct statfs's fields."""
    buf = ctypes.create_string_buffer(120)
    if isinstance(path_or_fd, int):
        _sc('fstatfs', ctypes.c_int(path_or_fd), buf)
    else:
        _sc('statfs', _p(path_or_fd), buf)
    return dict(zip(STATFS_FIELDS, struct.unpack_from('11q', buf.raw)))


def getcwd():
    """getcwd(2) itself: glibc turns the kernel's "(unreachable)/..." into ENOENT."""
    buf = ctypes.create_string_buffer(4096)
    n = _sc('getcwd', buf, ctypes.c_long(len(buf)))
    return buf.raw[:n - 1].decode()


TIOCGPTN = R.TIOCGPTN


def pty_number(fd):
    return struct.unpack('I', fcntl.ioctl(fd, TIOCGPTN, struct.pack('I', 0)))[0]


def setcred(uid, gid, groups, caps):
    """The plan op `setcred` (docs/plan-format-extensions.md); caps are capabilities(7) names."""
    R.sys_setcred(uid, gid, groups, [c.lower() for c in caps])


def create(path, mode=0o644, data=b''):
    """open(O_CREAT|O_WRONLY|O_TRUNC) + write + close: the emulator tests' writeFile."""
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, mode)
    try:
        if data:
            os.write(fd, data)
    finally:
        os.close(fd)


def names(path):
    """The plan op `readdir`: names without `.` and `..`, sorted."""
    return sorted(sys_getdents(path))


def dirents(fd):
    """getdents64(2) on `fd` until it returns 0: (name, d_type) pairs in the kernel's order,
    `.` and `..` included."""
    buf = ctypes.create_string_buffer(65536)
    out = []
    while True:
        n = check(libc.syscall(R.SYS_GETDENTS64, fd, buf, ctypes.c_long(len(buf))), 'getdents64')
        if n == 0:
            return out
        off = 0
        while off < n:
            reclen = int.from_bytes(buf.raw[off + 16:off + 18], 'little')
            out.append((buf.raw[off + 19:off + reclen].split(b'\0', 1)[0].decode(), buf.raw[off + 18]))
            off += reclen


# --- answers ------------------------------------------------------------------------------------

def errno_of(fn, *args):
    """'OK' when the call succeeds, else its errno name: what the unit tests' errOf() gives."""
    try:
        fn(*args)
        return 'OK'
    except OSError as e:
        return R.errno_name(e.errno)


def value_or_errno(fn, *args):
    """The call's value, or its errno name when it fails."""
    try:
        return fn(*args)
    except OSError as e:
        return R.errno_name(e.errno)


# --- isolation ----------------------------------------------------------------------------------

def write_json(w, value):
    """`value` as JSON down the pipe end `w`, all of it."""
    data = json.dumps(value).encode()
    while data:
        data = data[os.write(w, data):]


def run_forked(fn):
    """`fn()`'s JSON result, run by a forked child (waited for): what it changes of its task
    (setns, credentials, namespaces) stays with it."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            write_json(w, fn())
            os._exit(0)
        except BaseException:
            traceback.print_exc()
            os._exit(1)
    os.close(w)
    with os.fdopen(r, 'rb') as f:
        data = f.read()
    _, status = os.waitpid(pid, 0)
    if status != 0:
        raise RuntimeError(f'forked child failed (wait status {status})')
    return json.loads(data)


def wait_byte(fd):
    """One handshake byte from the other side of a pipe."""
    if os.read(fd, 1) != b'x':
        raise RuntimeError('the other side of a handshake went away')


def proc_write(procfd, pid, name, text):
    """Writes `text` to /proc/PID/NAME through the proc directory descriptor `procfd`."""
    fd = os.open(f'{pid}/{name}', os.O_WRONLY, dir_fd=procfd)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def run_in_userns(procfd, fn, uid_map, gid_map, setgroups=None, before=None):
    """`fn()`'s JSON result, run by a child in a new user namespace whose maps this task wrote
    (none for a None map), as a runtime's parent writes them; `before(pid)` runs in this task
    once the child has unshared."""
    up_r, up_w = os.pipe()
    go_r, go_w = os.pipe()
    res_r, res_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(up_r), os.close(go_w), os.close(res_r)
            R.sys_unshare(0x10000000)  # CLONE_NEWUSER
            os.write(up_w, b'x')
            wait_byte(go_r)
            write_json(res_w, fn())
            os._exit(0)
        except BaseException:
            traceback.print_exc()
            os._exit(1)
    os.close(up_w), os.close(go_r), os.close(res_w)
    try:
        wait_byte(up_r)
        if before:
            before(pid)
        if setgroups is not None:
            proc_write(procfd, pid, 'setgroups', setgroups)
        if uid_map is not None:
            proc_write(procfd, pid, 'uid_map', uid_map)
        if gid_map is not None:
            proc_write(procfd, pid, 'gid_map', gid_map)
        os.write(go_w, b'x')
        with os.fdopen(res_r, 'rb') as f:
            data = f.read()
    finally:
        os.close(go_w), os.close(up_r)
        _, status = os.waitpid(pid, 0)
    if status != 0:
        raise RuntimeError(f'user-namespace child failed (wait status {status})')
    return json.loads(data)


class Cells:
    """Runs cases in forked children, each in a private mount namespace whose root is a fresh
    tmpfs; `procfd` (the host's /proc, opened before the pivot) is there for reading
    mountinfo."""

    def __init__(self):
        self.top = tempfile.mkdtemp(prefix='vfsemu-facts-')
        self.procfd = -1

    def close(self):
        os.rmdir(self.top)

    def _child(self, fn, w):
        try:
            R.sys_unshare(R.CLONE_NEWNS)
            sys_mount('none', '/', None, R.MS['rec'] | R.MS['private'], None)
            sys_mount('none', self.top, 'tmpfs', 0, 'mode=755')
            self.procfd = os.open('/proc', os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
            # The tmpfs becomes the namespace's root, as the emulator's sandbox root is: runc's
            # pivot_root(".", ".") and a lazy umount of the old root stacked on it.
            os.chdir(self.top)
            check(libc.syscall(R.SYS_PIVOT_ROOT, b'.', b'.'), 'pivot_root')
            R.sys_umount2('.', R.MNT['detach'])
            os.chdir('/')
            os.umask(0)
            signal.alarm(30)  # a case that blocks (a FIFO opened one-sided) fails instead of hanging
            write_json(w, fn())
            os._exit(0)
        except BaseException:
            traceback.print_exc()
            os._exit(1)

    def run(self, fn):
        """`fn()` in a fresh cell; its JSON-able return value."""
        try:
            return R.run_forked(lambda w: self._child(fn, w))
        except RuntimeError as e:
            raise RuntimeError(f'case {getattr(fn, "__name__", fn)!r}: {e}') from None

    def each(self, fns):
        """{name: fn()} for a dict of named functions, each in a fresh cell."""
        return {name: self.run(fn) for name, fn in fns.items()}

    def values(self, world, fns):
        """{name: fn()} for a dict of named functions, each in a fresh cell after `world()`
        (which must succeed)."""
        def after(fn):
            def case():
                world()
                return fn()
            return case
        return self.each({name: after(fn) for name, fn in fns.items()})

    def table(self, world, ops):
        """{name: 'OK' or the errno name of op()} for a dict of named ops, each after a fresh
        world()."""
        return self.values(world, {name: (lambda op=op: errno_of(op)) for name, op in ops.items()})

    def errno(self, world, op):
        """'OK' or the errno name of `op()` after a fresh `world()`."""
        return self.table(world, {'op': op})['op']

    def mountinfo_options(self, target):
        """The super options of the mount at `target` as this task sees it."""
        fd = os.open('self/mountinfo', os.O_RDONLY, dir_fd=self.procfd)
        try:
            text = R.read_all(fd).decode()
        finally:
            os.close(fd)
        for line in text.splitlines():
            fields = line.split(' ')
            if fields[4] == target:
                return fields[fields.index('-') + 3]
        raise RuntimeError(f'no mount at {target}')
