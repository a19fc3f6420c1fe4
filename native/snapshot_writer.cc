#include "snapshot_writer.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sys/stat.h>
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

#include "disk_guard.h"
#include "snapshot_ledger.h"
#include "snapshot_names.h"

namespace heapwatch {

namespace {

constexpr double kMB = 1024.0 * 1024.0;

// A stream (a FIFO, a terminal) that takes nothing for this long fails the snapshot with
// ETIMEDOUT: a reader that stopped reading must not hold the JS thread forever.
constexpr int kStreamStallMs = 5000;

// Streams V8's JSON serialization into a file descriptor, remembering the first error.
// kAbort stops the serializer early. A non-blocking stream is waited for with poll(), at most
// kStreamStallMs without progress.
class FdStream final : public v8::OutputStream {
 public:
  explicit FdStream(int fd) : fd_(fd) {}
  int GetChunkSize() override { return 256 * 1024; }
  void EndOfStream() override {}
  WriteResult WriteAsciiChunk(char* data, int size) override {
    while (size > 0) {
      ssize_t n = ::write(fd_, data, static_cast<size_t>(size));
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN && Wait()) continue;
        error = errno == EAGAIN ? ETIMEDOUT : errno;
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
  bool Wait() {
    struct pollfd p = {fd_, POLLOUT, 0};
    int n;
    do {
      n = ::poll(&p, 1, kStreamStallMs);
    } while (n < 0 && errno == EINTR);
    return n > 0 && (p.revents & POLLOUT) != 0;
  }
  int fd_;
};

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string BaseName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string Join(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  return dir + (dir.back() == '/' ? "" : "/") + name;
}

std::string Absolute(const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  char cwd[PATH_MAX];
  if (getcwd(cwd, sizeof cwd) == nullptr) return path;
  return Join(cwd, path);
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

// What the caller's path names now, and so how it is written.
enum class Target { kNew, kRegular, kStream, kRefused };

struct Classified {
  Target target;
  int error = 0;
  const char* reason = "";
};

Classified Classify(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    // Missing: a new file. Anything else (ENOTDIR, EACCES, ELOOP in the directories): the
    // open() of the temporary file reports it.
    return {Target::kNew};
  }
  if (S_ISREG(st.st_mode)) return {Target::kRegular};
  if (S_ISDIR(st.st_mode)) return {Target::kRefused, EISDIR, "a directory"};
  if (S_ISLNK(st.st_mode)) {
    // Followed only to a stream: /dev/stdout and its kind. Replacing the link would destroy
    // it; writing through it to a file would truncate someone's file in place.
    if (::stat(path.c_str(), &st) != 0) {
      return {Target::kRefused, ELOOP, "a symbolic link to nothing"};
    }
    if (S_ISDIR(st.st_mode)) return {Target::kRefused, EISDIR, "a link to a directory"};
    if (!S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode)) {
      return {Target::kRefused, ELOOP,
              "a symbolic link to a file: heapwatch replaces files only under their own name"};
    }
  }
  if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) return {Target::kStream};
  if (S_ISBLK(st.st_mode)) return {Target::kRefused, EINVAL, "a block device"};
  return {Target::kRefused, ENXIO, "a socket"};
}

// A temporary file beside `path`, created 0600 (a snapshot holds every string in the heap) and
// never an existing one (O_EXCL). Short, so that a final name near NAME_MAX still fits.
int CreateTemp(const std::string& path, std::string* temp) {
  static std::atomic<uint64_t> counter{0};
  int fd = -1;
  for (int attempt = 0; attempt < 100; attempt++) {
    char name[96];
    snprintf(name, sizeof name, "/.heapwatch-%d-%llu.tmp", static_cast<int>(getpid()),
             static_cast<unsigned long long>(++counter));
    *temp = DirName(path) + name;
    fd = ::open(temp->c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0 || errno != EEXIST) break;  // EEXIST: someone else's file by that name
  }
  return fd;
}

// The outcome in words, after "could not write heap snapshot to <path>: <CODE> (".
std::string Detail(const SnapshotResult& r, const char* reason) {
  char buf[160];
  if (r.error == ENOSPC && strcmp(r.syscall, "statfs") == 0) {
    snprintf(buf, sizeof buf, "the snapshot needs at least %.1f MB and only %.1f MB are free",
             r.needed / kMB, r.free / kMB);
    return buf;
  }
  if (strcmp(r.syscall, "heap-limit") == 0) {
    snprintf(buf, sizeof buf,
             "the snapshot would need about %.1f MB of memory and only %.1f MB are available",
             r.needed / kMB, r.free / kMB);
    return buf;
  }
  if (r.error == ETIMEDOUT && strcmp(r.syscall, "write") == 0) {
    snprintf(buf, sizeof buf, "the reader took nothing for %d s", kStreamStallMs / 1000);
    return buf;
  }
  if (reason[0] != '\0') return std::string(reason);
  return r.syscall;
}

void Fail(SnapshotResult* r, int error, const char* syscall, const char* reason = "") {
  r->error = error;
  r->syscall = syscall;
  r->detail = Detail(*r, reason);
  std::string where = r->path.empty() ? "" : " to " + Absolute(r->path);
  r->message =
      "could not write heap snapshot" + where + ": " + uv_err_name(-error) + " (" + r->detail + ")";
}

// Takes this environment's heap snapshot and serializes it into `stream`.
void TakeAndSerialize(Environment* env, FdStream* stream) {
  v8::Isolate* isolate = env->isolate();
  v8::HandleScope scope(isolate);
  OwnSnapshotScope own(env);
  const v8::HeapSnapshot* snapshot = isolate->GetHeapProfiler()->TakeHeapSnapshot();
  snapshot->Serialize(stream, v8::HeapSnapshot::kJSON);
  const_cast<v8::HeapSnapshot*>(snapshot)->Delete();
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
  out.Set("detail", detail);
  out.Set("message", message);
  return out;
}

SnapshotState::SnapshotState(Environment* env) : env_(env) {
  settings.name_template = snapshot_names::kDefaultTemplate;
  env->AddSource("snapshot", [this](Napi::Env napi) -> Napi::Value {
    if (pending_.empty()) return Napi::Value();
    Napi::Array list = Napi::Array::New(napi, pending_.size());
    uint32_t i = 0;
    for (const SnapshotResult& r : pending_) list.Set(i++, r.ToJs(napi));
    pending_.clear();
    return list;
  });
}

std::string SnapshotState::GeneratedPath(const std::string& dir, const char* trigger) const {
  std::string name =
      snapshot_names::Expand(settings.name_template, snapshot_names::Next(),
                             static_cast<long long>(getpid()), settings.thread_id, trigger);
  return Join(dir.empty() ? settings.dir : dir, name);
}

SnapshotResult SnapshotState::Write(const std::optional<std::string>& path, const std::string& dir,
                                    const char* trigger, bool announce) {
  uint64_t start = uv_hrtime();
  writing_ = true;
  SnapshotResult r = WriteOnce(path, dir, trigger);
  writing_ = false;
  r.duration_ms = static_cast<double>(uv_hrtime() - start) / 1e6;
  if (announce) {
    // Resolved now: the event reaches JS later, when the current directory may be another one.
    r.path = Absolute(r.path);
    // Printed here, not from JS: the process may be stuck in JavaScript for a long time yet.
    if (r.error == 0) {
      fprintf(stderr, "heapwatch: wrote %s (%.1f MB in %.0f ms, %s)\n", r.path.c_str(),
              r.bytes / kMB, r.duration_ms, trigger);
    } else {
      fprintf(stderr, "heapwatch: %s (%s)\n", r.message.c_str(), trigger);
    }
  }
  if (!deferred_.empty()) {
    std::string deferred = std::move(deferred_);
    deferred_.clear();
    WriteUnattended(deferred.c_str());
  }
  return r;
}

SnapshotResult SnapshotState::WriteOnce(const std::optional<std::string>& path,
                                        const std::string& dir, const char* trigger) {
  SnapshotResult r;
  r.trigger = trigger;
  bool generated = !path.has_value();
  r.path = generated ? GeneratedPath(dir, trigger) : *path;

  // open("") fails with ENOENT; names with NUL bytes would silently write somewhere else.
  if (r.path.empty()) {
    Fail(&r, ENOENT, "open");
    return r;
  }
  if (r.path.find('\0') != std::string::npos) {
    Fail(&r, EINVAL, "open", "a path with a NUL byte");
    return r;
  }
  // Fail before the (expensive) snapshot for what the final step would refuse anyway.
  std::string base = BaseName(r.path);
  if (base.size() > NAME_MAX || r.path.size() >= PATH_MAX) {
    Fail(&r, ENAMETOOLONG, "open");
    return r;
  }
  Classified what = generated ? Classified{Target::kNew} : Classify(r.path);
  if (base.empty() && what.target != Target::kRefused)
    what = {Target::kRefused, EISDIR, "a directory"};
  if (what.target == Target::kRefused) {
    Fail(&r, what.error, "open", what.reason);
    return r;
  }

  if (what.target == Target::kStream) {
    // In place: no O_CREAT, no O_TRUNC. O_NONBLOCK: a FIFO without a reader fails with ENXIO
    // instead of waiting for one.
    int fd = ::open(r.path.c_str(), O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
      int err = errno;
      Fail(&r, err, "open", err == ENXIO ? "a FIFO that no process has open for reading" : "");
      return r;
    }
    FdStream stream(fd);
    TakeAndSerialize(env_, &stream);
    ::close(fd);
    if (stream.error != 0) {
      Fail(&r, stream.error, "write");
    } else {
      r.bytes = stream.bytes;
    }
    return r;
  }

  // Before the (expensive, memory-hungry) snapshot: will the file fit at all?
  disk_guard::Verdict room = disk_guard::Check(env_->isolate(), DirName(r.path));
  if (!room.ok) {
    r.needed = room.needed;
    r.free = room.free;
    Fail(&r, ENOSPC, "statfs");
    return r;
  }

  std::string temp;
  int fd = CreateTemp(r.path, &temp);
  if (fd < 0) {
    int err = errno;
    Fail(&r, err, "open", room.virtual_fs ? "a virtual filesystem that takes no files" : "");
    return r;
  }
  FdStream stream(fd);
  TakeAndSerialize(env_, &stream);
  struct stat written;
  bool have_inode = ::fstat(fd, &written) == 0;
  int close_error = ::close(fd) == 0 ? 0 : errno;
  if (stream.error != 0) {
    Fail(&r, stream.error, "write");
  } else if (close_error != 0) {
    Fail(&r, close_error, "close");
  } else if (!generated) {
    // A regular file is replaced as a whole; a new name must still be free (EEXIST if
    // something, a FIFO say, took it meanwhile).
    int err = what.target == Target::kRegular
                  ? (::rename(temp.c_str(), r.path.c_str()) == 0 ? 0 : errno)
                  : RenameNoReplace(temp, r.path);
    if (err != 0) Fail(&r, err, "rename");
  } else {
    // A generated name never replaces a file: {seq} starts again in every process, {pid} is 1
    // in every container. Taken: the next generated name in the same directory.
    std::string in = r.path.find('/') == std::string::npos ? "" : DirName(r.path);
    int err = RenameNoReplace(temp, r.path);
    for (int attempt = 0; err == EEXIST && attempt < 100000; attempt++) {
      r.path = Join(in, BaseName(GeneratedPath("", trigger)));
      err = RenameNoReplace(temp, r.path);
    }
    if (err != 0) Fail(&r, err, "rename");
  }
  if (r.error != 0) {
    ::unlink(temp.c_str());
    return r;
  }
  r.bytes = stream.bytes;
  if (generated && settings.keep > 0 && have_inode) {
    std::string in = DirName(r.path);
    snapshot_ledger::Record(in, BaseName(r.path), static_cast<unsigned long long>(written.st_ino),
                            static_cast<unsigned long long>(stream.bytes));
    snapshot_ledger::Prune(in, settings.name_template, settings.keep);
  }
  return r;
}

void SnapshotState::WriteUnattended(const char* trigger) {
  if (writing_) {
    // An interrupt that V8 runs while a snapshot is being taken (some versions check for
    // interrupts inside it): write this one right after, never nested in the other.
    deferred_ = trigger;
    return;
  }
  Deliver(Write(std::nullopt, "", trigger, true));
}

void SnapshotState::Refuse(SnapshotResult* r, int error, const char* syscall) {
  Fail(r, error, syscall);
}

void SnapshotState::Deliver(SnapshotResult result) {
  pending_.push_back(std::move(result));
  env_->Wake();
}

std::vector<std::string> SnapshotState::Prune(const std::string& dir) {
  if (settings.keep == 0) return {};
  char cwd[PATH_MAX];
  std::string in = dir.empty() ? (getcwd(cwd, sizeof cwd) != nullptr ? cwd : "") : dir;
  if (in.empty()) return {};
  return snapshot_ledger::Prune(in, settings.name_template, settings.keep).deleted;
}

}  // namespace heapwatch
