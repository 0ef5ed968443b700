/**
 * FIFOs (fifo(7), pipe(7)): the pipe behind a FIFO inode (struct pipe_inode_info, the inode's
 * i_pipe) and what fs/pipe.c does with it — fifo_open(), pipe_read(), pipe_write() and
 * pipe_release(). The VFS calls these for a description whose inode is S_IFIFO, in place of the
 * filesystem's file operations, as init_special_inode() gives a FIFO pipefifo_fops.
 *
 * Invariants: a FIFO inode has a pipe exactly while a description of it open for reading or
 * writing exists (any task's; O_PATH ones do not count); `readers` and `writers` count those with
 * read and with write access (O_RDWR counts in both); the pipe holds at most PIPE_CAPACITY bytes
 * and loses them when its last such description closes (put_pipe_info() frees it).
 *
 * Waits. The emulator is synchronous: while a call runs, no other task runs that could open the
 * peer, fill an empty pipe or drain a full one, so a call that would sleep (fifo_open()'s
 * wait_for_partner(), the waits of pipe_read() and pipe_write()) would sleep forever. It fails
 * instead as if a signal had interrupted the sleep: EINTR, which the kernel returns then
 * (-ERESTARTSYS under a handler without SA_RESTART), after undoing what the kernel undoes
 * (fifo_open()'s err_rd/err_wr drop the count it took) — or, for a write that had transferred
 * part of its data, that count (pipe(7)). A call that needs no wait — the peer already open in
 * any task, data already buffered, room already free — goes as the kernel's does.
 *
 * Not modelled: SIGPIPE (a write without readers is EPIPE, as for a task that ignores the
 * signal); the timestamps pipe_write() and pipe_read() touch (file_update_time(),
 * file_accessed()); and the kernel's counting of capacity in page-sized slots — here it is
 * bytes, as pipe(7) states it, so where small writes the kernel does not merge would fill its
 * 16 slots, this pipe still takes more.
 */
import { errno } from './errno.js';
import { O_NONBLOCK, type FileDescription } from './file.js';
import type { Inode, OpenFileState } from './inode.js';

/** PIPE_BUF: a write of at most this many bytes is atomic, all of it or none (pipe(7)). */
export const PIPE_BUF = 4096;
/** The capacity of a pipe: 16 pages (pipe(7), "Pipe capacity"). */
export const PIPE_CAPACITY = 65536;

class Pipe {
  readers = 0;
  writers = 0;
  /** Bytes buffered, in `bufs` oldest first. */
  size = 0;
  private readonly bufs: Uint8Array[] = [];

  push(data: Uint8Array): void {
    this.bufs.push(data.slice());
    this.size += data.length;
  }

  take(into: Uint8Array): number {
    let n = 0;
    while (n < into.length && this.bufs.length > 0) {
      const b = this.bufs[0]!;
      const k = Math.min(b.length, into.length - n);
      into.set(b.subarray(0, k), n);
      n += k;
      if (k === b.length) this.bufs.shift();
      else this.bufs[0] = b.subarray(k);
    }
    this.size -= n;
    return n;
  }
}

/** inode->i_pipe of every FIFO inode that has one. */
const pipes = new WeakMap<Inode, Pipe>();

function pipeOf(f: FileDescription): Pipe {
  const pipe = pipes.get(f.inode);
  if (!pipe) throw new Error('an open FIFO description without a pipe');
  return pipe;
}

/** pipe_release() and put_pipe_info(): the counts the description held; the last one frees the pipe. */
function release(inode: Inode, pipe: Pipe, readable: boolean, writable: boolean): void {
  if (readable) pipe.readers--;
  if (writable) pipe.writers--;
  if (pipe.readers === 0 && pipe.writers === 0) pipes.delete(inode);
}

/**
 * fifo_open(): counts the new description `f` as a reader, a writer or both, and returns its
 * state, whose release at the last close gives the counts back.
 *
 * O_RDONLY succeeds at once with O_NONBLOCK or with a writer open; O_WRONLY with a reader open,
 * and is ENXIO without one under O_NONBLOCK; O_RDWR never waits ("the process can at least talk
 * to itself"). Otherwise the open would wait for a peer no task can now open: EINTR (see the
 * header). An access mode of 3 (neither FMODE_READ nor FMODE_WRITE) is EINVAL.
 *
 * @example
 * ```ts
 * p.mknod('/p', S_IFIFO | 0o644);
 * p.open('/p', O_WRONLY | O_NONBLOCK); // ENXIO: no reader
 * const r = p.open('/p', O_RDONLY | O_NONBLOCK);
 * const w = p.open('/p', O_WRONLY); // a reader is open: no wait
 * ```
 */
export function fifoOpen(f: FileDescription): OpenFileState {
  const { inode, readable, writable } = f;
  const nonblock = (f.flags & O_NONBLOCK) !== 0;
  // OPEN_FMODE(3) is neither read nor write: fifo_open()'s default case.
  if (!readable && !writable) throw errno('EINVAL');
  // fifo(7): in nonblocking mode, "opening for write-only fails with ENXIO (no such device or
  // address) unless the other end has already been opened".
  if (!readable && nonblock && !pipes.get(inode)?.readers) throw errno('ENXIO');
  const pipe = pipes.get(inode) ?? new Pipe();
  pipes.set(inode, pipe);
  if (readable) pipe.readers++;
  if (writable) pipe.writers++;
  const state = { release: () => release(inode, pipe, readable, writable) };
  // O_RDWR is its own peer; POSIX lets O_RDONLY|O_NONBLOCK open without one.
  const peer = readable && writable ? true : readable ? nonblock || pipe.writers > 0 : pipe.readers > 0;
  if (!peer) {
    // wait_for_partner(), interrupted: err_rd / err_wr give the count back.
    state.release();
    throw errno('EINTR');
  }
  return state;
}

/**
 * pipe_read(): what is buffered, up to `into.length`; 0 at end of file (empty, and no writer
 * open); EAGAIN when empty under O_NONBLOCK with a writer open; EINTR where it would wait.
 */
export function pipeRead(f: FileDescription, into: Uint8Array): number {
  // A read of nothing succeeds before anything is looked at.
  if (into.length === 0) return 0;
  const pipe = pipeOf(f);
  if (pipe.size > 0) return pipe.take(into);
  if (pipe.writers === 0) return 0;
  throw errno(f.flags & O_NONBLOCK ? 'EAGAIN' : 'EINTR');
}

/**
 * pipe_write(): EPIPE with no reader open. Up to PIPE_BUF bytes go in whole or wait; more go in
 * as far as they fit and the rest waits. Where it would wait: the count written when some was,
 * otherwise EAGAIN under O_NONBLOCK, EINTR without.
 */
export function pipeWrite(f: FileDescription, data: Uint8Array): number {
  if (data.length === 0) return 0;
  const pipe = pipeOf(f);
  if (pipe.readers === 0) throw errno('EPIPE');
  const room = PIPE_CAPACITY - pipe.size;
  const n = data.length <= PIPE_BUF ? (data.length <= room ? data.length : 0) : Math.min(room, data.length);
  if (n > 0) {
    pipe.push(data.subarray(0, n));
    return n;
  }
  throw errno(f.flags & O_NONBLOCK ? 'EAGAIN' : 'EINTR');
}
