/**
 * The options of `mount -t 9p` and how mountinfo shows them, as Linux 6.18 has them: three
 * parsers read the same data string, each taking its own options and ignoring the rest —
 * net/9p/client.c's parse_opts() (msize, trans, version, noextend), net/9p/trans_fd.c's
 * parse_opts() (port, rfdno, wfdno, privport) and fs/9p/v9fs.c's v9fs_parse_options() (the
 * session's) — and v9fs_show_options(), p9_show_client_options() and p9_fd_show_options()
 * print them back.
 *
 * Rules, with the errno at the branch:
 * - An option no parser knows is ignored (9p has always ignored unknown options; v9fs.c says
 *   so), and so is a known one whose value does not fit its pattern (`msize=8k`, `aname=`):
 *   match_token() finds no match (parser.ts).
 * - A value that matches but is refused — msize under 4096, an unknown trans or version, a
 *   cache mode or access that is neither a name nor a number, locktimeout=0 — is an error, but
 *   the parser goes on: the last error of a parser is its result.
 * - The client's options are judged before the transport connects, the session's after the
 *   version is negotiated (p9_client_create() runs before v9fs_parse_options()); trans_fd drops
 *   a bad number silently.
 * - version= takes `9p2000`, `9p2000.u` and `9p2000.L`, exactly so (strcmp): `9P2000.L` is
 *   EINVAL. This client speaks only 9P2000.L; the mount decides what to do with the others.
 * - Bare `loose`, `fscache` and `mmap` are not options in 6.18 (they were before 4.x): ignored.
 *   `cache=` takes loose, fscache, mmap, readahead, none or any int (kstrtoint, base 0); a
 *   negative number is returned as the errno it spells (get_cache_mode()'s quirk).
 *
 * Rendering (mountinfo's super options, after rw/ro): `debug=%#x` (a u16) unless 0, `dfltuid=`
 * and `dfltgid=` unless -2, `afid=` unless ~0, `uname=` unless nobody, `aname=` unless empty,
 * `nodevmap`, `cache=%#x` unless none, `cachetag=` with an fscache cache, `access=user|any|
 * client|<uid>`, `ignoreqv`, `directio`, `posixacl` (kept only with access=client), `noxattr`;
 * then `msize=` unless the default 131096 (the negotiated msize), `trans=`, `noextend` or
 * `version=9p2000.u`; then tcp's `port=` unless 564, fd's `rfd=` and `wfd=` (sic).
 */
import { errno, errnoName, SysError, type Errno } from '../../vfs/errno.js';
import { kstrtoint, kstrtouint, matchInt, matchToken } from './parser.js';

/** The transports this kernel has (net/9p's modules): sockets and descriptors via trans_fd, virtio. */
export type Trans = 'tcp' | 'unix' | 'fd' | 'virtio';
const TRANSPORTS: readonly Trans[] = ['tcp', 'unix', 'fd', 'virtio'];

/** p9_proto_versions. */
export type ProtoVersion = 'legacy' | '2000u' | '2000L';

/** DEFAULT_MSIZE: 128 KiB of payload plus P9_IOHDRSZ. */
export const DEFAULT_MSIZE = 128 * 1024 + 24;
/** P9_FD_PORT: trans=tcp's default port. */
export const P9_FD_PORT = 564;
/** ~0 as trans_fd keeps an unset rfd/wfd. */
const NO_FD = -1;

/** enum p9_cache_bits. */
export const CACHE_FILE = 0b1;
export const CACHE_META = 0b10;
export const CACHE_LOOSE = 0b1000;
export const CACHE_FSCACHE = 0b10000000;
/** enum p9_cache_shortcuts: the names cache= takes. */
const CACHE_SHORTCUTS: Readonly<Record<string, number>> = { none: 0b0, readahead: 0b1, mmap: 0b101, loose: 0b1111, fscache: 0b10001111 };

