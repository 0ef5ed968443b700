/**
 * A 9p mount at work: msize negotiation as the wire shows it, what each cache mode sees of
 * changes made on the server, a server that goes away (EIO, never a hang), a read-only export
 * (EROFS), symlinks resolved by the client (the server never follows them), the server's own
 * permission checks, hard links, files that live on after their last name, and the fids a mount
 * holds.
 */
import { describe, expect, it } from 'vitest';
import { AT_FDCWD, O_APPEND, O_CREAT, O_DIRECTORY, O_NOFOLLOW, O_RDONLY, O_RDWR, O_WRONLY, RENAME_NOREPLACE, S_IFLNK, S_IFMT } from '../../src/index.js';
import { encodeMessage as encode, type P9Message } from '../../src/p9/index.js';
import type { Process } from '../../src/vfs/process.js';
import { errOf, readdirNames, writeFile } from './helpers.js';
import { dec, enc, rig } from './gofer-helpers.js';

function readAll(p: Process, path: string): string {
  const fd = p.open(path, O_RDONLY);
  try {
    const buf = new Uint8Array(1 << 16);
    return dec.decode(buf.subarray(0, p.read(fd, buf)));
  } finally {
    p.close(fd);
  }
}

describe('attach', () => {
  it('attaches for no user, then for the user requests are made as (n_uname)', () => {
    const attaches = (data: string): unknown[] =>
      rig({ data, anames: ['/data'] })
        .wire.sent.filter((m): m is P9Message<'Tattach'> => m.msg === 'Tattach')
        .map((m) => [m.uname, m.aname, m.nUname]);
    expect(attaches('trans=virtio')).toEqual([
      ['nobody', '', 0xffffffff],
      ['nobody', '', 0],
    ]);
    expect(attaches('trans=virtio,access=any,uname=bob,aname=/data')).toEqual([['bob', '/data', 0xffffffff]]);
    expect(attaches('trans=virtio,access=1000')).toEqual([
      ['nobody', '', 0xffffffff],
      ['nobody', '', 1000],
    ]);
  });
});

describe('msize', () => {
  it('every frame fits the negotiated msize, and writes go in msize - 24 pieces', () => {
    const r = rig({ server: { maxMsize: 8192 } });
    const fd = r.guest.open('/mnt/f', O_CREAT | O_WRONLY, 0o644);
    const before = r.wire.count('Twrite');
    expect(r.guest.write(fd, new Uint8Array(20_000).fill(7))).toBe(20_000);
    r.guest.close(fd);
    const writes = r.wire.sent.filter((m): m is P9Message<'Twrite'> => m.msg === 'Twrite').slice(before);
    expect(writes.map((m) => m.data.length)).toEqual([8168, 8168, 3664]);
    expect(r.host.stat('/srv/f').size).toBe(20_000);
    expect(readAll(r.guest, '/mnt/f')).toHaveLength(20_000);
    for (const m of r.wire.sent) expect(encode(m).length).toBeLessThanOrEqual(8192);
  });
});

describe('cache=none: every path walk asks the server', () => {
  it('sees files made, changed, replaced and removed on the server at once', () => {
    const r = rig({ data: 'trans=virtio,cache=none', populate: (h) => writeFile(h, '/srv/f', 'one') });
    const first = r.guest.stat('/mnt/f');
    expect(first.mode & 0o777).toBe(0o644);
    r.host.chmod('/srv/f', 0o600);
    expect(r.guest.stat('/mnt/f').mode & 0o777).toBe(0o600);
    writeFile(r.host, '/srv/f', 'two, longer');
    expect(r.guest.stat('/mnt/f').size).toBe(11);
    expect(readAll(r.guest, '/mnt/f')).toBe('two, longer');
    writeFile(r.host, '/srv/g', 'new');
    expect(readdirNames(r.guest, '/mnt')).toEqual(['f', 'g']);
    r.host.rename('/srv/g', '/srv/f');
    expect(r.guest.stat('/mnt/f').ino).not.toBe(first.ino);
    expect(readAll(r.guest, '/mnt/f')).toBe('new');
    r.host.unlink('/srv/f');
    expect(errOf(() => r.guest.stat('/mnt/f'))).toBe('ENOENT');
  });
});

