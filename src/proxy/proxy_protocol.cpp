#include "proxy/proxy_protocol.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

namespace gatehouse::proxy {

namespace {

constexpr char kV2Signature[] = "\r\n\r\n\0\r\nQUIT\n";  // 12 bytes

struct Endpoint {
  int family = AF_UNSPEC;
  unsigned char addr[16]{};
  uint16_t port = 0;  // host order
};

Endpoint fromText(const std::string& ip, uint16_t port) {
  Endpoint e;
  std::string bare = ip;
  if (auto pct = bare.find('%'); pct != std::string::npos) {
    bare.resize(pct);  // zone
  }
  if (inet_pton(AF_INET, bare.c_str(), e.addr) == 1) {
    e.family = AF_INET;
  } else if (inet_pton(AF_INET6, bare.c_str(), e.addr) == 1) {
    e.family = AF_INET6;
  }
  e.port = port;
  return e;
}

Endpoint fromSockaddr(const sockaddr_storage& s) {
  Endpoint e;
  if (s.ss_family == AF_INET) {
    const auto& a = reinterpret_cast<const sockaddr_in&>(s);
    e.family = AF_INET;
    std::memcpy(e.addr, &a.sin_addr, 4);
    e.port = ntohs(a.sin_port);
  } else if (s.ss_family == AF_INET6) {
    const auto& a = reinterpret_cast<const sockaddr_in6&>(s);
    e.family = AF_INET6;
    std::memcpy(e.addr, &a.sin6_addr, 16);
    e.port = ntohs(a.sin6_port);
  }
  return e;
}

// An IPv4 source towards an IPv6 upstream (or back) is sent in the IPv6 form, v4-mapped.
void mapToV6(Endpoint& e) {
  if (e.family != AF_INET) {
    return;
  }
  unsigned char v6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  std::memcpy(v6 + 12, e.addr, 4);
  std::memcpy(e.addr, v6, 16);
  e.family = AF_INET6;
}

std::string text(const Endpoint& e) {
  char buf[INET6_ADDRSTRLEN] = {0};
  inet_ntop(e.family, e.addr, buf, sizeof(buf));
  return buf;
}

std::string v1(const Endpoint& src, const Endpoint& dst) {
  if (src.family == AF_UNSPEC || dst.family == AF_UNSPEC) {
    return "PROXY UNKNOWN\r\n";
  }
  return std::string("PROXY ") + (src.family == AF_INET ? "TCP4 " : "TCP6 ") + text(src) + " " + text(dst) +
         " " + std::to_string(src.port) + " " + std::to_string(dst.port) + "\r\n";
}

std::string v2(const Endpoint& src, const Endpoint& dst) {
  std::string out(kV2Signature, 12);
  if (src.family == AF_UNSPEC || dst.family == AF_UNSPEC) {
    out.push_back(static_cast<char>(0x20));  // version 2, LOCAL
    out.push_back(0);                        // UNSPEC
    out.append(2, '\0');
    return out;
  }
  const bool v4 = src.family == AF_INET;
  const size_t alen = v4 ? 4 : 16;
  out.push_back(static_cast<char>(0x21));              // version 2, PROXY
  out.push_back(static_cast<char>(v4 ? 0x11 : 0x21));  // TCP over IPv4 / IPv6
  const auto len = static_cast<uint16_t>(2 * alen + 4);
  out.push_back(static_cast<char>(len >> 8));
  out.push_back(static_cast<char>(len & 0xff));
  out.append(reinterpret_cast<const char*>(src.addr), alen);
  out.append(reinterpret_cast<const char*>(dst.addr), alen);
  for (uint16_t p : {src.port, dst.port}) {
    out.push_back(static_cast<char>(p >> 8));
    out.push_back(static_cast<char>(p & 0xff));
  }
  return out;
}

}  // namespace

std::string proxyProtocolHeader(ProxyProtocol version, const std::string& clientIp, uint16_t clientPort,
                                const sockaddr_storage& upstream) {
  Endpoint src = fromText(clientIp, clientPort);
  Endpoint dst = fromSockaddr(upstream);
  if (src.family != dst.family && src.family != AF_UNSPEC && dst.family != AF_UNSPEC) {
    mapToV6(src);
    mapToV6(dst);
  }
  switch (version) {
    case ProxyProtocol::V1:
      return v1(src, dst);
    case ProxyProtocol::V2:
      return v2(src, dst);
    case ProxyProtocol::Off:
      break;
  }
  return {};
}

}  // namespace gatehouse::proxy
