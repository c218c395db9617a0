#include "http/http2_session.h"

#include <chrono>
#include <exception>
#include <utility>

#include "http/h2_callbacks.h"
#include "http/h2_response_head.h"

namespace gatehouse::http {

namespace {
// Output is handed to the transport in pieces of this size; once the transport reports
// unsent bytes, nothing more is produced until it drains.
constexpr size_t kWriteChunk = 64 * 1024;

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

Http2Session::Http2Session(Transport& transport, RequestHandler& handler, DateCache& dates,
                           Http2Limits limits)
    : transport_(transport),
      handler_(handler),
      dates_(dates),
      limits_(limits),
      session_(Callbacks::newServer(*this)),
      deferred_([this] { runDeferred(); }) {
  // The SETTINGS frame is only queued: the first output goes out with the first read, once
  // the connection is surely established.
  if (!session_ || Callbacks::submitSettings(session_.get(), limits_) != 0) {
    session_.reset();
  }
}

Http2Session::~Http2Session() {
  // The connection is gone: tell tunnel peers and account for exchanges cut short.
  for (auto& [id, s] : streams_) {
    s->closed = true;
    if (s->phase == H2Stream::Phase::Tunnel && s->ex.response.tunnel != nullptr) {
      s->ex.response.tunnel->onClientClosed();
    }
    if (s->dispatched) {
      handler_.finished(s->ex);
    }
  }
  streams_.clear();
  graveyard_.clear();
}

// ---- Session ----

void Http2Session::onData(const char* data, size_t len) {
  if (closed_) {
    return;
  }
  if (!session_) {
    fail();
    return;
  }
  const ssize_t rv = nghttp2_session_mem_recv(session_.get(), reinterpret_cast<const uint8_t*>(data), len);
  if (rv < 0) {
    send();  // a GOAWAY nghttp2 may have queued for the peer
    fail();
    return;
  }
  std::vector<int32_t> ready = std::move(toDispatch_);
  toDispatch_.clear();
  for (int32_t id : ready) {
    if (H2Stream* s = find(id)) {
      dispatch(*s);
    }
  }
  pump();
  reap();
}

void Http2Session::onEof() {
  eof_ = true;
  maybeClose();
}

void Http2Session::onDrained() {
  if (closed_) {
    return;
  }
  if (backedUp_) {
    backedUp_ = false;
    transport_.resumeReading();
  }
  pump();
  reap();
}

void Http2Session::shutdown() {
  if (closed_ || shuttingDown_) {
    return;
  }
  shuttingDown_ = true;
  if (!session_) {
    fail();
    return;
  }
  // Streams up to the last one we saw still complete; the client retries later ones.
  nghttp2_submit_goaway(session_.get(), NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(session_.get()), NGHTTP2_NO_ERROR, nullptr,
                        0);
  pump();
}

// ---- nghttp2 events ----

int Http2Session::beginHeaders(int32_t id) {
  streams_.emplace(id, std::make_unique<H2Stream>(*this, id, maxHeaderListSize(limits_)));
  return 0;
}

int Http2Session::header(const nghttp2_frame& frame, std::string_view name, std::string_view value) {
  if (frame.hd.type != NGHTTP2_HEADERS || frame.headers.cat != NGHTTP2_HCAT_REQUEST) {
    return 0;  // trailers: nothing downstream reads them yet
  }
  if (H2Stream* s = find(frame.hd.stream_id)) {
    s->head.add(name, value);
  }
  return 0;
}

int Http2Session::frameReceived(const nghttp2_frame& frame) {
  if (frame.hd.type != NGHTTP2_HEADERS && frame.hd.type != NGHTTP2_DATA) {
    return 0;
  }
  H2Stream* s = find(frame.hd.stream_id);
  if (s == nullptr) {
    return 0;
  }
  const bool endStream = (frame.hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
  if (frame.hd.type == NGHTTP2_HEADERS && frame.headers.cat == NGHTTP2_HCAT_REQUEST) {
    s->bodyless = endStream;
    toDispatch_.push_back(s->id);  // run after the read, outside nghttp2's callbacks
  }
  if (endStream) {
    s->inbound.eof = true;
    streamWantsInbound(*s);
  }
  return 0;
}

int Http2Session::dataChunk(int32_t id, const uint8_t* data, size_t len) {
  H2Stream* s = find(id);
  if (s == nullptr || s->inbound.error != 0) {
    toConsume_.emplace_back(0, len);  // nobody reads it: give the credit straight back
    return 0;
  }
  auto& in = s->inbound;
  in.total += len;
  const uint64_t limit = s->ex.request.maxBodyBytes;
  if (limit != 0 && in.total > limit) {
    in.error = UV_E2BIG;
    toConsume_.emplace_back(0, in.data.size() + len);
    in.data.clear();
  } else {
    // Bounded by the stream window: no credit returns before the handler takes bytes.
    in.data.append(reinterpret_cast<const char*>(data), len);
  }
  streamWantsInbound(*s);
  return 0;
}

int Http2Session::frameSent(const nghttp2_frame& frame) {
  const bool endStream = (frame.hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
  if (!endStream || (frame.hd.type != NGHTTP2_HEADERS && frame.hd.type != NGHTTP2_DATA)) {
    return 0;
  }
  H2Stream* s = find(frame.hd.stream_id);
  if (s == nullptr) {
    return 0;
  }
  s->outbound.ended = true;
  const bool halfClosedTunnel = s->phase == H2Stream::Phase::Tunnel && !s->outbound.resetAfterEnd;
  if (!s->inbound.eof && !halfClosedTunnel) {
    // The response is complete but the client is still sending a body nobody will read:
    // RFC 9113 8.1 lets us stop it with NO_ERROR instead of leaving it stuck on flow control.
    nghttp2_submit_rst_stream(session_.get(), NGHTTP2_FLAG_NONE, s->id, NGHTTP2_NO_ERROR);
  }
  return 0;
}

int Http2Session::streamClosed(int32_t id, uint32_t /*errorCode*/) {
  auto it = streams_.find(id);
  if (it == streams_.end()) {
    return 0;
  }
  std::unique_ptr<H2Stream> owned = std::move(it->second);
  streams_.erase(it);
  H2Stream& s = *owned;
  s.closed = true;
  if (runtime::TunnelPeer* peer = s.ex.response.tunnel;
      peer != nullptr && s.phase == H2Stream::Phase::Tunnel) {
    s.ex.response.tunnel = nullptr;
    peer->onClientClosed();
  }
  if (!s.inbound.data.empty()) {
    toConsume_.emplace_back(0, s.inbound.data.size());  // connection credit of unread bytes
  }
  if (s.dispatched) {
    handler_.finished(s.ex);
  }
  // Destroyed (dropping ex.pending, which cancels upstream work) once no stream code is on
  // the stack: at the end of this read, or on the next loop iteration.
  graveyard_.push_back(std::move(owned));
  deferred_.schedule(transport_.loop());
  return 0;
}

ssize_t Http2Session::readBody(int32_t id, uint8_t* buf, size_t len, uint32_t* flags) {
  H2Stream* s = find(id);
  if (s == nullptr) {
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  }
  const ssize_t n = s->readBody(buf, len, flags);
  if (s->wantsPull) {
    s->wantsPull = false;
    toPull_.push_back(id);
  }
  if (s->outbound.drainNotify) {
    toNotify_.push_back(id);
  }
  return n;
}

// ---- exchanges ----

H2Stream* Http2Session::find(int32_t id) {
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : it->second.get();
}

void Http2Session::dispatch(H2Stream& s) {
  s.phase = H2Stream::Phase::Handling;
  auto& req = s.ex.request;
  req.remoteIp = peer_.remoteIp;
  req.remotePort = peer_.remotePort;
  req.localPort = peer_.localPort;
  req.tls = peer_.tls;
  req.start = std::chrono::steady_clock::now();
  if (s.head.tooLarge()) {
    // As Go: answered without running the chain.
    s.ex.response.status = 431;
    s.ex.response.headers.set("Content-Type", "text/html; charset=utf-8");
    s.ex.response.body = kHeaderTooLargeBody;
    respond(s);
    return;
  }
  if (!s.head.mapTo(req, s.bodyless)) {
    reset(s, NGHTTP2_PROTOCOL_ERROR);  // Go's answer to a malformed request head
    return;
  }
  s.ex.host = &s;
  s.dispatched = true;
  // Re-armed per request, not only when the connection turns busy: write_timeout then
  // bounds each request, as Go applies it per stream on HTTP/2, instead of cutting off a
  // connection that has been busy with many requests.
  phase_ = Transport::Phase::Busy;
  transport_.setPhase(phase_);
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
  }
  // Innermost first, as Http1Session::beginResponse.
  for (auto it = s.ex.stages.rbegin(); it != s.ex.stages.rend(); ++it) {
    (*it)->onHead(s.ex);
  }
  if (runtime::equalsIgnoreCase(res.headers.get("Connection"), "close") && !shuttingDown_) {
    shutdown();  // Go turns "Connection: close" into a graceful GOAWAY on HTTP/2
  }
  if (res.tunnel != nullptr) {
    if (req.method == "CONNECT" && res.status >= 200 && res.status < 300) {
      s.outbound.mode = H2Stream::BodyMode::Tunnel;
      submitHead(s, std::nullopt, true);
      s.phase = H2Stream::Phase::Tunnel;
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
  if (res.stream && allowed && !headOnly) {
    s.outbound.mode = H2Stream::BodyMode::Streamed;
    const bool known = res.streamLength != runtime::Response::kUnknownLength;
    submitHead(s, known ? std::optional<uint64_t>(res.streamLength) : std::nullopt, true);
    s.outbound.pullInFlight = true;
    res.stream->pull(loop(), s);  // the first piece is on its way before nghttp2 asks
    return;
  }
  const uint64_t length = res.stream ? res.streamLength : res.body.size();
  res.stream.reset();
  const bool withBody = allowed && !headOnly && !res.body.empty();
  if (withBody) {
    s.outbound.mode = H2Stream::BodyMode::Buffered;
  }
  submitHead(s, length == runtime::Response::kUnknownLength ? std::nullopt : std::optional<uint64_t>(length),
             withBody);
}

void Http2Session::submitHead(H2Stream& s, std::optional<uint64_t> length, bool withBody) {
  H2ResponseHead head(s.ex.response, length, dates_);
  nghttp2_data_provider provider{};
  provider.read_callback = &Callbacks::readBody;
  s.phase = H2Stream::Phase::Responding;
  if (nghttp2_submit_response(session_.get(), s.id, head.data(), head.size(),
                              withBody ? &provider : nullptr) != 0) {
    reset(s, NGHTTP2_INTERNAL_ERROR);
  }
}

void Http2Session::reset(H2Stream& s, uint32_t errorCode) {
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
  if (s.phase != H2Stream::Phase::Tunnel || s.outbound.ended) {
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
  if (in.error != 0) {
    in.sink = nullptr;
    sink->onBodyError(in.error);
    return;
  }
  if (in.data.empty() && !in.eof) {
    return;  // the pull waits for the next DATA frame
  }
  in.sink = nullptr;
  std::string piece = std::move(in.data);
  in.data.clear();
  toConsume_.emplace_back(s.id, piece.size());  // the handler took them: more may come
  in.eofDelivered = in.eof;
  sink->onBodyData(piece, in.eof);
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

// ---- output ----

void Http2Session::runDeferred() {
  std::vector<int32_t> ids = std::move(toDeliver_);
  toDeliver_.clear();
  for (int32_t id : ids) {
    if (H2Stream* s = find(id)) {
      deliverInbound(*s);
    }
  }
  pump();
  reap();
}

void Http2Session::pump() {
  if (closed_ || !session_) {
    return;
  }
  if (pumping_) {
    again_ = true;  // the outer pump runs another round
    return;
  }
  pumping_ = true;
  do {
    again_ = false;
    for (auto [id, n] : std::exchange(toConsume_, {})) {
      if (id == 0) {
        nghttp2_session_consume_connection(session_.get(), n);
      } else {
        nghttp2_session_consume(session_.get(), id, n);
      }
    }
    if (!send()) {
      pumping_ = false;
      fail();
      return;
    }
    startPulls();
    notifyDrains();
  } while (again_ && !closed_);
  pumping_ = false;
  updatePhase();
  maybeClose();
}

bool Http2Session::send() {
  if (backedUp_) {
    return true;
  }
  for (;;) {
    const uint8_t* bytes = nullptr;
    const ssize_t n = nghttp2_session_mem_send(session_.get(), &bytes);
    if (n < 0) {
      return false;
    }
    if (n == 0) {
      break;
    }
    out_.append(reinterpret_cast<const char*>(bytes), static_cast<size_t>(n));
    if (out_.size() >= kWriteChunk) {
      transport_.write(out_);
      if (!transport_.drained()) {
        break;
      }
    }
  }
  if (!out_.empty()) {
    transport_.write(out_);
  }
  if (!transport_.drained()) {
    // A client that does not read its responses gets no more input processed either.
    backedUp_ = true;
    transport_.pauseReading();
  }
  return true;
}

void Http2Session::startPulls() {
  for (int32_t id : std::exchange(toPull_, {})) {
    H2Stream* s = find(id);
    if (s == nullptr || !s->ex.response.stream || s->outbound.pullInFlight || s->outbound.eof ||
        s->outbound.error) {
      continue;
    }
    s->outbound.pullInFlight = true;
    s->ex.response.stream->pull(loop(), *s);
  }
}

void Http2Session::notifyDrains() {
  if (backedUp_) {
    return;  // "drained" means the bytes left: wait for onDrained()
  }
  for (int32_t id : std::exchange(toNotify_, {})) {
    H2Stream* s = find(id);
    if (s == nullptr || !s->outbound.drainNotify) {
      continue;
    }
    s->outbound.drainNotify = false;
    if (runtime::TunnelPeer* peer = s->ex.response.tunnel) {
      peer->onClientDrained();
    }
  }
}

void Http2Session::reap() {
  if (!pumping_) {
    graveyard_.clear();
  }
}

void Http2Session::updatePhase() {
  const Transport::Phase want = streams_.empty() ? Transport::Phase::Idle : Transport::Phase::Busy;
  if (want != phase_ && !closed_) {
    phase_ = want;
    transport_.setPhase(want);  // idle_timeout runs only while no stream is open
  }
}

void Http2Session::maybeClose() {
  if (closed_ || !session_) {
    return;
  }
  const bool wantWrite = nghttp2_session_want_write(session_.get()) != 0;
  const bool finished = !nghttp2_session_want_read(session_.get()) && !wantWrite;
  const bool peerGone = eof_ && streams_.empty() && !wantWrite;
  if (finished || peerGone) {
    closed_ = true;
    transport_.close(false);  // queued bytes (the GOAWAY) are flushed first
  }
}

void Http2Session::fail() {
  if (!closed_) {
    closed_ = true;
    transport_.close(false);
  }
}

}  // namespace gatehouse::http
