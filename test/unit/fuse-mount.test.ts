/**
 * FUSE in the emulator (src/fs/fuse): a daemon object mounted through /dev/fuse and used with
 * syscalls, against what Linux answered for the same daemon written in Python
 * (test/kernel/recorders/loop_fuse.py, test/kernel/facts/loop-fuse.json): mountinfo, statfs
 * f_type, stat fields, readdir, read, the daemon's errnos; and the mount options' errors.
 */
import { describe, expect, it } from 'vitest';
import { kernelFacts } from '../kernel/facts.js';
import { openFuseDevice } from '../../src/fs/fuse/connection.js';
import type { FuseDaemon } from '../../src/fs/fuse/daemon.js';
import { newKernel } from '../../src/plan/machine.js';
import { errno } from '../../src/vfs/errno.js';
import { O_RDONLY, O_WRONLY, O_CREAT } from '../../src/vfs/file.js';
import { makedev, S_IFCHR, S_IFREG } from '../../src/vfs/inode.js';
import type { Process } from '../../src/vfs/process.js';
import { Sandbox } from '../../src/vfs/sandbox.js';
import { errOf, readdirNames } from './helpers.js';
import { helloDaemon } from './fuse-helpers.js';

const K = kernelFacts('loop-fuse');

function world(): Process {
  const p = new Sandbox(newKernel()).process;
  p.mkdir('/dev', 0o755);
  p.mknod('/dev/fuse', S_IFCHR | 0o666, makedev(10, 229));
  p.mkdir('/f', 0o755);
  return p;
}

function mounted(daemon: FuseDaemon, fstype = 'fuse', extra = ''): Process {
  const p = world();
  const fd = openFuseDevice(p, daemon);
  p.mount('src', '/f', fstype, 0, `fd=${fd},rootmode=40000,user_id=0,group_id=0${extra}`);
  return p;
}

/** The recorder's mountinfo_line(): per-mount options, then from the separator on. */
function line(p: Process, target: string): string {
  const l = p.mountinfo().split('\n').find((x) => x.split(' ')[4] === target)!;
  const f = l.split(' ');
  return [f[5], ...f.slice(f.indexOf('-'))].join(' ');
}

function read(p: Process, path: string): string {
  const fd = p.open(path, O_RDONLY);
  const buf = new Uint8Array(100);
  const n = p.read(fd, buf);
  p.close(fd);
  return new TextDecoder().decode(buf.subarray(0, n));
}

describe('a daemon of a few lines', () => {
  it('answers as the kernel with the same daemon', () => {
    const p = mounted(helloDaemon());
    const st = p.stat('/f/hello');
    expect({
      'mountinfo of /f (options - type source super)': line(p, '/f'),
      'statfs f_type': '0x' + p.statfs('/f').type.toString(16),
      'stat /f/hello [mode, nlink, uid, gid, size, blocks, mtime]': ['0o' + st.mode.toString(8), st.nlink, st.uid, st.gid, st.size, st.blocks, st.mtime.sec],
      'readdir /f': readdirNames(p, '/f'),
      'read /f/hello': read(p, '/f/hello'),
      'stat /f/missing': errOf(() => p.stat('/f/missing')),
      'stat /f/secret (LOOKUP answered -EACCES)': errOf(() => p.stat('/f/secret')),
      'mkdir /f/d (MKDIR answered -ENOSYS)': errOf(() => p.mkdir('/f/d')),
    }).toEqual(K.table('fuse: a daemon of a few lines'));
  });

  it('subtype= makes the type fuse.SUBTYPE', () => {
    const p = mounted(helloDaemon(), 'fuse', ',subtype=vfsemu');
    expect(line(p, '/f')).toBe(K.get('fuse: type fuse, subtype=vfsemu', 'mountinfo of /f (options - type source super)'));
  });

  it('mount -t fuse.SUBTYPE is fuse with subtype= (get_fs_type()\'s dot rule), as the kernel shows it', () => {
    const p = mounted(helloDaemon(), 'fuse.vfsemu');
    expect(line(p, '/f')).toBe(K.get('fuse: type fuse.vfsemu', 'mountinfo of /f (options - type source super)'));
    expect(readdirNames(p, '/f')).toEqual(['hello']);
  });

  it('the dot rule: an empty subtype is EINVAL, two subtypes are EINVAL, a type without FS_HAS_SUBTYPE is ENODEV', () => {
    const p = world();
    const fd = openFuseDevice(p, helloDaemon());
    const data = `fd=${fd},rootmode=40000,user_id=0,group_id=0`;
    expect({
      'fuse.': errOf(() => p.mount('src', '/f', 'fuse.', 0, data)),
      'fuse.a with subtype=b': errOf(() => p.mount('src', '/f', 'fuse.a', 0, `${data},subtype=b`)),
      'tmpfs.x': errOf(() => p.mount('src', '/f', 'tmpfs.x', 0, '')),
      'nosuch.x': errOf(() => p.mount('src', '/f', 'nosuch.x', 0, '')),
    }).toEqual({ 'fuse.': 'EINVAL', 'fuse.a with subtype=b': 'EINVAL', 'tmpfs.x': 'ENODEV', 'nosuch.x': 'ENODEV' });
  });
});

