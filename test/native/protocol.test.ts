/**
 * One op table (DESIGN.md decision 9): an op kind, a flag value or a refusal is written once in
 * TypeScript (src/plan/plan.ts OP_FIELDS, src/plan/emulated.ts's flag tables, src/host/native.ts,
 * src/plan/policy.ts), and everything else that states it is checked against that here — the
 * addon's compiled numbers (its OpKind order, and MS_*, MNT_*, MOUNT_ATTR_*, CLONE_* as this
 * system's headers define them), and test/kernel/record.py's op dispatch and flag tables — so an
 * op added on one side and not the other fails this test. Also the record tag's PRF against
 * SipHash-2-4's published vectors.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MOUNT_ATTRS, NATIVE_OPS, nativeProtocol, nativeSipHash24, REFUSAL_CODES, RENAME_FLAGS, UNAVAILABLE } from '../../src/host/native.js';
import { MKNOD_TYPES, MOUNT_ATTR_BITS, MOUNT_FLAGS, MOUNT_SETATTR_FLAGS, OPEN_TREE_FLAGS, PROPAGATION_BITS, UMOUNT_FLAGS, UNSHARE_FLAGS } from '../../src/plan/emulated.js';
import { OP_FIELDS } from '../../src/plan/plan.js';
import { MAX_OP_BYTES, MAX_RUN_BYTES, REFUSAL_RULES } from '../../src/plan/policy.js';
import { CLONE_NEWNET, CLONE_NEWNS } from '../../src/vfs/net-namespace.js';
import { CLONE_NEWUSER } from '../../src/vfs/nsproxy-syscalls.js';
import { noPrivilege, itHasTheBackend, warnIfSkipped } from './helpers.js';

warnIfSkipped('test/native/protocol (the addon\'s numbers)');

const upper = (name: string) => name.toUpperCase();

describe('the native protocol against the TypeScript tables', () => {
  it('marshals every plan op to one op kind of the addon', () => {
    for (const op of Object.keys(OP_FIELDS)) expect(NATIVE_OPS as readonly string[], op).toContain(op);
    expect(new Set(NATIVE_OPS).size).toBe(NATIVE_OPS.length);
  });

  it('names a refusal code for every policy rule, each once', () => {
    expect(Object.keys(REFUSAL_CODES).sort()).toEqual([...REFUSAL_RULES].sort());
    expect(new Set(Object.values(REFUSAL_CODES)).size).toBe(REFUSAL_RULES.length);
  });
});

describe.skipIf(noPrivilege)('the addon\'s compiled numbers', () => {
  itHasTheBackend();
  const proto = nativeProtocol();

  it('has the op kinds in NATIVE_OPS order', () => {
    expect(proto?.ops).toEqual([...NATIVE_OPS]);
  });

  it('has the refusal codes and limits of src/plan/policy.ts', () => {
    expect(proto?.refusals).toEqual(REFUSAL_CODES);
    expect(proto?.unavailable).toBe(UNAVAILABLE);
    expect(proto?.limits.maxOpBytes).toBe(MAX_OP_BYTES);
    expect(proto?.limits.maxRunBytes).toBe(MAX_RUN_BYTES);
  });

  it('agrees with the system headers on every flag value TypeScript sends', () => {
    const f = proto!.flags;
    for (const [name, v] of Object.entries(MOUNT_FLAGS)) expect(v, `MS_${upper(name)}`).toBe(f[`MS_${upper(name)}`]);
    for (const [name, v] of Object.entries(UMOUNT_FLAGS)) expect(v, name).toBe(f[name === 'nofollow' ? 'UMOUNT_NOFOLLOW' : `MNT_${upper(name)}`]);
    for (const [name, v] of Object.entries(RENAME_FLAGS)) expect(v, name).toBe(f[`RENAME_${upper(name)}`]);
    for (const [name, v] of Object.entries(MOUNT_ATTRS)) if (name !== 'relatime') expect(v, name).toBe(f[`MOUNT_ATTR_${upper(name)}`]);
    const types: Record<string, string> = { char: 'S_IFCHR', block: 'S_IFBLK', fifo: 'S_IFIFO', file: 'S_IFREG', socket: 'S_IFSOCK' };
    for (const [name, v] of Object.entries(MKNOD_TYPES)) expect(v, name).toBe(f[types[name]!]);
    expect([CLONE_NEWNS, CLONE_NEWNET]).toEqual([f.CLONE_NEWNS, f.CLONE_NEWNET]);
    expect(UNSHARE_FLAGS).toEqual({ mnt: f.CLONE_NEWNS, net: f.CLONE_NEWNET, user: f.CLONE_NEWUSER, ipc: f.CLONE_NEWIPC, pid: f.CLONE_NEWPID });
    expect(OPEN_TREE_FLAGS).toEqual({ clone: f.OPEN_TREE_CLONE, recursive: f.AT_RECURSIVE, nofollow: f.AT_SYMLINK_NOFOLLOW });
    expect(MOUNT_SETATTR_FLAGS).toEqual({ recursive: f.AT_RECURSIVE, nofollow: f.AT_SYMLINK_NOFOLLOW });
    const attr = (n: string) => (n === 'atime' ? f.MOUNT_ATTR__ATIME : f[`MOUNT_ATTR_${upper(n)}`]);
    for (const [name, v] of Object.entries(MOUNT_ATTR_BITS)) expect(v, name).toBe(attr(name));
    for (const [name, v] of Object.entries(PROPAGATION_BITS)) expect(v, name).toBe(f[`MS_${upper(name)}`]);
  });

  it('tags records with SipHash-2-4: the reference vectors of its paper (key 00..0f)', () => {
    const key = Uint8Array.from({ length: 16 }, (_, i) => i);
    const msg = (n: number) => Buffer.from(Uint8Array.from({ length: n }, (_, i) => i));
    expect(nativeSipHash24(key, msg(0))).toBe(0x726fdb47dd0e0e31n);
    expect(nativeSipHash24(key, msg(15))).toBe(0xa129ca6149be45e5n);
    expect(nativeSipHash24(key, msg(63))).toBe(0x958a324ceb064572n);
  });
});

describe('test/kernel/record.py against the TypeScript tables', () => {
  // Its tables, evaluated by Python itself from the file's own assignments (nothing else runs).
  const script = `
import ast, json, sys
src = open('test/kernel/record.py').read()
tree = ast.parse(src)
names = {'MS', 'MNT', 'RENAME', 'CLONE_NEWNS', 'CLONE_NEWNET', 'CLONE_NEWUSER', 'CLONE_NEWIPC', 'CLONE_NEWPID', 'OPEN_TREE', 'SETATTR', 'MOUNT_ATTR', 'PROPAGATION'}
out = {}
for node in tree.body:
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and getattr(node.targets[0], 'id', None) in names:
        out[node.targets[0].id] = eval(compile(ast.Expression(node.value), 'record.py', 'eval'), {'__builtins__': {}})
json.dump(out, sys.stdout)
`;
  const py = spawnSync('python3', ['-c', script], { encoding: 'utf8' });
  const tables = py.status === 0 ? (JSON.parse(py.stdout) as Record<string, unknown>) : null;
  const source = readFileSync('test/kernel/record.py', 'utf8');

  it('reads its tables with python3', () => {
    expect(py.stderr).toBe('');
    expect(tables).not.toBeNull();
  });

  it('dispatches every plan op, and no other', () => {
    const handled = new Set([...source.matchAll(/kind == '([a-z_]+)'/g)].map((m) => m[1]));
    expect([...handled].sort()).toEqual(Object.keys(OP_FIELDS).sort());
  });

  it('has the mount, umount and rename flags and the clone flags of the TypeScript side', () => {
    expect(tables?.MS).toEqual(MOUNT_FLAGS);
    expect(tables?.MNT).toEqual(UMOUNT_FLAGS);
    expect(tables?.RENAME).toEqual(RENAME_FLAGS);
    expect([tables?.CLONE_NEWNS, tables?.CLONE_NEWNET, tables?.CLONE_NEWUSER, tables?.CLONE_NEWIPC, tables?.CLONE_NEWPID]).toEqual([CLONE_NEWNS, CLONE_NEWNET, CLONE_NEWUSER, UNSHARE_FLAGS.ipc, UNSHARE_FLAGS.pid]);
  });

  it('has the open_tree, mount_setattr and mount_attr tables of the TypeScript side', () => {
    expect(tables?.OPEN_TREE).toEqual(OPEN_TREE_FLAGS);
    expect(tables?.SETATTR).toEqual(MOUNT_SETATTR_FLAGS);
    expect(tables?.MOUNT_ATTR).toEqual(MOUNT_ATTR_BITS);
    expect(tables?.PROPAGATION).toEqual(PROPAGATION_BITS);
  });
});
