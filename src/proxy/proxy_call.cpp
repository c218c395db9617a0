#include "proxy/proxy_call.h"

#include <algorithm>

#include "http/status.h"
#include "proxy/proxy_rewrite.h"
#include "router/placeholders.h"

namespace gatehouse::proxy {

using runtime::Exchange;
using runtime::HeaderList;
using runtime::Outcome;

namespace {

bool methodSendsLength(const std::string& m) {
  return m == "POST" || m == "PUT" || m == "PATCH";
}

bool responseHasBody(const std::string& method, int status) {
  return method != "HEAD" && status >= 200 && status != 204 && status != 304;
}

bool statusMatches(const std::vector<int>& list, int status) {
  return std::any_of(list.begin(), list.end(),
                     [&](int c) { return c == status || (c < 10 && status / 100 == c); });
}

bool trustedClient(const std::vector<router::IpRange>& ranges, const Exchange& ex) {
  if (const std::string* v = ex.var("trusted_proxy"); v != nullptr && *v == "true") {
    return true;  // the server's trusted_proxies (set by the site router)
  }
  return std::any_of(ranges.begin(), ranges.end(),
                     [&](const router::IpRange& r) { return r.contains(ex.request.remoteIp); });
}

// Go's time.Duration.String for a microsecond count ("812µs", "1.234ms", "2.5s").
std::string goDuration(int64_t us) {
  auto trimmed = [](double v, int decimals, const char* unit) {
    std::string s = std::to_string(v);
    s.resize(s.find('.') + 1 + static_cast<size_t>(decimals));
    while (s.back() == '0') {
      s.pop_back();
    }
    if (s.back() == '.') {
      s.pop_back();
    }
    return s + unit;
  };
  if (us < 1000) {
    return std::to_string(us) + "µs";
  }
  if (us < 1'000'000) {
    return trimmed(static_cast<double>(us) / 1e3, 3, "ms");
  }
  return trimmed(static_cast<double>(us) / 1e6, 6, "s");
}

void appendHex(std::string& out, size_t v) {
  static constexpr char kHex[] = "0123456789abcdef";
  char buf[20];
  char* p = buf + sizeof(buf);
  do {
    *--p = kHex[v & 15];
    v >>= 4;
  } while (v != 0);
  out.append(p, static_cast<size_t>(buf + sizeof(buf) - p));
}

}  // namespace

ProxyCall::ProxyCall(const ProxyConfig& config, ConnectionPool& pool, Exchange& ex)
    : config_(config),
      pool_(pool),
      ex_(ex),
      task_([this] { deliver(); }),
      begun_(std::chrono::steady_clock::now()) {}

ProxyCall::~ProxyCall() {
  if (source_ != nullptr) {
    source_->callGone();
  }
  countActive(false);
  // Whatever is still open to the upstream closes now (conn_'s destructor); a finished
  // keep-alive connection was handed back to the pool already.
}

void ProxyCall::countActive(bool on) {
  if (on != active_) {
    active_ = on;
    auto& n = pool_.state(upstream_).active;
    n = on ? n + 1 : n - 1;
  }
}

Outcome ProxyCall::start() {
  if (!prepareHead()) {
    ex_.fail(502, "invalid header field for the upstream request");
    return Outcome::Handled;
  }
  if (!attempt()) {
    return Outcome::Handled;  // attempt() recorded the error
  }
  return Outcome::Paused;
}

// The request as the upstream gets it; built once and reused by retries.
// The request's fields as every attempt forwards them; header_up runs per attempt, as in
// Caddy, so that it sees {http.reverse_proxy.upstream.*}.
bool ProxyCall::prepareHead() {
  const auto& req = ex_.request;
  HeaderList& h = baseHeaders_;
  for (const auto& f : req.headers) {
    h.emplaceBack(runtime::canonicalHeaderName(f.name), f.value);
  }
  removeHopByHop(h, req.upgrade);
  h.remove("Content-Length");
  setForwardedHeaders(h, req, trustedClient(config_.trustedProxies, ex_));
  h.add("Host", req.host);  // header_up may change it, as Caddy lets it
  hasBody_ = req.bodyLength != 0;
  chunkedBody_ = req.bodyLength == runtime::Request::kChunked;
  return true;
}

bool ProxyCall::buildHead() {
  const auto& req = ex_.request;
  HeaderList h = baseHeaders_;
  if (config_.requestHeaders) {
    config_.requestHeaders->apply(h, ex_);
  }
  askedGzip_ = config_.transport.askForGzip(h, req);
  std::string host(h.get("Host"));
  h.remove("Host");
  if (!safeToSend(h) || host.find_first_of("\r\n") != std::string::npos) {
    return false;
  }
  std::string target = req.uri();
  method_ = req.method;
  if (config_.rewrite) {
    rewriteForUpstream(*config_.rewrite, ex_, method_, target);
    if (method_ != req.method) {
      // As Caddy (forward_auth's `method GET`): the body stays for the handlers after us.
      hasBody_ = false;
      chunkedBody_ = false;
    }
  }
  if (target.empty() || target.front() != '/') {
    target = "/" + target;
  }
  head_.clear();
  head_.append(method_)
      .append(" ")
      .append(target)
      .append(" HTTP/1.1\r\nHost: ")
      .append(host)
      .append("\r\n");
  for (const auto& f : h) {
    head_.append(f.name).append(": ").append(f.value).append("\r\n");
  }
  if (chunkedBody_) {
    head_.append("Transfer-Encoding: chunked\r\n");
  } else if (hasBody_ || methodSendsLength(method_)) {
    head_.append("Content-Length: ").append(std::to_string(req.bodyLength)).append("\r\n");
  }
  if (!config_.keepAlive.enabled && req.upgrade.empty()) {
    head_.append("Connection: close\r\n");
  }
  head_.append("\r\n");
  return true;
}

void ProxyCall::setPlaceholder(std::string_view key, std::string value) {
  ex_.setCapture(std::string(router::kProxyCapturePrefix) + std::string(key), std::move(value));
}

bool ProxyCall::available(size_t i) {
  const auto& up = config_.upstreams[i];
  const auto& st = pool_.state(i);
  if (up.maxRequests != 0 && st.active >= up.maxRequests) {
    return false;
  }
  const auto& ph = config_.passive;
  if (ph.unhealthyRequestCount != 0 && st.active >= ph.unhealthyRequestCount) {
    return false;
  }
  if (config_.active && !st.activeHealthy) {
    return false;
  }
  return ph.failDuration.count() == 0 || pool_.failures(i) < ph.maxFails;
}

// Picks an upstream and starts on it. False when the request failed for good.
bool ProxyCall::attempt() {
  ++attempts_;
  std::vector<size_t> avail;
  for (size_t i = 0; i < config_.upstreams.size(); ++i) {
    if (available(i)) {
      avail.push_back(i);
    }
  }
  const int pick = config_.policy->select(avail, ex_, pool_);
  if (pick < 0) {
    ex_.fail(503, "no upstreams available");
    return false;
  }
  countActive(false);
  upstream_ = avail[static_cast<size_t>(pick)];
  countActive(true);
  stickyCookie_ = config_.policy->responseCookie(upstream_, ex_);
  const Upstream& up = config_.upstreams[upstream_];
  setPlaceholder("upstream.address", up.address.dial);
  setPlaceholder("upstream.hostport", up.address.unix ? up.address.dial
                                      : up.address.host.find(':') != std::string::npos
                                          ? "[" + up.address.host + "]:" + up.address.port
                                          : up.address.host + ":" + up.address.port);
  setPlaceholder("upstream.host", up.address.unix ? "" : up.address.host);
  setPlaceholder("upstream.port", up.address.unix ? "" : up.address.port);
  setPlaceholder("upstream.requests", std::to_string(pool_.state(upstream_).active));
  setPlaceholder("upstream.max_requests", std::to_string(up.maxRequests));
  setPlaceholder("upstream.fails", std::to_string(pool_.failures(upstream_)));
  if (!buildHead()) {
    ex_.fail(502, "invalid header field for the upstream request");
    return false;
  }
  conn_ = pool_.takeIdle(upstream_);
  if (conn_) {
    reused_ = true;
    conn_->attach(*this);
    sendRequest();
    return true;
  }
  reused_ = false;
  arm(Timer::Dial, config_.dialTimeout);  // Go's dial timeout covers the name lookup too
  if (up.address.resolve) {
    lookup_ = std::make_unique<HostLookup>(
        pool_.loop(), up.address.host, up.address.port, config_.transport.resolvers,
        [this](int status, const sockaddr_storage& a) { onResolved(status, a); });
    if (lookup_->startError() == 0) {
      return true;
    }
    arm(Timer::None, {});
    pool_.recordFailure(upstream_, config_.passive.failDuration);
    ex_.fail(502, "lookup " + up.address.host + ": " + uv_strerror(lookup_->startError()));
    return false;
  }
  return dial(up.address);
}

bool ProxyCall::dial(const UpstreamAddress& address) {
  conn_ = std::make_unique<UpstreamConnection>(pool_.loop(), address, upstream_, pool_.readBuffer(),
                                               config_.maxResponseHeader);
  const int rc = conn_->connect(*this, address, config_.transport.dialOptions(address, ex_.request));
  if (rc != 0) {
    arm(Timer::None, {});
    pool_.recordFailure(upstream_, config_.passive.failDuration);
    ex_.fail(502, "dial " + address.dial + ": " + uv_strerror(rc));
    return false;
  }
  return true;
}

void ProxyCall::onResolved(int status, const sockaddr_storage& address) {
  if (status != 0) {
    onAttemptFailed(status);  // no connection: a dial failure
    return;
  }
  resolved_ = config_.upstreams[upstream_].address;
  resolved_.addr = address;
  if (!dial(resolved_)) {
    ex_.host->resume();
  }
}

void ProxyCall::arm(Timer what, std::chrono::milliseconds after) {
  if (!timer_) {
    uv_timer_init(pool_.loop(), timer_.create());
  }
  timer_.get()->data = this;
  uv_timer_stop(timer_.get());
  timerKind_ = what;
  if (what != Timer::None && after.count() > 0) {
    uv_timer_start(timer_.get(), &ProxyCall::onTimer, static_cast<uint64_t>(after.count()), 0);
  }
}

void ProxyCall::onTimer(uv_timer_t* t) {
  auto* self = static_cast<ProxyCall*>(t->data);
  if (self == nullptr) {
    return;
  }
  const Timer kind = self->timerKind_;
  self->timerKind_ = Timer::None;
  if (kind == Timer::Stream) {
    self->conn_.reset();  // stream_timeout: the tunnel ends, both sides close
    if (!self->clientGone_) {
      self->ex_.host->tunnelClose();
    }
    return;
  }
  if (kind == Timer::Retry) {
    if (!self->attempt()) {
      self->ex_.host->resume();
    }
    return;
  }
  // A net timeout, as Caddy reports it: 504.
  self->conn_.reset();
  self->lookup_.reset();
  if (kind == Timer::Dial) {
    self->pool_.recordFailure(self->upstream_, self->config_.passive.failDuration);
  }
  self->finishWithError(504, kind == Timer::Dial ? "dial timeout" : "timeout awaiting response headers");
}

void ProxyCall::onUpstreamConnected() {
  arm(Timer::None, {});
  sendRequest();
}

void ProxyCall::sendRequest() {
  sent_ = std::chrono::steady_clock::now();
  conn_->expectResponse(method_ == "HEAD", askedGzip_);
  conn_->write(head_);
  if (!ex_.request.upgrade.empty() && !hasBody_) {
    bodyDone_ = true;  // an upgrade's further bytes belong to the tunnel
    return;
  }
  if (!hasBody_) {
    bodyDone_ = true;
    requestComplete_ = true;
    sent_ = std::chrono::steady_clock::now();
    arm(Timer::ResponseHeader, config_.responseHeaderTimeout);
    return;
  }
  // The body is pulled once the head has left (onUpstreamWritten).
}

void ProxyCall::onUpstreamWritten() {
  if (tunnel_) {
    ex_.host->tunnelResumeReading();
    return;
  }
  if (bodyDone_ || pulling_ || headSeen_) {
    return;
  }
  pulling_ = true;
  ex_.host->requestBody().pull(pool_.loop(), *this);
}

void ProxyCall::onBodyData(std::string_view data, bool eof) {
  pulling_ = false;
  if (!conn_ || headSeen_) {
    return;  // the upstream already answered; the rest of the body is not wanted
  }
  framed_.clear();
  if (chunkedBody_) {
    if (!data.empty()) {
      appendHex(framed_, data.size());
      framed_.append("\r\n").append(data).append("\r\n");
    }
    if (eof) {
      framed_.append("0\r\n\r\n");
    }
  } else {
    framed_.append(data);
  }
  bodyStarted_ = bodyStarted_ || !data.empty();
  if (eof) {
    bodyDone_ = true;
    requestComplete_ = true;
    sent_ = std::chrono::steady_clock::now();
    arm(Timer::ResponseHeader, config_.responseHeaderTimeout);
  }
  if (framed_.empty()) {
    return;
  }
  conn_->write(framed_);  // onUpstreamWritten pulls the next piece
}

void ProxyCall::onBodyError(int uvError) {
  pulling_ = false;
  conn_.reset();
  arm(Timer::None, {});
  if (headSeen_) {
    return;  // the session closes the client connection after the response
  }
  // request_body max_size exceeded: 413, as Caddy; a broken body: 400.
  finishWithError(uvError == UV_E2BIG ? 413 : 400,
                  uvError == UV_E2BIG ? "request body too large" : "bad request body");
}

void ProxyCall::onUpstreamHead(ResponseHead& head) {
  arm(Timer::None, {});
  headSeen_ = true;
  const auto& ph = config_.passive;
  if (ph.failDuration.count() > 0) {
    const auto latency = std::chrono::steady_clock::now() - sent_;
    if ((!ph.unhealthyStatus.empty() && statusMatches(ph.unhealthyStatus, head.status)) ||
        (ph.unhealthyLatency.count() > 0 && latency >= ph.unhealthyLatency)) {
      pool_.recordFailure(upstream_, ph.failDuration);
    }
  }
  using std::chrono::duration_cast;
  const auto latency = std::chrono::steady_clock::now() - sent_;
  const auto total = std::chrono::steady_clock::now() - begun_;
  setPlaceholder("upstream.latency", goDuration(duration_cast<std::chrono::microseconds>(latency).count()));
  setPlaceholder("upstream.latency_ms",
                 std::to_string(duration_cast<std::chrono::microseconds>(latency).count() / 1000.0));
  setPlaceholder("upstream.duration", goDuration(duration_cast<std::chrono::microseconds>(total).count()));
  setPlaceholder("upstream.duration_ms",
                 std::to_string(duration_cast<std::chrono::microseconds>(total).count() / 1000.0));
  setPlaceholder("status_code", std::to_string(head.status));
  setPlaceholder("status_text", std::string(http::reasonPhrase(head.status)));
  if (!bodyDone_) {
    bodyDone_ = true;  // answered early: the rest of the request is not sent
    conn_->pauseReading();
  }
  // handle_response: matched on the upstream's own status and fields, before header_down.
  const ResponseHandler* rh =
      head.upgrade ? nullptr : firstMatching(config_.responseHandlers, head.status, head.headers);
  if (rh != nullptr && rh->routes) {
    holdForRoutes(head, *rh);
    routeTask_.schedule(pool_.loop());
    return;
  }
  finishHead(head, rh != nullptr ? rh->status : head.status);
  ex_.host->resume();
}

// The response as reverse_proxy writes it (also copy_response's): the upstream's fields
// after header_down, and its body as a stream or the tunnel after a 101.
void ProxyCall::finishHead(ResponseHead& head, int status) {
  auto& res = ex_.response;
  res.status = status;
  const bool upgrade = head.upgrade && !ex_.request.upgrade.empty();
  HeaderList h;
  for (auto& f : head.headers) {
    h.emplaceBack(runtime::canonicalHeaderName(f.name), std::move(f.value));
  }
  std::string upgradeTo = upgrade ? std::string(h.get("Upgrade")) : std::string();
  removeHopByHop(h, upgradeTo);
  if (!head.hasLength) {
    h.remove("Content-Length");
  }
  // The upstream's fields are added to those set before the proxy ran (`header` ops), as
  // Go's ReverseProxy adds them to the writer's map. No Via (Caddy 2.6 adds none); our
  // Server field gives way to the upstream's rather than doubling it.
  if (h.has("Server")) {
    res.headers.remove("Server");
  }
  if (!stickyCookie_.empty()) {
    res.headers.emplaceBack("Set-Cookie", std::move(stickyCookie_));  // before the upstream's, as Caddy
  }
  for (auto& f : h) {
    res.headers.emplaceBack(std::move(f.name), std::move(f.value));
  }
  if (config_.responseHeaders) {
    config_.responseHeaders->apply(res.headers, ex_);
  }
  if (upgrade) {
    tunnel_ = true;
    res.tunnel = this;
    conn_->startTunnel();
    arm(Timer::Stream, config_.streamTimeout);
  } else if (responseHasBody(method_, head.status)) {
    auto body = std::make_unique<ResponseBody>(*this);
    source_ = body.get();
    res.stream = std::move(body);
    res.streamLength = head.hasLength ? head.length : runtime::Response::kUnknownLength;
  }
}

// handle_response routes take the response: they run when the session resumes the chain
// (resumed()), with the upstream's status and fields as placeholders; the body waits for
// copy_response, or goes with this call.
void ProxyCall::holdForRoutes(ResponseHead& head, const ResponseHandler& rh) {
  held_.status = head.status;
  held_.hasLength = head.hasLength;
  held_.length = head.length;
  held_.headers.clear();
  for (auto& f : head.headers) {
    held_.headers.emplaceBack(runtime::canonicalHeaderName(f.name), std::move(f.value));
  }
  publishResponse(ex_, held_.status, head.reason, held_.headers);
  routing_ = &rh;
}

runtime::Outcome ProxyCall::resumed(runtime::Exchange& ex) {
  const ResponseHandler* rh = std::exchange(routing_, nullptr);
  if (rh == nullptr) {
    return runtime::Outcome::Handled;
  }
  return rh->routes->run(ex);
}

// As Caddy (Go's Got1xxResponse -> WriteHeader(1xx)): interim responses reach the client
// with the fields set so far; 100 Continue is the client session's own business.
void ProxyCall::onUpstreamInformational(const ResponseHead& head) {
  if (head.status == 100) {
    return;
  }
  HeaderList h;
  for (const auto& f : head.headers) {
    h.emplaceBack(runtime::canonicalHeaderName(f.name), f.value);
  }
  removeHopByHop(h, {});
  ex_.host->sendInformational(head.status, h);
}

void ProxyCall::siteRemoved() {
  const bool streaming = tunnel_ || (source_ != nullptr && !ended_);
  if (streaming && !closing_) {
    closing_ = std::make_unique<DelayedClose>(pool_.loop(), config_.streamCloseDelay, [this] { closeStream(); });
  }
}

// Ends a stream as an upstream that went away would: the tunnel closes both ways; a
// response body breaks, so the client never mistakes it for a complete one.
void ProxyCall::closeStream() {
  if (tunnel_) {
    conn_.reset();
    arm(Timer::None, {});
    if (!clientGone_) {
      ex_.host->tunnelClose();
    }
    return;
  }
  conn_.reset();
  bodyError_ = UV_ECANCELED;
  if (sink_ != nullptr) {
    task_.schedule(pool_.loop());
  }
}

void ProxyCall::copyResponse(int status) {
  finishHead(held_, status > 0 ? status : held_.status);
}

void ProxyCall::onUpstreamBody(std::string_view data) {
  buffered_.append(data);
  if (buffered_.size() >= config_.readBuffer) {
    conn_->pauseReading();  // back-pressure: the client is slower than the upstream
  }
  if (sink_ != nullptr) {
    task_.schedule(pool_.loop());
  }
}

void ProxyCall::onUpstreamEnd() {
  ended_ = true;
  if (sink_ != nullptr || source_ == nullptr) {
    task_.schedule(pool_.loop());
  }
}

void ProxyCall::pullResponse(runtime::BodySink& sink) {
  sink_ = &sink;
  if (!buffered_.empty() || ended_ || bodyError_ != 0) {
    task_.schedule(pool_.loop());
  } else if (conn_) {
    conn_->resumeReading();
  }
}

// Hands buffered response bytes to the session, outside every upstream callback.
void ProxyCall::deliver() {
  retired_.reset();
  if (ended_ && conn_ && conn_->reusable() && requestComplete_ && !pulling_) {
    releaseConnection();
  }
  runtime::BodySink* sink = sink_;
  if (sink == nullptr) {
    return;
  }
  if (bodyError_ != 0 && buffered_.empty()) {
    sink_ = nullptr;
    sink->onBodyError(bodyError_);
    return;
  }
  if (buffered_.empty() && !ended_) {
    return;
  }
  sink_ = nullptr;
  piece_.clear();
  piece_.swap(buffered_);
  if (!ended_ && conn_) {
    conn_->resumeReading();
  }
  // Last: the session may pull again from here, or end the exchange.
  sink->onBodyData(piece_, ended_);
}

void ProxyCall::releaseConnection() {
  countActive(false);
  pool_.giveBack(std::move(conn_));
}

void ProxyCall::onUpstreamError(int uvError) {
  arm(Timer::None, {});
  if (tunnel_) {
    if (!clientGone_) {
      ex_.host->tunnelClose();
    }
    return;
  }
  if (headSeen_) {
    // Mid-body: the client must see a broken response, never a clean end.
    bodyError_ = uvError;
    if (sink_ != nullptr) {
      task_.schedule(pool_.loop());
    }
    return;
  }
  onAttemptFailed(uvError);
}

void ProxyCall::onAttemptFailed(int uvError) {
  const bool dialFailed = !conn_ || !conn_->connected();
  const std::string why = conn_ && !conn_->failure().empty() ? conn_->failure() : uv_strerror(uvError);
  // A pull in flight may still deliver body bytes meant for this attempt: not retryable.
  const bool bodyTouched = bodyStarted_ || pulling_;
  const bool staleReuse = reused_ && !bodyTouched;
  if (!staleReuse) {
    pool_.recordFailure(upstream_, config_.passive.failDuration);
  }
  const auto elapsed = std::chrono::steady_clock::now() - begun_;
  const bool retryable = !bodyTouched && (staleReuse || dialFailed || ex_.request.method == "GET");
  const bool timeLeft = config_.tryDuration.count() > 0 && elapsed < config_.tryDuration;
  const bool triesLeft = attempts_ <= config_.retries;
  // The connection object cannot be destroyed inside its own callback: retire it.
  if (conn_) {
    auto dead = std::move(conn_);
    task_.schedule(pool_.loop());
    retired_ = std::move(dead);
  }
  if (retryable && (staleReuse || timeLeft || triesLeft)) {
    if (staleReuse) {
      arm(Timer::Retry, std::chrono::milliseconds(1));  // a parked connection the upstream had closed
    } else {
      arm(Timer::Retry, std::max(config_.tryInterval, std::chrono::milliseconds(1)));
    }
    return;
  }
  finishWithError(
      uvError == UV_ETIMEDOUT ? 504 : 502,
      std::string("upstream ") + config_.upstreams[upstream_].address.dial + ": " + why);
}

void ProxyCall::finishWithError(int status, std::string message) {
  ex_.fail(status, std::move(message));
  ex_.host->resume();
}

void ProxyCall::onUpstreamTunnelData(std::string_view data) {
  ex_.host->tunnelWrite(data);
}

void ProxyCall::onUpstreamTunnelEof() {
  upstreamEof_ = true;
  ex_.host->tunnelShutdownWrite();
  if (clientEof_) {
    ex_.host->tunnelClose();
  }
}

void ProxyCall::onClientData(std::string_view data) {
  if (conn_) {
    conn_->write(data);  // onUpstreamWritten resumes client reading
  }
}

void ProxyCall::onClientEof() {
  clientEof_ = true;
  if (conn_) {
    conn_->shutdownWrite();
  }
  if (upstreamEof_) {
    ex_.host->tunnelClose();
  }
}

void ProxyCall::onClientDrained() {
  if (conn_ && !upstreamEof_) {
    conn_->resumeReading();
  }
}

void ProxyCall::onClientClosed() {
  clientGone_ = true;
  arm(Timer::None, {});
}

}  // namespace gatehouse::proxy
