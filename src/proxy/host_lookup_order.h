#pragma once
// The order a name's addresses are dialled in, as Go's resolver sorts them (RFC 6724
// destination address selection) when Caddy asks configured resolvers: addresses this host
// has no route to last (rule 1), then by the policy table's precedence (rule 6: ::1 50,
// other IPv6 40, IPv4 35, 6to4 30, Teredo 5, ULA 3, site-local and IPv4-compatible 1);
// equal ones keep the DNS order. getaddrinfo sorts the system resolver's answers itself.
// Blocking (one connect(2) of a UDP socket per address, which sends nothing): thread-pool
// threads only.

#include "proxy/upstream_resolver.h"

namespace gatehouse::proxy {

// Rule 6's precedence of one destination (exposed for tests).
int destinationPrecedence(const sockaddr_storage& address);

void sortDestinations(AddressList& addresses);

}  // namespace gatehouse::proxy
