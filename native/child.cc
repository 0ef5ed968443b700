// The sandbox child: the first process of its own PID, mount, UTS and IPC namespaces (cloned so
// by supervise.cc), it makes a fresh tmpfs its root by pivot_root with the host's root detached,
// reads mount tables through a detached proc instance of its own PID namespace, and runs the plan
// one syscall an op as test/kernel/record.py does — with two differences a hostile plan needs
// (docs/native-sandbox.md): no path is resolved through a proc magic link (RESOLVE_NO_MAGICLINKS:
// ELOOP), and the policy's refusals (protocol.h Refusal) are reported instead of run. Results and
// every namespace's mountinfo go to the parent as authenticated records (protocol.h).
//
// Everything here runs between clone(2) and _exit(2) in a copy of a multi-threaded process, so
// it makes raw syscall(2)s only and touches no allocator (signal-safety(7)); the buffers and
// descriptor tables come from ChildScratch, allocated before the clone.
#include "child.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstddef>
#include <cstring>
#include <type_traits>

#if !defined(__x86_64__) && !defined(__aarch64__)
#error "vfsemu_native: newfstatat(2) with struct stat is wired for x86_64 and aarch64 only"
#endif

namespace vfsemu {

ChildScratch::ChildScratch(const NativePlan& plan, const RecordKey& k) : out(1 << 16), io(1 << 16), pathBuf(PATH_MAX + 1), key(k) {
  size_t namespaces = 1, trees = 0, userns = 1;
  for (const NativeOp& op : plan.ops) {
    namespaces += op.kind == OpKind::Unshare;
    if (op.slot < 0) continue;
    size_t& n = op.kind == OpKind::OpenTree ? trees : userns;
    if (static_cast<size_t>(op.slot) + 1 > n) n = static_cast<size_t>(op.slot) + 1;
  }
  mountinfoFds.assign(namespaces, -EBADF);
  nsFds.assign(namespaces, -EBADF);
  rootFds.assign(namespaces, -EBADF);
  treeFds.assign(trees, -EBADF);
  usernsFds.assign(userns, -EBADF);
}

namespace {

// Arguments of syscall(2) are read back as longs: widen each explicitly, so that an int such as
// AT_FDCWD or a pointer never leaves stale upper register bits.
template <typename T>
long arg(T v) noexcept {
  if constexpr (std::is_null_pointer_v<T>) return 0;
  else if constexpr (std::is_pointer_v<T>) return reinterpret_cast<long>(v);
  else return static_cast<long>(v);
}

// A syscall's result: >= 0, or -errno.
template <typename... A>
long sys(long nr, A... a) noexcept {
  long r = syscall(nr, arg(a)...);
  return r == -1 ? -errno : r;
}

// The errno of a call that returns 0 on success.
template <typename... A>
int call(long nr, A... a) noexcept {
  long r = sys(nr, a...);
  return r < 0 ? static_cast<int>(-r) : 0;
}

[[noreturn]] void exitGroup(int code) noexcept {
  for (;;) syscall(SYS_exit_group, code);
}

// Exit statuses the parent names when no DONE record came.
constexpr int kExitPipeFailed = 3;

// Appends records to the preallocated buffer and writes it out when full. Each record gets the
// next sequence number and its tag (protocol.h).
class Writer {
 public:
  Writer(std::vector<char>& buf, int fd, const RecordKey& key) noexcept : buf_(buf.data()), cap_(buf.size()), fd_(fd), key_(key) {}

  void record(RecordKind kind, uint32_t index, int err, const void* payload, size_t len) noexcept {
    RecordHeader h{kind, index, err, static_cast<uint32_t>(len), seq_++, 0};
    h.tag = recordTag(key_, h, payload, len);
    if (used_ + sizeof h + len > cap_) flush();
    if (sizeof h + len > cap_) {
      // Larger than the whole buffer (a long mountinfo line never is: chunks are io-sized).
      writeAll(&h, sizeof h);
      writeAll(payload, len);
      return;
    }
    std::memcpy(buf_ + used_, &h, sizeof h);
    if (len) std::memcpy(buf_ + used_ + sizeof h, payload, len);
    used_ += sizeof h + len;
  }

  void flush() noexcept {
    writeAll(buf_, used_);
    used_ = 0;
  }

  // The pipe, for a forked helper to close: it must never write to it.
  int fd() const noexcept { return fd_; }

  // Bytes straight to the pipe, outside the record framing (the hostile suite's forgery).
  void raw(const void* p, size_t len) noexcept { writeAll(p, len); }

 private:
  // write(2) may write less than asked to a pipe; a failure means the parent is gone (EPIPE:
  // Node ignores SIGPIPE, and the child inherits that) or killed us anyway.
  void writeAll(const void* p, size_t len) noexcept {
    const char* c = static_cast<const char*>(p);
    while (len > 0) {
      long n = sys(SYS_write, fd_, c, len);
      if (n == -EINTR) continue;
      if (n <= 0) exitGroup(kExitPipeFailed);
      c += n;
      len -= static_cast<size_t>(n);
    }
  }

  char* buf_;
  size_t cap_;
  size_t used_ = 0;
  int fd_;
  const RecordKey& key_;
  uint64_t seq_ = 0;
};

[[noreturn]] void setupFailed(Writer& w, SetupStep step, int err) noexcept {
  w.record(kSetupFailed, step, err, nullptr, 0);
  w.flush();
  exitGroup(0);
}

// The type bits and the fields docs/plan-format.md's stat result carries.
StatPayload statPayload(const struct stat& st) noexcept {
  StatPayload p{};
  p.mode = st.st_mode;
  p.uid = st.st_uid;
  p.gid = st.st_gid;
  p.size = static_cast<uint64_t>(st.st_size);
  p.nlink = static_cast<uint64_t>(st.st_nlink);
  return p;
}

class Runner {
 public:
  Runner(const NativePlan& plan, ChildScratch& s, Writer& w, int procFd) noexcept
      : plan_(plan), s_(s), w_(w), procFd_(procFd) {}

