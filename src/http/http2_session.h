#pragma once
// HTTP/2 server session over nghttp2, serving the same handler chain as Http1Session.
// Transport-agnostic like Http1Session: fed decrypted bytes, writes through Transport, so
// it runs over TLS (ALPN "h2"), over cleartext with prior knowledge (h2c) and from memory
// in tests. Loop-thread only.
//
// Each stream owns its Exchange and is its ExchangeHost. Request bodies are pull streams
// with real flow control: automatic WINDOW_UPDATE is off and credit goes back only for
// bytes the handler took. Response bodies leave through nghttp2 data providers that defer
// until the BodySource delivers. Output is bounded: nothing more is produced while the
// transport still holds unsent bytes; onDrained() continues. A tunnel whose peer hands it
// over (a proxy's relay) leaves its H2Stream for a small H2TunnelLink (h2_session_links.cpp).

#include <nghttp2/nghttp2.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "http/h2_allocator.h"
#include "http/h2_inbound_filter.h"
#include "http/h2_response_head.h"
#include "http/h2_stream.h"
#include "http/h2_stream_table.h"
#include "http/h2_tunnel_link.h"
#include "http/http_date.h"
#include "http/loop_task.h"
#include "http/loop_timer.h"
#include "http/session.h"

namespace gatehouse::http {

struct Http2Limits {
  size_t maxHeaderBytes = 1 << 20;      // the server's max_header_bytes
  uint32_t maxConcurrentStreams = 250;  // Go's default, which Caddy keeps
  int32_t streamWindow = 1 << 20;       // per-stream receive window (bytes buffered)
  int32_t connectionWindow = 4 << 20;   // whole-connection receive window
  // The server's write_timeout: each stream's time from its request head to its end (0: none).
  std::chrono::milliseconds writeTimeout{0};
};

class Http2Session final : public Session {
 public:
  Http2Session(Transport& transport, RequestHandler& handler, DateCache& dates, Http2Limits limits);
  ~Http2Session() override;
  Http2Session(const Http2Session&) = delete;
  Http2Session& operator=(const Http2Session&) = delete;

  // Session
  void onData(const char* data, size_t len) override;
  void onEof() override;
  void onDrained() override;
  void shutdown() override;
  [[nodiscard]] bool idle() const override { return streams_.empty() && links_.empty(); }
  void trim() override;
  void forEachExchange(const std::function<void(runtime::Exchange&)>& fn) override;
  void setPeer(const PeerInfo& peer) override { peer_ = peer; }

  [[nodiscard]] bool closed() const { return closed_; }

  // For H2Stream (its ExchangeHost and sinks forward here).
  uv_loop_t* loop() { return transport_.loop(); }
  runtime::WorkerState& worker() { return transport_.worker(); }
  [[nodiscard]] RequestHandler& requestHandler() const { return handler_; }
  void streamResumed(H2Stream& s);
  void streamWantsInbound(H2Stream& s);
  void streamOutboundReady(H2Stream& s);
  // A streamed response whose head waited for its first body bytes (Content-Type sniffing):
  // the head goes now (also when the body failed first: its reset follows the bytes).
  void streamSniffed(H2Stream& s);
  // The head still waits (fewer than 512 body bytes to sniff on): read the next piece.
  void streamWantsPiece(H2Stream& s);
  // Inside `s`'s data provider at its body's end: submits the body source's trailers
  // (h2_session_trailers.cpp). False when it has none (the DATA frame ends the stream).
  bool submitTrailers(H2Stream& s);
  // The tunnel's end: END_STREAM (then a reset) in order, or at once RST_STREAM
  // CONNECT_ERROR when the peer set Response::abort first (its upstream broke).
  void streamTunnelClose(H2Stream& s);
  void streamInformational(H2Stream& s, int status, const runtime::HeaderList& fields);
  // The tunnel's peer hands it over to a relay session made by `make` on a new link
  // (ExchangeHost::handOverTunnel); the stream and its exchange go.
  bool streamHandOver(H2Stream& s, const runtime::ExchangeHost::TunnelRelayMaker& make);
  // For H2TunnelLink: its relay wrote bytes or ended its side; closes the stream (`abort`:
  // RST_STREAM CONNECT_ERROR); can take client bytes again; has nothing in flight.
  void linkOutput(H2TunnelLink& l);
  void linkClose(H2TunnelLink& l, bool abort);
  void linkWantsInbound(H2TunnelLink& l);
  void linkQuiet();
  bool streamPush(H2Stream& parent, std::string_view method, std::string_view target,
                  const runtime::HeaderList& headers);

 private:
  struct SessionDeleter {
    void operator()(nghttp2_session* s) const { nghttp2_session_del(s); }
  };
  class Callbacks;  // nghttp2 options and callback trampolines (h2_callbacks.cpp)
  friend class Callbacks;
  void resetZeroWindowUpdates(bool holdDispatched);
  void resetHeldWindowUpdate(int32_t id);
  // Go's view of its streams where nghttp2's differs (h2_session_go_frames.cpp).
  int frameBegins(const nghttp2_frame_hd& hd);
  int goConnectionError(uint32_t code);
  void goAway();
  void resetSelfDependent();
  void openedForGo(const nghttp2_frame& frame, const H2Stream* s);
  bool headersOnRefusedHead(H2Stream& s);
  bool judgeDataFrames();
  void rawReset(int32_t id, uint32_t code);

