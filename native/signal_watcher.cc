#include "signal_watcher.h"

#include <uv.h>

#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <map>
#include <mutex>
#include <vector>

#include "snapshot_writer.h"

namespace heapwatch {
namespace signal_watcher {

namespace {

struct Entry {
  uintptr_t id;  // what the interrupt carries instead of a pointer
  Environment* env;
  node::Environment* node_env;
  int signo;
  bool pending;  // an interrupt is queued or a snapshot is being written
};

// Process-wide, deliberately never destroyed: the thread may outlive static destructors when
// the process exits without running environment cleanup (process.exit()).
struct Watcher {
  std::mutex mutex;
  std::condition_variable applied_cv;
  std::vector<Entry> entries;
  uintptr_t next_id = 1;
  uint64_t requested = 0;  // generation of `entries` asked for
  uint64_t applied = 0;    // generation the thread has applied to its signal handles
  bool running = false;
  bool stopping = false;
  uv_thread_t thread;
  uv_loop_t loop;
  uv_async_t command;
  std::map<int, uv_signal_t*> handles;  // thread-only
};

Watcher& W() {
  static auto* watcher = new Watcher();
  return *watcher;
}

// Thread: the env's JS thread, inside an interrupt (no JS may run).
void OnInterrupt(void* arg) {
  uintptr_t id = reinterpret_cast<uintptr_t>(arg);
  Watcher& w = W();
  Environment* env = nullptr;
  {
    std::lock_guard<std::mutex> lock(w.mutex);
    for (Entry& e : w.entries) {
      if (e.id == id) env = e.env;
    }
  }
  if (env == nullptr) return;  // unwatched since the signal came
  env->snapshots()->WriteUnattended("signal");
  std::lock_guard<std::mutex> lock(w.mutex);
  for (Entry& e : w.entries) {
    if (e.id == id) e.pending = false;
  }
}

// Thread: watcher.
void OnSignal(uv_signal_t* handle, int signo) {
  Watcher& w = W();
  std::lock_guard<std::mutex> lock(w.mutex);
  for (Entry& e : w.entries) {
    if (e.signo != signo || e.pending) continue;
    e.pending = true;
    // Holding the mutex keeps the environment registered (and so alive) during the call.
    node::RequestInterrupt(e.node_env, OnInterrupt, reinterpret_cast<void*>(e.id));
  }
}

// Thread: watcher. Makes the set of started signal handles match the entries.
void OnCommand(uv_async_t* handle) {
  Watcher& w = W();
  std::unique_lock<std::mutex> lock(w.mutex);
  std::map<int, bool> wanted;
  if (!w.stopping) {
    for (const Entry& e : w.entries) wanted[e.signo] = true;
  }
  for (auto it = w.handles.begin(); it != w.handles.end();) {
    if (wanted.count(it->first) == 0) {
      uv_signal_stop(it->second);
      uv_close(reinterpret_cast<uv_handle_t*>(it->second),
               [](uv_handle_t* h) { delete reinterpret_cast<uv_signal_t*>(h); });
      it = w.handles.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& [signo, unused] : wanted) {
    (void)unused;
    if (w.handles.count(signo) != 0) continue;
    auto* h = new uv_signal_t;
    uv_signal_init(&w.loop, h);
    uv_signal_start(h, OnSignal, signo);
    w.handles[signo] = h;
  }
  if (w.stopping) uv_close(reinterpret_cast<uv_handle_t*>(&w.command), nullptr);
  w.applied = w.requested;
  w.applied_cv.notify_all();
}

void ThreadMain(void*) {
  Watcher& w = W();
  uv_run(&w.loop, UV_RUN_DEFAULT);
}

// Caller holds the lock. Asks the thread to apply the entries and waits until it has.
void ApplyLocked(std::unique_lock<std::mutex>& lock) {
  Watcher& w = W();
  uint64_t generation = ++w.requested;
  uv_async_send(&w.command);
  w.applied_cv.wait(lock, [&] { return w.applied >= generation; });
}

struct Named {
  const char* name;
  int signo;
};

const Named kSignals[] = {
    {"SIGUSR2", SIGUSR2}, {"SIGHUP", SIGHUP}, {"SIGWINCH", SIGWINCH}, {"SIGURG", SIGURG},
#ifdef SIGPWR
    {"SIGPWR", SIGPWR},
#endif
#ifdef SIGINFO
    {"SIGINFO", SIGINFO},
#endif
};

}  // namespace

std::vector<std::string> SignalNames() {
  std::vector<std::string> names;
  for (const Named& s : kSignals) names.push_back(s.name);
  return names;
}

int SignalNumber(const std::string& name) {
  for (const Named& s : kSignals) {
    if (name == s.name) return s.signo;
  }
  return 0;
}

int Watch(Environment* env, int signo) {
  Watcher& w = W();
  std::unique_lock<std::mutex> lock(w.mutex);
  bool found = false;
  for (Entry& e : w.entries) {
    if (e.env == env) {
      e.signo = signo;
      found = true;
    }
  }
  if (!found) w.entries.push_back(Entry{w.next_id++, env, env->node_env(), signo, false});
  if (!w.running) {
    int err = uv_loop_init(&w.loop);
    if (err == 0) err = uv_async_init(&w.loop, &w.command, OnCommand);
    if (err == 0) err = uv_thread_create(&w.thread, ThreadMain, nullptr);
    if (err != 0) {
      w.entries.clear();
      return err;
    }
    w.running = true;
    w.stopping = false;
  }
  ApplyLocked(lock);
  return 0;
}

void Forget(Environment* env) {
  Watcher& w = W();
  std::lock_guard<std::mutex> lock(w.mutex);
  // The handles stay started: OnSignal finds no entry for this environment and does nothing.
  std::erase_if(w.entries, [env](const Entry& e) { return e.env == env; });
}

void Unwatch(Environment* env) {
  Watcher& w = W();
  std::unique_lock<std::mutex> lock(w.mutex);
  size_t before = w.entries.size();
  std::erase_if(w.entries, [env](const Entry& e) { return e.env == env; });
  if (w.entries.size() == before || !w.running) return;
  if (!w.entries.empty()) {
    ApplyLocked(lock);
    return;
  }
  w.stopping = true;
  ApplyLocked(lock);
  w.running = false;
  lock.unlock();
  uv_thread_join(&w.thread);
  uv_loop_close(&w.loop);
}

}  // namespace signal_watcher
}  // namespace heapwatch
