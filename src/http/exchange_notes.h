#pragma once
// Facts about an exchange that its log entries (and file_server's browse) read, kept among the exchange's
// captures under keys that start with a NUL, so no placeholder can name them (as router/matcher_error does):
// Go's nil Content-Type of a bodyless response, whether a handler error has a Go cause, and the error the
// server's error routes took. Cleared with the exchange.

#include <optional>
#include <string>

#include "gatehouse/runtime/exchange.h"

namespace gatehouse::http {

// Go's `Header["Content-Type"] = nil` (a bodyless `respond`, file_server's unknown type):
// nothing is sniffed or sent, and the access log shows "Content-Type": []. Sets
// response.sniff = false too.
void noteNilContentType(runtime::Exchange& ex);
[[nodiscard]] bool hasNilContentType(const runtime::Exchange& ex);

// Caddy's HandlerError.Err is nil (file_server's 404): its log message is then the whole
// HandlerError text, not {http.error.message}. Exchange::fail notes it for an empty message.
void noteErrorCause(runtime::Exchange& ex, bool hasCause);
[[nodiscard]] bool errorHasCause(const runtime::Exchange& ex);

// The error as the server's error routes take it (before they run): the error log reports it.
struct RoutedError {
  runtime::HandlerError error;
  bool hasCause = true;
  std::string trace;
  int failedRouteStatus = 0;  // an error route failed in turn with this status
};
void noteRoutedError(runtime::Exchange& ex);
// The status of the error an error route failed with (the client still gets the first's).
void noteFailedRouteStatus(runtime::Exchange& ex, int status);
[[nodiscard]] std::optional<RoutedError> routedError(const runtime::Exchange& ex);

// A prefix (or suffix) strip took the whole path: 2.6.2's URL.Path is then "", which
// Gatehouse anchors as "/". file_server's browse reads it: Caddy redirects such a listing to
// the client's path plus '/' (#4466), so `handle_path /files*` asked for "/files" lists at
// "/files/". `emptied` false clears it (a later strip left a path).
void notePathStrippedEmpty(runtime::Exchange& ex, bool emptied);
[[nodiscard]] bool pathStrippedEmpty(const runtime::Exchange& ex);

}  // namespace gatehouse::http
