/**
 * Path resolution invariants over random paths built from 'a', 'b', '.', '..', '', a NAME_MAX
 * name, mount points (a tmpfs and a bind mount), and symlinks to relative and absolute targets (and a loop):
 * - with no symlink in a path, resolving it and resolving its lexical normal form reach the same
 *   inode (`..` at a mount's root continues from the mount point, so lexical `..` is exact);
 * - with symlinks, the kernel's walk agrees with a user-space realpath() built on lstat(2) and
 *   readlink(2): same inode, or the same errno;
 * - getcwd(2) after a successful chdir(2) is absolute, has no '.', '..' or empty components,
 *   and chdir(getcwd()) comes back to the same inode;
 * - open(O_CREAT) of an existing name opens what realpath() finds (EISDIR for a directory,
 *   ELOOP for a link on a nosymfollow mount), and never succeeds with a trailing slash;
 * - a rename whose last component is '.', '..' or '/' is EBUSY, or EEXIST for the target of
 *   RENAME_NOREPLACE;
 * - '..' never climbs above the task's root, after chroot(2) too: every inode a path reaches
 *   from a chroot is one that lies below it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AT_FDCWD, createSandbox, MS_BIND, MS_NOSYMFOLLOW, O_CREAT, RENAME_EXCHANGE, RENAME_NOREPLACE, O_DIRECTORY, O_RDONLY, O_WRONLY, S_IFDIR, S_IFLNK, S_IFMT, type Stat } from '../../src/index.js';
import type { Process } from '../../src/vfs/process.js';
import { attempt, runsFor, seedFor, type Outcome } from './helpers.js';

const SEED = seedFor(0x5eed_0003);
const RUNS = runsFor(500);
const LONG = 'N'.repeat(255);
const join = (dir: string, name: string): string => (dir === '/' ? '/' + name : dir + '/' + name);

/**
 * A tree of directories named 'a' and 'b' four deep, a file 'c' here and there, /LONG/a, a tmpfs
 * on /a/m (with its own a, b, c), a bind mount of /b on /b/a/m, a nosymfollow tmpfs on /b/b/n,
 * and in /, /a, /b/a, /a/m and /b/b/n the links rel -> ../b, abs -> /a/b, up -> .., loop -> loop, out -> ../../b, dang -> nowhere/.
 */
function setup(): Process {
  const p = createSandbox().process;
  const tree = (dir: string, depth: number): void => {
    for (const n of ['a', 'b']) {
      p.mkdir(join(dir, n), 0o755);
      if (depth > 1) tree(join(dir, n), depth - 1);
    }
  };
  tree('/', 4);
  for (const d of ['/' + LONG, '/' + LONG + '/a', '/a/m', '/b/a/m', '/b/b/n']) p.mkdir(d, 0o755);
  p.mount('none', '/a/m', 'tmpfs', 0, 'mode=755');
  p.mkdir('/a/m/a');
  p.mkdir('/a/m/b');
  p.mount('/b', '/b/a/m', null, MS_BIND);
  p.mount('none', '/b/b/n', 'tmpfs', MS_NOSYMFOLLOW, 'mode=755');
  p.mkdir('/b/b/n/a');
  for (const f of ['/a/b/c', '/a/m/c', '/b/c', '/b/b/n/c']) p.close(p.open(f, O_WRONLY | O_CREAT, 0o644));
  for (const d of ['/', '/a', '/b/a', '/a/m', '/b/b/n']) {
    p.symlink('../b', join(d, 'rel'));
    p.symlink('/a/b', join(d, 'abs'));
    p.symlink('..', join(d, 'up'));
    p.symlink('loop', join(d, 'loop'));
    p.symlink('../../b', join(d, 'out'));
    p.symlink('nowhere/', join(d, 'dang'));
  }
  return p;
}

const START = fc.constantFrom('/', '/a', '/a/b', '/b/a/b', '/a/m', '/a/m/a', '/b/a/m', '/b/a/m/a', '/b/b/n', '/' + LONG);
const PLAIN = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('a', 'b') },
  { weight: 3, arbitrary: fc.constantFrom('.', '..', '') },
  { weight: 1, arbitrary: fc.constantFrom('c', 'm', 'n', LONG) },
);
const LINK = fc.constantFrom('rel', 'abs', 'up', 'loop', 'out', 'dang');

function pathOf(comps: fc.Arbitrary<string>, maxLength = 7): fc.Arbitrary<string> {
  return fc
    .tuple(fc.boolean(), fc.array(comps, { minLength: 1, maxLength }), fc.boolean())
    .map(([abs, cs, slash]) => (abs ? '/' : '') + cs.join('/') + (slash ? '/' : ''))
    .filter((s) => s !== '');
}
const PLAIN_PATH = pathOf(PLAIN);
const ANY_PATH = pathOf(fc.oneof({ weight: 3, arbitrary: PLAIN }, { weight: 1, arbitrary: LINK }));
/** Short paths, links likelier: most of them name something that exists. */
const SHORT_PATH = pathOf(fc.oneof({ weight: 1, arbitrary: PLAIN }, { weight: 1, arbitrary: LINK }), 3);

