#pragma once
// A file range streamed through the libuv thread pool (uv_fs_read), so a large or cold file
// never blocks the loop, or (cleartext HTTP/1.1) sent with sendfile(2) as far as the socket
// takes it without blocking. Owns the descriptor.

#include <cstdint>
#include <memory>

#include "gatehouse/runtime/body_source.h"
#include "gatehouse/runtime/sendfile_source.h"

namespace gatehouse::handlers {

// Owns an open file descriptor; closes it on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();
  [[nodiscard]] int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
};

class FileBody final : public runtime::BodySource, public runtime::SendfileSource {
 public:
  FileBody(UniqueFd fd, uint64_t offset, uint64_t length);
  ~FileBody() override;
  FileBody(const FileBody&) = delete;
  FileBody& operator=(const FileBody&) = delete;

  void pull(uv_loop_t* loop, runtime::BodySink& sink) override;
  int64_t sendTo(int socketFd, bool& done) override;

 private:
  struct ReadOp;
  static void onRead(uv_fs_t* req);

  // Owned here while idle; handed to the loop (req.data) while a read is in flight, so a
  // destroyed FileBody never frees memory the thread pool is writing into.
  std::unique_ptr<ReadOp> op_;
  ReadOp* inFlight_ = nullptr;
};

}  // namespace gatehouse::handlers
