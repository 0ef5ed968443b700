/**
 * FIFOs: open(2)'s rules (fifo(7), fs/pipe.c fifo_open()) and read(2)/write(2) on the pipe behind
 * one (pipe(7)), on tmpfs.
 *
 * The kernel's answers: O_RDONLY|O_NONBLOCK opens at once; O_WRONLY|O_NONBLOCK with no reader is
 * ENXIO (pjdfstest open/17.t: "open returns ENXIO when O_NONBLOCK is set, the named file is a
 * fifo, O_WRONLY is set, and no process has the file open for reading"), and opens with one;
 * O_RDWR never waits; a blocking open with the peer already open, in any task, does not wait.
 *
 * The emulator's documented choice (src/vfs/pipe.ts): a call the kernel would put to sleep
 * waiting for another task — a blocking open with no peer, a blocking read of an empty pipe with
 * a writer, a blocking write into a full one — can never be woken in a synchronous emulator, so
 * it fails as if a signal had interrupted the sleep: EINTR, after undoing what the kernel undoes
 * then (the open's reader or writer count), or, for a write that got part of its data in, that
 * count.
 */
import { describe, expect, it } from 'vitest';
import { createSandbox, O_NONBLOCK, O_PATH, O_RDONLY, O_RDWR, O_WRONLY, S_IFIFO } from '../../src/index.js';
import type { Process } from '../../src/vfs/process.js';
import { errOf } from './helpers.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A root with the FIFO /p (0666). */
function world(): Process {
  const p = createSandbox().process;
  p.mknod('/p', S_IFIFO | 0o666);
  return p;
}

/** Reads up to `n` bytes from `fd` as text. */
function readText(p: Process, fd: number, n = 100): string {
  const buf = new Uint8Array(n);
  return dec.decode(buf.subarray(0, p.read(fd, buf)));
}

describe('open(2) of a FIFO without a peer', () => {
  it.each<[string, number, string]>([
    // pjdfstest open/17.t
    ['O_WRONLY|O_NONBLOCK', O_WRONLY | O_NONBLOCK, 'ENXIO'],
    ['O_RDONLY|O_NONBLOCK', O_RDONLY | O_NONBLOCK, 'OK'],
    ['O_RDWR', O_RDWR, 'OK'],
    ['O_RDWR|O_NONBLOCK', O_RDWR | O_NONBLOCK, 'OK'],
    // Would wait for a writer no task can now open: the interrupted wait.
    ['O_RDONLY (blocking)', O_RDONLY, 'EINTR'],
    // Would wait for a reader no task can now open: the interrupted wait.
    ['O_WRONLY (blocking)', O_WRONLY, 'EINTR'],
    // OPEN_FMODE(3) is neither read nor write: fifo_open()'s default case.
    ['access mode 3', 3, 'EINVAL'],
    ['O_PATH|O_WRONLY', O_PATH | O_WRONLY, 'OK'],
  ])('%s (flags 0%o) -> %s', (_name, flags, expected) => {
    expect(errOf(() => world().open('/p', flags))).toBe(expected);
  });

  it('may_open() comes first: EACCES, not ENXIO, for a caller that may not write', () => {
    const p = world();
    p.chmod('/p', 0o444);
    const q = p.fork();
    q.setresuid(1000);
    expect(errOf(() => q.open('/p', O_WRONLY | O_NONBLOCK))).toBe('EACCES');
  });
});

describe('open(2) of a FIFO with a peer already open', () => {
  it('O_WRONLY|O_NONBLOCK opens once a reader is open (pjdfstest open/17.t)', () => {
    const p = world();
    p.open('/p', O_RDONLY | O_NONBLOCK);
    expect(errOf(() => p.open('/p', O_WRONLY | O_NONBLOCK))).toBe('OK');
  });

  it("a blocking open does not wait when another task holds the peer, as the kernel's would not", () => {
    const p = world();
    const child = p.fork();
    child.open('/p', O_RDONLY | O_NONBLOCK);
    expect(errOf(() => p.open('/p', O_WRONLY))).toBe('OK');
    expect(errOf(() => world().open('/p', O_WRONLY))).toBe('EINTR');
    // With a writer open, a blocking O_RDONLY does not wait either.
    expect(errOf(() => child.open('/p', O_RDONLY))).toBe('OK');
  });

  it('an O_RDWR description is both a reader and a writer', () => {
    const p = world();
    p.open('/p', O_RDWR);
    expect(errOf(() => p.open('/p', O_WRONLY | O_NONBLOCK))).toBe('OK');
    expect(errOf(() => p.open('/p', O_RDONLY))).toBe('OK');
  });

  it('an O_PATH descriptor is no reader', () => {
    const p = world();
    p.open('/p', O_PATH);
    expect(errOf(() => p.open('/p', O_WRONLY | O_NONBLOCK))).toBe('ENXIO');
  });

  it('the reader counts until the last descriptor of its description closes, in any task', () => {
    const p = world();
    const r = p.open('/p', O_RDONLY | O_NONBLOCK);
    const r2 = p.dup(r);
    const child = p.fork();
    p.close(r);
    p.close(r2);
    expect(errOf(() => p.open('/p', O_WRONLY | O_NONBLOCK))).toBe('OK');
    child.exit();
    expect(errOf(() => p.open('/p', O_WRONLY | O_NONBLOCK))).toBe('ENXIO');
  });

  it('an interrupted open gives its count back', () => {
    const p = world();
    expect(errOf(() => p.open('/p', O_RDONLY))).toBe('EINTR');
    expect(errOf(() => p.open('/p', O_WRONLY | O_NONBLOCK))).toBe('ENXIO');
    expect(errOf(() => p.open('/p', O_WRONLY))).toBe('EINTR');
    // No writer left behind: a nonblocking reader reads end of file, not EAGAIN.
    const r = p.open('/p', O_RDONLY | O_NONBLOCK);
    expect(p.read(r, new Uint8Array(1))).toBe(0);
  });

  it('hard links name the same FIFO', () => {
    const p = world();
    p.link('/p', '/q');
    p.open('/q', O_RDONLY | O_NONBLOCK);
    expect(errOf(() => p.open('/p', O_WRONLY | O_NONBLOCK))).toBe('OK');
  });
});

