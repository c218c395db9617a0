// Http2Session: running the handler chain for a stream and answering it, and handing
// client bytes (request bodies, tunnel data) to the handler as it pulls them.
#include <chrono>
#include <exception>
#include <utility>

#include "http/content_type.h"
#include "http/go_body_buffer.h"
#include "http/h2_callbacks.h"
#include "http/h2_response_head.h"
#include "http/http2_session.h"
#include "http/output_stages.h"

namespace gatehouse::http {

namespace {
constexpr std::string_view kHeaderTooLargeBody =
    "<h1>HTTP Error 431</h1><p>Request Header Field(s) Too Large</p>";

runtime::Outcome guarded(runtime::Exchange& ex, runtime::Outcome (RequestHandler::*step)(runtime::Exchange&),
                         RequestHandler& handler) {
  try {
    return (handler.*step)(ex);
  } catch (const std::exception&) {
    // A handler bug must not unwind through nghttp2 and libuv.
    ex.response.clear();
    ex.response.status = 500;
    return runtime::Outcome::Handled;
  }
}
}  // namespace

// ---- exchanges ----

H2Stream* Http2Session::find(int32_t id) {
  return streams_.find(id);
}

void Http2Session::dispatch(H2Stream& s) {
  s.phase = H2Stream::Phase::Handling;
  auto& req = s.ex.request;
  req.remoteIp = peer_.remoteIp;
  req.remotePort = peer_.remotePort;
  req.localPort = peer_.localPort;
  req.tls = peer_.tls;
  req.tlsInfo = peer_.tlsInfo;
  req.start = std::chrono::steady_clock::now();
  if (s.inbound.refused) {
    return;  // reset in this same read (its DATA broke the Content-Length)
  }
  // Go's order: a malformed head is reset, then a truncated one answered 431, then one with
  // a field HTTP/2 forbids answered 400; each without running the chain.
  // A client's head was mapped as it came (frameReceived); a promised one is mapped here.
  if (s.pushed) {
    s.headMapped = s.head.mapTo(req, s.bodyless);
  }
  if (!s.headMapped) {
    reset(s, NGHTTP2_PROTOCOL_ERROR);
    return;
  }
  if (s.head.tooLarge()) {
    s.ex.response.status = 431;
    s.ex.response.headers.set("Content-Type", "text/html; charset=utf-8");
    s.ex.response.body = kHeaderTooLargeBody;
    respond(s);
    return;
  }
  if (!s.head.badRequest().empty()) {
    // Go's new400Handler: http.Error's answer with the check's error text.
    s.ex.response.status = 400;
    s.ex.response.headers.set("Content-Type", "text/plain; charset=utf-8");
    s.ex.response.headers.set("X-Content-Type-Options", "nosniff");
    s.ex.response.body = s.head.badRequest() + "\n";
    respond(s);
    return;
  }
  s.ex.host = &s;
  s.dispatched = true;
  s.ex.response.headers.reserve(4);  // Server, Content-Type ... without regrowing
  // write_timeout bounds each stream from its request head, as Go's HTTP/2 server; the
  // connection itself has no deadline while streams are open.
  s.writeDeadline = writeDeadlineFromNow();
  if (phase_ != Transport::Phase::Streams) {
    phase_ = Transport::Phase::Streams;
    transport_.setPhase(phase_);
  }
  if (guarded(s.ex, &RequestHandler::handle, handler_) == runtime::Outcome::Paused) {
    return;  // H2Stream::resume() continues
  }
  respond(s);
}

void Http2Session::streamResumed(H2Stream& s) {
  if (s.closed || s.phase != H2Stream::Phase::Handling) {
    return;
  }
  if (guarded(s.ex, &RequestHandler::resumed, handler_) == runtime::Outcome::Paused) {
    return;
  }
  respond(s);
  pump();
}

void Http2Session::respond(H2Stream& s) {
  auto& res = s.ex.response;
  const auto& req = s.ex.request;
  if (res.abort) {
    reset(s, NGHTTP2_INTERNAL_ERROR);  // Go's answer to http.ErrAbortHandler
    return;
  }
  if (res.status == 0) {
    res.status = 200;  // a chain that answered nothing: Caddy's empty 200
  } else {
    // Metrics' time to the head; left unset, it tells the access log nobody answered.
    res.headAt = std::chrono::steady_clock::now();
  }
  if (res.status < 200 && res.tunnel == nullptr) {
    // A handler's 1xx: an interim HEADERS frame, then a 200, as Go's server (HTTP/2 has no
    // 101, so that one only becomes the 200).
    streamInformational(s, res.status, {});
    res.status = 200;
  }
  // Innermost first, as Http1Session::beginResponse.
  s.outbound.stagesWaiting = runOutputStages(s.ex);
  const bool closeAsked = res.close || runtime::equalsIgnoreCase(res.headers.get("Connection"), "close");
  if (closeAsked && !shuttingDown_) {
    // Caddy marks such responses "Connection: close"; Go's HTTP/2 server turns that into a
    // graceful GOAWAY, so the other streams of the connection still finish.
    shutdown();
  }
  if (res.tunnel != nullptr) {
    if (req.method == "CONNECT" && res.status >= 200 && res.status < 300) {
      s.outbound.mode = H2Stream::BodyMode::Tunnel;
      submitHead(s, std::nullopt, true);
      s.phase = H2Stream::Phase::Tunnel;
      // As after an HTTP/1.1 101: the peer starts reading its side once the head has left.
      s.outbound.drainNotify = true;
      toNotify_.push_back(s.id);
      streamWantsInbound(s);  // bytes the client sent early
      return;
    }
    // Only extended CONNECT upgrades on HTTP/2 (RFC 9113 8.6 forbids 101).
    runtime::TunnelPeer* peer = res.tunnel;
    res.tunnel = nullptr;
    peer->onClientClosed();
    if (res.status == 101) {
      reset(s, NGHTTP2_INTERNAL_ERROR);
      return;
    }
  }
  const bool allowed = bodyAllowedForStatus(res.status);
  const bool headOnly = req.method == "HEAD";
  if (s.outbound.stagesWaiting != 0 && !(res.stream && allowed && !headOnly)) {
    runWaitingStages(s.ex, s.outbound.stagesWaiting);  // no body piece comes to decide on
    s.outbound.stagesWaiting = 0;
  }
  // As Go's server: a body without a Content-Type field gets one sniffed from its first
  // bytes; a streamed body's head waits for them.
  const bool sniff = wantsSniffedType(res, allowed);
  if (res.stream && allowed && !headOnly && (sniff || res.headWaits || goBuffersStream(res))) {
    // The first piece is read as any other (startPulls): within the connection's body
    // budget and only once the client's window has room, so a client that reads nothing
    // holds no body memory here either. A body nothing flushes (FastCGI's) waits in Go's
    // 4096-byte buffer too (H2Stream::onBodyData).
    s.outbound.mode = H2Stream::BodyMode::Streamed;
    s.outbound.sniffPending = true;
    toPull_.push_back(s.id);
    return;
  }
  if (sniff && !res.stream && !res.body.empty()) {
    res.headers.add("Content-Type", sniffContentType(res.body));
  }
  if (res.stream && allowed && !headOnly) {
    s.outbound.mode = H2Stream::BodyMode::Streamed;
    const bool known = res.streamLength != runtime::Response::kUnknownLength;
    submitHead(s, known ? std::optional<uint64_t>(res.streamLength) : std::nullopt, true);
    // The first pull waits until nghttp2 asks for data, i.e. until the client's window has
    // room: a stream the client does not read costs no body memory.
    return;
  }
  const uint64_t length = res.stream ? res.streamLength : res.body.size();
  const bool unframed = goSendsWithoutLength(res, kGoHttp2BodyBuffer);
  res.stream.reset();
  if (allowed && !headOnly && !res.body.empty()) {
    // As Go's writer, a body longer than the handler's Content-Length fails whole: none of
    // it goes out (caddy 2.6.2 sends it all, which the client refuses as malformed).
    if (const auto declared = declaredContentLength(res.headers); declared && *declared < res.body.size()) {
      res.body.clear();
    }
  }
  if (allowed && headOnly) {
    // Go's writer takes a HEAD answer's body and drops it: Caddy's recorder (access log
    // `size`, metrics) counts it as written all the same, unless it overflows the
    // handler's Content-Length (then Go refuses it whole).
    const auto declared = declaredContentLength(res.headers);
    res.bytesWritten = declared && *declared < res.body.size() ? 0 : res.body.size();
  }
  const bool withBody = allowed && !headOnly && !res.body.empty();
  if (withBody) {
    s.outbound.mode = H2Stream::BodyMode::Buffered;
  }
  // Go sends no content-length for a HEAD response whose handler wrote nothing.
  const bool unknown = length == runtime::Response::kUnknownLength || (headOnly && length == 0) || unframed;
  submitHead(s, unknown ? std::nullopt : std::optional<uint64_t>(length), withBody);
}

void Http2Session::submitHead(H2Stream& s, std::optional<uint64_t> length, bool withBody) {
  H2ResponseHead& head = responseHead_;
  head.build(s.ex.response, length, dates_);
  nghttp2_data_provider provider{};
  provider.read_callback = &Callbacks::readBody;
  s.phase = H2Stream::Phase::Responding;
  if (nghttp2_submit_response(session_.get(), s.id, head.data(), head.size(),
                              withBody ? &provider : nullptr) != 0) {
    reset(s, NGHTTP2_INTERNAL_ERROR);
  }
}

void Http2Session::streamSniffed(H2Stream& s) {
  if (closed_ || !session_) {
    return;
  }
  const auto& res = s.ex.response;
  const bool known = res.streamLength != runtime::Response::kUnknownLength;
  submitHead(s, known ? std::optional<uint64_t>(res.streamLength) : std::nullopt, true);
}

void Http2Session::reset(H2Stream& s, uint32_t errorCode) {
  s.resetSubmitted = true;
  nghttp2_submit_rst_stream(session_.get(), NGHTTP2_FLAG_NONE, s.id, errorCode);
}

// ---- stream requests (H2Stream forwards here) ----

void Http2Session::streamWantsInbound(H2Stream& s) {
  if (!s.deliveryQueued) {
    s.deliveryQueued = true;
    toDeliver_.push_back(s.id);
  }
  deferred_.schedule(transport_.loop());  // a BodySink is never called from inside pull()
}

void Http2Session::streamWantsPiece(H2Stream& s) {
  toPull_.push_back(s.id);
  pump();
}

void Http2Session::streamOutboundReady(H2Stream& s) {
  if (!closed_ && !s.closed) {
    nghttp2_session_resume_data(session_.get(), s.id);
  }
  pump();
}

void Http2Session::streamTunnelClose(H2Stream& s) {
  if (s.closed || closed_) {
    return;
  }
  s.ex.response.tunnel = nullptr;  // the peer is leaving; it needs no onClientClosed()
  // The tunnel was answered (its log keeps the status): `abort` only says how it ended.
  const bool broken = std::exchange(s.ex.response.abort, false);
  if (broken) {
    // Its upstream broke (a reset, a read or write error): as RFC 9113 8.5 has a proxy
    // report a TCP reset behind a CONNECT stream, never END_STREAM (an orderly FIN). The
    // bytes still queued for the client go with it, as with a TCP reset.
    reset(s, NGHTTP2_CONNECT_ERROR);
  } else if (s.phase != H2Stream::Phase::Tunnel || s.outbound.ended) {
    reset(s, NGHTTP2_NO_ERROR);
  } else {
    s.outbound.eof = true;
    s.outbound.resetAfterEnd = true;
    nghttp2_session_resume_data(session_.get(), s.id);
  }
  pump();
}

void Http2Session::deliverInbound(H2Stream& s) {
  s.deliveryQueued = false;
  if (s.closed) {
    return;
  }
  if (s.phase == H2Stream::Phase::Tunnel) {
    deliverToTunnel(s);
    return;
  }
  auto& in = s.inbound;
  const uint64_t limit = s.ex.request.maxBodyBytes;
  if (in.error == 0 && limit != 0 && in.total > limit) {
    in.error = UV_E2BIG;  // the limit was set after the bytes arrived
    toConsume_.emplace_back(s.id, in.data.size());
    in.data.clear();
  }
  if (in.sink == nullptr) {
    return;
  }
  runtime::BodySink* sink = in.sink;
  sendContinue(s);  // Go: on the first body read, even when the bytes are already here
  if (in.error != 0) {
    in.sink = nullptr;
    sink->onBodyError(in.error);
    return;
  }
  if (in.data.empty() && !in.eof) {
    return;  // the pull waits for the next DATA frame
  }
  in.sink = nullptr;
  if (in.shortBody && in.data.empty()) {
    sink->onBodyError(UV_EPROTO);  // as Go: the bytes that came, then the read error
    return;
  }
  std::string piece = std::move(in.data);
  in.data.clear();
  toConsume_.emplace_back(s.id, piece.size());  // the handler took them: more may come
  const bool end = in.eof && !in.shortBody;
  in.eofDelivered = end;
  sink->onBodyData(piece, end);
}

void Http2Session::sendContinue(H2Stream& s) {
  // As Go: a client that sent "Expect: 100-continue" gets its 100 when the handler first
  // asks for body bytes, and not at all if the handler answers without reading.
  if (s.continueSent || s.phase != H2Stream::Phase::Handling || !s.head.expectsContinue()) {
    return;
  }
  s.continueSent = true;
  static constexpr std::string_view kStatus = ":status";
  static constexpr std::string_view kContinue = "100";
  nghttp2_nv nv{const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(kStatus.data())),
                const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(kContinue.data())), kStatus.size(),
                kContinue.size(), NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE};
  nghttp2_submit_headers(session_.get(), NGHTTP2_FLAG_NONE, s.id, nullptr, &nv, 1, nullptr);
}

