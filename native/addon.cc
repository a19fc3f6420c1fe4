// Registers the binding's functions. Each load of the module gets one Addon; the state that
// must exist once per environment lives in Environment (environment.h). Every function runs on
// the JS thread of the environment that loaded this copy; src/ validates arguments with full
// messages first, and these re-check types cheaply.
#include <algorithm>
#include <climits>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "analysis_worker.h"
#include "environment.h"
#include "gc_monitor.h"
#include "heap_limit.h"
#include "heap_summary.h"
#include "signal_watcher.h"
#include "snapshot_ledger.h"
#include "snapshot_names.h"
#include "snapshot_writer.h"
#ifdef HEAPWATCH_TEST_SEAMS
#include "test_seams.h"
#endif

namespace heapwatch {

class Addon : public Napi::Addon<Addon> {
 public:
  Addon(Napi::Env env, Napi::Object exports) : isolate_(nullptr), load_(env) {
    // Built for another Node major, V8's and Node's C++ API differ: touch nothing but Node-API
    // (ABI-stable) and offer only abi(), so that the loader can refuse this build cleanly.
    const napi_node_version* running = nullptr;
    if (napi_get_node_version(env, &running) != napi_ok ||
        running->major != static_cast<uint32_t>(NODE_MAJOR_VERSION)) {
      env_ = nullptr;
      DefineAddon(exports, {InstanceMethod("abi", &Addon::Abi)});
      return;
    }
    isolate_ = v8::Isolate::GetCurrent();
    env_ = Environment::Acquire(env);
    DefineAddon(exports, {
                             InstanceMethod("abi", &Addon::Abi),
                             InstanceMethod("facts", &Addon::Facts),
                             InstanceMethod("firstInProcess", &Addon::FirstInProcess),
                             InstanceMethod("setSink", &Addon::SetSink),
                             InstanceMethod("configure", &Addon::Configure),
                             InstanceMethod("checkTemplate", &Addon::CheckTemplate),
                             InstanceMethod("nameMatches", &Addon::NameMatches),
                             InstanceMethod("writeSnapshot", &Addon::WriteSnapshot),
                             InstanceMethod("watchSignal", &Addon::WatchSignal),
                             InstanceMethod("unwatchSignal", &Addon::UnwatchSignal),
                             InstanceMethod("gc", &Addon::Gc),
                             InstanceMethod("gcSetInterest", &Addon::GcSetInterest),
                             InstanceMethod("gcProbe", &Addon::GcProbe),
                             InstanceMethod("heapDiffCreate", &Addon::HeapDiffCreate),
                             InstanceMethod("heapDiffStart", &Addon::HeapDiffStart),
                             InstanceMethod("heapDiffEnd", &Addon::HeapDiffEnd),
                             InstanceMethod("analyze", &Addon::Analyze),
                         });
#ifdef HEAPWATCH_TEST_SEAMS
    test_seams::Define(env, exports, env_);
#endif
  }

  ~Addon() {
    // The environment may already be gone when this load's instance data is finalized.
    if (isolate_ == nullptr) return;  // a build for another Node: nothing was set up
    if (Environment* env = Environment::Find(isolate_)) {
      env->RemoveSink(napi_env_);
      if (env->gc_monitor != nullptr) env->gc_monitor->SetInterest(load_, false, false);
    }
  }

 private:
  static bool Expect(const Napi::CallbackInfo& info, size_t index, napi_valuetype type) {
    if (info.Length() > index && info[index].Type() == type) return true;
    Napi::TypeError::New(info.Env(), "heapwatch binding: bad argument " + std::to_string(index))
        .ThrowAsJavaScriptException();
    return false;
  }

