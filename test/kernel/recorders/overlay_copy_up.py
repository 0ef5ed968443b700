"""Overlayfs copy-up on tmpfs layers: what each trigger leaves in the upper layer, marks included.

Serves test/unit/overlay-copy-up.test.ts. overlay() and tree() are test/unit/overlay-helpers.ts's:
the layers /l1, /l2 (lower), /u (upper), /w (work) on the cell's tmpfs, the overlay on /m, and a
layer listed one object a line (`path type mode uid:gid nlink size`, the data of a file, the
target of a link, `whiteout`, then overlayfs's marks: origin and uuid by their length).
"""

import json
import os
import re
import stat

from .harness import AT_FDCWD, UTIME_NOW, create, errno_of, names, sys_mount, utimensat

OVL = 'lowerdir=/l1:/l2,upperdir=/u,workdir=/w'
LOWER = {'/l1/f': 'hello', '/l1/d/': '', '/l1/d/g': 'deep', '/l2/h': 'two'}


def overlay(layers, data=OVL):
    for d in ('/l1', '/l2', '/l3', '/u', '/w', '/m'):
        os.mkdir(d, 0o755)
    for path, v in layers.items():
        if path.endswith('/'):
            os.mkdir(path[:-1], 0o755)
        elif path.endswith('@'):
            os.symlink(v, path[:-1])
        else:
            create(path, 0o644, v.encode())
    sys_mount('ov', '/m', 'overlay', 0, data)


TYPE = {stat.S_IFDIR: 'd', stat.S_IFREG: 'f', stat.S_IFLNK: 'l', stat.S_IFCHR: 'c'}


