#!/usr/bin/env python3
"""Record what the real kernel does with a mount plan (shared/plan-format.md, version 1).

This is a test-data tool: it turns plans under test/kernel/plans/ into the fixtures under
test/kernel/fixtures/ that test/kernel/fixtures.test.ts replays through the emulator.

    unshare -m --propagation private python3 test/kernel/record.py PLAN.json... [-o DIR]

For each PLAN.json it writes DIR/NAME.json (DIR defaults to test/kernel/fixtures next to this
file, NAME is the plan file's base name):

    { "plan": {...}, "kernel": { "results": [...], "mountinfo": [...], "namespaces": [[...]] },
      "kernelOptions": { "totalRamPages": N }, "recorded": "how, kernel version" }

`kernelOptions` carries what the emulator needs to know about this machine to print the same
thing (tmpfs sizes given as size=N% depend on the RAM).

How a plan runs (the sandbox of plan-format.md "Plan document"):

- It needs root (CAP_SYS_ADMIN, CAP_SYS_CHROOT). The parent process only makes a mkdtemp
  directory, forks, waits, and removes that directory; it never mounts anything.
- The child unshare(CLONE_NEWNS)s and makes every mount of its copy private (MS_REC|MS_PRIVATE
  on "/"), so nothing it does can propagate to the host, then mounts the sandbox with
  mount("none", dir, "tmpfs", 0, "mode=755") and chroot()s into it. Paths in the plan are thus
  absolute inside the sandbox. It runs with umask 0 as uid 0. When the child exits, its mount
  namespace (and every mount in it) goes away. Running the whole script under
  `unshare -m --propagation private` as well is belt and braces.
- mountinfo is read through a descriptor of the host's /proc opened before the chroot
  (openat(procfd, "self/mountinfo")): the kernel renders it for the reading task's root, i.e.
  relative to the sandbox root, and leaves out every mount outside it. One such descriptor is
  opened for each namespace as it is made (namespace and root are fixed at open time, the text is
  rendered at read time), so all of them can be read at the end, even after `setcred` dropped
  the privilege that setns(2) needs.
- `unshare` is unshare(CLONE_NEWNS); the kernel moves the task's root and cwd to the copies in
  the new namespace. Each namespace's nsfs descriptor is kept for `setns`, and so is an O_PATH
  descriptor of its sandbox root, taken when the namespace is made: setns(2) resets root and cwd
  to the namespace's real root, so after it we fchdir() to the saved descriptor and chroot(".").
  When that fails (no search permission left), the plan stops: later ops are reported not run.
  `setns` to an index that does not exist yet is reported as EINVAL (there is no descriptor).
- At the end: every namespace's mountinfo through its descriptor; the one of the namespace the
  plan ended in is also the outcome's `mountinfo`.
- `setcred` is prctl(PR_SET_KEEPCAPS), setgroups, setresgid, setresuid and capset as raw system
  calls; `pivot_root`, `mknod`, `openpty` and `unshare` flags as docs/plan-format-extensions.md
  says (after a pivot_root the namespace's descriptors are reopened from the new root).

Each op is one syscall (or the few plan-format.md names); an OSError becomes its errno name.
"""

import argparse
import ctypes
import ctypes.util
import errno
import fcntl
import json
import os
import platform
import stat
import struct
import sys
import tempfile
import traceback

# --- syscall constants (include/uapi/linux/mount.h, fs.h, sched.h) ---------------------------