  // abi() -> the NODE_MODULE_VERSION this was compiled for. The addon uses V8 and Node's C++
  // API, so unlike a pure Node-API addon it must run on the Node it was built for; the loader
  // checks this instead of letting a stale build misbehave.
  Napi::Value Abi(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), NODE_MODULE_VERSION);
  }

  // facts() -> what JavaScript needs to know of the native side, defined here once:
  // { defaultName, placeholders, ledger, signals, gc: GcMonitor::Layout() }.
  Napi::Value Facts(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object out = Napi::Object::New(env);
    out.Set("defaultName", snapshot_names::kDefaultTemplate);
    out.Set("placeholders", snapshot_names::kPlaceholders);
    out.Set("ledger", snapshot_ledger::kFileName);
    std::vector<std::string> names = signal_watcher::SignalNames();
    Napi::Array signals = Napi::Array::New(env, names.size());
    for (uint32_t i = 0; i < names.size(); i++) signals.Set(i, names[i]);
    out.Set("signals", signals);
    out.Set("gc", GcMonitor::Layout(env));
    return out;
  }

  // firstInProcess(key) -> true for the first call with `key` from any environment of the
  // process: notices about process-wide things (NODE_HEAPDUMP_OPTIONS) are printed once, not
  // again by every worker. Process-wide on purpose; never destroyed (workers may outlive exit).
  Napi::Value FirstInProcess(const Napi::CallbackInfo& info) {
    if (!Expect(info, 0, napi_string)) return Napi::Value();
    static auto* mutex = new std::mutex();
    static auto* seen = new std::set<std::string>();
    std::lock_guard<std::mutex> lock(*mutex);
    bool first = seen->insert(info[0].As<Napi::String>().Utf8Value()).second;
    return Napi::Boolean::New(info.Env(), first);
  }

  // setSink(fn): fn(kind, payload) receives this environment's events.
  Napi::Value SetSink(const Napi::CallbackInfo& info) {
    if (!Expect(info, 0, napi_function)) return Napi::Value();
    napi_env_ = info.Env();
    env_->AddSink(info.Env(), info[0].As<Napi::Function>());
    return info.Env().Undefined();
  }

  // configure({ dir, name, threadId, keep, heapLimit, mainThread }): the snapshot settings, all
  // at once (src/ validated them, made dir absolute and created it). Runs retention in the
  // directory when keep, dir or name changed.
  Napi::Value Configure(const Napi::CallbackInfo& info) {
    if (!Expect(info, 0, napi_object)) return Napi::Value();
    Napi::Object o = info[0].As<Napi::Object>();
    SnapshotSettings next;
    next.dir = o.Get("dir").ToString().Utf8Value();
    next.name_template = o.Get("name").ToString().Utf8Value();
    next.thread_id = o.Get("threadId").ToNumber().Int64Value();
    next.keep = static_cast<size_t>(std::max<int64_t>(0, o.Get("keep").ToNumber().Int64Value()));
    int64_t heap_limit = o.Get("heapLimit").ToNumber().Int64Value();
    bool main_thread = o.Get("mainThread").ToBoolean().Value();
    if (!snapshot_names::TemplateProblem(next.name_template).empty()) {
      Napi::TypeError::New(info.Env(), "heapwatch binding: bad template")
          .ThrowAsJavaScriptException();
      return Napi::Value();
    }
    SnapshotState* snapshots = env_->snapshots();
    SnapshotSettings prev = snapshots->settings;
    snapshots->settings = next;
    if (heap_limit > 0) {
      heap_limit::Enable(env_, static_cast<int>(std::min<int64_t>(heap_limit, INT32_MAX)),
                         main_thread);
    } else {
      heap_limit::Disable(env_);
    }
    if (next.keep > 0 && (next.keep != prev.keep || next.dir != prev.dir ||
                          next.name_template != prev.name_template)) {
      snapshots->Prune(next.dir);
    }
    return info.Env().Undefined();
  }

  // checkTemplate(name) -> "" or why the snapshot name template is not valid.
  Napi::Value CheckTemplate(const Napi::CallbackInfo& info) {
    if (!Expect(info, 0, napi_string)) return Napi::Value();
    return Napi::String::New(
        info.Env(), snapshot_names::TemplateProblem(info[0].As<Napi::String>().Utf8Value()));
  }

  // nameMatches(template, name) -> whether `name` is one the (valid) template produces.
  Napi::Value NameMatches(const Napi::CallbackInfo& info) {
    if (!Expect(info, 0, napi_string) || !Expect(info, 1, napi_string)) return Napi::Value();
    return Napi::Boolean::New(info.Env(),
                              snapshot_names::Matches(info[0].As<Napi::String>().Utf8Value(),
                                                      info[1].As<Napi::String>().Utf8Value()));
  }

  // writeSnapshot(trigger, path?, dir) -> { path, bytes, durationMs, errno, syscall, needed,
  // free, detail, message }. Without a path: a generated name in dir ("": the configured one),
  // with retention. A trigger other than "api" is announced on stderr.
  Napi::Value WriteSnapshot(const Napi::CallbackInfo& info) {
    if (!Expect(info, 0, napi_string) || !Expect(info, 2, napi_string)) return Napi::Value();
    std::string trigger = info[0].As<Napi::String>().Utf8Value();
    std::optional<std::string> path;
    if (info[1].IsString()) path = info[1].As<Napi::String>().Utf8Value();
    std::string dir = info[2].As<Napi::String>().Utf8Value();
    return env_->snapshots()->Write(path, dir, trigger.c_str(), trigger != "api").ToJs(info.Env());
  }

  // watchSignal(name) -> 0 or a negative libuv error; name is one of facts().signals.
  Napi::Value WatchSignal(const Napi::CallbackInfo& info) {
    if (!Expect(info, 0, napi_string)) return Napi::Value();
    int signo = signal_watcher::SignalNumber(info[0].As<Napi::String>().Utf8Value());
    int err = signo == 0 ? UV_EINVAL : signal_watcher::Watch(env_, signo);
    if (err == 0 && !signal_cleanup_registered_) {
      signal_cleanup_registered_ = true;
      Environment* env = env_;
      env_->OnCleanup([env] { signal_watcher::Forget(env); });
    }
    return Napi::Number::New(info.Env(), err);
  }

  Napi::Value UnwatchSignal(const Napi::CallbackInfo& info) {
    signal_watcher::Unwatch(env_);
    return info.Env().Undefined();
  }

  // gc(): a full, synchronous collection; no --expose-gc needed. Counted as one full GC.
  Napi::Value Gc(const Napi::CallbackInfo& info) {
    GcMonitor* monitor = env_->gc_monitor;
    if (monitor != nullptr) monitor->BeginExplicitGc();
    isolate_->LowMemoryNotification();
    if (monitor != nullptr) monitor->EndExplicitGc();
    return info.Env().Undefined();
  }

  // gcSetInterest(full, every): this load wants records of full GCs ('stats', 'leak') and/or of
  // every GC ('gc'). The environment's hooks exist while any load wants anything. Returns
  // whether they are installed.
  Napi::Value GcSetInterest(const Napi::CallbackInfo& info) {
    if (!Expect(info, 0, napi_boolean) || !Expect(info, 1, napi_boolean)) return Napi::Value();
    bool full = info[0].As<Napi::Boolean>().Value();
    bool every = info[1].As<Napi::Boolean>().Value();
    if (full || every || env_->gc_monitor != nullptr) {
      GcMonitor::Get(env_)->SetInterest(load_, full, every);
    }
    return Napi::Boolean::New(info.Env(),
                              env_->gc_monitor != nullptr && env_->gc_monitor->hooked());
  }

  // gcProbe(): asks V8 to start incremental marking now (a full GC that finishes in small steps
  // and reports as mark-sweep-compact), so that leak detection sees a measured heap without
  // waiting for V8's own, rare, full GCs. Does nothing if marking already runs.
  Napi::Value GcProbe(const Napi::CallbackInfo& info) {
    isolate_->MemoryPressureNotification(v8::MemoryPressureLevel::kModerate);
    return info.Env().Undefined();
  }

  // HeapDiff: see heap_summary.h.
  Napi::Value HeapDiffCreate(const Napi::CallbackInfo& info) {
    return heapwatch::HeapDiffCreate(info);
  }
  Napi::Value HeapDiffStart(const Napi::CallbackInfo& info) {
    return heapwatch::HeapDiffStart(env_, info);
  }
  Napi::Value HeapDiffEnd(const Napi::CallbackInfo& info) {
    return heapwatch::HeapDiffEnd(env_, info);
  }

  // analyze(command, files, options, onProgress) -> Promise: the heapwatch command's analysis
  // of snapshot files (analysis_worker.h), on a libuv pool thread.
  Napi::Value Analyze(const Napi::CallbackInfo& info) {
    return heapwatch::Analyze(info);
  }

  v8::Isolate* isolate_;
  napi_env load_;
  Environment* env_;
  napi_env napi_env_ = nullptr;
  bool signal_cleanup_registered_ = false;
};

}  // namespace heapwatch

using heapwatch::Addon;
NODE_API_ADDON(Addon)
