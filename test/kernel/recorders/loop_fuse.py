"""Loop devices (attach, LO_FLAGS_AUTOCLEAR and when it fires, detach, EBUSY) and a minimal FUSE mount.

Serves test/unit/loop-device.test.ts, test/unit/containerd-loop.test.ts and test/unit/fuse-mount.test.ts.
This is a trusted, fixed recorder (the native backend's sandbox refuses block devices and
/dev/fuse to untrusted plans: docs/native-sandbox.md). Each case runs in a cell
(recorders/harness.py): /dev/loop-control and /dev/loopN are made there with mknod, sysfs is
mounted at /sys, and the backing file /vfsemu-loop-fact.img is a small ext4 image made by
mkfs.ext4 in the parent before any case (e2fsprogs is needed). A loop device is global kernel
state: every case detaches what it attached, in a `finally`, and record() sweeps the host's loop
devices for the image's name at the end, so that not even a killed case leaves one bound.

The loop facts are the containerd bug of issue #4969 (fixed by commit 05a2e280, 2021): setupLoop()
configured a device with LO_FLAGS_AUTOCLEAR and closed it before returning its name, so the
device was detached before mount(2) opened it; the fix returns the open device, closed by
mount.All's caller after the mount holds the device.

FUSE: the kernel's answers to a daemon of a few lines (INIT, GETATTR, LOOKUP, OPENDIR, READDIR,
OPEN, READ, RELEASE) on /dev/fuse, run in a forked child of the cell.
"""

import ctypes
import errno
import os
import stat
import struct
import subprocess
import tempfile
import time

from .harness import R, errno_of, libc, names, statfs, sys_mount, value_or_errno

IMAGE = '/vfsemu-loop-fact.img'
IMAGE_BYTES = None  # the ext4 image, made once in the parent (record())

# include/uapi/linux/loop.h
LOOP_SET_FD, LOOP_CLR_FD, LOOP_SET_STATUS64, LOOP_GET_STATUS64, LOOP_CONFIGURE = 0x4C00, 0x4C01, 0x4C04, 0x4C05, 0x4C0A
LOOP_CTL_ADD, LOOP_CTL_REMOVE, LOOP_CTL_GET_FREE = 0x4C80, 0x4C81, 0x4C82
LO_FLAGS_READ_ONLY, LO_FLAGS_AUTOCLEAR = 1, 4
LOOP_MAJOR, LOOP_CTL_MINOR = 7, 237
INFO64 = 232  # sizeof(struct loop_info64)
FLAGS_AT = 52  # offsetof(struct loop_info64, lo_flags)
NAME_AT = 56  # offsetof(struct loop_info64, lo_file_name)


def ioctl(fd, req, arg=0):
    """ioctl(2) with an integer or a pointer (bytes-like) argument; raises OSError."""
    if isinstance(arg, (bytes, bytearray)):
        buf = ctypes.create_string_buffer(bytes(arg), len(arg))
        R.check(libc.ioctl(fd, ctypes.c_ulong(req), buf), 'ioctl')
        return buf.raw
    return R.check(libc.ioctl(fd, ctypes.c_ulong(req), ctypes.c_ulong(arg)), 'ioctl')


def info64(flags, name=IMAGE):
    b = bytearray(INFO64)
    struct.pack_into('I', b, FLAGS_AT, flags)
    b[NAME_AT:NAME_AT + len(name)] = name.encode()
    return bytes(b)


def config(backfd, flags):
    """struct loop_config: fd, block_size 0, loop_info64, 8 reserved u64."""
    return struct.pack('II', backfd, 0) + info64(flags) + bytes(64)


