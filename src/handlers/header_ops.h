#pragma once
// Caddy's HeaderOps (add, set, delete, replace) compiled from JSON: used by the `headers`
// handler and by `push` for the headers of its push requests. Order within one op set
// follows Caddy's HeaderOps.ApplyTo: add, set, delete, replace.

#include <re2/re2.h>

#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gatehouse/config/site_graph.h"
#include "gatehouse/runtime/exchange.h"
#include "router/placeholders.h"

namespace gatehouse::handlers {

struct HeaderReplacement {
  router::Template field;
  std::optional<router::Template> search;
  std::unique_ptr<re2::RE2> searchRegexp;
  router::Template replace;
};

struct HeaderOps {
  std::vector<std::pair<router::Template, std::vector<router::Template>>> add;
  std::vector<std::pair<router::Template, std::vector<router::Template>>> set;
  std::vector<router::Template> remove;
  std::vector<HeaderReplacement> replace;

  void apply(runtime::HeaderList& hdr, const runtime::Exchange& ex) const;
  // "*" prefix/suffix wildcards delete every matching field, as Caddy does.
  static void deleteField(runtime::HeaderList& hdr, std::string name);
};

// Parses one op set at `path`; keys in `alsoAllowed` belong to the caller (a response's
// `require`, `deferred`) and are skipped; any other unknown key is refused.
HeaderOps parseHeaderOps(const config::Json& j, const std::string& path,
                         std::initializer_list<const char*> alsoAllowed);

}  // namespace gatehouse::handlers
