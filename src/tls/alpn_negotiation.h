#pragma once
// Go's negotiateALPN (crypto/tls), which caddy 2.6.2 runs: the first of the server's
// protocols, in the server's order, that the client offers; an http/1.1 client of a server
// that lists h2 proceeds without ALPN (Go issue 46310); nothing in common is refused with
// no_application_protocol. Either side offering nothing means no ALPN, never a refusal.

#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::tls {

struct AlpnChoice {
  bool refused = false;       // Go sends no_application_protocol
  std::string_view selected;  // a view into the client's list; empty: no ALPN
};

[[nodiscard]] AlpnChoice negotiateAlpn(const std::vector<std::string>& server,
                                       const std::vector<std::string_view>& client);

// The protocol names of an ALPN protocol_name_list (RFC 7301 section 3.1) without its
// 2-byte length; parsing stops at the first malformed entry.
[[nodiscard]] std::vector<std::string_view> alpnProtocols(const unsigned char* list, size_t len);

}  // namespace gatehouse::tls
