// reverse_proxy upstreams: static addresses (with schemes, unix sockets, port ranges and
// placeholders, parsed as Caddy's parseUpstreamDialAddress does) and dynamic sources.

#include <algorithm>
#include <cctype>

#include "directives/reverse_proxy.h"

namespace gatehouse::parser::proxy {
namespace {

bool isUnixNetwork(const std::string& n) {
  return n.rfind("unix", 0) == 0;
}
bool isFdNetwork(const std::string& n) {
  return n.rfind("fd", 0) == 0;
}
bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// Go's net.SplitHostPort; returns an error text, empty on success.
std::string splitHostPort(const std::string& hostport, std::string& host, std::string& port) {
  auto addrErr = [&hostport](const std::string& why) { return "address " + hostport + ": " + why; };
  size_t i = hostport.rfind(':');
  if (i == std::string::npos) {
    return addrErr("missing port in address");
  }
  size_t j = 0;
  size_t k = 0;
  if (!hostport.empty() && hostport[0] == '[') {
    size_t end = hostport.find(']');
    if (end == std::string::npos) {
      return addrErr("missing ']' in address");
    }
    if (end + 1 == hostport.size()) {
      return addrErr("missing port in address");
    }
    if (end + 1 != i) {
      return addrErr(hostport[end + 1] == ':' ? "too many colons in address" : "missing port in address");
    }
    host = hostport.substr(1, end - 1);
    j = 1;
    k = end + 1;
  } else {
    host = hostport.substr(0, i);
    if (contains(host, ":")) {
      return addrErr("too many colons in address");
    }
  }
  if (hostport.find('[', j) != std::string::npos) {
    return addrErr("unexpected '[' in address");
  }
  if (hostport.find(']', k) != std::string::npos) {
    return addrErr("unexpected ']' in address");
  }
  port = hostport.substr(i + 1);
  return "";
}

std::string joinHostPort(const std::string& host, const std::string& port) {
  return contains(host, ":") ? "[" + host + "]:" + port : host + ":" + port;
}

// caddy.SplitNetworkAddress; returns an error text, empty on success.
std::string splitNetworkAddress(std::string a, std::string& network, std::string& host, std::string& port) {
  if (size_t slash = a.find('/'); slash != std::string::npos) {
    network = a.substr(0, slash);
    network.erase(0, network.find_first_not_of(" \t"));
    network.erase(network.find_last_not_of(" \t") + 1);
    std::transform(network.begin(), network.end(), network.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    a = a.substr(slash + 1);
    if (isUnixNetwork(network) || isFdNetwork(network)) {
      host = a;
      return "";
    }
  }
  std::string first = splitHostPort(a, host, port);
  if (first.empty()) {
    return "";
  }
  std::string trimmed = a;
  trimmed.erase(0, trimmed.find_first_not_of("[]"));
  trimmed.erase(trimmed.find_last_not_of("[]") + 1);
  std::string ignored;
  port.clear();
  std::string second = splitHostPort(joinHostPort(trimmed, "0"), host, ignored);
  return second.empty() ? "" : first + "\n" + second;
}

std::string joinNetworkAddress(const std::string& network, const std::string& host, const std::string& port) {
  std::string a = network.empty() ? "" : network + "/";
  if ((!host.empty() && port.empty()) || isUnixNetwork(network) || isFdNetwork(network)) {
    return a + host;
  }
  return port.empty() ? a : a + joinHostPort(host, port);
}

// The parts of Go's url.Parse that upstream URLs exercise. Returns an error text.
struct Url {
  std::string scheme, host, port, path, query, fragment;
};
std::string parseUrl(const std::string& raw, Url& u) {
  auto fail = [&raw](const std::string& why) { return "parse \"" + raw + "\": " + why; };
  std::string rest = raw;
  if (size_t hash = rest.find('#'); hash != std::string::npos) {
    u.fragment = rest.substr(hash + 1);
    rest.resize(hash);
  }
  for (size_t i = 0; i < rest.size(); ++i) {
    char c = rest[i];
    if (std::isalpha(static_cast<unsigned char>(c)) != 0) {
      continue;
    }
    if ((std::isdigit(static_cast<unsigned char>(c)) != 0 || c == '+' || c == '-' || c == '.') && i > 0) {
      continue;
    }
    if (c == ':') {
      if (i == 0) {
        return fail("missing protocol scheme");
      }
      u.scheme = rest.substr(0, i);
      std::transform(u.scheme.begin(), u.scheme.end(), u.scheme.begin(),
                     [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
      rest = rest.substr(i + 1);
    }
    break;
  }
  if (size_t q = rest.find('?'); q != std::string::npos) {
    u.query = rest.substr(q + 1);
    rest.resize(q);
  }
  if (u.scheme.empty() || rest.rfind("//", 0) != 0) {
    u.path = rest;
    return "";
  }
  rest = rest.substr(2);
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  u.path = slash == std::string::npos ? "" : rest.substr(slash);
  if (size_t at = authority.rfind('@'); at != std::string::npos) {
    authority = authority.substr(at + 1);
  }
  auto validPort = [](const std::string& colonPort) {
    if (colonPort.empty()) {
      return true;
    }
    if (colonPort[0] != ':') {
      return false;
    }
    return std::all_of(colonPort.begin() + 1, colonPort.end(),
                       [](unsigned char c) { return std::isdigit(c) != 0; });
  };
  std::string host = authority;
  std::string colonPort;
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.rfind(']');
    if (close == std::string::npos) {
      return fail("missing ']' in host");
    }
    colonPort = authority.substr(close + 1);
    host = authority.substr(1, close - 1);
  } else if (size_t colon = authority.rfind(':'); colon != std::string::npos) {
    colonPort = authority.substr(colon);
    host = authority.substr(0, colon);
  }
  if (!validPort(colonPort)) {
    return fail("invalid port \"" + colonPort + "\" after host");
  }
  u.host = host;
  u.port = colonPort.empty() ? "" : colonPort.substr(1);
  return "";
}

struct ParsedAddr {
  std::string network, scheme, host, port;

  [[nodiscard]] std::string dialAddr() const {
    if (!network.empty()) {
      return joinNetworkAddress(network, host, port);
    }
    if (port.empty() && contains(host, "{")) {
      return host;  // a placeholder host may carry its own port
    }
    return joinHostPort(host, port);
  }
  [[nodiscard]] bool rangedPort() const { return contains(port, "-"); }
  [[nodiscard]] bool replaceablePort() const { return contains(port, "{") && contains(port, "}"); }
};

// Caddy's parseUpstreamDialAddress. Returns an error text, empty on success.
std::string parseUpstreamDialAddress(const std::string& addr, ParsedAddr& pa) {
  if (contains(addr, "://")) {
    if (contains(addr, "{")) {
      return "due to parsing difficulties, placeholders are not allowed when an upstream address contains a "
             "scheme";
    }
    Url u;
    std::string err = parseUrl(addr, u);
    std::string port;
    if (!err.empty()) {
      if (!(contains(err, "invalid port") && contains(err, "-"))) {
        return "parsing upstream URL: " + err;
      }
      // a port range trips the URL parser: parse with a stand-in port instead
      size_t colon = addr.rfind(':');
      std::string range = addr.substr(colon + 1);
      if (std::count(range.begin(), range.end(), '-') != 1) {
        return "parsing upstream URL: parse \"" + addr + "\": port range invalid: " + range;
      }
      std::string replaced = addr;
      for (size_t at = replaced.find(range); at != std::string::npos; at = replaced.find(range, at + 1)) {
        replaced.replace(at, range.size(), "0");
      }
      u = Url{};
      err = parseUrl(replaced, u);
      if (!err.empty()) {
        return "parsing upstream URL: " + err;
      }
      port = range;
    }
    if (port.empty()) {
      port = u.port;
    }
    if (!u.path.empty() || !u.query.empty() || !u.fragment.empty()) {
      return "for now, URLs for proxy upstreams only support scheme, host, and port components";
    }
    if (u.scheme == "http" && port == "443") {
      return "upstream address has conflicting scheme (http://) and port (:443, the HTTPS port)";
    }
    if (u.scheme == "https" && port == "80") {
      return "upstream address has conflicting scheme (https://) and port (:80, the HTTP port)";
    }
    if (u.scheme == "h2c" && port == "443") {
      return "upstream address has conflicting scheme (h2c://) and port (:443, the HTTPS port)";
    }
    if (port.empty()) {
      if (u.scheme.empty() || u.scheme == "http" || u.scheme == "h2c") {
        port = "80";
      } else if (u.scheme == "https") {
        port = "443";
      }
    }
    pa.scheme = u.scheme;
    pa.host = u.host;
    pa.port = port;
  } else {
    if (!splitNetworkAddress(addr, pa.network, pa.host, pa.port).empty()) {
      pa.host = addr;
    }
    // a bare host gets the HTTP port, but a placeholder host may bring its own
    if (pa.port.empty() && !contains(pa.host, "{") && !isUnixNetwork(pa.network) &&
        !isFdNetwork(pa.network)) {
      pa.port = "80";
    }
  }
  if (pa.network == "unix+h2c") {
    pa.network = "unix";
    pa.scheme = "h2c";
  }
  return "";
}

// strconv.ParseUint(s, 10, 16) for ports.
std::string parsePort(const std::string& s, unsigned& out) {
  if (s.empty() || !std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; })) {
    return "strconv.ParseUint: parsing \"" + s + "\": invalid syntax";
  }
  if (s.size() > 5 || std::stoul(s) > 65535) {
    return "strconv.ParseUint: parsing \"" + s + "\": value out of range";
  }
  out = static_cast<unsigned>(std::stoul(s));
  return "";
}

// dynamic a [<name> [<port>]] { name, port, refresh, resolvers, dial_timeout, dial_fallback_delay, versions }
// dynamic srv [<name>] { service, proto, name, refresh, resolvers, dial_timeout, dial_fallback_delay,
// grace_period } dynamic multi { <source> [...] }
Json unmarshalUpstreamSource(Dispenser& d) {
  d.next();
  const std::string source = d.val();
  Json u = Json::object();
  if (source != "a" && source != "srv" && source != "multi") {
    unknownModule(d, "http.reverse_proxy.upstreams." + source);
  }
  auto args = d.remainingArgs();
  if (source == "multi") {
    if (!args.empty()) {
      throw d.argErr();
    }
    Json sources = Json::array();
    for (int n = d.nesting(); d.nextBlock(n);) {
      Dispenser sub = d.newFromNextSegment();
      sources.push_back(unmarshalUpstreamSource(sub));
    }
    setOrOmit(u, "sources", sources);
    u["source"] = source;
    return u;
  }
  const bool isA = source == "a";
  if (args.size() > (isA ? 2U : 1U)) {
    throw d.argErr();
  }
  if (!args.empty()) {
    u["name"] = args[0];
    if (args.size() == 2) {
      u["port"] = args[1];
    }
  }
  auto once = [&](const std::string& key, const std::string& already) {
    if (!d.nextArg()) {
      throw d.argErr();
    }
    if (u.contains(key)) {
      throw d.err(already);
    }
    setOrOmit(u, key, d.val());
  };
  for (int n = d.nesting(); d.nextBlock(n);) {
    const std::string opt = d.val();
    if (opt == "name") {
      once("name", isA ? "a name has already been specified" : "srv name has already been specified");
    } else if (opt == "port" && isA) {
      once("port", "a port has already been specified");
    } else if (opt == "service" && !isA) {
      once("service", "srv service has already been specified");
    } else if (opt == "proto" && !isA) {
      once("proto", "srv proto has already been specified");
    } else if (opt == "refresh") {
      if (!d.nextArg()) {
        throw d.argErr();
      }
      setOrOmit(u, "refresh", durationOrThrow(d, d.val(), "parsing refresh interval duration: "));
    } else if (opt == "resolvers") {
      auto addrs = d.remainingArgs();
      if (addrs.empty()) {
        throw d.err("must specify at least one resolver address");
      }
      u["resolver"] = Json{{"addresses", addrs}};
    } else if (opt == "dial_timeout" || opt == "dial_fallback_delay" || (opt == "grace_period" && !isA)) {
      if (!d.nextArg()) {
        throw d.argErr();
      }
      std::string what = opt == "dial_timeout" ? "timeout" : opt == "grace_period" ? "grace period" : "delay";
      setOrOmit(u, opt, durationOrThrow(d, d.val(), "bad " + what + " value '" + d.val() + "': "));
    } else if (opt == "versions" && isA) {
      auto vs = d.remainingArgs();
      if (vs.empty()) {
        throw d.err("must specify at least one version");
      }
      Json& versions = child(u, "versions");
      for (const auto& v : vs) {
        if (v != "ipv4" && v != "ipv6") {
          throw d.err("unsupported version: '" + v + "'");
        }
        versions[v] = true;
      }
    } else {
      throw d.err("unrecognized " + source + " option '" + opt + "'");
    }
  }
  u["source"] = source;
  return u;
}

}  // namespace

void appendUpstream(Dispenser& d, ProxyHandler& rp, const std::string& written) {
  auto fail = [&](const std::string& why) { throw d.err("parsing upstream '" + written + "': " + why); };
  // caddy 2.6.2's `srv+` prefix: the rest is read as any upstream (its scheme still picks the
  // transport) and its host becomes a deprecated `lookup_srv` name (newer Caddy dropped it
  // for `dynamic srv`).
  const bool srv = written.rfind("srv+", 0) == 0;
  const std::string address = srv ? written.substr(4) : written;
  ParsedAddr pa;
  if (std::string err = parseUpstreamDialAddress(address, pa); !err.empty()) {
    fail(err);
  }
  // caddy 2.6.2 takes ws:// and wss:// as any other scheme: no port inferred (the dial
  // address keeps an empty port, dialled as port 0 at run time) and no TLS for wss://
  // (newer Caddy refuses both).
  const bool websocket = pa.scheme == "ws" || pa.scheme == "wss";
  if (pa.scheme != "https" && pa.scheme != "http" && pa.scheme != "h2c" && !websocket && !pa.scheme.empty()) {
    fail("unsupported URL scheme " + pa.scheme + "://");
  }
  if (!rp.commonScheme.empty() && pa.scheme != rp.commonScheme) {
    fail("for now, all proxy upstreams must use the same scheme (transport protocol); expecting '" +
         rp.commonScheme + "://' but got '" + pa.scheme + "://'");
  }
  rp.commonScheme = pa.scheme;

  Json& upstreams = rp.fields["upstreams"];
  if (!upstreams.is_array()) {
    upstreams = Json::array();
  }
  if (srv) {
    // the port is dropped (SRV records carry theirs); an address without one stays whole
    std::string host;
    std::string port;
    const std::string dial = pa.dialAddr();
    upstreams.push_back(Json{{"lookup_srv", splitHostPort(dial, host, port).empty() ? host : dial}});
    return;
  }
  // a placeholder port is resolved per request
  if (pa.replaceablePort()) {
    upstreams.push_back(Json{{"dial", pa.dialAddr()}});
    return;
  }
  // caddy.ParseNetworkAddress on the dial address
  std::string network;
  std::string host;
  std::string port;
  if (std::string err = splitNetworkAddress(pa.dialAddr(), network, host, port); !err.empty()) {
    fail(err);
  }
  unsigned start = 0;
  unsigned end = 0;
  if (!isUnixNetwork(network) && !isFdNetwork(network) && !port.empty()) {
    size_t dash = port.find('-');
    std::string first = port.substr(0, dash);
    std::string last = dash == std::string::npos ? first : port.substr(dash + 1);
    if (std::string err = parsePort(first, start); !err.empty()) {
      fail("invalid start port: " + err);
    }
    if (std::string err = parsePort(last, end); !err.empty()) {
      fail("invalid end port: " + err);
    }
    if (end < start) {
      fail("end port must not be less than start port");
    }
  }
  if (pa.network.rfind("unix", 0) == 0 || !pa.rangedPort()) {
    upstreams.push_back(Json{{"dial", pa.dialAddr()}});
    return;
  }
  for (unsigned p = start; p <= end; ++p) {
    upstreams.push_back(Json{{"dial", joinNetworkAddress("", host, std::to_string(p))}});
  }
}

// to <upstreams...>
// dynamic <source> [...]
bool parseUpstreamSubdirective(Dispenser& d, ProxyHandler& rp) {
  if (d.val() == "to") {
    auto args = d.remainingArgs();
    if (args.empty()) {
      throw d.argErr();
    }
    for (const auto& up : args) {
      appendUpstream(d, rp, up);
    }
    return true;
  }
  if (d.val() == "dynamic") {
    if (!d.nextArg()) {
      throw d.argErr();
    }
    if (rp.fields.contains("dynamic_upstreams")) {
      throw d.err("dynamic upstreams already specified");
    }
    Dispenser sub = d.newFromNextSegment();
    rp.fields["dynamic_upstreams"] = unmarshalUpstreamSource(sub);
    return true;
  }
  return false;
}

}  // namespace gatehouse::parser::proxy
