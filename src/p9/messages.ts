/**
 * Every 9P2000.L message, T and R, as data: its type number and its fields in wire order, each
 * with its encoding. This table is the one statement of the layouts (DESIGN.md decision 9): the
 * codec (codec.ts) reads and writes by it, and the TypeScript type of each message is derived from
 * it, so a field cannot be named one way in the type and laid out another way on the wire.
 *
 * Layouts follow diod's protocol.md and Linux's net/9p/client.c (the format strings of
 * p9_client_rpc calls): after size[4] type[1] tag[2], the fields below. R = T + 1. Tlerror (6) is
 * reserved and never sent: only Rlerror exists.
 *
 * Encodings: u8/u16/u32 are numbers; every u64 is a bigint (qid.path, offsets, sizes, times,
 * masks) — one rule for all 8-byte fields, so none silently loses precision past 2^53 and no
 * field needs a judgement of its range; `str` is len[2] + UTF-8; `qid` is type[1] version[4]
 * path[8]; `wnames`/`wqids` are a count[2] (at most MAXWELEM) and that many strings/qids; `data` is
 * count[4] and that many bytes; `dirents` is Rreaddir's count[4] and packed entries of qid[13]
 * offset[8] type[1] name[s].
 */

/** qid: the server's identity of a file. `path` is unique per file within the export. */
export interface P9Qid {
  type: number;
  version: number;
  path: bigint;
}

/** One Rreaddir entry: `offset` is the cookie a Treaddir passes to continue after this entry. */
export interface P9Dirent {
  qid: P9Qid;
  offset: bigint;
  /** d_type (DT_*). */
  type: number;
  name: string;
}

interface KindTypes {
  u8: number;
  u16: number;
  u32: number;
  u64: bigint;
  str: string;
  qid: P9Qid;
  wnames: string[];
  wqids: P9Qid[];
  data: Uint8Array;
  dirents: P9Dirent[];
}

export type P9FieldKind = keyof KindTypes;
type FieldList = readonly (readonly [string, P9FieldKind])[];
interface MessageSpec {
  readonly type: number;
  readonly fields: FieldList;
}

const QID_RESULT = [['qid', 'qid']] as const;
const NONE = [] as const;