  // nghttp2 events
  int beginHeaders(int32_t id);
  int header(const nghttp2_frame& frame, std::string_view name, std::string_view value);
  int frameReceived(const nghttp2_frame& frame);
  int dataChunk(int32_t id, const uint8_t* data, size_t len);
  void refuse(H2Stream& s);  // RST_STREAM(PROTOCOL_ERROR) for a request's broken framing
  int frameSent(const nghttp2_frame& frame);
  void endUnreadBody(H2Stream& s);  // the response ended before the request body
  int frameNotSent(const nghttp2_frame& frame, int error);
  int streamClosed(int32_t id, uint32_t errorCode);
  ssize_t readBody(int32_t id, uint8_t* buf, size_t len, uint32_t* flags);

  H2Stream* find(int32_t id);
  H2TunnelLink* findLink(int32_t id) const { return links_.find(id); }
  void deliverToLink(H2TunnelLink& l);
  std::unique_ptr<H2Stream> newStream(int32_t id);
  [[nodiscard]] size_t openClientStreams() const;
  [[nodiscard]] bool pushAllowed(const H2Stream& parent) const;
  void dispatchPushed();
  H2Stream* findForHead(int32_t id);
  void dispatch(H2Stream& s);
  void respond(H2Stream& s);
  void submitHead(H2Stream& s, std::optional<uint64_t> length, bool withBody);
  void reset(H2Stream& s, uint32_t errorCode);
  void deliverInbound(H2Stream& s);
  void deliverToTunnel(H2Stream& s);
  void sendContinue(H2Stream& s);
  void runDeferred();
  void pump();
  bool send();
  void startPulls();
  [[nodiscard]] bool windowOpen(const H2Stream& s) const;
  void notifyDrains();
  void reap();
  void updatePhase();
  void maybeClose();
  void fail();
  void finalGoaway();
  // write_timeout per stream (h2_session_deadlines.cpp).
  [[nodiscard]] uint64_t writeDeadlineFromNow();
  void onWriteDeadline();

  Transport& transport_;
  RequestHandler& handler_;
  DateCache& dates_;
  Http2Limits limits_;
  PeerInfo peer_;
  H2Allocator alloc_;  // nghttp2's memory: declared first, so it outlives session_
  std::unique_ptr<nghttp2_session, SessionDeleter> session_;
  H2IdTable<H2Stream> streams_;
  H2IdTable<H2TunnelLink> links_;                     // relayed tunnels (each owns its relay)
  H2Stream* lastHead_ = nullptr;                      // the stream whose header block arrived last (a cache)
  std::vector<std::unique_ptr<H2Stream>> graveyard_;  // closed, recycled at a safe point
  std::vector<std::unique_ptr<H2Stream>> spare_;      // recycled, for the next streams
  std::vector<std::unique_ptr<H2Stream>> relayed_;    // handed over, freed at a safe point
  std::vector<std::unique_ptr<H2TunnelLink>> deadLinks_;  // closed, freed at a safe point
  std::vector<int32_t> toDispatch_;                       // complete request heads from the last read
  H2InboundFilter inbound_;                               // zero-increment stream WINDOW_UPDATEs
  // Zero WINDOW_UPDATEs and self-dependencies (reset after the read; a zero WINDOW_UPDATE
  // may wait for its stream's handler), and the streams of the read's DATA frames.
  H2InboundFilter::Findings found_;
  // The stream of each DATA frame nghttp2 let through in this read (the others it dropped).
  std::vector<int32_t> dataJudged_;
  size_t settingsJudged_ = 0;  // SETTINGS frames of found_ nghttp2 began reading
  int32_t blockOpen_ = 0;      // a header block begun and not received yet
  bool nghttp2Ended_ = false;  // nghttp2 refused a header block: nothing more is judged
  std::string rawFrames_;      // frames nghttp2 would not send (a second reset), after its output
  // Go's maxClientStreamID: the highest stream whose head its framer took. A stream above it
  // is idle for Go (a DATA, WINDOW_UPDATE or RST_STREAM frame on it ends the connection),
  // one at or below it without a live stream here closed (a HEADERS frame ends it too).
  int32_t goMaxStream_ = 0;
  uint32_t goAwayCode_ = 0;  // a connection error found in the read being processed
  bool goAwayPending_ = false;
  std::vector<int32_t> toPush_;                        // promised streams whose request waits to run
  std::vector<int32_t> toDeliver_;                     // streams with inbound bytes a pull waits for
  std::vector<int32_t> toPull_;                        // streams whose provider ran dry
  std::vector<int32_t> toNotify_;                      // tunnels whose written bytes left
  std::vector<std::pair<int32_t, size_t>> toConsume_;  // credit to give back
  LoopTask deferred_;
  // A graceful stop sends a GOAWAY notice and a PING; the final GOAWAY goes once the PING
  // is answered, or when this fires.
  LoopTimer goawayTimer_;
  // Fires at the earliest write deadline of an open stream (or link).
  LoopTimer writeTimer_;
  bool writeTimerArmed_ = false;
  std::string out_;
  // Where nghttp2 serializes frames (its outbound buffer, in alloc_'s paged blocks): trim()
  // lets its pages go while the connection idles.
  const uint8_t* frameBuffer_ = nullptr;
  H2ResponseHead responseHead_;  // rebuilt for each head; keeps its buffers
  Transport::Phase phase_ = Transport::Phase::ReadingHeaders;
  bool pumping_ = false;  // inside pump(): re-entrant calls only ask for another round
  bool again_ = false;
  bool backedUp_ = false;  // the transport holds unsent bytes; produce nothing more
  bool shuttingDown_ = false;
  bool awaitingPingAck_ = false;  // the stop's PING is out; the final GOAWAY waits for it
  bool eof_ = false;
  bool closed_ = false;
  bool limitAnnounced_ = false;  // our stream limit is written into the SETTINGS frame sent
  bool settingsAcked_ = false;   // the client acknowledged our SETTINGS
};

}  // namespace gatehouse::http
