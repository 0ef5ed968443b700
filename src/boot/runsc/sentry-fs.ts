/**
 * gVisor's filesystems as the Sentry makes them for a container, built on the emulator's
 * filesystems, each with gVisor's name and the options its MountOptions() prints:
 *
 * | gVisor (pkg/sentry/fsimpl) | name    | MountOptions()                         | emulator          |
 * |----------------------------|---------|----------------------------------------|-------------------|
 * | tmpfs                      | tmpfs   | size=Nk,nr_inodes=N,mode=M,uid=U,gid=G, those given (tmpfs.go:GetFilesystem) | tmpfs |
 * | proc                       | proc    | dentry_cache_limit=1000 (filesystem.go)| proc              |
 * | sys                        | sysfs   | dentry_cache_limit=1000 (sys.go)       | sysfs             |
 * | dev                        | dev     | mode=0755 (its tmpfs's, dev.go)        | tmpfs, populated  |
 * | devpts                     | devpts  | (none) (devpts.go)                     | devpts            |
 * | cgroupfs                   | cgroup  | the controllers (cgroupfs.go)          | cgroup v1         |
 * | overlay                    | overlay | its upper layer's (overlay/filesystem.go) | overlay        |
 * | gofer                      | 9p      | trans=fd,rfdno=…,… (gofer/filesystem.go) | gofer-mount.ts  |
 *
 * /dev (dev.go:GetFilesystem): a tmpfs of mode 0755 made in a mount namespace of its own (one
 * more mount id), holding what systemd and udev would make — the fd, stdin, stdout, stderr links,
 * ptmx → pts/ptmx, the shm and pts directories (userspaceInit) — and a node for every device the
 * Sentry registered (ForEachDevice: memdev's null, zero, full, random, urandom; ttydev's tty;
 * tundev's net/tun under netstack; fuse), each with its /dev/char/MAJOR:MINOR link
 * (createDeviceNumberSymlink). devpts without `newinstance` is one filesystem for the whole
 * sandbox (devpts.go:GetFilesystem's initOnce); its pty mode is 0666.
 */
import { cgroupType } from '../../fs/cgroup/cgroup.js';
import { errno, SysError } from '../../vfs/errno.js';
import { makedev, S_IFCHR, type SuperBlock } from '../../vfs/inode.js';
import type { Mount } from '../../vfs/mount.js';
import { Process } from '../../vfs/process.js';
import { BOOT_BASELINE, CGROUP_CTRLS, type GvisorFs, type SentryVfs } from './sentry-vfs.js';

/** Where the cgroup controllers' mounts and minors are in the boot baseline. */
const BOOT_CGROUP_ID = BOOT_BASELINE.mounts.indexOf('cgroup cpu') + 1;
const BOOT_CGROUP_MINOR = BOOT_BASELINE.minors.indexOf('cgroup cpu') + 1;

/** A disconnected mount and the gVisor filesystem it stands for. */
export interface SentryMount {
  mount: Mount;
  fs: GvisorFs;
}

/** tmpfs.go's options, parsed as GetFilesystem parses them: the data for the emulator and what gVisor prints. */
export function gvisorTmpfsOptions(data: readonly string[], totalRamBytes: number): { emulator: string; printed: string } {
  const printed = new Map<string, string>();
  const emu: string[] = [];
  for (const o of data) {
    const eq = o.indexOf('=');
    const key = eq < 0 ? o : o.slice(0, eq);
    const value = eq < 0 ? '' : o.slice(eq + 1);
    switch (key) {
      case 'size': {
        const bytes = parseSize(value, totalRamBytes);
        const pages = Math.ceil(bytes / 4096);
        printed.set('size', `size=${bytes > 0 ? Math.floor((pages * 4096 + 1023) / 1024) : 0}k`);
        emu.push(`size=${bytes > 0 ? pages * 4096 : 0}`);
        break;
      }
      case 'mode':
        if (!/^[0-7]+$/.test(value)) throw errno('EINVAL');
        printed.set('mode', `mode=${value}`);
        emu.push(`mode=${(parseInt(value, 8) & 0o7777).toString(8)}`);
        break;
      case 'uid':
      case 'gid':
        if (!/^\d+$/.test(value)) throw errno('EINVAL');
        printed.set(key, `${key}=${value}`);
        emu.push(o);
        break;
      case 'nr_inodes':
        printed.set(key, `nr_inodes=${parseSize(value, totalRamBytes)}`);
        emu.push(o);
        break;
      case 'noswap':
        break;
      default:
        throw errno('EINVAL');
    }
  }
  const order = ['size', 'nr_inodes', 'mode', 'uid', 'gid'];
  return { emulator: emu.join(','), printed: order.flatMap((k) => (printed.has(k) ? [printed.get(k)!] : [])).join(',') };
}

