/**
 * tmpfs mount options (mm/shmem.c shmem_parse_one / shmem_show_options): size, nr_inodes, mode,
 * uid, gid. An unknown option or a bad value is EINVAL, as the kernel's fs_parse rejects it.
 */
import { errno } from '../../vfs/errno.js';
import { memparse, parseU32, type FsParam } from '../../vfs/mount-options.js';

export const PAGE_SIZE = 4096;
/** Bytes of "inode space" one inode costs (BOGO_INODE_SIZE); nr_inodes limits them. */
export const BOGO_INODE_SIZE = 1024;

export interface TmpfsOptions {
  /** Page limit; 0 is unlimited. */
  blocks?: number;
  /** Inode limit; 0 is unlimited. */
  inodes?: number;
  mode?: number;
  uid?: number;
  gid?: number;
}

/**
 * Parses tmpfs's own parameters. `totalRamPages` gives `size=N%` its meaning.
 *
 * @example
 * ```ts
 * parseTmpfsOptions([{ key: 'size', value: '1m' }], 1 << 20); // { blocks: 256 }
 * ```
 */
export function parseTmpfsOptions(params: readonly FsParam[], totalRamPages: number): TmpfsOptions {
  const o: TmpfsOptions = {};
  for (const { key, value } of params) {
    // Every tmpfs parameter here takes a non-empty value (fs_param_is_string et al.).
    if (key !== 'size' && key !== 'nr_inodes' && key !== 'mode' && key !== 'uid' && key !== 'gid') throw errno('EINVAL');
    if (value === undefined || value === '') throw errno('EINVAL');
    switch (key) {
      case 'size': {
        const m = memparse(value);
        if (!m) throw errno('EINVAL');
        let bytes = m.value;
        let rest = m.rest;
        if (rest.startsWith('%')) {
          bytes = Math.floor((bytes * PAGE_SIZE * totalRamPages) / 100);
          rest = rest.slice(1);
        }
        if (rest !== '') throw errno('EINVAL');
        o.blocks = Math.ceil(bytes / PAGE_SIZE);
        break;
      }
      case 'nr_inodes': {
        const m = memparse(value);
        if (!m || m.rest !== '' || m.value > Number.MAX_SAFE_INTEGER / BOGO_INODE_SIZE) throw errno('EINVAL');
        o.inodes = m.value;
        break;
      }
      case 'mode': {
        const v = parseU32(value, 8);
        if (v === null) throw errno('EINVAL');
        o.mode = v & 0o7777;
        break;
      }
      case 'uid':
      case 'gid': {
        const v = parseU32(value, 0);
        // (uid_t)-1 is no valid id (uid_valid()).
        if (v === null || v === 0xffffffff) throw errno('EINVAL');
        o[key] = v;
        break;
      }
    }
  }
  return o;
}
