#pragma once
// The one place a connection gets its protocol session: by the ALPN protocol negotiated
// on TLS ("" on cleartext or when the client offered none). The HTTP/2 engine registers
// "h2" here; the TLS layer asks sessionSupports() before advertising a protocol.

#include <memory>
#include <string_view>

#include "http/http1_session.h"
#include "http/session.h"

namespace gatehouse::provision {
struct ServerRuntime;
}

namespace gatehouse::http {

// True when makeSession() can serve `alpn`.
bool sessionSupports(std::string_view alpn);

// The session for `alpn`, or null when none serves it (the connection then closes).
std::unique_ptr<Session> makeSession(std::string_view alpn, Transport& transport, RequestHandler& handler,
                                     DateCache& dates, SessionLimits limits,
                                     const provision::ServerRuntime& server);

}  // namespace gatehouse::http