class Loops:
    """The cell's loop world: the nodes, sysfs, the image; every device it attached detached
    again on exit (umount first, then LOOP_CLR_FD if still bound)."""

    def __enter__(self):
        os.mkdir('/dev')
        os.mknod('/dev/loop-control', stat.S_IFCHR | 0o600, os.makedev(10, LOOP_CTL_MINOR))
        os.mkdir('/sys')
        sys_mount('sysfs', '/sys', 'sysfs', 0, None)
        with open(IMAGE, 'wb') as f:
            f.write(IMAGE_BYTES)
        os.mkdir('/mnt')
        self.used = []
        self.fds = []
        return self

    def free(self):
        """LOOP_CTL_GET_FREE, and the node /dev/loopN."""
        ctl = os.open('/dev/loop-control', os.O_RDWR)
        try:
            n = ioctl(ctl, LOOP_CTL_GET_FREE)
        finally:
            os.close(ctl)
        path = f'/dev/loop{n}'
        if not os.path.exists(path):
            os.mknod(path, stat.S_IFBLK | 0o600, os.makedev(LOOP_MAJOR, n))
        self.used.append(n)
        return n, path

    def open(self, path, flags=os.O_RDWR):
        fd = os.open(path, flags)
        self.fds.append(fd)
        return fd

    def close(self, fd):
        self.fds.remove(fd)
        os.close(fd)

    def attach(self, autoclear, backflags=os.O_RDWR):
        """containerd's setupLoopDev() with LOOP_CONFIGURE: the open device and its number."""
        n, path = self.free()
        back = os.open(IMAGE, backflags)
        try:
            fd = self.open(path, backflags)
            ioctl(fd, LOOP_CONFIGURE, config(back, LO_FLAGS_AUTOCLEAR if autoclear else 0))
        finally:
            os.close(back)
        return n, path, fd

    def __exit__(self, *exc):
        try:
            R.sys_umount2('/mnt', R.MNT['detach'])
        except OSError:
            pass
        for fd in list(self.fds):
            os.close(fd)
        for n in self.used:
            try:
                fd = os.open(f'/dev/loop{n}', os.O_RDONLY)
            except OSError:
                continue
            try:
                ioctl(fd, LOOP_CLR_FD)
            except OSError:
                pass
            finally:
                os.close(fd)
        return False


def sysattr(n, name):
    """/sys/block/loopN/loop/NAME's text, or the errno of reading it (the directory exists only
    while the device is bound)."""
    def read():
        with open(f'/sys/block/loop{n}/loop/{name}') as f:
            return f.read().strip()
    return value_or_errno(read)


def settled(n):
    """The device's state once a detach that autoclear may run asynchronously has had time:
    polled for up to a second."""
    for _ in range(20):
        if not os.path.exists(f'/sys/block/loop{n}/loop'):
            break
        time.sleep(0.05)
    return state(n)


def state(n):
    return {'backing_file': sysattr(n, 'backing_file'), 'autoclear': sysattr(n, 'autoclear')}


def status_flags(fd):
    """LOOP_GET_STATUS64's lo_flags."""
    return struct.unpack_from('I', ioctl(fd, LOOP_GET_STATUS64, bytes(INFO64)), FLAGS_AT)[0]


def mount_ext4(path):
    sys_mount(path, '/mnt', 'ext4', 0, None)


# --- the cases ----------------------------------------------------------------------------------

def control():
    with Loops() as L:
        n, path = L.free()
        out = {'LOOP_CTL_GET_FREE gives a number': isinstance(n, int) and n >= 0}
        out['a free device: backing_file'] = sysattr(n, 'backing_file')
        fd = L.open(path)
        out['a free device: LOOP_GET_STATUS64'] = errno_of(status_flags, fd)
        out['a free device: LOOP_CLR_FD'] = errno_of(ioctl, fd, LOOP_CLR_FD)
        ctl = L.open('/dev/loop-control')
        out['LOOP_CTL_GET_FREE on a loop device (not loop-control)'] = errno_of(ioctl, fd, LOOP_CTL_GET_FREE)
        out['LOOP_CONFIGURE on loop-control'] = errno_of(ioctl, ctl, LOOP_CONFIGURE, config(fd, 0))
        d = os.open('/', os.O_RDONLY | os.O_DIRECTORY)
        out['LOOP_CONFIGURE with a directory as backing fd'] = errno_of(ioctl, fd, LOOP_CONFIGURE, config(d, 0))
        os.close(d)
        out['LOOP_CONFIGURE with a closed fd'] = errno_of(ioctl, fd, LOOP_CONFIGURE, config(999, 0))
        out['LOOP_SET_FD with a closed fd'] = errno_of(ioctl, fd, LOOP_SET_FD, 999)
        return out


