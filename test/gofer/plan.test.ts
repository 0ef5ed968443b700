/**
 * A plan that mounts a diod export (`mount` op, fstype 9p, v9fs's options) and then runs file ops
 * through it gives the same results as the same ops run on the exported directory itself: two
 * copies of one directory, one served by diod and changed through the plan on the emulated
 * backend (its kernel dialing with src/host's dialer), the other changed by the same ops made
 * directly with node:fs; the results op by op and the two trees afterwards are equal.
 *
 * Needs diod (skipped with the reason without it; a failure under CI=true).
 */
import * as nodeFs from 'node:fs';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { allowListDialer } from '../../src/host/p9-dial.js';
import { runEmulated } from '../../src/plan/emulated.js';
import type { OpResult } from '../../src/plan/outcome.js';
import type { PlanOp } from '../../src/plan/plan.js';
import { itHasTheOracle, oracleSkipped } from '../oracles.js';
import { diodMissing, freePort, startDiod } from './helpers.js';

const diod = diodMissing();
const skip = oracleSkipped('test/gofer/plan (a plan mounting diod)', diod);

const base = mkdtempSync(join(tmpdir(), 'vfsemu-plan9p-'));
const stops: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const s of stops) await s();
  rmSync(base, { recursive: true, force: true });
});

/** The ops, on paths relative to the directory (`/x` is the directory's x). */
const OPS: PlanOp[] = [
  { op: 'readdir', path: '/' },
  { op: 'read', path: '/hello' },
  { op: 'stat', path: '/hello' },
  { op: 'stat', path: '/link', nofollow: true },
  { op: 'read', path: '/link' },
  { op: 'mkdir', path: '/made', mode: 0o750 },
  { op: 'mkdir', path: '/made' },
  { op: 'write', path: '/made/f', data: 'through the plan', mode: 0o640 },
  { op: 'stat', path: '/made/f' },
  { op: 'read', path: '/made/f' },
  { op: 'truncate', path: '/made/f', length: 7 },
  { op: 'read', path: '/made/f' },
  { op: 'chmod', path: '/made/f', mode: 0o600 },
  { op: 'symlink', target: 'f', path: '/made/l' },
  { op: 'link', oldpath: '/made/f', newpath: '/made/hard' },
  { op: 'stat', path: '/made/hard' },
  { op: 'rename', oldpath: '/made/f', newpath: '/renamed' },
  { op: 'readdir', path: '/made' },
  { op: 'rmdir', path: '/made' },
  { op: 'unlink', path: '/made' },
  { op: 'unlink', path: '/made/l' },
  { op: 'unlink', path: '/made/hard' },
  { op: 'rmdir', path: '/made' },
  { op: 'read', path: '/missing' },
  { op: 'mkdir', path: '/missing/sub' },
  { op: 'rmdir', path: '/sub' },
  { op: 'unlink', path: '/sub' },
  { op: 'readdir', path: '/hello' },
  { op: 'read', path: '/sub' },
  { op: 'readdir', path: '/' },
];

