#include "admin/admin_connection.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <map>
#include <optional>

#include "admin/admin_server.h"
#include "admin/api_router.h"
#include "gatehouse/config/site_graph.h"
#include "gatehouse/runtime/header_list.h"
#include "log/process_log.h"

namespace gatehouse::admin {

namespace {

constexpr size_t kMaxRequestBytes = 16 << 20;  // a config, not an upload
constexpr size_t kMaxHeadBytes = 64 << 10;
constexpr uint64_t kTimeoutMs = 30'000;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

const char* reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 301:
      return "Moved Permanently";
    case 409:
      return "Conflict";
    case 412:
      return "Precondition Failed";
    case 500:
      return "Internal Server Error";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 413:
      return "Request Entity Too Large";
    default:
      return "Error";
  }
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

// The path of a request target, percent-decoded as Go's URL.Path; nullopt when malformed.
std::optional<std::string> decodedPath(const std::string& url) {
  const std::string raw = url.substr(0, url.find('?'));
  std::string out;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '%') {
      out += raw[i];
      continue;
    }
    if (i + 2 >= raw.size() || hexValue(raw[i + 1]) < 0 || hexValue(raw[i + 2]) < 0) {
      return std::nullopt;
    }
    out += static_cast<char>(hexValue(raw[i + 1]) * 16 + hexValue(raw[i + 2]));
    i += 2;
  }
  return out;
}

std::string hex(size_t n) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%zx", n);
  return buf;
}

AdminConnection& self(llhttp_t* p) {
  return *static_cast<AdminConnection*>(p->data);
}

}  // namespace

AdminConnection::AdminConnection(AdminServer& server, bool unix) : server_(server), unix_(unix) {
  if (unix) {
    uv_pipe_init(server_.loop(), &conn_.pipe, 0);
  } else {
    uv_tcp_init(server_.loop(), &conn_.tcp);
  }
  uv_timer_init(server_.loop(), &timer_);
  stream()->data = this;
  timer_.data = this;
  writeReq_.data = this;
  work_.data = this;
  openHandles_ = 2;
  llhttp_settings_init(&settings_);
  settings_.on_url = &AdminConnection::onUrl;
  settings_.on_header_field = &AdminConnection::onHeaderField;
  settings_.on_header_value = &AdminConnection::onHeaderValue;
  settings_.on_body = &AdminConnection::onBody;
  settings_.on_message_complete = &AdminConnection::onComplete;
  llhttp_init(&parser_, HTTP_REQUEST, &settings_);
  parser_.data = this;
  readBuf_.resize(16 * 1024);
}

bool AdminConnection::accept(uv_stream_t* listener) {
  if (uv_accept(listener, stream()) != 0) {
    close();
    return false;
  }
  uv_timer_start(&timer_, &AdminConnection::onTimer, kTimeoutMs, 0);
  uv_read_start(stream(), &AdminConnection::onAlloc, &AdminConnection::onRead);
  return true;
}

void AdminConnection::onAlloc(uv_handle_t* h, size_t /*suggested*/, uv_buf_t* buf) {
  auto* c = static_cast<AdminConnection*>(h->data);
  *buf = uv_buf_init(c->readBuf_.data(), static_cast<unsigned>(c->readBuf_.size()));
}

int AdminConnection::onUrl(llhttp_t* p, const char* at, size_t len) {
  self(p).url_.append(at, len);
  return self(p).url_.size() > 8192 ? -1 : 0;
}

int AdminConnection::onHeaderField(llhttp_t* p, const char* at, size_t len) {
  auto& c = self(p);
  if (c.lastWasValue_) {
    c.field_.clear();
  }
  c.lastWasValue_ = false;
  c.field_.append(at, len);
  return 0;
}

int AdminConnection::onHeaderValue(llhttp_t* p, const char* at, size_t len) {
  auto& c = self(p);
  if (!c.lastWasValue_) {
    c.headerLines_.emplace_back(c.field_, "");
  }
  c.headerLines_.back().second.append(at, len);
  c.lastWasValue_ = true;
  const std::string name = lower(c.field_);
  if (name == "host") {
    c.hostSeen_ = true;
    c.host_.append(at, len);
  } else if (name == "origin") {
    c.origin_.append(at, len);
  } else if (name == "referer") {
    c.referer_.append(at, len);
  } else if (name == "content-type") {
    c.req_.contentType.append(at, len);
  } else if (name == "if-match") {
    c.req_.ifMatch.append(at, len);
  } else if (name == "cache-control") {
    c.req_.cacheControl.append(at, len);
  }
  return 0;
}