def bound():
    """A device configured with LOOP_CONFIGURE and autoclear, its setup descriptor still open."""
    with Loops() as L:
        n, path, fd = L.attach(autoclear=True)
        out = {'state': state(n), 'LOOP_GET_STATUS64 lo_flags': status_flags(fd)}
        back = os.open(IMAGE, os.O_RDWR)
        out['LOOP_CONFIGURE again'] = errno_of(ioctl, fd, LOOP_CONFIGURE, config(back, 0))
        out['LOOP_SET_FD again'] = errno_of(ioctl, fd, LOOP_SET_FD, back)
        os.close(back)
        ctl = L.open('/dev/loop-control')
        out['LOOP_CTL_REMOVE of it'] = errno_of(ioctl, ctl, LOOP_CTL_REMOVE, n)
        out['ro'] = value_or_errno(lambda: open(f'/sys/block/loop{n}/ro').read().strip())
        out['size (512-byte sectors)'] = value_or_errno(lambda: int(open(f'/sys/block/loop{n}/size').read()))
        return out


def read_only_backing():
    """LOOP_CONFIGURE over a backing file opened O_RDONLY (containerd's `ro` with `loop`)."""
    with Loops() as L:
        n, path, fd = L.attach(autoclear=True, backflags=os.O_RDONLY)
        out = {'ro': value_or_errno(lambda: open(f'/sys/block/loop{n}/ro').read().strip())}
        out['LOOP_GET_STATUS64 lo_flags'] = status_flags(fd)
        out['open the device O_RDWR'] = errno_of(lambda: os.close(os.open(path, os.O_RDWR)))
        out['mount ext4 rw'] = errno_of(mount_ext4, path)
        out['mount ext4 ro'] = errno_of(sys_mount, path, '/mnt', 'ext4', R.MS['rdonly'], None)
        return out


def early_close():
    """containerd before 05a2e280: autoclear set, the setup descriptor closed, then mount(2)."""
    with Loops() as L:
        n, path, fd = L.attach(autoclear=True)
        L.close(fd)
        out = {'state after the close': settled(n)}
        out['mount ext4 of the device'] = errno_of(mount_ext4, path)
        fd = L.open(path)
        out['open the device then'] = 'OK'
        out['LOOP_GET_STATUS64 then'] = errno_of(status_flags, fd)
        return out


def mount_then_close():
    """containerd since 05a2e280: mount(2) while the setup descriptor is open, then close it."""
    with Loops() as L:
        n, path, fd = L.attach(autoclear=True)
        out = {'mount ext4 of the device': errno_of(mount_ext4, path)}
        L.close(fd)
        out['state after the close, mounted'] = settled(n)
        out['names of the mount'] = names('/mnt')
        R.sys_umount2('/mnt', 0)
        out['state after umount'] = settled(n)
        return out


def two_openers():
    """Autoclear fires on the last close only."""
    with Loops() as L:
        n, path, fd = L.attach(autoclear=True)
        other = L.open(path, os.O_RDONLY)
        L.close(fd)
        out = {'state after closing one of two': settled(n)}
        L.close(other)
        out['state after closing the other'] = settled(n)
        return out


def no_autoclear():
    """Without autoclear the device stays bound after every close, until LOOP_CLR_FD."""
    with Loops() as L:
        n, path, fd = L.attach(autoclear=False)
        L.close(fd)
        out = {'state after the close': settled(n)}
        fd = L.open(path)
        out['LOOP_CLR_FD'] = errno_of(ioctl, fd, LOOP_CLR_FD)
        out['state after LOOP_CLR_FD, the device still open'] = state(n)
        L.close(fd)
        out['state after LOOP_CLR_FD and close'] = settled(n)
        return out


def clear_while_mounted():
    """LOOP_CLR_FD while a mount holds the device: lo_flags gains autoclear, the detach waits."""
    with Loops() as L:
        n, path, fd = L.attach(autoclear=False)
        mount_ext4(path)
        out = {'LOOP_CLR_FD while mounted': errno_of(ioctl, fd, LOOP_CLR_FD)}
        out['state then'] = state(n)
        L.close(fd)
        out['state after closing the setup fd'] = settled(n)
        R.sys_umount2('/mnt', 0)
        out['state after umount'] = settled(n)
        return out


