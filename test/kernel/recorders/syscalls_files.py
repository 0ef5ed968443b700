"""open flags, descriptor ops, lseek SEEK_DATA/SEEK_HOLE, stat, getdents order, truncate, utimensat.

Serves test/unit/syscalls-files.test.ts; world() is that test's.
"""

import os

from .harness import (AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW, UTIME_OMIT, check, create,
                      dirents, errno_of, fstatat, libc, utimensat, value_or_errno)

O = {
    'O_RDONLY': os.O_RDONLY, 'O_WRONLY': os.O_WRONLY, 'O_RDWR': os.O_RDWR, 'O_CREAT': os.O_CREAT,
    'O_EXCL': os.O_EXCL, 'O_TRUNC': os.O_TRUNC, 'O_APPEND': os.O_APPEND, 'O_DIRECTORY': os.O_DIRECTORY,
    'O_NOFOLLOW': os.O_NOFOLLOW, 'O_PATH': os.O_PATH,
}


def flags(names):
    bits = 0
    for n in names.split('|'):
        bits |= O[n]
    return bits


def world():
    """/ with d/, e/, f ("hello"), lf -> f, ld -> d, ldang -> nope, fifo and null (char 1:3)."""
    os.mkdir('/d', 0o755)
    os.mkdir('/e', 0o755)
    create('/f', 0o644, b'hello')
    os.symlink('f', '/lf')
    os.symlink('d', '/ld')
    os.symlink('nope', '/ldang')
    os.mknod('/fifo', 0o010000 | 0o666)
    os.mknod('/null', 0o020000 | 0o666, os.makedev(1, 3))


# `path flags` -> open(path, flags, 0644)
OPEN = [
    '/f O_RDONLY', '/f O_WRONLY', '/f O_RDWR', '/f/ O_RDONLY', '/f/ O_RDONLY|O_CREAT',
    '/new/ O_RDONLY|O_CREAT', '/f/x O_RDONLY', '/missing O_RDONLY', '/missing/x O_WRONLY|O_CREAT',
    '/d O_RDONLY', '/d O_RDONLY|O_TRUNC', '/d O_WRONLY', '/d O_RDWR', '/d O_RDONLY|O_CREAT',
    '/d O_DIRECTORY', '/ O_RDONLY|O_CREAT', '/d/. O_WRONLY|O_CREAT', '/f O_DIRECTORY',
    '/f O_CREAT|O_DIRECTORY', '/f O_CREAT|O_EXCL|O_WRONLY', '/lf O_RDONLY', '/lf O_NOFOLLOW',
    '/lf O_NOFOLLOW|O_PATH', '/lf/ O_RDONLY', '/ld/ O_DIRECTORY', '/ld O_NOFOLLOW|O_DIRECTORY',
    '/lf O_NOFOLLOW|O_DIRECTORY', '/ldang O_RDONLY', '/ldang O_CREAT|O_EXCL|O_WRONLY',
    '/ld/ O_RDONLY|O_CREAT', '/fifo O_RDWR', '/null O_WRONLY|O_TRUNC',
]

SEEK_DATA, SEEK_HOLE = 3, 4

