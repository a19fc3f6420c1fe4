#include "gc_monitor.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <ctime>

namespace heapwatch {

namespace {

// V8 renamed kGCTypeMinorMarkCompact to kGCTypeMinorMarkSweep in V8 11.9 (Node 22) and removed
// the old name in V8 12.x (Node 24); the bit stayed 1 << 1. Switch on names, not numbers.
GcKind KindOf(v8::GCType type) {
  switch (type) {
    case v8::kGCTypeScavenge:
      return GcKind::kScavenge;
#if NODE_MAJOR_VERSION >= 22
    case v8::kGCTypeMinorMarkSweep:
#else
    case v8::kGCTypeMinorMarkCompact:
#endif
      return GcKind::kMinorMarkSweep;
    case v8::kGCTypeMarkSweepCompact:
      return GcKind::kMarkSweepCompact;
    case v8::kGCTypeIncrementalMarking:
      return GcKind::kIncrementalMarking;
    case v8::kGCTypeProcessWeakCallbacks:
      return GcKind::kWeakCallbacks;
    default:
      return GcKind::kUnknown;
  }
}

// Indexed by GcKind.
const char* const kKindNames[] = {
    "scavenge",       "minor-mark-sweep", "mark-sweep-compact", "incremental-marking",
    "weak-callbacks", "unknown",
};

// heapwatch flag bit i is kFlags[i]. V8 flags not listed here are not reported.
struct FlagName {
  int v8_flag;
  const char* name;
};
const FlagName kFlags[] = {
    {v8::kGCCallbackFlagConstructRetainedObjectInfos, "construct-retained-object-infos"},
    {v8::kGCCallbackFlagForced, "forced"},
    {v8::kGCCallbackFlagSynchronousPhantomCallbackProcessing,
     "synchronous-phantom-callback-processing"},
    {v8::kGCCallbackFlagCollectAllAvailableGarbage, "collect-all-available-garbage"},
    {v8::kGCCallbackFlagCollectAllExternalMemory, "collect-all-external-memory"},
    {v8::kGCCallbackScheduleIdleGarbageCollection, "schedule-idle-garbage-collection"},
#if NODE_MAJOR_VERSION >= 26
    {v8::kGCCallbackFlagLastResort, "last-resort"},
#endif
};

double FlagBits(int v8_flags) {
  unsigned bits = 0;
  for (size_t i = 0; i < std::size(kFlags); i++) {
    if (v8_flags & kFlags[i].v8_flag) bits |= 1u << i;
  }
  return bits;
}

// CPU time of the calling thread. A system call (no vDSO for thread clocks): full GCs only.
uint64_t ThreadCpuNs() {
  struct timespec ts;
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) return 0;
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

// Math.round(x * 10) / 10, as JavaScript computes it (halves go up, also below zero).
double Round1(double x) {
  double y = x * 10;
  double r = std::floor(y);
  if (y - r >= 0.5) r += 1;
  return r / 10;
}

}  // namespace

StatsNumbers FoldStats(StatsState* s, double n, double current) {
  if (n <= 9 || !s->started) {
    s->recent = current;
    s->ancient = current;
  } else {
    double d = std::min(120.0, n);
    s->recent = (s->recent * 9 + current) / 10;
    s->ancient = (s->ancient * (d - 1) + current) / d;
  }
  if (n >= 3) {
    s->min = s->min == 0 ? current : std::min(s->min, current);
    s->max = std::max(s->max, current);
  }
  s->started = true;
  double trend = s->ancient == 0 ? 0 : Round1((s->recent - s->ancient) / s->ancient * 100);
  return {s->recent, trend, s->min, s->max};
}

GcMonitor* GcMonitor::Get(Environment* env) {
  if (env->gc_monitor == nullptr) {
    auto* monitor = new GcMonitor(env);
    env->gc_monitor = monitor;
    env->AddSource("gc", [monitor](Napi::Env napi_env) { return monitor->Drain(napi_env); });
    env->OnCleanup([env] { Destroy(env); });
  }
  return env->gc_monitor;
}

// Thread: JS thread, at environment cleanup: the hooks go first, then the memory.
void GcMonitor::Destroy(Environment* env) {
  delete env->gc_monitor;
  env->gc_monitor = nullptr;
}

GcMonitor::GcMonitor(Environment* env)
    : env_(env),
      // Default-initialized: the pages are touched only as records are written.
      ring_(new GcRecord[kCapacity]) {
  double wall_ms =
      std::chrono::duration<double, std::milli>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  epoch_offset_ms_ = wall_ms - uv_hrtime() / 1e6;
}

GcMonitor::~GcMonitor() {
  Unhook();
}

void GcMonitor::SetInterest(napi_env load, bool full, bool every) {
  auto it = std::find_if(interests_.begin(), interests_.end(),
                         [load](const Interest& i) { return i.load == load; });
  if (it != interests_.end()) interests_.erase(it);
  if (full || every) interests_.push_back({load, full, every});

  want_full_ = want_every_ = false;
  for (const Interest& i : interests_) {
    want_full_ |= i.full;
    want_every_ |= i.every;
  }
  if (want_full_ || want_every_) {
    Hook();
  } else {
    Unhook();
  }
}

// Without 'gc' interest the prologue runs for full GCs only, and the epilogue only counts the
// others: a scavenge then costs one call and an increment.
void GcMonitor::Hook() {
  if (hooked_ && hooked_every_ == want_every_) return;
  Unhook();
  hooked_ = true;
  hooked_every_ = want_every_;
  depth_ = 0;
  env_->isolate()->AddGCPrologueCallback(
      OnPrologue, this, hooked_every_ ? v8::kGCTypeAll : v8::kGCTypeMarkSweepCompact);
  env_->isolate()->AddGCEpilogueCallback(OnEpilogue, this);
}

// Records already made stay in the buffer and are still delivered.
void GcMonitor::Unhook() {
  if (!hooked_) return;
  hooked_ = false;
  env_->isolate()->RemoveGCPrologueCallback(OnPrologue, this);
  env_->isolate()->RemoveGCEpilogueCallback(OnEpilogue, this);
}

// Thread: JS thread, inside a GC. Reads V8's counters into preallocated memory.
void GcMonitor::Measure(HeapNumbers* out) {
  v8::HeapStatistics s;
  env_->isolate()->GetHeapStatistics(&s);
  out->used_heap_size = static_cast<double>(s.used_heap_size());
  out->total_heap_size = static_cast<double>(s.total_heap_size());
  out->heap_size_limit = static_cast<double>(s.heap_size_limit());
  out->external_memory = static_cast<double>(s.external_memory());
  out->total_physical_size = static_cast<double>(s.total_physical_size());
  out->malloced_memory = static_cast<double>(s.malloced_memory());
}

// Thread: JS thread, inside a GC (before it). Remembers when and, if anyone will read it, the
// heap before.
void GcMonitor::OnPrologue(v8::Isolate* isolate, v8::GCType type, v8::GCCallbackFlags flags,
                           void* data) {
  auto* self = static_cast<GcMonitor*>(data);
  if (self->depth_++ >= kMaxDepth) return;  // deeper nesting than V8 does today: not recorded
  Open& open = self->open_[self->depth_ - 1];
  open.kind = KindOf(type);
  open.flags = flags;
  open.start_ns = uv_hrtime();
  open.measured = self->hooked_every_ || open.kind == GcKind::kMarkSweepCompact;
  open.cpu_start_ns = open.kind == GcKind::kMarkSweepCompact ? ThreadCpuNs() : 0;
  if (open.measured) self->Measure(&open.before);
}

// Thread: JS thread, inside a GC (after it). Counts the GC, writes a record if anyone will
// read it, and wakes JS after full GCs (or after every GC for 'gc' listeners).
void GcMonitor::OnEpilogue(v8::Isolate* isolate, v8::GCType type, v8::GCCallbackFlags flags,
                           void* data) {
  auto* self = static_cast<GcMonitor*>(data);
  bool own = self->env_->own_snapshot_depth > 0;
  if (!self->hooked_every_ && type != v8::kGCTypeMarkSweepCompact) {
    if (!own) self->inc_total_ += 1;
    return;
  }
  if (self->depth_ == 0) return;  // hooked between a prologue and its epilogue
  if (--self->depth_ >= kMaxDepth) return;
  const Open& open = self->open_[self->depth_];
  uint64_t end_ns = uv_hrtime();

  bool full = open.kind == GcKind::kMarkSweepCompact;
  // Full GCs of a gc() call are counted once, by EndExplicitGc.
  bool deferred = full && !own && self->explicit_gc_;
  if (!own && !deferred) (full ? self->full_total_ : self->inc_total_) += 1;
  if (!(self->hooked_every_ || (full && !own))) return;

  if (self->size_ == kCapacity) {
    self->dropped_ += 1;
    return;
  }
  GcRecord& r = self->ring_[(self->head_ + self->size_) % kCapacity];
  self->size_++;
  r.kind = static_cast<double>(open.kind);
  r.flags = FlagBits(open.flags | flags);
  r.own = own ? 1 : deferred ? 2 : 0;
  if (deferred) self->explicit_last_ = &r;
  r.full_total = self->full_total_;
  r.inc_total = self->inc_total_;
  r.start_ms = self->epoch_offset_ms_ + open.start_ns / 1e6;
  r.duration_ms = (end_ns - open.start_ns) / 1e6;
  r.cpu_ms = full ? (ThreadCpuNs() - open.cpu_start_ns) / 1e6 : 0;
  r.dropped_before = self->dropped_;
  self->dropped_ = 0;
  if (open.measured) {
    r.before = open.before;
  } else {
    r.before = HeapNumbers{};
  }
  self->Measure(&r.after);
  r.stats = StatsNumbers{};
  self->env_->Wake();
}

// Thread: JS thread, around isolate->LowMemoryNotification(). No JS runs in between, so no
// drain: the records written during the call are still in the ring.
void GcMonitor::BeginExplicitGc() {
  explicit_gc_ = true;
  explicit_last_ = nullptr;
}

void GcMonitor::EndExplicitGc() {
  explicit_gc_ = false;
  if (explicit_last_ == nullptr) return;  // no full GC recorded (the ring was full)
  full_total_ += 1;
  explicit_last_->own = 0;
  explicit_last_->full_total = full_total_;
  explicit_last_->inc_total = inc_total_;
  explicit_last_ = nullptr;
}

// Thread: JS thread, from Environment's async callback. Allocating the array may run a GC
// whose records land behind the ones copied here; they go out on the next wake-up.
Napi::Value GcMonitor::Drain(Napi::Env env) {
  size_t count = size_;
  if (count == 0) return Napi::Value();
  auto out = Napi::Float64Array::New(env, count * kRecordStride);
  if (out.IsEmpty()) return Napi::Value();
  double* dst = out.Data();
  for (size_t i = 0; i < count; i++) {
    GcRecord& r = ring_[(head_ + i) % kCapacity];
    if (r.kind == static_cast<double>(GcKind::kMarkSweepCompact) && r.own == 0) {
      r.stats = FoldStats(&stats_, r.full_total, r.after.used_heap_size);
    }
    std::copy_n(reinterpret_cast<const double*>(&r), kRecordStride, dst + i * kRecordStride);
  }
  head_ = (head_ + count) % kCapacity;
  size_ -= count;
  return out;
}

Napi::Object GcMonitor::Layout(Napi::Env env) {
  Napi::Object fields = Napi::Object::New(env);
  auto at = [](size_t offset) { return static_cast<double>(offset / sizeof(double)); };
  fields.Set("kind", at(offsetof(GcRecord, kind)));
  fields.Set("flags", at(offsetof(GcRecord, flags)));
  fields.Set("own", at(offsetof(GcRecord, own)));
  fields.Set("fullTotal", at(offsetof(GcRecord, full_total)));
  fields.Set("incTotal", at(offsetof(GcRecord, inc_total)));
  fields.Set("startTime", at(offsetof(GcRecord, start_ms)));
  fields.Set("durationMs", at(offsetof(GcRecord, duration_ms)));
  fields.Set("cpuMs", at(offsetof(GcRecord, cpu_ms)));
  fields.Set("dropped", at(offsetof(GcRecord, dropped_before)));
  fields.Set("before", at(offsetof(GcRecord, before)));
  fields.Set("after", at(offsetof(GcRecord, after)));
  fields.Set("estimatedBase", at(offsetof(GcRecord, stats.estimated_base)));
  fields.Set("usageTrend", at(offsetof(GcRecord, stats.usage_trend)));
  fields.Set("min", at(offsetof(GcRecord, stats.min)));
  fields.Set("max", at(offsetof(GcRecord, stats.max)));
  const char* const heap[] = {"used_heap_size",  "total_heap_size",     "heap_size_limit",
                              "external_memory", "total_physical_size", "malloced_memory"};
  static_assert(std::size(heap) * sizeof(double) == sizeof(HeapNumbers));
  Napi::Array heap_names = Napi::Array::New(env, std::size(heap));
  for (uint32_t i = 0; i < std::size(heap); i++) heap_names.Set(i, heap[i]);
  Napi::Array types = Napi::Array::New(env, std::size(kKindNames));
  for (uint32_t i = 0; i < std::size(kKindNames); i++) types.Set(i, kKindNames[i]);
  Napi::Array flags = Napi::Array::New(env, std::size(kFlags));
  for (uint32_t i = 0; i < std::size(kFlags); i++) flags.Set(i, kFlags[i].name);
  Napi::Object out = Napi::Object::New(env);
  out.Set("stride", static_cast<double>(kRecordStride));
  out.Set("fields", fields);
  out.Set("heap", heap_names);
  out.Set("types", types);
  out.Set("flags", flags);
  return out;
}

}  // namespace heapwatch
