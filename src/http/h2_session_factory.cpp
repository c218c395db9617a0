#include "http/h2_session_factory.h"

#include <algorithm>

#include "http/http1_session.h"
#include "http/http2_session.h"
#include "http/protocol_sniffer.h"

namespace gatehouse::http {

std::unique_ptr<Session> makeH2Session(Transport& transport, RequestHandler& handler, DateCache& dates,
                                       const provision::ServerRuntime& server) {
  Http2Limits limits;
  limits.maxHeaderBytes = server.maxHeaderBytes;
  limits.writeTimeout = server.writeTimeout;
  return std::make_unique<Http2Session>(transport, handler, dates, limits);
}

bool h2cAllowed(const provision::ServerRuntime& server) {
  return std::find(server.protocols.begin(), server.protocols.end(), "h2c") != server.protocols.end();
}

std::unique_ptr<Session> makeCleartextSession(Transport& transport, RequestHandler& handler, DateCache& dates,
                                              const provision::ServerRuntime& server) {
  auto http1 = [&transport, &handler, &dates, &server]() -> std::unique_ptr<Session> {
    return std::make_unique<Http1Session>(transport, handler, dates, SessionLimits{server.maxHeaderBytes});
  };
  if (!h2cAllowed(server)) {
    return http1();
  }
  auto http2 = [&transport, &handler, &dates, &server] {
    return makeH2Session(transport, handler, dates, server);
  };
  return std::make_unique<ProtocolSniffer>(transport, http1, http2);
}

}  // namespace gatehouse::http
