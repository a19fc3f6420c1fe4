// Retention (`keep`): the record of the snapshots heapwatch named and wrote in a directory, and
// the deletion of the oldest of them beyond N. A file is deleted only when heapwatch can prove it
// wrote it, so no file of anyone else's is ever deleted, whatever its name.
//
// The ledger is <dir>/.heapwatch-ledger, lines of "<inode> <size> <name>". It is used only when it
// can be trusted: a regular file with one link, owned by this process's effective user and
// writable by nobody else, opened without following a link and without blocking. Anything else
// at that name (another user's file, a link, a FIFO, a device) is named once on stderr and left
// alone, and retention does nothing in that directory.
//
// Thread: any thread that writes snapshots (the JS thread, inside an interrupt or the
// near-heap-limit callback included). Runs no JS, never blocks on the ledger.
#pragma once

#include <string>
#include <vector>

namespace heapwatch {
namespace snapshot_ledger {

constexpr const char* kFileName = ".heapwatch-ledger";

// Appends "<inode> <size> <name>\n" to dir's ledger (created 0600 if missing) in one O_APPEND
// write, so processes sharing the directory never interleave lines. An unrecorded snapshot is
// simply never deleted by retention.
void Record(const std::string& dir, const std::string& name, unsigned long long inode,
            unsigned long long size);

struct PruneResult {
  std::vector<std::string> deleted;  // oldest first
  std::vector<std::string> kept;     // heapwatch's own that remain under the template, oldest first
};

// Deletes heapwatch's oldest snapshots in `dir` beyond `keep`. A file goes only when all hold:
// the trusted ledger lists it; its name is one `name_template` produces; it is a regular file
// owned by this user with the inode and size the ledger recorded; more than `keep` such files
// are newer in the ledger. Lines of files that are gone are dropped when the ledger grows long.
PruneResult Prune(const std::string& dir, const std::string& name_template, size_t keep);

}  // namespace snapshot_ledger
}  // namespace heapwatch
