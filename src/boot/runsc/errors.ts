/**
 * How a runsc failure reads: the error, the errno behind it when there is one, and where runsc
 * was — refusing the spec or a flag (`spec`), the gofer setting up the host side (`gofer`), or
 * the Sentry mounting the container (`sentry`). Messages are runsc's own, built the way its Go
 * code wraps them (fmt.Errorf("…: %w")), and errnos print as Go prints a syscall.Errno, which is
 * glibc's strerror, not libuv's (`file exists`, not `file already exists`).
 *
 * Not modelled: the prefixes `runsc create`/`runsc run` and the urpc layer add on their way to
 * the terminal (they depend on which command and which process reported it).
 */
import { SysError, type Errno } from '../../vfs/errno.js';

/** Go's text for the errnos the model produces (zerrors_linux.go), lower case as Go prints them. */
const GO_TEXT: Partial<Record<Errno, string>> = {
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory',
  EIO: 'input/output error',
  EACCES: 'permission denied',
  EBUSY: 'device or resource busy',
  EEXIST: 'file exists',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  EINVAL: 'invalid argument',
  ENOSPC: 'no space left on device',
  EROFS: 'read-only file system',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
  ENOTEMPTY: 'directory not empty',
  ENODEV: 'no such device',
};

/** syscall.Errno.Error(). */
export function goErrText(code: Errno): string {
  return GO_TEXT[code] ?? new SysError(code).message.replace(/^[A-Z0-9]+: /, '');
}

export type RunscPhase = 'spec' | 'gofer' | 'sentry';

/** A step of runsc failed; thrown inside the model, turned into a `RunscFailure` at the top. */
export class RunscError extends Error {
  override name = 'RunscError';
  constructor(
    message: string,
    readonly errno?: Errno,
  ) {
    super(message);
  }

  /** fmt.Errorf("<prefix>: %w", err): the same errno, runsc's wrapping in front. */
  wrap(prefix: string): RunscError {
    return new RunscError(`${prefix}: ${this.message}`, this.errno);
  }
}

/** Why runsc stops. */
export interface RunscFailure {
  phase: RunscPhase;
  /** spec.mounts index of the mount being set up, when one was (-1: one runsc added). */
  mount?: number;
  destination?: string;
  errno?: Errno;
  message: string;
}