def set_fd_then_status():
    """The pre-5.8 path: LOOP_SET_FD, then LOOP_SET_STATUS64 with autoclear."""
    with Loops() as L:
        n, path = L.free()
        fd = L.open(path)
        back = os.open(IMAGE, os.O_RDWR)
        out = {'LOOP_SET_FD': errno_of(ioctl, fd, LOOP_SET_FD, back)}
        os.close(back)
        out['autoclear after LOOP_SET_FD'] = sysattr(n, 'autoclear')
        out['LOOP_SET_STATUS64 autoclear'] = errno_of(ioctl, fd, LOOP_SET_STATUS64, info64(LO_FLAGS_AUTOCLEAR))
        out['state then'] = state(n)
        L.close(fd)
        out['state after the close'] = settled(n)
        return out


def mount_errors():
    """mount(2) of what is not a usable block device."""
    with Loops() as L:
        n, path = L.free()
        out = {'ext4 of an unbound loop device': errno_of(mount_ext4, path)}
        out['ext4 of a regular file'] = errno_of(mount_ext4, IMAGE)
        out['ext4 of a missing path'] = errno_of(mount_ext4, '/nonexistent')
        os.mknod('/chr', stat.S_IFCHR | 0o600, os.makedev(1, 3))
        out['ext4 of a character device'] = errno_of(mount_ext4, '/chr')
        return out


LOOP_CASES = {
    'control and a free device': control,
    'bound (LOOP_CONFIGURE, autoclear, setup fd open)': bound,
    'read-only backing file': read_only_backing,
    'early close (containerd before 05a2e280)': early_close,
    'mount, then close (containerd since 05a2e280)': mount_then_close,
    'two openers': two_openers,
    'no autoclear': no_autoclear,
    'LOOP_CLR_FD while mounted': clear_while_mounted,
    'LOOP_SET_FD then LOOP_SET_STATUS64': set_fd_then_status,
    'mount errors': mount_errors,
}


# --- FUSE ---------------------------------------------------------------------------------------
# include/uapi/linux/fuse.h: fuse_in_header (len u32, opcode u32, unique u64, nodeid u64, uid,
# gid, pid u32, total_extlen u16, padding u16: 40 bytes), fuse_out_header (len u32, error i32,
# unique u64: 16 bytes).

FUSE_LOOKUP, FUSE_GETATTR, FUSE_OPEN, FUSE_READ, FUSE_RELEASE, FUSE_INIT = 1, 3, 14, 15, 18, 26
FUSE_OPENDIR, FUSE_READDIR, FUSE_RELEASEDIR, FUSE_STATFS, FUSE_GETXATTR, FUSE_FLUSH, FUSE_ACCESS = 27, 28, 29, 17, 22, 25, 34
FUSE_DESTROY, FUSE_FORGET, FUSE_BATCH_FORGET, FUSE_INTERRUPT = 38, 2, 42, 36
HELLO = b'hello from fuse\n'
# The daemon's tree: nodeid 1 the root, 2 the file `hello`, and `secret`, whose LOOKUP the daemon
# answers -EACCES. Attributes: ino, size, blocks, atime, mtime, ctime, their nsecs, mode, nlink,
# uid, gid, rdev, blksize, flags (struct fuse_attr, 88 bytes).
NODES = {1: (stat.S_IFDIR | 0o755, 2, 0), 2: (stat.S_IFREG | 0o644, 1, len(HELLO))}


def fuse_attr(nodeid):
    mode, nlink, size = NODES[nodeid]
    return struct.pack('QQQQQQIIIIIIIIII', nodeid, size, (size + 511) // 512, 1000, 2000, 3000, 0, 0, 0,
                       mode, nlink, 1234, 5678, 0, 4096, 0)


def entry_out(nodeid):
    """fuse_entry_out: nodeid, generation, entry_valid, attr_valid, their nsecs, attr."""
    return struct.pack('QQQQII', nodeid, 1, 0, 0, 0, 0) + fuse_attr(nodeid)


def attr_out(nodeid):
    return struct.pack('QII', 0, 0, 0) + fuse_attr(nodeid)


def dirent(ino, off, name, typ):
    b = name.encode()
    rec = struct.pack('QQII', ino, off, len(b), typ) + b
    return rec + bytes((8 - len(rec) % 8) % 8)


