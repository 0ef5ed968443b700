/**
 * overlayfs mount options (fs/overlayfs/params.c; Documentation/filesystems/overlayfs.rst,
 * "Multiple lower layers", "Data-only lower layers", "Redirect dir", "Volatile mount", "User
 * xattr"): splitting the data string, the parameter table, the layer paths (resolved as they are
 * parsed, so a missing directory fails the mount before any option checked later does), the
 * checks and defaults that tie options together (ovl_fs_params_verify), and the super options
 * mountinfo shows (ovl_show_options).
 *
 * Defaults are this kernel's module parameters (/sys/module/overlay/parameters on the reference
 * host): redirect_dir=N, redirect_always_follow=Y, index=N, nfs_export=N, metacopy=N,
 * xino_auto=N — so the default redirect mode is "follow" and a directory that exists in a lower
 * layer cannot be renamed (EXDEV).
 */
import { errno } from '../../vfs/errno.js';
import { isDir, type MountDir } from '../../vfs/inode.js';
import { applySbFlagWord } from '../../vfs/mount-options.js';

/** OVL_MAX_STACK: lower layers an overlay takes at most. */
export const OVL_MAX_STACK = 500;

/** The module parameters this kernel was measured with. */
export const MODULE_PARAMS = {
  redirectDir: false,
  redirectAlwaysFollow: true,
  index: false,
  nfsExport: false,
  metacopy: false,
  xinoAuto: false,
} as const;

export type RedirectMode = 'off' | 'follow' | 'nofollow' | 'on';
export type UuidMode = 'off' | 'null' | 'auto' | 'on';
export type XinoMode = 'off' | 'auto' | 'on';
export type VerityMode = 'off' | 'on' | 'require';
export type FsyncMode = 'volatile' | 'auto' | 'strict';

/** One lower layer as the options named it. */
export interface LowerParam {
  /** The path as written (escapes kept), shown by `lowerdir+=`/`datadir+=`. */
  readonly name: string;
  readonly dir: MountDir;
  /** A data-only layer (`::` or `datadir+`): only metacopy redirects reach it. */
  readonly data: boolean;
}

/** struct ovl_config plus the parsing context's layers (struct ovl_fs_context). */
export interface OvlConfig {
  /** The whole `lowerdir=` string as given, which mountinfo shows; null after `lowerdir+`. */
  lowerdirAll: string | null;
  lowers: LowerParam[];
  upperdir: string | null;
  upper: MountDir | null;
  workdir: string | null;
  work: MountDir | null;
  defaultPermissions: boolean;
  redirectMode: RedirectMode;
  index: boolean;
  uuid: UuidMode;
  nfsExport: boolean;
  xino: XinoMode;
  metacopy: boolean;
  verity: VerityMode;
  fsync: FsyncMode;
  userxattr: boolean;
  /** Options the user gave explicitly (ctx->set), which win conflicts. */
  set: { redirect: boolean; index: boolean; nfsExport: boolean; metacopy: boolean };
}

/** ovl_redirect_mode_def(). */
export function defaultRedirectMode(): RedirectMode {
  return MODULE_PARAMS.redirectDir ? 'on' : MODULE_PARAMS.redirectAlwaysFollow ? 'follow' : 'nofollow';
}

function defaultConfig(): OvlConfig {
  return {
    lowerdirAll: null,
    lowers: [],
    upperdir: null,
    upper: null,
    workdir: null,
    work: null,
    defaultPermissions: false,
    redirectMode: defaultRedirectMode(),
    index: MODULE_PARAMS.index,
    uuid: 'auto',
    nfsExport: MODULE_PARAMS.nfsExport,
    xino: MODULE_PARAMS.xinoAuto ? 'auto' : 'off',
    metacopy: MODULE_PARAMS.metacopy,
    verity: 'off',
    fsync: 'auto',
    userxattr: false,
    set: { redirect: false, index: false, nfsExport: false, metacopy: false },
  };
}

/**
 * ovl_next_opt(): the data string split at commas that no backslash escapes; the escapes stay in
 * the pieces (the layer paths unescape them later).
 *
 * @example
 * ```ts
 * splitOptions('lowerdir=/a\\,b:/c,userxattr'); // ['lowerdir=/a\\,b:/c', 'userxattr']
 * ```
 */
export function splitOptions(data: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < data.length; i++) {
    if (data[i] === '\\') i++;
    else if (data[i] === ',') {
      out.push(data.slice(start, i));
      start = i + 1;
    }
  }
  out.push(data.slice(start));
  return out;
}

