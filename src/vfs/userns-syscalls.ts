/**
 * The user-namespace calls: unshare(CLONE_NEWUSER)'s half (create_user_ns(), set_cred_user_ns()),
 * writing /proc/PID/uid_map, gid_map and setgroups (proc_uid_map_write(), map_write(),
 * new_idmap_permitted(), proc_setgroups_write()) and getresuid(2)/getresgid(2) as the task's
 * namespace names its ids — kernel/user_namespace.c and kernel/sys.c.
 *
 * A map write is made by `writer` (the credentials the file was opened with: file->f_cred) on the
 * namespace `ns` of the task whose /proc directory it is. Its lower ids are the parent
 * namespace's and are stored translated to kernel ids, so the maps of every namespace speak
 * kernel ids (user-namespace.ts).
 */
import { ALL_CAPS, Cap, type Credentials } from './creds.js';
import { errno } from './errno.js';
import { IdMap, INVALID_ID, parseIdMap, UserNamespace, type IdExtent } from './user-namespace.js';

/** The longest write a map file takes: less than one page (map_write(): EINVAL). */
const MAP_WRITE_MAX = 4095;

/**
 * create_user_ns() + set_cred_user_ns(): a child of the task's user namespace owned by its euid
 * and egid, and the task's new credentials in it with every capability. ENOSPC past 33 levels;
 * EPERM for a chrooted task or one whose ids the parent cannot name.
 */
export function unshareUserNs(c: Credentials, chrooted: boolean): Credentials {
  const ns = UserNamespace.create(c.userNs, c.euid, c.egid, chrooted);
  // create_user_ns(): whether the creator could set file capabilities, for verify_root_map().
  ns.parentCouldSetfcap = (c.caps & (1n << BigInt(Cap.SETFCAP))) !== 0n;
  return c.with({ caps: ALL_CAPS, permitted: ALL_CAPS, userNs: ns });
}

/**
 * new_idmap_permitted(): the owner may map its own euid (or egid, once setgroups is denied) as
 * the only id; anyone holding `cap` (CAP_SETUID/CAP_SETGID) over the parent may map any ids the
 * parent has.
 */
function idmapPermitted(writer: Credentials, ns: UserNamespace, cap: number, extents: readonly IdExtent[]): boolean {
  const parent = ns.parent!;
  // verify_root_map(): a uid map that names the parent's uid 0 needs CAP_SETFCAP — the
  // creator's, when the namespace writes its own map, else the writer's over the parent.
  if (cap === Cap.SETUID && extents.some((e) => e.lowerFirst === 0)) {
    if (writer.userNs === ns ? !ns.parentCouldSetfcap : !writer.nsCapable(parent, Cap.SETFCAP)) return false;
  }
  if (extents.length === 1 && extents[0]!.count === 1 && ns.owner === writer.euid) {
    const id = extents[0]!.lowerFirst;
    if (cap === Cap.SETUID && parent.makeKuid(id) === writer.euid) return true;
    if (cap === Cap.SETGID && !ns.setgroupsAllowed && parent.makeKgid(id) === writer.egid) return true;
  }
  return writer.nsCapable(parent, cap);
}

/**
 * proc_uid_map_write() / proc_gid_map_write() + map_write(): `text` written at offset 0 of
 * /proc/PID/{uid,gid}_map of a task in `ns`, by `writer`. EPERM for init_user_ns, a writer of
 * neither `ns` nor its parent, a second write, a writer without CAP_SYS_ADMIN over `ns`, ids the
 * writer may not map or the parent does not have; EINVAL for a write not at offset `pos` 0, one
 * of a page or more, or a malformed map (parseIdMap()).
 */
export function writeIdMap(writer: Credentials, ns: UserNamespace, which: 'uid' | 'gid', text: string, pos = 0): void {
  if (!ns.parent) throw errno('EPERM');
  const seqNs = writer.userNs;
  if (seqNs !== ns && seqNs !== ns.parent) throw errno('EPERM');
  if (pos !== 0 || new TextEncoder().encode(text).length > MAP_WRITE_MAX) throw errno('EINVAL');
  const map = which === 'uid' ? ns.uidMap : ns.gidMap;
  if (map.extents.length !== 0) throw errno('EPERM');
  if (!writer.nsCapable(ns, Cap.SYS_ADMIN)) throw errno('EPERM');
  const extents = parseIdMap(text);
  const cap = which === 'uid' ? Cap.SETUID : Cap.SETGID;
  if (!idmapPermitted(writer, ns, cap, extents)) throw errno('EPERM');
  const parentMap = which === 'uid' ? ns.parent.uidMap : ns.parent.gidMap;
  const lowered = extents.map((e) => {
    const lowerFirst = parentMap.down(e.lowerFirst, e.count);
    if (lowerFirst === INVALID_ID) throw errno('EPERM');
    return { ...e, lowerFirst };
  });
  if (which === 'uid') ns.uidMap = new IdMap(lowered);
  else ns.gidMap = new IdMap(lowered);
}

/**
 * proc_setgroups_write(): "allow" or "deny" (EINVAL otherwise); deny only before the gid_map is
 * written, allow only while not denied (EPERM).
 */
export function writeSetgroups(writer: Credentials, ns: UserNamespace, text: string): void {
  if (!writer.nsCapable(ns, Cap.SYS_ADMIN)) throw errno('EPERM');
  const word = text.replace(/\n$/, '');
  if (word !== 'allow' && word !== 'deny') throw errno('EINVAL');
  if (word === 'allow') {
    if (!ns.setgroupsAllowed) throw errno('EPERM');
    return;
  }
  if (ns.gidMap.extents.length !== 0) throw errno('EPERM');
  ns.setgroupsAllowed = false;
}

/** getresuid(2): real, effective and saved uid as the task's namespace names them (65534 when it cannot). */
export function getresuid(c: Credentials): [number, number, number] {
  return [c.userNs.fromKuidMunged(c.ruid), c.userNs.fromKuidMunged(c.euid), c.userNs.fromKuidMunged(c.suid)];
}

/** getresgid(2). */
export function getresgid(c: Credentials): [number, number, number] {
  return [c.userNs.fromKgidMunged(c.rgid), c.userNs.fromKgidMunged(c.egid), c.userNs.fromKgidMunged(c.sgid)];
}
