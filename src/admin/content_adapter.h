#pragma once
// Caddy's adaptByContentType, shared by POST /load, POST /adapt and the HTTP config loader:
// JSON (or no Content-Type) passes through; "text/caddyfile" is adapted.

#include <optional>
#include <string>

#include "admin/api_types.h"
#include "gatehouse/config/site_graph.h"

namespace gatehouse::admin {

struct Adapted {
  std::string result;                             // JSON text
  config::Json warnings = config::Json::array();  // caddyconfig.Warning objects
};

// The error carries the status POST /load would answer with.
std::optional<ApiError> adaptByContentType(const std::string& contentType, const std::string& body,
                                           Adapted& out);

}  // namespace gatehouse::admin
