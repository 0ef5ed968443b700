/**
 * Loop devices (drivers/block/loop.c): block devices 7:N whose data is a file, and
 * /dev/loop-control (char 10:237) that hands out free ones — the state one machine holds
 * (`LoopControl`), each device's binding (`LoopDevice`), and their ioctls with the kernel's
 * errnos. The rules are those test/kernel/facts/loop-fuse.json recorded on Linux 6.18:
 *
 * - LOOP_CONFIGURE (or LOOP_SET_FD then LOOP_SET_STATUS64) binds a device to an open file; a
 *   bound device refuses another binding (EBUSY), LOOP_CTL_REMOVE of it is EBUSY; a file opened
 *   read-only makes the device read-only (LO_FLAGS_READ_ONLY), so a read-write mount of it is
 *   EACCES. Only a regular file or a block device backs a device (EINVAL), a closed fd is EBADF.
 * - The device has openers: every open description of its node, and every superblock that
 *   holds it (a mount). With LO_FLAGS_AUTOCLEAR the last opener's release detaches it
 *   (lo_release()); so a device configured with autoclear whose setup descriptor is closed
 *   before anything else opens it is detached at once — the containerd bug (#4969) — and one a
 *   mount holds is detached at the umount.
 * - LOOP_CLR_FD does not detach while the device is open (it is, by the caller): it sets
 *   LO_FLAGS_AUTOCLEAR, and the last release detaches (loop_clr_fd() since 5.x).
 * - A detached device stays: its node opens, LOOP_GET_STATUS64 and LOOP_CLR_FD are ENXIO,
 *   /sys/block/loopN/loop/ (backing_file, autoclear) is gone, a mount of it is EIO (nothing to
 *   read), and LOOP_CTL_GET_FREE may hand it out again.
 *
 * A superblock's hold cannot announce its end (the VFS has no kill_sb callback for a filesystem
 * yet): a holder says whether it is still alive, and a device looks at its holders whenever
 * its state is asked for (`reap()`), which no caller can tell apart from a detach at the umount.
 *
 * Invariants: a bound device holds one reference to its backing description (get_file()), given
 * back at the detach; `openers` counts only live holders.
 */
import { errno } from './errno.js';
import type { FileDescription } from './file.js';
import { isReg, makedev, S_IFBLK, S_IFMT, type OpenFileState } from './inode.js';

/** include/uapi/linux/loop.h */
export const LOOP_SET_FD = 0x4c00;
export const LOOP_CLR_FD = 0x4c01;
export const LOOP_SET_STATUS64 = 0x4c04;
export const LOOP_GET_STATUS64 = 0x4c05;
export const LOOP_CONFIGURE = 0x4c0a;
export const LOOP_CTL_ADD = 0x4c80;
export const LOOP_CTL_REMOVE = 0x4c81;
export const LOOP_CTL_GET_FREE = 0x4c82;
export const LO_FLAGS_READ_ONLY = 1;
export const LO_FLAGS_AUTOCLEAR = 4;
export const LO_FLAGS_PARTSCAN = 8;
export const LO_FLAGS_DIRECT_IO = 16;
/** LOOP_MAJOR, and loop-control's misc minor (LOOP_CTRL_MINOR). */
export const LOOP_MAJOR = 7;
export const MISC_MAJOR = 10;
export const LOOP_CTRL_MINOR = 237;
/** The devices a machine boots with (max_loop / CONFIG_BLK_DEV_LOOP_MIN_COUNT: /dev/loop0..7). */
export const LOOP_MIN_COUNT = 8;

/** What LOOP_GET_STATUS64 reports of a bound device (struct loop_info64, the fields modelled). */
export interface LoopStatus {
  number: number;
  flags: number;
  /** lo_file_name: the name the binder gave, not checked (losetup -a shows it). */
  fileName: string;
}

/** Something that keeps a device open besides a descriptor: a superblock on it (its holder). */
export interface LoopHolder {
  /** Whether the hold still stands (the superblock still has a mount). */
  alive(): boolean;
}

/** One loop device, 7:number. */
export class LoopDevice {
  /** The backing description while bound (Lo_bound), null when unbound. */
  private backing: FileDescription | null = null;
  private fileName = '';
  private loFlags = 0;
  /** Open descriptions of the node. */
  private opens = 0;
  private readonly holders = new Set<LoopHolder>();

  constructor(readonly number: number) {}

  get rdev(): number {
    return makedev(LOOP_MAJOR, this.number);
  }

  /** disk_openers(): open descriptions plus live holders, after the dead ones are let go. */
  get openers(): number {
    for (const h of this.holders) if (!h.alive()) this.holders.delete(h);
    return this.opens + this.holders.size;
  }

  /** Lo_bound: a file backs it. Looks at the holders first (see the file comment). */
  get bound(): boolean {
    this.reap();
    return this.backing !== null;
  }

  /** The autoclear rule, applied late for holders that have gone (lo_release() at the last one). */
  reap(): void {
    if (this.backing && this.loFlags & LO_FLAGS_AUTOCLEAR && this.openers === 0) this.detach();
  }

  get readOnly(): boolean {
    return this.bound && (this.loFlags & LO_FLAGS_READ_ONLY) !== 0;
  }

  /** The backing file's inode, for the block layer's reads; null when unbound. */
  get file(): FileDescription | null {
    return this.bound ? this.backing : null;
  }

