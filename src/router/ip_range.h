#pragma once
// An IPv4/IPv6 CIDR range for the remote_ip and client_ip matchers.

#include <array>
#include <optional>
#include <string>

namespace gatehouse::router {

struct IpRange {
  int family = 0;  // AF_INET or AF_INET6
  std::array<unsigned char, 16> addr{};
  int bits = 0;

  // "10.0.0.0/8", "::1", "192.168.1.7"; nullopt when malformed.
  static std::optional<IpRange> parse(const std::string& text);
  // `ip` as printed by inet_ntop; false for unparsable text.
  [[nodiscard]] bool contains(const std::string& ip) const;
};

}  // namespace gatehouse::router
