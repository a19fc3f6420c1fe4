// Registers the binding's functions. Each load of the module gets one Addon; the state that
// must exist once per environment lives in Environment (environment.h).
#include <csignal>
#include <mutex>
#include <set>
#include <string>

#include "analysis_worker.h"
#include "disk_guard.h"
#include "environment.h"
#include "gc_monitor.h"
#include "heap_limit.h"
#include "heap_summary.h"
#include "signal_watcher.h"
#include "snapshot_writer.h"

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
    // What loading heapwatch and its GC events use; the rest comes with more() (every function
    // here stays on the heap, with its prototype and template, for as long as the process runs).
    DefineAddon(exports, {
                             InstanceMethod("abi", &Addon::Abi),
                             InstanceMethod("isMainThread", &Addon::IsMainThread),
                             InstanceMethod("firstInProcess", &Addon::FirstInProcess),
                             InstanceMethod("setSink", &Addon::SetSink),
                             InstanceMethod("configureNaming", &Addon::ConfigureNaming),
                             InstanceMethod("watchSignal", &Addon::WatchSignal),
                             InstanceMethod("unwatchSignal", &Addon::UnwatchSignal),
                             InstanceMethod("gc", &Addon::Gc),
                             InstanceMethod("gcSetInterest", &Addon::GcSetInterest),
                             InstanceMethod("gcNames", &Addon::GcNames),
                             InstanceMethod("more", &Addon::More),
                         });
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
  // Type checks are cheap re-checks: src/ validates with full messages first.
  static bool Expect(const Napi::CallbackInfo& info, size_t index, napi_valuetype type) {
    if (info.Length() > index && info[index].Type() == type) return true;
    Napi::TypeError::New(info.Env(), "heapwatch binding: bad argument " + std::to_string(index))
        .ThrowAsJavaScriptException();
    return false;
  }

  // more() -> this binding, with the functions of the snapshot API, the production settings,
  // HeapDiff, the leak probe and the test seams added (once; later calls only return it).
  // more('analysis') adds instead the snapshot-file analysis of the heapwatch command
  // (analysis_worker.h), which the library never loads.
  Napi::Value More(const Napi::CallbackInfo& info) {
    Napi::Object exports = info.This().As<Napi::Object>();
    if (info.Length() > 0 && info[0].IsString() &&
        info[0].As<Napi::String>().Utf8Value() == "analysis") {
      if (!analysis_defined_) {
        analysis_defined_ = true;
        DefineProperties(exports, {InstanceMethod("analyze", &Addon::Analyze)});
      }
      return exports;
    }
    if (!more_defined_) {
      more_defined_ = true;
      DefineProperties(exports, {
                                    InstanceMethod("nextPath", &Addon::NextPath),
                                    InstanceMethod("writeSnapshot", &Addon::WriteSnapshot),
                                    InstanceMethod("diskCheck", &Addon::DiskCheck),
                                    InstanceMethod("heapLimit", &Addon::HeapLimit),
                                    InstanceMethod("memoryAvailable", &Addon::MemoryAvailable),
                                    InstanceMethod("heapDiffStart", &Addon::HeapDiffStart),
                                    InstanceMethod("heapDiffEnd", &Addon::HeapDiffEnd),
                                    InstanceMethod("heapDiffBytes", &Addon::HeapDiffBytes),
                                    InstanceMethod("bareSnapshot", &Addon::BareSnapshot),
                                    InstanceMethod("gcProbe", &Addon::GcProbe),
                                    InstanceMethod("heapUsed", &Addon::HeapUsed),
                                    InstanceMethod("testFakeFreeSpace", &Addon::TestFakeFreeSpace),
                                    InstanceMethod("testSysRoot", &Addon::TestSysRoot),
                                    InstanceMethod("testFoldStats", &Addon::TestFoldStats),
                                });
    }
    return exports;
  }

  // setSink(fn): fn(kind, payload) receives this environment's events.
  Napi::Value SetSink(const Napi::CallbackInfo& info) {
    if (!Expect(info, 0, napi_function)) return Napi::Value();
    napi_env_ = info.Env();
    env_->AddSink(info.Env(), info[0].As<Napi::Function>());
    return info.Env().Undefined();
  }

  // configureNaming(dir, template, threadId, ledger)
  Napi::Value ConfigureNaming(const Napi::CallbackInfo& info) {
    if (!Expect(info, 0, napi_string) || !Expect(info, 1, napi_string) ||
        !Expect(info, 2, napi_number) || !Expect(info, 3, napi_boolean)) {
      return Napi::Value();
    }
    NamingOptions& naming = env_->snapshots()->naming;
    naming.dir = info[0].As<Napi::String>().Utf8Value();
    naming.name_template = info[1].As<Napi::String>().Utf8Value();
    naming.thread_id = info[2].As<Napi::Number>().Int32Value();
    naming.ledger = info[3].As<Napi::Boolean>().Value();
    return info.Env().Undefined();
  }

  // nextPath(trigger) -> the path heapwatch would give its next snapshot
  Napi::Value NextPath(const Napi::CallbackInfo& info) {
    if (!Expect(info, 0, napi_string)) return Napi::Value();
    std::string trigger = info[0].As<Napi::String>().Utf8Value();
    return Napi::String::New(info.Env(), env_->snapshots()->NextPath(trigger.c_str()));
  }

  // writeSnapshot(path, trigger, record?) -> { path, bytes, durationMs, errno, syscall, needed,
  // free }. record: heapwatch generated the name; list the file in the directory's ledger.
  Napi::Value WriteSnapshot(const Napi::CallbackInfo& info) {
    if (!Expect(info, 0, napi_string) || !Expect(info, 1, napi_string)) return Napi::Value();
    std::string path = info[0].As<Napi::String>().Utf8Value();
    std::string trigger = info[1].As<Napi::String>().Utf8Value();
    bool record = info.Length() > 2 && info[2].ToBoolean().Value();
    return env_->snapshots()->Write(path, trigger.c_str(), record).ToJs(info.Env());
  }

  // diskCheck(dir) -> { ok, needed, free }: the disk guard's verdict for a snapshot now.
  Napi::Value DiskCheck(const Napi::CallbackInfo& info) {
    if (!Expect(info, 0, napi_string)) return Napi::Value();
    disk_guard::Verdict v = disk_guard::Check(isolate_, info[0].As<Napi::String>().Utf8Value());
    Napi::Object out = Napi::Object::New(info.Env());
    out.Set("ok", v.ok);
    out.Set("needed", v.needed);
    out.Set("free", v.free);
    return out;
  }

  // heapLimit(max, mainThread): near-heap-limit snapshots, at most max; 0 turns them off.
  // Returns how many were written so far.
  Napi::Value HeapLimit(const Napi::CallbackInfo& info) {
    if (!Expect(info, 0, napi_number) || !Expect(info, 1, napi_boolean)) return Napi::Value();
    int max = info[0].As<Napi::Number>().Int32Value();
    if (max > 0) {
      heap_limit::Enable(env_, max, info[1].As<Napi::Boolean>().Value());
    } else {
      heap_limit::Disable(env_);
    }
    return Napi::Number::New(info.Env(), heap_limit::Taken(env_));
  }

  // memoryAvailable(root) -> { machine, cgroup, cgroupFile } in bytes (-1: unknown/unlimited).
  Napi::Value MemoryAvailable(const Napi::CallbackInfo& info) {
    if (!Expect(info, 0, napi_string)) return Napi::Value();
    heap_limit::Memory m = heap_limit::Available(info[0].As<Napi::String>().Utf8Value());
    Napi::Object out = Napi::Object::New(info.Env());
    out.Set("machine", m.machine);
    out.Set("cgroup", m.cgroup);
    out.Set("cgroupFile", m.cgroup_file);
    return out;
  }

  // Test seams (process-wide). testFakeFreeSpace(dir, bytes): the disk guard sees `bytes` free
  // in dir (bytes < 0 forgets it). testSysRoot(root): the near-heap-limit callback reads /proc
  // and /sys under root.
  Napi::Value TestFakeFreeSpace(const Napi::CallbackInfo& info) {
    if (!Expect(info, 0, napi_string) || !Expect(info, 1, napi_number)) return Napi::Value();
    disk_guard::FakeFreeSpace(info[0].As<Napi::String>().Utf8Value(),
                              info[1].As<Napi::Number>().DoubleValue());
    return info.Env().Undefined();
  }

  // testFoldStats(Float64Array [n, current, n, current, ...]) -> Float64Array with the four
  // StatsNumbers per full GC, folded from a fresh state: the arithmetic without a GC.
  Napi::Value TestFoldStats(const Napi::CallbackInfo& info) {
    if (info.Length() < 1 || !info[0].IsTypedArray() ||
        info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
      Napi::TypeError::New(info.Env(), "heapwatch binding: bad argument 0")
          .ThrowAsJavaScriptException();
      return Napi::Value();
    }
    auto in = info[0].As<Napi::Float64Array>();
    size_t gcs = in.ElementLength() / 2;
    auto out = Napi::Float64Array::New(info.Env(), gcs * 4);
    StatsState state;
    for (size_t i = 0; i < gcs; i++) {
      StatsNumbers s = FoldStats(&state, in[2 * i], in[2 * i + 1]);
      double row[] = {s.estimated_base, s.usage_trend, s.min, s.max};
      std::copy_n(row, 4, out.Data() + 4 * i);
    }
    return out;
  }

  Napi::Value TestSysRoot(const Napi::CallbackInfo& info) {
    if (!Expect(info, 0, napi_string)) return Napi::Value();
    heap_limit::SetRoot(info[0].As<Napi::String>().Utf8Value());
    return info.Env().Undefined();
  }

  // watchSignal(name) -> 0 or a negative libuv error. By name, so that JavaScript needs no
  // signal table (node:os) to turn on the default; only the signals heapwatch may take over
  // (src/signals.ts validates the rest) are known here.
  Napi::Value WatchSignal(const Napi::CallbackInfo& info) {
    if (!Expect(info, 0, napi_string)) return Napi::Value();
    int signo = SnapshotSignal(info[0].As<Napi::String>().Utf8Value());
    int err = signo == 0 ? UV_EINVAL : signal_watcher::Watch(env_, signo);
    if (err == 0 && !signal_cleanup_registered_) {
      signal_cleanup_registered_ = true;
      Environment* env = env_;
      env_->OnCleanup([env] { signal_watcher::Unwatch(env); });
    }
    return Napi::Number::New(info.Env(), err);
  }

  static int SnapshotSignal(const std::string& name) {
    if (name == "SIGUSR2") return SIGUSR2;
    if (name == "SIGHUP") return SIGHUP;
    if (name == "SIGWINCH") return SIGWINCH;
    if (name == "SIGURG") return SIGURG;
#ifdef SIGPWR
    if (name == "SIGPWR") return SIGPWR;
#endif
#ifdef SIGINFO
    if (name == "SIGINFO") return SIGINFO;
#endif
    return 0;
  }

  Napi::Value UnwatchSignal(const Napi::CallbackInfo& info) {
    signal_watcher::Unwatch(env_);
    return info.Env().Undefined();
  }

  // abi() -> the NODE_MODULE_VERSION this was compiled for. The addon uses V8 and Node's C++
  // API, so unlike a pure Node-API addon it must run on the Node it was built for; the loader
  // checks this instead of letting a stale build misbehave.
  Napi::Value Abi(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), NODE_MODULE_VERSION);
  }

  // heapUsed(): V8's used_heap_size now. Answered here so that loading heapwatch does not load
  // node:v8 (which pulls in Node's streams).
  Napi::Value HeapUsed(const Napi::CallbackInfo& info) {
    v8::HeapStatistics stats;
    isolate_->GetHeapStatistics(&stats);
    return Napi::Number::New(info.Env(), static_cast<double>(stats.used_heap_size()));
  }

  // isMainThread(): the main environment runs on libuv's default loop, a worker on its own.
  // Answered here so that loading heapwatch does not load node:worker_threads.
  Napi::Value IsMainThread(const Napi::CallbackInfo& info) {
    uv_loop_t* loop = nullptr;
    bool main = napi_get_uv_event_loop(info.Env(), &loop) == napi_ok && loop == uv_default_loop();
    return Napi::Boolean::New(info.Env(), main);
  }

  // gc(): a full, synchronous collection; no --expose-gc needed.
  Napi::Value Gc(const Napi::CallbackInfo& info) {
    isolate_->LowMemoryNotification();
    return info.Env().Undefined();
  }

  // analyze(command, files, options, onProgress) -> Promise: see analysis_worker.h.
  Napi::Value Analyze(const Napi::CallbackInfo& info) {
    return heapwatch::Analyze(info);
  }

  // HeapDiff: see heap_summary.h.
  Napi::Value HeapDiffStart(const Napi::CallbackInfo& info) {
    return heapwatch::HeapDiffStart(env_, info);
  }
  Napi::Value HeapDiffEnd(const Napi::CallbackInfo& info) {
    return heapwatch::HeapDiffEnd(env_, info);
  }
  Napi::Value HeapDiffBytes(const Napi::CallbackInfo& info) {
    return heapwatch::HeapDiffBytes(info);
  }
  Napi::Value BareSnapshot(const Napi::CallbackInfo& info) {
    return heapwatch::BareSnapshot(env_, info);
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

  // gcSetInterest(full, every, stride): this load wants records of full GCs ('stats', 'leak')
  // and/or of every GC ('gc'). The environment's hooks exist while any load wants anything.
  // `stride`: the doubles per record the JavaScript reads (src/gc-events.ts), checked here.
  Napi::Value GcSetInterest(const Napi::CallbackInfo& info) {
    if (!Expect(info, 0, napi_boolean) || !Expect(info, 1, napi_boolean) ||
        !Expect(info, 2, napi_number)) {
      return Napi::Value();
    }
    double stride = info[2].As<Napi::Number>().DoubleValue();
    if (stride != static_cast<double>(kRecordStride)) {
      Napi::Error::New(info.Env(), "heapwatch: the addon's GC records have " +
                                       std::to_string(kRecordStride) +
                                       " fields, the JavaScript reads " +
                                       std::to_string(static_cast<long long>(stride)) +
                                       " (the addon and dist/ come from different builds)")
          .ThrowAsJavaScriptException();
      return Napi::Value();
    }
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

  // gcNames() -> { types, flags }: the names of the codes in 'gc' records.
  Napi::Value GcNames(const Napi::CallbackInfo& info) {
    return GcMonitor::Names(info.Env());
  }

  v8::Isolate* isolate_;
  napi_env load_;
  Environment* env_;
  napi_env napi_env_ = nullptr;
  bool more_defined_ = false;
  bool analysis_defined_ = false;
  bool signal_cleanup_registered_ = false;
};

}  // namespace heapwatch

using heapwatch::Addon;
NODE_API_ADDON(Addon)
