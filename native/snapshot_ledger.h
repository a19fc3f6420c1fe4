// The record of the snapshots heapwatch named and wrote in a directory, so that retention
// (`keep`) can prove a file is one of its own before deleting it.
#pragma once

#include <string>

namespace heapwatch {
namespace snapshot_ledger {

// The ledger's file name inside the snapshot directory.
constexpr const char* kFileName = ".heapwatch-ledger";

// Appends "<inode> <size> <name>\n" to <dir>/.heapwatch-ledger (created 0600) in one write with
// O_APPEND, so processes sharing the directory never interleave lines. Failures are ignored: an
// unrecorded snapshot is simply never deleted by retention. Runs no JS; safe in an interrupt.
void Record(const std::string& dir, const std::string& name, unsigned long long inode, double size);

}  // namespace snapshot_ledger
}  // namespace heapwatch
