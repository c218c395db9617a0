// Http2Session: construction, the Session interface and nghttp2's events. Exchanges
// (dispatch, responses, body delivery) are in h2_session_exchanges.cpp, output in
// h2_session_output.cpp.
#include "http/http2_session.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "http/h2_callbacks.h"

namespace gatehouse::http {

namespace {
// The PING a graceful stop sends behind its GOAWAY notice.
constexpr uint8_t kStopPing[8] = {'g', 'h', '-', 's', 't', 'o', 'p', 0};
// A client that does not answer that PING gets the final GOAWAY after this long.
constexpr uint64_t kStopPingWaitMs = 2000;
// The last stream id of the stop's first GOAWAY (nghttp2_submit_shutdown_notice).
constexpr int32_t kMaxStreamId = (1U << 31) - 1;
}  // namespace

Http2Session::Http2Session(Transport& transport, RequestHandler& handler, DateCache& dates,
                           Http2Limits limits)
    : transport_(transport),
      handler_(handler),
      dates_(dates),
      limits_(limits),
      session_(Callbacks::newServer(*this)),
      deferred_([this] { runDeferred(); }),
      goawayTimer_([this] {
        if (!closed_ && awaitingPingAck_) {
          finalGoaway();
          pump();
          reap();
        }
      }),
      writeTimer_([this] { onWriteDeadline(); }) {
  // The SETTINGS frame is only queued: the first output goes out with the first read, once
  // the connection is surely established.
  if (!session_ || Callbacks::submitSettings(session_.get(), limits_) != 0) {
    session_.reset();
  }
}

Http2Session::~Http2Session() {
  // The connection is gone: tell tunnel peers and account for exchanges cut short.
  for (const auto& s : streams_) {
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
  relayed_.clear();
  links_.clear();  // each relay closes its upstream and records its exchange
  deadLinks_.clear();
}

// ---- Session ----

// A zero-increment WINDOW_UPDATE on a stream (H2InboundFilter): that stream alone is
// reset, as Go's server does; nghttp2 never saw the frame. A stream whose head came in the
// same read is reset once its handler ran (`holdDispatched`): Go's frame reader resets it while
// the handler it already started writes, so the answer's HEADERS go out before the
// RST_STREAM (its DATA, queued behind, does not), whether the frames came in one read or two.
void Http2Session::resetZeroWindowUpdates(bool holdDispatched) {
  if (found_.zeroWindowUpdates.empty()) {
    return;
  }
  auto keep =
      std::remove_if(found_.zeroWindowUpdates.begin(), found_.zeroWindowUpdates.end(), [&](int32_t id) {
        if (holdDispatched && std::find(toDispatch_.begin(), toDispatch_.end(), id) != toDispatch_.end()) {
          return false;
        }
        nghttp2_submit_rst_stream(session_.get(), NGHTTP2_FLAG_NONE, id, NGHTTP2_PROTOCOL_ERROR);
        return true;
      });
  found_.zeroWindowUpdates.erase(keep, found_.zeroWindowUpdates.end());
}

void Http2Session::resetHeldWindowUpdate(int32_t id) {
  auto it = std::find(found_.zeroWindowUpdates.begin(), found_.zeroWindowUpdates.end(), id);
  if (it != found_.zeroWindowUpdates.end()) {
    found_.zeroWindowUpdates.erase(it);
    nghttp2_submit_rst_stream(session_.get(), NGHTTP2_FLAG_NONE, id, NGHTTP2_PROTOCOL_ERROR);
  }
}

void Http2Session::onData(const char* data, size_t len) {
  if (closed_) {
    return;
  }
  if (!session_) {
    fail();
    return;
  }
  if (!limitAnnounced_) {
    send();  // our SETTINGS lead, as Go's do, whatever this first read brings
  }
  const std::string_view in = inbound_.filter(std::string_view(data, len), found_);
  const ssize_t rv =
      nghttp2_session_mem_recv(session_.get(), reinterpret_cast<const uint8_t*>(in.data()), in.size());
  if (goAwayPending_ || (rv >= 0 && !judgeDataFrames())) {
    goAway();  // a connection error by Go's stream states (h2_session_go_frames.cpp)
    return;
  }
  resetZeroWindowUpdates(rv >= 0);  // a failed read dispatches nothing
  if (rv >= 0) {
    resetSelfDependent();
  }
  if (rv < 0) {
    if (rv == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS || rv == NGHTTP2_ERR_FLOODED) {
      // nghttp2's flood guards (more than 8 CONTINUATION frames; over 1000 SETTINGS or PING
      // acknowledgements queued for a client that sends faster than it reads) stop reading
      // without a GOAWAY: say why, or the client only sees the connection drop.
      nghttp2_session_terminate_session(session_.get(), NGHTTP2_ENHANCE_YOUR_CALM);
    }
    send();  // a GOAWAY nghttp2 may have queued for the peer
    fail();
    return;
  }
  // Only frameReceived (inside nghttp2_session_mem_recv) adds to toDispatch_, so it stays
  // put while the heads run; it keeps its capacity for the next read.
  for (size_t i = 0; i < toDispatch_.size(); ++i) {
    if (H2Stream* s = find(toDispatch_[i])) {
      dispatch(*s);
    }
    if (!found_.zeroWindowUpdates.empty()) {
      resetHeldWindowUpdate(toDispatch_[i]);
    }
  }
  toDispatch_.clear();
  dispatchPushed();
  pump();
  reap();
}

void Http2Session::onEof() {
  eof_ = true;
  // No more bytes will come: a body still arriving is cut short (the handler sees
  // UV_EPROTO) and a tunnel's client side has ended. Responses in flight still go out.
  for (const auto& s : streams_) {
    if (s->inbound.eof || s->inbound.error != 0) {
      continue;
    }
    if (s->phase == H2Stream::Phase::Tunnel) {
      s->inbound.eof = true;
    } else {
      s->inbound.error = UV_EPROTO;  // not END_STREAM: our response end then resets the stream
    }
    streamWantsInbound(*s);
  }
  for (const auto& l : links_) {
    l->receivedEnd();  // the relay half-closes its upstream
    linkWantsInbound(*l);
  }
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
  // Two steps (RFC 9113 6.8): a GOAWAY that only announces the stop, with a PING behind
  // it. By the time the client answers the PING it has sent every stream it opened before
  // it saw the notice, so the final GOAWAY (last stream id = the last one we processed)
  // refuses none of them: a client mid-handshake or mid-preface at a reload is served.
  // The PING is submitted once the notice has gone out (frameSent): nghttp2 would send it
  // first, and a client could then open a stream between the two.
  if (nghttp2_submit_shutdown_notice(session_.get()) == 0) {
    awaitingPingAck_ = true;
    goawayTimer_.start(transport_.loop(), kStopPingWaitMs);
  } else {
    finalGoaway();
  }
  pump();
}

void Http2Session::finalGoaway() {
  awaitingPingAck_ = false;
  goawayTimer_.stop();
  // Streams up to the last one we processed still complete; the client retries later ones.
  nghttp2_submit_goaway(session_.get(), NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(session_.get()), NGHTTP2_NO_ERROR, nullptr,
                        0);
}

void Http2Session::forEachExchange(const std::function<void(runtime::Exchange&)>& fn) {
  for (const auto& stream : streams_) {
    fn(stream->ex);
  }
  for (const auto& l : links_) {
    if (Session* relay = l->relay(); relay != nullptr && !l->isClosed()) {
      relay->forEachExchange(fn);  // the relay's site check (and stream_close_delay)
    }
  }
}

// ---- nghttp2 events ----

std::unique_ptr<H2Stream> Http2Session::newStream(int32_t id) {
  std::unique_ptr<H2Stream> stream;
  if (spare_.empty()) {
    stream = std::make_unique<H2Stream>(*this, id, maxHeaderListSize(limits_));
  } else {
    stream = std::move(spare_.back());
    spare_.pop_back();
    stream->id = id;
  }
  return stream;
}

size_t Http2Session::openClientStreams() const {
  size_t open = links_.size();  // relayed tunnels: CONNECT streams the client opened
  for (const auto& s : streams_) {
    open += s->pushed ? 0 : 1;
  }
  return open;
}

int Http2Session::beginHeaders(int32_t id) {
  const uint32_t limit = limits_.maxConcurrentStreams;
  if (streams_.size() + links_.size() >= limit && openClientStreams() >= limit) {
    // A stream over our SETTINGS_MAX_CONCURRENT_STREAMS: as Go's server, only it is refused
    // (nghttp2 would end the connection) and its header block is still decoded for HPACK's
    // sake, then ignored. REFUSED_STREAM (safe to retry) while our SETTINGS may not have
    // reached the client yet, PROTOCOL_ERROR once it acknowledged them.
    nghttp2_submit_rst_stream(session_.get(), NGHTTP2_FLAG_NONE, id,
                              settingsAcked_ ? NGHTTP2_PROTOCOL_ERROR : NGHTTP2_REFUSED_STREAM);
    goMaxStream_ = std::max(goMaxStream_, id);  // Go counts it opened (then closed)
    return 0;
  }
  std::unique_ptr<H2Stream> stream = newStream(id);
  lastHead_ = stream.get();
  streams_.insert(std::move(stream));
  return 0;
}

H2Stream* Http2Session::findForHead(int32_t id) {
  // The fields of a header block arrive one callback each, all for the stream just begun.
  return lastHead_ != nullptr && lastHead_->id == id ? lastHead_ : find(id);
}

int Http2Session::header(const nghttp2_frame& frame, std::string_view name, std::string_view value) {
  if (frame.hd.type != NGHTTP2_HEADERS) {
    return 0;
  }
  H2Stream* s = findForHead(frame.hd.stream_id);
  if (s == nullptr) {
    return 0;
  }
  if (frame.headers.cat == NGHTTP2_HCAT_REQUEST) {
    s->head.add(name, value);
  } else if (!H2RequestHead::validTrailer(name, value)) {
    s->inbound.badTrailer = true;  // trailers are only checked: nothing downstream reads them yet
    s->inbound.trailerPseudo = s->inbound.trailerPseudo || name.starts_with(':');
  }
  return 0;
}

// Go resets a stream whose client breaks the request's framing (PROTOCOL_ERROR): its handler
// never runs when that happens before it was dispatched.
void Http2Session::refuse(H2Stream& s) {
  if (s.inbound.refused) {
    return;
  }
  s.inbound.refused = true;
  s.inbound.error = UV_EPROTO;
  if (!s.inbound.data.empty()) {
    toConsume_.emplace_back(0, s.inbound.data.size());  // connection credit of unread bytes
    s.inbound.data.clear();
  }
  reset(s, NGHTTP2_PROTOCOL_ERROR);
  streamWantsInbound(s);  // a handler reading the body sees it fail
}

int Http2Session::frameReceived(const nghttp2_frame& frame) {
  if (frame.hd.type != NGHTTP2_HEADERS && frame.hd.type != NGHTTP2_DATA) {
    if (frame.hd.type == NGHTTP2_SETTINGS && (frame.hd.flags & NGHTTP2_FLAG_ACK) != 0) {
      settingsAcked_ = true;
    }
    if (frame.hd.type == NGHTTP2_PING && awaitingPingAck_ && (frame.hd.flags & NGHTTP2_FLAG_ACK) != 0 &&
        std::memcmp(frame.ping.opaque_data, kStopPing, sizeof(kStopPing)) == 0) {
      finalGoaway();  // every frame before this ACK is processed: see shutdown()
    }
    return 0;
  }
  const bool endStream = (frame.hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
  H2Stream* s = findForHead(frame.hd.stream_id);
  if (frame.hd.type == NGHTTP2_HEADERS) {
    blockOpen_ = 0;
  }
  if (frame.hd.type == NGHTTP2_HEADERS && frame.headers.cat == NGHTTP2_HCAT_REQUEST) {
    openedForGo(frame, s);
  }
  if (s == nullptr) {
    if (H2TunnelLink* l = findLink(frame.hd.stream_id); l != nullptr && endStream) {
      l->receivedEnd();
      linkWantsInbound(*l);
    }
    return 0;
  }
  if (frame.hd.type == NGHTTP2_HEADERS && frame.headers.cat == NGHTTP2_HCAT_REQUEST) {
    s->bodyless = endStream;
    s->inbound.declared = s->head.declaredLength(endStream);
    // Judged now, run after the read: DATA frames behind a head Go resets find the stream
    // closed there.
    s->headMapped = s->head.mapTo(s->ex.request, endStream);
    toDispatch_.push_back(s->id);  // run after the read, outside nghttp2's callbacks
  } else if (frame.hd.type == NGHTTP2_HEADERS && headersOnRefusedHead(*s)) {
    return 0;
  } else if (frame.hd.type == NGHTTP2_HEADERS && (!endStream || s->inbound.badTrailer)) {
    refuse(*s);  // Go: trailers must end the stream and hold no pseudo-header or bad field
    return 0;
  }
  if (s->inbound.refused) {
    return 0;
  }
  if (endStream && s->inbound.declared >= 0 &&
      s->inbound.total != static_cast<uint64_t>(s->inbound.declared)) {
    // Fewer bytes than the Content-Length said: Go fails the body read ("request declared
    // a Content-Length of N but only wrote M bytes") after the bytes that came, and resets
    // nothing.
    s->inbound.shortBody = true;
  }
  if (endStream) {
    s->inbound.eof = true;
    // Only a pull already waiting (or a tunnel) needs telling: a later pull asks itself.
    if (s->inbound.sink != nullptr || s->phase == H2Stream::Phase::Tunnel) {
      streamWantsInbound(*s);
    }
  }
  return 0;
}

int Http2Session::dataChunk(int32_t id, const uint8_t* data, size_t len) {
  H2Stream* s = find(id);
  if (s == nullptr) {
    if (H2TunnelLink* l = findLink(id)) {
      l->received(data, len);  // within the stream window: credit returns as the relay takes it
      linkWantsInbound(*l);
      return 0;
    }
  }
  if (s != nullptr && s->inbound.declared >= 0 && !s->inbound.refused &&
      s->inbound.total + len > static_cast<uint64_t>(s->inbound.declared)) {
    refuse(*s);  // Go: more DATA than the Content-Length declared (RFC 9113 8.1.1)
  }
  if (s == nullptr || s->inbound.error != 0 || s->inbound.discard) {
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
  if (frame.hd.type == NGHTTP2_GOAWAY && awaitingPingAck_ && frame.goaway.last_stream_id == kMaxStreamId &&
      nghttp2_submit_ping(session_.get(), NGHTTP2_FLAG_NONE, kStopPing) != 0) {
    finalGoaway();
  }
  const bool endStream = (frame.hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
  if (!endStream || (frame.hd.type != NGHTTP2_HEADERS && frame.hd.type != NGHTTP2_DATA)) {
    return 0;
  }
  H2Stream* s = find(frame.hd.stream_id);
  if (s == nullptr) {
    H2TunnelLink* l = findLink(frame.hd.stream_id);
    if (l != nullptr && l->ended()) {
      nghttp2_submit_rst_stream(session_.get(), NGHTTP2_FLAG_NONE, l->id(), NGHTTP2_NO_ERROR);
    }
    return 0;
  }
  s->outbound.ended = true;
  const bool halfClosedTunnel = s->phase == H2Stream::Phase::Tunnel && !s->outbound.resetAfterEnd;
  if (!s->inbound.eof && !halfClosedTunnel) {
    endUnreadBody(*s);
  }
  return 0;
}

void Http2Session::endUnreadBody(H2Stream& s) {
  // The response is complete but the client is still sending a body nobody will read.
  // When the rest is announced (Content-Length) and fits the stream window, it comes
  // without our credit: drop it as it arrives and let the client end the stream. A reset
  // there makes clients such as curl 7.88 throw the answer away (exit 92), and Go's
  // server, whose handler runs after the bytes that came with the request were read,
  // seldom sends one for such a body. A client still waiting for its 100-continue sends
  // nothing more: it gets the reset.
  const bool awaitsContinue = s.head.expectsContinue() && !s.continueSent;
  const uint64_t declared = s.ex.request.bodyLength;
  const int32_t window = nghttp2_session_get_stream_local_window_size(session_.get(), s.id);
  if (!awaitsContinue && declared != runtime::Request::kChunked && s.inbound.error == 0 &&
      declared >= s.inbound.total && window >= 0 &&
      declared - s.inbound.total <= static_cast<uint64_t>(window)) {
    s.inbound.discard = true;
    if (!s.inbound.data.empty()) {
      toConsume_.emplace_back(0, s.inbound.data.size());  // connection credit of unread bytes
      s.inbound.data.clear();
    }
    return;
  }
  // Otherwise RFC 9113 8.1 lets us stop it with NO_ERROR instead of leaving it stuck on
  // flow control.
  reset(s, NGHTTP2_NO_ERROR);
}

int Http2Session::frameNotSent(const nghttp2_frame& frame, int error) {
  // nghttp2 drops a HEADERS frame it cannot send (a head over kMaxSendHeaderBlock, a
  // stream closing meanwhile) and leaves the stream open: without a reset here the client
  // would wait for an answer forever. A compression failure is already a GOAWAY (nghttp2).
  if (frame.hd.type != NGHTTP2_HEADERS) {
    return 0;
  }
  H2Stream* s = find(frame.hd.stream_id);
  if (s == nullptr || s->closed) {
    return 0;
  }
  if (s->ex.error.status == 0) {
    // Logged with the exchange as a handler error (http.log.error), as the client got none
    // of the response.
    s->ex.error.status = 500;
    s->ex.error.plain = true;
    s->ex.error.message =
        error == NGHTTP2_ERR_FRAME_SIZE_ERROR
            ? "http2: response header block over " + std::to_string(kMaxSendHeaderBlock) + " bytes"
            : std::string("http2: response header block not sent: ") + nghttp2_strerror(error);
  }
  reset(*s, NGHTTP2_INTERNAL_ERROR);
  return 0;
}

int Http2Session::streamClosed(int32_t id, uint32_t /*errorCode*/) {
  std::unique_ptr<H2Stream> owned = streams_.take(id);
  if (!owned) {
    if (std::unique_ptr<H2TunnelLink> link = links_.take(id)) {
      link->closed();
      if (link->unread() > 0) {
        toConsume_.emplace_back(0, link->unread());  // connection credit of unread bytes
      }
      // Destroyed with its relay (closing the upstream, recording the exchange) once no
      // relay code is on the stack.
      deadLinks_.push_back(std::move(link));
      deferred_.schedule(transport_.loop());
    }
    return 0;
  }
  if (lastHead_ == owned.get()) {
    lastHead_ = nullptr;
  }
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
    H2TunnelLink* l = findLink(id);
    if (l == nullptr) {
      return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
    const ssize_t n = l->readBody(buf, len, flags);
    if (l->drainNoticeDue()) {
      toNotify_.push_back(id);
    }
    return n;
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

}  // namespace gatehouse::http