/** tmpfs.go:parseSize: k, m, g, t, p, e suffixes (powers of 1024) or a percentage of memory. */
function parseSize(s: string, totalRamBytes: number): number {
  if (s === '') throw errno('EINVAL');
  const units = 'kmgtpe';
  const last = s[s.length - 1]!.toLowerCase();
  let count = 1;
  let digits = s;
  const u = units.indexOf(last);
  if (u >= 0) {
    count = 1024 ** (u + 1);
    digits = s.slice(0, -1);
  } else if (last === '%') {
    count = Math.floor(totalRamBytes / 100);
    digits = s.slice(0, -1);
  }
  if (!/^\d+$/.test(digits)) throw errno('EINVAL');
  return Number(digits) * count;
}

/** A tmpfs (tmpfs.go:GetFilesystem) from the data words runsc passes it. */
export function mountTmpfs(v: SentryVfs, data: readonly string[], what: string): SentryMount {
  const o = gvisorTmpfsOptions(data, v.kernel.totalRamPages * 4096);
  const fs = v.newFs('tmpfs', () => o.printed);
  const mount = v.kernel.newMount(v.creds, 'tmpfs', 'none', 0, o.emulator, 0);
  const g = v.register(mount, fs);
  v.record({ call: 'MountDisconnected', what: `tmpfs for ${what}${o.printed ? ` (${o.printed})` : ''}`, id: g.id, minor: fs.minor });
  return { mount, fs };
}

/** proc (proc/filesystem.go) or sysfs (sys/sys.go): a new filesystem each time. */
export function mountKernfs(v: SentryVfs, name: 'proc' | 'sysfs', what: string): SentryMount {
  const fs = v.newFs(name, () => 'dentry_cache_limit=1000');
  const mount = v.kernel.newMount(v.creds, name, name, 0, '', 0);
  const g = v.register(mount, fs);
  v.record({ call: 'MountDisconnected', what: `${name} for ${what}`, id: g.id, minor: fs.minor });
  return { mount, fs };
}

/**
 * Devices the Sentry registers at boot (runsc/boot/vfs.go:registerFilesystems), [path, major,
 * minor]: memdev.go:Register's five (MEM_MAJOR), ttydev.go's tty, tundev.go's net/tun (netstack
 * has it), fuse/register.go's fuse (MISC_MAJOR); each 0666.
 */
const DEVICES: readonly (readonly [string, number, number])[] = [
  ['null', 1, 3], ['zero', 1, 5], ['full', 1, 7], ['random', 1, 8], ['urandom', 1, 9],
  ['tty', 5, 0], ['net/tun', 10, 200], ['fuse', 10, 229],
];

/** Runs `fn` as a root task whose root is `m` (a filesystem's own setup, before it is mounted). */
export function asTaskOn(v: SentryVfs, m: Mount, fn: (p: Process) => void): void {
  // The task needs some namespace; it walks only from its root, the filesystem being set up.
  const p = new Process(v.kernel, v.kernel.namespaces[0]!, { mnt: m, dentry: m.root }, v.creds);
  p.umask = 0;
  try {
    fn(p);
  } finally {
    p.exit();
  }
}

