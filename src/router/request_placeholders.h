#pragma once
// The {http.request.*} placeholders, in files by the part of the request they read:
// request_placeholders.cpp (the dispatch, host, method, peer, header fields, the exchange's
// own values), request_uri_placeholders.cpp (uri.*, orig_uri.*), tls_placeholders.cpp
// (tls.*). Every `key` here is without its "http.request." prefix; false when unknown.

#include <cstdint>
#include <string>
#include <string_view>

#include "gatehouse/runtime/exchange.h"
#include "router/go_atoi.h"

namespace gatehouse::router {

bool requestPlaceholder(std::string_view key, const runtime::Exchange& ex, std::string& out);

// uri, uri.*, orig_uri, orig_uri.* and orig_method.
bool requestUriPlaceholder(std::string_view key, const runtime::Request& r, std::string& out);

// tls.* without "tls.": unknown on cleartext requests, as in Caddy.
bool tlsPlaceholder(std::string_view field, const runtime::TlsInfo* tls, std::string& out);

// Go's strconv.Atoi, true when it reads the text: an index placeholder Go cannot read stays
// unknown (std::stoul would throw on one too long).
inline bool readsAsInt(std::string_view s, int64_t& out) {
  return goAtoi(s, out) == AtoiError::None;
}

}  // namespace gatehouse::router
