#pragma once
// The request an HTTP/2 server push promises, checked and laid out as Go's
// http2responseWriter.Push does (Caddy's push handler goes through it): the target is an
// absolute path, or an absolute URL with the connection's scheme and a host; GET or HEAD;
// no pseudo-header, body-related, Host or connection-specific fields. The PUSH_PROMISE
// carries :method, :scheme, :authority, :path (Go's URL.RequestURI()), then the fields in
// lower case, sorted by name as Go's encoder writes them.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gatehouse/runtime/header_list.h"

namespace gatehouse::http {

struct PushPromiseInput {
  std::string_view method;     // "" means GET
  std::string_view target;     // as the handler gave it
  std::string_view scheme;     // of the parent request: "https" on TLS, else "http"
  std::string_view authority;  // the parent request's Host
  const runtime::HeaderList* headers = nullptr;
};

using PushFields = std::vector<std::pair<std::string, std::string>>;

// Fills `out` with the promised request's fields (pseudo-header fields first). Returns an
// error message (as Go's) when Go's Push would refuse, else "".
std::string buildPushPromise(const PushPromiseInput& in, PushFields& out);

// Go's URL.RequestURI() of a parsed target path ("/a b?x" -> "/a%20b?x"); false when Go's
// url.Parse refuses it (a bad %-escape, a control byte).
bool pushRequestUri(std::string_view pathAndQuery, std::string& out);

}  // namespace gatehouse::http
