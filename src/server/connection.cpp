#include "server/connection.h"

#include <arpa/inet.h>

#include <cstring>

#include "http/h2_session_factory.h"

namespace gatehouse::server {

namespace {
// After our final response we half-close and read for a moment before closing, so the
// client sees the response instead of a reset caused by its unread bytes (Go's
// closeWriteAndWait does the same).
constexpr std::chrono::milliseconds kLinger{1000};

std::string ipString(const sockaddr_storage& ss, uint16_t& port) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    port = ntohs(a->sin6_port);
    if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) {
      // A dual-stack listener reports IPv4 clients as ::ffff:a.b.c.d; Go prints a.b.c.d.
      inet_ntop(AF_INET, &a->sin6_addr.s6_addr[12], buf, sizeof(buf));
    } else {
      inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof(buf));
    }
  } else {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    port = ntohs(a->sin_port);
    inet_ntop(AF_INET, &a->sin_addr, buf, sizeof(buf));
  }
  return buf;
}
}  // namespace

Connection::Connection(ConnectionOwner& owner, const provision::ServerRuntime& server, http::RequestHandler& router)
    : owner_(owner),
      server_(server),
      session_(http::makeCleartextSession(*this, router, owner.dates(), server)) {
  uv_tcp_init(owner_.loop(), &tcp_);
  uv_timer_init(owner_.loop(), &timer_);
  tcp_.data = this;
  timer_.data = this;
  writeReq_.data = this;
  shutdownReq_.data = this;
  openHandles_ = 2;
}

bool Connection::accept(uv_stream_t* listener) {
  if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(&tcp_)) != 0) {
    closeHandles();
    return false;
  }
  uv_tcp_nodelay(&tcp_, 1);
  if (server_.keepaliveInterval.count() > 0) {
    uv_tcp_keepalive(&tcp_, 1, static_cast<unsigned>(std::max<int64_t>(1, server_.keepaliveInterval.count() / 1000)));
  }
  sockaddr_storage peer{};
  sockaddr_storage local{};
  int len = sizeof(peer);
  uv_tcp_getpeername(&tcp_, reinterpret_cast<sockaddr*>(&peer), &len);
  len = sizeof(local);
  uv_tcp_getsockname(&tcp_, reinterpret_cast<sockaddr*>(&local), &len);
  uint16_t peerPort = 0;
  uint16_t localPort = 0;
  std::string ip = ipString(peer, peerPort);
  ipString(local, localPort);
  http::PeerInfo info;
  info.remoteIp = std::move(ip);
  info.remotePort = peerPort;
  info.localPort = localPort;
  session_->setPeer(info);
  setPhase(Phase::ReadingHeaders);
  resumeReading();
  return true;
}

void Connection::onAlloc(uv_handle_t* h, size_t /*suggested*/, uv_buf_t* buf) {
  *buf = static_cast<Connection*>(h->data)->owner_.readBuffer();
}

void Connection::onRead(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  auto* self = static_cast<Connection*>(s->data);
  if (self->handlesClosing_) {
    return;
  }
  if (self->lingering_) {
    if (n < 0) {
      self->closeHandles();
    }
    return;  // discard what the client still sends
  }
  if (n > 0) {
    self->session_->onData(buf->base, static_cast<size_t>(n));
  } else if (n == UV_EOF) {
    self->session_->onEof();
  } else if (n < 0) {
    self->closeHandles();
  }
}

void Connection::write(std::string& bytes) {
  if (handlesClosing_ || lingering_ || bytes.empty()) {
    bytes.clear();
    return;
  }
  if (writing_) {
    queued_.append(bytes);
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
  const size_t done = n > 0 ? static_cast<size_t>(n) : 0;
  inflight_.assign(bytes, done, std::string::npos);
  bytes.clear();
  startWrite();
}

void Connection::startWrite() {
  writing_ = true;
  uv_buf_t b = uv_buf_init(inflight_.data(), static_cast<unsigned>(inflight_.size()));
  if (uv_write(&writeReq_, reinterpret_cast<uv_stream_t*>(&tcp_), &b, 1, &Connection::onWrite) != 0) {
    writing_ = false;
    closeHandles();
  }
}

void Connection::onWrite(uv_write_t* req, int status) {
  auto* self = static_cast<Connection*>(req->data);
  self->writing_ = false;
  self->inflight_.clear();
  if (status < 0 || self->handlesClosing_) {
    self->closeHandles();
    return;
  }
  if (!self->queued_.empty()) {
    std::swap(self->inflight_, self->queued_);
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
  self->session_->onDrained();
}

void Connection::close(bool abort) {
  if (handlesClosing_ || lingering_) {
    return;
  }
  if (abort) {
    closeHandles();
    return;
  }
  if (writing_) {
    closeAfterWrite_ = true;
    return;
  }
  // Half-close, then drain input briefly (see kLinger).
  lingering_ = true;
  if (uv_shutdown(&shutdownReq_, reinterpret_cast<uv_stream_t*>(&tcp_), &Connection::onShutdown) != 0) {
    closeHandles();
    return;
  }
  resumeReading();
  armTimer(kLinger);
}

void Connection::shutdownWrite() {
  if (handlesClosing_ || lingering_) {
    return;
  }
  if (writing_) {
    shutdownAfterWrite_ = true;
    return;
  }
  shutdownAfterWrite_ = false;
  if (uv_shutdown(&shutdownReq_, reinterpret_cast<uv_stream_t*>(&tcp_), &Connection::onShutdown) != 0) {
    closeHandles();
  }
}

void Connection::onShutdown(uv_shutdown_t* req, int status) {
  auto* self = static_cast<Connection*>(req->data);
  if (status < 0 && !self->handlesClosing_) {
    self->closeHandles();
  }
}

void Connection::pauseReading() {
  if (reading_ && !handlesClosing_) {
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
    reading_ = false;
  }
}

void Connection::resumeReading() {
  if (!reading_ && !handlesClosing_) {
    if (uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), &Connection::onAlloc, &Connection::onRead) == 0) {
      reading_ = true;
    }
  }
}

void Connection::setPhase(Phase phase) {
  if (lingering_ || handlesClosing_) {
    return;
  }
  switch (phase) {
    case Phase::Idle:
      armTimer(server_.idleTimeout);
      break;
    case Phase::ReadingHeaders:
      armTimer(server_.readHeaderTimeout);
      break;
    case Phase::Busy:
      armTimer(server_.writeTimeout);
      break;
  }
}

void Connection::armTimer(std::chrono::milliseconds ms) {
  uv_timer_stop(&timer_);
  if (ms.count() > 0) {
    uv_timer_start(&timer_, &Connection::onTimer, static_cast<uint64_t>(ms.count()), 0);
  }
}

void Connection::onTimer(uv_timer_t* t) {
  // Every timeout (header, idle, write, linger) ends the connection without a response,
  // as Go's server does.
  static_cast<Connection*>(t->data)->closeHandles();
}

void Connection::closeHandles() {
  if (handlesClosing_) {
    return;
  }
  handlesClosing_ = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), &Connection::onClose);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), &Connection::onClose);
}

void Connection::onClose(uv_handle_t* h) {
  auto* self = static_cast<Connection*>(h->data);
  if (--self->openHandles_ == 0) {
    self->owner_.onConnectionClosed(*self);  // destroys *self
  }
}

}  // namespace gatehouse::server
