#include "handlers/file_body.h"

#include <sys/sendfile.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

namespace gatehouse::handlers {

namespace {
constexpr uint64_t kChunk = 256 * 1024;  // large enough to amortise a pool round trip
// At most this much per sendTo() call, so one large file cannot hold the loop for long.
constexpr uint64_t kSendfileBudget = 8 * 1024 * 1024;
}  // namespace

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = o.release();
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

struct FileBody::ReadOp {
  uv_fs_t req{};
  UniqueFd fd;
  uint64_t offset = 0;
  uint64_t remaining = 0;
  std::vector<char> buf;
  FileBody* owner = nullptr;  // null once the FileBody is gone
  runtime::BodySink* sink = nullptr;
};

FileBody::FileBody(UniqueFd fd, uint64_t offset, uint64_t length) : op_(std::make_unique<ReadOp>()) {
  op_->fd = std::move(fd);
  op_->offset = offset;
  op_->remaining = length;
}

FileBody::~FileBody() {
  if (inFlight_ != nullptr) {
    // The pool still writes into the op: leave it to onRead to free.
    inFlight_->owner = nullptr;
  }
}

void FileBody::pull(uv_loop_t* loop, runtime::BodySink& sink) {
  ReadOp* op = op_.get();
  op->sink = &sink;
  op->owner = this;
  const uint64_t want = std::min(op->remaining, kChunk);
  op->buf.resize(static_cast<size_t>(want));
  uv_buf_t b = uv_buf_init(op->buf.data(), static_cast<unsigned>(want));
  op->req.data = op;
  int rc =
      uv_fs_read(loop, &op->req, op->fd.get(), &b, 1, static_cast<int64_t>(op->offset), &FileBody::onRead);
  if (rc < 0) {
    // Only invalid arguments fail here; the sink tolerates this one synchronous report.
    uv_fs_req_cleanup(&op->req);
    sink.onBodyError(rc);
    return;
  }
  inFlight_ = op_.release();
}

void FileBody::onRead(uv_fs_t* req) {
  std::unique_ptr<ReadOp> op(static_cast<ReadOp*>(req->data));
  const ssize_t n = req->result;
  uv_fs_req_cleanup(req);
  FileBody* self = op->owner;
  if (self == nullptr) {
    return;  // the exchange went away; `op` (and the descriptor) die here
  }
  self->inFlight_ = nullptr;
  runtime::BodySink* sink = op->sink;
  if (n < 0 || (n == 0 && op->remaining > 0)) {
    self->op_ = std::move(op);
    sink->onBodyError(n < 0 ? static_cast<int>(n) : UV_EOF);
    return;
  }
  op->offset += static_cast<uint64_t>(n);
  op->remaining -= static_cast<uint64_t>(n);
  const bool eof = op->remaining == 0;
  std::string_view data(op->buf.data(), static_cast<size_t>(n));
  self->op_ = std::move(op);
  // `data` lives in op_: the sink copies it out before it may destroy this FileBody.
  sink->onBodyData(data, eof);
}

}  // namespace gatehouse::handlers

namespace gatehouse::handlers {

int64_t FileBody::sendTo(int socketFd, bool& done) {
  done = false;
  if (!op_) {
    return UV_EBUSY;  // a pool read is in flight
  }
  ReadOp& op = *op_;
  uint64_t sent = 0;
  while (op.remaining > 0 && sent < kSendfileBudget) {
    auto off = static_cast<off_t>(op.offset);
    const size_t want = static_cast<size_t>(std::min<uint64_t>(op.remaining, kSendfileBudget - sent));
    const ssize_t n = ::sendfile(socketFd, op.fd.get(), &off, want);
    if (n > 0) {
      op.offset += static_cast<uint64_t>(n);
      op.remaining -= static_cast<uint64_t>(n);
      sent += static_cast<uint64_t>(n);
      continue;
    }
    if (n == 0) {
      return UV_EOF;  // the file shrank under us: the promised length cannot be met
    }
    if (errno == EINTR) {
      continue;
    }
    if (errno == EAGAIN) {
      break;
    }
    return -errno;  // libuv's error codes are negated errno values on Linux
  }
  done = op.remaining == 0;
  return static_cast<int64_t>(sent);
}

}  // namespace gatehouse::handlers
