// Functions that exist only for tests and benchmarks, compiled only into the test build
// (build/Release/heapwatch_test.node, HEAPWATCH_TEST_SEAMS), never into the shipped addon.
#pragma once

#include "environment.h"

namespace heapwatch {
namespace test_seams {

// Adds to `exports`:
//   testFakeFreeSpace(dir, bytes)  the disk guard sees `bytes` free in dir (< 0 forgets it)
//   testSysRoot(root)              the near-heap-limit callback reads /proc and /sys under root
//   testMemoryAvailable(root)      -> { machine, cgroup, cgroupFile } as that callback sees them
//   testFoldStats(Float64Array [n, current, ...]) -> the four StatsNumbers per full GC
//   testHeapDiffBytes(handle)      -> native bytes a HeapDiff holds until end()
//   testBareSnapshot()             -> ms to take and delete one snapshot (benchmarks' reference)
// The first two are process-wide. Thread: the loading environment's JS thread.
void Define(Napi::Env env, Napi::Object exports, Environment* environment);

}  // namespace test_seams
}  // namespace heapwatch
