"""xfstests' idmapped-mounts cases (src/vfs/idmapped-mounts.c, vfstest.c) on this kernel's tmpfs: creation, chown, setid, rename and link across mounts, idmapped mounts of idmapped mounts.

Serves test/unit/xfstests-idmapped.test.ts. Each case is one function of xfstests'
src/vfs/idmapped-mounts.c (the `tcore_*` suite generic/633 runs on tmpfs), done step by step as
the C does it, with the cell's tmpfs (the namespace's root) as its t_mnt and
`/idmapped_mounts_1`, made 0777 by test_setup(), as T_DIR1. Where the C asserts, the recorder
writes down what the kernel answered: 'OK' or the errno name of a call, [uid, gid] as the
caller's stat(2) shows them, a mode's permission bits, a size. So a case holds even where this
kernel differs from the C's expectation, and the unit test holds the emulator to the kernel.

The C's helpers, as done here: get_userns_fd(nsid, hostid, range) is userns_idmap.userns_fd()
with "nsid hostid range" as both maps; switch_userns(fd, uid, gid, drop) is setns(fd,
CLONE_NEWUSER) then switch_ids() (setgroups([]), setresgid, setresuid; without PR_SET_KEEPCAPS,
as the C); switch_fsids() is setfsgid then setfsuid; caps_up()/caps_down()/caps_down_fsetid()
set the effective capabilities to the permitted ones / to none / without CAP_FSETID. What xfstests
checks but the emulator does not model is left out: execveat of a setid binary (only its owner and
mode are recorded), O_TMPFILE, POSIX ACLs (tcore_acls, setgid_create_acl_idmapped), fscaps
(security.capability v3), io_uring.
"""

import ctypes
import os

from .harness import AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW, R, check, fchownat, libc, linkat, write_json
from .harness import errno_of as _errno_of
from . import userns_idmap as U
from .userns_idmap import ATTR, OPEN_TREE_CLONE, AT_RECURSIVE, MOVE_MOUNT_F_EMPTY_PATH, move_mount, mount_setattr, open_tree

T_DIR1 = 'idmapped_mounts_1'
FILE1, FILE2, FILE1_RENAME = 'file1', 'file2', 'file1_rename'
DIR1, DIR1_RENAME = 'dir1', 'dir1_rename'
HARDLINK1, SYMLINK1, CHRDEV1 = 'hardlink1', 'symlink1', 'chrdev1'
SYMLINK_USER1, SYMLINK_USER2, SYMLINK_USER3 = 'symlink_user1', 'symlink_user2', 'symlink_user3'
AT_NO_AUTOMOUNT, OPEN_TREE_CLOEXEC = 0x800, 0o2000000
CLONE_NEWUSER = 0x10000000
S_IFREG, S_IFCHR, S_ISUID, S_ISGID, S_ISVTX, S_IXGRP, S_IEXEC = 0o100000, 0o020000, 0o4000, 0o2000, 0o1000, 0o010, 0o100
CAP_FSETID = 4
PR_SET_DUMPABLE = 4
O_CREAT_EXCL = os.O_CREAT | os.O_EXCL | os.O_CLOEXEC


# --- the C's helpers (src/vfs/utils.c, utils.h) -------------------------------------------------

def errno_of(fn, *args, **kw):
    """'OK' or the errno name of fn(*args, **kw)."""
    return _errno_of(lambda: fn(*args, **kw))


def makedev(major, minor):
    return os.makedev(major, minor)


def _caps():
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)
    data = (ctypes.c_uint32 * 6)()
    check(libc.syscall(125, header, data), 'capget')
    return header, data


def _set_effective(fn):
    """capset(2) with each 32-bit half of the effective set replaced by fn(effective, permitted)."""
    header, data = _caps()
    for i in (0, 3):
        data[i] = fn(data[i], data[i + 1], i) & 0xffffffff
    check(libc.syscall(R.SYS_CAPSET, header, data), 'capset')


def caps_up():
    _set_effective(lambda eff, perm, i: perm)


def caps_down():
    _set_effective(lambda eff, perm, i: 0)


def caps_down_fsetid():
    _set_effective(lambda eff, perm, i: eff & ~(1 << CAP_FSETID) if i == 0 else eff)


def switch_ids(uid, gid):
    check(libc.syscall(R.SYS_SETGROUPS, ctypes.c_long(0), None), 'setgroups')
    u32 = lambda v: ctypes.c_long(v & 0xffffffff)
    check(libc.syscall(R.SYS_SETRESGID, u32(gid), u32(gid), u32(gid)), 'setresgid')
    check(libc.syscall(R.SYS_SETRESUID, u32(uid), u32(uid), u32(uid)), 'setresuid')
    # The id change made the task non-dumpable; its /proc files (a nested get_userns_fd()'s
    # uid_map and ns/user) must stay open to it, as the C says.
    check(libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), 'prctl')


def switch_resids(uid, gid):
    """switch_resids(): setresgid then setresuid, the supplementary groups kept."""
    u32 = lambda v: ctypes.c_long(v & 0xffffffff)
    check(libc.syscall(R.SYS_SETRESGID, u32(gid), u32(gid), u32(gid)), 'setresgid')
    check(libc.syscall(R.SYS_SETRESUID, u32(uid), u32(uid), u32(uid)), 'setresuid')


