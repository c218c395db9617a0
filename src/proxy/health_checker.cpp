#include "proxy/health_checker.h"

#include <algorithm>
#include <limits>

#include "provision/runtime.h"
#include "proxy/connection_pool.h"
#include "proxy/health_checker_redirect.h"
#include "proxy/health_request.h"
#include "proxy/host_lookup.h"
#include "proxy/proxy_config.h"
#include "proxy/upstream_connection.h"
#include "proxy/upstream_h2_pool.h"
#include "proxy/upstream_h2_stream.h"
#include "proxy/upstream_tls.h"

namespace gatehouse::proxy {

namespace {

// How long a check's idle HTTP/2 connection is kept: Caddy's keep_alive idle_timeout
// default (2 min), which its transport's connections (and so its checks') get.
constexpr uint64_t kH2IdleMs = 120'000;

}  // namespace

// The checks of one upstream, one at a time: one request each, one verdict each. As Go's
// client over Caddy's transport, the connection is kept alive between checks (drained to
// the end of each answer) and dropped on an error, a timeout, an answer that cannot be
// reused or a body past max_size; a request that fails on a reused connection before any
// answer is tried once more on a new one, as Go's transport retries it.
// Over HTTP/2 (an h2c transport to a cleartext upstream, or TLS with `versions 2`, Caddy's
// default, when the upstream selects h2 by ALPN) each check is a stream on the checker's
// own HTTP/2 connection to the upstream, kept between checks, as caddy 2.6.2 checks through
// the handler's transport; TLS that selects HTTP/1.1 falls back to the HTTP/1.1 check.
class HealthChecker::Probe final : private H2StreamListener {
 public:
  Probe(HealthChecker& owner, size_t index) : owner_(owner), index_(index) {}

  void start() {
    const auto& c = owner_.config_;
    const std::string configuredHost(c.headers.get("Host"));
    request_ = HealthRequest{c.method,
                             c.uri,
                             configuredHost.empty() ? owner_.hostHeaders_[index_] : configuredHost,
                             !configuredHost.empty(),
                             true,
                             owner_.hostHeaders_[index_],
                             ""};
    done_ = false;
    dropping_ = false;
    next_.reset();
    requests_ = 0;
    retired_.reset();
    resetBody();
    if (conn_ && (!idle_ || conn_->dead())) {
      conn_.reset();  // still draining the last answer, or closed by the upstream while idle
    }
    idle_ = false;
    retiredStream_.reset();
    unconsumed_ = 0;
    if (!timer_) {
      uv_timer_init(owner_.pool_.loop(), timer_.create());
      timer_.get()->data = this;
    }
    // The timeout covers the name lookup and the whole answer, as Go's client Timeout does.
    uv_timer_start(timer_.get(), &Probe::onTimeout, static_cast<uint64_t>(c.timeout.count()), 0);
    h2Mode_ = wantsH2();
    if (h2Mode_) {
      conn_.reset();
      startH2();
      return;
    }
    if (!conn_ && owner_.sharesPool_[index_]) {
      conn_ = owner_.pool_.takeIdle(index_);  // an idle connection of the proxied requests
    }
    reused_ = conn_ != nullptr;
    if (reused_) {
      conn_->attach(*this);
      send();
      return;
    }
    dial();
  }
  [[nodiscard]] bool done() const { return done_; }
  // Closes the connection kept for the next check (none will come).
  void release() {
    if (timer_) {
      uv_timer_stop(timer_.get());
    }
    if (step_) {
      uv_timer_stop(step_.get());
    }
    drop();
  }

