#pragma once
// Configs that caddy's quick-start commands build from their flags, built the same way so
// they serve the same (`gatehouse reverse-proxy`, `file-server`, `respond`).

#include <string>
#include <vector>

#include "gatehouse/config/site_graph.h"

namespace gatehouse::parser {

struct ReverseProxyCommand {
  std::string from = "localhost";
  std::vector<std::string> to;
  bool changeHostHeader = false;
  bool insecure = false;
  bool internalCerts = false;
  bool debug = false;
};

// The JSON config of `caddy reverse-proxy` (admin off, nothing autosaved, one server named
// "proxy"): HTTPS on 443 for a --from with a host, plain HTTP without one or with http:// or
// port 80. `fromText` gets the address as caddy prints it ("https://example.com"), `dials`
// each upstream's dial address. Throws ConfigError with caddy's message for a bad address.
config::Json reverseProxyCommandConfig(const ReverseProxyCommand& cmd, std::string& fromText,
                                       std::vector<std::string>& dials);

struct FileServerCommand {
  std::string domain;
  std::string root;
  std::string listen;  // empty: ":80", or ":443" with a domain
  bool browse = false;
  bool templates = false;
  bool accessLog = false;
  bool debug = false;
};

// The JSON config of `caddy file-server` 2.6.2 (admin off, nothing autosaved, one server
// named "static" with 10 s header and 30 s idle timeouts and 10 KiB of headers): a domain
// becomes a host matcher, which turns automatic HTTPS on. `listenText` gets the address the
// start-up line names.
config::Json fileServerCommandConfig(const FileServerCommand& cmd, std::string& listenText);

struct RespondCommand {
  std::string listen = ":0";  // [network/]host[:port or port range]
  int status = 200;
  std::string body;                  // a Go template over {{.N}}, {{.Port}}, {{.Address}}
  std::vector<std::string> headers;  // "Field: value"
  bool accessLog = false;
  bool debug = false;
};

// The JSON config of `caddy respond` 2.6.2: one server per port of the listen range,
// "static0", "static1"..., each with the body's template evaluated for it. Throws
// ConfigError with caddy's message for a bad header, listen address or template.
config::Json respondCommandConfig(const RespondCommand& cmd);

// Evaluates the respond body template for server `n` on `port` at `address`: text/template's
// field actions {{.N}} {{.Port}} {{.Address}} {{.}}, comments and {{- -}} trimming. Any other
// action is refused as not supported; errors carry text/template's wording ("template:
// body:1: unclosed action").
std::string respondBodyTemplate(const std::string& body, int n, unsigned port, const std::string& address);

}  // namespace gatehouse::parser
