// ProxyCall on an HTTP/2 upstream (`versions h2c`, or `2` over TLS): the request joins a
// shared UpstreamH2Session as a stream instead of taking a connection of its own. The
// head is the HTTP/1.1 path's fields (same X-Forwarded-*, header_up, hop-by-hop removal)
// in HTTP/2's form; the body goes out unframed; the response comes back through the same
// Listener callbacks, so proxy_response.cpp serves both.
#include "gatehouse/runtime/error_traces.h"
#include "proxy/h2_request_fields.h"
#include "proxy/proxy_call.h"
#include "proxy/request_trailers.h"

namespace gatehouse::proxy {

namespace {

bool methodSendsLength(const std::string& m) {
  return m == "POST" || m == "PUT" || m == "PATCH";
}

}  // namespace

bool ProxyCall::wantsH2() const {
  // Per server reached (the pool slot): a template's rendered addresses may differ.
  if (pool_.state(slot_).h1Only) {
    return false;
  }
  return config_.transport.wantsH2(*target_, ex_.request);
}

void ProxyCall::buildH2Head(const runtime::HeaderList& fields, std::string_view host,
                            const std::string& rewritten) {
  if (!h2Head_) {
    h2Head_ = std::make_unique<H2RequestHead>();
  }
  H2RequestHead& h = *h2Head_;
  h.method = method_;
  h.scheme = config_.transport.usesTls(*target_) ? "https" : "http";
  h.authority.assign(host);
  h.path.clear();
  appendTarget(h.path, rewritten);
  h.fields.clear();
  appendH2Fields(fields, h.fields);
  if (!fields.has("User-Agent")) {
    // Go's HTTP/2 transport names itself when header_up deleted the field (Caddy sets an
    // empty one, which keeps it out, for a client that sent none: prepareFields).
    h.fields.emplaceBack("user-agent", "Go-http-client/2.0");
  }
  if (!chunkedBody_ && (hasBody_ || methodSendsLength(method_))) {
    h.fields.emplaceBack("content-length", std::to_string(hasBody_ ? bodyLength_ : 0));
  }
  if (chunkedBody_) {
    if (std::string names = announcedRequestTrailers(ex_.request); !names.empty()) {
      h.fields.emplaceBack("trailer", std::move(names));
    }
  }
  if (askedGzip_) {
    h.fields.emplaceBack("accept-encoding", "gzip");  // decoded on the way back (UpstreamH2Stream)
  }
  h.body = hasBody_;
}

// A session with room for another stream: the request joins it (at once when connected,
// else once its dial completes).
bool ProxyCall::joinH2() {
  UpstreamH2Session* s = pool_.h2().usable(slot_);
  if (s == nullptr) {
    return false;
  }
  h2_ = std::make_unique<UpstreamH2Stream>(*s, static_cast<H2StreamListener&>(*this));
  reused_ = h2_->reused();
  if (s->connected()) {
    sendRequest();
  } else {
    arm(Timer::Dial, config_.dialTimeout);
  }
  return true;
}

bool ProxyCall::dialH2(const UpstreamAddress& address) {
  DialOptions options = config_.transport.dialOptions(address, ex_.request);
  options.alpn = std::string_view("\x02h2\x08http/1.1", 12);
  H2SessionLimits limits;
  limits.streamWindow = config_.readBuffer;
  limits.maxHeaderBytes = config_.maxResponseHeader;
  limits.shareable = config_.keepAlive.enabled;
  auto conn = std::make_unique<UpstreamConnection>(pool_.loop(), address, slot_, pool_.readBuffer(),
                                                   config_.maxResponseHeader);
  conn->adoptPermit(std::move(permit_));  // max_conns_per_host: the session counts as one
  UpstreamH2Session& s =
      pool_.h2().add(slot_, std::make_unique<UpstreamH2Session>(pool_.h2(), std::move(conn), slot_, limits));
  h2_ = std::make_unique<UpstreamH2Stream>(s, static_cast<H2StreamListener&>(*this));
  const int rc = s.connect(address, options);
  if (rc != 0) {
    h2_.reset();
    arm(Timer::None, {});
    pool_.recordFailure(upstream_, config_.passive.failDuration);
    ex_.fail(502, "dial " + address.dial + ": " + uv_strerror(rc), runtime::traces::kProxyStatusError);
    return false;
  }
  return true;
}

void ProxyCall::sendRequestH2() {
  sent_ = std::chrono::steady_clock::now();
  h2_->submit(*h2Head_, method_ == "HEAD", askedGzip_);
  if (!h2_) {
    return;  // the submit failed and the failure took the stream away
  }
  if (!hasBody_) {
    bodyDone_ = true;
    requestComplete_ = true;
    arm(Timer::ResponseHeader, config_.responseHeaderTimeout);
    return;
  }
  // expect_continue_timeout: the body waits for the upstream's 100 or the timeout
  // (releaseBody); a final answer first means it is never sent and the stream is reset
  // (CANCEL) once the answer is done, as Go's transport aborts the body's write.
  awaitingContinue_ = expectsContinue_;
  if (awaitingContinue_) {
    arm(Timer::Continue, config_.expectContinueTimeout);
    return;
  }
  pulling_ = true;
  requestBody().pull(pool_.loop(), *this);
}

// TLS selected HTTP/1.1: this upstream is spoken to in HTTP/1.1 from now on. With the
// connection, the request goes out on it at once; without, it is tried again.
void ProxyCall::onUpstreamFallback(std::unique_ptr<UpstreamConnection> conn) {
  pool_.state(slot_).h1Only = true;
  retiredH2_ = std::move(h2_);
  scheduleDelivery();
  h2Mode_ = false;
  if (!conn) {
    arm(Timer::Retry, std::chrono::milliseconds(1));
    return;
  }
  arm(Timer::None, {});
  conn_ = std::move(conn);
  conn_->attach(*this);
  if (!buildHead()) {
    conn_.reset();
    finishWithError(502, "invalid header field for the upstream request");
    return;
  }
  sendRequest();
}

// A failed attempt's connection or stream cannot be destroyed inside its own callback.
void ProxyCall::retireStreams() {
  if (conn_) {
    auto dead = std::move(conn_);
    scheduleDelivery();
    retired_ = std::move(dead);
  }
  if (h2_) {
    auto dead = std::move(h2_);
    scheduleDelivery();
    retiredH2_ = std::move(dead);
  }
  if (fcgi_) {
    auto dead = std::move(fcgi_);
    scheduleDelivery();
    retiredFcgi_ = std::move(dead);
  }
}

void ProxyCall::pauseUpstream() {
  if (conn_) {
    conn_->pauseReading();
  } else if (fcgi_) {
    fcgi_->pauseReading();
  } else if (h2_) {
    // The stream's window is not reopened until the client takes bytes; a gzip answer
    // being decoded also stops decoding.
    h2_->pauseDecoding();
  }
}

void ProxyCall::resumeUpstream(size_t delivered) {
  if (conn_) {
    conn_->resumeReading();
  } else if (h2_) {
    h2_->consumed(delivered);
  } else if (fcgi_) {
    fcgi_->resumeReading();
  }
}

}  // namespace gatehouse::proxy
