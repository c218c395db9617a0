// The request side of a ProxyCall: the head as the upstream gets it (hop-by-hop fields
// removed, X-Forwarded-*, header_up) and the request body streamed as the upstream
// socket takes it, chunk-framed when its length is unknown.
#include <algorithm>

#include "http/field_syntax.h"
#include "http/http1_request_rules.h"
#include "http/number_text.h"
#include "proxy/direct_request_fields.h"
#include "proxy/expect_continue.h"
#include "proxy/field_line_order.h"
#include "proxy/proxy_call.h"
#include "proxy/proxy_rewrite.h"
#include "proxy/request_trailers.h"
#include "proxy/websocket_handshake.h"

namespace gatehouse::proxy {

using runtime::Exchange;
using runtime::HeaderList;

namespace {

bool methodSendsLength(const std::string& m) {
  return m == "POST" || m == "PUT" || m == "PATCH";
}

bool trustedClient(const std::vector<router::IpRange>& ranges, const Exchange& ex) {
  if (const std::string* v = ex.var("trusted_proxy"); v != nullptr && *v == "true") {
    return true;  // the server's trusted_proxies (set by the site router)
  }
  return std::any_of(ranges.begin(), ranges.end(),
                     [&](const router::IpRange& r) { return r.contains(ex.request.remoteIp); });
}

}  // namespace

// The request's fields as every attempt forwards them; header_up runs per attempt, as in
// Caddy, so that it sees {http.reverse_proxy.upstream.*}. Without header_up or an upgrade
// the fields are written straight from the request instead (direct_request_fields.h).
bool ProxyCall::prepareHead() {
  const auto& req = ex_.request;
  hasBody_ = req.bodyLength != 0;
  chunkedBody_ = req.bodyLength == runtime::Request::kChunked;
  bodyLength_ = req.bodyLength;
  generalHead_ = config_.requestHeaders.has_value() || !req.upgrade.empty();
  if (generalHead_) {
    prepareFields();
  }
  if (isH2WebSocket(req)) {
    // RFC 8441 5: the stream's DATA is the WebSocket itself, so the upstream's HTTP/1.1
    // handshake carries no body; the bytes go through the tunnel after its 101.
    hasBody_ = false;
    chunkedBody_ = false;
    wsKey_ = newWebSocketKey();
    baseHeaders_.set("Sec-WebSocket-Key", wsKey_);
  }
  return true;
}

void ProxyCall::prepareFields() {
  const auto& req = ex_.request;
  HeaderList& h = baseHeaders_;
  for (const auto& f : req.headers) {
    h.emplaceBack(runtime::canonicalHeaderName(f.name), f.value);
  }
  removeHopByHop(h, req.upgrade);
  h.remove("Content-Length");
  if (!h.has("User-Agent")) {
    // As Caddy: an empty User-Agent keeps Go's default out; header_up deleting the field
    // brings that default back (buildHead, buildH2Head).
    h.add("User-Agent", "");
  }
  setForwardedHeaders(h, req, trustedClient(config_.trustedProxies, ex_));
  h.add("Host", req.host);  // header_up may change it, as Caddy lets it
}

bool ProxyCall::buildHead() {
  const auto& req = ex_.request;
  if (h2Mode_ && !generalHead_) {
    // HTTP/2 fields are built from the field list (direct_request_fields.h writes HTTP/1.1).
    generalHead_ = true;
    prepareFields();
  }
  // header_up runs on a copy (a retry starts again from the base fields); without it the
  // base fields are written as they are.
  HeaderList edited;
  const HeaderList* fields = &baseHeaders_;
  std::string_view host = req.host;
  if (generalHead_) {
    if (config_.requestHeaders) {
      edited = baseHeaders_;
      config_.requestHeaders->apply(edited, ex_);
      fields = &edited;
    }
    host = fields->get("Host");
    if (!safeToSend(*fields) || host.find_first_of("\r\n") != std::string_view::npos) {
      return false;
    }
  }
  // Go's upgradeType of the request as it goes (Caddy compares an upstream's 101 with it):
  // a header_up that rewrites Connection or Upgrade decides which 101 may start a tunnel.
  sentUpgrade_.clear();
  if (!req.upgrade.empty()) {
    sentUpgrade_ = fields == &edited && !http::connectionHasToken(edited, "upgrade") ? std::string()
                   : fields == &edited ? std::string(edited.get("Upgrade"))
                                       : req.upgrade;
  }
  std::string hostFallback;
  if (host.empty() && target_ != nullptr && !target_->unix) {
    // Go's transport writes the URL's host when the request has none (an HTTP/1.0 client
    // that sent no Host): Caddy's upstream address, without the scheme's default port.
    const bool tls = config_.transport.usesTls(*target_);
    const bool defaultPort = target_->port == (tls ? "443" : "80");
    const bool v6 = target_->host.find(':') != std::string::npos;
    hostFallback = !defaultPort ? target_->dial : v6 ? "[" + target_->host + "]" : target_->host;
    host = hostFallback;
  }
  method_ = wsKey_.empty() ? req.method : std::string("GET");  // extended CONNECT -> RFC 6455 GET
  std::string rewritten;
  if (config_.rewrite) {
    RewrittenRequest line = rewriteForUpstream(*config_.rewrite, ex_);
    method_ = std::move(line.method);
    rewritten = std::move(line.target);
    if (line.bodyDropped) {
      // As Caddy (forward_auth's `method GET`): a rewrite to GET or HEAD sends no body (it
      // stays for the handlers after us); to any other method the body goes along.
      hasBody_ = false;
      chunkedBody_ = false;
    }
  }
  if (generalHead_) {
    // Go's transparent compression (Caddy's default): gzip is asked for, and decoded on the way
    // back; Go's transport looks at the method it sends (forward_auth's GET for a client's HEAD).
    askedGzip_ = config_.transport.wantsGzip(*fields, method_);
  }
  if (h2Mode_) {
    // Go's HTTP/2 transport holds the body for a 100 only with the HTTP/1 transport's
    // ExpectContinueTimeout behind it: h2 over TLS (http2.ConfigureTransport). Caddy's h2c
    // transport is a bare http2.Transport, so there the body goes at once.
    expectsContinue_ = config_.expectContinueTimeout.count() > 0 && config_.transport.usesTls(*target_) &&
                       expects100(fields->get("Expect"));
    buildH2Head(*fields, host, rewritten);  // askedGzip_ as above: Go's HTTP/2 transport asks too
    return true;
  }
  // Only looked up when it can matter: most proxies set no expect_continue_timeout.
  expectsContinue_ = config_.expectContinueTimeout.count() > 0 &&
                     expects100(generalHead_ ? fields->get("Expect") : req.headers.get("Expect"));
  head_.clear();
  if (head_.capacity() < pool_.spareHead().capacity()) {
    head_.swap(pool_.spareHead());  // given back in sendRequest: no malloc per request
  }
  head_.reserve(256 + req.rawPath.size() + req.query.size() + 64 * req.headers.size());
  head_.append(method_).append(" ");
  appendTarget(head_, rewritten);
  head_.append(" HTTP/1.1\r\nHost: ").append(host).append("\r\n");
  // As Go's Request.write: one User-Agent (the first), right after Host, none when empty,
  // Go's own when the field is gone (header_up -User-Agent).
  const bool defaultAgent = generalHead_ && !fields->has("User-Agent");
  if (const std::string_view ua =
          defaultAgent
              ? std::string_view("Go-http-client/1.1")
              : http::trimBlanks(generalHead_ ? fields->get("User-Agent") : req.headers.get("User-Agent"));
      !ua.empty()) {
    head_.append("User-Agent: ").append(ua).append("\r\n");
  }
  appendFraming(head_);
  const size_t fieldsAt = head_.size();
  if (!generalHead_) {
    DirectFieldFacts facts;
    switch (appendDirectFields(head_, req, facts)) {
      case DirectFields::General:
        generalHead_ = true;  // this request needs the general rules, for every attempt
        prepareFields();
        return buildHead();
      case DirectFields::Unsafe:
        return false;
      case DirectFields::Written:
        break;
    }
    askedGzip_ = config_.transport.compression && !facts.acceptEncoding && !facts.range && method_ != "HEAD";
  } else {
    for (const auto& f : *fields) {
      if (runtime::equalsIgnoreCase(f.name, "Host") || runtime::equalsIgnoreCase(f.name, "User-Agent")) {
        continue;  // the first is written above, as the request line's companions
      }
      // Go's Header.Write trims each value (textproto.TrimString): a header_up value whose
      // placeholder came out empty ("v {x}") goes without its trailing blank.
      head_.append(f.name).append(": ").append(http::trimBlanks(f.value)).append("\r\n");
    }
  }
  sortFieldLines(head_, fieldsAt);  // Go's Header.Write: by name, after the framing fields
  // Go's transport adds these after the request's own fields (its extraHeaders, sorted too).
  if (askedGzip_) {
    head_.append("Accept-Encoding: gzip\r\n");
  }
  if (!config_.keepAlive.enabled && req.upgrade.empty()) {
    head_.append("Connection: close\r\n");
  }
  head_.append("\r\n");
  return true;
}

// As Go's transferWriter, right after User-Agent: the body's length (also 0 for POST, PUT
// and PATCH), or chunked with the announced trailer names.
void ProxyCall::appendFraming(std::string& out) const {
  if (chunkedBody_) {
    out.append("Transfer-Encoding: chunked\r\n");
    if (const std::string names = announcedRequestTrailers(ex_.request); !names.empty()) {
      out.append("Trailer: ").append(names).append("\r\n");
    }
  } else if (hasBody_ || methodSendsLength(method_)) {
    out.append("Content-Length: ");
    http::appendDecimal(out, hasBody_ ? bodyLength_ : 0);
    out.append("\r\n");
  }
}

// The request target: the (rewritten) path and query as the client sent them.
void ProxyCall::appendTarget(std::string& out, const std::string& rewritten) const {
  const auto& req = ex_.request;
  if (config_.rewrite) {
    if (rewritten.empty() || rewritten.front() != '/') {
      out += '/';
    }
    out.append(rewritten);
    return;
  }
  if (req.rawPath.empty() || req.rawPath.front() != '/') {
    out += '/';
  }
  out.append(req.rawPath);
  if (req.hasQuery) {
    out.append("?").append(req.query);
  }
}

void ProxyCall::sendRequest() {
  if (fcgi_) {
    sendRequestFastCgi();
    return;
  }
  if (h2_) {
    sendRequestH2();
    return;
  }
  sent_ = std::chrono::steady_clock::now();
  conn_->expectResponse(method_ == "HEAD", askedGzip_);
  conn_->write(head_, hasBody_);  // the body is pulled once the head is out
  // Written or queued (a copy): the buffer serves the next request, unless an outsized head
  // made it too big to keep for the worker's lifetime.
  constexpr size_t kMaxSpareHead = 16 * 1024;
  if (pool_.spareHead().capacity() < head_.capacity() && head_.capacity() <= kMaxSpareHead) {
    head_.clear();
    head_.swap(pool_.spareHead());
  }
  if (!conn_) {
    return;  // the write failed at once (TLS) and the attempt was retired: its retry is armed
  }
  if (!ex_.request.upgrade.empty() && !hasBody_) {
    bodyDone_ = true;  // an upgrade's further bytes belong to the tunnel
    // The request itself is whole: answered without a 101, the connection is reusable (Go
    // parks it; a 101 makes it the tunnel's, never pooled again).
    requestComplete_ = true;
    return;
  }
  if (!hasBody_) {
    bodyDone_ = true;
    requestComplete_ = true;
    sent_ = std::chrono::steady_clock::now();
    arm(Timer::ResponseHeader, config_.responseHeaderTimeout);
    return;
  }
  // The body is pulled once the head has left (onUpstreamWritten), or, for "Expect:
  // 100-continue" with expect_continue_timeout, once the upstream's 100 came or the
  // timeout passed (Go's transport); a final answer first means it is never sent.
  awaitingContinue_ = expectsContinue_;
  if (awaitingContinue_) {
    arm(Timer::Continue, config_.expectContinueTimeout);
  }
}

void ProxyCall::releaseBody() {
  if (!awaitingContinue_) {
    return;
  }
  awaitingContinue_ = false;
  arm(Timer::None, {});
  onUpstreamWritten();
}

void ProxyCall::onUpstreamWritten() {
  if (tunnel_) {
    ex_.host->tunnelResumeReading();
    return;
  }
  if (bodyDone_ || pulling_ || headSeen_ || awaitingContinue_) {
    return;
  }
  if (!conn_ && !h2_ && !fcgi_) {
    // Between attempts (a retry is armed): nothing may pull the body now, or the bytes a
    // held body replays would be taken and dropped before the next upstream gets them.
    return;
  }
  const bool up = conn_ ? conn_->connected() : h2_ ? h2_->connected() : fcgi_->connected();
  if (!up) {
    // The next attempt is still dialing: this notice is a late one from the failed attempt
    // (its retired transport), and the body waits for this attempt's head to go first.
    return;
  }
  pulling_ = true;
  requestBody().pull(pool_.loop(), *this);
}

void ProxyCall::onBodyData(std::string_view data, bool eof) {
  pulling_ = false;
  if ((!conn_ && !h2_ && !fcgi_) || headSeen_) {
    return;  // the upstream already answered; the rest of the body is not wanted
  }
  if (fcgi_) {
    sendBodyFastCgi(data, eof);
    return;
  }
  if (h2_) {
    bodyStarted_ = bodyStarted_ || !data.empty();
    if (eof) {
      bodyDone_ = true;
      requestComplete_ = true;
      sent_ = std::chrono::steady_clock::now();
      arm(Timer::ResponseHeader, config_.responseHeaderTimeout);
    }
    h2_->sendBody(data, eof);  // no chunk framing: DATA frames; onUpstreamWritten pulls on
    return;
  }
  framed_.clear();
  if (chunkedBody_) {
    if (!data.empty()) {
      http::appendHex(framed_, data.size());
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
  h2_.reset();
  fcgi_.reset();
  arm(Timer::None, {});
  if (headSeen_) {
    return;  // the session closes the client connection after the response
  }
  // request_body max_size exceeded: 413, as Caddy; a broken body: 400.
  finishWithError(uvError == UV_E2BIG ? 413 : 400,
                  uvError == UV_E2BIG ? "request body too large" : "bad request body");
}

}  // namespace gatehouse::proxy