  // Opens the descriptors that stand for the namespace the child is in now, as namespace `ns`.
  // self/mountinfo is opened here and read only at the end: the kernel fixes the reader's
  // namespace and root when the file is opened and renders the table when it is read
  // (fs/proc_namespace.c mounts_open_common), so each descriptor later shows its namespace's
  // final table from its sandbox root, even after setcred dropped the right to open it.
  // False when one failed: the first failing step in *step, its errno in *err.
  // With `rootMoved`, only the two that depend on the root (after pivot_root) are opened again.
  bool openNamespace(size_t ns, SetupStep* step, int* err, bool rootMoved = false) noexcept {
    struct Want {
      std::vector<int>& fds;
      int dir;
      const char* path;
      int flags;
      SetupStep step;
    } wants[] = {
        {s_.mountinfoFds, procFd_, "self/mountinfo", O_RDONLY | O_CLOEXEC, kStepOpenMountinfo},
        {s_.nsFds, procFd_, "self/ns/mnt", O_RDONLY | O_CLOEXEC, kStepOpenNs},
        // O_PATH: remembering the root must not need read permission on it (open(2)).
        {s_.rootFds, AT_FDCWD, "/", O_PATH | O_DIRECTORY | O_CLOEXEC, kStepOpenRoot},
    };
    bool ok = true;
    for (Want& want : wants) {
      if (rootMoved && &want.fds == &s_.nsFds) continue;
      long fd = sys(SYS_openat, want.dir, want.path, want.flags, 0);
      want.fds[ns] = static_cast<int>(fd);
      if (fd < 0 && ok) {
        ok = false;
        *step = want.step;
        *err = static_cast<int>(-fd);
      }
    }
    return ok;
  }

  [[noreturn]] void run() noexcept {
    SetupStep step = kStepOpenMountinfo;
    int err = 0;
    if (!openNamespace(0, &step, &err)) setupFailed(w_, step, err);
    namespaces_ = 1;
    // User namespace 0, for a mount_setattr that names it; failing to open it fails only such an op.
    s_.usernsFds[0] = static_cast<int>(sys(SYS_openat, procFd_, "self/ns/user", O_RDONLY | O_CLOEXEC, 0));
    for (size_t i = 0; i < plan_.ops.size(); i++) {
      StatPayload st{};
      bool isStat = false;
      // An open may sleep for good (a FIFO without its peer, a device): what ran before it is
      // sent first, so that a run the parent times out still reports it.
      const OpKind k = plan_.ops[i].kind;
      if (k == OpKind::Read || k == OpKind::Readdir || k == OpKind::Write || k == OpKind::Openpty) w_.flush();
      int e = apply(plan_.ops[i], static_cast<uint32_t>(i), &st, &isStat);
      if (static_cast<int64_t>(i) == plan_.killAfterOp) {
        // Die mid-plan as a crash would: the op ran, its result is never reported. The parent
        // does the killing when it reads AWAIT_KILL: the first process of a PID namespace
        // ignores a SIGKILL it sends itself (pid_namespaces(7)).
        w_.record(kAwaitKill, static_cast<uint32_t>(i), 0, nullptr, 0);
        w_.flush();
        for (;;) syscall(SYS_pause);
      }
      if (e == 0 && isStat) w_.record(kResult, static_cast<uint32_t>(i), 0, &st, sizeof st);
      else w_.record(kResult, static_cast<uint32_t>(i), e, nullptr, 0);
      if (static_cast<int64_t>(i) == plan_.garbageAfterOp) {
        // What a plan that reached the pipe could write: a header-shaped record without the key.
        w_.flush();
        RecordHeader fake{kDone, 0, 0, 0, 0, 0};
        w_.raw(&fake, sizeof fake);
      }
      if (outside_) {
        w_.record(kStopped, static_cast<uint32_t>(i), e, nullptr, 0);
        break;
      }
    }
    for (size_t ns = 0; ns < namespaces_; ns++) sendMountinfo(static_cast<uint32_t>(ns));
    w_.record(kDone, static_cast<uint32_t>(current_), 0, nullptr, 0);
    w_.flush();
    exitGroup(0);
  }

 private:
  // One op: 0, its errno, or a negative Refusal. First the policy and the magic-link rule
  // (docs/native-sandbox.md), then the syscall docs/plan-format.md names for it.
  int apply(const NativeOp& op, uint32_t index, StatPayload* st, bool* isStat) noexcept {
    if (op.refused) return -op.refused;
    if (int e = checkPaths(op)) return e;
    if (pseudoWrite(op)) return -kRefusedPseudoWrite;
    if (cgroupRemount(op)) return -kRefusedCgroupOptions;
    return run(op, index, st, isStat);
  }

  // A remount's options go to the superblock mounted there (cgroup1_reconfigure can set the host
  // hierarchy's release_agent): refused with any options on cgroup and cgroup2.
  bool cgroupRemount(const NativeOp& op) noexcept {
    if (op.kind != OpKind::Mount || !(op.flags & MS_REMOUNT) || op.flags & MS_BIND) return false;
    if (!op.hasData || op.data.empty()) return false;
    return cgroup(fsMagic(op.path.c_str(), true));
  }

