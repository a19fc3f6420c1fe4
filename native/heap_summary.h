// HeapDiff's native half: a heap snapshot read into a compact table, and the diff of two tables.
//
// A V8 snapshot costs several times the heap; a table costs 16 bytes per snapshot node. So a
// HeapDiff takes a snapshot, reads it into a table, deletes the snapshot at once, and keeps only
// the table until end(), which does the same again and compares the two.
//
// Every walk here is a loop over node indices or an explicit queue: a live linked list of a
// million nodes must not reach the native stack.
#pragma once

#include <v8-profiler.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "environment.h"

namespace heapwatch {

// Group names ("LeakingClass", "Array", ...) interned once, shared by both tables of one
// HeapDiff so that their group ids compare directly.
class GroupNames {
 public:
  // Fixed ids. kHidden: V8 internals (hidden, synthetic and object-shape nodes): counted in
  // node and byte totals but not listed in details, as memwatch did. kOwn: HeapDiff's own
  // objects, left out of everything.
  enum Fixed : uint32_t {
    kHidden,
    kOwn,
    kArray,
    kString,
    kCode,
    kClosure,
    kRegExp,
    kNumber,
    kNative,
    kSymbol,
    kBigInt,
    kFixedCount
  };

  GroupNames();
  uint32_t Intern(std::string_view name);
  const std::string& Name(uint32_t id) const { return *names_[id]; }
  uint32_t size() const { return static_cast<uint32_t>(names_.size()); }
  // Whether the group is reported in details.
  static bool Listed(uint32_t id) { return id != kHidden && id != kOwn; }
  size_t ByteSize() const;

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  std::unordered_map<std::string, uint32_t, Hash, std::equal_to<>> index_;
  std::vector<const std::string*> names_;  // keys of index_: node-based, so they stay put
};

// One snapshot node. 16 bytes: V8's snapshot ids are 32-bit; self sizes may exceed 4 GiB.
struct SummaryRow {
  uint32_t id;
  uint32_t group;
  uint64_t self_size;
};

// The compact table of one snapshot.
struct HeapSummary {
  std::vector<SummaryRow> rows;   // sorted by id; HeapDiff's own objects left out
  std::vector<uint32_t> own_ids;  // sorted: the ids of HeapDiff's own objects
  double nodes = 0;               // the snapshot's node count, as memwatch reported it
  uint64_t size_bytes = 0;        // total self size of the rows
  double time_ms = 0;             // wall-clock time of the snapshot, ms since the epoch

  size_t ByteSize() const {
    return sizeof(*this) + rows.capacity() * sizeof(SummaryRow) +
           own_ids.capacity() * sizeof(uint32_t);
  }
};

// What changed in one group between two tables.
struct GroupChange {
  int64_t size_bytes = 0;  // self size of the allocated minus that of the freed
  uint64_t allocated = 0;
  uint64_t freed = 0;
};

struct SummaryDiff {
  uint64_t freed_nodes = 0;
  uint64_t allocated_nodes = 0;
  std::vector<GroupChange> groups;  // indexed by group id
};

// Takes a snapshot of this environment's heap (marked as heapwatch's own) and owns it until
// destroyed. Thread: the environment's JS thread.
class ScopedSnapshot {
 public:
  explicit ScopedSnapshot(Environment* env);
  ~ScopedSnapshot();
  ScopedSnapshot(const ScopedSnapshot&) = delete;
  ScopedSnapshot& operator=(const ScopedSnapshot&) = delete;
  const v8::HeapSnapshot* get() const { return snapshot_; }

 private:
  const v8::HeapSnapshot* snapshot_;
};

// Reads every node of `snapshot` into `out`, interning group names into `names`.
void ReadSummary(v8::Isolate* isolate, const v8::HeapSnapshot* snapshot, GroupNames* names,
                 HeapSummary* out);

// Matches the rows of two tables by id: in `after` only = allocated, in `before` only = freed.
// Native rows left unmatched are paired off (Node's get new ids in every snapshot).
SummaryDiff DiffSummaries(const HeapSummary& before, const HeapSummary& after,
                          uint32_t group_count);

// For each group in `targets`, up to `per_group` paths from the snapshot's root to objects of
// that group that are in `after` but not in `before`, shortest first, as text:
// "(GC roots) > ... > cache (property) > Map > table (internal) > ... > LeakingClass".
// One breadth-first search over `snapshot` (the one `after` was read from); weak edges are not
// followed, nor edges out of HeapDiff's own objects.
std::vector<std::vector<std::string>> FindRetainerPaths(
    v8::Isolate* isolate, const v8::HeapSnapshot* snapshot, const GroupNames& names,
    const HeapSummary& before, const HeapSummary& after, const std::vector<uint32_t>& targets,
    size_t per_group);

// The state behind one JS HeapDiff: the names and the first table, until end().
struct HeapDiffState {
  GroupNames names;
  HeapSummary before;
  bool ended = false;
  int64_t reported = 0;  // bytes reported to V8 as external memory while the table is held

  size_t ByteSize() const { return sizeof(*this) + names.ByteSize() + before.ByteSize(); }
};

// The binding's HeapDiff functions (registered by addon.cc). Thread: the environment's JS thread.
// Arguments were validated in src/heap-diff.ts; these re-check types cheaply.
//
// heapDiffCreate() -> handle: an empty HeapDiff state. heapDiffStart(handle) then takes the
// first snapshot into it. Two calls so that during that snapshot the handle is already held by
// its HeapDiff (JS stores it in between), and is left out as HeapDiff's own like everything
// reachable only through a HeapDiff.
Napi::Value HeapDiffCreate(const Napi::CallbackInfo& info);
Napi::Value HeapDiffStart(Environment* env, const Napi::CallbackInfo& info);
// heapDiffEnd(handle, retainers) -> { before: { nodes, sizeBytes, time }, after: { ... },
//   freedNodes, allocatedNodes, groups: [{ what, sizeBytes, allocated, freed, retainers? }] }
// Groups come unsorted; only groups with changes are listed.
Napi::Value HeapDiffEnd(Environment* env, const Napi::CallbackInfo& info);
#ifdef HEAPWATCH_TEST_SEAMS
// heapDiffBytes(handle) -> bytes of native memory the handle holds until end().
Napi::Value HeapDiffBytes(const Napi::CallbackInfo& info);
// bareSnapshot() -> ms to take and delete one snapshot: the benchmarks' reference point.
Napi::Value BareSnapshot(Environment* env, const Napi::CallbackInfo& info);
#endif

}  // namespace heapwatch
