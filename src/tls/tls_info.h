#pragma once
// {http.request.tls.*} facts read from an established SSL.

#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "gatehouse/runtime/exchange.h"

namespace gatehouse::tls {

std::shared_ptr<const runtime::TlsInfo> describeConnection(SSL* ssl, const std::string& serverName,
                                                           const std::string& alpn);

// "tls1.2" / "tls1.3", as Caddy's ProtocolName.
std::string protocolName(int version);

}  // namespace gatehouse::tls