MS = {
    'rdonly': 1, 'nosuid': 2, 'nodev': 4, 'noexec': 8, 'synchronous': 16, 'remount': 32,
    'mandlock': 64, 'dirsync': 128, 'noatime': 1024, 'nodiratime': 2048, 'bind': 4096,
    'move': 8192, 'rec': 16384, 'silent': 32768, 'unbindable': 1 << 17, 'private': 1 << 18,
    'slave': 1 << 19, 'shared': 1 << 20, 'relatime': 1 << 21, 'strictatime': 1 << 24,
    'lazytime': 1 << 25,
}
MNT = {'force': 1, 'detach': 2, 'expire': 4, 'nofollow': 8}
RENAME = {'noreplace': 1, 'exchange': 2}
CLONE_NEWNS = 0x00020000
CLONE_NEWNET = 0x40000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
# open_tree, mount_setattr, move_mount (include/uapi/linux/mount.h, fcntl.h; x86_64 numbers)
SYS_OPEN_TREE, SYS_MOUNT_SETATTR = 428, 442
OPEN_TREE = {'clone': 1, 'recursive': 0x8000, 'nofollow': 0x100}
OPEN_TREE_CLOEXEC = 0o2000000
SETATTR = {'recursive': 0x8000, 'nofollow': 0x100}
AT_EMPTY_PATH = 0x1000
MOUNT_ATTR = {'rdonly': 0x1, 'nosuid': 0x2, 'nodev': 0x4, 'noexec': 0x8, 'atime': 0x70, 'relatime': 0,
              'noatime': 0x10, 'strictatime': 0x20, 'nodiratime': 0x80, 'idmap': 0x100000,
              'nosymfollow': 0x200000}
PROPAGATION = {'unbindable': 1 << 17, 'private': 1 << 18, 'slave': 1 << 19, 'shared': 1 << 20}
MOVE_MOUNT_F_EMPTY_PATH = 4
PR_GET_DUMPABLE, PR_SET_DUMPABLE = 3, 4
SYS_PIVOT_ROOT = 155  # x86_64
TIOCSPTLCK, TIOCGPTN = 0x40045431, 0x80045430
AT_FDCWD = -100

libc = ctypes.CDLL(ctypes.util.find_library('c'), use_errno=True)
libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
libc.unshare.argtypes = [ctypes.c_int]
libc.setns.argtypes = [ctypes.c_int, ctypes.c_int]
libc.renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]


# setcred (docs/plan-format-extensions.md): raw x86_64 system calls, as the native backend makes them.
SYS_SETRESUID, SYS_SETGROUPS, SYS_SETRESGID, SYS_CAPSET = 117, 116, 119, 126
PR_SET_KEEPCAPS = 8
CAP_NAMES = [
    'chown', 'dac_override', 'dac_read_search', 'fowner', 'fsetid', 'kill', 'setgid', 'setuid',
    'setpcap', 'linux_immutable', 'net_bind_service', 'net_broadcast', 'net_admin', 'net_raw',
    'ipc_lock', 'ipc_owner', 'sys_module', 'sys_rawio', 'sys_chroot', 'sys_ptrace', 'sys_pacct',
    'sys_admin', 'sys_boot', 'sys_nice', 'sys_resource', 'sys_time', 'sys_tty_config', 'mknod',
    'lease', 'audit_write', 'audit_control', 'setfcap', 'mac_override', 'mac_admin', 'syslog',
    'wake_alarm', 'block_suspend', 'audit_read', 'perfmon', 'bpf', 'checkpoint_restore',
]
libc.syscall.restype = ctypes.c_long


def sys_setcred(uid, gid, groups, caps):
    check(libc.prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0), 'prctl')
    if groups is not None:
        arr = (ctypes.c_uint * max(1, len(groups)))(*groups)
        check(libc.syscall(SYS_SETGROUPS, ctypes.c_long(len(groups)), arr), 'setgroups')
    u32 = lambda v: ctypes.c_long(v & 0xffffffff)
    check(libc.syscall(SYS_SETRESGID, u32(gid), u32(gid), u32(gid)), 'setresgid')
    check(libc.syscall(SYS_SETRESUID, u32(uid), u32(uid), u32(uid)), 'setresuid')
    bits = 0
    for n in caps or []:
        bits |= 1 << CAP_NAMES.index(n)
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)
    # two __user_cap_data_struct {effective, permitted, inheritable}: low then high 32 bits
    data = (ctypes.c_uint32 * 6)(bits & 0xffffffff, bits & 0xffffffff, 0, bits >> 32, bits >> 32, 0)
    check(libc.syscall(SYS_CAPSET, header, data), 'capset')


SYS_GETDENTS64 = 217


