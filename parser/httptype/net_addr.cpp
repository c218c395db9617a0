// Network address helpers with Go's and Caddy's semantics.

#include "httptype/net_addr.h"

#include <algorithm>
#include <cctype>
#include <limits>

namespace gatehouse::parser {
namespace {

bool isUnixNetwork(const std::string& n) {
  return n == "unix" || n == "unixgram" || n == "unixpacket";
}
bool isFdNetwork(const std::string& n) {
  return n == "fd" || n == "fdgram";
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) {
    return "";
  }
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

bool parseUint(const std::string& s, unsigned long& out) {
  if (s.empty() || s.size() > 10) {
    return false;
  }
  out = 0;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) {
      return false;
    }
    out = out * 10 + static_cast<unsigned long>(c - '0');
  }
  return true;
}

}  // namespace

bool splitHostPort(const std::string& hp, std::string& host, std::string& port) {
  size_t i = hp.rfind(':');
  if (i == std::string::npos) {
    return false;
  }
  size_t j = 0;
  size_t k = 0;
  std::string h;
  if (hp[0] == '[') {
    size_t end = hp.find(']');
    if (end == std::string::npos || end + 1 == hp.size() || end + 1 != i) {
      return false;
    }
    h = hp.substr(1, end - 1);
    j = 1;
    k = end + 1;
  } else {
    h = hp.substr(0, i);
    if (h.find(':') != std::string::npos) {
      return false;
    }
  }
  if (hp.find('[', j) != std::string::npos || hp.find(']', k) != std::string::npos) {
    return false;
  }
  host = h;
  port = hp.substr(i + 1);
  return true;
}

std::string joinHostPort(const std::string& host, const std::string& port) {
  if (host.find(':') != std::string::npos) {
    return "[" + host + "]:" + port;
  }
  return host + ":" + port;
}

bool atoiLikeGo(const std::string& s, long long& out, std::string& why) {
  const std::string prefix = "strconv.Atoi: parsing \"" + s + "\": ";
  size_t i = 0;
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    i = 1;
  }
  if (i >= s.size()) {
    why = prefix + "invalid syntax";
    return false;
  }
  long long v = 0;
  bool overflow = false;
  for (; i < s.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) {
      why = prefix + "invalid syntax";
      return false;
    }
    if (v > (std::numeric_limits<long long>::max() - 9) / 10) {
      overflow = true;
    } else {
      v = v * 10 + (s[i] - '0');
    }
  }
  if (overflow) {
    why = prefix + "value out of range";
    return false;
  }
  out = neg ? -v : v;
  return true;
}

bool splitNetworkAddress(const std::string& addr, NetworkParts& out, std::string& why) {
  std::string a = addr;
  out = {};
  if (size_t slash = a.find('/'); slash != std::string::npos) {
    out.network = lower(trim(a.substr(0, slash)));
    a = a.substr(slash + 1);
    if (isUnixNetwork(out.network) || isFdNetwork(out.network)) {
      out.host = a;
      return true;
    }
  }
  if (splitHostPort(a, out.host, out.port)) {
    return true;
  }
  // most likely just a missing port: retry with a dummy one, without IPv6 brackets
  std::string bare = a;
  while (!bare.empty() && (bare.front() == '[' || bare.front() == ']')) {
    bare.erase(bare.begin());
  }
  while (!bare.empty() && (bare.back() == '[' || bare.back() == ']')) {
    bare.pop_back();
  }
  std::string dummyPort;
  if (splitHostPort(joinHostPort(bare, "0"), out.host, dummyPort)) {
    out.port.clear();
    return true;
  }
  why = "address " + a + ": missing port in address";
  return false;
}

std::string joinNetworkAddress(const std::string& network, const std::string& host, const std::string& port) {
  std::string a = network.empty() ? "" : network + "/";
  if ((!host.empty() && port.empty()) || isUnixNetwork(network) || isFdNetwork(network)) {
    return a + host;
  }
  return a + joinHostPort(host, port);
}

bool canonicalNetworkAddress(const std::string& addr, std::string& out, std::string& why) {
  NetworkParts p;
  if (!splitNetworkAddress(addr, p, why)) {
    return false;
  }
  std::string network = p.network.empty() ? "tcp" : p.network;
  if (isUnixNetwork(network) || isFdNetwork(network)) {
    out = joinNetworkAddress(network, p.host, "");
    return true;
  }
  std::string port = p.port.empty() ? "0" : p.port;
  if (size_t dash = port.find('-'); dash != std::string::npos) {
    unsigned long lo = 0;
    unsigned long hi = 0;
    if (!parseUint(port.substr(0, dash), lo) || !parseUint(port.substr(dash + 1), hi) || hi < lo) {
      why = "invalid port range: " + port;
      return false;
    }
    port = lo == hi ? std::to_string(lo) : std::to_string(lo) + "-" + std::to_string(hi);
  } else {
    unsigned long n = 0;
    if (!parseUint(port, n)) {
      why = "invalid start port: strconv.ParseUint: parsing \"" + port + "\": invalid syntax";
      return false;
    }
    port = std::to_string(n);
  }
  if (network == "tcp") {
    network.clear();  // the default network is left out
  }
  out = joinNetworkAddress(network, p.host, port);
  return true;
}

bool listenerUsesPortOtherThan(const std::string& addr, int port) {
  NetworkParts p;
  std::string why;
  if (!splitNetworkAddress(addr, p, why)) {
    return false;
  }
  std::string network = p.network.empty() ? "tcp" : p.network;
  if (isUnixNetwork(network) || isFdNetwork(network)) {
    // such addresses parse with port 0..0
    return port != 0;
  }
  unsigned long lo = 0;
  unsigned long hi = 0;
  if (p.port.empty()) {
    return port != 0;
  }
  if (size_t dash = p.port.find('-'); dash != std::string::npos) {
    if (!parseUint(p.port.substr(0, dash), lo) || !parseUint(p.port.substr(dash + 1), hi)) {
      return false;
    }
  } else if (!parseUint(p.port, lo)) {
    return false;
  } else {
    hi = lo;
  }
  auto u = static_cast<unsigned long>(port);
  return u > hi || u < lo;
}

}  // namespace gatehouse::parser
