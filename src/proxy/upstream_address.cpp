#include "proxy/upstream_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

namespace gatehouse::proxy {

namespace {
bool validPort(const std::string& p) {
  if (p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  const int n = std::stoi(p);
  return n > 0 && n <= 65535;
}
}  // namespace

std::optional<UpstreamAddress> UpstreamAddress::parse(const std::string& dial, std::string& error) {
  UpstreamAddress a;
  a.dial = dial;
  if (dial.find('{') != std::string::npos) {
    error = "placeholders in upstream addresses are not supported yet";
    return std::nullopt;
  }
  if (dial.starts_with("unix/")) {
    a.unix = true;
    a.path = dial.substr(5);
    if (a.path.empty() || a.path.size() >= sizeof(sockaddr_un::sun_path)) {
      error = "invalid unix socket path in '" + dial + "'";
      return std::nullopt;
    }
    return a;
  }
  std::string rest = dial;
  for (const char* net : {"tcp/", "tcp4/", "tcp6/"}) {
    if (rest.starts_with(net)) {
      rest = rest.substr(std::strlen(net));
    }
  }
  if (rest.find('/') != std::string::npos) {
    error = "network of '" + dial + "' is not supported yet";
    return std::nullopt;
  }
  if (!rest.empty() && rest.front() == '[') {
    size_t close = rest.find(']');
    if (close == std::string::npos || close + 1 >= rest.size() || rest[close + 1] != ':') {
      error = "invalid upstream address '" + dial + "'";
      return std::nullopt;
    }
    a.host = rest.substr(1, close - 1);
    a.port = rest.substr(close + 2);
  } else {
    size_t colon = rest.rfind(':');
    if (colon == std::string::npos || rest.find(':') != colon) {
      error = "upstream address '" + dial + "' needs host:port";
      return std::nullopt;
    }
    a.host = rest.substr(0, colon);
    a.port = rest.substr(colon + 1);
  }
  if (!validPort(a.port)) {
    error = "invalid port in upstream address '" + dial + "'";
    return std::nullopt;
  }
  const int port = std::stoi(a.port);
  const std::string ip = a.host == "localhost" || a.host.empty() ? "127.0.0.1" : a.host;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&a.addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.addr);
  if (uv_ip4_addr(ip.c_str(), port, v4) == 0) {
    return a;
  }
  if (uv_ip6_addr(ip.c_str(), port, v6) == 0) {
    return a;
  }
  const bool dnsName =
      !a.host.empty() && a.host.size() <= 253 &&
      a.host.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") ==
          std::string::npos;
  if (!dnsName) {
    error = "invalid upstream host '" + a.host + "'";
    return std::nullopt;
  }
  a.resolve = true;
  return a;
}

}  // namespace gatehouse::proxy
