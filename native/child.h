// The cloned child's entry point and the memory it may use: everything is allocated by the
// parent before clone(2), because after a fork of a multi-threaded process the child may only
// make async-signal-safe calls (fork(2) NOTES, signal-safety(7)): no malloc, no stdio, no C++
// allocation, no exceptions.
#pragma once

#include <linux/sched.h>
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
  // By plan index (docs/plan-format.md): detached trees (open_tree) and user namespaces (0: the
  // one the plan starts in; then userns and unshare with CLONE_NEWUSER); -errno where none.
  std::vector<int> treeFds;
  std::vector<int> usernsFds;
  std::vector<char> pathBuf;      // a path's directory part, for the policy's checks
  RecordKey key;                  // the run's record key (protocol.h)
  explicit ChildScratch(const NativePlan& plan, const RecordKey& key);
};

// The flags the child is cloned with: it is the first process of new PID, mount, UTS and IPC
// namespaces (docs/native-sandbox.md "Isolation").
constexpr unsigned long kChildCloneFlags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC;

// Sets up the sandbox, runs the plan and streams records to `wfd`; never returns. `parentPidfd`
// is a pidfd of the parent, to notice a parent that died before PR_SET_PDEATHSIG took effect.
[[noreturn]] void runChild(const NativePlan& plan, ChildScratch& scratch, int wfd, int parentPidfd) noexcept;

}  // namespace vfsemu
