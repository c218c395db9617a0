#include "server/connection.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <string_view>

#include "http/session_factory.h"
#include "server/server_group.h"

#include "http/h2_session_factory.h"

namespace gatehouse::server {

namespace {
// After our final response we half-close and read for a moment before closing, so the
// client sees the response instead of a reset caused by its unread bytes (Go's
// closeWriteAndWait does the same).
constexpr std::chrono::milliseconds kLinger{1000};
// A connection that has not sent its first request when a stop or reload begins gets this
// long to send it (Go's Shutdown gives new connections 5 s before treating them as idle),
// so a client that connected just before a reload is served instead of dropped.
constexpr std::chrono::milliseconds kNewConnectionGrace{5000};
// How long a handshake may wait for a certificate obtained on demand (certmagic lets a
// handshake wait two minutes for another one's order).
constexpr std::chrono::milliseconds kOnDemandWait{120000};

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
// A first flight that starts like an HTTP request line rather than a TLS record (0x16).
bool looksLikeHttp(std::string_view first) {
  for (std::string_view m : {"GET ", "HEAD ", "POST ", "PUT ", "DELETE ", "OPTIONS ", "PATCH ", "CONNECT "}) {
    if (first.substr(0, m.size()) == m.substr(0, std::min(m.size(), first.size())) && first.size() >= 4) {
      return true;
    }
  }
  return false;
}

}  // namespace

Connection::Connection(ConnectionOwner& owner, std::shared_ptr<Generation> generation,
                       const provision::ServerRuntime& server, http::RequestHandler& router)
    : owner_(owner), generation_(std::move(generation)), server_(server), liveServer_(&server), router_(router) {
  uv_tcp_init(owner_.loop(), &tcp_);
  uv_timer_init(owner_.loop(), &timer_);
  tcp_.data = this;
  timer_.data = this;
  openHandles_ = 2;
}

bool Connection::accept(uv_stream_t* listener) {
  if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(&tcp_)) != 0) {
    closeHandles();
    return false;
  }
  uv_tcp_nodelay(&tcp_, 1);
  if (server_.keepaliveInterval.count() > 0) {
    uv_tcp_keepalive(&tcp_, 1,
                     static_cast<unsigned>(std::max<int64_t>(1, server_.keepaliveInterval.count() / 1000)));
  }
  sockaddr_storage peer{};
  sockaddr_storage local{};
  int len = sizeof(peer);
  uv_tcp_getpeername(&tcp_, reinterpret_cast<sockaddr*>(&peer), &len);
  len = sizeof(local);
  uv_tcp_getsockname(&tcp_, reinterpret_cast<sockaddr*>(&local), &len);
  uint16_t localPort = 0;
  peer_.remoteIp = ipString(peer, peer_.remotePort);
  std::string localIp = ipString(local, localPort);
  peer_.localPort = localPort;
  if (server_.tls) {
    tls_ = std::make_unique<tls::TlsStream>(*server_.tls, std::move(localIp));
    if (!tls_->valid()) {
      closeHandles();
      return false;
    }
  } else {
    session_ = http::makeSession("", *this, router_, owner_.dates(),
                                 http::SessionLimits{server_.maxHeaderBytes}, server_);
    session_->setPeer(peer_);
  }
  // The TLS handshake counts against the header timeout, as in Go's server.
  setPhase(Phase::ReadingHeaders);
  resumeReading();
  return true;
}

void Connection::shutdown() {
  if (handlesClosing_ || lingering_) {
    return;
  }
  if (!gotRequestBytes_) {
    shutdownRequested_ = true;
    armTimer(kNewConnectionGrace);
    return;
  }
  if (parked_) {
    close(false);  // idle between requests: what an idle session's shutdown does
    return;
  }
  session_->shutdown();
}

void Connection::reloaded(const provision::ServerRuntime* next) {
  if (session_ && liveServer_ != nullptr) {
    session_->forEachExchange([&](runtime::Exchange& ex) {
      if (ex.pending && (next == nullptr || !next->routes.anyRouteMatches(ex))) {
        ex.pending->siteRemoved();
      }
    });
  }
  liveServer_ = next;
  shutdown();
}

void Connection::deliver(const char* data, size_t len) {
  if (parked_) {
    reviveSession();
  }
  session_->onData(data, len);
  if (!gotRequestBytes_) {
    gotRequestBytes_ = true;
    if (shutdownRequested_ && !handlesClosing_ && session_) {
      session_->shutdown();  // serve this first request, then close
    }
  }
}

