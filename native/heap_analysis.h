// What the heapwatch command reports about snapshot files: `summary` (what fills the heap),
// `diff` (memwatch's HeapDiff between two files of one process) and `leaks` (the three-snapshot
// method). Each reads its files with the streaming reader, keeps only what the next step needs,
// and returns plain structs (analysis_worker.h turns them into JavaScript values).
//
// Thread: the analysis worker thread; no V8, no N-API. Lifetime: one call each.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dominator_tree.h"
#include "heap_summary.h"
#include "snapshot_reader.h"

namespace heapwatch {

// Told where an analysis is: step is "parse" (done/total: bytes of file number `file`),
// "dominators" (done/total: steps) or "report".
class AnalysisProgress {
 public:
  virtual ~AnalysisProgress() = default;
  virtual void Step(const char* step, uint32_t file, uint64_t done, uint64_t total) = 0;
};

struct AnalysisOptions {
  DominatorRules rules = DominatorRules::kDevTools;
  uint32_t top = 10;       // summary: largest objects; leaks: groups shown
  uint32_t retainers = 0;  // diff: groups that grew most to find paths for
  double max_bytes = 0;    // memory available to the tables (0: unknown)
};

struct AnalysisError {
  uint32_t file = 0;  // which input (0-based)
  ReadError read;     // what went wrong
};

struct FileTotals {
  double nodes = 0;
  double edges = 0;
  double self_bytes = 0;   // every node's self size
  double unreachable = 0;  // nodes the root does not reach through retaining edges
};

struct GroupRow {
  std::string what;
  double count = 0;
  double self_bytes = 0;
  double retained_bytes = 0;  // of the group's objects not retained by one of the group
};

struct ObjectRow {
  uint32_t id = 0;
  std::string what;  // its group
  std::string name;  // as in a path
  double self_bytes = 0;
  double retained_bytes = 0;
  std::string path;  // from the root
};

struct SummaryReport {
  FileTotals totals;
  std::vector<GroupRow> groups;    // by retained size, largest first
  std::vector<ObjectRow> largest;  // by retained size, largest first
};

// Whether two snapshots come from one process, from their ids: within one process an id is
// given once, to one object, in increasing order (V8's HeapObjectsMap). Counts of added and
// removed objects are of V8's own (odd) ids; the embedder's even ids follow no order.
struct Lineage {
  double common = 0;      // ids in both
  double mismatched = 0;  // ...whose node differs in kind or constructor: another object
  double older_new = 0;   // ids new in the second file yet below the first file's largest
  double newer_gone = 0;  // ids gone from the second file yet above its largest
  double added = 0;
  double removed = 0;
  // "same", "other-process" or "reversed" (the second file was written first).
  const char* verdict = "same";
};

struct DiffReport {
  HeapSummary before;  // totals only: rows are released once diffed
  HeapSummary after;
  SummaryDiff diff;
  GroupNames names;
  std::vector<uint32_t> targets;  // groups with retainer paths
  std::vector<std::vector<std::string>> paths;
  Lineage lineage;
};

struct LeakGroup {
  std::string path;  // an example retainer path, to the first object of the group
  std::string what;  // the group (memwatch's what) of that object
  double count = 0;  // objects made between the first and second snapshot, alive in the third
  double retained_bytes = 0;
  double later = 0;  // objects on the same path made after the second snapshot
};

struct LeaksReport {
  FileTotals totals;              // of the third file
  double candidates = 0;          // objects made between the first two, alive in the third
  std::vector<LeakGroup> groups;  // by retained size, largest first
  // Paths whose objects stopped growing after the second snapshot (a cache that filled once):
  // not reported as leaks, only counted.
  double settled_groups = 0;
  double settled_count = 0;
  double settled_bytes = 0;
  Lineage lineage[2];  // first-second, second-third
};

bool Summarize(const std::string& path, const AnalysisOptions& options, AnalysisProgress* progress,
               SummaryReport* out, AnalysisError* error);
bool DiffFiles(const std::string& before, const std::string& after, const AnalysisOptions& options,
               AnalysisProgress* progress, DiffReport* out, AnalysisError* error);
bool FindLeaks(const std::string& a, const std::string& b, const std::string& c,
               const AnalysisOptions& options, AnalysisProgress* progress, LeaksReport* out,
               AnalysisError* error);

}  // namespace heapwatch