def daemon(dev):
    """Answers requests on `dev` until the connection ends (ENODEV) or DESTROY."""
    while True:
        try:
            req = os.read(dev, 1 << 20)
        except OSError as e:
            if e.errno in (errno.ENODEV, errno.EINTR):
                return
            raise
        length, opcode, unique, nodeid = struct.unpack_from('IIQQ', req, 0)
        body = req[40:length]
        err, out = 0, b''
        if opcode == FUSE_INIT:
            major, minor = struct.unpack_from('II', body, 0)
            # fuse_init_out: major, minor, max_readahead, flags, max_background,
            # congestion_threshold, max_write, time_gran, max_pages, map_alignment, flags2,
            # max_stack_depth, request_timeout, unused[11]: 64 bytes.
            out = struct.pack('IIIIHHIIHHII', 7, min(minor, 31), 65536, 0, 16, 12, 65536, 1, 32, 0, 0, 0) + bytes(16)
        elif opcode in (FUSE_FORGET, FUSE_BATCH_FORGET, FUSE_INTERRUPT):
            continue
        elif opcode == FUSE_DESTROY:
            os.write(dev, struct.pack('IiQ', 16, 0, unique))
            return
        elif opcode == FUSE_GETATTR:
            out = attr_out(nodeid)
        elif opcode == FUSE_LOOKUP:
            name = body.split(b'\0', 1)[0]
            if nodeid == 1 and name == b'hello':
                out = entry_out(2)
            elif nodeid == 1 and name == b'secret':
                err = -errno.EACCES
            else:
                err = -errno.ENOENT
        elif opcode in (FUSE_OPEN, FUSE_OPENDIR):
            out = struct.pack('QII', 7, 0, 0)
        elif opcode == FUSE_READ:
            _fh, off, size = struct.unpack_from('QQI', body, 0)
            out = HELLO[off:off + size]
        elif opcode == FUSE_READDIR:
            _fh, off, size = struct.unpack_from('QQI', body, 0)
            ents = [(1, '.', 4), (1, '..', 4), (2, 'hello', 8)]
            out = b''.join(dirent(ino, i + 1, name, typ) for i, (ino, name, typ) in enumerate(ents) if i >= off)
        elif opcode in (FUSE_RELEASE, FUSE_RELEASEDIR, FUSE_FLUSH):
            out = b''
        elif opcode == FUSE_STATFS:
            # fuse_kstatfs: blocks, bfree, bavail, files, ffree, bsize, namelen, frsize, padding, spare[6]
            out = struct.pack('QQQQQIIII', 100, 50, 40, 10, 5, 4096, 255, 4096, 0) + bytes(24)
        else:
            err = -errno.ENOSYS
        os.write(dev, struct.pack('IiQ', 16 + len(out), err, unique) + out)


def with_daemon(fstype, data_extra, fn):
    """Mounts a FUSE filesystem of type `fstype` on /f, served by daemon() in a forked child;
    fn()'s answer, then the mount is taken off (which ends the daemon)."""
    os.mkdir('/dev')
    os.mknod('/dev/fuse', stat.S_IFCHR | 0o666, os.makedev(10, 229))
    os.mkdir('/f')
    dev = os.open('/dev/fuse', os.O_RDWR)
    sys_mount('src', '/f', fstype, 0, f'fd={dev},rootmode=40000,user_id=0,group_id=0{data_extra}')
    pid = os.fork()
    if pid == 0:
        try:
            daemon(dev)
        finally:
            os._exit(0)
    os.close(dev)
    try:
        return fn()
    finally:
        try:
            R.sys_umount2('/f', R.MNT['detach'])
        except OSError:
            pass
        os.waitpid(pid, 0)


def mountinfo_line(target):
    with open('/proc/self/mountinfo') as f:
        for line in f:
            fields = line.split()
            if fields[4] == target:
                sep = fields.index('-')
                return ' '.join(fields[5:6] + fields[sep:])
    return None


