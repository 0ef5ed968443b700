/**
 * Fuzzing the codec and the server, shared by test/property/p9-fuzz.test.ts and bench/p9-fuzz.mjs:
 * fast-check arbitraries for any message (round trips) and for frames a hostile peer may send
 * (random bytes, random bodies under a good header, mutated valid frames); "valid-ish" request
 * scripts over a small vocabulary of fids and names, so that random requests meet each other's
 * fids and files; the tree they run against; a snapshot of everything outside the export; and
 * `exchange`, which runs one frame through a session and judges the outcome.
 *
 * The vocabulary is biased the way attacks are: names that try to leave the root (`..`, `a/b`,
 * `../outside`, NUL), symlinks that point out of it, 256-byte names, offsets and sizes at 2^53,
 * 2^63 and 2^64 - 1, counts of 2^32 - 1, writes larger than msize.
 */
import fc from 'fast-check';
import { errnoName } from '../vfs/errno.js';
import { O_CREAT, O_DIRECTORY, O_RDONLY, O_TRUNC, O_WRONLY } from '../vfs/file.js';
import { isDir, isLnk, isReg } from '../vfs/inode.js';
import type { Process } from '../vfs/process.js';
import { decodeHeader, decodeMessage, encodeMessage } from './codec.js';
import { MAXWELEM, NOFID, NOTAG, P9_GETATTR_ALL, P9_VERSION_L } from './constants.js';
import { MESSAGES, messageFields, type P9FieldKind, type P9Message, type P9MessageName, type P9Reply, type P9Request } from './messages.js';
import { P9Server } from './server.js';
import type { P9Session } from './session.js';
import { TreeExport } from './tree-export.js';
import { P9DecodeError } from './wire.js';

const U64_MAX = (1n << 64n) - 1n;
const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u64 = fc.bigInt({ min: 0n, max: U64_MAX });
const str = fc.string({ unit: 'binary', maxLength: 12 });
const qid = fc.record({ type: u8, version: u32, path: u64 });

/** Any value of each field kind. */
const ANY: { [K in P9FieldKind]: fc.Arbitrary<unknown> } = {
  u8,
  u16,
  u32,
  u64,
  str,
  qid,
  wnames: fc.array(str, { maxLength: MAXWELEM }),
  wqids: fc.array(qid, { maxLength: MAXWELEM }),
  data: fc.uint8Array({ maxLength: 48 }),
  dirents: fc.array(fc.record({ qid, offset: u64, type: u8, name: str }), { maxLength: 4 }),
};

const ALL_NAMES = Object.keys(MESSAGES) as P9MessageName[];

function messageOf(name: P9MessageName, fieldArb: (field: string, kind: P9FieldKind) => fc.Arbitrary<unknown>): fc.Arbitrary<P9Message> {
  const fields = Object.fromEntries(messageFields(name).map(([f, k]) => [f, fieldArb(f, k)]));
  return fc.record({ tag: u16, ...fields }).map((r) => ({ msg: name, ...r }) as P9Message);
}

/** Any message of any type (or of one), any field value its width holds. */
export function messageArbitrary(name?: P9MessageName): fc.Arbitrary<P9Message> {
  const names = name ? [name] : ALL_NAMES;
  return fc.oneof(...names.map((n) => messageOf(n, (_, k) => ANY[k])));
}

type Mutation = { op: 'flip'; at: number; bit: number } | { op: 'cut'; n: number; fix: boolean } | { op: 'grow'; bytes: Uint8Array; fix: boolean } | { op: 'size'; value: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('cut' as const), n: fc.integer({ min: 1, max: 16 }), fix: fc.boolean() }),
  fc.record({ op: fc.constant('grow' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }), fix: fc.boolean() }),
  fc.record({ op: fc.constant('size' as const), value: u32 }),
);

function withSize(frame: Uint8Array, size: number): Uint8Array {
  if (frame.length >= 4) new DataView(frame.buffer, frame.byteOffset).setUint32(0, size, true);
  return frame;
}

function mutate(frame: Uint8Array, m: Mutation): Uint8Array {
  switch (m.op) {
    case 'flip': {
      const out = frame.slice();
      if (out.length > 0) out[m.at % out.length]! ^= 1 << m.bit;
      return out;
    }
    case 'cut': {
      const out = frame.slice(0, Math.max(0, frame.length - m.n));
      return m.fix ? withSize(out, out.length) : out;
    }
    case 'grow': {
      const out = new Uint8Array(frame.length + m.bytes.length);
      out.set(frame);
      out.set(m.bytes, frame.length);
      return m.fix ? withSize(out, out.length) : out;
    }
    case 'size':
      return withSize(frame.slice(), m.value);
  }
}

