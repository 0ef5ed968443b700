/**
 * copy_tree() that fails half way (a child both unbindable and locked: EPERM, as recorded on the
 * kernel by test/parity/corpus/open-tree-locked-unbindable-child.json) gives back what it copied
 * (its `out:` path, umount_tree(res, UMOUNT_SYNC)): the mount ids are free again, so the next
 * mount gets the id it would have had without the failed copy.
 */
import { describe, expect, it } from 'vitest';
import { runEmulated } from '../../src/plan/emulated.js';
import type { PlanOp } from '../../src/plan/plan.js';

const MAP: [number, number, number][] = [[0, 100000, 65536]];

/** A user-namespaced copy of a world with tmpfs mounts (locked there), one of them then made unbindable. */
const world: PlanOp[] = [
  { op: 'mkdir', path: '/m' },
  { op: 'mkdir', path: '/n' },
  { op: 'mkdir', path: '/x' },
  { op: 'mount', source: 'm', target: '/m', fstype: 'tmpfs', flags: [] },
  { op: 'mount', source: 'n', target: '/n', fstype: 'tmpfs', flags: [] },
  { op: 'unshare', flags: ['user', 'mnt'], uidMap: MAP, gidMap: MAP },
  // In the copy /m is locked; made unbindable there, a recursive clone may neither copy nor skip it.
  { op: 'mount', source: '', target: '/m', fstype: '', flags: ['unbindable'] },
];

/** The id of the mount on /x after `between` and a new tmpfs there. */
function nextId(between: PlanOp[]): { results: unknown[]; id: string } {
  const o = runEmulated({ version: 1, ops: [...world, ...between, { op: 'mount', source: 'x', target: '/x', fstype: 'tmpfs', flags: [] }] });
  const line = o.mountinfo.find((l) => l.split(' ')[4] === '/x')!;
  return { results: o.results.slice(world.length, world.length + between.length), id: line.split(' ')[0]! };
}

describe('copy_tree() refused half way', () => {
  it('is EPERM and gives the ids of its partial copy back', () => {
    const failed = nextId([{ op: 'open_tree', path: '/', flags: ['clone', 'recursive'] }]);
    expect(failed.results).toEqual([{ ok: false, errno: 'EPERM' }]);
    expect(failed.id).toBe(nextId([]).id);
  });
});
