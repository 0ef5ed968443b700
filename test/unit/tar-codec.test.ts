/**
 * The tar codec of src/boot/tar: what the writer puts in a header block, that reader and writer
 * agree, that archives GNU tar 1.34 makes (ustar with a prefix, GNU long names, pax records) read
 * as GNU tar lists them and that GNU tar lists ours as we wrote them, and that malformed input ends
 * in a TarFormatError naming what is wrong.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TarFormatError, type TarEntry } from '../../src/boot/tar/entry.js';
import { readTar } from '../../src/boot/tar/reader.js';
import { writeTar } from '../../src/boot/tar/writer.js';
import { localName } from '../../src/boot/tar/names.js';
import { itHasTheOracle, oracleSkipped } from '../oracles.js';

const text = (b: Uint8Array, from: number, len: number): string => new TextDecoder().decode(b.subarray(from, from + len));
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

/** GNU tar is an outside oracle (test/oracles.ts): why it cannot be used here, or null. */
const gnuTarMissing = /GNU tar/.test(spawnSync('tar', ['--version'], { encoding: 'utf8' }).stdout ?? '') ? null : 'GNU tar is not installed (apt-get install tar)';
const skipGnu = oracleSkipped('test/unit/tar-codec (the GNU tar halves)', gnuTarMissing);

