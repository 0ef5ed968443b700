"""Names: trailing slashes, the 40-link budget, NAME_MAX/PATH_MAX, mknod, links, renames, cwd, chroot.

Serves test/unit/syscalls-names.test.ts; world() and chain() are that test's.
"""

import os

from .harness import (AT_EMPTY_PATH, AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_FOLLOW, create, errno_of,
                      getcwd, link, linkat, readlinkat, setcred, sys_renameat2, unlinkat)

S_IFIFO, S_IFCHR, S_IFDIR, S_IFBLK, S_IFREG, S_IFLNK, S_IFSOCK = (
    0o010000, 0o020000, 0o040000, 0o060000, 0o100000, 0o120000, 0o140000)
RENAME_NOREPLACE, RENAME_EXCHANGE = 1, 2
RD, WR = os.O_RDONLY, os.O_WRONLY


def world():
    """/ with d/ (holding sub/x), e/ (empty), f ("abc"), lf -> f, ld -> d, ldang -> nope."""
    os.mkdir('/d', 0o755)
    os.mkdir('/d/sub', 0o755)
    create('/d/sub/x')
    os.mkdir('/e', 0o755)
    create('/f', 0o644, b'abc')
    os.symlink('f', '/lf')
    os.symlink('d', '/ld')
    os.symlink('nope', '/ldang')


def chain():
    """world() and l0 -> f, l1 -> l0, ..., l44 -> l43; la <-> lb; self -> self."""
    world()
    os.symlink('f', '/l0')
    for i in range(1, 45):
        os.symlink(f'l{i - 1}', f'/l{i}')
    os.symlink('lb', '/la')
    os.symlink('la', '/lb')
    os.symlink('self', '/self')


def opened(path, flags, mode=0o644):
    os.close(os.open(path, flags, mode))


def rename(old, new, flags=0):
    sys_renameat2(old, new, flags)


TRAILING = {
    'mkdir new/': lambda: os.mkdir('/nd/'),
    'mkdir f (exists)': lambda: os.mkdir('/f'),
    'mkdir over a dangling link': lambda: os.mkdir('/ldang'),
    'mkdir .': lambda: os.mkdir('/d/.'),
    'mkdir /': lambda: os.mkdir('/'),
    'mknod new/': lambda: os.mknod('/nn/', S_IFIFO | 0o644),
    'symlink to new/': lambda: os.symlink('x', '/ns/'),
    'link to new/': lambda: link('/f', '/nl/'),
    'unlink f/': lambda: os.unlink('/f/'),
    'unlink d/': lambda: os.unlink('/e/'),
    'unlink missing/': lambda: os.unlink('/missing/'),
    'unlink a directory': lambda: os.unlink('/e'),
    'unlink lf (the link)': lambda: os.unlink('/lf'),
    'rmdir f': lambda: os.rmdir('/f'),
    'rmdir f/': lambda: os.rmdir('/f/'),
    'rmdir e/': lambda: os.rmdir('/e/'),
    'rmdir a link to a directory': lambda: os.rmdir('/ld'),
    'rmdir a link to a directory with slash': lambda: os.rmdir('/ld/'),
    'rmdir .': lambda: os.rmdir('/e/.'),
    'rmdir ..': lambda: os.rmdir('/d/sub/..'),
    'rmdir /': lambda: os.rmdir('/'),
    'rmdir a non-empty directory': lambda: os.rmdir('/d'),
    'rmdir missing': lambda: os.rmdir('/missing'),
    'rename f to new/': lambda: rename('/f', '/n/'),
    'rename f/ to x': lambda: rename('/f/', '/x'),
    'rename e to new/': lambda: rename('/e', '/n/'),
    'rename e/ to new/': lambda: rename('/e/', '/n/'),
    'rename a link to a dir to new/': lambda: rename('/ld', '/n/'),
    'readlink of ld/ (follows)': lambda: os.readlink('/ld/'),
    'stat of ld/ (follows)': lambda: os.stat('/ld/'),
    'lstat of lf/': lambda: os.lstat('/lf/'),
    'lstat of ldang/': lambda: os.lstat('/ldang/'),
    'open of f/.': lambda: opened('/f/.', RD),
    'chdir to f/': lambda: os.chdir('/f/'),
}