def switch_userns(fd, uid, gid, drop_caps=False):
    R.sys_setns(fd, CLONE_NEWUSER)
    switch_ids(uid, gid)
    if drop_caps:
        caps_down()


def switch_fsids(fsuid, fsgid):
    libc.setfsgid(ctypes.c_uint(fsgid))
    libc.setfsuid(ctypes.c_uint(fsuid))


def get_userns_fd(nsid, hostid, rng):
    m = f'{nsid} {hostid} {rng}'
    return U.userns_fd(m, m)


def chown_r(dfd, path, uid, gid):
    """chown_r(): every entry below `path`, then `path`, without following symlinks."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=dfd)
    try:
        for name in sorted(os.listdir(fd)):
            st = os.stat(name, dir_fd=fd, follow_symlinks=False)
            if (st.st_mode & 0o170000) == 0o040000:
                chown_r(fd, name, uid, gid)
            else:
                os.chown(name, uid, gid, dir_fd=fd, follow_symlinks=False)
    finally:
        os.close(fd)
    os.chown(path, uid, gid, dir_fd=dfd, follow_symlinks=False)


def clone_idmapped(dfd, path, userns, recursive=False):
    """sys_open_tree(dfd, path, AT_EMPTY_PATH (for "") | AT_NO_AUTOMOUNT | AT_SYMLINK_NOFOLLOW |
    OPEN_TREE_CLOEXEC | OPEN_TREE_CLONE [| AT_RECURSIVE]) and MOUNT_ATTR_IDMAP with `userns`."""
    flags = AT_NO_AUTOMOUNT | AT_SYMLINK_NOFOLLOW | OPEN_TREE_CLOEXEC | OPEN_TREE_CLONE
    flags |= AT_EMPTY_PATH if path == '' else 0
    flags |= AT_RECURSIVE if recursive else 0
    fd = open_tree(path, flags, dirfd=dfd)
    mount_setattr('', AT_EMPTY_PATH, attr_set=ATTR['idmap'], userns_fd=userns, dirfd=fd)
    return fd


def ids(dfd, path, flags=0):
    """expected_uid_gid()'s fstatat(): [st_uid, st_gid]."""
    st = os.fstat(dfd) if path == '' else os.stat(path, dir_fd=dfd, follow_symlinks=not flags & AT_SYMLINK_NOFOLLOW)
    return [st.st_uid, st.st_gid]


def mode(dfd, path):
    """The permission bits (with setuid, setgid, sticky) is_setid()/is_setgid()/is_sticky() test."""
    return os.stat(path, dir_fd=dfd, follow_symlinks=False).st_mode & 0o7777


def size(dfd, path):
    return os.stat(path, dir_fd=dfd).st_size


def creat(dfd, path, m, flags=O_CREAT_EXCL):
    os.close(os.open(path, flags, m, dir_fd=dfd))


def mknod(dfd, path, m, dev=0):
    os.mknod(path, m, dev, dir_fd=dfd)


def in_child(fn):
    """fn() in a forked child (the C's fork() before switching ids); its JSON result."""
    def child(w):
        try:
            write_json(w, fn())
            os._exit(0)
        except BaseException:
            import traceback
            traceback.print_exc()
            os._exit(1)
    return R.run_forked(child)


def steps(pairs):
    """{name: 'OK' or errno} of each (name, call) in turn; a failing step does not stop the next."""
    return {name: errno_of(fn) for name, fn in pairs}


def world():
    """test_setup(): T_DIR1 0777 on t_mnt; (t_mnt_fd, t_dir1_fd)."""
    os.mkdir('/' + T_DIR1, 0o777)
    os.chmod('/' + T_DIR1, 0o777)
    return os.open('/', os.O_RDONLY | os.O_DIRECTORY), os.open('/' + T_DIR1, os.O_RDONLY | os.O_DIRECTORY)


# --- the cases ----------------------------------------------------------------------------------

def tcore_fsids_mapped(mnt, dir1):
    creat(dir1, FILE1, 0o644)
    os.mkdir(DIR1, 0o700, dir_fd=dir1)
    chown_r(mnt, T_DIR1, 0, 0)
    fd = clone_idmapped(dir1, '', get_userns_fd(0, 10000, 10000))

    def child():
        switch_fsids(10000, 10000)
        caps_up()
        return steps([
            ('linkat file1 hardlink1', lambda: linkat(fd, FILE1, fd, HARDLINK1)),
            ('renameat file1', lambda: os.rename(FILE1, FILE1_RENAME, src_dir_fd=fd, dst_dir_fd=fd)),
            ('renameat dir1', lambda: os.rename(DIR1, DIR1_RENAME, src_dir_fd=fd, dst_dir_fd=fd)),
            ('unlinkat file1_rename', lambda: os.unlink(FILE1_RENAME, dir_fd=fd)),
            ('unlinkat dir1_rename AT_REMOVEDIR', lambda: os.rmdir(DIR1_RENAME, dir_fd=fd)),
            ('openat O_CREAT file1', lambda: creat(fd, FILE1, 0o644)),
            ('mknodat S_IFREG file2', lambda: mknod(fd, FILE2, S_IFREG)),
            ('mknodat S_IFCHR 0:0 chrdev1', lambda: mknod(fd, CHRDEV1, S_IFCHR | 0o644, makedev(0, 0))),
            ('symlinkat symlink1', lambda: os.symlink(FILE2, SYMLINK1, dir_fd=fd)),
            ('mkdirat dir1', lambda: os.mkdir(DIR1, 0o700, dir_fd=fd)),
        ])
    return in_child(child)


