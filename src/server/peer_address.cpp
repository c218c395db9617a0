#include "server/peer_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <cstring>

namespace gatehouse::server {

std::string ipString(const sockaddr_storage& ss, uint16_t& port) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_UNIX) {
    // Go prints a unix peer by its path; a client that bound none (curl) is "@".
    port = 0;
    const auto* u = reinterpret_cast<const sockaddr_un*>(&ss);
    const size_t n = strnlen(u->sun_path, sizeof(u->sun_path));
    return n == 0 ? std::string(kUnixPeer) : std::string(u->sun_path, n);
  }
  if (ss.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    port = ntohs(a->sin6_port);
    if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) {
      // A dual-stack listener reports IPv4 clients as ::ffff:a.b.c.d; Go prints a.b.c.d.
      inet_ntop(AF_INET, &a->sin6_addr.s6_addr[12], buf, sizeof(buf));
    } else {
      inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof(buf));
    }
  } else {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    port = ntohs(a->sin_port);
    inet_ntop(AF_INET, &a->sin_addr, buf, sizeof(buf));
  }
  return buf;
}

}  // namespace gatehouse::server
