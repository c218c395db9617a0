#pragma once
// Caddy's header operations (headers.HeaderOps / RespHeaderOps) as the header,
// request_header and push directives build them, with their JSON shapes.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gatehouse/config/site_graph.h"

namespace gatehouse::parser::handler_util {

using config::Json;

struct HeaderOps {
  std::map<std::string, std::vector<std::string>> add;
  std::map<std::string, std::vector<std::string>> set;
  std::vector<std::string> del;
  std::map<std::string, std::vector<Json>> replace;

  [[nodiscard]] bool empty() const;
  // {"add", "set", "delete", "replace"}, empty ones left out.
  [[nodiscard]] Json toJson() const;
};

struct RespHeaderOps {
  HeaderOps ops;
  Json require;  // null, or a ResponseMatcher ({"status_code": [...], "headers": {...}})
  bool deferred = false;

  [[nodiscard]] bool empty() const { return ops.empty() && require.is_null() && !deferred; }
  [[nodiscard]] Json toJson() const;
};

// Applies one Caddyfile header operation: "+field" adds, "-field" deletes, "?field" sets a
// default (response headers only), ">field" sets and defers, a replacement makes a regexp
// replace, anything else sets. `resp` is null for request headers. Returns an error message,
// or "" on success.
std::string applyHeaderOp(HeaderOps& ops, RespHeaderOps* resp, std::string field, const std::string& value,
                          const std::optional<std::string>& replacement);

}  // namespace gatehouse::parser::handler_util
