// The parent's side of a run: fork the sandbox child, collect its record stream within a
// deadline, and always reap it.
#pragma once

#include <string>
#include <vector>

#include "protocol.h"

namespace vfsemu {

struct Supervised {
  std::vector<char> records;  // everything the child wrote, in order
  int waitStatus = 0;         // as waitpid(2) reports it
  bool timedOut = false;      // the deadline passed and the child was SIGKILLed
  std::string failure;        // non-empty when no child could be started (pipe2/fork failed)
};

Supervised superviseChild(const NativePlan& plan, int timeoutMs);

}  // namespace vfsemu