def sys_getdents(path):
    """getdents64(2) until it returns 0, without glibc's readdir(), which turns the ENOENT of a
    removed directory into an empty listing."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        buf = ctypes.create_string_buffer(65536)
        names = []
        while True:
            n = check(libc.syscall(SYS_GETDENTS64, fd, buf, ctypes.c_long(len(buf))), 'getdents64')
            if n == 0:
                return [x for x in names if x not in ('.', '..')]
            off = 0
            while off < n:
                reclen = int.from_bytes(buf.raw[off + 16:off + 18], 'little')
                name = buf.raw[off + 19:off + reclen].split(b'\0', 1)[0]
                names.append(name.decode('utf-8', errors='surrogateescape'))
                off += reclen
    finally:
        os.close(fd)


def read_all(fd):
    """read(2) to end of file."""
    chunks = []
    while True:
        b = os.read(fd, 65536)
        if not b:
            return b''.join(chunks)
        chunks.append(b)


# Python names 95 and 35 by their glibc aliases; the kernel (and the emulator) say these.
KERNEL_ERRNO_NAMES = {errno.EOPNOTSUPP: 'EOPNOTSUPP', errno.EDEADLK: 'EDEADLK'}


def errno_name(n):
    """The kernel's name of errno `n` (include/uapi/asm-generic/errno*.h)."""
    return KERNEL_ERRNO_NAMES.get(n) or errno.errorcode[n]


def check(ret, what):
    """Raises OSError(errno) for a libc call that returned -1, as os.* functions do."""
    if ret == -1:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e), what)
    return ret


def sys_mount(source, target, fstype, flags, data):
    # Plan strings go to the kernel as they are: "" stays an empty string, not NULL; only an
    # absent `data` is NULL.
    enc = lambda s: None if s is None else s.encode()
    check(libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)), 'mount')


# fsopen/fsconfig/fsmount/move_mount (x86_64), for a `mount` with `fsconfig` (docs/plan-format-extensions.md).
SYS_MOVE_MOUNT, SYS_FSOPEN, SYS_FSCONFIG, SYS_FSMOUNT = 429, 430, 431, 432
FSCONFIG_SET_FLAG, FSCONFIG_SET_STRING, FSCONFIG_CMD_CREATE = 0, 1, 6
MOUNT_ATTRS = {'rdonly': 0x1, 'nosuid': 0x2, 'nodev': 0x4, 'noexec': 0x8, 'noatime': 0x10,
               'strictatime': 0x20, 'nodiratime': 0x80, 'relatime': 0}


def split_options(data):
    """The data string cut at commas that no backslash escapes (ovl_next_opt)."""
    out, cur, i = [], '', 0
    while i < len(data):
        c = data[i]
        if c == '\\':
            cur += data[i:i + 2]
            i += 2
            continue
        if c == ',':
            out.append(cur)
            cur = ''
        else:
            cur += c
        i += 1
    out.append(cur)
    return [o for o in out if o]


def fsconfig_params(fstype, data):
    """src/plan/overlay-data.ts fsconfigParams: one (key, value-or-None) an option, an overlay's
    lowerdir list one lowerdir+ (datadir+ after '::') a layer, unescaped."""
    out = []
    for opt in split_options(data or ''):
        key, eq, value = opt.partition('=')
        if not eq:
            out.append((key, None))
        elif fstype == 'overlay' and key == 'lowerdir' and value:
            cur, data_layer, i = '', False, 0
            while i < len(value):
                c = value[i]
                if c == '\\':
                    cur += value[i + 1:i + 2]
                    i += 2
                    continue
                if c == ':':
                    out.append(('datadir+' if data_layer else 'lowerdir+', cur))
                    cur = ''
                    data_layer = value[i + 1:i + 2] == ':'
                    i += 2 if data_layer else 1
                    continue
                cur += c
                i += 1
            out.append(('datadir+' if data_layer else 'lowerdir+', cur))
        else:
            out.append((key, value))
    return out


