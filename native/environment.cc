#include "environment.h"

#include <mutex>
#include <unordered_map>

#include "snapshot_writer.h"

namespace heapwatch {

namespace {
// The only process-wide table: which isolate has which Environment. Guarded because workers
// start and stop on their own threads.
std::mutex registry_mutex;
std::unordered_map<v8::Isolate*, Environment*>& Registry() {
  static auto* registry = new std::unordered_map<v8::Isolate*, Environment*>();
  return *registry;
}
}  // namespace

Environment* Environment::Find(v8::Isolate* isolate) {
  std::lock_guard<std::mutex> lock(registry_mutex);
  auto it = Registry().find(isolate);
  return it == Registry().end() ? nullptr : it->second;
}

Environment* Environment::Acquire(Napi::Env env) {
  v8::Isolate* isolate = v8::Isolate::GetCurrent();
  if (Environment* existing = Find(isolate)) return existing;
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) return nullptr;
  auto* created = new Environment(env, loop);
  std::lock_guard<std::mutex> lock(registry_mutex);
  Registry()[isolate] = created;
  return created;
}

Environment::Environment(Napi::Env env, uv_loop_t* loop)
    : isolate_(v8::Isolate::GetCurrent()),
      node_env_(node::GetCurrentEnvironment(isolate_->GetCurrentContext())),
      async_(new uv_async_t) {
  uv_async_init(loop, async_, OnAsync);
  async_->data = this;
  // Events are delivered only while the loop runs for other reasons: heapwatch never keeps a
  // process alive.
  uv_unref(reinterpret_cast<uv_handle_t*>(async_));
  cleanup_hook_ = node::AddEnvironmentCleanupHook(isolate_, OnEnvironmentCleanup, this);
}

SnapshotState* Environment::snapshots() {
  if (snapshots_ == nullptr) {
    snapshots_ = new SnapshotState(this);
    OnCleanup([this] {
      delete snapshots_;
      snapshots_ = nullptr;
    });
  }
  return snapshots_;
}

void Environment::AddSink(Napi::Env env, Napi::Function fn) {
  RemoveSink(env);
  auto sink = std::unique_ptr<Sink>(
      new Sink{env, Napi::Persistent(fn), Napi::AsyncContext(env, "heapwatch:event")});
  sinks_.push_back(std::move(sink));
}

void Environment::RemoveSink(napi_env env) {
  for (auto it = sinks_.begin(); it != sinks_.end(); ++it) {
    if ((*it)->env == env) {
      sinks_.erase(it);
      return;
    }
  }
}

void Environment::AddSource(const char* kind, Source source) {
  sources_.emplace_back(kind, std::move(source));
}

// Thread: JS thread, from the loop. Runs each source once and hands what it made to every sink.
void Environment::OnAsync(uv_async_t* handle) {
  auto* self = static_cast<Environment*>(handle->data);
  uv_unref(reinterpret_cast<uv_handle_t*>(handle));
  // Every load registers its sink as it starts, so this only happens during teardown.
  if (self->sinks_.empty()) return;
  Napi::Env env(self->sinks_.front()->env);
  Napi::HandleScope scope(env);
  for (auto& [kind, source] : self->sources_) {
    Napi::Value payload = source(env);
    if (payload.IsEmpty()) continue;
    Napi::String name = Napi::String::New(env, kind);
    // Copy: a listener may load another copy of the module and add a sink while we iterate.
    std::vector<Sink*> sinks;
    for (auto& sink : self->sinks_) sinks.push_back(sink.get());
    for (Sink* sink : sinks) {
      napi_value argv[] = {name, payload};
      napi_value result;
      napi_value recv = Napi::Env(sink->env).Global();
      napi_status status =
          napi_make_callback(sink->env, sink->context, recv, sink->fn.Value(), 2, argv, &result);
      if (status == napi_pending_exception) {
        // A listener threw: report it like any uncaught exception from an event listener.
        napi_value error;
        napi_get_and_clear_last_exception(sink->env, &error);
        napi_fatal_exception(sink->env, error);
      }
      // Any other failure means the environment is shutting down: the event is dropped.
    }
  }
}

// Thread: JS thread, during environment teardown (worker exit or process exit).
void Environment::OnEnvironmentCleanup(void* arg, void (*done)(void*), void* done_arg) {
  auto* self = static_cast<Environment*>(arg);
  {
    std::lock_guard<std::mutex> lock(registry_mutex);
    Registry().erase(self->isolate_);
  }
  for (auto it = self->cleanups_.rbegin(); it != self->cleanups_.rend(); ++it) (*it)();
  self->cleanups_.clear();
  self->sources_.clear();
  self->sinks_.clear();
  self->cleanup_done_ = done;
  self->cleanup_done_arg_ = done_arg;
  uv_close(reinterpret_cast<uv_handle_t*>(self->async_), [](uv_handle_t* handle) {
    auto* self = static_cast<Environment*>(handle->data);
    delete reinterpret_cast<uv_async_t*>(handle);
    auto done = self->cleanup_done_;
    auto done_arg = self->cleanup_done_arg_;
    delete self;  // also drops the hook handle: Node allows that once the hook has started
    done(done_arg);
  });
}

}  // namespace heapwatch