/** V9FS_ACCESS_*: who the server acts as, and where permission is checked. */
export type Access = { readonly mode: 'user' | 'any' | 'client' } | { readonly mode: 'single'; readonly uid: number };

/** V9FS_DEFUID/V9FS_DEFGID: -2 as a kuid. */
const DEFAULT_ID = 0xfffffffe;
const DEFAULT_UNAME = 'nobody';

/** What net/9p/client.c's parse_opts() takes. */
export interface ClientOptions {
  msize: number;
  /** undefined: the default transport (virtio here, as on a kernel with 9pnet_virtio loaded). */
  trans: Trans | undefined;
  proto: ProtoVersion;
}

/** What net/9p/trans_fd.c's parse_opts() takes. */
export interface FdOptions {
  /** A u16, as trans_fd stores it. */
  port: number;
  rfd: number;
  wfd: number;
  privport: boolean;
}

/** What fs/9p/v9fs.c's v9fs_parse_options() takes. */
export interface SessionOptions {
  debug: number;
  dfltuid: number;
  dfltgid: number;
  afid: number;
  uname: string;
  aname: string;
  nodev: boolean;
  noxattr: boolean;
  directio: boolean;
  ignoreqv: boolean;
  cache: number;
  cachetag: string | undefined;
  /** undefined: the protocol's default (client for 9P2000.L). */
  access: Access | undefined;
  posixacl: boolean;
  /** Seconds between retries of a blocking lock. */
  locktimeout: number;
}

/** strsep(&options, ","): the items of a data string, empty ones skipped. */
function items(data: string): string[] {
  return data.split(',').filter((s) => s !== '');
}

/** A parser's latest error: each refused value replaces the one before, and parsing goes on. */
class LastError {
  private last: SysError | undefined;

  run(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      if (!(e instanceof SysError)) throw e;
      this.last = e;
    }
  }

  set(code: Errno): void {
    this.last = errno(code);
  }

  throwIfAny(): void {
    if (this.last) throw this.last;
  }
}

/**
 * net/9p/client.c parse_opts(): msize (EINVAL under 4096), trans (EINVAL for a transport this
 * kernel lacks), version (EINVAL for anything but the three dialect names), noextend.
 *
 * @example
 * ```ts
 * parseClientOptions('trans=virtio,msize=262144'); // { msize: 262144, trans: 'virtio', proto: '2000L' }
 * ```
 */
export function parseClientOptions(data: string): ClientOptions {
  const o: ClientOptions = { msize: DEFAULT_MSIZE, trans: undefined, proto: '2000L' };
  const err = new LastError();
  for (const item of items(data)) {
    let v: string | null;
    if ((v = matchToken(item, 'msize=%u')) !== null) {
      const text = v;
      err.run(() => {
        const n = matchInt(text);
        if (n < 4096) throw errno('EINVAL'); // "msize should be at least 4k"
        o.msize = n;
      });
    } else if (matchToken(item, 'noextend') !== null) {
      o.proto = 'legacy';
    } else if ((v = matchToken(item, 'trans=%s')) !== null) {
      const name = v;
      if (TRANSPORTS.includes(name as Trans)) o.trans = name as Trans;
      else err.set('EINVAL'); // "Could not find request transport"
    } else if ((v = matchToken(item, 'version=%s')) !== null) {
      const proto = ({ '9p2000': 'legacy', '9p2000.u': '2000u', '9p2000.L': '2000L' } as const)[v as '9p2000'] as ProtoVersion | undefined;
      if (proto) o.proto = proto;
      else err.set('EINVAL'); // "Unknown protocol version"
    }
  }
  err.throwIfAny();
  return o;
}