void Connection::parkIfDormant() {
  if (!session_ || handlesClosing_ || lingering_ || !session_->dormant()) {
    return;
  }
  session_.reset();
  parked_ = true;
  if (!writing_ && !shutdownSent_) {
    io_.reset();
  }
}

void Connection::reviveSession() {
  parked_ = false;
  // Only an HTTP/1.1 session is ever dormant, so the new one is HTTP/1.1 again.
  session_ = std::make_unique<http::Http1Session>(*this, router_, owner_.dates(),
                                                  http::SessionLimits{server_.maxHeaderBytes});
  session_->setPeer(peer_);
}

void Connection::sessionEof() {
  if (parked_) {
    close(false);  // what an idle session does on EOF
    return;
  }
  session_->onEof();
}

void Connection::onCipher(const char* data, size_t len) {
  if (!tls_->established() && !gotCipher_) {
    gotCipher_ = true;
    if (looksLikeHttp(std::string_view(data, len))) {
      // Go's answer to plain HTTP on a TLS port: say so instead of a TLS alert.
      std::string reply = "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n";
      sendRaw(reply);
      close(false);
      return;
    }
  }
  tls_->pushCipher(data, len);
  if (!tls_->established()) {
    if (tls_->awaitingCertificate()) {
      return;
    }
    const auto status = tls_->handshake();
    flushTls();
    if (status == tls::TlsStream::Status::WantMore || handlesClosing_) {
      return;
    }
    if (status == tls::TlsStream::Status::WantCertificate) {
      // Paused for an on-demand certificate: stop reading (input stays bounded) until the
      // certificate manager answers or the wait ends, then drive the handshake again.
      pauseReading();
      tls_->awaitCertificate(owner_.loop(), kOnDemandWait, [this] {
        if (!handlesClosing_) {
          resumeReading();
          onCipher(nullptr, 0);
        }
      });
      return;
    }
    if (status != tls::TlsStream::Status::Ok) {
      if (!tls_->noSniFailure().empty()) {
        logLine({{"logger", "tls.handshake"}, {"msg", "TLS handshake failed"}, {"error", tls_->noSniFailure()},
                 {"remote_ip", peer_.remoteIp}});
      }
      close(false);  // the alert (if any) is queued ahead of the close
      return;
    }
    if (!startTlsSession()) {
      return;
    }
    readPlain();
    if (!gotRequestBytes_ && !handlesClosing_ && !lingering_) {
      // Handshake done, no request yet: hold no record buffers while the client thinks.
      tls_->releaseIdleBuffers();
    }
    return;
  }
  readPlain();
}

bool Connection::startTlsSession() {
  if (tls_->acmeChallenge()) {
    close(false);  // the challenge is the handshake itself; no HTTP follows
    return false;
  }
  auto info = tls_->info();
  peer_.tls = true;
  peer_.serverName = info->serverName;
  peer_.alpn = info->proto;
  peer_.tlsVersion = info->version;
  peer_.cipherSuite = info->cipherSuite;
  peer_.tlsInfo = std::move(info);
  session_ = http::makeSession(tls_->alpn(), *this, router_, owner_.dates(),
                               http::SessionLimits{server_.maxHeaderBytes}, server_);
  if (!session_) {
    close(false);
    return false;
  }
  session_->setPeer(peer_);
  return true;
}

void Connection::readPlain() {
  // The ciphertext is already copied into the TLS input buffer, so the loop's read buffer
  // is free to hold plaintext.
  uv_buf_t buf = owner_.readBuffer();
  while (!handlesClosing_ && !lingering_ && (session_ || parked_)) {
    size_t n = 0;
    const auto status = tls_->read(buf.base, buf.len, n);
    if (status == tls::TlsStream::Status::Ok) {
      deliver(buf.base, n);
      continue;
    }
    if (status == tls::TlsStream::Status::Closed) {
      sessionEof();
    } else if (status == tls::TlsStream::Status::Failed) {
      flushTls();
      closeHandles();
      return;
    }
    break;
  }
  flushTls();  // reading may produce records (session tickets, key updates)
}

