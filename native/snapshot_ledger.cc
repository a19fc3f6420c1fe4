#include "snapshot_ledger.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <set>
#include <unordered_map>

#include "snapshot_names.h"

namespace heapwatch {
namespace snapshot_ledger {

namespace {

// A ledger is a few lines per snapshot kept; one this large was not written by heapwatch.
constexpr size_t kMaxBytes = 4 * 1024 * 1024;

struct Entry {
  unsigned long long inode;
  unsigned long long size;
  std::string name;
};

std::string PathOf(const std::string& dir) {
  return dir + "/" + kFileName;
}

// One stderr line per ledger per process: retention is off there until someone fixes it.
void Distrust(const std::string& path, const std::string& why) {
  static std::mutex mutex;
  static auto* told = new std::set<std::string>();
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (!told->insert(path).second) return;
  }
  fprintf(stderr, "heapwatch: not using %s: %s; retention (keep) does nothing in that directory\n",
          path.c_str(), why.c_str());
}

// dir's ledger if it can be trusted (see the header), else -1. `create`: make it when missing.
int OpenTrusted(const std::string& dir, bool create) {
  std::string path = PathOf(dir);
  int flags = O_RDWR | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
  int fd = ::open(path.c_str(), flags | (create ? O_CREAT : 0), 0600);
  if (fd < 0) {
    // ENOENT: no ledger yet. EROFS: nothing was written here either.
    int err = errno;
    if (err == ELOOP) {
      Distrust(path, "it is a symbolic link");
    } else if (err == ENXIO || err == EISDIR) {
      Distrust(path, "it is not a regular file");
    } else if (err != ENOENT && err != EROFS) {
      Distrust(path, std::string("this process cannot open it (") + strerror(err) + ")");
    }
    return -1;
  }
  struct stat st;
  std::string why;
  if (::fstat(fd, &st) != 0) {
    why = strerror(errno);
  } else if (!S_ISREG(st.st_mode)) {
    why = "it is not a regular file";
  } else if (st.st_uid != ::geteuid()) {
    why = "it is owned by uid " + std::to_string(st.st_uid) + ", not by this process's user (" +
          std::to_string(::geteuid()) + ")";
  } else if ((st.st_mode & 022) != 0) {
    why = "others can write to it (mode " + std::to_string((st.st_mode >> 6) & 7) +
          std::to_string((st.st_mode >> 3) & 7) + std::to_string(st.st_mode & 7) + ")";
  } else if (st.st_nlink != 1) {
    why = "it has " + std::to_string(st.st_nlink) + " hard links";
  } else if (static_cast<size_t>(st.st_size) > kMaxBytes) {
    why = "it is larger than any ledger heapwatch writes";
  }
  if (!why.empty()) {
    ::close(fd);
    Distrust(path, why);
    return -1;
  }
  return fd;
}

std::vector<Entry> ReadEntries(int fd) {
  std::string text;
  char buf[64 * 1024];
  off_t at = 0;
  while (text.size() <= kMaxBytes) {
    ssize_t n = ::pread(fd, buf, sizeof buf, at);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
    at += n;
  }
  std::vector<Entry> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) break;  // a line being appended: not complete yet
    std::string line = text.substr(start, end - start);
    start = end + 1;
    unsigned long long inode = 0, size = 0;
    int used = 0;
    if (sscanf(line.c_str(), "%llu %llu %n", &inode, &size, &used) != 2 || used == 0) continue;
    std::string name = line.substr(static_cast<size_t>(used));
    if (name.empty() || name.find('/') != std::string::npos) continue;
    out.push_back({inode, size, std::move(name)});
  }
  return out;
}

// Whether `e` still names the very file heapwatch wrote: same inode and size, a regular file of
// this user's.
bool StillOwn(const std::string& dir, const Entry& e) {
  struct stat st;
  if (::lstat((dir + "/" + e.name).c_str(), &st) != 0) return false;
  return S_ISREG(st.st_mode) && st.st_uid == ::geteuid() &&
         static_cast<unsigned long long>(st.st_ino) == e.inode &&
         static_cast<unsigned long long>(st.st_size) == e.size;
}

std::string Line(const Entry& e) {
  return std::to_string(e.inode) + " " + std::to_string(e.size) + " " + e.name + "\n";
}

// Replaces the ledger with `entries`: a temporary file, then a rename. A line another process
// appends meanwhile is lost; its file is then never deleted (the safe direction).
void Rewrite(const std::string& dir, const std::vector<Entry>& entries) {
  std::string temp = PathOf(dir) + "." + std::to_string(::getpid()) + ".tmp";
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return;
  std::string text;
  for (const Entry& e : entries) text += Line(e);
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = ::fsync(fd) == 0 && ok;
  ok = ::close(fd) == 0 && ok;
  if (!ok || ::rename(temp.c_str(), PathOf(dir).c_str()) != 0) ::unlink(temp.c_str());
}

}  // namespace

void Record(const std::string& dir, const std::string& name, unsigned long long inode,
            unsigned long long size) {
  // A name with a newline would forge a second line: never record one (templates cannot make
  // one; this keeps the file well-formed whatever the caller did).
  if (name.find('\n') != std::string::npos || name.find('/') != std::string::npos) return;
  int fd = OpenTrusted(dir, true);
  if (fd < 0) return;
  std::string line = Line({inode, size, name});
  ssize_t n;
  do {
    n = ::write(fd, line.data(), line.size());
  } while (n < 0 && errno == EINTR);
  ::close(fd);
}

PruneResult Prune(const std::string& dir, const std::string& name_template, size_t keep) {
  PruneResult result;
  int fd = OpenTrusted(dir, false);
  if (fd < 0) return result;
  std::vector<Entry> lines = ReadEntries(fd);
  ::close(fd);

  // One entry per name, at the position of its latest write.
  std::unordered_map<std::string, size_t> latest;
  for (size_t i = 0; i < lines.size(); i++) latest[lines[i].name] = i;
  std::vector<const Entry*> own;
  for (size_t i = 0; i < lines.size(); i++) {
    const Entry& e = lines[i];
    if (latest[e.name] == i && snapshot_names::Matches(name_template, e.name) && StillOwn(dir, e)) {
      own.push_back(&e);
    }
  }
  size_t excess = own.size() > keep ? own.size() - keep : 0;
  std::set<std::string> gone;
  for (size_t i = 0; i < own.size(); i++) {
    if (i < excess && ::unlink((dir + "/" + own[i]->name).c_str()) == 0) {
      result.deleted.push_back(own[i]->name);
      gone.insert(own[i]->name);
    } else if (i >= excess) {
      result.kept.push_back(own[i]->name);
    }
  }
  if (lines.size() > 2 * keep + 32) {
    std::vector<Entry> remaining;
    for (size_t i = 0; i < lines.size(); i++) {
      const Entry& e = lines[i];
      if (latest[e.name] == i && gone.count(e.name) == 0 && StillOwn(dir, e))
        remaining.push_back(e);
    }
    Rewrite(dir, remaining);
  }
  return result;
}

}  // namespace snapshot_ledger
}  // namespace heapwatch
