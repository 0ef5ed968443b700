/**
 * The 9P2000.L codec: every message, T and R, survives encode → decode; a few frames are checked
 * byte for byte against layouts computed by hand from diod's protocol.md and Linux's
 * include/net/9p/9p.h; malformed frames fail with a P9DecodeError naming the message and field.
 */
import { describe, expect, it } from 'vitest';
import {
  decodeMessage,
  encodeMessage,
  MAXWELEM,
  MESSAGES,
  messageType,
  NOFID,
  NOTAG,
  P9DecodeError,
  P9_GETATTR_ALL,
  P9_GETATTR_BASIC,
  P9_LOCK_TYPE_WRLCK,
  P9_SETATTR_MODE,
  QTDIR,
  QTFILE,
  QTSYMLINK,
  type P9Message,
  type P9MessageName,
} from '../../src/p9/index.js';

const qid = { type: QTDIR, version: 7, path: 0x1234_5678_9abc_def0n };
const big = (1n << 64n) - 1n;

/** One message of each name; the mapped type makes a missing one a compile error. */
const SAMPLES: { [N in P9MessageName]: P9Message<N> } = {
  Rlerror: { msg: 'Rlerror', tag: 1, ecode: 2 },
  Tstatfs: { msg: 'Tstatfs', tag: 2, fid: 3 },
  Rstatfs: { msg: 'Rstatfs', tag: 2, type: 0x01021994, bsize: 4096, blocks: 100n, bfree: 50n, bavail: 49n, files: big, ffree: 1n << 53n, fsid: 0xdeadbeefn, namelen: 255 },
  Tlopen: { msg: 'Tlopen', tag: 3, fid: 4, flags: 0o2 },
  Rlopen: { msg: 'Rlopen', tag: 3, qid, iounit: 8168 },
  Tlcreate: { msg: 'Tlcreate', tag: 4, fid: 5, name: 'new file', flags: 0o101, mode: 0o644, gid: 100 },
  Rlcreate: { msg: 'Rlcreate', tag: 4, qid: { type: QTFILE, version: 0, path: 9n }, iounit: 0 },
  Tsymlink: { msg: 'Tsymlink', tag: 5, fid: 6, name: 'lnk', symtgt: '../../etc/passwd', gid: 0 },
  Rsymlink: { msg: 'Rsymlink', tag: 5, qid: { type: QTSYMLINK, version: 0, path: 10n } },
  Tmknod: { msg: 'Tmknod', tag: 6, dfid: 7, name: 'null', mode: 0o20666, major: 1, minor: 3, gid: 0 },
  Rmknod: { msg: 'Rmknod', tag: 6, qid },
  Trename: { msg: 'Trename', tag: 7, fid: 8, dfid: 9, name: 'moved' },
  Rrename: { msg: 'Rrename', tag: 7 },
  Treadlink: { msg: 'Treadlink', tag: 8, fid: 10 },
  Rreadlink: { msg: 'Rreadlink', tag: 8, target: '/' },
  Tgetattr: { msg: 'Tgetattr', tag: 9, fid: 11, requestMask: P9_GETATTR_ALL },
  Rgetattr: {
    msg: 'Rgetattr',
    tag: 9,
    valid: P9_GETATTR_BASIC,
    qid,
    mode: 0o40755,
    uid: 1000,
    gid: 1000,
    nlink: 2n,
    rdev: 0n,
    size: 1n << 60n,
    blksize: 4096n,
    blocks: 8n,
    atimeSec: 1_767_225_600n,
    atimeNsec: 999_999_999n,
    mtimeSec: 1n,
    mtimeNsec: 2n,
    ctimeSec: 3n,
    ctimeNsec: 4n,
    btimeSec: 5n,
    btimeNsec: 6n,
    gen: 0n,
    dataVersion: big,
  },
  Tsetattr: { msg: 'Tsetattr', tag: 10, fid: 12, valid: P9_SETATTR_MODE, mode: 0o600, uid: 0xffffffff, gid: 0xffffffff, size: 0n, atimeSec: 0n, atimeNsec: 0n, mtimeSec: 0n, mtimeNsec: 0n },
  Rsetattr: { msg: 'Rsetattr', tag: 10 },
  Txattrwalk: { msg: 'Txattrwalk', tag: 11, fid: 13, newfid: 14, name: 'user.x' },
  Rxattrwalk: { msg: 'Rxattrwalk', tag: 11, size: 65536n },
  Txattrcreate: { msg: 'Txattrcreate', tag: 12, fid: 15, name: 'user.y', attrSize: 3n, flags: 1 },
  Rxattrcreate: { msg: 'Rxattrcreate', tag: 12 },
  Treaddir: { msg: 'Treaddir', tag: 13, fid: 16, offset: 2n, count: 8192 },
  Rreaddir: {
    msg: 'Rreaddir',
    tag: 13,
    entries: [
      { qid, offset: 1n, type: 4, name: '.' },
      { qid: { type: QTFILE, version: 0, path: 3n }, offset: 2n, type: 8, name: 'fichier é' },
    ],
  },
  Tfsync: { msg: 'Tfsync', tag: 14, fid: 17, datasync: 1 },
  Rfsync: { msg: 'Rfsync', tag: 14 },
  Tlock: { msg: 'Tlock', tag: 15, fid: 18, type: P9_LOCK_TYPE_WRLCK, flags: 1, start: 0n, length: 0n, procId: 42, clientId: 'host' },
  Rlock: { msg: 'Rlock', tag: 15, status: 0 },
  Tgetlock: { msg: 'Tgetlock', tag: 16, fid: 19, type: 0, start: 10n, length: big, procId: 7, clientId: '' },
  Rgetlock: { msg: 'Rgetlock', tag: 16, type: 2, start: 10n, length: big, procId: 7, clientId: '' },
  Tlink: { msg: 'Tlink', tag: 17, dfid: 20, fid: 21, name: 'hard' },
  Rlink: { msg: 'Rlink', tag: 17 },
  Tmkdir: { msg: 'Tmkdir', tag: 18, dfid: 22, name: 'd', mode: 0o755, gid: 0 },
  Rmkdir: { msg: 'Rmkdir', tag: 18, qid },
  Trenameat: { msg: 'Trenameat', tag: 19, olddirfid: 23, oldname: 'a', newdirfid: 24, newname: 'b' },
  Rrenameat: { msg: 'Rrenameat', tag: 19 },
  Tunlinkat: { msg: 'Tunlinkat', tag: 20, dirfid: 25, name: 'gone', flags: 0x200 },
  Runlinkat: { msg: 'Runlinkat', tag: 20 },
  Tversion: { msg: 'Tversion', tag: NOTAG, msize: 8192, version: '9P2000.L' },
  Rversion: { msg: 'Rversion', tag: NOTAG, msize: 8192, version: 'unknown' },
  Tauth: { msg: 'Tauth', tag: 21, afid: 26, uname: 'root', aname: '', nUname: 0 },
  Rauth: { msg: 'Rauth', tag: 21, aqid: { type: 0x08, version: 0, path: 1n } },
  Tattach: { msg: 'Tattach', tag: 22, fid: 0, afid: NOFID, uname: 'root', aname: '/srv', nUname: 0xffffffff },
  Rattach: { msg: 'Rattach', tag: 22, qid },
  Tflush: { msg: 'Tflush', tag: 23, oldtag: 22 },
  Rflush: { msg: 'Rflush', tag: 23 },
  Twalk: { msg: 'Twalk', tag: 24, fid: 0, newfid: 1, wnames: Array.from({ length: MAXWELEM }, (_, i) => `n${i}`) },
  Rwalk: { msg: 'Rwalk', tag: 24, wqids: Array.from({ length: MAXWELEM }, (_, i) => ({ type: QTDIR, version: i, path: BigInt(i) })) },
  Tread: { msg: 'Tread', tag: 25, fid: 1, offset: 1n << 40n, count: 4096 },
  Rread: { msg: 'Rread', tag: 25, data: new Uint8Array([0, 1, 2, 255]) },
  Twrite: { msg: 'Twrite', tag: 26, fid: 1, offset: 0n, data: new TextEncoder().encode('hello') },
  Rwrite: { msg: 'Rwrite', tag: 26, count: 5 },
  Tclunk: { msg: 'Tclunk', tag: 27, fid: 1 },
  Rclunk: { msg: 'Rclunk', tag: 27 },
  Tremove: { msg: 'Tremove', tag: 28, fid: 2 },
  Rremove: { msg: 'Rremove', tag: 28 },
};

