/**
 * What overlayfs reads and writes on layer objects to mark them (overlayfs.rst "whiteouts and
 * opaque directories", "Non-standard behavior", "User xattr"): whiteouts (the character device
 * 0/0), and its private extended attributes — `trusted.overlay.*`, or `user.overlay.*` with
 * `userxattr` — opaque, impure, origin, uuid and redirect.
 *
 * Values as measured on this kernel over tmpfs layers: opaque and impure are "y"; uuid is 16
 * bytes; origin is a 33-byte file handle (struct ovl_fb: version, magic 0xfb, length, flags, type,
 * the lower filesystem's uuid and a 12-byte tmpfs file id). Their contents are invisible to plans;
 * their sizes count against the upper tmpfs's inode space, as the kernel's do.
 */
import { isDir, S_IFCHR, S_IFMT, type Inode, type XattrNamespaces } from '../../vfs/inode.js';

const encoder = new TextEncoder();
const Y = encoder.encode('y');

/** OVL_WHITEOUT_DEV is 0/0: a whiteout is a character device with that number. */
export function isWhiteout(inode: Inode): boolean {
  return (inode.mode & S_IFMT) === S_IFCHR && inode.rdev === 0;
}

/**
 * The private attribute names of one overlay: trusted.overlay.* unless `userxattr`. As the
 * superblock's `xattrs` (super.ts), also the namespaces the overlay serves (XattrNamespaces).
 */
export class OvlXattrs implements XattrNamespaces {
  readonly prefix: string;
  readonly opaque: string;
  readonly impure: string;
  readonly origin: string;
  readonly uuid: string;
  readonly redirect: string;
  /**
   * The overlay's handler table (ovl_trusted_xattr_handlers, or ovl_user_xattr_handlers with
   * `userxattr`): its own prefix first — whose names it reads and writes escaped below
   * (ovl_own_xattr_get()/ovl_own_xattr_set(), Linux 6.7) — then ovl_other_xattr_handler, which hands every other name to the
   * layer's filesystem for that one's handlers to decide. The layers here are tmpfs or overlays
   * of tmpfs, so the names that get through are tmpfs's namespaces.
   */
  readonly handlerPrefixes: readonly string[];

  constructor(readonly userxattr: boolean) {
    this.prefix = userxattr ? 'user.overlay.' : 'trusted.overlay.';
    this.handlerPrefixes = [this.prefix, 'security.', 'trusted.', 'user.'];
    this.opaque = this.prefix + 'opaque';
    this.impure = this.prefix + 'impure';
    this.origin = this.prefix + 'origin';
    this.uuid = this.prefix + 'uuid';
    this.redirect = this.prefix + 'redirect';
  }

  /** ovl_is_own_xattr(): a name under the overlay's own prefix, which its own handler serves. */
  isOwn(name: string): boolean {
    return name.startsWith(this.prefix);
  }

  /**
   * ovl_is_escaped_xattr(): an own name set through an overlay (since Linux 6.7), stored with
   * the escape `overlay.` after the prefix: `trusted.overlay.overlay.opaque`.
   */
  isEscaped(name: string): boolean {
    return name.startsWith(this.prefix + 'overlay.');
  }

  /** ovl_is_private_xattr(): an own name that is no escaped one — never shown, never copied up. */
  isPrivate(name: string): boolean {
    return this.isOwn(name) && !this.isEscaped(name);
  }

  /** ovl_xattr_escape_name(): the name below for an own name asked of the overlay. */
  escape(name: string): string {
    return this.prefix + 'overlay.' + name.slice(this.prefix.length);
  }

  /** The name an escaped one shows through the overlay (ovl_listxattr()'s unescape). */
  unescape(name: string): string {
    return this.prefix + name.slice(this.prefix.length + 'overlay.'.length);
  }

  /** ovl_is_opaquedir(): a directory marked opaque hides what lies below it. */
  isOpaqueDir(inode: Inode): boolean {
    if (!isDir(inode.mode)) return false;
    const v = inode.getxattr(this.opaque);
    return v !== undefined && v.length === 1 && v[0] === Y[0];
  }

  has(inode: Inode, name: string): boolean {
    return inode.getxattr(name) !== undefined;
  }

  /**
   * ovl_check_setxattr(): sets an attribute on an upper object. With `userxattr` the upper
   * filesystem refuses user.* on anything but files and directories; overlayfs then goes on
   * without the mark, as the kernel does for symlinks and special files.
   */
  set(inode: Inode, name: string, value: Uint8Array): void {
    const t = inode.mode & S_IFMT;
    if (this.userxattr && t !== 0o100000 && t !== 0o040000) return;
    inode.setxattr(name, value, 0);
  }

  setY(inode: Inode, name: string): void {
    this.set(inode, name, Y);
  }
}

/**
 * The origin file handle of a lower object (ovl_get_origin_fh): the layout of struct ovl_fb for a
 * tmpfs file id, with the inode number where the kernel puts it; empty for a lower filesystem
 * that cannot decode file handles (an overlay), which means "copied up, origin unknown".
 */
export function originHandle(lower: Inode, decodable: boolean): Uint8Array {
  if (!decodable) return new Uint8Array(0);
  const fh = new Uint8Array(33);
  fh.set([0x00, 0xfb, 33, 0x00, 0x01]);
  // The filesystem's identity where its uuid goes, the inode number where the file id starts.
  const v = new DataView(fh.buffer);
  v.setUint32(5, lower.sb.dev >>> 0, true);
  v.setUint32(21, lower.ino >>> 0, true);
  return fh;
}