/** A body of random bytes under a header whose size is right and whose type is one 9P knows (or not). */
const randomBodyArb = fc
  .tuple(fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...ALL_NAMES.map((n) => MESSAGES[n].type)) }, { weight: 1, arbitrary: u8 }), u16, fc.uint8Array({ maxLength: 80 }))
  .map(([type, tag, body]) => {
    const f = new Uint8Array(7 + body.length);
    const v = new DataView(f.buffer);
    v.setUint32(0, f.length, true);
    v.setUint8(4, type);
    v.setUint16(5, tag, true);
    f.set(body, 7);
    return f;
  });

/** Frames a hostile peer may send: any bytes, a random body under a good header, a valid frame mutated. */
export const hostileFrameArbitrary: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 64 }),
  randomBodyArb,
  fc.tuple(messageArbitrary().map(encodeMessage), fc.array(mutationArb, { minLength: 1, maxLength: 3 })).map(([f, ms]) => ms.reduce(mutate, f)),
);

// ---------------------------------------------------------------- valid-ish requests

/** The export root of the fuzz tree, and what lies outside it. */
export const FUZZ_ROOT = '/srv';

const pick = <T>(...xs: T[]): fc.Arbitrary<T> => fc.constantFrom(...xs);
/** Names in the tree or made by requests, and the ones past the links out of it (outside, secret, srv). */
const GOOD_NAMES = ['f', 'd', 'sub', 'g', 'new', 'a', 'b', 'ln', 'hard', '..', 'root-link', 'up', 'esc', 'outside', 'secret', 'srv'];
const BAD_NAMES = ['.', '', 'a/b', '../outside', 'x\0y', 'n'.repeat(256), '/'];
const nameArb = fc.oneof({ weight: 8, arbitrary: pick(...GOOD_NAMES) }, { weight: 1, arbitrary: pick(...BAD_NAMES) });
const fidArb = fc.oneof({ weight: 30, arbitrary: fc.integer({ min: 0, max: 9 }) }, { weight: 1, arbitrary: pick(NOFID, 4096, 0x7fffffff) });
/** Fids by use: the opening's 0-5 (openingFrames), and 6-9 for the ones requests make. */
const madeFidArb = fc.integer({ min: 6, max: 9 });
const byUse = (...opening: number[]): fc.Arbitrary<number> => fc.oneof({ weight: 4, arbitrary: pick(...opening) }, { weight: 2, arbitrary: madeFidArb }, { weight: 1, arbitrary: fidArb });
/** To walk from, or a directory to create in: not open. */
const walkFromArb = byUse(0, 1, 3, 4);
/** To do I/O on: open. */
const ioFidArb = byUse(2, 5);
/** A new fid: mostly a free number. */
const newFidArb = fc.oneof({ weight: 3, arbitrary: madeFidArb }, { weight: 1, arbitrary: fidArb });
/** To clunk or remove: mostly one a request made, so that its number is free again. */
const clunkFidArb = fc.oneof({ weight: 4, arbitrary: madeFidArb }, { weight: 1, arbitrary: pick(2, 3, 4, 5) }, { weight: 1, arbitrary: fidArb });
const bigOffsets = [1n << 53n, (1n << 63n) - 1n, 1n << 63n, U64_MAX];
const offsetArb = fc.oneof({ weight: 8, arbitrary: fc.bigInt({ min: 0n, max: 40n }) }, { weight: 1, arbitrary: pick(...bigOffsets) });
const openFlags = [0, 1, 2, 0o1001, 0o1002, 0o2001, 0o200000, 0o302, 0o202, 3, 0o2000002, 0o100];
const modes = [0o644, 0o755, 0o600, 0o10644, 0o20666, 0o60600, 0o140755, 0o120777, 0o4755, 0o170777, 0o100000];