/** The frame as hex pairs, for readable golden comparisons. */
const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');

/** A frame with its last `n` bytes cut off and its size field fixed up, so only the body is short. */
function truncated(frame: Uint8Array, n: number): Uint8Array {
  const out = frame.slice(0, frame.length - n);
  new DataView(out.buffer).setUint32(0, out.length, true);
  return out;
}

function decodeError(frame: Uint8Array): P9DecodeError {
  try {
    decodeMessage(frame);
  } catch (e) {
    if (e instanceof P9DecodeError) return e;
    throw e;
  }
  throw new Error('decoded');
}

describe('9P2000.L codec', () => {
  it('has the type numbers of include/net/9p/9p.h, R = T + 1', () => {
    const numbers = Object.fromEntries(Object.entries(MESSAGES).map(([n, s]) => [n, s.type]));
    expect(numbers).toMatchObject({
      Rlerror: 7, Tstatfs: 8, Tlopen: 12, Tlcreate: 14, Tsymlink: 16, Tmknod: 18, Trename: 20, Treadlink: 22, Tgetattr: 24, Tsetattr: 26,
      Txattrwalk: 30, Txattrcreate: 32, Treaddir: 40, Tfsync: 50, Tlock: 52, Tgetlock: 54, Tlink: 70, Tmkdir: 72, Trenameat: 74, Tunlinkat: 76,
      Tversion: 100, Tauth: 102, Tattach: 104, Tflush: 108, Twalk: 110, Tread: 116, Twrite: 118, Tclunk: 120, Tremove: 122,
    });
    for (const name of Object.keys(MESSAGES) as P9MessageName[]) {
      if (name.startsWith('T')) expect(messageType(`R${name.slice(1)}` as P9MessageName)).toBe(messageType(name) + 1);
    }
    expect(Object.keys(MESSAGES)).toHaveLength(57);
  });

  it.each(Object.keys(SAMPLES) as P9MessageName[])('round-trips %s', (name) => {
    const m = SAMPLES[name];
    const frame = encodeMessage(m);
    expect(new DataView(frame.buffer).getUint32(0, true)).toBe(frame.length);
    expect(frame[4]).toBe(messageType(name));
    expect(decodeMessage(frame)).toEqual(m);
    expect(encodeMessage(decodeMessage(frame))).toEqual(frame);
  });

  describe('golden frames', () => {
    it('Tversion msize=8192 "9P2000.L" is size[4]=21 type=100 tag=NOTAG msize[4] len[2]=8 and the 8 bytes', () => {
      const f = encodeMessage({ msg: 'Tversion', tag: NOTAG, msize: 8192, version: '9P2000.L' });
      expect(f.length).toBe(4 + 1 + 2 + 4 + 2 + 8);
      expect(hex(f)).toBe('15 00 00 00 64 ff ff 00 20 00 00 08 00 39 50 32 30 30 30 2e 4c');
    });

    it('Twalk fid=1 newfid=2 ["a", "bc"]', () => {
      const f = encodeMessage({ msg: 'Twalk', tag: 1, fid: 1, newfid: 2, wnames: ['a', 'bc'] });
      expect(hex(f)).toBe('18 00 00 00 6e 01 00 01 00 00 00 02 00 00 00 02 00 01 00 61 02 00 62 63');
    });

    it('Rlerror ENOENT', () => {
      expect(hex(encodeMessage({ msg: 'Rlerror', tag: 3, ecode: 2 }))).toBe('0b 00 00 00 07 03 00 02 00 00 00');
    });

    it('Tread offset=2^40 count=4096: the u64 little-endian', () => {
      const f = encodeMessage({ msg: 'Tread', tag: 5, fid: 1, offset: 1n << 40n, count: 4096 });
      expect(hex(f)).toBe('17 00 00 00 74 05 00 01 00 00 00 00 00 00 00 00 01 00 00 00 10 00 00');
    });

    it('Rgetattr is 160 bytes: valid[8] qid[13] mode uid gid [4] and fifteen [8]', () => {
      const f = encodeMessage(SAMPLES.Rgetattr);
      expect(f.length).toBe(7 + 8 + 13 + 3 * 4 + 15 * 8);
      const v = new DataView(f.buffer);
      expect(v.getBigUint64(7, true)).toBe(P9_GETATTR_BASIC);
      expect(f[15]).toBe(QTDIR); // qid.type
      expect(v.getBigUint64(20, true)).toBe(qid.path); // qid.path after type[1] version[4]
      expect(v.getUint32(28, true)).toBe(0o40755); // mode
      expect(v.getBigUint64(7 + 8 + 13 + 12 + 2 * 8, true)).toBe(1n << 60n); // size, after nlink and rdev
      expect(v.getBigUint64(f.length - 8, true)).toBe(big); // data_version last
    });

    it('Rreaddir: count[4] then qid[13] offset[8] type[1] name[s] each', () => {
      const f = encodeMessage({ msg: 'Rreaddir', tag: 9, entries: [{ qid: { type: QTDIR, version: 0, path: 7n }, offset: 1n, type: 4, name: '.' }] });
      expect(hex(f)).toBe('24 00 00 00 29 09 00 19 00 00 00 80 00 00 00 00 07 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00 04 01 00 2e');
    });

    it('Tlock fid=1 WRLCK flags=BLOCK start=0 length=0 proc_id=42 client_id="h"', () => {
      const f = encodeMessage({ msg: 'Tlock', tag: 2, fid: 1, type: 1, flags: 1, start: 0n, length: 0n, procId: 42, clientId: 'h' });
      expect(f.length).toBe(7 + 4 + 1 + 4 + 8 + 8 + 4 + 2 + 1);
      expect(hex(f)).toBe('27 00 00 00 34 02 00 01 00 00 00 01 01 00 00 00' + ' 00'.repeat(16) + ' 2a 00 00 00 01 00 68');
    });

    it('Tfsync carries datasync[4] after the fid', () => {
      expect(hex(encodeMessage({ msg: 'Tfsync', tag: 1, fid: 5, datasync: 1 }))).toBe('0f 00 00 00 32 01 00 05 00 00 00 01 00 00 00');
      expect(decodeError(truncated(encodeMessage({ msg: 'Tfsync', tag: 1, fid: 5, datasync: 0 }), 4)).message).toBe('Tfsync.datasync: truncated (4 bytes needed, 0 left)');
    });
  });

  describe('decode errors name the message and the field', () => {
    it('a frame shorter than the header, or a size field under 7', () => {
      expect(decodeError(new Uint8Array([4, 0, 0, 0])).message).toBe('frame of 4 bytes < 7 header bytes');
      const e = decodeError(new Uint8Array([4, 0, 0, 0, 100, 0, 0]));
      expect(e.message).toBe('size 4 < 7 header bytes');
      expect(e.framing).toBe(true);
    });

    it('a size field that disagrees with the frame, or over msize', () => {
      const f = encodeMessage(SAMPLES.Tclunk);
      const longer = new Uint8Array(f.length + 1);
      longer.set(f);
      expect(decodeError(longer).message).toBe('size 11 != frame length 12');
      expect(() => decodeMessage(f, 10)).toThrow('size 11 > msize 10');
      expect(decodeError(longer).framing).toBe(true);
    });

    it('an unknown type keeps its tag for the Rlerror', () => {
      const e = decodeError(new Uint8Array([7, 0, 0, 0, 250, 0x34, 0x12]));
      expect(e.message).toBe('unknown message type 250');
      expect([e.type, e.tag, e.framing]).toEqual([250, 0x1234, false]);
      expect(decodeError(new Uint8Array([7, 0, 0, 0, 6, 0, 0])).message).toMatch(/^Tlerror \(6\) is reserved/);
    });

    it('a truncated field', () => {
      const walk = encodeMessage({ msg: 'Twalk', tag: 1, fid: 0, newfid: 1, wnames: ['a', 'b', 'c', 'dd'] });
      expect(decodeError(truncated(walk, 1)).message).toBe('Twalk.wnames[3]: truncated (2 bytes needed, 1 left)');
      expect(decodeError(truncated(walk, 3)).message).toBe('Twalk.wnames[3]: truncated (2 bytes needed, 1 left)');
      expect(decodeError(truncated(encodeMessage(SAMPLES.Tread), 2)).message).toBe('Tread.count: truncated (4 bytes needed, 2 left)');
      expect(decodeError(truncated(encodeMessage(SAMPLES.Rgetattr), 9)).message).toBe('Rgetattr.gen: truncated (8 bytes needed, 7 left)');
      expect(decodeError(truncated(encodeMessage(SAMPLES.Rattach), 8)).message).toBe('Rattach.qid.path: truncated (8 bytes needed, 0 left)');
      expect(decodeError(truncated(encodeMessage(SAMPLES.Rread), 1)).message).toBe('Rread.data: truncated (4 bytes needed, 3 left)');
    });

    it('an Rreaddir entry cut inside its name, within the count', () => {
      const f = encodeMessage(SAMPLES.Rreaddir);
      const v = new DataView(f.buffer);
      v.setUint32(7, v.getUint32(7, true) - 1, true);
      expect(decodeError(truncated(f, 1)).message).toBe('Rreaddir.data[1].name: truncated (10 bytes needed, 9 left)');
    });

    it('bytes after the last field', () => {
      const f = encodeMessage(SAMPLES.Tclunk);
      const longer = new Uint8Array(f.length + 3);
      longer.set(f);
      new DataView(longer.buffer).setUint32(0, longer.length, true);
      expect(decodeError(longer).message).toBe('Tclunk: 3 bytes after the last field');
    });

    it('more than MAXWELEM names or qids', () => {
      const w = new DataView(encodeMessage({ msg: 'Twalk', tag: 1, fid: 0, newfid: 1, wnames: [] }).buffer);
      w.setUint16(15, MAXWELEM + 1, true);
      expect(decodeError(new Uint8Array(w.buffer)).message).toBe('Twalk.nwname: 17 > MAXWELEM (16)');
      const r = new DataView(encodeMessage({ msg: 'Rwalk', tag: 1, wqids: [] }).buffer);
      r.setUint16(7, 100, true);
      expect(decodeError(new Uint8Array(r.buffer)).message).toBe('Rwalk.nwqid: 100 > MAXWELEM (16)');
      expect(() => encodeMessage({ msg: 'Twalk', tag: 1, fid: 0, newfid: 1, wnames: Array(17).fill('x') })).toThrow(RangeError);
    });

    it('a string that is not UTF-8', () => {
      const f = encodeMessage({ msg: 'Tattach', tag: 1, fid: 0, afid: NOFID, uname: 'ab', aname: '', nUname: 0 });
      f[17] = 0xff; // the second byte of uname
      expect(decodeError(f).message).toBe('Tattach.uname: invalid UTF-8');
    });

    it('a string length past the end', () => {
      const f = encodeMessage({ msg: 'Treadlink', tag: 1, fid: 0 });
      const r = encodeMessage({ msg: 'Rreadlink', tag: 1, target: 'abc' });
      new DataView(r.buffer).setUint16(7, 60000, true);
      expect(decodeError(r).message).toBe('Rreadlink.target: truncated (60000 bytes needed, 3 left)');
      expect(decodeMessage(f)).toEqual({ msg: 'Treadlink', tag: 1, fid: 0 });
    });
  });

  it('encoding refuses a value that does not fit its field', () => {
    expect(() => encodeMessage({ msg: 'Tclunk', tag: 1, fid: 2 ** 32 })).toThrow('Tclunk.fid: 4294967296 is not a u32');
    expect(() => encodeMessage({ msg: 'Rxattrwalk', tag: 1, size: 1n << 64n })).toThrow(RangeError);
    expect(() => encodeMessage({ msg: 'Rreadlink', tag: 1, target: 'x'.repeat(65536) })).toThrow('Rreadlink.target: 65536 bytes do not fit a 9P string');
  });
});
