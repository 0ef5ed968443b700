/**
 * A user-namespace descriptor with given id maps, made as containerd makes one for idmapped
 * mounts (MOUNT_ATTR_IDMAP's userns_fd): a short-lived child in a new user namespace whose
 * /proc/PID files the caller opens and writes, then the child is killed and reaped and the
 * namespace lives on in the descriptor.
 *
 * Two flows, both over a Process's syscalls (a `proc` must be mounted in the caller's tree):
 *
 * - `getUsernsFd`, the race-free one: containerd's core/mount/mount_idmapped_utils_linux.go
 *   getUsernsFD() with pkg/sys/unshare_linux.go UnshareAfterEnterUserns()'s pidfd use — clone
 *   with CLONE_NEWUSER|CLONE_PIDFD, open /proc/PID/{ns/user,uid_map,setgroups,gid_map}, then ask
 *   the pidfd whether the child is still alive (pidfd_send_signal 0): if it is, the pid cannot
 *   have been reused, so the descriptors are the child's; the maps are written through them.
 *   Then SIGKILL and waitid(P_PIDFD) through the pidfd, which can only reach the child.
 * - `getUsernsFdByPid`, the flow it replaced (containerd 1.7's mount/mount_idmapped_linux.go
 *   GetUsernsFD()): clone, write the maps by path, open /proc/PID/ns/user, kill(pid) and
 *   wait4(pid). Between the clone and the opens the child may die and be reaped (containerd's
 *   reaper reaps any child) and its pid go to another task: the flow then maps, opens, kills and
 *   reaps that task instead.
 */
import { O_RDONLY, O_WRONLY } from './file.js';
import { CLONE_NEWUSER } from './nsproxy-syscalls.js';
import type { Process } from './process.js';
import { CLONE_PIDFD, SIGKILL } from './task.js';
import { P_PIDFD, WEXITED } from './wait.js';

/** One line of a map, as containerd's syscall.SysProcIDMap. */
export interface IdMapping {
  containerID: number;
  hostID: number;
  size: number;
}

export interface UsernsFdOptions {
  /** Where proc is mounted in the caller's tree. Default `/proc`. */
  proc?: string;
  /**
   * Runs right after the clone with the child's pid — what else happens on the machine before
   * the flow goes on (a reaper reaping the child, another task taking its pid).
   */
  afterClone?: (pid: number) => void;
}

const encoder = new TextEncoder();

/** ProcIDMaps.Marshal(): `container host size` a line. */
function marshal(maps: readonly IdMapping[]): Uint8Array {
  return encoder.encode(maps.map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join(''));
}

function closeQuietly(p: Process, fd: number): void {
  if (fd >= 0) p.close(fd);
}

/**
 * The pidfd flow: a descriptor of a new user namespace with these maps (setgroups denied before
 * the gid map, as Go writes it when GidMappingsEnableSetgroups is false). Throws the SysError
 * of the step that failed — ESRCH from the liveness check when the child died before its files
 * were known to be its own — having closed every descriptor it opened and reaped the child.
 *
 * @example
 * ```ts
 * const fd = getUsernsFd(p, [{ containerID: 0, hostID: 100000, size: 65536 }], [{ containerID: 0, hostID: 100000, size: 65536 }]);
 * p.mountSetattr(treeFd, '', AT_EMPTY_PATH, { attrSet: MOUNT_ATTR_IDMAP, attrClr: 0, userns: p.userNsOfFd(fd) });
 * ```
 */
export function getUsernsFd(p: Process, uidMaps: readonly IdMapping[], gidMaps: readonly IdMapping[], opts: UsernsFdOptions = {}): number {
  const proc = opts.proc ?? '/proc';
  // clone's value: the child's pid as the caller's PID namespace numbers it (its /proc).
  const { pid, pidfd } = p.clone(CLONE_NEWUSER | CLONE_PIDFD);
  const fds = { ns: -1, uid: -1, setgroups: -1, gid: -1 };
  try {
    opts.afterClone?.(pid);
    fds.ns = p.open(`${proc}/${pid}/ns/user`, O_RDONLY);
    if (uidMaps.length) fds.uid = p.open(`${proc}/${pid}/uid_map`, O_WRONLY);
    if (gidMaps.length) {
      fds.setgroups = p.open(`${proc}/${pid}/setgroups`, O_WRONLY);
      fds.gid = p.open(`${proc}/${pid}/gid_map`, O_WRONLY);
    }
    // Alive now, so alive when the files were opened: they are the child's, not a reuser's.
    p.pidfdSendSignal(pidfd, 0);
    if (fds.uid >= 0) p.write(fds.uid, marshal(uidMaps));
    if (fds.setgroups >= 0) p.write(fds.setgroups, encoder.encode('deny'));
    if (fds.gid >= 0) p.write(fds.gid, marshal(gidMaps));
    const ns = fds.ns;
    fds.ns = -1;
    return ns;
  } finally {
    for (const fd of Object.values(fds)) closeQuietly(p, fd);
    // The deferred kill and waitid of UnshareAfterEnterUserns(): ESRCH means it is gone already.
    try {
      p.pidfdSendSignal(pidfd, SIGKILL);
      p.waitid(P_PIDFD, pidfd, WEXITED);
    } catch {
      // Reaped by someone else: nothing left to do through the pidfd.
    }
    p.close(pidfd);
  }
}

/**
 * The pid flow, kept to show the race it has: the same result while nothing happens between the
 * clone and the opens; otherwise the maps, the descriptor, the kill and the wait all go to
 * whatever task holds the pid then. Failures of the kill and the wait are ignored (containerd
 * logged them).
 */
export function getUsernsFdByPid(p: Process, uidMaps: readonly IdMapping[], gidMaps: readonly IdMapping[], opts: UsernsFdOptions = {}): number {
  const proc = opts.proc ?? '/proc';
  const { pid } = p.clone(CLONE_NEWUSER);
  const writeFile = (name: string, data: Uint8Array): void => {
    const fd = p.open(`${proc}/${pid}/${name}`, O_WRONLY);
    try {
      p.write(fd, data);
    } finally {
      p.close(fd);
    }
  };
  try {
    opts.afterClone?.(pid);
    if (uidMaps.length) writeFile('uid_map', marshal(uidMaps));
    if (gidMaps.length) {
      writeFile('setgroups', encoder.encode('deny'));
      writeFile('gid_map', marshal(gidMaps));
    }
    return p.open(`${proc}/${pid}/ns/user`, O_RDONLY);
  } finally {
    try {
      p.kill(pid, SIGKILL);
      p.waitpid(pid, 0);
    } catch {
      // containerd: "failed to find pid(%d) process", logged and ignored.
    }
  }
}
