"""User namespaces, locked mounts and idmapped mounts: ids, maps, permission, MNT_LOCK_*, open_tree, mount_setattr, move_mount.

Serves test/unit/userns-idmap.test.ts. A task "in a user namespace" is a child of the cell that
unshare(CLONE_NEWUSER)s and waits while the cell (root of init_user_ns) writes its
/proc/PID/{setgroups,uid_map,gid_map}, as newuidmap would; a user-namespace descriptor for
MOUNT_ATTR_IDMAP is /proc/PID/ns/user of such a child, opened before it exits.
"""

import ctypes
import os
import struct

from .harness import AT_FDCWD, AT_EMPTY_PATH, R, check, create, errno_of, libc, proc_write as _proc_write, run_in_userns, sys_mount

MS = R.MS
CLONE_NEWUSER = 0x10000000
NR_OPEN_TREE, NR_MOVE_MOUNT, NR_MOUNT_SETATTR = 428, 429, 442
OPEN_TREE_CLONE, AT_RECURSIVE = 1, 0x8000
MOVE_MOUNT_F_EMPTY_PATH = 4
ATTR = {'rdonly': 0x1, 'nosuid': 0x2, 'nodev': 0x4, 'noexec': 0x8, '_atime': 0x70, 'noatime': 0x10,
        'idmap': 0x100000}
R_OK, W_OK = 4, 2
MAP = '0 100000 65536'
CELL = {}  # what the cell knows: its /proc descriptor


def open_tree(path, flags, dirfd=AT_FDCWD):
    return check(libc.syscall(NR_OPEN_TREE, ctypes.c_int(dirfd), path.encode(), ctypes.c_uint(flags)), 'open_tree')


def mount_setattr(path, flags, attr_set=0, attr_clr=0, propagation=0, userns_fd=0, dirfd=AT_FDCWD):
    attr = struct.pack('QQQQ', attr_set, attr_clr, propagation, userns_fd)
    buf = ctypes.create_string_buffer(attr, len(attr))
    check(libc.syscall(NR_MOUNT_SETATTR, ctypes.c_int(dirfd), path.encode(), ctypes.c_uint(flags), buf,
                       ctypes.c_size_t(len(attr))), 'mount_setattr')


def move_mount(from_fd, from_path, to_path, flags):
    check(libc.syscall(NR_MOVE_MOUNT, ctypes.c_int(from_fd), from_path.encode(), ctypes.c_int(AT_FDCWD),
                       to_path.encode(), ctypes.c_uint(flags)), 'move_mount')


def umount(target, flags=0):
    R.sys_umount2(target, flags)


def mount(source, target, fstype, flags, data=None):
    sys_mount(source, target, fstype, flags, data)



def proc_write(pid, name, text):
    _proc_write(CELL['procfd'], pid, name, text)


def in_userns(fn, uid_map=MAP, gid_map=MAP, setgroups=None, before=None):
    """`fn()`'s JSON result, run by a child in a new user namespace with these maps (harness.run_in_userns)."""
    return run_in_userns(CELL['procfd'], fn, uid_map, gid_map, setgroups, before)


def setres(uid, gid):
    u32 = lambda v: ctypes.c_long(v & 0xffffffff)
    check(libc.syscall(R.SYS_SETRESGID, u32(gid), u32(gid), u32(gid)), 'setresgid')
    check(libc.syscall(R.SYS_SETRESUID, u32(uid), u32(uid), u32(uid)), 'setresuid')


def faccess(path, mode):
    """faccessat2(2) without flags: the real ids, as access(2)."""
    check(libc.syscall(439, ctypes.c_int(AT_FDCWD), path.encode(), ctypes.c_int(mode), ctypes.c_int(0)), 'faccessat2')


def stat_ids(path):
    st = os.lstat(path)
    return [st.st_uid, st.st_gid]


def userns_fd(uid_map=None, gid_map=None):
    """A descriptor of a new user namespace with these maps (/proc/PID/ns/user of a child)."""
    out = {}

    def grab(pid):
        out['fd'] = os.open(f'{pid}/ns/user', os.O_RDONLY, dir_fd=CELL['procfd'])
    in_userns(lambda: None, uid_map, gid_map, before=grab)
    return out['fd']


