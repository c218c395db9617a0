#pragma once
// Socket addresses as Caddy's placeholders print them.

#include <sys/socket.h>

#include <cstdint>
#include <string>

namespace gatehouse::server {

// The address's IP as text (an IPv4-mapped IPv6 address as plain IPv4, as Go prints it);
// its port goes to `port`.
std::string ipString(const sockaddr_storage& ss, uint16_t& port);

}  // namespace gatehouse::server