def tcore_fsids_unmapped(mnt, dir1):
    creat(dir1, FILE1, 0o644)
    os.mkdir(DIR1, 0o700, dir_fd=dir1)
    chown_r(mnt, T_DIR1, 0, 0)
    fd = clone_idmapped(dir1, '', get_userns_fd(0, 10000, 10000))
    switch_fsids(0, 0)
    return steps([
        ('linkat file1 hardlink1', lambda: linkat(fd, FILE1, fd, HARDLINK1)),
        ('renameat file1', lambda: os.rename(FILE1, FILE1_RENAME, src_dir_fd=fd, dst_dir_fd=fd)),
        ('renameat dir1', lambda: os.rename(DIR1, DIR1_RENAME, src_dir_fd=fd, dst_dir_fd=fd)),
        ('unlinkat file1', lambda: os.unlink(FILE1, dir_fd=fd)),
        ('unlinkat dir1 AT_REMOVEDIR', lambda: os.rmdir(DIR1, dir_fd=fd)),
        ('openat O_CREAT file1', lambda: creat(fd, FILE1, 0o644)),
        ('mknodat S_IFREG file2', lambda: mknod(fd, FILE2, S_IFREG)),
        ('mknodat S_IFCHR 5:1 chrdev1', lambda: mknod(fd, CHRDEV1, S_IFCHR | 0o644, makedev(5, 1))),
        ('symlinkat symlink1', lambda: os.symlink(FILE2, SYMLINK1, dir_fd=fd)),
        ('mkdirat dir1', lambda: os.mkdir(DIR1, 0o700, dir_fd=fd)),
    ])


def tcore_create_in_userns(mnt, dir1):
    chown_r(mnt, T_DIR1, 0, 0)
    userns = get_userns_fd(0, 10000, 10000)
    fd = clone_idmapped(dir1, '', userns)

    def child():
        switch_userns(userns, 0, 0)
        out = {}
        out['openat O_CREAT file1'] = errno_of(creat, fd, FILE1, 0o644)
        out['file1'] = ids(fd, FILE1)
        out['mknodat S_IFREG file2'] = errno_of(mknod, fd, FILE2, S_IFREG)
        out['file2'] = ids(fd, FILE2)
        out['symlinkat symlink1'] = errno_of(os.symlink, FILE2, SYMLINK1, dir_fd=fd)
        out['symlink1 (nofollow)'] = ids(fd, SYMLINK1, AT_SYMLINK_NOFOLLOW)
        out['mkdirat dir1'] = errno_of(os.mkdir, DIR1, 0o700, dir_fd=fd)
        out['dir1'] = ids(fd, DIR1)
        out['renameat file1'] = errno_of(os.rename, FILE1, FILE1_RENAME, src_dir_fd=fd, dst_dir_fd=fd)
        out['file1_rename'] = ids(fd, FILE1_RENAME)
        out['renameat dir1'] = errno_of(os.rename, DIR1, DIR1_RENAME, src_dir_fd=fd, dst_dir_fd=fd)
        out['dir1_rename'] = ids(fd, DIR1_RENAME)
        out['unlinkat file1_rename'] = errno_of(os.unlink, FILE1_RENAME, dir_fd=fd)
        out['unlinkat dir1_rename AT_REMOVEDIR'] = errno_of(os.rmdir, DIR1_RENAME, dir_fd=fd)
        return out
    return in_child(child)


def tcore_device_node_in_userns(mnt, dir1):
    userns = get_userns_fd(0, 10000, 10000)
    fd = clone_idmapped(dir1, '', userns)

    def child():
        switch_userns(userns, 0, 0)
        return errno_of(mknod, fd, CHRDEV1, S_IFCHR | 0o644, makedev(5, 1))
    return in_child(child)


# tcore_expected_uid_gid_idmapped_mounts: seven names, seen through three mounts, in five phases.
ENTRIES = [('file1', FILE1, 0), ('file2', FILE2, 0), ('hardlink1', HARDLINK1, 0), ('chrdev1', CHRDEV1, 0),
           ('symlink1 (nofollow)', SYMLINK1, AT_SYMLINK_NOFOLLOW), ('symlink1', SYMLINK1, 0), ('dir1', DIR1, 0)]


def _views(mounts):
    return {m: {name: ids(fd, path, flags) for name, path, flags in ENTRIES} for m, fd in mounts.items()}


def _chowns(fd, uid, gid, link_uid):
    """The C's seven fchownat() calls on one mount: the symlink itself to link_uid, the rest (and
    the symlink's target) to uid:gid."""
    return {
        'file1': errno_of(fchownat, fd, FILE1, uid, gid, 0),
        'file2': errno_of(fchownat, fd, FILE2, uid, gid, 0),
        'hardlink1': errno_of(fchownat, fd, HARDLINK1, uid, gid, 0),
        'chrdev1': errno_of(fchownat, fd, CHRDEV1, uid, gid, 0),
        'symlink1 (nofollow)': errno_of(fchownat, fd, SYMLINK1, link_uid, link_uid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW),
        'symlink1': errno_of(fchownat, fd, SYMLINK1, uid, gid, AT_EMPTY_PATH),
        'dir1': errno_of(fchownat, fd, DIR1, uid, gid, AT_EMPTY_PATH),
    }


