// The response side of a ProxyCall: the upstream's head turned into the client's
// (passive health, replace_status, placeholders, hop-by-hop removal, header_down), and
// the body handed to the session as it pulls, with back-pressure on the upstream.
#include "proxy/proxy_call.h"

#include <algorithm>

#include "http/status.h"

namespace gatehouse::proxy {

using runtime::HeaderList;

namespace {

bool responseHasBody(const std::string& method, int status) {
  return method != "HEAD" && status >= 200 && status != 204 && status != 304;
}

bool statusMatches(const std::vector<int>& list, int status) {
  return std::any_of(list.begin(), list.end(),
                     [&](int c) { return c == status || (c < 10 && status / 100 == c); });
}

// `whole`.`frac` with `digits` fractional digits, as printf's %.{digits}f would print the
// quotient it came from; with `trim`, trailing zeros (and a bare '.') go, as in Go.
void appendFixed(std::string& out, int64_t whole, int64_t frac, int digits, bool trim) {
  out += std::to_string(whole);
  char buf[8];
  for (int i = digits - 1; i >= 0; --i) {
    buf[i] = static_cast<char>('0' + frac % 10);
    frac /= 10;
  }
  int n = digits;
  while (trim && n > 0 && buf[n - 1] == '0') {
    --n;
  }
  if (n > 0) {
    out += '.';
    out.append(buf, static_cast<size_t>(n));
  }
}

// Go's time.Duration.String for a microsecond count ("812µs", "1.234ms", "2.5s").
std::string goDuration(int64_t us) {
  std::string out;
  if (us < 1000) {
    out = std::to_string(us);
    out += "µs";
  } else if (us < 1'000'000) {
    appendFixed(out, us / 1000, us % 1000, 3, true);
    out += "ms";
  } else {
    appendFixed(out, us / 1'000'000, us % 1'000'000, 6, true);
    out += 's';
  }
  return out;
}

// std::to_string(us / 1000.0): milliseconds with six decimals.
std::string milliseconds(int64_t us) {
  std::string out;
  appendFixed(out, us / 1000, (us % 1000) * 1000, 6, false);
  return out;
}

// Go's textproto.CanonicalMIMEHeaderKey, in place: "content-type" -> "Content-Type".
void canonicalize(std::string& name) {
  for (char c : name) {
    if (c == ' ' || static_cast<unsigned char>(c) >= 0x80) {
      return;  // Go leaves such names alone
    }
  }
  bool start = true;
  for (char& c : name) {
    if (start && c >= 'a' && c <= 'z') {
      c = static_cast<char>(c - 32);
    } else if (!start && c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c + 32);
    }
    start = c == '-';
  }
}

}  // namespace

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
  publishLatency();
  setPlaceholder("status_code", std::to_string(head.status));
  setPlaceholder("status_text", std::string(http::reasonPhrase(head.status)));
  if (!bodyDone_) {
    bodyDone_ = true;  // answered early: the rest of the request is not sent
    pauseUpstream();
  }
  // handle_response: matched on the upstream's own status and fields, before header_down.
  const ResponseHandler* rh =
      head.upgrade ? nullptr : firstMatching(config_.responseHandlers, head.status, head.headers);
  if (rh != nullptr && rh->routes) {
    holdForRoutes(head, *rh);
    routeTask_.schedule(pool_.loop());
    return;
  }
  int status = head.status;
  if (rh != nullptr) {
    std::string why;
    status = rh->statusFor(ex_, head.status, why);
    if (status < 0) {
      // The connection cannot be destroyed inside its own callback: retire it.
      retired_ = std::move(conn_);
      scheduleDelivery();
      finishWithError(500, why);
      return;
    }
  }
  finishHead(head, status);
  if (source_ != nullptr) {
    // The session is resumed after the rest of this read is parsed (onUpstreamEnd, or the
    // delivery), so that a small response goes out whole.
    resumePending_ = true;
    scheduleDelivery();
    return;
  }
  ex_.host->resume();
}

