#include "server/listen_socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "admin/unix_listen_path.h"

namespace gatehouse::server {

namespace {

constexpr int kBacklog = 4096;

bool resolve(const provision::ListenSpec& spec, uint16_t port, sockaddr_storage& ss, socklen_t& len,
             bool& dualStack, std::string& error) {
  std::memset(&ss, 0, sizeof(ss));
  dualStack = false;
  const bool v4only = spec.network == "tcp4";
  const bool v6only = spec.network == "tcp6";
  if (spec.host.empty()) {
    if (!v4only) {
      auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
      a->sin6_family = AF_INET6;
      a->sin6_addr = in6addr_any;
      a->sin6_port = htons(port);
      len = sizeof(sockaddr_in6);
      dualStack = !v6only;
    } else {
      auto* a = reinterpret_cast<sockaddr_in*>(&ss);
      a->sin_family = AF_INET;
      a->sin_addr.s_addr = htonl(INADDR_ANY);
      a->sin_port = htons(port);
      len = sizeof(sockaddr_in);
    }
    return true;
  }
  addrinfo hints{};
  hints.ai_family = v4only ? AF_INET : (v6only ? AF_INET6 : AF_UNSPEC);
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(spec.host.c_str(), std::to_string(port).c_str(), &hints, &res);
  if (rc != 0 || res == nullptr) {
    error = "cannot resolve '" + spec.host + "': " + gai_strerror(rc);
    return false;
  }
  // Go prefers IPv4 for a name with both kinds of address.
  addrinfo* pick = res;
  for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
    if (a->ai_family == AF_INET) {
      pick = a;
      break;
    }
  }
  std::memcpy(&ss, pick->ai_addr, pick->ai_addrlen);
  len = pick->ai_addrlen;
  freeaddrinfo(res);
  return true;
}

std::string describe(const sockaddr_storage& ss) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof(buf));
    return "[" + std::string(buf) + "]:" + std::to_string(ntohs(a->sin6_port));
  }
  const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
  inet_ntop(AF_INET, &a->sin_addr, buf, sizeof(buf));
  return std::string(buf) + ":" + std::to_string(ntohs(a->sin_port));
}

BoundSocket openUnixSocket(const provision::ListenSpec& spec, std::string& error) {
  BoundSocket out;
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  if (spec.host.size() >= sizeof(sun.sun_path)) {
    error = "listening on " + spec.original + ": socket path too long";
    return out;
  }
  std::memcpy(sun.sun_path, spec.host.data(), spec.host.size());
  // A socket nobody answers on (left by a crash) goes first, as in Caddy; a live socket or
  // another kind of file is refused where Caddy would remove it (as the admin socket does).
  if (std::string why = admin::clearStaleSocket(spec.host); !why.empty()) {
    error = "listening on " + spec.original + ": " + why;
    return out;
  }
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::string("socket: ") + std::strerror(errno);
    return out;
  }
  // The file's mode is 0777 less the umask, as Go's net.Listen leaves it.
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sun), sizeof(sun)) != 0 || ::listen(fd, kBacklog) != 0) {
    error = "listening on " + spec.original + ": " + std::strerror(errno);
    ::close(fd);
    return out;
  }
  out.fd = fd;
  out.address = spec.original;
  return out;
}

}  // namespace

BoundSocket openListenSocket(const provision::ListenSpec& spec, uint16_t port, std::string& error) {
  if (spec.isUnix()) {
    return openUnixSocket(spec, error);
  }
  BoundSocket out;
  sockaddr_storage ss{};
  socklen_t len = 0;
  bool dualStack = false;
  if (!resolve(spec, port, ss, len, dualStack, error)) {
    return out;
  }
  int fd = ::socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0 && ss.ss_family == AF_INET6 && spec.host.empty()) {
    // No IPv6 on this host: fall back to every IPv4 interface.
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    std::memset(&ss, 0, sizeof(ss));
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_ANY);
    a->sin_port = htons(port);
    len = sizeof(sockaddr_in);
    dualStack = false;
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  }
  if (fd < 0) {
    error = std::string("socket: ") + std::strerror(errno);
    return out;
  }
  int one = 1;
  int zero = 0;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  if (ss.ss_family == AF_INET6) {
    int v6only = dualStack ? zero : one;
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only));
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || ::listen(fd, kBacklog) != 0) {
    error = "listening on " + spec.original + ": " + std::strerror(errno);
    ::close(fd);
    return out;
  }
  sockaddr_storage bound{};
  socklen_t blen = sizeof(bound);
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &blen);
  out.fd = fd;
  out.port = bound.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                                         : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  out.address = describe(bound);
  return out;
}

}  // namespace gatehouse::server
