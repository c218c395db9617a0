// The response side of a ProxyCall: the upstream's head turned into the client's
// (passive health, replace_status, placeholders, hop-by-hop removal, header_down), and
// the body handed to the session as it pulls, with back-pressure on the upstream.
#include <algorithm>
#include <utility>
#include <vector>

#include "http/field_syntax.h"
#include "proxy/proxy_call.h"
#include "proxy/websocket_handshake.h"
#include "router/placeholders.h"

namespace gatehouse::proxy {

using runtime::HeaderList;

namespace {

// "x-checksum, grpc-status" as Go's ReverseProxy announces it: "X-Checksum, Grpc-Status",
// each name once (the keys of Go's trailer map).
std::string canonicalList(std::string_view list) {
  std::string out;
  std::vector<std::string> seen;
  http::forEachListItem(list, [&](std::string_view name) {
    std::string canonical = runtime::canonicalHeaderName(name);
    if (std::find(seen.begin(), seen.end(), canonical) == seen.end()) {
      out.append(out.empty() ? "" : ", ").append(canonical);
      seen.push_back(std::move(canonical));
    }
    return true;
  });
  return out;
}

bool responseHasBody(const std::string& method, int status) {
  return method != "HEAD" && status >= 200 && status != 204 && status != 304;
}

// Go's upgradeType of an answer: the Upgrade value when Connection names "upgrade", else
// none. Go's HTTP/1.1 reader deletes every Connection field once one says "close", so a 101
// that also says close names no protocol there.
std::string_view upgradeType(const HeaderList& h, int versionMinor) {
  bool named = false;
  bool close = false;
  for (const auto& f : h) {
    if (runtime::equalsIgnoreCase(f.name, "Connection")) {
      http::forEachListItem(f.value, [&](std::string_view item) {
        named = named || runtime::equalsIgnoreCase(item, "upgrade");
        close = close || runtime::equalsIgnoreCase(item, "close");
        return true;
      });
    }
  }
  return named && !(close && versionMinor >= 1) ? h.get("Upgrade") : std::string_view();
}

bool printableAscii(std::string_view v) {
  return std::all_of(v.begin(), v.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

bool statusMatches(const std::vector<int>& list, int status) {
  return std::any_of(list.begin(), list.end(),
                     [&](int c) { return c == status || (c < 10 && status / 100 == c); });
}

}  // namespace

void ProxyCall::onUpstreamHead(ResponseHead& head) {
  arm(Timer::None, {});
  awaitingContinue_ = false;  // answered before the body: it is never sent, the connection not reused
  headSeen_ = true;
  const auto& ph = config_.passive;
  if (ph.failDuration.count() > 0) {
    const auto latency = std::chrono::steady_clock::now() - sent_;
    if ((!ph.unhealthyStatus.empty() && statusMatches(ph.unhealthyStatus, head.status)) ||
        (ph.unhealthyLatency.count() > 0 && latency >= ph.unhealthyLatency)) {
      pool_.recordFailure(upstream_, ph.failDuration);
    }
  }
  recordResponseFacts(head.status);
  if (!bodyDone_) {
    bodyDone_ = true;  // answered early: the rest of the request is not sent
    pauseUpstream();
  }
  int status = head.status;
  if (!wsKey_.empty() && head.upgrade) {
    if (!acceptUpstreamWebSocket(head.headers, wsKey_)) {
      retired_ = std::move(conn_);  // not a WebSocket: the connection cannot serve again
      scheduleDelivery();
      finishWithError(
          502, "upstream's 101 does not complete the WebSocket handshake (Upgrade or Sec-WebSocket-Accept)");
      return;
    }
    status = 200;  // RFC 8441 5: the extended CONNECT succeeded; HTTP/2 has no 101
  }
  if (head.upgrade && wsKey_.empty()) {
    const std::string_view offered = upgradeType(head.headers, head.versionMinor);
    if (offered.empty() || !printableAscii(offered) || !runtime::equalsIgnoreCase(offered, sentUpgrade_)) {
      // As caddy 2.6.2 (Go's handleUpgradeResponse): a 101 that names no protocol (Go's
      // transport gives it no writable body) or one the client did not ask for is dropped
      // whole, its fields too, and the client gets the empty 200 of a handler that wrote
      // nothing; the connection cannot serve again.
      retired_ = std::move(conn_);
      scheduleDelivery();
      ex_.response.status = 200;
      ex_.host->resume();
      return;
    }
  }
  // handle_response: matched on the upstream's own status and fields, before header_down.
  const ResponseHandler* rh =
      head.upgrade ? nullptr : firstMatching(config_.responseHandlers, head.status, head.headers);
  if (rh != nullptr && rh->routes) {
    holdForRoutes(head, *rh);
    routeTask_.schedule(pool_.loop());
    return;
  }
  if (rh != nullptr) {
    std::string why;
    status = rh->statusFor(ex_, head.status, why);
    if (status < 0) {
      // The connection cannot be destroyed inside its own callback: retire it.
      retired_ = std::move(conn_);
      retiredFcgi_ = std::move(fcgi_);
      scheduleDelivery();
      finishWithError(500, why, runtime::traces::kProxyReplaceStatus);
      return;
    }
  }
  finishHead(head, status);
  if (source_ != nullptr) {
    // The session is resumed after the rest of this read is parsed (onUpstreamEnd, or the
    // delivery), so that a small response goes out whole.
    resumePending_ = true;
    holdingHead_ = holdsHead();  // response_buffers
    scheduleDelivery();
    return;
  }
  if (tunnel_ && ex_.request.versionMajor == 2) {
    // An HTTP/2 session answers at once, inside resume(), and may ask for the tunnel's
    // first bytes before this read has left the parser (which then pauses reading for the
    // upgrade): resumed from a clean stack instead, the request reaches the tunnel in order.
    routeTask_.schedule(pool_.loop());
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
  // One pass names the fields Go's way and finds what needs more than dropping the fixed
  // hop-by-hop names: a Connection naming other fields than Keep-Alive, and TE (trailers).
  bool general = upgrade;
  bool server = false;
  bool badName = false;  // Go's server drops a field whose name is no token when it writes
  bool connectionClose = false;
  for (auto& f : h) {
    badName = !http::canonicalFieldName(f.name) || badName;
    const std::string_view n = f.name;
    if (n == "Connection") {
      general = general || !runtime::equalsIgnoreCase(f.value, "keep-alive");
      connectionClose = connectionClose || hasCloseToken(f.value);
    } else if (n == "Server") {
      server = true;
    } else if (n == "Te") {
      general = true;
    }
  }
  if (connectionClose && head.versionMinor >= 1 && !fcgi_ && !upgrade) {
    // Go's HTTP/1.1 transport deletes a Connection field that says "close" once it has
    // noted it (shouldClose): the fields it names are then forwarded (caddy 2.6.2 does).
    h.remove("Connection");
  }
  // Trailer is hop-by-hop, but Go's ReverseProxy announces the upstream's trailers again
  // (only where its transport took them as trailers: chunked HTTP/1.1, HTTP/2).
  // (every Trailer field: Go's reader takes the names of all of them)
  std::string announced;
  if (head.trailerCapable && !upgrade) {
    for (const auto& f : h) {
      if (f.name == "Trailer") {
        announced.append(announced.empty() ? "" : ", ").append(f.value);
      }
    }
  }
  bool lengthKept = head.hasLength;
  const bool rawUpgrade = upgrade && ex_.request.versionMajor == 1;  // the 101 itself is forwarded
  if (rawUpgrade) {
    // As caddy 2.6.2, which writes the upstream's own 101 (Go's Response.Write): every field
    // as it came, Connection, Keep-Alive and the fields Connection names too, less the
    // framing fields Go's reader and writer leave out.
    h.remove("Transfer-Encoding");
    h.remove("Trailer");
  } else if (upgrade) {
    removeHopByHop(h, std::string(h.get("Upgrade")), false);  // an HTTP/2 client's 200
  } else if (general || config_.responseHeaders) {
    // (before header_down, as in Caddy: a `header_down Connection close` stays, and closes)
    removeHopByHop(h, {}, false);
    general = true;
  }
  if (config_.responseHeaders && !upgrade) {
    // (not for a 101: Caddy hands it to the tunnel before its header ops run)
    // header_down edits the upstream's fields before they join the response, as Caddy's
    // does: {http.response.header.*} in it reads what was set before the proxy ran, and a
    // field it deletes leaves the site's own alone.
    config_.responseHeaders->apply(h, ex_);
    server = h.has("Server");
    // (`header_down -Content-Length`: Go's server then frames the body itself)
    lengthKept = lengthKept && h.has("Content-Length");
  }
  // The upstream's fields are added to those set before the proxy ran (`header` ops), as
  // Go's ReverseProxy adds them to the writer's map. No Via (Caddy 2.6 adds none); our
  // Server field gives way to the upstream's rather than doubling it.
  if (server && res.headers.size() == 1 && res.headers.begin()->name == "Server") {
    res.headers.clear();  // the site's own Server field alone (the usual case): no search
  } else if (server) {
    // Only the site's own (the first): one copy_response_headers copied stays beside the
    // upstream's, as in caddy (its map gets the field twice).
    bool first = true;
    res.headers.removeIf(
        [&first](std::string_view name) { return name == "Server" && std::exchange(first, false); });
  }
  // The upstream's Alt-Svc names its own alternative services, not this server's: caddy
  // 2.6.2 never forwards it either (but in a 101, whose head it writes as it came).
  auto dropped = [&](std::string_view name) {
    return (!head.hasLength && name == "Content-Length") || (!general && isHopByHop(name)) ||
           (name == "Alt-Svc" && !rawUpgrade) || (badName && !http::validFieldName(name));
  };
  if (res.headers.empty() && stickyCookie_.empty()) {
    // Nothing set before the proxy ran (the usual case): the upstream's list becomes the
    // response's whole, and the response's empty one (with its capacity) goes back.
    h.removeIf(dropped);
    std::swap(res.headers, h);
  } else {
    res.headers.reserve(res.headers.size() + h.size() + 1);
    if (!stickyCookie_.empty()) {
      res.headers.emplaceBack("Set-Cookie", std::move(stickyCookie_));  // before the upstream's, as Caddy
    }
    for (auto& f : h) {
      if (!dropped(f.name)) {
        res.headers.emplaceBack(std::move(f.name), std::move(f.value));
      }
    }
  }
  if (!announced.empty()) {
    res.headers.emplaceBack("Trailer", canonicalList(announced));
  }
  if (upgrade) {
    tunnel_ = true;
    res.tunnel = this;
    // max_conns_per_host no longer counts the connection: Go's transport gives an upgraded
    // connection to its caller and stops counting it (closeLocked), so a long WebSocket
    // never holds up plain requests under caddy.
    conn_->takePermit().reset();
    conn_->startTunnel();
    releaseRequestState();
    arm(Timer::Stream, config_.streamTimeout);
  } else if (responseHasBody(method_, head.status)) {
    if (buffered_.empty() && res.body.empty()) {
      // A small body comes whole in this read and goes back into res.body (takeWholeBody):
      // it collects in the spare buffer the session kept from the last response, so a
      // proxied request mallocs and frees no body buffer.
      buffered_.swap(res.body);
    }
    auto body = std::make_unique<ResponseBody>(*this);
    source_ = body.get();
    res.stream = std::move(body);
    res.streamLength = lengthKept ? head.length : runtime::Response::kUnknownLength;
    // Caddy flushes the head at once for a body of unknown length and for an event stream
    // (its flushInterval -1): Go sniffs no type. Not for other FastCGI bodies: Go's client
    // leaves their ContentLength 0, not -1, so nothing flushes PHP's output and Go's server
    // buffers it as any handler's.
    const std::string_view type = res.headers.get("Content-Type");
    const bool eventStream =
        runtime::equalsIgnoreCase(http::trimBlanks(type.substr(0, type.find(';'))), "text/event-stream");
    res.sniff = (head.hasLength || config_.fastcgi) && !config_.flushAtOnce && !eventStream;
    res.headAtOnce = config_.flushAtOnce;
  }
}

// handle_response routes take the response: they run when the session resumes the chain
// (resumed()), with the upstream's status and fields as placeholders; the body waits for
// copy_response, or goes with this call.
void ProxyCall::holdForRoutes(ResponseHead& head, const ResponseHandler& rh) {
  if (!held_) {
    held_ = std::make_unique<ResponseHead>();
  }
  ResponseHead& held = *held_;
  held.status = head.status;
  held.hasLength = head.hasLength;
  held.trailerCapable = head.trailerCapable;
  held.length = head.length;
  held.headers.clear();
  for (auto& f : head.headers) {
    held.headers.emplaceBack(runtime::canonicalHeaderName(f.name), std::move(f.value));
  }
  publishResponse(ex_, held.status, head.reason, held.headers);
  routing_ = &rh;
}

runtime::Outcome ProxyCall::resumed(runtime::Exchange& ex) {
  const ResponseHandler* rh = std::exchange(routing_, nullptr);
  if (rh == nullptr) {
    return runtime::Outcome::Handled;
  }
  return rh->routes->run(ex);
}

// As Caddy 2.6.2 (Go's Got1xxResponse -> WriteHeader(1xx)): interim responses reach the
// client with the fields set so far, a 100 Continue too, even one answering the client's own
// Expect. The client session's own 100 (sent on the first body read) then stays unsent if
// it has not gone yet, so a held body (expect_continue_timeout) released by the upstream's
// 100 gives the client that one 100; a body already read gave it two, as Caddy (#5280).
void ProxyCall::onUpstreamInformational(const ResponseHead& head) {
  HeaderList h;
  for (const auto& f : head.headers) {
    h.emplaceBack(runtime::canonicalHeaderName(f.name), f.value);
  }
  removeHopByHop(h, {});
  ex_.host->sendInformational(head.status, h);
  if (head.status == 100) {
    releaseBody();  // after the forwarded 100: the pull must not send the session's own
  }
}

void ProxyCall::siteRemoved() {
  const bool streaming = tunnel_ || (source_ != nullptr && !ended_);
  if (streaming && !closing_) {
    closing_ =
        std::make_unique<DelayedClose>(pool_.loop(), config_.streamCloseDelay, [this] { closeStream(); });
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
  fcgi_.reset();
  bodyError_ = UV_ECANCELED;
  if (sink_ != nullptr || std::exchange(holdingHead_, false)) {
    scheduleDelivery();
  }
}

const runtime::HeaderList& ProxyCall::heldHeaders() const {
  static const runtime::HeaderList kNone;
  return held_ ? held_->headers : kNone;
}

bool ProxyCall::heldChunked() const {
  return held_ && held_->trailerCapable;
}

void ProxyCall::copyResponse(int status) {
  ResponseHead head = held_ ? *held_ : ResponseHead();  // held_ stays whole for copy_response_headers
  const int upstreamStatus = head.status;
  finishHead(head, status > 0 ? status : upstreamStatus);
}

// A tunnel may idle for hours: what only the request needed gives its memory back.
void ProxyCall::releaseRequestState() {
  baseHeaders_ = HeaderList();
  held_.reset();
  std::string().swap(head_);
  std::string().swap(framed_);
  std::string().swap(buffered_);
  std::string().swap(piece_);
  std::string().swap(stickyCookie_);
  if (config_.streamTimeout.count() <= 0) {
    timer_.reset();  // only stream_timeout would need it from here on
    timerKind_ = Timer::None;
  }
}

// The latencies, formatted only if asked. {http.reverse_proxy.status_code}/status_text are
// not among them: Caddy sets those only when a handle_response route takes the response
// (response_routes.cpp), and a later call without one leaves them as they were.
void ProxyCall::recordResponseFacts(int status) {
  using std::chrono::duration_cast;
  using std::chrono::microseconds;
  const auto now = std::chrono::steady_clock::now();
  auto& f = ex_.upstream;
  f.timed = true;
  f.latencyUs = duration_cast<microseconds>(now - sent_).count();
  f.durationUs = duration_cast<microseconds>(now - begun_).count();
  f.status = status;
}

// The whole body is here before the session even saw the head: it is handed over as the
// response body, so head and body leave in one write. Only for a Content-Length body (a
// chunked one stays chunked, as Caddy streams it) and when no output stage could treat a
// whole body differently from a stream (encode sniffs a missing Content-Type).
// A FastCGI response names no length (Go's client leaves ContentLength 0 and nothing flushes
// it early): a small one that ended already gets its Content-Length, as Go's server adds
// one to a body of up to 2048 bytes that the handler finished.
void ProxyCall::takeWholeBody() {
  auto& res = ex_.response;
  constexpr size_t kGoChunkingThreshold = 2048;
  const bool cgiWhole = config_.fastcgi && res.streamLength == runtime::Response::kUnknownLength &&
                        buffered_.size() <= kGoChunkingThreshold;
  if (source_ == nullptr || bodyError_ != 0 || (res.streamLength != buffered_.size() && !cgiWhole) ||
      (!ex_.stages.empty() && !res.headers.has("Content-Type"))) {
    return;
  }
  if (config_.flushAtOnce && !ex_.stages.empty()) {
    // flush_interval -1: Caddy flushes each write, so a stage that drops the length
    // (encode) sends the body chunked even when it came whole: it stays a stream.
    return;
  }
  res.body = std::move(buffered_);
  buffered_.clear();
  res.stream.reset();  // ResponseBody's destructor detaches it (source_, sink_)
  res.streamLength = 0;
  // The whole response is here: Caddy's try is over (see deliver()).
  countActive(false);
  dynamicHosts_.clear();
}

void ProxyCall::onUpstreamBody(std::string_view data) {
  // The session waits for bytes and none are held: they go to it straight from the read
  // buffer, with no copy into buffered_, no loop turn and no pause of upstream reading; the
  // session pulls again at once when the client took them, else the next read is held and
  // reading pauses at read_buffer. Never the last piece (that ends the exchange; it goes
  // through deliver()), nor for HTTP/2 upstreams (their window moves in deliver()) or
  // HTTP/2 clients (their session frames pieces from its own callbacks).
  if (sink_ != nullptr && buffered_.empty() && !resumePending_ && bodyError_ == 0 && conn_ && !h2_ &&
      ex_.request.versionMajor == 1) {
    runtime::BodySink* sink = std::exchange(sink_, nullptr);
    sink->onBodyData(data, false);
    return;
  }
  buffered_.append(data);
  if (holdingHead_) {
    bufferedResponseBytes(data.size());
    if (holdingHead_) {
      return;
    }
  }
  if (buffered_.size() >= config_.readBuffer) {
    pauseUpstream();  // back-pressure: the client is slower than the upstream
  }
  if (sink_ != nullptr) {
    scheduleDelivery();
  }
}

void ProxyCall::onUpstreamEnd() {
  ended_ = true;
  holdingHead_ = false;
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
  previous_.reset();
  retired_.reset();
  retiredH2_.reset();
  retiredFcgi_.reset();
  if (resumePending_ && !holdingHead_) {
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
  if (last) {
    // Caddy's try ends before its response does: a request sent once this one's answer
    // has arrived finds it no longer counted in flight and the dynamic upstreams it held
    // let go (the exchange itself may end later, after the client's write completes; another
    // worker could answer the next request before then).
    countActive(false);
    dynamicHosts_.clear();
  }
  // Last: the session may pull again from here, or end the exchange.
  sink->onBodyData(piece_, last);
}

void ProxyCall::releaseConnection() {
  countActive(false);
  pool_.giveBack(std::move(conn_));
}

}  // namespace gatehouse::proxy
