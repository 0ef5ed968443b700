/**
 * Descriptors bound to a namespace at open: what opening /proc/PID/ns/{user,mnt} (fs/nsfs.c,
 * fs/proc/namespaces.c proc_ns_get_link()), /proc/PID/{uid_map,gid_map} (kernel/user_namespace.c
 * proc_id_map_open()) and /proc/PID/setgroups (proc_setgroups_open()) leaves on the description,
 * and the calls that take such a descriptor: setns(2), reads and writes of the map files, and
 * mount_setattr(2)'s userns_fd.
 *
 * The binding is the kernel's: the namespace is looked up from the task when the file is opened
 * and kept by the description; the task may exit, be reaped and its pid reused, and the
 * descriptor still names the namespace it was opened for. A map write through it goes to that
 * namespace, with the credentials of the opener (file->f_cred), whether or not the task is still
 * there (measured on 6.18: test/kernel/facts/pidfd-userns.json, "proc descriptors").
 *
 * Known difference: the kernel's /proc/PID/ns/* are magic links into nsfs; here they are files
 * of proc whose open gives the namespace (resolve.ts has no nd_jump_link()), so lstat and
 * readlink of them differ; fstat of the descriptor matches nsfs's S_IFREG|0444.
 */
import { ALL_CAPS, Cap, type Credentials } from './creds.js';
import { errno } from './errno.js';
import type { FileDescription } from './file.js';
import type { OpenFileState } from './inode.js';
import type { MountNamespace } from './mount-namespace.js';
import { setns as mntnsInstall } from './mount-syscalls.js';
import { CLONE_NEWNS } from './net-namespace.js';
import { CLONE_NEWUSER } from './nsproxy-syscalls.js';
import { PidfdFile } from './pidfd.js';
import type { Process } from './process.js';
import { taskErrno } from './task.js';
import type { UserNamespace } from './user-namespace.js';
import { writeIdMap, writeSetgroups } from './userns-syscalls.js';

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/**
 * A description's own read and write (f_op->read/write with private_data), for files whose
 * content depends on what the open bound; the VFS's generic path does not know them.
 */
export interface FileOps extends OpenFileState {
  read?(pos: number, into: Uint8Array): number;
  write?(pos: number, data: Uint8Array): number;
}

/** An nsfs file: the namespace a /proc/PID/ns/* open found. */
export class NsFile implements FileOps {
  constructor(readonly ns: { kind: 'user'; userNs: UserNamespace } | { kind: 'mnt'; mntNs: MountNamespace }) {}

  /** nsfs's release: put_ns(), which the garbage collector does here. */
  release(): void {}

  /** The CLONE_NEW* flag of its type (ns->ops->type). */
  get type(): number {
    return this.ns.kind === 'user' ? CLONE_NEWUSER : CLONE_NEWNS;
  }
}

/** A seq_file's read of a text made now. */
function readText(text: string, pos: number, into: Uint8Array): number {
  const bytes = encoder.encode(text);
  if (pos >= bytes.length) return 0;
  const n = Math.min(into.length, bytes.length - pos);
  into.set(bytes.subarray(pos, pos + n));
  return n;
}

/** /proc/PID/{uid,gid}_map opened: the namespace and the opener's credentials (seq private, f_cred). */
export class IdMapFile implements FileOps {
  constructor(
    readonly userNs: UserNamespace,
    readonly which: 'uid' | 'gid',
    readonly opener: Credentials,
  ) {}

  read(pos: number, into: Uint8Array): number {
    return readText((this.which === 'uid' ? this.userNs.uidMap : this.userNs.gidMap).toString(), pos, into);
  }

  /** proc_uid_map_write() / proc_gid_map_write(): userns-syscalls.ts writeIdMap(). */
  write(pos: number, data: Uint8Array): number {
    writeIdMap(this.opener, this.userNs, this.which, decoder.decode(data), pos);
    return data.length;
  }
}

/** /proc/PID/setgroups opened. */
export class SetgroupsFile implements FileOps {
  constructor(
    readonly userNs: UserNamespace,
    readonly opener: Credentials,
  ) {}

  read(pos: number, into: Uint8Array): number {
    return readText(this.userNs.setgroupsAllowed ? 'allow\n' : 'deny\n', pos, into);
  }

