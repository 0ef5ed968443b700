/**
 * Reading an OCI bundle from the host for a dry-run: config.json, the bundle directory as a
 * bundle image (src/boot/rootfs-image.ts), and what the bind sources outside the bundle are.
 * Read-only: nothing on the host is written, and nothing is followed out of the bundle but the
 * absolute bind sources the spec names (lstat'ed, never read). File contents are left out of the
 * image (no mount depends on them), so a large rootfs costs one lstat a file.
 */
import { lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import type { ImageNode } from '../boot/rootfs-image.js';
import type { HostPath } from '../boot/runc-profile.js';

export interface HostBundle {
  /** The bundle directory (absolute). */
  dir: string;
  configPath: string;
  configText: string;
  /** The bundle directory's image, config.json left out. */
  image: ImageNode;
  /** The rootfs when root.path is absolute and outside the bundle (read the same way). */
  outsideRootfs?: { path: string; image: ImageNode };
}

/** Entries past this many make the image too big to be useful; the walk stops with an error. */
const MAX_ENTRIES = 500_000;

/** lstat-walks a directory into an image node (modes and owners, no file contents). */
export function imageOfDir(path: string, budget = { left: MAX_ENTRIES }): ImageNode {
  const st = lstatSync(path);
  const meta = (m: { mode: number; uid: number; gid: number }) => {
    const o: { mode?: number; uid?: number; gid?: number } = { mode: m.mode & 0o7777 };
    if (m.uid) o.uid = m.uid;
    if (m.gid) o.gid = m.gid;
    return o;
  };
  if (st.isSymbolicLink()) return [2, { target: readlinkSync(path), ...(st.uid ? { uid: st.uid } : {}), ...(st.gid ? { gid: st.gid } : {}) }];
  if (!st.isDirectory()) return [1, meta(st), ''];
  const entries: Record<string, ImageNode> = {};
  for (const name of readdirSync(path).sort()) {
    if (--budget.left < 0) throw new Error(`${path}: more than ${MAX_ENTRIES} entries; too large a bundle to image`);
    const child = join(path, name);
    const cst = lstatSync(child);
    // Sockets, FIFOs and devices in a rootfs are made by the image loader as nothing: runc's
    // mounts never depend on them, and plans have no mknod for an image.
    if (!cst.isDirectory() && !cst.isFile() && !cst.isSymbolicLink()) continue;
    entries[name] = imageOfDir(child, budget);
  }
  return [0, meta(st), entries];
}

/**
 * Reads BUNDLE_DIR or BUNDLE_DIR/config.json (a path to a config.json names its bundle).
 *
 * @example
 * ```ts
 * const b = readHostBundle('/var/lib/mybundle');
 * b.configText; // config.json's text
 * ```
 */
export function readHostBundle(arg: string): HostBundle {
  const abs = resolve(arg);
  const isConfig = statSync(abs).isFile();
  const dir = isConfig ? dirname(abs) : abs;
  const configPath = isConfig ? abs : join(dir, 'config.json');
  const configText = readFileSync(configPath, 'utf8');
  const image = imageOfDir(dir);
  // config.json is the spec, not part of the bundle's tree.
  if (image[0] === 0) delete image[2][basename(configPath)];
  const out: HostBundle = { dir, configPath, configText, image };
  let rootPath: unknown;
  try {
    rootPath = (JSON.parse(configText) as { root?: { path?: unknown } }).root?.path;
  } catch {
    rootPath = undefined;
  }
  if (typeof rootPath === 'string' && isAbsolute(rootPath) && !(rootPath + '/').startsWith(dir + '/')) {
    try {
      out.outsideRootfs = { path: rootPath, image: imageOfDir(rootPath) };
    } catch (e) {
      // A missing rootfs is runc's error to give ("invalid rootfs: stat …"), not a read failure.
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' && (e as NodeJS.ErrnoException).code !== 'ENOTDIR') throw e;
    }
  }
  return out;
}

/** What each absolute bind source is on the host (missing ones are left out: runc fails on them). */
export function hostBindSources(paths: readonly string[]): HostPath[] {
  const out: HostPath[] = [];
  for (const p of paths) {
    try {
      out.push({ path: p, kind: statSync(p).isDirectory() ? 'dir' : 'file' });
    } catch {
      // stat(2) fails: runc's os.Stat(source) does too, and the prediction reports it.
    }
  }
  return out;
}

/**
 * Warnings for host paths (the rootfs, absolute bind sources) reached through a symlink: the host
 * mounts behind them are looked up by the path as written (src/boot/host-facts.ts mountsBehind),
 * and the bundle image does not carry links above the bundle.
 */
export function throughSymlinks(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    let real: string;
    try {
      real = realpathSync(p);
    } catch {
      continue; // missing: runc's error to give
    }
    if (real !== resolve(p)) out.push(`${p} is ${real} on this host (through a symlink): the host mount behind it was looked up by the path as written`);
  }
  return out;
}
