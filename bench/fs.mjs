#!/usr/bin/env node
/**
 * File workloads, vfsemu against memfs 4 (its fs API over a Volume) and node:fs on a /dev/shm
 * temporary directory (the host kernel's tmpfs), interleaved in one process: each round runs every
 * contender once, in a rotating order, on a fresh filesystem; a row's ratio is the median over
 * rounds of vfsemu's time / the other's in that round. Read ratios, not absolute numbers; the
 * machines are noisy.
 *
 *   npm run build && node bench/fs.mjs [--quick] [--rounds N] [--only files,readsplit,deep,big,rename,churn,bind,startup,memory]
 *     [--dist DIR]   (another build of vfsemu, e.g. an older commit's, for a before/after table)
 *
 * vfsemu is loaded from the entry the package exports: dist/pkg/index.js (the bundle `npm run
 * build` makes after tsc), or dist/index.js for a build that has none.
 *
 * vfsemu runs through the Process API (`createSandbox().process`: open/write/close, stat,
 * getdents, …), the path an embedder that wants speed takes; `createFs` (vfsemu/node) adds Node's
 * argument validation and Stats objects on top. Its sandbox has no size or inode limit (size=0,
 * nr_inodes=0), as the others have none.
 *
 * Workloads: N files (1k/10k/100k) of 4 KiB in one directory: create (writeFile), stat each,
 * readdir (repeated to list ~100k names in all), read each (readFile), unlink each; 10k such files
 * read whole, read into one reused buffer, and the fresh buffer alone (where a readFile's time
 * goes: the buffer every contender allocates is most of it); stat of a leaf
 * at depth 10/50/200 (node:fs's path has /dev/shm/<tmp> in front); a 64 MiB file written and read
 * in 64 KiB chunks; 2N renames in a directory of N (each name away and back: a deleted key is
 * added again); one name made and removed 20k times in a directory of 100k; K bind mounts of one directory stacked on one target and side by side on K
 * targets (vfsemu only: the row compares the two); import + create (fresh node processes);
 * memory per small file (100k files of 100 bytes, heapUsed + arrayBuffers after gc, in a child
 * with --expose-gc).
 *
 * The script re-runs itself with --expose-gc so that each contender starts from a collected heap.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
// --dist DIR: another build of vfsemu (an older commit's, for a before/after table). The entry
// is the one the package exports (`npm run build` bundles it into DIR/pkg), or tsc's index.js for
// a build from before the bundle.
const distDir = opt('dist', join(here, '../dist'));
const distIndex = pathToFileURL(existsSync(join(distDir, 'pkg/index.js')) ? join(distDir, 'pkg/index.js') : join(distDir, 'index.js')).href;
const quick = args.includes('--quick');

if (typeof globalThis.gc !== 'function' && !args.includes('--child')) {
  const r = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), ...args], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const O_RDONLY = 0, O_WRONLY = 1, O_CREAT = 0o100, O_TRUNC = 0o1000, O_DIRECTORY = 0o200000;
const MS_BIND = 4096;

// ------------------------------------------------------------------------------- contenders

/** vfsemu through the Process API. */
async function vfsemuContender() {
  const { createSandbox } = await import(distIndex);
  return {
    name: 'vfsemu',
    make() {
      const p = createSandbox({ size: 0, inodes: 0 }).process;
      return {
        root: '',
        p,
        mkdir: (path) => p.mkdir(path, 0o755),
        writeFile(path, data) {
          const fd = p.open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644);
          p.write(fd, data);
          p.close(fd);
        },
        stat: (path) => p.stat(path),
        readdir(path) {
          const fd = p.open(path, O_RDONLY | O_DIRECTORY);
          const names = [];
          for (const e of p.getdents(fd)) if (e.name !== '.' && e.name !== '..') names.push(e.name);
          p.close(fd);
          return names;
        },
        readFile(path) {
          const fd = p.open(path, O_RDONLY);
          const b = new Uint8Array(p.fstat(fd).size);
          p.read(fd, b);
          p.close(fd);
          return b;
        },
        unlink: (path) => p.unlink(path),
        rename: (a, b) => p.rename(a, b),
        openWrite: (path) => p.open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644),
        openRead: (path) => p.open(path, O_RDONLY),
        write: (fd, b) => p.write(fd, b),
        read: (fd, b) => p.read(fd, b),
        close: (fd) => p.close(fd),
        done() {},
      };
    },
  };
}