def mountinfo_line(target):
    fd = os.open('self/mountinfo', os.O_RDONLY, dir_fd=CELL['procfd'])
    try:
        text = R.read_all(fd).decode()
    finally:
        os.close(fd)
    for line in text.splitlines():
        if line.split(' ')[4] == target:
            return line
    raise RuntimeError(f'no mount at {target}')


# --- ids ----------------------------------------------------------------------------------------

def ids_world():
    os.mkdir('/w', 0o777)
    create('/rootfile', 0o644)
    create('/mapped', 0o644)
    os.chown('/mapped', 100005, 100007)


def as_ids(uid, gid, fn):
    """`fn` run after setres(uid, gid)."""
    def go():
        setres(uid, gid)
        return fn()
    return go


def ids_cases():
    def as_ns_root(fn):
        return as_ids(0, 0, fn)
    return {
        'getresuid, no maps': (lambda: list(os.getresuid()), None, None),
        'getresuid, 0 0 1': (lambda: list(os.getresuid()), '0 0 1', '0 0 1'),
        'getresuid, 0 100000 65536': (lambda: list(os.getresuid()), MAP, MAP),
        'getresuid after setresuid(0)': (as_ns_root(lambda: list(os.getresuid())), MAP, MAP),
        'getresgid after setresgid(0)': (as_ns_root(lambda: list(os.getresgid())), MAP, MAP),
        'setresuid to an unmapped uid': (lambda: errno_of(setres, 70000, 0), MAP, MAP),
        'stat of a root file': (lambda: stat_ids('/rootfile'), MAP, MAP),
        'stat of a 100005:100007 file': (lambda: stat_ids('/mapped'), MAP, MAP),
        'stat of a file made by namespace root': (as_ns_root(lambda: (create('/w/n'), stat_ids('/w/n'))[1]), MAP, MAP),
    }


# --- permission ---------------------------------------------------------------------------------

def perm_world():
    create('/f600', 0o600)
    create('/f666', 0o666)
    create('/own', 0o600)
    os.chown('/own', 100000, 100000)
    create('/other', 0o600)
    os.chown('/other', 100001, 100001)
    os.mkdir('/w', 0o777)
    os.mkdir('/sticky', 0o1777)
    create('/sticky/mapped', 0o644)
    os.chown('/sticky/mapped', 100001, 100001)
    create('/sticky/unmapped', 0o644)


def perm_ops():
    rd = lambda p: os.close(os.open(p, os.O_RDONLY))
    return {
        'open O_RDONLY an unmapped 0600 file': lambda: rd('/f600'),
        'open O_RDONLY its own 0600 file': lambda: rd('/own'),
        'open O_RDONLY a mapped 0600 file of another uid': lambda: rd('/other'),
        'chown a mapped file to 2': lambda: os.chown('/other', 2, -1),
        'chown an unmapped file to 0': lambda: os.chown('/f600', 0, -1),
        'chown to an unmapped uid': lambda: os.chown('/other', 70000, -1),
        'chmod an unmapped file': lambda: os.chmod('/f600', 0o644),
        'utimensat now on an unmapped 0666 file': lambda: os.utime('/f666'),
        'mkdir in the unmapped 0755 root directory': lambda: os.mkdir('/d'),
        'mkdir in a 0777 directory': lambda: os.mkdir('/w/d'),
        'unlink a mapped file in a sticky directory': lambda: os.unlink('/sticky/mapped'),
        'unlink an unmapped file in a sticky directory': lambda: os.unlink('/sticky/unmapped'),
        'mount tmpfs without a mount namespace': lambda: mount('none', '/w', 'tmpfs', 0),
        'unshare CLONE_NEWNS': lambda: R.sys_unshare(R.CLONE_NEWNS),
        'open_tree OPEN_TREE_CLONE without a mount namespace': lambda: open_tree('/w', OPEN_TREE_CLONE),
    }


# --- maps ---------------------------------------------------------------------------------------

def self_write(name, text):
    def go():
        return errno_of(proc_write, 'self', name, text)
    return go


def parent_write(text, first=None):
    out = {}

    def before(pid):
        if first is not None:
            proc_write(pid, 'uid_map', first)
        out['answer'] = errno_of(proc_write, pid, 'uid_map', text)
    in_userns(lambda: None, None, None, before=before)
    return out['answer']


