// One process-wide thread that waits for snapshot signals and interrupts the environments.
#pragma once

#include "environment.h"

namespace heapwatch {
namespace signal_watcher {

// From now on `signo` makes `env` write a snapshot, even while its JavaScript is busy: the
// watcher thread interrupts the isolate (node::RequestInterrupt, which also wakes an idle
// loop) and the snapshot is written inside the interrupt, where no JavaScript runs. Signals
// that arrive while one is pending or being written are coalesced into it.
// Returns 0 or a negative libuv error. Thread: env's JS thread. Returns once the signal is
// being watched.
int Watch(Environment* env, int signo);

// Stops watching for `env`. The thread and its loop go away with the last environment.
// Thread: env's JS thread.
void Unwatch(Environment* env);

}  // namespace signal_watcher
}  // namespace heapwatch