 private:
  void dial() {
    target_ = owner_.targets_[index_];
    if (!target_.resolve) {
      connect();
      return;
    }
    static const std::vector<ResolverAddress> kSystem;
    lookup_ =
        std::make_unique<HostLookup>(owner_.pool_.loop(), target_.host, target_.port, target_.family,
                                     owner_.transport_ != nullptr ? owner_.transport_->resolvers : kSystem,
                                     [this](int status, AddressList& a) {
                                       if (status != 0) {
                                         fail();
                                         return;
                                       }
                                       target_.setResolved(a);
                                       connect();
                                     });
    if (lookup_->startError() != 0) {
      fail();
    }
  }
  // The transport's TLS applies to this upstream.
  [[nodiscard]] const UpstreamTls* tlsFor(const UpstreamAddress& a) const {
    const TransportConfig* t = owner_.transport_;
    const UpstreamTls* tls = t != nullptr ? t->tls.get() : nullptr;
    return tls != nullptr && (a.unix || tls->appliesToPort(a.port)) ? tls : nullptr;
  }
  // As the handler's transport speaks to this upstream: h2c, or h2 offered over TLS.
  [[nodiscard]] bool wantsH2() const {
    const TransportConfig* t = owner_.transport_;
    if (t == nullptr || h1Only_) {
      return false;
    }
    return tlsFor(owner_.targets_[index_]) != nullptr ? t->h2 : t->h2c;
  }
  // A stream on the kept HTTP/2 connection, or a new connection (looked up and dialed).
  void startH2() {
    UpstreamH2Session* s = sessions().usable(index_);
    if (s == nullptr) {
      reused_ = false;
      dial();
      return;
    }
    target_ = owner_.targets_[index_];
    stream_ = std::make_unique<UpstreamH2Stream>(*s, static_cast<H2StreamListener&>(*this));
    reused_ = stream_->reused();
    if (s->connected()) {
      submitH2();
    }
  }
  void connectH2(const DialOptions& base) {
    auto& pool = owner_.pool_;
    DialOptions options = base;
    options.alpn = std::string_view("\x02h2\x08http/1.1", 12);
    auto conn =
        std::make_unique<UpstreamConnection>(pool.loop(), target_, index_, pool.readBuffer(), 64 * 1024);
    H2Sessions& sessions = this->sessions();
    // A check reads at most max_size bytes of an answer: each stream's window holds that
    // much and is never reopened (a gzip answer's reopens as it is decoded), so no
    // WINDOW_UPDATE has to go out from inside the body's callback.
    H2SessionLimits limits;
    limits.streamWindow =
        std::min<size_t>(owner_.config_.maxSize + 64 * 1024, std::numeric_limits<int32_t>::max());
    limits.shareable = pool.keepAlive().enabled;
    UpstreamH2Session& s =
        sessions.add(index_, std::make_unique<UpstreamH2Session>(sessions, std::move(conn), index_, limits));
    stream_ = std::make_unique<UpstreamH2Stream>(s, static_cast<H2StreamListener&>(*this));
    if (s.connect(target_, options) != 0) {
      fail();
    }
  }
  // Where this upstream's HTTP/2 connections are kept: the worker pool's (shared with the
  // proxied requests, as Caddy's checks share its transport's) or the checker's own
  // (health_port: an address no proxied request goes to).
  H2Sessions& sessions() { return owner_.sharesPool_[index_] ? owner_.pool_.h2() : *owner_.h2_; }
  [[nodiscard]] bool tlsNow() const {
    return conn_ ? conn_->tlsActive() : tlsFor(owner_.targets_[index_]) != nullptr;
  }
  void submitH2() {
    const auto& c = owner_.config_;
    const bool compression = owner_.transport_ == nullptr || owner_.transport_->compression;
    const HealthH2Head h =
        healthRequestH2(request_, c.headers, c.body, compression, tlsFor(owner_.targets_[index_]) != nullptr);
    stream_->submit(h.head, request_.method == "HEAD", h.askedGzip);
    if (h.head.body && !done_) {
      stream_->sendBody(h.body, true);
    }
  }
  void connect() {
    auto& pool = owner_.pool_;
    DialOptions options;
    if (const TransportConfig* t = owner_.transport_) {
      options.tls = tlsFor(target_);
      if (t->proxyProtocol != ProxyProtocol::Off && !target_.unix) {
        options.proxyHeader = proxyProtocolHeader(t->proxyProtocol, "", 0, target_.addr);
      }
      if (t->localAddress && !target_.unix) {
        options.localAddress = &*t->localAddress;
      }
      options.fallbackDelay = t->fallbackDelay;
      if (options.tls != nullptr && t->h2) {
        options.alpn = kAlpnHttp11;  // as the transport's own HTTP/1.1 dials (dialOptions)
      }
    }
    options.dialTimeout = owner_.config_.timeout;  // the check's timeout bounds its dial
    if (h2Mode_) {
      connectH2(options);
      return;
    }
    conn_ = std::make_unique<UpstreamConnection>(pool.loop(), target_, index_, pool.readBuffer(), 64 * 1024);
    if (conn_->connect(*this, target_, options) != 0) {
      fail();
    }
  }
  void send() {
    const auto& c = owner_.config_;
    const bool compression = owner_.transport_ == nullptr || owner_.transport_->compression;
    const bool keepAlive = owner_.pool_.keepAlive().enabled;
    const HealthWire wire = healthRequestWire(request_, c.headers, c.body, compression, !keepAlive);
    conn_->expectResponse(request_.method == "HEAD", wire.askedGzip);
    conn_->write(wire.bytes);
  }
  static void onTimeout(uv_timer_t* t) {
    auto* self = static_cast<Probe*>(t->data);
    self->finish(false);  // no-op once the verdict is in (the answer was draining)
    self->drop();
  }
  // Frees the connections: only from the timer (never inside one of their callbacks).
  void drop() {
    lookup_.reset();
    conn_.reset();
    retired_.reset();
    stream_.reset();
    retiredStream_.reset();
    idle_ = false;
  }
  // The connection is done with but cannot be freed here (a callback of its own): the
  // timer frees it at once.
  void dropSoon() {
    dropping_ = true;
    if (conn_) {
      conn_->pauseReading();
    }
    uv_timer_start(timer_.get(), &Probe::onTimeout, 0, 0);
  }
  void fail() {
    finish(false);
    dropSoon();
  }
  void finish(bool healthy) {
    if (done_) {
      return;
    }
    done_ = true;
    owner_.record(index_, healthy);
  }
  bool statusOk(int status) const {
    const int want = owner_.config_.expectStatus;
    if (want == 0) {
      return status / 100 == 2;
    }
    return want < 10 ? status / 100 == want : status == want;
  }
  void resetBody() {
    body_.clear();
    bodyBytes_ = 0;
    headSeen_ = false;
  }