/** Field values for requests, by `Message.field` first, then by field name. */
const REQUEST_FIELDS: Record<string, fc.Arbitrary<unknown>> = {
  fid: fidArb,
  newfid: newFidArb,
  'Twalk.fid': walkFromArb,
  'Txattrwalk.fid': walkFromArb,
  'Tattach.fid': pick(0, 1, 6),
  'Tread.fid': ioFidArb,
  'Twrite.fid': ioFidArb,
  'Treaddir.fid': ioFidArb,
  'Tfsync.fid': ioFidArb,
  'Tlock.fid': ioFidArb,
  'Tgetlock.fid': ioFidArb,
  'Tclunk.fid': clunkFidArb,
  'Tremove.fid': clunkFidArb,
  afid: fc.oneof({ weight: 9, arbitrary: fc.constant(NOFID) }, { weight: 1, arbitrary: fidArb }),
  dfid: walkFromArb,
  olddirfid: walkFromArb,
  newdirfid: walkFromArb,
  dirfid: walkFromArb,
  'Tlcreate.fid': walkFromArb,
  'Tsymlink.fid': walkFromArb,
  'Tlopen.fid': walkFromArb,
  name: nameArb,
  oldname: nameArb,
  newname: nameArb,
  wnames: fc.oneof({ weight: 9, arbitrary: fc.array(nameArb, { maxLength: 4 }) }, { weight: 1, arbitrary: fc.array(nameArb, { minLength: MAXWELEM, maxLength: MAXWELEM }) }),
  symtgt: pick('/', '../..', 'f', '../../outside/secret', 'd/sub', '', 't'.repeat(300)),
  aname: fc.oneof({ weight: 6, arbitrary: fc.constant('') }, { weight: 1, arbitrary: pick('ro', 'nope') }),
  uname: fc.constant('root'),
  version: fc.oneof({ weight: 8, arbitrary: fc.constant(P9_VERSION_L) }, { weight: 1, arbitrary: pick('9P2000.u', '', '9P2000') }),
  msize: pick(0, 4095, 4096, 8192, 65536, 0xffffffff),
  flags: fc.oneof({ weight: 8, arbitrary: pick(...openFlags) }, { weight: 1, arbitrary: u32 }),
  'Tunlinkat.flags': pick(0, 0x200, 0x100, 0xffffffff),
  'Txattrcreate.flags': pick(0, 1, 2, 3, 8),
  'Tlock.flags': pick(0, 1, 2),
  'Txattrwalk.name': pick('user.k', '', 'trusted.t', 'security.s', 'user.', 'nope', 'system.x'),
  'Txattrcreate.name': pick('user.k', '', 'trusted.t', 'security.s', 'user.', 'nope'),
  mode: fc.oneof({ weight: 8, arbitrary: pick(...modes) }, { weight: 1, arbitrary: u32 }),
  offset: offsetArb,
  count: pick(0, 1, 10, 100, 4085, 8192, 0xffffffff),
  data: fc.oneof({ weight: 30, arbitrary: fc.uint8Array({ maxLength: 100 }) }, { weight: 1, arbitrary: fc.constant(new Uint8Array(9000)) }),
  valid: fc.integer({ min: 0, max: 0x1ff }),
  uid: pick(0, 1000, 0xffffffff),
  gid: pick(0, 1000, 0xffffffff),
  size: fc.oneof({ weight: 6, arbitrary: fc.bigInt({ min: 0n, max: 100n }) }, { weight: 1, arbitrary: pick(...bigOffsets) }),
  atimeSec: pick(0n, 1000n, 1n << 62n, U64_MAX),
  mtimeSec: pick(0n, 1000n, 1n << 62n, U64_MAX),
  atimeNsec: pick(0n, 5n, 999_999_999n, 1_000_000_000n, (1n << 30n) - 1n),
  mtimeNsec: pick(0n, 5n, 999_999_999n, 1_000_000_000n, (1n << 30n) - 2n),
  requestMask: fc.constant(P9_GETATTR_ALL),
  attrSize: pick(0n, 3n, 65536n, 65537n, U64_MAX),
  major: pick(0, 1, 5),
  minor: pick(0, 2, 3),
  type: fc.integer({ min: 0, max: 3 }),
  start: pick(0n, 10n),
  length: pick(0n, 10n),
  procId: fc.constant(1),
  clientId: fc.constant('c'),
  nUname: pick(0, 0xffffffff),
  datasync: pick(0, 1),
  oldtag: u16,
};

