#include "cli/pingback.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>
#include <memory>

namespace gatehouse::cli {

namespace {

// Go's wording of an errno: strerror's text, lower-cased first letter ("connection refused").
std::string errnoText(int err) {
  std::string text = std::strerror(err);
  if (!text.empty()) {
    text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  }
  return text;
}

// Connects to HOST:PORT ("[::1]:PORT" too); an invalid descriptor with `error` on failure.
handlers::UniqueFd dial(const std::string& address, std::string& error) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) {
    error = "dial tcp " + address + ": address " + address + ": missing port in address";
    return handlers::UniqueFd();
  }
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (const int rc = ::getaddrinfo(host.c_str(), address.c_str() + colon + 1, &hints, &found); rc != 0) {
    error = "dial tcp " + address + ": " + ::gai_strerror(rc);
    return handlers::UniqueFd();
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> list(found, &::freeaddrinfo);
  int err = 0;
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    handlers::UniqueFd fd(::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol));
    if (fd.get() >= 0 && ::connect(fd.get(), a->ai_addr, a->ai_addrlen) == 0) {
      return fd;
    }
    err = errno;
  }
  error = "dial tcp " + address + ": connect: " + errnoText(err);
  return handlers::UniqueFd();
}

bool writeAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    off += static_cast<size_t>(n);
  }
  return true;
}

// Up to `limit` bytes of what `fd` sends (less if it closes first), read for at most
// `timeoutMs`: a stray client cannot hold the start forever.
std::string readUpTo(int fd, size_t limit, int timeoutMs) {
  std::string got;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
  char buf[512];
  while (got.size() < limit) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      break;
    }
    const ssize_t n = ::read(fd, buf, std::min(sizeof buf, limit - got.size()));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    got.append(buf, static_cast<size_t>(n));
  }
  return got;
}

}  // namespace

bool sendPingback(const std::string& address, std::string& error) {
  std::string bytes;
  char buf[512];
  for (;;) {
    const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      error = "reading confirmation bytes from stdin: read /dev/stdin: " + errnoText(errno);
      return false;
    }
    if (n == 0) {
      break;
    }
    bytes.append(buf, static_cast<size_t>(n));
  }
  std::string dialError;
  handlers::UniqueFd conn = dial(address, dialError);
  if (conn.get() < 0) {
    error = "dialing confirmation address: " + dialError;
    return false;
  }
  if (!writeAll(conn.get(), bytes)) {
    error = "writing confirmation bytes to " + address + ": " + errnoText(errno);
    return false;
  }
  return true;
}

bool PingbackListener::open(std::string& error) {
  fd_ = handlers::UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd_.get() < 0 || ::bind(fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(fd_.get(), 8) != 0 ||
      ::getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    error = "listen tcp 127.0.0.1:0: " + errnoText(errno);
    return false;
  }
  address_ = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  return true;
}

bool PingbackListener::confirmed(const std::string& expect, int timeoutMs) {
  pollfd p{fd_.get(), POLLIN, 0};
  if (::poll(&p, 1, timeoutMs) <= 0) {
    return false;
  }
  handlers::UniqueFd conn(::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (conn.get() < 0) {
    return false;
  }
  if (readUpTo(conn.get(), expect.size(), 5000) == expect) {
    return true;
  }
  std::cerr << "wrong confirmation bytes on " << address_ << "\n";  // a stray client; keep waiting
  return false;
}

}  // namespace gatehouse::cli
