#include "proxy/tcp_keepalive.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

namespace gatehouse::proxy {

int setTcpKeepAlive(int fd, std::chrono::milliseconds period) {
  if (period.count() < 0) {
    return 0;
  }
  const int on = 1;
  // Whole seconds, rounded up (a sub-second period still probes, every second).
  const int secs = static_cast<int>(std::max<long long>(1, (period.count() + 999) / 1000));
  if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on) != 0 ||
      setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &secs, sizeof secs) != 0 ||
      setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &secs, sizeof secs) != 0) {
    return -errno;
  }
  return 0;
}

}  // namespace gatehouse::proxy