def sys_fsmount(source, target, fstype, flags, data):
    """fsopen + fsconfig (source, then each option) + FSCONFIG_CMD_CREATE + fsmount + move_mount;
    the first failing call's errno, the descriptors closed either way."""
    if any(f not in MOUNT_ATTRS for f in flags):
        raise OSError(errno.EINVAL, 'not a mount attribute', 'fsmount')
    attrs = 0
    for f in flags:
        attrs |= MOUNT_ATTRS[f]
    sc = lambda *a: libc.syscall(*a)
    fd = check(sc(SYS_FSOPEN, fstype.encode(), 1), 'fsopen')
    mfd = -1
    try:
        calls = ([('source', source)] if source else []) + fsconfig_params(fstype, data)
        for key, value in calls:
            if value is None:
                check(sc(SYS_FSCONFIG, fd, FSCONFIG_SET_FLAG, key.encode(), None, 0), 'fsconfig')
            else:
                check(sc(SYS_FSCONFIG, fd, FSCONFIG_SET_STRING, key.encode(), value.encode(), 0), 'fsconfig')
        check(sc(SYS_FSCONFIG, fd, FSCONFIG_CMD_CREATE, None, None, 0), 'fsconfig')
        mfd = check(sc(SYS_FSMOUNT, fd, 1, attrs), 'fsmount')
    finally:
        os.close(fd)
    try:
        check(sc(SYS_MOVE_MOUNT, mfd, b'', AT_FDCWD, target.encode(), 4), 'move_mount')
    finally:
        os.close(mfd)


def map_text(extents):
    """src/plan/plan.ts idMapText: one `inside outside count` line an extent."""
    return ''.join(f'{a} {b} {c}\n' for a, b, c in extents)


def write_maps(procfd, pid, op):
    """A runtime parent's writes for the user namespace of `pid`: setgroups, uid_map, gid_map,
    each one write(2) at offset 0; the first failure raises."""
    for name, text in (('setgroups', op.get('setgroups')), ('uid_map', op.get('uidMap')), ('gid_map', op.get('gidMap'))):
        if text is None:
            continue
        data = (text if name == 'setgroups' else map_text(text)).encode()
        fd = os.open(f'{pid}/{name}', os.O_WRONLY | os.O_CLOEXEC, dir_fd=procfd)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)


def forked_errno(fn):
    """Runs fn() in a forked child; returns its errno (0 when it raised nothing)."""
    pid = os.fork()
    if pid == 0:
        try:
            fn()
            os._exit(0)
        except OSError as e:
            os._exit(e.errno or 255)
        except BaseException:
            os._exit(255)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def sys_umount2(target, flags):
    check(libc.umount2(target.encode(), flags), 'umount2')


def sys_unshare(flags):
    check(libc.unshare(flags), 'unshare')


def sys_setns(fd, nstype):
    check(libc.setns(fd, nstype), 'setns')


def sys_renameat2(old, new, flags):
    check(libc.renameat2(AT_FDCWD, old.encode(), AT_FDCWD, new.encode(), flags), 'renameat2')


# --- the plan runner ----------------------------------------------------------------------------

TYPES = {
    stat.S_IFREG: 'file', stat.S_IFDIR: 'dir', stat.S_IFLNK: 'symlink', stat.S_IFCHR: 'char',
    stat.S_IFBLK: 'block', stat.S_IFIFO: 'fifo', stat.S_IFSOCK: 'socket',
}


def flag_bits(table, names):
    bits = 0
    for n in names or []:
        bits |= table[n]
    return bits