void Connection::flushTls() {
  // Once lingering, the write side is shut: nothing more may be sent.
  if (!tls_ || handlesClosing_ || lingering_) {
    return;
  }
  std::string& out = owner_.cipherScratch();
  out.clear();
  tls_->takeOutput(out);
  if (!out.empty()) {
    sendRaw(out);
  }
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
    if (self->tls_) {
      self->onCipher(buf->base, static_cast<size_t>(n));
    } else {
      self->deliver(buf->base, static_cast<size_t>(n));
    }
  } else if (n == UV_EOF) {
    if (self->session_ || self->parked_) {
      self->sessionEof();  // also without close_notify: Go treats truncation as EOF
    } else {
      self->closeHandles();
    }
  } else if (n < 0) {
    self->closeHandles();
  }
}

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
  uv_buf_t b = uv_buf_init(w.inflight.data() + w.inflightOffset, static_cast<unsigned>(w.inflight.size() - w.inflightOffset));
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

void Connection::close(bool abort) {
  if (handlesClosing_ || lingering_) {
    return;
  }
  if (abort) {
    closeHandles();
    return;
  }
  if (tls_) {
    tls_->closeNotify();  // once; nothing after a fatal error
    flushTls();
    if (handlesClosing_) {
      return;
    }
  }
  if (writing_) {
    closeAfterWrite_ = true;
    return;
  }
  // Half-close, then drain input briefly (see kLinger).
  lingering_ = true;
  parkDue_ = 0;
  if (!startShutdown()) {
    return;
  }
  resumeReading();
  armTimer(kLinger);
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
  if (uv_shutdown(&writeState().shutdownReq, reinterpret_cast<uv_stream_t*>(&tcp_), &Connection::onShutdown) != 0) {
    closeHandles();
    return false;
  }
  return true;
}

void Connection::onShutdown(uv_shutdown_t* req, int status) {
  auto* self = static_cast<Connection*>(req->data);
  if (status < 0 && !self->handlesClosing_) {
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

void Connection::pauseReading() {
  if (reading_ && !handlesClosing_) {
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
    reading_ = false;
  }
}

void Connection::resumeReading() {
  if (!reading_ && !handlesClosing_) {
    if (uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), &Connection::onAlloc, &Connection::onRead) ==
        0) {
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
      // Parked from the timer: never under the session's own frames, and a connection
      // that sends its next request at once keeps its session (no churn per request).
      if (session_) {
        parkDue_ = uv_now(owner_.loop()) + kParkDelayMs;
      }
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

// Phases move the deadline three times per request, but the timer is restarted only when
// the new due time is earlier than the one it is armed for; one that fires early re-arms
// itself for what is left. This keeps libuv's timer heap out of the per-request path.
void Connection::armTimer(std::chrono::milliseconds ms) {
  const uint64_t now = uv_now(owner_.loop());
  deadline_ = ms.count() > 0 ? now + static_cast<uint64_t>(ms.count()) : kNever;
  rearm(now);
}

void Connection::rearm(uint64_t now) {
  const uint64_t due = std::min(deadline_, parkDue_ != 0 ? parkDue_ : kNever);
  if (due == kNever || (timerArmed_ && timerDue_ <= due)) {
    return;
  }
  const uint64_t in = due > now ? due - now : 0;
  uv_timer_start(&timer_, &Connection::onTimer, in, 0);
  timerArmed_ = true;
  timerDue_ = now + in;
}

bool Connection::sessionReplaceable() const {
  return session_ && !retired_ && !parked_ && !handlesClosing_ && !lingering_;
}

void Connection::replaceSession(std::unique_ptr<http::Session> next) {
  retired_ = std::move(session_);
  session_ = std::move(next);
  const uint64_t now = uv_now(owner_.loop());
  uv_timer_start(&timer_, &Connection::onTimer, 0, 0);
  timerArmed_ = true;
  timerDue_ = now;
}

void Connection::onTimer(uv_timer_t* t) {
  auto* self = static_cast<Connection*>(t->data);
  self->timerArmed_ = false;
  self->retired_.reset();
  const uint64_t now = uv_now(self->owner_.loop());
  if (self->parkDue_ != 0 && now >= self->parkDue_) {
    self->parkDue_ = 0;
    self->parkIfDormant();
    if (self->session_ && !self->handlesClosing_) {
      self->session_->trim();  // a session that stays (HTTP/2) drops what it kept
    }
    if (self->tls_ && !self->handlesClosing_) {
      self->tls_->releaseIdleBuffers();  // only empty ones: HTTP/2 connections too
    }
  }
  if (self->deadline_ != kNever && now >= self->deadline_) {
    // Every timeout (header, idle, write, linger) ends the connection without a response,
    // as Go's server does.
    self->closeHandles();
    return;
  }
  self->rearm(now);
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
