#pragma once
// Caddy's log field filters (caddy.logging.encoders.filter.*): each rewrites one field of
// an entry, addressed by a '>'-separated path ("request>headers>Authorization"). Built from
// JSON at provision time; applied by the thread that logs (rules are immutable).

#include <memory>
#include <string>
#include <vector>

#include "gatehouse/config/site_graph.h"

namespace gatehouse::log {

class FieldFilter {
 public:
  virtual ~FieldFilter() = default;
  // Rewrites `value` (the field named `key` in `parent`); may erase or rename it.
  virtual void apply(config::Json& parent, const std::string& key) const = 0;
};

// Throws provision::ProvisionError naming `path` for unknown filters or fields.
std::unique_ptr<FieldFilter> makeFieldFilter(const config::Json& cfg, const std::string& path);

// A filter bound to its field path.
struct FieldRule {
  std::vector<std::string> path;  // "request>uri" -> {"request", "uri"}
  std::unique_ptr<FieldFilter> filter;
  void apply(config::Json& fields) const;
};

// The first 4 bytes of SHA-256 in hex, as Caddy's `hash` filter prints a value.
std::string shortHash(std::string_view s);

}  // namespace gatehouse::log