class Runner:
    """Runs a plan inside the chrooted sandbox; owns the per-namespace descriptors."""

    def __init__(self, procfd):
        self.procfd = procfd
        self.nsfds = [self.open_ns()]  # index = plan namespace number
        # The kernel fixes a mountinfo reader's namespace and root at open time and renders at
        # read time: one descriptor a namespace, opened as it is made, reads right at the end
        # even after `setcred` gave up the privilege to setns.
        self.mifds = [self.open_mountinfo()]
        self.rootfds = [self.open_root()]  # namespace number -> fd of its sandbox root
        self.stopped_at = None
        self.ptys = []  # openpty descriptors, kept open to the end as the plan format says
        self.current = 0
        # docs/plan-format.md indices: detached trees by open_tree op, user namespaces by op
        # (0: the one the plan starts in); None where the op failed.
        self.trees = {}
        self.userns = {0: os.open('self/ns/user', os.O_RDONLY | os.O_CLOEXEC, dir_fd=procfd)}
        self.next_tree = 0
        self.next_userns = 1

    def open_ns(self):
        return os.open('self/ns/mnt', os.O_RDONLY | os.O_CLOEXEC, dir_fd=self.procfd)

    def open_root(self):
        """The sandbox root of the namespace we are in, for setns to come back to. O_PATH: it
        needs no read permission, and no op moves the root inside a namespace."""
        return os.open('/', os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)

    def enter(self, ns, index):
        """setns(2) into namespace `ns`, then back into its sandbox root."""
        sys_setns(self.nsfds[ns], CLONE_NEWNS)
        self.current = ns
        # setns(2) put root and cwd at the namespace's own root; go back into the sandbox. Both
        # calls need search permission there: without it we stand outside the sandbox and stop.
        try:
            os.fchdir(self.rootfds[ns])
            os.chroot('.')
        except OSError:
            self.stopped_at = index
            raise

    def open_mountinfo(self):
        return os.open('self/mountinfo', os.O_RDONLY | os.O_CLOEXEC, dir_fd=self.procfd)

    def mountinfo(self, ns):
        fd = self.mifds[ns]
        try:
            return read_all(fd).decode().splitlines()
        finally:
            os.close(fd)

    def apply(self, op, index):
        kind = op['op']
        if kind == 'mkdir':
            os.mkdir(op['path'], op.get('mode', 0o755))
        elif kind == 'write':
            fd = os.open(op['path'], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, op.get('mode', 0o644))
            try:
                data = op['data'].encode()
                done = 0
                while done < len(data):
                    done += os.write(fd, data[done:])
            finally:
                os.close(fd)
        elif kind == 'symlink':
            os.symlink(op['target'], op['path'])
        elif kind == 'link':
            # linkat(AT_FDCWD, old, AT_FDCWD, new, 0) is link(2): a symlink oldpath is not followed.
            os.link(op['oldpath'], op['newpath'], follow_symlinks=False)
        elif kind == 'unlink':
            os.unlink(op['path'])
        elif kind == 'rmdir':
            os.rmdir(op['path'])
        elif kind == 'rename':
            sys_renameat2(op['oldpath'], op['newpath'], flag_bits(RENAME, op.get('flags')))
        elif kind == 'chmod':
            os.chmod(op['path'], op['mode'])
        elif kind == 'chown':
            os.lchown(op['path'], op['uid'], op['gid'])
        elif kind == 'truncate':
            os.truncate(op['path'], op['length'])
        elif kind == 'mount' and op.get('fsconfig'):
            sys_fsmount(op['source'], op['target'], op['fstype'], op['flags'], op.get('data'))
        elif kind == 'mount':
            sys_mount(op['source'], op['target'], op['fstype'], flag_bits(MS, op['flags']), op.get('data'))
        elif kind == 'umount':
            sys_umount2(op['target'], flag_bits(MNT, op.get('flags')))
        elif kind == 'unshare':
            names = op.get('flags', ['mnt'])
            flags = ((CLONE_NEWNS if 'mnt' in names else 0) | (CLONE_NEWNET if 'net' in names else 0)
                     | (CLONE_NEWIPC if 'ipc' in names else 0) | (CLONE_NEWPID if 'pid' in names else 0))
            if 'user' not in names:
                sys_unshare(flags)
            else:
                # The maps are written by a helper forked before the unshare, left in the parent
                # user namespace; the task is dumpable meanwhile, as runc's nsexec makes it.
                # (From this recorder's chroot, unshare(CLONE_NEWUSER) is EPERM: current_chrooted.)
                slot, self.next_userns = self.next_userns, self.next_userns + 1
                go_r, go_w = os.pipe()
                back_r, back_w = os.pipe()
                dumpable = libc.prctl(PR_GET_DUMPABLE, 0, 0, 0, 0)
                libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)
                # Our pid as our proc numbers it (getpid() is 1 in a nested PID namespace).
                me = int(os.readlink('self', dir_fd=self.procfd))
                pid = os.fork()
                if pid == 0:
                    os.close(go_w)
                    os.close(back_r)
                    ue = int.from_bytes(os.read(go_r, 4) or b'\x05\0\0\0', 'little')
                    we = ue
                    if ue == 0:
                        try:
                            write_maps(self.procfd, me, op)
                        except OSError as e:
                            we = e.errno
                    os.write(back_w, we.to_bytes(4, 'little'))
                    os._exit(0)
                os.close(go_r)
                os.close(back_w)
                ue = 0 if libc.unshare(flags | CLONE_NEWUSER) == 0 else ctypes.get_errno()
                os.write(go_w, ue.to_bytes(4, 'little'))
                os.close(go_w)
                we = int.from_bytes(os.read(back_r, 4) or b'\x05\0\0\0', 'little')
                os.close(back_r)
                os.waitpid(pid, 0)
                libc.prctl(PR_SET_DUMPABLE, dumpable, 0, 0, 0)
                if ue:
                    raise OSError(ue, os.strerror(ue), 'unshare')
            if 'mnt' in names:
                self.nsfds.append(self.open_ns())
                self.mifds.append(self.open_mountinfo())
                self.rootfds.append(self.open_root())
                self.current = len(self.nsfds) - 1
            if 'user' in names:
                if we:
                    raise OSError(we, os.strerror(we), 'write')
                self.userns[slot] = os.open('self/ns/user', os.O_RDONLY | os.O_CLOEXEC, dir_fd=self.procfd)
            if 'pid' in names:
                # CLONE_NEWPID moves only our children: the plan goes on in a child, the new
                # namespace's first task; we wait for it and leave with its status.
                pid = os.fork()
                if pid:
                    _, status = os.waitpid(pid, 0)
                    os._exit(os.waitstatus_to_exitcode(status) & 0xff)
        elif kind == 'userns':
            # containerd's GetUsernsFD: a held child unshares CLONE_NEWUSER; we write its maps,
            # keep its ns/user, kill and reap it.
            slot, self.next_userns = self.next_userns, self.next_userns + 1
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(r)
                libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)
                # Its pid as our proc numbers it (not the fork's: we may be in a nested PID
                # namespace), then the unshare's errno.
                os.write(w, int(os.readlink('self', dir_fd=self.procfd)).to_bytes(4, 'little'))
                e = 0 if libc.unshare(CLONE_NEWUSER) == 0 else ctypes.get_errno()
                os.write(w, e.to_bytes(4, 'little'))
                while True:
                    os.pause()
            os.close(w)
            in_proc = int.from_bytes(os.read(r, 4) or b'\0\0\0\0', 'little')
            e = int.from_bytes(os.read(r, 4) or b'\x05\0\0\0', 'little')
            os.close(r)
            try:
                if e:
                    raise OSError(e, os.strerror(e), 'unshare')
                write_maps(self.procfd, in_proc, op)
                self.userns[slot] = os.open(f'{in_proc}/ns/user', os.O_RDONLY | os.O_CLOEXEC, dir_fd=self.procfd)
            finally:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
        elif kind == 'open_tree':
            slot, self.next_tree = self.next_tree, self.next_tree + 1
            fd = check(libc.syscall(SYS_OPEN_TREE, AT_FDCWD, op['path'].encode(), flag_bits(OPEN_TREE, op.get('flags')) | OPEN_TREE_CLOEXEC), 'open_tree')
            self.trees[slot] = fd
        elif kind == 'mount_setattr':
            # No descriptor: INT_MAX, a closed one (a userns_fd above INT_MAX is EINVAL on 6.18).
            userns = self.userns.get(op['userns'], 0x7fffffff) if 'userns' in op else 0x7fffffff
            attr = struct.pack('QQQQ', flag_bits(MOUNT_ATTR, op.get('attrSet')), flag_bits(MOUNT_ATTR, op.get('attrClr')),
                               flag_bits(PROPAGATION, op.get('propagation')), userns)
            flags = flag_bits(SETATTR, op.get('flags'))
            if 'tree' in op:
                dfd, path, flags = self.trees.get(op['tree'], -1), b'', flags | AT_EMPTY_PATH
            else:
                dfd, path = AT_FDCWD, op['path'].encode()
            buf = ctypes.create_string_buffer(attr, len(attr))
            check(libc.syscall(SYS_MOUNT_SETATTR, dfd, path, flags, buf, ctypes.c_long(len(attr))), 'mount_setattr')
        elif kind == 'move_mount':
            if 'tree' in op:
                args = (self.trees.get(op['tree'], -1), b'', AT_FDCWD, op['to'].encode(), MOVE_MOUNT_F_EMPTY_PATH)
            else:
                args = (AT_FDCWD, op['from'].encode(), AT_FDCWD, op['to'].encode(), 0)
            check(libc.syscall(SYS_MOVE_MOUNT, *args), 'move_mount')
        elif kind == 'pivot_root':
            check(libc.syscall(SYS_PIVOT_ROOT, op['new_root'].encode(), op['put_old'].encode()), 'pivot_root')
            # The task's root moved: this namespace's mountinfo and root descriptors follow it.
            os.close(self.mifds[self.current])
            os.close(self.rootfds[self.current])
            self.mifds[self.current] = self.open_mountinfo()
            self.rootfds[self.current] = self.open_root()
        elif kind == 'mknod':
            kinds = {'char': stat.S_IFCHR, 'block': stat.S_IFBLK, 'fifo': stat.S_IFIFO, 'file': stat.S_IFREG, 'socket': stat.S_IFSOCK}
            os.mknod(op['path'], kinds[op['type']] | op.get('mode', 0o644), os.makedev(op.get('major', 0), op.get('minor', 0)))
        elif kind == 'openpty':
            # posix_openpt by hand: unlockpt (TIOCSPTLCK 0), then the number (TIOCGPTN); the
            # descriptor stays open to the plan's end, and /dev/pts/N with it.
            fd = os.open(op['path'], os.O_RDWR | os.O_NOCTTY)
            try:
                fcntl.ioctl(fd, TIOCSPTLCK, struct.pack('i', 0))
                n = struct.unpack('I', fcntl.ioctl(fd, TIOCGPTN, struct.pack('I', 0)))[0]
            except OSError:
                os.close(fd)
                raise
            self.ptys.append(fd)
            return {'ok': True, 'data': str(n)}
        elif kind == 'setns':
            if not 0 <= op['ns'] < len(self.nsfds):
                raise OSError(errno.EINVAL, 'no such namespace', 'setns')
            self.enter(op['ns'], index)
        elif kind == 'stat':
            st = os.lstat(op['path']) if op.get('nofollow') else os.stat(op['path'])
            return {'ok': True, 'stat': {
                'type': TYPES[stat.S_IFMT(st.st_mode)], 'mode': st.st_mode & 0o7777,
                'uid': st.st_uid, 'gid': st.st_gid, 'size': st.st_size, 'nlink': st.st_nlink,
            }}
        elif kind == 'read':
            fd = os.open(op['path'], os.O_RDONLY)
            try:
                data = read_all(fd)
            finally:
                os.close(fd)
            # The emulator decodes with TextDecoder, which replaces bad bytes the same way.
            return {'ok': True, 'data': data.decode('utf-8', errors='replace')}
        elif kind == 'setcred':
            sys_setcred(op['uid'], op['gid'], op.get('groups'), op.get('caps'))
        elif kind == 'readdir':
            return {'ok': True, 'names': sorted(sys_getdents(op['path']))}
        else:
            raise ValueError(f'unknown op {kind!r}')
        return {'ok': True}

    def run(self, plan):
        results = []
        for index, op in enumerate(plan['ops']):
            if self.stopped_at is not None:
                at = self.stopped_at
                results.append({'ok': False, 'notRun': True, 'reason':
                                f'op {at} (setns) could not re-enter the sandbox root; the plan '
                                'stopped there rather than act outside the sandbox', 'stoppedAt': at})
                continue
            try:
                results.append(self.apply(op, index))
            except OSError as e:
                results.append({'ok': False, 'errno': errno_name(e.errno)})
        namespaces = [self.mountinfo(ns) for ns in range(len(self.mifds))]
        final = namespaces[self.current]
        return {'results': results, 'mountinfo': final, 'namespaces': namespaces}