def nest():
    """[how many nested user namespaces one task makes, each mapping its creator's ids as 0,
    the errno of the next]."""
    n = 0
    while True:
        try:
            R.sys_unshare(CLONE_NEWUSER)
        except OSError as e:
            return [n, R.errno_name(e.errno)]
        n += 1
        proc_write('self', 'uid_map', '0 0 1')
        proc_write('self', 'setgroups', 'deny')
        proc_write('self', 'gid_map', '0 0 1')


def map_cases():
    many = lambda n: ''.join(f'{i} {i} 1\n' for i in range(n))
    return {
        'root writes 0 100000 65536': lambda: parent_write(MAP),
        'root writes a second time': lambda: parent_write(MAP, first='0 100000 1'),
        'overlapping ids': lambda: parent_write('0 100000 10\n5 200000 10'),
        'overlapping lower ids': lambda: parent_write('0 100000 10\n20 100005 10'),
        'count 0': lambda: parent_write('0 100000 0'),
        'not numbers': lambda: parent_write('a b c'),
        'wraps past 2^32': lambda: parent_write('4294967290 0 10'),
        '340 extents': lambda: parent_write(many(340)),
        '341 extents': lambda: parent_write(many(341)),
        'self: its own euid as 0': lambda: in_userns(self_write('uid_map', '0 0 1'), None, None),
        'self: another uid': lambda: in_userns(self_write('uid_map', '0 1000 1'), None, None),
        'self: its own egid, setgroups allowed': lambda: in_userns(self_write('gid_map', '0 0 1'), None, None),
        'self: its own egid after setgroups deny': lambda: in_userns(self_write('gid_map', '0 0 1'), None, None, setgroups='deny'),
        'self: setgroups deny after the gid_map': lambda: in_userns(self_write('setgroups', 'deny'), None, MAP),
        'setgroups([]) with a gid_map root wrote': lambda: in_userns(lambda: errno_of(os.setgroups, []), MAP, MAP),
        'setgroups([]) after setgroups deny': lambda: in_userns(lambda: errno_of(os.setgroups, []), MAP, MAP, setgroups='deny'),
        'nested user namespaces until refused': nest,
    }


# --- locked mounts ------------------------------------------------------------------------------

def lock_world():
    CELL['mntns'] = os.open('self/ns/mnt', os.O_RDONLY, dir_fd=CELL['procfd'])
    for d in ('/m', '/x', '/y'):
        os.mkdir(d, 0o755)
    mount('none', '/m', 'tmpfs', MS['nosuid'] | MS['nodev'])
    os.mkdir('/m/sub')
    mount('none', '/m/sub', 'tmpfs', MS['rdonly'])


def mkdir_in_own_tmpfs():
    """A tmpfs the namespace mounts belongs to it: a creator its maps cannot name is refused."""
    mount('none', '/x', 'tmpfs', 0)
    os.mkdir('/x/d')


def setns_back():
    """setns(2) into the cell's mount namespace (owned by init_user_ns), the one it unshared
    from, through a descriptor the cell opened (a task of the user namespace may not open it)."""
    check(libc.setns(CELL['mntns'], R.CLONE_NEWNS), 'setns')


def pivot_root(new, old):
    check(libc.syscall(R.SYS_PIVOT_ROOT, new.encode(), old.encode()), 'pivot_root')


def pivot_then_umount():
    setres(0, 0)
    mount('none', '/x', 'tmpfs', 0)
    os.mkdir('/x/old')
    pivot_root('/x', '/x/old')
    os.chdir('/')
    umount('/old', R.MNT['detach'])


def own_overlay():
    """As root of the namespace: an overlay whose layers are directories of a tmpfs it mounted."""
    setres(0, 0)
    mount('none', '/x', 'tmpfs', 0)
    for d in ('/x/l', '/x/u', '/x/w'):
        os.mkdir(d)
    mount('overlay', '/y', 'overlay', 0, 'lowerdir=/x/l,upperdir=/x/u,workdir=/x/w')