/** dev.go:GetFilesystem: gVisor's /dev. */
export function mountDev(v: SentryVfs): SentryMount {
  const fs = v.newFs('dev', () => 'mode=0755');
  // The filesystem is made through a mount namespace of its own, whose root mount takes an id.
  const internal = v.internalMount();
  const mount = v.kernel.newMount(v.creds, 'tmpfs', 'none', 0, 'mode=755', 0);
  asTaskOn(v, mount, (p) => {
    for (const [name, target] of [['fd', '/proc/self/fd'], ['stdin', '/proc/self/fd/0'], ['stdout', '/proc/self/fd/1'], ['stderr', '/proc/self/fd/2'], ['ptmx', 'pts/ptmx']]) p.symlink(target!, `/${name}`);
    p.mkdir('/shm', 0o755);
    p.mkdir('/pts', 0o755);
    for (const [path, major, minor] of DEVICES) {
      if (path.includes('/')) p.mkdir(`/${path.slice(0, path.lastIndexOf('/'))}`, 0o755);
      p.mknod(`/${path}`, S_IFCHR | 0o666, makedev(major, minor));
      createDeviceNumberSymlink(p, '', path, major, minor);
    }
  });
  const g = v.register(mount, fs);
  v.record({ call: 'MountDisconnected', what: `dev for /dev (its own namespace root took id ${internal})`, id: g.id, minor: fs.minor });
  return { mount, fs };
}

/** dev.go:createDeviceNumberSymlink: /dev/char/MAJOR:MINOR → ../NAME. */
export function createDeviceNumberSymlink(p: Process, prefix: string, rel: string, major: number, minor: number): void {
  // EEXIST is fine for both: the directory is shared, and a link may be there already.
  const tolerate = (fn: () => void): void => {
    try {
      fn();
    } catch (e) {
      if (!(e instanceof SysError && e.code === 'EEXIST')) throw e;
    }
  };
  tolerate(() => p.mkdir(`${prefix}/char`, 0o755));
  tolerate(() => p.symlink(`../${rel}`, `${prefix}/char/${major}:${minor}`));
}

/** devpts.go: one instance for the sandbox, made on first use. */
export function mountDevpts(v: SentryVfs, shared: { sb: SuperBlock | null; fs: GvisorFs | null }): SentryMount {
  if (!shared.sb || !shared.fs) {
    shared.fs = v.newFs('devpts', () => '');
    shared.sb = v.kernel.filesystems.get('devpts')!.mount(v.kernel.fsContext(v.creds), 'devpts', 0, 'ptmxmode=666');
  }
  const mount = v.kernel.mountOf(shared.sb, v.kernel.sbRoot(shared.sb), 'devpts', 0);
  const g = v.register(mount, shared.fs);
  v.record({ call: 'MountDisconnected', what: 'devpts (the sandbox\'s one instance)', id: g.id, minor: shared.fs.minor });
  return { mount, fs: shared.fs };
}

/**
 * The kernel's cgroupfs mounts, one per controller (vfs.go:mountCgroupMounts), made at boot:
 * their ids and minors are the boot baseline's (sentry-vfs.ts), their content the emulator's
 * cgroup v1 hierarchy with gVisor's controller names.
 */
export function kernelCgroupMounts(v: SentryVfs): { ctrl: string; mount: Mount; fs: GvisorFs }[] {
  const type = cgroupType({ hierarchies: [], enabled: [...CGROUP_CTRLS], free: [...CGROUP_CTRLS], v2Flags: [] });
  return CGROUP_CTRLS.map((ctrl, i) => {
    const sb = type.mount(v.kernel.fsContext(v.creds), 'cgroup', 0, ctrl);
    const mount = v.kernel.mountOf(sb, v.kernel.sbRoot(sb), 'cgroup', 0);
    const fs: GvisorFs = { name: 'cgroup', minor: BOOT_CGROUP_MINOR + i, options: () => ctrl };
    v.registerAt(mount, fs, BOOT_CGROUP_ID + i);
    return { ctrl, mount, fs };
  });
}