  // RESOLVE_NO_MAGICLINKS for every path the op's syscall resolves (openat2(2)): a path that
  // crosses a proc magic link (/proc/self/fd/N, /proc/self/exe, /proc/N/root, ...) is ELOOP and
  // the op does not run. Plain symlinks are followed as the syscall itself follows them.
  int checkPaths(const NativeOp& op) noexcept {
    const char* path = op.path.c_str();
    const char* path2 = op.path2.c_str();
    switch (op.kind) {
      case OpKind::Mkdir:
      case OpKind::Symlink:
      case OpKind::Unlink:
      case OpKind::Rmdir:
      case OpKind::Chown:
      case OpKind::Mknod:
        return magicLink(path, false);
      case OpKind::Link:
      case OpKind::Rename:
        if (int e = magicLink(path, false)) return e;
        return magicLink(path2, false);
      case OpKind::Chmod:
      case OpKind::Truncate:
      case OpKind::Write:
        return magicLink(path, true);
      case OpKind::Stat:
        return magicLink(path, op.flags == 0);
      case OpKind::Umount:
        // Not checked: the check's own lookup would drop an MNT_EXPIRE mark (mntput() clears
        // it; umount's lookup uses mntput_no_expire), and a magic link leads umount nowhere
        // but into this child's own mounts (no host descriptor is open here).
        return 0;
      case OpKind::Mount:
        if (int e = magicLink(path, true)) return e;
        // A bind's or a move's source is a path; other sources name a device or nothing.
        return op.flags & (MS_BIND | MS_MOVE) ? magicLink(path2, true) : 0;
      case OpKind::Fsmount:
        return magicLink(path, true);
      case OpKind::PivotRoot:
        if (int e = magicLink(path, true)) return e;
        return magicLink(path2, true);
      case OpKind::OpenTree:
        return magicLink(path, !(op.flags & AT_SYMLINK_NOFOLLOW));
      case OpKind::MountSetattr:
        return op.byTree ? 0 : magicLink(path, !(op.flags & AT_SYMLINK_NOFOLLOW));
      case OpKind::MoveMount:
        // move_mount(2) follows neither path's last symlink without MOVE_MOUNT_[FT]_SYMLINKS.
        if (!op.byTree)
          if (int e = magicLink(path, false)) return e;
        return magicLink(path2, false);
      case OpKind::Userns:
        return 0;
      // These open their path with openat2(RESOLVE_NO_MAGICLINKS) themselves; the rest take none.
      case OpKind::Read:
      case OpKind::Readdir:
      case OpKind::Openpty:
      case OpKind::Unshare:
      case OpKind::Setns:
      case OpKind::Setcred:
        return 0;
    }
    return 0;
  }