def fuse_basic():
    def probe():
        os.mkdir('/proc')
        sys_mount('proc', '/proc', 'proc', 0, None)
        st = os.stat('/f/hello')
        out = {
            'mountinfo of /f (options - type source super)': mountinfo_line('/f'),
            'statfs f_type': hex(statfs('/f')['type']),
            'stat /f/hello [mode, nlink, uid, gid, size, blocks, mtime]': [oct(st.st_mode), st.st_nlink, st.st_uid, st.st_gid, st.st_size, st.st_blocks, int(st.st_mtime)],
            'readdir /f': names('/f'),
            'read /f/hello': value_or_errno(lambda: open('/f/hello').read()),
            'stat /f/missing': errno_of(os.stat, '/f/missing'),
            'stat /f/secret (LOOKUP answered -EACCES)': errno_of(os.stat, '/f/secret'),
            'mkdir /f/d (MKDIR answered -ENOSYS)': errno_of(os.mkdir, '/f/d'),
        }
        return out
    return with_daemon('fuse', '', probe)


def fuse_subtype():
    def probe():
        os.mkdir('/proc')
        sys_mount('proc', '/proc', 'proc', 0, None)
        return mountinfo_line('/f')
    return with_daemon('fuse.vfsemu', '', probe)


def fuse_mount_errors():
    os.mkdir('/f')
    os.mkdir('/dev')
    os.mknod('/dev/fuse', stat.S_IFCHR | 0o666, os.makedev(10, 229))
    dev = os.open('/dev/fuse', os.O_RDWR)
    out = {
        'fuse without fd=': errno_of(sys_mount, 'src', '/f', 'fuse', 0, 'rootmode=40000,user_id=0,group_id=0'),
        'fuse without rootmode=': errno_of(sys_mount, 'src', '/f', 'fuse', 0, f'fd={dev},user_id=0,group_id=0'),
        'fuse with an fd not of /dev/fuse': errno_of(sys_mount, 'src', '/f', 'fuse', 0, 'fd=0,rootmode=40000,user_id=0,group_id=0'),
        'fuse3.sub (no such type)': errno_of(sys_mount, 'src', '/f', 'fuse3.sub', 0, f'fd={dev},rootmode=40000,user_id=0,group_id=0'),
    }
    os.close(dev)
    return out


def fuse_subtype_option():
    def probe():
        os.mkdir('/proc')
        sys_mount('proc', '/proc', 'proc', 0, None)
        return mountinfo_line('/f')
    return with_daemon('fuse', ',subtype=vfsemu', probe)


FUSE_CASES = {'a daemon of a few lines': fuse_basic, 'type fuse.vfsemu': fuse_subtype, 'type fuse, subtype=vfsemu': fuse_subtype_option, 'mount errors': fuse_mount_errors}


def make_image():
    with tempfile.TemporaryDirectory(prefix='vfsemu-loop-') as d:
        img = os.path.join(d, 'img')
        with open(img, 'wb') as f:
            f.truncate(2 << 20)
        try:
            subprocess.run(['mkfs.ext4', '-q', '-F', '-O', '^has_journal', img], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        except FileNotFoundError:
            raise SystemExit('loop-fuse: mkfs.ext4 (e2fsprogs) is needed to make the loop image') from None
        with open(img, 'rb') as f:
            return f.read()


def sweep():
    """Detaches any host loop device still backed by the image (a case killed before its
    `finally`): none is expected; the count is returned so that a leak shows in the facts."""
    left = 0
    for name in os.listdir('/sys/block'):
        p = f'/sys/block/{name}/loop/backing_file'
        try:
            with open(p) as f:
                backing = f.read().strip()
        except OSError:
            continue
        if backing.removesuffix(' (deleted)') == IMAGE:
            left += 1
            fd = os.open(f'/dev/{name}', os.O_RDONLY)
            try:
                ioctl(fd, LOOP_CLR_FD)
            except OSError:
                pass
            finally:
                os.close(fd)
    return left


def record(cells):
    global IMAGE_BYTES
    IMAGE_BYTES = make_image()
    try:
        loops = cells.each(LOOP_CASES)
        fuse = cells.each(FUSE_CASES)
    finally:
        left = sweep()
    facts = {f'loop: {case}': table for case, table in loops.items()}
    facts.update({f'fuse: {case}': (table if isinstance(table, dict) else {'mountinfo of /f (options - type source super)': table}) for case, table in fuse.items()})
    facts['cleanup'] = {'loop devices left bound to the image after every case': left}
    return facts
