/**
 * pax extended header records (POSIX pax, "pax Extended Header"): the data of an 'x' or 'g'
 * member is a sequence of "<length> <key>=<value>\n" records, the length counting the whole
 * record, its own digits included. Values are UTF-8; a later record for the same key wins.
 */
import { TarFormatError } from './entry.js';

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: false });

/** Parses the records of one extended header; `at` is its offset, for messages. */
export function parsePax(data: Uint8Array, at: number): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  let i = 0;
  while (i < data.length) {
    // A header padded with NULs after the last record ends there.
    if (data[i] === 0) break;
    let sp = i;
    while (sp < data.length && data[sp] !== 0x20) sp++;
    const lenText = dec.decode(data.subarray(i, sp));
    if (!/^[0-9]+$/.test(lenText)) throw new TarFormatError(`pax record length is not a number: ${JSON.stringify(lenText.slice(0, 20))}`, at);
    const len = Number(lenText);
    if (len <= sp - i + 1 || i + len > data.length || data[i + len - 1] !== 0x0a) throw new TarFormatError(`pax record of length ${len} does not fit the header or lacks its newline`, at);
    const rec = dec.decode(data.subarray(sp + 1, i + len - 1));
    const eq = rec.indexOf('=');
    if (eq <= 0) throw new TarFormatError(`pax record without a key: ${JSON.stringify(rec.slice(0, 40))}`, at);
    out[rec.slice(0, eq)] = rec.slice(eq + 1);
    i += len;
  }
  return out;
}

/** One record, its length prefix computed as pax requires (the length includes its own digits). */
export function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const n = enc.encode(body).length;
  let len = n + String(n).length;
  if (String(len).length !== String(n).length) len = n + String(len).length;
  return `${len}${body}`;
}

/** The data of an extended header holding `records` in key order (deterministic output). */
export function formatPax(records: Record<string, string>): Uint8Array {
  return enc.encode(
    Object.keys(records)
      .sort()
      .map((k) => paxRecord(k, records[k]!))
      .join(''),
  );
}
