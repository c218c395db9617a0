#include "proxy/captured_body_source.h"

#include <uv.h>

namespace gatehouse::proxy {

CapturedBodySource::CapturedBodySource(std::string captured, bool complete, runtime::BodySource& rest,
                                       uint64_t limit)
    : captured_(std::move(captured)),
      complete_(complete),
      rest_(rest),
      limit_(limit),
      // An empty capture that did not reach the end has nothing to give first.
      capturedSent_(captured_.empty() && !complete),
      task_([this] { deliverCaptured(); }) {}

void CapturedBodySource::pull(uv_loop_t* loop, runtime::BodySink& sink) {
  sink_ = &sink;
  if (!capturedSent_) {
    task_.schedule(loop);  // a sink is never called from inside pull()
    return;
  }
  rest_.pull(loop, *this);
}

bool CapturedBodySource::overLimit(runtime::BodySink& sink) {
  if (limit_ == 0 || total_ <= limit_) {
    return false;
  }
  sink_ = nullptr;
  sink.onBodyError(UV_E2BIG);
  return true;
}

void CapturedBodySource::deliverCaptured() {
  runtime::BodySink* sink = sink_;
  capturedSent_ = true;
  total_ = captured_.size();
  if (sink == nullptr || overLimit(*sink)) {
    return;
  }
  sink_ = nullptr;
  sink->onBodyData(captured_, complete_);
}

void CapturedBodySource::onBodyData(std::string_view data, bool eof) {
  runtime::BodySink* sink = sink_;
  total_ += data.size();
  if (sink == nullptr || overLimit(*sink)) {
    return;
  }
  sink_ = nullptr;
  sink->onBodyData(data, eof);
}

void CapturedBodySource::onBodyError(int uvError) {
  runtime::BodySink* sink = sink_;
  sink_ = nullptr;
  if (sink != nullptr) {
    sink->onBodyError(uvError);
  }
}

}  // namespace gatehouse::proxy
