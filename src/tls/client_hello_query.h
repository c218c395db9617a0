#pragma once
// What a certificate manager is told about a ClientHello (certmagic hands managers Go's
// ClientHelloInfo; Caddy's http manager sends its cipher suites and signature schemes).

#include <openssl/ssl.h>

#include <string>

#include "gatehouse/tls/certificate_managers.h"

namespace gatehouse::tls {

// Only inside the ClientHello callback. Lists are raw, as offered (GREASE and SCSV values
// included, as Go reports them); a missing extension gives an empty list.
ManagerQuery clientHelloQuery(SSL* ssl, const std::string& serverName);

}  // namespace gatehouse::tls
