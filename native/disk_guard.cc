#include "disk_guard.h"

#include <sys/statvfs.h>

#ifdef HEAPWATCH_TEST_SEAMS
#include <limits.h>
#include <stdlib.h>

#include <map>
#include <mutex>
#endif

namespace heapwatch {
namespace disk_guard {

#ifdef HEAPWATCH_TEST_SEAMS
namespace {
std::mutex fake_mutex;
std::map<std::string, double>& Fakes() {
  static auto* fakes = new std::map<std::string, double>();
  return *fakes;
}

std::string Real(const std::string& dir) {
  char buf[PATH_MAX];
  if (realpath(dir.c_str(), buf) == nullptr) return dir;
  return buf;
}

// The free space a test made the guard see in `dir`, or -1.
double Faked(const std::string& dir) {
  std::lock_guard<std::mutex> lock(fake_mutex);
  if (Fakes().empty()) return -1;
  auto it = Fakes().find(Real(dir));
  return it == Fakes().end() ? -1 : it->second;
}
}  // namespace

void FakeFreeSpace(const std::string& dir, double bytes) {
  std::lock_guard<std::mutex> lock(fake_mutex);
  if (bytes < 0) {
    Fakes().erase(Real(dir));
  } else {
    Fakes()[Real(dir)] = bytes;
  }
}
#endif

Verdict Check(v8::Isolate* isolate, const std::string& dir) {
  Verdict v;
  v8::HeapStatistics heap;
  isolate->GetHeapStatistics(&heap);
  v.needed = static_cast<double>(heap.used_heap_size()) * kBytesPerHeapByte;
#ifdef HEAPWATCH_TEST_SEAMS
  if ((v.free = Faked(dir)) >= 0) {
    v.ok = v.free >= v.needed;
    return v;
  }
#endif
  struct statvfs st;
  if (statvfs(dir.c_str(), &st) != 0) return v;  // the open() that follows reports the error
  if (st.f_blocks == 0) {
    v.virtual_fs = true;
    return v;
  }
  v.free = static_cast<double>(st.f_bavail) * static_cast<double>(st.f_frsize);
  v.ok = v.free >= v.needed;
  return v;
}

}  // namespace disk_guard
}  // namespace heapwatch