/**
 * ovl_parse_param_split_lowerdirs(): the `lowerdir=` value cut at unescaped colons, a double
 * colon starting the data-only layers. EINVAL for three colons in a row or trailing colons.
 *
 * @example
 * ```ts
 * splitLowerdirs('/l1:/l2::/d'); // [{ name: '/l1', data: false }, { name: '/l2', data: false }, { name: '/d', data: true }]
 * ```
 */
export function splitLowerdirs(value: string): { name: string; data: boolean }[] {
  const out: { name: string; data: boolean }[] = [];
  let cur = '';
  let colons = 0;
  let data = false;
  let nextData = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '\\') {
      // The escape and what it escapes stay in the layer's name.
      cur += c + (value[i + 1] ?? '');
      i++;
      colons = 0;
      continue;
    }
    if (c === ':') {
      colons++;
      const nextColon = value[i + 1] === ':';
      if (colons === 2 && nextColon) throw errno('EINVAL'); // only ':' or '::' separate layers
      if (!nextColon) {
        out.push({ name: cur, data });
        cur = '';
        data = nextData || colons === 2;
        nextData = false;
      }
      continue;
    }
    colons = 0;
    cur += c;
  }
  if (colons) throw errno('EINVAL'); // unescaped trailing colons
  out.push({ name: cur, data });
  return out;
}

/** ovl_unescape(): a backslash stands for the character after it. */
export function unescape(s: string): string {
  return s.replace(/\\(.?)/gs, '$1');
}

/** seq_show_option()'s escaping: comma, space, tab, newline and backslash as octal. */
export function escapeOption(s: string): string {
  return s.replace(/[, \t\n\\]/g, (c) => '\\' + c.charCodeAt(0).toString(8).padStart(3, '0'));
}

type Layer = 'lowerdir' | 'lowerdir+' | 'datadir+' | 'upperdir' | 'workdir';

/**
 * ovl_kern_path() + ovl_mount_dir_check(): the directory a layer option names. EINVAL for an empty
 * name, a non-directory, an overlay as upper or work directory (DCACHE_OP_REAL), a read-only
 * upper or work mount, and for lower layers given in an order the options forbid.
 */
function layerDir(ctx: Resolver, cfg: OvlConfig, name: string, layer: Layer): MountDir {
  // `lowerdir=` pieces and upper/work paths unescape; `lowerdir+`/`datadir+` take the name as is.
  const path = layer === 'lowerdir+' || layer === 'datadir+' ? name : unescape(name);
  if (path === '') throw errno('EINVAL'); // "empty lowerdir"
  const dir = ctx.resolveDir(path);
  if (!isDir(dir.dentry.inode.mode)) throw errno('EINVAL'); // "%s is not a directory"
  if (layer === 'upperdir' || layer === 'workdir') {
    if (ctx.isOverlay(dir)) throw errno('EINVAL'); // "not supported as upperdir"
    if (dir.readonly) throw errno('EINVAL'); // "filesystem on %s is read-only"
  } else {
    if (cfg.lowerdirAll !== null && layer !== 'lowerdir') throw errno('EINVAL'); // "lowerdir+ and datadir+ cannot follow lowerdir"
    if (cfg.lowers.some((l) => l.data) && layer === 'lowerdir+') throw errno('EINVAL'); // "regular lower layers cannot follow data layers"
    if (cfg.lowers.length === OVL_MAX_STACK) throw errno('EINVAL'); // "too many lower directories"
  }
  return dir;
}

/** What parsing needs of the mounting task. */
export interface Resolver {
  resolveDir(path: string): MountDir;
  /** The directory belongs to an overlay (its dentries have DCACHE_OP_REAL). */
  isOverlay(dir: MountDir): boolean;
}

/** ovl_parse_param_lowerdir(): replaces every lower layer with the ones the string names. */
function parseLowerdir(ctx: Resolver, cfg: OvlConfig, value: string): void {
  cfg.lowers = [];
  cfg.lowerdirAll = null;
  if (value === '') return;
  if (value.startsWith(':')) throw errno('EINVAL'); // "cannot append lower layer"
  cfg.lowerdirAll = value;
  const parts = splitLowerdirs(value);
  if (parts.length > OVL_MAX_STACK) throw errno('EINVAL'); // "too many lower directories"
  for (const part of parts) {
    // Judged before the layer's path is looked up.
    if (!part.data && cfg.lowers.some((l) => l.data)) throw errno('EINVAL'); // "regular lower layers cannot follow data lower layers"
    cfg.lowers.push({ name: part.name, dir: layerDir(ctx, cfg, part.name, 'lowerdir'), data: part.data });
  }
}

