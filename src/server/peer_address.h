#pragma once
// Socket addresses as Caddy's placeholders print them.

#include <sys/socket.h>

#include <cstdint>
#include <string>

namespace gatehouse::server {

// What Go (and so Caddy's {http.request.remote.host}) reports for an unnamed unix peer.
inline constexpr const char* kUnixPeer = "@";

// The address's IP as text (an IPv4-mapped IPv6 address as plain IPv4, as Go prints it);
// its port goes to `port`. A unix peer: its socket path, or kUnixPeer; port 0.
std::string ipString(const sockaddr_storage& ss, uint16_t& port);

}  // namespace gatehouse::server
