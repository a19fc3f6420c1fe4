#include "snapshot_ledger.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace heapwatch {
namespace snapshot_ledger {

void Record(const std::string& dir, const std::string& name, unsigned long long inode,
            double size) {
  // A name with a newline would forge a second line: never record one (the TS side refuses such
  // templates; this keeps the file well-formed whatever the caller did).
  if (name.find('\n') != std::string::npos || name.find('/') != std::string::npos) return;
  std::string line = std::to_string(inode) + " " +
                     std::to_string(static_cast<unsigned long long>(size)) + " " + name + "\n";
  std::string path = dir + "/" + kFileName;
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return;
  ssize_t n;
  do {
    n = ::write(fd, line.data(), line.size());
  } while (n < 0 && errno == EINTR);
  ::close(fd);
}

}  // namespace snapshot_ledger
}  // namespace heapwatch
