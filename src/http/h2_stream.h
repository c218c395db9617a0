#pragma once
// One HTTP/2 stream of an Http2Session: the exchange it serves and the two byte queues
// between nghttp2 and the handler chain. Client bytes (a request body, or a tunnel's
// upstream direction) wait in `inbound` until the handler pulls them; only then does the
// session give the flow-control credit back, so a slow consumer holds the client back.
// Response bytes wait in `outbound` until nghttp2's data provider asks for them.
// Loop-thread only. The session owns streams; all logic that touches nghttp2 lives there.

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "gatehouse/runtime/exchange.h"
#include "http/h2_request_head.h"

namespace gatehouse::http {

class Http2Session;
class RequestHandler;

class H2Stream final : public runtime::ExchangeHost, public runtime::BodySink {
 public:
  enum class Phase {
    Head,        // header block arriving
    Handling,    // the chain runs, or a paused handler has not resumed yet
    Responding,  // response head submitted; body (if any) going out
    Tunnel,      // 2xx to CONNECT with Response::tunnel: DATA both ways
  };
  // Where the response body comes from once the head is submitted.
  enum class BodyMode { None, Buffered, Streamed, Tunnel };

  struct Inbound {
    std::string data;    // received, not yet handed to the handler
    uint64_t total = 0;  // bytes received so far (request_body max_size)
    bool eof = false;    // END_STREAM received
    int error = 0;       // UV_E2BIG / UV_EPROTO once the body broke
    bool eofDelivered = false;
    runtime::BodySink* sink = nullptr;  // a pull waiting for bytes
    bool tunnelReading = true;          // the tunnel peer wants the next bytes
    bool discard = false;               // answered: the rest of the body is dropped as it comes
    int64_t declared = -1;              // the Content-Length as Go reads it (-1: none): DATA beyond resets
    bool badTrailer = false;            // a trailer field Go refuses: the stream is reset at its end
    bool refused = false;               // reset for what the client sent: never dispatched
    bool trailerPseudo = false;         // a later header block held a pseudo-header field (a head)
    unsigned framesAfterReset = 0;      // DATA frames that came after Go would have reset the stream
    bool shortBody = false;             // END_STREAM before the declared length: reads end in an error
  };
  struct Outbound {
    BodyMode mode = BodyMode::None;
    size_t offset = 0;  // into ex.response.body (Buffered) or `data`
    std::string data;   // streamed / tunnel bytes waiting for the provider
    // The tail of `data` a streamed body nothing flushes keeps back, as Go's 4096-byte
    // response buffer would: the provider only sends what is before it.
    size_t held = 0;
    bool eof = false;
    bool error = false;  // the source failed: reset the stream
    bool pullInFlight = false;
    bool drainNotify = false;    // tunnel: tell the peer once written bytes left
    bool resetAfterEnd = false;  // RST_STREAM(NO_ERROR) after our END_STREAM
    bool sniffPending = false;   // the head waits for the first body bytes (Content-Type)
    size_t stagesWaiting = 0;    // output stages outside encode, run once it has decided
    bool ended = false;          // our END_STREAM went out
  };

  H2Stream(Http2Session& session, int32_t id, size_t maxHeaderListBytes);
  H2Stream(const H2Stream&) = delete;
  H2Stream& operator=(const H2Stream&) = delete;

  // nghttp2 data provider: copies the next body bytes into `buf`. Returns the count,
  // NGHTTP2_ERR_DEFERRED while waiting for the source, or a callback failure to reset.
  ssize_t readBody(uint8_t* buf, size_t len, uint32_t* flags);

  // Back to the state of a new stream (the session keeps a few closed ones for reuse, so
  // a request costs no Exchange construction): the exchange's work is dropped here, as
  // destroying the stream would, and `id` is set again when the stream is reused.
  void recycle();

  // ExchangeHost
  uv_loop_t* loop() override;
  runtime::WorkerState& worker() override;
  void resume() override;
  runtime::BodySource& requestBody() override { return requestBody_; }
  void sendInformational(int status, const runtime::HeaderList& fields) override;
  void tunnelWrite(std::string_view data) override;
  void tunnelShutdownWrite() override;
  void tunnelResumeReading() override;
  void tunnelClose() override;
  bool handOverTunnel(const TunnelRelayMaker& make) override;
  bool push(std::string_view method, std::string_view target, const runtime::HeaderList& headers) override;
  // The chain this stream's session serves (templates' httpInclude).
  [[nodiscard]] RequestHandler& requestHandler() const;

  // BodySink for ex.response.stream
  void onBodyData(std::string_view data, bool eof) override;
  void onBodyError(int uvError) override;

  int32_t id;
  runtime::Exchange ex;
  H2RequestHead head;
  Phase phase = Phase::Head;
  bool dispatched = false;  // the chain saw it: finished() is owed
  bool closed = false;      // nghttp2 closed it; waiting to be destroyed
  bool wantsPull = false;   // the provider ran dry; pull the source
  bool bodyless = false;    // the request HEADERS carried END_STREAM
  bool deliveryQueued = false;
  bool continueSent = false;    // the interim 100 for "Expect: 100-continue"
  bool pushed = false;          // a stream we promised (server push): it may not push itself
  bool resetSubmitted = false;  // our RST_STREAM is queued or out: Go counts the stream closed
  bool headMapped = false;      // its head made a request Go serves (H2RequestHead::mapTo)
  uint64_t writeDeadline = 0;   // loop time its write_timeout resets it at (0: none)
  Inbound inbound;
  Outbound outbound;

 private:
  // The head that waited for the first body bytes goes, with a Content-Type sniffed from them.
  void sendSniffedHead();
  // A streamed body that ended sent exactly the content-length its head announced (or none).
  [[nodiscard]] bool lengthKept() const;

  // The request body as a pull stream over `inbound`.
  class RequestBody final : public runtime::BodySource {
   public:
    explicit RequestBody(H2Stream& stream) : stream_(stream) {}
    void pull(uv_loop_t* loop, runtime::BodySink& sink) override;

   private:
    H2Stream& stream_;
  };

  Http2Session& session_;
  RequestBody requestBody_{*this};
};

}  // namespace gatehouse::http
