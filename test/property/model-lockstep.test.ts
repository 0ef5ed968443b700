/**
 * A reference model in lockstep with the emulator: a plain tree of directories and files with
 * hard links, one root user, no mounts and no symlinks. After every step of a random sequence of
 * mkdir / create+write / pwrite / unlink / rmdir / rename / link / truncate, the two agree on:
 * - success or failure, and the errno wherever the model can know it (ENOENT, EEXIST, ENOTDIR,
 *   EISDIR, ENOTEMPTY, EINVAL for moving a directory into itself, EPERM for linking a directory);
 * - every directory's listing (getdents names less `.` and `..`) and its st_nlink (2 + subdirs);
 * - every file's st_nlink (its names), size and bytes, and which names share an inode.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSandbox, O_APPEND, O_CREAT, O_DIRECTORY, O_RDONLY, O_TRUNC, O_WRONLY, RENAME_EXCHANGE, RENAME_NOREPLACE, S_IFDIR, S_IFMT, S_IFREG } from '../../src/index.js';
import type { Process } from '../../src/vfs/process.js';
import { attempt, runsFor, seedFor, type Outcome } from './helpers.js';

const SEED = seedFor(0x5eed_0002);
const RUNS = runsFor(400);

// ---------------------------------------------------------------- the model

type Node = Dir | File;
interface Dir {
  kind: 'dir';
  id: number;
  children: Map<string, Node>;
}
interface File {
  kind: 'file';
  id: number;
  data: Uint8Array;
}

class ModelError extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}
const fail = (code: string): never => {
  throw new ModelError(code);
};

class Model {
  private nextId = 1;
  readonly root: Dir = this.dir();

  private dir(): Dir {
    return { kind: 'dir', id: this.nextId++, children: new Map() };
  }

  /** The directory holding the last component: ENOENT for a missing one, ENOTDIR for a file. */
  private parent(path: string): { dir: Dir; name: string } {
    const comps = path.split('/').filter((c) => c !== '');
    let cur: Node = this.root;
    for (const c of comps.slice(0, -1)) {
      if (cur.kind !== 'dir') fail('ENOTDIR');
      const next: Node | undefined = (cur as Dir).children.get(c);
      if (!next) fail('ENOENT');
      cur = next!;
    }
    if (cur.kind !== 'dir') fail('ENOTDIR');
    return { dir: cur as Dir, name: comps[comps.length - 1]! };
  }

  private lookup(path: string): Node {
    const { dir, name } = this.parent(path);
    return dir.children.get(name) ?? fail('ENOENT');
  }

  /** `d` is `ancestor` or below it. */
  private within(d: Node, ancestor: Node): boolean {
    if (d === ancestor) return true;
    if (ancestor.kind !== 'dir') return false;
    for (const c of ancestor.children.values()) if (this.within(d, c)) return true;
    return false;
  }

  mkdir(path: string): void {
    const { dir, name } = this.parent(path);
    if (dir.children.has(name)) fail('EEXIST');
    dir.children.set(name, this.dir());
  }

  /** open(O_WRONLY|O_CREAT [|O_TRUNC|O_APPEND]), one write at offset 0 (or the end), close. */
  createWrite(path: string, data: Uint8Array, mode: 'plain' | 'trunc' | 'append'): void {
    const { dir, name } = this.parent(path);
    let f = dir.children.get(name);
    if (f && f.kind === 'dir') fail('EISDIR');
    if (!f) {
      f = { kind: 'file', id: this.nextId++, data: new Uint8Array(0) };
      dir.children.set(name, f);
    } else if (mode === 'trunc') f.data = new Uint8Array(0);
    const file = f as File;
    const pos = mode === 'append' ? file.data.length : 0;
    if (data.length === 0) return;
    const end = Math.max(file.data.length, pos + data.length);
    const next = new Uint8Array(end);
    next.set(file.data);
    next.set(data, pos);
    file.data = next;
  }

  /** open(O_WRONLY) of an existing file, then pwrite(2) at `pos` (holes read as zeros). */
  pwrite(path: string, data: Uint8Array, pos: number): void {
    const f = this.lookup(path);
    if (f.kind === 'dir') fail('EISDIR');
    const file = f as File;
    if (data.length === 0) return;
    const next = new Uint8Array(Math.max(file.data.length, pos + data.length));
    next.set(file.data);
    next.set(data, pos);
    file.data = next;
  }

  unlink(path: string): void {
    const { dir, name } = this.parent(path);
    const victim = dir.children.get(name) ?? fail('ENOENT');
    if (victim.kind === 'dir') fail('EISDIR');
    dir.children.delete(name);
  }

  rmdir(path: string): void {
    const { dir, name } = this.parent(path);
    const victim = dir.children.get(name) ?? fail('ENOENT');
    if (victim.kind !== 'dir') fail('ENOTDIR');
    if ((victim as Dir).children.size > 0) fail('ENOTEMPTY');
    dir.children.delete(name);
  }

  /** rename(2) / renameat2(2) in do_renameat2()'s order of checks. */
  rename(from: string, to: string, flags: number): void {
    const a = this.parent(from);
    const b = this.parent(to);
    const src = a.dir.children.get(a.name) ?? fail('ENOENT');
    const dst = b.dir.children.get(b.name);
    if (flags & RENAME_NOREPLACE && dst) fail('EEXIST');
    if (flags & RENAME_EXCHANGE && !dst) fail('ENOENT');
    // lock_rename()'s trap: the source may not become its own descendant...
    if (a.dir !== b.dir && this.within(b.dir, src)) fail('EINVAL');
    // ...and the target may not be an ancestor of the source.
    if (dst && a.dir !== b.dir && this.within(a.dir, dst)) fail(flags & RENAME_EXCHANGE ? 'EINVAL' : 'ENOTEMPTY');
    if (dst === src) return;
    if (flags & RENAME_EXCHANGE) {
      a.dir.children.set(a.name, dst!);
      b.dir.children.set(b.name, src);
      return;
    }
    if (dst) {
      if (src.kind === 'dir' && dst.kind !== 'dir') fail('ENOTDIR');
      if (src.kind !== 'dir' && dst.kind === 'dir') fail('EISDIR');
      if (dst.kind === 'dir' && dst.children.size > 0) fail('ENOTEMPTY');
    }
    a.dir.children.delete(a.name);
    b.dir.children.set(b.name, src);
  }

  link(from: string, to: string): void {
    const src = this.lookup(from);
    const { dir, name } = this.parent(to);
    if (dir.children.has(name)) fail('EEXIST');
    if (src.kind === 'dir') fail('EPERM');
    dir.children.set(name, src);
  }

  truncate(path: string, len: number): void {
    const f = this.lookup(path);
    if (f.kind === 'dir') fail('EISDIR');
    const file = f as File;
    const next = new Uint8Array(len);
    next.set(file.data.subarray(0, len));
    file.data = next;
  }

  /** Names of each file id, for st_nlink. */
  fileLinks(): Map<number, number> {
    const out = new Map<number, number>();
    const walk = (d: Dir): void => {
      for (const c of d.children.values()) {
        if (c.kind === 'dir') walk(c);
        else out.set(c.id, (out.get(c.id) ?? 0) + 1);
      }
    };
    walk(this.root);
    return out;
  }
}

