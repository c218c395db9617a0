#pragma once
// One proxied request (the exchange's PendingWork): picks an upstream, sends the request
// head and streams the request body as fast as the upstream socket takes it, hands the
// response head to the session (resume) and its body as a pull stream (ResponseBody), or
// bridges the two connections after a 101. Dropping it (the client left) closes the
// upstream connection at once. Loop thread only.
// Its members live in five files by job: proxy_call.cpp (life, upstream choice, dialing,
// timers, retries), proxy_request.cpp (request head and body), proxy_response.cpp (response
// head and body), proxy_tunnel.cpp (after a 101), proxy_call_h2.cpp (HTTP/2 upstreams:
// the request on an UpstreamH2Stream instead of an UpstreamConnection), proxy_call_fastcgi.cpp
// (the fastcgi transport: a FastCgiStream).

#include <chrono>
#include <memory>
#include <string>

#include "gatehouse/runtime/error_traces.h"
#include "gatehouse/runtime/exchange.h"
#include "gatehouse/runtime/trailer_source.h"
#include "http/loop_task.h"
#include "proxy/captured_body_source.h"
#include "proxy/connection_pool.h"
#include "proxy/delayed_close.h"
#include "proxy/dynamic_upstreams.h"
#include "proxy/fastcgi_stream.h"
#include "proxy/host_lookup.h"
#include "proxy/proxy_config.h"
#include "proxy/request_buffering.h"
#include "proxy/response_routes.h"
#include "proxy/upstream_connection.h"
#include "proxy/upstream_h2_stream.h"
#include "proxy/uv_handle.h"

