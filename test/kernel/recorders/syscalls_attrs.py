"""Attributes: chmod, chown, setuid/setgid rules, umask, sticky directories, access, tmpfs xattrs.

Serves test/unit/syscalls-attrs.test.ts; the files each case makes are that test's.
"""

import os

from .harness import (AT_EACCESS, AT_FDCWD, AT_SYMLINK_NOFOLLOW, access, errno_of, faccessat,
                      fchmodat, fchownat, setcred, utimensat)

R_OK, W_OK, X_OK, F_OK = 4, 2, 1, 0
S_IFIFO = 0o010000
XATTR_CREATE, XATTR_REPLACE = 1, 2

# identities as setcred takes them: (uid, gid, groups, caps); ROOT: the recorder itself
USER = (1000, 1000, [2000], [])
OTHER = (1001, 1001, [], [])
ROOT = None


def cap(*names):
    return (1000, 1000, [], list(names))


ROOT_NOCAPS = (0, 0, [], [])


def become(creds):
    if creds is None:
        os.setgroups([])
    else:
        setcred(*creds)


def mk(path, mode, uid=0, gid=0):
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o644))
    os.chown(path, uid, gid)
    os.chmod(path, mode)


def perm(path):
    return os.lstat(path).st_mode & 0o7777


def as_creds(creds, op):
    become(creds)
    return op()


def chmod_world():
    mk('/mine', 0o644, 1000, 1000)
    mk('/theirs', 0o666, 0, 0)
    os.symlink('mine', '/link')


CHMOD = {
    'owner chmods own file': lambda: as_creds(USER, lambda: os.chmod('/mine', 0o600)),
    'non-owner chmod': lambda: as_creds(USER, lambda: os.chmod('/theirs', 0o600)),
    'non-owner chmod with CAP_FOWNER': lambda: as_creds(cap('fowner'), lambda: os.chmod('/theirs', 0o600)),
    'non-owner chmod with CAP_DAC_OVERRIDE': lambda: as_creds(cap('dac_override'), lambda: os.chmod('/theirs', 0o600)),
    'chmod of a missing name': lambda: os.chmod('/missing', 0o600),
    'fchmod of a bad descriptor': lambda: os.fchmod(55, 0o600),
    'fchmod of a read-only descriptor': lambda: os.fchmod(os.open('/mine', os.O_RDONLY), 0o600),
    'fchmodat AT_SYMLINK_NOFOLLOW of a symlink': lambda: fchmodat(AT_FDCWD, '/link', 0o600, AT_SYMLINK_NOFOLLOW),
    'fchmodat AT_SYMLINK_NOFOLLOW of a file': lambda: fchmodat(AT_FDCWD, '/mine', 0o600, AT_SYMLINK_NOFOLLOW),
    'fchmodat with an unknown flag': lambda: fchmodat(AT_FDCWD, '/mine', 0o600, 0x1),
    'fchmodat relative to a directory descriptor': lambda: fchmodat(os.open('/', os.O_DIRECTORY), 'mine', 0o600),
}


def chmod_through_link():
    mk('/f', 0o644)
    os.symlink('f', '/l')
    os.chmod('/l', 0o600)
    return {'/f': perm('/f'), '/l': perm('/l')}


def chmod_177777():
    mk('/f', 0o644)
    os.chmod('/f', 0o177777)
    return os.stat('/f').st_mode


# name -> (creds, gid of /g)
CHMOD_SGID = {
    'an owner outside the file group loses S_ISGID': (USER, 3000),
    'an owner in the file group (supplementary) keeps it': (USER, 2000),
    'an owner in the file group (primary) keeps it': (USER, 1000),
    'CAP_FSETID keeps it': (cap('fsetid'), 3000),
}


def chmod_sgid(creds, gid):
    def case():
        mk('/g', 0o644, 1000, gid)
        as_creds(creds, lambda: os.chmod('/g', 0o2755))
        return perm('/g')
    return case


