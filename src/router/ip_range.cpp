#include "router/ip_range.h"

#include <arpa/inet.h>

#include <cstring>

namespace gatehouse::router {

std::optional<IpRange> IpRange::parse(const std::string& text) {
  IpRange r;
  std::string ip = text;
  int bits = -1;
  size_t slash = text.find('/');
  if (slash != std::string::npos) {
    ip = text.substr(0, slash);
    std::string b = text.substr(slash + 1);
    if (b.empty() || b.size() > 3 || b.find_first_not_of("0123456789") != std::string::npos) {
      return std::nullopt;
    }
    bits = std::stoi(b);
  }
  if (inet_pton(AF_INET, ip.c_str(), r.addr.data()) == 1) {
    r.family = AF_INET;
    r.bits = bits < 0 ? 32 : bits;
    return r.bits <= 32 ? std::optional(r) : std::nullopt;
  }
  if (inet_pton(AF_INET6, ip.c_str(), r.addr.data()) == 1) {
    r.family = AF_INET6;
    r.bits = bits < 0 ? 128 : bits;
    return r.bits <= 128 ? std::optional(r) : std::nullopt;
  }
  return std::nullopt;
}

bool IpRange::contains(const std::string& ip) const {
  std::array<unsigned char, 16> a{};
  int fam = AF_INET;
  if (inet_pton(AF_INET, ip.c_str(), a.data()) != 1) {
    fam = AF_INET6;
    if (inet_pton(AF_INET6, ip.c_str(), a.data()) != 1) {
      return false;
    }
  }
  if (fam != family) {
    return false;
  }
  const auto full = static_cast<size_t>(bits / 8);
  const int rest = bits % 8;
  if (std::memcmp(a.data(), addr.data(), full) != 0) {
    return false;
  }
  if (rest != 0) {
    auto mask = static_cast<unsigned char>(0xFF << (8 - rest));
    if ((a[full] & mask) != (addr[full] & mask)) {
      return false;
    }
  }
  return true;
}

}  // namespace gatehouse::router