namespace gatehouse::proxy {

class ResponseBody;

class ProxyCall final : public runtime::PendingWork,
                        public HeldResponse,
                        private H2StreamListener,
                        private ConnWaiter,
                        private runtime::BodySink,
                        private runtime::TunnelPeer {
 public:
  ProxyCall(const ProxyConfig& config, ConnectionPool& pool, runtime::Exchange& ex);
  ~ProxyCall() override;
  ProxyCall(const ProxyCall&) = delete;
  ProxyCall& operator=(const ProxyCall&) = delete;

  // Paused while the upstream works, or Handled with ex.fail() when none can be tried.
  runtime::Outcome start();
  // A reverse_proxy inside another call's handle_response routes: that call is dropped
  // later, from a clean stack (its resumed() is still running).
  void outlive(std::unique_ptr<runtime::PendingWork> previous) { previous_ = std::move(previous); }
  // Called before start() with the exchange's pending work, which may be such a call.
  void follow(const runtime::PendingWork* previous);
  // Where this handler's dynamic upstreams are looked up (set before start() when it has them).
  void useDynamicLookups(DynamicLookups& lookups) { lookups_ = &lookups; }

  // PendingWork: runs the handle_response routes that took the response, if any.
  runtime::Outcome resumed(runtime::Exchange& ex) override;
  // A reload removed this request's site: a stream in progress ends after stream_close_delay.
  void siteRemoved() override;
  // HeldResponse (copy_response, copy_response_headers).
  [[nodiscard]] const runtime::HeaderList& heldHeaders() const override;
  [[nodiscard]] bool heldChunked() const override;
  void copyResponse(int status) override;

  // ResponseBody's side.
  void pullResponse(runtime::BodySink& sink);
  // The upstream's trailers, complete once the body ended (proxy_call_trailers.cpp).
  [[nodiscard]] const runtime::HeaderList* responseTrailers() const { return &trailers_; }
  void responseSourceGone() {
    source_ = nullptr;
    sink_ = nullptr;
  }

 private:
  enum class Timer { None, Dial, ResponseHeader, Retry, Stream, Continue };

  bool prepareHead();
  void prepareFields();
  bool buildHead();
  void recordUpstream(const UpstreamAddress& address, const std::string& hostport, const std::string& network,
                      uint32_t maxRequests);
  bool attempt();
  bool pickConfigured();
  bool pickDynamic();  // proxy_call_dynamic.cpp
  void holdHost(size_t state, const std::string& dial);
  void onDynamicLookup();
  bool pickSrv();  // proxy_call_srv.cpp
  bool resolveTemplate(const Upstream& up);
  bool begin(size_t slot, const UpstreamAddress& address, const std::string& hostport,
             const std::string& network, uint32_t maxRequests);
  void pickedAddress(UpstreamAddress address);
  // A pooled connection or HTTP/2 stream, else a new connection (under max_conns_per_host,
  // once a slot is free: the call waits in the queue, without a dial timer, until then).
  bool obtainConnection(const UpstreamAddress& address);
  void onConnSlot(ConnPermit permit, std::unique_ptr<UpstreamConnection> conn) override;
  void holdSlot(size_t slot);
  bool dial(const UpstreamAddress& address);
  void onResolved(int status, AddressList& addresses);
  void sendRequest();
  void releaseBody();  // expect_continue_timeout: the held body may go now
  // `trace`: {http.error.trace}; nearly every proxy error is caddy's statusError.
  void finishWithError(int status, std::string message,
                       const char* trace = runtime::traces::kProxyStatusError);
  void onAttemptFailed(int uvError);
  [[nodiscard]] bool available(size_t i);
  [[nodiscard]] bool availableState(size_t state, uint32_t maxRequests, bool activeChecked);
  [[nodiscard]] uint32_t requestLimit(uint32_t maxRequests) const;
  void arm(Timer what, std::chrono::milliseconds after);
  static void onTimer(uv_timer_t* t);
  void finishHead(ResponseHead& head, int status);
  void closeStream();
  void holdForRoutes(ResponseHead& head, const ResponseHandler& rh);
  void deliver();
  void scheduleDelivery();
  void recordResponseFacts(int status);
  void takeWholeBody();
  void releaseRequestState();
  void trimExchange();
  bool relayTunnel();  // proxy_tunnel.cpp
  void releaseConnection();
  void countActive(bool on);
  // request_buffers / response_buffers and lb_retry_match (proxy_call_buffering.cpp).
  bool bodyAlreadyRead();
  bool bufferRequest();
  void onRequestBuffered();
  runtime::BodySource& requestBody();
  runtime::BodySource& clientBody();
  bool replayBody();
  // Sent again on a new connection after a kept one failed before any answer, as Go's
  // transport decides it (shouldRetryRequest): a replayable request (GET, HEAD, OPTIONS,
  // TRACE, or one with an Idempotency-Key), or one with no body of which nothing was
  // written (`uvError` a failed write). A held body (request_buffers) is always replayed.
  [[nodiscard]] bool replayableOnStaleConn(int uvError) const;
  [[nodiscard]] bool retryAllowed() const;
  [[nodiscard]] bool holdsHead() const;
  void bufferedResponseBytes(size_t n);
  void appendTarget(std::string& out, const std::string& rewritten) const;
  void appendFraming(std::string& out) const;
  // HTTP/2 upstreams (proxy_call_h2.cpp).
  [[nodiscard]] bool wantsH2() const;
  // A WebSocket upgrade (as Go's Request.requiresHTTP1 sees the request it sends): its
  // connections are pooled apart from the plain requests' (ConnectionPool::takeIdle).
  [[nodiscard]] bool webSocketUpgrade() const;
  bool joinH2();
  bool dialH2(const UpstreamAddress& address);
  void buildH2Head(const runtime::HeaderList& fields, std::string_view host, const std::string& rewritten);
  void sendRequestH2();
  void onUpstreamFallback(std::unique_ptr<UpstreamConnection> conn) override;
  void retireStreams();
  void pauseUpstream();
  void resumeUpstream(size_t delivered);
  // The fastcgi transport (proxy_call_fastcgi.cpp).
  bool buildFastCgiHead();
  bool dialFastCgi(const UpstreamAddress& address);
  void sendRequestFastCgi();
  void sendBodyFastCgi(std::string_view data, bool eof);

  // UpstreamConnection::Listener
  void onUpstreamConnected() override;
  void onUpstreamHead(ResponseHead& head) override;
  void onUpstreamInformational(const ResponseHead& head) override;
  void onUpstreamTrailer(std::string_view name, std::string_view value) override;
  void onUpstreamBody(std::string_view data) override;
  void onUpstreamEnd() override;
  void onUpstreamWritten() override;
  void onUpstreamError(int uvError) override;
  void onUpstreamTunnelData(std::string_view data) override;
  void onUpstreamTunnelEof() override;
  // BodySink (the client's request body)
  void onBodyData(std::string_view data, bool eof) override;
  void onBodyError(int uvError) override;
  // TunnelPeer
  void onClientData(std::string_view data) override;
  void onClientEof() override;
  void onClientDrained() override;
  void onClientClosed() override;

  const ProxyConfig& config_;
  ConnectionPool& pool_;
  runtime::Exchange& ex_;
  std::unique_ptr<UpstreamConnection> conn_;
  std::unique_ptr<UpstreamConnection> retired_;  // failed inside its own callback; freed later
  std::unique_ptr<HostLookup> lookup_;           // a DNS-named upstream being resolved
  // HTTP/2 upstreams: the request is a stream on a shared session instead of conn_.
  std::unique_ptr<UpstreamH2Stream> h2_;
  std::unique_ptr<UpstreamH2Stream> retiredH2_;  // failed inside its session's callback
  std::unique_ptr<H2RequestHead> h2Head_;        // made by the first HTTP/2 attempt
  bool h2Mode_ = false;                          // this attempt speaks HTTP/2
  // The fastcgi transport: the request on a FastCGI connection of its own instead of conn_.
  std::unique_ptr<FastCgiStream> fcgi_;
  std::unique_ptr<FastCgiStream> retiredFcgi_;  // failed inside its own callback
  ConnPermit permit_;    // max_conns_per_host: the slot for the connection about to be dialed
  uint64_t ticket_ = 0;  // waiting in the pool's ConnWaiters for a slot
  UvHandle<uv_timer_t> timer_;
  Timer timerKind_ = Timer::None;
  DeliveryQueue::Entry delivery_;    // deliver() pending on the loop's next iteration
  runtime::HeaderList baseHeaders_;  // the request's fields as forwarded, before header_up
  std::string head_;                 // the upstream request head, built per attempt
  std::string framed_;               // a request body piece with its chunk framing
  std::string stickyCookie_;         // the cookie policy's Set-Cookie for the chosen upstream
  std::string method_;               // the upstream request's method (after `rewrite`)
  std::string wsKey_;                // WebSocket over HTTP/2: the Sec-WebSocket-Key sent upstream
  std::string sentUpgrade_;          // the protocol the request as sent upstream asks for (after header_up)
  const ResponseHandler* routing_ = nullptr;  // handle_response routes to run at resume
  std::unique_ptr<ResponseHead> held_;        // the response head those routes handle, once they took one
  std::unique_ptr<DelayedClose> closing_;     // stream_close_delay after a reload
  // Resumes the session for handle_response routes from a clean stack: on HTTP/2 resume()
  // runs the chain at once, and its continuation may replace (destroy) this call.
  http::LoopTask routeTask_{[this] { ex_.host->resume(); }};
  bool generalHead_ = false;  // the head needs baseHeaders_ (header_up, an upgrade, ...)
  bool chunkedBody_ = false;
  uint64_t bodyLength_ = 0;  // the Content-Length sent (a body held whole by request_buffers gets one)
  std::unique_ptr<RequestBuffer> requestBuffer_;    // request_buffers
  std::unique_ptr<CapturedBodySource> captured_;    // after {http.request.body} read the body
  std::unique_ptr<runtime::PendingWork> previous_;  // see outlive()
  bool bodyGone_ = false;                           // an earlier call of this exchange took the request body
  bool holdingHead_ = false;  // response_buffers: the head waits until enough body is here
  bool askedGzip_ = false;    // the transport asked the upstream for gzip (it decodes it)
  bool hasBody_ = false;
  bool bodyStarted_ = false;       // request body bytes went to an upstream: no retry
  bool bodyDone_ = false;          // nothing more of the request body will be sent
  bool requestComplete_ = false;   // the whole request went out (keep-alive is possible)
  bool pulling_ = false;           // a request body pull is in flight
  bool expectsContinue_ = false;   // "Expect: 100-continue" goes upstream and expect_continue_timeout > 0
  bool awaitingContinue_ = false;  // the body waits for the upstream's 100 (or the timeout)
  bool reused_ = false;            // the current connection came from the pool
  bool headSeen_ = false;
  bool ended_ = false;  // the response body is complete
  // The head is ready but the session is resumed only once this read's bytes are parsed:
  // a response that arrived whole then leaves in one write, head and body together.
  bool resumePending_ = false;
  int bodyError_ = 0;
  std::string buffered_;          // response bytes not yet pulled
  runtime::HeaderList trailers_;  // the upstream's trailer fields, for the client
  std::string piece_;
  ResponseBody* source_ = nullptr;
  runtime::BodySink* sink_ = nullptr;
  size_t upstream_ = 0;  // the pool state (counters) of the upstream tried
  size_t slot_ = 0;      // the pool slot whose connections it uses (differs for a template)
  bool holdsSlot_ = false;
  const UpstreamAddress* target_ = nullptr;  // what this attempt dials
  // A rendered template or a dynamic upstream; apart (296 bytes) so that a ProxyCall stays
  // small enough for malloc's per-thread cache (one is made per request).
  std::unique_ptr<UpstreamAddress> picked_;
  std::string pickedHostport_;
  std::string pickedNetwork_;
  // Dynamic upstreams: the lookups, the candidates of this attempt, and the wake-up of a
  // lookup in flight (dropping it, as this call's end does, cancels the wake-up).
  DynamicLookups* lookups_ = nullptr;
  DynamicLookups::Waiter waiter_;
  std::vector<std::string> dynamicDials_;
  std::vector<size_t> dynamicStates_;
  // The candidates' process-wide counters, held for this try as Caddy holds their Hosts
  // (an address only DNS names loses its counters once no request holds them).
  std::vector<CountersLease> dynamicHosts_;
  bool awaitingLookup_ = false;
  bool awaitingSrv_ = false;  // the lookup waited for is the chosen lookup_srv upstream's
  bool active_ = false;
  uint32_t attempts_ = 0;
  std::chrono::steady_clock::time_point begun_;
  std::chrono::steady_clock::time_point sent_;
  // Tunnel state.
  bool tunnel_ = false;
  bool clientEof_ = false;
  bool upstreamEof_ = false;
  bool clientGone_ = false;
  bool trimmed_ = false;  // trimExchange() ran
};

// One is made per proxied request: it must stay within malloc's per-thread cache and small
// bins (requests up to 1,000 bytes here). At 1,120 bytes every request went to glibc's
// large-bin path, which first consolidates the fast bins (0.66 times per request at 64
// clients, callgrind); rarely used state lives behind pointers (h2Head_, held_, picked_).
static_assert(sizeof(void*) != 8 || sizeof(ProxyCall) <= 1000, "ProxyCall outgrew malloc's small bins");

// The response body as the session pulls it; a thin handle onto its ProxyCall, which may
// go first (then the body ends in an error).
class ResponseBody final : public runtime::BodySource, public runtime::TrailerSource {
 public:
  explicit ResponseBody(ProxyCall& call) : call_(&call) {}
  ~ResponseBody() override {
    if (call_ != nullptr) {
      call_->responseSourceGone();
    }
  }
  ResponseBody(const ResponseBody&) = delete;
  ResponseBody& operator=(const ResponseBody&) = delete;
  void pull(uv_loop_t* /*loop*/, runtime::BodySink& sink) override {
    if (call_ != nullptr) {
      call_->pullResponse(sink);
    }
  }
  void callGone() { call_ = nullptr; }
  [[nodiscard]] const runtime::HeaderList* trailers() const override {
    return call_ != nullptr ? call_->responseTrailers() : nullptr;
  }

 private:
  ProxyCall* call_;
};

}  // namespace gatehouse::proxy