ELOOP = {
    'stat l39 (40 links)': lambda: os.stat('/l39'),
    'stat l40 (41 links)': lambda: os.stat('/l40'),
    'lstat l44': lambda: os.lstat('/l44'),
    'open l39': lambda: opened('/l39', RD),
    'open l40': lambda: opened('/l40', RD),
    'a two-link loop': lambda: os.stat('/la'),
    'a self loop': lambda: os.stat('/self'),
    'lstat of a loop': lambda: os.lstat('/la'),
    'open O_CREAT through a loop': lambda: opened('/la', os.O_CREAT | WR),
    'open O_NOFOLLOW of a loop': lambda: opened('/la', os.O_NOFOLLOW),
    'open O_NOFOLLOW|O_PATH of a loop': lambda: opened('/la', os.O_NOFOLLOW | os.O_PATH),
    'a loop in the middle of a path': lambda: os.stat('/la/x'),
    'readlink of a loop': lambda: os.readlink('/la'),
}


def shared_budget(last):
    """/m19 -> ... -> /m0 -> /t (20 links) and /t/k`last` -> ... -> /t/k0 -> /f; stat
    /m19/k`last`."""
    def case():
        os.mkdir('/t')
        os.symlink('t', '/m0')
        for i in range(1, 20):
            os.symlink(f'm{i - 1}', f'/m{i}')
        os.symlink('/f', '/t/k0')
        for i in range(1, 21):
            os.symlink(f'k{i - 1}', f'/t/k{i}')
        return errno_of(os.stat, f'/m19/k{last}')
    return case


def creat_budget(dir_links, file_links):
    """/d1 -> ... -> /d`dir_links` -> real, then /real/f1 -> ... -> f`file_links` -> new (missing):
    open("/d1/f1", O_CREAT) follows all of them; [its errno, whether /real/new exists after]."""
    def case():
        os.mkdir('/real')
        for i in range(1, dir_links + 1):
            os.symlink(f'd{i + 1}' if i < dir_links else 'real', f'/d{i}')
        for j in range(1, file_links + 1):
            os.symlink(f'f{j + 1}' if j < file_links else 'new', f'/real/f{j}')
        return [errno_of(opened, '/d1/f1', os.O_CREAT | WR), errno_of(os.stat, '/real/new')]
    return case


LIMITS = {
    'mkdir of a 255-byte name': lambda: os.mkdir('/' + 'a' * 255),
    'mkdir of a 256-byte name': lambda: os.mkdir('/' + 'a' * 256),
    'a 256-byte name counts UTF-8 bytes (128 two-byte chars)': lambda: os.mkdir('/' + '\u00e9' * 128),
    '127 two-byte chars fit': lambda: os.mkdir('/' + '\u00e9' * 127),
    'stat of a 256-byte name': lambda: os.stat('/' + 'b' * 256),
    'a missing directory comes before a long name': lambda: os.stat('/missing/' + 'b' * 256),
    'open O_CREAT of a 256-byte name': lambda: opened('/' + 'c' * 256, os.O_CREAT | WR),
    'a path of 4095 bytes': lambda: os.stat('./' * 2047 + 'f'),
    'a path of 4096 bytes': lambda: os.stat('./' * 2047 + 'ff'),
    'symlink with a 4095-byte target': lambda: os.symlink('a' * 4095, '/s'),
    'symlink with a 4096-byte target': lambda: os.symlink('a' * 4096, '/s'),
    'symlink with an empty target': lambda: os.symlink('', '/s'),
}

# name -> (mode, (major, minor))
MKNOD = {
    'a FIFO': (S_IFIFO | 0o644, (0, 0)),
    'a char device': (S_IFCHR | 0o600, (4, 5)),
    'a block device': (S_IFBLK | 0o600, (8, 1)),
    'a regular file (S_IFREG)': (S_IFREG | 0o640, (0, 0)),
    'a regular file (type 0)': (0o640, (0, 0)),
    'a socket': (S_IFSOCK | 0o755, (0, 0)),
    'a directory': (S_IFDIR | 0o755, (0, 0)),
    'a bad type': (0o150000 | 0o644, (0, 0)),
}


def mknod_case(mode, dev):
    """[errno of mknod /n, then its st_mode and st_rdev (null when it failed)]."""
    def case():
        err = errno_of(os.mknod, '/n', mode, os.makedev(*dev))
        if err != 'OK':
            return [err, None, None]
        st = os.stat('/n')
        return [err, st.st_mode, st.st_rdev]
    return case


