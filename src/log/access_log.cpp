#include "log/access_log.h"

#include <algorithm>
#include <chrono>

#include "http/exchange_notes.h"
#include "http/uri.h"
#include "log/error_log.h"
#include "router/placeholders.h"
#include "router/unix_peer.h"
#include "tls/tls_numbers.h"

namespace gatehouse::log {

using config::Json;
using runtime::Exchange;

namespace {

constexpr std::string_view kAccessLogger = "http.log.access";

bool isCredential(std::string_view name) {
  return runtime::equalsIgnoreCase(name, "Cookie") || runtime::equalsIgnoreCase(name, "Set-Cookie") ||
         runtime::equalsIgnoreCase(name, "Authorization") ||
         runtime::equalsIgnoreCase(name, "Proxy-Authorization");
}

// Go's http.Header as Caddy logs it: canonical names, every value in an array, credentials
// as empty arrays unless the server logs them.
Json headerObject(const runtime::HeaderList& headers, bool logCredentials) {
  Json out = Json::object();
  for (const auto& f : headers) {
    std::string name = runtime::canonicalHeaderName(f.name);
    Json& values = out[name];
    if (!values.is_array()) {
      values = Json::array();
    }
    if (logCredentials || !isCredential(name)) {
      values.push_back(f.value);
    }
  }
  return out;
}

// As Go's Request.Proto: "HTTP/2.0" for HTTP/2 (versionMajor 2, minor 0), not "HTTP/1.0".
std::string protoOf(const runtime::Request& r) {
  if (r.versionMajor == 2) {
    return "HTTP/2.0";
  }
  return "HTTP/1." + std::to_string(r.versionMinor);  // Go's Proto as sent: "HTTP/1.2" too
}

// Go's tls.ConnectionState as Caddy 2.6.2 logs it (LoggableTLSConnState): wire numbers for
// the version and cipher suite, and the client certificate's CN and serial when there is one.
Json tlsObject(const runtime::TlsInfo& t) {
  Json out = Json::object();
  out["resumed"] = t.resumed;
  out["version"] = tls::versionNumber(t.version);
  out["cipher_suite"] = tls::cipherSuiteNumber(t.cipherSuite);
  out["proto"] = t.proto;
  out["server_name"] = t.serverName;
  if (t.hasClientCert) {
    out["client_common_name"] = tls::commonName(t.clientSubject);
    out["client_serial"] = t.clientSerial;
  }
  return out;
}

// certmagic.MatchWildcard: case-insensitive; a '*' pattern matches when replacing the
// subject's labels with '*', one more from the left each time, gives it.
bool matchWildcard(std::string_view subject, std::string_view wildcard) {
  if (runtime::equalsIgnoreCase(subject, wildcard)) {
    return true;
  }
  if (wildcard.find('*') == std::string_view::npos) {
    return false;
  }
  std::string labels(subject);
  for (size_t start = 0; start <= labels.size();) {
    size_t dot = labels.find('.', start);
    size_t end = dot == std::string::npos ? labels.size() : dot;
    if (end > start) {
      labels.replace(start, end - start, "*");
      end = start + 1;
      if (runtime::equalsIgnoreCase(labels, wildcard)) {
        return true;
      }
    }
    start = end + 1;
  }
  return false;
}

}  // namespace

const std::vector<std::string>* AccessLog::mapped(std::string_view host) const {
  auto find = [&](std::string_view key) -> const std::vector<std::string>* {
    auto it = config_.loggerNames.find(std::string(key));
    if (it != config_.loggerNames.end()) {
      return &it->second;
    }
    it = config_.loggerNames.find(std::string(http::hostWithoutPort(key)));
    return it == config_.loggerNames.end() ? nullptr : &it->second;
  };
  if (const auto* names = find(host)) {
    return names;
  }
  // Wildcards, one label at a time from the left: "*.example.com", "*.*.com" ... over the
  // Host as sent, so caddy 2.6.2's keys with a port ("*.example.com:8080") match too.
  std::string labels(host);
  for (size_t start = 0; start < labels.size();) {
    size_t dot = labels.find('.', start);
    size_t end = dot == std::string::npos ? labels.size() : dot;
    if (end > start) {
      labels.replace(start, end - start, "*");
      end = start + 1;
      if (const auto* names = find(labels)) {
        return names;
      }
    }
    start = end + 1;
  }
  return nullptr;
}

std::vector<std::string> AccessLog::loggersFor(std::string_view host) const {
  const auto* names = mapped(host);
  if (names == nullptr) {
    // skip_hosts keep the port of a site on a non-standard port ("d.test:8080"): caddy
    // 2.6.2 matches them against the Host as sent, newer Caddy against the host alone.
    const std::string_view bare = http::hostWithoutPort(host);
    auto skips = [&](const std::string& dh) { return matchWildcard(host, dh) || matchWildcard(bare, dh); };
    if (config_.skipUnmappedHosts || std::any_of(config_.skipHosts.begin(), config_.skipHosts.end(), skips)) {
      return {};
    }
  }
  std::vector<std::string> out;
  auto add = [&](const std::string& name) {
    std::string full(kAccessLogger);
    if (!name.empty()) {
      full.push_back('.');
      full.append(name);
    }
    out.push_back(std::move(full));
  };
  if (names != nullptr && !names->empty()) {
    std::for_each(names->begin(), names->end(), add);
  } else {
    add(config_.defaultLoggerName);
  }
  return out;
}

Json requestObject(const runtime::Request& req, bool logCredentials) {
  Json request = Json::object();
  request["remote_ip"] = req.remoteIp;
  request["remote_port"] = router::unixPeer(req.remoteIp) ? "" : std::to_string(req.remotePort);
  request["client_ip"] = req.remoteIp;  // no trusted proxies: the peer is the client
  request["proto"] = protoOf(req);
  request["method"] = req.method;
  request["host"] = req.host;
  request["uri"] = req.origUri;
  request["headers"] = headerObject(req.headers, logCredentials);
  if (req.tlsInfo) {
    request["tls"] = tlsObject(*req.tlsInfo);
  }
  return request;
}

Json AccessLog::fields(const Exchange& ex) const {
  const auto& req = ex.request;
  const auto& res = ex.response;
  Json f = Json::object();
  f["request"] = requestObject(req, config_.logCredentials);
  f["bytes_read"] = req.bodyBytesRead;
  const std::string* user = router::findSetPlaceholder(ex, "http.auth.user.id");
  f["user_id"] = user != nullptr ? *user : "";
  const auto elapsed = std::chrono::steady_clock::now() - req.start;
  if (res.abort) {
    // Caddy's abort panics (http.ErrAbortHandler) before the server measures the duration:
    // its log line says 0.
    f["duration"] = 0;
  } else {
    f["duration"] = std::chrono::duration<double>(elapsed).count();
  }
  f["size"] = res.bytesWritten;
  // A chain that answered nothing gets Go's implicit 200 on the wire, past Caddy's
  // recorder: its access log says 0 (the session stamps headAt for every other head).
  const bool unanswered = !res.abort && ex.error.status == 0 && res.status == 200 &&
                          res.headAt == std::chrono::steady_clock::time_point{};
  f["status"] = res.abort || unanswered ? 0 : res.status;
  f["resp_headers"] = headerObject(res.headers, config_.logCredentials);
  if (!res.headers.has("Content-Type") && http::hasNilContentType(ex)) {
    f["resp_headers"]["Content-Type"] = Json::array();  // Go's nil slice: present, no value
  }
  return f;
}

void AccessLog::record(const Exchange& ex) const {
  // `log_skip` (Caddy 2.6: `skip_log`) sets this variable for requests not to be logged.
  for (const char* name : {"log_skip", "skip_log"}) {
    if (const std::string* skip = ex.var(name); skip != nullptr && *skip == "true") {
      return;
    }
  }
  const Level level = ex.response.status >= 500 ? Level::Error : Level::Info;
  std::vector<std::string> loggers = loggersFor(ex.request.host);
  std::erase_if(loggers, [&](const std::string& name) { return !service_->wants(name, level); });
  if (loggers.empty()) {
    return;
  }
  Json f = fields(ex);
  const int64_t ts = nowNanos();
  for (size_t i = 0; i < loggers.size(); ++i) {
    LogEntry entry;
    entry.level = level;
    entry.tsNs = ts;
    entry.durations = {"duration"};
    entry.logger = std::move(loggers[i]);
    entry.msg = "handled request";
    entry.fields = i + 1 == loggers.size() ? std::move(f) : f;
    service_->emit(std::move(entry));
  }
}

}  // namespace gatehouse::log
