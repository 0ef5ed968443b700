// The conformance scenarios: each runs the same calls on an fs implementation inside its own
// directory `dir` (also the cwd), after a `setup` made as root. `uid: 1000` runs the calls as
// uid/gid 1000 without capabilities. Every call's value or error is recorded (record.mjs) and the
// sandbox's record must equal real node:fs's on a tmpfs.
//
// Plain JavaScript, shared by the vitest side and the spawned real side (run-real.mjs).

const enc = (s) => Buffer.from(s);

export const scenarios = [
  {
    name: 'access',
    setup(fs, d) {
      fs.writeFileSync(`${d}/f`, 'x', { mode: 0o640 });
      fs.mkdirSync(`${d}/noexec`, 0o600);
      fs.writeFileSync(`${d}/noexec/in`, 'x');
    },
    async run(fs, r, d) {
      const { F_OK, R_OK, W_OK, X_OK } = fs.constants;
      for (const m of [F_OK, R_OK, W_OK, X_OK, R_OK | W_OK]) r.sync(`access f ${m}`, () => fs.accessSync('f', m));
      r.sync('missing', () => fs.accessSync(`${d}/missing`));
      r.sync('through noexec', () => fs.accessSync('noexec/in'));
      r.sync('bad mode', () => fs.accessSync('f', 8));
      r.sync('bad mode type', () => fs.accessSync('f', '4'));
      r.sync('bad path', () => fs.accessSync(42));
      r.sync('nul path', () => fs.accessSync('a\0b'));
      r.sync('url path', () => fs.accessSync(new URL(`file://${d}/f`)));
      await r.callback('cb missing', (cb) => fs.access('missing', cb));
      await r.callback('cb ok', (cb) => fs.access('f', R_OK, cb));
      r.sync('cb absent', () => fs.access('f'));
      await r.promise('promise missing', () => fs.promises.access('missing'));
      r.sync('exists', () => [fs.existsSync('f'), fs.existsSync('missing'), fs.existsSync(42), fs.existsSync('noexec/in'), fs.existsSync('f/x')]);
      await r.callback('exists cb', (cb) => fs.exists('f', cb));
    },
  },
  {
    name: 'access as uid 1000',
    uid: 1000,
    setup(fs, d) {
      fs.writeFileSync(`${d}/root600`, 'x', { mode: 0o600 });
      fs.writeFileSync(`${d}/root644`, 'x', { mode: 0o644 });
      fs.mkdirSync(`${d}/closed`, 0o700);
      fs.writeFileSync(`${d}/closed/in`, 'x');
    },
    async run(fs, r) {
      const { R_OK, W_OK, X_OK } = fs.constants;
      r.sync('read 600', () => fs.accessSync('root600', R_OK));
      r.sync('read 644', () => fs.accessSync('root644', R_OK));
      r.sync('write 644', () => fs.accessSync('root644', W_OK));
      r.sync('exec 644', () => fs.accessSync('root644', X_OK));
      r.sync('walk closed', () => fs.accessSync('closed/in'));
      r.sync('exists closed', () => fs.existsSync('closed/in'));
      r.sync('stat closed', () => fs.statSync('closed/in'));
      r.sync('readdir closed', () => fs.readdirSync('closed'));
      r.sync('readFile 600', () => fs.readFileSync('root600'));
      r.sync('open 644 for write', () => fs.openSync('root644', 'r+'));
      r.sync('writeFile 644', () => fs.writeFileSync('root644', 'y'));
      r.sync('appendFile 644', () => fs.appendFileSync('root644', 'y'));
      r.sync('chmod root file', () => fs.chmodSync('root644', 0o777));
      r.sync('chown root file', () => fs.chownSync('root644', 1000, 1000));
      r.sync('utimes root file', () => fs.utimesSync('root644', 1, 2));
      r.sync('utimes now root file', () => fs.utimesSync('root644', new Date(), new Date()));
      r.sync('copy unreadable', () => fs.copyFileSync('root600', 'copy'));
      r.sync('copied?', () => fs.existsSync('copy'));
      r.sync('truncate 644', () => fs.truncateSync('root644'));
      await r.promise('promises readFile 600', () => fs.promises.readFile('root600'));
      await r.callback('cb open 600', (cb) => fs.open('root600', 'r', cb));
    },
  },
  {
    name: 'files as uid 1000',
    uid: 1000,
    setup(fs, d) {
      fs.chmodSync(d, 0o1777);
      fs.writeFileSync(`${d}/rootfile`, 'x', { mode: 0o666 });
      fs.mkdirSync(`${d}/ro`, 0o555);
      fs.writeFileSync(`${d}/ro/f`, 'x', { mode: 0o666 });
      fs.mkdirSync(`${d}/tree/sub`, { recursive: true, mode: 0o777 });
      fs.writeFileSync(`${d}/tree/sub/f`, 'x');
      fs.chownSync(`${d}/tree`, 1000, 1000);
      fs.chmodSync(`${d}/tree/sub`, 0o555);
    },
    async run(fs, r) {
      r.sync('mkdir', () => fs.mkdirSync('mine'));
      r.sync('stat mine', () => fs.statSync('mine'));
      r.sync('mkdir in ro', () => fs.mkdirSync('ro/x'));
      r.sync('mkdir -p in ro', () => fs.mkdirSync('ro/x/y', { recursive: true }));
      r.sync('writeFile in ro', () => fs.writeFileSync('ro/new', 'x'));
      r.sync('unlink in ro', () => fs.unlinkSync('ro/f'));
      r.sync('rename out of ro', () => fs.renameSync('ro/f', 'f'));
      r.sync('unlink sticky', () => fs.unlinkSync('rootfile'));
      r.sync('rename sticky', () => fs.renameSync('rootfile', 'other'));
      r.sync('write rootfile', () => fs.writeFileSync('rootfile', 'ok'));
      r.sync('read rootfile', () => fs.readFileSync('rootfile', 'utf8'));
      r.sync('symlink in ro', () => fs.symlinkSync('x', 'ro/l'));
      r.sync('link rootfile', () => fs.linkSync('rootfile', 'hard'));
      r.sync('rm tree', () => fs.rmSync('tree', { recursive: true }));
      r.sync('tree left', () => fs.readdirSync('tree', { recursive: true }));
      await r.promise('promises rm tree', () => fs.promises.rm('tree', { recursive: true, force: true }));
      r.sync('rmdir ro', () => fs.rmdirSync('ro'));
      r.sync('mkdtemp in ro', () => fs.mkdtempSync('ro/t-'));
      r.sync('chown mine to self', () => fs.chownSync('mine', 1000, 1000));
      r.sync('chown mine to 0', () => fs.chownSync('mine', 0, -1));
      r.sync('chmod mine', () => fs.chmodSync('mine', '2755'));
      r.sync('stat mine again', () => fs.statSync('mine').mode);
      r.sync('copyFile into ro', () => fs.copyFileSync('rootfile', 'ro/c'));
      r.sync('cp into ro', () => fs.cpSync('mine', 'ro/m', { recursive: true }));
    },
  },
  {
    name: 'write and read files',
    setup() {},
    async run(fs, r) {
      r.sync('writeFile', () => fs.writeFileSync('a', 'hello world'));
      r.sync('readFile buffer', () => fs.readFileSync('a'));
      r.sync('readFile utf8', () => fs.readFileSync('a', 'utf8'));
      r.sync('readFile hex opts', () => fs.readFileSync('a', { encoding: 'hex' }));
      r.sync('readFile base64', () => fs.readFileSync('a', 'base64'));
      r.sync('writeFile latin1', () => fs.writeFileSync('b', 'caf\u00e9', 'latin1'));
      r.sync('readFile b', () => fs.readFileSync('b'));
      r.sync('writeFile hex', () => fs.writeFileSync('c', 'deadbeef', { encoding: 'hex', mode: 0o600 }));
      r.sync('stat c', () => fs.statSync('c'));
      r.sync('writeFile typed', () => fs.writeFileSync('d', new Uint16Array([1, 2, 3])));
      r.sync('writeFile dataview', () => fs.writeFileSync('e', new DataView(new ArrayBuffer(3))));
      r.sync('readFile d e', () => [fs.readFileSync('d'), fs.readFileSync('e')]);
      r.sync('writeFile wx existing', () => fs.writeFileSync('a', 'x', { flag: 'wx' }));
      r.sync('writeFile a flag', () => fs.writeFileSync('a', '!', { flag: 'a' }));
      r.sync('appendFile', () => fs.appendFileSync('a', '?'));
      r.sync('appendFile new', () => fs.appendFileSync('new', enc('n'), { mode: 0o604 }));
      r.sync('readFile a', () => fs.readFileSync('a', 'latin1'));
      r.sync('stat new', () => fs.statSync('new'));
      r.sync('writeFile bad data', () => fs.writeFileSync('z', 42));
      r.sync('writeFile bad data obj', () => fs.writeFileSync('z', { toString: () => 'x' }));
      r.sync('writeFile bad encoding', () => fs.writeFileSync('z', 'x', 'nope'));
      r.sync('writeFile bad options', () => fs.writeFileSync('z', 'x', 42));
      r.sync('z exists', () => fs.existsSync('z'));
      r.sync('readFile missing', () => fs.readFileSync('missing'));
      r.sync('readFile dir', () => fs.readFileSync('.'));
      r.sync('readFile dir utf8', () => fs.readFileSync('.', 'utf8'));
      r.sync('writeFile dir', () => fs.writeFileSync('.', 'x'));
      r.sync('writeFile in missing dir', () => fs.writeFileSync('nodir/x', 'x'));
      r.sync('readFile through file', () => fs.readFileSync('a/b'));
      r.sync('readFile bad flag', () => fs.readFileSync('a', { flag: 'q' }));
      const fd = fs.openSync('a', 'r');
      r.sync('readFile fd', () => fs.readFileSync(fd, 'utf8'));
      r.sync('readFile fd at end', () => fs.readFileSync(fd, 'utf8'));
      fs.closeSync(fd);
      const wfd = fs.openSync('w', 'w');
      r.sync('writeFile fd', () => [fs.writeFileSync(wfd, 'ab'), fs.writeFileSync(wfd, 'cd'), fs.appendFileSync(wfd, 'ef')]);
      fs.closeSync(wfd);
      r.sync('read w', () => fs.readFileSync('w', 'utf8'));
      await r.callback('cb readFile', (cb) => fs.readFile('a', 'utf8', cb));
      await r.callback('cb readFile missing', (cb) => fs.readFile('missing', cb));
      await r.callback('cb writeFile', (cb) => fs.writeFile('cbw', 'x', cb));
      await r.callback('cb appendFile', (cb) => fs.appendFile('cbw', 'y', { flag: 'a' }, cb));
      const aborted = AbortSignal.abort();
      await r.callback('cb readFile aborted', (cb) => fs.readFile('a', { signal: aborted }, cb));
      await r.callback('cb writeFile aborted', (cb) => fs.writeFile('ab', 'x', { signal: aborted }, cb));
      r.sync('ab exists', () => fs.existsSync('ab'));
      await r.promise('promise readFile', () => fs.promises.readFile('cbw', 'utf8'));
      await r.promise('promise readFile aborted', () => fs.promises.readFile('a', { signal: aborted }));
      await r.promise('promise writeFile aborted', () => fs.promises.writeFile('ab2', 'x', { signal: aborted }));
      await r.promise('promise writeFile iterable', () => fs.promises.writeFile('it', ['a', 'b', enc('c')]));
      await r.promise('promise appendFile', () => fs.promises.appendFile('it', 'd'));
      await r.promise('promise readFile it', () => fs.promises.readFile('it', 'utf8'));
      await r.promise('promise readFile bad signal', () => fs.promises.readFile('a', { signal: 1 }));
      await r.promise('promise readFile dir', () => fs.promises.readFile('.'));
    },
  },
  {
    name: 'descriptors',
    setup(fs, d) {
      fs.writeFileSync(`${d}/ten`, '0123456789');
    },
    async run(fs, r) {
      const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_DIRECTORY, O_APPEND } = fs.constants;
      const fd = fs.openSync('ten', 'r+');
      const b = Buffer.alloc(4);
      r.sync('read', () => [fs.readSync(fd, b, 0, 4, null), b.toString()]);
      r.sync('read more', () => [fs.readSync(fd, b, 1, 2, null), b.toString()]);
      r.sync('pread', () => [fs.readSync(fd, b, 0, 4, 6), b.toString()]);
      r.sync('pread bigint', () => [fs.readSync(fd, b, 0, 4, 2n), b.toString()]);
      r.sync('read options', () => [fs.readSync(fd, b, { position: 8 }), b.toString()]);
      r.sync('read no options', () => [fs.readSync(fd, b), b.toString()]);
      r.sync('read past end', () => fs.readSync(fd, b, 0, 4, 100));
      r.sync('read bad offset', () => fs.readSync(fd, b, -1, 1, 0));
      r.sync('read bad length', () => fs.readSync(fd, b, 0, 5, 0));
      r.sync('read bad buffer', () => fs.readSync(fd, 'x', 0, 1, 0));
      r.sync('read bad position', () => fs.readSync(fd, b, 0, 1, -2));
      r.sync('read zero length', () => fs.readSync(fd, b, 0, 0, 0));
      r.sync('write', () => fs.writeSync(fd, Buffer.from('AB')));
      r.sync('pwrite', () => fs.writeSync(fd, Buffer.from('xy'), 0, 2, 0));
      r.sync('write string', () => fs.writeSync(fd, 'S', 9));
      r.sync('write string enc', () => fs.writeSync(fd, '4142', null, 'hex'));
      r.sync('write bad hex', () => fs.writeSync(fd, '414', null, 'hex'));
      r.sync('write bad offset', () => fs.writeSync(fd, b, 5));
      r.sync('write bad', () => fs.writeSync(fd, 42));
      r.sync('readv', () => {
        const x = Buffer.alloc(3);
        const y = Buffer.alloc(3);
        return [fs.readvSync(fd, [x, y], 0), x.toString(), y.toString()];
      });
      r.sync('writev', () => fs.writevSync(fd, [Buffer.from('<'), Buffer.from('>')], 12));
      r.sync('writev empty', () => fs.writevSync(fd, []));
      r.sync('readv bad', () => fs.readvSync(fd, 'x'));
      r.sync('content', () => fs.readFileSync('ten', 'latin1'));
      r.sync('fstat', () => fs.fstatSync(fd));
      r.sync('fstat bigint', () => fs.fstatSync(fd, { bigint: true }));
      r.sync('ftruncate', () => [fs.ftruncateSync(fd, 3), fs.fstatSync(fd).size]);
      r.sync('ftruncate neg', () => [fs.ftruncateSync(fd, -5), fs.fstatSync(fd).size]);
      r.sync('ftruncate bad', () => fs.ftruncateSync(fd, 'x'));
      r.sync('fsync', () => [fs.fsyncSync(fd), fs.fdatasyncSync(fd)]);
      r.sync('close', () => fs.closeSync(fd));
      r.sync('close again', () => fs.closeSync(fd));
      r.sync('read closed', () => fs.readSync(fd, b, 0, 1, 0));
      r.sync('fstat closed', () => fs.fstatSync(fd));
      r.sync('fsync closed', () => fs.fsyncSync(fd));
      r.sync('close -1', () => fs.closeSync(-1));
      r.sync('close str', () => fs.closeSync('1'));
      r.sync('close float', () => fs.closeSync(1.5));
      r.sync('open wx existing', () => fs.openSync('ten', 'wx'));
      r.sync('open missing', () => fs.openSync('missing'));
      r.sync('open missing r+', () => fs.openSync('missing', 'r+'));
      r.sync('open bad flags', () => fs.openSync('ten', 'rw'));
      r.sync('open bad mode', () => fs.openSync('new', 'w', 'abc'));
      r.sync('open dir for write', () => fs.openSync('.', 'w'));
      r.sync('O_DIRECTORY on file', () => fs.openSync('ten', O_RDONLY | O_DIRECTORY));
      const ro = fs.openSync('ten', O_RDONLY);
      r.sync('write to ro fd', () => fs.writeSync(ro, 'x'));
      r.sync('ftruncate ro fd', () => fs.ftruncateSync(ro, 0));
      fs.closeSync(ro);
      const dfd = fs.openSync('.', 'r');
      r.sync('read dir fd', () => fs.readSync(dfd, b, 0, 1, null));
      fs.closeSync(dfd);
      const nfd = fs.openSync('num', O_WRONLY | O_CREAT | O_EXCL, 0o640);
      r.sync('numeric flags', () => fs.fstatSync(nfd));
      fs.closeSync(nfd);
      const afd = fs.openSync('num', O_WRONLY | O_APPEND);
      r.sync('append ignores position', () => [fs.writeSync(afd, 'a', 0), fs.writeSync(afd, 'b', 0), fs.readFileSync('num', 'utf8')]);
      fs.closeSync(afd);
      await r.callback('cb open', (cb) => fs.open('ten', 'r', (e, n) => (e ? cb(e) : fs.close(n, cb))));
      await r.callback('cb read', (cb) => {
        const n = fs.openSync('ten', 'r');
        fs.read(n, Buffer.alloc(3), 0, 3, 1, (e, bytes, buf) => {
          fs.closeSync(n);
          cb(e, bytes, buf);
        });
      });
      await r.callback('cb read options', (cb) => {
        const n = fs.openSync('ten', 'r');
        fs.read(n, { buffer: Buffer.alloc(2), position: 1 }, (e, bytes, buf) => {
          fs.closeSync(n);
          cb(e, bytes, buf);
        });
      });
      await r.callback('cb write', (cb) => {
        const n = fs.openSync('cbw', 'w');
        fs.write(n, 'hey', (e, bytes, s) => {
          fs.closeSync(n);
          cb(e, bytes, s);
        });
      });
      await r.callback('cb read bad fd', (cb) => fs.read(12345, Buffer.alloc(1), 0, 1, 0, cb));
      await r.callback('cb close bad fd', (cb) => fs.close(12345, cb));
      await r.callback('cb writev', (cb) => {
        const n = fs.openSync('cbw', 'r+');
        fs.writev(n, [Buffer.from('A'), Buffer.from('B')], 1, (e, bytes, bufs) => {
          fs.closeSync(n);
          cb(e, bytes, bufs, fs.readFileSync('cbw', 'utf8'));
        });
      });
    },
  },
  {
    name: 'file handles',
    setup(fs, d) {
      fs.writeFileSync(`${d}/f`, 'abcdef');
    },
    async run(fs, r) {
      const fh = await fs.promises.open('f', 'r+');
      r.value('fd type', typeof fh.fd);
      await r.promise('read', async () => {
        const { bytesRead, buffer } = await fh.read(Buffer.alloc(3), 0, 3, 1);
        return [bytesRead, buffer];
      });
      await r.promise('read options', async () => (await fh.read({ buffer: Buffer.alloc(2), position: 4 })).bytesRead);
      await r.promise('write', async () => (await fh.write('XY', 0)).bytesWritten);
      await r.promise('write buffer', async () => (await fh.write(Buffer.from('Z'), 0, 1, 5)).bytesWritten);
      await r.promise('readFile', () => fh.readFile('utf8'));
      await r.promise('stat', () => fh.stat());
      await r.promise('truncate', async () => [await fh.truncate(2), (await fh.stat()).size]);
      await r.promise('chmod', async () => [await fh.chmod(0o600), (await fh.stat()).mode]);
      await r.promise('utimes', async () => [await fh.utimes(1000, 2000), (await fh.stat()).mtimeMs]);
      await r.promise('writev', async () => (await fh.writev([Buffer.from('1'), Buffer.from('2')], 2)).bytesWritten);
      await r.promise('readv', async () => {
        const x = Buffer.alloc(2);
        return [(await fh.readv([x], 0)).bytesRead, x];
      });
      await r.promise('sync', async () => [await fh.sync(), await fh.datasync()]);
      await r.promise('writeFile', async () => [await fh.writeFile('W'), await fs.promises.readFile('f', 'utf8')]);
      await r.promise('close', () => fh.close());
      r.value('fd after close', fh.fd);
      await r.promise('read after close', () => fh.read(Buffer.alloc(1), 0, 1, 0));
      await r.promise('stat after close', () => fh.stat());
      await r.promise('close again', () => fh.close());
      await r.promise('open missing', () => fs.promises.open('missing'));
      await r.promise('open bad flags', () => fs.promises.open('f', 'q'));
      const h2 = await fs.promises.open('g', 'w');
      await r.promise('readFile of handle', async () => [await fs.promises.writeFile(h2, 'via handle'), await h2.close(), await fs.promises.readFile('g', 'utf8')]);
    },
  },
  {
    name: 'stat lstat statfs',
    setup(fs, d) {
      fs.writeFileSync(`${d}/f`, 'x'.repeat(5000));
      fs.mkdirSync(`${d}/dir`);
      fs.symlinkSync('f', `${d}/link`);
      fs.symlinkSync('nowhere', `${d}/dangling`);
      fs.symlinkSync('x'.repeat(200), `${d}/longlink`);
    },
    async run(fs, r) {
      for (const n of ['f', 'dir', 'link', 'dangling', 'longlink', '.', 'missing', 'f/x']) {
        r.sync(`stat ${n}`, () => fs.statSync(n));
        r.sync(`lstat ${n}`, () => fs.lstatSync(n));
      }
      r.sync('stat bigint', () => fs.statSync('f', { bigint: true }));
      r.sync('lstat bigint link', () => fs.lstatSync('link', { bigint: true }));
      r.sync('no throw missing', () => fs.statSync('missing', { throwIfNoEntry: false }));
      r.sync('no throw notdir', () => fs.statSync('f/x', { throwIfNoEntry: false }));
      r.sync('lstat no throw', () => fs.lstatSync('missing', { throwIfNoEntry: false }));
      r.sync('stat bad path', () => fs.statSync(undefined));
      r.sync('stat buffer path', () => fs.statSync(enc('f')).size);
      r.sync('statfs', () => fs.statfsSync('.'));
      r.sync('statfs bigint', () => typeof fs.statfsSync('.', { bigint: true }).bsize);
      r.sync('statfs missing', () => fs.statfsSync('missing'));
      await r.callback('cb stat', (cb) => fs.stat('f', cb));
      await r.callback('cb lstat missing', (cb) => fs.lstat('missing', cb));
      await r.callback('cb statfs', (cb) => fs.statfs('.', (e, s) => cb(e, s && s.type)));
      await r.callback('cb fstat bad', (cb) => fs.fstat(999, cb));
      await r.promise('promise stat', () => fs.promises.stat('dir'));
      await r.promise('promise lstat missing', () => fs.promises.lstat('missing'));
      await r.promise('promise stat bigint', () => fs.promises.stat('f', { bigint: true }));
      r.value('Stats class', typeof fs.Stats);
    },
  },
  {
    name: 'modes owners times',
    setup(fs, d) {
      fs.writeFileSync(`${d}/f`, 'x');
      fs.symlinkSync('f', `${d}/l`);
    },
    async run(fs, r) {
      r.sync('chmod', () => [fs.chmodSync('f', 0o4751), fs.statSync('f').mode]);
      r.sync('chmod string', () => [fs.chmodSync('f', '640'), fs.statSync('f').mode]);
      r.sync('chmod big', () => [fs.chmodSync('f', 0o170644), fs.statSync('f').mode]);
      r.sync('chmod bad string', () => fs.chmodSync('f', '9'));
      r.sync('chmod negative', () => fs.chmodSync('f', -1));
      r.sync('chmod missing', () => fs.chmodSync('missing', 0o644));
      r.sync('chmod through link', () => [fs.chmodSync('l', 0o600), fs.statSync('f').mode, fs.lstatSync('l').mode]);
      r.value('lchmod', [typeof fs.lchmod, typeof fs.lchmodSync]);
      await r.promise('promises lchmod', () => fs.promises.lchmod('l', 0o600));
      const fd = fs.openSync('f', 'r');
      r.sync('fchmod', () => [fs.fchmodSync(fd, 0o700), fs.fstatSync(fd).mode]);
      r.sync('fchown', () => [fs.fchownSync(fd, 5, 6), fs.fstatSync(fd).uid, fs.fstatSync(fd).gid]);
      r.sync('futimes', () => [fs.futimesSync(fd, 1, 2.5), fs.fstatSync(fd).atimeMs, fs.fstatSync(fd).mtimeMs]);
      r.sync('futimes bad', () => fs.futimesSync(fd, 'x', 1));
      fs.closeSync(fd);
      r.sync('chown', () => [fs.chownSync('f', 1000, 1000), fs.statSync('f').uid]);
      r.sync('chown -1', () => [fs.chownSync('f', -1, 7), fs.statSync('f').uid, fs.statSync('f').gid]);
      r.sync('chown bad', () => fs.chownSync('f', -2, 0));
      r.sync('chown str', () => fs.chownSync('f', '0', 0));
      r.sync('chown drops suid', () => [fs.chmodSync('f', 0o6755), fs.chownSync('f', 0, 0), fs.statSync('f').mode]);
      r.sync('lchown', () => [fs.lchownSync('l', 3, 4), fs.lstatSync('l').uid, fs.statSync('l').uid]);
      r.sync('utimes numbers', () => [fs.utimesSync('f', 1000, 2000.123456789), fs.statSync('f').atimeMs, fs.statSync('f').mtimeMs]);
      r.sync('utimes dates', () => [fs.utimesSync('f', new Date(5000), new Date(6500)), fs.statSync('f', { bigint: true }).mtimeNs]);
      r.sync('utimes strings', () => [fs.utimesSync('f', '100', '200.5'), fs.statSync('f').mtime]);
      r.sync('utimes bad', () => fs.utimesSync('f', 'soon', 1));
      r.sync('utimes missing', () => fs.utimesSync('missing', 1, 1));
      r.sync('lutimes', () => [fs.lutimesSync('l', 10, 20), fs.lstatSync('l').mtimeMs, fs.statSync('l').mtimeMs]);
      await r.callback('cb chmod', (cb) => fs.chmod('f', 0o644, cb));
      await r.callback('cb chown missing', (cb) => fs.chown('missing', 0, 0, cb));
      await r.callback('cb utimes', (cb) => fs.utimes('f', 1, 1, cb));
      await r.promise('promise chmod bad', () => fs.promises.chmod('f', 'zz'));
      await r.promise('promise lutimes', () => fs.promises.lutimes('l', 1, 1));
    },
  },
  {
    name: 'directories',
    setup(fs, d) {
      fs.writeFileSync(`${d}/file`, 'x');
    },
    async run(fs, r, d) {
      r.sync('mkdir', () => fs.mkdirSync('a'));
      r.sync('mkdir mode', () => [fs.mkdirSync('m', 0o751), fs.statSync('m').mode]);
      r.sync('mkdir mode string', () => [fs.mkdirSync('ms', { mode: '700' }), fs.statSync('ms').mode]);
      r.sync('mkdir exists', () => fs.mkdirSync('a'));
      r.sync('mkdir file', () => fs.mkdirSync('file'));
      r.sync('mkdir no parent', () => fs.mkdirSync('x/y'));
      r.sync('mkdir under file', () => fs.mkdirSync('file/y'));
      r.sync('mkdir -p', () => fs.mkdirSync('p/q/r', { recursive: true }));
      r.sync('mkdir -p abs', () => fs.mkdirSync(`${d}/p2/q`, { recursive: true }));
      r.sync('mkdir -p exists', () => fs.mkdirSync('p/q', { recursive: true }));
      r.sync('mkdir -p file', () => fs.mkdirSync('file', { recursive: true }));
      r.sync('mkdir -p under file', () => fs.mkdirSync('file/a/b', { recursive: true }));
      r.sync('mkdir -p trailing slash', () => fs.mkdirSync('t/u/', { recursive: true }));
      r.sync('mkdir -p dotdot', () => fs.mkdirSync('v/../w/x', { recursive: true }));
      r.sync('mkdir bad recursive', () => fs.mkdirSync('z', { recursive: 1 }));
      r.sync('mkdir bad mode', () => fs.mkdirSync('z', 'rwx'));
      r.sync('rmdir', () => fs.rmdirSync('a'));
      r.sync('rmdir missing', () => fs.rmdirSync('a'));
      r.sync('rmdir not empty', () => fs.rmdirSync('p'));
      r.sync('rmdir file', () => fs.rmdirSync('file'));
      r.sync('rmdir dot', () => fs.rmdirSync('p/q/r/.'));
      r.sync('rmdir bad options', () => fs.rmdirSync('p', 1));
      r.sync('mkdtemp', () => {
        const t = fs.mkdtempSync('tmp-');
        return [t.slice(0, -6), /^[A-Za-z0-9]{6}$/.test(t.slice(-6)), fs.statSync(t).mode];
      });
      r.sync('mkdtemp missing', () => fs.mkdtempSync('nodir/tmp-'));
      r.sync('mkdtemp bad', () => fs.mkdtempSync(7));
      await r.callback('cb mkdir -p', (cb) => fs.mkdir('cb/a', { recursive: true }, cb));
      await r.callback('cb mkdir exists', (cb) => fs.mkdir('cb', cb));
      // The name in the error is the random one tried: compared without its six letters.
      await r.callback('cb mkdtemp', (cb) => fs.mkdtemp('nodir/t-', (e) => cb(e && [e.code, e.syscall, e.message.replace(/t-[A-Za-z0-9]{6}'$/, "t-XXXXXX'")])));
      await r.callback('cb rmdir', (cb) => fs.rmdir('cb/a', cb));
      await r.promise('promise mkdir -p', () => fs.promises.mkdir('pp/qq', { recursive: true }));
      await r.promise('promise rmdir not empty', () => fs.promises.rmdir('pp'));
      r.sync('final tree', () => fs.readdirSync('.', { recursive: true }).filter((n) => !n.startsWith('tmp-')).sort());
    },
  },
  {
    name: 'readdir and opendir',
    setup(fs, d) {
      fs.mkdirSync(`${d}/t/a/b`, { recursive: true });
      fs.writeFileSync(`${d}/t/f1`, '1');
      fs.writeFileSync(`${d}/t/a/f2`, '2');
      fs.writeFileSync(`${d}/t/a/b/f3`, '3');
      fs.symlinkSync('a', `${d}/t/la`);
      fs.symlinkSync('f1', `${d}/t/lf`);
      fs.writeFileSync(`${d}/t/caf\u00e9`, '');
    },
    async run(fs, r, d) {
      r.sync('readdir', () => fs.readdirSync('t'));
      r.sync('readdir types', () => fs.readdirSync('t', { withFileTypes: true }));
      r.sync('readdir buffer', () => fs.readdirSync('t', 'buffer'));
      r.sync('readdir latin1', () => fs.readdirSync('t', { encoding: 'latin1' }));
      r.sync('readdir recursive', () => fs.readdirSync('t', { recursive: true }));
      r.sync('readdir recursive types', () => fs.readdirSync('t', { recursive: true, withFileTypes: true }));
      r.sync('readdir recursive bad', () => fs.readdirSync('t', { recursive: 'yes' }));
      r.sync('readdir file', () => fs.readdirSync('t/f1'));
      r.sync('readdir missing', () => fs.readdirSync('missing'));
      r.sync('readdir link to dir', () => fs.readdirSync('t/la'));
      r.sync('readdir abs', () => fs.readdirSync(`${d}/t/a`, { withFileTypes: true }));
      await r.callback('cb readdir', (cb) => fs.readdir('t/a', cb));
      await r.callback('cb readdir types', (cb) => fs.readdir('t/a', { withFileTypes: true }, cb));
      await r.callback('cb readdir missing', (cb) => fs.readdir('missing', cb));
      await r.promise('promise readdir', () => fs.promises.readdir('t/a/b'));
      await r.promise('promise readdir recursive', () => fs.promises.readdir('t', { recursive: true }));
      const dir = fs.opendirSync('t');
      r.value('dir path', dir.path);
      r.value('dir instanceof', dir instanceof fs.Dir);
      const seen = [];
      r.sync('dir readSync', () => {
        for (let e = dir.readSync(); e; e = dir.readSync()) seen.push(e);
        return seen;
      });
      r.sync('dir readSync end', () => dir.readSync());
      r.sync('dir closeSync', () => dir.closeSync());
      r.sync('dir read closed', () => dir.readSync());
      r.sync('dir close closed', () => dir.closeSync());
      await r.promise('dir close promise closed', () => dir.close());
      r.sync('opendir file', () => fs.opendirSync('t/f1'));
      r.sync('opendir missing', () => fs.opendirSync('missing'));
      r.sync('opendir bad bufferSize', () => fs.opendirSync('t', { bufferSize: 0 }));
      await r.promise('opendir async iterate', async () => {
        const out = [];
        for await (const e of await fs.promises.opendir('t/a')) out.push(e.name);
        return out;
      });
      await r.promise('opendir recursive', async () => {
        const out = [];
        const dd = fs.opendirSync('t', { recursive: true });
        for (let e = await dd.read(); e; e = await dd.read()) out.push(`${e.parentPath}/${e.name}`);
        await dd.close();
        return out;
      });
      await r.callback('opendir cb', (cb) =>
        fs.opendir('t/a/b', (e, dd) => {
          if (e) return cb(e);
          dd.read((e2, ent) => dd.close(() => cb(e2, ent)));
        }),
      );
    },
  },
  {
    name: 'links and names',
    setup(fs, d) {
      fs.writeFileSync(`${d}/f`, 'x');
      fs.mkdirSync(`${d}/d/sub`, { recursive: true });
      fs.writeFileSync(`${d}/d/g`, 'g');
    },
    async run(fs, r) {
      r.sync('symlink', () => fs.symlinkSync('f', 'l'));
      r.sync('symlink exists', () => fs.symlinkSync('f', 'l'));
      r.sync('symlink type dir', () => fs.symlinkSync('d', 'ld', 'dir'));
      r.sync('symlink bad type', () => fs.symlinkSync('d', 'lx', 'folder'));
      r.sync('symlink non-string type', () => fs.symlinkSync('d', 'ly', 5));
      r.sync('symlink into missing', () => fs.symlinkSync('f', 'nodir/l'));
      r.sync('symlink empty target', () => fs.symlinkSync('', 'le'));
      r.sync('readlink', () => fs.readlinkSync('l'));
      r.sync('readlink buffer', () => fs.readlinkSync('l', 'buffer'));
      r.sync('readlink file', () => fs.readlinkSync('f'));
      r.sync('readlink missing', () => fs.readlinkSync('missing'));
      r.sync('readlink bad', () => fs.readlinkSync(null));
      r.sync('link', () => [fs.linkSync('f', 'h'), fs.statSync('f').nlink]);
      r.sync('link exists', () => fs.linkSync('f', 'h'));
      r.sync('link dir', () => fs.linkSync('d', 'hd'));
      r.sync('link missing', () => fs.linkSync('missing', 'hm'));
      r.sync('link bad', () => fs.linkSync('f', {}));
      r.sync('rename', () => fs.renameSync('h', 'h2'));
      r.sync('rename over', () => [fs.renameSync('h2', 'f'), fs.statSync('f').nlink]);
      r.sync('rename dir into self', () => fs.renameSync('d', 'd/sub/x'));
      r.sync('rename dir over file', () => fs.renameSync('d', 'f'));
      r.sync('rename file over dir', () => fs.renameSync('f', 'd'));
      r.sync('rename missing', () => fs.renameSync('missing', 'x'));
      r.sync('rename to missing dir', () => fs.renameSync('f', 'nodir/x'));
      r.sync('rename over nonempty dir', () => [fs.mkdirSync('e'), fs.renameSync('e', 'd')]);
      r.sync('unlink', () => fs.unlinkSync('l'));
      r.sync('unlink missing', () => fs.unlinkSync('l'));
      r.sync('unlink dir', () => fs.unlinkSync('d'));
      r.sync('unlink through file', () => fs.unlinkSync('f/x'));
      await r.callback('cb symlink', (cb) => fs.symlink('f', 'cl', cb));
      await r.callback('cb readlink', (cb) => fs.readlink('cl', cb));
      await r.callback('cb link exists', (cb) => fs.link('f', 'cl', cb));
      await r.callback('cb rename', (cb) => fs.rename('cl', 'cl2', cb));
      await r.callback('cb unlink missing', (cb) => fs.unlink('cl', cb));
      await r.promise('promise symlink exists', () => fs.promises.symlink('x', 'cl2'));
      await r.promise('promise rename', () => fs.promises.rename('cl2', 'cl3'));
      await r.promise('promise readlink', () => fs.promises.readlink('cl3'));
      await r.promise('promise link', () => fs.promises.link('f', 'pl'));
      await r.promise('promise unlink', () => fs.promises.unlink('pl'));
      r.sync('final', () => fs.readdirSync('.').sort());
    },
  },
  {
    name: 'realpath',
    setup(fs, d) {
      fs.mkdirSync(`${d}/real/inner`, { recursive: true });
      fs.writeFileSync(`${d}/real/inner/f`, 'x');
      fs.symlinkSync('real', `${d}/l1`);
      fs.symlinkSync(`${d}/l1/inner`, `${d}/l2`);
      fs.symlinkSync('../real/inner/f', `${d}/real/up`);
      fs.symlinkSync('missing', `${d}/dangling`);
      fs.symlinkSync('loop2', `${d}/loop1`);
      fs.symlinkSync('loop1', `${d}/loop2`);
    },
    async run(fs, r) {
      for (const n of ['real', 'l1', 'l2/f', 'real/up', 'l1/../l2', '.', 'dangling', 'loop1', 'missing/x', 'real/inner/f/x', 'l2/']) {
        r.sync(`realpath ${n}`, () => fs.realpathSync(n));
        r.sync(`native ${n}`, () => fs.realpathSync.native(n));
      }
      r.sync('realpath buffer', () => fs.realpathSync('l1', 'buffer'));
      r.sync('realpath bad', () => fs.realpathSync({}));
      r.sync('native bad', () => fs.realpathSync.native({}));
      await r.callback('cb realpath', (cb) => fs.realpath('l2', cb));
      await r.callback('cb realpath dangling', (cb) => fs.realpath('dangling', cb));
      await r.callback('cb native', (cb) => fs.realpath.native('l2', cb));
      await r.promise('promise realpath', () => fs.promises.realpath('l1/inner/f'));
      await r.promise('promise realpath dangling', () => fs.promises.realpath('dangling'));
    },
  },
  {
    name: 'rm',
    setup(fs, d) {
      fs.mkdirSync(`${d}/tree/a/b`, { recursive: true });
      fs.writeFileSync(`${d}/tree/a/b/f`, 'x');
      fs.writeFileSync(`${d}/tree/g`, 'x');
      fs.symlinkSync('/', `${d}/tree/root-link`);
      fs.writeFileSync(`${d}/file`, 'x');
      fs.mkdirSync(`${d}/empty`);
      fs.symlinkSync('tree', `${d}/link-to-tree`);
    },
    async run(fs, r) {
      r.sync('rm file', () => fs.rmSync('file'));
      r.sync('rm missing', () => fs.rmSync('file'));
      r.sync('rm missing force', () => fs.rmSync('file', { force: true }));
      r.sync('rm dir', () => fs.rmSync('empty'));
      r.sync('rm link to dir', () => [fs.rmSync('link-to-tree'), fs.existsSync('tree')]);
      r.sync('rm bad options', () => fs.rmSync('tree', { recursive: 'yes' }));
      r.sync('rm bad force', () => fs.rmSync('tree', { force: 1 }));
      r.sync('rm bad retries', () => fs.rmSync('tree', { maxRetries: -1 }));
      r.sync('rm recursive', () => [fs.rmSync('tree', { recursive: true }), fs.existsSync('tree')]);
      r.sync('rm recursive missing', () => fs.rmSync('tree', { recursive: true }));
      r.sync('rm through file', () => fs.rmSync('empty/x/y', { force: true }));
      r.sync('rmdir recursive', () => [fs.mkdirSync('x/y', { recursive: true }), fs.rmdirSync('x', { recursive: true }), fs.existsSync('x')]);
      await r.callback('cb rm dir', (cb) => fs.rm('.', cb));
      await r.callback('cb rm', (cb) => fs.rm('missing', { force: true }, cb));
      await r.promise('promise rm missing', () => fs.promises.rm('missing'));
      await r.promise('promise rm recursive', () => [fs.mkdirSync('p/q', { recursive: true }), fs.promises.rm('p', { recursive: true })][1]);
      r.sync('final', () => fs.readdirSync('.'));
    },
  },
  {
    name: 'truncate and copy',
    setup(fs, d) {
      fs.writeFileSync(`${d}/f`, '0123456789', { mode: 0o640 });
      fs.mkdirSync(`${d}/dir`);
      fs.symlinkSync('f', `${d}/lf`);
    },
    async run(fs, r) {
      const { COPYFILE_EXCL, COPYFILE_FICLONE, COPYFILE_FICLONE_FORCE } = fs.constants;
      r.sync('truncate', () => [fs.truncateSync('f', 4), fs.readFileSync('f', 'utf8')]);
      r.sync('truncate grow', () => [fs.truncateSync('f', 6), fs.readFileSync('f')]);
      r.sync('truncate default', () => [fs.truncateSync('f'), fs.statSync('f').size]);
      r.sync('truncate dir', () => fs.truncateSync('dir', 1));
      r.sync('truncate missing', () => fs.truncateSync('missing'));
      r.sync('truncate bad len', () => fs.truncateSync('f', 'x'));
      fs.writeFileSync('f', 'content');
      r.sync('copyFile', () => [fs.copyFileSync('f', 'c'), fs.readFileSync('c', 'utf8'), fs.statSync('c').mode]);
      r.sync('copyFile excl', () => fs.copyFileSync('f', 'c', COPYFILE_EXCL));
      r.sync('copyFile over', () => [fs.writeFileSync('c', 'longer old content'), fs.copyFileSync('f', 'c'), fs.readFileSync('c', 'utf8')]);
      r.sync('copyFile ficlone', () => [fs.copyFileSync('f', 'c2', COPYFILE_FICLONE), fs.readFileSync('c2', 'utf8')]);
      r.sync('copyFile ficlone force', () => [fs.copyFileSync('f', 'c3', COPYFILE_FICLONE_FORCE)]);
      r.sync('c3 exists', () => fs.existsSync('c3'));
      r.sync('copyFile missing', () => fs.copyFileSync('missing', 'c4'));
      r.sync('copyFile dir', () => fs.copyFileSync('dir', 'c5'));
      r.sync('c5 exists', () => fs.existsSync('c5'));
      r.sync('copyFile to dir', () => fs.copyFileSync('f', 'dir'));
      r.sync('copyFile onto self', () => [fs.copyFileSync('f', 'f'), fs.readFileSync('f', 'utf8')]);
      r.sync('copyFile via link', () => [fs.copyFileSync('lf', 'c6'), fs.lstatSync('c6').isFile()]);
      r.sync('copyFile bad mode', () => fs.copyFileSync('f', 'c7', 8));
      r.sync('copyFile bad src', () => fs.copyFileSync(1, 'c7'));
      await r.callback('cb copyFile', (cb) => fs.copyFile('f', 'cc', cb));
      await r.callback('cb copyFile excl', (cb) => fs.copyFile('f', 'cc', COPYFILE_EXCL, cb));
      await r.callback('cb truncate', (cb) => fs.truncate('cc', 2, cb));
      await r.callback('cb ftruncate', (cb) => {
        const fd = fs.openSync('cc', 'r+');
        fs.ftruncate(fd, 1, (e) => {
          fs.closeSync(fd);
          cb(e, fs.readFileSync('cc', 'utf8'));
        });
      });
      await r.promise('promise copyFile missing', () => fs.promises.copyFile('missing', 'x'));
      await r.promise('promise truncate dir', () => fs.promises.truncate('dir'));
    },
  },
  {
    name: 'cp',
    setup(fs, d) {
      fs.mkdirSync(`${d}/src/sub`, { recursive: true, mode: 0o750 });
      fs.writeFileSync(`${d}/src/a`, 'a', { mode: 0o600 });
      fs.writeFileSync(`${d}/src/sub/b`, 'b');
      fs.symlinkSync('a', `${d}/src/rel`);
      fs.symlinkSync('/nowhere', `${d}/src/abs`);
      fs.writeFileSync(`${d}/file`, 'f');
    },
    async run(fs, r) {
      r.sync('cp dir no recursive', () => fs.cpSync('src', 'dst'));
      r.sync('cp dir', () => fs.cpSync('src', 'dst', { recursive: true }));
      r.sync('tree', () => fs.readdirSync('dst', { recursive: true }).sort());
      r.sync('modes', () => ['dst', 'dst/a', 'dst/sub', 'dst/sub/b'].map((p) => fs.statSync(p).mode));
      r.sync('links', () => [fs.readlinkSync('dst/rel'), fs.readlinkSync('dst/abs')]);
      r.sync('cp again', () => fs.cpSync('src', 'dst', { recursive: true }));
      r.sync('cp errorOnExist', () => fs.cpSync('src/a', 'dst/a', { force: false, errorOnExist: true }));
      r.sync('cp no force', () => fs.cpSync('src/a', 'dst/a', { force: false }));
      r.sync('cp into self', () => fs.cpSync('src', 'src/sub/x', { recursive: true }));
      r.sync('cp same', () => fs.cpSync('file', 'file'));
      r.sync('cp dir over file', () => fs.cpSync('src', 'file', { recursive: true }));
      r.sync('cp file over dir', () => fs.cpSync('file', 'dst'));
      r.sync('cp missing', () => fs.cpSync('missing', 'x'));
      r.sync('cp makes parents', () => [fs.cpSync('file', 'deep/er/file'), fs.readFileSync('deep/er/file', 'utf8')]);
      r.sync('cp filter', () => [fs.cpSync('src', 'filtered', { recursive: true, filter: (s) => !s.endsWith('sub') }), fs.readdirSync('filtered').sort()]);
      r.sync('cp async filter sync', () => fs.cpSync('src', 'af', { recursive: true, filter: async () => true }));
      r.sync('cp verbatim', () => [fs.cpSync('src/rel', 'vlink', { verbatimSymlinks: true }), fs.readlinkSync('vlink')]);
      r.sync('cp bad options', () => fs.cpSync('src', 'x', { recursive: 1 }));
      r.sync('cp dereference+verbatim', () => fs.cpSync('src', 'x', { dereference: true, verbatimSymlinks: true }));
      r.sync('cp preserveTimestamps', () => [fs.utimesSync('src/a', 100, 200), fs.cpSync('src/a', 'pt', { preserveTimestamps: true }), fs.statSync('pt').mtimeMs, fs.statSync('pt').mode]);
      await r.callback('cb cp', (cb) => fs.cp('src', 'cbdst', { recursive: true }, cb));
      await r.callback('cb cp dir', (cb) => fs.cp('src', 'cbdst2', cb));
      await r.promise('promise cp async filter', async () => [await fs.promises.cp('src', 'pdst', { recursive: true, filter: async (s) => !s.endsWith('/a') }), fs.readdirSync('pdst').sort()]);
      await r.promise('promise cp dir', () => fs.promises.cp('src', 'pdst2'));
    },
  },
  {
    name: 'streams',
    setup(fs, d) {
      fs.writeFileSync(`${d}/f`, 'abcdefghij');
    },
    async run(fs, r) {
      const collect = (s) =>
        new Promise((resolve, reject) => {
          const chunks = [];
          s.on('data', (c) => chunks.push(c));
          s.on('error', reject);
          s.on('end', () => resolve(chunks));
        });
      await r.promise('read stream', () => collect(fs.createReadStream('f')));
      await r.promise('read stream range', () => collect(fs.createReadStream('f', { start: 2, end: 5, encoding: 'utf8' })));
      await r.promise('read stream encoding arg', () => collect(fs.createReadStream('f', 'hex')));
      await r.promise('read stream highWaterMark', () => collect(fs.createReadStream('f', { highWaterMark: 4 })));
      await r.promise('read stream missing', () => collect(fs.createReadStream('missing')));
      await r.promise('read stream dir', () => collect(fs.createReadStream('.')));
      r.value('instanceof', fs.createReadStream('f').destroy() instanceof fs.ReadStream);
      await r.promise('write stream', async () => {
        const w = fs.createWriteStream('out', { mode: 0o600 });
        await new Promise((resolve, reject) => {
          w.on('error', reject);
          w.write('one ');
          w.write(Buffer.from('two '));
          w.end('three', resolve);
        });
        return [fs.readFileSync('out', 'utf8'), fs.statSync('out').mode, w.bytesWritten];
      });
      await r.promise('write stream flags a', async () => {
        const w = fs.createWriteStream('out', { flags: 'a' });
        await new Promise((resolve) => w.end('!', resolve));
        return fs.readFileSync('out', 'utf8');
      });
      await r.promise('write stream start', async () => {
        const w = fs.createWriteStream('out', { flags: 'r+', start: 1 });
        await new Promise((resolve) => w.end('X', resolve));
        return fs.readFileSync('out', 'utf8');
      });
      await r.promise('write stream missing dir', () => new Promise((resolve, reject) => fs.createWriteStream('nodir/x').on('error', reject).on('finish', resolve)));
      await r.promise('pipe', async () => {
        await new Promise((resolve, reject) => fs.createReadStream('f').pipe(fs.createWriteStream('copy')).on('finish', resolve).on('error', reject));
        return fs.readFileSync('copy', 'utf8');
      });
      await r.promise('handle stream', async () => {
        const fh = await fs.promises.open('f');
        return collect(fh.createReadStream({ encoding: 'utf8', start: 5 }));
      });
    },
  },
  {
    name: 'constants and surface',
    setup() {},
    async run(fs, r) {
      r.value('constants', fs.constants);
      r.value('F_OK..X_OK', [fs.F_OK, fs.R_OK, fs.W_OK, fs.X_OK]);
      const sync = ['accessSync', 'appendFileSync', 'chmodSync', 'chownSync', 'closeSync', 'copyFileSync', 'cpSync', 'existsSync', 'fchmodSync', 'fchownSync', 'fdatasyncSync', 'fstatSync', 'fsyncSync', 'ftruncateSync', 'futimesSync', 'lchownSync', 'linkSync', 'lstatSync', 'lutimesSync', 'mkdirSync', 'mkdtempSync', 'openSync', 'opendirSync', 'readSync', 'readdirSync', 'readFileSync', 'readlinkSync', 'readvSync', 'realpathSync', 'renameSync', 'rmSync', 'rmdirSync', 'statSync', 'statfsSync', 'symlinkSync', 'truncateSync', 'unlinkSync', 'utimesSync', 'writeSync', 'writeFileSync', 'writevSync', 'lchmodSync'];
      r.value('sync types', sync.map((n) => `${n}:${typeof fs[n]}`));
      r.value('callback types', sync.map((n) => n.slice(0, -4)).map((n) => `${n}:${typeof fs[n]}`));
      r.value('realpath.native', [typeof fs.realpathSync.native, typeof fs.realpath.native]);
      const p = ['access', 'appendFile', 'chmod', 'chown', 'copyFile', 'cp', 'lchmod', 'lchown', 'lutimes', 'link', 'lstat', 'mkdir', 'mkdtemp', 'open', 'opendir', 'readdir', 'readFile', 'readlink', 'realpath', 'rename', 'rm', 'rmdir', 'stat', 'statfs', 'symlink', 'truncate', 'unlink', 'utimes', 'writeFile'];
      r.value('promises types', p.map((n) => `${n}:${typeof fs.promises[n]}`));
      r.value('promises constants', fs.promises.constants === fs.constants);
    },
  },
];

/** The directory of scenario `s` under `root`: ROOT/<name with dashes>. */
export const scenarioDir = (root, s) => `${root}/${s.name.replace(/[^A-Za-z0-9]+/g, '-')}`;