/** An fs-shaped API (memfs's, node:fs's) under `root`. */
function fsApi(fs, root, done) {
  return {
    root,
    mkdir: (path) => fs.mkdirSync(path),
    writeFile: (path, data) => fs.writeFileSync(path, data),
    stat: (path) => fs.statSync(path),
    readdir: (path) => fs.readdirSync(path),
    readFile: (path) => fs.readFileSync(path),
    unlink: (path) => fs.unlinkSync(path),
    rename: (a, b) => fs.renameSync(a, b),
    openWrite: (path) => fs.openSync(path, 'w'),
    openRead: (path) => fs.openSync(path, 'r'),
    write: (fd, b) => fs.writeSync(fd, b),
    read: (fd, b) => fs.readSync(fd, b, 0, b.length, null),
    close: (fd) => fs.closeSync(fd),
    done,
  };
}

/**
 * Objects of memfs's kept for the whole run, as vfsemu keeps its shape anchor
 * (src/vfs/shape-anchor.ts): a Volume with a directory and an open file, so that V8 keeps the
 * hidden classes of memfs's nodes and links, and the code optimized against them, from one
 * round's Volume to the next — each contender is compared warm, not one warm and one cold.
 */
const memfsAnchor = [];

async function memfsContender() {
  const { Volume, createFsFromVolume } = await import('memfs');
  if (!memfsAnchor.length) {
    const fs = createFsFromVolume(new Volume());
    fs.mkdirSync('/d');
    fs.writeFileSync('/d/f', 'x');
    const fd = fs.openSync('/d/f', 'r');
    fs.statSync('/d/f');
    fs.readdirSync('/d');
    memfsAnchor.push(fs, fd);
  }
  return { name: 'memfs', make: () => fsApi(createFsFromVolume(new Volume()), '', () => {}) };
}

async function nodeContender() {
  const fs = await import('node:fs');
  return {
    name: 'node:fs',
    make() {
      const root = mkdtempSync('/dev/shm/vfsemu-bench-');
      return fsApi(fs, root, () => rmSync(root, { recursive: true, force: true }));
    },
  };
}

// ------------------------------------------------------------------------------- workloads

/** Times each phase of `phases` (name → fn) in order; ms by name. */
function timePhases(phases) {
  const out = {};
  for (const [name, fn] of Object.entries(phases)) {
    const t0 = performance.now();
    fn();
    out[name] = performance.now() - t0;
  }
  return out;
}

const data4k = new Uint8Array(4096).fill(120);

function filesWorkload(n) {
  const names = Array.from({ length: n }, (_, i) => `/d/f${i}`);
  const readdirReps = Math.max(1, Math.round(100_000 / n));
  return {
    label: `${n / 1000}k files: create 4 KiB / stat / readdir / read / unlink`,
    run(c) {
      const paths = names.map((s) => c.root + s);
      c.mkdir(c.root + '/d');
      return timePhases({
        create: () => { for (const p of paths) c.writeFile(p, data4k); },
        stat: () => { for (const p of paths) c.stat(p); },
        readdir: () => { for (let r = 0; r < readdirReps; r++) if (c.readdir(c.root + '/d').length !== n) throw new Error('readdir'); },
        read: () => { for (const p of paths) c.readFile(p); },
        unlink: () => { for (const p of paths) c.unlink(p); },
      });
    },
  };
}

