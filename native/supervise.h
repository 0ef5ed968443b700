// The parent's side of a run: clone the sandbox child, collect and check its record stream
// within a deadline, and reap it within a bounded wait.
#pragma once

#include <string>
#include <vector>

#include "protocol.h"

namespace vfsemu {

struct Supervised {
  std::vector<char> records;    // the child's records that passed their check, in order
  int waitStatus = 0;           // as waitpid(2) reports it (when reaped)
  bool timedOut = false;        // the deadline passed and the child was SIGKILLed
  bool forged = false;          // a record failed its check: the stream was cut there
  bool tooLong = false;         // the stream passed kMaxStreamBytes and the child was SIGKILLed
  bool killedOnRequest = false; // SIGKILLed after op killAfterOp, as the plan asked
  bool reaped = true;           // false: not reapable within the bounded wait (reaped later)
  std::string failure;          // non-empty when no child could be started
};

Supervised superviseChild(const NativePlan& plan, int timeoutMs);

}  // namespace vfsemu