// The response as reverse_proxy writes it (also copy_response's): the upstream's fields
// after header_down, and its body as a stream or the tunnel after a 101.
void ProxyCall::finishHead(ResponseHead& head, int status) {
  auto& res = ex_.response;
  res.status = status;
  const bool upgrade = head.upgrade && !ex_.request.upgrade.empty();
  HeaderList& h = head.headers;  // the connection's (or held_); it starts a fresh one per response
  for (auto& f : h) {
    canonicalize(f.name);
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
    releaseRequestState();
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
  h2_.reset();
  bodyError_ = UV_ECANCELED;
  if (sink_ != nullptr) {
    scheduleDelivery();
  }
}

void ProxyCall::copyResponse(int status) {
  ResponseHead head = held_;  // held_ stays whole for copy_response_headers
  finishHead(head, status > 0 ? status : held_.status);
}

// A tunnel may idle for hours: what only the request needed gives its memory back.
void ProxyCall::releaseRequestState() {
  baseHeaders_ = HeaderList();
  std::string().swap(head_);
  std::string().swap(framed_);
  std::string().swap(buffered_);
  std::string().swap(piece_);
}

void ProxyCall::publishLatency() {
  using std::chrono::duration_cast;
  using std::chrono::microseconds;
  const auto now = std::chrono::steady_clock::now();
  const int64_t latency = duration_cast<microseconds>(now - sent_).count();
  const int64_t total = duration_cast<microseconds>(now - begun_).count();
  setPlaceholder("upstream.latency", goDuration(latency));
  setPlaceholder("upstream.latency_ms", milliseconds(latency));
  setPlaceholder("upstream.duration", goDuration(total));
  setPlaceholder("upstream.duration_ms", milliseconds(total));
}

// The whole body is here before the session even saw the head: it is handed over as the
// response body, so head and body leave in one write. Only for a Content-Length body (a
// chunked one stays chunked, as Caddy streams it) and when no output stage could treat a
// whole body differently from a stream (encode sniffs a missing Content-Type).
void ProxyCall::takeWholeBody() {
  auto& res = ex_.response;
  if (source_ == nullptr || bodyError_ != 0 || res.streamLength != buffered_.size() ||
      (!ex_.stages.empty() && !res.headers.has("Content-Type"))) {
    return;
  }
  res.body = std::move(buffered_);
  buffered_.clear();
  res.stream.reset();  // ResponseBody's destructor detaches it (source_, sink_)
  res.streamLength = 0;
}

void ProxyCall::onUpstreamBody(std::string_view data) {
  buffered_.append(data);
  if (buffered_.size() >= config_.readBuffer) {
    pauseUpstream();  // back-pressure: the client is slower than the upstream
  }
  if (sink_ != nullptr) {
    scheduleDelivery();
  }
}

void ProxyCall::onUpstreamEnd() {
  ended_ = true;
  if (resumePending_) {
    resumePending_ = false;
    takeWholeBody();
    ex_.host->resume();
    scheduleDelivery();  // returns the connection to the pool
    return;
  }
  if (sink_ != nullptr || source_ == nullptr) {
    scheduleDelivery();
  }
}

void ProxyCall::pullResponse(runtime::BodySink& sink) {
  sink_ = &sink;
  if (!buffered_.empty() || ended_ || bodyError_ != 0) {
    scheduleDelivery();
  } else {
    resumeUpstream(0);
  }
}

// Hands buffered response bytes to the session, outside every upstream callback.
void ProxyCall::deliver() {
  retired_.reset();
  retiredH2_.reset();
  if (resumePending_) {
    resumePending_ = false;  // the head goes now; the body follows as the session pulls
    ex_.host->resume();
  }
  if (ended_ && conn_ && conn_->reusable() && requestComplete_ && !pulling_) {
    releaseConnection();
  }
  if (ended_ && h2_ && buffered_.empty()) {
    countActive(false);
    h2_.reset();  // the stream is done; its session stays for the next request
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
  // Taken before resuming: the connection may hand over more bytes and even the end from
  // inside resumeReading() (decoded gzip it held back); those go with the next pull.
  const bool last = ended_;
  if (!last) {
    resumeUpstream(piece_.size());
  } else if (h2_) {
    h2_->consumed(piece_.size());
  }
  // Last: the session may pull again from here, or end the exchange.
  sink->onBodyData(piece_, last);
}

void ProxyCall::releaseConnection() {
  countActive(false);
  pool_.giveBack(std::move(conn_));
}

}  // namespace gatehouse::proxy
