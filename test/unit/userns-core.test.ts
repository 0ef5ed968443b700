/**
 * The user-namespace model's own rules, below what a syscall shows: id maps translating both
 * ways and printing as /proc/PID/uid_map does, cap_capable()'s walk (a namespace's creator holds
 * every capability over it from the parent, a sibling none), capable_wrt_inode_uidgid(), the
 * idmapping arithmetic of idmappings.rst's examples, and Credentials staying usable as before
 * (one id for all four). The kernel's answers for what a task observes are in
 * userns-idmap.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { ALL_CAPS, AT_FDCWD, Cap, Credentials, createSandbox } from '../../src/index.js';
import { fromVfsuid, idmapOf, makeVfsuid, NOP_IDMAP } from '../../src/vfs/idmapping.js';
import { capableWrtInodeUidgid } from '../../src/vfs/permission.js';
import { IdMap, INIT_USER_NS, INVALID_ID, parseIdMap, UserNamespace } from '../../src/vfs/user-namespace.js';

function child(parent: UserNamespace, owner: number, uidMap: string): UserNamespace {
  const ns = UserNamespace.create(parent, owner, owner);
  ns.uidMap = new IdMap(parseIdMap(uidMap).map((e) => ({ ...e, lowerFirst: parent.uidMap.down(e.lowerFirst, e.count) })));
  ns.gidMap = ns.uidMap;
  return ns;
}

describe('IdMap', () => {
  const m = new IdMap(parseIdMap('0 100000 1000\n1000 5000 10\n'));
  it('maps down (make_kuid) and up (from_kuid), -1 outside every extent', () => {
    expect([m.down(0), m.down(999), m.down(1000), m.down(1009), m.down(1010)]).toEqual([100000, 100999, 5000, 5009, INVALID_ID]);
    expect([m.up(100000), m.up(5009), m.up(4999)]).toEqual([0, 1009, INVALID_ID]);
  });
  it('maps a range down only when one extent holds all of it (map_id_range_down)', () => {
    expect(m.down(990, 10)).toBe(100990);
    expect(m.down(995, 10)).toBe(INVALID_ID);
  });
  it('prints as /proc/PID/uid_map: three right-aligned columns of ten', () => {
    expect(m.toString()).toBe('         0     100000       1000\n      1000       5000         10\n');
  });
});

describe('cap_capable()', () => {
  const userA = child(INIT_USER_NS, 1000, '0 1000 1');
  const userB = child(INIT_USER_NS, 2000, '0 2000 1');
  const grandchild = child(userA, 1000, '0 0 1');
  it('root of init_user_ns holds its capabilities over every namespace', () => {
    const root = Credentials.root();
    expect([root.nsCapable(userA, Cap.SYS_ADMIN), root.nsCapable(grandchild, Cap.SYS_ADMIN)]).toEqual([true, true]);
  });
  it('an unprivileged creator holds every capability over what it created and below, none above or beside', () => {
    const u = new Credentials(1000, 1000);
    expect([u.nsCapable(userA, Cap.SYS_ADMIN), u.nsCapable(grandchild, Cap.CHOWN), u.nsCapable(userB, Cap.SYS_ADMIN), u.capable(Cap.SYS_ADMIN)]).toEqual([true, true, false, false]);
  });
  it('a task inside a namespace has its effective set there, not in the parent', () => {
    const inA = new Credentials(1000, 1000, [], ALL_CAPS, ALL_CAPS, userA);
    expect([inA.nsCapable(userA, Cap.SETUID), inA.nsCapable(grandchild, Cap.SETUID), inA.capable(Cap.SETUID), inA.nsCapable(userB, Cap.SETUID)]).toEqual([true, true, false, false]);
  });
});

describe('capable_wrt_inode_uidgid()', () => {
  const p = createSandbox().process;
  p.mknod('/f', 0o100644);
  p.chown('/f', 100005, 100005);
  const inode = p.lookup(AT_FDCWD, '/f', false).dentry.inode;
  const ns = child(INIT_USER_NS, 0, '0 100000 65536');
  it('holds for root of a namespace that maps both the owner and the group, not for one that does not', () => {
    const inNs = new Credentials(100000, 100000, [], ALL_CAPS, ALL_CAPS, ns);
    const narrow = new Credentials(100000, 100000, [], ALL_CAPS, ALL_CAPS, child(INIT_USER_NS, 0, '0 100000 5'));
    expect([capableWrtInodeUidgid(inNs, inode, Cap.CHOWN), capableWrtInodeUidgid(narrow, inode, Cap.CHOWN)]).toEqual([true, false]);
  });
});

describe('idmappings.rst arithmetic', () => {
  const sb = createSandbox().process.lookup(AT_FDCWD, '/', false).mnt.sb;
  // "Example 1" of the idmapped-mounts section: a mount idmapped with u0:k10000:r10000 shows a
  // file of k1000 as owned by 11000, and a caller of fsuid 11000 writes k1000 to disk.
  const idmap = idmapOf(child(INIT_USER_NS, 0, '0 10000 10000'));
  it('make_vfsuid maps the stored id down the mount idmapping; from_vfsuid maps it back up', () => {
    expect([makeVfsuid(idmap, sb, 1000), fromVfsuid(idmap, sb, 11000)]).toEqual([11000, 1000]);
    expect([makeVfsuid(idmap, sb, 20000), fromVfsuid(idmap, sb, 5)]).toEqual([INVALID_ID, INVALID_ID]);
  });
  it('the nop idmapping is the identity', () => {
    expect([makeVfsuid(NOP_IDMAP, sb, 4242), fromVfsuid(NOP_IDMAP, sb, 4242)]).toEqual([4242, 4242]);
  });
});

describe('Credentials', () => {
  it('keeps its five-argument constructor: one id is real, effective, saved and filesystem id', () => {
    const c = new Credentials(1000, 1001, [7], 0n);
    expect([c.uid, c.ruid, c.euid, c.suid, c.gid, c.rgid, c.egid, c.sgid, c.userNs === INIT_USER_NS]).toEqual([1000, 1000, 1000, 1000, 1001, 1001, 1001, 1001, true]);
  });
  it('with() replaces what it names and keeps the rest', () => {
    const c = new Credentials(1000, 1001).with({ uid: 5, ids: { euid: 6 } });
    expect([c.uid, c.ruid, c.euid, c.gid]).toEqual([5, 1000, 6, 1001]);
  });
});