/**
 * Where a readFile's time goes: N files of 4 KiB read whole (readFile, as the files rows do), then
 * read again into one reused buffer (open/read/close), and the fresh 4 KiB buffer alone that
 * every contender's readFile allocates (the bench's own `new Uint8Array`, memfs's Buffer, Node's).
 */
function readSplitWorkload(n) {
  const names = Array.from({ length: n }, (_, i) => `/d/f${i}`);
  const into = new Uint8Array(4096);
  return {
    label: `${n / 1000}k files of 4 KiB: readFile / read into one buffer / a new 4 KiB buffer alone`,
    run(c) {
      const paths = names.map((s) => c.root + s);
      c.mkdir(c.root + '/d');
      for (const p of paths) c.writeFile(p, data4k);
      return timePhases({
        readFile: () => { for (const p of paths) c.readFile(p); },
        readInto: () => {
          for (const p of paths) {
            const fd = c.openRead(p);
            c.read(fd, into);
            c.close(fd);
          }
        },
        buffer: () => { for (let i = 0; i < n; i++) globalThis.sink = new Uint8Array(4096); },
      });
    },
  };
}

function deepWorkload(depths, reps) {
  return {
    label: `stat a leaf at depth ${depths.join(' / ')}`,
    run(c) {
      const out = {};
      for (const depth of depths) {
        let dir = c.root;
        for (let i = 0; i < depth; i++) c.mkdir((dir += '/d'));
        const leaf = dir + '/f';
        c.writeFile(leaf, data4k.subarray(0, 1));
        const t0 = performance.now();
        for (let r = 0; r < reps; r++) c.stat(leaf);
        out[depth] = performance.now() - t0;
        // The next depth starts afresh beside this one.
        c.rename(c.root + '/d', c.root + `/old${depth}`);
      }
      return out;
    },
  };
}

function bigFileWorkload(mib) {
  const chunk = new Uint8Array(64 * 1024).fill(7);
  const count = (mib * 1024 * 1024) / chunk.length;
  return {
    label: `${mib} MiB file: write / read (64 KiB chunks)`,
    run(c) {
      const path = c.root + '/big';
      const into = new Uint8Array(chunk.length);
      return timePhases({
        write() {
          const fd = c.openWrite(path);
          for (let i = 0; i < count; i++) c.write(fd, chunk);
          c.close(fd);
        },
        read() {
          const fd = c.openRead(path);
          let total = 0;
          for (let n; (n = c.read(fd, into)) > 0; ) total += n;
          c.close(fd);
          if (total !== count * chunk.length) throw new Error('short read');
        },
      });
    },
  };
}

/** One name made and removed again and again in a directory of N (V8's slow path for a key deleted and added again). */
function churnWorkload(n, reps) {
  const names = Array.from({ length: n }, (_, i) => `/d/f${i}`);
  return {
    label: `create + unlink one name ${reps / 1000}k times in a directory of ${n / 1000}k`,
    run(c) {
      c.mkdir(c.root + '/d');
      for (const s of names) c.writeFile(c.root + s, data4k.subarray(0, 0));
      const x = c.root + '/d/x';
      return timePhases({
        churn() {
          for (let i = 0; i < reps; i++) {
            c.writeFile(x, data4k.subarray(0, 0));
            c.unlink(x);
          }
        },
      });
    },
  };
}

function renameWorkload(n) {
  const from = Array.from({ length: n }, (_, i) => `/d/f${i}`);
  const to = Array.from({ length: n }, (_, i) => `/d/g${i}`);
  return {
    label: `2N renames in a directory of N = ${n / 1000}k`,
    run(c) {
      const a = from.map((s) => c.root + s);
      const b = to.map((s) => c.root + s);
      c.mkdir(c.root + '/d');
      for (const p of a) c.writeFile(p, data4k.subarray(0, 0));
      return timePhases({
        rename() {
          for (let i = 0; i < n; i++) c.rename(a[i], b[i]);
          for (let i = 0; i < n; i++) c.rename(b[i], a[i]);
        },
      });
    },
  };
}