# name -> (creds, uid, gid) of chown /f (0644 1000:1000)
CHOWN = {
    'an owner gives the file away': (USER, 1001, -1),
    'an owner "chowns" to itself': (USER, 1000, -1),
    'an owner chgrps to a supplementary group': (USER, -1, 2000),
    'an owner chgrps to a foreign group': (USER, -1, 3000),
    'a non-owner chgrps to its own group': (OTHER, -1, 1001),
    'CAP_CHOWN gives the file away': (cap('chown'), 5, 5),
    'root without capabilities gives its file away': (ROOT_NOCAPS, 5, -1),
    'root without capabilities chgrps to its own group': (ROOT_NOCAPS, -1, 0),
    'a no-op chown (-1, -1) by a non-owner': (OTHER, -1, -1),
}


def chown_case(creds, uid, gid):
    def case():
        mk('/f', 0o644, 1000, 1000)
        return errno_of(as_creds, creds, lambda: os.chown('/f', uid, gid))
    return case


def chown_own_file_nocaps():
    mk('/f', 0o007, 0, 5)
    return errno_of(as_creds, ROOT_NOCAPS, lambda: os.chown('/f', -1, 0))


def lchown_and_chown():
    mk('/f', 0o644)
    os.symlink('f', '/l')
    os.lchown('/l', 7, 8)
    out = {'lstat /l': [os.lstat('/l').st_uid, os.lstat('/l').st_gid], 'stat /l': [os.stat('/l').st_uid, os.stat('/l').st_gid]}
    os.chown('/l', 9, 10)
    out['stat /f after chown /l 9 10'] = [os.stat('/f').st_uid, os.stat('/f').st_gid]
    return out


def file_and_link():
    mk('/f', 0o644)
    os.symlink('f', '/l')


FCHOWN = {
    'fchown of a bad descriptor': lambda: os.fchown(99, 1, 1),
    'fchown of a read-only descriptor': lambda: os.fchown(os.open('/f', os.O_RDONLY), 1, 1),
    'fchownat AT_SYMLINK_NOFOLLOW': lambda: fchownat(AT_FDCWD, '/l', 1, 1, AT_SYMLINK_NOFOLLOW),
    'fchownat with an unknown flag': lambda: fchownat(AT_FDCWD, '/f', 1, 1, 0x1),
    'chown of a missing name': lambda: os.chown('/missing', 1, 1),
}

# name -> (mode, file or dir) chowned to 5:5 by root
CHOWN_CLEARS = {
    'chown by root drops S_ISUID and group-exec S_ISGID': (0o6755, 'file'),
    'chown by root keeps S_ISGID without group exec': (0o2644, 'file'),
    'chown of a directory keeps both': (0o6755, 'dir'),
}


def chown_clears(mode, kind):
    def case():
        if kind == 'file':
            mk('/x', mode)
        else:
            os.mkdir('/x')
            os.chmod('/x', mode)
        os.chown('/x', 5, 5)
        return perm('/x')
    return case


def chown_noop_drops_suid():
    mk('/x', 0o4755)
    os.chown('/x', -1, -1)
    return perm('/x')


# name -> (writer, mode of /x, 1000:1000)
WRITES = {
    'a write by the owner (no CAP_FSETID) drops S_ISUID and S_ISGID': (USER, 0o6755),
    'a write by another user drops S_ISUID': (OTHER, 0o4777),
    'a write keeps S_ISGID without group exec': (USER, 0o2664),
    'a write by root (CAP_FSETID) keeps them': (ROOT, 0o6755),
    'a write with CAP_FSETID alone keeps them': (cap('fsetid'), 0o6777),
}


def write_case(creds, mode):
    def case():
        mk('/x', mode, 1000, 1000)
        become(creds)
        fd = os.open('/x', os.O_WRONLY)
        return [os.write(fd, b'z'), perm('/x')]
    return case


