#pragma once
// The upstream request's fields in HTTP/2's form (RFC 9113 8.2): names lower-cased, and the
// connection-specific fields HTTP/2 forbids left out (Connection, Keep-Alive,
// Proxy-Connection, Transfer-Encoding, Upgrade, TE other than "trailers"), as are Host
// (it becomes :authority) and Content-Length (the proxy states its own); one User-Agent
// (the first), none when it is empty, as Go's transports. Cookie is split into one field
// per pair (RFC 9113 8.2.3) as Go's HTTP/2 transport does, so an empty one goes nowhere.

#include "gatehouse/runtime/header_list.h"

namespace gatehouse::proxy {

void appendH2Fields(const runtime::HeaderList& fields, runtime::HeaderList& out);

}  // namespace gatehouse::proxy
