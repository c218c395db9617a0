#pragma once
// The request body of the exchange in flight as a pull stream (ExchangeHost::requestBody).
// The session appends what llhttp parses; a consumer pulls. Pieces are delivered from a
// LoopTask, never from inside pull(). The session stops reading the socket while
// `full()`, so a consumer slower than the client bounds memory to about one socket read
// beyond kHighWater. Loop thread only.

#include <cstdint>
#include <functional>
#include <string>

#include "gatehouse/runtime/exchange.h"
#include "http/loop_task.h"

namespace gatehouse::http {

class RequestBody final : public runtime::BodySource {
 public:
  static constexpr size_t kHighWater = 64 * 1024;

  // `drained` runs after a delivery emptied the buffer (the session may read again);
  // `firstPull` when a consumer first asks for the body (HTTP/1.1's 100 Continue goes then).
  explicit RequestBody(std::function<void()> drained, std::function<void()> firstPull = {});

  // A new exchange: forgets the previous body and its consumer.
  void reset(const runtime::Request& request);
  // The consumer is gone (exchange cleared, connection closing): deliver nothing more.
  void detach();

  // Parsed body bytes. Past Request::maxBodyBytes the stream fails with UV_E2BIG; returns
  // false then (the connection cannot be reused).
  bool append(std::string_view data);
  void finish();           // the message is complete
  void fail(int uvError);  // framing broke (UV_EPROTO) or the connection went away

  [[nodiscard]] bool full() const { return buffer_.size() >= kHighWater; }
  [[nodiscard]] bool pulled() const { return pulled_; }
  // A consumer was handed the end of the body (Go's expectContinueReader.sawEOF).
  [[nodiscard]] bool eofDelivered() const { return eofDelivered_; }
  [[nodiscard]] bool failed() const { return error_ != 0; }
  // Over the limit but no consumer has been told: as Go's MaxBytesReader, which fails (and
  // marks the connection to close) only when a handler reads past it, the body is then just
  // unread, and the connection may drain it after the response and stay open.
  [[nodiscard]] bool limitUnseen() const { return error_ == UV_E2BIG && !errorDelivered_; }
  // Drops buffered bytes nobody will read (the response is done); returns how many.
  size_t discardBuffered();

  // BodySource
  void pull(uv_loop_t* loop, runtime::BodySink& sink) override;

 private:
  void deliver();
  [[nodiscard]] bool overLimit(uint64_t total) const;

  std::function<void()> drained_;
  std::function<void()> firstPull_;
  LoopTask task_;
  const runtime::Request* request_ = nullptr;
  runtime::BodySink* sink_ = nullptr;
  uv_loop_t* loop_ = nullptr;
  std::string buffer_;
  std::string piece_;  // what is being delivered; kept to reuse its capacity
  uint64_t received_ = 0;
  int error_ = 0;
  bool eof_ = false;
  bool pulled_ = false;
  bool errorDelivered_ = false;
  bool eofDelivered_ = false;
};

}  // namespace gatehouse::http
