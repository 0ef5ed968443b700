// Parent side of a native run: a pipe, a record key and clone(2) of the sandbox child into its new
// namespaces, then poll(2) on the pipe until EOF or the deadline. Records are checked as they
// arrive (sequence, length, tag: protocol.h); a forged or corrupted one, a stream past
// kMaxStreamBytes or the deadline ends the run with SIGKILL. The wait for the child is bounded too:
// a child that does not die within kReapMs of SIGKILL (stuck in the kernel) is left to be reaped
// by a later run instead of blocking this one. The parent itself never changes namespace
// (DESIGN.md decision 8).
#include "supervise.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "child.h"

namespace vfsemu {
namespace {

// How long the parent waits for a SIGKILLed child to be reapable.
constexpr int kReapMs = 5000;

long long nowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<long long>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// Children that outlived kReapMs after SIGKILL: reaped (WNOHANG) at the start of later runs, so
// none stays a zombie for longer than it has to. Runs may come from several threads (the async
// API), hence the lock.
std::mutex strayLock;
std::vector<pid_t> strays;

void reapStrays() {
  std::lock_guard<std::mutex> g(strayLock);
  std::vector<pid_t> left;
  for (pid_t p : strays) {
    int st;
    if (waitpid(p, &st, WNOHANG) == 0) left.push_back(p);
  }
  strays.swap(left);
}

// Checks records as bytes arrive: each header's sequence number and tag, and, for the leak test,
// when AWAIT_KILL for op `killAfterOp` has come (the child then waits for our SIGKILL).
class Checker {
 public:
  Checker(const RecordKey& key, int64_t killAfterOp) : key_(key), killAfterOp_(killAfterOp) {}

  enum class Verdict { Fine, Forged, KillNow };

  // Looks at every complete record after the last one checked; the records before a forged one
  // are kept, the forged one and everything after it are cut off.
  Verdict check(std::vector<char>& bytes) {
    while (checked_ + sizeof(RecordHeader) <= bytes.size()) {
      RecordHeader h;
      std::memcpy(&h, bytes.data() + checked_, sizeof h);
      if (h.seq != seq_ || h.len > kMaxStreamBytes) return forged(bytes);
      if (checked_ + sizeof h + h.len > bytes.size()) break;
      if (recordTag(key_, h, bytes.data() + checked_ + sizeof h, h.len) != h.tag) return forged(bytes);
      checked_ += sizeof h + h.len;
      seq_++;
      if (h.kind == kAwaitKill) {
        // Only the op the caller named; any other is a child gone wrong: killed all the same.
        if (killAfterOp_ < 0 || h.index != static_cast<uint64_t>(killAfterOp_)) return forged(bytes);
        return Verdict::KillNow;
      }
    }
    return Verdict::Fine;
  }

 private:
  Verdict forged(std::vector<char>& bytes) {
    bytes.resize(checked_);
    return Verdict::Forged;
  }

