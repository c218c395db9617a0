// Http2Session: relayed tunnels. A tunnel's peer (reverse_proxy) may hand its stream over to
// a relay session of its own once the 2xx head is out (ExchangeHost::handOverTunnel): the
// stream's H2Stream, with its exchange and the peer, is freed and an H2TunnelLink takes its
// place under the same stream id, as the relay's Transport. nghttp2's events for that id
// (DATA, END_STREAM, the data provider, the stream's close) reach the link instead.
#include <utility>

#include "http/http2_session.h"
#include "http/tunnel_recording.h"

namespace gatehouse::http {

bool Http2Session::streamHandOver(H2Stream& s, const runtime::ExchangeHost::TunnelRelayMaker& make) {
  // Only a running tunnel with nothing of its own still to send: its peer has written
  // nothing yet, and neither side has ended.
  if (closed_ || !session_ || s.closed || s.phase != H2Stream::Phase::Tunnel ||
      s.ex.response.tunnel == nullptr || !s.outbound.data.empty() || s.outbound.eof || s.outbound.ended ||
      s.inbound.eofDelivered) {
    return false;
  }
  auto link = std::make_unique<H2TunnelLink>(*this, s.id);
  link->writeDeadline = s.writeDeadline;
  std::unique_ptr<Session> relay = make(*link);
  if (!relay) {
    return false;
  }
  if (handler_.recordsExchanges()) {
    auto* recording = dynamic_cast<TunnelRecording*>(relay.get());
    if (recording == nullptr) {
      return false;  // nothing would record the exchange: it goes on here
    }
    recording->recordWith(handler_, s.ex);
    recording->recordAtEnd(link->sent());
  }
  // Client bytes the peer has not taken (their credit is still out) go to the relay.
  if (!s.inbound.data.empty()) {
    link->received(reinterpret_cast<const uint8_t*>(s.inbound.data.data()), s.inbound.data.size());
  }
  if (s.inbound.eof) {
    link->receivedEnd();
  }
  link->adopt(std::move(relay));
  // The relay records the exchange (or nothing does): the stream owes no finished(), and
  // its peer, which handed over, no onClientClosed(). Destroyed (with the peer, whose call
  // is still on the stack) at the next safe point, never recycled: a tunnel's stream held
  // buffers a new request does not need.
  s.ex.response.tunnel = nullptr;
  s.dispatched = false;
  s.closed = true;
  if (lastHead_ == &s) {
    lastHead_ = nullptr;
  }
  relayed_.push_back(streams_.take(s.id));
  H2TunnelLink& l = *link;
  links_.insert(std::move(link));
  l.start();
  if (l.closing()) {
    linkClose(l, l.aborting());
  } else if (l.outputPending()) {
    linkOutput(l);  // bytes the upstream sent right behind its 101
  }
  if (l.wantsDelivery()) {
    linkWantsInbound(l);
  }
  // A tunnel that stays idle from the start is never "settled" again by its relay: the
  // connection is told now that it may trim (only empty buffers go, so a busy one loses
  // nothing).
  linkQuiet();
  deferred_.schedule(transport_.loop());  // frees the stream
  return true;
}

void Http2Session::linkOutput(H2TunnelLink& l) {
  if (!closed_ && session_ && !l.isClosed()) {
    nghttp2_session_resume_data(session_.get(), l.id());
  }
  pump();
}

void Http2Session::linkClose(H2TunnelLink& l, bool abort) {
  if (closed_ || !session_ || l.isClosed()) {
    return;
  }
  if (abort) {
    // As streamTunnelClose: a broken upstream is reported as a TCP reset would be (RFC
    // 9113 8.5), the bytes still queued for the client going with it.
    nghttp2_submit_rst_stream(session_.get(), NGHTTP2_FLAG_NONE, l.id(), NGHTTP2_CONNECT_ERROR);
  } else if (l.hasEnded()) {
    nghttp2_submit_rst_stream(session_.get(), NGHTTP2_FLAG_NONE, l.id(), NGHTTP2_NO_ERROR);
  } else {
    nghttp2_session_resume_data(session_.get(), l.id());  // END_STREAM, then frameSent resets
  }
  pump();
}

void Http2Session::linkWantsInbound(H2TunnelLink& l) {
  if (l.queueDelivery()) {
    toDeliver_.push_back(l.id());
  }
  deferred_.schedule(transport_.loop());  // the relay is never called under nghttp2's callbacks
}

void Http2Session::deliverToLink(H2TunnelLink& l) {
  l.dequeued();
  const size_t taken = l.deliver();
  if (taken > 0) {
    toConsume_.emplace_back(l.id(), taken);  // the relay took them: the client may send more
  }
}

// A relay with nothing in flight either way: once the connection has been quiet for a
// while, trim() drops what it can rebuild. Only when no exchange is open: a stream's work
// keeps the connection busy anyway.
void Http2Session::linkQuiet() {
  if (streams_.empty() && !closed_) {
    transport_.quiet(true);
  }
}

void Http2Session::trim() {
  for (const auto& l : links_) {
    l->trim();
  }
  links_.trim();
  if (!streams_.empty()) {
    return;
  }
  // No exchange open (relayed tunnels may be): what only exchanges use goes.
  spare_.clear();
  streams_.trim();
  alloc_.release();
  if (out_.empty()) {
    std::string().swap(out_);
  }
  // With nothing queued or half sent (nghttp2 has taken back its last frame: send() asks
  // until it has nothing more), the frame buffer's bytes are dead: 16 KiB of pages go.
  if (out_.empty() && !backedUp_ && !closed_ && !shuttingDown_ &&
      nghttp2_session_want_write(session_.get()) == 0) {
    alloc_.forget(frameBuffer_);
  }
}

}  // namespace gatehouse::http