// ---------------------------------------------------------------- operations

type Op =
  | { op: 'mkdir'; path: string }
  | { op: 'write'; path: string; data: Uint8Array; mode: 'plain' | 'trunc' | 'append' }
  | { op: 'pwrite'; path: string; data: Uint8Array; pos: number }
  | { op: 'unlink'; path: string }
  | { op: 'rmdir'; path: string }
  | { op: 'rename'; from: string; to: string; flags: number }
  | { op: 'link'; from: string; to: string }
  | { op: 'truncate'; path: string; len: number };

/** Paths of one to three names from a pool of three, so that they collide often. */
const PATH = fc.array(fc.constantFrom('a', 'b', 'c'), { minLength: 1, maxLength: 3 }).map((cs) => '/' + cs.join('/'));

const OP: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('mkdir' as const), path: PATH }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('write' as const), path: PATH, data: fc.uint8Array({ maxLength: 12 }), mode: fc.constantFrom('plain' as const, 'trunc' as const, 'append' as const) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('pwrite' as const), path: PATH, data: fc.uint8Array({ maxLength: 12 }), pos: fc.oneof(fc.nat(30), fc.integer({ min: 4086, max: 4100 }), fc.constant(8192)) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('unlink' as const), path: PATH }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('rmdir' as const), path: PATH }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('rename' as const), from: PATH, to: PATH, flags: fc.constantFrom(0, 0, 0, RENAME_NOREPLACE, RENAME_EXCHANGE) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('link' as const), from: PATH, to: PATH }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('truncate' as const), path: PATH, len: fc.oneof(fc.nat(20), fc.integer({ min: 4090, max: 4100 }), fc.constant(5000)) }) },
);

function onModel(m: Model, o: Op): Outcome<void> {
  try {
    switch (o.op) {
      case 'mkdir':
        return { ok: true, value: m.mkdir(o.path) };
      case 'write':
        return { ok: true, value: m.createWrite(o.path, o.data, o.mode) };
      case 'pwrite':
        return { ok: true, value: m.pwrite(o.path, o.data, o.pos) };
      case 'unlink':
        return { ok: true, value: m.unlink(o.path) };
      case 'rmdir':
        return { ok: true, value: m.rmdir(o.path) };
      case 'rename':
        return { ok: true, value: m.rename(o.from, o.to, o.flags) };
      case 'link':
        return { ok: true, value: m.link(o.from, o.to) };
      case 'truncate':
        return { ok: true, value: m.truncate(o.path, o.len) };
    }
  } catch (e) {
    if (e instanceof ModelError) return { ok: false, code: e.code };
    throw e;
  }
}

