#pragma once
// DNS server addresses as the config writes them ("1.2.3.4", "1.2.3.4:5353", "[::1]:53",
// "ns.example.net:53") and the resolvers from /etc/resolv.conf.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::acme::dns {

struct NameServer {
  std::string host;  // an IP address, or a host name resolved when used
  uint16_t port = 53;
  [[nodiscard]] std::string describe() const;
};

// nullopt when the text is not host[:port].
std::optional<NameServer> parseNameServer(std::string_view text);

// The nameservers of /etc/resolv.conf; certmagic's public defaults when it lists none.
std::vector<NameServer> systemNameServers();

// The configured resolvers, else the system's (certmagic's recursiveNameservers).
std::vector<NameServer> resolversOrSystem(const std::vector<NameServer>& configured);

}  // namespace gatehouse::acme::dns
