#include "heap_limit.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "snapshot_writer.h"

namespace heapwatch {
namespace heap_limit {

namespace {

constexpr double kMB = 1024.0 * 1024.0;

struct State {
  Environment* env;
  bool installed = false;
  bool busy = false;    // inside our own snapshot: a nested call must not start another
  size_t headroom = 0;  // chosen by the outer call, reused by nested ones
  size_t granted = 0;   // the highest limit a nested call returned during our snapshot
  bool main_thread = true;
  int max = 1;
  int taken = 0;
  size_t initial = 0;
};

std::mutex states_mutex;  // the map only; each State belongs to its environment's thread
std::map<Environment*, State*>& States() {
  static auto* states = new std::map<Environment*, State*>();
  return *states;
}

// The root of /proc and /sys for the callback: "" (the real ones) except in tests.
#ifdef HEAPWATCH_TEST_SEAMS
std::mutex root_mutex;
std::string& Root() {
  static auto* root = new std::string();
  return *root;
}
std::string CallbackRoot() {
  std::lock_guard<std::mutex> lock(root_mutex);
  return Root();
}
#else
std::string CallbackRoot() {
  return "";
}
#endif

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path);
  if (!in) return false;
  std::stringstream buffer;
  buffer << in.rdbuf();
  *out = buffer.str();
  return true;
}

// A number alone in a file ("max" or a huge v1 value means no limit: -1). -2 when unreadable.
double ReadLimit(const std::string& path) {
  std::string text;
  if (!ReadFile(path, &text)) return -2;
  if (text.rfind("max", 0) == 0) return -1;
  char* end = nullptr;
  double value = strtod(text.c_str(), &end);
  if (end == text.c_str()) return -2;
  return value >= 4611686018427387904.0 ? -1 : value;  // v1 "unlimited" is ~2^63
}

// `key value` lines (memory.stat, /proc/meminfo): the value for key, or 0.
double ReadField(const std::string& path, const std::string& key) {
  std::string text;
  if (!ReadFile(path, &text)) return 0;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.compare(0, key.size(), key) == 0 &&
        (line.size() == key.size() || line[key.size()] == ' ' || line[key.size()] == ':')) {
      return strtod(line.c_str() + key.size() + 1, nullptr);
    }
  }
  return 0;
}

// The cgroup path of this process for a hierarchy: "0::/x" (v2) or "N:...memory...:/x" (v1).
bool CgroupPath(const std::string& root, bool v2, std::string* out) {
  std::string text;
  if (!ReadFile(root + "/proc/self/cgroup", &text)) return false;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    size_t a = line.find(':');
    size_t b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b == std::string::npos) continue;
    std::string controllers = line.substr(a + 1, b - a - 1);
    bool match = v2 ? line.compare(0, a, "0") == 0 && controllers.empty()
                    : ("," + controllers + ",").find(",memory,") != std::string::npos;
    if (match) {
      *out = line.substr(b + 1);
      return true;
    }
  }
  return false;
}

void Consider(Memory* m, double limit, double usage, double inactive, const std::string& file) {
  if (limit < 0) return;
  double left = limit - (usage - inactive);
  if (left < 0) left = 0;
  if (m->cgroup < 0 || left < m->cgroup) {
    m->cgroup = left;
    m->cgroup_file = file;
  }
}

void CgroupV2(const std::string& root, Memory* m) {
  std::string base = root + "/sys/fs/cgroup";
  std::string path;
  if (!CgroupPath(root, true, &path)) return;
  // Every ancestor's limit applies; inside a cgroup namespace the path is just "/".
  bool found = false;
  while (true) {
    std::string dir = base + (path == "/" ? "" : path);
    double limit = ReadLimit(dir + "/memory.max");
    if (limit != -2) {
      found = true;
      double usage = ReadLimit(dir + "/memory.current");
      Consider(m, limit, usage < 0 ? 0 : usage, ReadField(dir + "/memory.stat", "inactive_file"),
               dir + "/memory.max");
    }
    if (path.empty() || path == "/") break;
    size_t slash = path.rfind('/');
    path = slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
  }
  if (!found) {
    // The path is not visible from here (no cgroup namespace): the mount's root is ours.
    double limit = ReadLimit(base + "/memory.max");
    if (limit != -2) {
      double usage = ReadLimit(base + "/memory.current");
      Consider(m, limit, usage < 0 ? 0 : usage, ReadField(base + "/memory.stat", "inactive_file"),
               base + "/memory.max");
    }
  }
}

