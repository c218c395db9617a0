#pragma once
// TCP keep-alive probes on a connected upstream socket, as Go's net.Dialer.KeepAlive sets
// them (Caddy's keep_alive.probe_interval): SO_KEEPALIVE on, and both the idle time before
// the first probe (TCP_KEEPIDLE) and the time between probes (TCP_KEEPINTVL) set to the
// period in whole seconds, rounded up; the probe count stays the system's (Go leaves it).

#include <chrono>

namespace gatehouse::proxy {

// A negative period leaves keep-alive off; zero is not a period (callers pass Go's 15 s).
// Returns 0 or -errno.
int setTcpKeepAlive(int fd, std::chrono::milliseconds period);

}  // namespace gatehouse::proxy
