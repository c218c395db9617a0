#pragma once
// The entry Caddy's server writes when its handler chain ends with an error: logger
// "http.log.error" (named after the host's access logger, as the access entry), the error's
// text as the message, then request, duration, status, err_id and err_trace; ERROR for a
// 5xx, DEBUG below or when the server's error routes (any site's) answered it. When an
// error route fails in turn, one "error handling handler error" entry carries the second
// error's text and the first under `first_error`. These go to the default log (no `log`
// directive needed), like Caddy's.

#include <string>

#include "gatehouse/runtime/exchange.h"
#include "log/access_log.h"

namespace gatehouse::log {

// Caddy's HandlerError.Error(): "{id=<id>} <trace>: HTTP <status>[: <message>]", trimmed;
// the message only when the error has a Go cause.
std::string handlerErrorText(const runtime::HandlerError& e, bool hasCause);

// The `request` object of Caddy's log entries (LoggableHTTPRequest); access_log.cpp.
config::Json requestObject(const runtime::Request& req, bool logCredentials);

// Writes the entry for `ex` if its chain ended with an error. `access` (may be null) names
// the logger; ids missing from the errors are made up as Caddy gives every error one.
void recordHandlerError(const runtime::Exchange& ex, const AccessLog* access);

}  // namespace gatehouse::log
