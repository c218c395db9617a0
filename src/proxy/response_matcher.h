#pragma once
// Caddy's caddyhttp.ResponseMatcher: reverse_proxy's `@name status ...` / `@name header ...`
// (picking the handle_response entry, response_routes.h) and encode's `match` block.

#include <optional>
#include <string>
#include <vector>

#include "gatehouse/config/site_graph.h"
#include "gatehouse/runtime/header_list.h"

namespace gatehouse::proxy {

class ResponseMatcher {
 public:
  // {"status_code": [404, 5], "headers": {"X-Tag": ["a*"]}}; throws ProvisionError.
  static ResponseMatcher parse(const config::Json& j, const std::string& path);
  [[nodiscard]] bool matches(int status, const runtime::HeaderList& headers) const;

 private:
  struct Field {
    std::string name;
    std::optional<std::vector<std::string>> values;  // nullopt: the field must be absent
  };
  std::vector<int> statusCodes_;  // empty: any status; a code below 100 is a class (5: 5xx)
  std::vector<Field> fields_;
};

}  // namespace gatehouse::proxy
