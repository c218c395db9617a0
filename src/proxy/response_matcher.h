#pragma once
// Caddy's reverse_proxy response matchers (`@name status ...` / `@name header ...` inside
// reverse_proxy), which pick the handle_response entry (response_routes.h) for a response.

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