/** net/9p/trans_fd.c parse_opts(): port (a u16), rfdno, wfdno, privport; a bad number is dropped. */
export function parseFdOptions(data: string): FdOptions {
  const o: FdOptions = { port: P9_FD_PORT, rfd: NO_FD, wfd: NO_FD, privport: false };
  for (const item of items(data)) {
    if (matchToken(item, 'privport') !== null) {
      o.privport = true;
      continue;
    }
    for (const [pattern, set] of [
      ['port=%u', (n: number) => (o.port = n & 0xffff)],
      ['rfdno=%u', (n: number) => (o.rfd = n)],
      ['wfdno=%u', (n: number) => (o.wfd = n)],
    ] as const) {
      const v = matchToken(item, pattern);
      if (v === null) continue;
      try {
        set(matchInt(v));
      } catch {
        // "integer field, but no integer?": trans_fd skips it.
      }
      break;
    }
  }
  return o;
}

/** The fd transport's rfd/wfd are set (not ~0). */
export function hasFds(o: FdOptions): boolean {
  return o.rfd !== NO_FD && o.wfd !== NO_FD;
}

/** get_cache_mode(): a shortcut name or an int; a negative int comes back as the errno it spells. */
function cacheMode(s: string): number {
  if (Object.hasOwn(CACHE_SHORTCUTS, s)) return CACHE_SHORTCUTS[s]!;
  let n: number;
  try {
    n = kstrtoint(s);
  } catch {
    throw errno('EINVAL'); // "Unknown Cache mode or invalid value"
  }
  if (n < 0) throw errno(errnoName(-n) ?? 'EINVAL');
  return n;
}

/** The access= value: user, any, client, or a uid (kstrtouint: EINVAL, ERANGE; -1 is no uid: EINVAL). */
function accessMode(s: string): Access {
  if (s === 'user' || s === 'any' || s === 'client') return { mode: s };
  const uid = kstrtouint(s); // "Unknown access argument"
  if (uid === 0xffffffff) throw errno('EINVAL'); // make_kuid() gives INVALID_UID: "Unknown uid"
  return { mode: 'single', uid };
}

/**
 * fs/9p/v9fs.c v9fs_parse_options(): the session's options. Errors: a bad number (EINVAL,
 * ERANGE), an unknown cache mode or access (EINVAL), locktimeout under 1 (EINVAL).
 *
 * @example
 * ```ts
 * parseSessionOptions('aname=/srv,cache=loose').cache; // 0xf
 * ```
 */
export function parseSessionOptions(data: string): SessionOptions {
  const o: SessionOptions = {
    debug: 0,
    dfltuid: DEFAULT_ID,
    dfltgid: DEFAULT_ID,
    afid: 0xffffffff,
    uname: DEFAULT_UNAME,
    aname: '',
    nodev: false,
    noxattr: false,
    directio: false,
    ignoreqv: false,
    cache: 0,
    cachetag: undefined,
    access: undefined,
    posixacl: false,
    locktimeout: 0,
  };
  const err = new LastError();
  // match_token() tries the patterns in table order; the first match decides.
  const numbers: readonly [string, (n: number) => void][] = [
    // v9ses->debug is an unsigned short.
    ['debug=%x', (n) => (o.debug = n & 0xffff)],
    ['dfltuid=%u', (n) => (o.dfltuid = n)],
    ['dfltgid=%u', (n) => (o.dfltgid = n)],
    ['afid=%u', (n) => (o.afid = n)],
  ];
  const strings: readonly [string, (s: string) => void][] = [
    ['uname=%s', (s) => (o.uname = s)],
    ['aname=%s', (s) => (o.aname = s)],
  ];
  const flags: readonly [string, () => void][] = [
    ['nodevmap', () => (o.nodev = true)],
    ['noxattr', () => (o.noxattr = true)],
    ['directio', () => (o.directio = true)],
    ['ignoreqv', () => (o.ignoreqv = true)],
  ];
  for (const item of items(data)) {
    const num = numbers.find(([p]) => matchToken(item, p) !== null);
    if (num) {
      err.run(() => num[1](matchInt(matchToken(item, num[0])!)));
      continue;
    }
    const str = strings.find(([p]) => matchToken(item, p) !== null);
    if (str) {
      str[1](matchToken(item, str[0])!);
      continue;
    }
    const flag = flags.find(([p]) => matchToken(item, p) !== null);
    if (flag) {
      flag[1]();
      continue;
    }
    let v: string | null;
    if ((v = matchToken(item, 'cache=%s')) !== null) {
      const s = v;
      err.run(() => (o.cache = cacheMode(s)));
    } else if ((v = matchToken(item, 'cachetag=%s')) !== null) {
      o.cachetag = v;
    } else if ((v = matchToken(item, 'access=%s')) !== null) {
      const s = v;
      // The mask is cleared before the value is judged: a bad access= leaves single access behind.
      o.access = { mode: 'single', uid: 0xffffffff };
      err.run(() => (o.access = accessMode(s)));
    } else if (matchToken(item, 'posixacl') !== null) {
      o.posixacl = true;
    } else if ((v = matchToken(item, 'locktimeout=%u')) !== null) {
      const s = v;
      err.run(() => {
        const n = matchInt(s);
        if (n < 1) throw errno('EINVAL'); // "locktimeout must be a greater than zero integer"
        o.locktimeout = n;
      });
    }
  }
  err.throwIfAny();
  return o;
}

