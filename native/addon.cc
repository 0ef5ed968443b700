// The Node-API surface of vfsemu_native: `run(ops, killAfterOp, timeoutMs)` and its asynchronous
// twin `runAsync(...)` (a Promise; the child is supervised on a libuv worker thread, so the event
// loop goes on meanwhile), and `protocol()`, the numbers this build was compiled with (op kinds,
// flag values from the system headers, refusals, limits) for the test that keeps the TypeScript
// side in step. It turns the marshalled plan (src/host/native.ts has already resolved flag names
// to numbers and filled in defaults) into C structures on the JS thread, before anything is
// cloned, runs it through superviseChild(), and after the child is reaped parses the checked
// record stream (protocol.h) into plain JS values. Naming errnos, decoding text and building the
// Outcome stay in TypeScript.
#include <fcntl.h>
#include <linux/sched.h>
#include <napi.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstring>
#include <map>

#include "hostfs.h"
#include "protocol.h"
#include "supervise.h"

namespace vfsemu {
namespace {

const std::map<std::string, OpKind>& opKinds() {
  static const std::map<std::string, OpKind> kinds = {
      {"mkdir", OpKind::Mkdir},     {"write", OpKind::Write},     {"symlink", OpKind::Symlink},
      {"link", OpKind::Link},       {"unlink", OpKind::Unlink},   {"rmdir", OpKind::Rmdir},
      {"rename", OpKind::Rename},   {"chmod", OpKind::Chmod},     {"chown", OpKind::Chown},
      {"truncate", OpKind::Truncate}, {"mount", OpKind::Mount},   {"umount", OpKind::Umount},
      {"unshare", OpKind::Unshare}, {"setns", OpKind::Setns},     {"stat", OpKind::Stat},
      {"read", OpKind::Read},       {"readdir", OpKind::Readdir}, {"setcred", OpKind::Setcred},
      {"fsmount", OpKind::Fsmount},  {"pivot_root", OpKind::PivotRoot}, {"mknod", OpKind::Mknod}, {"openpty", OpKind::Openpty},
      {"userns", OpKind::Userns},   {"open_tree", OpKind::OpenTree}, {"mount_setattr", OpKind::MountSetattr},
      {"move_mount", OpKind::MoveMount},
  };
  return kinds;
}

// The op names in OpKind order: what `protocol()` reports.
std::vector<std::string> opKindNames() {
  std::vector<std::string> names(opKinds().size());
  for (const auto& [name, kind] : opKinds()) {
    size_t i = static_cast<size_t>(kind);
    if (i < names.size()) names[i] = name;
  }
  return names;
}

bool has(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  return !v.IsUndefined() && !v.IsNull();
}

std::string str(const Napi::Object& o, const char* key) {
  return has(o, key) ? o.Get(key).As<Napi::String>().Utf8Value() : std::string();
}

int64_t num(const Napi::Object& o, const char* key) {
  return has(o, key) ? o.Get(key).As<Napi::Number>().Int64Value() : 0;
}

NativeOp marshalOp(const Napi::Env& env, const Napi::Object& o, uint32_t index) {
  NativeOp op;
  auto kind = opKinds().find(str(o, "op"));
  if (kind == opKinds().end()) throw Napi::TypeError::New(env, "ops[" + std::to_string(index) + "]: unknown op");
  op.kind = kind->second;
  op.path = str(o, "path");
  op.path2 = str(o, "path2");
  op.fstype = str(o, "fstype");
  op.hasData = has(o, "data");
  op.data = str(o, "data");
  op.mode = static_cast<uint32_t>(num(o, "mode"));
  // Ids arrive as -1 … 0xffffffff; the kernel reads uid_t/gid_t, where -1 means "unchanged".
  op.uid = static_cast<uint32_t>(num(o, "uid"));
  op.gid = static_cast<uint32_t>(num(o, "gid"));
  op.flags = static_cast<uint64_t>(num(o, "flags"));
  op.length = num(o, "length");
  op.ns = num(o, "ns");
  op.dev = static_cast<uint64_t>(num(o, "dev"));
  if (has(o, "groups")) {
    op.hasGroups = true;
    Napi::Array groups = o.Get("groups").As<Napi::Array>();
    for (uint32_t i = 0; i < groups.Length(); i++) {
      op.groups.push_back(static_cast<uint32_t>(groups.Get(i).As<Napi::Number>().Int64Value()));
    }
  }
  if (has(o, "params")) {
    // [[key, value | null], ...]: marshalled here, before the fork, like every other string.
    Napi::Array params = o.Get("params").As<Napi::Array>();
    for (uint32_t i = 0; i < params.Length(); i++) {
      Napi::Array kv = params.Get(i).As<Napi::Array>();
      FsParam p;
      p.key = kv.Get(0u).As<Napi::String>().Utf8Value();
      Napi::Value v = kv.Get(1u);
      p.hasValue = !v.IsNull() && !v.IsUndefined();
      if (p.hasValue) p.value = v.As<Napi::String>().Utf8Value();
      op.params.push_back(std::move(p));
    }
  }
  op.badAttrs = has(o, "badAttrs") && o.Get("badAttrs").As<Napi::Boolean>().Value();
  op.hasSetgroups = has(o, "setgroups");
  op.setgroups = str(o, "setgroups");
  op.hasUidMap = has(o, "uidMap");
  op.uidMap = str(o, "uidMap");
  op.hasGidMap = has(o, "gidMap");
  op.gidMap = str(o, "gidMap");
  op.slot = has(o, "slot") ? num(o, "slot") : -1;
  op.byTree = has(o, "tree");
  op.tree = op.byTree ? num(o, "tree") : -1;
  op.userns = has(o, "userns") ? num(o, "userns") : -1;
  op.attrSet = static_cast<uint64_t>(num(o, "attrSet"));
  op.attrClr = static_cast<uint64_t>(num(o, "attrClr"));
  op.propagation = static_cast<uint64_t>(num(o, "propagation"));
  op.refused = static_cast<int32_t>(num(o, "refused"));
  if (has(o, "caps")) {
    bool lossless;
    op.caps = o.Get("caps").As<Napi::BigInt>().Uint64Value(&lossless);
  }
  return op;
}

// What the record stream said about one op.
struct OpRecord {
  bool reported = false;
  int err = 0;
  bool hasStat = false;
  StatPayload stat{};
  std::string data;                // read: the DATA chunks, in order
  std::vector<std::string> names;  // readdir: the NAME records
};

struct NsRecord {
  std::string text;
  bool ended = false;
  int err = 0;
};

// A record that ends the plan early: a setup failure (index: the step) or a stop (the op).
struct Early {
  bool seen = false;
  uint32_t index = 0;
  int err = 0;
};

struct Parsed {
  std::vector<OpRecord> ops;
  std::vector<NsRecord> namespaces;
  bool done = false;
  uint32_t current = 0;
  Early setupFailed;
  Early stopped;
};

// Parses complete records; a truncated last one (the child died mid-write) is dropped.
Parsed parse(const std::vector<char>& bytes, size_t opCount) {
  Parsed p;
  p.ops.resize(opCount);
  std::vector<OpRecord> pending(opCount);  // DATA/NAME records before their RESULT
  size_t off = 0;
  while (off + sizeof(RecordHeader) <= bytes.size()) {
    RecordHeader h;
    std::memcpy(&h, bytes.data() + off, sizeof h);
    if (off + sizeof h + h.len > bytes.size()) break;
    const char* payload = bytes.data() + off + sizeof h;
    off += sizeof h + h.len;
    bool opIndex = h.index < opCount;
    switch (h.kind) {
      case kSetupFailed:
        p.setupFailed = {true, h.index, h.err};
        break;
      case kData:
        if (opIndex) pending[h.index].data.append(payload, h.len);
        break;
      case kName:
        if (opIndex) pending[h.index].names.emplace_back(payload, h.len);
        break;
      case kResult:
        if (!opIndex) break;
        p.ops[h.index] = std::move(pending[h.index]);
        p.ops[h.index].reported = true;
        p.ops[h.index].err = h.err;
        if (h.err == 0 && h.len == sizeof(StatPayload)) {
          p.ops[h.index].hasStat = true;
          std::memcpy(&p.ops[h.index].stat, payload, sizeof(StatPayload));
        }
        break;
      case kMountinfo:
      case kMountinfoEnd:
        if (h.index >= p.namespaces.size()) p.namespaces.resize(h.index + 1);
        if (h.kind == kMountinfo) {
          p.namespaces[h.index].text.append(payload, h.len);
        } else {
          p.namespaces[h.index].ended = true;
          p.namespaces[h.index].err = h.err;
        }
        break;
      case kStopped:
        p.stopped = {true, h.index, h.err};
        break;
      case kDone:
        p.done = true;
        p.current = h.index;
        break;
      case kAwaitKill:
        break;
    }
  }
  return p;
}

Napi::Buffer<char> bytes(Napi::Env env, const std::string& s) {
  return Napi::Buffer<char>::Copy(env, s.data(), s.size());
}

Napi::Value opValue(Napi::Env env, const NativeOp& op, const OpRecord& r) {
  if (!r.reported) return env.Null();
  Napi::Object o = Napi::Object::New(env);
  o.Set("errno", r.err);
  if (r.err != 0) return o;
  if (r.hasStat) {
    Napi::Object st = Napi::Object::New(env);
    st.Set("mode", r.stat.mode);
    st.Set("uid", r.stat.uid);
    st.Set("gid", r.stat.gid);
    st.Set("size", static_cast<double>(r.stat.size));
    st.Set("nlink", static_cast<double>(r.stat.nlink));
    o.Set("stat", st);
  }
  if (op.kind == OpKind::Read || op.kind == OpKind::Openpty) o.Set("data", bytes(env, r.data));
  if (op.kind == OpKind::Readdir) {
    Napi::Array names = Napi::Array::New(env, r.names.size());
    for (size_t i = 0; i < r.names.size(); i++) names.Set(static_cast<uint32_t>(i), bytes(env, r.names[i]));
    o.Set("names", names);
  }
  return o;
}

NativePlan marshalPlan(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array ops = info[0].As<Napi::Array>();
  NativePlan plan;
  plan.ops.reserve(ops.Length());
  for (uint32_t i = 0; i < ops.Length(); i++) plan.ops.push_back(marshalOp(env, ops.Get(i).As<Napi::Object>(), i));
  plan.killAfterOp = info[1].As<Napi::Number>().Int64Value();
  if (info.Length() > 3 && info[3].IsObject()) {
    Napi::Object o = info[3].As<Napi::Object>();
    plan.garbageAfterOp = has(o, "garbageAfterOp") ? num(o, "garbageAfterOp") : -1;
    plan.allowCgroupDirs = has(o, "allowCgroupDirs") && o.Get("allowCgroupDirs").As<Napi::Boolean>().Value();
  }
  return plan;
}

// { results, namespaces, current, done, stopped, setupFailure, exitCode, signal, timedOut,
// forged, tooLong, killedOnRequest, reaped }: raw numbers and bytes; src/host/native.ts makes the
// Outcome.
Napi::Value runValue(Napi::Env env, const NativePlan& plan, const Supervised& s) {
  if (!s.failure.empty()) throw Napi::Error::New(env, "vfsemu_native: cannot start the sandbox child: " + s.failure);
  Parsed p = parse(s.records, plan.ops.size());

  Napi::Object out = Napi::Object::New(env);
  Napi::Array results = Napi::Array::New(env, plan.ops.size());
  for (size_t i = 0; i < plan.ops.size(); i++) results.Set(static_cast<uint32_t>(i), opValue(env, plan.ops[i], p.ops[i]));
  out.Set("results", results);
  Napi::Array namespaces = Napi::Array::New(env, p.namespaces.size());
  for (size_t i = 0; i < p.namespaces.size(); i++) {
    Napi::Object ns = Napi::Object::New(env);
    ns.Set("text", bytes(env, p.namespaces[i].text));
    ns.Set("errno", p.namespaces[i].ended ? p.namespaces[i].err : -1);
    namespaces.Set(static_cast<uint32_t>(i), ns);
  }
  out.Set("namespaces", namespaces);
  out.Set("current", p.current);
  out.Set("done", p.done);
  auto early = [&](const Early& e, const char* key, Napi::Value index) -> Napi::Value {
    if (!e.seen) return env.Null();
    Napi::Object o = Napi::Object::New(env);
    o.Set(key, index);
    o.Set("errno", e.err);
    return o;
  };
  out.Set("stopped", early(p.stopped, "after", Napi::Number::New(env, p.stopped.index)));
  out.Set("setupFailure", early(p.setupFailed, "step", Napi::String::New(env, setupStepName(p.setupFailed.index))));
  bool reaped = s.reaped;
  out.Set("exitCode", reaped && WIFEXITED(s.waitStatus) ? Napi::Value(Napi::Number::New(env, WEXITSTATUS(s.waitStatus))) : env.Null());
  out.Set("signal", reaped && WIFSIGNALED(s.waitStatus) ? Napi::Value(Napi::Number::New(env, WTERMSIG(s.waitStatus))) : env.Null());
  out.Set("timedOut", s.timedOut);
  out.Set("forged", s.forged);
  out.Set("tooLong", s.tooLong);
  out.Set("killedOnRequest", s.killedOnRequest);
  out.Set("reaped", reaped);
  return out;
}

// run(ops, killAfterOp, timeoutMs, { garbageAfterOp, allowCgroupDirs }): the run, synchronously
// (the JS thread waits).
Napi::Value Run(const Napi::CallbackInfo& info) {
  NativePlan plan = marshalPlan(info);
  int timeoutMs = info[2].As<Napi::Number>().Int32Value();
  Supervised s = superviseChild(plan, timeoutMs);
  return runValue(info.Env(), plan, s);
}

// The run on a libuv worker thread; the Promise settles on the JS thread.
class RunWorker : public Napi::AsyncWorker {
 public:
  RunWorker(Napi::Env env, NativePlan plan, int timeoutMs)
      : Napi::AsyncWorker(env), plan_(std::move(plan)), timeoutMs_(timeoutMs), deferred_(Napi::Promise::Deferred::New(env)) {}

  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override { result_ = superviseChild(plan_, timeoutMs_); }

