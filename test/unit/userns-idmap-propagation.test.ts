/**
 * Propagation and detached trees: what attaching a tree under a shared mount copies, and where,
 * when open_tree(OPEN_TREE_CLONE) copies of that mount — detached, in anonymous namespaces — are
 * peers of it. The rule is need_secondary() (fs/pnode.c, 6.18): a receiver in an anonymous
 * namespace gets no copy, yet propagate_mnt()'s walk goes through it to its slaves (IS_MNT_NEW()
 * is only "in no namespace"), and the tree being attached is still in its anonymous namespace
 * while the walk runs (attach_recursive_mnt() moves it out afterwards). A copy keeps the
 * original's idmapping (clone_mnt() takes mnt_idmap along), shown as `idmapped`.
 *
 * The expected tables and results are the kernel's: the same calls, as plans, gave them on Linux
 * 6.18 through the native backend (test/native/userns-idmap-propagation.test.ts holds the kernel
 * to them). Tables are compared once ids, devices and peer groups are tokens (src/plan/compare.ts).
 */
import { describe, expect, it } from 'vitest';
import { AT_EMPTY_PATH, AT_FDCWD, createSandbox, MS_BIND, MS_SHARED, MS_SLAVE, O_CREAT, O_WRONLY } from '../../src/index.js';
import { normaliseMountinfo } from '../../src/plan/compare.js';
import { MOUNT_ATTR_IDMAP, MOVE_MOUNT_F_EMPTY_PATH, OPEN_TREE_CLONE } from '../../src/vfs/mount-api.js';
import { CLONE_NEWUSER } from '../../src/vfs/nsproxy-syscalls.js';
import type { Process } from '../../src/vfs/process.js';
import type { UserNamespace } from '../../src/vfs/user-namespace.js';
import { readdirNames } from './helpers.js';

/** The plan format's world: a tmpfs root shown as `tmpfs none rw,mode=755`. */
function world(): Process {
  return createSandbox({ size: null, inodes: null }).process;
}

/** The task's mountinfo with ids, devices and groups as structural tokens. */
function table(p: Process): string[] {
  return normaliseMountinfo({ mountinfo: p.mountinfo().trimEnd().split('\n'), namespaces: [] }).mountinfo;
}

/** The plan's `userns` op: a child's new user namespace, its maps written by `p`. */
function userns(p: Process, map: string): UserNamespace {
  const c = p.fork();
  c.unshare(CLONE_NEWUSER);
  p.writeUidMap(c.userNs, map);
  p.writeGidMap(c.userNs, map);
  return c.userNs;
}

const makeShared = (p: Process, path: string): void => p.mountSetattr(AT_FDCWD, path, 0, { attrSet: 0, attrClr: 0, propagation: MS_SHARED });
const cloneOf = (p: Process, path: string): number => p.openTree(AT_FDCWD, path, OPEN_TREE_CLONE);
const idmap = (p: Process, fd: number, ns: UserNamespace): void => p.mountSetattr(fd, '', AT_EMPTY_PATH, { attrSet: MOUNT_ATTR_IDMAP, attrClr: 0, userns: ns });
const attach = (p: Process, fd: number, to: string): void => p.moveMount(fd, '', AT_FDCWD, to, MOVE_MOUNT_F_EMPTY_PATH);
const owner = (p: Process, path: string): [number, number] => {
  const st = p.lstat(path);
  return [st.uid, st.gid];
};

