// ProxyCall's life and its upstream attempts: choosing an upstream, taking a pooled
// connection or dialing (with a name lookup when needed), the dial / response-header
// timers, and what a failed attempt leads to (retry or 502/504).
#include "proxy/proxy_call.h"

#include <algorithm>
#include <utility>

#include "gatehouse/runtime/error_traces.h"
#include "proxy/proxy_errors.h"

namespace gatehouse::proxy {

using runtime::Exchange;
using runtime::Outcome;

namespace {
constexpr uint32_t kH2Retries = 5;  // HTTP/2 attempts retried at once (unprocessed streams)
}  // namespace

ProxyCall::ProxyCall(const ProxyConfig& config, ConnectionPool& pool, Exchange& ex)
    : config_(config), pool_(pool), ex_(ex), begun_(std::chrono::steady_clock::now()) {}

ProxyCall::~ProxyCall() {
  DeliveryQueue::cancel(delivery_);
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
  if (ticket_ != 0) {
    pool_.waiters()->leave(ticket_);  // a client that leaves drops out of the queue
  }
  if (holdsSlot_) {
    pool_.releaseSlot(slot_);
  }
}

void ProxyCall::scheduleDelivery() {
  pool_.deliveries().schedule(delivery_, this, [](void* self) { static_cast<ProxyCall*>(self)->deliver(); });
}

void ProxyCall::countActive(bool on) {
  if (on != active_) {
    active_ = on;
    pool_.countRequest(upstream_, on ? 1 : -1);
  }
}

Outcome ProxyCall::start() {
  if (!prepareHead()) {
    ex_.fail(502, "invalid header field for the upstream request", runtime::traces::kProxyStatusError);
    return Outcome::Handled;
  }
  if (bodyAlreadyRead()) {
    return Outcome::Handled;
  }
  if (bufferRequest()) {
    return Outcome::Paused;  // request_buffers: the upstream is chosen once the body is held
  }
  if (!attempt()) {
    return Outcome::Handled;  // attempt() recorded the error
  }
  return Outcome::Paused;
}

// {http.reverse_proxy.upstream.*}: the values as they are now, formatted only if asked.
// upstream.address of a tcp upstream is "tcp/" + hostport, formed when asked: left empty
// here, sparing every request a heap-allocated copy.
void ProxyCall::recordUpstream(const UpstreamAddress& address, const std::string& hostport,
                               const std::string& network, uint32_t maxRequests) {
  auto& f = ex_.upstream;
  f.chosen = true;
  const bool tcp = network.size() == hostport.size() + 4 && network.starts_with("tcp/");
  f.address = tcp ? std::string_view() : std::string_view(network);
  f.hostport = hostport;
  // A Unix socket's "host" is its path and its port 0, as Caddy's DialInfo.
  f.host = address.unix ? std::string_view(address.path) : std::string_view(address.host);
  f.port = address.unix ? std::string_view("0") : std::string_view(address.port);
  // Caddy sets it before its round trip counts this request: the others in flight.
  const uint32_t inFlight = pool_.inFlight(upstream_);
  f.requests = active_ && inFlight > 0 ? inFlight - 1 : inFlight;
  f.maxRequests = requestLimit(maxRequests);
  f.fails = pool_.recentFails(upstream_);
}

bool ProxyCall::available(size_t i) {
  return availableState(i, config_.upstreams[i].maxRequests, config_.active.has_value());
}

// Caddy's MaxRequests: unhealthy_request_count is only the default of an upstream without
// max_requests (one limit, never the lower of both).
uint32_t ProxyCall::requestLimit(uint32_t maxRequests) const {
  return maxRequests != 0 ? maxRequests : config_.passive.unhealthyRequestCount;
}

// Caddy's Upstream.Available: under its request limits, not failed too often, and
// healthy by active checks when those run for it.
bool ProxyCall::availableState(size_t state, uint32_t maxRequests, bool activeChecked) {
  const uint32_t limit = requestLimit(maxRequests);
  if (limit != 0 && pool_.inFlight(state) >= limit) {
    return false;
  }
  const auto& ph = config_.passive;
  if (ph.neverHealthy() || (activeChecked && !pool_.activeHealthy(state))) {
    return false;
  }
  return ph.failDuration.count() == 0 || pool_.recentFails(state) < ph.maxFails;
}

// Picks an upstream and starts on it. False when the request failed for good.
bool ProxyCall::attempt() {
  ++attempts_;
  if (config_.dynamic && lookups_ != nullptr) {
    return pickDynamic();
  }
  return pickConfigured();
}

bool ProxyCall::pickConfigured() {
  std::vector<size_t>& avail = pool_.scratch();
  avail.clear();
  for (size_t i = 0; i < config_.upstreams.size(); ++i) {
    if (available(i)) {
      avail.push_back(i);
    }
  }
  const int pick = config_.policy->select(avail, ex_, pool_);
  if (pick < 0) {
    ex_.fail(503, "no upstreams available", runtime::traces::kProxyNoUpstreams);
    return false;
  }
  countActive(false);
  upstream_ = avail[static_cast<size_t>(pick)];
  countActive(true);
  stickyCookie_ = config_.policy->responseCookie(upstream_, ex_);
  const Upstream& up = config_.upstreams[upstream_];
  if (up.srv && lookups_ != nullptr) {
    return pickSrv();
  }
  if (up.dialTemplate) {
    if (!resolveTemplate(up)) {
      return false;
    }
    return begin(pool_.slotFor(picked_->dial), *picked_, pickedHostport_, pickedNetwork_, up.maxRequests);
  }
  return begin(upstream_, up.address, up.hostport, up.network, up.maxRequests);
}

// An address with placeholders, rendered for this request (Caddy's fillDialInfo).
bool ProxyCall::resolveTemplate(const Upstream& up) {
  const std::string dial = up.dialTemplate->render(ex_);
  std::string error;
  auto addr = UpstreamAddress::parseResolved(dial, error);
  if (!addr) {
    ex_.fail(502, "making dial info: upstream " + up.address.dial + ": " + error,
             runtime::traces::kProxyStatusError);
    return false;
  }
  pickedAddress(std::move(*addr));
  pool_.sweepSlots();
  return true;
}

void ProxyCall::pickedAddress(UpstreamAddress address) {
  if (picked_) {
    *picked_ = std::move(address);  // the same object: target_ may point at it
  } else {
    picked_ = std::make_unique<UpstreamAddress>(std::move(address));
  }
  pickedHostport_ = hostportOf(*picked_);
  pickedNetwork_ = networkAddressOf(*picked_, pickedHostport_);
}

void ProxyCall::holdSlot(size_t slot) {
  if (holdsSlot_) {
    pool_.releaseSlot(slot_);
  }
  slot_ = slot;
  pool_.holdSlot(slot_);
  holdsSlot_ = true;
}

// Starts the attempt on the chosen upstream (state upstream_): a pooled connection of
// `slot`, or a new one to `address`.
bool ProxyCall::begin(size_t slot, const UpstreamAddress& address, const std::string& hostport,
                      const std::string& network, uint32_t maxRequests) {
  holdSlot(slot);
  target_ = &address;
  recordUpstream(address, hostport, network, maxRequests);
  h2Mode_ = !config_.fastcgi && wantsH2();
  if (h2Mode_ && !ex_.request.upgrade.empty()) {
    // As Caddy (Go's HTTP/2 transport refuses the request): an upgrade cannot go over h2c.
    ex_.fail(502, "upstream " + address.dial + ": an upgrade cannot be proxied over h2c",
             runtime::traces::kProxyStatusError);
    return false;
  }
  if (config_.fastcgi) {
    if (!buildFastCgiHead()) {
      return false;  // it recorded the error
    }
  } else if (!buildHead()) {
    ex_.fail(502, "invalid header field for the upstream request", runtime::traces::kProxyStatusError);
    return false;
  }
  return obtainConnection(address);
}

bool ProxyCall::webSocketUpgrade() const {
  // The field the upstream gets (header_rules' removeHopByHop): Connection: Upgrade and
  // the client's Upgrade value, lower-cased.
  return runtime::equalsIgnoreCase(ex_.request.upgrade, "websocket");
}

bool ProxyCall::obtainConnection(const UpstreamAddress& address) {
  if (h2Mode_) {
    if (joinH2()) {
      permit_.reset();
      return true;  // a session with room for another stream
    }
  } else if ((conn_ = pool_.takeIdle(slot_, webSocketUpgrade()))) {
    permit_.reset();
    reused_ = true;
    conn_->attach(*this);
    sendRequest();
    return true;
  }
  reused_ = false;
  if (pool_.waiters() != nullptr && !config_.fastcgi) {
    if (permit_ && permit_.key() != address.dial) {
      permit_.reset();  // a slot taken for another upstream by an earlier attempt
    }
    if (!permit_ && !(permit_ = pool_.waiters()->acquire(address.dial, slot_, *this, ticket_))) {
      return true;  // queued: onConnSlot goes on
    }
  }
  arm(Timer::Dial, config_.dialTimeout);  // Go's dial timeout covers the name lookup too
  if (address.resolve) {
    lookup_ = std::make_unique<HostLookup>(pool_.loop(), address.host, address.port, address.family,
                                           config_.transport.resolvers,
                                           [this](int status, AddressList& a) { onResolved(status, a); });
    if (lookup_->startError() == 0) {
      return true;
    }
    arm(Timer::None, {});
    pool_.recordFailure(upstream_, config_.passive.failDuration);
    ex_.fail(502, "lookup " + address.host + ": " + uv_strerror(lookup_->startError()),
             runtime::traces::kProxyStatusError);
    return false;
  }
  return dial(address);
}

bool ProxyCall::dial(const UpstreamAddress& address) {
  if (config_.fastcgi) {
    return dialFastCgi(address);
  }
  if (h2Mode_) {
    return dialH2(address);
  }
  conn_ = std::make_unique<UpstreamConnection>(pool_.loop(), address, slot_, pool_.readBuffer(),
                                               config_.maxResponseHeader);
  conn_->adoptPermit(std::move(permit_));
  conn_->setWebSocketOnly(webSocketUpgrade());
  const int rc = conn_->connect(*this, address, config_.transport.dialOptions(address, ex_.request));
  if (rc != 0) {
    arm(Timer::None, {});
    pool_.recordFailure(upstream_, config_.passive.failDuration);
    std::string text = dialErrorText(address, rc, config_.nameserver);
    ex_.fail(502, text.empty() ? "dial " + address.dial + ": " + uv_strerror(rc) : std::move(text),
             runtime::traces::kProxyStatusError);
    return false;
  }
  return true;
}

// Its turn in max_conns_per_host's queue (from the loop, never inside another call).
void ProxyCall::onConnSlot(ConnPermit permit, std::unique_ptr<UpstreamConnection> conn) {
  ticket_ = 0;
  permit_ = std::move(permit);
  if (conn && conn->webSocketOnly() != webSocketUpgrade()) {
    permit_ = conn->takePermit();  // pooled for the other kind of request: dial on its slot
    conn.reset();
  }
  if (conn && !conn->dead()) {
    conn_ = std::move(conn);  // a connection another request of this worker just finished with
    reused_ = true;
    conn_->attach(*this);
    sendRequest();
    return;
  }
  conn.reset();
  if (!obtainConnection(*target_)) {
    ex_.host->resume();
  }
}

void ProxyCall::onResolved(int status, AddressList& addresses) {
  if (status != 0) {
    onAttemptFailed(status);  // no connection: a dial failure
    return;
  }
  // Only the dial needs it (the connection copies what it keeps): a member would cost every
  // call, and every hours-long tunnel, ~270 bytes.
  UpstreamAddress resolved = *target_;
  resolved.setResolved(addresses);  // several: the connection races them (DialRace)
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
  if (kind == Timer::Continue) {
    self->releaseBody();  // no 100 in time: the body goes anyway, as Go's transport sends it
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
  self->fcgi_.reset();
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
      // A broken upstream is no orderly close: abort marks the tunnel's end as a failure
      // (HTTP/2 resets the stream; HTTP/1.1 closes the connection either way).
      ex_.response.abort = true;
      ex_.host->tunnelClose();
    }
    return;
  }
  if (headSeen_) {
    // Mid-body: the client must see a broken response, never a clean end.
    bodyError_ = uvError;
    if (sink_ != nullptr || std::exchange(holdingHead_, false)) {
      scheduleDelivery();
    }
    return;
  }
  onAttemptFailed(uvError);
}

