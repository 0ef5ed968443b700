// The host-directory export's syscalls (hostfs.cc): what src/host/host-export.ts needs of the real
// kernel to serve a host directory over 9P without ever resolving a path outside it. Registered on
// the addon's exports as `hostfs`.
#pragma once

#include <napi.h>

namespace vfsemu {

// Adds exports.hostfs = { openRoot, walk, walkPath, stat, reopen, create, ... } (hostfs.cc says
// what each does and its confinement rule).
void RegisterHostfs(Napi::Env env, Napi::Object exports);

}  // namespace vfsemu