  const RecordKey& key_;
  int64_t killAfterOp_;
  size_t checked_ = 0;
  uint64_t seq_ = 0;
};

enum class Drained { Eof, Timeout, Error, Forged, TooLong };

// Reads until EOF (the child exited or was killed), the deadline, a failing poll/read, a record
// that fails its check, or more than kMaxStreamBytes.
Drained drain(int fd, std::vector<char>& out, long long deadline, Checker& checker, pid_t pid, bool* killedOnRequest) {
  constexpr size_t kChunk = 1 << 16;
  for (;;) {
    long long left = deadline - nowMs();
    if (left <= 0) return Drained::Timeout;
    pollfd p{fd, POLLIN, 0};
    int r = poll(&p, 1, static_cast<int>(left > 0x7fffffff ? 0x7fffffff : left));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return Drained::Error;
    if (r == 0) return Drained::Timeout;
    size_t used = out.size();
    if (used + kChunk > kMaxStreamBytes) return Drained::TooLong;
    out.resize(used + kChunk);
    ssize_t n = read(fd, out.data() + used, kChunk);
    out.resize(used + (n > 0 ? static_cast<size_t>(n) : 0));
    if (n == 0) return Drained::Eof;
    if (n < 0 && errno != EINTR && errno != EAGAIN) return Drained::Error;
    switch (checker.check(out)) {
      case Checker::Verdict::Forged:
        return Drained::Forged;
      case Checker::Verdict::KillNow:
        kill(pid, SIGKILL);
        *killedOnRequest = true;
        break;
      case Checker::Verdict::Fine:
        break;
    }
  }
}

// waitpid(2) within kReapMs (the child has been killed or has closed its pipe): poll(2) on its
// pidfd says when it has exited. False when it has not: it goes on the strays list.
bool reap(pid_t pid, int pidfd, int* status) {
  long long deadline = nowMs() + kReapMs;
  for (;;) {
    long long left = deadline - nowMs();
    pollfd p{pidfd, POLLIN, 0};
    int r = poll(&p, 1, left > 0 ? static_cast<int>(left) : 0);
    if (r < 0 && errno == EINTR) continue;
    if (r > 0 || left <= 0) break;
  }
  for (;;) {
    pid_t w = waitpid(pid, status, WNOHANG);
    if (w == pid) return true;
    if (w < 0 && errno == EINTR) continue;
    std::lock_guard<std::mutex> g(strayLock);
    strays.push_back(pid);
    return false;
  }
}

}  // namespace

Supervised superviseChild(const NativePlan& plan, int timeoutMs) {
  Supervised s;
  reapStrays();
  RecordKey key;
  if (getrandom(&key, sizeof key, 0) != static_cast<ssize_t>(sizeof key)) {
    s.failure = std::string("getrandom: ") + strerror(errno);
    return s;
  }
  // Everything the child will use is allocated now: it may not allocate after the clone.
  ChildScratch scratch(plan, key);
  int fds[2];
  // O_CLOEXEC: a process Node spawns meanwhile must not hold our write end open.
  if (pipe2(fds, O_CLOEXEC) != 0) {
    s.failure = std::string("pipe2: ") + strerror(errno);
    return s;
  }
  int self = static_cast<int>(syscall(SYS_pidfd_open, getpid(), 0));
  if (self < 0) {
    s.failure = std::string("pidfd_open: ") + strerror(errno);
    close(fds[0]);
    close(fds[1]);
    return s;
  }
  s.records.reserve(1 << 16);
  // clone(2) as fork(2) (no new stack), into the child's namespaces, with a pidfd of it. Raw: the
  // child runs only raw syscalls (child.cc), so glibc's fork bookkeeping is not needed.
  int pidfd = -1;
  long pid = syscall(SYS_clone, kChildCloneFlags | CLONE_PIDFD | SIGCHLD, nullptr, &pidfd, nullptr, nullptr);
  if (pid == 0) runChild(plan, scratch, fds[1], self);
  close(self);
  close(fds[1]);
  if (pid < 0) {
    s.failure = std::string("clone: ") + strerror(errno);
    close(fds[0]);
    return s;
  }
  Checker checker(scratch.key, plan.killAfterOp);
  long long deadline = nowMs() + timeoutMs;
  Drained how = drain(fds[0], s.records, deadline, checker, static_cast<pid_t>(pid), &s.killedOnRequest);
  // Not at EOF: the child may still run, or block on a full pipe; it must not outlive us.
  if (how != Drained::Eof) kill(static_cast<pid_t>(pid), SIGKILL);
  s.timedOut = how == Drained::Timeout;
  s.forged = how == Drained::Forged;
  s.tooLong = how == Drained::TooLong;
  close(fds[0]);
  s.reaped = reap(static_cast<pid_t>(pid), pidfd, &s.waitStatus);
  close(pidfd);
  return s;
}

}  // namespace vfsemu