describe('read(2) and write(2) on a FIFO', () => {
  it('what one description writes another reads, in order, across tasks', () => {
    const p = world();
    const r = p.open('/p', O_RDONLY | O_NONBLOCK);
    const child = p.fork();
    const w = child.open('/p', O_WRONLY);
    expect(child.write(w, enc.encode('hello '))).toBe(6);
    expect(child.write(w, enc.encode('world'))).toBe(5);
    expect(readText(p, r, 3)).toBe('hel');
    expect(readText(p, r)).toBe('lo world');
    // stat(2) of a FIFO shows no size, whatever it holds.
    child.write(w, enc.encode('x'));
    expect(p.stat('/p').size).toBe(0);
  });

  it('an empty pipe: EAGAIN under O_NONBLOCK, EINTR blocking, while a writer is open; end of file once none is', () => {
    const p = world();
    const r = p.open('/p', O_RDONLY | O_NONBLOCK);
    const w = p.open('/p', O_WRONLY | O_NONBLOCK);
    const rb = p.open('/p', O_RDONLY);
    expect(errOf(() => p.read(r, new Uint8Array(1)))).toBe('EAGAIN');
    expect(errOf(() => p.read(rb, new Uint8Array(1)))).toBe('EINTR');
    // A read of nothing succeeds before anything is looked at.
    expect(p.read(rb, new Uint8Array(0))).toBe(0);
    p.write(w, enc.encode('left'));
    p.close(w);
    expect(readText(p, rb)).toBe('left');
    expect(p.read(rb, new Uint8Array(1))).toBe(0);
    expect(p.read(r, new Uint8Array(1))).toBe(0);
  });

  it('a write with no reader left is EPIPE (SIGPIPE ignored); one of nothing succeeds', () => {
    const p = world();
    const r = p.open('/p', O_RDONLY | O_NONBLOCK);
    const w = p.open('/p', O_WRONLY | O_NONBLOCK);
    p.close(r);
    expect(p.write(w, new Uint8Array(0))).toBe(0);
    expect(errOf(() => p.write(w, enc.encode('x')))).toBe('EPIPE');
  });

  it('read and write need the access the descriptor was opened with (EBADF), and a FIFO cannot seek (ESPIPE)', () => {
    const p = world();
    const r = p.open('/p', O_RDONLY | O_NONBLOCK);
    const w = p.open('/p', O_WRONLY | O_NONBLOCK);
    expect(errOf(() => p.write(r, enc.encode('x')))).toBe('EBADF');
    expect(errOf(() => p.read(w, new Uint8Array(1)))).toBe('EBADF');
    expect(errOf(() => p.pwrite(w, enc.encode('x'), 0))).toBe('ESPIPE');
  });

  it('capacity 65536 bytes: PIPE_BUF (4096) bytes or fewer go in whole or not at all, more go in as far as they fit', () => {
    const p = world();
    const rw = p.open('/p', O_RDWR | O_NONBLOCK);
    const wb = p.open('/p', O_WRONLY);
    expect(p.write(rw, new Uint8Array(65536 - 100))).toBe(65436);
    expect(errOf(() => p.write(rw, new Uint8Array(200)))).toBe('EAGAIN');
    expect(errOf(() => p.write(wb, new Uint8Array(200)))).toBe('EINTR');
    expect(p.write(rw, new Uint8Array(5000))).toBe(100);
    expect(errOf(() => p.write(rw, new Uint8Array(5000)))).toBe('EAGAIN');
    // A reader makes room; a blocking write of more than fits writes what fits and is then
    // interrupted, which returns the count.
    expect(p.read(rw, new Uint8Array(1000))).toBe(1000);
    expect(p.write(wb, new Uint8Array(5000))).toBe(1000);
  });

  it('what a FIFO holds is lost when its last description closes', () => {
    const p = world();
    const rw = p.open('/p', O_RDWR);
    p.write(rw, enc.encode('gone'));
    p.close(rw);
    const r = p.open('/p', O_RDONLY | O_NONBLOCK);
    expect(p.read(r, new Uint8Array(4))).toBe(0);
  });
});
