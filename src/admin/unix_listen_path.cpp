#include "admin/unix_listen_path.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace gatehouse::admin {

namespace {

// Closes a descriptor on scope exit.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) {
      ::close(fd);
    }
  }
};

// True when something accepts connections on the socket at `path`.
bool socketAnswers(const std::string& path) {
  sockaddr_un sa{};
  if (path.size() >= sizeof(sa.sun_path)) {
    return false;
  }
  sa.sun_family = AF_UNIX;
  std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
  Fd s{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (s.fd < 0) {
    return false;
  }
  return ::connect(s.fd, reinterpret_cast<const sockaddr*>(&sa), sizeof(sa)) == 0 || errno != ECONNREFUSED;
}

}  // namespace

std::optional<std::string> unixSocketPath(const std::string& address, std::string& error) {
  const size_t slash = address.find('/');
  if (slash == std::string::npos) {
    return std::nullopt;
  }
  const std::string network = address.substr(0, slash);
  if (network == "unixgram" || network == "unixpacket") {
    error = "admin endpoint on " + address + ": network '" + network + "' is not supported yet (use unix)";
    return std::nullopt;
  }
  if (network != "unix") {
    return std::nullopt;
  }
  std::string path = address.substr(slash + 1);
  if (path.empty()) {
    error = "admin address '" + address + "' names no socket path";
    return std::nullopt;
  }
  return path;
}

std::string clearStaleSocket(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    return errno == ENOENT ? "" : path + ": " + std::strerror(errno);
  }
  if (!S_ISSOCK(st.st_mode)) {
    return path + " exists and is not a socket; not removing it";
  }
  if (socketAnswers(path)) {
    return path + ": address already in use (a server answers on this socket)";
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return "removing stale socket " + path + ": " + std::strerror(errno);
  }
  return "";
}

bool OwnedSocketFile::adopt(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    return false;
  }
  path_ = path;
  dev_ = st.st_dev;
  ino_ = st.st_ino;
  owned_ = true;
  return true;
}

void OwnedSocketFile::remove() {
  if (!owned_) {
    return;
  }
  owned_ = false;
  struct stat st {};
  if (::lstat(path_.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == dev_ && st.st_ino == ino_) {
    ::unlink(path_.c_str());
  }
}

}  // namespace gatehouse::admin
