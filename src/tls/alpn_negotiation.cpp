#include "tls/alpn_negotiation.h"

namespace gatehouse::tls {

AlpnChoice negotiateAlpn(const std::vector<std::string>& server,
                         const std::vector<std::string_view>& client) {
  AlpnChoice out;
  if (server.empty() || client.empty()) {
    return out;
  }
  bool http11Fallback = false;
  for (const auto& s : server) {
    for (auto c : client) {
      if (c == s) {
        out.selected = c;
        return out;
      }
      http11Fallback = http11Fallback || (s == "h2" && c == "http/1.1");
    }
  }
  out.refused = !http11Fallback;
  return out;
}

std::vector<std::string_view> alpnProtocols(const unsigned char* list, size_t len) {
  std::vector<std::string_view> out;
  for (size_t i = 0; i < len;) {
    const size_t n = list[i];
    if (n == 0 || i + 1 + n > len) {
      break;
    }
    out.emplace_back(reinterpret_cast<const char*>(list + i + 1), n);
    i += 1 + n;
  }
  return out;
}

}  // namespace gatehouse::tls
