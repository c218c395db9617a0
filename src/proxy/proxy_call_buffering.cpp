// ProxyCall's request_buffers, response_buffers and lb_retry_match: the request body held
// before an upstream is chosen, the response head held until enough of the body arrived,
// and which failed attempts may be tried again.
#include <algorithm>

#include "gatehouse/runtime/error_traces.h"
#include "proxy/proxy_call.h"
#include "router/body_capture.h"

namespace gatehouse::proxy {

namespace {

bool eventStream(const runtime::HeaderList& h) {
  const std::string_view type = h.get("Content-Type");
  return type.size() >= 17 && runtime::equalsIgnoreCase(type.substr(0, 17), "text/event-stream");
}

}  // namespace

// A reverse_proxy in handle_response routes after another one sent the body on: the body is
// gone, and the upstream would wait for bytes that never come. Caddy's transport fails the
// same way ("invalid Read on closed Body"): 502.
void ProxyCall::follow(const runtime::PendingWork* previous) {
  const auto* earlier = dynamic_cast<const ProxyCall*>(previous);
  bodyGone_ = earlier != nullptr &&
              (earlier->bodyStarted_ || earlier->pulling_ || earlier->requestBuffer_ || earlier->bodyGone_);
}

bool ProxyCall::bodyAlreadyRead() {
  if (!hasBody_ || !bodyGone_) {
    return false;
  }
  ex_.fail(502, "the request body was already read by an earlier handler",
           runtime::traces::kProxyStatusError);
  return true;
}

// Starts reading the request body into memory; false when there is nothing to hold (no
// limit, no body, or an upgrade, whose further bytes belong to the tunnel).
bool ProxyCall::bufferRequest() {
  if (config_.buffering.request == 0 || !hasBody_ || !ex_.request.upgrade.empty()) {
    return false;
  }
  requestBuffer_ = std::make_unique<RequestBuffer>(pool_.loop(), clientBody(), config_.buffering.request);
  requestBuffer_->fill([this] { onRequestBuffered(); });
  return true;
}

// The body is held (whole, or up to the limit): a whole one is sent with its length.
void ProxyCall::onRequestBuffered() {
  if (const int error = requestBuffer_->error(); error != 0) {
    // request_body max_size exceeded: 413, as Caddy; a broken body: 400.
    finishWithError(error == UV_E2BIG ? 413 : 400,
                    error == UV_E2BIG ? "request body too large" : "bad request body");
    return;
  }
  if (requestBuffer_->complete()) {
    chunkedBody_ = false;
    bodyLength_ = requestBuffer_->size();
    hasBody_ = bodyLength_ != 0;
  }
  if (!attempt()) {
    ex_.host->resume();
  }
}

runtime::BodySource& ProxyCall::requestBody() {
  return requestBuffer_ ? static_cast<runtime::BodySource&>(*requestBuffer_) : clientBody();
}

// The client's body: after {http.request.body} read it (router/body_capture.h), the bytes
// read come first, then the rest of the live stream.
runtime::BodySource& ProxyCall::clientBody() {
  if (!captured_) {
    auto capture = router::findBodyCapture(ex_);
    if (!capture) {
      return ex_.host->requestBody();
    }
    captured_ = std::make_unique<CapturedBodySource>(*capture->bytes, capture->complete,
                                                     ex_.host->requestBody(), ex_.request.maxBodyBytes);
  }
  return *captured_;
}

// A retry after body bytes went out sends the body again, which only a body held whole can.
bool ProxyCall::replayBody() {
  if (!requestBuffer_ || !requestBuffer_->rewind()) {
    return false;
  }
  pulling_ = false;
  bodyStarted_ = false;
  bodyDone_ = false;
  requestComplete_ = false;
  return true;
}

// After the upstream was reached the request may already have been acted on: only GET is
// tried again, or with lb_retry_match the requests it matches (Caddy 2.6's tryAgain).
bool ProxyCall::retryAllowed() const {
  if (!config_.retryMatch) {
    return ex_.request.method == "GET";
  }
  const auto& sets = *config_.retryMatch;
  return sets.empty() ||
         std::any_of(sets.begin(), sets.end(), [this](const router::MatcherSet& s) { return s.match(ex_); });
}

bool ProxyCall::replayableOnStaleConn(int uvError) const {
  if (requestBuffer_ || h2_ || fcgi_) {
    return true;  // a held body replays (as Caddy 2.7+); HTTP/2 and FastCGI decide elsewhere
  }
  const std::string& m = ex_.request.method;
  if (m == "GET" || m == "HEAD" || m == "OPTIONS" || m == "TRACE" ||
      ex_.request.headers.has("Idempotency-Key") || ex_.request.headers.has("X-Idempotency-Key")) {
    return true;
  }
  return !hasBody_ && uvError == UV_EPIPE;
}

// response_buffers: the head waits for that many body bytes (or the end), as Caddy reads
// them before writing its head. An event stream is not held: its events must flow as they
// come (Caddy would hold them until the buffer filled, starving a token stream).
bool ProxyCall::holdsHead() const {
  return config_.buffering.response != 0 && source_ != nullptr && !ended_ && bodyError_ == 0 &&
         !eventStream(ex_.response.headers) &&
         (config_.buffering.response < 0 ||
          buffered_.size() < static_cast<uint64_t>(config_.buffering.response));
}

// Body bytes arrived while the head is held: the upstream keeps sending until the buffer is
// full (an HTTP/2 stream's window is reopened for them), then the head goes.
void ProxyCall::bufferedResponseBytes(size_t n) {
  if (h2_) {
    h2_->consumed(n);
  }
  if (!holdsHead()) {
    holdingHead_ = false;
    scheduleDelivery();  // resumePending_: the head goes, with what is here
  }
}

}  // namespace gatehouse::proxy
