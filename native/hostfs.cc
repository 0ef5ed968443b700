// hostfs: the syscalls of the host-directory export (src/host/host-export.ts), confined to the
// export by the kernel rather than by string checks. Every function runs synchronously on the
// calling (Node main) thread, takes descriptors its caller owns and names or paths relative to
// them, and reports a kernel failure as a negative errno (never an exception: an exception means a
// wrong argument type, the caller's bug). The TypeScript side names the errno.
//
// Confinement (docs/native-sandbox.md's rule for untrusted input applies: every name and path here
// comes from a 9P client):
//
// 1. A name is one component: not empty, no '/', no NUL, not '.' or '..' (EINVAL here, whatever the
//    caller checked). It is resolved from a directory descriptor with openat(O_PATH|O_NOFOLLOW) or
//    an *at() call that does not follow it: with no intermediate component and no following of the
//    last, a name can only reach an entry of that directory — never a symlink's target.
// 2. A path (a node's components below the root, as the export last knew them) is resolved from
//    the root's descriptor by openat2(2) with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
//    RESOLVE_NO_MAGICLINKS: the kernel refuses a symlink anywhere on the way (ELOOP) and any
//    escape from the root, and does so atomically against concurrent renames. Paths never hold
//    '..', '.', empty components or a leading '/' (EINVAL). Without openat2 (Linux < 5.6) or past
//    PATH_MAX, the same walk is done one component at a time with O_PATH|O_NOFOLLOW|O_DIRECTORY.
// 3. '..' is never resolved by the kernel from a node's descriptor: the export pops a component,
//    and `..` of the root is the root.
// 4. A file is opened for I/O only as the node's O_PATH descriptor says it is: a directory through
//    that descriptor itself (openat(fd, ".")); a regular file or FIFO by its path (rule 2), and the
//    result is checked to be the node's inode (ESTALE otherwise: the name now holds another file)
//    before anything touches it — O_TRUNC is applied only after the check. A symlink is ELOOP
//    (open(2) with O_NOFOLLOW), a socket ENXIO (open(2) of a socket), a device EACCES (open(2) on a
//    nodev mount): the export is a nodev filesystem. Opens add O_NONBLOCK and O_NOCTTY, so a FIFO
//    or terminal cannot make the server sleep or adopt a controlling terminal.
// 5. No device node can be made: mknod of S_IFCHR or S_IFBLK is EPERM (gVisor's gofer refuses them
//    too); a client with a device node could read the host's disks or memory.
//
// What a node's descriptor reaches when a process on the host moves its directory out of the
// export is what any open directory descriptor reaches: that directory, wherever it now is. Nothing
// the client sends can move a file out (its renames are rule-1 names in export directories).
#include "hostfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <string>
#include <vector>

// Newer than Debian 12's headers; the numbers are the same on every architecture since 5.x.
#ifndef __NR_fchmodat2
#define __NR_fchmodat2 452
#endif
#ifndef __NR_setxattrat
#define __NR_setxattrat 463
#define __NR_getxattrat 464
#define __NR_listxattrat 465
#define __NR_removexattrat 466
#endif