const ENUMS = {
  redirect_dir: ['off', 'follow', 'nofollow', 'on'],
  index: ['on', 'off'],
  uuid: ['off', 'null', 'auto', 'on'],
  nfs_export: ['on', 'off'],
  xino: ['off', 'auto', 'on'],
  metacopy: ['on', 'off'],
  verity: ['off', 'on', 'require'],
  fsync: ['volatile', 'auto', 'strict'],
} as const;
const FLAGS = ['default_permissions', 'userxattr', 'volatile'] as const;
const STRINGS = ['lowerdir', 'lowerdir+', 'datadir+', 'upperdir', 'workdir'] as const;

/** fs_parse() + ovl_parse_param() for one `key[=value]`. EINVAL for anything the table refuses. */
function parseParam(ctx: Resolver, cfg: OvlConfig, key: string, value: string | undefined): void {
  if ((STRINGS as readonly string[]).includes(key)) {
    // Only `lowerdir` may be empty (fsparam_string_empty); none may go without `=`.
    if (value === undefined || (value === '' && key !== 'lowerdir')) throw errno('EINVAL');
    switch (key as (typeof STRINGS)[number]) {
      case 'lowerdir':
        return parseLowerdir(ctx, cfg, value);
      case 'lowerdir+':
      case 'datadir+': {
        const dir = layerDir(ctx, cfg, value, key as Layer);
        cfg.lowers.push({ name: value, dir, data: key === 'datadir+' });
        return;
      }
      case 'upperdir':
        cfg.upper = layerDir(ctx, cfg, value, 'upperdir');
        cfg.upperdir = value;
        return;
      case 'workdir':
        cfg.work = layerDir(ctx, cfg, value, 'workdir');
        cfg.workdir = value;
        return;
    }
  }
  if ((FLAGS as readonly string[]).includes(key)) {
    if (value !== undefined) throw errno('EINVAL');
    if (key === 'default_permissions') cfg.defaultPermissions = true;
    else if (key === 'userxattr') cfg.userxattr = true;
    else cfg.fsync = 'volatile';
    return;
  }
  if (!Object.hasOwn(ENUMS, key)) throw errno('EINVAL'); // "unrecognized mount option"
  const choices: readonly string[] = ENUMS[key as keyof typeof ENUMS];
  if (value === undefined || !choices.includes(value)) throw errno('EINVAL');
  switch (key as keyof typeof ENUMS) {
    case 'redirect_dir':
      // redirect_dir=off means "follow" when redirect_always_follow is set, else "nofollow".
      cfg.redirectMode = value === 'off' ? (MODULE_PARAMS.redirectAlwaysFollow ? 'follow' : 'nofollow') : (value as RedirectMode);
      cfg.set.redirect = true;
      return;
    case 'index':
      cfg.index = value === 'on';
      cfg.set.index = true;
      return;
    case 'uuid':
      cfg.uuid = value as UuidMode;
      return;
    case 'nfs_export':
      cfg.nfsExport = value === 'on';
      cfg.set.nfsExport = true;
      return;
    case 'xino':
      cfg.xino = value as XinoMode;
      return;
    case 'metacopy':
      cfg.metacopy = value === 'on';
      cfg.set.metacopy = true;
      return;
    case 'verity':
      cfg.verity = value as VerityMode;
      return;
    case 'fsync':
      cfg.fsync = value as FsyncMode;
      return;
  }
}

/**
 * vfs_parse_monolithic_sep(fc, data, ovl_next_opt): every option in order, the VFS's
 * superblock-flag words (`ro`, `sync`, …) applied to `sbFlags`, the rest parsed by overlayfs.
 * Layer paths are resolved here, so their errno (ENOENT, ENOTDIR, EACCES) comes in option order.
 */
export function parseOptions(ctx: Resolver, data: string, sbFlags: number, params?: readonly { key: string; value: string | null }[]): { sbFlags: number; config: OvlConfig } {
  const cfg = defaultConfig();
  // fsconfig(2)'s parameters come one by one; mount(2)'s data is split at unescaped commas.
  const items = params
    ? params.map((p) => ({ key: p.key, value: p.value ?? undefined }))
    : splitOptions(data)
        // An option starting with '=' names nothing and is skipped.
        .filter((item) => item !== '' && item[0] !== '=')
        .map((item) => {
          const eq = item.indexOf('=');
          return { key: eq < 0 ? item : item.slice(0, eq), value: eq < 0 ? undefined : item.slice(eq + 1) };
        });
  for (const { key, value } of items) {
    const flagged = applySbFlagWord(key, sbFlags);
    if (flagged !== null) {
      sbFlags = flagged;
      continue;
    }
    // `source=` names the device once more (mount(2) already set it): "Multiple sources".
    parseParam(ctx, cfg, key, value);
  }
  return { sbFlags, config: cfg };
}