def truncates_drop_suid():
    mk('/x', 0o4755, 1000, 1000)
    mk('/y', 0o4755, 1000, 1000)
    become(USER)
    os.truncate('/x', 0)
    os.ftruncate(os.open('/y', os.O_RDWR), 3)
    return {'truncate': perm('/x'), 'ftruncate': perm('/y')}


def empty_write():
    mk('/x', 0o4755, 1000, 1000)
    become(USER)
    os.write(os.open('/x', os.O_WRONLY), b'')
    return perm('/x')


def sgid_dir():
    os.mkdir('/sg', 0o777)
    os.chown('/sg', 0, 3000)
    os.chmod('/sg', 0o2777)


# name -> (creds, op, path); umask 022 in /sg (2777 root:3000)
SGID_DIR = {
    'mkdir inherits the group and S_ISGID': (USER, lambda: os.mkdir('/sg/d', 0o777), '/sg/d'),
    'a file inherits the group, not S_ISGID': (USER, lambda: os.close(os.open('/sg/f', os.O_CREAT | os.O_WRONLY, 0o666)), '/sg/f'),
    'a non-member loses a requested S_ISGID on a group-exec file': (USER, lambda: os.close(os.open('/sg/f', os.O_CREAT | os.O_WRONLY, 0o2775)), '/sg/f'),
    'a member keeps it': ((1000, 1000, [3000], []), lambda: os.close(os.open('/sg/f', os.O_CREAT | os.O_WRONLY, 0o2775)), '/sg/f'),
    'CAP_FSETID keeps it': (cap('fsetid'), lambda: os.close(os.open('/sg/f', os.O_CREAT | os.O_WRONLY, 0o2775)), '/sg/f'),
    'mknod of a FIFO inherits the group': (USER, lambda: os.mknod('/sg/p', S_IFIFO | 0o666), '/sg/p'),
    'a symlink inherits the group': (USER, lambda: os.symlink('x', '/sg/l'), '/sg/l'),
}


def sgid_case(creds, op, path):
    def case():
        sgid_dir()
        become(creds)
        os.umask(0o022)
        op()
        st = os.lstat(path)
        return {'mode': st.st_mode, 'uid': st.st_uid, 'gid': st.st_gid}
    return case


def outside_sgid():
    os.mkdir('/pub', 0o777)
    become(USER)
    os.mkdir('/pub/d')
    st = os.stat('/pub/d')
    return {'mode': st.st_mode, 'uid': st.st_uid, 'gid': st.st_gid}


UMASK = [(0o022, 0o666), (0o077, 0o666), (0o027, 0o777), (0o000, 0o1777), (0o777, 0o666)]


def umask_case(umask, mode):
    def case():
        os.umask(umask)
        os.close(os.open('/f', os.O_CREAT | os.O_WRONLY, mode))
        return perm('/f')
    return case


def umask_returns():
    return [os.umask(0o7777), os.umask(0o022)]


def sticky(dir_owner):
    def world():
        os.mkdir('/t', 0o777)
        os.chown('/t', dir_owner, dir_owner)
        os.chmod('/t', 0o1777)
        mk('/t/mine', 0o666, 1000, 1000)
        mk('/t/other', 0o666, 1001, 1001)
        os.mkdir('/t/odir')
        os.chown('/t/odir', 1001, 1001)
        os.mkdir('/pub', 0o777)
    return world


# name -> (owner of /t, creds, op)
STICKY = {
    'unlink own file': (0, USER, lambda: os.unlink('/t/mine')),
    "unlink another's file": (0, USER, lambda: os.unlink('/t/other')),
    "rename another's file out": (0, USER, lambda: os.rename('/t/other', '/pub/x')),
    "rename own file over another's": (0, USER, lambda: os.rename('/t/mine', '/t/other')),
    "rmdir another's directory": (0, USER, lambda: os.rmdir('/t/odir')),
    "the directory owner unlinks another's file": (1000, USER, lambda: os.unlink('/t/other')),
    'CAP_FOWNER unlinks': (0, cap('fowner'), lambda: os.unlink('/t/other')),
    'CAP_DAC_OVERRIDE does not': (0, cap('dac_override'), lambda: os.unlink('/t/other')),
    'creating in a sticky directory is fine': (0, USER, lambda: os.mkdir('/t/new')),
    'a missing name is ENOENT before the sticky rule': (0, USER, lambda: os.unlink('/t/missing')),
}


