#include "snapshot_writer.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <v8-profiler.h>
#ifdef __linux__
#include <linux/fs.h>  // RENAME_NOREPLACE
#include <sys/syscall.h>
#endif

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <mutex>

#include "disk_guard.h"
#include "snapshot_ledger.h"

namespace heapwatch {

namespace {

// Streams V8's JSON serialization straight into a file descriptor, remembering the first
// error. V8 ignores nothing we return: kAbort stops the serializer early.
class FileStream final : public v8::OutputStream {
 public:
  explicit FileStream(int fd) : fd_(fd) {}
  int GetChunkSize() override { return 256 * 1024; }
  void EndOfStream() override {}
  WriteResult WriteAsciiChunk(char* data, int size) override {
    while (size > 0) {
      ssize_t n = ::write(fd_, data, static_cast<size_t>(size));
      if (n < 0) {
        if (errno == EINTR) continue;
        error = errno;
        return kAbort;
      }
      data += n;
      size -= static_cast<int>(n);
      bytes += static_cast<double>(n);
    }
    return kContinue;
  }
  int error = 0;
  double bytes = 0;

 private:
  int fd_;
};

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string Absolute(const std::string& path) {
  if (!path.empty() && path[0] == '/') return path;
  char cwd[4096];
  if (getcwd(cwd, sizeof cwd) == nullptr) return path;
  return std::string(cwd) + "/" + path;
}

// rename() that fails with EEXIST instead of replacing `to`. Returns 0 or an errno.
int RenameNoReplace(const std::string& from, const std::string& to) {
#if defined(__linux__) && defined(SYS_renameat2) && defined(RENAME_NOREPLACE)
  if (syscall(SYS_renameat2, AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) {
    return 0;
  }
  if (errno != EINVAL && errno != ENOSYS) return errno;  // EINVAL: the filesystem can't
#endif
  // link() never replaces either; then drop the temporary name.
  if (::link(from.c_str(), to.c_str()) == 0) {
    ::unlink(from.c_str());
    return 0;
  }
  if (errno == EEXIST) return EEXIST;
  // No hard links here (some FUSE and FAT filesystems): check, then rename. Racy only against
  // another writer creating the same name in the same instant.
  struct stat st;
  if (::lstat(to.c_str(), &st) == 0) return EEXIST;
  return ::rename(from.c_str(), to.c_str()) == 0 ? 0 : errno;
}

std::string BaseName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

void AppendNumber(std::string* out, const char* format, long long value) {
  char buf[32];
  snprintf(buf, sizeof buf, format, value);
  *out += buf;
}

}  // namespace

Napi::Object SnapshotResult::ToJs(Napi::Env env) const {
  Napi::Object out = Napi::Object::New(env);
  out.Set("path", path);
  out.Set("trigger", trigger);
  out.Set("bytes", bytes);
  out.Set("durationMs", duration_ms);
  out.Set("errno", error);
  out.Set("syscall", syscall);
  out.Set("needed", needed);
  out.Set("free", free);
  return out;
}

SnapshotState::SnapshotState(Environment* env) : env_(env) {
  env->AddSource("snapshot", [this](Napi::Env napi) -> Napi::Value {
    if (pending_.empty()) return Napi::Value();
    Napi::Array list = Napi::Array::New(napi, pending_.size());
    uint32_t i = 0;
    // Paths were made absolute when written: cwd may have changed since.
    for (const SnapshotResult& r : pending_) list.Set(i++, r.ToJs(napi));
    pending_.clear();
    return list;
  });
}

std::string SnapshotState::NextPath(const char* trigger) {
  // Process-wide: workers and the main thread share a directory and often a template.
  static std::mutex clock_mutex;
  static long long last_us = 0;
  static unsigned long long last_seq = 0;
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  long long now_us = static_cast<long long>(tv.tv_sec) * 1000000 + tv.tv_usec;
  unsigned long long seq;
  {
    std::lock_guard<std::mutex> lock(clock_mutex);
    if (now_us <= last_us) now_us = last_us + 1;  // two names in one microsecond: next one
    last_us = now_us;
    seq = ++last_seq;
  }
  tv.tv_sec = static_cast<time_t>(now_us / 1000000);
  tv.tv_usec = static_cast<suseconds_t>(now_us % 1000000);
  struct tm utc;
  time_t secs = tv.tv_sec;
  gmtime_r(&secs, &utc);

  std::string name;
  const std::string& t = naming.name_template;
  for (size_t i = 0; i < t.size(); i++) {
    if (t[i] == '{') {
      size_t close = t.find('}', i);
      if (close != std::string::npos) {
        std::string key = t.substr(i + 1, close - i - 1);
        bool known = true;
        if (key == "pid") {
          AppendNumber(&name, "%lld", static_cast<long long>(getpid()));
        } else if (key == "tid") {
          AppendNumber(&name, "%lld", naming.thread_id);
        } else if (key == "seq") {
          AppendNumber(&name, "%lld", static_cast<long long>(seq));
        } else if (key == "sec") {
          AppendNumber(&name, "%lld", static_cast<long long>(tv.tv_sec));
        } else if (key == "usec") {
          AppendNumber(&name, "%06lld", static_cast<long long>(tv.tv_usec));
        } else if (key == "date") {
          char buf[32];
          strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &utc);
          name += buf;
        } else if (key == "trigger") {
          name += trigger;
        } else {
          known = false;  // JS validated the template; keep anything else literally
        }
        if (known) {
          i = close;
          continue;
        }
      }
    }
    name += t[i];
  }
  if (naming.dir.empty()) return name;
  return naming.dir + (naming.dir.back() == '/' ? "" : "/") + name;
}

SnapshotResult SnapshotState::Write(const std::string& path, const char* trigger, bool record) {
  SnapshotResult result;
  result.path = path;
  result.trigger = trigger;
  uint64_t start = uv_hrtime();

  // open("") and names with NUL bytes would silently write somewhere else: refuse them.
  if (path.empty() || path.find('\0') != std::string::npos) {
    result.error = path.empty() ? ENOENT : EINVAL;
    result.syscall = "open";
    return result;
  }

  // Fail before the (expensive) snapshot for what the final rename would refuse anyway.
  std::string base = path.substr(path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1);
  struct stat st;
  if (base.size() > NAME_MAX || path.size() >= PATH_MAX) {
    result.error = ENAMETOOLONG;
  } else if (base.empty() || (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))) {
    result.error = EISDIR;
  }
  if (result.error != 0) {
    result.syscall = "open";
    return result;
  }

