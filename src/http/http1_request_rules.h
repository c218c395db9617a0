#pragma once
// What Go's net/http server (Caddy's) decides about an HTTP/1.x request before any handler
// sees it, where llhttp alone would decide differently: the answer to a request llhttp
// refused, trailing whitespace in field values, and `OPTIONS *`.

#include <llhttp.h>

#include <string>
#include <string_view>

#include "gatehouse/runtime/header_list.h"

namespace gatehouse::http {

struct ParseRefusal {
  int status = 400;
  std::string_view detail;  // Go's "400 Bad Request: <detail>" (501: the whole body)
};

// The answer to a request llhttp stopped parsing. `fields` holds the header fields read so
// far; `detail` is what our own callbacks found wrong (empty: nothing).
ParseRefusal refusalFor(const llhttp_t& parser, const runtime::HeaderList& fields, bool notImplemented,
                        std::string_view detail);

// Go's textproto trims a field value at both ends; llhttp only skips the leading blanks.
void trimTrailingBlanks(std::string& value);

// Go's server (fixTrailer) refuses a chunked request whose Trailer field announces a
// framing field (Content-Length, Transfer-Encoding, Trailer): a bare 400.
bool announcesFramingTrailer(const runtime::HeaderList& headers);

// A Connection field lists `token` (any case).
bool connectionHasToken(const runtime::HeaderList& headers, std::string_view token);
// The Connection field lists the "upgrade" token (any case).
bool hasUpgradeToken(const runtime::HeaderList& headers);
// Whether Go's server keeps the connection after the answer (as far as the request says):
// HTTP/1.1 unless a Connection field lists close (shouldClose reads them all), HTTP/1.0 only
// when the first Connection field lists keep-alive (wantsHttp10KeepAlive reads that one, and
// a close token then changes nothing). llhttp also reads Proxy-Connection; Go does not.
bool keepsAlive(const runtime::HeaderList& headers, int major, int minor);

// `OPTIONS *`: Go's server answers it itself (globalOptionsHandler), never a handler.
bool isGlobalOptions(std::string_view method, std::string_view target);

}  // namespace gatehouse::http
