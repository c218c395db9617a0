// `caddy respond`'s config: one server per port of --listen's range ("static0", "static1"...),
// each answering every request with the status, headers and body (its template evaluated
// for that server).

#include <cstdint>
#include <map>

#include "commands/quick_config.h"
#include "gatehouse/parser/command_configs.h"
#include "gatehouse/parser/config_error.h"
#include "header_name.h"

namespace gatehouse::parser {

namespace {

using config::Json;

struct ListenRange {
  std::string host;
  unsigned start = 0;
  unsigned end = 0;
};

bool isUnixNetwork(const std::string& network) {
  return network == "unix" || network == "unixgram" || network == "unixpacket";
}

// Go's strconv.ParseUint(s, 10, 16) error text, or the value.
unsigned parsePort(const std::string& s, const char* which) {
  const std::string prefix =
      std::string("invalid ") + which + " port: strconv.ParseUint: parsing \"" + s + "\": ";
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos) {
    throw ConfigError(prefix + "invalid syntax");
  }
  if (s.size() > 5 || std::stoul(s) > 65535) {
    throw ConfigError(prefix + "value out of range");
  }
  return static_cast<unsigned>(std::stoul(s));
}

// Go's net.SplitHostPort: false when the port is missing; throws for a malformed address.
bool splitHostPort(const std::string& a, std::string& host, std::string& port) {
  auto bad = [&a](const char* why) { return ConfigError("address " + a + ": " + why); };
  size_t colon = a.rfind(':');
  if (!a.empty() && a[0] == '[') {
    const size_t close = a.find(']');
    if (close == std::string::npos) {
      throw bad("missing ']' in address");
    }
    if (close + 1 == a.size()) {
      host = a.substr(1, close - 1);
      return false;
    }
    if (a[close + 1] != ':') {
      throw bad(colon == close + 1 ? "too many colons in address" : "missing port in address");
    }
    if (colon != close + 1) {
      throw bad("too many colons in address");
    }
    host = a.substr(1, close - 1);
  } else {
    if (colon == std::string::npos) {
      host = a;
      return false;
    }
    host = a.substr(0, colon);
    if (host.find(':') != std::string::npos) {
      throw bad("too many colons in address");
    }
  }
  if (host.find_first_of("[]") != std::string::npos) {
    throw bad("unexpected '[' or ']' in address");
  }
  port = a.substr(colon + 1);
  return true;
}

// caddy.ParseNetworkAddress as 2.6.2 reads --listen: [network/]host[:port[-port]], a
// missing port meaning 0. The network is dropped from the addresses (2.6.2 listens on tcp).
ListenRange parseListen(const std::string& listen) {
  std::string network;
  std::string rest = listen;
  if (const size_t slash = listen.find('/'); slash != std::string::npos) {
    network = listen.substr(0, slash);
    rest = listen.substr(slash + 1);
  }
  for (char& c : network) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (isUnixNetwork(network)) {
    throw ConfigError("listening on " + listen +
                      ": unix sockets are not supported by respond (caddy 2.6.2 cannot listen there either)");
  }
  ListenRange r;
  std::string port;
  if (rest.empty()) {
    throw ConfigError("address : missing port in address");  // as Go's net.SplitHostPort("")
  }
  splitHostPort(rest, r.host, port);
  if (!port.empty()) {
    const size_t dash = port.find('-');
    r.start = parsePort(port.substr(0, dash), "start");
    r.end = dash == std::string::npos ? r.start : parsePort(port.substr(dash + 1), "end");
    if (r.end < r.start) {
      throw ConfigError("end port must not be less than start port");
    }
  }
  return r;
}

// Go's net.JoinHostPort.
std::string joinHostPort(const std::string& host, unsigned port) {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Json headerFields(const std::vector<std::string>& headers) {
  std::map<std::string, std::string> fields;
  for (size_t i = 0; i < headers.size(); ++i) {
    const std::string& h = headers[i];
    const size_t colon = h.find(':');
    auto trim = [](std::string s) {
      const size_t b = s.find_first_not_of(" \t\r\n\v\f");
      const size_t e = s.find_last_not_of(" \t\r\n\v\f");
      return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
    };
    const std::string key = colon == std::string::npos ? "" : trim(h.substr(0, colon));
    const std::string value = colon == std::string::npos ? "" : trim(h.substr(colon + 1));
    if (key.empty() || value.empty()) {
      throw ConfigError("header " + std::to_string(i) + ": invalid format \"" + h +
                        "\" (expecting \"Field: value\")");
    }
    fields[canonicalHeaderKey(key)] = value;  // a later one replaces, as http.Header.Set
  }
  Json out = Json::object();
  for (const auto& [key, value] : fields) {
    out[key] = {value};
  }
  return out;
}

Json respondServer(const RespondCommand& cmd, const Json& headers, int n, unsigned port,
                   const std::string& address) {
  Json handler = {{"handler", "static_response"}, {"status_code", cmd.status}};
  if (!headers.empty()) {
    handler["headers"] = headers;
  }
  const std::string body = respondBodyTemplate(cmd.body, n, port, address);
  if (!body.empty()) {
    handler["body"] = body;
  }
  Json server = quickServer(address);
  server["routes"] = Json::array({{{"handle", Json::array({handler})}}});
  server["automatic_https"] = {{"disable_redirects", true}};
  if (cmd.accessLog) {
    server["logs"] = Json::object();
  }
  return server;
}

}  // namespace

Json respondCommandConfig(const RespondCommand& cmd) {
  const Json headers = headerFields(cmd.headers);
  const ListenRange range = parseListen(cmd.listen);
  Json servers = Json::object();
  for (unsigned port = range.start; port <= range.end; ++port) {
    const int n = static_cast<int>(port - range.start);
    servers["static" + std::to_string(n)] =
        respondServer(cmd, headers, n, port, joinHostPort(range.host, port));
  }
  return quickConfig(std::move(servers), cmd.debug);
}

}  // namespace gatehouse::parser