def expected_uid_gid(phase):
    def case(mnt, dir1):
        switch_fsids(0, 0)
        creat(dir1, FILE1, 0o644)
        mknod(dir1, FILE2, S_IFREG)
        mknod(dir1, CHRDEV1, S_IFCHR | 0o644, makedev(0, 0))
        linkat(dir1, FILE1, dir1, HARDLINK1)
        os.symlink(FILE2, SYMLINK1, dir_fd=dir1)
        os.mkdir(DIR1, 0o700, dir_fd=dir1)
        ns1 = get_userns_fd(0, 10000, 10000)
        fd1 = clone_idmapped(dir1, '', ns1)
        ns2 = get_userns_fd(0, 30000, 2001)
        fd2 = clone_idmapped(dir1, '', ns2)
        mounts = {'t_dir1': dir1, 'idmapped 0:10000:10000': fd1, 'idmapped 0:30000:2001': fd2}
        if phase == 0:
            return _views(mounts)
        for name, path, flags in ENTRIES:
            if name == 'symlink1 (nofollow)':
                fchownat(dir1, path, 3000, 3000, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)
            else:
                fchownat(dir1, path, 2000, 2000, flags | (AT_EMPTY_PATH if name in ('symlink1', 'dir1') else 0))
        if phase == 1:
            return _views(mounts)

        def in_ns(ns, own, others, uid, link_uid):
            def child():
                switch_userns(ns, 0, 0)
                answers = {m: _chowns(fd, uid, uid, link_uid) for m, fd in others + [own]}
                return {'fchownat': answers, 'seen': _views(mounts)}
            return in_child(child)
        first = in_ns(ns1, ('idmapped 0:10000:10000', fd1), [('t_dir1', dir1), ('idmapped 0:30000:2001', fd2)], 1000, 2000)
        if phase == 2:
            return first
        if phase == 3:
            return _views(mounts)
        second = in_ns(ns2, ('idmapped 0:30000:2001', fd2), [('t_dir1', dir1), ('idmapped 0:10000:10000', fd1)], 0, 3000)
        return {'root of the second namespace': second, 'then the cell sees': _views(mounts)}
    return case


def crossing(call):
    """tcore_{hardlink,rename}_crossing_idmapped_mounts(): from one idmapped clone of T_DIR1 to
    another of its DIR1."""
    def case(mnt, dir1):
        chown_r(mnt, T_DIR1, 10000, 10000)
        userns = get_userns_fd(10000, 0, 10000)
        fd1 = clone_idmapped(dir1, '', userns)
        out = {'openat O_CREAT file1': errno_of(creat, fd1, FILE1, 0o644),
               'file1 through it': ids(fd1, FILE1), 'file1 through t_dir1': ids(dir1, FILE1),
               'mkdirat dir1': errno_of(os.mkdir, DIR1, 0o777, dir_fd=fd1)}
        fd2 = clone_idmapped(dir1, DIR1, userns, recursive=True)
        out['across'] = errno_of(call, fd1, fd2)
        return out
    return case


def from_idmapped(call, after):
    """tcore_{hardlink,rename}_from_idmapped_mount(): within one idmapped clone."""
    def case(mnt, dir1):
        chown_r(mnt, T_DIR1, 10000, 10000)
        fd = clone_idmapped(dir1, '', get_userns_fd(10000, 0, 10000))
        out = {'openat O_CREAT file1': errno_of(creat, fd, FILE1, 0o644),
               'file1 through it': ids(fd, FILE1), 'file1 through t_dir1': ids(dir1, FILE1),
               'within': errno_of(call, fd, fd)}
        out[after + ' through t_dir1'] = ids(dir1, after)
        return out
    return case


def from_idmapped_in_userns(call, after):
    """tcore_{hardlink,rename}_from_idmapped_mount_in_userns()."""
    def case(mnt, dir1):
        chown_r(mnt, T_DIR1, 0, 0)
        userns = get_userns_fd(0, 10000, 10000)
        fd = clone_idmapped(dir1, '', userns)

        def child():
            switch_userns(userns, 0, 0)
            out = {'openat O_CREAT file1': errno_of(creat, fd, FILE1, 0o644), 'file1 through it': ids(fd, FILE1),
                   'within': errno_of(call, fd, fd)}
            out[after + ' through it'] = ids(fd, after)
            return out
        return in_child(child)
    return case


def hardlink(a, b):
    linkat(a, FILE1, b, HARDLINK1)


def rename(a, b):
    os.rename(FILE1, FILE1_RENAME, src_dir_fd=a, dst_dir_fd=b)


def tcore_setattr_truncate_idmapped(mnt, dir1):
    fd = clone_idmapped(dir1, '', get_userns_fd(0, 10000, 10000))

    def truncations(f):
        out = {}
        out['ftruncate 10000'] = errno_of(os.ftruncate, f, 10000)
        out['after 10000'] = [ids(fd, FILE1), size(fd, FILE1), mode(fd, FILE1)]
        out['ftruncate 0'] = errno_of(os.ftruncate, f, 0)
        out['after 0'] = [ids(fd, FILE1), size(fd, FILE1), mode(fd, FILE1)]
        return out

    def creator():
        switch_ids(10000, 10000)
        f = os.open(FILE1, O_CREAT_EXCL | os.O_RDWR, S_IXGRP | S_ISGID, dir_fd=fd)
        return {'mode made': mode(fd, FILE1), **truncations(f)}

    def root():
        return truncations(os.open(FILE1, os.O_RDWR | os.O_CLOEXEC, dir_fd=fd))
    return {'by its creator 10000:10000': in_child(creator), 'by root': in_child(root)}


