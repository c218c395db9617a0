#include "proxy/direct_request_fields.h"

#include <cstring>

#include "proxy/field_scan.h"
#include "router/unix_peer.h"

namespace gatehouse::proxy {

using runtime::equalsIgnoreCase;

namespace {

enum class Kind { Copy, Drop, General, Connection, AcceptEncoding, Range };

// By first letter, so that most fields cost one comparison or none.
Kind classify(std::string_view n) {
  switch (n.empty() ? '\0' : static_cast<char>(n.front() | 0x20)) {
    case 'a':
      return equalsIgnoreCase(n, "Accept-Encoding") ? Kind::AcceptEncoding : Kind::Copy;
    case 'c':
      if (equalsIgnoreCase(n, "Content-Length")) {
        return Kind::Drop;
      }
      return equalsIgnoreCase(n, "Connection") ? Kind::Connection : Kind::Copy;
    case 'h':
      return equalsIgnoreCase(n, "Host") ? Kind::General : Kind::Copy;
    case 'k':
      return equalsIgnoreCase(n, "Keep-Alive") ? Kind::Drop : Kind::Copy;
    case 'p':
      return equalsIgnoreCase(n, "Proxy-Connection") || equalsIgnoreCase(n, "Proxy-Authenticate") ||
                     equalsIgnoreCase(n, "Proxy-Authorization")
                 ? Kind::Drop
                 : Kind::Copy;
    case 'r':
      return equalsIgnoreCase(n, "Range") ? Kind::Range : Kind::Copy;
    case 't':
      if (equalsIgnoreCase(n, "Te")) {
        return Kind::General;
      }
      return equalsIgnoreCase(n, "Trailer") || equalsIgnoreCase(n, "Transfer-Encoding") ? Kind::Drop
                                                                                        : Kind::Copy;
    case 'u':
      // User-Agent goes right after Host, once (ProxyCall::buildHead, as Go's Request.write)
      return equalsIgnoreCase(n, "Upgrade") || equalsIgnoreCase(n, "User-Agent") ? Kind::Drop : Kind::Copy;
    case 'x':
      return equalsIgnoreCase(n, "X-Forwarded-For") || equalsIgnoreCase(n, "X-Forwarded-Proto") ||
                     equalsIgnoreCase(n, "X-Forwarded-Host")
                 ? Kind::General
                 : Kind::Copy;
    default:
      return Kind::Copy;
  }
}

bool badByte(unsigned char c) {
  return (c < 0x20 && c != '\t') || c == 0x7f;
}

bool safeValue(std::string_view v) {
  return plainFieldValue(v);  // the same bytes as !badByte, 16 at a time
}

// "Name: value\r\n" with Go's canonical name (textproto.CanonicalMIMEHeaderKey, which
// leaves a name with a byte >= 0x80 alone); false for a name or value that could split
// the head.
bool appendField(std::string& out, std::string_view name, std::string_view value) {
  if (name.empty() || !safeValue(value)) {
    return false;
  }
  bool ascii = true;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (badByte(u) || c == ':' || c == ' ') {
      return false;
    }
    ascii = ascii && u < 0x80;
  }
  const size_t at = out.size();
  out.append(name);
  if (ascii) {
    bool start = true;
    for (size_t i = at; i < out.size(); ++i) {
      char& c = out[i];
      if (start && c >= 'a' && c <= 'z') {
        c = static_cast<char>(c - 32);
      } else if (!start && c >= 'A' && c <= 'Z') {
        c = static_cast<char>(c + 32);
      }
      start = c == '-';
    }
  }
  out.append(": ").append(value).append("\r\n");
  return true;
}

// Copies a literal's bytes (its size known here, so the copy is a few moves).
template <size_t N>
char* put(char* to, const char (&text)[N]) {
  std::memcpy(to, text, N - 1);
  return to + N - 1;
}

char* put(char* to, std::string_view text) {
  std::memcpy(to, text.data(), text.size());
  return to + text.size();
}

// The three fields Caddy adds to every proxied request, with one size check (seven appends
// each checked the capacity and called memcpy).
void appendForwarded(std::string& head, std::string_view ip, bool tls, std::string_view host) {
  constexpr std::string_view kFor = "X-Forwarded-For: ";
  constexpr std::string_view kProto = "\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: ";
  const size_t at = head.size();
  head.resize(at + kFor.size() + ip.size() + kProto.size() - (tls ? 0 : 1) + host.size() + 2);
  char* p = put(head.data() + at, "X-Forwarded-For: ");
  p = put(p, ip);
  p = tls ? put(p, "\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: ")
          : put(p, "\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Host: ");
  p = put(p, host);
  put(p, "\r\n");
}

}  // namespace

DirectFields appendDirectFields(std::string& head, const runtime::Request& req, DirectFieldFacts& facts) {
  bool aeSeen = false;
  bool rangeSeen = false;
  facts = DirectFieldFacts{};
  if (router::unixPeer(req.remoteIp)) {
    return DirectFields::General;  // no X-Forwarded-* for a unix peer (setForwardedHeaders)
  }
  for (const auto& f : req.headers) {
    switch (classify(f.name)) {
      case Kind::General:
        return DirectFields::General;
      case Kind::Drop:
        continue;
      case Kind::Connection:
        // "keep-alive" names only Keep-Alive, dropped anyway (browsers send it).
        if (!equalsIgnoreCase(f.value, "keep-alive")) {
          return DirectFields::General;
        }
        continue;
      case Kind::AcceptEncoding:
        facts.acceptEncoding = aeSeen ? facts.acceptEncoding : !f.value.empty();
        aeSeen = true;
        break;
      case Kind::Range:
        facts.range = rangeSeen ? facts.range : !f.value.empty();
        rangeSeen = true;
        break;
      case Kind::Copy:
        break;
    }
    if (!appendField(head, f.name, f.value)) {
      return DirectFields::Unsafe;
    }
  }
  if (!safeValue(req.host) || !safeValue(req.remoteIp)) {
    return DirectFields::Unsafe;
  }
  appendForwarded(head, req.remoteIp, req.tls, req.host);
  return DirectFields::Written;
}

}  // namespace gatehouse::proxy