/** K binds stacked on one target, and K side by side; vfsemu only. */
function bindWorkload(k) {
  return {
    label: `${k} bind mounts: stacked / side by side`,
    run(c) {
      const p = c.p;
      p.mkdir('/src');
      p.mkdir('/t');
      for (let i = 0; i < k; i++) p.mkdir(`/s${i}`);
      return timePhases({
        stacked: () => { for (let i = 0; i < k; i++) p.mount('/src', '/t', null, MS_BIND, null); },
        side: () => { for (let i = 0; i < k; i++) p.mount('/src', `/s${i}`, null, MS_BIND, null); },
      });
    },
  };
}

// ------------------------------------------------------------------------------- children

/** Child: ms from before the import to a usable filesystem. */
const STARTUP = {
  vfsemu: `const t=performance.now();const m=await import(${JSON.stringify(distIndex)});m.createSandbox().process.stat('/');console.log(performance.now()-t);`,
  memfs: `const t=performance.now();const m=await import('memfs');m.createFsFromVolume(new m.Volume()).statSync('/');console.log(performance.now()-t);`,
};

function startupOnce(name) {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', STARTUP[name]], { cwd: join(here, '..'), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return Number(r.stdout.trim());
}

/** Child (--child memory NAME N): bytes a file of 100 bytes costs, heapUsed + arrayBuffers after gc. */
async function memoryChild(name, n) {
  const c = (await (name === 'vfsemu' ? vfsemuContender() : memfsContender())).make();
  const small = new Uint8Array(100).fill(1);
  const paths = Array.from({ length: n }, (_, i) => `/d/f${i}`);
  c.mkdir('/d');
  const used = () => {
    for (let i = 0; i < 3; i++) globalThis.gc();
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const before = used();
  for (const p of paths) c.writeFile(p, small);
  const after = used();
  if (c.readdir('/d').length !== n) throw new Error('lost files');
  console.log((after - before) / n);
}

function memoryOnce(name, n) {
  const r = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--child', 'memory', name, String(n), ...(opt('dist') ? ['--dist', opt('dist')] : [])], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return Number(r.stdout.trim());
}

// ------------------------------------------------------------------------------- driver

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (x) => (Number.isFinite(x) ? (x >= 10 ? x.toFixed(0) : x >= 1 ? x.toFixed(1) : x.toFixed(2)) : '—');

/** Runs `w` on every contender for `rounds` rounds; per phase, the median ratios and vfsemu's median ms. */
function compare(contenders, w, rounds) {
  const times = contenders.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (let j = 0; j < contenders.length; j++) {
      const ci = (j + r) % contenders.length;
      globalThis.gc();
      const c = contenders[ci].make();
      try {
        times[ci].push(w.run(c));
      } finally {
        c.done();
      }
    }
  }
  const phases = Object.keys(times[0][0]);
  const ratio = (other) => phases.map((ph) => median(times[0].map((t, r) => t[ph] / times[other][r][ph])));
  return { phases, ratios: contenders.slice(1).map((_, i) => ratio(i + 1)), ms: phases.map((ph) => median(times[0].map((t) => t[ph]))) };
}