/** What mountinfo shows of a mounted session: the parsed options and what the connection settled. */
export interface ShownOptions {
  session: SessionOptions;
  access: Access;
  posixacl: boolean;
  msize: number;
  trans: Trans;
  proto: ProtoVersion;
  fd: FdOptions;
}

/**
 * v9fs_show_options() + p9_show_client_options() + p9_fd_show_options(): the super options
 * after rw/ro, each with its leading comma.
 *
 * @example
 * ```ts
 * showOptions(shown); // ',access=client,trans=virtio'
 * ```
 */
export function showOptions(x: ShownOptions): string {
  const s = x.session;
  let out = '';
  if (s.debug) out += `,debug=0x${s.debug.toString(16)}`;
  if (s.dfltuid !== DEFAULT_ID) out += `,dfltuid=${s.dfltuid}`;
  if (s.dfltgid !== DEFAULT_ID) out += `,dfltgid=${s.dfltgid}`;
  if (s.afid !== 0xffffffff) out += `,afid=${s.afid}`;
  if (s.uname !== DEFAULT_UNAME) out += `,uname=${s.uname}`;
  if (s.aname !== '') out += `,aname=${s.aname}`;
  if (s.nodev) out += ',nodevmap';
  if (s.cache) out += `,cache=0x${s.cache.toString(16)}`;
  if (s.cachetag !== undefined && s.cache & CACHE_FSCACHE) out += `,cachetag=${s.cachetag}`;
  out += `,access=${x.access.mode === 'single' ? x.access.uid : x.access.mode}`;
  if (s.ignoreqv) out += ',ignoreqv';
  if (s.directio) out += ',directio';
  if (x.posixacl) out += ',posixacl';
  if (s.noxattr) out += ',noxattr';
  // p9_show_client_options()
  if (x.msize !== DEFAULT_MSIZE) out += `,msize=${x.msize}`;
  out += `,trans=${x.trans}`;
  if (x.proto === 'legacy') out += ',noextend';
  else if (x.proto === '2000u') out += ',version=9p2000.u';
  // p9_fd_show_options(): tcp's port, fd's descriptors; unix and virtio show nothing.
  if (x.trans === 'tcp' && x.fd.port !== P9_FD_PORT) out += `,port=${x.fd.port}`;
  if (x.trans === 'fd') {
    if (x.fd.rfd !== NO_FD) out += `,rfd=${x.fd.rfd}`;
    if (x.fd.wfd !== NO_FD) out += `,wfd=${x.fd.wfd}`;
  }
  return out;
}