def socket_node():
    os.mknod('/sock', S_IFSOCK | 0o666)
    return {
        'O_RDONLY': errno_of(opened, '/sock', RD),
        'O_WRONLY|O_CREAT': errno_of(opened, '/sock', WR | os.O_CREAT),
        'O_PATH': errno_of(opened, '/sock', os.O_PATH),
    }


def dirfd(path, flags=os.O_DIRECTORY):
    return os.open(path, flags)


MAKE = {
    'mknod over an existing name': lambda: os.mknod('/f', S_IFIFO | 0o644),
    'mknod in a missing directory': lambda: os.mknod('/missing/n', S_IFIFO | 0o644),
    'mknod under a file': lambda: os.mknod('/f/n', S_IFIFO | 0o644),
    'mkdir in a missing directory': lambda: os.mkdir('/missing/n'),
    'mkdir under a file': lambda: os.mkdir('/f/n'),
    'mkdir through a link to a directory': lambda: os.mkdir('/ld/n'),
    'mkdirat relative to a file descriptor': lambda: os.mkdir('n', dir_fd=dirfd('/f', RD)),
    'mkdirat relative to a directory descriptor': lambda: os.mkdir('n', dir_fd=dirfd('/d')),
    'mknodat relative to a directory descriptor': lambda: os.mknod('n', S_IFIFO | 0o600, dir_fd=dirfd('/d')),
}


def umask_022():
    os.umask(0o022)
    os.mkdir('/m', 0o777)
    os.mknod('/n', S_IFIFO | 0o666)
    os.symlink('x', '/s')
    return {'mkdir 0777': os.stat('/m').st_mode, 'mknod 0666': os.stat('/n').st_mode,
            'symlink': os.lstat('/s').st_mode, 'the old mask': os.umask(0)}


def mkdir_7777():
    os.mkdir('/t', 0o7777)
    return os.stat('/t').st_mode


def subdir_nlink():
    out = [os.stat('/e').st_nlink]
    os.mkdir('/e/s')
    out.append(os.stat('/e').st_nlink)
    os.rmdir('/e/s')
    return out + [os.stat('/e').st_nlink]


def stat_size(path):
    return os.stat(path).st_size


SYMLINKS = {
    'readlink returns the target verbatim': lambda: os.readlink('/lf'),
    'readlink of a dangling link': lambda: os.readlink('/ldang'),
    'readlink of a file': lambda: errno_of(os.readlink, '/f'),
    'readlink of a missing name': lambda: errno_of(os.readlink, '/missing'),
    'readlinkat with AT_FDCWD': lambda: readlinkat(AT_FDCWD, '/ld'),
    'readlinkat of "" on an O_PATH|O_NOFOLLOW link descriptor': lambda: readlinkat(dirfd('/lf', os.O_PATH | os.O_NOFOLLOW), ''),
    'readlinkat relative to a directory descriptor': lambda: readlinkat(dirfd('/'), 'ld'),
    'symlink over an existing name': lambda: errno_of(os.symlink, 'x', '/f'),
    'symlink over a dangling link': lambda: errno_of(os.symlink, 'x', '/ldang'),
    'symlinkat relative to a directory descriptor': lambda: errno_of(lambda: os.symlink('../f', 'l', dir_fd=dirfd('/d'))),
    'an absolute target is resolved from the task root': lambda: (os.symlink('/f', '/d/abs'), stat_size('/d/abs'))[1],
    'a relative target is resolved from the link directory': lambda: (os.symlink('../f', '/d/rel'), stat_size('/d/rel'))[1],
}

LINKS = {
    'a hard link to a directory': lambda: link('/e', '/el'),
    'a hard link over an existing name': lambda: link('/f', '/lf'),
    'a hard link from a missing name': lambda: link('/missing', '/x'),
    'a hard link into a missing directory': lambda: link('/f', '/missing/x'),
    'link does not follow the source link': lambda: link('/ldang', '/x'),
    'linkat AT_SYMLINK_FOLLOW of a dangling link': lambda: linkat(AT_FDCWD, '/ldang', AT_FDCWD, '/x', AT_SYMLINK_FOLLOW),
    'linkat AT_SYMLINK_FOLLOW to a directory': lambda: linkat(AT_FDCWD, '/ld', AT_FDCWD, '/x', AT_SYMLINK_FOLLOW),
    'linkat with an unknown flag': lambda: linkat(AT_FDCWD, '/f', AT_FDCWD, '/x', 0x1),
    'linkat AT_EMPTY_PATH of an open file': lambda: linkat(dirfd('/f', RD), '', AT_FDCWD, '/x', AT_EMPTY_PATH),
}


