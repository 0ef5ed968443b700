/**
 * devpts (fs/devpts/inode.c) as far as mounting needs: every mount is a new instance (the
 * behaviour of `newinstance` since Linux 4.7; the option is still accepted), the options uid, gid,
 * mode, ptmxmode and max with the kernel's parsing and mountinfo rendering, and a root of mode
 * 0755 holding `ptmx` (char 5:2, mode ptmxmode). Pseudo-terminals are not modelled: nothing opens
 * ptmx to make /dev/pts/N, and names cannot be created (EPERM).
 *
 * Remount replaces the options as a whole: what it does not give goes back to the default
 * (devpts_reconfigure copies a freshly parsed option set).
 */
import { errno } from '../../vfs/errno.js';
import { makedev, S_IFCHR, type FileSystemType, type FsContext } from '../../vfs/inode.js';
import { parseMountData, parseU32, type FsParam } from '../../vfs/mount-options.js';
import { dir, SimpleInode } from '../libfs/simple.js';
import { PseudoSuperBlock } from '../libfs/super.js';

export const DEVPTS_SUPER_MAGIC = 0x1cd1;
/** NR_UNIX98_PTY_MAX: `max` is shown only below it. */
const NR_UNIX98_PTY_MAX = 1 << 20;

export interface DevptsOptions {
  uid?: number;
  gid?: number;
  mode: number;
  ptmxmode: number;
  max: number;
}

/** devpts_parse_param(), starting from the defaults (mode 0600, ptmxmode 0000, max unlimited). */
export function parseDevptsOptions(params: readonly FsParam[]): DevptsOptions {
  const o: DevptsOptions = { mode: 0o600, ptmxmode: 0, max: NR_UNIX98_PTY_MAX };
  for (const { key, value } of params) {
    if (key === 'newinstance') {
      // fsparam_flag: no value allowed; the instance is new anyway.
      if (value !== undefined) throw errno('EINVAL');
      continue;
    }
    if (key !== 'uid' && key !== 'gid' && key !== 'mode' && key !== 'ptmxmode' && key !== 'max') throw errno('EINVAL');
    if (value === undefined || value === '') throw errno('EINVAL');
    const v = parseU32(value, key === 'mode' || key === 'ptmxmode' ? 8 : 0);
    if (v === null) throw errno('EINVAL');
    switch (key) {
      case 'uid':
      case 'gid':
        if (v === 0xffffffff) throw errno('EINVAL');
        o[key] = v;
        break;
      case 'mode':
      case 'ptmxmode':
        o[key] = v & 0o7777;
        break;
      case 'max':
        if (v > NR_UNIX98_PTY_MAX) throw errno('EINVAL');
        o.max = v;
        break;
    }
  }
  return o;
}

export class DevptsSuperBlock extends PseudoSuperBlock {
  readonly root: SimpleInode;
  private readonly ptmx: SimpleInode;
  opts: DevptsOptions;

  constructor(type: FileSystemType, ctx: FsContext, flags: number, params: readonly FsParam[]) {
    super(type, ctx, flags, DEVPTS_SUPER_MAGIC);
    this.opts = parseDevptsOptions(params);
    this.root = SimpleInode.build(this, dir({}, 0o755));
    this.ptmx = this.root.add('ptmx', SimpleInode.build(this, { file: '', type: S_IFCHR, mode: this.opts.ptmxmode, rdev: makedev(5, 2) }));
  }

  protected override applyParams(params: readonly FsParam[]): void {
    this.opts = parseDevptsOptions(params);
    // update_ptmx_mode()
    this.ptmx.mode = S_IFCHR | this.opts.ptmxmode;
  }

  /** devpts_show_options(). */
  override showOptions(): string {
    const o = this.opts;
    let s = '';
    if (o.uid !== undefined) s += `,uid=${o.uid}`;
    if (o.gid !== undefined) s += `,gid=${o.gid}`;
    s += `,mode=${o.mode.toString(8).padStart(3, '0')},ptmxmode=${o.ptmxmode.toString(8).padStart(3, '0')}`;
    if (o.max < NR_UNIX98_PTY_MAX) s += `,max=${o.max}`;
    return s;
  }
}

/**
 * The `devpts` filesystem type.
 *
 * @example
 * ```ts
 * p.mount('devpts', '/dev/pts', 'devpts', 0, 'newinstance,ptmxmode=0666,mode=0620,gid=5');
 * // mountinfo: "- devpts devpts rw,gid=5,mode=620,ptmxmode=666"
 * ```
 */
export function devptsType(): FileSystemType {
  const type: FileSystemType = {
    name: 'devpts',
    mount(ctx, _source, flags, data) {
      const { sbFlags, params } = parseMountData(data, flags);
      return new DevptsSuperBlock(type, ctx, sbFlags, params);
    },
  };
  return type;
}