describe('cache=loose: names and attributes kept until changed through the mount', () => {
  it('may miss a change made on the server, and sees its own', () => {
    const r = rig({ data: 'trans=virtio,cache=loose', populate: (h) => writeFile(h, '/srv/f', 'one') });
    expect(r.guest.stat('/mnt/f').mode & 0o777).toBe(0o644);
    r.host.chmod('/srv/f', 0o600);
    // The server's chmod is not seen: the attributes are the ones the lookup took.
    expect(r.guest.stat('/mnt/f').mode & 0o777).toBe(0o644);
    // A write through the mount makes them stale: the next lookup asks, and sees both changes.
    const fd = r.guest.open('/mnt/f', O_WRONLY | O_APPEND);
    r.guest.write(fd, enc.encode('+two'));
    r.guest.close(fd);
    const st = r.guest.stat('/mnt/f');
    expect([st.mode & 0o777, st.size]).toEqual([0o600, 7]);
    // A removal on the server goes unseen by lookups, but not by what reaches the server.
    r.host.unlink('/srv/f');
    expect(r.guest.stat('/mnt/f').size).toBe(7);
    expect(errOf(() => r.guest.chmod('/mnt/f', 0o640))).toBe('ENOENT');
    expect(errOf(() => r.guest.open('/mnt/f', O_RDONLY))).toBe('ENOENT');
  });

  it('names the server made are found (no negative lookups are kept), and file data is never cached', () => {
    const r = rig({ data: 'trans=virtio,cache=loose', populate: (h) => writeFile(h, '/srv/f', 'one') });
    expect(errOf(() => r.guest.stat('/mnt/g'))).toBe('ENOENT');
    writeFile(r.host, '/srv/g', 'made');
    expect(readAll(r.guest, '/mnt/g')).toBe('made');
    expect(readAll(r.guest, '/mnt/f')).toBe('one');
    writeFile(r.host, '/srv/f', 'two');
    expect(readAll(r.guest, '/mnt/f')).toBe('two');
  });

  it('asks the server less than cache=none for the same walks', () => {
    const count = (data: string): number => {
      const r = rig({ data, populate: (h) => h.mkdir('/srv/a') });
      r.guest.stat('/mnt/a');
      const before = r.wire.sent.length;
      for (let i = 0; i < 5; i++) r.guest.stat('/mnt/a');
      return r.wire.sent.length - before;
    };
    expect(count('trans=virtio,cache=loose')).toBe(0);
    expect(count('trans=virtio')).toBeGreaterThanOrEqual(10);
  });
});

describe('a server that goes away', () => {
  it('makes every later operation EIO, at once; the mount can still be unmounted', () => {
    const r = rig({ populate: (h) => writeFile(h, '/srv/f', 'data') });
    const fd = r.guest.open('/mnt/f', O_RDONLY);
    r.wire.peer.close();
    expect(errOf(() => r.guest.stat('/mnt/f'))).toBe('EIO');
    expect(errOf(() => r.guest.open('/mnt/g', O_CREAT | O_WRONLY, 0o644))).toBe('EIO');
    expect(errOf(() => r.guest.mkdir('/mnt/d'))).toBe('EIO');
    expect(errOf(() => r.guest.read(fd, new Uint8Array(4)))).toBe('EIO');
    expect(errOf(() => r.guest.statfs('/mnt'))).toBe('EIO');
    expect(errOf(() => readdirNames(r.guest, '/mnt'))).toBe('EIO');
    r.guest.close(fd);
    r.guest.umount2('/mnt');
    expect(r.guest.mountinfo()).not.toContain('9p');
  });

  it('a reply the client cannot trust ends the connection too', () => {
    const r = rig({ populate: (h) => h.mkdir('/srv/a') });
    const wire = r.wire;
    wire.roundTrip = () => encode({ msg: 'Rclunk', tag: 0xfffe });
    expect(errOf(() => r.guest.stat('/mnt/a'))).toBe('EIO');
    wire.roundTrip = () => {
      throw new Error('not reached: the client is disconnected');
    };
    expect(errOf(() => r.guest.stat('/mnt/a'))).toBe('EIO');
  });
});