def lock_ops():
    rb = MS['remount'] | MS['bind']
    keep = MS['nosuid'] | MS['nodev']

    def rbind_then(target):
        mount('/m', '/y', None, MS['bind'] | MS['rec'])
        umount(target)

    def newnet_sysfs():
        R.sys_unshare(R.CLONE_NEWNET)
        mount('sysfs', '/x', 'sysfs', 0)
    return {
        'umount a locked child': lambda: umount('/m/sub'),
        'umount2 MNT_DETACH a locked child': lambda: umount('/m/sub', R.MNT['detach']),
        'umount a locked mount': lambda: umount('/m'),
        'remount,bind rw a locked read-only mount': lambda: mount(None, '/m/sub', None, rb),
        'remount,bind ro keeping nosuid,nodev': lambda: mount(None, '/m', None, rb | keep | MS['rdonly']),
        'remount,bind dropping nosuid': lambda: mount(None, '/m', None, rb | MS['nodev']),
        'remount,bind noatime': lambda: mount(None, '/m', None, rb | keep | MS['noatime']),
        'remount the superblock': lambda: mount(None, '/m', None, MS['remount'] | keep),
        'move a locked mount': lambda: mount('/m/sub', '/x', None, MS['move']),
        'bind a place with a locked child': lambda: mount('/m', '/x', None, MS['bind']),
        'bind the locked child itself': lambda: mount('/m/sub', '/x', None, MS['bind']),
        'rbind, then umount its root': lambda: rbind_then('/y'),
        'rbind, then umount a child of the copy': lambda: rbind_then('/y/sub'),
        'make-private a locked mount': lambda: mount(None, '/m', None, MS['private']),
        'mount tmpfs, then umount it': lambda: (mount('none', '/x', 'tmpfs', 0), umount('/x')),
        'mount proc': lambda: mount('proc', '/x', 'proc', 0),
        'mount sysfs': lambda: mount('sysfs', '/x', 'sysfs', 0),
        'mount sysfs in a new network namespace': newnet_sysfs,
        'mount devpts': lambda: mount('devpts', '/x', 'devpts', 0, 'newinstance'),
        'mount_setattr clearing nosuid on a locked mount': lambda: mount_setattr('/m', 0, attr_clr=ATTR['nosuid']),
        'mount_setattr rdonly on a locked mount': lambda: mount_setattr('/m', 0, attr_set=ATTR['rdonly']),
        'open_tree clone of a place with a locked child': lambda: open_tree('/m', OPEN_TREE_CLONE),
        'open_tree recursive clone, then move_mount it': lambda: move_mount(open_tree('/m', OPEN_TREE_CLONE | AT_RECURSIVE), '', '/x', MOVE_MOUNT_F_EMPTY_PATH),
        'mkdir in its own tmpfs as a creator it cannot name': mkdir_in_own_tmpfs,
        'overlay of directories of its own tmpfs': own_overlay,
        'pivot_root onto a locked mount': lambda: pivot_root('/m', '/m/sub'),
        'setns back into the mount namespace it copied': setns_back,
        'pivot_root onto a new tmpfs, then umount the old root': pivot_then_umount,
    }


def copy_cases():
    """name -> propagation of /m as a task sees it after unshare(CLONE_NEWNS) in a new user
    namespace: [shared in its copy?, slave in its copy?]."""
    def fields():
        R.sys_unshare(R.CLONE_NEWNS)
        opt = mountinfo_line('/m').split(' - ')[0].split(' ')[6:]
        return [any(o.startswith('shared:') for o in opt), any(o.startswith('master:') for o in opt)]
    return {
        'a shared mount': (MS['shared'], fields),
        'a private mount': (MS['private'], fields),
    }


def sysfs_ops():
    """With a sysfs mounted at /s by the cell (so one is fully visible in the copy)."""
    def newnet_sysfs():
        R.sys_unshare(R.CLONE_NEWNET)
        mount('sysfs', '/x', 'sysfs', 0)
    return {
        'in init_net': lambda: mount('sysfs', '/x', 'sysfs', 0),
        'in a new network namespace': newnet_sysfs,
    }


