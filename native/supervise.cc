// Parent side of a native run: a pipe and fork(2), then poll(2) on the pipe until EOF or the
// deadline, SIGKILL on timeout, and waitpid(2) in every case, so that no child outlives the call
// and none is left a zombie. The parent itself never changes namespace (DESIGN.md decision 8).
#include "supervise.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "child.h"

namespace vfsemu {
namespace {

long long nowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<long long>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

enum class Drained { Eof, Timeout, Error };

// Reads until EOF (the child exited or was killed), the deadline, or a failing poll/read.
Drained drain(int fd, std::vector<char>& out, long long deadline) {
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
    out.resize(used + kChunk);
    ssize_t n = read(fd, out.data() + used, kChunk);
    out.resize(used + (n > 0 ? static_cast<size_t>(n) : 0));
    if (n == 0) return Drained::Eof;
    if (n < 0 && errno != EINTR && errno != EAGAIN) return Drained::Error;
  }
}

}  // namespace

Supervised superviseChild(const NativePlan& plan, int timeoutMs) {
  Supervised s;
  // Everything the child will use is allocated now: it may not allocate after fork().
  ChildScratch scratch(plan);
  int fds[2];
  // O_CLOEXEC: a process Node spawns meanwhile must not hold our write end open.
  if (pipe2(fds, O_CLOEXEC) != 0) {
    s.failure = std::string("pipe2: ") + strerror(errno);
    return s;
  }
  pid_t parent = getpid();
  s.records.reserve(1 << 16);
  pid_t pid = fork();
  if (pid < 0) {
    s.failure = std::string("fork: ") + strerror(errno);
    close(fds[0]);
    close(fds[1]);
    return s;
  }
  if (pid == 0) runChild(plan, scratch, fds[1], parent);
  close(fds[1]);
  long long deadline = nowMs() + timeoutMs;
  Drained how = drain(fds[0], s.records, deadline);
  // Not at EOF: the child may still run, or block on a full pipe; it must not outlive us.
  if (how != Drained::Eof) kill(pid, SIGKILL);
  s.timedOut = how == Drained::Timeout;
  close(fds[0]);
  // The child has closed its end (exit) or has been killed: this wait is short either way.
  while (waitpid(pid, &s.waitStatus, 0) < 0 && errno == EINTR) {
  }
  return s;
}

}  // namespace vfsemu
