// Site addresses: parsing keys into scheme/host/port/path (Caddy's ParseAddress) and the
// host lists a site block contributes.

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "httptype/net_addr.h"
#include "httptype/site_block.h"

namespace gatehouse::parser {
namespace {

constexpr size_t kMaxAddressLength = 4096;

std::string trimSpace(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n\v\f");
  if (b == std::string_view::npos) {
    return "";
  }
  size_t e = s.find_last_not_of(" \t\r\n\v\f");
  return std::string(s.substr(b, e - b + 1));
}

// Lower-cases everything outside {placeholders}, so {env.HOST} keeps its case.
std::string lowerExceptPlaceholders(const std::string& s) {
  std::string out;
  bool escaped = false;
  bool inPlaceholder = false;
  for (char ch : s) {
    if (ch == '\\' && !escaped) {
      escaped = true;
      out += ch;
      continue;
    }
    if (ch == '{' && !escaped) {
      inPlaceholder = true;
    }
    if (ch == '}' && inPlaceholder && !escaped) {
      inPlaceholder = false;
    }
    out += inPlaceholder ? ch : static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    escaped = false;
  }
  return out;
}

// IPv6 literals print in their canonical compressed form, as Go's netip does.
std::string canonicalIp(const std::string& host) {
  in6_addr v6{};
  if (host.find(':') == std::string::npos || inet_pton(AF_INET6, host.c_str(), &v6) != 1) {
    return host;
  }
  char buf[INET6_ADDRSTRLEN];
  if (inet_ntop(AF_INET6, &v6, buf, sizeof buf) == nullptr) {
    return host;
  }
  return buf;
}

void checkPort(const Address& a, const Token& key) {
  if (a.port.empty()) {
    return;
  }
  long long n = 0;
  std::string why;
  if (!atoiLikeGo(a.port, n, why)) {
    throw ConfigError(key.loc, "invalid port '" + a.port + "': " + why);
  }
  if (n < 0 || n > 65535) {
    throw ConfigError(key.loc, "port " + std::to_string(n) + " is out of range");
  }
}

}  // namespace

std::string Address::str() const {
  if (host.empty() && port.empty()) {
    return "";
  }
  std::string sch = scheme;
  if (sch.empty()) {
    sch = port == "443" ? "https" : "http";
  }
  std::string s = sch + "://";
  if (!port.empty() && ((sch == "https" && port != "443") || (sch == "http" && port != "80"))) {
    s += joinHostPort(host, port);
  } else {
    s += host;
  }
  return s + path;
}

std::string Address::normalizedHost() const {
  return lowerExceptPlaceholders(canonicalIp(trimSpace(host)));
}

Address parseAddress(const Token& key) {
  std::string_view input = key.text;
  if (input.size() > kMaxAddressLength) {
    input = input.substr(0, kMaxAddressLength);
  }
  Address a;
  a.original = trimSpace(input);
  std::string rest = a.original;
  if (size_t p = rest.find("://"); p != std::string::npos) {
    a.scheme = rest.substr(0, p);
    rest = rest.substr(p + 3);
  }
  std::string hostPort = rest;
  if (size_t slash = rest.find('/'); slash != std::string::npos) {
    hostPort = rest.substr(0, slash);
    a.path = "/" + rest.substr(slash + 1);
  }
  if (!splitHostPort(hostPort, a.host, a.port) && !splitHostPort(hostPort + ":", a.host, a.port)) {
    a.host = hostPort;
    a.port.clear();
  }
  checkPort(a, key);
  // the adapter works with normalized keys throughout (Caddy's Address.Normalize)
  a.scheme = lowerExceptPlaceholders(a.scheme);
  a.host = a.normalizedHost();
  return a;
}

std::vector<std::string> SiteBlock::hostsFromKeys(bool loggerMode) const {
  std::set<std::string> seen;
  std::vector<std::string> hosts;
  for (const auto& addr : keys) {
    if (addr.host.empty()) {
      if (!loggerMode) {
        return {};  // a catch-all key matches every host
      }
      continue;
    }
    std::string h = addr.host;
    if (loggerMode && !addr.port.empty() && addr.port != "80" && addr.port != "443") {
      h = joinHostPort(addr.host, addr.port);
    }
    if (seen.insert(h).second) {
      hosts.push_back(h);
    }
  }
  return hosts;
}

}  // namespace gatehouse::parser
