"""Mounts shaping syscalls: EROFS, busy remounts and umounts, statfs, `..`, EBUSY, EXDEV, ENOSPC.

Serves test/unit/syscalls-mounts.test.ts; the mounts each case makes are that test's.
"""

import os
import signal

from .harness import (AT_FDCWD, R, access, errno_of, names, setcred, statfs, sys_mount,
                      sys_renameat2, utimensat)

MS = R.MS
MNT_DETACH = R.MNT['detach']
S_IFIFO, S_IFCHR = 0o010000, 0o020000
R_OK, W_OK, X_OK = 4, 2, 1
RD, WR, RW = os.O_RDONLY, os.O_WRONLY, os.O_RDWR
NOCAPS = (0, 0, None, [])


def mount(source, target, fstype, flags, data=None):
    sys_mount(source, target, fstype, flags, data)


def umount(target, flags=0):
    R.sys_umount2(target, flags)


def create(path, flags=os.O_CREAT | WR, mode=0o644):
    os.close(os.open(path, flags, mode))


def read_only(how):
    """A tmpfs at /ro holding d/, e/, f (with user.a), fifo, null (1:3) and l -> f, then made
    read-only (a superblock remount, a bind remount, or a read-only bind of it); cwd /ro."""
    def world():
        os.mkdir('/ro')
        mount('none', '/ro', 'tmpfs', 0)
        os.mkdir('/ro/d')
        os.mkdir('/ro/e')
        create('/ro/f')
        os.setxattr('/ro/f', 'user.a', b'1')
        os.mknod('/ro/fifo', S_IFIFO | 0o666)
        os.mknod('/ro/null', S_IFCHR | 0o666, os.makedev(1, 3))
        os.symlink('f', '/ro/l')
        if how == 'remount':
            mount(None, '/ro', None, MS['remount'] | MS['rdonly'])
        elif how == 'bind-remount':
            mount(None, '/ro', None, MS['remount'] | MS['bind'] | MS['rdonly'])
        else:
            os.mkdir('/rw')
            mount('/ro', '/rw', None, MS['bind'])
            umount('/ro')
            mount('/rw', '/ro', None, MS['bind'])
            mount(None, '/ro', None, MS['remount'] | MS['bind'] | MS['rdonly'])
        os.chdir('/ro')
    return world


WRITE_PATHS = {
    'open O_RDONLY': lambda: create('f', RD),
    'open O_WRONLY': lambda: create('f', WR),
    'open O_RDWR': lambda: create('f', RW),
    'open O_RDONLY|O_TRUNC': lambda: create('f', RD | os.O_TRUNC),
    'open O_CREAT of a new name': lambda: create('new', os.O_CREAT | RD),
    'open O_CREAT of an existing file, read-only': lambda: create('f', os.O_CREAT | RD),
    'open O_CREAT|O_EXCL of an existing file': lambda: create('f', os.O_CREAT | os.O_EXCL | RD),
    'open a FIFO O_RDWR': lambda: create('fifo', RW),
    'open a device O_WRONLY|O_TRUNC': lambda: create('null', WR | os.O_TRUNC),
    'open a directory O_RDONLY|O_TRUNC': lambda: create('d', RD | os.O_TRUNC),
    'mkdir': lambda: os.mkdir('nd'),
    'mkdir of an existing name': lambda: os.mkdir('d'),
    'mknod a FIFO': lambda: os.mknod('nf', S_IFIFO | 0o644),
    'symlink': lambda: os.symlink('x', 'ns'),
    'link': lambda: os.link('f', 'nl'),
    'unlink': lambda: os.unlink('f'),
    'unlink of a missing name': lambda: os.unlink('missing'),
    'rmdir': lambda: os.rmdir('e'),
    'rmdir of a missing name': lambda: os.rmdir('missing'),
    'rename': lambda: sys_renameat2('f', 'g', 0),
    'rename of a missing name': lambda: sys_renameat2('missing', 'g', 0),
    'chmod': lambda: os.chmod('f', 0o600),
    'chmod of a FIFO': lambda: os.chmod('fifo', 0o600),
    'chown': lambda: os.chown('f', 1, 1),
    'lchown of a link': lambda: os.lchown('l', 1, 1),
    'truncate': lambda: os.truncate('f', 0),
    'utimensat': lambda: utimensat(AT_FDCWD, 'f', None),
    'setxattr': lambda: os.setxattr('f', 'user.b', b'1'),
    'removexattr': lambda: os.removexattr('f', 'user.a'),
    'getxattr': lambda: os.getxattr('f', 'user.a'),
    'access W_OK of a file': lambda: access('f', W_OK),
    'access W_OK of a directory': lambda: access('d', W_OK),
    'access W_OK of a FIFO': lambda: access('fifo', W_OK),
    'access W_OK of a device': lambda: access('null', W_OK),
    'access R_OK': lambda: access('f', R_OK),
    'access W_OK of a missing name': lambda: access('missing', W_OK),
}


