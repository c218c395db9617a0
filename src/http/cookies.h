#pragma once
// Reading a cookie from the request's Cookie fields as Go's Request.Cookies() does (pairs
// split on ';', spaces trimmed, surrounding quotes removed, malformed pairs skipped).

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gatehouse/runtime/header_list.h"

namespace gatehouse::http {

// The first cookie whose name equals `name` ignoring case (Caddy's {http.request.cookie.*}).
std::optional<std::string> requestCookieFold(const runtime::HeaderList& headers, std::string_view name);
// Every (name, value) pair as Go's Request.Cookies() lists them: names must be tokens and
// match exactly when `only` is given (Request.Cookie).
std::vector<std::pair<std::string, std::string>> requestCookies(const runtime::HeaderList& headers,
                                                                std::string_view only = {});

}  // namespace gatehouse::http
