"""devpts pseudo-terminals: numbering, the max= limit, node modes and owners, removal on last close.

Serves test/unit/devpts-pty.test.ts (its plan op `openpty` case is the plan
test/kernel/plans/openpty-console.json, recorded by record.py).
"""

import os

from .harness import errno_of, names, pty_number, setcred, sys_mount, value_or_errno

PTMX = os.O_RDWR | os.O_NOCTTY


def numbering():
    """A devpts with max=2 at /pts: two ptys, a third, closing 0 through a dup, a new one."""
    os.mkdir('/pts')
    sys_mount('devpts', '/pts', 'devpts', 0, 'newinstance,ptmxmode=0666,mode=0620,gid=5,max=2')
    a = os.open('/pts/ptmx', PTMX)
    b = os.open('/pts/ptmx', PTMX)
    out = {'numbers': [pty_number(a), pty_number(b)], 'names': names('/pts')}
    st = os.stat('/pts/0')
    out['/pts/0 [mode (octal), rdev, uid, gid]'] = [oct(st.st_mode)[2:], st.st_rdev, st.st_uid, st.st_gid]
    out['a third open'] = errno_of(os.open, '/pts/ptmx', PTMX)
    dup = os.dup(a)
    os.close(a)
    out['names after closing 0 with a dup left'] = names('/pts')
    os.close(dup)
    out['names after closing the dup'] = names('/pts')
    out['stat /pts/0 then'] = errno_of(os.stat, '/pts/0')
    out['the next number'] = pty_number(os.open('/pts/ptmx', PTMX))
    out['TIOCGPTN of the directory'] = value_or_errno(pty_number, os.open('/pts', os.O_RDONLY))
    return out


def owner():
    """A devpts without uid=/gid=: pty 0 opened by uid 1000 gid 7."""
    os.mkdir('/pts')
    sys_mount('devpts', '/pts', 'devpts', 0, 'ptmxmode=0666')
    setcred(1000, 7, None, [])
    os.open('/pts/ptmx', PTMX)
    st = os.stat('/pts/0')
    return [st.st_mode & 0o7777, st.st_uid, st.st_gid]


def record(cells):
    return {'devpts': cells.each({
        'newinstance,ptmxmode=0666,mode=0620,gid=5,max=2': numbering,
        'ptmxmode=0666, opened by uid 1000 gid 7: [mode, uid, gid] of /pts/0': owner,
    })}
