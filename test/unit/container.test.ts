/**
 * The tsyringe composition root lives in `vfsemu/container` (src/container.ts), apart from the
 * library entry: `import 'vfsemu'` loads neither tsyringe nor reflect-metadata, and a kernel made
 * from the root container has the same filesystem types as one made without it.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { FILESYSTEM_TYPE as CONTAINER_TOKEN, rootContainer } from '../../src/container.js';
import { createKernel, FILESYSTEM_TYPE } from '../../src/index.js';
import type { FileSystemType } from '../../src/vfs/inode.js';

describe('vfsemu/container', () => {
  it('names the entry’s token, and a kernel made from it has the types of one made without it', () => {
    expect(CONTAINER_TOKEN).toBe(FILESYSTEM_TYPE);
    const names = [...createKernel({}, rootContainer).filesystems.keys()];
    expect(names).toContain('tmpfs');
    expect(names).toEqual([...createKernel().filesystems.keys()]);
  });

  it('a child container’s extra type reaches the kernel made from it', () => {
    const child = rootContainer.createChildContainer();
    const extra: FileSystemType = { name: 'extrafs', mount: () => { throw new Error('not mounted here'); } };
    child.register<FileSystemType>(FILESYSTEM_TYPE, { useValue: extra });
    expect(createKernel({}, child).filesystems.get('extrafs')).toBe(extra);
  });

  it('the entry loads neither tsyringe nor reflect-metadata', () => {
    const script = `
      import { createRequire } from 'node:module';
      const m = await import('./dist/index.js');
      m.createSandbox().process.stat('/');
      const cached = Object.keys(createRequire(import.meta.url).cache);
      process.stdout.write(JSON.stringify(cached.filter((f) => /node_modules\\/(tsyringe|reflect-metadata)\\//.test(f))));
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
  });
});