def ro_bind_of_rw():
    os.mkdir('/a')
    os.mkdir('/b')
    mount('/a', '/b', None, MS['bind'])
    mount(None, '/b', None, MS['remount'] | MS['bind'] | MS['rdonly'])
    return {'create /a/f': errno_of(create, '/a/f'), 'open /b/f O_WRONLY': errno_of(create, '/b/f', WR),
            'one inode': os.stat('/b/f').st_ino == os.stat('/a/f').st_ino}


def with_writer(flags, path='/m/f'):
    """A tmpfs at /m with f and fifo; `path` opened with `flags`; returns the descriptor."""
    def world():
        os.mkdir('/m')
        mount('none', '/m', 'tmpfs', 0)
        create('/m/f')
        os.mknod('/m/fifo', S_IFIFO | 0o666)
        return os.open(path, flags)
    return world


REMOUNT_RO = MS['remount'] | MS['rdonly']
BIND_RO = MS['remount'] | MS['bind'] | MS['rdonly']

# name -> (open flags, path, remount flags)
BUSY_REMOUNT = {
    'O_WRONLY, superblock remount': (WR, '/m/f', REMOUNT_RO),
    'O_RDWR, superblock remount': (RW, '/m/f', REMOUNT_RO),
    'O_WRONLY, bind remount': (WR, '/m/f', BIND_RO),
    'O_RDONLY': (RD, '/m/f', REMOUNT_RO),
    'a FIFO open O_RDWR': (RW, '/m/fifo', REMOUNT_RO),
}


def writer_closed():
    os.close(with_writer(WR)())
    return [errno_of(mount, None, '/m', None, REMOUNT_RO), errno_of(create, '/m/f', WR),
            errno_of(mount, None, '/m', None, MS['remount']), errno_of(create, '/m/f', WR)]


def writer_through_bind():
    with_writer(RD)()
    os.mkdir('/b')
    mount('/m', '/b', None, MS['bind'])
    os.open('/b/f', WR)
    return [errno_of(mount, None, '/m', None, REMOUNT_RO), errno_of(mount, None, '/m', None, BIND_RO)]


def mounted():
    os.mkdir('/m')
    mount('none', '/m', 'tmpfs', 0)
    os.mkdir('/m/sub')
    create('/m/f')


