#include <string>
#include <string_view>
#include <utility>

#include "server/connection.h"

// Connection's write side: a synchronous try first, then the buffer itself handed to
// uv_write with later bytes queued behind it; half-close; the socket for sendfile.

namespace gatehouse::server {

void Connection::write(std::string& bytes) {
  if (handlesClosing_ || lingering_ || bytes.empty()) {
    bytes.clear();
    return;
  }
  if (tls_) {
    const bool ok = tls_->write(bytes);
    bytes.clear();
    if (!ok) {
      closeHandles();
      return;
    }
    flushTls();
    return;
  }
  sendRaw(bytes);
}

void Connection::writeCopy(std::string_view bytes) {
  if (tls_ || writing_ || handlesClosing_ || lingering_ || bytes.empty()) {
    std::string copy(bytes);
    write(copy);
    return;
  }
  uv_buf_t b = uv_buf_init(const_cast<char*>(bytes.data()), static_cast<unsigned>(bytes.size()));
  const int n = uv_try_write(reinterpret_cast<uv_stream_t*>(&tcp_), &b, 1);
  if (n == static_cast<int>(bytes.size())) {
    return;
  }
  if (n < 0 && n != UV_EAGAIN) {
    closeHandles();
    return;
  }
  WriteState& w = writeState();
  w.inflight.assign(bytes.substr(n > 0 ? static_cast<size_t>(n) : 0));
  w.inflightOffset = 0;
  startWrite();
}

void Connection::sendRaw(std::string& bytes) {
  if (writing_) {
    io_->queued.append(bytes);
    bytes.clear();
    return;
  }
  // Most responses fit the socket buffer: try a synchronous write before queueing.
  uv_buf_t b = uv_buf_init(bytes.data(), static_cast<unsigned>(bytes.size()));
  int n = uv_try_write(reinterpret_cast<uv_stream_t*>(&tcp_), &b, 1);
  if (n == static_cast<int>(bytes.size())) {
    bytes.clear();
    return;
  }
  if (n < 0 && n != UV_EAGAIN) {
    bytes.clear();
    closeHandles();
    return;
  }
  // Hand the buffer itself to uv_write (a streamed body piece can be 256 KiB): the caller
  // gets our spent buffer back, with its capacity, for its next piece.
  WriteState& w = writeState();
  w.inflightOffset = n > 0 ? static_cast<size_t>(n) : 0;
  std::swap(w.inflight, bytes);
  bytes.clear();
  startWrite();
}

Connection::WriteState& Connection::writeState() {
  if (!io_) {
    io_ = std::make_unique<WriteState>();
    io_->req.data = this;
    io_->shutdownReq.data = this;
  }
  return *io_;
}

void Connection::startWrite() {
  writing_ = true;
  WriteState& w = *io_;
  uv_buf_t b = uv_buf_init(w.inflight.data() + w.inflightOffset,
                           static_cast<unsigned>(w.inflight.size() - w.inflightOffset));
  if (uv_write(&w.req, reinterpret_cast<uv_stream_t*>(&tcp_), &b, 1, &Connection::onWrite) != 0) {
    writing_ = false;
    closeHandles();
  }
}

void Connection::onWrite(uv_write_t* req, int status) {
  auto* self = static_cast<Connection*>(req->data);
  self->writing_ = false;
  WriteState& w = *self->io_;
  w.inflight.clear();
  w.inflightOffset = 0;
  if (status < 0 || self->handlesClosing_) {
    self->closeHandles();
    return;
  }
  if (!w.queued.empty()) {
    std::swap(w.inflight, w.queued);
    self->startWrite();
    return;
  }
  if (self->closeAfterWrite_) {
    self->close(false);
    return;
  }
  if (self->shutdownAfterWrite_) {
    self->shutdownWrite();
  }
  if (self->session_) {
    self->session_->onDrained();
  }
  if (self->parked_ && !self->writing_ && !self->shutdownSent_) {
    self->io_.reset();  // the last bytes of a response went out after the session went idle
  }
}

void Connection::shutdownWrite() {
  if (handlesClosing_ || lingering_) {
    return;
  }
  if (tls_) {
    tls_->closeNotify();
    flushTls();
    if (handlesClosing_) {
      return;
    }
  }
  if (writing_) {
    shutdownAfterWrite_ = true;
    return;
  }
  shutdownAfterWrite_ = false;
  startShutdown();
}

bool Connection::startShutdown() {
  shutdownSent_ = true;  // the request must outlive the handle now: io_ stays
  if (uv_shutdown(&writeState().shutdownReq, reinterpret_cast<uv_stream_t*>(&tcp_),
                  &Connection::onShutdown) != 0) {
    closeHandles();
    return false;
  }
  return true;
}

void Connection::onShutdown(uv_shutdown_t* req, int status) {
  auto* self = static_cast<Connection*>(req->data);
  if (self->handlesClosing_) {
    return;
  }
  // Lingering drains what the client still sends until its FIN; a client that already
  // sent it has nothing left to drain (and libuv reads no more after EOF), so the close
  // need not wait out kLinger: a stop or reload would wait for it.
  if (status < 0 || (self->lingering_ && self->peerEof_)) {
    self->closeHandles();
  }
}

int Connection::sendfileSocket() {
  if (tls_ || writing_ || handlesClosing_ || lingering_) {
    return -1;
  }
  uv_os_fd_t fd = -1;
  if (uv_fileno(reinterpret_cast<uv_handle_t*>(&tcp_), &fd) != 0) {
    return -1;
  }
  return fd;
}

}  // namespace gatehouse::server
