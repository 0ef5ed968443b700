/**
 * memfs interop: a live memfs Volume mounted as a `memfs` filesystem (src/fs/memfs over
 * src/node/memfs-store.ts) — the sandbox and the embedder see and change the same files, with the
 * VFS's Linux rules on top — and memfs's JSON forms and tree copies (src/node/memfs-json.ts).
 */
import { Volume } from 'memfs';
import { describe, expect, it } from 'vitest';
import { createSandbox, MS_RDONLY, MS_BIND, MS_REMOUNT, O_RDONLY } from '../../src/index.js';
import { MEMFS_MAGIC } from '../../src/fs/memfs/memfs.js';
import { copyTree, createFs, exportJSON, importJSON, mountMemfs } from '../../src/node/index.js';
import { Credentials } from '../../src/vfs/creds.js';

function setup(json: Record<string, string | null> = { '/hello.txt': 'hi', '/dir/a': 'A' }) {
  const vol = Volume.fromJSON(json);
  const sandbox = createSandbox();
  const p = sandbox.process;
  p.mkdir('/data', 0o755);
  mountMemfs(p, '/data', vol);
  return { vol, p, fs: createFs(p) };
}

const errorOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('no error');
};

describe('a memfs Volume mounted in a sandbox', () => {
  it('shows the volume’s files and their content', () => {
    const { fs } = setup();
    expect(fs.readdirSync('/data')).toEqual(['dir', 'hello.txt']);
    expect(fs.readFileSync('/data/hello.txt', 'utf8')).toBe('hi');
    expect(fs.readFileSync('/data/dir/a', 'utf8')).toBe('A');
    expect(fs.statSync('/data/dir').isDirectory()).toBe(true);
  });

  it('writes from the sandbox land in the volume at once', () => {
    const { fs, vol } = setup();
    fs.writeFileSync('/data/new.txt', 'from the sandbox', { mode: 0o640 });
    fs.mkdirSync('/data/dir/sub/deeper', { recursive: true });
    fs.symlinkSync('../hello.txt', '/data/dir/link');
    fs.appendFileSync('/data/hello.txt', '!');
    expect(vol.readFileSync('/new.txt', 'utf8')).toBe('from the sandbox');
    expect((vol.statSync('/new.txt').mode as number) & 0o7777).toBe(0o640);
    expect(vol.statSync('/dir/sub/deeper').isDirectory()).toBe(true);
    expect(vol.readlinkSync('/dir/link')).toBe('../hello.txt');
    expect(vol.readFileSync('/dir/link', 'utf8')).toBe('hi!');
    fs.renameSync('/data/new.txt', '/data/dir/moved.txt');
    expect(vol.existsSync('/new.txt')).toBe(false);
    expect(vol.readFileSync('/dir/moved.txt', 'utf8')).toBe('from the sandbox');
    fs.rmSync('/data/dir/sub', { recursive: true });
    expect(vol.existsSync('/dir/sub')).toBe(false);
  });

  it('sees the embedder’s changes, even to names it has looked up (d_revalidate)', () => {
    const { fs, vol } = setup();
    expect(fs.readFileSync('/data/hello.txt', 'utf8')).toBe('hi');
    vol.writeFileSync('/hello.txt', 'changed');
    expect(fs.readFileSync('/data/hello.txt', 'utf8')).toBe('changed');
    vol.unlinkSync('/hello.txt');
    expect(errorOf(() => fs.statSync('/data/hello.txt'))).toBe("ENOENT: no such file or directory, stat '/data/hello.txt'");
    vol.writeFileSync('/hello.txt', 'new file');
    expect(fs.readFileSync('/data/hello.txt', 'utf8')).toBe('new file');
    vol.renameSync('/dir', '/renamed');
    expect(fs.readdirSync('/data')).toEqual(['hello.txt', 'renamed']);
    expect(fs.readFileSync('/data/renamed/a', 'utf8')).toBe('A');
  });

  it('applies Linux permissions: a uid 1000 task cannot read root’s 0600 file or write a root directory', () => {
    const { fs, vol, p } = setup();
    vol.writeFileSync('/secret', 's');
    vol.chmodSync('/secret', 0o600);
    vol.chownSync('/secret', 0, 0);
    vol.chmodSync('/dir', 0o755);
    vol.chownSync('/dir', 0, 0);
    p.creds = new Credentials(1000, 1000, [], 0n);
    expect(errorOf(() => fs.readFileSync('/data/secret'))).toBe("EACCES: permission denied, open '/data/secret'");
    expect(errorOf(() => fs.writeFileSync('/data/dir/x', 'x'))).toBe("EACCES: permission denied, open '/data/dir/x'");
    expect(errorOf(() => fs.chmodSync('/data/secret', 0o666))).toBe("EPERM: operation not permitted, chmod '/data/secret'");
    expect(fs.readFileSync('/data/hello.txt', 'utf8')).toBe('hi');
  });

  it('root reads a file whose mode shuts everyone out, as CAP_DAC_OVERRIDE allows (memfs alone refuses)', () => {
    const { fs, vol } = setup();
    vol.chmodSync('/hello.txt', 0o000);
    expect(() => vol.readFileSync('/hello.txt')).toThrow(/EACCES/);
    expect(fs.readFileSync('/data/hello.txt', 'utf8')).toBe('hi');
  });

  it('a read-only mount refuses writes with EROFS and leaves the volume alone', () => {
    const { fs, vol, p } = setup();
    p.mkdir('/ro');
    p.mount('/data', '/ro', null, MS_BIND);
    p.mount(null, '/ro', null, MS_REMOUNT | MS_BIND | MS_RDONLY);
    expect(errorOf(() => fs.writeFileSync('/ro/hello.txt', 'x'))).toBe("EROFS: read-only file system, open '/ro/hello.txt'");
    expect(errorOf(() => fs.unlinkSync('/ro/hello.txt'))).toBe("EROFS: read-only file system, unlink '/ro/hello.txt'");
    expect(fs.readFileSync('/ro/hello.txt', 'utf8')).toBe('hi');
    expect(vol.readFileSync('/hello.txt', 'utf8')).toBe('hi');
    const p2 = createSandbox().process;
    p2.mkdir('/m');
    mountMemfs(p2, '/m', vol, { flags: MS_RDONLY, source: 'ro-vol' });
    expect(errorOf(() => createFs(p2).mkdirSync('/m/x'))).toBe("EROFS: read-only file system, mkdir '/m/x'");
  });

  it('is a filesystem of its own in mountinfo and statfs', () => {
    const { fs, p } = setup();
    expect(p.mountinfo()).toMatch(/ \/data rw,relatime shared:\d+ - memfs memfs\d+ rw\n|\/data rw,relatime - memfs memfs\d+ rw\n/);
    expect(fs.statfsSync('/data').type).toBe(MEMFS_MAGIC);
    expect(fs.statSync('/data/hello.txt').dev).not.toBe(fs.statSync('/').dev);
  });

  it('keeps hard links one inode, and an unlinked open file readable', () => {
    const { fs, vol, p } = setup();
    fs.linkSync('/data/hello.txt', '/data/dir/hard');
    expect(fs.statSync('/data/dir/hard').ino).toBe(fs.statSync('/data/hello.txt').ino);
    expect(fs.statSync('/data/hello.txt').nlink).toBe(2);
    vol.writeFileSync('/dir/hard', 'via the other name');
    expect(fs.readFileSync('/data/hello.txt', 'utf8')).toBe('via the other name');
    const fd = p.open('/data/dir/a', O_RDONLY);
    fs.unlinkSync('/data/dir/a');
    expect(vol.existsSync('/dir/a')).toBe(false);
    expect(fs.readFileSync(fd, 'utf8')).toBe('A');
    fs.closeSync(fd);
  });

  it('mounts the same volume twice as one superblock', () => {
    const { fs, vol, p } = setup();
    p.mkdir('/again');
    mountMemfs(p, '/again', vol);
    expect(fs.statSync('/again/hello.txt').ino).toBe(fs.statSync('/data/hello.txt').ino);
    expect(fs.statSync('/again/hello.txt').dev).toBe(fs.statSync('/data/hello.txt').dev);
  });

  it('takes no options but the VFS’s, and an unknown volume is ENOENT', () => {
    const { p } = setup();
    p.mkdir('/x');
    expect(errorOf(() => p.mount('no-such-volume', '/x', 'memfs', 0, null))).toBe("ENOENT: no such file or directory, mount '/x'");
    expect(errorOf(() => mountMemfs(p, '/x', Volume.fromJSON({}), { data: 'size=1m' }))).toBe("EINVAL: invalid argument, mount '/x'");
  });
});

