/**
 * The cached top of a mount stack (mount-namespace.ts: `stackBottom`/`stackTop`, kept by
 * makeVisible() and umountMnt()) agrees with walking the mount hash, as the kernel's
 * topmost_overmount() does, after every op of random propagation-mode plans — mounts, binds,
 * moves, umounts with and without MNT_DETACH, propagated copies slid under existing mounts,
 * reparenting, unshare — and of directed sequences that cut a stack in its middle.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planArbitrary } from '../../src/plan/arbitrary.js';
import { EmulatedSession } from '../../src/plan/emulated.js';
import { createSandbox, MNT_DETACH, MS_BIND, MS_MOVE, MS_PRIVATE, MS_REC, MS_SHARED } from '../../src/index.js';
import type { Kernel } from '../../src/vfs/kernel.js';
import type { Mount } from '../../src/vfs/mount.js';
import { subtree } from '../../src/vfs/mount.js';
import { checkStacks, topmostOvermount } from '../../src/vfs/mount-namespace.js';

/** Every mount reachable from the kernel's namespaces, detached subtrees hanging off them included. */
function allMounts(k: Kernel): Set<Mount> {
  const seen = new Set<Mount>();
  for (const ns of k.namespaces) for (const m of ns.mounts) for (const x of subtree(m)) seen.add(x);
  return seen;
}

describe('the cached top of a mount stack', () => {
  it('matches the walked stack after every op of random propagation plans', () => {
    const plans = fc.sample(planArbitrary({ maxOps: 40, propagation: true }), { numRuns: 300, seed: 0x5eed_0016 });
    let stacked = 0;
    for (const plan of plans) {
      const s = new EmulatedSession({ totalRamPages: 6171021 });
      for (const op of plan.ops) {
        s.apply(op);
        const all = allMounts(s.sandbox.kernel);
        checkStacks(all);
        for (const m of all) if (m.overmount) stacked++;
      }
    }
    // The plans do stack mounts: the check saw stacks, not only lone mounts.
    expect(stacked).toBeGreaterThan(100);
  });

  it('follows pushes, pops, a cut in the middle (MNT_DETACH of a middle mount) and a move of a stack', () => {
    const p = createSandbox().process;
    const k = p.kernel;
    for (const d of ['/src', '/t', '/u']) p.mkdir(d, 0o755);
    for (let i = 0; i < 5; i++) p.mount('/src', '/t', null, MS_BIND, null);
    const top = () => p.resolve('/t', true).mnt;
    const depth = (m: Mount) => {
      let n = 0;
      for (let x: Mount | null = m; x.parent && x.parent.overmount === x; x = x.parent) n++;
      return n;
    };
    expect(depth(top())).toBe(4);
    checkStacks(allMounts(k));
    p.umount2('/t', 0);
    expect(depth(top())).toBe(3);
    checkStacks(allMounts(k));
    // Take the second mount of the stack with what is on it: the first is the top again.
    const first = p.resolve('/t', true).mnt;
    let second = first;
    while (second.parent && second.parent.overmount === second) second = second.parent;
    second = second.overmount!;
    const cwd = p.open('/t', 0o200000);
    p.umount2('/t', MNT_DETACH);
    expect(topmostOvermount(second.parent ?? second)).toBe(topmostOvermount(second));
    checkStacks(allMounts(k));
    p.close(cwd);
    // A move of a whole stack onto another place, then binds on top of it.
    p.mount('none', '/u', 'tmpfs', 0, null);
    p.mkdir('/u/a', 0o755);
    for (let i = 0; i < 3; i++) p.mount('/src', '/u/a', null, MS_BIND, null);
    p.mkdir('/m', 0o755);
    p.mount('/u', '/m', null, MS_MOVE, null);
    expect(depth(p.resolve('/m/a', true).mnt)).toBe(2);
    checkStacks(allMounts(k));
  });

  it('keeps exact when stacks on peers grow and shrink together (binds and umounts propagated)', () => {
    const p = createSandbox().process;
    const k = p.kernel;
    p.mkdir('/a', 0o755);
    p.mount('none', '/a', 'tmpfs', 0, null);
    p.mount('none', '/a', null, MS_SHARED, null);
    p.mkdir('/a/x', 0o755);
    p.mkdir('/b', 0o755);
    p.mount('/a', '/b', null, MS_BIND, null);
    // /b is a peer of /a: stack on /b/x, then mount on /a/x, whose copy goes under /b/x's stack.
    p.mkdir('/s', 0o755);
    p.mount('none', '/s', 'tmpfs', 0, null);
    p.mount('none', '/s', null, MS_PRIVATE | MS_REC, null);
    for (let i = 0; i < 3; i++) p.mount('/s', '/b/x', null, MS_BIND, null);
    checkStacks(allMounts(k));
    p.mount('none', '/a/x', 'tmpfs', 0, null);
    checkStacks(allMounts(k));
    p.umount2('/a/x', 0);
    checkStacks(allMounts(k));
    // What a walk reaches is the stack's top the hash has, on both peers.
    for (const at of ['/a/x', '/b/x']) expect(p.resolve(at, true).mnt.overmount).toBeNull();
  });
});
