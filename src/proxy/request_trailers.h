#pragma once
// The Trailer announcement a chunked client request carries upstream. Go's server takes the
// client's `Trailer` field into Request.Trailer (keys only, values filled once the body is
// read); Caddy 2.6.2's ReverseProxy clones that map before the body is read, so its
// transport announces the names ("Trailer: X-A,X-B", canonical, sorted, unique) and sends
// no trailer values. Gatehouse writes the same announcement.

#include <string>

#include "gatehouse/runtime/exchange.h"

namespace gatehouse::proxy {

// "" when the request is not chunked or announces nothing.
std::string announcedRequestTrailers(const runtime::Request& req);

}  // namespace gatehouse::proxy
