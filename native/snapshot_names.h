// The names heapwatch gives the snapshots it names itself: the template grammar, its expansion,
// and the test that a file name is one a template produces (retention deletes nothing else).
// The one definition of all three: JavaScript asks the addon (checkTemplate, facts).
#pragma once

#include <cstdint>
#include <string>

namespace heapwatch {
namespace snapshot_names {

// heapdump's name: wall-clock seconds and microseconds.
constexpr const char* kDefaultTemplate = "heapdump-{sec}.{usec}.heapsnapshot";

// The placeholders, space-separated, for error messages and the README.
constexpr const char* kPlaceholders = "{pid} {tid} {seq} {date} {trigger} {sec} {usec}";

// Why `t` is not a valid template, or "" when it is. Valid: a file name (no "/", no control
// characters, not "." or "..", not starting with ".heapwatch", which heapwatch's own files use),
// only known placeholders, at most NAME_MAX bytes once every placeholder has its longest
// expansion, and unique within the process: {seq}, or {usec} with {sec} or {date}.
std::string TemplateProblem(const std::string& t);

// What one name is made of. Every generated name takes a fresh one (Next()).
struct Stamp {
  long long sec = 0;   // wall clock
  long long usec = 0;  // 0..999999
  unsigned long long seq = 0;
};

// A stamp strictly later than every earlier one in the process (all threads): two names made in
// the same microsecond still differ. Thread-safe.
Stamp Next();

// `t` (a valid template) expanded. `trigger` is "api", "signal", "leak" or "heap-limit".
std::string Expand(const std::string& t, const Stamp& stamp, long long pid, long long thread_id,
                   const char* trigger);

// Whether `name` is a name that `t` (a valid template) can produce.
bool Matches(const std::string& t, const std::string& name);

}  // namespace snapshot_names
}  // namespace heapwatch