describe('memfs JSON and trees', () => {
  it('importJSON makes what memfs’s fromJSON makes, and exportJSON gives back what toJSON gives', () => {
    const json = { '/app/src/index.js': 'module.exports = 1;', '/app/README': 'read me', '/app/empty': null, 'rel/x': 'relative' };
    const fs = createFs(createSandbox().process);
    importJSON(fs, json, '/base');
    const vol = Volume.fromJSON(json, '/base');
    // Absolute names stay absolute; relative ones are taken from the cwd, as in memfs.
    expect(exportJSON(fs, '/app')).toEqual(vol.toJSON('/app'));
    expect(exportJSON(fs, '/base')).toEqual(vol.toJSON('/base'));
    expect(exportJSON(fs, '/app')).toEqual({ '/app/src/index.js': 'module.exports = 1;', '/app/README': 'read me', '/app/empty': null });
    expect(exportJSON(fs, '/base')).toEqual({ '/base/rel/x': 'relative' });
    expect(exportJSON(fs, '/app/src', true)).toEqual({ '/app/src/index.js': Buffer.from('module.exports = 1;') });
  });

  it('copyTree exports a subtree to a Volume with modes, owners, links and times, and imports it back', () => {
    const p = createSandbox().process;
    p.umask = 0o022;
    const fs = createFs(p);
    fs.mkdirSync('/etc/app', { recursive: true });
    fs.writeFileSync('/etc/app/conf', 'k=v', { mode: 0o640 });
    fs.chownSync('/etc/app/conf', 1000, 50);
    fs.symlinkSync('conf', '/etc/app/link');
    fs.chmodSync('/etc/app', 0o750);
    fs.utimesSync('/etc/app/conf', 1000, 2000);
    const vol = new Volume();
    copyTree(fs, '/etc', vol as never, '/etc');
    const conf = vol.statSync('/etc/app/conf');
    expect([(conf.mode as number) & 0o7777, conf.uid, conf.gid, conf.mtimeMs]).toEqual([0o640, 1000, 50, 2000_000]);
    expect((vol.statSync('/etc/app').mode as number) & 0o7777).toBe(0o750);
    expect(vol.readlinkSync('/etc/app/link')).toBe('conf');
    // Back in through a mount: memfs's own calls would refuse root the 0640 file of uid 1000.
    const p2 = createSandbox().process;
    p2.mkdir('/vol');
    mountMemfs(p2, '/vol', vol);
    const back = createFs(p2);
    copyTree(back, '/vol/etc', back, '/copy');
    const st = back.statSync('/copy/app/conf');
    expect([st.mode & 0o7777, st.uid, st.gid, st.mtimeMs, back.readFileSync('/copy/app/conf', 'utf8')]).toEqual([0o640, 1000, 50, 2000_000, 'k=v']);
    expect(back.readlinkSync('/copy/app/link')).toBe('conf');
  });
});
