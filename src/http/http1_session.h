#pragma once
// HTTP/1.1 server session over llhttp (strict: no lenient flags). Transport-agnostic: it
// is fed bytes and writes bytes through `Transport`, so unit tests drive it from memory and
// the TLS layer can sit underneath later. Loop-thread only.
//
// One exchange at a time: a pipelined request waits (parser paused, at most kPendingLimit
// bytes read ahead) until the response before it has been produced in full, then responses
// leave in order. Implements ExchangeHost for the exchange in flight: a handler may pause
// and resume, pull the request body (reading stops while it is not pulled), and take over
// the connection after a 101 (tunnel mode). Resumes and body pieces are delivered from a
// LoopTask, so a handler's callback never sees its exchange torn down under it.

#include <llhttp.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gatehouse/runtime/exchange.h"
#include "http/go_field_order.h"
#include "http/http1_scratch.h"
#include "http/http_date.h"
#include "http/loop_task.h"
#include "http/request_body.h"
#include "http/session.h"

namespace gatehouse::http {

struct SessionLimits {
  size_t maxHeaderBytes = 1 << 20;
};

class Http1Session final : public Session, public runtime::BodySink, public runtime::ExchangeHost {
 public:
  Http1Session(Transport& transport, RequestHandler& handler, DateCache& dates, SessionLimits limits);
  ~Http1Session() override;
  Http1Session(const Http1Session&) = delete;
  Http1Session& operator=(const Http1Session&) = delete;

  // Session
  void onData(const char* data, size_t len) override;
  void onEof() override;
  void onDrained() override;
  void shutdown() override;
  [[nodiscard]] bool idle() const override { return !inExchange_; }
  void sendInformational(int status, const runtime::HeaderList& fields) override;
  void forEachExchange(const std::function<void(runtime::Exchange&)>& fn) override {
    if (inExchange_ && !closed_) {
      fn(ex_);
    }
  }
  [[nodiscard]] bool dormant() const override;
  void setPeer(const PeerInfo& peer) override;

  [[nodiscard]] bool closed() const { return closed_; }

  // BodySink
  void onBodyData(std::string_view data, bool eof) override;
  void onBodyError(int uvError) override;

  // ExchangeHost
  uv_loop_t* loop() override { return transport_.loop(); }
  runtime::WorkerState& worker() override { return transport_.worker(); }
  void resume() override;
  runtime::BodySource& requestBody() override { return body_; }
  void tunnelWrite(std::string_view data) override;
  void tunnelShutdownWrite() override;
  void tunnelResumeReading() override;
  void tunnelClose() override;
  bool handOverTunnel(const TunnelRelayMaker& make) override;
  // The chain this session serves (virtual requests through it: templates' httpInclude).
  [[nodiscard]] RequestHandler& requestHandler() const { return handler_; }

  // Bytes read ahead of a pipelined request, or of a tunnel before it starts.
  static constexpr size_t kPendingLimit = 64 * 1024;
  // Go's maxPostHandlerReadBytes: unread request body discarded after the response before
  // the connection is closed instead.
  static constexpr uint64_t kDiscardLimit = 256 * 1024;

 private:
  static int onMessageBegin(llhttp_t* p);
  static int onMethod(llhttp_t* p, const char* at, size_t len);
  static int onUrl(llhttp_t* p, const char* at, size_t len);
  static int onVersion(llhttp_t* p, const char* at, size_t len);
  // The byte `back` places before `at` (at most kTail), even when it came in an earlier read.
  [[nodiscard]] char byteBefore(const char* at, size_t back) const;
  void keepTail(const char* data, const char* end);
  static int onHeaderField(llhttp_t* p, const char* at, size_t len);
  static int onHeaderValue(llhttp_t* p, const char* at, size_t len);
  static int onHeadersComplete(llhttp_t* p);
  static int onBody(llhttp_t* p, const char* at, size_t len);
  static int onMessageComplete(llhttp_t* p);
  static Http1Session& self(llhttp_t* p) { return *static_cast<Http1Session*>(p->data); }

