#include "handlers/byteranges_body.h"

#include <unistd.h>

#include <utility>

namespace gatehouse::handlers {

ByterangesBody::ByterangesBody(UniqueFd fd, std::vector<ByteRange> ranges, uint64_t size,
                               std::string contentType, std::string boundary)
    : fd_(std::move(fd)),
      ranges_(std::move(ranges)),
      size_(size),
      contentType_(std::move(contentType)),
      boundary_(std::move(boundary)) {}

void ByterangesBody::pull(uv_loop_t* loop, runtime::BodySink& sink) {
  sink_ = &sink;
  if (!part_) {
    // Each FileBody owns a descriptor: a duplicate shares the open file (reads are
    // positional, so the shared offset does not matter).
    UniqueFd dup(next_ < ranges_.size() ? ::dup(fd_.get()) : -1);
    if (dup.get() < 0) {
      // The sink tolerates this one synchronous report, as for FileBody's failed submit.
      sink.onBodyError(UV_EBADF);
      return;
    }
    const ByteRange& r = ranges_[next_];
    pending_ = byterangesPartHead(next_, r, size_, contentType_, boundary_);
    part_ = std::make_unique<FileBody>(std::move(dup), r.start, r.length);
    ++next_;
  }
  part_->pull(loop, *this);
}

void ByterangesBody::onBodyData(std::string_view data, bool eof) {
  piece_ = std::move(pending_);
  pending_.clear();
  piece_.append(data);  // copied before part_ (which owns `data`) may go
  bool last = false;
  if (eof) {
    part_.reset();
    last = next_ == ranges_.size();
    if (last) {
      piece_.append(byterangesClosing(boundary_));
    }
  }
  sink_->onBodyData(piece_, last);
}

void ByterangesBody::onBodyError(int uvError) {
  sink_->onBodyError(uvError);
}

}  // namespace gatehouse::handlers
