/**
 * devpts (fs/devpts/inode.c) as far as mounting and a container's console need: every mount is a
 * new instance (the behaviour of `newinstance` since Linux 4.7; the option is still accepted),
 * the options uid, gid, mode, ptmxmode and max with the kernel's parsing and mountinfo rendering,
 * and a root of mode 0755 holding `ptmx` (char 5:2, mode ptmxmode). Opening ptmx makes a
 * pseudo-terminal: the lowest free number N below `max` (ENOSPC beyond), and the node N (char
 * 136:N, mode `mode`, owned by `uid`/`gid` when given, else by the opener) until the opening
 * description's last close. The terminals carry no data. Names cannot be created (EPERM).
 *
 * Remount replaces the options as a whole: what it does not give goes back to the default
 * (devpts_reconfigure copies a freshly parsed option set).
 */
import type { Credentials } from '../../vfs/creds.js';
import { errno } from '../../vfs/errno.js';
import { makedev, S_IFCHR, type FileSystemType, type FsContext, type OpenFileState } from '../../vfs/inode.js';
import { parseMountData, parseU32, type FsParam } from '../../vfs/mount-options.js';
import { INIT_USER_NS, type UserNamespace } from '../../vfs/user-namespace.js';
import { dir, SimpleInode } from '../libfs/simple.js';
import { PseudoSuperBlock } from '../libfs/super.js';

export const DEVPTS_SUPER_MAGIC = 0x1cd1;
/** NR_UNIX98_PTY_MAX: `max` is shown only below it. */
const NR_UNIX98_PTY_MAX = 1 << 20;
/** UNIX98_PTY_SLAVE_MAJOR: /dev/pts/N is char 136:N. */
const UNIX98_PTY_SLAVE_MAJOR = 136;

export interface DevptsOptions {
  uid?: number;
  gid?: number;
  mode: number;
  ptmxmode: number;
  max: number;
}

/**
 * devpts_parse_param(), starting from the defaults (mode 0600, ptmxmode 0000, max unlimited).
 * `uid` and `gid` are ids of the mounter's user namespace `ns` (make_kuid(current_user_ns())),
 * kept as kernel ids; one the namespace does not map is EINVAL ("Invalid uid").
 */
export function parseDevptsOptions(params: readonly FsParam[], ns: UserNamespace = INIT_USER_NS): DevptsOptions {
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
        o[key] = key === 'uid' ? ns.makeKuid(v) : ns.makeKgid(v);
        if (o[key] === -1) throw errno('EINVAL');
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

/** /dev/pts/ptmx: its open is ptmx_open(), which makes a pseudo-terminal in this instance. */
class PtmxInode extends SimpleInode {
  constructor(private readonly devpts: DevptsSuperBlock) {
    super(devpts, S_IFCHR | devpts.opts.ptmxmode, 0, 0, makedev(5, 2));
  }

  open(_flags: number, creds: Credentials): OpenFileState {
    return this.devpts.newPty(creds);
  }
}

export class DevptsSuperBlock extends PseudoSuperBlock {
  readonly root: SimpleInode;
  private readonly ptmx: SimpleInode;
  opts: DevptsOptions;
  /** The mounter's user namespace, whose ids `uid=`/`gid=` name (a remount's too: the emulator keeps no remounter here). */
  private readonly userNs: UserNamespace;
  /** allocated_ptys: the numbers in use. */
  private readonly ptys = new Set<number>();

  constructor(type: FileSystemType, ctx: FsContext, flags: number, params: readonly FsParam[]) {
    super(type, ctx, flags, DEVPTS_SUPER_MAGIC);
    this.userNs = ctx.creds.userNs;
    this.opts = parseDevptsOptions(params, this.userNs);
    this.root = SimpleInode.build(this, dir({}, 0o755));
    this.ptmx = this.root.add('ptmx', new PtmxInode(this));
  }

  /**
   * devpts_new_index() and devpts_pty_new(): the lowest free number below `max`, and its node,
   * owned as the mount options say or by the opener (current_fsuid/fsgid). Released by
   * devpts_kill_index() and devpts_pty_kill() at the master's last close.
   */
  newPty(creds: Credentials): OpenFileState {
    let n = 0;
    while (this.ptys.has(n)) n++;
    if (n >= this.opts.max) throw errno('ENOSPC');
    this.ptys.add(n);
    const name = String(n);
    this.root.add(name, SimpleInode.build(this, { file: '', type: S_IFCHR, mode: this.opts.mode, uid: this.opts.uid ?? creds.uid, gid: this.opts.gid ?? creds.gid, rdev: makedev(UNIX98_PTY_SLAVE_MAJOR, n) }));
    return {
      ptyIndex: n,
      release: () => {
        this.ptys.delete(n);
        this.root.entries!.delete(name);
        return name;
      },
    };
  }

  protected override applyParams(params: readonly FsParam[]): void {
    this.opts = parseDevptsOptions(params, this.userNs);
    // update_ptmx_mode()
    this.ptmx.mode = S_IFCHR | this.opts.ptmxmode;
  }

  /** devpts_show_options(): ids as the initial user namespace sees them (from_kuid_munged(&init_user_ns)), whoever reads. */
  override showOptions(): string {
    const o = this.opts;
    let s = '';
    if (o.uid !== undefined) s += `,uid=${INIT_USER_NS.fromKuidMunged(o.uid)}`;
    if (o.gid !== undefined) s += `,gid=${INIT_USER_NS.fromKgidMunged(o.gid)}`;
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