/** Lexical normal form of an absolute path: no '.', '..', empty components; '..' stops at '/'. */
function normalize(abs: string): string {
  const out: string[] = [];
  for (const c of abs.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') out.pop();
    else out.push(c);
  }
  return '/' + out.join('/');
}

const dirname = (abs: string): string => normalize(abs + '/..');
const same = (a: Stat, b: Stat): boolean => a.dev === b.dev && a.ino === b.ino;
const isDirStat = (s: Stat): boolean => (s.mode & S_IFMT) === S_IFDIR;

/**
 * realpath() in user space: the walk of path_resolution(7) done with lstat(2) and readlink(2)
 * on symlink-free absolute paths, with the kernel's budget of 40 links a resolution; a link on
 * the nosymfollow mount (/b/b/n, by its canonical path) is ELOOP when it would be followed.
 */
function realpath(p: Process, base: string, path: string, follow: boolean, budget = { links: 0 }): string {
  if (path === '') throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
  let cur = path.startsWith('/') ? '/' : base;
  const comps = path.split('/').filter((c) => c !== '');
  const trailing = comps.length > 0 && path.endsWith('/');
  comps.forEach((c, i) => {
    if (!isDirStat(p.stat(cur))) throw Object.assign(new Error('ENOTDIR'), { code: 'ENOTDIR' });
    if (c === '.') return;
    if (c === '..') {
      cur = dirname(cur);
      return;
    }
    const next = join(cur, c);
    const st = p.lstat(next);
    if ((st.mode & S_IFMT) === S_IFLNK && (i < comps.length - 1 || follow || trailing)) {
      if (++budget.links > 40 || next.startsWith('/b/b/n/')) throw Object.assign(new Error('ELOOP'), { code: 'ELOOP' });
      cur = realpath(p, cur, p.readlink(next), true, budget);
    } else cur = next;
  });
  if (trailing && !isDirStat(p.stat(cur))) throw Object.assign(new Error('ENOTDIR'), { code: 'ENOTDIR' });
  return cur;
}

function realpathOutcome(p: Process, base: string, path: string, follow: boolean): Outcome<string> {
  try {
    return { ok: true, value: realpath(p, base, path, follow) };
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (typeof code === 'string') return { ok: false, code };
    throw e;
  }
}

/** (dev, ino) of every inode below `abs`, crossing mounts, links not followed. */
function inodesBelow(p: Process, abs: string): Set<string> {
  const out = new Set<string>();
  const walk = (path: string): void => {
    const st = p.lstat(path);
    out.add(`${st.dev}:${st.ino}`);
    if (!isDirStat(st)) return;
    const fd = p.open(path, O_RDONLY | O_DIRECTORY);
    try {
      for (let batch = p.getdents(fd); batch.length > 0; batch = p.getdents(fd)) {
        for (const e of batch) if (e.name !== '.' && e.name !== '..') walk(join(path, e.name));
      }
    } finally {
      p.close(fd);
    }
  };
  walk(abs);
  return out;
}

function checkCwd(p: Process): void {
  const cwd = p.getcwd();
  expect(cwd.startsWith('/'), `getcwd ${cwd} is absolute`).toBe(true);
  if (cwd !== '/') {
    for (const c of cwd.slice(1).split('/')) expect(['', '.', '..'], `components of ${cwd}`).not.toContain(c);
  }
  const here = p.stat('.');
  p.chdir(cwd);
  expect(same(p.stat('.'), here), `chdir(getcwd()) returns to the same inode from ${cwd}`).toBe(true);
  expect(p.getcwd()).toBe(cwd);
}