  /** blkdev_open() of the node: one more opener, released by the description's last close. */
  open(): OpenFileState & { readonly loop: LoopDevice } {
    this.reap();
    this.opens++;
    let released = false;
    return {
      loop: this,
      release: () => {
        if (released) return;
        released = true;
        this.opens--;
        this.reap();
      },
    };
  }

  /** A superblock's hold (get_tree_bdev() opening the device for the filesystem). */
  hold(h: LoopHolder): void {
    this.holders.add(h);
  }

  /** loop_configure(): LOOP_CONFIGURE, or LOOP_SET_FD (flags 0). */
  configure(back: FileDescription, flags: number, fileName = ''): void {
    if (this.bound) throw errno('EBUSY');
    // loop_validate_file(): a regular file or a block device.
    const t = back.inode.mode & S_IFMT;
    if (!isReg(back.inode.mode) && t !== S_IFBLK) throw errno('EINVAL');
    // A file not open for writing makes the device read-only.
    let f = flags & (LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR | LO_FLAGS_PARTSCAN | LO_FLAGS_DIRECT_IO);
    if (!back.writable) f |= LO_FLAGS_READ_ONLY;
    back.count++;
    this.backing = back;
    this.loFlags = f;
    this.fileName = fileName.slice(0, 63);
  }

  /** loop_set_status(): LOOP_SET_STATUS64; only AUTOCLEAR and PARTSCAN may change (LOOP_SET_STATUS_SETTABLE_FLAGS). */
  setStatus(flags: number, fileName?: string): void {
    if (!this.bound) throw errno('ENXIO');
    const settable = LO_FLAGS_AUTOCLEAR | LO_FLAGS_PARTSCAN;
    this.loFlags = (this.loFlags & ~settable) | (flags & settable);
    if (fileName !== undefined) this.fileName = fileName.slice(0, 63);
  }

  /** LOOP_GET_STATUS64: ENXIO when unbound. */
  status(): LoopStatus {
    if (!this.bound) throw errno('ENXIO');
    return { number: this.number, flags: this.loFlags, fileName: this.fileName };
  }

  /** loop_clr_fd(): the caller has the device open, so the detach waits for the last release. */
  clear(): void {
    if (!this.bound) throw errno('ENXIO');
    this.loFlags |= LO_FLAGS_AUTOCLEAR;
    this.reap();
  }

  /** __loop_clr_fd(): unbound, the backing description's reference given back (fput()). */
  private detach(): void {
    const back = this.backing!;
    this.backing = null;
    this.loFlags = 0;
    this.fileName = '';
    if (--back.count === 0) back.release();
  }

  /**
   * /sys/block/loopN/loop/: backing_file (the file's path as the binder saw it) and autoclear,
   * present only while bound (null otherwise: ENOENT to a reader).
   */
  sysfs(): { backing_file: string; autoclear: string } | null {
    if (!this.bound) return null;
    return { backing_file: this.backing!.path.dentry.pathFromRoot(), autoclear: this.loFlags & LO_FLAGS_AUTOCLEAR ? '1' : '0' };
  }

  /** /sys/block/loopN/ro. */
  get ro(): string {
    return this.readOnly ? '1' : '0';
  }

  /** /sys/block/loopN/size: 512-byte sectors of the backing file (0 unbound). */
  get sectors(): number {
    const f = this.file;
    return f ? Math.floor(f.inode.size / 512) : 0;
  }
}

/**
 * The machine's loop driver and /dev/loop-control: devices by number, loop0..7 from the start.
 *
 * @example
 * ```ts
 * const loop = new LoopControl();
 * const n = loop.getFree();          // LOOP_CTL_GET_FREE: 0
 * const s = loop.device(n)!.open();  // open("/dev/loop0")
 * loop.device(n)!.configure(backing, LO_FLAGS_AUTOCLEAR);
 * s.release!();                      // the last close: autoclear detaches
 * ```
 */
export class LoopControl {
  private readonly devices = new Map<number, LoopDevice>();

  constructor(min = LOOP_MIN_COUNT) {
    for (let i = 0; i < min; i++) this.devices.set(i, new LoopDevice(i));
  }

  /** The device 7:number, or undefined (its node opens as ENXIO). */
  device(number: number): LoopDevice | undefined {
    return this.devices.get(number);
  }

  /** Every device, by number. */
  all(): LoopDevice[] {
    return [...this.devices.values()].sort((a, b) => a.number - b.number);
  }

  /** LOOP_CTL_GET_FREE: the lowest unbound device, a new one when all are bound. */
  getFree(): number {
    for (const d of this.all()) if (!d.bound) return d.number;
    let n = 0;
    while (this.devices.has(n)) n++;
    this.devices.set(n, new LoopDevice(n));
    return n;
  }

  /** LOOP_CTL_ADD: EEXIST when the number is taken. */
  add(n: number): number {
    if (!Number.isInteger(n) || n < 0 || n >= 1 << 20) throw errno('EINVAL');
    if (this.devices.has(n)) throw errno('EEXIST');
    this.devices.set(n, new LoopDevice(n));
    return n;
  }

  /** LOOP_CTL_REMOVE: ENODEV for no such device, EBUSY while bound or open. */
  remove(n: number): void {
    const d = this.devices.get(n);
    if (!d) throw errno('ENODEV');
    if (d.bound || d.openers > 0) throw errno('EBUSY');
    this.devices.delete(n);
  }
}

/** The state a description of /dev/loop-control carries (its ioctls go to the control). */
export interface LoopControlFile extends OpenFileState {
  readonly loopControl: LoopControl;
}
