// ProxyCall's life and its upstream attempts: choosing an upstream, taking a pooled
// connection or dialing (with a name lookup when needed), the dial / response-header
// timers, and what a failed attempt leads to (retry or 502/504).
#include "proxy/proxy_call.h"

#include <algorithm>


namespace gatehouse::proxy {

using runtime::Exchange;
using runtime::Outcome;

namespace {
constexpr uint32_t kH2Retries = 5;  // HTTP/2 attempts retried at once (unprocessed streams)
}  // namespace

ProxyCall::ProxyCall(const ProxyConfig& config, ConnectionPool& pool, Exchange& ex)
    : config_(config),
      pool_(pool),
      ex_(ex),
      begun_(std::chrono::steady_clock::now()) {}

ProxyCall::~ProxyCall() {
  pool_.deliveries().cancel(this);
  if (source_ != nullptr) {
    source_->callGone();
  }
  // A response read in full on a keep-alive connection may still hold it (the exchange
  // ended before the delivery ran): it goes back to the pool. Whatever else is still open
  // to the upstream closes now (conn_'s destructor).
  if (ended_ && conn_ && conn_->reusable() && requestComplete_ && !pulling_) {
    releaseConnection();
  }
  countActive(false);
}

void ProxyCall::scheduleDelivery() {
  pool_.deliveries().schedule(this, [](void* self) { static_cast<ProxyCall*>(self)->deliver(); });
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

// {http.reverse_proxy.upstream.*}: the values as they are now, formatted only if asked.
void ProxyCall::recordUpstream(const Upstream& up) {
  auto& f = ex_.upstream;
  f.chosen = true;
  f.address = up.address.dial;
  f.hostport = up.hostport;
  f.host = up.address.unix ? std::string_view() : std::string_view(up.address.host);
  f.port = up.address.unix ? std::string_view() : std::string_view(up.address.port);
  f.requests = pool_.state(upstream_).active;
  f.maxRequests = up.maxRequests;
  f.fails = pool_.failures(upstream_);
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
  std::vector<size_t>& avail = pool_.scratch();
  avail.clear();
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
  recordUpstream(up);
  h2Mode_ = wantsH2();
  if (h2Mode_ && !ex_.request.upgrade.empty()) {
    // As Caddy (Go's HTTP/2 transport refuses the request): an upgrade cannot go over h2c.
    ex_.fail(502, "upstream " + up.address.dial + ": an upgrade cannot be proxied over h2c");
    return false;
  }
  if (!buildHead()) {
    ex_.fail(502, "invalid header field for the upstream request");
    return false;
  }
  if (h2Mode_) {
    if (joinH2()) {
      return true;  // a session with room for another stream
    }
  } else if ((conn_ = pool_.takeIdle(upstream_))) {
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
  if (h2Mode_) {
    return dialH2(address);
  }
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
  // Only the dial needs it (the connection copies what it keeps): a member would cost every
  // call, and every hours-long tunnel, ~270 bytes.
  UpstreamAddress resolved = config_.upstreams[upstream_].address;
  resolved.addr = address;
  if (!dial(resolved)) {
    ex_.host->resume();
  }
}

// The timer handle is made the first time a timeout is actually armed: most requests
// (no response_header_timeout, a pooled connection) never need one.
void ProxyCall::arm(Timer what, std::chrono::milliseconds after) {
  timerKind_ = what;
  const bool start = what != Timer::None && after.count() > 0;
  if (!timer_) {
    if (!start) {
      return;
    }
    uv_timer_init(pool_.loop(), timer_.create());
  }
  timer_.get()->data = this;
  uv_timer_stop(timer_.get());
  if (start) {
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
  self->h2_.reset();
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
      scheduleDelivery();
    }
    return;
  }
  onAttemptFailed(uvError);
}

void ProxyCall::onAttemptFailed(int uvError) {
  bool dialFailed = !conn_ || !conn_->connected();
  std::string why = conn_ && !conn_->failure().empty() ? conn_->failure() : uv_strerror(uvError);
  // A pull in flight may still deliver body bytes meant for this attempt: not retryable.
  const bool bodyTouched = bodyStarted_ || pulling_;
  bool staleReuse = reused_ && !bodyTouched;
  if (h2_) {
    dialFailed = !h2_->connected() && !h2_->reused() && h2_->id() == 0;
    why = h2_->failure().empty() ? why : h2_->failure();
    // A stream the upstream refused or a GOAWAY left out was never processed: tried again a
    // few times (as Go's transport does), never forever against an upstream that refuses all.
    staleReuse = (h2_->reused() || h2_->unprocessed()) && !bodyTouched && attempts_ <= kH2Retries;
  }
  if (!staleReuse) {
    pool_.recordFailure(upstream_, config_.passive.failDuration);
  }
  const auto elapsed = std::chrono::steady_clock::now() - begun_;
  const bool retryable = !bodyTouched && (staleReuse || dialFailed || ex_.request.method == "GET");
  const bool timeLeft = config_.tryDuration.count() > 0 && elapsed < config_.tryDuration;
  const bool triesLeft = attempts_ <= config_.retries;
  // The connection object cannot be destroyed inside its own callback: retire it.
  retireStreams();
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

}  // namespace gatehouse::proxy
