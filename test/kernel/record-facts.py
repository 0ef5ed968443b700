#!/usr/bin/env python3
"""Record the kernel facts the unit tests expect: errno tables, offsets, sizes, modes.

This is a test-data tool, the sibling of test/kernel/record.py (which records plans): what a unit
test under test/unit/ states the kernel does, and no plan can say (open flags, access(2), lseek,
xattrs, statfs, six identities per cell...), is asked of this kernel here and written to
test/kernel/facts/GROUP.json, which the unit test loads as its expected values
(test/kernel/facts.ts). test/kernel/recorded-facts.test.ts reruns this script when it has
CAP_SYS_ADMIN and checks that the kernel still says what the files say.

    python3 test/kernel/record-facts.py [GROUP...] [-o DIR]     (as root)

Without GROUP every group is recorded. A group is a module of test/kernel/recorders/, named as
the unit test file it serves; each case runs in a forked child in its own private mount namespace
on a fresh tmpfs (recorders/harness.py), so nothing reaches the host.

Each file is `{ "group", "about", "rerun", "kernel", "machine", "conditions", "facts" }`:
`kernel` is `uname -r` of the recording machine, `conditions` the host settings the facts depend
on (fs.protected_hardlinks, tmpfs's default huge= policy), `facts` one table a unit-test table,
one case a line.
"""

import argparse
import importlib
import json
import os
import platform
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from recorders.harness import Cells  # noqa: E402

GROUPS = [
    'permission-matrix', 'syscalls-files', 'syscalls-names', 'syscalls-attrs', 'syscalls-mounts',
    'devpts-pty', 'overlay-copy-up', 'userns-idmap', 'pidfd-userns', 'loop-fuse', 'xfstests-idmapped', 'pid-ipc-ns',
]


def module(group):
    return importlib.import_module('recorders.' + group.replace('-', '_'))


def dump(doc):
    """JSON with one case a line, for readable diffs."""
    head = {k: v for k, v in doc.items() if k != 'facts'}
    tables = []
    for name, table in doc['facts'].items():
        rows = ',\n'.join(f'      {json.dumps(k)}: {json.dumps(v)}' for k, v in table.items())
        tables.append(f'    {json.dumps(name)}: {{\n{rows}\n    }}')
    return ('{\n' + ''.join(f'  {json.dumps(k)}: {json.dumps(v)},\n' for k, v in head.items())
            + '  "facts": {\n' + ',\n'.join(tables) + '\n  }\n}\n')


def record(group, cells):
    mod = module(group)
    return {
        'group': group,
        'about': mod.__doc__.strip().split('\n')[0],
        'rerun': f'python3 test/kernel/record-facts.py {group}  (as root; each case in a forked child, '
                 'in its own mount namespace, on a fresh tmpfs)',
        'kernel': platform.release(),
        'machine': platform.machine(),
        'conditions': conditions(cells),
        'facts': mod.record(cells),
    }


def conditions(cells):
    """Host settings that change what the kernel answers; the same for every group."""
    with open('/proc/sys/fs/protected_hardlinks') as f:
        hardlinks = int(f.read())
    opts = cells.run(lambda: cells.mountinfo_options('/'))
    huge = next((o.split('=', 1)[1] for o in opts.split(',') if o.startswith('huge=')), 'never')
    return {'fs.protected_hardlinks': hardlinks, 'tmpfs huge=': huge}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('groups', nargs='*', help=f'groups to record (default all: {", ".join(GROUPS)})')
    ap.add_argument('-o', '--out', default=os.path.join(HERE, 'facts'), help='output directory')
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit('record-facts.py: needs root (mount namespaces, chroot, setresuid)')
    if platform.machine() != 'x86_64':
        sys.exit('record-facts.py: makes x86_64 system calls by number')
    unknown = [g for g in args.groups if g not in GROUPS]
    if unknown:
        sys.exit(f'record-facts.py: unknown group {", ".join(unknown)}; known: {", ".join(GROUPS)}')
    os.makedirs(args.out, exist_ok=True)
    cells = Cells()
    try:
        for group in args.groups or GROUPS:
            doc = record(group, cells)
            with open(os.path.join(args.out, group + '.json'), 'w') as f:
                f.write(dump(doc))
            print(f'{group}: {sum(len(t) for t in doc["facts"].values())} facts in {len(doc["facts"])} tables')
    finally:
        cells.close()


if __name__ == '__main__':
    main()
