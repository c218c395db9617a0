#pragma once
// A matcher that short-circuits its route with an error (the file matcher's "=404") records
// it in the exchange; the route list turns it into a handler error when no matcher set of
// the route matched, and drops it otherwise (Caddy's "matchers.error" variable). It is kept
// among the exchange's captures under a key no placeholder can name.

#include <optional>
#include <string>

#include "gatehouse/runtime/exchange.h"

namespace gatehouse::router {

struct MatcherError {
  int status = 0;
  std::string message;
};

// `status` 0 records a plain error (runtime::HandlerError::plain): the route fails with 500.
void setMatcherError(runtime::Exchange& ex, int status, const std::string& message);
// The recorded error, if any; removes it.
std::optional<MatcherError> takeMatcherError(runtime::Exchange& ex);

}  // namespace gatehouse::router
