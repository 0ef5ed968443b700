/**
 * Mount propagation events: what a mount, bind, move or umount under a mount with peers or slaves
 * does to the receivers, the errnos it can end in (EBUSY, ENOSPC, EINVAL), and what it costs.
 * Expected tables and errnos were taken from Linux 6.18 for the same calls (plans recorded with
 * test/kernel/record.py; the busy cases, which need a file held open, with a small ctypes script).
 * Tables are compared once ids, devices and peer groups are tokens (src/plan/compare.ts).
 */
import { describe, expect, it } from 'vitest';
import { createSandbox as createLimitedSandbox, MNT_DETACH, MS_BIND, MS_MOVE, MS_PRIVATE, MS_REC, MS_SHARED, MS_SLAVE, MS_UNBINDABLE, O_RDONLY } from '../../src/index.js';
import { normaliseMountinfo } from '../../src/plan/compare.js';
import type { Mount } from '../../src/vfs/mount.js';
import type { Process } from '../../src/vfs/process.js';
import { peersOf, slavesOf } from '../../src/vfs/propagation.js';
import { errOf, readdirNames } from './helpers.js';

/** A sandbox whose root is the plan format's (`mode=755`, no size or inode limit), as the tables below show it. */
const createSandbox = (opts: Parameters<typeof createLimitedSandbox>[0] = {}) => createLimitedSandbox({ size: null, inodes: null, ...opts });

/** The task's mountinfo with ids, devices and groups as structural tokens. */
function table(p: Process): string[] {
  const lines = p.mountinfo().trimEnd().split('\n');
  return normaliseMountinfo({ mountinfo: lines, namespaces: [] }).mountinfo;
}

function tmpfs(p: Process, source: string, target: string): void {
  p.mount(source, target, 'tmpfs', 0, '');
}

const bind = (p: Process, from: string, to: string, flags = 0): void => p.mount(from, to, null, MS_BIND | flags, null);
const make = (p: Process, target: string, flags: number): void => p.mount(null, target, null, flags, null);

/** The mount whose root is at `path` (the top of the stack there). */
function mountAt(p: Process, path: string): Mount {
  return p.resolve(path, true).mnt;
}

/** A shared tmpfs at /s holding a/ and b/, bound at each of `receivers` as a peer or a slave. */
function sharedS(receivers: Record<string, 'peer' | 'slave'> = {}): Process {
  const p = createSandbox().process;
  p.mkdir('/s');
  tmpfs(p, 's', '/s');
  p.mkdir('/s/a');
  p.mkdir('/s/b');
  make(p, '/s', MS_SHARED);
  for (const [at, kind] of Object.entries(receivers)) {
    p.mkdir(at);
    bind(p, '/s', at);
    if (kind === 'slave') make(p, at, MS_SLAVE);
  }
  return p;
}

describe('mount events', () => {
  it('copy a mount made under one peer into the other, as a peer of the original', () => {
    const p = sharedS({ '/p': 'peer' });
    tmpfs(p, 'a', '/p/a');
    expect(table(p)).toEqual([
      'M1 ^ D1 / / rw,relatime - tmpfs none rw,mode=755',
      'M2 M1 D2 / /s rw,relatime shared:P1 - tmpfs s rw',
      'M3 M1 D2 / /p rw,relatime shared:P1 - tmpfs s rw',
      'M4 M3 D3 / /p/a rw,relatime shared:P2 - tmpfs a rw',
      'M5 M2 D3 / /s/a rw,relatime shared:P2 - tmpfs a rw',
    ]);
  });

  it('reach a slave one way only, and go beneath what the slave mounted there itself', () => {
    const p = sharedS({ '/q': 'slave' });
    tmpfs(p, 'own', '/q/b');
    expect(readdirNames(p, '/s/b')).toEqual([]);
    tmpfs(p, 'event', '/s/b');
    expect(table(p)).toEqual([
      'M1 ^ D1 / / rw,relatime - tmpfs none rw,mode=755',
      'M2 M1 D2 / /s rw,relatime shared:P1 - tmpfs s rw',
      'M3 M1 D2 / /q rw,relatime master:P1 - tmpfs s rw',
      'M4 M5 D3 / /q/b rw,relatime - tmpfs own rw',
      'M6 M2 D4 / /s/b rw,relatime shared:P2 - tmpfs event rw',
      'M5 M3 D4 / /q/b rw,relatime master:P2 - tmpfs event rw',
    ]);
  });

  it('refuse to move a mount whose parent is shared, or a tree with unbindable mounts under a shared one (EINVAL)', () => {
    const p = sharedS();
    p.mkdir('/x');
    tmpfs(p, 'a', '/s/a');
    expect(errOf(() => p.mount('/s/a', '/x', null, MS_MOVE, null))).toBe('EINVAL');
    tmpfs(p, 'u', '/x');
    p.mkdir('/x/in');
    tmpfs(p, 'in', '/x/in');
    make(p, '/x/in', MS_UNBINDABLE);
    expect(errOf(() => p.mount('/x', '/s/b', null, MS_MOVE, null))).toBe('EINVAL');
  });
});