function onEmulator(p: Process, o: Op): Outcome<void> {
  return attempt(() => {
    switch (o.op) {
      case 'mkdir':
        return p.mkdir(o.path, 0o755);
      case 'write': {
        const flags = O_WRONLY | O_CREAT | (o.mode === 'trunc' ? O_TRUNC : o.mode === 'append' ? O_APPEND : 0);
        const fd = p.open(o.path, flags, 0o644);
        try {
          const n = p.write(fd, o.data);
          expect(n).toBe(o.data.length);
        } finally {
          p.close(fd);
        }
        return;
      }
      case 'pwrite': {
        const fd = p.open(o.path, O_WRONLY);
        try {
          expect(p.pwrite(fd, o.data, o.pos)).toBe(o.data.length);
        } finally {
          p.close(fd);
        }
        return;
      }
      case 'unlink':
        return p.unlink(o.path);
      case 'rmdir':
        return p.rmdir(o.path);
      case 'rename':
        return o.flags === 0 ? p.rename(o.from, o.to) : p.renameat2(-100, o.from, -100, o.to, o.flags);
      case 'link':
        return p.link(o.from, o.to);
      case 'truncate':
        return p.truncate(o.path, o.len);
    }
  });
}

function readAll(p: Process, path: string): Uint8Array {
  const fd = p.open(path, O_RDONLY);
  try {
    const chunks: Uint8Array[] = [];
    for (;;) {
      const buf = new Uint8Array(4096);
      const n = p.read(fd, buf);
      if (n === 0) break;
      chunks.push(buf.subarray(0, n));
    }
    const out = new Uint8Array(chunks.reduce((s, c) => s + c.length, 0));
    let off = 0;
    for (const c of chunks) {
      out.set(c, off);
      off += c.length;
    }
    return out;
  } finally {
    p.close(fd);
  }
}

function listing(p: Process, path: string): string[] {
  const fd = p.open(path, O_RDONLY | O_DIRECTORY);
  try {
    const names: string[] = [];
    for (let batch = p.getdents(fd); batch.length > 0; batch = p.getdents(fd)) names.push(...batch.map((e) => e.name));
    expect(names.slice(0, 2), `. and .. lead the listing of ${path}`).toEqual(['.', '..']);
    return names.slice(2).sort();
  } finally {
    p.close(fd);
  }
}

/** The whole tree of the model against the emulator's. */
function compare(m: Model, p: Process): void {
  const links = m.fileLinks();
  const inoOf = new Map<number, number>();
  const idOf = new Map<number, number>();
  const sameInode = (id: number, ino: number, path: string): void => {
    // Names share an inode in the emulator exactly when they share a node in the model.
    if (inoOf.has(id)) expect(ino, `${path} is a link of the same inode`).toBe(inoOf.get(id));
    if (idOf.has(ino)) expect(id, `${path} has an inode of its own`).toBe(idOf.get(ino));
    inoOf.set(id, ino);
    idOf.set(ino, id);
  };
  const walk = (d: Dir, path: string): void => {
    const st = p.stat(path);
    expect(st.mode & S_IFMT, `${path} is a directory`).toBe(S_IFDIR);
    sameInode(d.id, st.ino, path);
    const subdirs = [...d.children.values()].filter((c) => c.kind === 'dir').length;
    expect(st.nlink, `st_nlink of directory ${path}`).toBe(2 + subdirs);
    expect(listing(p, path), `listing of ${path}`).toEqual([...d.children.keys()].sort());
    for (const [name, c] of d.children) {
      const cp = (path === '/' ? '' : path) + '/' + name;
      if (c.kind === 'dir') walk(c, cp);
      else {
        const fs = p.stat(cp);
        expect(fs.mode & S_IFMT, `${cp} is a regular file`).toBe(S_IFREG);
        sameInode(c.id, fs.ino, cp);
        expect(fs.nlink, `st_nlink of ${cp}`).toBe(links.get(c.id));
        expect(fs.size, `size of ${cp}`).toBe(c.data.length);
        expect(readAll(p, cp), `bytes of ${cp}`).toEqual(c.data);
      }
    }
  };
  walk(m.root, '/');
}

describe('the emulator in lockstep with a reference tree', () => {
  it(`agrees on outcomes, errnos, listings, link counts, sizes and bytes (seed ${SEED}, ${RUNS} runs)`, () => {
    fc.assert(
      fc.property(fc.array(OP, { minLength: 1, maxLength: 40, size: 'max' }), (ops) => {
        const p = createSandbox().process;
        const m = new Model();
        for (const o of ops) {
          const want = onModel(m, o);
          const got = onEmulator(p, o);
          expect(got, `outcome of ${JSON.stringify(o)}`).toEqual(want);
          compare(m, p);
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