def sysfs_covered_ops():
    """A sysfs at /s with a tmpfs on one of its directories (locked in the copy): may a new network
    namespace's sysfs be mounted? (mnt_already_visible(): only a permanently empty directory may be
    covered.)"""
    return {
        'a tmpfs on fs/cgroup (sysfs_create_mount_point)': 'fs/cgroup',
        'a tmpfs on kernel/mm (a kobject directory)': 'kernel/mm',
    }


def locked(op):
    def go():
        R.sys_unshare(R.CLONE_NEWNS)
        return errno_of(op)
    return go


# --- idmapped mounts ----------------------------------------------------------------------------

IDMAP = '0 10000 1000'


def idmap_world():
    CELL['userns'] = userns_fd(IDMAP, IDMAP)
    os.mkdir('/src', 0o777)
    os.mkdir('/dst')
    os.mkdir('/b')
    create('/src/f', 0o644)
    create('/src/p', 0o600)
    create('/src/g', 0o644)
    os.chown('/src/g', 5000, 5000)


def mknod(path):
    """mknod(S_IFREG|0644): creation by name (may_create(), inode_init_owner()), as mkdir is."""
    os.mknod(path, 0o100644)


def idmapped(path='/src', flags=OPEN_TREE_CLONE, userns=None, to='/dst'):
    fd = open_tree(path, flags)
    mount_setattr('', AT_EMPTY_PATH, attr_set=ATTR['idmap'], userns_fd=CELL['userns'] if userns is None else userns, dirfd=fd)
    move_mount(fd, '', to, MOVE_MOUNT_F_EMPTY_PATH)
    return fd


def setattr_fd(fd, **kw):
    mount_setattr('', AT_EMPTY_PATH, dirfd=fd, **kw)


