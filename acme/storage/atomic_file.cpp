#include "storage/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace gatehouse::acme {

namespace {
[[noreturn]] void fail(const std::string& what, const std::string& path, int err) {
  throw std::runtime_error(what + " " + path + ": " + std::strerror(err));
}

std::string dirOf(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Closes the descriptor and removes the temporary file unless it was renamed into place.
struct TempFile {
  int fd = -1;
  std::string path;
  bool committed = false;
  ~TempFile() {
    if (fd >= 0)
      ::close(fd);
    if (!committed && !path.empty())
      ::unlink(path.c_str());
  }
};

void writeAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      fail("writing", path, errno);
    data.remove_prefix(static_cast<size_t>(n));
  }
}
}  // namespace

void makeDirs(const std::string& dir, mode_t mode) {
  if (dir.empty())
    return;
  std::string cur;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = dir.find('/', pos + 1);
    cur = dir.substr(0, pos);
    if (cur.empty())
      continue;
    if (::mkdir(cur.c_str(), mode) != 0 && errno != EEXIST)
      fail("creating directory", cur, errno);
  }
}

void writeFileAtomic(const std::string& path, std::string_view data, mode_t mode,
                     std::optional<FileOwner> owner) {
  const std::string dir = dirOf(path);
  TempFile tmp;
  std::vector<char> name(path.begin(), path.end());
  const std::string suffix = ".tmp-XXXXXX";
  name.insert(name.end(), suffix.begin(), suffix.end());
  name.push_back('\0');
  tmp.fd = ::mkstemp(name.data());
  if (tmp.fd < 0)
    fail("creating a temporary file for", path, errno);
  tmp.path = name.data();
  // The mode is set before any byte of a private key is written.
  if (::fchmod(tmp.fd, mode) != 0)
    fail("chmod", tmp.path, errno);
  if (owner && ::fchown(tmp.fd, owner->uid, owner->gid) != 0)
    fail("chown", tmp.path, errno);
  writeAll(tmp.fd, data, tmp.path);
  if (::fsync(tmp.fd) != 0)
    fail("fsync", tmp.path, errno);
  if (::rename(tmp.path.c_str(), path.c_str()) != 0)
    fail("renaming into place", path, errno);
  tmp.committed = true;
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);  // makes the rename durable; best effort on file systems without it
    ::close(dfd);
  }
}

}  // namespace gatehouse::acme
