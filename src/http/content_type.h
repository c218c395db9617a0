#pragma once
// Content-Type selection as Go's net/http does it for Caddy: by file extension first
// (mime.TypeByExtension: Go's built-in table and the system's MIME database, mime_table.h), else by sniffing
// the first bytes (http.DetectContentType: content_sniff.cpp).

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

}  // namespace gatehouse::http