def cwd_of_another_task():
    """A child process sits in /m until told to go; the caller's umount runs meanwhile."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.chdir('/m')
        os.write(w, b'x')
        signal.pause()
        os._exit(0)
    os.read(r, 1)
    PINNED.append(pid)


PINNED = []

# name -> (pin, umount flags)
BUSY_UMOUNT = {
    'idle': (lambda: None, 0),
    'an open file': (lambda: os.open('/m/f', RD), 0),
    'an open directory': (lambda: os.open('/m', os.O_DIRECTORY), 0),
    'the cwd inside': (lambda: os.chdir('/m/sub'), 0),
    'the cwd of another task': (cwd_of_another_task, 0),
    'a child mount': (lambda: mount('none', '/m/sub', 'tmpfs', 0), 0),
    'an open file, MNT_DETACH': (lambda: os.open('/m/f', RD), MNT_DETACH),
    'a child mount, MNT_DETACH': (lambda: mount('none', '/m/sub', 'tmpfs', 0), MNT_DETACH),
    'the cwd inside, MNT_DETACH': (lambda: os.chdir('/m/sub'), MNT_DETACH),
}


def busy_umount(pin, flags):
    def case():
        mounted()
        pin()
        try:
            return errno_of(umount, '/m', flags)
        finally:
            for pid in PINNED:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
    return case


def closed_file():
    mounted()
    os.close(os.open('/m/f', RD))
    return [errno_of(umount, '/m'), errno_of(os.stat, '/m/f')]


def detached_descriptor():
    mounted()
    fd = os.open('/m/f', RW)
    umount('/m', MNT_DETACH)
    return {'write': os.write(fd, b'still'), 'fstat size': os.fstat(fd).st_size, 'stat /m/f': errno_of(os.stat, '/m/f')}


UMOUNT_ERRORS = {
    'umount of a directory that is no mount point': lambda: umount('/m/sub'),
    'umount with an unknown flag': lambda: umount('/m', 0x100),
    'umount of a missing path': lambda: umount('/missing'),
    'umount by a task without CAP_SYS_ADMIN': lambda: (setcred(*NOCAPS), umount('/m')),
}


def lazily_unmounted_tree():
    os.mkdir('/m')
    mount('none', '/m', 'tmpfs', 0)
    os.mkdir('/m/sub')
    os.mkdir('/m/other')
    mount('none', '/m/sub', 'tmpfs', 0)
    create('/m/sub/deep')
    os.chdir('/m')
    umount('/m', MNT_DETACH)
    out = {'sub': names('sub'), 'mount on other': errno_of(mount, 'none', 'other', 'tmpfs', 0),
           'bind on other': errno_of(mount, '/', 'other', None, MS['bind'])}
    create('still-writable')
    out['.'] = names('.')
    return out


PROPAGATION = {
    'private': MS['private'],
    'private|rec|silent': MS['private'] | MS['rec'] | MS['silent'],
    'shared|nosuid': MS['shared'] | MS['nosuid'],
    'private|noexec': MS['private'] | MS['noexec'],
    'private|nodev': MS['private'] | MS['nodev'],
    'private|rdonly': MS['private'] | MS['rdonly'],
    'shared|private': MS['shared'] | MS['private'],
    'private|move': MS['private'] | MS['move'],
    'remount|private|nosuid (remount wins)': MS['remount'] | MS['private'] | MS['nosuid'],
}


def propagation(flags):
    def case():
        os.mkdir('/t')
        mount('t', '/t', 'tmpfs', 0)
        return errno_of(mount, None, '/t', None, flags)
    return case


# name -> (mount flags, data) of a tmpfs at /m
STATFS_FLAGS = {
    'defaults': (0, None),
    'nosuid': (MS['nosuid'], None),
    'nodev': (MS['nodev'], None),
    'noexec': (MS['noexec'], None),
    'ro,nosuid,nodev,noexec': (MS['rdonly'] | MS['nosuid'] | MS['nodev'] | MS['noexec'], None),
    'ro from the data string': (0, 'ro'),
}


def statfs_flags(flags, data):
    def case():
        os.mkdir('/m')
        mount('none', '/m', 'tmpfs', flags, data)
        return [statfs('/m')['flags'], statfs(os.open('/m', os.O_DIRECTORY))['flags']]
    return case


def bind_flags():
    os.mkdir('/a')
    os.mkdir('/b')
    mount('/a', '/b', None, MS['bind'])
    mount(None, '/b', None, MS['remount'] | MS['bind'] | MS['rdonly'] | MS['noexec'])
    return {'/b': statfs('/b')['flags'], '/a': statfs('/a')['flags']}


def tmpfs_figures():
    os.mkdir('/m')
    mount('none', '/m', 'tmpfs', 0, 'size=64k')
    before = {k: statfs('/m')[k] for k in ('type', 'namelen', 'bsize', 'blocks', 'bfree', 'bavail')}
    fd = os.open('/m/f', os.O_CREAT | WR)
    os.write(fd, bytes(5000))
    return {'size=64k': before, 'after writing 5000 bytes': {k: statfs('/m')[k] for k in ('blocks', 'bfree')}}


def statfs_error(path):
    def case():
        create('/f')
        return errno_of(statfs, path)
    return case


def same(a, b):
    sa, sb = os.stat(a), os.stat(b)
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)


def dotdot_at_mount_root():
    os.mkdir('/a')
    os.mkdir('/a/m')
    mount('none', '/a/m', 'tmpfs', 0)
    os.mkdir('/a/m/x')
    out = {'/a/m is another device': os.stat('/a/m').st_dev != os.stat('/a').st_dev,
           '/a/m/.. is /a': same('/a/m/..', '/a'), '/a/m/x/../.. is /a': same('/a/m/x/../..', '/a')}
    os.chdir('/a/m/x')
    os.chdir('../..')
    out['cwd after chdir /a/m/x, ../..'] = os.getcwd()
    return out


def dotdot_at_process_root():
    os.mkdir('/c')
    mount('none', '/c', 'tmpfs', 0)
    os.mkdir('/c/in')
    os.chroot('/c')
    os.chdir('/')
    return {'/.. is /': same('/..', '/'), '/in/../../.. is /': same('/in/../../..', '/')}


def dotdot_to_top_mount():
    os.mkdir('/a')
    os.mkdir('/a/m')
    mount('none', '/a/m', 'tmpfs', 0)
    os.mkdir('/a/m/x')
    mount('none', '/a/m/x', 'tmpfs', 0)
    return same('/a/m/x/..', '/a/m')


def with_mounts():
    os.mkdir('/mp')
    mount('none', '/mp', 'tmpfs', 0)
    os.mkdir('/other')
    create('/bf')
    create('/bt')
    mount('/bf', '/bt', None, MS['bind'])


MOUNT_POINTS = {
    'rmdir of a mount point': lambda: os.rmdir('/mp'),
    'rename of a mount point': lambda: sys_renameat2('/mp', '/mp2', 0),
    'rename onto a mount point': lambda: sys_renameat2('/other', '/mp', 0),
    'unlink of a directory mount point': lambda: os.unlink('/mp'),
    'unlink of a file bind-mount target': lambda: os.unlink('/bt'),
    'rename onto a file bind-mount target': lambda: sys_renameat2('/bf', '/bt', 0),
    'unlink of a bind source': lambda: os.unlink('/bf'),
    'rmdir of the mount root from inside': lambda: os.rmdir('/mp/.'),
    'rmdir of a mount point once unmounted': lambda: (umount('/mp'), os.rmdir('/mp')),
}


def mount_point_elsewhere():
    """A child in its own namespace mounts on /mp; rmdir /mp here."""
    os.mkdir('/mp')
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        R.sys_unshare(R.CLONE_NEWNS)
        mount('none', '/mp', 'tmpfs', 0)
        os.write(w, b'x')
        signal.pause()
        os._exit(0)
    os.read(r, 1)
    try:
        return errno_of(os.rmdir, '/mp')
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


def two_mounts():
    os.mkdir('/a')
    os.mkdir('/a/m')
    mount('none', '/a/m', 'tmpfs', 0)
    create('/a/m/f')
    os.mkdir('/a/m/dir')
    os.mkdir('/b1')
    os.mkdir('/b2')
    mount('/a/m', '/b1', None, MS['bind'])
    mount('/a/m', '/b2', None, MS['bind'])


EXDEV = {
    'link from a mount to its parent': lambda: os.link('/a/m/f', '/a/g'),
    'rename from a mount to its parent': lambda: sys_renameat2('/a/m/f', '/a/g', 0),
    'rename of a directory across mounts': lambda: sys_renameat2('/a/m/dir', '/a/dir', 0),
    'link between two binds of one tmpfs': lambda: os.link('/b1/f', '/b2/g'),
    'rename between two binds of one tmpfs': lambda: sys_renameat2('/b1/f', '/b2/g', 0),
    'link between the original and a bind': lambda: os.link('/a/m/f', '/b1/g'),
    'link within one bind': lambda: os.link('/b1/f', '/b1/g'),
    'rename within one bind': lambda: sys_renameat2('/b1/f', '/b1/dir/g', 0),
    'RENAME_EXCHANGE across binds': lambda: sys_renameat2('/b1/f', '/b2/dir', 2),
    'EXDEV comes before ENOENT': lambda: sys_renameat2('/b1/missing', '/b2/g', 0),
}


def recursive_bind():
    two_mounts()
    os.mkdir('/r')
    mount('/a', '/r', None, MS['bind'] | MS['rec'])
    return {'/r/m/f is /a/m/f': same('/r/m/f', '/a/m/f'), 'link /r/m/f /r/g': errno_of(os.link, '/r/m/f', '/r/g')}


def size_limited(data):
    os.mkdir('/s')
    mount('none', '/s', 'tmpfs', 0, data)


def enospc_short_write():
    size_limited('size=8k')
    fd = os.open('/s/f', os.O_CREAT | WR)
    return {'write 12288': os.write(fd, b'x' * 12288), 'write 1': errno_of(os.write, fd, b'y'),
            'fstat size': os.fstat(fd).st_size, 'bfree': statfs('/s')['bfree']}


def enospc_truncate_frees():
    size_limited('size=8k')
    fd = os.open('/s/f', os.O_CREAT | RW)
    os.write(fd, bytes(8192))
    os.ftruncate(fd, 0)
    return os.pwrite(fd, bytes(4096), 0)


def enospc_allocated_page():
    size_limited('size=4k')
    fd = os.open('/s/f', os.O_CREAT | RW)
    return {'write 10': os.write(fd, bytes(10)), 'pwrite 100 at 50': os.pwrite(fd, bytes(100), 50),
            'pwrite 1 at 4096': errno_of(os.pwrite, fd, bytes(1), 4096)}


def enospc_inodes():
    size_limited('nr_inodes=3')
    os.mkdir('/s/a')
    os.mkdir('/s/b')
    return {'mkdir c': errno_of(os.mkdir, '/s/c'), 'open c O_CREAT': errno_of(create, '/s/c')}


def nodev_noexec():
    os.mkdir('/n')
    mount('none', '/n', 'tmpfs', MS['nodev'] | MS['noexec'])
    os.mknod('/n/null', S_IFCHR | 0o666, os.makedev(1, 3))
    os.mknod('/n/fifo', S_IFIFO | 0o666)
    create('/n/x', mode=0o755)
    os.mkdir('/n/d')


NODEV_NOEXEC = {
    'open of a device on nodev': lambda: create('/n/null', RW),
    'open of a FIFO on nodev': lambda: create('/n/fifo', RW),
    'mknod of a device on nodev': lambda: os.mknod('/n/c2', S_IFCHR | 0o666, os.makedev(1, 3)),
    'access X_OK of an executable file on noexec': lambda: access('/n/x', X_OK),
    'access X_OK of a directory on noexec': lambda: access('/n/d', X_OK),
    'a walk through a directory on noexec': lambda: os.stat('/n/d/.'),
}


def ro_bind_as_user():
    os.mkdir('/a')
    create('/a/f')
    os.mkdir('/b')
    mount('/a', '/b', None, MS['bind'])
    mount(None, '/b', None, BIND_RO)
    setcred(1000, 1000, [], [])


CHECK_ORDER = {
    'O_WRONLY without write permission: may_open comes first': lambda: create('/b/f', WR),
    'O_RDONLY|O_TRUNC without write permission: mnt_want_write comes first': lambda: create('/b/f', RD | os.O_TRUNC),
    'access W_OK without write permission': lambda: access('/b/f', W_OK),
}


def record(cells):
    out = {f'a read-only mount ({how})': cells.table(read_only(how), WRITE_PATHS)
           for how in ('remount', 'bind-remount', 'mount-ro')}
    out['a read-only bind of a writable directory'] = cells.each({'/b a read-only bind of /a': ro_bind_of_rw})
    out['remount read-only with a writer open'] = {
        k: cells.errno(with_writer(fl, path), lambda m=m: mount(None, '/m', None, m)) for k, (fl, path, m) in BUSY_REMOUNT.items()}
    out['remount results'] = cells.each({
        'remount ro, open O_WRONLY, remount rw, open O_WRONLY after the writer closed': writer_closed,
        'superblock remount ro, then bind remount ro, with a writer through another bind': writer_through_bind,
    })
    out['umount2 of a busy mount'] = cells.each({k: busy_umount(*v) for k, v in BUSY_UMOUNT.items()})
    out['umount results'] = cells.each({
        'umount after the file is closed, then stat /m/f': closed_file,
        'a descriptor after MNT_DETACH': detached_descriptor,
        'a lazily unmounted tree seen from a cwd inside': lazily_unmounted_tree,
    })
    out['umount2 errors'] = cells.table(mounted, UMOUNT_ERRORS)
    out['propagation flags'] = cells.each({k: propagation(v) for k, v in PROPAGATION.items()})
    out['statfs f_flags of a tmpfs mounted with'] = cells.each({k: statfs_flags(*v) for k, v in STATFS_FLAGS.items()})
    out['statfs results'] = cells.each({'a read-only noexec bind /b of /a': bind_flags, 'tmpfs figures': tmpfs_figures})
    out['statfs errors'] = cells.each({p: statfs_error(p) for p in ('/missing', '/f/')})
    out['`..` across mounts'] = cells.each({
        'at a mount root': dotdot_at_mount_root,
        'at the process root, a mount root': dotdot_at_process_root,
        '/a/m/x/.. with mounts on /a/m and /a/m/x is the top /a/m': dotdot_to_top_mount,
    })
    out['mount points'] = cells.table(with_mounts, MOUNT_POINTS)
    out['mount point results'] = cells.each({'rmdir of a directory that is a mount point in another namespace': mount_point_elsewhere})
    out['EXDEV'] = cells.table(two_mounts, EXDEV)
    out['EXDEV results'] = cells.each({'a recursive bind of /a at /r': recursive_bind})
    out['ENOSPC on a size-limited tmpfs'] = cells.each({
        'size=8k: a write of 12288 bytes, then 1': enospc_short_write,
        'size=8k: 8192 bytes truncated to 0, then pwrite 4096': enospc_truncate_frees,
        'size=4k: writes into the allocated page, then past it': enospc_allocated_page,
        'nr_inodes=3: mkdir a, b, then c': enospc_inodes,
    })
    out['nodev and noexec'] = cells.table(nodev_noexec, NODEV_NOEXEC)
    out['EACCES or EROFS on a read-only bind as uid 1000'] = cells.table(ro_bind_as_user, CHECK_ORDER)
    return out