  void execute(const char* data, size_t len);
  // Methods llhttp does not know (http1_custom_method.cpp).
  bool takeCustomMethod(const char* data, size_t len, const char*& resumeAt);
  bool continueHeldMethod(const char*& data, size_t& len);
  void parseAsCustomMethod(std::string token);
  void servePriorKnowledgePreface();
  int runChain(bool resumed);
  void runTasks();
  void afterResponse();
  void enterTunnel();
  void releaseTunnelBuffers();
  void deliverTunnelData();
  void abortExchange();
  void updateReading();
  bool discard(size_t n);
  void resumeParsing();
  void parseLaterIfOpen();
  int beginResponse();
  void appendInterimHead(int status, const runtime::HeaderList& fields);
  void writeHead(uint64_t contentLength, bool allowed);
  struct HeadFraming;
  HeadFraming decideFraming(uint64_t contentLength, bool allowed);
  void writeFields(const HeadFraming& framing, const runtime::HeaderField* sniffed, bool& connectionSent);
  [[nodiscard]] bool overflowsLength(size_t piece);
  void finishResponse();
  void appendBodyPiece(std::string_view data, bool eof);  // framed into out_, then flushed
  void afterPiece();
  // The head that waited for bytes to sniff a Content-Type from goes into out_, typed from
  // `body` (the first bytes, or all there will be).
  void writeSniffedHead(std::string_view body);
  void failRequest(int status, std::string_view detail = {});
  void completeExchange();
  void reportFinished();
  void closeNow();
  void flush();
  void pullBody();
  void sendContinue();
  bool countHeaderBytes(size_t n);

  Transport& transport_;
  RequestHandler& handler_;
  DateCache& dates_;
  SessionLimits limits_;
  static const llhttp_settings_t& settings();

  llhttp_t parser_{};
  Http1ScratchPool* pool_;                 // where scratch_ goes back; may be null
  std::unique_ptr<Http1Scratch> scratch_;  // from the pool while this session lives
  runtime::Exchange& ex_;
  std::string& out_;  // bytes produced since the last flush
  std::string& url_;
  // llhttp skips repeated spaces in the request line; Go refuses them. To see them, the
  // bytes before a span: the buffer being parsed and the last bytes of the one before.
  static constexpr size_t kTail = 8;
  const char* execBegin_ = nullptr;
  std::array<char, kTail> tail_{};
  bool versionSeen_ = false;
  // A method token llhttp's table lacks (Go takes any token): llhttp parses the request as
  // a GET and the head gets this name. methodSeen_: the token's bytes from earlier reads;
  // methodHold_: a token whose end has not arrived yet.
  std::string methodSeen_;
  std::string customMethod_;
  std::string methodHold_;
  std::string field_;
  bool lastWasValue_ = false;
  size_t headerBytes_ = 0;
  bool headerTooLarge_ = false;
  bool notImplemented_ = false;
  bool versionRefused_ = false;  // not HTTP/1.x: Go's 505
  // The request reached the handlers. Requests Go's server itself answers (a malformed one,
  // `OPTIONS *`) never reach Caddy's, so they are neither logged nor counted.
  bool chainStarted_ = false;
  std::string badDetail_;

  std::string pending_;  // unparsed input held while paused
  bool inExchange_ = false;
  bool requestDone_ = false;
  bool responseDone_ = false;
  bool paused_ = false;
  bool keepAlive_ = true;
  bool headOnly_ = false;
  bool chunked_ = false;  // response body framing
  // A handler's Content-Length that differs from the body's known length: no more bytes
  // than it says go out, and the connection ends after the answer (as Go's server).
  static constexpr uint64_t kNoLengthCap = UINT64_MAX;
  uint64_t lengthCap_ = kNoLengthCap;
  bool sniffedType_ = false;             // the last Content-Type field was sniffed: Go writes it late
  std::vector<OrderedField> headOrder_;  // writeHead's sorted fields (kept capacity)
  bool streaming_ = false;
  bool closing_ = false;  // close after the current response
  bool closed_ = false;
  bool shuttingDown_ = false;
  bool executing_ = false;
  bool eof_ = false;
  bool headWritten_ = false;
  bool pullInFlight_ = false;
  size_t stagesWaiting_ = 0;   // output stages outside encode, run once it has decided
  bool sniffPending_ = false;  // the head waits for the first body bytes (Content-Type sniffing)
  std::string sniffHold_;      // body pieces gathered while the head waits (under 512 bytes)
  int sendfileOutcome_ = 0;    // for the next task run: 1 the file went out in full, <0 error

  RequestBody body_;
  LoopTask tasks_;
  bool awaiting_ = false;  // a handler paused; waiting for resume()
  bool resumeRequested_ = false;
  bool upgradeRequest_ = false;  // llhttp saw an upgrade (or CONNECT)
  // "Expect: 100-continue" on an HTTP/1.1 request with a body: as Go, the 100 goes out when
  // the body is first pulled (not at all if the handler answers without reading), and an
  // answer given before the body's end was read closes the connection (Go issue 11549).
  bool expectsContinue_ = false;
  bool continueOwed_ = false;
  bool bodyPaused_ = false;  // reading stopped: the body buffer is full
  uint64_t discardLeft_ = kDiscardLimit;
  bool tunnel_ = false;
  bool tunnelReadPaused_ = false;
  bool tunnelDrainWanted_ = false;
  bool tunnelEofPending_ = false;
  bool peerClosed_ = false;  // the tunnel peer ended the tunnel itself
  bool parseLater_ = false;  // a pipelined request waits for the next task run
};

}  // namespace gatehouse::http