describe('mount options', () => {
  it('the errors the kernel gives', () => {
    const p = world();
    const dev = openFuseDevice(p, helloDaemon());
    const other = p.open('/f', O_RDONLY);
    expect({
      'fuse without fd=': errOf(() => p.mount('src', '/f', 'fuse', 0, 'rootmode=40000,user_id=0,group_id=0')),
      'fuse without rootmode=': errOf(() => p.mount('src', '/f', 'fuse', 0, `fd=${dev},user_id=0,group_id=0`)),
      'fuse with an fd not of /dev/fuse': errOf(() => p.mount('src', '/f', 'fuse', 0, `fd=${other},rootmode=40000,user_id=0,group_id=0`)),
      'fuse3.sub (no such type)': errOf(() => p.mount('src', '/f', 'fuse3.sub', 0, `fd=${dev},rootmode=40000,user_id=0,group_id=0`)),
    }).toEqual(K.table('fuse: mount errors'));
  });
});

describe('a writable daemon', () => {
  function memDaemon(): FuseDaemon {
    type Node = { attr: { ino: number; mode: number; nlink: number; uid: number; gid: number; size: number }; kids?: Map<string, number>; data?: Uint8Array };
    const nodes = new Map<number, Node>([[1, { attr: { ino: 1, mode: 0o40755, nlink: 2, uid: 0, gid: 0, size: 0 }, kids: new Map() }]]);
    let next = 2;
    const dir = (n: number) => {
      const d = nodes.get(n)!;
      if (!d.kids) throw errno('ENOTDIR');
      return d.kids;
    };
    const make = (parent: number, name: string, mode: number, caller: { uid: number; gid: number }, isDir: boolean) => {
      const kids = dir(parent);
      if (kids.has(name)) throw errno('EEXIST');
      const ino = next++;
      const node: Node = { attr: { ino, mode, nlink: isDir ? 2 : 1, uid: caller.uid, gid: caller.gid, size: 0 }, ...(isDir ? { kids: new Map() } : { data: new Uint8Array() }) };
      nodes.set(ino, node);
      kids.set(name, ino);
      return { nodeid: ino, attr: node.attr };
    };
    return {
      lookup(parent, name) {
        const ino = dir(parent).get(name);
        if (ino === undefined) throw errno('ENOENT');
        return { nodeid: ino, attr: nodes.get(ino)!.attr };
      },
      getattr: (n) => nodes.get(n)!.attr,
      readdir: (n) => [...dir(n)].map(([name, ino]) => ({ name, ino, type: nodes.get(ino)!.attr.mode & 0o170000 })),
      create: (parent, name, mode, _flags, caller) => make(parent, name, mode, caller, false),
      mkdir: (parent, name, mode, caller) => make(parent, name, 0o40000 | mode, caller, true),
      write(n, _fh, off, data) {
        const node = nodes.get(n)!;
        const buf = new Uint8Array(Math.max(node.data!.length, off + data.length));
        buf.set(node.data!);
        buf.set(data, off);
        node.data = buf;
        node.attr = { ...node.attr, size: buf.length };
        return data.length;
      },
      read: (n, _fh, off, size) => nodes.get(n)!.data!.subarray(off, off + size),
      unlink(parent, name) {
        if (!dir(parent).delete(name)) throw errno('ENOENT');
      },
      rmdir(parent, name) {
        const ino = dir(parent).get(name);
        if (ino === undefined) throw errno('ENOENT');
        if (dir(ino).size) throw errno('ENOTEMPTY');
        dir(parent).delete(name);
      },
      rename(parent, name, np, nn) {
        const ino = dir(parent).get(name);
        if (ino === undefined) throw errno('ENOENT');
        dir(parent).delete(name);
        dir(np).set(nn, ino);
      },
      setattr(n, c) {
        const node = nodes.get(n)!;
        if (c.mode !== undefined) node.attr = { ...node.attr, mode: (node.attr.mode & 0o170000) | (c.mode & 0o7777) };
        if (c.size !== undefined && node.data) {
          node.data = node.data.slice(0, c.size);
          node.attr = { ...node.attr, size: c.size };
        }
        return node.attr;
      },
    };
  }

  it('create, write, read, mkdir, rename, chmod, unlink, rmdir go to the daemon', () => {
    const p = mounted(memDaemon());
    p.mkdir('/f/d', 0o750);
    const fd = p.open('/f/d/a', O_WRONLY | O_CREAT, 0o600);
    p.write(fd, new TextEncoder().encode('abc'));
    p.close(fd);
    expect(read(p, '/f/d/a')).toBe('abc');
    expect(p.stat('/f/d/a').size).toBe(3);
    expect(p.stat('/f/d/a').mode).toBe(S_IFREG | 0o600);
    p.rename('/f/d/a', '/f/b');
    expect(readdirNames(p, '/f')).toEqual(['b', 'd']);
    p.chmod('/f/b', 0o644);
    expect(p.stat('/f/b').mode & 0o7777).toBe(0o644);
    expect(errOf(() => p.rmdir('/f/nonesuch'))).toBe('ENOENT');
    p.unlink('/f/b');
    p.rmdir('/f/d');
    expect(readdirNames(p, '/f')).toEqual([]);
    expect(errOf(() => p.symlink('x', '/f/l'))).toBe('ENOSYS');
  });

  it('closing /dev/fuse ends the connection: ENOTCONN', () => {
    const p = world();
    const fd = openFuseDevice(p, helloDaemon());
    p.mount('src', '/f', 'fuse', 0, `fd=${fd},rootmode=40000,user_id=0,group_id=0`);
    p.close(fd);
    expect(errOf(() => p.stat('/f/hello'))).toBe('ENOTCONN');
  });
});