  // Before the (expensive, memory-hungry) snapshot: will the file fit at all?
  disk_guard::Verdict room = disk_guard::Check(env_->isolate(), DirName(path));
  if (!room.ok) {
    result.error = ENOSPC;
    result.syscall = "statfs";
    result.needed = room.needed;
    result.free = room.free;
    return result;
  }

  // A short temporary name in the target directory, so that the rename is atomic and a name
  // near NAME_MAX still fits.
  static std::atomic<uint64_t> temp_counter{0};
  char temp_name[96];
  snprintf(temp_name, sizeof temp_name, "/.heapwatch-%d-%llu.tmp", static_cast<int>(getpid()),
           static_cast<unsigned long long>(++temp_counter));
  std::string temp = DirName(path) + temp_name;

  // 0600: a snapshot holds every string in the heap. O_EXCL: never reuse someone's file.
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    result.error = errno;
    result.syscall = "open";
    return result;
  }

  FileStream stream(fd);
  writing_ = true;
  {
    v8::Isolate* isolate = env_->isolate();
    v8::HandleScope scope(isolate);
    OwnSnapshotScope own(env_);
    const v8::HeapSnapshot* snapshot = isolate->GetHeapProfiler()->TakeHeapSnapshot();
    snapshot->Serialize(&stream, v8::HeapSnapshot::kJSON);
    const_cast<v8::HeapSnapshot*>(snapshot)->Delete();
  }
  writing_ = false;

  if (stream.error != 0) {
    result.error = stream.error;
    result.syscall = "write";
  }
  struct stat written;
  bool have_inode = ::fstat(fd, &written) == 0;
  if (::close(fd) != 0 && result.error == 0) {
    result.error = errno;
    result.syscall = "close";
  }
  if (result.error == 0 && !record && ::rename(temp.c_str(), path.c_str()) != 0) {
    result.error = errno;
    result.syscall = "rename";
  }
  // A generated name never replaces a file: {seq} starts again in every process, {pid} is 1
  // in every container. Taken: the next generated name in the same directory.
  if (result.error == 0 && record) {
    std::string final_path = path;
    int err = RenameNoReplace(temp, final_path);
    for (int attempt = 0; err == EEXIST && attempt < 100000; attempt++) {
      std::string next = BaseName(NextPath(trigger));
      final_path = path.find('/') == std::string::npos ? next : DirName(path) + "/" + next;
      err = RenameNoReplace(temp, final_path);
    }
    if (err != 0) {
      result.error = err;
      result.syscall = "rename";
    } else {
      result.path = final_path;
      base = BaseName(final_path);
    }
  }
  if (result.error != 0) {
    ::unlink(temp.c_str());
  } else {
    result.bytes = stream.bytes;
    if (record && have_inode && naming.ledger) {
      snapshot_ledger::Record(DirName(path), base, static_cast<unsigned long long>(written.st_ino),
                              stream.bytes);
    }
  }
  result.duration_ms = static_cast<double>(uv_hrtime() - start) / 1e6;
  if (!deferred_.empty()) {
    std::string deferred = std::move(deferred_);
    deferred_.clear();
    WriteUnattended(deferred.c_str());
  }
  return result;
}

void SnapshotState::WriteUnattended(const char* trigger) {
  if (writing_) {
    // An interrupt that V8 runs while a snapshot is being taken (some versions check for
    // interrupts inside it): write this one right after, never nested in the other.
    deferred_ = trigger;
    return;
  }
  SnapshotResult r = Write(NextPath(trigger), trigger, true);
  // Resolved now: the event reaches JS later, when the current directory may be another one.
  r.path = Absolute(r.path);
  // Printed here, not from JS: the process may be stuck in JavaScript for a long time yet.
  if (r.error == 0) {
    fprintf(stderr, "heapwatch: wrote %s (%.1f MB in %.0f ms, %s)\n", r.path.c_str(),
            r.bytes / (1024.0 * 1024.0), r.duration_ms, trigger);
  } else if (r.needed > 0) {
    fprintf(stderr,
            "heapwatch: could not write %s: ENOSPC, the snapshot needs at least %.1f MB and "
            "only %.1f MB are free (%s)\n",
            r.path.c_str(), r.needed / (1024.0 * 1024.0), r.free / (1024.0 * 1024.0), trigger);
  } else {
    fprintf(stderr, "heapwatch: could not write %s: %s %s (%s)\n", r.path.c_str(), r.syscall,
            uv_err_name(-r.error), trigger);
  }
  Deliver(std::move(r));
}

void SnapshotState::Deliver(SnapshotResult result) {
  pending_.push_back(std::move(result));
  env_->Wake();
}

}  // namespace heapwatch