def then(*steps):
    """Runs the steps in order; the value of the last."""
    def run():
        out = None
        for step in steps:
            out = step()
        return out
    return run


ACCESS = {
    'F_OK of an existing file': lambda: access('/f', F_OK),
    'F_OK of a missing file': lambda: access('/missing', F_OK),
    'a mode with bit 8': lambda: access('/f', 8),
    'faccessat with an unknown flag': lambda: faccessat(AT_FDCWD, '/f', R_OK, 0x1),
    'X_OK of a 0644 file by root': lambda: access('/f', X_OK),
    'X_OK of a 0744 file by root': then(lambda: os.chmod('/f', 0o744), lambda: access('/f', X_OK)),
    'X_OK of a directory without x bits by root': then(lambda: os.mkdir('/d', 0o600), lambda: access('/d', X_OK)),
    'faccessat AT_SYMLINK_NOFOLLOW of a dangling link': then(lambda: os.symlink('nope', '/l'), lambda: faccessat(AT_FDCWD, '/l', F_OK, AT_SYMLINK_NOFOLLOW)),
    'access of a dangling link': then(lambda: os.symlink('nope', '/l'), lambda: access('/l', F_OK)),
    'R_OK|W_OK of a 0400 file by the owner': then(lambda: os.chown('/f', 1000, 1000), lambda: os.chmod('/f', 0o400), lambda: as_creds(USER, lambda: access('/f', R_OK | W_OK))),
    'R_OK of a 0400 file by the owner': then(lambda: os.chown('/f', 1000, 1000), lambda: os.chmod('/f', 0o400), lambda: as_creds(USER, lambda: access('/f', R_OK))),
}


def xworld():
    mk('/f', 0o644)
    os.mkdir('/d')
    os.symlink('f', '/l')
    os.mknod('/p', S_IFIFO | 0o666)


def setx(path, name, value, flags=0, follow=True):
    os.setxattr(path, name, value, flags, follow_symlinks=follow)


XATTRS = {
    'user.* on a file': lambda: setx('/f', 'user.a', b'1'),
    'user.* on a directory': lambda: setx('/d', 'user.a', b'1'),
    'user.* on a symlink itself': lambda: setx('/l', 'user.a', b'1', follow=False),
    'user.* through a symlink': lambda: setx('/l', 'user.a', b'1'),
    'user.* on a FIFO': lambda: setx('/p', 'user.a', b'1'),
    'lgetxattr user.* of a symlink': lambda: os.getxattr('/l', 'user.a', follow_symlinks=False),
    'trusted.* on a symlink (root)': lambda: setx('/l', 'trusted.a', b'1', follow=False),
    'security.* (root)': lambda: setx('/f', 'security.a', b'1'),
    'system.foo': lambda: setx('/f', 'system.foo', b'1'),
    'foo.bar': lambda: setx('/f', 'foo.bar', b'1'),
    'a name without a namespace': lambda: setx('/f', 'plain', b'1'),
    '"user." alone': lambda: setx('/f', 'user.', b'1'),
    '"security." alone': lambda: setx('/f', 'security.', b'1'),
    '"trusted." alone': lambda: setx('/f', 'trusted.', b'1'),
    'a 255-byte name': lambda: setx('/f', 'user.' + 'a' * 250, b'1'),
    'a 256-byte name': lambda: setx('/f', 'user.' + 'a' * 251, b'1'),
    'an empty name': lambda: setx('/f', '', b'1'),
    'a 65536-byte value': lambda: setx('/f', 'user.big', bytes(65536)),
    'a 65537-byte value': lambda: setx('/f', 'user.big', bytes(65537)),
    'an empty value': lambda: setx('/f', 'user.e', b''),
    'XATTR_CREATE of an existing name': then(lambda: setx('/f', 'user.a', b'1'), lambda: setx('/f', 'user.a', b'2', XATTR_CREATE)),
    'XATTR_REPLACE of a missing name': lambda: setx('/f', 'user.a', b'1', XATTR_REPLACE),
    'an unknown flag': lambda: setx('/f', 'user.a', b'1', 4),
    'getxattr of a missing name': lambda: os.getxattr('/f', 'user.nope'),
    'removexattr of a missing name': lambda: os.removexattr('/f', 'user.nope'),
    'getxattr of a missing file': lambda: os.getxattr('/missing', 'user.a'),
    'fsetxattr of an O_PATH descriptor': lambda: setx(os.open('/f', os.O_PATH), 'user.a', b'1'),
    'fsetxattr of a read-only descriptor': lambda: setx(os.open('/f', os.O_RDONLY), 'user.a', b'1'),
}


