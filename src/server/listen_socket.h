#pragma once
// Listening sockets, created on the main thread before workers start so bind errors stop
// start-up and port 0 resolves once: every worker then binds the same address with
// SO_REUSEPORT and the kernel spreads connections across them. A unix socket cannot be
// bound twice: it is bound once and every worker polls a duplicate of that descriptor.

#include <cstdint>
#include <string>

#include "provision/runtime.h"

namespace gatehouse::server {

struct BoundSocket {
  int fd = -1;
  uint16_t port = 0;    // actual port (resolves port 0)
  std::string address;  // "127.0.0.1:8080", "[::1]:8080", "[::]:8080"
};

// Opens, binds and listens (a unix socket: after removing what sits at its path). Returns
// fd -1 with `error` set on failure.
BoundSocket openListenSocket(const provision::ListenSpec& spec, uint16_t port, std::string& error);

}  // namespace gatehouse::server
