/**
 * Reading a tar archive held in memory into its members, as Go's archive/tar Reader.Next() does:
 * pax local headers ('x') apply to the next member, global ones ('g') to every later member until
 * overridden, GNU 'L'/'K' members carry the next member's long name or link name, a ustar prefix is
 * joined to the name. The archive ends at two zero blocks (one zero block then the end of the data
 * is accepted, as Go accepts it) or at the end of the data after a complete member.
 *
 * Refused with a TarFormatError naming the member and offset: a bad checksum, a number that is
 * not a number, a member whose data runs past the end, sparse files (GNU 'S', pax GNU.sparse.*),
 * a pax record that is malformed, an unknown typeflag, a header followed by no member.
 */
import { TarFormatError, TYPEFLAG, type EntryType, type TarEntry } from './entry.js';
import { BLOCK, decodeHeader, isZeroBlock } from './header.js';
import { parsePax } from './pax.js';

const dec = new TextDecoder('utf-8', { fatal: false });

const TYPES: Record<number, EntryType> = {
  0: 'file',
  [TYPEFLAG.file]: 'file',
  [TYPEFLAG.contiguous]: 'file',
  [TYPEFLAG.hardlink]: 'hardlink',
  [TYPEFLAG.symlink]: 'symlink',
  [TYPEFLAG.char]: 'char',
  [TYPEFLAG.block]: 'block',
  [TYPEFLAG.dir]: 'dir',
  [TYPEFLAG.fifo]: 'fifo',
};

/** The pax keys folded into an entry's fields; other keys stay in `entry.pax`. */
const FOLDED = new Set(['path', 'linkpath', 'size', 'uid', 'gid', 'uname', 'gname', 'mtime', 'atime', 'ctime']);

/** A pax number (decimal, `mtime` may have a fraction); malformed is an error naming the key. */
function paxNumber(key: string, v: string, at: number, fraction: boolean): number {
  const ok = fraction ? /^-?[0-9]+(\.[0-9]+)?$/.test(v) : /^[0-9]+$/.test(v);
  const n = Number(v);
  if (!ok || !Number.isFinite(n) || (!fraction && !Number.isSafeInteger(n))) throw new TarFormatError(`pax ${key} is not a valid number: ${JSON.stringify(v.slice(0, 40))}`, at);
  return n;
}

/**
 * Every member of `archive`, in order.
 *
 * @example
 * ```ts
 * const [e] = readTar(writeTar([{ name: 'a', type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: 0, data: new Uint8Array([1]) }]));
 * e.name; // 'a'
 * ```
 */
export function readTar(archive: Uint8Array): TarEntry[] {
  const out: TarEntry[] = [];
  let off = 0;
  let global: Record<string, string> = {};
  let local: Record<string, string> | null = null;
  let longName: string | null = null;
  let longLink: string | null = null;
  const pending = (): boolean => local !== null || longName !== null || longLink !== null;
  while (off + BLOCK <= archive.length) {
    const block = archive.subarray(off, off + BLOCK);
    if (isZeroBlock(block)) {
      if (pending()) throw new TarFormatError('extended header not followed by a member', off);
      const next = archive.subarray(off + BLOCK, off + 2 * BLOCK);
      if (next.length === 0 || (next.length === BLOCK && isZeroBlock(next))) return out;
      throw new TarFormatError('a single zero block in the middle of the archive', off);
    }
    const at = off;
    const h = decodeHeader(block, at);
    const name0 = h.prefix ? `${h.prefix}/${h.name}` : h.name;
    off += BLOCK;
    // The size a pax record gives wins over the header's, for how much data follows too.
    const paxSize = local?.size ?? global.size;
    const size = paxSize !== undefined && h.typeflag !== TYPEFLAG.paxLocal && h.typeflag !== TYPEFLAG.paxGlobal ? paxNumber('size', paxSize, at, false) : h.size;
    const dataLen = h.typeflag === TYPEFLAG.dir || h.typeflag === TYPEFLAG.symlink || h.typeflag === TYPEFLAG.hardlink || h.typeflag === TYPEFLAG.char || h.typeflag === TYPEFLAG.block || h.typeflag === TYPEFLAG.fifo ? 0 : size;
    if (off + dataLen > archive.length) throw new TarFormatError(`data of ${dataLen} bytes runs past the end of the archive`, at, name0);
    const data = archive.subarray(off, off + dataLen);
    off += Math.ceil(dataLen / BLOCK) * BLOCK;
    switch (h.typeflag) {
      case TYPEFLAG.paxLocal:
        local = { ...(local ?? {}), ...parsePax(data, at) };
        continue;
      case TYPEFLAG.paxGlobal:
        // Go returns 'g' as a member; moby's Unpack skips it. Its records apply to what follows.
        global = { ...global, ...parsePax(data, at) };
        continue;
      case TYPEFLAG.gnuLongName:
        longName = dec.decode(data).replace(/\0.*$/s, '');
        continue;
      case TYPEFLAG.gnuLongLink:
        longLink = dec.decode(data).replace(/\0.*$/s, '');
        continue;
    }
    const type = TYPES[h.typeflag];
    if (type === undefined) {
      const c = String.fromCharCode(h.typeflag);
      const what = c === 'S' ? 'GNU sparse members are not supported' : `unsupported typeflag ${JSON.stringify(c)}`;
      throw new TarFormatError(what, at, name0);
    }
    const rec = { ...global, ...(local ?? {}) };
    for (const k of Object.keys(rec)) if (k.startsWith('GNU.sparse.')) throw new TarFormatError('pax GNU sparse members are not supported', at, name0);
    let name = longName ?? name0;
    if (rec.path !== undefined) name = rec.path;
    let linkname = longLink ?? h.linkname;
    if (rec.linkpath !== undefined) linkname = rec.linkpath;
    const e: TarEntry = {
      name,
      type,
      mode: h.mode,
      uid: rec.uid !== undefined ? paxNumber('uid', rec.uid, at, false) : h.uid,
      gid: rec.gid !== undefined ? paxNumber('gid', rec.gid, at, false) : h.gid,
      uname: rec.uname ?? h.uname,
      gname: rec.gname ?? h.gname,
      mtime: rec.mtime !== undefined ? paxNumber('mtime', rec.mtime, at, true) : h.mtime,
    };
    if (type === 'symlink' || type === 'hardlink') e.linkname = linkname;
    if (type === 'char' || type === 'block') {
      e.devmajor = h.devmajor;
      e.devminor = h.devminor;
    }
    if (type === 'file') e.data = data.slice();
    const extra = Object.keys(rec).filter((k) => !FOLDED.has(k));
    if (extra.length) e.pax = Object.fromEntries(extra.map((k) => [k, rec[k]!]));
    out.push(e);
    local = null;
    longName = null;
    longLink = null;
  }
  if (off !== archive.length) throw new TarFormatError(`${archive.length - off} trailing bytes are not a whole block`, off);
  if (pending()) throw new TarFormatError('extended header not followed by a member', off);
  return out;
}
