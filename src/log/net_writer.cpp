#include "log/net_writer.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace gatehouse::log {

namespace {

constexpr auto kRedialInterval = std::chrono::seconds(10);  // Caddy's redialerConn

bool datagram(const std::string& network) {
  return network.starts_with("udp") || network == "unixgram";
}

// Connects `fd` to `sa`, waiting at most `timeout` (0: the system's own limit).
bool connectWithin(int fd, const sockaddr* sa, socklen_t len, std::chrono::milliseconds timeout,
                   std::string& why) {
  const int flags = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  int rc = ::connect(fd, sa, len);
  if (rc != 0 && errno == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    const int wait = timeout.count() > 0 ? static_cast<int>(timeout.count()) : -1;
    do {
      rc = ::poll(&p, 1, wait);
    } while (rc < 0 && errno == EINTR);
    if (rc == 0) {
      why = "dial timeout";
      return false;
    }
    int err = 0;
    socklen_t errLen = sizeof(err);
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &errLen);
    errno = err;
    rc = err == 0 ? 0 : -1;
  }
  if (rc != 0) {
    why = std::strerror(errno);
    return false;
  }
  fcntl(fd, F_SETFL, flags);
  return true;
}

}  // namespace

NetAddress parseNetAddress(std::string_view text) {
  NetAddress a;
  const size_t slash = text.find('/');
  if (slash != std::string_view::npos) {
    a.network = std::string(text.substr(0, slash));
    a.address = std::string(text.substr(slash + 1));
  } else {
    a.network = "tcp";
    a.address = std::string(text);
  }
  static constexpr std::string_view kNetworks[] = {"tcp",  "tcp4", "tcp6", "udp",
                                                   "udp4", "udp6", "unix", "unixgram"};
  bool known = false;
  for (auto n : kNetworks) {
    known = known || n == a.network;
  }
  if (!known) {
    throw std::invalid_argument("unsupported network '" + a.network + "'");
  }
  if (a.network.starts_with("unix")) {
    if (a.address.empty() || a.address.size() >= sizeof(sockaddr_un{}.sun_path)) {
      throw std::invalid_argument("invalid socket path '" + a.address + "'");
    }
    return a;
  }
  const size_t colon = a.address.rfind(':');
  if (colon == std::string::npos || colon + 1 == a.address.size()) {
    throw std::invalid_argument("address '" + a.address + "' needs a port");
  }
  if (a.address.find('-', colon) != std::string::npos) {
    throw std::invalid_argument("multiple ports not supported");
  }
  return a;
}

NetWriter::NetWriter(NetAddress addr, std::chrono::milliseconds dialTimeout, bool softStart)
    : addr_(std::move(addr)), dialTimeout_(dialTimeout) {
  std::string why;
  fd_ = dial(why);
  if (fd_.get() < 0 && !softStart) {
    throw std::runtime_error("dialing " + addr_.network + "/" + addr_.address + ": " + why);
  }
  lastRedial_ = std::chrono::steady_clock::now();
}

handlers::UniqueFd NetWriter::dial(std::string& why) const {
  if (addr_.network.starts_with("unix")) {
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    std::memcpy(sun.sun_path, addr_.address.data(), addr_.address.size());
    handlers::UniqueFd fd(
        ::socket(AF_UNIX, (datagram(addr_.network) ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0));
    if (fd.get() < 0 ||
        !connectWithin(fd.get(), reinterpret_cast<sockaddr*>(&sun), sizeof(sun), dialTimeout_, why)) {
      return {};
    }
    return fd;
  }
  const size_t colon = addr_.address.rfind(':');
  std::string host = addr_.address.substr(0, colon);
  const std::string port = addr_.address.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  addrinfo hints{};
  hints.ai_family = addr_.network.ends_with('4')   ? AF_INET
                    : addr_.network.ends_with('6') ? AF_INET6
                                                   : AF_UNSPEC;
  hints.ai_socktype = datagram(addr_.network) ? SOCK_DGRAM : SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &res); rc != 0) {
    why = gai_strerror(rc);
    return {};
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> list(res, &freeaddrinfo);
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    handlers::UniqueFd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
    if (fd.get() >= 0 && connectWithin(fd.get(), ai->ai_addr, ai->ai_addrlen, dialTimeout_, why)) {
      return fd;
    }
  }
  return {};
}

namespace {

// Stream sockets take the batch; datagram sockets one line per datagram (one entry per
// message, as each of Caddy's log writes is).
bool sendLines(int fd, std::string_view lines, bool dgram) {
  if (fd < 0) {
    return false;
  }
  while (!lines.empty()) {
    size_t n = lines.size();
    if (dgram) {
      const size_t nl = lines.find('\n');
      n = nl == std::string_view::npos ? lines.size() : nl + 1;
    }
    const ssize_t sent = ::send(fd, lines.data(), n, MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) {
      continue;
    }
    if (sent <= 0) {
      return false;
    }
    lines.remove_prefix(dgram ? n : static_cast<size_t>(sent));
  }
  return true;
}

}  // namespace

bool NetWriter::write(std::string_view lines) {
  const bool dgram = datagram(addr_.network);
  if (sendLines(fd_.get(), lines, dgram)) {
    return true;
  }
  // Re-dial only every so often, so a dead log server does not stall every batch.
  const auto now = std::chrono::steady_clock::now();
  if (now - lastRedial_ > kRedialInterval) {
    lastRedial_ = now;
    std::string why;
    handlers::UniqueFd fresh = dial(why);
    if (fresh.get() >= 0 && sendLines(fresh.get(), lines, dgram)) {
      fd_ = std::move(fresh);
      return true;
    }
  }
  writeAll(STDERR_FILENO, lines);  // rather than lose the entries
  return false;
}

}  // namespace gatehouse::log
