#pragma once
// {http.error} and {http.error.*}: the error handle_errors routes run for, as Caddy's
// WithError sets them.

#include <string>
#include <string_view>

#include "gatehouse/runtime/exchange.h"

namespace gatehouse::router {

// `rest`: what follows "http.error" in the key ("" or ".status_code" ...); false outside
// error routes and for unknown keys.
bool errorPlaceholder(std::string_view rest, const runtime::Exchange& ex, std::string& out);

}  // namespace gatehouse::router
