#include "proxy/upstream_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

namespace gatehouse::proxy {

namespace {
// How caddy.ParseNetworkAddress reads a port: strconv.ParseUint(p, 10, 16), so decimal
// digits only, leading zeros allowed ("00080" is 80: a Host-derived `localhost:{re.x.1}`
// may carry them), at most 65535. An empty port is port 0 (caddy 2.6.2 adapts `ws://host`
// to "host:"): dialling it is refused, as caddy's dial is.
enum class PortText { Number, Syntax, Range };

PortText readPort(const std::string& p, unsigned& out) {
  out = 0;
  if (p.find_first_not_of("0123456789") != std::string::npos) {
    return PortText::Syntax;
  }
  for (const char c : p) {
    out = out * 10 + static_cast<unsigned>(c - '0');
    if (out > 65535) {
      return PortText::Range;
    }
  }
  return PortText::Number;
}

// Go's strconv.ParseUint wording for a port that is not one.
std::string portError(const std::string& p, PortText why) {
  return "strconv.ParseUint: parsing \"" + p +
         "\": " + (why == PortText::Range ? "value out of range" : "invalid syntax");
}

// Networks a proxied HTTP request can travel over: streams only.
bool streamNetwork(const std::string& net) {
  return net == "tcp" || net == "tcp4" || net == "tcp6" || net == "unix";
}
}  // namespace

bool UpstreamAddress::namesForeignNetwork(const std::string& dial) {
  const size_t slash = dial.find('/');
  return slash != std::string::npos && dial.find(':') > slash && !streamNetwork(dial.substr(0, slash));
}

std::optional<UpstreamAddress> UpstreamAddress::parseResolved(const std::string& dial, std::string& error) {
  std::string rest = dial;
  const size_t slash = rest.find('/');
  if (slash != std::string::npos && rest.find(':') > slash) {
    const std::string net = rest.substr(0, slash);
    if (net == "unix") {
      return parse(dial, error);
    }
    if (!streamNetwork(net)) {
      error = "dial " + net + ": network '" + net + "' cannot carry HTTP to an upstream";
      return std::nullopt;
    }
    rest = rest.substr(slash + 1);
  }
  const size_t colon = rest.rfind(':');
  const size_t bracket = rest.rfind(']');
  if (colon == std::string::npos || (bracket != std::string::npos && colon < bracket)) {
    error = "invalid dial address " + dial + ": missing port in address";
    return std::nullopt;
  }
  const std::string port = rest.substr(colon + 1);
  const size_t dash = port.find('-');
  unsigned first = 0;
  unsigned last = 0;
  const std::string a = port.substr(0, dash);
  const std::string b = dash == std::string::npos ? a : port.substr(dash + 1);
  // ParseUint refuses an empty start or end port of a range ("80-"), not a missing port.
  if (const PortText why = readPort(a, first);
      why != PortText::Number || (a.empty() && dash != std::string::npos)) {
    error = "invalid dial address " + dial + ": invalid start port: " + portError(a, why);
    return std::nullopt;
  }
  if (const PortText why = readPort(b, last);
      why != PortText::Number || (b.empty() && dash != std::string::npos)) {
    error = "invalid dial address " + dial + ": invalid end port: " + portError(b, why);
    return std::nullopt;
  }
  if (last < first) {
    error = "invalid dial address " + dial + ": end port must not be less than start port";
    return std::nullopt;
  }
  if (last != first) {
    error = "dial address must represent precisely one socket: " + dial + " represents " +
            std::to_string(last - first + 1);
    return std::nullopt;
  }
  return parse(dial, error);
}

std::optional<UpstreamAddress> UpstreamAddress::parse(const std::string& dial, std::string& error) {
  UpstreamAddress a;
  a.dial = dial;
  if (isTemplate(dial)) {
    error = "upstream address '" + dial + "' holds placeholders: it is resolved per request";
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
  for (const auto& [net, family] : {std::pair{"tcp/", AF_UNSPEC}, {"tcp4/", AF_INET}, {"tcp6/", AF_INET6}}) {
    if (rest.starts_with(net)) {
      rest = rest.substr(std::strlen(net));
      a.family = family;
      break;
    }
  }
  if (const size_t slash = rest.find('/'); slash != std::string::npos) {
    // udp, unixgram, unixpacket, ip, fd ...: datagrams or descriptors, not an HTTP stream.
    const std::string net = rest.substr(0, slash);
    error = "network '" + net + "' of upstream '" + dial +
            "' cannot carry HTTP: an upstream is reached over tcp (host:port) or unix (unix//path)";
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
  unsigned number = 0;
  if (readPort(a.port, number) != PortText::Number) {
    error = "invalid port in upstream address '" + dial + "'";
    return std::nullopt;
  }
  // Caddy dials (and names in {http.reverse_proxy.upstream.hostport}) the port it read,
  // written back in decimal: "localhost:00080" is localhost:80.
  a.port = std::to_string(number);
  const int port = static_cast<int>(number);
  const bool local = a.host == "localhost" || a.host.empty();
  const std::string ip = !local ? a.host : a.family == AF_INET6 ? "::1" : "127.0.0.1";
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

void UpstreamAddress::setResolved(std::vector<sockaddr_storage>& addresses) {
  addr = addresses.front();
  alternates.assign(addresses.begin() + 1, addresses.end());
}

}  // namespace gatehouse::proxy
