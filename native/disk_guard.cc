#include "disk_guard.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/statvfs.h>

#include <map>
#include <mutex>

namespace heapwatch {
namespace disk_guard {

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
}  // namespace

void FakeFreeSpace(const std::string& dir, double bytes) {
  std::lock_guard<std::mutex> lock(fake_mutex);
  if (bytes < 0) {
    Fakes().erase(Real(dir));
  } else {
    Fakes()[Real(dir)] = bytes;
  }
}

Verdict Check(v8::Isolate* isolate, const std::string& dir) {
  Verdict v;
  v8::HeapStatistics heap;
  isolate->GetHeapStatistics(&heap);
  v.needed = static_cast<double>(heap.used_heap_size()) * kBytesPerHeapByte;
  bool faked = false;
  {
    std::lock_guard<std::mutex> lock(fake_mutex);
    if (!Fakes().empty()) {
      auto it = Fakes().find(Real(dir));
      if (it != Fakes().end()) {
        v.free = it->second;
        faked = true;
      }
    }
  }
  if (!faked) {
    struct statvfs st;
    if (statvfs(dir.c_str(), &st) != 0) return v;  // the open() that follows reports the error
    v.free = static_cast<double>(st.f_bavail) * static_cast<double>(st.f_frsize);
  }
  v.ok = v.free >= v.needed;
  return v;
}

}  // namespace disk_guard
}  // namespace heapwatch
