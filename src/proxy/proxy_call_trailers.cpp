// ProxyCall's part in response trailers: an upstream's trailer fields (HTTP/2), kept for
// the client's session, which sends them after the body (runtime::TrailerSource).
#include "proxy/proxy_call.h"

namespace gatehouse::proxy {

void ProxyCall::onUpstreamTrailer(std::string_view name, std::string_view value) {
  trailers_.emplaceBack(runtime::canonicalHeaderName(std::string(name)), std::string(value));
}

}  // namespace gatehouse::proxy