int AdminConnection::onBody(llhttp_t* p, const char* at, size_t len) {
  auto& c = self(p);
  if (c.req_.body.size() + len > kMaxRequestBytes) {
    c.tooLarge_ = true;
    return -1;
  }
  c.req_.body.append(at, len);
  return 0;
}

int AdminConnection::onComplete(llhttp_t* p) {
  self(p).complete_ = true;
  return HPE_PAUSED;
}

void AdminConnection::onRead(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  auto* c = static_cast<AdminConnection*>(s->data);
  if (c->closing_) {
    return;
  }
  if (n < 0) {
    c->close();
    return;
  }
  if (n == 0) {
    return;
  }
  c->received_ += static_cast<size_t>(n);
  if (c->received_ > kMaxRequestBytes + kMaxHeadBytes) {
    uv_read_stop(s);  // headers and body together stay bounded
    c->respond(errorResponse(413, "request too large"));
    return;
  }
  llhttp_errno_t err = llhttp_execute(&c->parser_, buf->base, static_cast<size_t>(n));
  if (c->complete_) {
    uv_read_stop(s);  // one request per connection
    c->dispatch();
  } else if (err != HPE_OK) {
    uv_read_stop(s);
    c->respond(errorResponse(c->tooLarge_ ? 413 : 400, "malformed request"));
  }
}

void AdminConnection::dispatch() {
  req_.method = llhttp_method_name(static_cast<llhttp_method_t>(parser_.method));
  if (!hostSeen_ && parser_.http_major == 1 && parser_.http_minor == 1) {
    // Go's server answers this itself, before Caddy's handler (an empty Host passes).
    write(
        "HTTP/1.1 400 Bad Request: missing required Host header\r\nContent-Type: text/plain; "
        "charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request: missing required Host header");
    return;
  }
  logReceived();
  if (!allowed()) {
    return;
  }
  auto path = decodedPath(url_);
  if (!path) {
    respond(errorResponse(400, "malformed request path"));
    return;
  }
  req_.path = std::move(*path);
  working_ = true;
  uv_queue_work(server_.loop(), &work_, &AdminConnection::doWork, &AdminConnection::afterWork);
}

void AdminConnection::doWork(uv_work_t* w) {
  auto* c = static_cast<AdminConnection*>(w->data);
  c->resp_ = routeRequest(c->req_, c->server_);
  // Pool threads live until exit; give back OpenSSL's per-thread state (DRBGs, error
  // queue) that provisioning TLS created on this one.
  OPENSSL_thread_stop();
}

void AdminConnection::afterWork(uv_work_t* w, int /*status*/) {
  auto* c = static_cast<AdminConnection*>(w->data);
  c->working_ = false;
  if (c->closing_) {
    c->maybeFree();
    return;
  }
  c->respond(c->resp_);
}

bool AdminConnection::allowed() {
  const AdminGuard& guard = server_.guard();
  if (auto refused = guard.checkHost(host_)) {  // DNS rebinding
    respond(errorResponse(403, *refused));
    return false;
  }
  if (!guard.enforceOrigin()) {
    return true;
  }
  std::string origin;
  if (auto refused = guard.checkOrigin(origin_, referer_, origin)) {  // cross-site requests
    respond(errorResponse(403, *refused));
    return false;
  }
  if (llhttp_get_method(&parser_) == HTTP_OPTIONS) {
    corsHeaders_ +=
        "Access-Control-Allow-Credentials: true\r\n"
        "Access-Control-Allow-Headers: Content-Type, Content-Length, Cache-Control\r\n"
        "Access-Control-Allow-Methods: OPTIONS, GET, POST, PUT, PATCH, DELETE\r\n";
  }
  corsHeaders_ += "Access-Control-Allow-Origin: " + origin + "\r\n";
  return true;
}

