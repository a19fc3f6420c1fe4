// Per-environment state shared by every copy of the addon in one Node.js environment.
#pragma once

// Node 20's node_version.h defines NAPI_VERSION unconditionally (to what that Node provides);
// keep the version binding.gyp pins for napi.h, whatever the include order.
#pragma push_macro("NAPI_VERSION")
#undef NAPI_VERSION
#include <node.h>
#pragma pop_macro("NAPI_VERSION")
#include <napi.h>
#include <uv.h>
#include <v8.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace heapwatch {

class SnapshotState;
class GcMonitor;

// Everything heapwatch keeps for one Node.js environment (the main thread or one worker).
//
// The module can be loaded more than once into one environment: the ESM and CJS builds, or two
// installed versions. Each load gets its own napi_env, but they all share this object (found by
// isolate), so the process gets one signal registration and one set of GC hooks per environment.
//
// Thread: the environment's JS thread.
// Lifetime: created by the first load, destroyed by Node's environment cleanup (an async cleanup
// hook closes the uv handle first), so a worker that exits takes it along.
class Environment {
 public:
  // A source turns what was recorded since the last wake-up into one JS value, or returns an
  // empty value when it has nothing. Called on the JS thread inside a HandleScope.
  using Source = std::function<Napi::Value(Napi::Env)>;

  static Environment* Acquire(Napi::Env env);
  // Null once the environment has been cleaned up.
  static Environment* Find(v8::Isolate* isolate);

  v8::Isolate* isolate() const { return isolate_; }
  node::Environment* node_env() const { return node_env_; }

  // Each load of the addon registers one sink; events reach every sink as sink(kind, payload).
  void AddSink(Napi::Env env, Napi::Function fn);
  void RemoveSink(napi_env env);
  void AddSource(const char* kind, Source source);

  // Asks the JS thread to run the sources soon. Called on the JS thread (from JS, a GC
  // callback or an interrupt). The handle is referenced until the sources have run, so an
  // event that already happened is delivered before the process exits; otherwise it is
  // unreferenced and never keeps the process alive.
  void Wake() {
    uv_ref(reinterpret_cast<uv_handle_t*>(async_));
    uv_async_send(async_);
  }

  // Register a hook that runs on environment cleanup, before the uv handle closes (in
  // reverse order of registration). For modules that own V8 callbacks or registrations.
  void OnCleanup(std::function<void()> fn) { cleanups_.push_back(std::move(fn)); }

  // The feature modules, created on first use and deleted at cleanup.
  SnapshotState* snapshots();
  GcMonitor* gc_monitor = nullptr;

  // Non-zero while heapwatch itself takes a heap snapshot: GCs then are not the app's.
  int own_snapshot_depth = 0;

 private:
  struct Sink {
    napi_env env;
    Napi::FunctionReference fn;
    Napi::AsyncContext context;
  };

  Environment(Napi::Env env, uv_loop_t* loop);
  ~Environment() = default;
  static void OnAsync(uv_async_t* handle);
  static void OnEnvironmentCleanup(void* arg, void (*done)(void*), void* done_arg);

  v8::Isolate* isolate_;
  node::Environment* node_env_;
  uv_async_t* async_;
  std::vector<std::unique_ptr<Sink>> sinks_;
  std::vector<std::pair<const char*, Source>> sources_;
  std::vector<std::function<void()>> cleanups_;
  SnapshotState* snapshots_ = nullptr;
  node::AsyncCleanupHookHandle cleanup_hook_;
  void (*cleanup_done_)(void*) = nullptr;
  void* cleanup_done_arg_ = nullptr;
};

// RAII marker for heapwatch's own snapshots (their GCs are not counted in statistics).
class OwnSnapshotScope {
 public:
  explicit OwnSnapshotScope(Environment* env) : env_(env) { env_->own_snapshot_depth++; }
  ~OwnSnapshotScope() { env_->own_snapshot_depth--; }
  OwnSnapshotScope(const OwnSnapshotScope&) = delete;
  OwnSnapshotScope& operator=(const OwnSnapshotScope&) = delete;

 private:
  Environment* env_;
};

}  // namespace heapwatch