SGID_MADE = [('file1', FILE1), ('dir1', DIR1), ('file2', FILE2), ('chrdev1', CHRDEV1)]


def _setgid_creations(fd):
    """The creations of tcore_setgid_create_idmapped*() in a setgid directory: each one's answer,
    then [uid, gid] and mode of each, then the removals."""
    out = {
        'openat O_CREAT file1 S_IXGRP|S_ISGID': errno_of(creat, fd, FILE1, S_IXGRP | S_ISGID),
        'mkdirat dir1 0000': errno_of(os.mkdir, DIR1, 0, dir_fd=fd),
        'mknodat file2 S_IFREG|S_ISGID|S_IXGRP': errno_of(mknod, fd, FILE2, S_IFREG | S_ISGID | S_IXGRP),
        'mknodat chrdev1 S_IFCHR|S_ISGID|S_IXGRP 0:0': errno_of(mknod, fd, CHRDEV1, S_IFCHR | S_ISGID | S_IXGRP, 0),
    }
    for name, path in SGID_MADE:
        out[name] = [ids(fd, path), mode(fd, path)]
    out['unlinkat each'] = [errno_of(os.unlink, FILE1, dir_fd=fd), errno_of(os.rmdir, DIR1, dir_fd=fd),
                            errno_of(os.unlink, FILE2, dir_fd=fd), errno_of(os.unlink, CHRDEV1, dir_fd=fd)]
    return out


def tcore_setgid_create_idmapped(mnt, dir1):
    os.fchmod(dir1, 0o777 | S_ISGID)
    fd = clone_idmapped(dir1, '', get_userns_fd(0, 10000, 10000))

    def child():
        switch_ids(10000, 11000)
        return _setgid_creations(fd)
    return {'t_dir1 mode': mode(mnt, T_DIR1), 'as 10000:11000': in_child(child)}


def tcore_setgid_create_idmapped_in_userns(mnt, dir1):
    os.fchmod(dir1, 0o777 | S_ISGID)
    userns = get_userns_fd(0, 10000, 10000)
    fd = clone_idmapped(dir1, '', userns)

    def as_ns(uid, gid, drop_fsetid):
        def child():
            switch_userns(userns, uid, gid)
            if drop_fsetid:
                caps_down_fsetid()
            return _setgid_creations(fd)
        return in_child(child)
    out = {'root of the namespace, t_dir1 0:0': as_ns(0, 0, False)}
    fchownat(dir1, '', -1, 1000, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)
    out['root without CAP_FSETID, t_dir1 gid 1000'] = as_ns(0, 0, True)
    fchownat(dir1, '', -1, 0, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)
    out['0:1000 without CAP_FSETID, t_dir1 0:0'] = as_ns(0, 1000, True)
    return out


def setgid_create_umask_idmapped(mnt, dir1):
    """setgid_create_umask_idmapped(): as tcore_setgid_create_idmapped()'s non-member, with
    umask(S_IXGRP)."""
    os.fchmod(dir1, 0o777 | S_ISGID)
    fd = clone_idmapped(dir1, '', get_userns_fd(0, 10000, 10000))

    def child():
        switch_ids(10000, 11000)
        os.umask(S_IXGRP)
        out = {
            'openat O_CREAT file1 S_IXGRP|S_ISGID': errno_of(creat, fd, FILE1, S_IXGRP | S_ISGID),
            'mkdirat dir1 0000': errno_of(os.mkdir, DIR1, 0, dir_fd=fd),
            'mknodat file2 S_IFREG|S_ISGID|S_IXGRP': errno_of(mknod, fd, FILE2, S_IFREG | S_ISGID | S_IXGRP),
        }
        for name, path in SGID_MADE[:3]:
            out[name] = [ids(fd, path), mode(fd, path)]
        return out
    return in_child(child)


def _setid_binary(dir1):
    """tcore_setid_binaries_idmapped_mounts()'s binary: DIR1/FILE1 with bytes in it (the C copies
    its own executable), chowned to 5000:5000, mode S_IXGRP|S_IEXEC|S_ISUID|S_ISGID."""
    f = os.open(FILE1, O_CREAT_EXCL | os.O_RDWR, 0o644, dir_fd=dir1)
    try:
        os.write(f, b'\x7fELF')
        os.fchown(f, 5000, 5000)
        os.fchmod(f, S_IXGRP | S_IEXEC | S_ISUID | S_ISGID)
    finally:
        os.close(f)


def setid_binaries(then):
    def case(mnt, dir1):
        os.mkdir(DIR1, 0o777, dir_fd=mnt)
        _setid_binary(dir1)
        userns = get_userns_fd(0, 10000, 10000)
        fd = clone_idmapped(dir1, '', userns)
        move_mount(fd, '', '/' + DIR1, MOVE_MOUNT_F_EMPTY_PATH)
        out = {'on t_dir1': [ids(dir1, FILE1), mode(dir1, FILE1)], 'through it': [ids(fd, FILE1), mode(fd, FILE1)]}
        out.update(then(fd, dir1, userns))
        return out
    return case


