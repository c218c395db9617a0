#include "proxy/upstream_transport.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>

#include "provision/runtime.h"
#include "proxy/upstream_tls.h"

namespace gatehouse::proxy {

bool TransportConfig::usesTls(const UpstreamAddress& address) const {
  return tls && (address.unix || tls->appliesToPort(address.port));
}

DialOptions TransportConfig::dialOptions(const UpstreamAddress& address, const runtime::Request& req) const {
  DialOptions o;
  if (usesTls(address)) {
    o.tls = tls.get();
    // Go's transport offers no ALPN when it is HTTP/1.1 only or the request is an upgrade
    // (its NextProtos is empty there); an h2-capable one offers protocols on every dial.
    if (h2 && req.upgrade.empty()) {
      o.alpn = kAlpnHttp11;
    }
  }
  if (proxyProtocol != ProxyProtocol::Off && !address.unix) {
    o.proxyHeader = proxyProtocolHeader(proxyProtocol, req.remoteIp, req.remotePort, address.addr);
  }
  if (localAddress && !address.unix) {
    o.localAddress = &*localAddress;
  }
  o.fallbackDelay = fallbackDelay;
  o.dialTimeout = dialTimeout;
  o.keepAliveProbe = keepAliveProbe;
  o.readTimeout = readTimeout;
  o.writeTimeout = writeTimeout;
  return o;
}

bool TransportConfig::wantsGzip(const runtime::HeaderList& h, std::string_view method) const {
  return compression && h.get("Accept-Encoding").empty() && h.get("Range").empty() && method != "HEAD";
}

std::chrono::milliseconds TransportConfig::parseFallbackDelay(const config::Json& value,
                                                              const std::string& path) {
  using std::chrono::milliseconds;
  if (value.is_number_integer() && value.get<int64_t>() < 0) {
    return std::min(milliseconds(value.get<int64_t>() / 1'000'000), milliseconds(-1));
  }
  if (value.is_string() && value.get<std::string>().starts_with("-")) {
    const milliseconds d = provision::parseDuration(config::Json(value.get<std::string>().substr(1)), path);
    return std::min(-d, milliseconds(-1));
  }
  return provision::parseDuration(value, path);
}

std::optional<sockaddr_storage> TransportConfig::parseLocalAddress(const std::string& text) {
  std::string host = text;
  int port = 0;
  auto colon = text.rfind(':');
  const bool bracketed = !text.empty() && text.front() == '[';
  if (colon != std::string::npos && (bracketed || text.find(':') == colon)) {
    host = text.substr(0, colon);
    const std::string p = text.substr(colon + 1);
    if (p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(p) > 65535) {
      return std::nullopt;
    }
    port = std::stoi(p);
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  sockaddr_storage s{};
  if (uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(&s)) == 0) {
    return s;
  }
  if (uv_ip6_addr(host.c_str(), port, reinterpret_cast<sockaddr_in6*>(&s)) == 0) {
    return s;
  }
  return std::nullopt;
}

}  // namespace gatehouse::proxy
