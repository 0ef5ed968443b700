/**
 * tmpfs super options, root inode and per-mount options, asserted against lines this machine's
 * kernel (6.18, 6171021 pages of RAM) printed for the same mount(2) calls in `unshare -m`.
 */
import { describe, expect, it } from 'vitest';
import { createSandbox, MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY, MS_REMOUNT, MS_NOATIME, MS_NODIRATIME, MS_STRICTATIME } from '../../src/index.js';
import type { Process } from '../../src/vfs/process.js';

const RAM_PAGES = 6171021;

function sandbox(): Process {
  // The plan format's root (`mode=755`, no limits), as the tables below show it.
  return createSandbox({ totalRamPages: RAM_PAGES, size: null, inodes: null }).process;
}

/** A line without its ids and device (those are compared by structure elsewhere). */
function tail(line: string): string {
  return line.replace(/^\d+ \d+ \d+:\d+ /, '');
}

function lineFor(p: Process, mountpoint: string): string {
  const lines = p.mountinfo().trimEnd().split('\n').map(tail).filter((l) => l.split(' ')[1] === mountpoint);
  return lines[lines.length - 1]!;
}

describe('tmpfs mountinfo as the kernel prints it', () => {
  it.each([
    ['', 'none', '/ /t rw,relatime - tmpfs none rw'],
    ['size=1m,mode=700,uid=5,gid=6', 'none', '/ /t rw,relatime - tmpfs none rw,size=1024k,mode=700,uid=5,gid=6'],
    ['nr_inodes=100', 'none', '/ /t rw,relatime - tmpfs none rw,nr_inodes=100'],
    ['size=10%', 'x', '/ /t rw,relatime - tmpfs x rw,size=2468412k'],
    ['size=0', 'none', '/ /t rw,relatime - tmpfs none rw,size=0k'],
    ['nr_inodes=0,size=1k', 'none', '/ /t rw,relatime - tmpfs none rw,size=4k,nr_inodes=0'],
    ['size=3g', 'none', '/ /t rw,relatime - tmpfs none rw,size=3145728k'],
    ['size=1000', 'none', '/ /t rw,relatime - tmpfs none rw,size=4k'],
    ['mode=1777', 'none', '/ /t rw,relatime - tmpfs none rw'],
    ['uid=0,gid=0,mode=0755', 'none', '/ /t rw,relatime - tmpfs none rw,mode=755'],
  ])('data %j', (data, source, expected) => {
    const p = sandbox();
    p.mkdir('/t');
    p.mount(source, '/t', 'tmpfs', 0, data);
    expect(lineFor(p, '/t')).toBe(expected);
  });

  it.each(['bogus=1', 'size=1x', 'mode=8888', 'size', 'size=', 'uid=-1', 'uid=4294967295', 'nr_inodes=1%'])('rejects %j with EINVAL', (data) => {
    const p = sandbox();
    p.mkdir('/t');
    expect(() => p.mount('none', '/t', 'tmpfs', 0, data)).toThrow(expect.objectContaining({ code: 'EINVAL', syscall: 'mount' }));
  });

  it('gives the root directory the mode and owner of the options (1777 root:root by default)', () => {
    const p = sandbox();
    for (const d of ['a', 'b']) p.mkdir('/' + d);
    p.mount('none', '/a', 'tmpfs', 0, '');
    p.mount('none', '/b', 'tmpfs', 0, 'mode=700,uid=5,gid=6');
    const a = p.stat('/a');
    const b = p.stat('/b');
    expect([a.mode.toString(8), a.uid, a.gid, a.size, a.nlink]).toEqual(['41777', 0, 0, 40, 2]);
    expect([b.mode.toString(8), b.uid, b.gid]).toEqual(['40700', 5, 6]);
  });

  it('keeps per-mount flags apart from the superblock: remount,bind changes one mount', () => {
    const p = sandbox();
    for (const d of ['a', 'e']) p.mkdir('/' + d);
    p.mount('none', '/a', 'tmpfs', 0, '');
    p.mount('/a', '/e', null, MS_BIND);
    p.mount(null, '/e', null, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
    expect(lineFor(p, '/a')).toBe('/ /a rw,relatime - tmpfs none rw');
    expect(lineFor(p, '/e')).toBe('/ /e ro,nosuid,nodev,noexec,relatime - tmpfs none rw');
  });

  it('remount changes the superblock options and flags, keeping mode/uid/gid', () => {
    const p = sandbox();
    p.mkdir('/b');
    p.mount('none', '/b', 'tmpfs', 0, 'size=1m,mode=700,uid=5,gid=6');
    p.mount(null, '/b', null, MS_REMOUNT | MS_RDONLY, 'size=2m');
    expect(lineFor(p, '/b')).toBe('/ /b ro,relatime - tmpfs none ro,size=2048k,mode=700,uid=5,gid=6');
  });

  it('strictatime clears noatime but not nodiratime', () => {
    const p = sandbox();
    p.mkdir('/f');
    p.mount('none', '/f', 'tmpfs', MS_NOATIME | MS_NODIRATIME | MS_STRICTATIME, '');
    expect(lineFor(p, '/f')).toBe('/ /f rw,nodiratime - tmpfs none rw');
  });

  it('shows the root of a bind of a subdirectory and mangles spaces', () => {
    const p = sandbox();
    p.mkdir('/src');
    p.mkdir('/src/sub dir');
    p.mkdir('/dst');
    p.mount('/src/sub dir', '/dst', null, MS_BIND);
    expect(lineFor(p, '/dst')).toBe('/src/sub\\040dir /dst rw,relatime - tmpfs none rw,mode=755');
  });
});