def xattr_round_trip():
    setx('/f', 'user.a', b'one')
    setx('/f', 'trusted.t', b'two')
    setx('/f', 'security.s', b'three')
    setx('/f', 'user.a', b'uno', XATTR_REPLACE)
    out = {'user.a': os.getxattr('/f', 'user.a').decode(), 'listxattr': sorted(os.listxattr('/f'))}
    os.removexattr('/f', 'user.a')
    out['getxattr after removexattr'] = errno_of(os.getxattr, '/f', 'user.a')
    out['listxattr after removexattr'] = sorted(os.listxattr('/f'))
    out['llistxattr of the link'] = os.listxattr('/l', follow_symlinks=False)
    return out


def user_world():
    xworld()
    mk('/mine', 0o644, 1000, 1000)
    mk('/root000', 0o000)
    for f in ('/mine', '/root000'):
        setx(f, 'trusted.t', b'1')
        setx(f, 'security.s', b'1')
        setx(f, 'user.u', b'1')
    mk('/mine000', 0o000, 1000, 1000)
    mk('/rw', 0o666)
    mk('/root644', 0o644)
    os.mkdir('/sticky', 0o1777)
    os.mkdir('/mysticky', 0o1777)
    os.chown('/mysticky', 1000, 1000)


XATTRS_AS_USER = {
    'trusted.* set without CAP_SYS_ADMIN': lambda: errno_of(setx, '/mine', 'trusted.x', b'1'),
    'trusted.* read without CAP_SYS_ADMIN': lambda: errno_of(os.getxattr, '/mine', 'trusted.t'),
    'trusted.* names are hidden from listxattr': lambda: sorted(os.listxattr('/mine')),
    'security.* set without CAP_SYS_ADMIN': lambda: errno_of(setx, '/mine', 'security.x', b'1'),
    'security.* removed without CAP_SYS_ADMIN': lambda: errno_of(os.removexattr, '/mine', 'security.s'),
    'security.* read without read permission': lambda: errno_of(os.getxattr, '/root000', 'security.s'),
    'user.* read without read permission': lambda: errno_of(os.getxattr, '/root000', 'user.u'),
    'user.* set on own 0000 file': lambda: errno_of(setx, '/mine000', 'user.x', b'1'),
    'user.* set on a writable file of another': lambda: errno_of(setx, '/rw', 'user.x', b'1'),
    'user.* set on a root 0644 file': lambda: errno_of(setx, '/root644', 'user.x', b'1'),
    "user.* set on another's sticky directory": lambda: errno_of(setx, '/sticky', 'user.x', b'1'),
    'user.* set on own sticky directory': lambda: errno_of(setx, '/mysticky', 'user.x', b'1'),
}


def xattrs_follow_inode():
    setx('/f', 'user.a', b'1')
    os.link('/f', '/g')
    os.rename('/f', '/d/f')
    return {'/g': list(os.getxattr('/g', 'user.a')), '/d/f': errno_of(os.getxattr, '/d/f', 'user.a')}


