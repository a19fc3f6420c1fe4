// GC prologue/epilogue hooks for one environment: record, never react.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "environment.h"

namespace heapwatch {

// The GC kinds heapwatch reports. Stable codes: the V8 enumerators behind them were renamed
// between Node versions (gc_monitor.cc maps them), JS gets names through GcMonitor::Names().
enum class GcKind : uint8_t {
  kScavenge = 0,
  kMinorMarkSweep = 1,
  kMarkSweepCompact = 2,
  kIncrementalMarking = 3,
  kWeakCallbacks = 4,
  kUnknown = 5,
};

// The V8 heap statistics kept per record, as doubles (heaps pass 4 GiB; doubles are exact to
// 2^53 bytes).
struct HeapNumbers {
  double used_heap_size;
  double total_heap_size;
  double heap_size_limit;
  double external_memory;
  double total_physical_size;
  double malloced_memory;
};

// memwatch's statistics after one full GC, besides the counters and the heap itself.
struct StatsNumbers {
  double estimated_base;  // recent moving average of the heap after full GCs
  double usage_trend;     // percent, one decimal: recent average over the long-run one
  double min;             // smallest heap after a full GC since the 3rd; 0 before
  double max;
};

// The moving averages and extremes carried from one full GC to the next.
struct StatsState {
  bool started = false;  // a full GC has been folded
  double recent = 0;
  double ancient = 0;
  double min = 0;
  double max = 0;
};

// memwatch's arithmetic for one full GC, in doubles. With n = full GCs counted so far: for the
// first 9 (or the first folded), both averages equal the heap after the GC; from the 10th, recent
// = (recent * 9 + current) / 10 and ancient = (ancient * (d - 1) + current) / d, d = min(120, n).
// Pure: the addon's testFoldStats() runs it over synthetic GCs.
StatsNumbers FoldStats(StatsState* state, double n, double current);

// One GC as the hooks saw it. The JS side reads records as a flat Float64Array, at the offsets
// GcMonitor::Layout() gives.
struct GcRecord {
  double kind;        // GcKind
  double flags;       // heapwatch flag bits (GcMonitor::Names().flags[i] is bit i)
  double own;         // why a full GC is not counted in 'stats': 0 counted; 1 heapwatch's own heap
                      // snapshot caused it; 2 one of the GCs of a gc() call but its last
  double full_total;  // full GCs counted in this environment so far, this one included
  double inc_total;   // other GCs counted so far, this one included
  double start_ms;    // wall clock, ms since the Unix epoch (sub-millisecond)
  double duration_ms;
  double cpu_ms;          // full GCs: CPU time of this thread during the GC; 0 for others
  double dropped_before;  // GCs lost to a full buffer between the previous record and this one
  HeapNumbers before;     // zero when not measured (see GcMonitor::OnPrologue)
  HeapNumbers after;
  StatsNumbers stats;  // full GCs that are not heapwatch's own only; filled in by Drain
};
inline constexpr size_t kRecordStride = sizeof(GcRecord) / sizeof(double);
static_assert(sizeof(GcRecord) == kRecordStride * sizeof(double), "GcRecord must be all doubles");

// Watches one environment's GCs while anyone in that environment is interested.
//
// Interest comes from each load of the addon separately (two loads share the Environment):
// `full` for 'stats'/'leak' (records of full GCs, counts of the others), `every` for 'gc'
// (records of every GC). The hooks are installed while any load has any interest and removed
// when none has, or at environment cleanup.
//
// Thread: the environment's JS thread. The hooks run there too, inside a GC: they write only
// into preallocated memory, call no JS, create no handles and take no locks.
// Lifetime: created by Environment-owned code on first interest, deleted at environment cleanup.
class GcMonitor {
 public:
  static GcMonitor* Get(Environment* env);  // creates it on first use

  // Updates the interest of one load (keyed by its napi_env); installs or removes the hooks.
  void SetInterest(napi_env load, bool full, bool every);
  bool hooked() const { return hooked_; }

  // How JS reads a record: { stride, fields: { kind: 0, flags: 1, ... }, heap: [names of
  // HeapNumbers in order], types: [GcKind names], flags: [flag bit names] }. The one definition
  // of the layout; src/gc-events.ts reads it at load.
  static Napi::Object Layout(Napi::Env env);

  // Around one gc() call: V8's low-memory notification runs several full GCs in a row (the last
  // ones find nothing left to free), and memwatch's users call gc() to get one measurement. The
  // call counts as one full GC, its last: the others are recorded with own = 2.
  void BeginExplicitGc();
  void EndExplicitGc();

 private:
  static constexpr size_t kCapacity = 4096;  // records between two JS turns
  static constexpr int kMaxDepth = 4;        // nested GC callbacks (weak callbacks in a GC)

  struct Interest {
    napi_env load;
    bool full;
    bool every;
  };
  struct Open {
    GcKind kind;
    int flags;
    bool measured;
    uint64_t start_ns;
    uint64_t cpu_start_ns;  // full GCs only
    HeapNumbers before;
  };

  explicit GcMonitor(Environment* env);
  ~GcMonitor();
  static void Destroy(Environment* env);
  void Hook();
  void Unhook();
  static void OnPrologue(v8::Isolate* isolate, v8::GCType type, v8::GCCallbackFlags flags,
                         void* data);
  static void OnEpilogue(v8::Isolate* isolate, v8::GCType type, v8::GCCallbackFlags flags,
                         void* data);
  void Measure(HeapNumbers* out);
  // Moves the records made since the last drain into a Float64Array (kRecordStride doubles each),
  // folding each counted full GC into the statistics on the way.
  Napi::Value Drain(Napi::Env env);

  Environment* env_;
  std::vector<Interest> interests_;  // one per interested load: in practice 1 or 2
  bool hooked_ = false;
  bool hooked_every_ = false;  // hooked for every GC ('gc'), not only full ones
  bool want_full_ = false;
  bool want_every_ = false;

  double epoch_offset_ms_;  // wall clock minus uv_hrtime, in ms
  double full_total_ = 0;
  double inc_total_ = 0;

  Open open_[kMaxDepth];
  int depth_ = 0;

  std::unique_ptr<GcRecord[]> ring_;   // allocated once, on first interest
  size_t head_ = 0;                    // oldest undelivered record
  size_t size_ = 0;                    // undelivered records
  double dropped_ = 0;                 // records lost to a full ring since the last record
  StatsState stats_;                   // folded on the JS thread, as records are drained
  bool explicit_gc_ = false;           // inside a gc() call
  GcRecord* explicit_last_ = nullptr;  // its latest full GC's record, until EndExplicitGc
};

}  // namespace heapwatch
