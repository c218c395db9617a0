#pragma once
// Go's *http.Request and *url.URL as template values over an Exchange, with the fields
// and methods Caddy pages use (.Req.Method, .Req.URL.Path, .Req.URL.Query, .Req.Header ...).

#include <optional>
#include <string>

#include "gatehouse/runtime/exchange.h"
#include "templates/value.h"

namespace gatehouse::templates {

// `original`: the request as received (.OriginalReq), before rewrites.
Value makeRequestObject(const runtime::Exchange& ex, bool original);
// Go's url.ParseQuery into url.Values (a map of lists).
Value parseQueryValues(const std::string& rawQuery);
// The value of the request's cookie `name` as Go's Request.Cookie finds it (quotes
// removed); nullopt when it has none.
std::optional<std::string> requestCookie(const runtime::Exchange& ex, const std::string& name);
// The request's header fields as Go's http.Header (canonical keys, lists of values).
Value headerValues(const runtime::HeaderList& headers);

}  // namespace gatehouse::templates
