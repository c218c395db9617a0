#pragma once
// What a failed proxy attempt shows in {http.error.message}: the text Go's dialer gives
// caddy 2.6.2's reverse_proxy for the same failure.

#include <string>
#include <string_view>

#include "proxy/upstream_address.h"

namespace gatehouse::proxy {

// Go's net.OpError text for a dial that failed with `uvError` ("dial tcp 127.0.0.1:1:
// connect: connection refused", "dial tcp 10.0.0.1:80: i/o timeout"); empty when the
// address's network has no plain Go counterpart (names resolved first, tcp4/ and tcp6/).
// `nameserver` is what systemNameserver() read when the handler was provisioned.
std::string dialErrorText(const UpstreamAddress& address, int uvError, const std::string& nameserver);

// The server Go's pure resolver names in its errors: the first `nameserver` of `resolvConf`
// (the one that answered NXDOMAIN; Go stops there) as "ADDR:53", "127.0.0.1:53" without one.
std::string goNameserver(std::string_view resolvConf);

// goNameserver() of /etc/resolv.conf. A file read: call it while provisioning, never on a
// worker's loop (Go rereads the file every 5 s; a change shows here from the next reload).
std::string systemNameserver();

// Go's pure resolver's text for a name the DNS says does not exist, as its dialer wraps it:
// "dial tcp: lookup HOST on NAMESERVER: no such host".
std::string noSuchHostText(const std::string& host, const std::string& nameserver);

}  // namespace gatehouse::proxy