# name -> (path, open flags, op on (fd))
FD_OPS = {
    'read of O_WRONLY': ('/f', 'O_WRONLY', lambda fd: os.read(fd, 1)),
    'write of O_RDONLY': ('/f', 'O_RDONLY', lambda fd: os.write(fd, b'x')),
    'read of a directory': ('/d', 'O_RDONLY', lambda fd: os.read(fd, 1)),
    'pread of a directory': ('/d', 'O_RDONLY', lambda fd: os.pread(fd, 1, 0)),
    'pread at -1': ('/f', 'O_RDONLY', lambda fd: os.pread(fd, 1, -1)),
    'pwrite at -1': ('/f', 'O_WRONLY', lambda fd: os.pwrite(fd, b'x', -1)),
    'pread of a FIFO': ('/fifo', 'O_RDWR', lambda fd: os.pread(fd, 1, 0)),
    'lseek of a FIFO': ('/fifo', 'O_RDWR', lambda fd: os.lseek(fd, 0, os.SEEK_SET)),
    'lseek to -1': ('/f', 'O_RDONLY', lambda fd: os.lseek(fd, -1, os.SEEK_SET)),
    'lseek SEEK_CUR below 0': ('/f', 'O_RDONLY', lambda fd: os.lseek(fd, -1, os.SEEK_CUR)),
    'lseek whence 9': ('/f', 'O_RDONLY', lambda fd: os.lseek(fd, 0, 9)),
    'lseek of a directory': ('/d', 'O_RDONLY', lambda fd: os.lseek(fd, 0, os.SEEK_SET)),
    'lseek SEEK_END of a directory': ('/d', 'O_RDONLY', lambda fd: os.lseek(fd, 0, os.SEEK_END)),
    'lseek SEEK_DATA of a directory': ('/d', 'O_RDONLY', lambda fd: os.lseek(fd, 0, SEEK_DATA)),
    'lseek SEEK_DATA at the end': ('/f', 'O_RDONLY', lambda fd: os.lseek(fd, 5, SEEK_DATA)),
    'lseek SEEK_HOLE at the end': ('/f', 'O_RDONLY', lambda fd: os.lseek(fd, 5, SEEK_HOLE)),
    'lseek SEEK_HOLE at -1': ('/f', 'O_RDONLY', lambda fd: os.lseek(fd, -1, SEEK_HOLE)),
    'read of O_PATH': ('/f', 'O_PATH', lambda fd: os.read(fd, 1)),
    'write of O_PATH': ('/f', 'O_PATH|O_WRONLY', lambda fd: os.write(fd, b'x')),
    'lseek of O_PATH': ('/f', 'O_PATH', lambda fd: os.lseek(fd, 0, os.SEEK_SET)),
    'fstat of O_PATH': ('/f', 'O_PATH', lambda fd: os.fstat(fd)),
    'fchmod of O_PATH': ('/f', 'O_PATH', lambda fd: os.fchmod(fd, 0o600)),
    'fchown of O_PATH': ('/f', 'O_PATH', lambda fd: os.fchown(fd, 0, 0)),
    'ftruncate of O_PATH': ('/f', 'O_PATH', lambda fd: os.ftruncate(fd, 0)),
    'fgetxattr of O_PATH': ('/f', 'O_PATH', lambda fd: os.getxattr(fd, 'user.x')),
    'dup of O_PATH': ('/f', 'O_PATH', lambda fd: check(libc.dup(fd), 'dup')),
    'fchdir to O_PATH directory': ('/d', 'O_PATH', lambda fd: os.fchdir(fd)),
    'fchdir to a file': ('/f', 'O_RDONLY', lambda fd: os.fchdir(fd)),
    'ftruncate of O_RDONLY': ('/f', 'O_RDONLY', lambda fd: os.ftruncate(fd, 0)),
    'ftruncate of a FIFO': ('/fifo', 'O_RDWR', lambda fd: os.ftruncate(fd, 0)),
    'ftruncate to -1': ('/f', 'O_WRONLY', lambda fd: os.ftruncate(fd, -1)),
    'getdents of a file': ('/f', 'O_RDONLY', dirents),
}


PAGE = 4096
# SEEK_DATA/SEEK_HOLE on a sparse file: data at page 0, page 3 and page 5 (zeros written);
# each write is [offset, length, byte]
SPARSE = {'writes': [[0, 1, ord('a')], [3 * PAGE + 5, 1, ord('b')], [5 * PAGE, 10, 0]], 'size': 7 * PAGE + 100}
SEEK_FROM = [0, 4095, 4096, 8000, 12294, 16384, 20481, 24576, 28771, 28772]


def seek_table():
    fd = os.open('/sparse', os.O_CREAT | os.O_RDWR, 0o644)
    for off, length, byte in SPARSE['writes']:
        os.pwrite(fd, bytes([byte]) * length, off)
    os.ftruncate(fd, SPARSE['size'])
    return {str(at): [value_or_errno(os.lseek, fd, at, SEEK_DATA), value_or_errno(os.lseek, fd, at, SEEK_HOLE)]
            for at in SEEK_FROM}


