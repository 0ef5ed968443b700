"""The permission matrix: six identities against files and directories of given owners and modes.

Serves test/unit/permission-matrix.test.ts; the world and the identities are that test's
(`identities` and `files` are recorded too, and the test checks they are still its own).
"""

import os

from .harness import (AT_EACCESS, AT_FDCWD, access, create, errno_of, faccessat, setcred,
                      sys_getdents)

R_OK, W_OK, X_OK = 4, 2, 1

# name -> (uid, gid, groups, caps); None: the recorder's own root, all its capabilities
IDENTITIES = {
    'user_groups': (1000, 1000, [2000, 2001], []),
    'user': (1000, 1000, [], []),
    'user_dac_override': (1000, 1000, [], ['dac_override']),
    'user_dac_read_search': (1000, 1000, [], ['dac_read_search']),
    'root_nocaps': (0, 0, [], []),
    'root': None,
}

# name -> (uid, gid, mode)
FILES = {
    'own070': (1000, 2000, 0o070),
    'grp070': (0, 2000, 0o070),
    'oth007': (0, 0, 0o007),
    'root600': (0, 0, 0o600),
    'u000': (1000, 1000, 0o000),
    'x000': (0, 0, 0o000),
    'x010': (0, 0, 0o010),
}


def world():
    for name, (uid, gid, mode) in FILES.items():
        create('/' + name)
        os.chown('/' + name, uid, gid)
        os.chmod('/' + name, mode)
    os.mkdir('/dnox', 0o666)
    create('/dnox/f')
    os.mkdir('/dnor', 0o333)
    os.mkdir('/dnow', 0o555)
    os.mkdir('/sticky', 0o1777)
    create('/sticky/other', 0o666)
    os.chown('/sticky/other', 1001, 1001)
    create('/hl')
    os.mkdir('/pub', 0o777)


def become(who):
    ident = IDENTITIES[who]
    if ident is None:
        os.setgroups([])
    else:
        setcred(*ident)


def close_open(path, flags, mode=0o644):
    os.close(os.open(path, flags, mode))


FILE_OPS = {
    'openR': lambda f: close_open(f, os.O_RDONLY),
    'openW': lambda f: close_open(f, os.O_WRONLY),
    'eaccessX': lambda f: faccessat(AT_FDCWD, f, X_OK, AT_EACCESS),
    'accessR': lambda f: access(f, R_OK),
    'accessW': lambda f: access(f, W_OK),
}

DIR_OPS = {
    'listNoX': lambda: sys_getdents('/dnox'),
    'statThroughNoX': lambda: os.stat('/dnox/f'),
    'chdirNoX': lambda: os.chdir('/dnox'),
    'listNoR': lambda: sys_getdents('/dnor'),
    'createNoR': lambda: close_open('/dnor/n', os.O_CREAT | os.O_WRONLY),
    'mkdirNoW': lambda: os.mkdir('/dnow/n'),
    'stickyUnlink': lambda: os.unlink('/sticky/other'),
    'chmodRoot': lambda: os.chmod('/root600', 0o640),
    'linkRoot': lambda: os.link('/hl', '/pub/h'),
    'securityXattr': lambda: os.setxattr('/pub', 'security.foo', b'\x01'),
}

# name -> (uid, gid, mode) of /t, opened O_RDONLY by user_groups
OWNER_CLASS = {
    'owner 0o077': (1000, 1000, 0o077),
    'owner 0o007 (other rwx)': (1000, 0, 0o007),
    'group member 0o607 (other rw)': (0, 2000, 0o607),
    'group member 0o460': (0, 2000, 0o460),
    'non-member 0o604': (0, 3000, 0o604),
    'non-member 0o640': (0, 3000, 0o640),
}

SEARCH_WALK_WHO = ['user', 'user_groups', 'user_dac_read_search', 'root_nocaps', 'root']


def as_who(cells, who, setup, op):
    """errno of `op` by `who` after world() and `setup()` as root."""
    def case():
        world()
        setup()
        become(who)
        return errno_of(op)
    return cells.run(case)


def record(cells):
    nothing = lambda: None  # noqa: E731
    files = {f'{who} {f} {op}': as_who(cells, who, nothing, lambda fn=fn, f=f: fn('/' + f))
             for who in IDENTITIES for f in FILES for op, fn in FILE_OPS.items()}
    dirs = {f'{who} {op}': as_who(cells, who, nothing, fn) for who in IDENTITIES for op, fn in DIR_OPS.items()}

    def owned_t(uid, gid, mode):
        def setup():
            create('/t')
            os.chown('/t', uid, gid)
            os.chmod('/t', mode)
        return setup
    owner = {name: as_who(cells, 'user_groups', owned_t(*spec), lambda: close_open('/t', os.O_RDONLY))
             for name, spec in OWNER_CLASS.items()}

    def search_setup():
        os.mkdir('/a', 0o700)
        os.mkdir('/a/b', 0o777)
        os.chown('/a', 5, 5)
    walk = {}
    for who in SEARCH_WALK_WHO:
        walk[f'{who} stat'] = as_who(cells, who, search_setup, lambda: os.stat('/a/b'))
        walk[f'{who} mkdir'] = as_who(cells, who, search_setup, lambda: os.mkdir('/a/b/c'))
    return {
        'identities': {who: None if i is None else {'uid': i[0], 'gid': i[1], 'groups': i[2], 'caps': i[3]}
                       for who, i in IDENTITIES.items()},
        'files': {name: {'uid': u, 'gid': g, 'mode': m} for name, (u, g, m) in FILES.items()},
        'file ops': files,
        'directory ops': dirs,
        'owner class first': owner,
        'search on every directory of the walk': walk,
    }