def idmap_ops():
    def on_clone(path='/src', flags=OPEN_TREE_CLONE, **kw):
        def go():
            fd = open_tree(path, flags)
            setattr_fd(fd, **kw)
        return go

    def twice():
        fd = open_tree('/src', OPEN_TREE_CLONE)
        setattr_fd(fd, attr_set=ATTR['idmap'], userns_fd=CELL['userns'])
        setattr_fd(fd, attr_set=ATTR['idmap'], userns_fd=CELL['userns'])

    def attached():
        mount('/src', '/b', None, MS['bind'])
        mount_setattr('/b', 0, attr_set=ATTR['idmap'], userns_fd=CELL['userns'])

    def init_ns():
        fd = os.open('self/ns/user', os.O_RDONLY, dir_fd=CELL['procfd'])
        on_clone(attr_set=ATTR['idmap'], userns_fd=fd)()

    def not_ns():
        fd = os.open('/src', os.O_RDONLY)
        on_clone(attr_set=ATTR['idmap'], userns_fd=fd)()

    def devpts():
        mount('devpts', '/b', 'devpts', 0, 'newinstance')
        on_clone('/b', attr_set=ATTR['idmap'], userns_fd=CELL['userns'])()

    def devpts_below():
        os.mkdir('/src/pts')
        mount('devpts', '/src/pts', 'devpts', 0, 'newinstance')
        fd = open_tree('/src', OPEN_TREE_CLONE | AT_RECURSIVE)
        mount_setattr('', AT_EMPTY_PATH | AT_RECURSIVE, attr_set=ATTR['idmap'], userns_fd=CELL['userns'], dirfd=fd)

    def overlay():
        for d in ('/l', '/u', '/wk'):
            os.mkdir(d)
        mount('overlay', '/b', 'overlay', 0, 'lowerdir=/l,upperdir=/u,workdir=/wk')
        on_clone('/b', attr_set=ATTR['idmap'], userns_fd=CELL['userns'])()

    def no_maps():
        on_clone(attr_set=ATTR['idmap'], userns_fd=userns_fd(None, None))()

    def unbindable():
        mount('/src', '/b', None, MS['bind'])
        mount(None, '/b', None, MS['unbindable'])
        open_tree('/b', OPEN_TREE_CLONE)

    def not_root():
        mount('/src', '/b', None, MS['bind'])
        os.mkdir('/b/sub')
        mount_setattr('/b/sub', 0, attr_set=ATTR['rdonly'])

    def nothing_to_do():
        mount_setattr('/src/f', 0)

    def create_in(path, uid=None):
        def go():
            idmapped()
            if uid is not None:
                R.sys_setcred(uid, uid, [], ['dac_override', 'chown', 'fowner'])
            mknod(path)
        return go

    def then(fn):
        def go():
            idmapped()
            fn()
        return go

    def access_as(uid, path, mode):
        def go():
            idmapped()
            R.sys_setcred(uid, uid, [], [])
            faccess(path, mode)
        return go

    def move_twice():
        fd = open_tree('/src', OPEN_TREE_CLONE)
        move_mount(fd, '', '/dst', MOVE_MOUNT_F_EMPTY_PATH)
        move_mount(fd, '', '/b', MOVE_MOUNT_F_EMPTY_PATH)

    def detached_subdir():
        os.mkdir('/src/sub')
        fd = open_tree('/src', OPEN_TREE_CLONE)
        sub = os.open('sub', os.O_PATH | os.O_DIRECTORY, dir_fd=fd)
        move_mount(sub, '', '/dst', MOVE_MOUNT_F_EMPTY_PATH)

    def subdir_clone():
        os.mkdir('/src/sub')
        idmapped('/src/sub')

    def rdonly_over_writer():
        mount('/src', '/b', None, MS['bind'])
        os.mkdir('/b/sub')
        mount('none', '/b/sub', 'tmpfs', 0)
        fd = os.open('/b/sub/w', os.O_CREAT | os.O_WRONLY, 0o644)
        try:
            mount_setattr('/b', AT_RECURSIVE, attr_set=ATTR['rdonly'])
        finally:
            os.close(fd)

    return {
        'open_tree clone, idmap, move_mount': idmapped,
        'open_tree without OPEN_TREE_CLONE': lambda: os.close(open_tree('/src', 0)),
        'open_tree AT_RECURSIVE without OPEN_TREE_CLONE': lambda: open_tree('/src', AT_RECURSIVE),
        'open_tree clone of an unbindable mount': unbindable,
        'idmap an attached mount': attached,
        'idmap twice': twice,
        'idmap with init_user_ns': init_ns,
        'idmap with a descriptor of no namespace': not_ns,
        'idmap with a closed descriptor': on_clone(attr_set=ATTR['idmap'], userns_fd=900),
        'clear MOUNT_ATTR_IDMAP': on_clone(attr_clr=ATTR['idmap'], userns_fd=0),
        'idmap a devpts mount': devpts,
        'idmap an overlay mount': overlay,
        'idmap with a user namespace without maps': no_maps,
        'recursive idmap of a tree with a devpts mount': devpts_below,
        'idmap a clone of an idmapped mount': then(lambda: on_clone('/dst', attr_set=ATTR['idmap'], userns_fd=CELL['userns'])()),
        'mount_setattr an unknown flag': lambda: mount_setattr('/', 0x10000),
        'mount_setattr an atime without MOUNT_ATTR__ATIME cleared': on_clone(attr_set=ATTR['noatime']),
        'mount_setattr two propagation types': on_clone(propagation=MS['shared'] | MS['private']),
        'mount_setattr with nothing to do': nothing_to_do,
        'mount_setattr on a directory that is no mount root': not_root,
        'move_mount with an unknown flag': lambda: move_mount(open_tree('/src', OPEN_TREE_CLONE), '', '/dst', 0x1000),
        'move_mount a detached directory onto a file': lambda: move_mount(open_tree('/src', OPEN_TREE_CLONE), '', '/src/f', MOVE_MOUNT_F_EMPTY_PATH),
        'move_mount a detached tree, then again elsewhere': move_twice,
        'move_mount from a directory of a detached tree that is not its root': detached_subdir,
        'mount_setattr idmap of a subdirectory clone': subdir_clone,
        'mount_setattr rdonly recursively over a writer': rdonly_over_writer,
        'mount_setattr shared on a detached tree': on_clone(propagation=MS['shared']),
        'mknod through it as root (fsuid 0 has no mapping)': create_in('/dst/new'),
        'mknod through it as 10005': create_in('/dst/new', 10005),
        'mkdir through it as root': then(lambda: os.mkdir('/dst/d')),
        'chown through it to 20000': then(lambda: os.chown('/dst/f', 20000, -1)),
        'chown through it to 10003': then(lambda: os.chown('/dst/f', 10003, 10003)),
        'unlink through it a file whose owner it cannot name': then(lambda: os.unlink('/dst/g')),
        'access W_OK through it of a file whose owner it cannot name': then(lambda: faccess('/dst/g', W_OK)),
        'access R_OK of a 0600 root file as 10000 through it': access_as(10000, '/dst/p', R_OK),
        'access R_OK of a 0600 root file as 10000 without it': access_as(10000, '/src/p', R_OK),
    }


