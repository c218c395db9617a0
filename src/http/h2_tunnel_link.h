#pragma once
// A relayed tunnel on one HTTP/2 stream (an RFC 8441 WebSocket, or any tunnel a handler
// answered a CONNECT with). Once the 2xx head is out and the tunnel's peer (reverse_proxy)
// has handed the tunnel over (ExchangeHost::handOverTunnel), the stream's H2Stream, with its
// exchange, handler state and buffers, is freed and this link alone stands for the stream:
// it is the Transport of the relay session that holds the upstream (proxy::TunnelRelay).
// DATA from the client goes to the relay's onData, END_STREAM (or the connection's EOF) to
// its onEof; what the relay writes leaves in DATA frames as the client's windows allow, its
// shutdownWrite() is our END_STREAM, and close() ends the stream: END_STREAM then a reset
// (NO_ERROR), or at once RST_STREAM CONNECT_ERROR when `abort` (its upstream broke).
// Back-pressure both ways: flow-control credit goes back only for bytes the relay took (a
// relay that paused reading holds the client to its stream window), and drained() stays
// false while written bytes wait for the client's window or for the connection, so the
// relay stops reading its upstream. Both byte buffers exist only while bytes wait.
// The session owns links and does all nghttp2 work (h2_session_links.cpp). Loop thread only.

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "http/session.h"

namespace gatehouse::http {

class Http2Session;

class H2TunnelLink final : public Transport {
 public:
  H2TunnelLink(Http2Session& session, int32_t id) : session_(session), id_(id) {}
  ~H2TunnelLink() override;
  H2TunnelLink(const H2TunnelLink&) = delete;
  H2TunnelLink& operator=(const H2TunnelLink&) = delete;

  [[nodiscard]] int32_t id() const { return id_; }
  [[nodiscard]] Session* relay() const { return relay_.get(); }
  // Body bytes the client got in DATA frames (the access log's size): see TunnelRecording.
  [[nodiscard]] const uint64_t& sent() const { return sent_; }

  // --- the session's side
  // The relay the tunnel's peer made on this link. What it wrote meanwhile waits in out_
  // (nothing reaches nghttp2 before the session made this link the stream's).
  void adopt(std::unique_ptr<Session> relay) { relay_ = std::move(relay); }
  void start() { started_ = true; }
  // DATA payload from the client; END_STREAM (or the connection's EOF).
  void received(const uint8_t* data, size_t len) { in_.append(reinterpret_cast<const char*>(data), len); }
  void receivedEnd() { inEof_ = true; }
  // Hands what arrived to the relay unless it paused reading; returns the bytes taken (the
  // credit to give back). Deferred: never under nghttp2's callbacks.
  size_t deliver();
  [[nodiscard]] bool wantsDelivery() const {
    return !paused_ && !closed_ && (!in_.empty() || (inEof_ && !eofDelivered_));
  }
  // Whether the session's delivery list names this link already (set, then cleared on delivery).
  bool queueDelivery() { return !std::exchange(deliveryQueued_, true); }
  void dequeued() { deliveryQueued_ = false; }
  [[nodiscard]] size_t unread() const { return in_.size(); }
  // nghttp2's data provider: the next bytes the relay wrote (see H2Stream::readBody).
  ssize_t readBody(uint8_t* buf, size_t len, uint32_t* flags);
  // Our END_STREAM went out; whether the client must then be stopped with a reset (the
  // tunnel was closed, not half-closed, and the client still sends).
  bool ended() {
    ended_ = true;
    return resetAfterEnd_ && !inEof_;
  }
  [[nodiscard]] bool hasEnded() const { return ended_; }
  // close() ran; `abort` there unless a reset is to follow our END_STREAM.
  [[nodiscard]] bool closing() const { return closing_; }
  [[nodiscard]] bool aborting() const { return closing_ && !resetAfterEnd_; }
  [[nodiscard]] bool outputPending() const { return outOffset_ < out_.size() || outEof_; }
  // The bytes written so far left (readBody took them all): tells the relay once.
  [[nodiscard]] bool drainNoticeDue() const { return drainNotify_; }
  void notifyDrained();
  // nghttp2 closed the stream: nothing more goes either way; the session destroys the link
  // (and with it the relay) at its next safe point.
  void closed() { closed_ = true; }
  [[nodiscard]] bool isClosed() const { return closed_; }
  // The connection has been quiet: the relay drops buffers it can rebuild (TLS records).
  void trim();
  // The stream's write_timeout deadline (loop time; 0: none), kept from its H2Stream.
  uint64_t writeDeadline = 0;

  // --- Transport (the relay's side)
  void write(std::string& bytes) override;
  void close(bool abort) override;
  void shutdownWrite() override;
  void pauseReading() override { paused_ = true; }
  void resumeReading() override;
  void setPhase(Phase /*phase*/) override {}
  void quiet(bool sessionTrims) override;
  [[nodiscard]] bool drained() const override { return out_.empty(); }
  uv_loop_t* loop() override;
  runtime::WorkerState& worker() override;

 private:
  Http2Session& session_;
  std::unique_ptr<Session> relay_;
  std::string in_;   // DATA received, not yet taken by the relay (within the stream window)
  std::string out_;  // written by the relay, not yet in DATA frames
  uint64_t sent_ = 0;
  size_t outOffset_ = 0;  // of out_, already in frames
  int32_t id_;
  bool started_ = false;  // the session serves the stream through this link
  bool paused_ = false;   // the relay cannot take more client bytes now
  bool inEof_ = false;
  bool eofDelivered_ = false;
  bool outEof_ = false;         // END_STREAM goes after out_
  bool ended_ = false;          // our END_STREAM went out
  bool resetAfterEnd_ = false;  // close(): a reset (NO_ERROR) follows our END_STREAM
  bool drainNotify_ = false;
  bool deliveryQueued_ = false;
  bool closing_ = false;  // close() ran
  bool closed_ = false;
};

}  // namespace gatehouse::http
