#pragma once
// A virtual GET served by the server's own route chain, as Caddy's templates httpInclude
// runs one through Server.ServeHTTP: it carries the parent request's Host and header
// fields (plus `Accept-Encoding: identity` and `Caddy-Templates-Include: <level>`), has no
// body and no client address, and its response, streamed or not, is collected in memory.
// It is its own ExchangeHost, so handlers that pause (reverse_proxy, file reads, nested
// templates) work as for a client, on the loop, without blocking it. Destroying it drops
// its exchange and with it whatever the chain started. Loop thread only.

#include <functional>
#include <memory>
#include <string>

#include "gatehouse/runtime/exchange.h"
#include "http/loop_task.h"

namespace gatehouse::http {
class RequestHandler;
}

namespace gatehouse::handlers {

class VirtualRequest final : public runtime::ExchangeHost, public runtime::BodySink {
 public:
  // status 0 with an error: the virtual request could not be made (bad URI, body too big).
  using Done = std::function<void(int status, std::string body, std::string error)>;

  // `level` is the Caddy-Templates-Include value to send.
  VirtualRequest(runtime::ExchangeHost& parent, const runtime::Request& parentRequest, const std::string& uri,
                 int level, Done done);
  ~VirtualRequest() override = default;
  VirtualRequest(const VirtualRequest&) = delete;
  VirtualRequest& operator=(const VirtualRequest&) = delete;

  // The route chain `host` serves (a client session's, or a virtual request's); null for
  // a host that has none (sessions driven from memory in unit tests).
  static http::RequestHandler* chainOf(runtime::ExchangeHost& host);

  // Starts on the loop's next turn; `done` is called later, once, never from start().
  void start();

  // ExchangeHost
  uv_loop_t* loop() override { return parent_.loop(); }
  runtime::WorkerState& worker() override { return parent_.worker(); }
  void resume() override;
  runtime::BodySource& requestBody() override { return noBody_; }
  void sendInformational(int /*status*/, const runtime::HeaderList& /*fields*/) override {}
  void tunnelWrite(std::string_view /*data*/) override {}
  void tunnelShutdownWrite() override {}
  void tunnelResumeReading() override {}
  void tunnelClose() override {}

  // BodySink for a streamed response body
  void onBodyData(std::string_view data, bool eof) override;
  void onBodyError(int uvError) override;

 private:
  // A request without a body: every pull gives eof, on the next loop turn.
  class NoBody final : public runtime::BodySource {
   public:
    void pull(uv_loop_t* loop, runtime::BodySink& sink) override;

   private:
    runtime::BodySink* sink_ = nullptr;
    http::LoopTask task_{[this] { sink_->onBodyData({}, true); }};
  };

  void step();
  void afterChain(runtime::Outcome outcome);
  void finish(std::string error);

  runtime::ExchangeHost& parent_;
  http::RequestHandler* handler_;
  runtime::Exchange ex_;
  Done done_;
  std::string badUri_;
  NoBody noBody_;
  bool started_ = false;
  bool awaiting_ = false;
  bool resumeRequested_ = false;
  bool finished_ = false;
  std::string finishError_;
  http::LoopTask task_{[this] { step(); }};
};

}  // namespace gatehouse::handlers
