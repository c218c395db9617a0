#include "tls/key_log_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <system_error>

namespace gatehouse::tls {

std::shared_ptr<KeyLogFile> KeyLogFile::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    throw std::system_error(errno, std::generic_category(), "open " + path);
  }
  return std::make_shared<KeyLogFile>(path, Opened{fd});
}

KeyLogFile::~KeyLogFile() {
  ::close(fd_);
}

bool KeyLogFile::wanted(std::string_view line) {
  // Go's crypto/tls labels (a server never sends or accepts early data there).
  static constexpr std::array<std::string_view, 5> kLabels = {
      "CLIENT_RANDOM", "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
      "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0"};
  const std::string_view label = line.substr(0, line.find(' '));
  for (auto l : kLabels) {
    if (label == l) {
      return true;
    }
  }
  return false;
}

void KeyLogFile::write(std::string_view line) {
  if (!wanted(line)) {
    return;
  }
  std::string out;
  out.reserve(line.size() + 1);
  out.append(line).push_back('\n');
  std::lock_guard lock(mu_);
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::write(fd_, out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return;  // a full disk loses debugging output, never a handshake
    }
    done += static_cast<size_t>(n);
  }
}

}  // namespace gatehouse::tls