void CgroupV1(const std::string& root, Memory* m) {
  std::string base = root + "/sys/fs/cgroup/memory";
  std::string path;
  std::string dir = base;
  if (CgroupPath(root, false, &path) && path != "/" &&
      ReadLimit(base + path + "/memory.limit_in_bytes") != -2) {
    dir = base + path;
  }
  double limit = ReadLimit(dir + "/memory.limit_in_bytes");
  if (limit == -2) return;
  double usage = ReadLimit(dir + "/memory.usage_in_bytes");
  Consider(m, limit, usage < 0 ? 0 : usage, ReadField(dir + "/memory.stat", "total_inactive_file"),
           dir + "/memory.limit_in_bytes");
}

// Room on the V8 heap for the snapshot: its GCs promote the young generation into the old one.
size_t Headroom(v8::Isolate* isolate) {
  size_t young = 0;
  v8::HeapSpaceStatistics stats;
  for (size_t i = 0; i < isolate->NumberOfHeapSpaces(); i++) {
    isolate->GetHeapSpaceStatistics(&stats, i);
    if (strcmp(stats.space_name(), "new_space") == 0 ||
        strcmp(stats.space_name(), "new_large_object_space") == 0) {
      young += stats.space_size();
    }
  }
  constexpr size_t kMin = 4 * 1024 * 1024;
  return young < kMin ? kMin : young;
}

// "64 MB for old objects, 73 MB in use with the young ones": V8's limit (--max-old-space-size)
// is the old generation's, while the heap in use counts new objects too, so it can be higher.
std::string LimitInWords(size_t limit, double used) {
  char buf[120];
  snprintf(buf, sizeof buf, "%.0f MB for old objects, %.0f MB in use with the young ones",
           static_cast<double>(limit) / kMB, used / kMB);
  return buf;
}

// What a worker gets above its heap once its snapshot is written (see OnNearHeapLimit).
constexpr size_t kWorkerSlack = 1024 * 1024;

size_t OnNearHeapLimit(void* data, size_t current, size_t initial);

void Uninstall(State* s, size_t restore_to) {
  if (!s->installed) return;
  s->env->isolate()->RemoveNearHeapLimitCallback(OnNearHeapLimit, restore_to);
  s->installed = false;
}

