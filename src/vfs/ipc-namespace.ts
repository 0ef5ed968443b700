/**
 * IpcNamespace: an IPC namespace (ipc/namespace.c create_ipc_ns(), copy_ipcs()) as far as the
 * VFS sees one — an identity and an owner. mqueue keys its superblock by it (ipc/mqueue.c
 * mq_init_ns(): one superblock per namespace, made with it and owned by it), and a mount of
 * mqueue belongs to the mounting task's IPC namespace's owner (mqueue_init_fs_context():
 * fc->user_ns = ipc_ns->user_ns), so root of a user namespace may mount mqueue once it has an
 * IPC namespace of its own (measured on 6.18: test/kernel/facts/pid-ipc-ns.json). System V IPC
 * objects and message queues are not modelled.
 *
 * Invariant: `index` is the creation order, 0 for the namespace the machine boots with
 * (init_ipc_ns, owned by init_user_ns).
 */
import { INIT_USER_NS, type UserNamespace } from './user-namespace.js';

/** unshare(2)/clone(2)'s CLONE_NEWIPC. */
export const CLONE_NEWIPC = 0x08000000;

export class IpcNamespace {
  constructor(
    /** Creation index: 0 for init_ipc_ns. */
    readonly index: number,
    /** ns->user_ns: the user namespace of its creator's credentials. */
    readonly owner: UserNamespace = INIT_USER_NS,
  ) {}
}
