/**
 * `mount -t 9p` options as Linux 6.18 parses them (v9fs_parse_options, the client's and
 * trans_fd's parse_opts) and the super options mountinfo shows for them (v9fs_show_options,
 * p9_show_client_options, p9_fd_show_options): every option's rendering, exact, and every
 * refusal's errno, in the kernel's order.
 */
import { describe, expect, it } from 'vitest';
import { createSandbox, MS_RDONLY, SysError } from '../../src/index.js';
import { P9Server, SessionTransport, TreeExport } from '../../src/p9/index.js';
import type { P9DialRequest } from '../../src/vfs/inode.js';
import { errOf } from './helpers.js';
import { mntLine, rig, superPart } from './gofer-helpers.js';

describe('mountinfo of a 9p mount', () => {
  it('shows the source, access=client (the default of 9P2000.L) and the transport', () => {
    const r = rig();
    expect(mntLine(r.guest)).toBe('3 2 0:18 / /mnt rw,relatime - 9p hostshare rw,access=client,trans=virtio');
  });

  // [mount data, super options after the separator]
  const cases: [string, string][] = [
    ['', 'rw,access=client,trans=virtio'],
    ['trans=virtio,version=9p2000.L', 'rw,access=client,trans=virtio'],
    ['msize=262144', 'rw,access=client,msize=262144,trans=virtio'],
    ['msize=131096', 'rw,access=client,trans=virtio'],
    ['msize=0x10000', 'rw,access=client,msize=65536,trans=virtio'],
    // virtio carries at most PAGE_SIZE * (VIRTQUEUE_NUM - 3).
    ['msize=1048576', 'rw,access=client,msize=512000,trans=virtio'],
    ['msize=8k', 'rw,access=client,trans=virtio'],
    ['cache=none', 'rw,access=client,trans=virtio'],
    ['cache=loose', 'rw,cache=0xf,access=client,trans=virtio'],
    ['cache=mmap', 'rw,cache=0x5,access=client,trans=virtio'],
    ['cache=readahead', 'rw,cache=0x1,access=client,trans=virtio'],
    ['cache=fscache,cachetag=t1', 'rw,cache=0x8f,cachetag=t1,access=client,trans=virtio'],
    ['cache=loose,cachetag=t1', 'rw,cache=0xf,access=client,trans=virtio'],
    ['cache=0x3', 'rw,cache=0x3,access=client,trans=virtio'],
    ['access=user', 'rw,access=user,trans=virtio'],
    ['access=any', 'rw,access=any,trans=virtio'],
    ['access=1000', 'rw,access=1000,trans=virtio'],
    ['access=user,access=client', 'rw,access=client,trans=virtio'],
    ['posixacl', 'rw,access=client,posixacl,trans=virtio'],
    ['posixacl,access=user', 'rw,access=user,trans=virtio'],
    ['debug=0x10', 'rw,debug=0x10,access=client,trans=virtio'],
    ['debug=255', 'rw,debug=0xff,access=client,trans=virtio'],
    ['debug=0x12345', 'rw,debug=0x2345,access=client,trans=virtio'],
    ['debug=0', 'rw,access=client,trans=virtio'],
    ['dfltuid=1000,dfltgid=100', 'rw,dfltuid=1000,dfltgid=100,access=client,trans=virtio'],
    ['afid=7', 'rw,afid=7,access=client,trans=virtio'],
    ['uname=alice', 'rw,uname=alice,access=client,trans=virtio'],
    ['uname=nobody,uname=', 'rw,access=client,trans=virtio'],
    ['aname=/data', 'rw,aname=/data,access=client,trans=virtio'],
    ['nodevmap', 'rw,nodevmap,access=client,trans=virtio'],
    ['noxattr', 'rw,access=client,noxattr,trans=virtio'],
    ['directio,ignoreqv', 'rw,access=client,ignoreqv,directio,trans=virtio'],
    ['locktimeout=5', 'rw,access=client,trans=virtio'],
    // Unknown options, and the bare cache words 6.18 no longer has, are ignored.
    ['foo=bar,loose,mmap,fscache,ro,sync,debug', 'rw,access=client,trans=virtio'],
    [
      'trans=virtio,noxattr,posixacl,directio,ignoreqv,access=client,cache=loose,nodevmap,aname=/data,uname=u,afid=1,dfltgid=2,dfltuid=3,debug=4,msize=65536',
      'rw,debug=0x4,dfltuid=3,dfltgid=2,afid=1,uname=u,aname=/data,nodevmap,cache=0xf,access=client,ignoreqv,directio,posixacl,noxattr,msize=65536,trans=virtio',
    ],
  ];
  it.each(cases)('%s → %s', (data, shown) => {
    const r = rig({ data, anames: ['/data'] });
    expect(superPart(r.guest)).toBe(`9p hostshare ${shown}`);
  });

  it('shows the msize the server settled on, when it is less than asked', () => {
    const r = rig({ server: { maxMsize: 65536 } });
    expect(superPart(r.guest)).toBe('9p hostshare rw,access=client,msize=65536,trans=virtio');
  });

  it('a read-only mount is ro in both option fields', () => {
    const r = rig({ data: null });
    r.guest.mount('hostshare', '/mnt', '9p', MS_RDONLY, 'trans=virtio');
    expect(mntLine(r.guest)).toBe('3 2 0:18 / /mnt ro,relatime - 9p hostshare ro,access=client,trans=virtio');
    r.guest.mount(null, '/mnt', null, 32 /* MS_REMOUNT */, 'cache=loose');
    // v9fs has no remount_fs: the flags change, the options stay.
    expect(superPart(r.guest)).toBe('9p hostshare rw,access=client,trans=virtio');
  });

  it('takes fsconfig(2) parameters as mount(2) data, SB_* words going to the superblock', () => {
    const r = rig({ data: null });
    r.guest.fsmount('hostshare', '/mnt', '9p', 0, [
      { key: 'trans', value: 'virtio' },
      { key: 'cache', value: 'loose' },
      { key: 'sync', value: null },
      { key: 'directio', value: null },
    ]);
    expect(superPart(r.guest)).toBe('9p hostshare rw,sync,cache=0xf,access=client,directio,trans=virtio');
  });

  describe('socket and descriptor transports through the kernel dialer', () => {
    function dialing(): { p: ReturnType<typeof createSandbox>['process']; asked: P9DialRequest[] } {
      const host = createSandbox().process;
      host.mkdir('/srv');
      const server = new P9Server({ '': new TreeExport(host, '/srv') });
      const asked: P9DialRequest[] = [];
      const g = createSandbox({
        p9Dial: (req) => {
          asked.push(req);
          return new SessionTransport(server.connect());
        },
      });
      g.process.mkdir('/mnt');
      return { p: g.process, asked };
    }

    // [source, data, super options, the dial request]
    const sockets: [string, string, string, P9DialRequest][] = [
      ['127.0.0.1', 'trans=tcp,port=5640,aname=', 'rw,access=client,trans=tcp,port=5640', { trans: 'tcp', source: '127.0.0.1', port: 5640, privport: false }],
      ['127.0.0.1', 'trans=tcp', 'rw,access=client,trans=tcp', { trans: 'tcp', source: '127.0.0.1', port: 564, privport: false }],
      ['::1', 'trans=tcp,port=70000,privport', 'rw,access=client,trans=tcp,port=4464', { trans: 'tcp', source: '::1', port: 4464, privport: true }],
      ['/run/gofer.sock', 'trans=unix,port=99', 'rw,access=client,trans=unix', { trans: 'unix', source: '/run/gofer.sock' }],
      ['none', 'trans=fd,rfdno=3,wfdno=4', 'rw,access=client,trans=fd,rfd=3,wfd=4', { trans: 'fd', source: 'none', rfdno: 3, wfdno: 4 }],
      ['elsewhere', 'trans=virtio', 'rw,access=client,trans=virtio', { trans: 'virtio', source: 'elsewhere' }],
    ];
    it.each(sockets)('%s %s → %s', (source, data, shown, req) => {
      const { p, asked } = dialing();
      p.mount(source, '/mnt', '9p', 0, data);
      expect(superPart(p)).toBe(`9p ${source} ${shown}`);
      expect(asked).toEqual([req]);
    });

    it('a dialer installed after the kernel was made is used', () => {
      const g = createSandbox();
      g.process.mkdir('/mnt');
      expect(errOf(() => g.process.mount('/run/9p', '/mnt', '9p', 0, 'trans=unix'))).toBe('ECONNREFUSED');
      const asked: P9DialRequest[] = [];
      g.kernel.p9.dial = (req) => {
        asked.push(req);
        throw new SysError('ENOENT');
      };
      expect(errOf(() => g.process.mount('/run/9p', '/mnt', '9p', 0, 'trans=unix'))).toBe('ENOENT');
      expect(asked).toEqual([{ trans: 'unix', source: '/run/9p' }]);
    });

    it('an errno from the dialer is the errno of the mount', () => {
      const g = createSandbox({ p9Dial: () => { throw new SysError('ECONNREFUSED'); } });
      g.process.mkdir('/mnt');
      expect(errOf(() => g.process.mount('10.0.0.1', '/mnt', '9p', 0, 'trans=tcp'))).toBe('ECONNREFUSED');
    });
  });
});

