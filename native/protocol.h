// The contract between the addon's two halves: the plan as C structures (marshalled in the parent
// before the child is cloned, only read by the child) and the binary records the child streams
// back through its pipe (written by child.cc, checked as they arrive by supervise.cc, parsed by
// addon.cc after the child is reaped).
//
// Why a binary stream and not one buffer: a read op may return megabytes and a mountinfo line of
// a deep overlay tens of kilobytes, while the child may not allocate (cloned from a
// multi-threaded process: only async-signal-safe calls until _exit, signal-safety(7)). The child
// fills a preallocated buffer and write(2)s it out whenever it is full; the limits below bound
// what one op and one run may send (docs/native-sandbox.md).
//
// Every record is authenticated: a sequence number and a SipHash-2-4 tag under a key the parent
// draws from getrandom(2) before the clone. Nothing a plan does can learn the key (it lives only
// in the two processes' memory), so bytes a plan manages to put on the pipe are detected, not
// believed: the run is reported as having a corrupted result channel.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace vfsemu {

// One plan op, with every name already turned into numbers (MS_*, MNT_*, RENAME_*, capability
// bits) by the TypeScript side, so that the child only copies pointers into syscalls. The order is
// the wire value: src/host/native-ops.ts lists the same names in the same order (a test checks).
enum class OpKind : uint32_t {
  Mkdir, Write, Symlink, Link, Unlink, Rmdir, Rename, Chmod, Chown, Truncate,
  Mount, Umount, Unshare, Setns, Stat, Read, Readdir, Setcred,
  Fsmount,  // a `mount` with `fsconfig`: fsopen + fsconfig a param + fsmount + move_mount
  PivotRoot,  // pivot_root(path, path2); then this namespace's sandbox root is the new root
  Mknod,      // mknodat(AT_FDCWD, path, mode, dev)
  Openpty,    // open(path, O_RDWR|O_NOCTTY), unlockpt, TIOCGPTN; the number as DATA; fd kept open
  Userns,       // a held child unshares CLONE_NEWUSER; its maps written, its ns/user kept in `slot`
  OpenTree,     // open_tree(AT_FDCWD, path, flags|OPEN_TREE_CLOEXEC), the descriptor kept in `slot`
  MountSetattr, // mount_setattr(path or tree slot, flags, {attrSet, attrClr, propagation, userns slot})
  MoveMount,    // move_mount(path or tree slot, path2)
};

// One fsconfig(2) call of an Fsmount: FSCONFIG_SET_STRING key=value, or FSCONFIG_SET_FLAG key.
struct FsParam {
  std::string key;
  std::string value;
  bool hasValue = false;
};

// Why an op was refused instead of run (plan-format.md "refused"): sent as the negative of the
// code in a RESULT record's err. Static rules (Fstype, Device) are decided in TypeScript and
// marked on the op; the others the child decides as it runs, from what the path is.
enum Refusal : int32_t {
  kRefusedFstype = 1,       // a new superblock of a type outside the allow-list (devtmpfs, ...)
  kRefusedDevice = 2,       // mknod of a device outside the allow-list
  kRefusedPseudoWrite = 3,  // a change to a file of proc, sysfs or a cgroup hierarchy
  kRefusedOutputLimit = 4,  // a read or readdir returning more than kMaxOpBytes
  kRefusedRunLimit = 5,     // the run's ops already returned kMaxRunBytes
  kRefusedCgroupOptions = 6,  // cgroup mount options that change a hierarchy host-wide
  kUnavailable = 7,           // not a refusal: an op this backend cannot run (a 9p mount)
};

// What one op and one run may return through the pipe (data and names; mountinfo aside).
constexpr uint64_t kMaxOpBytes = 16u << 20;
constexpr uint64_t kMaxRunBytes = 64u << 20;
// Everything the parent keeps of one run, mountinfo included: past it the child is killed.
constexpr uint64_t kMaxStreamBytes = 512u << 20;