describe('attaching under a shared mount with detached peers', () => {
  it('copies an idmapped tree, idmapped, into an attached peer and into no detached one', () => {
    const p = world();
    for (const d of ['/a', '/b', '/a/x', '/s', '/t']) p.mkdir(d, 0o755);
    p.close(p.open('/s/f', O_CREAT | O_WRONLY, 0o644));
    makeShared(p, '/');
    p.mount('/a', '/b', null, MS_BIND, null);
    const detachedPeer = cloneOf(p, '/');
    const ns = userns(p, '0 10000 1000');
    const tree = cloneOf(p, '/s');
    idmap(p, tree, ns);
    attach(p, tree, '/a/x');
    attach(p, detachedPeer, '/t');
    expect(owner(p, '/a/x/f')).toEqual([10000, 10000]);
    expect(owner(p, '/b/x/f')).toEqual([10000, 10000]);
    expect(owner(p, '/s/f')).toEqual([0, 0]);
    // The peer was detached when the idmapped tree came: nothing is mounted on its /a/x.
    expect(readdirNames(p, '/t/a/x')).toEqual([]);
    expect(table(p)).toEqual([
      'M1 ^ D1 / / rw,relatime shared:P1 - tmpfs none rw,mode=755',
      'M2 M1 D1 /a /b rw,relatime shared:P1 - tmpfs none rw,mode=755',
      'M3 M1 D1 / /t rw,relatime shared:P1 - tmpfs none rw,mode=755',
      'M4 M1 D1 /s /a/x rw,relatime,idmapped shared:P1 - tmpfs none rw,mode=755',
      'M5 M2 D1 /s /b/x rw,relatime,idmapped shared:P1 - tmpfs none rw,mode=755',
    ]);
  });

  it('stacks copies of trees attached onto peers only where the peer was attached (the parity plan, shrunk)', () => {
    const p = world();
    p.mkdir('/a', 0o755);
    makeShared(p, '/');
    attach(p, cloneOf(p, '/'), '/a');
    const later = cloneOf(p, '/');
    const ns = userns(p, '0 100000 65536');
    const idmapped = cloneOf(p, '/');
    idmap(p, idmapped, ns);
    // On the peer at /a; its copy goes onto /, the one peer attached: `later`, detached, gets none.
    attach(p, idmapped, '/a');
    // On the idmapped copy on /: a copy goes beneath each attached peer's mount there.
    attach(p, later, '/');
    expect(owner(p, '/a')).toEqual([0, 0]);
    expect(owner(p, '/a/a')).toEqual([0, 0]);
    expect(readdirNames(p, '/a/a')).toEqual([]);
    expect(table(p)).toEqual([
      'M1 ^ D1 / / rw,relatime shared:P1 - tmpfs none rw,mode=755',
      'M2 M1 D1 / /a rw,relatime shared:P1 - tmpfs none rw,mode=755',
      'M3 M4 D1 / / rw,relatime shared:P1 - tmpfs none rw,mode=755',
      'M5 M6 D1 / /a rw,relatime,idmapped shared:P1 - tmpfs none rw,mode=755',
      'M4 M7 D1 / / rw,relatime,idmapped shared:P1 - tmpfs none rw,mode=755',
      'M6 M2 D1 / /a rw,relatime shared:P1 - tmpfs none rw,mode=755',
      'M7 M1 D1 / / rw,relatime shared:P1 - tmpfs none rw,mode=755',
      'M8 M5 D1 / /a rw,relatime shared:P1 - tmpfs none rw,mode=755',
    ]);
  });

  it('reaches the slaves of the detached tree being attached, through it', () => {
    const p = world();
    p.mkdir('/b', 0o755);
    p.mkdir('/t', 0o755);
    makeShared(p, '/');
    const tree = cloneOf(p, '/');
    // The bind joins the ring right after /, before the detached peer; made a slave, it takes the
    // next peer with its root as master (do_make_slave()): the detached one.
    p.mount('/', '/b', null, MS_BIND, null);
    p.mount(null, '/b', null, MS_SLAVE, null);
    attach(p, tree, '/t');
    expect(readdirNames(p, '/b/t')).toEqual(['b', 't']);
    expect(table(p)).toEqual([
      'M1 ^ D1 / / rw,relatime shared:P1 - tmpfs none rw,mode=755',
      'M2 M1 D1 / /t rw,relatime shared:P1 - tmpfs none rw,mode=755',
      'M3 M1 D1 / /b rw,relatime master:P1 - tmpfs none rw,mode=755',
      'M4 M3 D1 / /b/t rw,relatime master:P1 - tmpfs none rw,mode=755',
    ]);
  });
});
