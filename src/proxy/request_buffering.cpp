#include "proxy/request_buffering.h"

#include <algorithm>
#include <utility>

#include "provision/provision_error.h"

namespace gatehouse::proxy {

using config::Json;
using provision::ProvisionError;

namespace {

constexpr size_t kPiece = 256 * 1024;  // held bytes handed to the upstream writer at once

int64_t bufferLimit(const Json& v, const std::string& path) {
  if (!v.is_number_integer() || v.get<int64_t>() < -1) {
    throw ProvisionError(path, "expected a byte count, or -1 for no limit");
  }
  return v.get<int64_t>();
}

bool flag(const Json& f, const char* key, const std::string& path) {
  if (!f.contains(key)) {
    return false;
  }
  if (!f[key].is_boolean()) {
    throw ProvisionError(path + "." + key, "expected true or false");
  }
  return f[key].get<bool>();
}

}  // namespace

BodyBuffering BodyBuffering::parse(const Json& f, const std::string& path) {
  BodyBuffering b;
  if (f.contains("request_buffers")) {
    b.request = bufferLimit(f["request_buffers"], path + ".request_buffers");
  }
  if (f.contains("response_buffers")) {
    b.response = bufferLimit(f["response_buffers"], path + ".response_buffers");
  }
  // Caddy 2.6: booleans sharing one size; no size (or 0) buffers the whole body.
  int64_t max = 0;
  if (f.contains("max_buffer_size")) {
    max = bufferLimit(f["max_buffer_size"], path + ".max_buffer_size");
  }
  const int64_t legacy = max > 0 ? max : -1;
  if (flag(f, "buffer_requests", path) && b.request == 0) {
    b.request = legacy;
  }
  if (flag(f, "buffer_responses", path) && b.response == 0) {
    b.response = legacy;
  }
  return b;
}

RequestBuffer::RequestBuffer(uv_loop_t* loop, runtime::BodySource& client, int64_t limit)
    : loop_(loop), client_(client), limit_(limit) {}

void RequestBuffer::fill(std::function<void()> done) {
  done_ = std::move(done);
  filling_ = true;
  client_.pull(loop_, *this);
}

void RequestBuffer::onBodyData(std::string_view data, bool eof) {
  if (!filling_) {
    // Past the held bytes: the client's pieces go straight through.
    passing_ = false;
    runtime::BodySink* sink = std::exchange(sink_, nullptr);
    if (sink != nullptr) {
      sink->onBodyData(data, eof);
    }
    return;
  }
  held_.append(data);
  eof_ = eof;
  if (!eof && (limit_ < 0 || held_.size() < static_cast<uint64_t>(limit_))) {
    client_.pull(loop_, *this);
    return;
  }
  filling_ = false;
  std::exchange(done_, nullptr)();
}

void RequestBuffer::onBodyError(int uvError) {
  if (!filling_) {
    passing_ = false;
    runtime::BodySink* sink = std::exchange(sink_, nullptr);
    if (sink != nullptr) {
      sink->onBodyError(uvError);
    }
    return;
  }
  filling_ = false;
  error_ = uvError;
  std::exchange(done_, nullptr)();
}

void RequestBuffer::pull(uv_loop_t* loop, runtime::BodySink& sink) {
  sink_ = &sink;
  if (served_ < held_.size() || (eof_ && served_ == held_.size() && held_.empty())) {
    task_.schedule(loop);
    return;
  }
  // Everything held went out and more follows: the memory goes back, the client streams on.
  std::string().swap(held_);
  served_ = 0;
  passing_ = true;
  client_.pull(loop, *this);
}

void RequestBuffer::deliverHeld() {
  runtime::BodySink* sink = std::exchange(sink_, nullptr);
  if (sink == nullptr) {
    return;
  }
  const size_t n = std::min(kPiece, held_.size() - served_);
  const std::string_view piece(held_.data() + served_, n);
  served_ += n;
  sink->onBodyData(piece, eof_ && served_ == held_.size());
}

bool RequestBuffer::rewind() {
  if (!eof_ || filling_) {
    return false;
  }
  task_.cancel();
  sink_ = nullptr;
  served_ = 0;
  return true;
}

}  // namespace gatehouse::proxy
