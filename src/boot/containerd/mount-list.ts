/**
 * containerd's `Mount` (core/mount/mount.go): the lingua franca a snapshotter returns —
 * `{ type, source, target?, options }`, one serialized mount(2) each — and the reading of a list
 * of them from untrusted JSON, each problem named by its JSON path (`$[1].options[2]`).
 *
 * The JSON is what `ctr snapshots mounts` and the snapshotter API print: the Go struct's field
 * names in lower case (`type`, `source`, `target`, `options`); the capitalised names the Go
 * struct has (`Type`, …) are taken too, as encoding/json matches them without regard to case.
 */

/** One containerd mount. */
export interface ContainerdMount {
  type: string;
  source: string;
  /** A subdirectory of the target the mount goes on ('' : the target itself). */
  target: string;
  options: string[];
}

/** A malformed mount list: `where` is the JSON path of the problem. */
export class MountListError extends Error {
  constructor(
    readonly where: string,
    problem: string,
  ) {
    super(`${where}: ${problem}`);
    this.name = 'MountListError';
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A field by its JSON name, case-insensitively as encoding/json matches (an exact match first). */
function field(o: Record<string, unknown>, name: string): unknown {
  return o[keyOf(o, name)];
}

/** The key `name` is spelled with in `o` (itself when absent). */
function keyOf(o: Record<string, unknown>, name: string): string {
  if (name in o) return name;
  return Object.keys(o).find((key) => key.toLowerCase() === name) ?? name;
}

const KNOWN = new Set(['type', 'source', 'target', 'options']);

/**
 * Checks `doc` as a mount list: an array of mounts, or an object whose `mounts` is one (the
 * shape of a `Mounts` reply). Strings must hold no NUL (mount(2) could not take them).
 *
 * @example
 * ```ts
 * parseMountList([{ type: 'overlay', source: 'overlay', options: ['lowerdir=/l', 'upperdir=/u', 'workdir=/w'] }]);
 * // [{ type: 'overlay', source: 'overlay', target: '', options: [...] }]
 * ```
 */
export function parseMountList(doc: unknown): ContainerdMount[] {
  let list = doc;
  let base = '$';
  if (isObj(doc) && 'mounts' in doc) {
    // A MountsResponse has nothing else: another field means another document (an OCI spec).
    for (const k of Object.keys(doc)) if (k !== 'mounts') throw new MountListError(`$.${k}`, 'unknown field (a mount list is an array of mounts, or {"mounts": [...]})');
    list = doc.mounts;
    base = '$.mounts';
  }
  if (!Array.isArray(list)) throw new MountListError(base, 'expected an array of mounts [{type, source, target?, options}]');
  return list.map((m, i) => {
    const at = `${base}[${i}]`;
    if (!isObj(m)) throw new MountListError(at, 'expected a mount object {type, source, target?, options}');
    for (const k of Object.keys(m)) if (!KNOWN.has(k.toLowerCase())) throw new MountListError(`${at}.${k}`, 'unknown field (a mount has type, source, target and options)');
    const str = (name: string, required: boolean): string => {
      const v = field(m, name);
      if (v === undefined || v === null) {
        if (required) throw new MountListError(`${at}.${name}`, 'missing (a string)');
        return '';
      }
      if (typeof v !== 'string') throw new MountListError(`${at}.${keyOf(m, name)}`, `expected a string, got ${Array.isArray(v) ? 'an array' : typeof v}`);
      if (v.includes('\0')) throw new MountListError(`${at}.${keyOf(m, name)}`, 'holds a NUL byte');
      return v;
    };
    const type = str('type', true);
    if (type === '') throw new MountListError(`${at}.type`, 'empty (a filesystem type such as overlay, bind, ext4, fuse3.fuse-overlayfs)');
    const source = str('source', false);
    const target = str('target', false);
    const raw = field(m, 'options');
    let options: string[] = [];
    if (raw !== undefined && raw !== null) {
      const ok = `${at}.${keyOf(m, 'options')}`;
      if (!Array.isArray(raw)) throw new MountListError(ok, 'expected an array of strings');
      options = raw.map((o, j) => {
        if (typeof o !== 'string') throw new MountListError(`${ok}[${j}]`, `expected a string, got ${typeof o}`);
        if (o.includes('\0')) throw new MountListError(`${ok}[${j}]`, 'holds a NUL byte');
        return o;
      });
    }
    return { type, source, target, options };
  });
}

/**
 * Whether a parsed JSON document has a mount list's shape (for a CLI that also takes OCI specs):
 * an array whose every element is an object with a string `type`, or `{ mounts: [...] }` so with
 * no other field. An OCI config.json is neither: it has other fields beside its `mounts`, whose
 * elements have a `destination`.
 */
export function looksLikeMountList(doc: unknown): boolean {
  const list = isObj(doc) && Object.keys(doc).length === 1 && 'mounts' in doc ? doc.mounts : doc;
  return Array.isArray(list) && list.every((m) => isObj(m) && typeof field(m, 'type') === 'string' && !('destination' in m));
}
