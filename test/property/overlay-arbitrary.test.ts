/**
 * The overlay arbitraries reach what they must: valid plans; an overlay mounted in most of them,
 * with and without an upper layer, over one to five lower layers; every copy-up trigger and
 * removal run through it; and — run on the emulator — whiteouts and opaque directories left in
 * the upper layer, and the errno overlayfs gives its own rules (EXDEV, ENOTEMPTY, EROFS, ELOOP).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OVERLAY_MOUNT, overlayPlanArbitrary } from '../../src/plan/arbitrary-overlay.js';
import { runEmulated } from '../../src/plan/emulated.js';
import { validatePlan, type Plan } from '../../src/plan/plan.js';
import { runsFor, seedFor } from './helpers.js';

const SEED = seedFor(0x0ae1_0007);
const plans: Plan[] = fc.sample(overlayPlanArbitrary({ maxOps: 25 }), { numRuns: runsFor(1500), seed: SEED });

describe(`overlay plan arbitraries (seed ${SEED}, ${plans.length} plans)`, () => {
  it('are valid plans', () => {
    for (const p of plans) expect(validatePlan(JSON.parse(JSON.stringify(p)))).toEqual(p);
  });

  it('mount overlays over one to five lower layers, with and without an upper, with options', () => {
    const mounts = plans.flatMap((p) => p.ops.filter((o) => o.op === 'mount' && o.fstype === 'overlay')) as { data?: string }[];
    const lowers = new Set(mounts.map((m) => (/lowerdir=([^,]*)/.exec(m.data ?? '')?.[1] ?? '').split(':').length));
    expect([...lowers].sort()).toEqual(expect.arrayContaining([1, 2, 3, 4, 5]));
    expect(mounts.some((m) => m.data?.includes('upperdir='))).toBe(true);
    expect(mounts.some((m) => !m.data?.includes('upperdir='))).toBe(true);
    for (const o of ['userxattr', 'redirect_dir=on', 'volatile', 'lowerdir+=', 'uuid=off', 'xino=on']) expect(mounts.some((m) => m.data?.includes(o)), o).toBe(true);
  });

  it('run every copy-up trigger and removal through the overlay', () => {
    const ops = new Set(plans.flatMap((p) => p.ops.filter((o) => 'path' in o && o.path.startsWith(OVERLAY_MOUNT)).map((o) => o.op)));
    const renames = plans.flatMap((p) => p.ops.filter((o) => o.op === 'rename' && o.oldpath.startsWith(OVERLAY_MOUNT)));
    for (const op of ['write', 'truncate', 'chmod', 'chown', 'unlink', 'rmdir', 'mkdir', 'symlink']) expect(ops, op).toContain(op);
    expect(renames.length).toBeGreaterThan(0);
    expect(plans.some((p) => p.ops.some((o) => o.op === 'link' && o.oldpath.startsWith(OVERLAY_MOUNT)))).toBe(true);
  });

  it('leave whiteouts and opaque directories in the upper layer and provoke overlayfs errno, on the emulator', () => {
    const errnos = new Set<string>();
    let whiteouts = 0;
    let merged = 0;
    for (const p of plans.slice(0, 800)) {
      const o = runEmulated(p, { totalRamPages: 6171021 });
      p.ops.forEach((op, i) => {
        const r = o.results[i]!;
        if (!r.ok && 'errno' in r && 'path' in op && op.path.startsWith(OVERLAY_MOUNT)) errnos.add(r.errno);
        if (!r.ok && 'errno' in r && op.op === 'rename' && op.oldpath.startsWith(OVERLAY_MOUNT)) errnos.add(r.errno);
        if (r.ok && op.op === 'stat' && op.path.startsWith('/u') && r.stat?.type === 'char') whiteouts++;
        if (r.ok && op.op === 'stat' && op.path.startsWith(OVERLAY_MOUNT) && r.stat?.type === 'dir' && r.stat.nlink === 1) merged++;
      });
    }
    expect(whiteouts).toBeGreaterThan(50);
    expect(merged).toBeGreaterThan(50);
    for (const e of ['EXDEV', 'ENOTEMPTY', 'EROFS', 'ENOENT', 'EISDIR', 'ENOTDIR', 'EEXIST', 'EACCES']) expect(errnos, e).toContain(e);
  });
});
