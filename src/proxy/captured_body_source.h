#pragma once
// The request body as the proxy sends it after {http.request.body} was captured
// (router/body_capture.h): the captured bytes first, then whatever the client still sends,
// as Caddy sends the buffered copy it put back in the request. request_body max_size is
// enforced over the whole, as the session would have. Loop thread only.

#include <cstdint>
#include <string>

#include "gatehouse/runtime/body_source.h"
#include "http/loop_task.h"

namespace gatehouse::proxy {

class CapturedBodySource final : public runtime::BodySource, private runtime::BodySink {
 public:
  // `rest` is the live stream the capture stopped reading; `limit` 0 means none.
  CapturedBodySource(std::string captured, bool complete, runtime::BodySource& rest, uint64_t limit);

  void pull(uv_loop_t* loop, runtime::BodySink& sink) override;

 private:
  void deliverCaptured();
  bool overLimit(runtime::BodySink& sink);
  void onBodyData(std::string_view data, bool eof) override;
  void onBodyError(int uvError) override;

  std::string captured_;
  bool complete_;
  runtime::BodySource& rest_;
  uint64_t limit_;
  uint64_t total_ = 0;
  bool capturedSent_ = false;
  runtime::BodySink* sink_ = nullptr;
  http::LoopTask task_;
};

}  // namespace gatehouse::proxy