/**
 * ovl_fs_params_verify(), as of this kernel (verity and data-only layers no longer need
 * metacopy): the option combinations that are refused (EINVAL) and the ones quietly adjusted.
 */
export function verifyOptions(cfg: OvlConfig): void {
  const set = { ...cfg.set };
  if (!cfg.upperdir) {
    // workdir and index are useless without an upper layer, volatile meaningless.
    cfg.workdir = null;
    cfg.work = null;
    if (cfg.index && set.index) set.index = false;
    cfg.index = false;
    if (cfg.fsync === 'volatile') cfg.fsync = 'auto';
    if (cfg.uuid === 'on') cfg.uuid = 'null'; // "uuid=on requires an upper fs"
    // "redirect_dir=on is only used for upper": follow and on mean the same below.
    if (cfg.redirectMode === 'follow') cfg.redirectMode = 'on';
  }
  // metacopy needs redirect_dir=on.
  if (cfg.metacopy && cfg.redirectMode !== 'on') {
    if (set.metacopy && set.redirect) throw errno('EINVAL'); // "conflicting options: metacopy=on,redirect_dir=%s"
    if (set.redirect) cfg.metacopy = false;
    else cfg.redirectMode = 'on';
  }
  // nfs_export needs the inodes index.
  if (cfg.nfsExport && !cfg.index) {
    if (!cfg.upperdir && cfg.redirectMode !== 'nofollow') cfg.nfsExport = false;
    else if (set.nfsExport && set.index) throw errno('EINVAL'); // "conflicting options: nfs_export=on,index=off"
    else if (set.index) cfg.nfsExport = false;
    else cfg.index = true;
  }
  // nfs_export cannot go with metacopy.
  if (cfg.nfsExport && cfg.metacopy) {
    if (set.nfsExport && set.metacopy) throw errno('EINVAL'); // "conflicting options: nfs_export=on,metacopy=on"
    if (set.metacopy) cfg.nfsExport = false;
    else cfg.metacopy = false;
  }
  // userxattr (unprivileged overlays) rules out redirects and metacopy.
  if (cfg.userxattr) {
    if (set.redirect && cfg.redirectMode !== 'nofollow') throw errno('EINVAL'); // "conflicting options: userxattr,redirect_dir=%s"
    if (cfg.metacopy && set.metacopy) throw errno('EINVAL'); // "conflicting options: userxattr,metacopy=on"
    cfg.redirectMode = 'nofollow';
    cfg.metacopy = false;
  }
}

/**
 * ovl_show_options(): the overlay's part of mountinfo's super options, each with its leading
 * comma; `sameFs` is ovl_same_fs() (every layer on one filesystem), which hides `xino=`.
 *
 * @example
 * ```ts
 * showOptions(cfg, true); // ',lowerdir=/l1:/l2,upperdir=/u,workdir=/w,uuid=on'
 * ```
 */
export function showOptions(cfg: OvlConfig, sameFs: boolean): string {
  let s = '';
  const opt = (name: string, value?: string): void => {
    s += `,${name}` + (value === undefined ? '' : `=${escapeOption(value)}`);
  };
  if (cfg.lowerdirAll !== null) opt('lowerdir', cfg.lowerdirAll);
  else for (const l of cfg.lowers) opt(l.data ? 'datadir+' : 'lowerdir+', l.name);
  if (cfg.upperdir !== null) {
    opt('upperdir', cfg.upperdir);
    opt('workdir', cfg.workdir ?? '');
  }
  if (cfg.defaultPermissions) opt('default_permissions');
  if (cfg.redirectMode !== defaultRedirectMode()) opt('redirect_dir', cfg.redirectMode);
  if (cfg.index !== MODULE_PARAMS.index) opt('index', cfg.index ? 'on' : 'off');
  if (cfg.uuid !== 'auto') opt('uuid', cfg.uuid);
  if (cfg.nfsExport !== MODULE_PARAMS.nfsExport) opt('nfs_export', cfg.nfsExport ? 'on' : 'off');
  if (cfg.xino !== (MODULE_PARAMS.xinoAuto ? 'auto' : 'off') && !sameFs) opt('xino', cfg.xino);
  if (cfg.metacopy !== MODULE_PARAMS.metacopy) opt('metacopy', cfg.metacopy ? 'on' : 'off');
  if (cfg.fsync !== 'auto') opt('fsync', cfg.fsync);
  if (cfg.userxattr) opt('userxattr');
  if (cfg.verity !== 'off') opt('verity', cfg.verity);
  return s;
}
