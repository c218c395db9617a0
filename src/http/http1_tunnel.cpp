// Tunnel mode of an HTTP/1.1 session: after a 101 answer the connection carries raw bytes
// between the client and the handler's TunnelPeer, with back-pressure both ways.
#include "http/http1_session.h"
#include "http/tunnel_recording.h"

namespace gatehouse::http {

// A tunnel may idle for hours: buffers only the request needed, and the output buffer
// between writes, are given back (a write allocates anew; the socket's read buffer is the
// worker's).
void Http1Session::releaseTunnelBuffers() {
  if (out_.empty()) {
    std::string().swap(out_);
  }
  std::string().swap(url_);
  std::string().swap(field_);
  std::string().swap(badDetail_);
}

void Http1Session::enterTunnel() {
  writeHead(0, false);
  flush();
  releaseTunnelBuffers();
  tunnel_ = true;
  responseDone_ = true;
  peerClosed_ = false;
  tunnelReadPaused_ = false;
  tunnelEofPending_ = eof_;
  transport_.setPhase(Transport::Phase::Busy);
  // The peer may write once the head is out (onClientDrained), and gets the bytes read
  // after the head first.
  tunnelDrainWanted_ = true;
  tasks_.schedule(transport_.loop());
  updateReading();
}

void Http1Session::deliverTunnelData() {
  auto* peer = ex_.response.tunnel;
  if (closed_ || peer == nullptr) {
    return;
  }
  if (!pending_.empty() && !tunnelReadPaused_) {
    tunnelReadPaused_ = true;
    std::string data = std::move(pending_);
    pending_.clear();
    peer->onClientData(data);
    return;
  }
  if (tunnelEofPending_ && pending_.empty() && !tunnelReadPaused_) {
    tunnelEofPending_ = false;
    peer->onClientEof();
  }
}

void Http1Session::tunnelWrite(std::string_view data) {
  if (closed_ || !tunnel_) {
    return;
  }
  out_.append(data);
  flush();
  if (out_.empty()) {
    std::string().swap(out_);
  }
  tunnelDrainWanted_ = true;
  if (transport_.drained()) {
    tasks_.schedule(transport_.loop());
  }
}

void Http1Session::tunnelShutdownWrite() {
  if (closed_ || !tunnel_) {
    return;
  }
  flush();
  transport_.shutdownWrite();
}

void Http1Session::tunnelResumeReading() {
  if (closed_ || !tunnel_) {
    return;
  }
  tunnelReadPaused_ = false;
  if (!pending_.empty() || tunnelEofPending_) {
    tasks_.schedule(transport_.loop());
  }
  updateReading();
}

void Http1Session::tunnelClose() {
  if (closed_) {
    return;
  }
  // A peer whose upstream broke sets `abort` first; closing is all HTTP/1.1 can say of it,
  // and the tunnel was answered (its log keeps the status).
  ex_.response.abort = false;
  peerClosed_ = true;
  if (inExchange_) {
    inExchange_ = false;
    handler_.finished(ex_);
  }
  closeNow();
}
// The relay takes the connection: this session and its exchange are done (when the server
// records exchanges, the relay records this one at the tunnel's end), and the client bytes
// and EOF read behind the 101 go to the relay instead of the peer.
bool Http1Session::handOverTunnel(const TunnelRelayMaker& make) {
  if (closed_ || !tunnel_ || !transport_.sessionReplaceable()) {
    return false;
  }
  std::unique_ptr<Session> relay = make(transport_);
  if (!relay) {
    return false;
  }
  if (handler_.recordsExchanges()) {
    auto* recording = dynamic_cast<TunnelRecording*>(relay.get());
    if (recording == nullptr) {
      return false;  // nothing would record the exchange: it goes on here
    }
    recording->recordWith(handler_, ex_);
  }
  std::string early = std::move(pending_);
  pending_.clear();
  const bool eof = tunnelEofPending_;
  closed_ = true;
  peerClosed_ = true;
  inExchange_ = false;
  body_.detach();
  tasks_.cancel();
  Session& next = *relay;
  transport_.replaceSession(std::move(relay));  // *this goes on the next loop turn
  if (!early.empty()) {
    next.onData(early.data(), early.size());
  }
  if (eof) {
    next.onEof();
  }
  return true;
}

}  // namespace gatehouse::http
