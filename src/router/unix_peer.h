#pragma once
// A request that came over a unix socket carries its peer's name ("@" for an unnamed
// client, else the client's socket path) where a TCP peer's IP would be, and port 0.

#include <string_view>

namespace gatehouse::router {

// IPs never start with '@' nor contain '/', so the remote "IP" tells the two apart.
inline bool unixPeer(std::string_view remoteIp) {
  return remoteIp == "@" || remoteIp.find('/') != std::string_view::npos;
}

}  // namespace gatehouse::router