void AdminConnection::logReceived() {
  std::string ip = "@";  // Go's RemoteAddr of a unix socket peer, with no port
  std::string port;
  sockaddr_storage addr{};
  int len = sizeof(addr);
  if (!unix_ && uv_tcp_getpeername(&conn_.tcp, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    std::array<char, INET6_ADDRSTRLEN> buf{};
    if (addr.ss_family == AF_INET6) {
      const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
      uv_ip6_name(a, buf.data(), buf.size());
      port = std::to_string(ntohs(a->sin6_port));
    } else {
      const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
      uv_ip4_name(a, buf.data(), buf.size());
      port = std::to_string(ntohs(a->sin_port));
    }
    ip = buf.data();
  }
  // zap.Reflect of Go's http.Header: canonical names, sorted as encoding/json sorts a map.
  std::map<std::string, config::Json> byName;
  for (const auto& [name, value] : headerLines_) {
    const std::string canonical = runtime::canonicalHeaderName(name);
    if (canonical == "Host") {
      continue;  // Go moves it to r.Host
    }
    auto& values = byName[canonical];
    if (!values.is_array()) {
      values = config::Json::array();
    }
    values.push_back(value);
  }
  config::Json headers = config::Json::object();
  for (auto& [name, values] : byName) {
    headers[name] = std::move(values);
  }
  log::logOwn(url_ == "/metrics" ? log::Level::Debug : log::Level::Info, "admin.api", "received request",
              {{"method", req_.method},
               {"host", host_},
               {"uri", url_},
               {"remote_ip", ip},
               {"remote_port", port},
               {"headers", std::move(headers)}});
  logged_ = true;
}

void AdminConnection::respond(const ApiResponse& r) {
  if (logged_ && !r.apiError.empty()) {
    log::logOwn(log::Level::Error, "admin.api", "request error",
                {{"error", r.apiError}, {"status_code", r.status}});
  }
  out_ = "HTTP/1.1 " + std::to_string(r.status) + " " + reason(r.status) + "\r\n" + corsHeaders_ + r.headers;
  if (!r.contentType.empty()) {
    out_ += "Content-Type: " + r.contentType + "\r\n";
  }
  const bool head = req_.method == "HEAD";  // the length of the body, not the body
  if (r.chunkedWithTrailer) {
    out_ += "Trailer: ETag\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n";
    if (!r.body.empty()) {
      out_ += hex(r.body.size()) + "\r\n" + r.body + "\r\n";
    }
    out_ += "0\r\n" + (r.etagTrailer.empty() ? "" : "Etag: " + r.etagTrailer + "\r\n") + "\r\n";
  } else {
    out_ += "Content-Length: " + std::to_string(r.body.size()) + "\r\nConnection: close\r\n\r\n" +
            (head ? "" : r.body);
  }
  afterWrite_ = r.afterWrite;
  write(std::move(out_));
}

void AdminConnection::write(std::string bytes) {
  out_ = std::move(bytes);
  uv_buf_t b = uv_buf_init(out_.data(), static_cast<unsigned>(out_.size()));
  if (uv_write(&writeReq_, stream(), &b, 1, &AdminConnection::onWrite) != 0) {
    close();
  }
}

void AdminConnection::onWrite(uv_write_t* req, int /*status*/) {
  auto* c = static_cast<AdminConnection*>(req->data);
  if (c->afterWrite_) {
    c->afterWrite_();  // /stop: the answer is out
  }
  c->close();
}

void AdminConnection::onTimer(uv_timer_t* t) {
  static_cast<AdminConnection*>(t->data)->close();
}

void AdminConnection::close() {
  if (closing_) {
    return;
  }
  closing_ = true;
  uv_close(reinterpret_cast<uv_handle_t*>(stream()), &AdminConnection::onClose);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), &AdminConnection::onClose);
}

void AdminConnection::onClose(uv_handle_t* h) {
  auto* c = static_cast<AdminConnection*>(h->data);
  --c->openHandles_;
  c->maybeFree();
}

void AdminConnection::maybeFree() {
  // A load in progress still writes into this object: wait for afterLoad.
  if (openHandles_ == 0 && !working_) {
    server_.onConnectionClosed(this);  // destroys *this
  }
}

}  // namespace gatehouse::admin