  void OnOK() override {
    Napi::Env env = Env();
    try {
      deferred_.Resolve(runValue(env, plan_, result_));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  }

 private:
  NativePlan plan_;
  int timeoutMs_;
  Supervised result_;
  Napi::Promise::Deferred deferred_;
};

// runAsync(ops, killAfterOp, timeoutMs, options) → Promise of what run() returns.
Napi::Value RunAsync(const Napi::CallbackInfo& info) {
  NativePlan plan = marshalPlan(info);
  int timeoutMs = info[2].As<Napi::Number>().Int32Value();
  auto* worker = new RunWorker(info.Env(), std::move(plan), timeoutMs);
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

// protocol(): what this build was compiled with, for test/native/protocol.test.ts.
Napi::Value Protocol(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  std::vector<std::string> names = opKindNames();
  Napi::Array ops = Napi::Array::New(env, names.size());
  for (size_t i = 0; i < names.size(); i++) ops.Set(static_cast<uint32_t>(i), names[i]);
  out.Set("ops", ops);
  Napi::Object refusals = Napi::Object::New(env);
  refusals.Set("fstype", static_cast<int>(kRefusedFstype));
  refusals.Set("device", static_cast<int>(kRefusedDevice));
  refusals.Set("pseudo-write", static_cast<int>(kRefusedPseudoWrite));
  refusals.Set("output-limit", static_cast<int>(kRefusedOutputLimit));
  refusals.Set("run-limit", static_cast<int>(kRefusedRunLimit));
  refusals.Set("cgroup-options", static_cast<int>(kRefusedCgroupOptions));
  out.Set("unavailable", static_cast<int>(kUnavailable));
  out.Set("refusals", refusals);
  Napi::Object limits = Napi::Object::New(env);
  limits.Set("maxOpBytes", static_cast<double>(kMaxOpBytes));
  limits.Set("maxRunBytes", static_cast<double>(kMaxRunBytes));
  limits.Set("maxStreamBytes", static_cast<double>(kMaxStreamBytes));
  out.Set("limits", limits);
  // The kernel's numbers as this system's headers give them (the TypeScript tables must agree).
  Napi::Object flags = Napi::Object::New(env);
  const std::pair<const char*, double> values[] = {
      {"MS_RDONLY", MS_RDONLY}, {"MS_NOSUID", MS_NOSUID}, {"MS_NODEV", MS_NODEV}, {"MS_NOEXEC", MS_NOEXEC},
      {"MS_SYNCHRONOUS", MS_SYNCHRONOUS}, {"MS_REMOUNT", MS_REMOUNT}, {"MS_MANDLOCK", MS_MANDLOCK},
      {"MS_DIRSYNC", MS_DIRSYNC}, {"MS_NOSYMFOLLOW", 256}, {"MS_NOATIME", MS_NOATIME},
      {"MS_NODIRATIME", MS_NODIRATIME}, {"MS_BIND", MS_BIND}, {"MS_MOVE", MS_MOVE}, {"MS_REC", MS_REC},
      {"MS_SILENT", MS_SILENT}, {"MS_UNBINDABLE", MS_UNBINDABLE}, {"MS_PRIVATE", MS_PRIVATE},
      {"MS_SLAVE", MS_SLAVE}, {"MS_SHARED", MS_SHARED}, {"MS_RELATIME", MS_RELATIME},
      {"MS_STRICTATIME", MS_STRICTATIME}, {"MS_LAZYTIME", MS_LAZYTIME},
      {"MNT_FORCE", MNT_FORCE}, {"MNT_DETACH", MNT_DETACH}, {"MNT_EXPIRE", MNT_EXPIRE}, {"UMOUNT_NOFOLLOW", UMOUNT_NOFOLLOW},
      {"RENAME_NOREPLACE", 1}, {"RENAME_EXCHANGE", 2}, {"RENAME_WHITEOUT", 4},
      {"CLONE_NEWNS", CLONE_NEWNS}, {"CLONE_NEWNET", CLONE_NEWNET}, {"CLONE_NEWUSER", CLONE_NEWUSER},
      {"CLONE_NEWIPC", CLONE_NEWIPC}, {"CLONE_NEWPID", CLONE_NEWPID},
      {"OPEN_TREE_CLONE", OPEN_TREE_CLONE}, {"AT_RECURSIVE", AT_RECURSIVE}, {"AT_SYMLINK_NOFOLLOW", AT_SYMLINK_NOFOLLOW},
      {"MOUNT_ATTR__ATIME", MOUNT_ATTR__ATIME}, {"MOUNT_ATTR_RELATIME", MOUNT_ATTR_RELATIME},
      {"MOUNT_ATTR_IDMAP", MOUNT_ATTR_IDMAP}, {"MOUNT_ATTR_NOSYMFOLLOW", MOUNT_ATTR_NOSYMFOLLOW},
      {"MOUNT_ATTR_RDONLY", MOUNT_ATTR_RDONLY}, {"MOUNT_ATTR_NOSUID", MOUNT_ATTR_NOSUID},
      {"MOUNT_ATTR_NODEV", MOUNT_ATTR_NODEV}, {"MOUNT_ATTR_NOEXEC", MOUNT_ATTR_NOEXEC},
      {"MOUNT_ATTR_NOATIME", MOUNT_ATTR__ATIME & MOUNT_ATTR_NOATIME}, {"MOUNT_ATTR_STRICTATIME", MOUNT_ATTR_STRICTATIME},
      {"MOUNT_ATTR_NODIRATIME", MOUNT_ATTR_NODIRATIME},
      {"S_IFCHR", S_IFCHR}, {"S_IFBLK", S_IFBLK}, {"S_IFIFO", S_IFIFO}, {"S_IFREG", S_IFREG}, {"S_IFSOCK", S_IFSOCK},
  };
  for (const auto& [name, v] : values) flags.Set(name, v);
  out.Set("flags", flags);
  return out;
}

// sipHash24(key: 16-byte Buffer, data: Buffer) → BigInt: the record tag's PRF, for its test.
Napi::Value SipHash(const Napi::CallbackInfo& info) {
  Napi::Buffer<char> k = info[0].As<Napi::Buffer<char>>();
  Napi::Buffer<char> d = info[1].As<Napi::Buffer<char>>();
  if (k.Length() != 16) throw Napi::RangeError::New(info.Env(), "sipHash24: the key is 16 bytes");
  RecordKey key;
  std::memcpy(&key.k0, k.Data(), 8);
  std::memcpy(&key.k1, k.Data() + 8, 8);
  return Napi::BigInt::New(info.Env(), static_cast<uint64_t>(sipHash24(key, d.Data(), d.Length())));
}

}  // namespace
}  // namespace vfsemu

static Napi::Object InitVfsemuNative(Napi::Env env, Napi::Object exports) {
  exports.Set("run", Napi::Function::New(env, vfsemu::Run, "run"));
  exports.Set("runAsync", Napi::Function::New(env, vfsemu::RunAsync, "runAsync"));
  exports.Set("protocol", Napi::Function::New(env, vfsemu::Protocol, "protocol"));
  exports.Set("sipHash24", Napi::Function::New(env, vfsemu::SipHash, "sipHash24"));
  // The host-directory export's syscalls (hostfs.cc), for src/host/host-export.ts.
  vfsemu::RegisterHostfs(env, exports);
  return exports;
}

NODE_API_MODULE(vfsemu_native, InitVfsemuNative)