// A non-final HEADERS frame (103 Early Hints ...) before the response.
void Http2Session::streamInformational(H2Stream& s, int status, const runtime::HeaderList& fields) {
  if (closed_ || !session_ || s.closed || s.phase != H2Stream::Phase::Handling || status < 100 ||
      status == 101 || status > 199) {
    return;
  }
  runtime::Response interim;
  interim.status = status;
  interim.headers = s.ex.response.headers;
  for (const auto& f : fields) {
    interim.headers.emplaceBack(f.name, f.value);
  }
  H2ResponseHead& head = responseHead_;
  head.build(interim, std::nullopt, dates_);
  nghttp2_submit_headers(session_.get(), NGHTTP2_FLAG_NONE, s.id, nullptr, head.data(), head.size(), nullptr);
  pump();
}

void Http2Session::deliverToTunnel(H2Stream& s) {
  auto& in = s.inbound;
  runtime::TunnelPeer* peer = s.ex.response.tunnel;
  if (peer == nullptr || !in.tunnelReading) {
    return;
  }
  if (!in.data.empty()) {
    in.tunnelReading = false;  // until tunnelResumeReading()
    std::string piece = std::move(in.data);
    in.data.clear();
    toConsume_.emplace_back(s.id, piece.size());
    peer->onClientData(piece);
    return;
  }
  if (in.eof && !in.eofDelivered) {
    in.eofDelivered = true;
    peer->onClientEof();
  }
}

}  // namespace gatehouse::http