  void onUpstreamConnected() override {
    if (stream_) {
      submitH2();
    } else {
      send();
    }
  }
  // TLS selected HTTP/1.1: this upstream is checked over HTTP/1.1 from now on, this check
  // on that connection.
  void onUpstreamFallback(std::unique_ptr<UpstreamConnection> conn) override {
    h1Only_ = true;
    h2Mode_ = false;
    retiredStream_ = std::move(stream_);  // orphaned by its session: freed later
    if (!conn) {
      connect();
      return;
    }
    conn_ = std::move(conn);
    conn_->attach(*this);
    send();
  }
  void onUpstreamHead(ResponseHead& head) override {
    headSeen_ = true;
    const std::string location(head.headers.get("Location"));
    if (owner_.config_.followRedirects && isFollowedRedirect(head.status) && !location.empty()) {
      std::string why;
      next_ = ++requests_ < kHealthMaxRequests
                  ? followRedirect(request_, head.status, location, tlsNow(), why)
                  : std::nullopt;
      if (!next_) {
        fail();
      }
      return;  // followed once this response has ended
    }
    if (!statusOk(head.status)) {
      finish(false);  // the body is still drained, for the connection's next check
    } else if (!owner_.config_.expectBody) {
      finish(true);
    }
  }
  void onUpstreamBody(std::string_view data) override {
    if (h2Mode_ && stream_ && owner_.sharesPool_[index_]) {
      // A session the proxy dialed has its (smaller) stream window: reopened from the loop
      // as the body comes, so a long answer does not stall.
      unconsumed_ += data.size();
      if (!consume_) {
        uv_timer_init(owner_.pool_.loop(), consume_.create());
        consume_.get()->data = this;
      }
      uv_timer_start(consume_.get(), &Probe::onConsume, 0, 0);
    }
    const size_t max = owner_.config_.maxSize;
    bodyBytes_ += data.size();
    if (next_) {
      return;  // a redirect's body: read to its end (past 2 KiB the next request dials anew)
    }
    if (!done_) {
      body_.append(data.substr(0, max - std::min(max, body_.size())));  // the first max_size bytes
    }
    if (bodyBytes_ > max) {
      // Caddy reads (and drains) the answer through a max_size limit: a longer one is
      // judged on its first max_size bytes and its connection closed.
      finish(matches());
      fail();
    }
  }
  [[nodiscard]] bool matches() const {
    return owner_.config_.expectBody && re2::RE2::PartialMatch(body_, *owner_.config_.expectBody);
  }
  void onUpstreamEnd() override {
    if (h2Mode_) {
      endH2();
      return;
    }
    if (next_) {
      if (!dropping_ && next_->urlHost == request_.urlHost && bodyBytes_ <= kHealthRedirectSlurp &&
          conn_->reusable() && owner_.pool_.keepAlive().enabled) {
        // Go's client follows on the connection it keeps for that host: the next request
        // goes out from the loop (not inside this callback of the connection).
        request_ = std::move(*next_);
        next_.reset();
        resetBody();
        conn_->park();
        idle_ = true;
        if (!step_) {
          uv_timer_init(owner_.pool_.loop(), step_.create());
          step_.get()->data = this;
        }
        uv_timer_start(step_.get(), &Probe::onStep, 0, 0);
        return;
      }
      redirect();
      return;
    }
    finish(matches());
    if (dropping_) {
      return;
    }
    if (!conn_->reusable() || !owner_.pool_.keepAlive().enabled) {
      dropSoon();  // keepalive off: Go's transport closes every connection after its answer
      return;
    }
    conn_->park();  // idle until the next check; any byte or EOF from the upstream kills it
    idle_ = true;
    if (owner_.sharesPool_[index_]) {
      // Back to the pool the proxied requests use, from the loop (not inside this callback).
      uv_timer_start(timer_.get(), &Probe::onReturn, 0, 0);
      return;
    }
    uv_timer_stop(timer_.get());
  }
  static void onConsume(uv_timer_t* t) {
    auto* self = static_cast<Probe*>(t->data);
    if (self->stream_ && self->unconsumed_ > 0) {
      self->stream_->consumed(self->unconsumed_);
    }
    self->unconsumed_ = 0;
  }
  static void onReturn(uv_timer_t* t) {
    auto* self = static_cast<Probe*>(t->data);
    if (self->idle_ && self->conn_) {
      self->idle_ = false;
      self->owner_.pool_.giveBack(std::move(self->conn_));
    }
  }
  // The answer ended: the stream goes (a finished one leaves its session quietly, also from
  // inside its own callback); a redirect's next request is a new stream, from the loop.
  void endH2() {
    stream_.reset();
    if (next_) {
      request_ = std::move(*next_);
      next_.reset();
      resetBody();
      stepSoon();
      return;
    }
    finish(matches());
    if (!dropping_) {
      uv_timer_stop(timer_.get());
    }
  }
  void stepSoon() {
    if (!step_) {
      uv_timer_init(owner_.pool_.loop(), step_.create());
      step_.get()->data = this;
    }
    uv_timer_start(step_.get(), &Probe::onStep, 0, 0);
  }
  static void onStep(uv_timer_t* t) {
    auto* self = static_cast<Probe*>(t->data);
    if (self->done_) {
      return;  // timed out meanwhile
    }
    if (self->h2Mode_) {
      self->retiredStream_.reset();
      self->startH2();
      return;
    }
    self->idle_ = false;
    if (!self->conn_ || self->conn_->dead()) {
      self->conn_.reset();
      self->reused_ = false;
      self->connect();
      return;
    }
    self->reused_ = true;
    self->conn_->attach(*self);
    self->send();
  }
  // The next request goes to the same upstream on a new connection; the old one is kept,
  // detached, until the probe ends (a callback must not free its connection).
  void redirect() {
    request_ = std::move(*next_);
    next_.reset();
    resetBody();
    conn_->park();  // detached: it tells this probe nothing more
    retired_ = std::move(conn_);
    reused_ = false;
    connect();
  }
  void onUpstreamWritten() override {}
  void onUpstreamError(int /*uvError*/) override {
    const bool idempotent = (request_.method == "GET" || request_.method == "HEAD") &&
                            (owner_.config_.body.empty() || !request_.withBody);
    if (h2Mode_ && reused_ && !headSeen_ && !done_ && idempotent) {
      // The kept HTTP/2 connection went (GOAWAY, closed) as the check went out: again on a
      // new one, from the loop.
      reused_ = false;
      retiredStream_ = std::move(stream_);
      stepSoon();
      return;
    }
    if (reused_ && !headSeen_ && !done_ && idempotent) {
      // The upstream closed the kept connection as the check went out: Go's transport
      // sends it again on a new connection.
      retired_ = std::move(conn_);
      reused_ = false;
      dial();
      return;
    }
    fail();
  }
  void onUpstreamTunnelData(std::string_view /*data*/) override { fail(); }
  void onUpstreamTunnelEof() override { fail(); }