def _chown_through(fd, dir1, userns):
    """root of init_user_ns chowns the binary through the idmapped mount to what is 5000 on disk."""
    return {'fchownat 15000:15000 through it': errno_of(fchownat, fd, FILE1, 15000, 15000, 0),
            'then on t_dir1': [ids(dir1, FILE1), mode(dir1, FILE1)]}


def _chown_in_userns(fd, dir1, userns):
    """root of the idmapping's namespace chowns it through the mount (5000 there is 15000 as the
    mount shows it, 5000 on disk) and beside it."""
    def child():
        switch_userns(userns, 0, 0)
        return {'seen through it': ids(fd, FILE1),
                'fchownat 5000:5000 beside it': errno_of(fchownat, dir1, FILE1, 5000, 5000, 0),
                'fchownat 5000:5000 through it': errno_of(fchownat, fd, FILE1, 5000, 5000, 0)}
    out = in_child(child)
    out['then on t_dir1'] = [ids(dir1, FILE1), mode(dir1, FILE1)]
    return out


def _write_through(fd, dir1, userns):
    """A writer that is not the owner (11000:11000, no capabilities) writes to it through the
    mount, after the cell made it 06777: file_remove_privs()."""
    os.chmod(FILE1, 0o6777, dir_fd=dir1)

    def child():
        switch_ids(11000, 11000)
        f = os.open(FILE1, os.O_WRONLY | os.O_CLOEXEC, dir_fd=fd)
        try:
            return {'write': errno_of(os.write, f, b'x')}
        finally:
            os.close(f)
    out = in_child(child)
    out['then on t_dir1'] = mode(dir1, FILE1)
    return out


def tcore_symlink_idmapped_mounts(mnt, dir1):
    creat(dir1, FILE1, 0o644)
    chown_r(mnt, T_DIR1, 0, 0)
    fd = clone_idmapped(dir1, '', get_userns_fd(0, 10000, 10000))

    def child():
        switch_fsids(10000, 10000)
        caps_up()
        return {
            'symlinkat file2 -> file1': errno_of(os.symlink, FILE1, FILE2, dir_fd=fd),
            'fchownat file2 15000:15000 AT_SYMLINK_NOFOLLOW': errno_of(fchownat, fd, FILE2, 15000, 15000, AT_SYMLINK_NOFOLLOW),
            'file2 (nofollow)': ids(fd, FILE2, AT_SYMLINK_NOFOLLOW),
            'file1': ids(fd, FILE1),
            'file2 on t_dir1 (nofollow)': ids(dir1, FILE2, AT_SYMLINK_NOFOLLOW),
        }
    return in_child(child)


def tcore_sticky_bit_unlink_idmapped_mounts(mnt, dir1):
    os.mkdir(DIR1, 0, dir_fd=dir1)
    dfd = os.open(DIR1, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=dir1)
    os.fchown(dfd, 10000, 10000)
    os.fchmod(dfd, 0o777)

    def files():
        for path, owner in ((FILE1, 10000), (FILE2, 12000)):
            mknod(dfd, path, S_IFREG)
            os.chown(path, owner, owner, dir_fd=dfd)
            os.chmod(path, 0o644, dir_fd=dfd)
    files()
    fd = clone_idmapped(dfd, '', get_userns_fd(10000, 0, 10000))

    def as_1000(before=None):
        def child():
            out = before() if before else {}
            switch_ids(1000, 1000)
            out['unlinkat file1'] = errno_of(os.unlink, FILE1, dir_fd=fd)
            out['unlinkat file2'] = errno_of(os.unlink, FILE2, dir_fd=fd)
            return out
        return in_child(child)
    out = {'no sticky bit': as_1000()}
    os.fchmod(dfd, 0o777 | S_ISVTX)
    for path in (FILE1, FILE2):
        if os.path.lexists(f'/{T_DIR1}/{DIR1}/{path}'):
            os.unlink(path, dir_fd=dfd)
    files()
    out['sticky, owned by others'] = as_1000()

    def own():
        os.chown(FILE1, 11000, -1, dir_fd=dfd)
        os.chown(FILE2, 11000, -1, dir_fd=dfd)
        return {'file1 on disk': ids(dfd, FILE1), 'file2 on disk': ids(dfd, FILE2)}
    out['sticky, files it owns'] = as_1000(own)
    os.fchown(dfd, 11000, -1)
    os.fchmod(dfd, 0o777 | S_ISVTX)
    for path in (FILE1, FILE2):
        if os.path.lexists(f'/{T_DIR1}/{DIR1}/{path}'):
            os.unlink(path, dir_fd=dfd)
    files()
    out['sticky, a directory it owns'] = as_1000()
    return out