describe('propagation state', () => {
  it('leave a lone shared mount private on make-slave (no peer, no master to follow)', () => {
    const p = createSandbox().process;
    p.mkdir('/l');
    tmpfs(p, 'l', '/l');
    make(p, '/l', MS_SHARED);
    make(p, '/l', MS_SLAVE);
    expect(table(p)[1]).toBe('M2 M1 D2 / /l rw,relatime - tmpfs l rw');
  });

  it('slave a mount with peers to its next peer, at the head of that slave list', () => {
    const p = sharedS();
    for (const d of ['/p', '/q', '/z']) p.mkdir(d);
    bind(p, '/s', '/q');
    bind(p, '/s/a', '/p'); // a clone joins the ring right after its source: s -> p -> q
    bind(p, '/s', '/z'); // s -> z -> p -> q
    make(p, '/z', MS_SLAVE); // to p, the next peer
    make(p, '/s', MS_SLAVE); // to p too, not to q (whose root is the same as s's)
    const s = mountAt(p, '/s');
    expect(s.master).toBe(mountAt(p, '/p'));
    expect(slavesOf(mountAt(p, '/p'))).toEqual([s, mountAt(p, '/z')]);
  });

  it('hand the slaves of a mount leaving its group to its master, ahead of the others', () => {
    const p = sharedS();
    for (const d of ['/m', '/x', '/y', '/z']) p.mkdir(d);
    bind(p, '/s', '/m');
    make(p, '/m', MS_SLAVE);
    make(p, '/m', MS_SHARED);
    bind(p, '/s', '/z');
    make(p, '/z', MS_SLAVE);
    for (const d of ['/x', '/y']) {
      bind(p, '/m', d);
      make(p, d, MS_SLAVE);
    }
    make(p, '/m', MS_SLAVE);
    const at = (d: string) => mountAt(p, d);
    expect(slavesOf(at('/s'))).toEqual([at('/m'), at('/y'), at('/x'), at('/z')]);
  });

  it("show propagate_from when the master's group has no member in sight", () => {
    const p = createSandbox().process;
    for (const d of ['/A', '/B', '/C']) p.mkdir(d);
    tmpfs(p, 'A', '/A');
    make(p, '/A', MS_SHARED);
    bind(p, '/A', '/B');
    make(p, '/B', MS_SLAVE);
    make(p, '/B', MS_SHARED);
    bind(p, '/B', '/C');
    make(p, '/C', MS_SLAVE);
    p.unshareMountNs();
    p.umount2('/B');
    expect(table(p)).toEqual([
      'M1 ^ D1 / / rw,relatime - tmpfs none rw,mode=755',
      'M2 M1 D2 / /A rw,relatime shared:P1 - tmpfs A rw',
      'M3 M1 D2 / /C rw,relatime master:P2 propagate_from:P1 - tmpfs A rw',
    ]);
  });
});

describe('umount events', () => {
  it('take out the copies in peers and slaves, but leave a copy that has mounts of its own', () => {
    const p = sharedS({ '/p': 'peer', '/q': 'slave' });
    tmpfs(p, 'a', '/s/a');
    tmpfs(p, 'b', '/s/b');
    p.mkdir('/s/b/x');
    tmpfs(p, 'child', '/q/b/x');
    p.umount2('/s/b');
    expect(table(p)).toEqual([
      'M1 ^ D1 / / rw,relatime - tmpfs none rw,mode=755',
      'M2 M1 D2 / /s rw,relatime shared:P1 - tmpfs s rw',
      'M3 M1 D2 / /p rw,relatime shared:P1 - tmpfs s rw',
      'M4 M1 D2 / /q rw,relatime master:P1 - tmpfs s rw',
      'M5 M2 D3 / /s/a rw,relatime shared:P2 - tmpfs a rw',
      'M6 M3 D3 / /p/a rw,relatime shared:P2 - tmpfs a rw',
      'M7 M4 D3 / /q/a rw,relatime master:P2 - tmpfs a rw',
      'M8 M4 D4 / /q/b rw,relatime - tmpfs b rw',
      'M9 M8 D5 / /q/b/x rw,relatime - tmpfs child rw',
    ]);
  });

  it('are EBUSY while a copy they would take out is in use, not once it is closed, and MNT_DETACH goes ahead', () => {
    const p = sharedS({ '/p': 'peer' });
    tmpfs(p, 'a', '/s/a');
    const fd = p.open('/p/a', O_RDONLY);
    expect(errOf(() => p.umount2('/s/a'))).toBe('EBUSY');
    p.close(fd);
    expect(errOf(() => p.umount2('/s/a'))).toBe('OK');
    tmpfs(p, 'a2', '/s/a');
    const fd2 = p.open('/p/a', O_RDONLY);
    expect(errOf(() => p.umount2('/s/a', MNT_DETACH))).toBe('OK');
    expect(readdirNames(p, '/p/a')).toEqual([]);
    p.close(fd2);
  });

  it('are not busy for a pinned copy that stays because it has a child', () => {
    const p = sharedS({ '/q': 'slave' });
    tmpfs(p, 'b', '/s/b');
    p.mkdir('/s/b/x');
    tmpfs(p, 'child', '/q/b/x');
    const fd = p.open('/q/b', O_RDONLY);
    expect(errOf(() => p.umount2('/s/b'))).toBe('OK');
    p.close(fd);
  });
});

