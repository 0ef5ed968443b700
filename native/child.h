// The forked child's entry point and the memory it may use: everything is allocated by the
// parent before fork(2), because after fork() in a multi-threaded process the child may only
// make async-signal-safe calls (fork(2) NOTES, signal-safety(7)): no malloc, no stdio, no C++
// allocation, no exceptions.
#pragma once

#include <sys/types.h>

#include <vector>

#include "protocol.h"

namespace vfsemu {

// Buffers and per-namespace descriptor tables, sized for the plan before fork().
struct ChildScratch {
  std::vector<char> out;  // records waiting to be written to the pipe
  std::vector<char> io;   // one read(2)/getdents64(2) chunk
  // Per namespace, by plan index: the descriptor, or -errno when opening it failed.
  std::vector<int> mountinfoFds;  // self/mountinfo, opened as the namespace was entered first
  std::vector<int> nsFds;         // self/ns/mnt, for setns(2)
  std::vector<int> rootFds;       // the sandbox root in that namespace, to re-root after setns
  explicit ChildScratch(const NativePlan& plan);
};

// Sets up the sandbox, runs the plan and streams records to `wfd`; never returns.
[[noreturn]] void runChild(const NativePlan& plan, ChildScratch& scratch, int wfd, pid_t parent) noexcept;

}  // namespace vfsemu
