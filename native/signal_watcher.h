// One process-wide thread that waits for snapshot signals and interrupts the environments.
#pragma once

#include <string>
#include <vector>

#include "environment.h"

namespace heapwatch {
namespace signal_watcher {

// The signals heapwatch may take over for snapshots, by name, those this platform has: nothing
// else in Node or the kernel needs them. src/signals.ts says why each other one is refused.
std::vector<std::string> SignalNames();

// The number of one of SignalNames(), or 0.
int SignalNumber(const std::string& name);

// From now on `signo` makes `env` write a snapshot, even while its JavaScript is busy: the
// watcher thread interrupts the isolate (node::RequestInterrupt, which also wakes an idle
// loop) and the snapshot is written inside the interrupt, where no JavaScript runs. Signals
// that arrive while one is pending or being written are coalesced into it.
// Returns 0 or a negative libuv error. Thread: env's JS thread. Returns once the signal is
// being watched.
int Watch(Environment* env, int signo);

// Stops watching for `env` (configure({ signal: false })): the signal's disposition goes back to
// what it was. The thread and its loop go away with the last environment.
// Thread: env's JS thread.
void Unwatch(Environment* env);

// Forgets `env` as it is torn down (worker exit, process exit), keeping the signal handled: a
// signal that arrives while the process exits is ignored, never the default action that would
// kill a process on its way to exit 0. Thread: env's JS thread.
void Forget(Environment* env);

}  // namespace signal_watcher
}  // namespace heapwatch
