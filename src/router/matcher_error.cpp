#include "router/matcher_error.h"

#include <algorithm>
#include <charconv>
#include <string_view>

namespace gatehouse::router {

namespace {
// Placeholder keys are printable: a leading NUL cannot be asked for.
constexpr std::string_view kKey{"\0matchers.error", 15};
}  // namespace

void setMatcherError(runtime::Exchange& ex, int status, const std::string& message) {
  ex.setCapture(std::string(kKey), std::to_string(status) + " " + message);
}

std::optional<MatcherError> takeMatcherError(runtime::Exchange& ex) {
  auto it =
      std::find_if(ex.captures.begin(), ex.captures.end(), [](const auto& c) { return c.first == kKey; });
  if (it == ex.captures.end()) {
    return std::nullopt;
  }
  MatcherError err;
  const std::string& v = it->second;
  const size_t space = v.find(' ');
  std::from_chars(v.data(), v.data() + space, err.status);
  err.message = v.substr(space + 1);
  ex.captures.erase(it);
  return err;
}

}  // namespace gatehouse::router