def idmap_values():
    def after(fn):
        def go():
            idmapped()
            return fn()
        return go

    def made_as(uid):
        R.sys_setcred(uid, uid, [], ['dac_override'])
        mknod('/dst/new')
        return stat_ids('/dst/new')

    def on_disk():
        os.chown('/dst/f', 10003, 10004)
        return stat_ids('/src/f')

    def made_as_on_disk():
        pid = os.fork()
        if pid == 0:
            R.sys_setcred(10005, 10006, [], ['dac_override'])
            mknod('/dst/new')
            os._exit(0)
        os.waitpid(pid, 0)
        return stat_ids('/src/new')

    def options(target):
        line = mountinfo_line(target)
        return line.split(' ')[5]

    def setattr_options(**kw):
        def go():
            mount('/src', '/b', None, MS['bind'])
            mount_setattr('/b', 0, **kw)
            return options('/b')
        return go

    def shared():
        mount('/src', '/b', None, MS['bind'])
        mount_setattr('/b', 0, propagation=MS['shared'])
        return ' shared:' in mountinfo_line('/b')

    return {
        'stat through it of a root file': after(lambda: stat_ids('/dst/f')),
        'stat through it of a 5000:5000 file': after(lambda: stat_ids('/dst/g')),
        'a file made through it by 10005, seen through it': after(lambda: made_as(10005)),
        'a file made through it by 10005:10006, on the filesystem': after(made_as_on_disk),
        'chown through it to 10003:10004, on the filesystem': after(on_disk),
        'mount options of the idmapped mount': after(lambda: options('/dst')),
        'mount_setattr rdonly|nosuid on a bind mount': setattr_options(attr_set=ATTR['rdonly'] | ATTR['nosuid']),
        'mount_setattr clear _ATIME, set noatime': setattr_options(attr_set=ATTR['noatime'], attr_clr=ATTR['_atime']),
        'mount_setattr propagation shared': shared,
    }


# --- a container: a user namespace over an idmapped mount ---------------------------------------

def container_world():
    """idmap_world() with /src idmapped at /dst by the cell, and more files the cases use."""
    idmap_world()
    os.mkdir('/src/sg')
    os.chmod('/src/sg', 0o2777)
    create('/src/h', 0o644)
    create('/src/h5', 0o644)
    os.chown('/src/h5', 5, 0)
    idmapped()


def own_idmap(path):
    """In a mount namespace of its own, an idmapped clone of `path` (None: a tmpfs it mounts at
    /b) with the caller's own user namespace."""
    R.sys_unshare(R.CLONE_NEWNS)
    if path is None:
        mount('none', '/b', 'tmpfs', 0)
        path = '/b'
    ns = os.open('self/ns/user', os.O_RDONLY, dir_fd=CELL['procfd'])
    fd = open_tree(path, OPEN_TREE_CLONE)
    mount_setattr('', AT_EMPTY_PATH, attr_set=ATTR['idmap'], userns_fd=ns, dirfd=fd)