  // ELOOP when resolving `path` (its last component too when `follow`) crosses a magic link,
  // else 0: whatever else goes wrong on the way is the syscall's own errno to give. An ELOOP of
  // the checked walk is the magic link's only when the same walk without the rule is not ELOOP
  // (a loop of plain symlinks is the syscall's ELOOP).
  int magicLink(const char* path, bool follow) noexcept {
    open_how how{};
    how.flags = O_PATH | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW);
    how.resolve = RESOLVE_NO_MAGICLINKS;
    long fd = sys(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
    if (fd >= 0) {
      call(SYS_close, fd);
      return 0;
    }
    if (fd != -ELOOP) return 0;
    how.resolve = 0;
    long again = sys(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
    if (again >= 0) call(SYS_close, again);
    return again == -ELOOP ? 0 : ELOOP;
  }

  // open(2) as the plan's ops open: openat2 with RESOLVE_NO_MAGICLINKS, otherwise open(2)'s
  // semantics (flags and mode as given).
  long openPlanPath(const char* path, int flags, uint32_t mode) noexcept {
    open_how how{};
    how.flags = static_cast<uint64_t>(flags) | O_CLOEXEC;
    how.mode = flags & (O_CREAT | O_TMPFILE) ? mode : 0;
    how.resolve = RESOLVE_NO_MAGICLINKS;
    return sys(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
  }

  // The policy's rule on pseudo filesystems: no op changes a file or a name of proc, sysfs or a
  // cgroup hierarchy (a run may allow mkdir and rmdir of cgroups: dry-run --native). What is
  // checked is what the op changes: the object itself (as the op resolves it) for write, truncate,
  // chmod, chown and link's old path; the directory holding the name for an op that makes or
  // removes a name (a write that creates its file included).
  bool pseudoWrite(const NativeOp& op) noexcept {
    switch (op.kind) {
      case OpKind::Mkdir:
      case OpKind::Rmdir: {
        long m = fsMagic(dirOf(op.path), true);
        return pseudo(m) && !(plan_.allowCgroupDirs && cgroup(m));
      }
      case OpKind::Write: {
        long m = fsMagic(op.path.c_str(), true);
        return pseudo(m == -ENOENT ? fsMagic(dirOf(op.path), true) : m);
      }
      case OpKind::Truncate:
      case OpKind::Chmod:
        return pseudo(fsMagic(op.path.c_str(), true));
      case OpKind::Chown:
        return pseudo(fsMagic(op.path.c_str(), false));
      case OpKind::Symlink:
      case OpKind::Mknod:
      case OpKind::Unlink:
        return pseudo(fsMagic(dirOf(op.path), true));
      case OpKind::Link:
        return pseudo(fsMagic(op.path.c_str(), false)) || pseudo(fsMagic(dirOf(op.path2), true));
      case OpKind::Rename:
        return pseudo(fsMagic(dirOf(op.path), true)) || pseudo(fsMagic(dirOf(op.path2), true));
      default:
        return false;
    }
  }

  static bool cgroup(long magic) noexcept { return magic == CGROUP_SUPER_MAGIC || magic == CGROUP2_SUPER_MAGIC; }
  static bool pseudo(long magic) noexcept { return magic == PROC_SUPER_MAGIC || magic == SYSFS_MAGIC || cgroup(magic); }

  // statfs(2)'s f_type of the filesystem `path` lies on, or -errno when it cannot be opened
  // (O_PATH, RESOLVE_NO_MAGICLINKS; a symlink itself when not `follow`).
  long fsMagic(const char* path, bool follow) noexcept {
    if (!path) return -ENAMETOOLONG;
    open_how how{};
    how.flags = O_PATH | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW);
    how.resolve = RESOLVE_NO_MAGICLINKS;
    long fd = sys(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
    if (fd < 0) return fd;
    struct statfs sfs;
    int e = call(SYS_fstatfs, fd, &sfs);
    call(SYS_close, fd);
    return e ? -e : static_cast<long>(static_cast<unsigned long>(sfs.f_type) & 0xffffffffUL);
  }

  // The directory part of an absolute path (dirname(3) without allocation), in pathBuf; null
  // when it does not fit (the syscall then gives ENAMETOOLONG itself).
  const char* dirOf(const std::string& path) noexcept {
    size_t n = path.size();
    if (n + 1 > s_.pathBuf.size()) return nullptr;
    while (n > 1 && path[n - 1] == '/') n--;  // "/a/b/" names b
    while (n > 0 && path[n - 1] != '/') n--;  // drop the last name
    while (n > 1 && path[n - 1] == '/') n--;  // "/a//b" is in /a
    if (n == 0) {
      s_.pathBuf[0] = '.';
      n = 1;
    } else {
      std::memcpy(s_.pathBuf.data(), path.data(), n);
    }
    s_.pathBuf[n] = '\0';
    return s_.pathBuf.data();
  }

  // The op's syscall(s): its errno, or 0 (or a refusal of the output limits).
  int run(const NativeOp& op, uint32_t index, StatPayload* st, bool* isStat) noexcept {
    const char* path = op.path.c_str();
    const char* path2 = op.path2.c_str();
    switch (op.kind) {
      case OpKind::Mkdir:
        return call(SYS_mkdirat, AT_FDCWD, path, op.mode);
      case OpKind::Write:
        return write(op);
      case OpKind::Symlink:
        return call(SYS_symlinkat, path2, AT_FDCWD, path);
      case OpKind::Link:
        // link(2) is linkat(AT_FDCWD, old, AT_FDCWD, new, 0): a symlink oldpath is not followed.
        return call(SYS_linkat, AT_FDCWD, path, AT_FDCWD, path2, 0);
      case OpKind::Unlink:
        return call(SYS_unlinkat, AT_FDCWD, path, 0);
      case OpKind::Rmdir:
        return call(SYS_unlinkat, AT_FDCWD, path, AT_REMOVEDIR);
      case OpKind::Rename:
        return call(SYS_renameat2, AT_FDCWD, path, AT_FDCWD, path2, op.flags);
      case OpKind::Chmod:
        return call(SYS_fchmodat, AT_FDCWD, path, op.mode);
      case OpKind::Chown:
        // lchown(2): the ids of a symlink itself.
        return call(SYS_fchownat, AT_FDCWD, path, op.uid, op.gid, AT_SYMLINK_NOFOLLOW);
      case OpKind::Truncate:
        return call(SYS_truncate, path, op.length);
      case OpKind::Mount:
        // Plan strings reach mount(2) as they are: "" is an empty string, only absent data is
        // NULL (record.py sys_mount).
        return call(SYS_mount, path2, path, op.fstype.c_str(), op.flags, op.hasData ? op.data.c_str() : nullptr);
      case OpKind::Umount:
        return call(SYS_umount2, path, op.flags);
      case OpKind::Unshare:
        return unshare(op);
      case OpKind::Setns:
        return setns(op.ns);
      case OpKind::Stat: {
        struct stat sb;
        int e = call(SYS_newfstatat, AT_FDCWD, path, &sb, op.flags ? AT_SYMLINK_NOFOLLOW : 0);
        if (e == 0) {
          *st = statPayload(sb);
          *isStat = true;
        }
        return e;
      }
      case OpKind::Read:
        return read(op, index);
      case OpKind::Readdir:
        return readdir(op, index);
      case OpKind::Setcred:
        return setcred(op);
      case OpKind::PivotRoot:
        return pivotRoot(op);
      case OpKind::Mknod:
        return call(SYS_mknodat, AT_FDCWD, path, op.mode, op.dev);
      case OpKind::Openpty:
        return openpty(op, index);
      case OpKind::Fsmount:
        return fsmount(op);
      case OpKind::Userns:
        return userns(op);
      case OpKind::OpenTree: {
        long fd = sys(SYS_open_tree, AT_FDCWD, path, op.flags | OPEN_TREE_CLOEXEC);
        if (fd < 0) return static_cast<int>(-fd);
        s_.treeFds[op.slot] = static_cast<int>(fd);
        return 0;
      }
      case OpKind::MountSetattr: {
        mount_attr attr{};
        attr.attr_set = op.attrSet;
        attr.attr_clr = op.attrClr;
        attr.propagation = op.propagation;
        // A closed descriptor where the plan's index has none: the kernel's EBADF, in its order.
        // INT_MAX, never open (RLIMIT_NOFILE is far below), and not -1: a userns_fd above
        // INT_MAX is EINVAL on 6.18, not EBADF (measured).
        int userns = slotFd(s_.usernsFds, op.userns);
        attr.userns_fd = static_cast<uint64_t>(userns < 0 ? kClosedFd : userns);
        if (op.byTree) return call(SYS_mount_setattr, slotFd(s_.treeFds, op.tree), "", op.flags | AT_EMPTY_PATH, &attr, sizeof attr);
        return call(SYS_mount_setattr, AT_FDCWD, path, op.flags, &attr, sizeof attr);
      }
      case OpKind::MoveMount:
        if (op.byTree) return call(SYS_move_mount, slotFd(s_.treeFds, op.tree), "", AT_FDCWD, path2, MOVE_MOUNT_F_EMPTY_PATH);
        return call(SYS_move_mount, AT_FDCWD, path, AT_FDCWD, path2, 0);
    }
    return EINVAL;
  }

  static constexpr int kClosedFd = 0x7fffffff;

  // The descriptor in slot `i`, or -1 (closed) when the slot is out of range or holds none.
  static int slotFd(const std::vector<int>& fds, int64_t i) noexcept {
    if (i < 0 || static_cast<uint64_t>(i) >= fds.size() || fds[i] < 0) return -1;
    return fds[i];
  }

  // "PID/name" in buf (at least 64 bytes), for openat(procFd, ...) of another task of this PID
  // namespace.
  static const char* procPath(char* buf, long pid, const char* name) noexcept {
    char digits[24];
    size_t n = 0;
    do digits[n++] = static_cast<char>('0' + pid % 10);
    while ((pid /= 10) != 0);
    size_t len = 0;
    while (n > 0) buf[len++] = digits[--n];
    buf[len++] = '/';
    while (*name && len < 63) buf[len++] = *name++;
    buf[len] = '\0';
    return buf;
  }

  // A runtime parent's writes for the user namespace of task `pid`, in the order the kernel needs
  // them (user_namespaces(7)): setgroups, uid_map, gid_map, each one write(2) at offset 0 as
  // map_write() takes it. The first failing open or write is the errno; 0 when all were made.
  int writeMaps(long pid, const NativeOp& op) noexcept {
    struct File {
      bool want;
      const char* name;
      const std::string& text;
    } files[] = {{op.hasSetgroups, "setgroups", op.setgroups}, {op.hasUidMap, "uid_map", op.uidMap}, {op.hasGidMap, "gid_map", op.gidMap}};
    char buf[64];
    for (const File& f : files) {
      if (!f.want) continue;
      long fd = sys(SYS_openat, procFd_, procPath(buf, pid, f.name), O_WRONLY | O_CLOEXEC, 0);
      if (fd < 0) return static_cast<int>(-fd);
      long n = sys(SYS_write, fd, f.text.data(), f.text.size());
      call(SYS_close, fd);
      if (n < 0) return static_cast<int>(-n);
    }
    return 0;
  }

  // fork(2) as a raw clone: this child is single-threaded, so its copy may go on running here.
  static long forkRaw() noexcept { return sys(SYS_clone, SIGCHLD, 0, 0, 0, 0); }

  // Reads one int from a pipe, or returns `otherwise` when the writer went away without one.
  static int readInt(int fd, int otherwise) noexcept {
    int v = 0;
    long n;
    do n = sys(SYS_read, fd, &v, sizeof v);
    while (n == -EINTR);
    return n == static_cast<long>(sizeof v) ? v : otherwise;
  }

  static void writeInt(int fd, int v) noexcept {
    long n;
    do n = sys(SYS_write, fd, &v, sizeof v);
    while (n == -EINTR);
  }

  // Reaps `pid` (a helper of this op: it has exited or been killed).
  static void reap(long pid) noexcept {
    int status;
    while (sys(SYS_wait4, pid, &status, 0, nullptr) == -EINTR) {
    }
  }

  // containerd's GetUsernsFD: a held child unshares CLONE_NEWUSER and waits; this task, still in
  // the parent user namespace, writes its maps, keeps a descriptor of /proc/PID/ns/user, then
  // kills and reaps it. The held child makes itself dumpable first, as runc's nsexec does, so
  // that its /proc files belong to its own uid and not to root (task_dump_owner()) whatever
  // setcred did before. On any failure the op has that errno and the index no descriptor.
  int userns(const NativeOp& op) noexcept {
    int ready[2];
    if (int e = call(SYS_pipe2, ready, O_CLOEXEC)) return e;
    long pid = forkRaw();
    if (pid == 0) {
      call(SYS_close, ready[0]);
      call(SYS_close, w_.fd());
      call(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
      call(SYS_prctl, PR_SET_DUMPABLE, 1, 0, 0, 0);
      // Its pid as the detached proc numbers it (not getpid(2): the plan may run in a nested
      // PID namespace), then the unshare's errno.
      const long me = procPid();
      writeInt(ready[1], me < 0 ? -1 : static_cast<int>(me));
      writeInt(ready[1], me < 0 ? static_cast<int>(-me) : call(SYS_unshare, CLONE_NEWUSER));
      for (;;) syscall(SYS_pause);
    }
    call(SYS_close, ready[1]);
    if (pid < 0) {
      call(SYS_close, ready[0]);
      return static_cast<int>(-pid);
    }
    const int inProc = readInt(ready[0], -1);
    int e = readInt(ready[0], EIO);
    call(SYS_close, ready[0]);
    if (!e && inProc <= 0) e = EIO;
    if (!e) e = writeMaps(inProc, op);
    if (!e) {
      char buf[64];
      long fd = sys(SYS_openat, procFd_, procPath(buf, inProc, "ns/user"), O_RDONLY | O_CLOEXEC, 0);
      if (fd < 0) e = static_cast<int>(-fd);
      else s_.usernsFds[op.slot] = static_cast<int>(fd);
    }
    call(SYS_kill, pid, SIGKILL);
    reap(pid);
    return e;
  }

  // open(O_WRONLY|O_CREAT|O_TRUNC), write(2) until all is written, close(2); as in record.py
  // (Python's try/finally), a failing close(2) is the op's errno even after a failed write.
  int write(const NativeOp& op) noexcept {
    long fd = openPlanPath(op.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, op.mode);
    if (fd < 0) return static_cast<int>(-fd);
    int e = 0;
    const char* p = op.data.data();
    size_t left = op.data.size();
    while (left > 0) {
      long n = sys(SYS_write, fd, p, left);
      if (n < 0) {
        e = static_cast<int>(-n);
        break;
      }
      p += n;
      left -= static_cast<size_t>(n);
    }
    int c = call(SYS_close, fd);
    return c ? c : e;
  }

  // Calls chunk(n) for each non-empty result of read(2) or getdents64(2) (`nr`) into io, until
  // it returns 0 (or chunk returns false); the errno of a failing call, or 0.
  template <typename F>
  int eachChunk(int fd, long nr, F chunk) noexcept {
    for (;;) {
      long n = sys(nr, fd, s_.io.data(), s_.io.size());
      if (n <= 0) return static_cast<int>(-n);
      if (!chunk(static_cast<size_t>(n))) return 0;
    }
  }

  // open(2) (openPlanPath), eachChunk, close(2); as in record.py (Python's try/finally), a failing
  // close(2) is the op's errno even after a failed read. `count` gives the bytes a chunk returns
  // to the plan: past kMaxOpBytes the op is refused (the parent drops what it sent), and once the
  // run's ops have returned kMaxRunBytes no read or readdir runs (protocol.h; the emulator counts
  // the same way: src/plan/policy.ts).
  template <typename F, typename C>
  int openAndRead(const NativeOp& op, int flags, long nr, F chunk, C count) noexcept {
    if (runBytes_ >= kMaxRunBytes) return -kRefusedRunLimit;
    long fd = openPlanPath(op.path.c_str(), flags, 0);
    if (fd < 0) return static_cast<int>(-fd);
    uint64_t bytes = 0;
    int e = eachChunk(static_cast<int>(fd), nr, [&](size_t n) {
      bytes += count(n);
      if (bytes > kMaxOpBytes) return false;
      chunk(n);
      return true;
    });
    int c = call(SYS_close, fd);
    runBytes_ += bytes > kMaxOpBytes ? kMaxOpBytes : bytes;
    if (c || e) return c ? c : e;
    return bytes > kMaxOpBytes ? -kRefusedOutputLimit : 0;
  }

  // open(O_RDONLY), read(2) to EOF, each chunk a DATA record.
  int read(const NativeOp& op, uint32_t index) noexcept {
    return openAndRead(
        op, O_RDONLY, SYS_read, [&](size_t n) { w_.record(kData, index, 0, s_.io.data(), n); }, [](size_t n) { return n; });
  }

  // open(O_RDONLY|O_DIRECTORY), getdents64(2) until it returns 0 — not glibc's readdir(3), which
  // turns the ENOENT of a removed directory into an empty listing (record.py sys_getdents) —
  // each name but . and .. a NAME record.
  int readdir(const NativeOp& op, uint32_t index) noexcept {
    // struct linux_dirent64 (getdents(2)): d_ino, d_off, d_reclen, d_type, d_name; each name but
    // . and .. in a chunk of n bytes.
    auto names = [&](size_t n, auto each) {
      for (size_t off = 0; off < n;) {
        const char* d = s_.io.data() + off;
        uint16_t reclen;
        std::memcpy(&reclen, d + 16, sizeof reclen);
        const char* name = d + 19;
        size_t len = strnlen(name, reclen - 19u);
        bool dots = (len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.');
        if (!dots) each(name, len);
        off += reclen;
      }
    };
    return openAndRead(
        op, O_RDONLY | O_DIRECTORY, SYS_getdents64,
        [&](size_t n) { names(n, [&](const char* name, size_t len) { w_.record(kName, index, 0, name, len); }); },
        [&](size_t n) {
          size_t total = 0;
          names(n, [&](const char*, size_t len) { total += len; });
          return total;
        });
  }

  // The new mount API (docs/plan-format.md `fsconfig`): fsopen(fstype), the source and
  // one fsconfig(2) a parameter, FSCONFIG_CMD_CREATE, fsmount() with the per-mount attributes,
  // move_mount() onto the target. No page limit: a long lowerdir list goes one `lowerdir+` a
  // layer. The first failing call's errno is the op's; the descriptors are closed either way.
  int fsmount(const NativeOp& op) noexcept {
    if (op.badAttrs) return EINVAL;
    long fd = sys(SYS_fsopen, op.fstype.c_str(), FSOPEN_CLOEXEC);
    if (fd < 0) return static_cast<int>(-fd);
    int e = 0;
    if (!op.path2.empty()) e = call(SYS_fsconfig, fd, FSCONFIG_SET_STRING, "source", op.path2.c_str(), 0);
    for (const FsParam& p : op.params) {
      if (e) break;
      e = p.hasValue ? call(SYS_fsconfig, fd, FSCONFIG_SET_STRING, p.key.c_str(), p.value.c_str(), 0)
                     : call(SYS_fsconfig, fd, FSCONFIG_SET_FLAG, p.key.c_str(), nullptr, 0);
    }
    if (!e) e = call(SYS_fsconfig, fd, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0);
    long mfd = -1;
    if (!e) {
      mfd = sys(SYS_fsmount, fd, FSMOUNT_CLOEXEC, op.flags);
      if (mfd < 0) e = static_cast<int>(-mfd);
    }
    call(SYS_close, fd);
    if (!e) e = call(SYS_move_mount, mfd, "", AT_FDCWD, op.path.c_str(), MOVE_MOUNT_F_EMPTY_PATH);
    if (mfd >= 0) call(SYS_close, mfd);
    return e;
  }

  // unshare(CLONE_NEWNS): the kernel moves root and cwd to their copies in the new namespace
  // (unshare(2)), so the sandbox root there is simply "/".
  // With CLONE_NEWNET too the child gets its own network namespace (its sysfs mounts then make
  // their own superblock); without CLONE_NEWNS no mount namespace entry is made.
  //
  // With CLONE_NEWUSER the maps are written by a helper forked before the unshare, which stays
  // in the parent user namespace with this task's credentials (as a runtime's parent does: only
  // there may CAP_SETUID/CAP_SETGID map more than the task's own ids). The task is made
  // dumpable for the while, as runc's nsexec does, so that its /proc files are its own uid's and
  // not root's (task_dump_owner()); its old dumpable mode is restored after. The op's errno is
  // the first failing call's: unshare, then setgroups, uid_map, gid_map; the mount namespace
  // entry is made whenever the unshare succeeded, the user namespace's index only when all did.
  int unshare(const NativeOp& op) noexcept {
    int e = unshareNamespaces(op);
    // CLONE_NEWPID moves only the task's children into the new namespace (pid_namespaces(7)):
    // the plan goes on in a child forked now, as the new namespace's first task.
    if (!e && (op.flags & CLONE_NEWPID)) e = continueInNewPidNs();
    return e;
  }

  // unshare(CLONE_NEWPID) succeeded: fork; the child, pid 1 of the new PID namespace (as runc's
  // init is: nsexec.c's stage-2 clone), returns and carries on with the plan and its records
  // (the writer's state comes with the fork); this task waits for it and leaves with its status,
  // writing nothing more. Killing this task (the run's timeout) kills its whole PID namespace,
  // the nested one with it, as the first task of a namespace's death does.
  int continueInNewPidNs() noexcept {
    long pid = forkRaw();
    if (pid < 0) return static_cast<int>(-pid);
    if (pid == 0) return 0;
    int status = 0;
    long r;
    do r = sys(SYS_wait4, pid, &status, 0, nullptr);
    while (r == -EINTR);
    if (r != pid) exitGroup(kExitPipeFailed);
    exitGroup(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  }

  // This task's pid as the detached proc (the sandbox's first PID namespace) numbers it, which
  // getpid(2) does not once the plan runs in a nested PID namespace: readlink of its "self".
  long procPid() noexcept {
    char b[24];
    long n = sys(SYS_readlinkat, procFd_, "self", b, sizeof b - 1);
    if (n <= 0) return n < 0 ? n : -EIO;
    long v = 0;
    for (long i = 0; i < n; i++) {
      if (b[i] < '0' || b[i] > '9') return -EIO;
      v = v * 10 + (b[i] - '0');
    }
    return v;
  }

  // unshare(2) of the op's namespaces, with a user namespace's maps (see unshare()).
  int unshareNamespaces(const NativeOp& op) noexcept {
    const uint64_t flags = op.flags;
    if (!(flags & CLONE_NEWUSER)) {
      int e = call(SYS_unshare, flags);
      return e ? e : enterNewMountNs(flags);
    }
    int go[2], back[2];
    if (int e = call(SYS_pipe2, go, O_CLOEXEC)) return e;
    if (int e = call(SYS_pipe2, back, O_CLOEXEC)) {
      call(SYS_close, go[0]);
      call(SYS_close, go[1]);
      return e;
    }
    long dumpable = sys(SYS_prctl, PR_GET_DUMPABLE, 0, 0, 0, 0);
    call(SYS_prctl, PR_SET_DUMPABLE, 1, 0, 0, 0);
    const long self = procPid();
    long pid = self < 0 ? self : forkRaw();
    if (pid == 0) {
      call(SYS_close, go[1]);
      call(SYS_close, back[0]);
      call(SYS_close, w_.fd());
      call(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
      int e = readInt(go[0], EIO);
      writeInt(back[1], e ? e : writeMaps(self, op));
      exitGroup(0);
    }
    call(SYS_close, go[0]);
    call(SYS_close, back[1]);
    const int ue = pid < 0 ? static_cast<int>(-pid) : call(SYS_unshare, flags);
    int we = 0;
    if (pid > 0) {
      writeInt(go[1], ue);
      we = readInt(back[0], EIO);
      reap(pid);
    }
    call(SYS_close, go[1]);
    call(SYS_close, back[0]);
    if (dumpable >= 0) call(SYS_prctl, PR_SET_DUMPABLE, dumpable, 0, 0, 0);
    if (ue) return ue;
    int ens = enterNewMountNs(flags);
    if (we) return we;
    if (ens) return ens;
    long fd = sys(SYS_openat, procFd_, "self/ns/user", O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0) return static_cast<int>(-fd);
    s_.usernsFds[op.slot] = static_cast<int>(fd);
    return 0;
  }

  // After unshare(flags) succeeded: the new mount namespace's entry (its descriptors), if any.
  int enterNewMountNs(uint64_t flags) noexcept {
    if (!(flags & CLONE_NEWNS)) return 0;
    size_t ns = namespaces_++;
    current_ = ns;
    SetupStep step = kStepOpenMountinfo;
    int err = 0;
    openNamespace(ns, &step, &err);
    return err;
  }

  // setns(2) resets root and cwd to the namespace's own root, outside the sandbox; go back to
  // the sandbox root saved for that namespace with fchdir(2) + chroot(".") (record.py enter()).
  // Both check search permission on that directory (path_permission MAY_EXEC|MAY_CHDIR), which
  // a plan that chmod'ed its root and dropped its DAC capabilities no longer has. Then the child
  // stands at the host's real root: it must stop there, since every later op would act on the
  // host's files (its mount table stays safe either way: this namespace is private).
  int setns(int64_t ns) noexcept {
    if (ns < 0 || static_cast<uint64_t>(ns) >= namespaces_) return EINVAL;  // no descriptor yet
    int nsFd = s_.nsFds[ns], rootFd = s_.rootFds[ns];
    if (nsFd < 0) return -nsFd;
    if (rootFd < 0) return -rootFd;
    int e = call(SYS_setns, nsFd, CLONE_NEWNS);
    if (e) return e;
    current_ = static_cast<size_t>(ns);
    if (!(e = call(SYS_fchdir, rootFd)) && !(e = call(SYS_chroot, "."))) return 0;
    outside_ = true;
    return e;
  }

  // posix_openpt(3) by hand: open the ptmx, unlockpt (TIOCSPTLCK 0), ptsname's number (TIOCGPTN),
  // sent as decimal text. The descriptor stays open so that /dev/pts/N lives to the plan's end.
  int openpty(const NativeOp& op, uint32_t index) noexcept {
    long fd = openPlanPath(op.path.c_str(), O_RDWR | O_NOCTTY, 0);
    if (fd < 0) return static_cast<int>(-fd);
    int unlock = 0;
    unsigned int n = 0;
    int e = call(SYS_ioctl, fd, TIOCSPTLCK, &unlock);
    if (!e) e = call(SYS_ioctl, fd, TIOCGPTN, &n);
    if (e) {
      call(SYS_close, fd);
      return e;
    }
    char digits[16];
    size_t len = 0;
    do digits[sizeof digits - 1 - len++] = static_cast<char>('0' + n % 10);
    while ((n /= 10) != 0);
    w_.record(kData, index, 0, digits + sizeof digits - len, len);
    return 0;
  }

  // pivot_root(2). On success the task's root is the new root (chroot_fs_refs), so this
  // namespace's mountinfo and saved root descriptors, which hold the old root, are opened again
  // from the new one, as the emulator re-takes the namespace's sandbox root.
  int pivotRoot(const NativeOp& op) noexcept {
    int e = call(SYS_pivot_root, op.path.c_str(), op.path2.c_str());
    if (e) return e;
    call(SYS_close, s_.mountinfoFds[current_]);
    call(SYS_close, s_.rootFds[current_]);
    // A descriptor that cannot be opened again is reported when the tables are read (its
    // errno then ends the run as incomplete); the pivot itself has happened.
    SetupStep step = kStepOpenMountinfo;
    int err = 0;
    openNamespace(current_, &step, &err, true);
    return 0;
  }

  // prctl(PR_SET_KEEPCAPS, 1), setgroups(2), setresgid(2), setresuid(2), capset(2): the first
  // failure is the op's errno, earlier calls stay done (src/vfs/cred-syscalls.ts is the model).
  // Raw syscalls: glibc's wrappers would broadcast the change to every thread (nptl setxid),
  // which after fork() would wait for threads that do not exist here.
  int setcred(const NativeOp& op) noexcept {
    int e;
    if ((e = call(SYS_prctl, PR_SET_KEEPCAPS, 1, 0, 0, 0))) return e;
    if (op.hasGroups && (e = call(SYS_setgroups, op.groups.size(), op.groups.data()))) return e;
    if ((e = call(SYS_setresgid, op.gid, op.gid, op.gid))) return e;
    if ((e = call(SYS_setresuid, op.uid, op.uid, op.uid))) return e;
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
    for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++) {
      data[i].effective = data[i].permitted = static_cast<uint32_t>(op.caps >> (32 * i));
      data[i].inheritable = 0;
    }
    return call(SYS_capset, &header, data);
  }

  // Streams namespace `ns`'s mountinfo: read(2) to EOF on the descriptor opened when the
  // namespace was made, then an END record with the errno opening or reading it failed with.
  void sendMountinfo(uint32_t ns) noexcept {
    int fd = s_.mountinfoFds[ns];
    int e = fd < 0 ? -fd : eachChunk(fd, SYS_read, [&](size_t n) {
      w_.record(kMountinfo, ns, 0, s_.io.data(), n);
      return true;
    });
    w_.record(kMountinfoEnd, ns, e, nullptr, 0);
  }

  const NativePlan& plan_;
  ChildScratch& s_;
  Writer& w_;
  int procFd_;
  size_t namespaces_ = 0;
  size_t current_ = 0;
  bool outside_ = false;   // root is no longer the sandbox root: run no further op
  uint64_t runBytes_ = 0;  // what the run's read and readdir ops have returned (protocol.h)
};

// Closes every inherited descriptor but the two kept (close_range(2)): Node's sockets, epoll,
// pipes and files must not stay open for as long as the child runs, and no host descriptor may
// reach the plan (docs/native-sandbox.md).
void closeInherited(int keepA, int keepB) noexcept {
  int lo = keepA < keepB ? keepA : keepB, hi = keepA < keepB ? keepB : keepA;
  if (lo > 0) syscall(SYS_close_range, 0, lo - 1, 0);
  if (hi > lo + 1) syscall(SYS_close_range, lo + 1, hi - 1, 0);
  syscall(SYS_close_range, hi + 1, ~0U, 0);
}

}  // namespace

[[noreturn]] void runChild(const NativePlan& plan, ChildScratch& scratch, int wfd, int parentPidfd) noexcept {
  closeInherited(wfd, parentPidfd);
  Writer w(scratch.out, wfd, scratch.key);
  // Die with the parent: it must never leave a child holding namespaces behind (prctl(2)). A
  // parent that died before this call is seen on its pidfd, which is readable once it has exited.
  int e = call(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (e) setupFailed(w, kStepPdeathsig, e);
  pollfd alive{parentPidfd, POLLIN, 0};
  timespec now{0, 0};
  if (sys(SYS_ppoll, &alive, 1, &now, nullptr, 0) != 0) exitGroup(0);
  call(SYS_close, parentPidfd);
  // Our copy of the host's mount table (clone's CLONE_NEWNS), every propagation link cut first,
  // so that nothing below can reach the host (mount_namespaces(7)).
  if ((e = call(SYS_mount, nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr))) setupFailed(w, kStepPrivate, e);
  // The sandbox root: a tmpfs over /tmp, an existing directory, so nothing is ever created on the
  // host; the mount lives only in this namespace and dies with it (docs/plan-format.md "Plan document").
  if ((e = call(SYS_mount, "none", "/tmp", "tmpfs", 0, "mode=755"))) setupFailed(w, kStepMountTmpfs, e);
  // A proc of our own PID namespace, attached nowhere (fsmount(2) without move_mount): it reads
  // each namespace's mountinfo and names it for setns, and appears in no mount table.
  long fsfd = sys(SYS_fsopen, "proc", FSOPEN_CLOEXEC);
  if (fsfd < 0) setupFailed(w, kStepProcInstance, static_cast<int>(-fsfd));
  if ((e = call(SYS_fsconfig, fsfd, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0))) setupFailed(w, kStepProcInstance, e);
  long procFd = sys(SYS_fsmount, fsfd, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
  if (procFd < 0) setupFailed(w, kStepProcInstance, static_cast<int>(-procFd));
  call(SYS_close, fsfd);
  // pivot_root(".", "."): the tmpfs becomes the root with the host's root stacked on it, which
  // the detach takes away with all its mounts; no path to the host's filesystem remains.
  if ((e = call(SYS_chdir, "/tmp"))) setupFailed(w, kStepChdirSandbox, e);
  if ((e = call(SYS_pivot_root, ".", "."))) setupFailed(w, kStepPivotRoot, e);
  if ((e = call(SYS_umount2, ".", MNT_DETACH))) setupFailed(w, kStepDetachOldRoot, e);
  if ((e = call(SYS_chdir, "/"))) setupFailed(w, kStepChdir, e);
  syscall(SYS_umask, 0);
  Runner(plan, scratch, w, static_cast<int>(procFd)).run();
}

}  // namespace vfsemu