void ProxyCall::onAttemptFailed(int uvError) {
  bool dialFailed = !conn_ || !conn_->connected();
  std::string why = conn_ && !conn_->failure().empty() ? conn_->failure() : uv_strerror(uvError);
  const bool worded = conn_ && conn_->failureWorded();
  if (conn_ && conn_->headerLimitHit()) {
    // Go's transport words it so (Caddy logs this text); not a bare "protocol error".
    why = "net/http: HTTP/1.x transport connection broken: net/http: server response headers exceeded " +
          std::to_string(conn_->headerLimit()) + " bytes; aborted";
  }
  // A pull in flight may still deliver body bytes meant for this attempt: not retryable,
  // unless the whole body is held (request_buffers) and can go out again.
  const bool bodyTouched = (bodyStarted_ || pulling_) && !replayBody();
  bool staleReuse =
      reused_ && !bodyTouched && !(conn_ && conn_->answerStarted()) && replayableOnStaleConn(uvError);
  if (fcgi_) {
    dialFailed = !fcgi_->connected();
    why = fcgi_->failure().empty() ? why : fcgi_->failure();
  }
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
  const bool retryable = !bodyTouched && (staleReuse || dialFailed || retryAllowed());
  const bool timeLeft = config_.tryDuration.count() > 0 && elapsed < config_.tryDuration;
  const bool triesLeft = attempts_ <= config_.retries;
  // A plain dial failure reads as Go's dialer words it; anything later keeps our own text.
  const bool plainDial = dialFailed && !fcgi_ && !h2_ && !(conn_ && !conn_->failure().empty());
  // The connection object cannot be destroyed inside its own callback: retire it.
  retireStreams();
  if (retryable && (staleReuse || timeLeft || triesLeft)) {
    countActive(false);     // Caddy's round trip is over: the wait for the next try is not counted
    dynamicHosts_.clear();  // nor are its dynamic upstreams held (Caddy's try has ended)
    if (staleReuse) {
      arm(Timer::Retry, std::chrono::milliseconds(1));  // a parked connection the upstream had closed
    } else {
      arm(Timer::Retry, std::max(config_.tryInterval, std::chrono::milliseconds(1)));
    }
    return;
  }
  std::string text = plainDial ? dialErrorText(*target_, uvError, config_.nameserver) : std::string();
  if (worded) {
    text = why;  // Go's transport's own words, as Caddy's error message
  }
  finishWithError(uvError == UV_ETIMEDOUT ? 504 : 502,
                  text.empty() ? std::string("upstream ") + target_->dial + ": " + why : std::move(text));
}

void ProxyCall::finishWithError(int status, std::string message, const char* trace) {
  countActive(false);  // the round trip is over, as Caddy counts it, before the error answers
  dynamicHosts_.clear();
  ex_.fail(status, std::move(message), trace);
  ex_.host->resume();
}

}  // namespace gatehouse::proxy