def tcore_protected_symlinks_idmapped_mounts(mnt, dir1):
    """With this host's fs.protected_symlinks (recorded; the C skips the case when it is 0)."""
    os.mkdir(DIR1, 0, dir_fd=dir1)
    dfd = os.open(DIR1, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=dir1)
    os.fchown(dfd, 10000, 10000)
    os.fchmod(dfd, 0o777 | S_ISVTX)
    mknod(dfd, FILE1, S_IFREG)
    os.chown(FILE1, 10000, 10000, dir_fd=dfd)
    os.chmod(FILE1, 0o644, dir_fd=dfd)
    for link, owner in ((SYMLINK_USER1, 10000), (SYMLINK_USER2, 11000), (SYMLINK_USER3, 12000)):
        os.symlink(FILE1, link, dir_fd=dfd)
        os.chown(link, owner, owner, dir_fd=dfd, follow_symlinks=False)
    fd = clone_idmapped(dir1, '', get_userns_fd(10000, 0, 10000))
    rd = lambda path: os.close(os.open(f'{DIR1}/{path}', os.O_RDONLY | os.O_CLOEXEC, dir_fd=fd))

    def opens():
        return {p: errno_of(rd, p) for p in (FILE1, SYMLINK_USER1, SYMLINK_USER2, SYMLINK_USER3)}

    def as_ids(uid):
        def child():
            switch_ids(uid, uid)
            return opens()
        return in_child(child)
    f = os.open('sys/fs/protected_symlinks', os.O_RDONLY, dir_fd=U.CELL['procfd'])
    try:
        protected = int(os.read(f, 16))
    finally:
        os.close(f)
    return {'fs.protected_symlinks': protected, 'root': opens(), '1000': as_ids(1000), '2000': as_ids(2000)}


def setattr_fix_968219708108(mnt, dir1):
    """USER1/USER2 (xfstests' fsgqa users) as 1000 and 1001."""
    u1, u2 = 1000, 1001
    os.mkdir(DIR1, 0o777, dir_fd=dir1)
    mknod(dir1, f'{DIR1}/{FILE1}', S_IFREG | 0o644)
    chown_r(mnt, T_DIR1, u1, u1)
    mknod(dir1, f'{DIR1}/{FILE2}', S_IFREG | 0o644)
    os.chown(f'{DIR1}/{FILE2}', u2, u2, dir_fd=dir1, follow_symlinks=False)
    m = f'{u1} {u2} 1\n{u2} {u1} 1\n'
    userns = U.userns_fd(m, m)
    fd = open_tree(DIR1, AT_NO_AUTOMOUNT | AT_SYMLINK_NOFOLLOW | OPEN_TREE_CLOEXEC | OPEN_TREE_CLONE | AT_RECURSIVE, dirfd=dir1)
    mount_setattr('', AT_EMPTY_PATH, attr_set=ATTR['idmap'], userns_fd=userns, dirfd=fd)

    def child():
        switch_resids(u2, u2)
        caps_down()
        nf = AT_SYMLINK_NOFOLLOW
        out = {'file1 through it': ids(fd, FILE1, nf), 'file2 through it': ids(fd, FILE2, nf)}
        out['fchownat file1 0:0'] = errno_of(fchownat, fd, FILE1, 0, 0, nf)
        out['fchownat file1 1001:1001'] = errno_of(fchownat, fd, FILE1, u2, u2, nf)
        out['fchownat file1 1000:1000'] = errno_of(fchownat, fd, FILE1, u1, u1, nf)
        out['file1 after'] = ids(fd, FILE1, nf)
        out['fchownat file2 1000:1000'] = errno_of(fchownat, fd, FILE2, u1, u1, nf)
        out['fchownat file2 1001:1001'] = errno_of(fchownat, fd, FILE2, u2, u2, nf)
        out['file2 after'] = ids(fd, FILE2, nf)
        return out
    return in_child(child)


def idmapped_of_idmapped(mnt, dir1):
    """An idmapped mount of an idmapped mount: open_tree(OPEN_TREE_CLONE) of an attached idmapped
    mount keeps its idmapping (copy_tree() -> clone_mnt() copies mnt_idmap); a second
    MOUNT_ATTR_IDMAP is refused (can_idmap_mount(): already idmapped), other attributes are not;
    a recursive MOUNT_ATTR_IDMAP over a tree with an idmapped mount in it is all or nothing."""
    creat(dir1, FILE1, 0o644)
    os.mkdir(DIR1, 0o777, dir_fd=dir1)
    ns1 = get_userns_fd(0, 10000, 10000)
    ns2 = get_userns_fd(0, 20000, 10000)
    fd1 = clone_idmapped(dir1, '', ns1)
    os.mkdir('/a')
    move_mount(fd1, '', '/a', MOVE_MOUNT_F_EMPTY_PATH)
    clone = open_tree('/a', OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)
    out = {'file1 through the attached idmapped mount': ids(fd1, FILE1),
           'file1 through its clone': ids(clone, FILE1),
           'MOUNT_ATTR_IDMAP on the clone': errno_of(mount_setattr, '', AT_EMPTY_PATH, attr_set=ATTR['idmap'], userns_fd=ns2, dirfd=clone),
           'file1 through the clone after': ids(clone, FILE1),
           'MOUNT_ATTR_RDONLY on the clone': errno_of(mount_setattr, '', AT_EMPTY_PATH, attr_set=ATTR['rdonly'], dirfd=clone),
           'mkdirat through the read-only clone': errno_of(os.mkdir, 'x', 0o755, dir_fd=clone)}
    # A tree: T_DIR1 (plain) with the idmapped mount /a's clone attached on its DIR1.
    move_mount(open_tree('/a', OPEN_TREE_CLONE), '', f'/{T_DIR1}/{DIR1}', MOVE_MOUNT_F_EMPTY_PATH)
    tree = open_tree(T_DIR1, OPEN_TREE_CLONE | AT_RECURSIVE, dirfd=mnt)
    out['recursive MOUNT_ATTR_IDMAP over a tree with an idmapped mount'] = errno_of(
        mount_setattr, '', AT_EMPTY_PATH | AT_RECURSIVE, attr_set=ATTR['idmap'], userns_fd=ns2, dirfd=tree)
    out['file1 through the tree root after'] = ids(tree, FILE1)
    out['file1 through the tree child after'] = ids(tree, f'{DIR1}/{FILE1}')
    return out