/** How often each request comes: the ones that make and use fids most. */
const REQUEST_WEIGHTS: { [N in P9Request['msg']]: number } = {
  Tversion: 1,
  Tauth: 2,
  Tattach: 4,
  Tflush: 2,
  Twalk: 48,
  Tclunk: 24,
  Tremove: 6,
  Tstatfs: 4,
  Tlopen: 20,
  Tlcreate: 16,
  Tread: 20,
  Twrite: 20,
  Treaddir: 12,
  Tfsync: 4,
  Tgetattr: 8,
  Tsetattr: 12,
  Treadlink: 8,
  Tsymlink: 8,
  Tmknod: 8,
  Tmkdir: 12,
  Tlink: 8,
  Trename: 8,
  Trenameat: 8,
  Tunlinkat: 12,
  Txattrwalk: 8,
  Txattrcreate: 8,
  Tlock: 4,
  Tgetlock: 4,
};

/** A request whose fields come from the vocabulary. */
export const requestArbitrary: fc.Arbitrary<P9Message> = fc.oneof(
  ...(Object.keys(REQUEST_WEIGHTS) as P9Request['msg'][]).map((n) => ({
    weight: REQUEST_WEIGHTS[n],
    arbitrary: messageOf(n, (f, k) => REQUEST_FIELDS[`${n}.${f}`] ?? REQUEST_FIELDS[f] ?? ANY[k]),
  })),
);

/** One step of a session script: a request, or now and then a hostile frame. */
export const stepArbitrary: fc.Arbitrary<Uint8Array> = fc.oneof({ weight: 30, arbitrary: requestArbitrary.map(encodeMessage) }, { weight: 1, arbitrary: hostileFrameArbitrary });

/**
 * The frames that open a connection: Tversion; fid 0 attached to the export, fid 1 to its
 * read-only twin; fid 2 the file f open read-write, fid 3 the directory d, fid 4 the root again,
 * fid 5 the directory d open for reading.
 */
export function openingFrames(): Uint8Array[] {
  return [
    encodeMessage({ msg: 'Tversion', tag: NOTAG, msize: 8192, version: P9_VERSION_L }),
    encodeMessage({ msg: 'Tattach', tag: 1, fid: 0, afid: NOFID, uname: 'root', aname: '', nUname: 0 }),
    encodeMessage({ msg: 'Tattach', tag: 2, fid: 1, afid: NOFID, uname: 'root', aname: 'ro', nUname: 0 }),
    encodeMessage({ msg: 'Twalk', tag: 3, fid: 0, newfid: 2, wnames: ['f'] }),
    encodeMessage({ msg: 'Tlopen', tag: 4, fid: 2, flags: 2 }),
    encodeMessage({ msg: 'Twalk', tag: 5, fid: 0, newfid: 3, wnames: ['d'] }),
    encodeMessage({ msg: 'Twalk', tag: 6, fid: 0, newfid: 4, wnames: [] }),
    encodeMessage({ msg: 'Twalk', tag: 7, fid: 0, newfid: 5, wnames: ['d'] }),
    encodeMessage({ msg: 'Tlopen', tag: 8, fid: 5, flags: 0 }),
  ];
}

/** A session script: `max` / 2 to `max` steps (long enough for fids to meet), to follow the opening. */
export function scriptArbitrary(max: number): fc.Arbitrary<Uint8Array[]> {
  return fc.array(stepArbitrary, { minLength: Math.ceil(max / 2), maxLength: max });
}

// ---------------------------------------------------------------- the tree

function writeText(p: Process, path: string, text: string): void {
  const fd = p.open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644);
  try {
    p.write(fd, new TextEncoder().encode(text));
  } finally {
    p.close(fd);
  }
}

/**
 * / holding outside/secret, and the export root srv/ with f, d/sub/g, and links out of it:
 * root-link -> /, up -> ../.., d/esc -> ../../outside.
 */
export function buildFuzzTree(p: Process): void {
  p.mkdir('/outside');
  writeText(p, '/outside/secret', 'secret');
  p.mkdir(FUZZ_ROOT);
  writeText(p, `${FUZZ_ROOT}/f`, 'hello');
  p.mkdir(`${FUZZ_ROOT}/d`);
  p.mkdir(`${FUZZ_ROOT}/d/sub`);
  writeText(p, `${FUZZ_ROOT}/d/sub/g`, 'g');
  p.symlink('/', `${FUZZ_ROOT}/root-link`);
  p.symlink('../..', `${FUZZ_ROOT}/up`);
  p.symlink('../../outside', `${FUZZ_ROOT}/d/esc`);
}

/** A server of FUZZ_ROOT: aname '' read-write, 'ro' read-only. */
export function fuzzServer(p: Process, maxFids = 32): P9Server {
  return new P9Server({ '': new TreeExport(p, FUZZ_ROOT), ro: new TreeExport(p, FUZZ_ROOT, { readOnly: true }) }, { maxFids });
}