async function main() {
  const only = opt('only', 'files,readsplit,deep,big,rename,churn,bind,startup,memory').split(',');
  const contenders = [await vfsemuContender(), await memfsContender(), await nodeContender()];
  const rows = [];
  const row = (label, memfs, node, abs) => {
    rows.push(`| ${label} | ${memfs} | ${node} | ${abs} |`);
    console.error(`  ${label}: ${memfs} | ${node} | ${abs}`);
  };
  const table = (w, rounds, unit) => {
    const r = compare(contenders, w, rounds);
    row(w.label, r.ratios[0].map(fmt).join(' / '), r.ratios[1].map(fmt).join(' / '), r.ms.map((ms, i) => fmt(unit(ms, r.phases[i]))).join(' / '));
  };
  const rounds = Number(opt('rounds', quick ? '3' : '5'));
  if (only.includes('files')) {
    for (const n of quick ? [1000, 10_000] : [1000, 10_000, 100_000]) {
      const readdirReps = Math.max(1, Math.round(100_000 / n));
      table(filesWorkload(n), n >= 100_000 ? Math.min(rounds, 3) : n <= 1000 ? 3 * rounds : rounds, (ms, ph) => (ms * 1000) / (ph === 'readdir' ? readdirReps * n : n));
    }
  }
  if (only.includes('readsplit')) table(readSplitWorkload(quick ? 1000 : 10_000), rounds, (ms) => (ms * 1000) / (quick ? 1000 : 10_000));
  if (only.includes('deep')) {
    const reps = quick ? 5000 : 20_000;
    table(deepWorkload([10, 50, 200], reps), rounds, (ms) => (ms * 1000) / reps);
  }
  if (only.includes('big')) table(bigFileWorkload(quick ? 16 : 64), rounds, (ms) => ms);
  if (only.includes('rename')) for (const n of quick ? [10_000] : [10_000, 100_000]) table(renameWorkload(n), n >= 100_000 ? Math.min(rounds, 3) : rounds, (ms) => (ms * 1000) / (2 * n));
  if (only.includes('churn')) {
    const reps = quick ? 5000 : 20_000;
    table(churnWorkload(quick ? 10_000 : 100_000, reps), Math.min(rounds, 3), (ms) => (ms * 1000) / reps);
  }
  if (only.includes('bind')) {
    const k = quick ? 500 : 2000;
    const w = bindWorkload(k);
    const t = [];
    for (let r = 0; r < rounds; r++) t.push(w.run(contenders[0].make()));
    const us = (ph) => fmt(median(t.map((x) => x[ph])) * 1000 / k);
    row(w.label, '—', '—', `${us('stacked')} / ${us('side')} (stacked/side ${fmt(median(t.map((x) => x.stacked / x.side)))})`);
  }
  if (only.includes('startup')) {
    const n = quick ? 5 : 11;
    const ratios = [];
    const ms = [];
    for (let r = 0; r < n; r++) {
      const [a, b] = r % 2 ? [startupOnce('memfs'), startupOnce('vfsemu')].reverse() : [startupOnce('vfsemu'), startupOnce('memfs')];
      ratios.push(a / b);
      ms.push(a);
    }
    row('import + create a sandbox', fmt(median(ratios)), '—', `${fmt(median(ms))} ms`);
  }
  if (only.includes('memory')) {
    const n = quick ? 20_000 : 100_000;
    const v = [];
    const m = [];
    for (let r = 0; r < (quick ? 1 : 3); r++) {
      v.push(memoryOnce('vfsemu', n));
      m.push(memoryOnce('memfs', n));
    }
    const kib = (x) => (median(x) / 1024).toFixed(2);
    row(`memory for ${n / 1000}k files of 100 bytes`, `${fmt(median(v) / median(m))} (${kib(v)} vs ${kib(m)} KiB a file)`, '—', `${kib(v)} KiB`);
  }
  console.log('\n| workload | vfsemu/memfs | vfsemu/node:fs | vfsemu (µs an op; ms for the big file) |');
  console.log('|---|---|---|---|');
  for (const r of rows) console.log(r);
  console.log(`\nnode ${process.version}, memfs ${(await import('memfs/package.json', { with: { type: 'json' } })).default.version}, ${rounds} rounds${quick ? ' (--quick)' : ''}`);
}

if (args[0] === '--child' && args[1] === 'memory') await memoryChild(args[2], Number(args[3]));
else await main();