def tmpfs_nested(test):
    """xfstests src/vfs/tmpfs-idmapped-mounts.c: tmpfs_nested_mount_setup() — the test run by
    root of a user namespace (0 10000 200000) in a mount namespace of its own, on a tmpfs that
    namespace mounted on DIR0 (so the tmpfs belongs to it, s_user_ns), with T_DIR1 made on it by
    test_setup(); the test's own get_userns_fd() namespaces are then nested in that one. DIR0 is
    made 0777 by the cell (the C's namespace root makes it, on a TEST_DIR it may write)."""
    def case(mnt, dir1):
        os.mkdir('/dir0', 0o777)
        os.chmod('/dir0', 0o777)
        userns = get_userns_fd(0, 10000, 200000)

        def child():
            switch_userns(userns, 0, 0)
            R.sys_unshare(R.CLONE_NEWNS)
            U.mount(None, '/', None, R.MS['rec'] | R.MS['private'])
            U.mount('tmpfs', '/dir0', 'tmpfs', 0)
            nmnt = os.open('/dir0', os.O_RDONLY | os.O_DIRECTORY)
            os.mkdir(T_DIR1, 0o777, dir_fd=nmnt)
            os.chmod(T_DIR1, 0o777, dir_fd=nmnt)
            ndir1 = os.open(T_DIR1, os.O_RDONLY | os.O_DIRECTORY, dir_fd=nmnt)
            return {'t_mnt': ids(nmnt, ''), 'the test': test(nmnt, ndir1)}
        return in_child(child)
    return case


def cases():
    return {
        'tcore_fsids_mapped': tcore_fsids_mapped,
        'tcore_fsids_unmapped': tcore_fsids_unmapped,
        'tcore_create_in_userns': tcore_create_in_userns,
        'tcore_device_node_in_userns': tcore_device_node_in_userns,
        'tcore_expected_uid_gid_idmapped_mounts: made by fsuid 0': expected_uid_gid(0),
        'tcore_expected_uid_gid_idmapped_mounts: chowned through t_dir1': expected_uid_gid(1),
        'tcore_expected_uid_gid_idmapped_mounts: root of the first namespace chowns': expected_uid_gid(2),
        'tcore_expected_uid_gid_idmapped_mounts: then the cell sees': expected_uid_gid(3),
        'tcore_expected_uid_gid_idmapped_mounts: root of the second namespace chowns': expected_uid_gid(4),
        'tcore_hardlink_crossing_idmapped_mounts': crossing(hardlink),
        'tcore_hardlink_from_idmapped_mount': from_idmapped(hardlink, HARDLINK1),
        'tcore_hardlink_from_idmapped_mount_in_userns': from_idmapped_in_userns(hardlink, HARDLINK1),
        'tcore_rename_crossing_idmapped_mounts': crossing(rename),
        'tcore_rename_from_idmapped_mount': from_idmapped(rename, FILE1_RENAME),
        'tcore_rename_from_idmapped_mount_in_userns': from_idmapped_in_userns(rename, FILE1_RENAME),
        'tcore_setattr_truncate_idmapped': tcore_setattr_truncate_idmapped,
        'tcore_setgid_create_idmapped': tcore_setgid_create_idmapped,
        'tcore_setgid_create_idmapped_in_userns': tcore_setgid_create_idmapped_in_userns,
        'setgid_create_umask_idmapped': setgid_create_umask_idmapped,
        'tcore_setid_binaries_idmapped_mounts: chown through it': setid_binaries(_chown_through),
        'tcore_setid_binaries_idmapped_mounts_in_userns: chown in the namespace': setid_binaries(_chown_in_userns),
        'tcore_setid_binaries_idmapped_mounts: a write through it': setid_binaries(_write_through),
        'tcore_symlink_idmapped_mounts': tcore_symlink_idmapped_mounts,
        'tcore_sticky_bit_unlink_idmapped_mounts': tcore_sticky_bit_unlink_idmapped_mounts,
        'tcore_protected_symlinks_idmapped_mounts': tcore_protected_symlinks_idmapped_mounts,
        'setattr_fix_968219708108': setattr_fix_968219708108,
        'an idmapped mount of an idmapped mount': idmapped_of_idmapped,
        'tmpfs_fsids_unmapped': tmpfs_nested(tcore_fsids_unmapped),
        'tmpfs_create_in_userns': tmpfs_nested(tcore_create_in_userns),
        'tmpfs_expected_uid_gid_idmapped_mounts: made by fsuid 0': tmpfs_nested(expected_uid_gid(0)),
        'tmpfs_setgid_create_idmapped': tmpfs_nested(tcore_setgid_create_idmapped),
    }


def record(cells):
    def run(fn):
        def go():
            U.CELL['procfd'] = cells.procfd
            mnt, dir1 = world()
            return fn(mnt, dir1)
        return go
    return {'xfstests idmapped-mounts cases': {name: cells.run(run(fn)) for name, fn in cases().items()}}
