#pragma once
// rewrite's `query` operations (Caddy 2.8+; Caddyfile `uri query ...`): rename, set, add,
// replace (substring or regexp, one key or "*") and delete, applied in that order to the
// parsed query, which is then written back as Go's url.Values.Encode writes it (keys sorted,
// QueryEscape'd). Keys and values take placeholders (unknown ones become empty); replace's
// search and replacement keep unknown ones, as Caddy's ReplaceKnown.

#include <re2/re2.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gatehouse/config/site_graph.h"
#include "gatehouse/runtime/exchange.h"
#include "router/placeholders.h"

namespace gatehouse::handlers {

class QueryOps {
 public:
  // From the handler's "query" object. Throws ProvisionError naming `path`.
  static QueryOps fromJson(const config::Json& cfg, const std::string& path);
  void apply(runtime::Exchange& ex) const;

  // Go's url.ParseQuery (pairs with a bad escape are skipped) and url.Values.Encode.
  using Values = std::map<std::string, std::vector<std::string>>;
  static Values parse(std::string_view query);
  static std::string encode(const Values& values);

 private:
  struct Pair {
    router::Template key;
    router::Template val;
  };
  struct Replace {
    router::Template key;
    router::Template search;
    std::shared_ptr<re2::RE2> regexp;  // search_regexp, when given
    router::Template replace;
  };
  std::vector<Pair> rename_, set_, add_;
  std::vector<Replace> replace_;
  std::vector<router::Template> delete_;
};

}  // namespace gatehouse::handlers