describe('what the server decides', () => {
  it('a read-only export is EROFS for every change, and reads as usual', () => {
    const r = rig({ readOnly: true, populate: (h) => writeFile(h, '/srv/f', 'ro') });
    expect(readAll(r.guest, '/mnt/f')).toBe('ro');
    expect(errOf(() => r.guest.open('/mnt/g', O_CREAT | O_WRONLY, 0o644))).toBe('EROFS');
    expect(errOf(() => r.guest.open('/mnt/f', O_WRONLY))).toBe('EROFS');
    expect(errOf(() => r.guest.mkdir('/mnt/d'))).toBe('EROFS');
    expect(errOf(() => r.guest.symlink('x', '/mnt/l'))).toBe('EROFS');
    expect(errOf(() => r.guest.link('/mnt/f', '/mnt/f2'))).toBe('EROFS');
    expect(errOf(() => r.guest.rename('/mnt/f', '/mnt/f2'))).toBe('EROFS');
    expect(errOf(() => r.guest.unlink('/mnt/f'))).toBe('EROFS');
    expect(errOf(() => r.guest.chmod('/mnt/f', 0o600))).toBe('EROFS');
    expect(errOf(() => r.guest.truncate('/mnt/f', 0))).toBe('EROFS');
    expect(errOf(() => r.guest.setxattr('/mnt/f', 'user.a', enc.encode('v')))).toBe('EROFS');
  });

  it('checks permission again as its own task: a root client is refused what the server task may not do', () => {
    const r = rig({
      populate: (h) => {
        h.mkdir('/srv/rootonly', 0o755);
        h.setresuid(1000);
      },
    });
    expect(r.guest.stat('/mnt/rootonly').uid).toBe(0);
    expect(errOf(() => r.guest.mkdir('/mnt/rootonly/x'))).toBe('EACCES');
    expect(errOf(() => r.guest.open('/mnt/rootonly/f', O_CREAT | O_WRONLY, 0o644))).toBe('EACCES');
  });

  it('symlinks come back as links and are followed by the client, in its own tree', () => {
    const r = rig({
      populate: (h) => {
        writeFile(h, '/secret', 'the host');
        h.symlink('/secret', '/srv/abs');
        h.symlink('../escape', '/srv/rel');
      },
    });
    writeFile(r.guest, '/secret', 'the guest');
    writeFile(r.guest, '/escape', 'outside the mount');
    expect(r.guest.lstat('/mnt/abs').mode & S_IFMT).toBe(S_IFLNK);
    expect(r.guest.readlink('/mnt/abs')).toBe('/secret');
    expect(readAll(r.guest, '/mnt/abs')).toBe('the guest');
    expect(readAll(r.guest, '/mnt/rel')).toBe('outside the mount');
    expect(errOf(() => r.guest.open('/mnt/abs', O_RDONLY | O_NOFOLLOW))).toBe('ELOOP');
    r.guest.symlink('/secret', '/mnt/made');
    expect(r.host.readlink('/srv/made')).toBe('/secret');
  });

  it('a rename with RENAME_* flags is EINVAL, as v9fs has it', () => {
    const r = rig({ populate: (h) => writeFile(h, '/srv/f', '') });
    expect(errOf(() => r.guest.renameat2(AT_FDCWD, '/mnt/f', AT_FDCWD, '/mnt/g', RENAME_NOREPLACE))).toBe('EINVAL');
  });

  it('noxattr leaves the mount without extended attributes (EOPNOTSUPP)', () => {
    const r = rig({ data: 'trans=virtio,noxattr', populate: (h) => writeFile(h, '/srv/f', '') });
    expect(errOf(() => r.guest.setxattr('/mnt/f', 'user.a', enc.encode('v')))).toBe('EOPNOTSUPP');
    expect(errOf(() => r.guest.getxattr('/mnt/f', 'user.a'))).toBe('EOPNOTSUPP');
  });

  it('statfs is the server filesystem\'s', () => {
    const r = rig();
    const st = r.guest.statfs('/mnt');
    expect(st.type).toBe(r.host.statfs('/srv').type);
    expect(st.namelen).toBe(255);
  });
});