def child(sandbox_dir, plan, out_fd):
    """The forked child: isolate, build the sandbox, run the plan, write the outcome JSON."""
    try:
        sys_unshare(CLONE_NEWNS)
        # Nothing below may reach the host: cut every propagation link of our copy first.
        sys_mount('none', '/', None, MS['rec'] | MS['private'], None)
        sys_mount('none', sandbox_dir, 'tmpfs', 0, 'mode=755')
        procfd = os.open('/proc', os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
        os.chroot(sandbox_dir)
        os.chdir('/')
        os.umask(0)
        outcome = Runner(procfd).run(plan)
        os.write(out_fd, json.dumps(outcome).encode())
        os._exit(0)
    except BaseException:
        traceback.print_exc()
        os._exit(1)


def run_forked(child_fn):
    """Forks; the child runs child_fn(w), which writes one JSON document to the pipe end `w` and
    _exits. Returns the document; a child that fails (nonzero wait status) is a RuntimeError."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        child_fn(w)
        os._exit(1)
    os.close(w)
    with os.fdopen(r, 'rb') as f:
        data = f.read()
    _, status = os.waitpid(pid, 0)
    if status != 0:
        raise RuntimeError(f'recording child failed (wait status {status})')
    return json.loads(data)


def record(plan):
    """Runs `plan` in a forked, namespaced child; returns the kernel outcome."""
    sandbox_dir = tempfile.mkdtemp(prefix='vfsemu-record-')
    try:
        return run_forked(lambda w: child(sandbox_dir, plan, w))
    finally:
        # The child's namespace (with the sandbox mount) died with it; only the directory is left.
        os.rmdir(sandbox_dir)


def dump_fixture(fixture):
    """JSON with one op, one result and one mountinfo line a line, for readable diffs."""
    def items(xs, indent):
        if not xs:
            return '[]'
        pad = ' ' * indent
        return '[\n' + ',\n'.join(pad + json.dumps(x) for x in xs) + '\n' + ' ' * (indent - 2) + ']'

    plan, kernel = fixture['plan'], fixture['kernel']
    plan_rest = {k: v for k, v in plan.items() if k != 'ops'}
    head = json.dumps(plan_rest)[1:-1]
    namespaces = '[\n' + ',\n'.join('      ' + items(ns, 8) for ns in kernel['namespaces']) + '\n    ]'
    return (
        '{\n'
        f'  "plan": {{{head}, "ops": {items(plan["ops"], 4)}}},\n'
        '  "kernel": {\n'
        f'    "results": {items(kernel["results"], 6)},\n'
        f'    "mountinfo": {items(kernel["mountinfo"], 6)},\n'
        f'    "namespaces": {namespaces}\n'
        '  },\n'
        f'  "kernelOptions": {json.dumps(fixture["kernelOptions"])},\n'
        f'  "recorded": {json.dumps(fixture["recorded"])}\n'
        '}\n'
    )


def capabilities():
    """The effective set this recording ran with (proc(5) CapEff), as the emulator's start."""
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('CapEff:'):
                return '0x' + line.split()[1].lstrip('0')
    raise RuntimeError('no CapEff in /proc/self/status')


def total_ram_pages():
    with open('/proc/meminfo') as f:
        for line in f:
            if line.startswith('MemTotal:'):
                return int(line.split()[1]) * 1024 // os.sysconf('SC_PAGE_SIZE')
    raise RuntimeError('no MemTotal in /proc/meminfo')


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('plans', nargs='+', help='plan JSON files')
    ap.add_argument('-o', '--out', default=os.path.join(here, 'fixtures'), help='fixture directory')
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit('record.py: needs root (mount namespaces, chroot)')
    os.makedirs(args.out, exist_ok=True)
    for path in args.plans:
        with open(path) as f:
            plan = json.load(f)
        fixture = {
            'plan': plan,
            'kernel': record(plan),
            'kernelOptions': {'totalRamPages': total_ram_pages(), 'caps': capabilities()},
            'recorded': f'test/kernel/record.py as root in unshare -m --propagation private, '
                        f'Linux {platform.release()} {platform.machine()}',
        }
        name = os.path.splitext(os.path.basename(path))[0]
        with open(os.path.join(args.out, name + '.json'), 'w') as f:
            f.write(dump_fixture(fixture))
        print(f'{name}: {sum(1 for r in fixture["kernel"]["results"] if not r["ok"])} failed ops, '
              f'{len(fixture["kernel"]["mountinfo"])} mounts')


if __name__ == '__main__':
    main()