export const MESSAGES = {
  Rlerror: { type: 7, fields: [['ecode', 'u32']] },
  Tstatfs: { type: 8, fields: [['fid', 'u32']] },
  Rstatfs: {
    type: 9,
    fields: [
      ['type', 'u32'],
      ['bsize', 'u32'],
      ['blocks', 'u64'],
      ['bfree', 'u64'],
      ['bavail', 'u64'],
      ['files', 'u64'],
      ['ffree', 'u64'],
      ['fsid', 'u64'],
      ['namelen', 'u32'],
    ],
  },
  Tlopen: { type: 12, fields: [['fid', 'u32'], ['flags', 'u32']] },
  Rlopen: { type: 13, fields: [['qid', 'qid'], ['iounit', 'u32']] },
  Tlcreate: { type: 14, fields: [['fid', 'u32'], ['name', 'str'], ['flags', 'u32'], ['mode', 'u32'], ['gid', 'u32']] },
  Rlcreate: { type: 15, fields: [['qid', 'qid'], ['iounit', 'u32']] },
  Tsymlink: { type: 16, fields: [['fid', 'u32'], ['name', 'str'], ['symtgt', 'str'], ['gid', 'u32']] },
  Rsymlink: { type: 17, fields: QID_RESULT },
  Tmknod: { type: 18, fields: [['dfid', 'u32'], ['name', 'str'], ['mode', 'u32'], ['major', 'u32'], ['minor', 'u32'], ['gid', 'u32']] },
  Rmknod: { type: 19, fields: QID_RESULT },
  Trename: { type: 20, fields: [['fid', 'u32'], ['dfid', 'u32'], ['name', 'str']] },
  Rrename: { type: 21, fields: NONE },
  Treadlink: { type: 22, fields: [['fid', 'u32']] },
  Rreadlink: { type: 23, fields: [['target', 'str']] },
  Tgetattr: { type: 24, fields: [['fid', 'u32'], ['requestMask', 'u64']] },
  Rgetattr: {
    type: 25,
    fields: [
      ['valid', 'u64'],
      ['qid', 'qid'],
      ['mode', 'u32'],
      ['uid', 'u32'],
      ['gid', 'u32'],
      ['nlink', 'u64'],
      ['rdev', 'u64'],
      ['size', 'u64'],
      ['blksize', 'u64'],
      ['blocks', 'u64'],
      ['atimeSec', 'u64'],
      ['atimeNsec', 'u64'],
      ['mtimeSec', 'u64'],
      ['mtimeNsec', 'u64'],
      ['ctimeSec', 'u64'],
      ['ctimeNsec', 'u64'],
      ['btimeSec', 'u64'],
      ['btimeNsec', 'u64'],
      ['gen', 'u64'],
      ['dataVersion', 'u64'],
    ],
  },
  Tsetattr: {
    type: 26,
    fields: [
      ['fid', 'u32'],
      ['valid', 'u32'],
      ['mode', 'u32'],
      ['uid', 'u32'],
      ['gid', 'u32'],
      ['size', 'u64'],
      ['atimeSec', 'u64'],
      ['atimeNsec', 'u64'],
      ['mtimeSec', 'u64'],
      ['mtimeNsec', 'u64'],
    ],
  },
  Rsetattr: { type: 27, fields: NONE },
  Txattrwalk: { type: 30, fields: [['fid', 'u32'], ['newfid', 'u32'], ['name', 'str']] },
  Rxattrwalk: { type: 31, fields: [['size', 'u64']] },
  Txattrcreate: { type: 32, fields: [['fid', 'u32'], ['name', 'str'], ['attrSize', 'u64'], ['flags', 'u32']] },
  Rxattrcreate: { type: 33, fields: NONE },
  Treaddir: { type: 40, fields: [['fid', 'u32'], ['offset', 'u64'], ['count', 'u32']] },
  Rreaddir: { type: 41, fields: [['entries', 'dirents']] },
  Tfsync: { type: 50, fields: [['fid', 'u32'], ['datasync', 'u32']] },
  Rfsync: { type: 51, fields: NONE },
  Tlock: {
    type: 52,
    fields: [['fid', 'u32'], ['type', 'u8'], ['flags', 'u32'], ['start', 'u64'], ['length', 'u64'], ['procId', 'u32'], ['clientId', 'str']],
  },
  Rlock: { type: 53, fields: [['status', 'u8']] },
  Tgetlock: { type: 54, fields: [['fid', 'u32'], ['type', 'u8'], ['start', 'u64'], ['length', 'u64'], ['procId', 'u32'], ['clientId', 'str']] },
  Rgetlock: { type: 55, fields: [['type', 'u8'], ['start', 'u64'], ['length', 'u64'], ['procId', 'u32'], ['clientId', 'str']] },
  Tlink: { type: 70, fields: [['dfid', 'u32'], ['fid', 'u32'], ['name', 'str']] },
  Rlink: { type: 71, fields: NONE },
  Tmkdir: { type: 72, fields: [['dfid', 'u32'], ['name', 'str'], ['mode', 'u32'], ['gid', 'u32']] },
  Rmkdir: { type: 73, fields: QID_RESULT },
  Trenameat: { type: 74, fields: [['olddirfid', 'u32'], ['oldname', 'str'], ['newdirfid', 'u32'], ['newname', 'str']] },
  Rrenameat: { type: 75, fields: NONE },
  Tunlinkat: { type: 76, fields: [['dirfid', 'u32'], ['name', 'str'], ['flags', 'u32']] },
  Runlinkat: { type: 77, fields: NONE },
  Tversion: { type: 100, fields: [['msize', 'u32'], ['version', 'str']] },
  Rversion: { type: 101, fields: [['msize', 'u32'], ['version', 'str']] },
  Tauth: { type: 102, fields: [['afid', 'u32'], ['uname', 'str'], ['aname', 'str'], ['nUname', 'u32']] },
  Rauth: { type: 103, fields: [['aqid', 'qid']] },
  Tattach: { type: 104, fields: [['fid', 'u32'], ['afid', 'u32'], ['uname', 'str'], ['aname', 'str'], ['nUname', 'u32']] },
  Rattach: { type: 105, fields: QID_RESULT },
  Tflush: { type: 108, fields: [['oldtag', 'u16']] },
  Rflush: { type: 109, fields: NONE },
  Twalk: { type: 110, fields: [['fid', 'u32'], ['newfid', 'u32'], ['wnames', 'wnames']] },
  Rwalk: { type: 111, fields: [['wqids', 'wqids']] },
  Tread: { type: 116, fields: [['fid', 'u32'], ['offset', 'u64'], ['count', 'u32']] },
  Rread: { type: 117, fields: [['data', 'data']] },
  Twrite: { type: 118, fields: [['fid', 'u32'], ['offset', 'u64'], ['data', 'data']] },
  Rwrite: { type: 119, fields: [['count', 'u32']] },
  Tclunk: { type: 120, fields: [['fid', 'u32']] },
  Rclunk: { type: 121, fields: NONE },
  Tremove: { type: 122, fields: [['fid', 'u32']] },
  Rremove: { type: 123, fields: NONE },
} as const satisfies Record<string, MessageSpec>;

/** Reserved for symmetry with Rlerror; no message of this type exists. */
export const TLERROR = 6;

export type P9MessageName = keyof typeof MESSAGES;

type FieldsOf<F extends FieldList> = { -readonly [E in F[number] as E[0]]: KindTypes[E[1]] };

/**
 * A message by name: `{ msg: 'Twalk', tag, fid, newfid, wnames }`. Without a name, the union of
 * all, which narrows on `msg` (not `name` or `type`: those are fields of some messages).
 */
export type P9Message<N extends P9MessageName = P9MessageName> = N extends P9MessageName
  ? { msg: N; tag: number } & FieldsOf<(typeof MESSAGES)[N]['fields']>
  : never;

/** A T-message (a request), the union a server decodes. */
export type P9Request = Extract<P9Message, { msg: `T${string}` }>;
/** An R-message (a reply), the union a client decodes. */
export type P9Reply = Extract<P9Message, { msg: `R${string}` }>;

/** The type number of a message name. */
export function messageType(name: P9MessageName): number {
  return MESSAGES[name].type;
}

const NAME_BY_TYPE = new Map<number, P9MessageName>((Object.keys(MESSAGES) as P9MessageName[]).map((n) => [MESSAGES[n].type, n]));

/** The message name of a type number, or undefined for a number 9P2000.L does not define. */
export function messageName(type: number): P9MessageName | undefined {
  return NAME_BY_TYPE.get(type);
}

/** The field list of a message: its wire layout after the header. */
export function messageFields(name: P9MessageName): FieldList {
  return MESSAGES[name].fields;
}