def container_cases():
    """name -> (what the container does, as root of a user namespace mapped as the idmapping,
    what the cell answers after it, or None)."""
    def mode(path):
        return os.lstat(path).st_mode & 0o7777

    def as_uid5(fn):
        return as_ids(5, 5, fn)
    return {
        'stat of a root file through it': (lambda: stat_ids('/dst/f'), None),
        'stat of a root file beside it': (lambda: stat_ids('/src/f'), None),
        'mknod through it': (lambda: (mknod('/dst/c'), stat_ids('/dst/c'))[1], lambda: stat_ids('/src/c')),
        'mknod beside it': (lambda: errno_of(mknod, '/src/x'), lambda: stat_ids('/src/x')),
        'chown through it to 5:5': (lambda: errno_of(os.chown, '/dst/f', 5, 5), lambda: stat_ids('/src/f')),
        'access R_OK through it of a 0600 root file': (lambda: errno_of(faccess, '/dst/p', R_OK), None),
        'access R_OK beside it of a 0600 root file': (lambda: errno_of(faccess, '/src/p', R_OK), None),
        'rename from it to beside it': (lambda: errno_of(os.rename, '/dst/f', '/src/f2'), None),
        'link from it to beside it': (lambda: errno_of(os.link, '/dst/f', '/src/f2'), None),
        'mknod and mkdir in a setgid directory through it': (
            lambda: (mknod('/dst/sg/f'), os.mkdir('/dst/sg/d'), [stat_ids('/dst/sg/f'), mode('/dst/sg/d')])[2],
            lambda: [stat_ids('/src/sg/f'), stat_ids('/src/sg/d')]),
        'chmod 02755 through it by its owner in its group': (lambda: (os.chmod('/dst/h', 0o2755), mode('/dst/h'))[1], None),
        'chmod 02755 through it by an owner outside its group': (as_uid5(lambda: (os.chmod('/dst/h5', 0o2755), mode('/dst/h5'))[1]), None),
        'idmap a clone of the cell\'s tmpfs with its own namespace': (lambda: errno_of(own_idmap, '/src'), None),
        'idmap a clone of a tmpfs it mounted with its own namespace': (lambda: errno_of(own_idmap, None), None),
    }


def record(cells):
    def with_proc(fn):
        def go():
            CELL['procfd'] = cells.procfd
            return fn()
        return go

    ids = {}
    for name, (fn, um, gm) in ids_cases().items():
        ids[name] = cells.run(with_proc(lambda fn=fn, um=um, gm=gm: (ids_world(), in_userns(fn, um, gm))[1]))

    def perm(op):
        def go():
            perm_world()
            return in_userns(as_ids(0, 0, lambda: errno_of(op)))
        return go
    permission = {name: cells.run(with_proc(perm(op))) for name, op in perm_ops().items()}
    maps = {name: cells.run(with_proc(fn)) for name, fn in map_cases().items()}
    locks = {name: cells.run(with_proc(lambda op=op: (lock_world(), in_userns(locked(op)))[1]))
             for name, op in lock_ops().items()}
    idm = {name: cells.run(with_proc(lambda op=op: (idmap_world(), errno_of(op))[1]))
           for name, op in idmap_ops().items()}
    idv = {name: cells.run(with_proc(lambda fn=fn: (idmap_world(), fn())[1]))
           for name, fn in idmap_values().items()}

    def copy(prop, fn):
        def go():
            lock_world()
            mount(None, '/m', None, prop)
            return in_userns(fn)
        return go
    copies = {name: cells.run(with_proc(copy(prop, fn))) for name, (prop, fn) in copy_cases().items()}

    def sysfs_world():
        lock_world()
        os.mkdir('/s')
        mount('sysfs', '/s', 'sysfs', 0)
    sysfs = {name: cells.run(with_proc(lambda op=op: (sysfs_world(), in_userns(locked(op)))[1]))
             for name, op in sysfs_ops().items()}

    def covered_world(sub):
        sysfs_world()
        mount('none', '/s/' + sub, 'tmpfs', 0)
    covered = {name: cells.run(with_proc(lambda sub=sub: (covered_world(sub), in_userns(locked(sysfs_ops()['in a new network namespace'])))[1]))
               for name, sub in sysfs_covered_ops().items()}

    def container(fn, after):
        def go():
            container_world()
            inner = in_userns(as_ids(0, 0, fn), IDMAP, IDMAP)
            return inner if after is None else [inner, after()]
        return go
    cont = {name: cells.run(with_proc(container(fn, after))) for name, (fn, after) in container_cases().items()}
    return {
        'ids in a user namespace': ids,
        'permission as root of a user namespace': permission,
        'uid_map, gid_map and setgroups writes': maps,
        'locked mounts': locks,
        'propagation of a copy into a less privileged namespace': copies,
        'sysfs in a user namespace, one visible': sysfs,
        'sysfs in a user namespace, the visible one covered': covered,
        'idmapped mounts and the mount API': idm,
        'through an idmapped mount': idv,
        'a user namespace over an idmapped mount': cont,
    }
