#include "proxy/host_lookup_order.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace gatehouse::proxy {

namespace {

bool prefix(const in6_addr& a, std::initializer_list<uint8_t> bytes, int bits) {
  const uint8_t* p = a.s6_addr;
  int i = 0;
  for (uint8_t b : bytes) {
    const int take = std::min(8, bits - i * 8);
    if (take <= 0) {
      break;
    }
    const auto mask = static_cast<uint8_t>(0xff << (8 - take));
    if ((p[i] & mask) != (b & mask)) {
      return false;
    }
    ++i;
  }
  return true;
}

// Rule 1: the kernel knows a source address for it (a UDP connect picks one, sends nothing).
bool usable(const sockaddr_storage& a) {
  const int fd = ::socket(a.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
  if (fd < 0) {
    return false;
  }
  const socklen_t len = a.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  const bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&a), len) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

int destinationPrecedence(const sockaddr_storage& address) {
  if (address.ss_family != AF_INET6) {
    return 35;  // ::ffff:0:0/96
  }
  const in6_addr& a = reinterpret_cast<const sockaddr_in6&>(address).sin6_addr;
  static const in6_addr loopback = IN6ADDR_LOOPBACK_INIT;
  if (std::memcmp(&a, &loopback, sizeof a) == 0) {
    return 50;
  }
  if (IN6_IS_ADDR_V4MAPPED(&a)) {
    return 35;
  }
  if (prefix(a, {0x20, 0x02}, 16)) {
    return 30;  // 6to4
  }
  if (prefix(a, {0x20, 0x01, 0x00, 0x00}, 32)) {
    return 5;  // Teredo
  }
  if (prefix(a, {0xfc}, 7)) {
    return 3;  // unique local
  }
  if (prefix(a, {0xfe, 0xc0}, 10) || prefix(a, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 96) ||
      prefix(a, {0x3f, 0xfe}, 16)) {
    return 1;  // site-local, IPv4-compatible, 6bone
  }
  return 40;
}

void sortDestinations(AddressList& addresses) {
  if (addresses.size() < 2) {
    return;
  }
  struct Keyed {
    bool usable;
    int precedence;
    sockaddr_storage address;
  };
  std::vector<Keyed> keyed;
  keyed.reserve(addresses.size());
  for (const auto& a : addresses) {
    keyed.push_back({usable(a), destinationPrecedence(a), a});
  }
  std::stable_sort(keyed.begin(), keyed.end(), [](const Keyed& x, const Keyed& y) {
    if (x.usable != y.usable) {
      return x.usable;
    }
    return x.precedence > y.precedence;
  });
  for (size_t i = 0; i < keyed.size(); ++i) {
    addresses[i] = keyed[i].address;
  }
}

}  // namespace gatehouse::proxy