def link_a_symlink():
    link('/lf', '/hl')
    linkat(AT_FDCWD, '/lf', AT_FDCWD, '/hf', AT_SYMLINK_FOLLOW)
    return {'the new name is a symlink': os.lstat('/hl').st_mode,
            'the same inode as the link': os.lstat('/hl').st_ino == os.lstat('/lf').st_ino,
            'AT_SYMLINK_FOLLOW links the target': os.lstat('/hf').st_ino == os.stat('/f').st_ino,
            'the target nlink': os.stat('/f').st_nlink}


def link_back_unlinked():
    fd = os.open('/f', RD)
    os.unlink('/f')
    return errno_of(linkat, fd, '', AT_FDCWD, '/back', AT_EMPTY_PATH)


UNLINKS = {
    'unlinkat AT_REMOVEDIR of an empty directory': lambda: unlinkat(AT_FDCWD, '/e', AT_REMOVEDIR),
    'unlinkat AT_REMOVEDIR of a file': lambda: unlinkat(AT_FDCWD, '/f', AT_REMOVEDIR),
    'unlinkat of a directory': lambda: unlinkat(AT_FDCWD, '/e', 0),
    'unlinkat with an unknown flag': lambda: unlinkat(AT_FDCWD, '/f', 0x1),
    'unlinkat relative to a directory descriptor': lambda: unlinkat(dirfd('/d/sub'), 'x'),
    'unlink of a missing name': lambda: os.unlink('/missing'),
    'unlink of `.`': lambda: os.unlink('/d/.'),
    'unlink of `/`': lambda: os.unlink('/'),
}

# name -> (from, to, renameat2 flags)
RENAMES = {
    'file over file': ('/f', '/g', 0),
    'a missing source': ('/missing', '/g', 0),
    'into a missing directory': ('/f', '/missing/g', 0),
    '`.`': ('/d/.', '/x', 0),
    'onto `.`': ('/f', '/d/.', 0),
    'onto `.` with RENAME_NOREPLACE': ('/f', '/d/.', RENAME_NOREPLACE),
    '`/`': ('/', '/x', 0),
    'a directory into its own subdirectory': ('/d', '/d/sub/z', 0),
    'a directory onto its ancestor': ('/d/sub', '/d', 0),
    'a directory onto a non-empty directory': ('/e', '/d', 0),
    'a directory onto an empty directory': ('/d', '/e', 0),
    'a directory onto a file': ('/e', '/f', 0),
    'a file onto a directory': ('/f', '/e', 0),
    'RENAME_NOREPLACE onto an existing name': ('/f', '/lf', RENAME_NOREPLACE),
    'RENAME_NOREPLACE onto a dangling link': ('/f', '/ldang', RENAME_NOREPLACE),
    'RENAME_NOREPLACE to a new name': ('/f', '/g', RENAME_NOREPLACE),
    'RENAME_EXCHANGE with a missing target': ('/f', '/missing', RENAME_EXCHANGE),
    'RENAME_EXCHANGE of a file and a directory': ('/f', '/d', RENAME_EXCHANGE),
    'RENAME_EXCHANGE of a directory and its descendant': ('/d', '/d/sub', RENAME_EXCHANGE),
    'RENAME_NOREPLACE|RENAME_EXCHANGE': ('/f', '/lf', RENAME_NOREPLACE | RENAME_EXCHANGE),
    'an unknown flag': ('/f', '/lf', 8),
}


def exchange_counts():
    rename('/f', '/d/sub', RENAME_EXCHANGE)
    return {'/f/x': os.stat('/f/x').st_mode, '/d nlink': os.stat('/d').st_nlink, '/ nlink': os.stat('/').st_nlink}


def rename_hard_links():
    link('/f', '/f2')
    rename('/f', '/f2')
    return {'/f': errno_of(os.lstat, '/f'), '/f2': errno_of(os.lstat, '/f2'), 'nlink': os.stat('/f').st_nlink}