describe('files, names and fids', () => {
  it('hard links are one inode; removing one name leaves the other working', () => {
    const r = rig({ populate: (h) => writeFile(h, '/srv/a', 'shared') });
    r.guest.link('/mnt/a', '/mnt/b');
    expect(r.guest.stat('/mnt/b').ino).toBe(r.guest.stat('/mnt/a').ino);
    expect(r.guest.stat('/mnt/a').nlink).toBe(2);
    r.guest.unlink('/mnt/a');
    r.guest.chmod('/mnt/b', 0o600);
    expect(r.host.stat('/srv/b').mode & 0o777).toBe(0o600);
    expect(r.guest.stat('/mnt/b').nlink).toBe(1);
  });

  it('a file lives on through its descriptors after its last name goes', () => {
    const r = rig();
    const created = r.guest.open('/mnt/tmp', O_CREAT | O_RDWR, 0o600);
    const opened = r.guest.open('/mnt/tmp', O_RDWR);
    r.guest.unlink('/mnt/tmp');
    expect(r.guest.fstat(created).nlink).toBe(0);
    expect(r.guest.write(created, enc.encode('still here'))).toBe(10);
    const buf = new Uint8Array(32);
    expect(dec.decode(buf.subarray(0, r.guest.pread(opened, buf, 0)))).toBe('still here');
    r.guest.close(created);
    r.guest.close(opened);
  });

  it('holds a bounded number of fids however many names it has seen', () => {
    const names = Array.from({ length: 400 }, (_, i) => `f${i}`);
    const r = rig({ populate: (h) => names.forEach((n) => writeFile(h, `/srv/${n}`, n)) });
    for (const n of names) r.guest.stat(`/mnt/${n}`);
    expect(r.wire.peer.fidCount).toBeLessThanOrEqual(300);
    // Names whose fids were given up walk again when used.
    expect(readAll(r.guest, '/mnt/f0')).toBe('f0');
    r.guest.chmod('/mnt/f1', 0o600);
    expect(r.host.stat('/srv/f1').mode & 0o777).toBe(0o600);
  });

  it('creates keep their open fid only so long: many creates do not pile up open files on the server', () => {
    const r = rig();
    for (let i = 0; i < 100; i++) {
      const fd = r.guest.open(`/mnt/c${i}`, O_CREAT | O_WRONLY, 0o644);
      r.guest.write(fd, enc.encode(`${i}`));
      r.guest.close(fd);
    }
    expect(r.wire.peer.fidCount).toBeLessThanOrEqual(300);
    expect(readAll(r.guest, '/mnt/c0')).toBe('0');
    expect(readdirNames(r.guest, '/mnt')).toHaveLength(100);
  });

  it('an open directory is read through its own fid', () => {
    const r = rig({ populate: (h) => h.mkdir('/srv/d') });
    const fd = r.guest.open('/mnt/d', O_RDONLY | O_DIRECTORY);
    writeFile(r.guest, '/mnt/d/x', '');
    expect(r.guest.getdents(fd).map((e) => e.name)).toEqual(['.', '..', 'x']);
    const opens = r.wire.sent.filter((m): m is P9Message<'Tlopen'> => m.msg === 'Tlopen');
    expect(opens.length).toBeGreaterThanOrEqual(1);
    r.guest.close(fd);
  });
});