describe('refused options and transports', () => {
  // [data, errno]: the last refusal of a parser wins; the client's options come first, then the
  // transport, the version, the session's options and the attach.
  const refusals: [string, string][] = [
    ['msize=4095', 'EINVAL'],
    ['msize=99999999999', 'ERANGE'],
    ['trans=rdma', 'EINVAL'],
    ['version=9P2000.L', 'EINVAL'],
    ['version=9p2000.u', 'EREMOTEIO'],
    ['noextend', 'EREMOTEIO'],
    ['cache=bogus', 'EINVAL'],
    ['cache=-1', 'EPERM'],
    ['access=bogus', 'EINVAL'],
    ['access=4294967296', 'ERANGE'],
    ['access=4294967295', 'EINVAL'],
    ['locktimeout=0', 'EINVAL'],
    ['debug=ff', 'EINVAL'],
    ['dfltuid=0x80000000', 'ERANGE'],
    ['access=4294967296,cache=bogus', 'EINVAL'],
    ['cache=bogus,access=4294967296', 'ERANGE'],
    ['aname=/nope', 'ENOENT'],
    ['trans=tcp', 'EINVAL'],
    ['trans=fd,rfdno=3', 'ENOPROTOOPT'],
    ['trans=fd,rfdno=3,wfdno=4', 'EIO'],
  ];
  it.each(refusals)('%s: %s', (data, code) => {
    const r = rig({ data: null });
    expect(errOf(() => r.guest.mount('hostshare', '/mnt', '9p', 0, data))).toBe(code);
    // Whatever failed, the channel is free again and the session closed.
    for (const t of r.transports) expect(t.peer.isClosed).toBe(true);
    r.guest.mount('hostshare', '/mnt', '9p', 0, 'trans=virtio');
  });

  it('client options are judged before connecting, session options after', () => {
    const r = rig({ data: null });
    expect(errOf(() => r.guest.mount('nosuchtag', '/mnt', '9p', 0, 'msize=100,cache=bogus'))).toBe('EINVAL');
    expect(errOf(() => r.guest.mount('nosuchtag', '/mnt', '9p', 0, 'cache=bogus'))).toBe('ENOENT');
    expect(r.transports).toHaveLength(0);
  });

  it('sockets: a host name is EINVAL (no resolution), no dialer ECONNREFUSED, a long unix path ENAMETOOLONG', () => {
    const r = rig({ data: null });
    expect(errOf(() => r.guest.mount('localhost', '/mnt', '9p', 0, 'trans=tcp'))).toBe('EINVAL');
    expect(errOf(() => r.guest.mount('127.0.0.1', '/mnt', '9p', 0, 'trans=tcp'))).toBe('ECONNREFUSED');
    expect(errOf(() => r.guest.mount('/run/9p.sock', '/mnt', '9p', 0, 'trans=unix'))).toBe('ECONNREFUSED');
    expect(errOf(() => r.guest.mount(`/${'s'.repeat(107)}`, '/mnt', '9p', 0, 'trans=unix'))).toBe('ENAMETOOLONG');
  });

  it('virtio: an unknown tag is ENOENT, a tag another mount holds EBUSY until that mount is gone', () => {
    const r = rig();
    r.guest.mkdir('/mnt2');
    expect(errOf(() => r.guest.mount('nosuchtag', '/mnt2', '9p', 0, 'trans=virtio'))).toBe('ENOENT');
    expect(errOf(() => r.guest.mount('hostshare', '/mnt2', '9p', 0, 'trans=virtio'))).toBe('EBUSY');
    r.guest.umount2('/mnt');
    r.guest.mount('hostshare', '/mnt2', '9p', 0, 'trans=virtio');
    // The unmounted superblock's session ended when the next 9p mount came (its kill_sb).
    expect(r.transports.map((t) => t.peer.isClosed)).toEqual([true, false]);
  });
});
