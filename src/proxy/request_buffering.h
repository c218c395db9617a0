#pragma once
// reverse_proxy's request_buffers (Caddy 2.6: buffer_requests + max_buffer_size): up to
// `limit` bytes of the client's request body are read into memory before an upstream is
// dialed. A body that ends within the limit is then sent with a Content-Length (as Caddy
// 2.7+ does) and can be sent again on a retry; a longer one sends the held bytes first
// and streams the rest from the client as usual. Memory stays bounded by the limit
// (limit < 0: the whole body, as Caddy's "unlimited"). Loop thread only.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "gatehouse/config/site_graph.h"
#include "gatehouse/runtime/body_source.h"
#include "http/loop_task.h"

namespace gatehouse::proxy {

// The handler's buffer limits: bytes, -1 for all of it, 0 for none.
struct BodyBuffering {
  int64_t request = 0;
  int64_t response = 0;

  // request_buffers / response_buffers, and Caddy 2.6's buffer_requests / buffer_responses
  // with max_buffer_size (0 there meaning no limit).
  static BodyBuffering parse(const config::Json& fields, const std::string& path);
};

class RequestBuffer final : public runtime::BodySource, private runtime::BodySink {
 public:
  RequestBuffer(uv_loop_t* loop, runtime::BodySource& client, int64_t limit);
  RequestBuffer(const RequestBuffer&) = delete;
  RequestBuffer& operator=(const RequestBuffer&) = delete;

  // Reads from the client until the limit or the end of the body; then `done` runs (from
  // the client body's callback, never from inside fill()).
  void fill(std::function<void()> done);
  // The whole body is held, within the limit (a body over it keeps its chunked framing, as
  // Caddy streams it, even when its last piece came with the one that crossed the limit).
  [[nodiscard]] bool complete() const {
    return eof_ && (limit_ < 0 || held_.size() <= static_cast<uint64_t>(limit_));
  }
  [[nodiscard]] size_t size() const { return held_.size(); }
  [[nodiscard]] int error() const { return error_; }  // the client body failed while filling
  // Serves the body from its start again (a retry). Only a complete body can be: false
  // otherwise. A delivery still pending for the previous attempt is cancelled.
  bool rewind();

  // BodySource: the held bytes first, then the rest of the client's body.
  void pull(uv_loop_t* loop, runtime::BodySink& sink) override;

 private:
  void onBodyData(std::string_view data, bool eof) override;
  void onBodyError(int uvError) override;
  void deliverHeld();

  uv_loop_t* loop_;
  runtime::BodySource& client_;
  int64_t limit_;
  std::string held_;
  size_t served_ = 0;
  bool eof_ = false;
  bool filling_ = false;
  bool passing_ = false;  // a pull on the client is in flight for sink_
  int error_ = 0;
  std::function<void()> done_;
  runtime::BodySink* sink_ = nullptr;
  http::LoopTask task_{[this] { deliverHeld(); }};
};

}  // namespace gatehouse::proxy