  HealthChecker& owner_;
  size_t index_;
  UpstreamAddress target_;
  std::unique_ptr<HostLookup> lookup_;
  std::unique_ptr<UpstreamConnection> conn_;
  std::unique_ptr<UpstreamConnection> retired_;      // the previous one, after a redirect or retry
  std::unique_ptr<UpstreamH2Stream> stream_;         // this check over HTTP/2
  std::unique_ptr<UpstreamH2Stream> retiredStream_;  // one being retried, or orphaned by a fallback
  HealthRequest request_;
  std::optional<HealthRequest> next_;  // a redirect to follow once its response ends
  int requests_ = 0;
  UvHandle<uv_timer_t> timer_;
  UvHandle<uv_timer_t> step_;     // a redirect followed on the kept connection
  UvHandle<uv_timer_t> consume_;  // reopens a shared HTTP/2 session's stream window
  size_t unconsumed_ = 0;
  std::string body_;
  size_t bodyBytes_ = 0;  // of this answer, read so far
  bool done_ = false;     // this check's verdict is in
  bool idle_ = false;     // conn_ is kept alive for the next check
  bool reused_ = false;   // this check went out on a kept connection
  bool headSeen_ = false;
  bool dropping_ = false;  // the timer frees the connection at once
  bool h2Mode_ = false;    // this check goes over HTTP/2
  bool h1Only_ = false;    // the TLS upstream selected HTTP/1.1 once
};

HealthChecker::HealthChecker(ConnectionPool& pool, const std::vector<Upstream>& upstreams,
                             const ActiveHealth& config, const TransportConfig* transport,
                             std::shared_ptr<const void> keepAlive, std::weak_ptr<const void> owner,
                             std::shared_ptr<HealthVerdicts> verdicts)
    : pool_(pool),
      keepAlive_(std::move(keepAlive)),
      owner_(std::move(owner)),
      config_(config),
      transport_(transport),
      h2_(std::make_unique<H2Sessions>(pool.loop(), pool.deliveries(), upstreams.size(), kH2IdleMs)),
      verdicts_(std::move(verdicts)) {
  for (const auto& up : upstreams) {
    const bool foreign = up.dialTemplate != nullptr && !UpstreamAddress::isTemplate(up.dial) &&
                         UpstreamAddress::namesForeignNetwork(up.dial);
    skipped_.push_back(up.dialTemplate != nullptr && !foreign);
    foreign_.push_back(foreign);
    UpstreamAddress a = up.address;
    if (config.port != 0 && !a.unix && !up.dialTemplate) {
      std::string err;
      const std::string host = a.addr.ss_family == AF_INET6 ? "[" + a.host + "]" : a.host;
      if (auto p = UpstreamAddress::parse(host + ":" + std::to_string(config.port), err)) {
        a = *p;
      }
    }
    // Go's transport pools a check's connection with the proxied requests' when it goes to
    // the same address (no health_port, or the upstream's own).
    sharesPool_.push_back(!up.dialTemplate && a.dial == up.address.dial);
    hostHeaders_.push_back(
        a.unix ? "localhost"
               : a.dial.substr(a.dial.find('/') == std::string::npos ? 0 : a.dial.find('/') + 1));
    targets_.push_back(std::move(a));
  }
  probes_.resize(targets_.size());
  passes_.resize(targets_.size());
  fails_.resize(targets_.size());
  uv_timer_init(pool_.loop(), timer_.create());
  timer_.get()->data = this;
  // Checks must not keep a stopping worker alive.
  uv_unref(timer_.handle());
  uv_timer_start(timer_.get(), &HealthChecker::onTick, 0, static_cast<uint64_t>(config_.interval.count()));
  // The first round starts in the timer phase; a refused connection reports in the pending
  // phase of the same loop iteration; the check phase comes after both.
  uv_check_init(pool_.loop(), settle_.create());
  settle_.get()->data = this;
  uv_unref(settle_.handle());
  uv_check_start(settle_.get(), &HealthChecker::onSettled);
}

void HealthChecker::onSettled(uv_check_t* c) {
  auto* self = static_cast<HealthChecker*>(c->data);
  if (self->rounds_) {
    self->verdicts_->firstRoundSettled();
    uv_check_stop(c);
  }
}

HealthChecker::~HealthChecker() = default;

void HealthChecker::onTick(uv_timer_t* t) {
  if (auto* self = static_cast<HealthChecker*>(t->data)) {
    self->round();
  }
}

void HealthChecker::round() {
  if (owner_.expired()) {
    uv_timer_stop(timer_.get());  // the handler is gone (a reload): check no more
    for (auto& p : probes_) {
      if (p && p->done()) {
        p->release();  // its kept connection, as Caddy closes a freed transport's idle ones
      }
    }
    pool_.closeIdle();  // and the ones the checks shared with the proxied requests
    return;
  }
  rounds_ = true;
  for (size_t i = 0; i < probes_.size(); ++i) {
    if (foreign_[i]) {
      record(i, false);  // the check's dial fails at once
      continue;
    }
    if (skipped_[i] || (probes_[i] && !probes_[i]->done())) {
      continue;  // a template, or still running (a timeout longer than the interval)
    }
    if (!probes_[i]) {
      probes_[i] = std::make_unique<Probe>(*this, i);
    }
    probes_[i]->start();  // on the connection kept from its last check, when it still can be
  }
}

void HealthChecker::record(size_t upstream, bool healthy) {
  if (healthy) {
    fails_[upstream] = 0;
    if (++passes_[upstream] >= config_.passes) {
      verdicts_->set(upstream, true);
    }
  } else {
    passes_[upstream] = 0;
    if (++fails_[upstream] >= config_.fails) {
      verdicts_->set(upstream, false);
    }
  }
}

}  // namespace gatehouse::proxy