describe('path resolution', () => {
  it(`reaches the same inode by a symlink-free path and its normal form (seed ${SEED}, ${RUNS} runs)`, () => {
    fc.assert(
      fc.property(START, PLAIN_PATH, (start, path) => {
        const p = setup();
        p.chdir(start);
        const got = attempt(() => p.stat(path));
        if (!got.ok) return;
        const abs = path.startsWith('/') ? path : join(p.getcwd(), path);
        const norm = p.stat(normalize(abs));
        expect(same(got.value, norm), `${path} from ${start} vs ${normalize(abs)}`).toBe(true);
        if (path.endsWith('/')) expect(isDirStat(got.value)).toBe(true);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it(`agrees with a user-space realpath() over symlinks (seed ${SEED + 1}, ${RUNS} runs)`, () => {
    fc.assert(
      fc.property(START, ANY_PATH, fc.boolean(), (start, path, follow) => {
        const p = setup();
        p.chdir(start);
        const got = attempt(() => (follow ? p.stat(path) : p.lstat(path)));
        const want = realpathOutcome(p, start, path, follow);
        if (!want.ok) {
          expect(got, `${follow ? 'stat' : 'lstat'} ${path} from ${start}`).toEqual(want);
          return;
        }
        expect(got.ok, `${follow ? 'stat' : 'lstat'} ${path} from ${start} reaches ${want.value}`).toBe(true);
        expect(same((got as { value: Stat }).value, p.lstat(want.value)), `${path} from ${start} is ${want.value}`).toBe(true);
      }),
      { seed: SEED + 1, numRuns: RUNS },
    );
  });

  it(`opens with O_CREAT what realpath() finds, on nosymfollow mounts too (seed ${SEED + 4}, ${RUNS} runs)`, () => {
    fc.assert(
      fc.property(START, SHORT_PATH, (start, path) => {
        const p = setup();
        p.chdir(start);
        const want = realpathOutcome(p, start, path, true);
        const got = attempt(() => p.open(path, O_WRONLY | O_CREAT, 0o644));
        const what = `open(${path}, O_CREAT) from ${start}`;
        // open_last_lookups(): O_CREAT with a trailing slash is EISDIR before the last lookup.
        if (path.endsWith('/')) expect(got.ok, what).toBe(false);
        else if (want.ok) {
          const target = p.lstat(want.value);
          if (isDirStat(target)) expect(got, what).toEqual({ ok: false, code: 'EISDIR' });
          else {
            expect(got.ok, what).toBe(true);
            expect(same(p.fstat((got as { value: number }).value), target), `${what} opens ${want.value}`).toBe(true);
          }
        } else if (want.code === 'ELOOP') expect(got, what).toEqual({ ok: false, code: 'ELOOP' });
      }),
      { seed: SEED + 4, numRuns: RUNS },
    );
  });

  it(`refuses '.', '..' and '/' as rename ends: EBUSY, or EEXIST for a RENAME_NOREPLACE target (seed ${SEED + 5}, ${RUNS} runs)`, () => {
    const dotted = (s: string): boolean => s === '/' || /(^|\/)\.\.?\/?$/.test(s);
    fc.assert(
      fc.property(
        fc.constantFrom('/a/a', 'a/b', '/a/b/c', '/a/a/.', 'a/..', '.', '/', '/a/b/'),
        fc.constantFrom('/b/b', '/a/b/.', '/a/b/..', '/', '/a/.', '.', '..', 'b/../', '/a/b/c'),
        fc.constantFrom(0, RENAME_NOREPLACE, RENAME_EXCHANGE, RENAME_NOREPLACE | RENAME_EXCHANGE),
        (from, to, flags) => {
          if (!dotted(from) && !dotted(to)) return;
          const p = setup();
          const got = attempt(() => p.renameat2(AT_FDCWD, from, AT_FDCWD, to, flags));
          // do_renameat2(): flag checks, then EBUSY for the source, then the target.
          const want = flags === (RENAME_NOREPLACE | RENAME_EXCHANGE) ? 'EINVAL' : dotted(from) ? 'EBUSY' : flags & RENAME_NOREPLACE ? 'EEXIST' : 'EBUSY';
          expect(got, `renameat2(${from}, ${to}, ${flags})`).toEqual({ ok: false, code: want });
        },
      ),
      { seed: SEED + 5, numRuns: Math.min(RUNS, 200) },
    );
  });

  it(`gives a canonical getcwd() after chdir (seed ${SEED + 2}, ${RUNS} runs)`, () => {
    fc.assert(
      fc.property(START, fc.array(ANY_PATH, { minLength: 1, maxLength: 4 }), (start, paths) => {
        const p = setup();
        p.chdir(start);
        for (const path of paths) {
          const before = p.stat('.');
          const r = attempt(() => p.chdir(path));
          if (!r.ok) expect(same(p.stat('.'), before), 'a failed chdir leaves the cwd alone').toBe(true);
          checkCwd(p);
        }
      }),
      { seed: SEED + 2, numRuns: RUNS },
    );
  });

  it(`never climbs above the root, after chroot too (seed ${SEED + 3}, ${RUNS} runs)`, () => {
    fc.assert(
      fc.property(fc.constantFrom('/', '/a', '/a/b', '/b', '/a/m', '/a/m/a', '/b/a/m'), fc.array(ANY_PATH, { minLength: 1, maxLength: 4 }), (root, paths) => {
        const p = setup();
        const below = inodesBelow(p, root);
        const rootStat = p.stat(root);
        p.chroot(root);
        p.chdir('/');
        expect(same(p.stat('/'), rootStat)).toBe(true);
        expect(p.getcwd()).toBe('/');
        const dots = '../'.repeat(8) + '.';
        expect(same(p.stat(dots), rootStat), `${dots} is the root`).toBe(true);
        for (const path of paths) {
          for (const r of [attempt(() => p.stat(path)), attempt(() => p.lstat(path))]) {
            if (r.ok) expect(below.has(`${r.value.dev}:${r.value.ino}`), `${path} stays below ${root}`).toBe(true);
          }
          attempt(() => p.chdir(path));
          checkCwd(p);
          const up = p.stat(dots);
          expect(same(up, rootStat), `${dots} from ${p.getcwd()} is the root`).toBe(true);
        }
      }),
      { seed: SEED + 3, numRuns: RUNS },
    );
  });
});
