#include "http/session_factory.h"

#include "http/h2_session_factory.h"

namespace gatehouse::http {

bool sessionSupports(std::string_view alpn) {
  return alpn.empty() || alpn == "http/1.1" || alpn == "h2";
}

std::unique_ptr<Session> makeSession(std::string_view alpn, Transport& transport, RequestHandler& handler,
                                     DateCache& dates, SessionLimits limits,
                                     const provision::ServerRuntime& server) {
  if (alpn == "h2") {
    return makeH2Session(transport, handler, dates, server);
  }
  if (alpn == "http/1.1") {
    return std::make_unique<Http1Session>(transport, handler, dates, limits);
  }
  if (alpn.empty()) {
    // Cleartext, or TLS without ALPN: HTTP/1.1, or h2c with prior knowledge when enabled.
    return makeCleartextSession(transport, handler, dates, server);
  }
  return nullptr;
}

}  // namespace gatehouse::http
