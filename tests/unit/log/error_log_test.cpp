// Caddy's HandlerError.Error() text, which its error log prints for errors without a Go
// error behind them (file_server's 404) and for a second error in the error routes.
#include "log/error_log.h"

#include <catch2/catch.hpp>

#include "gatehouse/runtime/error_traces.h"

using gatehouse::log::handlerErrorText;
using gatehouse::runtime::HandlerError;

TEST_CASE("HandlerError text: id, trace, status, then the cause") {
  HandlerError e;
  e.status = 404;
  e.id = "abc123xyz";
  e.trace = gatehouse::runtime::traces::kFileNotFound;
  e.message = "Not Found";  // {http.error.message}, not part of the text without a cause
  CHECK(handlerErrorText(e, false) ==
        "{id=abc123xyz} fileserver.(*FileServer).notFound (staticfiles.go:579): HTTP 404");
  e.status = 502;
  e.message = "dial tcp 127.0.0.1:1: connect: connection refused";
  CHECK(handlerErrorText(e, true) ==
        "{id=abc123xyz} fileserver.(*FileServer).notFound (staticfiles.go:579): HTTP 502: dial tcp "
        "127.0.0.1:1: connect: connection refused");
}

TEST_CASE("HandlerError text without id or trace is trimmed as Go's TrimSpace") {
  HandlerError e;
  e.status = 500;
  e.message = "boom";
  CHECK(handlerErrorText(e, true) == ": HTTP 500: boom");
  e.id = "x";
  CHECK(handlerErrorText(e, true) == "{id=x}: HTTP 500: boom");
  e.message = "";
  CHECK(handlerErrorText(e, true) == "{id=x}: HTTP 500:");
}
