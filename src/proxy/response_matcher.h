#pragma once
// Caddy's reverse_proxy response matchers (`@name status ...` / `@name header ...` inside
// reverse_proxy) and the status-only handle_response entries they drive (`replace_status`):
// the first entry whose matcher takes the upstream's status and header fields replaces the
// status the client gets. Entries with routes (`handle_response { ... }`) are refused at
// provisioning ("not supported yet").

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

struct StatusReplacement {
  std::optional<ResponseMatcher> match;  // absent: every response
  int status = 0;

  // The handle_response array; throws ProvisionError for what is not supported yet.
  static std::vector<StatusReplacement> parseAll(const config::Json& j, const std::string& path);
};

// The status the client gets: the first matching replacement's, else `status`.
int replacedStatus(const std::vector<StatusReplacement>& list, int status,
                   const runtime::HeaderList& headers);

}  // namespace gatehouse::proxy
