#!/usr/bin/env python3
"""
sysfs superblocks and network namespaces, measured: runs a few plans (docs/plan-format.md ops
mkdir, mount, umount and unshare with the `flags` extension) on this kernel and writes their
outcomes to test/boot/sysfs-netns.json, which test/boot/sysfs-netns.test.ts replays on the
emulator. Needs root.

    python3 test/boot/record-sysfs-netns.py

Each plan runs in a forked child that unshares a private mount namespace and mounts a fresh
tmpfs (`mount -t tmpfs -o mode=755 none TOP`) as the sandbox root; plan paths are under TOP, and
the mountinfo lines are the ones at or under TOP with TOP taken off their mount point. The child
exits, its namespaces go with it; nothing is left on the host. (record.py does the same for the
general fixtures with chroot and more ops; it has no network namespaces yet.)
"""
import ctypes, json, os, platform, sys, tempfile

libc = ctypes.CDLL(None, use_errno=True)
libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
CLONE = {'mnt': 0x20000, 'net': 0x40000000}
MS = {'rdonly': 1, 'nosuid': 2, 'nodev': 4, 'noexec': 8, 'remount': 32, 'bind': 4096, 'rec': 16384, 'private': 1 << 18}
UMOUNT = {'detach': 2}
import errno as E

RO = ['rdonly', 'nosuid', 'nodev', 'noexec']
def mount(target, flags=(), data=None, fstype='sysfs', source='sysfs'):
    op = {'op': 'mount', 'source': source, 'target': target, 'fstype': fstype, 'flags': list(flags)}
    if data is not None: op['data'] = data
    return op
dirs = [{'op': 'mkdir', 'path': f'/{d}'} for d in 'abcdef']
PLANS = {
    # init_net's superblock is the host's (rw); a new namespace's first mount makes one, ro here,
    # and a second mount shares it whatever its own flags.
    'sysfs-new-netns': dirs + [mount('/a', RO), {'op': 'unshare', 'flags': ['net']}, mount('/b', RO), mount('/c')],
    # the superblock goes with its last mount; the next mount makes a new one with its flags;
    # options are EINVAL.
    'sysfs-netns-last-mount': dirs + [
        {'op': 'unshare', 'flags': ['net']}, mount('/b', RO), {'op': 'umount', 'target': '/b'},
        mount('/d'), mount('/e', RO), mount('/f', data='foo'),
    ],
    # a remount without bind changes the superblock, which every mount of it shows.
    'sysfs-netns-remount': dirs + [{'op': 'unshare', 'flags': ['net']}, mount('/d'), mount('/e', RO), mount('/d', ['remount', 'rdonly'], source='')],
    # one unshare of both: the new mount namespace's sysfs is the new network namespace's.
    'sysfs-unshare-mnt-net': dirs + [mount('/a', RO), {'op': 'unshare', 'flags': ['mnt', 'net']}, mount('/b', RO), {'op': 'unshare', 'flags': []}, mount('/c')],
}

def lines(fd, top):
    os.lseek(fd, 0, 0)
    text = b''
    while True:
        chunk = os.read(fd, 65536)
        if not chunk: break
        text += chunk
    out = []
    for l in text.decode().splitlines():
        f = l.split(' ')
        if f[4] == top: f[4] = '/'
        elif f[4].startswith(top + '/'): f[4] = f[4][len(top):]
        else: continue
        out.append(' '.join(f))
    return out

def child(plan, w, top):
    def fail(what):
        raise OSError(ctypes.get_errno(), what)
    if libc.unshare(CLONE['mnt']) != 0: fail('unshare')
    if libc.mount(None, b'/', None, MS['rec'] | MS['private'], None) != 0: fail('private')
    if libc.mount(b'none', top.encode(), b'tmpfs', 0, b'mode=755') != 0: fail('tmpfs')
    fds = [os.open('/proc/self/mountinfo', os.O_RDONLY)]
    results = []
    for op in plan:
        r = 0
        if op['op'] == 'mkdir':
            try: os.mkdir(top + op['path'], 0o755)
            except OSError as e: r = e.errno
        elif op['op'] == 'mount':
            flags = sum(MS[f] for f in op['flags'])
            r = libc.mount(op['source'].encode(), (top + op['target']).encode(), op['fstype'].encode() or None, flags, op['data'].encode() if 'data' in op else None)
        elif op['op'] == 'umount':
            r = libc.umount2((top + op['target']).encode(), sum(UMOUNT[f] for f in op.get('flags', [])))
        elif op['op'] == 'unshare':
            names = op.get('flags', ['mnt'])
            r = libc.unshare(sum(CLONE[n] for n in names))
            if r == 0 and 'mnt' in names: fds.append(os.open('/proc/self/mountinfo', os.O_RDONLY))
        if r == -1: r = ctypes.get_errno()
        results.append({'ok': True} if r == 0 else {'ok': False, 'errno': E.errorcode[r]})
    namespaces = [lines(fd, top) for fd in fds]
    os.write(w, json.dumps({'results': results, 'mountinfo': namespaces[-1], 'namespaces': namespaces}).encode())

def run(plan):
    # Made and removed out here: the child's tmpfs on it goes with the child's namespace.
    top = tempfile.mkdtemp(prefix='vfsemu-sysfs.')
    try: return run_in(plan, top)
    finally: os.rmdir(top)

def run_in(plan, top):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try: child(plan, w, top)
        except BaseException as e:
            os.write(w, json.dumps({'error': repr(e)}).encode()); os._exit(1)
        os._exit(0)
    os.close(w)
    data = b''
    while True:
        chunk = os.read(r, 65536)
        if not chunk: break
        data += chunk
    os.waitpid(pid, 0)
    out = json.loads(data)
    if 'error' in out: sys.exit(f'plan failed to run: {out["error"]}')
    return out

if os.geteuid() != 0: sys.exit('record-sysfs-netns: needs root')
recorded = f'Linux {platform.release()}'
doc = {name: {'plan': {'version': 1, 'ops': ops}, 'kernel': run(ops), 'recorded': recorded} for name, ops in PLANS.items()}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'sysfs-netns.json')
with open(path, 'w') as f: json.dump(doc, f, indent=1); f.write('\n')
print(f'wrote {path}')
