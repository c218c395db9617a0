#include "http/request_body.h"

namespace gatehouse::http {

RequestBody::RequestBody(std::function<void()> drained, std::function<void()> firstPull)
    : drained_(std::move(drained)), firstPull_(std::move(firstPull)), task_([this] { deliver(); }) {}

void RequestBody::reset(const runtime::Request& request) {
  detach();
  request_ = &request;
  buffer_.clear();
  received_ = 0;
  error_ = 0;
  eof_ = false;
  pulled_ = false;
  errorDelivered_ = false;
  eofDelivered_ = false;
}

void RequestBody::detach() {
  sink_ = nullptr;
  task_.cancel();
}

bool RequestBody::overLimit(uint64_t total) const {
  return request_ != nullptr && request_->maxBodyBytes != 0 && total > request_->maxBodyBytes;
}

bool RequestBody::append(std::string_view data) {
  if (error_ != 0) {
    return false;
  }
  received_ += data.size();
  if (overLimit(received_)) {
    fail(UV_E2BIG);
    return false;
  }
  buffer_.append(data);
  if (sink_ != nullptr) {
    task_.schedule(loop_);
  }
  return true;
}

void RequestBody::finish() {
  eof_ = true;
  if (sink_ != nullptr) {
    task_.schedule(loop_);
  }
}

void RequestBody::fail(int uvError) {
  if (error_ == 0) {
    error_ = uvError;
  }
  buffer_.clear();
  if (sink_ != nullptr) {
    task_.schedule(loop_);
  }
}

size_t RequestBody::discardBuffered() {
  const size_t n = buffer_.size();
  buffer_.clear();
  return n;
}

void RequestBody::pull(uv_loop_t* loop, runtime::BodySink& sink) {
  if (!pulled_ && firstPull_) {
    firstPull_();
  }
  pulled_ = true;
  sink_ = &sink;
  loop_ = loop;
  // A declared length over the limit fails before any byte is forwarded (Go's
  // MaxBytesReader fails at the limit; failing early gives the same 413 sooner).
  if (request_ != nullptr && request_->bodyLength != runtime::Request::kChunked &&
      overLimit(request_->bodyLength)) {
    fail(UV_E2BIG);
  }
  if (!buffer_.empty() || eof_ || error_ != 0) {
    task_.schedule(loop_);
  }
}

void RequestBody::deliver() {
  runtime::BodySink* sink = sink_;
  if (sink == nullptr || (buffer_.empty() && !eof_ && error_ == 0)) {
    return;
  }
  sink_ = nullptr;
  if (error_ != 0) {
    errorDelivered_ = true;
    sink->onBodyError(error_);
    return;
  }
  piece_.clear();
  piece_.swap(buffer_);
  const bool wasFull = piece_.size() >= kHighWater;
  eofDelivered_ = eof_;
  sink->onBodyData(piece_, eof_);
  if (wasFull && drained_) {
    drained_();
  }
}

}  // namespace gatehouse::http
