#pragma once
// Reading a cookie from the request's Cookie fields as Go's Request.Cookies() does (pairs
// split on ';', spaces trimmed, surrounding quotes removed, malformed pairs skipped).

#include <optional>
#include <string>
#include <string_view>

#include "gatehouse/runtime/header_list.h"

namespace gatehouse::http {

// The first cookie whose name equals `name` ignoring case (Caddy's {http.request.cookie.*}).
std::optional<std::string> requestCookieFold(const runtime::HeaderList& headers, std::string_view name);

}  // namespace gatehouse::http
