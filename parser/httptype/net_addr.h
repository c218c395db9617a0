#pragma once
// Go's net.SplitHostPort / JoinHostPort and Caddy's network-address helpers, with their
// exact edge cases, since listener addresses print through them.

#include <string>

namespace gatehouse::parser {

// net.SplitHostPort: false (outputs untouched) where Go returns an error.
bool splitHostPort(const std::string& hostport, std::string& host, std::string& port);
// net.JoinHostPort: brackets a host containing ':'.
std::string joinHostPort(const std::string& host, const std::string& port);
// strconv.Atoi: false with Go's error text ("strconv.Atoi: parsing \"x\": invalid syntax").
bool atoiLikeGo(const std::string& s, long long& out, std::string& why);

// caddy.SplitNetworkAddress / JoinNetworkAddress.
struct NetworkParts {
  std::string network;
  std::string host;
  std::string port;
};
bool splitNetworkAddress(const std::string& addr, NetworkParts& out, std::string& why);
std::string joinNetworkAddress(const std::string& network, const std::string& host, const std::string& port);
// caddy.ParseNetworkAddress(addr).String(): the canonical listener address.
bool canonicalNetworkAddress(const std::string& addr, std::string& out, std::string& why);
// Whether a listener address serves any port other than `port` (Caddy's
// listenersUseAnyPortOtherThan for one address). Unparseable addresses count as false.
bool listenerUsesPortOtherThan(const std::string& addr, int port);

}  // namespace gatehouse::parser