/** The same op made with node:fs on the directory `dir` itself, as a plan result. */
function direct(dir: string, op: PlanOp): OpResult {
  const at = (p: string) => join(dir, p);
  try {
    switch (op.op) {
      case 'readdir':
        return { ok: true, names: nodeFs.readdirSync(at(op.path)).sort() };
      case 'read':
        return { ok: true, data: nodeFs.readFileSync(at(op.path), 'utf8') };
      case 'stat': {
        const st = op.nofollow ? nodeFs.lstatSync(at(op.path)) : nodeFs.statSync(at(op.path));
        const type = st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'file';
        return { ok: true, stat: { type, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, size: st.size, nlink: st.nlink } };
      }
      case 'mkdir':
        nodeFs.mkdirSync(at(op.path), op.mode ?? 0o755);
        return { ok: true };
      case 'write':
        nodeFs.writeFileSync(at(op.path), op.data, { mode: op.mode ?? 0o644 });
        return { ok: true };
      case 'truncate':
        nodeFs.truncateSync(at(op.path), op.length);
        return { ok: true };
      case 'chmod':
        nodeFs.chmodSync(at(op.path), op.mode);
        return { ok: true };
      case 'symlink':
        nodeFs.symlinkSync(op.target, at(op.path));
        return { ok: true };
      case 'link':
        nodeFs.linkSync(at(op.oldpath), at(op.newpath));
        return { ok: true };
      case 'rename':
        nodeFs.renameSync(at(op.oldpath), at(op.newpath));
        return { ok: true };
      case 'unlink':
        nodeFs.unlinkSync(at(op.path));
        return { ok: true };
      case 'rmdir':
        nodeFs.rmdirSync(at(op.path));
        return { ok: true };
      default:
        throw new Error(`no direct form for ${op.op}`);
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (!code) throw e;
    return { ok: false, errno: code };
  }
}

/** Every path under `dir` with its type, mode and contents. */
function snapshot(dir: string, rel = ''): string[] {
  return nodeFs
    .readdirSync(join(dir, rel))
    .sort()
    .flatMap((n) => {
      const p = join(rel, n);
      const st = nodeFs.lstatSync(join(dir, p));
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isDirectory()) return [`${p}/ ${mode}`, ...snapshot(dir, p)];
      if (st.isSymbolicLink()) return [`${p} -> ${nodeFs.readlinkSync(join(dir, p))}`];
      return [`${p} ${mode} ${st.nlink} ${nodeFs.readFileSync(join(dir, p), 'utf8')}`];
    });
}

describe.skipIf(skip)('a plan mounting a diod export', () => {
  itHasTheOracle('diod', diod);

  it('gives the results the same ops give on the exported directory itself', async () => {
    const served = join(base, 'served');
    const twin = join(base, 'twin');
    mkdirSync(join(served, 'sub'), { recursive: true, mode: 0o755 });
    writeFileSync(join(served, 'hello'), 'hello from the host\n', { mode: 0o644 });
    symlinkSync('hello', join(served, 'link'));
    cpSync(served, twin, { recursive: true, verbatimSymlinks: true });
    const port = await freePort();
    const d = await startDiod(served, `127.0.0.1:${port}`);
    stops.push(() => d.stop());

    const plan = {
      version: 1 as const,
      ops: [
        { op: 'mkdir' as const, path: '/mnt' },
        // diod maps the attach by uname: root, as one mounts a diod export as root.
        { op: 'mount' as const, source: '127.0.0.1', target: '/mnt', fstype: '9p', flags: [], data: `trans=tcp,port=${port},aname=${served},uname=root,cache=none` },
        ...OPS.map((op) => mapPaths(op, (p) => `/mnt${p === '/' ? '' : p}`)),
      ],
    };
    const umask = process.umask(0);
    let expected: OpResult[];
    try {
      expected = OPS.map((op) => direct(twin, op));
    } finally {
      process.umask(umask);
    }
    // The plan may reach diod, and nothing else (as `vfsemu plan run --allow-9p` runs it).
    const o = runEmulated(plan, { p9Dial: allowListDialer([{ kind: 'tcp', host: '127.0.0.1', port }], { timeoutMs: 5000 }) });
    expect(o.results.slice(0, 2)).toEqual([{ ok: true }, { ok: true }]);
    const annotated = (rs: OpResult[]) => rs.map((r, i) => `${i} ${JSON.stringify(OPS[i])} => ${JSON.stringify(r)}`);
    expect(annotated(o.results.slice(2))).toEqual(annotated(expected));
    expect(snapshot(served)).toEqual(snapshot(twin));
    // v9fs shows the msize it negotiated: diod's 64 KiB, below the client's 128 KiB + 24 default.
    expect(o.mountinfo.at(-1)).toMatch(new RegExp(`^\\d+ \\d+ 0:\\d+ / /mnt rw,relatime - 9p 127\\.0\\.0\\.1 rw,uname=root,aname=${served.replace(/[.]/g, '\\.')},access=client,msize=65536,trans=tcp,port=${port}$`));
  });
});

/** The op with each of its paths mapped (symlink targets are contents, not paths). */
function mapPaths(op: PlanOp, f: (p: string) => string): PlanOp {
  const o = { ...op } as Record<string, unknown>;
  for (const k of ['path', 'oldpath', 'newpath']) if (typeof o[k] === 'string') o[k] = f(o[k] as string);
  return o as PlanOp;
}
