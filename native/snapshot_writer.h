// Take a V8 heap snapshot and write it: to a file that is complete or absent, or into a stream
// (a FIFO, a terminal, /dev/null) that the caller named. Never replaces or truncates anything
// but a regular file the caller named, and never that until the new one is complete.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "environment.h"

namespace heapwatch {

struct SnapshotResult {
  std::string path;          // as written: the caller's, or the generated one (absolute when
                             // nobody is waiting for it)
  std::string trigger;       // "api", "signal", "leak", "heap-limit"
  int error = 0;             // errno; 0 on success
  const char* syscall = "";  // which step failed: "open", "write", "rename", "statfs", ...
  double bytes = 0;          // size of what was written
  double duration_ms = 0;    // from the start of the snapshot to the file being complete
  double needed = 0;         // disk guard (ENOSPC, "statfs") or memory check (ENOMEM,
  double free = 0;           // "heap-limit"): bytes needed and available
  std::string detail;        // on failure: why, in words, or the step that failed
  std::string message;       // on failure: "could not write heap snapshot to <path>: <CODE>
                             // (<detail>)"

  // { path, trigger, bytes, durationMs, errno, syscall, needed, free, detail, message }: what JS
  // receives, from writeSnapshot() and in 'snapshot' events alike. JS thread only.
  Napi::Object ToJs(Napi::Env env) const;
};

// How heapwatch names the snapshots it names itself, and how many it keeps. Set from JS by
// configure(), all at once.
struct SnapshotSettings {
  std::string dir;  // absolute, created; "" = the current directory at write time
  std::string name_template;
  int64_t thread_id = 0;
  size_t keep = 0;  // retention: at most this many of heapwatch's own per directory; 0 = all
};

// Per-environment snapshot state: settings, and the outcomes of the snapshots that nobody asked
// for from JS (signals, the heap limit), waiting to be delivered as 'snapshot' events.
// Thread: the environment's JS thread (from JS, an interrupt or a near-heap-limit callback).
// Lifetime: the environment's (Environment::snapshots()).
class SnapshotState {
 public:
  explicit SnapshotState(Environment* env);

  SnapshotSettings settings;

  // Writes a snapshot of this environment's heap and returns the outcome; runs no JS.
  // `path` given: the caller's path. A new name or a regular file gets a temporary file
  // created 0600 beside it, every write checked, then a rename (so the old file stays whole until
  // the new one is); a FIFO or character device is written in place; anything else is refused.
  // `path` absent: a generated name in `dir` (or the configured dir when `dir` is empty) that never
  // replaces anything (a taken name moves on to the next), recorded in the directory's ledger and
  // followed by retention when `keep` is set.
  // Refused with ENOSPC before the snapshot is taken when the disk guard says it cannot fit.
  // `announce`: one stderr line for the outcome (for snapshots nobody is waiting for in JS).
  SnapshotResult Write(const std::optional<std::string>& path, const std::string& dir,
                       const char* trigger, bool announce);

  // Writes a snapshot under a generated name, announces it, and queues the outcome for the
  // 'snapshot' event. For snapshots no JS caller is waiting for.
  void WriteUnattended(const char* trigger);

  // Marks `r` failed with `error` at `syscall`, its message in words.
  static void Refuse(SnapshotResult* r, int error, const char* syscall);

  // Queues an outcome for the 'snapshot' event and wakes JS.
  void Deliver(SnapshotResult result);

  // Retention for `dir` (the configured dir or the current directory when empty) now: what
  // configure() runs when keep, dir or name change. Returns the names deleted.
  std::vector<std::string> Prune(const std::string& dir);

 private:
  SnapshotResult WriteOnce(const std::optional<std::string>& path, const std::string& dir,
                           const char* trigger);
  std::string GeneratedPath(const std::string& dir, const char* trigger) const;

  Environment* env_;
  bool writing_ = false;  // a snapshot is being taken and serialized
  std::string deferred_;  // trigger of an unattended snapshot asked for meanwhile
  std::deque<SnapshotResult> pending_;
};

}  // namespace heapwatch
