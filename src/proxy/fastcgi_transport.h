#pragma once
// reverse_proxy's `fastcgi` transport (Caddy's fastcgi.Transport), provisioned from its
// JSON: where scripts live (root, split_path, resolve_root_symlink), extra environment
// (env, with placeholders), the timeouts and capture_stderr. Immutable after provision.

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gatehouse/config/site_graph.h"
#include "router/placeholders.h"

namespace gatehouse::proxy {

struct FastCgiTransport {
  router::Template root{"{http.vars.root}"};  // Caddy's default: the site's root
  std::vector<std::string> splitPath;
  bool resolveRootSymlink = false;
  std::vector<std::pair<std::string, router::Template>> env;
  std::chrono::milliseconds dialTimeout{3'000};
  // Deadlines counted from the connection's start, as Go's SetReadDeadline/SetWriteDeadline
  // set once per request; 0: none.
  std::chrono::milliseconds readTimeout{0};
  std::chrono::milliseconds writeTimeout{0};
  bool captureStderr = false;  // log what the application writes to FCGI_STDERR

  static std::shared_ptr<const FastCgiTransport> parse(const config::Json& t, const std::string& path);
};

}  // namespace gatehouse::proxy