// Thread: the isolate's thread, inside a GC that could not free enough. Runs no JS.
size_t OnNearHeapLimit(void* data, size_t current, size_t initial) {
  auto* s = static_cast<State*>(data);
  v8::Isolate* isolate = s->env->isolate();
  v8::HeapStatistics heap;
  isolate->GetHeapStatistics(&heap);
  // The heap may already be over `current`: raise from whichever is higher.
  size_t base = current > heap.used_heap_size() ? current : heap.used_heap_size();
  if (s->busy) {
    // A GC of our own snapshot: let it finish. V8 applies this limit at once.
    size_t nested = base + s->headroom;
    if (nested > s->granted) s->granted = nested;
    return nested;
  }
  s->busy = true;
  s->granted = 0;
  s->headroom = Headroom(isolate);
  size_t raised = base + s->headroom;
  if (s->initial == 0) s->initial = initial;
  double used = static_cast<double>(heap.used_heap_size());
  double needed = used * kMemoryPerHeapByte + static_cast<double>(raised - current);
  Memory memory = Available(CallbackRoot());
  const char* short_of = nullptr;
  double left = 0;
  std::string where;
  if (memory.cgroup >= 0 && memory.cgroup < needed) {
    short_of = "the memory cgroup leaves";
    left = memory.cgroup;
    where = " (" + memory.cgroup_file + ")";
  } else if (memory.machine >= 0 && memory.machine < needed) {
    short_of = "the machine has";
    left = memory.machine;
  }

  size_t result = raised;
  if (short_of != nullptr) {
    fprintf(stderr,
            "heapwatch: the JavaScript heap reached its limit (%s); not writing a snapshot: it "
            "needs about %.0f MB of memory and %s %.0f MB%s\n",
            LimitInWords(current, used).c_str(), needed / kMB, short_of, left / kMB, where.c_str());
    SnapshotResult r;
    r.trigger = "heap-limit";
    r.needed = needed;
    r.free = left;
    SnapshotState::Refuse(&r, ENOMEM, "heap-limit");
    s->env->snapshots()->Deliver(r);
    Uninstall(s, 0);
    // The main thread dies now, as it would have without heapwatch; a worker gets room to reach
    // Node's own worker callback, which ends only the worker.
    result = s->main_thread ? current : raised;
  } else {
    fprintf(stderr,
            "heapwatch: the JavaScript heap reached its limit (%s): writing a snapshot before V8 "
            "gives up (limit raised by %.0f MB for it)\n",
            LimitInWords(current, used).c_str(), static_cast<double>(raised - current) / kMB);
    s->env->snapshots()->WriteUnattended("heap-limit");
    s->taken++;
    // A worker gets one: once this callback is gone, Node's own (added when the worker started)
    // is the one V8 calls next, and it ends the worker with ERR_WORKER_OUT_OF_MEMORY. Each
    // further raise would let the heap outgrow the 16 MB that callback adds for the worker's
    // teardown, and V8 would then abort the whole process.
    // Removing with limit 0 keeps the raised limit that we return: the process may still
    // recover. V8 puts the initial limit back once the heap is below 95% of it.
    if (s->taken >= s->max || !s->main_thread) Uninstall(s, 0);
    isolate->AutomaticallyRestoreInitialHeapLimit(0.95);
    // V8 keeps a limit only if it is above the current one, and when it calls us after
    // ineffective mark-compacts, a limit not above is a fatal OOM. A nested call during the
    // snapshot may already have raised the limit past `raised`: raise past that one.
    if (s->granted >= result) result = s->granted + s->headroom;
    // A worker goes on no further than it was: the next allocation that does not fit reaches
    // Node's callback with the heap as it was when V8 first gave up, as without heapwatch. Room
    // for the rest of this GC only (the snapshot's own GCs were given theirs while it ran).
    if (!s->main_thread) result = std::max(base, s->granted) + kWorkerSlack;
  }
  s->busy = false;
  return result;
}

State* Find(Environment* env) {
  std::lock_guard<std::mutex> lock(states_mutex);
  auto it = States().find(env);
  return it == States().end() ? nullptr : it->second;
}

}  // namespace

Memory Available(const std::string& root) {
  Memory m;
  double kb = ReadField(root + "/proc/meminfo", "MemAvailable");
  if (kb > 0) {
    m.machine = kb * 1024;
  } else if (root.empty()) {
    m.machine = static_cast<double>(uv_get_free_memory());
  }
  CgroupV2(root, &m);
  if (m.cgroup < 0) CgroupV1(root, &m);
  return m;
}

#ifdef HEAPWATCH_TEST_SEAMS
void SetRoot(const std::string& root) {
  std::lock_guard<std::mutex> lock(root_mutex);
  Root() = root;
}
#endif

void Enable(Environment* env, int max, bool main_thread) {
  State* s = Find(env);
  if (s == nullptr) {
    s = new State{env};
    {
      std::lock_guard<std::mutex> lock(states_mutex);
      States()[env] = s;
    }
    env->OnCleanup([env] {
      State* gone = Find(env);
      if (gone == nullptr) return;
      Uninstall(gone, gone->initial);
      std::lock_guard<std::mutex> lock(states_mutex);
      States().erase(env);
      delete gone;
    });
  }
  s->max = max;
  s->main_thread = main_thread;
  // A worker takes one (see OnNearHeapLimit), whatever `max` says.
  if (!s->installed && s->taken < (main_thread ? s->max : 1)) {
    env->isolate()->AddNearHeapLimitCallback(OnNearHeapLimit, s);
    s->installed = true;
  }
}

void Disable(Environment* env) {
  if (State* s = Find(env)) Uninstall(s, s->initial);
}

}  // namespace heap_limit
}  // namespace heapwatch
