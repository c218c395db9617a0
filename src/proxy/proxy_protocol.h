#pragma once
// The PROXY protocol header (HAProxy's proxy-protocol.txt, v1 text or v2 binary) that
// `transport http { proxy_protocol v1|v2 }` sends first on every new upstream connection:
// the client's address as source, the upstream's as destination.

#include <sys/socket.h>

#include <cstdint>
#include <string>

namespace gatehouse::proxy {

enum class ProxyProtocol { Off, V1, V2 };

// `clientIp` as the request carries it ("127.0.0.1", "::1"); `upstream` the dialled address.
// An unparsable client address or mixed families give the protocol's UNKNOWN/LOCAL form.
std::string proxyProtocolHeader(ProxyProtocol version, const std::string& clientIp, uint16_t clientPort,
                                const sockaddr_storage& upstream);

}  // namespace gatehouse::proxy
