// The contract between the addon's two halves: the plan as C structures (marshalled in the parent
// before fork(), only read by the child) and the binary records the child streams back through
// its pipe (written by child.cc, parsed by addon.cc after the child is reaped).
//
// Why a binary stream and not one buffer: a read op may return megabytes and a mountinfo line of
// a deep overlay tens of kilobytes, while the child may not allocate (fork(2) from a
// multi-threaded process: only async-signal-safe calls until _exit, signal-safety(7)). The child
// fills a preallocated buffer and write(2)s it out whenever it is full, so no size limit applies.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vfsemu {

// One plan op, with every name already turned into numbers (MS_*, MNT_*, RENAME_*, capability
// bits) by the TypeScript side, so that the child only copies pointers into syscalls.
enum class OpKind : uint32_t {
  Mkdir, Write, Symlink, Link, Unlink, Rmdir, Rename, Chmod, Chown, Truncate,
  Mount, Umount, Unshare, Setns, Stat, Read, Readdir, Setcred,
  Fsmount,  // a `mount` with `fsconfig`: fsopen + fsconfig a param + fsmount + move_mount
  PivotRoot,  // pivot_root(path, path2); then this namespace's sandbox root is the new root
  Mknod,      // mknodat(AT_FDCWD, path, mode, dev)
  Openpty,    // open(path, O_RDWR|O_NOCTTY), unlockpt, TIOCGPTN; the number as DATA; fd kept open
};

// One fsconfig(2) call of an Fsmount: FSCONFIG_SET_STRING key=value, or FSCONFIG_SET_FLAG key.
struct FsParam {
  std::string key;
  std::string value;
  bool hasValue = false;
};

struct NativeOp {
  OpKind kind = OpKind::Mkdir;
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
};

struct NativePlan {
  std::vector<NativeOp> ops;
  // Kill the child with SIGKILL right after executing this op (the leak test); -1 = never.
  int64_t killAfterOp = -1;
};

// A record on the pipe: this header, then `len` payload bytes.
struct RecordHeader {
  uint32_t kind;
  uint32_t index;  // op index, namespace index or setup step, by kind
  int32_t err;     // 0 or a positive errno
  uint32_t len;    // payload bytes
};

enum RecordKind : uint32_t {
  kSetupFailed = 1,   // index: SetupStep; err: errno. No op runs after it.
  kResult = 2,        // index: op; err: 0 or errno; payload: StatPayload for a successful stat
  kData = 3,          // index: op; payload: the next chunk a read op returned
  kName = 4,          // index: op; payload: one readdir name (not . or ..)
  kMountinfo = 5,     // index: namespace; payload: the next chunk of its mountinfo text
  kMountinfoEnd = 6,  // index: namespace; err: 0, or the errno opening or reading it failed with
  kDone = 7,          // index: the namespace the plan ended in
  kStopped = 8,       // index: the op after which the plan stopped; err: why (see child.cc setns)
};

struct StatPayload {
  uint32_t mode, uid, gid, pad;
  uint64_t size, nlink;
};

// Sandbox set-up steps, in order, named for the setup-failure message.
enum SetupStep : uint32_t {
  kStepPdeathsig, kStepUnshare, kStepPrivate, kStepOpenProc, kStepMountTmpfs, kStepChroot,
  kStepChdir, kStepOpenMountinfo, kStepOpenNs, kStepOpenRoot, kStepCount,
};

inline const char* setupStepName(uint32_t step) {
  static const char* const names[kStepCount] = {
      "prctl(PR_SET_PDEATHSIG, SIGKILL)",
      "unshare(CLONE_NEWNS)",
      "mount(NULL, \"/\", NULL, MS_REC|MS_PRIVATE, NULL)",
      "open(\"/proc\", O_PATH|O_DIRECTORY)",
      "mount(\"none\", \"/tmp\", \"tmpfs\", 0, \"mode=755\")",
      "chroot(\"/tmp\")",
      "chdir(\"/\")",
      "openat(proc, \"self/mountinfo\")",
      "openat(proc, \"self/ns/mnt\")",
      "open(\"/\", O_PATH|O_DIRECTORY)",
  };
  return step < kStepCount ? names[step] : "unknown step";
}

}  // namespace vfsemu