def rename_replaces():
    rename('/f', '/lf')
    mode = os.lstat('/lf').st_mode
    rename('/d', '/e/d2')
    return {'/lf': mode, '/e/d2/sub/x size': os.stat('/e/d2/sub/x').st_size, '/e nlink': os.stat('/e').st_nlink}


def cwd_walk():
    out = []
    os.chdir('/d/sub')
    out.append(getcwd())
    os.chdir('../..')
    out.append(getcwd())
    os.chdir('ld')
    out.append(getcwd())
    os.fchdir(dirfd('/e'))
    return out + [getcwd()]


def removed_cwd():
    os.chdir('/e')
    os.rmdir('/e')
    return {'getcwd': errno_of(getcwd), 'mkdir x': errno_of(os.mkdir, 'x'), 'open .': errno_of(opened, '.', RD)}


CWD_ERRORS = {
    'chdir to a missing name': lambda: os.chdir('/missing'),
    'chdir to a file': lambda: os.chdir('/f'),
    'fchdir of a bad descriptor': lambda: os.fchdir(77),
    'chroot to a file': lambda: os.chroot('/f'),
    'chroot to a missing name': lambda: os.chroot('/missing'),
    'chroot by a task without CAP_SYS_CHROOT': lambda: (setcred(0, 0, None, []), os.chroot('/d')),
}


def after_chroot():
    os.chroot('/d')
    os.chdir('/')
    return {'getcwd': getcwd(), '/f': errno_of(os.stat, '/f'), '/sub/x size': os.stat('/sub/x').st_size,
            '/.. is /sub/..': os.stat('/..').st_ino == os.stat('/sub/..').st_ino,
            '/sub/../.. is /': os.stat('/sub/../..').st_ino == os.stat('/').st_ino}


def cwd_outside_root():
    os.chdir('/e')
    os.chroot('/d')
    return {'getcwd': getcwd(), '../f size': os.stat('../f').st_size}


def absolute_link_in_chroot():
    os.symlink('/sub/x', '/d/abs')
    os.chroot('/d')
    return os.stat('/abs').st_size


def record(cells):
    return {
        'trailing slashes': cells.table(world, TRAILING),
        'ELOOP': cells.table(chain, ELOOP),
        'links in the middle and at the end share one budget': cells.values(world, {
            '20 + 20 links': shared_budget(19), '20 + 21 links': shared_budget(20)}),
        'O_CREAT through 30 directory links then a dangling chain': cells.values(world, {
            f'30 then {m}': creat_budget(30, m) for m in (10, 11)}),
        'NAME_MAX and PATH_MAX': cells.table(world, LIMITS),
        'mknod': cells.values(world, {k: mknod_case(*v) for k, v in MKNOD.items()}),
        'a socket node opens only as O_PATH': cells.values(world, {'table': socket_node})['table'],
        'mkdir and mknod': cells.table(world, MAKE),
        'mode bits': cells.values(world, {
            'umask 022': umask_022,
            'mkdir 07777': mkdir_7777,
            'nlink of /e, after mkdir /e/s, after rmdir': subdir_nlink,
        }),
        'symlink, readlink': cells.values(world, SYMLINKS),
        'link and linkat': cells.table(world, LINKS),
        'links to symlinks and unlinked files': cells.values(world, {
            'link of a symlink': link_a_symlink,
            'linkat AT_EMPTY_PATH of an unlinked open file': link_back_unlinked,
        }),
        'unlink, unlinkat, rmdir': cells.table(world, UNLINKS),
        'rename': cells.table(world, {k: (lambda v=v: rename(*v)) for k, v in RENAMES.items()}),
        'rename results': cells.values(world, {
            'RENAME_EXCHANGE of /f and /d/sub': exchange_counts,
            'rename between two hard links': rename_hard_links,
            'rename /f onto /lf, then /d to /e/d2': rename_replaces,
        }),
        'cwd and chroot': cells.values(world, {
            'getcwd after chdir /d/sub, ../.., ld, fchdir /e': cwd_walk,
            'in a removed cwd': removed_cwd,
            'after chroot /d': after_chroot,
            'a cwd left outside the new root': cwd_outside_root,
            'an absolute symlink after chroot': absolute_link_in_chroot,
            'O_CREAT|O_EXCL of a link to an existing file': lambda: errno_of(opened, '/lf', os.O_CREAT | os.O_EXCL | WR),
        }),
        'cwd and chroot errors': cells.table(world, CWD_ERRORS),
    }
