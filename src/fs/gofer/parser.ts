/**
 * The option-parsing primitives Linux 6.18's 9p uses, as they behave, since their quirks decide
 * which mount options are taken, ignored or refused: lib/parser.c's match_token() and
 * match_int(), and lib/kstrtox.c's kstrtoint()/kstrtouint(). (Linux 6.19 moved 9p to the
 * fs_context parser, which refuses what these let through; this kernel is 6.18.)
 *
 * - A pattern is a literal, or a literal ending in one conversion: `%s` takes a non-empty rest,
 *   `%u` a number in C notation (simple_strtoul base 0: 0x hex, 0 octal, no sign), `%x` a hex
 *   number; the number must be all of the rest. An option that matches no pattern is not an
 *   error: the caller ignores it (v9fs_parse_options()'s `default: continue`).
 * - match_int() then re-reads the matched text with simple_strtol base 0: EINVAL when no digit
 *   leads, ERANGE outside int; anything after the leading number is ignored (`debug=1f` is 1).
 * - kstrto*() take all of the string (a '+', a trailing newline allowed): EINVAL for anything
 *   else, ERANGE past the type.
 */
import { errno } from '../../vfs/errno.js';

const INT_MAX = 0x7fffffff;
const INT_MIN = -0x80000000;
const U64 = 1n << 64n;

function digitValue(c: string): number {
  const code = c.toLowerCase().charCodeAt(0);
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  return 99;
}

const isXdigit = (c: string | undefined): boolean => c !== undefined && digitValue(c) < 16;

/**
 * _parse_integer_fixup_radix() and _parse_integer(): the value (mod 2^64, as simple_strtoull
 * wraps) and where the digits end, from `at` in base `base` (0: C notation).
 */
function parseUnsigned(s: string, at: number, base: number): { value: bigint; end: number } {
  let i = at;
  if (base === 0) {
    if (s[i] === '0') base = s[i + 1]?.toLowerCase() === 'x' && isXdigit(s[i + 2]) ? 16 : 8;
    else base = 10;
  }
  if (base === 16 && s[i] === '0' && s[i + 1]?.toLowerCase() === 'x') i += 2;
  let value = 0n;
  for (; i < s.length; i++) {
    const d = digitValue(s[i]!);
    if (d >= base) break;
    value = (value * BigInt(base) + BigInt(d)) % U64;
  }
  return { value, end: i };
}

/**
 * match_token() of one option against one pattern: the text the conversion matched ('' for a
 * literal pattern), or null when the option does not match.
 *
 * @example
 * ```ts
 * matchToken('msize=0x2000', 'msize=%u'); // '0x2000'
 * matchToken('msize=8k', 'msize=%u'); // null: the number is not all of the rest
 * matchToken('aname=', 'aname=%s'); // null: %s needs at least one character
 * ```
 */
export function matchToken(option: string, pattern: string): string | null {
  const pct = pattern.indexOf('%');
  if (pct < 0) return option === pattern ? '' : null;
  const literal = pattern.slice(0, pct);
  if (!option.startsWith(literal)) return null;
  const rest = option.slice(literal.length);
  const conv = pattern[pct + 1];
  if (conv === 's') return rest.length > 0 ? rest : null;
  const { end } = parseUnsigned(rest, 0, conv === 'x' ? 16 : 0);
  return end > 0 && end === rest.length ? rest : null;
}

/**
 * match_int(): simple_strtol(text, base 0) of what a `%u`/`%x` matched — EINVAL when no digit
 * leads, ERANGE outside int.
 */
export function matchInt(text: string): number {
  const neg = text.startsWith('-');
  const { value, end } = parseUnsigned(text, neg ? 1 : 0, 0);
  if (end === (neg ? 1 : 0)) throw errno('EINVAL');
  // simple_strtol() returns a long: the wrapped unsigned value, negated for a '-'.
  const asLong = BigInt.asIntN(64, neg ? -value : value);
  if (asLong < BigInt(INT_MIN) || asLong > BigInt(INT_MAX)) throw errno('ERANGE');
  return Number(asLong);
}

/** _kstrtoull(): all of `s` (after an optional '+') as an unsigned number; null when it is not one. */
function kstrtoull(s: string, base: number): bigint | null {
  const at = s.startsWith('+') ? 1 : 0;
  let end = at;
  let value = 0n;
  let b = base;
  if (b === 0) b = s[at] === '0' ? (s[at + 1]?.toLowerCase() === 'x' && isXdigit(s[at + 2]) ? 16 : 8) : 10;
  if (b === 16 && s[at] === '0' && s[at + 1]?.toLowerCase() === 'x') end += 2;
  const digitsAt = end;
  for (; end < s.length; end++) {
    const d = digitValue(s[end]!);
    if (d >= b) break;
    value = value * BigInt(b) + BigInt(d);
  }
  if (end === digitsAt) return null;
  if (s[end] === '\n') end++;
  if (end !== s.length) return null;
  return value;
}

/** kstrtoint(s, 0): EINVAL unless all of `s` is a number, ERANGE outside int. */
export function kstrtoint(s: string): number {
  const neg = s.startsWith('-');
  const v = kstrtoull(neg ? s.slice(1) : s, 0);
  if (v === null || (neg && s.startsWith('-+'))) throw errno('EINVAL');
  const n = neg ? -v : v;
  if (n < BigInt(INT_MIN) || n > BigInt(INT_MAX)) throw errno('ERANGE');
  return Number(n);
}

/** kstrtouint(s, 10): EINVAL unless all of `s` is a decimal number, ERANGE past 2^32 - 1. */
export function kstrtouint(s: string): number {
  const v = kstrtoull(s, 10);
  if (v === null) throw errno('EINVAL');
  if (v > 0xffffffffn) throw errno('ERANGE');
  return Number(v);
}