  /** proc_setgroups_write(): "allow" or "deny" at offset 0 (EINVAL elsewhere). */
  write(pos: number, data: Uint8Array): number {
    if (pos !== 0) throw errno('EINVAL');
    writeSetgroups(this.opener, this.userNs, decoder.decode(data));
    return data.length;
  }
}

/**
 * ptrace_may_access(task, PTRACE_MODE_READ_FSCREDS) without dumpability (every task is
 * dumpable here): the caller's fsuid is the target's real, effective and saved uid and its
 * fsgid the three gids, or it has CAP_SYS_PTRACE over the target's user namespace.
 */
export function ptraceMayRead(caller: Credentials, target: Credentials): boolean {
  const u = caller.uid;
  const g = caller.gid;
  if (u === target.ruid && u === target.euid && u === target.suid && g === target.rgid && g === target.egid && g === target.sgid) return true;
  return caller.nsCapable(target.userNs, Cap.SYS_PTRACE);
}

/** The description's own operations, when the open bound some. */
function opsOf(f: FileDescription): FileOps | undefined {
  const st = f.state as FileOps | undefined;
  return st && (st.read || st.write) ? st : undefined;
}

/**
 * read(2)/pread(2) of a description with its own read; undefined when it has none (the VFS's
 * generic read applies). EBADF without read access.
 */
export function opsRead(f: FileDescription, pos: number, into: Uint8Array): number | undefined {
  const ops = opsOf(f);
  if (!ops) return undefined;
  if (!f.readable || !ops.read) throw errno(f.readable ? 'EINVAL' : 'EBADF');
  return ops.read(pos, into);
}

/** write(2)/pwrite(2) likewise. */
export function opsWrite(f: FileDescription, pos: number, data: Uint8Array): number | undefined {
  const ops = opsOf(f);
  if (!ops) return undefined;
  if (!f.writable || !ops.write) throw errno(f.writable ? 'EINVAL' : 'EBADF');
  return ops.write(pos, data);
}

/**
 * userns_install(): EINVAL to re-enter the task's own namespace, EPERM without CAP_SYS_ADMIN
 * over the target; the task keeps its ids and gets every capability there (set_cred_user_ns()).
 */
function usernsInstall(c: Credentials, ns: UserNamespace): Credentials {
  if (ns === c.userNs) throw errno('EINVAL');
  if (!c.nsCapable(ns, Cap.SYS_ADMIN)) throw errno('EPERM');
  return c.with({ userNs: ns, caps: ALL_CAPS, permitted: ALL_CAPS });
}

/**
 * setns(2) with a namespace descriptor (`nstype` 0 or its type, EINVAL otherwise) or a pidfd
 * (`nstype` a non-empty set of CLONE_NEWUSER and CLONE_NEWNS, the namespaces modelled: the
 * task's, user namespace first; ESRCH once the task is reaped or, having no nsproxy, exited).
 * Any other descriptor is EINVAL. A failure changes nothing.
 */
export function setns(p: Process, fd: number, nstype: number): void {
  const st = p.fds.get(fd).state;
  if (st instanceof NsFile) {
    if (nstype !== 0 && nstype !== st.type) throw errno('EINVAL');
    if (st.ns.kind === 'user') p.creds = usernsInstall(p.creds, st.ns.userNs);
    else mntnsInstall(p, st.ns.mntNs);
    return;
  }
  if (!(st instanceof PidfdFile)) throw errno('EINVAL');
  if (nstype === 0 || nstype & ~(CLONE_NEWUSER | CLONE_NEWNS)) throw errno('EINVAL');
  const task = st.pid.task;
  if (!task || task.exitState !== 'running') throw taskErrno('ESRCH');
  const old = p.creds;
  if (nstype & CLONE_NEWUSER && task.userNs !== p.userNs) p.creds = usernsInstall(p.creds, task.userNs);
  try {
    if (nstype & CLONE_NEWNS) mntnsInstall(p, task.ns);
  } catch (e) {
    p.creds = old;
    throw e;
  }
}

/**
 * What mount_setattr(2)'s userns_fd names (build_mount_idmapped()): the user namespace of an
 * nsfs descriptor, 'not-userns' for any other open descriptor (EINVAL there); EBADF for none.
 * The value mount-api.ts's `MountAttr.userns` takes.
 */
export function userNsOfFd(p: Process, fd: number): UserNamespace | 'not-userns' {
  const st = p.fds.get(fd).state;
  return st instanceof NsFile && st.ns.kind === 'user' ? st.ns.userNs : 'not-userns';
}
