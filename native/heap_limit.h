// A heap snapshot written when V8 nears its heap limit, before the process dies of it.
#pragma once

#include <string>

#include "environment.h"

namespace heapwatch {
namespace heap_limit {

// Native memory a snapshot of this heap takes while it is built and serialized, per byte of V8
// heap in use. Measured on Node 20 as the growth of peak RSS during v8.writeHeapSnapshot():
// 7 to 17x for heaps of objects, strings and closures, 29x for a heap of one large Map, 0.2x for
// numeric arrays. 8 is near the low end: the check skips a snapshot only when it clearly cannot
// fit; a container that is killed anyway leaves no file (the writer renames only complete files).
constexpr double kMemoryPerHeapByte = 8;

// What the machine and the memory cgroup (v2, else v1) can still give this process, in bytes.
struct Memory {
  double machine = -1;      // MemAvailable from /proc/meminfo, else libuv's free memory
  double cgroup = -1;       // limit - (usage - inactive file pages); -1 when there is no limit
  std::string cgroup_file;  // the limit file that set `cgroup`
};

// `root` prefixes /proc and /sys (tests point it at a fake tree); "" is the real system.
Memory Available(const std::string& root);

#ifdef HEAPWATCH_TEST_SEAMS
// Test seam: the root Available() uses inside the near-heap-limit callback. Process-wide.
void SetRoot(const std::string& root);
#endif

// From now on, when V8 nears `env`'s heap limit: raise the limit by enough headroom for a
// snapshot (the young generation's size, at least 4 MB), write one under the configured name with
// trigger "heap-limit" unless memory clearly cannot hold it (then say why on stderr), and report
// it on stderr and as a 'snapshot' event. At most `max` snapshots; after the last (or a skip) the
// callback removes itself, so the next time the limit is reached V8 fails as it would without
// heapwatch and Node prints its own OOM report. The initial limit comes back on its own once the
// heap shrinks below 95% of it (AutomaticallyRestoreInitialHeapLimit), or at Disable().
// `main_thread`: false in a worker, which gets one snapshot whatever `max` says. After it the
// callback is gone and the limit is raised by 1 MB only, so that the worker's next failing
// allocation reaches Node's own worker callback (which ends the worker with
// ERR_WORKER_OUT_OF_MEMORY and adds 16 MB for its teardown) with the heap no larger than when V8
// first gave up. Raised further, the heap could outgrow those 16 MB and V8 would abort the whole
// process. After a skip, a worker gets the young generation's size, for the same hand-over.
// V8 invokes only the most recently added near-heap-limit callback: while this one is
// installed, Node's --heapsnapshot-near-heap-limit (added at startup) does not run; one added
// later (v8.setHeapSnapshotNearHeapLimit) hides this one.
// Thread: env's JS thread.
void Enable(Environment* env, int max, bool main_thread);
void Disable(Environment* env);

}  // namespace heap_limit
}  // namespace heapwatch
