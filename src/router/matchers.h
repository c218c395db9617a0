#pragma once
// Request matchers with Caddy's semantics (modules/caddyhttp/matchers.go). A MatcherSet is
// the AND of its matchers; a route matches when any of its sets does (OR).

#include <memory>
#include <string>
#include <vector>

#include "gatehouse/config/site_graph.h"
#include "gatehouse/runtime/handler.h"

namespace gatehouse::router {

class MatcherSet {
 public:
  void add(std::unique_ptr<runtime::Matcher> m) { matchers_.push_back(std::move(m)); }
  [[nodiscard]] bool match(runtime::Exchange& ex) const;
  [[nodiscard]] bool empty() const { return matchers_.empty(); }

 private:
  std::vector<std::unique_ptr<runtime::Matcher>> matchers_;
};

// Builds one matcher set from its JSON ({"host": [...], "path": [...]}). Throws
// provision::ProvisionError naming `path` for unknown or malformed matchers.
MatcherSet compileMatcherSet(const config::Json& set, const std::string& path);
// One matcher by its module name ("path", "header", ...); the expression matcher's matcher
// functions build theirs through it too.
std::unique_ptr<runtime::Matcher> compileMatcher(const std::string& name, const config::Json& value,
                                                 const std::string& path);
std::vector<MatcherSet> compileMatcherSets(const std::vector<config::MatcherSet>& sets,
                                           const std::string& path);

// Exposed for unit tests and the file server.
bool matchPathPattern(std::string_view pattern, std::string_view lowerPath);
// Go's path.Match (*, ?, [...] classes, backslash escapes); '/' never matches a wildcard.
bool globMatch(std::string_view pattern, std::string_view name);

}  // namespace gatehouse::router
