#include "dns/name_server.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>

namespace gatehouse::acme::dns {

std::string NameServer::describe() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::optional<NameServer> parseNameServer(std::string_view text) {
  NameServer ns;
  std::string_view portText;
  if (text.starts_with("[")) {
    const size_t close = text.find(']');
    if (close == std::string_view::npos)
      return std::nullopt;
    ns.host = std::string(text.substr(1, close - 1));
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':')
        return std::nullopt;
      portText = rest.substr(1);
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    const size_t colon = text.find(':');
    ns.host = std::string(text.substr(0, colon));
    portText = text.substr(colon + 1);
  } else {
    ns.host = std::string(text);  // a name, an IPv4 address, or a bare IPv6 address
  }
  if (ns.host.empty())
    return std::nullopt;
  if (!portText.empty() || text.ends_with(":")) {
    unsigned port = 0;
    auto [end, ec] = std::from_chars(portText.data(), portText.data() + portText.size(), port);
    if (ec != std::errc() || end != portText.data() + portText.size() || port == 0 || port > 65535)
      return std::nullopt;
    ns.port = static_cast<uint16_t>(port);
  }
  return ns;
}

std::vector<NameServer> systemNameServers() {
  std::vector<NameServer> out;
  std::ifstream in("/etc/resolv.conf");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string key;
    std::string value;
    if (words >> key >> value && key == "nameserver") {
      // resolv.conf may carry a zone index (fe80::1%eth0); ldns takes plain addresses.
      value = value.substr(0, value.find('%'));
      out.push_back({value, 53});
    }
  }
  if (out.empty()) {
    for (const char* s : {"8.8.8.8", "8.8.4.4", "1.1.1.1", "1.0.0.1"})
      out.push_back({s, 53});
  }
  return out;
}

std::vector<NameServer> resolversOrSystem(const std::vector<NameServer>& configured) {
  return configured.empty() ? systemNameServers() : configured;
}

}  // namespace gatehouse::acme::dns
