/**
 * Long overlay data: the fsconfig(2) parameters a data string stands for, and containerd's
 * compaction of lower layer paths by their common parent directory (src/plan/overlay-data.ts).
 */
import { describe, expect, it } from 'vitest';
import { createSandbox } from '../../src/index.js';
import { compactLowerdirs, dataFitsMount, fsconfigParams, MOUNT_DATA_MAX } from '../../src/plan/overlay-data.js';

describe('fsconfigParams', () => {
  it('expands lowerdir into one lowerdir+ a layer, datadir+ after ::, and unescapes names', () => {
    expect(fsconfigParams('overlay', 'lowerdir=/a:/b\\:c::/d,upperdir=/u,workdir=/w,userxattr,ro')).toEqual([
      { key: 'lowerdir+', value: '/a' },
      { key: 'lowerdir+', value: '/b:c' },
      { key: 'datadir+', value: '/d' },
      { key: 'upperdir', value: '/u' },
      { key: 'workdir', value: '/w' },
      { key: 'userxattr', value: null },
      { key: 'ro', value: null },
    ]);
  });

  it('leaves other filesystems\' options one a parameter', () => {
    expect(fsconfigParams('tmpfs', 'size=1m,mode=700')).toEqual([
      { key: 'size', value: '1m' },
      { key: 'mode', value: '700' },
    ]);
  });
});

describe('compactLowerdirs', () => {
  const snap = '/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots';

  it('names the layers relative to their common parent, lowerdir last (containerd)', () => {
    expect(compactLowerdirs(`lowerdir=${snap}/12/fs:${snap}/13/fs,upperdir=${snap}/14/fs,workdir=${snap}/14/work`)).toEqual({
      dir: `${snap}/`,
      data: `upperdir=${snap}/14/fs,workdir=${snap}/14/work,lowerdir=12/fs:13/fs`,
    });
  });

  it('backs off to a directory when the layers share digits of their ids', () => {
    expect(compactLowerdirs(`lowerdir=${snap}/101/fs:${snap}/102/fs`)).toEqual({ dir: `${snap}/`, data: 'lowerdir=101/fs:102/fs' });
  });

  it('gives up with one layer, relative layers, or nothing in common but /', () => {
    expect(compactLowerdirs('lowerdir=/a/b')).toBeNull();
    expect(compactLowerdirs('lowerdir=a/b:a/c')).toBeNull();
    expect(compactLowerdirs('lowerdir=/a/b:/c/d')).toBeNull();
    expect(compactLowerdirs('upperdir=/u')).toBeNull();
  });

  it('brings 500 long layers under a page, and the compacted mount from that directory works', () => {
    const layers = Array.from({ length: 500 }, (_, i) => `/s/snapshots/${i + 1}/fs`);
    const data = `lowerdir=${layers.join(':')}`;
    expect(dataFitsMount(data)).toBe(false);
    const c = compactLowerdirs(data)!;
    expect(c.dir).toBe('/s/snapshots/');
    expect(c.data.length).toBeLessThanOrEqual(MOUNT_DATA_MAX);
    const p = createSandbox().process;
    p.mkdir('/s', 0o755);
    p.mkdir('/s/snapshots', 0o755);
    for (let i = 1; i <= 500; i++) {
      p.mkdir(`/s/snapshots/${i}`, 0o755);
      p.mkdir(`/s/snapshots/${i}/fs`, 0o755);
    }
    p.mkdir('/m', 0o755);
    p.chdir(c.dir);
    p.mount('ov', '/m', 'overlay', 0, c.data);
    expect(p.mountinfo()).toContain('lowerdir=1/fs:2/fs:3/fs');
  });
});