namespace vfsemu {
namespace {

// struct xattr_args of Linux 6.13 (include/uapi/linux/xattr.h).
struct XattrArgs {
  uint64_t value;
  uint32_t size;
  uint32_t flags;
};

constexpr uint64_t kBeneath = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
// A getdents64 batch: a few hundred entries, well under any msize a client negotiates.
constexpr size_t kDirentBuffer = 32 * 1024;
// XATTR_SIZE_MAX and XATTR_LIST_MAX: no value or list is larger.
constexpr size_t kXattrMax = 65536;

// The slots of a stat array, in order; exported as hostfs.statFields so that the TypeScript side
// checks its own list against this one when it loads the addon.
const char* const kStatFields[] = {
    "devMajor", "devMinor", "inoHigh", "inoLow", "mode", "nlink", "uid", "gid", "rdevMajor", "rdevMinor", "size",
    "blksize", "blocks", "atimeSec", "atimeNsec", "mtimeSec", "mtimeNsec", "ctimeSec", "ctimeNsec", "btimeSec", "btimeNsec",
};
constexpr size_t kStatSlots = sizeof kStatFields / sizeof kStatFields[0];

std::atomic<bool> noOpenat2{false};
std::atomic<bool> noXattrat{false};

int fail() { return -errno; }

// Rule 1: one component that no directory can hold as something else.
bool validName(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos && name.find('\0') == std::string::npos;
}

// Rule 2: relative components, each a valid name.
bool validPath(const std::string& path) {
  if (path.empty()) return false;
  size_t start = 0;
  for (;;) {
    size_t slash = path.find('/', start);
    if (!validName(path.substr(start, slash == std::string::npos ? std::string::npos : slash - start))) return false;
    if (slash == std::string::npos) return true;
    start = slash + 1;
  }
}

// Closes a descriptor this file opened when it goes out of scope, unless released.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  // Takes `fd` in place of the one held, which is closed.
  void reset(int fd) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

// Rule 2 without openat2: O_PATH|O_NOFOLLOW|O_DIRECTORY a step, then the last component.
int walkComponents(int rootfd, const std::string& path, int flags) {
  Fd cur;
  int at = rootfd;
  size_t start = 0;
  for (;;) {
    size_t slash = path.find('/', start);
    std::string part = path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (slash == std::string::npos) {
      int fd = openat(at, part.c_str(), flags | O_NOFOLLOW | O_CLOEXEC);
      return fd < 0 ? fail() : fd;
    }
    int next = openat(at, part.c_str(), O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
    if (next < 0) return fail();
    cur.reset(next);
    at = cur.get();
    start = slash + 1;
  }
}

// Opens `path` below the root under rule 2; flags must not hold O_CREAT.
int openBeneath(int rootfd, const std::string& path, int flags) {
  if (!validPath(path)) return -EINVAL;
  if (!noOpenat2.load(std::memory_order_relaxed)) {
    open_how how{};
    how.flags = static_cast<uint64_t>(flags | O_NOFOLLOW | O_CLOEXEC);
    how.resolve = kBeneath;
    // EAGAIN: a rename raced a '..' (none here) or the mount table changed; the kernel asks to retry.
    for (int tries = 0; tries < 16; tries++) {
      int fd = static_cast<int>(syscall(SYS_openat2, rootfd, path.c_str(), &how, sizeof how));
      if (fd >= 0) return fd;
      if (errno == EAGAIN) continue;
      if (errno == ENOSYS) {
        noOpenat2.store(true, std::memory_order_relaxed);
        break;
      }
      if (errno == ENAMETOOLONG) break;  // deeper than PATH_MAX: the walk has no such limit
      return fail();
    }
  }
  return walkComponents(rootfd, path, flags);
}

bool sameFile(const struct stat& a, const struct stat& b) { return a.st_dev == b.st_dev && a.st_ino == b.st_ino; }

// Fills a stat array (kStatFields) from statx of (dirfd, name) without following; "" is dirfd itself.
int statInto(int dirfd, const char* name, Napi::Float64Array out) {
  struct statx sx;
  int flags = AT_SYMLINK_NOFOLLOW | (name[0] == '\0' ? AT_EMPTY_PATH : 0);
  if (statx(dirfd, name, flags, STATX_BASIC_STATS | STATX_BTIME, &sx) < 0) return fail();
  bool btime = (sx.stx_mask & STATX_BTIME) != 0;
  const double v[kStatSlots] = {
      double(sx.stx_dev_major), double(sx.stx_dev_minor), double(sx.stx_ino >> 32), double(sx.stx_ino & 0xffffffffu),
      double(sx.stx_mode), double(sx.stx_nlink), double(sx.stx_uid), double(sx.stx_gid),
      double(sx.stx_rdev_major), double(sx.stx_rdev_minor), double(sx.stx_size), double(sx.stx_blksize),
      double(sx.stx_blocks), double(sx.stx_atime.tv_sec), double(sx.stx_atime.tv_nsec), double(sx.stx_mtime.tv_sec),
      double(sx.stx_mtime.tv_nsec), double(sx.stx_ctime.tv_sec), double(sx.stx_ctime.tv_nsec),
      btime ? double(sx.stx_btime.tv_sec) : 0, btime ? double(sx.stx_btime.tv_nsec) : 0,
  };
  for (size_t i = 0; i < kStatSlots; i++) out[i] = v[i];
  return 0;
}

// Rule 4 for a regular file or FIFO: opens `path` below the root and checks it is `expect`.
// O_TRUNC is applied after the check (through a second, write-only open when the first is
// read-only, as open(2) truncates an O_RDONLY|O_TRUNC open it may write).
int openVerified(int rootfd, const std::string& path, int flags, const struct stat& expect) {
  Fd fd(openBeneath(rootfd, path, (flags & ~(O_TRUNC | O_CREAT | O_EXCL)) | O_NOCTTY | O_NONBLOCK));
  if (fd.get() < 0) return fd.release();
  struct stat now;
  if (fstat(fd.get(), &now) < 0) return fail();
  if (!sameFile(now, expect)) return -ESTALE;
  if (S_ISREG(now.st_mode)) {
    // A regular file never blocks; take O_NONBLOCK back off so that the file is as the client asked.
    int fl = fcntl(fd.get(), F_GETFL);
    if (fl < 0 || fcntl(fd.get(), F_SETFL, fl & ~O_NONBLOCK) < 0) return fail();
    if (flags & O_TRUNC) {
      if ((flags & O_ACCMODE) == O_RDONLY) {
        int w = openVerified(rootfd, path, O_WRONLY | O_TRUNC, expect);
        if (w < 0) return w;
        close(w);
      } else if (ftruncate(fd.get(), 0) < 0) {
        return fail();
      }
    }
  }
  return fd.release();
}

// Rule 4's refusals by file type: what open(2) says of each on a nodev mount with O_NOFOLLOW.
int refuseByType(mode_t mode) {
  switch (mode & S_IFMT) {
    case S_IFLNK:
      return -ELOOP;
    case S_IFSOCK:
      return -ENXIO;
    case S_IFCHR:
    case S_IFBLK:
      return -EACCES;
    default:
      return 0;
  }
}

// A node as (directory, name) for the calls that act on a name: its parent below the root by
// rule 2 and its last component, checked to still be the node's inode (ESTALE otherwise). The
// root is (root, ".").
struct At {
  Fd owned;
  int dirfd = -1;
  std::string name;
};

int locate(int rootfd, const std::string& path, int nodefd, At& at) {
  if (path.empty()) {
    at.dirfd = rootfd;
    at.name = ".";
    return 0;
  }
  if (!validPath(path)) return -EINVAL;
  size_t slash = path.rfind('/');
  at.name = slash == std::string::npos ? path : path.substr(slash + 1);
  if (slash == std::string::npos) {
    at.dirfd = rootfd;
  } else {
    int fd = openBeneath(rootfd, path.substr(0, slash), O_PATH | O_DIRECTORY);
    if (fd < 0) return fd;
    at.owned.reset(fd);
    at.dirfd = fd;
  }
  struct stat named, node;
  if (fstatat(at.dirfd, at.name.c_str(), &named, AT_SYMLINK_NOFOLLOW) < 0) return fail();
  if (fstat(nodefd, &node) < 0) return fail();
  return sameFile(named, node) ? 0 : -ESTALE;
}

// ---------------------------------------------------------------- argument helpers

int fdArg(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().Int32Value(); }
int64_t intArg(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().Int64Value(); }
std::string strArg(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::String>().Utf8Value(); }

Napi::Float64Array statArg(const Napi::CallbackInfo& info, size_t i) {
  Napi::Float64Array a = info[i].As<Napi::Float64Array>();
  if (a.ElementLength() < kStatSlots) throw Napi::RangeError::New(info.Env(), "hostfs: stat array too short");
  return a;
}

Napi::Value num(const Napi::CallbackInfo& info, double v) { return Napi::Number::New(info.Env(), v); }

// ---------------------------------------------------------------- nodes

// openRoot(path) → O_PATH descriptor of the export root (followed: it is the operator's own path).
Napi::Value OpenRoot(const Napi::CallbackInfo& info) {
  std::string path = strArg(info, 0);
  if (path.find('\0') != std::string::npos) return num(info, -EINVAL);
  int fd = open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  return num(info, fd < 0 ? fail() : fd);
}

// walk(dirfd, name, st) → O_PATH|O_NOFOLLOW descriptor of the entry (rule 1), its stat in st.
Napi::Value Walk(const Napi::CallbackInfo& info) {
  int dirfd = fdArg(info, 0);
  std::string name = strArg(info, 1);
  Napi::Float64Array st = statArg(info, 2);
  if (!validName(name)) return num(info, -EINVAL);
  Fd fd(openat(dirfd, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (fd.get() < 0) return num(info, fail());
  int r = statInto(fd.get(), "", st);
  return num(info, r < 0 ? r : fd.release());
}

// walkPath(rootfd, path, st) → O_PATH|O_NOFOLLOW descriptor of a path below the root (rule 2).
Napi::Value WalkPath(const Napi::CallbackInfo& info) {
  int rootfd = fdArg(info, 0);
  std::string path = strArg(info, 1);
  Napi::Float64Array st = statArg(info, 2);
  Fd fd(openBeneath(rootfd, path, O_PATH));
  if (fd.get() < 0) return num(info, fd.release());
  int r = statInto(fd.get(), "", st);
  return num(info, r < 0 ? r : fd.release());
}

// stat(fd, st) → 0: statx of the descriptor's own file (a symlink's O_PATH descriptor: the link).
Napi::Value Stat(const Napi::CallbackInfo& info) { return num(info, statInto(fdArg(info, 0), "", statArg(info, 1))); }

// statAt(dirfd, name, st) → 0: statx of an entry, not followed.
Napi::Value StatAt(const Napi::CallbackInfo& info) {
  std::string name = strArg(info, 1);
  if (!validName(name)) return num(info, -EINVAL);
  return num(info, statInto(fdArg(info, 0), name.c_str(), statArg(info, 2)));
}

// readlink(fd) → the target of the symlink the O_PATH descriptor is (a string), or -errno.
Napi::Value Readlink(const Napi::CallbackInfo& info) {
  char buf[PATH_MAX];
  ssize_t n = readlinkat(fdArg(info, 0), "", buf, sizeof buf);
  if (n < 0) return num(info, fail());
  return Napi::String::New(info.Env(), buf, static_cast<size_t>(n));
}

// chown(fd, uid, gid) → 0: of the file itself (-1 leaves an id as it is).
Napi::Value Chown(const Napi::CallbackInfo& info) {
  uid_t uid = static_cast<uid_t>(intArg(info, 1));
  gid_t gid = static_cast<gid_t>(intArg(info, 2));
  return num(info, fchownat(fdArg(info, 0), "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0 ? fail() : 0);
}

// chmod(fd, mode) → 0: fchmodat2(AT_EMPTY_PATH) on any descriptor (Linux 6.6); before it, fchmod
// on an open one, and -ENOSYS for an O_PATH one (the caller reopens).
Napi::Value Chmod(const Napi::CallbackInfo& info) {
  int fd = fdArg(info, 0);
  mode_t mode = static_cast<mode_t>(intArg(info, 1));
  if (syscall(__NR_fchmodat2, fd, "", mode, AT_EMPTY_PATH) == 0) return num(info, 0);
  if (errno != ENOSYS) return num(info, fail());
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0) return num(info, fail());
  if (fl & O_PATH) return num(info, -ENOSYS);
  return num(info, fchmod(fd, mode) < 0 ? fail() : 0);
}

// utimens(fd, atimeSec, atimeNsec, mtimeSec, mtimeNsec) → 0: of the file itself (UTIME_NOW/OMIT pass).
Napi::Value Utimens(const Napi::CallbackInfo& info) {
  struct timespec ts[2] = {{static_cast<time_t>(intArg(info, 1)), static_cast<long>(intArg(info, 2))},
                           {static_cast<time_t>(intArg(info, 3)), static_cast<long>(intArg(info, 4))}};
  return num(info, utimensat(fdArg(info, 0), "", ts, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0 ? fail() : 0);
}

// statfs(fd, out) → 0; out: type bsize blocks bfree bavail files ffree fsid0 fsid1 namelen frsize flags.
Napi::Value Statfs(const Napi::CallbackInfo& info) {
  Napi::Float64Array out = info[1].As<Napi::Float64Array>();
  if (out.ElementLength() < 12) throw Napi::RangeError::New(info.Env(), "hostfs: statfs array too short");
  struct statfs s;
  if (fstatfs(fdArg(info, 0), &s) < 0) return num(info, fail());
  int fsid[2];
  std::memcpy(fsid, &s.f_fsid, sizeof fsid);
  const double v[12] = {double(s.f_type), double(s.f_bsize), double(s.f_blocks), double(s.f_bfree), double(s.f_bavail), double(s.f_files),
                        double(s.f_ffree), double(fsid[0]), double(fsid[1]), double(s.f_namelen), double(s.f_frsize), double(s.f_flags)};
  for (size_t i = 0; i < 12; i++) out[i] = v[i];
  return num(info, 0);
}

// ---------------------------------------------------------------- open files

// reopen(rootfd, nodefd, path, flags) → a descriptor of the node open with `flags` (rule 4).
Napi::Value Reopen(const Napi::CallbackInfo& info) {
  int rootfd = fdArg(info, 0);
  int nodefd = fdArg(info, 1);
  std::string path = strArg(info, 2);
  int flags = static_cast<int>(intArg(info, 3)) & ~(O_CREAT | O_EXCL | O_PATH | O_TMPFILE);
  struct stat st;
  if (fstat(nodefd, &st) < 0) return num(info, fail());
  if (int refused = refuseByType(st.st_mode)) return num(info, refused);
  if (S_ISDIR(st.st_mode)) {
    // The directory through its own descriptor: no name to swap. The kernel says EISDIR to writes.
    int fd = openat(nodefd, ".", (flags & ~O_NOFOLLOW) | O_CLOEXEC | O_NOCTTY);
    return num(info, fd < 0 ? fail() : fd);
  }
  return num(info, openVerified(rootfd, path, flags, st));
}

// create(dirfd, name, flags, mode, st) → [file descriptor, O_PATH node descriptor], st its stat.
// A new file is made with O_EXCL; an existing one (no O_EXCL asked) is opened by rule 4's checks,
// so O_CREAT cannot open a device, follow a symlink or block on a FIFO.
Napi::Value Create(const Napi::CallbackInfo& info) {
  int dirfd = fdArg(info, 0);
  std::string name = strArg(info, 1);
  int flags = static_cast<int>(intArg(info, 2)) & ~(O_CREAT | O_PATH | O_TMPFILE);
  mode_t mode = static_cast<mode_t>(intArg(info, 3));
  Napi::Float64Array st = statArg(info, 4);
  if (!validName(name)) return num(info, -EINVAL);
  const char* n = name.c_str();
  int base = O_NOFOLLOW | O_CLOEXEC | O_NOCTTY;
  Fd file(openat(dirfd, n, (flags & ~O_TRUNC) | O_CREAT | O_EXCL | base, mode));
  if (file.get() < 0) {
    if (errno != EEXIST || (flags & O_EXCL)) return num(info, fail());
    struct stat cur;
    if (fstatat(dirfd, n, &cur, AT_SYMLINK_NOFOLLOW) < 0) return num(info, fail());
    if (int refused = refuseByType(cur.st_mode)) return num(info, refused);
    if (S_ISDIR(cur.st_mode)) return num(info, -EISDIR);  // open(2): O_CREAT of a directory
    Fd existing(openat(dirfd, n, (flags & ~(O_TRUNC | O_EXCL)) | base | O_NONBLOCK));
    if (existing.get() < 0) return num(info, fail());
    struct stat now;
    if (fstat(existing.get(), &now) < 0) return num(info, fail());
    if (!sameFile(now, cur)) return num(info, -ESTALE);
    if (S_ISREG(now.st_mode)) {
      int fl = fcntl(existing.get(), F_GETFL);
      if (fl < 0 || fcntl(existing.get(), F_SETFL, fl & ~O_NONBLOCK) < 0) return num(info, fail());
      // An O_RDONLY|O_TRUNC Tlcreate of an existing file is not truncated (no client sends one).
      if ((flags & O_TRUNC) && (flags & O_ACCMODE) != O_RDONLY && ftruncate(existing.get(), 0) < 0) return num(info, fail());
    }
    file.reset(existing.release());
  }
  Fd node(openat(dirfd, n, O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (node.get() < 0) return num(info, fail());
  struct stat a, b;
  if (fstat(file.get(), &a) < 0 || fstat(node.get(), &b) < 0) return num(info, fail());
  if (!sameFile(a, b)) return num(info, -ESTALE);
  int r = statInto(file.get(), "", st);
  if (r < 0) return num(info, r);
  Napi::Array out = Napi::Array::New(info.Env(), 2);
  out.Set(0u, Napi::Number::New(info.Env(), file.release()));
  out.Set(1u, Napi::Number::New(info.Env(), node.release()));
  return out;
}

// A byte range of a Uint8Array argument.
struct Bytes {
  uint8_t* data;
  size_t length;
};

Bytes bytesArg(const Napi::CallbackInfo& info, size_t i) {
  Napi::Uint8Array a = info[i].As<Napi::Uint8Array>();
  return {a.Data(), a.ByteLength()};
}

// One read or write at `offset`, or at the file position when it is negative (a FIFO).
Napi::Value Transfer(const Napi::CallbackInfo& info, bool write) {
  int fd = fdArg(info, 0);
  Bytes b = bytesArg(info, 1);
  int64_t off = intArg(info, 2);
  ssize_t n;
  do {
    if (write) n = off < 0 ? ::write(fd, b.data, b.length) : pwrite(fd, b.data, b.length, off);
    else n = off < 0 ? read(fd, b.data, b.length) : pread(fd, b.data, b.length, off);
  } while (n < 0 && errno == EINTR);
  return num(info, n < 0 ? fail() : double(n));
}

// pread(fd, into, offset) → bytes read.
Napi::Value Pread(const Napi::CallbackInfo& info) { return Transfer(info, false); }

// pwrite(fd, data, offset) → bytes written.
Napi::Value Pwrite(const Napi::CallbackInfo& info) { return Transfer(info, true); }

// ftruncate(fd, size) → 0.
Napi::Value Ftruncate(const Napi::CallbackInfo& info) {
  return num(info, ftruncate(fdArg(info, 0), static_cast<off_t>(intArg(info, 1))) < 0 ? fail() : 0);
}

// fsync(fd, datasync) → 0.
Napi::Value Fsync(const Napi::CallbackInfo& info) {
  int fd = fdArg(info, 0);
  bool data = info[1].As<Napi::Boolean>().Value();
  return num(info, (data ? fdatasync(fd) : fsync(fd)) < 0 ? fail() : 0);
}

// close(fd) → 0.
Napi::Value Close(const Napi::CallbackInfo& info) { return num(info, close(fdArg(info, 0)) < 0 ? fail() : 0); }

// getdents(fd, cookie) → [[name, inoHigh, inoLow, S_IFMT type, next cookie (bigint)], ...] from
// `cookie` (a bigint: the filesystem's own d_off; null: where the descriptor is) on, one
// getdents64 batch; [] at the end. DT_UNKNOWN entries are stat'ed (not followed) for their type.
Napi::Value Getdents(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = fdArg(info, 0);
  if (!info[1].IsNull()) {
    bool lossless;
    int64_t cookie = info[1].As<Napi::BigInt>().Int64Value(&lossless);
    if (!lossless || lseek(fd, cookie, SEEK_SET) < 0) return num(info, lossless ? fail() : -EINVAL);
  }
  std::vector<char> buf(kDirentBuffer);
  long n;
  do n = syscall(SYS_getdents64, fd, buf.data(), buf.size());
  while (n < 0 && errno == EINTR);
  if (n < 0) return num(info, fail());
  Napi::Array out = Napi::Array::New(env);
  uint32_t k = 0;
  for (long at = 0; at < n;) {
    struct dirent64* d = reinterpret_cast<struct dirent64*>(buf.data() + at);
    at += d->d_reclen;
    mode_t type = static_cast<mode_t>(DTTOIF(d->d_type));
    if (d->d_type == DT_UNKNOWN) {
      struct stat st;
      type = fstatat(fd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 ? (st.st_mode & S_IFMT) : 0;
    }
    Napi::Array e = Napi::Array::New(env, 5);
    e.Set(0u, Napi::String::New(env, d->d_name));
    e.Set(1u, Napi::Number::New(env, double(d->d_ino >> 32)));
    e.Set(2u, Napi::Number::New(env, double(d->d_ino & 0xffffffffu)));
    e.Set(3u, Napi::Number::New(env, double(type)));
    e.Set(4u, Napi::BigInt::New(env, static_cast<int64_t>(d->d_off)));
    out.Set(k++, e);
  }
  return out;
}

// ---------------------------------------------------------------- names

// mkdirat(dirfd, name, mode, st) → 0, st the new directory's stat.
Napi::Value Mkdirat(const Napi::CallbackInfo& info) {
  int dirfd = fdArg(info, 0);
  std::string name = strArg(info, 1);
  if (!validName(name)) return num(info, -EINVAL);
  if (mkdirat(dirfd, name.c_str(), static_cast<mode_t>(intArg(info, 2))) < 0) return num(info, fail());
  return num(info, statInto(dirfd, name.c_str(), statArg(info, 3)));
}

// symlinkat(target, dirfd, name, st) → 0. The target is stored as given, never resolved here.
Napi::Value Symlinkat(const Napi::CallbackInfo& info) {
  std::string target = strArg(info, 0);
  int dirfd = fdArg(info, 1);
  std::string name = strArg(info, 2);
  if (!validName(name) || target.find('\0') != std::string::npos) return num(info, -EINVAL);
  if (symlinkat(target.c_str(), dirfd, name.c_str()) < 0) return num(info, fail());
  return num(info, statInto(dirfd, name.c_str(), statArg(info, 3)));
}

// mknodat(dirfd, name, mode, rdev, st) → 0. Rule 5: no device nodes (EPERM).
Napi::Value Mknodat(const Napi::CallbackInfo& info) {
  int dirfd = fdArg(info, 0);
  std::string name = strArg(info, 1);
  mode_t mode = static_cast<mode_t>(intArg(info, 2));
  dev_t rdev = static_cast<dev_t>(intArg(info, 3));
  if (!validName(name)) return num(info, -EINVAL);
  if (S_ISCHR(mode) || S_ISBLK(mode)) return num(info, -EPERM);
  if (mknodat(dirfd, name.c_str(), mode, rdev) < 0) return num(info, fail());
  return num(info, statInto(dirfd, name.c_str(), statArg(info, 4)));
}

// linkat(targetfd, dirfd, name) → 0: a hard link to the file the O_PATH descriptor is
// (AT_EMPTY_PATH: no name of the target is resolved; it needs CAP_DAC_READ_SEARCH, ENOENT without).
Napi::Value Linkat(const Napi::CallbackInfo& info) {
  int target = fdArg(info, 0);
  int dirfd = fdArg(info, 1);
  std::string name = strArg(info, 2);
  if (!validName(name)) return num(info, -EINVAL);
  return num(info, linkat(target, "", dirfd, name.c_str(), AT_EMPTY_PATH) < 0 ? fail() : 0);
}

// renameat(olddirfd, oldname, newdirfd, newname) → 0.
Napi::Value Renameat(const Napi::CallbackInfo& info) {
  std::string from = strArg(info, 1);
  std::string to = strArg(info, 3);
  if (!validName(from) || !validName(to)) return num(info, -EINVAL);
  return num(info, renameat(fdArg(info, 0), from.c_str(), fdArg(info, 2), to.c_str()) < 0 ? fail() : 0);
}

// unlinkat(dirfd, name, flags) → 0 (flags: 0 or AT_REMOVEDIR).
Napi::Value Unlinkat(const Napi::CallbackInfo& info) {
  std::string name = strArg(info, 1);
  int flags = static_cast<int>(intArg(info, 2));
  if (!validName(name) || (flags & ~AT_REMOVEDIR)) return num(info, -EINVAL);
  return num(info, unlinkat(fdArg(info, 0), name.c_str(), flags) < 0 ? fail() : 0);
}

// renameNode(rootfd, path, nodefd, newdirfd, newname) → 0: moves the node, found by locate().
Napi::Value RenameNode(const Napi::CallbackInfo& info) {
  At at;
  std::string to = strArg(info, 4);
  if (!validName(to)) return num(info, -EINVAL);
  if (int r = locate(fdArg(info, 0), strArg(info, 1), fdArg(info, 2), at)) return num(info, r);
  return num(info, renameat(at.dirfd, at.name.c_str(), fdArg(info, 3), to.c_str()) < 0 ? fail() : 0);
}

// removeNode(rootfd, path, nodefd) → 0: unlink or rmdir of the node, found by locate().
Napi::Value RemoveNode(const Napi::CallbackInfo& info) {
  At at;
  int nodefd = fdArg(info, 2);
  if (int r = locate(fdArg(info, 0), strArg(info, 1), nodefd, at)) return num(info, r);
  struct stat st;
  if (fstat(nodefd, &st) < 0) return num(info, fail());
  return num(info, unlinkat(at.dirfd, at.name.c_str(), S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) < 0 ? fail() : 0);
}

// ---------------------------------------------------------------- extended attributes

// The xattr calls act on (parent, name) from locate() with the *xattrat syscalls (Linux 6.13) and
// AT_SYMLINK_NOFOLLOW: O_PATH descriptors are EBADF to them, and f*xattr needs an open file.
// Before 6.13, a directory or regular file is opened by rule 4 for f*xattr; other types are
// EOPNOTSUPP there.
enum class XattrOp { Get, List, Set, Remove };

struct XattrCall {
  XattrOp op;
  std::string name;
  std::vector<char> value;  // Set: the value; Get/List: the answer
  int flags = 0;
};

long xattrAt(int dirfd, const char* at, XattrCall& c) {
  int nf = AT_SYMLINK_NOFOLLOW;
  switch (c.op) {
    case XattrOp::Get: {
      XattrArgs a{reinterpret_cast<uintptr_t>(c.value.data()), static_cast<uint32_t>(c.value.size()), 0};
      return syscall(__NR_getxattrat, dirfd, at, nf, c.name.c_str(), &a, sizeof a);
    }
    case XattrOp::List:
      return syscall(__NR_listxattrat, dirfd, at, nf, c.value.data(), c.value.size());
    case XattrOp::Set: {
      XattrArgs a{reinterpret_cast<uintptr_t>(c.value.data()), static_cast<uint32_t>(c.value.size()), static_cast<uint32_t>(c.flags)};
      return syscall(__NR_setxattrat, dirfd, at, nf, c.name.c_str(), &a, sizeof a);
    }
    case XattrOp::Remove:
      return syscall(__NR_removexattrat, dirfd, at, nf, c.name.c_str());
  }
  return -1;
}

long xattrFd(int fd, XattrCall& c) {
  switch (c.op) {
    case XattrOp::Get:
      return fgetxattr(fd, c.name.c_str(), c.value.data(), c.value.size());
    case XattrOp::List:
      return flistxattr(fd, c.value.data(), c.value.size());
    case XattrOp::Set:
      return fsetxattr(fd, c.name.c_str(), c.value.data(), c.value.size(), c.flags);
    case XattrOp::Remove:
      return fremovexattr(fd, c.name.c_str());
  }
  return -1;
}

// Runs an xattr call on the node; the byte count (Get, List) or 0, or -errno.
long xattrNode(int rootfd, const std::string& path, int nodefd, XattrCall& c) {
  if (c.name.find('\0') != std::string::npos) return -EINVAL;
  At at;
  if (int r = locate(rootfd, path, nodefd, at)) return r;
  if (!noXattrat.load(std::memory_order_relaxed)) {
    long r = xattrAt(at.dirfd, at.name.c_str(), c);
    if (r >= 0) return r;
    if (errno != ENOSYS) return fail();
    noXattrat.store(true, std::memory_order_relaxed);
  }
  struct stat st;
  if (fstat(nodefd, &st) < 0) return fail();
  int opened;
  if (S_ISDIR(st.st_mode)) {
    opened = openat(nodefd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (opened < 0) return fail();
  } else if (S_ISREG(st.st_mode)) {
    opened = openVerified(rootfd, path, O_RDONLY, st);
    if (opened < 0) return opened;
  } else {
    return -EOPNOTSUPP;
  }
  Fd fd(opened);
  long r = xattrFd(fd.get(), c);
  return r < 0 ? fail() : r;
}

// getxattr(rootfd, path, nodefd, name) → the value (a Buffer), or -errno.
Napi::Value Getxattr(const Napi::CallbackInfo& info) {
  XattrCall c{XattrOp::Get, strArg(info, 3), std::vector<char>(kXattrMax)};
  long r = xattrNode(fdArg(info, 0), strArg(info, 1), fdArg(info, 2), c);
  if (r < 0) return num(info, double(r));
  return Napi::Buffer<char>::Copy(info.Env(), c.value.data(), static_cast<size_t>(r));
}

// listxattr(rootfd, path, nodefd) → the names, each NUL-terminated (a Buffer), or -errno.
Napi::Value Listxattr(const Napi::CallbackInfo& info) {
  XattrCall c{XattrOp::List, std::string(), std::vector<char>(kXattrMax)};
  long r = xattrNode(fdArg(info, 0), strArg(info, 1), fdArg(info, 2), c);
  if (r < 0) return num(info, double(r));
  return Napi::Buffer<char>::Copy(info.Env(), c.value.data(), static_cast<size_t>(r));
}

// setxattr(rootfd, path, nodefd, name, value, flags) → 0.
Napi::Value Setxattr(const Napi::CallbackInfo& info) {
  Bytes v = bytesArg(info, 4);
  XattrCall c{XattrOp::Set, strArg(info, 3), std::vector<char>(v.data, v.data + v.length), static_cast<int>(intArg(info, 5))};
  return num(info, double(xattrNode(fdArg(info, 0), strArg(info, 1), fdArg(info, 2), c)));
}

// removexattr(rootfd, path, nodefd, name) → 0.
Napi::Value Removexattr(const Napi::CallbackInfo& info) {
  XattrCall c{XattrOp::Remove, strArg(info, 3), {}};
  return num(info, double(xattrNode(fdArg(info, 0), strArg(info, 1), fdArg(info, 2), c)));
}

// fdLimit() → RLIMIT_NOFILE's soft limit: the export bounds its descriptors below it.
Napi::Value FdLimit(const Napi::CallbackInfo& info) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) < 0) return num(info, fail());
  return num(info, rl.rlim_cur == RLIM_INFINITY ? 1 << 20 : double(rl.rlim_cur));
}

}  // namespace

void RegisterHostfs(Napi::Env env, Napi::Object exports) {
  Napi::Object h = Napi::Object::New(env);
  const std::pair<const char*, Napi::Function::Callback> fns[] = {
      {"openRoot", OpenRoot},     {"walk", Walk},           {"walkPath", WalkPath},       {"stat", Stat},
      {"statAt", StatAt},         {"readlink", Readlink},   {"chown", Chown},             {"chmod", Chmod},
      {"utimens", Utimens},       {"statfs", Statfs},       {"reopen", Reopen},           {"create", Create},
      {"pread", Pread},           {"pwrite", Pwrite},       {"ftruncate", Ftruncate},     {"fsync", Fsync},
      {"close", Close},           {"getdents", Getdents},   {"mkdirat", Mkdirat},         {"symlinkat", Symlinkat},
      {"mknodat", Mknodat},       {"linkat", Linkat},       {"renameat", Renameat},       {"unlinkat", Unlinkat},
      {"renameNode", RenameNode}, {"removeNode", RemoveNode}, {"getxattr", Getxattr},     {"listxattr", Listxattr},
      {"setxattr", Setxattr},     {"removexattr", Removexattr}, {"fdLimit", FdLimit},
  };
  for (const auto& [name, fn] : fns) h.Set(name, Napi::Function::New(env, fn, name));
  Napi::Array fields = Napi::Array::New(env, kStatSlots);
  for (size_t i = 0; i < kStatSlots; i++) fields.Set(static_cast<uint32_t>(i), kStatFields[i]);
  h.Set("statFields", fields);
  exports.Set("hostfs", h);
}

}  // namespace vfsemu
