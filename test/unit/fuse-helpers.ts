/**
 * The daemon of test/kernel/recorders/loop_fuse.py as an object (src/fs/fuse/daemon.ts): node 1
 * the root, node 2 the file `hello`, `secret` answered -EACCES, no mkdir (ENOSYS).
 */
import type { FuseAttr, FuseDaemon } from '../../src/fs/fuse/daemon.js';
import { errno } from '../../src/vfs/errno.js';
import { S_IFDIR, S_IFREG } from '../../src/vfs/inode.js';

export const HELLO = new TextEncoder().encode('hello from fuse\n');

const t = (sec: number) => ({ sec, nsec: 0 });
const ATTRS: Record<number, FuseAttr> = {
  1: { ino: 1, mode: S_IFDIR | 0o755, nlink: 2, uid: 1234, gid: 5678, size: 0, atime: t(1000), mtime: t(2000), ctime: t(3000) },
  2: { ino: 2, mode: S_IFREG | 0o644, nlink: 1, uid: 1234, gid: 5678, size: HELLO.length, atime: t(1000), mtime: t(2000), ctime: t(3000) },
};

export function helloDaemon(): FuseDaemon & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    lookup(parent, name) {
      calls.push(`LOOKUP ${parent} ${name}`);
      if (parent === 1 && name === 'hello') return { nodeid: 2, attr: ATTRS[2]! };
      if (parent === 1 && name === 'secret') throw errno('EACCES');
      throw errno('ENOENT');
    },
    getattr(node) {
      const a = ATTRS[node];
      if (!a) throw errno('ENOENT');
      return a;
    },
    readdir() {
      calls.push('READDIR');
      return [
        { name: '.', ino: 1, type: S_IFDIR },
        { name: '..', ino: 1, type: S_IFDIR },
        { name: 'hello', ino: 2, type: S_IFREG },
      ];
    },
    read(_node, _fh, off, size) {
      calls.push(`READ ${off} ${size}`);
      return HELLO.subarray(off, off + size);
    },
  };
}
