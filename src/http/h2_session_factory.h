#pragma once
// How a connection gets its HTTP/2 session: directly after ALPN "h2" (TLS), or behind a
// ProtocolSniffer on cleartext listeners whose server enables h2c.

#include <memory>

#include "http/http_date.h"
#include "http/session.h"
#include "provision/runtime.h"

namespace gatehouse::http {

// An HTTP/2 session with the server's limits (max_header_bytes).
std::unique_ptr<Session> makeH2Session(Transport& transport, RequestHandler& handler, DateCache& dates,
                                       const provision::ServerRuntime& server);

// The server's `protocols` list contains "h2c" (cleartext HTTP/2 with prior knowledge).
bool h2cAllowed(const provision::ServerRuntime& server);

// The session for a cleartext connection: HTTP/1.1, or a sniffer choosing between HTTP/1.1
// and h2c when the server allows h2c.
std::unique_ptr<Session> makeCleartextSession(Transport& transport, RequestHandler& handler, DateCache& dates,
                                              const provision::ServerRuntime& server);

}  // namespace gatehouse::http