def read(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.read(fd, 1 << 16).decode('utf-8', errors='replace')
    finally:
        os.close(fd)


def marks(path):
    out = []
    for x in sorted(os.listxattr(path, follow_symlinks=False)):
        m = re.match(r'^(trusted|user)\.overlay\.(.*)$', x)
        if not m:
            out.append(x)
            continue
        v = os.getxattr(path, x, follow_symlinks=False)
        out.append(f'{m[2]}[{len(v)}]' if m[2] in ('origin', 'uuid', 'upper') else f'{m[2]}={v.decode()}')
    return ' {' + ','.join(out) + '}' if out else ''


def tree(root):
    out = []

    def walk(rel):
        for n in names(f'{root}/{rel}' if rel else root):
            r = f'{rel}/{n}' if rel else n
            path = f'{root}/{r}'
            st = os.lstat(path)
            kind = TYPE.get(stat.S_IFMT(st.st_mode), '?')
            line = f'{r} {kind} {st.st_mode & 0o7777:o} {st.st_uid}:{st.st_gid} {st.st_nlink} {st.st_size}'
            if kind == 'f':
                line += ' ' + json.dumps(read(path), ensure_ascii=False)
            if kind == 'l':
                line += ' -> ' + os.readlink(path)
            if kind == 'c' and st.st_rdev == 0:
                line += ' whiteout'
            out.append(line + marks(path))
            if kind == 'd':
                walk(r)
    walk('')
    return out


def opened(flags):
    def case():
        overlay(LOWER)
        os.close(os.open('/m/f', flags))
        return tree('/u')
    return case


def nothing_copied():
    overlay({**LOWER, '/l1/s@': 'f'})
    os.close(os.open('/m/f', os.O_RDONLY))
    os.stat('/m/d/g')
    os.readlink('/m/s')
    names('/m/d')
    return tree('/u')


def truncated():
    overlay(LOWER)
    os.truncate('/m/f', 2)
    return tree('/u')


def chmod_setuid():
    overlay(LOWER)
    os.chmod('/l1/f', 0o4755)
    os.chmod('/m/f', 0o6755)
    return tree('/u')


def truncate_setuid():
    overlay(LOWER)
    os.chmod('/l1/f', 0o4755)
    os.truncate('/m/f', 5)
    return tree('/u')


def chown_and_lchown():
    overlay({**LOWER, '/l1/s@': 'f'})
    os.chown('/l1/f', 1000, 2000)
    os.chown('/m/f', -1, 3000)
    os.lchown('/m/s', 4, 4)
    return tree('/u')


def utimens():
    overlay(LOWER)
    utimensat(AT_FDCWD, '/m/h', ((0, UTIME_NOW), (7, 0)))
    return tree('/u')


def xattrs():
    overlay(LOWER)
    os.setxattr('/l1/f', 'user.a', b'1')
    out = {'removexattr of a missing one': errno_of(os.removexattr, '/m/f', 'user.none'), 'then': tree('/u')}
    os.setxattr('/m/f', 'user.b', b'2')
    out['after setxattr user.b'] = tree('/u')
    os.removexattr('/m/f', 'user.a')
    out['after removexattr user.a'] = tree('/u')
    return out


def own_attributes():
    overlay(LOWER)
    os.truncate('/m/f', 5)
    return {'listxattr': os.listxattr('/m/f'),
            'setxattr trusted.overlay.opaque': errno_of(os.setxattr, '/m/f', 'trusted.overlay.opaque', b'y')}


def link_copies_up():
    overlay(LOWER)
    os.link('/m/f', '/m/f2')
    return {'tree': tree('/u'), 'nlink of /m/f2': os.stat('/m/f2').st_nlink}


def lower_hard_link():
    overlay(LOWER)
    os.link('/l1/f', '/l1/f2')
    os.truncate('/m/f', 1)
    return {'tree': tree('/u'), 'nlink of /m/f2': os.stat('/m/f2').st_nlink}


def renamed():
    overlay(LOWER)
    os.rename('/m/h', '/m/h2')
    return tree('/u')


def parent_chain():
    overlay({'/l2/a/': '', '/l2/a/b/': '', '/l2/a/b/c/': ''})
    os.chmod('/l2/a', 0o750)
    os.chown('/l2/a/b', 5, 6)
    os.mkdir('/m/a/b/c/n', 0o700)
    return {'tree': tree('/u'), 'llistxattr of the upper root': sorted(os.listxattr('/u', follow_symlinks=False))}


def removed():
    overlay(LOWER)
    os.unlink('/m/d/g')
    return tree('/u')


def holes():
    overlay(LOWER)
    os.truncate('/l1/f', 9000)
    os.truncate('/m/f', 9001)
    return {'size of /u/f': os.stat('/u/f').st_size, 'first bytes of /m/f': read('/m/f')[:5]}


def no_space():
    overlay({})
    os.mkdir('/t', 0o755)
    sys_mount('t', '/t', 'tmpfs', 0, 'size=8k')
    os.mkdir('/t/u', 0o755)
    os.mkdir('/t/w', 0o755)
    create('/l1/big', 0o644, b'z' * 9000)
    os.mkdir('/m2', 0o755)
    sys_mount('ov', '/m2', 'overlay', 0, 'lowerdir=/l1,upperdir=/t/u,workdir=/t/w')
    return {'truncate /m2/big 1': errno_of(os.truncate, '/m2/big', 1), 'upper': tree('/t/u'),
            'size of /t/w/work': os.stat('/t/w/work').st_size}


CASES = {
    'open O_WRONLY': opened(os.O_WRONLY),
    'open O_RDWR': opened(os.O_RDWR),
    'open O_RDONLY|O_TRUNC': opened(os.O_RDONLY | os.O_TRUNC),
    'open O_RDONLY, stat, readlink, readdir': nothing_copied,
    'truncate to 2': truncated,
    'chmod 06755 of a 04755 lower file': chmod_setuid,
    'truncate of a 04755 lower file': truncate_setuid,
    'chown -1:3000 of a 1000:2000 file, lchown 4:4 of a symlink': chown_and_lchown,
    'utimensat': utimens,
    'setxattr and removexattr': xattrs,
    "overlayfs's own attributes through the overlay": own_attributes,
    'link': link_copies_up,
    'truncate of a file with a lower hard link': lower_hard_link,
    'rename': renamed,
    'mkdir under a lower chain a (0750), a/b (5:6), a/b/c': parent_chain,
    'unlink in a lower directory': removed,
    'truncate 9001 of a 9000-byte sparse lower file': holes,
    'truncate of a 9000-byte file with an upper of size=8k': no_space,
}


def record(cells):
    return {'copy-up': cells.each(CASES)}
