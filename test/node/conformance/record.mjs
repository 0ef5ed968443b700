// The conformance suite's recorder: runs fs calls and writes down what came back, in a form two
// fs implementations can be compared by (JSON-safe; the scenario directory replaced by <dir>;
// inode and device numbers and times left out unless a scenario asks for them).
//
// Plain JavaScript: the same code runs in vitest against the sandbox's fs and in a spawned
// `node` (as root or as uid 1000) against the real node:fs on a tmpfs (run-real.mjs).

/** A value as the comparison sees it. */
export function normalise(v, dir, fs, seen = new Set()) {
  const n = (x) => normalise(x, dir, fs, seen);
  if (v === undefined) return '<undefined>';
  if (typeof v === 'string') return dir ? v.split(dir).join('<dir>') : v;
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'function') return `function ${v.name}`;
  if (typeof v === 'symbol') return String(v);
  if (v === null || typeof v !== 'object') return v;
  if (seen.has(v)) return '<cycle>';
  seen.add(v);
  if (v instanceof Error) return { error: normaliseError(v, dir) };
  if (ArrayBuffer.isView(v)) return { [v.constructor.name]: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex') };
  if (Array.isArray(v)) return v.map(n);
  if (typeof v.isFile === 'function' && 'nlink' in v) {
    const s = { class: v.constructor.name, instanceofStats: v instanceof fs.Stats };
    for (const k of ['mode', 'nlink', 'uid', 'gid', 'rdev', 'size', 'blksize', 'blocks']) s[k] = n(v[k]);
    for (const m of ['isFile', 'isDirectory', 'isSymbolicLink', 'isFIFO', 'isSocket', 'isCharacterDevice', 'isBlockDevice']) s[m] = v[m]();
    s.timeTypes = ['atimeMs', 'mtimeMs', 'ctimeMs', 'birthtimeMs', 'atime', 'mtime', 'atimeNs'].map((k) => (v[k] instanceof Date ? 'Date' : typeof v[k]));
    s.keys = Object.keys(v);
    return { stats: s };
  }
  if (typeof v.isFile === 'function' && 'name' in v) {
    return { dirent: { class: v.constructor.name, instanceofDirent: v instanceof fs.Dirent, name: n(v.name), parentPath: n(v.parentPath), path: n(v.path), file: v.isFile(), dir: v.isDirectory(), link: v.isSymbolicLink(), keys: Object.keys(v) } };
  }
  if (v.constructor?.name === 'Dir' || v.constructor?.name === 'FileHandle' || v.constructor?.name?.endsWith('Stream')) return { object: v.constructor.name };
  if (v.constructor?.name === 'StatFs') return { statfs: { type: v.type, bsize: n(v.bsize), fields: Object.keys(v) } };
  const out = {};
  for (const [k, x] of Object.entries(v)) out[k] = n(x);
  return out;
}

/** An error as the comparison sees it: class, code, errno, syscall, path, dest, message, keys. */
export function normaliseError(e, dir) {
  const s = (x) => (typeof x === 'string' && dir ? x.split(dir).join('<dir>') : x);
  const out = { name: e.name, ctor: e.constructor === Error ? 'Error' : e.constructor?.name, message: s(e.message), string: s(String(e)), keys: Object.keys(e) };
  for (const k of ['code', 'errno', 'syscall', 'path', 'dest']) if (e[k] !== undefined) out[k] = s(e[k]);
  if (e.info) out.info = JSON.parse(s(JSON.stringify(e.info)));
  if (e.cause !== undefined) out.cause = String(e.cause);
  out.isTypeError = e instanceof TypeError;
  out.isRangeError = e instanceof RangeError;
  return out;
}

/** A recorder for one scenario run: each step adds [label, { ok } | { err } | { thrown }]. */
export function recorder(fs, dir) {
  const out = [];
  const add = (label, entry) => out.push([label, entry]);
  const ok = (v) => ({ ok: normalise(v, dir, fs) });
  const err = (e) => ({ err: normaliseError(e, dir) });
  return {
    out,
    /** A sync call: its value or its exception. */
    sync(label, fn) {
      try {
        add(label, ok(fn()));
      } catch (e) {
        add(label, err(e));
      }
    },
    /** A promise: what it resolves to or rejects with (a synchronous throw is marked `thrown`). */
    async promise(label, fn) {
      let pr;
      try {
        pr = fn();
      } catch (e) {
        add(label, { thrown: normaliseError(e, dir) });
        return;
      }
      try {
        add(label, ok(await pr));
      } catch (e) {
        add(label, err(e));
      }
    },
    /** A callback call: the arguments the callback got, or the synchronous throw. */
    callback(label, fn) {
      return new Promise((resolve) => {
        let sync = true;
        try {
          fn((...args) => {
            add(label, { args: args.map((a) => (a instanceof Error ? { error: normaliseError(a, dir) } : normalise(a, dir, fs))), async: !sync });
            resolve();
          });
        } catch (e) {
          add(label, { thrown: normaliseError(e, dir) });
          resolve();
        }
        sync = false;
      });
    },
    /** A plain value to compare. */
    value(label, v) {
      add(label, ok(v));
    },
  };
}
