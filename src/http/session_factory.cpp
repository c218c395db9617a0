#include "http/session_factory.h"

namespace gatehouse::http {

bool sessionSupports(std::string_view alpn) {
  return alpn.empty() || alpn == "http/1.1";
}

std::unique_ptr<Session> makeSession(std::string_view alpn, Transport& transport, RequestHandler& handler,
                                     DateCache& dates, SessionLimits limits,
                                     const provision::ServerRuntime& /*server*/) {
  if (alpn.empty() || alpn == "http/1.1") {
    return std::make_unique<Http1Session>(transport, handler, dates, limits);
  }
  return nullptr;
}

}  // namespace gatehouse::http