describe('fs.mount-max', () => {
  it('is ENOSPC when a copy would overfill a receiving namespace, and leaves everything as it was', () => {
    const p = createSandbox({ mountMax: 8 }).process;
    p.mkdir('/s');
    tmpfs(p, 's', '/s');
    p.mkdir('/s/a');
    make(p, '/s', MS_SHARED);
    const ns0 = p.ns;
    p.unshareMountNs();
    const ns1 = p.ns;
    for (let i = 0; ns1.mounts.size < 8; i++) {
      p.mkdir(`/f${i}`);
      tmpfs(p, `f${i}`, `/f${i}`);
    }
    p.setns(ns0);
    const before = [table(p), [...ns1.mounts]];
    const s = mountAt(p, '/s');
    expect(ns0.mounts.size).toBeLessThan(8);
    expect(errOf(() => tmpfs(p, 'a', '/s/a'))).toBe('ENOSPC');
    expect([table(p), [...ns1.mounts]]).toEqual(before);
    expect(peersOf(s)).toHaveLength(2);
    expect(ns0.pending + ns1.pending).toBe(0);
    // With room again, the same mount reaches both namespaces.
    p.setns(ns1);
    p.umount2('/f0');
    p.setns(ns0);
    tmpfs(p, 'a', '/s/a');
    expect([...ns1.mounts].some((m) => m.devname === 'a')).toBe(true);
  });
});

describe('cost', () => {
  it('of a mount or umount under a non-shared parent is nothing, however many mounts (2^17 here)', () => {
    const p = createSandbox({ mountMax: 1 << 20 }).process;
    p.mkdir('/t');
    tmpfs(p, 't', '/t');
    for (let k = 1; k <= 17; k++) p.mkdir(`/t/d${k}`);
    make(p, '/t', MS_SHARED);
    for (let k = 1; k <= 17; k++) bind(p, '/t', `/t/d${k}`);
    expect(peersOf(mountAt(p, '/t'))).toHaveLength(1 << 17);
    for (const d of ['/priv', '/g', '/h']) p.mkdir(d);
    tmpfs(p, 'priv', '/priv');
    p.mkdir('/priv/x');
    tmpfs(p, 'g', '/g');
    p.mkdir('/g/y');
    make(p, '/g', MS_SHARED);
    bind(p, '/g', '/h');
    const prop = p.kernel.propagation;
    const size = p.ns.mounts.size;
    expect(size).toBeGreaterThan(100_000);

    const cost = (fn: () => void): number => {
      const before = prop.visits;
      fn();
      return prop.visits - before;
    };
    expect(cost(() => tmpfs(p, 'x', '/priv/x'))).toBe(0);
    expect(p.ns.mounts.size).toBe(size + 1);
    expect(cost(() => p.umount2('/priv/x'))).toBe(0);
    // Under a shared mount with one peer, the walks reach that peer only (umount walks twice:
    // the busy check, then the umount).
    expect(cost(() => tmpfs(p, 'y', '/g/y'))).toBe(1);
    expect(p.ns.mounts.size).toBe(size + 2);
    expect(cost(() => p.umount2('/g/y'))).toBe(2);
    expect(p.ns.mounts.size).toBe(size);
    // Making the whole tree private touches each mount once and ends every group.
    make(p, '/t', MS_PRIVATE | MS_REC);
    expect(peersOf(mountAt(p, '/t'))).toHaveLength(1);
  });
});
