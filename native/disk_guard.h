// Refuse a snapshot early when its filesystem clearly cannot hold it.
#pragma once

#include <v8.h>

#include <string>

namespace heapwatch {
namespace disk_guard {

// The one rule, for every trigger (API, signal, leak, heap limit): a snapshot needs at least
// kBytesPerHeapByte bytes of disk per byte of V8 heap in use. Measured on Node 20 (file size /
// heap used): 1.2 to 2.2 for heaps of objects, strings, closures and Maps; 0.04 for a heap of
// numeric arrays, whose elements are not graph nodes. 0.5 sits below every object-heavy heap, so
// the guard refuses only snapshots that clearly cannot fit; a snapshot that still runs out of
// space fails in write() with ENOSPC and leaves no file.
constexpr double kBytesPerHeapByte = 0.5;

struct Verdict {
  bool ok = true;
  double needed = 0;        // bytes, by the rule above
  double free = -1;         // bytes available to this user; -1 when unknown (then ok)
  bool virtual_fs = false;  // a filesystem with no blocks (/proc, /sys): it takes no files, and
                            // the open() that follows says why, not a made-up ENOSPC
};

// Thread: the isolate's JS thread (reads its heap statistics).
Verdict Check(v8::Isolate* isolate, const std::string& dir);

#ifdef HEAPWATCH_TEST_SEAMS
// Test seam: pretend `dir` (resolved with realpath) has `bytes` free; bytes < 0 forgets it.
// Process-wide.
void FakeFreeSpace(const std::string& dir, double bytes);
#endif

}  // namespace disk_guard
}  // namespace heapwatch
