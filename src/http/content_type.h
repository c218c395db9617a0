#pragma once
// Content-Type selection as Go's net/http does it for Caddy: by file extension first
// (mime.TypeByExtension: Go's built-in table and the system's MIME database, mime_table.h), else by sniffing
// the first bytes (http.DetectContentType: content_sniff.cpp).

#include <cstddef>
#include <string>
#include <string_view>

#include "gatehouse/runtime/exchange.h"

namespace gatehouse::http {

// "" when the extension is unknown. `name` is a file name or path.
std::string_view contentTypeByExtension(std::string_view name);
std::string_view sniffContentType(std::string_view data);

// Go's server rule for a response it writes: sniff a Content-Type from the first body bytes
// when the handler set none, no Content-Encoding, and did not flush the head early
// (`res.sniff`); only for statuses that allow a body.
bool wantsSniffedType(const runtime::Response& res, bool bodyAllowed);

// How many first body bytes the sniff reads (Go's sniffLen).
constexpr size_t kSniffLength = 512;

// A streamed head held for sniffing keeps waiting while this says so: Go's server sniffs
// the bytes its response buffer holds when the head goes out (2048 for HTTP/1, 4096 for
// HTTP/2), and a handler that does not flush (reverse_proxy copying a body of known length)
// fills that buffer from as many writes as it takes, so the type comes from the body's
// first 512 bytes however the upstream's reads split them. `held` counts the bytes gathered
// so far, the new piece included; `eof`: that piece is the last.
bool sniffNeedsMore(const runtime::Response& res, size_t held, bool eof);

}  // namespace gatehouse::http