const work = mkdtempSync(join(tmpdir(), 'vfsemu-tar-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** GNU tar's verbose listing of an archive, owners numeric, times in UTC. */
function gnuList(archive: Uint8Array): string[] {
  const f = join(work, `list-${Math.random().toString(36).slice(2)}.tar`);
  writeFileSync(f, archive);
  // GNU tar pads its columns to the widest value seen so far; one space stands for any run.
  return execFileSync('tar', ['--numeric-owner', '--utc', '-tvf', f], { encoding: 'utf8' })
    .trimEnd()
    .split('\n')
    .map((l) => l.replace(/ +/g, ' '));
}

describe('the header block the writer makes', () => {
  const archive = writeTar([{ name: 'hello', type: 'file', mode: 0o644, uid: 1000, gid: 100, mtime: 1_700_000_000, data: bytes('hi\n') }]);

  it('is one ustar header, the data padded to a block, then two zero blocks', () => {
    expect(archive.length).toBe(512 * 4);
    expect(text(archive, 0, 6)).toBe('hello\0');
    expect(text(archive, 100, 8)).toBe('0000644\0');
    expect(text(archive, 108, 8)).toBe('0001750\0');
    expect(text(archive, 116, 8)).toBe('0000144\0');
    expect(text(archive, 124, 12)).toBe('00000000003\0');
    expect(text(archive, 136, 12)).toBe('14524770400\0');
    expect(text(archive, 156, 1)).toBe('0');
    expect(text(archive, 257, 8)).toBe('ustar\u000000');
    expect(text(archive, 512, 4)).toBe('hi\n\0');
    expect(archive.subarray(1024).every((b) => b === 0)).toBe(true);
  });

  it('carries a checksum that is six octal digits, NUL, space, and the sum of the block', () => {
    const field = text(archive, 148, 8);
    expect(field).toMatch(/^[0-7]{6}\0 $/);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : archive[i]!;
    expect(parseInt(field.slice(0, 6), 8)).toBe(sum);
  });

  it.skipIf(skipGnu)('is listed by GNU tar as written', () => {
    expect(gnuList(archive)).toEqual(['-rw-r--r-- 1000/100 3 2023-11-14 22:13 hello']);
  });
});

describe('reader and writer', () => {
  const long = `${'d'.repeat(60)}/${'e'.repeat(60)}/${'f'.repeat(60)}`;
  const entries: TarEntry[] = [
    { name: 'dir/', type: 'dir', mode: 0o2775, uid: 0, gid: 0, mtime: 10 },
    { name: 'dir/file', type: 'file', mode: 0o4755, uid: 1, gid: 2, mtime: 11, data: bytes('x'.repeat(513)) },
    { name: 'dir/link', type: 'symlink', mode: 0o777, uid: 0, gid: 0, mtime: 12, linkname: '../elsewhere' },
    { name: 'dir/hard', type: 'hardlink', mode: 0o4755, uid: 1, gid: 2, mtime: 11, linkname: 'dir/file' },
    { name: 'null', type: 'char', mode: 0o666, uid: 0, gid: 0, mtime: 0, devmajor: 1, devminor: 3 },
    { name: 'sda', type: 'block', mode: 0o660, uid: 0, gid: 6, mtime: 0, devmajor: 8, devminor: 0 },
    { name: 'pipe', type: 'fifo', mode: 0o600, uid: 0, gid: 0, mtime: 0 },
    { name: long, type: 'file', mode: 0o600, uid: 3_000_000, gid: 70_000_000, mtime: 13, data: bytes('long') },
    { name: 'ln', type: 'symlink', mode: 0o777, uid: 0, gid: 0, mtime: 14, linkname: `/${long}` },
    { name: 'ünïcode', type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: 15, data: new Uint8Array(0) },
  ];
  const archive = writeTar(entries);
  const back = readTar(archive);

  it('give back every field of every member', () => {
    expect(back.map(({ uname: _u, gname: _g, ...e }) => e)).toEqual(entries);
  });

  it.skipIf(skipGnu)('put a name over 100 bytes, a big uid and gid and a long link name in a pax header GNU tar reads', () => {
    expect(gnuList(archive)).toEqual([
 'drwxrwsr-x 0/0 0 1970-01-01 00:00 dir/',
 '-rwsr-xr-x 1/2 513 1970-01-01 00:00 dir/file',
 'lrwxrwxrwx 0/0 0 1970-01-01 00:00 dir/link -> ../elsewhere',
 'hrwsr-xr-x 1/2 0 1970-01-01 00:00 dir/hard link to dir/file',
 'crw-rw-rw- 0/0 1,3 1970-01-01 00:00 null',
 'brw-rw---- 0/6 8,0 1970-01-01 00:00 sda',
 'prw------- 0/0 0 1970-01-01 00:00 pipe',
 `-rw------- 3000000/70000000 4 1970-01-01 00:00 ${long}`,
 `lrwxrwxrwx 0/0 0 1970-01-01 00:00 ln -> /${long}`,
 '-rw-r--r-- 0/0 0 1970-01-01 00:00 ünïcode',
    ]);
  });

  it('keep pax records they do not know (SCHILY.xattr.*) with the member', () => {
    const [e] = readTar(writeTar([{ name: 'cap', type: 'file', mode: 0o755, uid: 0, gid: 0, mtime: 0, data: bytes(''), pax: { 'SCHILY.xattr.user.k': 'v' } }]));
    expect(e!.pax).toEqual({ 'SCHILY.xattr.user.k': 'v' });
  });
});

describe.skipIf(skipGnu)('archives GNU tar makes', () => {
  itHasTheOracle('GNU tar', gnuTarMissing);
  const src = join(work, 'src');
  const deep = `${'a'.repeat(70)}/${'b'.repeat(70)}`;
  mkdirSync(join(src, deep), { recursive: true });
  writeFileSync(join(src, deep, 'f'), 'data');
  chmodSync(join(src, deep, 'f'), 0o640);
  symlinkSync('f', join(src, deep, 'l'));
  linkSync(join(src, deep, 'f'), join(src, deep, 'h'));
  for (const p of [join(src, deep, 'f'), join(src, deep), join(src, 'a'.repeat(70))]) utimesSync(p, 1000, 1000);

  // ustar cannot carry a link name over 100 bytes: there the hard link is archived as a file.
  const gnuTar = (format: string): Uint8Array =>
    execFileSync('tar', ['-C', src, `--format=${format}`, ...(format === 'ustar' ? ['--hard-dereference'] : []), '--owner=1234', '--group=567', '--numeric-owner', '--sort=name', '-cf', '-', 'a'.repeat(70)]);

  const expected = (e: TarEntry) => ({ name: e.name, type: e.type, mode: e.mode, uid: e.uid, gid: e.gid, linkname: e.linkname, size: e.data?.length });

  for (const format of ['ustar', 'gnu', 'pax']) {
    it(`read in ${format} format, long names and all`, () => {
      const got = readTar(gnuTar(format)).map(expected);
      expect(got).toEqual([
        { name: `${'a'.repeat(70)}/`, type: 'dir', mode: 0o755, uid: 1234, gid: 567, linkname: undefined, size: undefined },
        { name: `${deep}/`, type: 'dir', mode: 0o755, uid: 1234, gid: 567, linkname: undefined, size: undefined },
        { name: `${deep}/f`, type: 'file', mode: 0o640, uid: 1234, gid: 567, linkname: undefined, size: 4 },
        format === 'ustar'
          ? { name: `${deep}/h`, type: 'file', mode: 0o640, uid: 1234, gid: 567, linkname: undefined, size: 4 }
          : { name: `${deep}/h`, type: 'hardlink', mode: 0o640, uid: 1234, gid: 567, linkname: `${deep}/f`, size: undefined },
        { name: `${deep}/l`, type: 'symlink', mode: 0o777, uid: 1234, gid: 567, linkname: 'f', size: undefined },
      ]);
    });
  }
});

describe('malformed archives', () => {
  const good = writeTar([{ name: 'a', type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: 0, data: bytes('abc') }]);
  const err = (b: Uint8Array): string => {
    try {
      readTar(b);
      return 'OK';
    } catch (e) {
      if (e instanceof TarFormatError) return e.message;
      throw e;
    }
  };
  const patched = (at: number, s: string): Uint8Array => {
    const b = good.slice();
    b.set(bytes(s), at);
    return b;
  };

  it('a wrong checksum', () => {
    expect(err(patched(0, 'b'))).toMatch(/^tar: header checksum mismatch \(stored \d+, computed \d+\) \(at byte 0\)$/);
  });

  it('data that runs past the end', () => {
    expect(err(good.subarray(0, 512))).toBe('tar: member "a": data of 3 bytes runs past the end of the archive (at byte 0)');
  });

  it('a number that is not octal', () => {
    const b = patched(124, '0000000009x\0');
    // Keep the checksum right so that the size field is what fails.
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : b[i]!;
    b.set(bytes(sum.toString(8).padStart(6, '0') + '\0 '), 148);
    expect(err(b)).toBe('tar: size field is not octal: "0000000009x" (at byte 0)');
  });

  it('a sparse member', () => {
    const b = writeTar([{ name: 's', type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: 0, data: bytes(''), pax: { 'GNU.sparse.major': '1' } }]);
    expect(err(b)).toBe('tar: member "s": pax GNU sparse members are not supported (at byte 1024)');
  });

  it('a pax record whose length does not fit', () => {
    const b = writeTar([{ name: 'p', type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: 0, data: bytes(''), pax: { k: 'v' } }]);
    // "6 k=v\n" claims 9 bytes.
    b.set(bytes('9'), 512);
    expect(err(b)).toBe('tar: pax record of length 9 does not fit the header or lacks its newline (at byte 0)');
  });

  it('bytes after the last block that are not a block', () => {
    const b = new Uint8Array(good.length - 1024 + 10);
    b.set(good.subarray(0, 1024));
    expect(err(b)).toBe('tar: 10 trailing bytes are not a whole block (at byte 1024)');
  });

  it('an empty input is an empty archive', () => {
    expect(readTar(new Uint8Array(0))).toEqual([]);
  });
});

describe('member names an extraction accepts', () => {
  it('cleans relative names', () => {
    expect(localName('./a//b/')).toBe('a/b');
    expect(localName('a/../b')).toBe('b');
    expect(localName('./')).toBe('.');
  });
  it('refuses absolute names, climbing out and NUL bytes, naming the member', () => {
    expect(() => localName('/etc/passwd')).toThrow('refusing archive member "/etc/passwd": absolute name');
    expect(() => localName('a/../../etc')).toThrow('refusing archive member "a/../../etc": name leaves the destination through ".."');
    expect(() => localName('a\0b')).toThrow('refusing archive member "a\\u0000b": name contains a NUL byte');
  });
});
