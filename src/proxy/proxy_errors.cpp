#include "proxy/proxy_errors.h"

#include <uv.h>

#include <fstream>
#include <sstream>

namespace gatehouse::proxy {

std::string goNameserver(std::string_view resolvConf) {
  std::istringstream lines{std::string(resolvConf)};
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string key;
    std::string addr;
    if (words >> key >> addr && key == "nameserver") {
      return addr.find(':') != std::string::npos ? "[" + addr + "]:53" : addr + ":53";
    }
  }
  return "127.0.0.1:53";  // Go's default when resolv.conf names none
}

std::string systemNameserver() {
  std::ifstream in("/etc/resolv.conf");
  std::ostringstream text;
  text << in.rdbuf();
  return goNameserver(text.str());
}

std::string noSuchHostText(const std::string& host, const std::string& nameserver) {
  return "dial tcp: lookup " + host + " on " + nameserver + ": no such host";
}

std::string dialErrorText(const UpstreamAddress& address, int uvError, const std::string& nameserver) {
  if (address.resolve && address.family == AF_UNSPEC && !address.unix &&
      (uvError == UV_EAI_NONAME || uvError == UV_EAI_NODATA)) {
    return noSuchHostText(address.host, nameserver);
  }
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
