#include "proxy/proxy_errors.h"

#include <uv.h>

namespace gatehouse::proxy {

std::string dialErrorText(const UpstreamAddress& address, int uvError) {
  if (address.resolve || address.family != AF_UNSPEC) {
    return {};  // Go names the looked-up IP there, which the caller no longer has
  }
  std::string out = address.unix ? "dial unix " + address.path : "dial tcp " + address.dial;
  if (!address.unix && out.back() == ':') {
    out += '0';  // "host:" (caddy 2.6.2's ws:// upstream) dials port 0, and Go names it
  }
  if (uvError == UV_ETIMEDOUT) {
    return out + ": i/o timeout";  // the dial deadline, not the socket's own ETIMEDOUT
  }
  // libuv's texts for the connect errnos are the C library's, as Go's syscall.Errno prints them.
  return out + ": connect: " + uv_strerror(uvError);
}

}  // namespace gatehouse::proxy
