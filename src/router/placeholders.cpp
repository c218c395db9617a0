#include "router/placeholders.h"

#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <string>

#include "gatehouse/runtime/header_list.h"
#include "http/cookies.h"
#include "http/exchange_notes.h"
#include "http/status.h"
#include "http/uri.h"
#include "router/body_capture.h"
#include "router/go_atoi.h"
#include "router/proxy_placeholders.h"
#include "router/shutdown_placeholders.h"
#include "router/system_placeholders.h"
#include "router/unix_peer.h"
#include "tls/client_cert_fields.h"

namespace gatehouse::router {

using runtime::Exchange;

namespace {

bool startsWith(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}

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

// Go's strconv.Atoi, true when it reads the text: an index placeholder Go cannot read stays
// unknown (std::stoul would throw on one too long).
bool readsAsInt(std::string_view s, int64_t& out) {
  return goAtoi(s, out) == AtoiError::None;
}

// A port as Caddy prints {http.request.port}: the number Atoi reads ("0080" is 80), else the
// text as it is.
std::string goPort(std::string_view port) {
  int64_t n = 0;
  return readsAsInt(port, n) ? std::to_string(n) : std::string(port);
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

// Every value of `name` in a raw query string, joined with ',' as Caddy's
// {http.request.uri.query.*}; pairs are read as Go's url.ParseQuery (keys decoded too,
// a pair with ';' skipped). False when the name is absent.
bool queryValue(std::string_view query, std::string_view name, std::string& out) {
  bool found = false;
  out.clear();
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty() || pair.find(';') != std::string_view::npos) {
      continue;
    }
    size_t eq = pair.find('=');
    if (http::queryUnescape(pair.substr(0, eq)) != name) {
      continue;
    }
    if (found) {
      out += ',';
    }
    found = true;
    out += http::queryUnescape(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
  }
  return found;
}

// Fields Go's server takes out of Request.Header, so {http.request.header.*} never sees
// them: Host (it is Request.Host), Transfer-Encoding, and on a chunked request its
// Content-Length and Trailer fields.
bool fieldGoDropped(std::string_view name, const runtime::Request& r) {
  using runtime::equalsIgnoreCase;
  if (equalsIgnoreCase(name, "Host") || equalsIgnoreCase(name, "Transfer-Encoding")) {
    return true;
  }
  return r.bodyLength == runtime::Request::kChunked &&
         (equalsIgnoreCase(name, "Content-Length") || equalsIgnoreCase(name, "Trailer"));
}

// {http.error}: the error itself as Go prints a caddyhttp.HandlerError,
// "{id=ID} TRACE: HTTP STATUS: MESSAGE".
// "{id=ID} TRACE: HTTP STATUS: MESSAGE", without ": MESSAGE" when the error has no Go
// cause (file_server's 404), trimmed as strings.TrimSpace.
void errorText(const Exchange& ex, std::string& out) {
  const runtime::HandlerError& err = ex.error;
  out = "{id=" + err.id + "}";
  if (*err.trace != '\0') {
    out += ' ';
    out += err.trace;
  }
  out += ": HTTP " + std::to_string(err.status);
  if (http::errorHasCause(ex)) {
    out += ": " + err.message;
  }
  while (!out.empty() && std::isspace(static_cast<unsigned char>(out.back())) != 0) {
    out.pop_back();
  }
}

// {http.error.*}: set only while handle_errors routes run, as Caddy's WithError.
bool errorPlaceholder(std::string_view key, const runtime::HandlerError& err, std::string& out) {
  if (key == "status_code") {
    out = std::to_string(err.status);
  } else if (key == "status_text") {
    out.assign(http::reasonPhrase(err.status));
  } else if (key == "message") {
    out = err.message;  // Exchange::fail fills in the status text when a handler gives none
  } else if (key == "id") {
    out = err.id;
  } else if (key == "trace") {
    out = err.trace;
  } else {
    return false;
  }
  return true;
}

// {http.request.tls.*}: unknown (false) on cleartext requests, as in Caddy.
bool tlsPlaceholder(std::string_view field, const runtime::TlsInfo* tls, std::string& out) {
  if (tls == nullptr) {
    return false;
  }
  std::string lower(field);  // Caddy lower-cases the field: {http.request.tls.VERSION}
  for (char& c : lower) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  const std::string_view key = lower;
  if (key == "version") {
    out = tls->version;
  } else if (key == "cipher_suite") {
    out = tls->cipherSuite;
  } else if (key == "proto") {
    out = tls->proto;
  } else if (key == "proto_mutual") {
    out = "true";
  } else if (key == "server_name") {
    out = tls->serverName;
  } else if (key == "resumed") {
    out = tls->resumed ? "true" : "false";
  } else if (startsWith(key, "client.")) {
    if (!tls->hasClientCert) {
      return false;
    }
    std::string_view k = key.substr(7);
    if (k == "subject") {
      out = tls->clientSubject;
    } else if (k == "issuer") {
      out = tls->clientIssuer;
    } else if (k == "serial") {
      out = tls->clientSerial;
    } else if (k == "fingerprint") {
      out = tls->clientFingerprint;
    } else if (k == "certificate_pem") {
      out = tls->clientCertificatePem;
    } else {
      return tls::clientCertField(k, tls->clientCertificatePem, out);
    }
  } else {
    return false;
  }
  return true;
}

bool requestPlaceholder(std::string_view key, const Exchange& ex, std::string& out) {
  const auto& r = ex.request;
  if (startsWith(key, "tls.")) {
    return tlsPlaceholder(key.substr(4), r.tlsInfo.get(), out);
  }
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
  if (key == "host") {
    // Go's SplitHostPort fails on "[::1]" (no port): Caddy then gives the Host as it is.
    const bool bracketedNoPort = r.host.size() > 1 && r.host.front() == '[' && r.host.back() == ']';
    out.assign(bracketedNoPort ? std::string_view(r.host) : http::hostWithoutPort(r.host));
  } else if (startsWith(key, "host.labels.")) {
    // {http.request.host.labels.N}: the Nth label counting from the right (0 = TLD); past the
    // leftmost label it is known but empty, as in Caddy.
    int64_t want = 0;
    if (!readsAsInt(key.substr(12), want) || want < 0) {
      return false;
    }
    std::string_view h = http::hostWithoutPort(r.host);
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
  } else if (key == "hostport") {
    out = r.host;
  } else if (key == "port") {
    out = goPort(portOf(r.host));  // as Caddy: empty when the Host names no port
  } else if (key == "method") {
    out = r.method;
  } else if (key == "scheme") {
    out = r.tls ? "https" : "http";
  } else if (key == "proto") {
    out = "HTTP/" + std::to_string(r.versionMajor) + "." + std::to_string(r.versionMinor);
  } else if (key == "uri") {
    out = r.uri();
  } else if (key == "uri.path") {
    out = r.path;
  } else if (key == "uri.path.file") {
    size_t slash = r.path.rfind('/');
    out = r.path.substr(slash == std::string::npos ? 0 : slash + 1);
  } else if (key == "uri.path.dir") {
    size_t slash = r.path.rfind('/');
    out = slash == std::string::npos ? "" : r.path.substr(0, slash + 1);
  } else if (key == "uri.query") {
    out = r.query;
  } else if (startsWith(key, "uri.query.")) {
    if (!queryValue(r.query, key.substr(10), out)) {
      out.clear();
    }
  } else if (key == "uri.path.file.base" || key == "uri.path.file.ext") {
    // Go's path.Base without path.Ext, and path.Ext
    std::string_view p = r.path;
    while (p.size() > 1 && p.back() == '/') {
      p.remove_suffix(1);
    }
    const size_t slash = p.rfind('/');
    std::string_view base = p.empty()
                                ? std::string_view(".")
                                : (p == "/" ? p : p.substr(slash == std::string_view::npos ? 0 : slash + 1));
    const size_t lastSlash = r.path.rfind('/');
    const size_t dot = r.path.rfind('.');
    const std::string_view ext =
        dot == std::string::npos || (lastSlash != std::string::npos && dot < lastSlash)
            ? std::string_view()
            : std::string_view(r.path).substr(dot);
    if (key.ends_with(".ext")) {
      out.assign(ext);
    } else {
      out.assign(base.ends_with(ext) ? base.substr(0, base.size() - ext.size()) : base);
    }
  } else if (startsWith(key, "cookie.")) {
    auto value = http::requestCookieFold(r.headers, key.substr(7));
    if (!value) {
      return false;
    }
    out = std::move(*value);
  } else if (startsWith(key, "uri.path.")) {
    // {http.request.uri.path.N}: the Nth segment of the path.
    int64_t want = 0;
    if (!readsAsInt(key.substr(9), want) || want < 0) {
      return false;
    }
    std::string_view p = r.path;
    if (!p.empty() && p.front() == '/') {
      p.remove_prefix(1);
    }
    out.clear();
    for (int64_t i = 0; i <= want; ++i) {
      size_t slash = p.find('/');
      if (i == want) {
        out.assign(p.substr(0, slash));
      }
      if (slash == std::string_view::npos) {
        break;
      }
      p.remove_prefix(slash + 1);
    }
  } else if (key == "orig_uri") {
    out = r.origUri;
  } else if (key == "orig_uri.path" || key == "orig_uri.path.dir" || key == "orig_uri.path.file") {
    // Go's URL.Path: decoded, and without the scheme and authority of an absolute-form target
    std::string_view target = r.origUri;
    target = target.substr(0, target.find('?'));
    if (!target.empty() && target.front() != '/' && target != "*") {
      const size_t authority = target.find("://");
      const size_t slash = authority == std::string_view::npos ? 0 : target.find('/', authority + 3);
      target = slash == std::string_view::npos ? std::string_view() : target.substr(slash);
    }
    auto decoded = http::percentDecode(target);
    out = decoded ? *decoded : std::string(target);
    if (key != "orig_uri.path") {  // path.Split, as for uri.path.dir / uri.path.file
      const size_t slash = out.rfind('/');
      out = key.ends_with(".dir") ? (slash == std::string::npos ? "" : out.substr(0, slash + 1))
                                  : out.substr(slash == std::string::npos ? 0 : slash + 1);
    }
  } else if (key == "orig_method") {
    out = r.method;  // unless a rewrite changed it: rewrite.cpp then sets this placeholder
  } else if (key == "orig_uri.query") {
    size_t q = r.origUri.find('?');
    out = q == std::string::npos ? "" : r.origUri.substr(q + 1);
  } else if (key == "orig_uri.prefixed_query" || key == "uri.prefixed_query") {
    // Caddy 2.7's: "?" and the query, or nothing for an empty query (php_fastcgi's redirect).
    std::string query = r.query;
    if (key.starts_with("orig")) {
      size_t q = r.origUri.find('?');
      query = q == std::string::npos ? "" : r.origUri.substr(q + 1);
    }
    out = query.empty() ? "" : "?" + query;
  } else if (key == "remote") {
    // A unix peer ("@" or a path) has no port: Go's RemoteAddr is the name alone.
    out = unixPeer(r.remoteIp)
              ? r.remoteIp
              : (r.remoteIp.find(':') != std::string::npos ? "[" + r.remoteIp + "]" : r.remoteIp) + ":" +
                    std::to_string(r.remotePort);
  } else if (key == "remote.host" || key == "client_ip") {
    out = r.remoteIp;
  } else if (startsWith(key, "remote.host/")) {
    out = remoteHostPrefix(r.remoteIp, key.substr(12));
  } else if (key == "remote.port") {
    out = unixPeer(r.remoteIp) ? "" : std::to_string(r.remotePort);
  } else if (startsWith(key, "header.")) {
    std::string_view name = key.substr(7);
    // Several fields of one name print comma-joined, as Caddy does. Host is not among
    // the fields (Go moves it to Request.Host), so {header.Host} is empty, as in Caddy.
    out.clear();
    if (fieldGoDropped(name, r)) {
      return true;
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
  } else {
    return false;
  }
  return true;
}

}  // namespace

void setPlaceholder(Exchange& ex, std::string_view key, std::string value) {
  std::string name(kSetPlaceholderPrefix);
  name += key;
  ex.setCapture(std::move(name), std::move(value));
}

const std::string* findSetPlaceholder(const Exchange& ex, std::string_view key) {
  for (const auto& [name, value] : ex.captures) {
    std::string_view n = name;
    if (n.size() == kSetPlaceholderPrefix.size() + key.size() && n.starts_with(kSetPlaceholderPrefix) &&
        n.ends_with(key)) {
      return &value;
    }
  }
  return nullptr;
}

void setNilPlaceholder(Exchange& ex, std::string_view key) {
  setPlaceholder(ex, key, {});
  std::string name(kNilPlaceholderPrefix);
  name += key;
  ex.setCapture(std::move(name), "1");
}

bool placeholderIsNil(std::string_view key, const Exchange& ex) {
  std::string value;
  if (!lookupPlaceholder(key, ex, value)) {
    return true;
  }
  if (key.starts_with("http.vars.") && key != "http.vars.start_time") {
    return ex.var(key.substr(10)) == nullptr;
  }
  if (value.empty() && !ex.captures.empty()) {
    std::string name(kNilPlaceholderPrefix);
    name += key;
    return std::any_of(ex.captures.begin(), ex.captures.end(),
                       [&](const auto& c) { return c.first == name; });
  }
  return false;
}

bool lookupPlaceholder(std::string_view key, const Exchange& ex, std::string& out) {
  if (const std::string* set = findSetPlaceholder(ex, key)) {
    out = *set;
    return true;
  }
  if (startsWith(key, "http.request.")) {
    return requestPlaceholder(key.substr(13), ex, out);
  }
  if (startsWith(key, "http.vars.")) {
    const std::string* v = ex.var(key.substr(10));
    out = v ? *v : std::string();
    if (v == nullptr && key == "http.vars.start_time") {
      appendGoTimeAt(out, ex.request.start);  // the var Caddy sets on every request
    }
    return true;
  }
  if (startsWith(key, "http.regexp.")) {
    std::string_view k = key.substr(12);
    for (const auto& [name, value] : ex.captures) {
      if (name == k) {
        out = value;
        return true;
      }
    }
    return false;
  }
  if (startsWith(key, "http.reverse_proxy.")) {
    // handle_response's published values first (the upstream's fields, its status line),
    // then what the proxy recorded.
    const std::string_view k = key.substr(19);
    for (const auto& [name, value] : ex.captures) {
      if (name.size() == kProxyCapturePrefix.size() + k.size() && name.starts_with(kProxyCapturePrefix) &&
          name.ends_with(k)) {
        out = value;
        return true;
      }
    }
    return upstreamFactPlaceholder(k, ex.upstream, out);
  }
  if (startsWith(key, "http.matchers.file.")) {
    std::string k = std::string(kFileMatcherCapturePrefix) + std::string(key.substr(19));
    for (const auto& [name, value] : ex.captures) {
      if (name == k) {
        out = value;
        return true;
      }
    }
    return false;
  }
  if (shutdownPlaceholder(key, ex, out)) {
    return true;
  }
  if (key == "http.response.header.Server") {
    out.assign(ex.response.headers.get("Server"));
    return true;
  }
  if (startsWith(key, "http.response.header.")) {
    out.assign(ex.response.headers.get(key.substr(21)));
    return true;
  }
  if (startsWith(key, "http.error.") && ex.error.status != 0 && !ex.error.plain) {
    return errorPlaceholder(key.substr(11), ex.error, out);
  }
  if (key == "http.error" && ex.error.status != 0 && !ex.error.plain) {
    errorText(ex, out);
    return true;
  }
  if (startsWith(key, "env.")) {
    const char* v = std::getenv(std::string(key.substr(4)).c_str());
    out = v ? v : "";
    return true;
  }
  if (startsWith(key, "system.")) {
    return systemPlaceholder(key.substr(7), out);
  }
  if (key == "time.now") {
    out.clear();
    appendGoTimeNow(out);
    return true;
  }
  if (startsWith(key, "time.now")) {
    auto now = std::chrono::system_clock::now().time_since_epoch();
    if (key == "time.now.unix") {
      out = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now).count());
      return true;
    }
    if (key == "time.now.unix_ms") {
      out = std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
      return true;
    }
    if (key == "time.now.year" || key == "time.now.common_log") {
      const std::time_t t = std::chrono::duration_cast<std::chrono::seconds>(now).count();
      std::tm tm{};
      localtime_r(&t, &tm);
      std::array<char, 64> buf{};
      const char* fmt = key == "time.now.year" ? "%Y" : "%d/%b/%Y:%H:%M:%S %z";
      out.assign(buf.data(), std::strftime(buf.data(), buf.size(), fmt, &tm));
      return true;
    }
    return false;
  }
  return false;
}

