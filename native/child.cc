// The sandbox child: isolates itself in a private mount namespace rooted in a fresh tmpfs, runs
// the plan one syscall an op exactly as test/kernel/record.py does, and streams the results and
// every namespace's mountinfo to the parent (protocol.h).
//
// Everything here runs between fork(2) and _exit(2) in a copy of a multi-threaded process, so it
// makes raw syscall(2)s only and touches no allocator (signal-safety(7)); the buffers and
// descriptor tables come from ChildScratch, allocated before the fork.
#include "child.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
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

ChildScratch::ChildScratch(const NativePlan& plan) : out(1 << 16), io(1 << 16) {
  size_t namespaces = 1;
  for (const NativeOp& op : plan.ops) namespaces += op.kind == OpKind::Unshare;
  mountinfoFds.assign(namespaces, -EBADF);
  nsFds.assign(namespaces, -EBADF);
  rootFds.assign(namespaces, -EBADF);
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
constexpr int kExitKillFailed = 4;

// Appends records to the preallocated buffer and writes it out when full.
class Writer {
 public:
  Writer(std::vector<char>& buf, int fd) noexcept : buf_(buf.data()), cap_(buf.size()), fd_(fd) {}

  void record(RecordKind kind, uint32_t index, int err, const void* payload, size_t len) noexcept {
    RecordHeader h{kind, index, err, static_cast<uint32_t>(len)};
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
};

[[noreturn]] void setupFailed(Writer& w, SetupStep step, int err) noexcept {
  w.record(kSetupFailed, step, err, nullptr, 0);
  w.flush();
  exitGroup(0);
}

// The type bits and the fields plan-format.md's stat result carries.
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
    for (size_t i = 0; i < plan_.ops.size(); i++) {
      StatPayload st{};
      bool isStat = false;
      int e = apply(plan_.ops[i], static_cast<uint32_t>(i), &st, &isStat);
      if (static_cast<int64_t>(i) == plan_.killAfterOp) {
        // Results of earlier ops go out first; then die as a crash would, mid-plan.
        w_.flush();
        syscall(SYS_kill, syscall(SYS_getpid), SIGKILL);
        exitGroup(kExitKillFailed);  // not reached: SIGKILL is delivered before kill(2) returns
      }
      if (e == 0 && isStat) w_.record(kResult, static_cast<uint32_t>(i), 0, &st, sizeof st);
      else w_.record(kResult, static_cast<uint32_t>(i), e, nullptr, 0);
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
  // One op: its errno, or 0. Each is the syscall plan-format.md names for it.
  int apply(const NativeOp& op, uint32_t index, StatPayload* st, bool* isStat) noexcept {
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
        return unshare(op.flags);
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
    }
    return EINVAL;
  }

  // open(O_WRONLY|O_CREAT|O_TRUNC), write(2) until all is written, close(2); as in record.py
  // (Python's try/finally), a failing close(2) is the op's errno even after a failed write.
  int write(const NativeOp& op) noexcept {
    long fd = sys(SYS_openat, AT_FDCWD, op.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, op.mode);
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
  // it returns 0; the errno of a failing call, or 0.
  template <typename F>
  int eachChunk(int fd, long nr, F chunk) noexcept {
    for (;;) {
      long n = sys(nr, fd, s_.io.data(), s_.io.size());
      if (n <= 0) return static_cast<int>(-n);
      chunk(static_cast<size_t>(n));
    }
  }

  // open(2), eachChunk, close(2); as in record.py (Python's try/finally), a failing close(2) is
  // the op's errno even after a failed read.
  template <typename F>
  int openAndRead(const NativeOp& op, int flags, long nr, F chunk) noexcept {
    long fd = sys(SYS_openat, AT_FDCWD, op.path.c_str(), flags | O_CLOEXEC, 0);
    if (fd < 0) return static_cast<int>(-fd);
    int e = eachChunk(static_cast<int>(fd), nr, chunk);
    int c = call(SYS_close, fd);
    return c ? c : e;
  }

  // open(O_RDONLY), read(2) to EOF, each chunk a DATA record.
  int read(const NativeOp& op, uint32_t index) noexcept {
    return openAndRead(op, O_RDONLY, SYS_read, [&](size_t n) { w_.record(kData, index, 0, s_.io.data(), n); });
  }

  // open(O_RDONLY|O_DIRECTORY), getdents64(2) until it returns 0 — not glibc's readdir(3), which
  // turns the ENOENT of a removed directory into an empty listing (record.py sys_getdents) —
  // each name but . and .. a NAME record.
  int readdir(const NativeOp& op, uint32_t index) noexcept {
    return openAndRead(op, O_RDONLY | O_DIRECTORY, SYS_getdents64, [&](size_t n) {
      for (size_t off = 0; off < n;) {
        // struct linux_dirent64 (getdents(2)): d_ino, d_off, d_reclen, d_type, d_name.
        const char* d = s_.io.data() + off;
        uint16_t reclen;
        std::memcpy(&reclen, d + 16, sizeof reclen);
        const char* name = d + 19;
        size_t len = strnlen(name, reclen - 19u);
        bool dots = (len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.');
        if (!dots) w_.record(kName, index, 0, name, len);
        off += reclen;
      }
    });
  }

  // The new mount API (docs/plan-format-extensions.md `fsconfig`): fsopen(fstype), the source and
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
  int unshare(uint64_t flags) noexcept {
    int e = call(SYS_unshare, flags);
    if (e) return e;
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
    long fd = sys(SYS_openat, AT_FDCWD, op.path.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC, 0);
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
    int e = fd < 0 ? -fd : eachChunk(fd, SYS_read, [&](size_t n) { w_.record(kMountinfo, ns, 0, s_.io.data(), n); });
    w_.record(kMountinfoEnd, ns, e, nullptr, 0);
  }

  const NativePlan& plan_;
  ChildScratch& s_;
  Writer& w_;
  int procFd_;
  size_t namespaces_ = 0;
  size_t current_ = 0;
  bool outside_ = false;  // root is no longer the sandbox root: run no further op
};

// Closes every inherited descriptor but the pipe: Node's sockets, epoll and pipes must not stay
// open for as long as the child runs (close_range(2); without it, they close at exit anyway).
void closeInherited(int keep) noexcept {
  if (keep > 3) syscall(SYS_close_range, 3, keep - 1, 0);
  syscall(SYS_close_range, keep + 1, ~0U, 0);
}

}  // namespace

[[noreturn]] void runChild(const NativePlan& plan, ChildScratch& scratch, int wfd, pid_t parent) noexcept {
  closeInherited(wfd);
  Writer w(scratch.out, wfd);
  // Die with the parent: it must never leave a child holding a namespace behind (prctl(2)); if
  // the parent died before this call, getppid(2) already names another process.
  int e = call(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (e) setupFailed(w, kStepPdeathsig, e);
  if (sys(SYS_getppid) != parent) exitGroup(0);
  // Our own copy of the host's mount table, with every propagation link cut first, so that
  // nothing below can reach the host (mount_namespaces(7)). Never the Node process itself.
  if ((e = call(SYS_unshare, CLONE_NEWNS))) setupFailed(w, kStepUnshare, e);
  if ((e = call(SYS_mount, nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr))) setupFailed(w, kStepPrivate, e);
  // /proc of the host, kept across the chroot for self/mountinfo and self/ns/mnt.
  long procFd = sys(SYS_openat, AT_FDCWD, "/proc", O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
  if (procFd < 0) setupFailed(w, kStepOpenProc, static_cast<int>(-procFd));
  // The sandbox root: a tmpfs over /tmp, an existing directory, so nothing is ever created on the
  // host; the mount lives only in this namespace and dies with it (plan-format.md "Plan document").
  if ((e = call(SYS_mount, "none", "/tmp", "tmpfs", 0, "mode=755"))) setupFailed(w, kStepMountTmpfs, e);
  if ((e = call(SYS_chroot, "/tmp"))) setupFailed(w, kStepChroot, e);
  if ((e = call(SYS_chdir, "/"))) setupFailed(w, kStepChdir, e);
  syscall(SYS_umask, 0);
  Runner(plan, scratch, w, static_cast<int>(procFd)).run();
}

}  // namespace vfsemu
