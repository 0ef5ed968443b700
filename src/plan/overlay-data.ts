/**
 * Overlay mount data longer than mount(2) takes: what a runtime does about it, as functions the
 * OCI path and the backends share (no Node API).
 *
 * mount(2) copies one page of data and the kernel silently keeps the first 4095 bytes, so a long
 * `lowerdir=` list mounts with layers missing, or fails on a path cut in two
 * (test/kernel/fixtures/overlay-many-lowers.json). Two ways out, both measured on 6.18:
 *
 * - the new mount API, fsopen(2) + fsconfig(2) with one `lowerdir+` (or `datadir+`) a layer, each
 *   value under 256 bytes, no limit on their number but overlayfs's 500 (`fsconfigParams`);
 * - containerd's compaction: chdir to the layers' common parent directory and name them relative
 *   to it (`compactLowerdirs`), which keeps mount(2) and shortens the string.
 */

/** The most mount(2) data the kernel keeps: one page less the terminating NUL. */
export const MOUNT_DATA_MAX = 4095;

/** fsconfig(2)'s FSCONFIG_SET_STRING value limit (strndup_user(value, 256)): EINVAL from 256 bytes. */
export const FSCONFIG_VALUE_MAX = 255;

import { splitLowerdirs, splitOptions, unescape } from '../fs/overlay/params.js';

const encoder = new TextEncoder();

/** Whether mount(2) would keep all of `data`. */
export function dataFitsMount(data: string): boolean {
  return encoder.encode(data).length <= MOUNT_DATA_MAX;
}

/** One fsconfig(2) call: FSCONFIG_SET_STRING `key` = `value`, or FSCONFIG_SET_FLAG `key` (value null). */
export interface FsconfigParam {
  key: string;
  value: string | null;
}

/** `lowerdir=`'s layers one `lowerdir+` (`datadir+` after `::`) each; a list it refuses stays whole. */
function layerParams(value: string): FsconfigParam[] {
  try {
    return splitLowerdirs(value).map((l) => ({ key: l.data ? 'datadir+' : 'lowerdir+', value: unescape(l.name) }));
  } catch {
    return [{ key: 'lowerdir', value }];
  }
}

/**
 * The fsconfig(2) calls that stand for a mount(2) data string: one per option, an overlay's
 * `lowerdir=` list expanded into one `lowerdir+` a layer (`datadir+` after `::`), each name
 * unescaped as `lowerdir=` would have it.
 *
 * @example
 * ```ts
 * fsconfigParams('overlay', 'lowerdir=/a:/b,upperdir=/u,workdir=/w,userxattr');
 * // [{key:'lowerdir+',value:'/a'}, {key:'lowerdir+',value:'/b'}, {key:'upperdir',value:'/u'},
 * //  {key:'workdir',value:'/w'}, {key:'userxattr',value:null}]
 * ```
 */
export function fsconfigParams(fstype: string, data: string): FsconfigParam[] {
  const out: FsconfigParam[] = [];
  for (const opt of splitOptions(data)) {
    if (opt === '') continue;
    const eq = opt.indexOf('=');
    const key = eq < 0 ? opt : opt.slice(0, eq);
    const value = eq < 0 ? null : opt.slice(eq + 1);
    if (fstype === 'overlay' && key === 'lowerdir' && value) out.push(...layerParams(value));
    else out.push({ key, value });
  }
  return out;
}

/**
 * containerd's compactLowerdirOption(): the overlay data with its lower layers named relative to
 * their common parent directory, to be mounted from there (chdir first); the upper and work
 * directories stay as they are, and `lowerdir=` moves to the end. Null when there is nothing to
 * gain: fewer than two layers, a relative layer, or no common parent but `/`.
 *
 * @example
 * ```ts
 * compactLowerdirs('lowerdir=/s/snapshots/1/fs:/s/snapshots/2/fs,upperdir=/s/u');
 * // { dir: '/s/snapshots/', data: 'upperdir=/s/u,lowerdir=1/fs:2/fs' }
 * ```
 */
export function compactLowerdirs(data: string): { dir: string; data: string } | null {
  const opts = splitOptions(data).filter((o) => o !== '');
  const idx = opts.findIndex((o) => o.startsWith('lowerdir='));
  if (idx < 0) return null;
  const dirs = opts[idx]!.slice('lowerdir='.length).split(/(?<!\\):/);
  if (dirs.length < 2 || dirs.some((d) => !d.startsWith('/'))) return null;
  let common = dirs.reduce((a, b) => {
    let n = 0;
    while (n < a.length && n < b.length && a[n] === b[n]) n++;
    return a.slice(0, n);
  });
  // path.Dir(): back to the directory holding what they share (snapshot ids share digits).
  common = common.slice(0, common.lastIndexOf('/'));
  if (common === '' || common === '/') return null;
  const dir = common + '/';
  if (dirs.some((d) => d.length <= dir.length)) return null;
  const rest = opts.filter((_, i) => i !== idx);
  return { dir, data: [...rest, 'lowerdir=' + dirs.map((d) => d.slice(dir.length)).join(':')].join(',') };
}