Template::Template(std::string_view text) : source_(text) {
  std::string lit;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\\' && i + 1 < text.size() && (text[i + 1] == '{' || text[i + 1] == '}')) {
      lit += text[++i];
      continue;
    }
    if (c == '{') {
      size_t close = text.find('}', i + 1);
      // As Caddy's replacer: a key runs to the first '}' not escaped with '\\', unless
      // that brace ends the text; with no such brace the '{' is literal.
      while (close != std::string_view::npos && close + 1 < text.size() && text[close - 1] == '\\') {
        close = text.find('}', close + 1);
      }
      if (close != std::string_view::npos) {  // "{}" too: its empty key is unknown
        if (!lit.empty()) {
          parts_.push_back(Part{std::move(lit), false});
          lit.clear();
        }
        parts_.push_back(Part{std::string(text.substr(i + 1, close - i - 1)), true});
        literal_ = false;
        i = close;
        continue;
      }
    }
    lit += c;
  }
  if (!lit.empty()) {
    parts_.push_back(Part{std::move(lit), false});
  }
}

void Template::renderTo(std::string& out, const Exchange& ex, Unknown unknown) const {
  std::string value;
  for (const auto& p : parts_) {
    if (!p.key) {
      out += p.text;
    } else if (lookupPlaceholder(p.text, ex, value)) {
      out += value;
    } else if (unknown == Unknown::Keep) {
      // Caddy's ReplaceKnown keeps an unknown "{..." and scans on from the next byte, so a
      // placeholder inside it still expands (respond `{"path": "{path}"}`) and an escaped
      // brace in it loses its '\\' (`{path\\}` prints "{path}").
      out += '{';
      Template(p.text + "}").renderTo(out, ex, unknown);
    }
  }
}

std::string Template::renderEmptyAs(const Exchange& ex, std::string_view empty) const {
  std::string out;
  std::string value;
  for (const auto& p : parts_) {
    if (!p.key) {
      out += p.text;
    } else if (lookupPlaceholder(p.text, ex, value) && !value.empty()) {
      out += value;
    } else {
      out += empty;
    }
  }
  return out;
}

std::string Template::render(const Exchange& ex, Unknown unknown) const {
  if (literal_) {
    return parts_.empty() ? std::string() : parts_.front().text;
  }
  std::string out;
  renderTo(out, ex, unknown);
  return out;
}

}  // namespace gatehouse::router
