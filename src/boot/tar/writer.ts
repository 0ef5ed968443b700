/**
 * Writing members into a tar archive in the format moby's archive code asks Go's archive/tar for
 * (go-archive FileInfoHeader sets `Format = FormatPAX`): a ustar header block for every member,
 * preceded by a pax 'x' member when a field does not fit its ustar slot (a name or link name over
 * 100 bytes, a uid/gid over 07777777, a size over 077777777777, an owner name over 32 bytes, a
 * fractional mtime) or the entry carries pax records of its own. In PAX format Go puts a long name
 * in a `path` record rather than splitting it over the ustar prefix, and so does this writer. The
 * archive ends with two zero blocks.
 *
 * The 'x' member's own name is Go's: the directory of the name, "PaxHeaders.0", the base name,
 * cut to 100 bytes.
 */
import { TYPEFLAG, type TarEntry } from './entry.js';
import { BLOCK, encodeHeader, fitsField, fitsOctal } from './header.js';
import { formatPax } from './pax.js';

const TYPEFLAGS: Record<TarEntry['type'], number> = {
  file: TYPEFLAG.file,
  hardlink: TYPEFLAG.hardlink,
  symlink: TYPEFLAG.symlink,
  char: TYPEFLAG.char,
  block: TYPEFLAG.block,
  dir: TYPEFLAG.dir,
  fifo: TYPEFLAG.fifo,
};

const enc = new TextEncoder();

/** The bytes of a string cut to at most `n` bytes on a character boundary. */
function cut(s: string, n: number): string {
  let out = '';
  for (const ch of s) {
    if (enc.encode(out + ch).length > n) break;
    out += ch;
  }
  return out;
}

function paxName(name: string): string {
  const trimmed = name.replace(/\/+$/, '');
  const i = trimmed.lastIndexOf('/');
  const dir = i < 0 ? '' : trimmed.slice(0, i + 1);
  return cut(`${dir}PaxHeaders.0/${trimmed.slice(i + 1)}`, 100);
}

function padded(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(data.length / BLOCK) * BLOCK);
  out.set(data);
  return out;
}

/** The blocks of one member: an 'x' member when needed, the header, the data padded to a block. */
function member(e: TarEntry): Uint8Array[] {
  const size = e.type === 'file' ? (e.data?.length ?? 0) : 0;
  const linkname = e.linkname ?? '';
  const uname = e.uname ?? '';
  const gname = e.gname ?? '';
  const rec: Record<string, string> = { ...(e.pax ?? {}) };
  if (!fitsField(e.name, 100)) rec.path = e.name;
  if (!fitsField(linkname, 100)) rec.linkpath = linkname;
  if (!fitsOctal(e.uid, 8)) rec.uid = String(e.uid);
  if (!fitsOctal(e.gid, 8)) rec.gid = String(e.gid);
  if (!fitsOctal(size, 12)) rec.size = String(size);
  if (!fitsField(uname, 32)) rec.uname = uname;
  if (!fitsField(gname, 32)) rec.gname = gname;
  if (!Number.isInteger(e.mtime) || !fitsOctal(e.mtime, 12)) rec.mtime = String(e.mtime);
  const blocks: Uint8Array[] = [];
  if (Object.keys(rec).length) {
    const data = formatPax(rec);
    blocks.push(
      encodeHeader({ name: paxName(e.name), mode: 0, uid: 0, gid: 0, size: data.length, mtime: 0, typeflag: TYPEFLAG.paxLocal, linkname: '', uname: '', gname: '', devmajor: 0, devminor: 0, prefix: '' }),
      padded(data),
    );
  }
  blocks.push(
    encodeHeader({
      name: cut(e.name, 100),
      mode: e.mode & 0o7777,
      uid: e.uid,
      gid: e.gid,
      size,
      mtime: Math.max(0, Math.floor(e.mtime)),
      typeflag: TYPEFLAGS[e.type],
      linkname: cut(linkname, 100),
      uname: cut(uname, 32),
      gname: cut(gname, 32),
      devmajor: e.devmajor ?? 0,
      devminor: e.devminor ?? 0,
      prefix: '',
    }),
  );
  if (size) blocks.push(padded(e.data!));
  return blocks;
}

/**
 * An archive of `entries`, in order.
 *
 * @example
 * ```ts
 * const tar = writeTar([{ name: 'etc/', type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: 0 }]);
 * tar.length; // 1536: the header and two zero blocks
 * ```
 */
export function writeTar(entries: readonly TarEntry[]): Uint8Array {
  const blocks = entries.flatMap(member);
  const total = blocks.reduce((n, b) => n + b.length, 0) + 2 * BLOCK;
  const out = new Uint8Array(total);
  let off = 0;
  for (const b of blocks) {
    out.set(b, off);
    off += b.length;
  }
  return out;
}
