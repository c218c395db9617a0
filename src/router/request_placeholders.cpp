// {http.request.*}: the dispatch to the request's parts, and the placeholders of the host,
// the request line, the peer, the header fields and the exchange's own values.

#include "router/request_placeholders.h"

#include <arpa/inet.h>

#include <array>

#include "gatehouse/runtime/header_list.h"
#include "http/cookies.h"
#include "http/uri.h"
#include "router/body_capture.h"
#include "router/system_placeholders.h"
#include "router/unix_peer.h"

namespace gatehouse::router {

using runtime::Exchange;
using runtime::Request;

namespace {

std::string_view portOf(std::string_view hostport) {
  size_t colon = hostport.rfind(':');
  size_t bracket = hostport.rfind(']');
  if (colon == std::string_view::npos || (bracket != std::string_view::npos && colon < bracket)) {
    return {};
  }
  if (bracket == std::string_view::npos && hostport.find(':') != colon) {
    return {};
  }
  return hostport.substr(colon + 1);
}

// A port as Caddy prints {http.request.port}: the number Atoi reads ("0080" is 80), else the
// text as it is.
std::string goPort(std::string_view port) {
  int64_t n = 0;
  return readsAsInt(port, n) ? std::to_string(n) : std::string(port);
}

// The host part of a Host value as Caddy takes it: Go's SplitHostPort fails on "[::1]" (no
// port), and Caddy then uses the Host as it is, brackets kept.
std::string_view goHost(std::string_view host) {
  const bool bracketedNoPort = host.size() > 1 && host.front() == '[' && host.back() == ']';
  return bracketedNoPort ? host : http::hostWithoutPort(host);
}

// {http.request.host.labels.N}: the Nth label counting from the right (0 = TLD); past the
// leftmost label it is known but empty, as in Caddy.
bool hostLabel(std::string_view host, std::string_view index, std::string& out) {
  int64_t want = 0;
  if (!readsAsInt(index, want) || want < 0) {
    return false;
  }
  std::string_view h = goHost(host);
  out.clear();
  for (int64_t i = 0;; ++i) {
    size_t dot = h.rfind('.');
    std::string_view label = dot == std::string_view::npos ? h : h.substr(dot + 1);
    if (i == want) {
      out.assign(label);
      break;
    }
    if (dot == std::string_view::npos) {
      break;
    }
    h = h.substr(0, dot);
  }
  return true;
}

// host, host.labels.N, hostport, port.
bool hostPlaceholder(std::string_view key, const Request& r, std::string& out) {
  if (key == "host") {
    out.assign(goHost(r.host));
  } else if (key.starts_with("host.labels.")) {
    return hostLabel(r.host, key.substr(12), out);
  } else if (key == "hostport") {
    out = r.host;
  } else if (key == "port") {
    out = goPort(portOf(r.host));  // as Caddy: empty when the Host names no port
  } else {
    return false;
  }
  return true;
}

// {http.request.remote.host/V4,V6}: the client's network of V4 (IPv4) or V6 (IPv6, V4 when
// no comma) bits, as Go's netip.Prefix.String(); empty for bits Go rejects.
std::string remoteHostPrefix(const std::string& ip, std::string_view bits) {
  const size_t comma = bits.find(',');
  std::array<unsigned char, 16> addr{};
  const bool v4 = inet_pton(AF_INET, ip.c_str(), addr.data()) == 1;
  if (!v4 && inet_pton(AF_INET6, ip.c_str(), addr.data()) != 1) {
    return ip;  // not an IP address: Caddy gives the host as it is
  }
  if (!v4 && comma != std::string_view::npos) {
    bits = bits.substr(comma + 1);
  } else {
    bits = bits.substr(0, comma);
  }
  int64_t n = 0;
  const int64_t width = v4 ? 32 : 128;
  if (!readsAsInt(bits, n) || n < 0 || n > width) {
    return {};
  }
  for (int64_t i = n; i < width; ++i) {
    addr[static_cast<size_t>(i / 8)] &= static_cast<unsigned char>(~(0x80U >> (i % 8)));
  }
  std::array<char, INET6_ADDRSTRLEN> text{};
  inet_ntop(v4 ? AF_INET : AF_INET6, addr.data(), text.data(), text.size());
  return std::string(text.data()) + "/" + std::to_string(n);
}

// remote, remote.host, client_ip, remote.host/BITS, remote.port.
bool remotePlaceholder(std::string_view key, const Request& r, std::string& out) {
  if (key == "remote") {
    // A unix peer ("@" or a path) has no port: Go's RemoteAddr is the name alone.
    out = unixPeer(r.remoteIp)
              ? r.remoteIp
              : (r.remoteIp.find(':') != std::string::npos ? "[" + r.remoteIp + "]" : r.remoteIp) + ":" +
                    std::to_string(r.remotePort);
  } else if (key == "remote.host" || key == "client_ip") {
    out = r.remoteIp;
  } else if (key.starts_with("remote.host/")) {
    out = remoteHostPrefix(r.remoteIp, key.substr(12));
  } else if (key == "remote.port") {
    out = unixPeer(r.remoteIp) ? "" : std::to_string(r.remotePort);
  } else {
    return false;
  }
  return true;
}

// Fields Go's server takes out of Request.Header, so {http.request.header.*} never sees
// them: Host (it is Request.Host), Transfer-Encoding, and on a chunked request its
// Content-Length and Trailer fields.
bool fieldGoDropped(std::string_view name, const Request& r) {
  using runtime::equalsIgnoreCase;
  if (equalsIgnoreCase(name, "Host") || equalsIgnoreCase(name, "Transfer-Encoding")) {
    return true;
  }
  return r.bodyLength == Request::kChunked &&
         (equalsIgnoreCase(name, "Content-Length") || equalsIgnoreCase(name, "Trailer"));
}

// header.NAME: several fields of one name print comma-joined, as Caddy does. Host is not
// among the fields (Go moves it to Request.Host), so {header.Host} is empty, as in Caddy.
std::string headerValue(std::string_view name, const Request& r) {
  std::string out;
  if (fieldGoDropped(name, r)) {
    return out;
  }
  bool first = true;
  for (const auto& f : r.headers) {
    if (runtime::equalsIgnoreCase(f.name, name)) {
      if (!first) {
        out += ',';
      }
      out += f.value;
      first = false;
    }
  }
  return out;
}

// header.NAME and cookie.NAME.
bool fieldPlaceholder(std::string_view key, const Request& r, std::string& out) {
  if (key.starts_with("header.")) {
    out = headerValue(key.substr(7), r);
    return true;
  }
  if (key.starts_with("cookie.")) {
    auto value = http::requestCookieFold(r.headers, key.substr(7));
    if (!value) {
      return false;
    }
    out = std::move(*value);
    return true;
  }
  return false;
}

// method, scheme, proto, orig_method.
bool linePlaceholder(std::string_view key, const Request& r, std::string& out) {
  if (key == "method") {
    out = r.method;
  } else if (key == "scheme") {
    out = r.tls ? "https" : "http";
  } else if (key == "proto") {
    out = "HTTP/" + std::to_string(r.versionMajor) + "." + std::to_string(r.versionMinor);
  } else if (key == "orig_method") {
    out = r.method;  // unless a rewrite changed it: rewrite.cpp then sets this placeholder
  } else {
    return false;
  }
  return true;
}

// uuid, duration, duration_ms, body: values steps of this exchange made or keep.
bool exchangePlaceholder(std::string_view key, const Exchange& ex, std::string& out) {
  if (key == "uuid") {
    // Made by a step before the handler (handlers/request_uuid.h), kept as Caddy keeps it.
    const std::string* id = ex.var("uuid");
    if (id != nullptr) {
      out = *id;
    }
    return id != nullptr;
  }
  if (key == "duration" || key == "duration_ms") {
    requestDuration(ex, key == "duration_ms", out);
    return true;
  }
  if (key == "body") {
    // Known only once a capture step read the body (router/body_capture.h); elsewhere (a
    // matcher) it stays unknown, since rendering cannot wait for the client.
    auto capture = findBodyCapture(ex);
    if (capture) {
      out.assign(bodyPlaceholderValue(ex, *capture));
    }
    return capture.has_value();
  }
  return false;
}

}  // namespace

bool requestPlaceholder(std::string_view key, const Exchange& ex, std::string& out) {
  const Request& r = ex.request;
  if (key.starts_with("tls.")) {
    return tlsPlaceholder(key.substr(4), r.tlsInfo.get(), out);
  }
  if (key.starts_with("uri") || key.starts_with("orig_uri")) {
    return requestUriPlaceholder(key, r, out);
  }
  if (key.starts_with("host") || key == "port") {
    return hostPlaceholder(key, r, out);
  }
  if (key.starts_with("remote") || key == "client_ip") {
    return remotePlaceholder(key, r, out);
  }
  return exchangePlaceholder(key, ex, out) || linePlaceholder(key, r, out) || fieldPlaceholder(key, r, out);
}

}  // namespace gatehouse::router