STAT = {
    'stat of a symlink follows it': lambda: os.stat('/lf').st_mode,
    'lstat of a symlink does not': lambda: os.lstat('/lf').st_mode,
    'lstat of a symlink: size is the target length': lambda: os.lstat('/lf').st_size,
    'lstat with a trailing slash follows a link to a directory': lambda: os.lstat('/ld/').st_mode,
    'a fresh directory has nlink 2': lambda: os.stat('/d').st_nlink,
    'a FIFO': lambda: os.stat('/fifo').st_mode,
    'a char device keeps its rdev': lambda: os.stat('/null').st_rdev,
    'fstatat AT_SYMLINK_NOFOLLOW': lambda: fstatat(AT_FDCWD, '/lf', AT_SYMLINK_NOFOLLOW)[0],
    'fstatat AT_EMPTY_PATH on a descriptor': lambda: fstatat(os.open('/f', os.O_RDONLY), '', AT_EMPTY_PATH)[1],
    'fstatat relative to a directory descriptor': lambda: fstatat(os.open('/', os.O_DIRECTORY), 'f')[1],
    'file size': lambda: os.stat('/f').st_size,
    'stat of a name with a trailing slash on a file': lambda: errno_of(os.stat, '/f/'),
    'lstat of a file link with a trailing slash': lambda: errno_of(os.lstat, '/lf/'),
    'stat of a dangling link': lambda: errno_of(os.stat, '/ldang'),
    'lstat of a dangling link': lambda: errno_of(os.lstat, '/ldang'),
    'stat of ""': lambda: errno_of(os.stat, ''),
    'fstatat "" without AT_EMPTY_PATH': lambda: errno_of(fstatat, AT_FDCWD, ''),
    'fstatat with an unknown flag': lambda: errno_of(fstatat, AT_FDCWD, '/f', 0x80000),
    'fstat of a bad descriptor': lambda: errno_of(os.fstat, 42),
}

DT = {4: 'dir', 8: 'file', 10: 'symlink'}


def getdents_order():
    """/d opened, then mkdir b, create a, symlink c: what getdents gives through the descriptor
    (name and type in the kernel's order), then a second time, then after lseek(0)."""
    fd = os.open('/d', os.O_RDONLY | os.O_DIRECTORY)
    os.mkdir('/d/b')
    create('/d/a')
    os.symlink('x', '/d/c')
    first = [[n, DT[t]] for n, t in dirents(fd)]
    again = dirents(fd)
    os.lseek(fd, 0, os.SEEK_SET)
    return {'first': first, 'again': again, 'after rewind': len(dirents(fd))}


def removed_dir():
    fd = os.open('/e', os.O_RDONLY | os.O_DIRECTORY)
    os.rmdir('/e')
    return errno_of(dirents, fd)


def creat_dangling():
    os.close(os.open('/ldang', os.O_WRONLY | os.O_CREAT, 0o600))
    return {'/nope': os.lstat('/nope').st_mode, '/ldang': os.lstat('/ldang').st_mode}


def creat_existing():
    os.close(os.open('/f', os.O_RDWR | os.O_CREAT, 0o600))
    return {'size': os.stat('/f').st_size, 'mode': os.stat('/f').st_mode}


def rdonly_trunc():
    os.close(os.open('/f', os.O_RDONLY | os.O_TRUNC))
    return os.stat('/f').st_size


def creat_umask():
    os.umask(0o027)
    os.close(os.open('/m', os.O_WRONLY | os.O_CREAT, 0o666))
    return os.stat('/m').st_mode


def openat():
    create('/d/inner')
    dfd = os.open('/d', os.O_DIRECTORY)
    ffd = os.open('/f', os.O_RDONLY)
    at = lambda fd, path: errno_of(lambda: os.close(os.open(path, os.O_RDONLY, dir_fd=fd)))  # noqa: E731
    return {'inner from /d': at(dfd, 'inner'), '/f from /d': at(dfd, '/f'), 'f from /d': at(dfd, 'f'),
            'x from a file': at(ffd, 'x'), 'x from descriptor 99': at(99, 'x'), '/f from descriptor 99': at(99, '/f')}