struct NativeOp {
  OpKind kind = OpKind::Mkdir;
  int32_t refused = 0;  // a Refusal decided before the run: the child reports it, runs nothing
  // Paths and strings, NUL-terminated by std::string; c_str() neither allocates nor throws.
  std::string path;    // path, oldpath (link/rename), target (mount/umount)
  std::string path2;   // newpath (link/rename), symlink target, mount source
  std::string fstype;  // mount
  std::string data;    // write data, mount data
  bool hasData = false;  // mount: absent data is NULL, "" stays an empty string (record.py)
  uint32_t mode = 0;
  uint32_t uid = 0, gid = 0;  // chown, setcred; (uint32_t)-1 leaves an id unchanged
  uint64_t flags = 0;         // mount, umount, rename flags; unshare: CLONE_* flags; stat: 1 = nofollow
  int64_t length = 0;         // truncate
  int64_t ns = 0;             // setns
  uint64_t dev = 0;           // mknod: the device number, already makedev()'d
  bool hasGroups = false;
  std::vector<uint32_t> groups;  // setcred: gid_t list for setgroups(2)
  uint64_t caps = 0;             // setcred: effective = permitted set
  std::vector<FsParam> params;   // fsmount: the fsconfig calls, in order (flags: MOUNT_ATTR_*)
  bool badAttrs = false;         // fsmount: a plan flag fsmount(2) does not take (EINVAL)
  // A new user namespace's /proc/PID/{setgroups,uid_map,gid_map} text, written in that order
  // (unshare with CLONE_NEWUSER, userns); absent ones are not written.
  bool hasSetgroups = false, hasUidMap = false, hasGidMap = false;
  std::string setgroups, uidMap, gidMap;
  // Descriptor slots (docs/plan-format.md indices): the one this op fills (userns, open_tree,
  // unshare with CLONE_NEWUSER; -1 none); the tree a mount_setattr or move_mount acts on (byTree;
  // -1 is a closed descriptor); the user namespace of MOUNT_ATTR_IDMAP (-1: a closed descriptor).
  int64_t slot = -1;
  bool byTree = false;
  int64_t tree = -1;
  int64_t userns = -1;
  uint64_t attrSet = 0, attrClr = 0, propagation = 0;  // mount_setattr: struct mount_attr
};

struct NativePlan {
  std::vector<NativeOp> ops;
  // Kill the child with SIGKILL right after executing this op (the leak test); -1 = never.
  int64_t killAfterOp = -1;
  // After this op, write unauthenticated bytes to the pipe as a plan that reached it would (the
  // hostile suite's check of the record tags); -1 = never.
  int64_t garbageAfterOp = -1;
  // mkdir and rmdir may make and remove cgroups (src/plan/policy.ts; dry-run --native only).
  bool allowCgroupDirs = false;
};

// A record on the pipe: this header, then `len` payload bytes.
struct RecordHeader {
  uint32_t kind;
  uint32_t index;  // op index, namespace index or setup step, by kind
  int32_t err;     // 0, a positive errno, or a negative Refusal
  uint32_t len;    // payload bytes
  uint64_t seq;    // 0, 1, 2, ... in the order written
  uint64_t tag;    // SipHash-2-4 of the header (tag 0) and the payload, under the run's key
};

// The run's SipHash key, drawn by the parent before the clone.
struct RecordKey {
  uint64_t k0 = 0, k1 = 0;
};

// SipHash-2-4 (Aumasson and Bernstein) of a record: its header with `tag` zero, then its
// payload. Allocation-free, so the child may call it.
uint64_t recordTag(const RecordKey& key, const RecordHeader& h, const void* payload, size_t len) noexcept;
// SipHash-2-4 of one buffer (the addon exports it so a test can check the reference vectors).
uint64_t sipHash24(const RecordKey& key, const void* data, size_t len) noexcept;

enum RecordKind : uint32_t {
  kSetupFailed = 1,   // index: SetupStep; err: errno. No op runs after it.
  kResult = 2,        // index: op; err: 0 or errno; payload: StatPayload for a successful stat
  kData = 3,          // index: op; payload: the next chunk a read op returned
  kName = 4,          // index: op; payload: one readdir name (not . or ..)
  kMountinfo = 5,     // index: namespace; payload: the next chunk of its mountinfo text
  kMountinfoEnd = 6,  // index: namespace; err: 0, or the errno opening or reading it failed with
  kDone = 7,          // index: the namespace the plan ended in
  kStopped = 8,       // index: the op after which the plan stopped; err: why (see child.cc setns)
  kAwaitKill = 9,     // index: the op killAfterOp just ran, unreported; the parent SIGKILLs now
};

struct StatPayload {
  uint32_t mode, uid, gid, pad;
  uint64_t size, nlink;
};

// Sandbox set-up steps, in order, named for the setup-failure message.
enum SetupStep : uint32_t {
  kStepPdeathsig, kStepParentGone, kStepPrivate, kStepMountTmpfs, kStepProcInstance, kStepChdirSandbox,
  kStepPivotRoot, kStepDetachOldRoot, kStepChdir, kStepOpenMountinfo, kStepOpenNs, kStepOpenRoot,
  kStepCount,
};

inline const char* setupStepName(uint32_t step) {
  static const char* const names[kStepCount] = {
      "prctl(PR_SET_PDEATHSIG, SIGKILL)",
      "poll(parent pidfd): the parent exited before the child could follow it",
      "mount(NULL, \"/\", NULL, MS_REC|MS_PRIVATE, NULL)",
      "mount(\"none\", \"/tmp\", \"tmpfs\", 0, \"mode=755\")",
      "fsopen(\"proc\") + fsmount(): a detached proc of the child's PID namespace",
      "chdir(\"/tmp\")",
      "pivot_root(\".\", \".\")",
      "umount2(\".\", MNT_DETACH) of the host's root",
      "chdir(\"/\")",
      "openat(proc, \"self/mountinfo\")",
      "openat(proc, \"self/ns/mnt\")",
      "open(\"/\", O_PATH|O_DIRECTORY)",
  };
  return step < kStepCount ? names[step] : "unknown step";
}

}  // namespace vfsemu
