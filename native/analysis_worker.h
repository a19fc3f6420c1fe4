// The heapwatch command's one native entry point: analyze(command, files, options, onProgress)
// runs `summary`, `diff` or `leaks` (heap_analysis.h) on a worker thread of libuv's pool, so
// that the JS thread stays free to draw progress, and returns a Promise of the report.
//
//   command: "summary" | "diff" | "leaks"; files: 1, 2 or 3 paths
//   options: { top, retainers, rules: "devtools" | "memlab" }
//   onProgress(step, file, done, total): step "parse" (bytes), "dominators" (steps), "report";
//     at most every 50 ms, on the JS thread
//   rejects with an Error carrying `file` (which input), and `errno`/`syscall` for I/O errors
//
// Thread: analyze() and the callbacks on the JS thread of the calling environment; the analysis
// itself on a libuv pool thread, touching no V8 and no N-API. Lifetime: one worker per call,
// deleted by node-addon-api after the Promise settles.
#pragma once

#include "environment.h"

namespace heapwatch {

Napi::Value Analyze(const Napi::CallbackInfo& info);

}  // namespace heapwatch