/**
 * Every file of the tree but `skip` and what is below it, one line each: type and permissions,
 * owner, size, links, mtime, ctime, and a link's target or a file's bytes. atime is left out: the
 * snapshot's own reads move it.
 */
export function treeSnapshot(p: Process, skip: string): string[] {
  const out: string[] = [];
  const visit = (path: string): void => {
    if (path === skip) return;
    const st = p.lstat(path);
    let what = '';
    if (isLnk(st.mode)) what = p.readlink(path);
    else if (isReg(st.mode)) {
      const fd = p.open(path, O_RDONLY);
      const buf = new Uint8Array(st.size);
      p.read(fd, buf);
      p.close(fd);
      what = Array.from(buf, (b) => b.toString(16)).join('');
    }
    out.push(`${path} ${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.size} ${st.nlink} ${st.mtime.sec}.${st.mtime.nsec} ${st.ctime.sec}.${st.ctime.nsec} ${what}`);
    if (!isDir(st.mode)) return;
    const fd = p.open(path, O_RDONLY | O_DIRECTORY);
    const names = p.getdents(fd).map((e) => e.name);
    p.close(fd);
    for (const n of names) if (n !== '.' && n !== '..') visit(path === '/' ? `/${n}` : `${path}/${n}`);
  };
  visit('/');
  return out;
}

// ---------------------------------------------------------------- one exchange

/** What became of one frame: answered (a decodable request got its reply), rejected (it did not decode: Rlerror), or closed. */
export type ExchangeResult = 'answered' | 'rejected' | 'closed';

/**
 * Runs one frame through a session and checks what comes back; throws Error (never SysError or
 * P9DecodeError) when the outcome breaks the protocol: a close of a well-framed frame on an open
 * connection, a reply that does not decode, is not an R-message, has another tag, exceeds msize,
 * answers another request, or carries an errno Linux does not have.
 */
export function exchange(session: P9Session, frame: Uint8Array): ExchangeResult {
  const msize = session.messageSize;
  const wasOpen = !session.isClosed;
  let request: P9Message | undefined;
  let framed = true;
  try {
    decodeHeader(frame, msize);
    request = decodeMessage(frame, msize);
  } catch (e) {
    if (!(e instanceof P9DecodeError)) throw new Error(`decoder threw ${String(e)}`);
    framed = !e.framing;
  }
  const out = session.handle(frame);
  if (out.kind === 'close') {
    if (wasOpen && framed) throw new Error(`closed on a well-framed frame: ${out.reason}`);
    return 'closed';
  }
  if (!wasOpen || !framed) throw new Error('answered a frame it should have closed on');
  let reply: P9Message;
  try {
    reply = decodeMessage(out.frame);
  } catch (e) {
    throw new Error(`reply does not decode: ${String(e)}`);
  }
  const tag = new DataView(frame.buffer, frame.byteOffset).getUint16(5, true);
  if (!reply.msg.startsWith('R')) throw new Error(`reply ${reply.msg} is not an R-message`);
  if (reply.tag !== tag) throw new Error(`reply tag ${reply.tag} != request tag ${tag}`);
  if (out.frame.length > session.messageSize) throw new Error(`reply of ${out.frame.length} bytes over msize ${session.messageSize}`);
  const r = reply as P9Reply;
  if (r.msg === 'Rlerror' && errnoName(r.ecode) === undefined) throw new Error(`Rlerror ${r.ecode} is no errno of the table`);
  if (request === undefined) {
    if (r.msg !== 'Rlerror') throw new Error(`undecodable request answered ${r.msg}`);
    return 'rejected';
  }
  if (r.msg !== 'Rlerror' && r.msg !== `R${request.msg.slice(1)}`) throw new Error(`${request.msg} answered ${r.msg}`);
  return 'answered';
}

/**
 * Runs a script on connections of `server`: the opening, then each step through `exchange`; when
 * the connection closes, a new one is opened, as a client reconnects. Adds each step's result to
 * `seen` (the opening frames are not counted) and closes the last connection.
 */
export function runScript(server: P9Server, script: readonly Uint8Array[], seen: Record<ExchangeResult, number>): void {
  const open = (): P9Session => {
    const s = server.connect();
    for (const f of openingFrames()) exchange(s, f);
    return s;
  };
  let session = open();
  for (const frame of script) {
    const result = exchange(session, frame);
    seen[result]++;
    if (result === 'closed') session = open();
  }
  session.close();
}