def closed_descriptors():
    fd = os.open('/f', os.O_RDONLY)
    os.close(fd)
    return {'close of a closed one': errno_of(os.close, fd), 'close 99': errno_of(os.close, 99),
            'close -1': errno_of(os.close, -1), 'dup 99': errno_of(lambda: check(libc.dup(99), 'dup')),
            'read of a closed one': errno_of(os.read, fd, 1)}


def beyond_the_end():
    fd = os.open('/f', os.O_RDONLY)
    return {'SEEK_END +2': os.lseek(fd, 2, os.SEEK_END), 'SEEK_CUR -3': os.lseek(fd, -3, os.SEEK_CUR),
            'read 8': len(os.read(fd, 8))}


def empty_write():
    fd = os.open('/f', os.O_WRONLY)
    os.lseek(fd, 100, os.SEEK_SET)
    return {'write of 0 bytes at 100': os.write(fd, b''), 'size': os.stat('/f').st_size}


def unlinked_open_file():
    fd = os.open('/f', os.O_RDONLY)
    os.unlink('/f')
    return {'nlink': os.fstat(fd).st_nlink, 'read': os.read(fd, 5).decode()}


TRUNCATE = ['/f 2', '/f -1', '/d 0', '/fifo 0', '/missing 0', '/f/ 0', '/lf 1']

# name -> (path, (atime nsec, mtime nsec) with sec 1, or None for "now", flags)
UTIMENSAT = {
    'nsec out of range': ('/f', (1_000_000_000, 0), 0),
    'negative nsec': ('/f', (-1, 0), 0),
    'unknown flag': ('/f', None, 0x4),
    'missing path': ('/missing', None, 0),
    'both UTIME_OMIT on a missing path': ('/missing', (UTIME_OMIT, UTIME_OMIT), 0),
}


def record(cells):
    def open_case(key):
        path, names = key.split(' ')
        return lambda: os.open(path, flags(names), 0o644)

    def fd_case(path, names, op):
        return lambda: op(os.open(path, flags(names)))

    def utimens_case(path, nsecs, fl):
        times = None if nsecs is None else ((1, nsecs[0]), (1, nsecs[1]))
        return lambda: utimensat(AT_FDCWD, path, times, fl)

    def truncate_case(key):
        path, length = key.split(' ')
        return lambda: os.truncate(path, int(length))

    return {
        'open': cells.table(world, {k: open_case(k) for k in OPEN}),
        'open results': cells.values(world, {
            'O_CREAT through a dangling symlink': creat_dangling,
            'O_CREAT of an existing file, mode 0600': creat_existing,
            'O_RDONLY|O_TRUNC: the size after': rdonly_trunc,
            'O_CREAT 0666 under umask 027': creat_umask,
            'openat': openat,
        }),
        'descriptor results': cells.values(world, {
            'closed and never-opened descriptors': closed_descriptors,
            'lseek beyond the end of /f (5 bytes)': beyond_the_end,
            'an empty write past the end': empty_write,
            'an unlinked file read through an open descriptor': unlinked_open_file,
        }),
        'descriptor ops': cells.table(world, {k: fd_case(*v) for k, v in FD_OPS.items()}),
        'sparse file': dict(SPARSE),
        'SEEK_DATA and SEEK_HOLE': cells.values(world, {'table': seek_table})['table'],
        'stat': cells.values(world, STAT),
        'getdents': cells.values(world, {
            'through a descriptor opened before mkdir b, create a, symlink c': getdents_order,
            'of a removed directory': removed_dir,
        }),
        'truncate': cells.table(world, {k: truncate_case(k) for k in TRUNCATE}),
        'utimensat': cells.table(world, {k: utimens_case(*v) for k, v in UTIMENSAT.items()}),
    }
