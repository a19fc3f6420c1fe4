// Reads a V8 .heapsnapshot file (or a gzip-compressed one) into a HeapGraph, in chunks: the file
// is never held whole, and the node and edge arrays go straight into the graph's tables.
//
// The fields are found by name in snapshot.meta (node_fields, node_types, edge_fields,
// edge_types), because V8 versions differ: Node 26 has no trace_node_id, Node 20 has it.
// Strings are decoded only when a report can show them (heap_graph.h).
//
// A file that is not a complete snapshot (truncated, not JSON, a meta without the fields we need,
// a number too large for its field) gives an error that names the byte offset, never a crash.
// Nothing here recurses: nesting (trace_tree) is skipped with an explicit stack.
//
// Thread: any thread, without V8 (the analysis runs it on a worker thread). Lifetime: one call.
#pragma once

#include <cstdint>
#include <string>

#include "heap_graph.h"

namespace heapwatch {

// Told how far reading has come; called about once per megabyte, on the reading thread.
class ReadProgress {
 public:
  virtual ~ReadProgress() = default;
  // `done` and `total`: bytes of the file on disk (compressed bytes for a .gz).
  virtual void BytesRead(uint64_t done, uint64_t total) = 0;
};

struct ReadError {
  std::string message;  // empty when reading succeeded
  // errno of a failed system call (open, read), 0 otherwise.
  int system_error = 0;
  const char* syscall = "";
};

// Reads `path` into `graph` (which must be empty). `max_bytes` > 0: refuse before allocating the
// tables when they would need more than that (the memory available). Returns false and fills
// `error` on failure; the graph is then incomplete and must be discarded.
bool ReadSnapshotFile(const std::string& path, HeapGraph* graph, ReadProgress* progress,
                      double max_bytes, ReadError* error);

// Bytes the tables of a graph of this size take (what ReadSnapshotFile checks against
// max_bytes, and the dominator tree's working arrays on top).
double GraphBytesFor(double nodes, double edges);

}  // namespace heapwatch