def utimens_world():
    mk('/rw', 0o666)
    mk('/ro', 0o644)
    mk('/mine', 0o644, 1000, 1000)
    mk('/mine000', 0o000, 1000, 1000)


# name -> (path, explicit times?) as USER
UTIMENS = {
    'explicit times on a writable file of another': ('/rw', True),
    '"now" on a writable file of another': ('/rw', False),
    '"now" on an unwritable file of another': ('/ro', False),
    'explicit times on own file': ('/mine', True),
    '"now" on own 0000 file': ('/mine000', False),
}


def eaccess_vs_access():
    mk('/secret', 0o600)
    become(cap('dac_override'))
    return {'faccessat AT_EACCESS R_OK|W_OK': errno_of(faccessat, AT_FDCWD, '/secret', R_OK | W_OK, AT_EACCESS),
            'access R_OK': errno_of(access, '/secret', R_OK),
            'open O_RDWR': errno_of(lambda: os.close(os.open('/secret', os.O_RDWR)))}


def record(cells):
    def utimens(path, explicit):
        return lambda: as_creds(USER, lambda: utimensat(AT_FDCWD, path, ((1, 0), (2, 0)) if explicit else None))
    return {
        'chmod, fchmod, fchmodat': cells.table(chmod_world, CHMOD),
        'chmod results': cells.each({'through a symlink': chmod_through_link, 'mode 0o177777': chmod_177777}),
        'chmod 02755': cells.each({k: chmod_sgid(*v) for k, v in CHMOD_SGID.items()}),
        'chown': cells.each({k: chown_case(*v) for k, v in CHOWN.items()}),
        'chown results': cells.each({
            'root without capabilities chgrps its own file to its group': chown_own_file_nocaps,
            'lchown changes the link; chown the target': lchown_and_chown,
        }),
        'fchown, fchownat': cells.table(file_and_link, FCHOWN),
        'chown clears': cells.each({k: chown_clears(*v) for k, v in CHOWN_CLEARS.items()}),
        'writes clear': cells.each({k: write_case(*v) for k, v in WRITES.items()}),
        'setuid results': cells.each({
            'chown(-1, -1) of a 04755 file': chown_noop_drops_suid,
            'truncate and ftruncate of 04755 files by the owner': truncates_drop_suid,
            'an empty write to a 04755 file by the owner': empty_write,
        }),
        'setgid directories': cells.each({k: sgid_case(*v) for k, v in SGID_DIR.items()}),
        'setgid results': cells.each({'outside a setgid directory': outside_sgid}),
        'umask': cells.each({f'{u:03o} {m:o}': umask_case(u, m) for u, m in UMASK}),
        'umask results': cells.each({'umask(07777) then umask(022) return': umask_returns}),
        'sticky directories': {k: cells.errno(sticky(o), lambda c=c, op=op: as_creds(c, op)) for k, (o, c, op) in STICKY.items()},
        'access and faccessat': cells.table(lambda: mk('/f', 0o644), ACCESS),
        'tmpfs extended attributes': cells.table(xworld, XATTRS),
        'xattr results': cells.values(xworld, {
            'set, get, list, replace and remove': xattr_round_trip,
            'across a hard link and a rename': xattrs_follow_inode,
            'fgetxattr of an O_NOFOLLOW|O_PATH descriptor of a link': lambda: errno_of(os.getxattr, os.open('/l', os.O_PATH | os.O_NOFOLLOW), 'user.a'),
        }),
        'xattrs as uid 1000': cells.values(user_world, {k: (lambda fn=fn: as_creds(USER, fn)) for k, fn in XATTRS_AS_USER.items()}),
        'utimensat permissions': cells.table(utimens_world, {k: utimens(*v) for k, v in UTIMENS.items()}),
        'AT_EACCESS and access with CAP_DAC_OVERRIDE': cells.each({'table': eaccess_vs_access})['table'],
    }
