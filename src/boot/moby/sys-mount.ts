/**
 * moby's mount helpers (github.com/moby/sys/mount) over a Process: `Mount(device, target, type,
 * options)` turns an fstab-style option string into MS_* flags (flags_unix.go parseOptions) and
 * makes the calls mounter_linux.go's `mount()` makes — the mount without the propagation flags, then
 * the propagation change, then a read-only remount when a bind asked for "ro" (mounter_linux.go)
 * — and `Unmount` detaches lazily (MNT_DETACH), as moby's Unmount does. MakeRSlave/MakeRPrivate
 * are sharedsubtree_linux.go's (a path that is no mount point is bound onto itself first).
 */
import { MNT_DETACH, MS_BIND, MS_DIRSYNC, MS_MANDLOCK, MS_NOATIME, MS_NODEV, MS_NODIRATIME, MS_NOEXEC, MS_NOSUID, MS_PRIVATE, MS_RDONLY, MS_REC, MS_RELATIME, MS_REMOUNT, MS_SHARED, MS_SILENT, MS_SLAVE, MS_STRICTATIME, MS_SYNCHRONOUS, MS_UNBINDABLE } from '../../vfs/mount-syscalls.js';
import type { Process } from '../../vfs/process.js';
import { clean } from '../paths.js';

/** flags_unix.go's table: option → [clear?, flag]. */
const FLAGS: Record<string, [boolean, number]> = {
  defaults: [false, 0],
  ro: [false, MS_RDONLY],
  rw: [true, MS_RDONLY],
  suid: [true, MS_NOSUID],
  nosuid: [false, MS_NOSUID],
  dev: [true, MS_NODEV],
  nodev: [false, MS_NODEV],
  exec: [true, MS_NOEXEC],
  noexec: [false, MS_NOEXEC],
  sync: [false, MS_SYNCHRONOUS],
  async: [true, MS_SYNCHRONOUS],
  dirsync: [false, MS_DIRSYNC],
  remount: [false, MS_REMOUNT],
  mand: [false, MS_MANDLOCK],
  nomand: [true, MS_MANDLOCK],
  atime: [true, MS_NOATIME],
  noatime: [false, MS_NOATIME],
  diratime: [true, MS_NODIRATIME],
  nodiratime: [false, MS_NODIRATIME],
  bind: [false, MS_BIND],
  rbind: [false, MS_BIND | MS_REC],
  unbindable: [false, MS_UNBINDABLE],
  runbindable: [false, MS_UNBINDABLE | MS_REC],
  private: [false, MS_PRIVATE],
  rprivate: [false, MS_PRIVATE | MS_REC],
  shared: [false, MS_SHARED],
  rshared: [false, MS_SHARED | MS_REC],
  slave: [false, MS_SLAVE],
  rslave: [false, MS_SLAVE | MS_REC],
  relatime: [false, MS_RELATIME],
  norelatime: [true, MS_RELATIME],
  strictatime: [false, MS_STRICTATIME],
  nostrictatime: [true, MS_STRICTATIME],
};

const PTYPES = MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE;
const PFLAGS = PTYPES | MS_REC | MS_SILENT;
const BROFLAGS = MS_BIND | MS_RDONLY;

/** parseOptions(): the flags and the data (options the table does not know, comma-joined). */
export function parseOptions(options: string): { flags: number; data: string } {
  let flags = 0;
  const data: string[] = [];
  for (const o of options.split(',')) {
    if (o === '') continue;
    const f = FLAGS[o];
    if (!f) data.push(o);
    else if (f[0]) flags &= ~f[1];
    else flags |= f[1];
  }
  return { flags, data: data.join(',') };
}

/**
 * mount.Mount(device, target, mType, options) as mount_unix.go's mount() makes it.
 *
 * @example
 * ```ts
 * mobyMount(p, '/srv/vol', '/rootfs/data', '', 'rbind,ro,rprivate'); // bind, make rprivate, remount ro
 * ```
 */
export function mobyMount(p: Process, device: string, target: string, mType: string, options: string): void {
  const { flags, data } = parseOptions(options);
  const oflags = flags & ~PTYPES;
  // isremount(): MS_REMOUNT, or a device of "" or "none", asks for no new mount.
  const remount = (flags & MS_REMOUNT) !== 0 || device === '' || device === 'none';
  if (!remount || data !== '') p.mount(device, target, mType, oflags, data);
  if (flags & PTYPES) p.mount('', target, '', flags & PFLAGS, '');
  if ((oflags & BROFLAGS) === BROFLAGS) p.mount('', target, '', oflags | MS_REMOUNT, '');
}

/** mount.Unmount: umount2(target, MNT_DETACH). */
export function mobyUnmount(p: Process, target: string): void {
  p.umount2(target, MNT_DETACH);
}

/** mountinfo.Mounted: `target` is the mount point of some mount the task sees. */
export function mounted(p: Process, target: string): boolean {
  const want = clean(target);
  for (const line of p.mountinfo().split('\n')) {
    const mp = line.split(' ')[4];
    if (mp !== undefined && unmangle(mp) === want) return true;
  }
  return false;
}

/** The octal escapes of mountinfo undone. */
function unmangle(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/**
 * ensureMountedAs(): MakeMount (bind `target` onto itself when it is no mount point), then the
 * propagation change.
 */
function ensureMountedAs(p: Process, target: string, options: string): void {
  if (!mounted(p, target)) mobyMount(p, target, target, 'none', 'bind');
  mobyMount(p, '', target, 'none', options);
}

/** mount.MakeRSlave. */
export function makeRSlave(p: Process, target: string): void {
  ensureMountedAs(p, target, 'rslave');
}

/** mount.MakeRPrivate. */
export function makeRPrivate(p: Process, target: string): void {
  ensureMountedAs(p, target, 'rprivate');
}
