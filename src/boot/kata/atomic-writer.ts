/**
 * How the kubelet lays out a configMap, secret or projected volume, replayed from kubernetes
 * pkg/volume/util/atomic_writer.go `AtomicWriter.Write`: the payload (key → bytes and mode) is
 * validated (`validatePath`: relative, no ".." element, not starting with "..", names ≤ 255 bytes,
 * paths ≤ 4096), written into a new timestamped directory "..<UTC time>.<n>" (chmod 0755; files
 * written then chmod-ed to their mode, parents MkdirAll 0777 under the umask), the user-visible
 * top-level names made symlinks into "..data", a "..data_tmp" symlink to the new directory renamed
 * over "..data" (the atomic switch), then names gone from the payload removed and the old
 * timestamped directory deleted.
 *
 * The volume directory itself is the plugin's wrapped emptyDir (configmap.go, secret.go,
 * projected.go): disk for configMap, medium Memory (tmpfs) for secret and projected. Default file
 * mode 0644 (ConfigMapVolumeSourceDefaultMode, SecretVolumeSourceDefaultMode,
 * ProjectedVolumeSourceDefaultMode) unless defaultMode or an item's mode says otherwise. The
 * container mounts it read-only (the plugins' GetAttributes ReadOnly). Deterministic difference:
 * Go's MkdirTemp suffix is random; here it counts up from 0, and the time is the kernel clock's.
 *
 * Not modelled: the "no update needed" short cut (shouldWritePayload) and FsUser ownership.
 */
import type { Process } from '../../vfs/process.js';
import { mkdirAll, readDirNames, removeAll, writeFile } from '../tar/task-fs.js';
import { KataError } from './bind-mount.js';
import { SysError } from '../../vfs/errno.js';

export interface FileProjection {
  data: Uint8Array;
  mode: number;
}

const MAX_PATH = 4096;
const MAX_NAME = 255;
const DATA_DIR = '..data';
const NEW_DATA_DIR = '..data_tmp';

/** validatePath(targetPath). */
export function validatePath(targetPath: string): void {
  if (targetPath === '') throw new KataError(`invalid path: must not be empty: ""`);
  if (targetPath.startsWith('/')) throw new KataError(`invalid path: must be relative path: ${targetPath}`);
  if (targetPath.length > MAX_PATH) throw new KataError(`invalid path: must be less than or equal to ${MAX_PATH} characters`);
  const items = targetPath.split('/');
  for (const item of items) {
    if (item === '..') throw new KataError(`invalid path: must not contain '..': ${targetPath}`);
    if (item.length > MAX_NAME) throw new KataError(`invalid path: filenames must be less than or equal to ${MAX_NAME} characters`);
  }
  if (items[0]!.startsWith('..') && items[0]!.length > 2) throw new KataError(`invalid path: must not start with '..': ${targetPath}`);
}

/** time.Now().UTC().Format("2006_01_02_15_04_05") of a Timespec. */
function stamp(sec: number): string {
  const d = new Date(sec * 1000);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}_${two(d.getUTCMonth() + 1)}_${two(d.getUTCDate())}_${two(d.getUTCHours())}_${two(d.getUTCMinutes())}_${two(d.getUTCSeconds())}`;
}

function readlinkOrNull(p: Process, path: string): string | null {
  try {
    return p.readlink(path);
  } catch (e) {
    if (e instanceof SysError && (e.code === 'ENOENT' || e.code === 'EINVAL')) return null;
    throw e;
  }
}

/** Every path below `dir`, relative to it (filepath.Walk of the old data directory). */
function walkRel(p: Process, dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const name of readDirNames(p, dir)) {
    const rel = prefix ? `${prefix}/${name}` : name;
    out.push(rel);
    if ((p.lstat(`${dir}/${name}`).mode & 0o170000) === 0o040000) out.push(...walkRel(p, `${dir}/${name}`, rel));
  }
  return out;
}

/**
 * AtomicWriter.Write(payload) into `targetDir`, which must exist. Returns the new timestamped
 * directory's name.
 *
 * @example
 * ```ts
 * atomicWrite(kubelet, dir, { 'app.conf': { data, mode: 0o644 } });
 * // dir/app.conf -> ..data/app.conf, dir/..data -> ..2026_01_01_00_00_00.0
 * ```
 */
export function atomicWrite(p: Process, targetDir: string, payload: Record<string, FileProjection>, now = p.kernel.clock.now().sec): string {
  const clean: Record<string, FileProjection> = {};
  for (const [k, v] of Object.entries(payload)) {
    validatePath(k);
    clean[k.split('/').filter((c) => c !== '' && c !== '.').join('/')] = v;
  }
  const dataDirPath = `${targetDir}/${DATA_DIR}`;
  const oldTsDir = readlinkOrNull(p, dataDirPath);
  let tsDirName = '';
  for (let n = 0; ; n++) {
    tsDirName = `..${stamp(now)}.${n}`;
    try {
      p.mkdir(`${targetDir}/${tsDirName}`, 0o700);
      break;
    } catch (e) {
      if (!(e instanceof SysError && e.code === 'EEXIST')) throw e;
    }
  }
  const tsDir = `${targetDir}/${tsDirName}`;
  p.chmod(tsDir, 0o755);
  for (const [rel, f] of Object.entries(clean)) {
    const full = `${tsDir}/${rel}`;
    mkdirAll(p, full.slice(0, full.lastIndexOf('/')), 0o777);
    writeFile(p, full, f.data, f.mode);
    p.chmod(full, f.mode);
  }
  for (const rel of Object.keys(clean)) {
    const linkname = rel.split('/')[0]!;
    if (readlinkOrNull(p, `${targetDir}/${linkname}`) === null) p.symlink(`${DATA_DIR}/${linkname}`, `${targetDir}/${linkname}`);
  }
  p.symlink(tsDirName, `${targetDir}/${NEW_DATA_DIR}`);
  p.rename(`${targetDir}/${NEW_DATA_DIR}`, dataDirPath);
  if (oldTsDir !== null) {
    const newPaths = new Set<string>();
    for (const rel of Object.keys(clean)) {
      const parts = rel.split('/');
      for (let i = 1; i <= parts.length; i++) newPaths.add(parts.slice(0, i).join('/'));
    }
    for (const old of walkRel(p, `${targetDir}/${oldTsDir}`)) {
      if (newPaths.has(old) || old.includes('/')) continue;
      p.unlink(`${targetDir}/${old}`);
    }
    removeAll(p, `${targetDir}/${oldTsDir}`);
  }
  return tsDirName;
}
