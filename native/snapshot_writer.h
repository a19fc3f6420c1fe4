// Take a V8 heap snapshot and write it to a file that is complete or absent.
#pragma once

#include <cstdint>
#include <deque>
#include <string>

#include "environment.h"

namespace heapwatch {

struct SnapshotResult {
  std::string path;          // as requested
  std::string trigger;       // "api", "signal", ...
  int error = 0;             // errno; 0 on success
  const char* syscall = "";  // which call failed: "open", "write", "close", "rename", ...
  double bytes = 0;          // size of the file written
  double duration_ms = 0;    // from the start of the snapshot to the rename
  double needed = 0;         // disk guard (ENOSPC from "statfs"): bytes needed and free
  double free = 0;

  // { path, trigger, bytes, durationMs, errno, syscall, needed, free }: what JS receives, from
  // writeSnapshot() and in 'snapshot' events alike. JS thread only.
  Napi::Object ToJs(Napi::Env env) const;
};

// How heapwatch names the snapshots it names itself. Set from JS by configure().
struct NamingOptions {
  std::string dir;  // "" = the current directory at write time
  std::string name_template = "heapdump-{sec}.{usec}.heapsnapshot";
  int32_t thread_id = 0;
  // Retention (keep=N) is on: list generated files in the directory's ledger. Off, heapwatch
  // writes nothing but the snapshot itself.
  bool ledger = false;
};

// Per-environment snapshot state: naming, sequence numbers and the outcomes of the snapshots
// that nobody asked for from JS (signals, ...), waiting to be delivered as 'snapshot' events.
// Thread: the environment's JS thread.
class SnapshotState {
 public:
  explicit SnapshotState(Environment* env);

  NamingOptions naming;

  // The path for a snapshot heapwatch names itself: dir + expanded template. {seq} and the
  // {sec}.{usec} timestamp are process-wide and strictly increasing, so names never collide
  // within a process, across threads included.
  std::string NextPath(const char* trigger);

  // Writes a snapshot of this environment's heap to `path`: a temporary file created 0600 in
  // the same directory, every write and the close checked, then renamed; on failure the
  // temporary file is removed. Refused with ENOSPC before the snapshot is taken when the disk
  // guard (disk_guard.h) says it cannot fit. `record`: the name is one heapwatch generated, so
  // the file goes into the directory's ledger (snapshot_ledger.h) for retention.
  // Runs on the JS thread, from JS or from an interrupt; runs no JS.
  SnapshotResult Write(const std::string& path, const char* trigger, bool record = false);

  // Writes a snapshot under NextPath(trigger), prints one line on stderr, and queues the
  // outcome for the 'snapshot' event. For snapshots no JS caller is waiting for.
  void WriteUnattended(const char* trigger);

  // Queues an outcome for the 'snapshot' event and wakes JS.
  void Deliver(SnapshotResult result);

 private:
  Environment* env_;
  bool writing_ = false;  // a snapshot is being taken and serialized
  std::string deferred_;  // trigger of an unattended snapshot asked for meanwhile
  std::deque<SnapshotResult> pending_;
};

}  // namespace heapwatch
